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
}

/// The MRV platform's durable store: its own hash-chained journal (`mrv_journal`, the same
/// hash scheme as the registry's `JournalEntry`) and idempotency keys. The state is rebuilt by
/// replaying the journal; MRV posts nothing into the registry.
public protocol MRVStore: Sendable {
    /// Applies the numbered migrations not yet applied (the MRV tables are migration 5).
    func migrate() async throws
    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func writeMRV<T>(_ body: (any MRVTransaction) async throws -> T) async throws -> T
    func mrvHead() async throws -> JournalHead
    /// Entries with `seq` > `after`, oldest first.
    func mrvJournal(after seq: Int64, limit: Int) async throws -> [JournalEntry]
    func close() async throws
}
