import OpenETSDomain

/// A stage of a year's allocation cycle as stored: the commands worked out when it was first
/// run (`planned`), then `done` once every command was accepted by the registry.
public struct CycleStageRecord: Hashable, Sendable {
    public enum Status: String, Sendable {
        case planned
        case done
    }

    public var plan: CycleStagePlan
    public var status: Status
    public var plannedAt: Timestamp
    public var doneAt: Timestamp?

    public init(plan: CycleStagePlan, status: Status, plannedAt: Timestamp, doneAt: Timestamp?) {
        self.plan = plan
        self.status = status
        self.plannedAt = plannedAt
        self.doneAt = doneAt
    }
}

/// The allocation cycle's durable records (migration 8): stage plans and their completion,
/// and the true-up debts; and the plan versions it runs on (migration 14). The registry
/// movements themselves are in the registry's journal.
public protocol AllocationCycleStore: AllocationPlanStore {
    /// Applies the numbered migrations not yet applied.
    func migrate() async throws
    func stage(plan: String, year: Int, stage: CycleStage) async throws -> CycleStageRecord?
    /// Stores a stage as planned. Returns the stored record: `record`, or the one another
    /// process stored first for the same (plan, year, stage).
    func savePlanned(_ record: CycleStageRecord) async throws -> CycleStageRecord
    /// Marks the stage done and records its debts, in one transaction; with `body`, the
    /// stored plan is replaced by it (what the run learnt, e.g. the exchange's auction id).
    func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], body: CycleStagePlan?, at: Timestamp) async throws
    /// Every done record of `stage`, all plans and years, sorted by year and plan (the public
    /// statistics pages list the years whose surrender stage is done).
    func doneStages(_ stage: CycleStage) async throws -> [CycleStageRecord]
    /// Stores a stage that moves nothing (carry-over) as done, in one transaction; a record
    /// already stored for the same (plan, year, stage) is kept. Returns the stored record.
    /// With `audit`, its line (`AuditNote.record(stored:)`: `accepted` when this call stored
    /// the record, `replayed` when another's was kept) is written in the same transaction.
    func saveDone(_ record: CycleStageRecord, audit: AuditNote?) async throws -> CycleStageRecord
    /// Debts recorded for the year, sorted by entity.
    func debts(year: Int) async throws -> [CycleDebt]
    /// Stores penalty notices (migrations 10, 15); a notice of the same plan, year and entity
    /// (or id) is left as it is. Returns how many this call stored (counted in its
    /// transaction, so concurrent calls never count one notice twice). With `audit`, its line
    /// (`AuditNote.noticesIssued(_:of:)` with that count) is written in the same transaction:
    /// the notices and the line that records who issued them commit together.
    /// Also returns `year`'s notices of every plan as that transaction leaves them (sorted as
    /// `notices(year:)`). With `key`, the API's Idempotency-Key is completed in that
    /// transaction with the answer `key` makes of the count and those notices
    /// (`IdempotencyKeyNotHeld`, nothing stored, when the key is not in progress with it).
    func saveNotices(
        _ notices: [PenaltyNotice], year: Int, at: Timestamp, audit: AuditNote?,
        key: ((_ issued: Int, _ yearNotices: [PenaltyNotice]) throws -> IdempotencyCompletion)?
    ) async throws -> (issued: Int, yearNotices: [PenaltyNotice])
    /// The year's notices of every plan, sorted by entity, then plan.
    func notices(year: Int) async throws -> [PenaltyNotice]
    /// Moves a notice from `from` to `to`; false when no notice `id` has status `from`. With
    /// `audit`, the line is written in the transaction that moves the notice (and only when it
    /// moves): the payment and the line that records it commit together; with `key`, the API's
    /// Idempotency-Key's completion too (only when it moves; `IdempotencyKeyNotHeld`, nothing
    /// moved, when the key is not in progress with it).
    func setNoticeStatus(
        id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?
    ) async throws -> Bool
    func close() async throws
}

extension AllocationCycleStore {
    public func saveDone(_ record: CycleStageRecord) async throws -> CycleStageRecord {
        try await saveDone(record, audit: nil)
    }

    @discardableResult
    public func saveNotices(_ notices: [PenaltyNotice], at: Timestamp) async throws -> Int {
        try await saveNotices(notices, at: at, audit: nil)
    }

    /// Stores penalty notices (as the requirement, without a key); how many this call stored.
    @discardableResult
    public func saveNotices(_ notices: [PenaltyNotice], at: Timestamp, audit: AuditNote?) async throws -> Int {
        try await saveNotices(notices, year: notices.first?.year ?? 0, at: at, audit: audit, key: nil).issued
    }

    public func setNoticeStatus(id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp) async throws -> Bool {
        try await setNoticeStatus(id: id, from: from, to: to, at: at, audit: nil, key: nil)
    }

    public func setNoticeStatus(id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp, audit: AuditRecord?) async throws -> Bool {
        try await setNoticeStatus(id: id, from: from, to: to, at: at, audit: audit, key: nil)
    }

    public func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], at: Timestamp) async throws {
        try await markDone(plan: plan, year: year, stage: stage, debts: debts, body: nil, at: at)
    }
}
