import OpenETSDomain

/// One write transaction on the MRV journal. `lockHead` comes first: it serialises writers of
/// every process on the MRV journal head, so each transaction sees every earlier commit.
public protocol MRVTransaction {
    func lockHead() async throws -> JournalHead
    func entries(after seq: Int64, limit: Int) async throws -> [JournalEntry]
    func entry(_ seq: Int64) async throws -> JournalEntry?
    func idempotencyRecord(_ key: String) async throws -> IdempotencyRecord?
    /// Appends the sealed entries, records their idempotency keys and moves the head. The
    /// transaction commits when the `MRVStore.writeMRV` body returns.
    func append(_ entries: [JournalEntry], idempotency: [IdempotencyRecord], head: JournalHead) async throws
    /// The latest published policy version if it is newer than `version` (0: none known).
    func mrvPolicy(newerThan version: Int) async throws -> StoredMRVPolicy?
    /// Stores `policy` as the next version (its `version` is ignored) and returns that number.
    func publishMRVPolicy(_ policy: StoredMRVPolicy) async throws -> Int
}

/// One published version of the MRV policy tables (`mrv_policy`, migration 7), as stored: the
/// body is the JSON of `MRVPolicyTables`, decoded by the service.
public struct StoredMRVPolicy: Hashable, Sendable {
    public var version: Int
    public var effectiveFrom: String
    public var publishedAt: Timestamp
    public var note: String
    public var body: String

    public init(version: Int, effectiveFrom: String, publishedAt: Timestamp, note: String, body: String) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.publishedAt = publishedAt
        self.note = note
        self.body = body
    }
}

/// The MRV platform's durable store: its own hash-chained journal (`mrv_journal`, the same
/// hash scheme as the registry's `JournalEntry`) and idempotency keys. The state is rebuilt by
/// replaying the journal; MRV posts nothing into the registry.
public protocol MRVStore: Sendable {
    /// Applies the numbered migrations not yet applied (the MRV journal is migration 5, its policy tables 7).
    func migrate() async throws
    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func writeMRV<T>(_ body: (any MRVTransaction) async throws -> T) async throws -> T
    func mrvHead() async throws -> JournalHead
    /// Entries with `seq` > `after`, oldest first.
    func mrvJournal(after seq: Int64, limit: Int) async throws -> [JournalEntry]
    /// The latest published policy version, nil when none is (the seed tables apply).
    func mrvPolicy() async throws -> StoredMRVPolicy?
    /// Every published policy version, oldest first (bodies included).
    func mrvPolicyVersions() async throws -> [StoredMRVPolicy]
    func close() async throws
}
