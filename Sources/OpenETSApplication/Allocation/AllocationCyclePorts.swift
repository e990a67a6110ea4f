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
    /// Debts recorded for the year, sorted by entity.
    func debts(year: Int) async throws -> [CycleDebt]
    /// Stores penalty notices (migration 10); a notice whose id exists is left as it is.
    func saveNotices(_ notices: [PenaltyNotice], at: Timestamp) async throws
    /// The year's notices, sorted by entity.
    func notices(year: Int) async throws -> [PenaltyNotice]
    /// Moves a notice from `from` to `to`; false when no notice `id` has status `from`.
    func setNoticeStatus(id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp) async throws -> Bool
    func close() async throws
}

extension AllocationCycleStore {
    public func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], at: Timestamp) async throws {
        try await markDone(plan: plan, year: year, stage: stage, debts: debts, body: nil, at: at)
    }
}
