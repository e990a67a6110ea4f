import OpenETSDomain

/// One stored version of an allocation plan (migration 14). A version is written once, as a
/// draft, and never changed: only its status moves, draft → published → superseded.
public struct StoredAllocationPlan: Hashable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft
        case published
        case superseded
    }

    /// The plan as loaded; its `version` is the stored version.
    public var plan: AllocationPlan
    public var status: Status
    /// The canonical JSON the SHA-256 is taken over (`AllocationPlanCodec`).
    public var body: String
    public var sha256: String
    public var loadedBy: String
    public var loadedAt: Timestamp
    public var publishedBy: String?
    public var publishedAt: Timestamp?
    public var supersededAt: Timestamp?

    public init(
        plan: AllocationPlan, status: Status, body: String, sha256: String, loadedBy: String, loadedAt: Timestamp,
        publishedBy: String? = nil, publishedAt: Timestamp? = nil, supersededAt: Timestamp? = nil
    ) {
        self.plan = plan
        self.status = status
        self.body = body
        self.sha256 = sha256
        self.loadedBy = loadedBy
        self.loadedAt = loadedAt
        self.publishedBy = publishedBy
        self.publishedAt = publishedAt
        self.supersededAt = supersededAt
    }
}

/// The versions of allocation plans (migration 14, table `allocation_plans`).
public protocol AllocationPlanStore: Sendable {
    /// Every version of `id`, oldest first.
    func planVersions(id: String) async throws -> [StoredAllocationPlan]
    /// Every stored version of every plan, by id then version.
    func allPlanVersions() async throws -> [StoredAllocationPlan]
    /// Writes a new draft; false when (id, version) is already stored (nothing written). With
    /// `audit`, its line is written in the same transaction, only with the draft: the version
    /// and the line that records who loaded it commit together.
    /// With `key`, the API's Idempotency-Key is completed with its answer in that transaction
    /// too (only with the draft; `IdempotencyKeyNotHeld`, nothing written, when the key is not
    /// in progress with that request).
    func insertPlanDraft(_ plan: StoredAllocationPlan, audit: AuditRecord?, key: IdempotencyCompletion?) async throws -> Bool
    /// In one transaction: the published version of `id` (if any) becomes superseded and the
    /// draft `version` becomes published. False, and nothing changed, when `version` is not a
    /// draft. With `audit`, its line is written in that transaction, only when it publishes;
    /// with `key`, the Idempotency-Key's completion as `insertPlanDraft`'s.
    func publishPlan(id: String, version: Int, by: String, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?) async throws -> Bool
}

extension AllocationPlanStore {
    public func insertPlanDraft(_ plan: StoredAllocationPlan, audit: AuditRecord?) async throws -> Bool {
        try await insertPlanDraft(plan, audit: audit, key: nil)
    }

    public func publishPlan(id: String, version: Int, by: String, at: Timestamp, audit: AuditRecord?) async throws -> Bool {
        try await publishPlan(id: id, version: version, by: by, at: at, audit: audit, key: nil)
    }

    public func insertPlanDraft(_ plan: StoredAllocationPlan) async throws -> Bool {
        try await insertPlanDraft(plan, audit: nil)
    }

    public func publishPlan(id: String, version: Int, by: String, at: Timestamp) async throws -> Bool {
        try await publishPlan(id: id, version: version, by: by, at: at, audit: nil)
    }
}
