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
    /// Appends audit records in this transaction (the audit log is in the same database), so
    /// a command and its audit line commit together.
    func appendAudit(_ records: [AuditRecord]) async throws
    /// Completes the API's claimed Idempotency-Key in this transaction, so the write and its
    /// key commit together (`IdempotencyKeyNotHeld`, and the transaction rolls back, when the
    /// key is not in progress with the request).
    func completeIdempotencyKey(_ completion: IdempotencyCompletion) async throws
    /// The latest published policy version if it is newer than `version` (0: none known).
    func mrvPolicy(newerThan version: Int) async throws -> StoredMRVPolicy?
    /// Stores `policy` as the next version (its `version` is ignored) and returns that number.
    func publishMRVPolicy(_ policy: StoredMRVPolicy) async throws -> Int
    /// Whether bytes are stored under this SHA-256 (`mrv_evidence_blob`, migration 9).
    func evidenceBlobExists(_ sha256: String) async throws -> Bool
    /// Stores an evidence file's bytes under its SHA-256 unless that key is already stored
    /// (content-addressed: the same bytes are kept once). Part of the deposit's transaction.
    func putEvidenceBlob(_ blob: EvidenceBlob) async throws
}

/// An evidence file's bytes as stored (`mrv_evidence_blob`): the key is the SHA-256 the
/// service computed from the bytes when they were deposited; `storedSeq` is the MRV journal
/// entry that first deposited them.
public struct EvidenceBlob: Hashable, Sendable {
    public var sha256: String
    public var size: Int
    public var mediaType: String
    public var storedAt: Timestamp
    public var storedSeq: Int64
    public var bytes: [UInt8]

    public init(sha256: String, size: Int, mediaType: String, storedAt: Timestamp, storedSeq: Int64, bytes: [UInt8]) {
        self.sha256 = sha256
        self.size = size
        self.mediaType = mediaType
        self.storedAt = storedAt
        self.storedSeq = storedSeq
        self.bytes = bytes
    }
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

/// A published version of the MRV policy tables without its tables (`mrv_policy` less `body`):
/// what a list of versions shows.
public struct MRVPolicyHeader: Hashable, Sendable {
    public var version: Int
    public var effectiveFrom: String
    public var publishedAt: Timestamp
    public var note: String

    public init(version: Int, effectiveFrom: String, publishedAt: Timestamp, note: String) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.publishedAt = publishedAt
        self.note = note
    }
}

extension StoredMRVPolicy {
    public var header: MRVPolicyHeader { MRVPolicyHeader(version: version, effectiveFrom: effectiveFrom, publishedAt: publishedAt, note: note) }
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
    /// Every published policy version without its tables, oldest first (the list of versions;
    /// reads no bodies).
    func mrvPolicyHeaders() async throws -> [MRVPolicyHeader]
    /// One published version with its tables; nil when no version has that number.
    func mrvPolicy(version: Int) async throws -> StoredMRVPolicy?
    /// The stored bytes of an evidence file, as stored (the caller checks their hash).
    func evidenceBlob(_ sha256: String) async throws -> EvidenceBlob?
    /// The keys of every stored evidence file, in key order.
    func evidenceBlobKeys() async throws -> [String]
    func close() async throws
}
