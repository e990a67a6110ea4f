import OpenETSApplication
import OpenETSDomain

/// The MRV platform's store on any `SQLDatabase`: the `mrv_journal`, `mrv_journal_head` and
/// `mrv_idempotency` tables of migration 5, the same SQL on SQLite and PostgreSQL. Migrations
/// are the shared numbered list, run by the same runner as the registry's.
public struct SQLMRVStore<Database: SQLDatabase>: MRVStore {
    public let database: Database

    public init(database: Database) { self.database = database }

    public func migrate() async throws { try await SQLLedgerStore(database: database).migrate() }

    public func writeMRV<T>(_ body: (any MRVTransaction) async throws -> T) async throws -> T {
        try await database.transaction { sql in
            try await body(SQLMRVTransaction(sql: sql, dialect: database.dialect))
        }
    }

    public func mrvHead() async throws -> JournalHead {
        try await database.withExecutor { sql in try await readMRVHead(sql, lock: false) }
    }

    public func mrvJournal(after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        try await database.withExecutor { sql in try await readMRVEntries(sql, after: seq, limit: limit) }
    }

    public func mrvPolicy() async throws -> StoredMRVPolicy? {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(policyColumns) FROM mrv_policy ORDER BY version DESC LIMIT 1", []).first.map(storedPolicy(from:))
        }
    }

    public func mrvPolicyVersions() async throws -> [StoredMRVPolicy] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(policyColumns) FROM mrv_policy ORDER BY version", []).map(storedPolicy(from:))
        }
    }

    public func mrvPolicyHeaders() async throws -> [MRVPolicyHeader] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT version, effective_from, published_at, note FROM mrv_policy ORDER BY version", []).map { row in
                MRVPolicyHeader(
                    version: Int(try row.int(0)), effectiveFrom: try row.text(1), publishedAt: Timestamp(millisecondsSinceEpoch: try row.int(2)),
                    note: try row.text(3))
            }
        }
    }

    public func mrvPolicy(version: Int) async throws -> StoredMRVPolicy? {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(policyColumns) FROM mrv_policy WHERE version = $1", [.int(Int64(version))]).first.map(storedPolicy(from:))
        }
    }

    public func evidenceBlob(_ sha256: String) async throws -> EvidenceBlob? {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(blobColumns) FROM mrv_evidence_blob WHERE sha256 = $1", [.text(sha256)]).first.map(evidenceBlob(from:))
        }
    }

    public func evidenceBlobKeys() async throws -> [String] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT sha256 FROM mrv_evidence_blob ORDER BY sha256", []).map { try $0.text(0) }
        }
    }

    public func close() async throws { try await database.close() }
}

let blobColumns = "sha256, size, media_type, stored_at, stored_seq, bytes"

func evidenceBlob(from row: SQLRow) throws -> EvidenceBlob {
    EvidenceBlob(
        sha256: try row.text(0), size: Int(try row.int(1)), mediaType: try row.text(2),
        storedAt: Timestamp(millisecondsSinceEpoch: try row.int(3)), storedSeq: try row.int(4), bytes: try row.blob(5))
}

let policyColumns = "version, effective_from, published_at, note, body"

func storedPolicy(from row: SQLRow) throws -> StoredMRVPolicy {
    StoredMRVPolicy(
        version: Int(try row.int(0)), effectiveFrom: try row.text(1), publishedAt: Timestamp(millisecondsSinceEpoch: try row.int(2)),
        note: try row.text(3), body: try row.text(4))
}

func readMRVHead(_ sql: any SQLExecutor, lock: Bool) async throws -> JournalHead {
    let rows = try await sql.query("SELECT seq, hash FROM mrv_journal_head WHERE id = 1" + (lock ? " FOR UPDATE" : ""), [])
    guard let row = rows.first else { throw SQLStoreError.corrupt("mrv_journal_head has no row") }
    return JournalHead(seq: try row.int(0), hash: try row.text(1))
}

func readMRVEntries(_ sql: any SQLExecutor, after seq: Int64, limit: Int) async throws -> [JournalEntry] {
    try await sql.query(
        "SELECT \(entryColumns) FROM mrv_journal WHERE seq > $1 ORDER BY seq LIMIT $2", [.int(seq), .int(Int64(limit))]
    ).map(entry(from:))
}

struct SQLMRVTransaction: MRVTransaction {
    let sql: any SQLExecutor
    let dialect: SQLDialect

    func appendAudit(_ records: [AuditRecord]) async throws {
        try await insertAuditRecords(records, sql, dialect)
    }

    func completeIdempotencyKey(_ completion: IdempotencyCompletion) async throws {
        try await completeKeyInTransaction(completion, sql)
    }

    func lockHead() async throws -> JournalHead {
        // SQLite holds the database write lock since BEGIN IMMEDIATE; PostgreSQL locks the row.
        try await readMRVHead(sql, lock: dialect == .postgres)
    }

    func entries(after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        try await readMRVEntries(sql, after: seq, limit: limit)
    }

    func entry(_ seq: Int64) async throws -> JournalEntry? {
        try await sql.query("SELECT \(entryColumns) FROM mrv_journal WHERE seq = $1", [.int(seq)]).first.map(entry(from:))
    }

    func idempotencyRecord(_ key: String) async throws -> IdempotencyRecord? {
        let rows = try await sql.query("SELECT idempotency_key, request_hash, seq FROM mrv_idempotency WHERE idempotency_key = $1", [.text(key)])
        guard let row = rows.first else { return nil }
        return IdempotencyRecord(key: try row.text(0), requestHash: try row.text(1), seq: try row.int(2))
    }

    func append(_ entries: [JournalEntry], idempotency: [IdempotencyRecord], head: JournalHead) async throws {
        for e in entries {
            try await sql.execute(
                "INSERT INTO mrv_journal (seq, recorded_at, kind, idempotency_key, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [.int(e.seq), .int(e.recordedAt.millisecondsSinceEpoch), .text(e.kind), .text(e.idempotencyKey), .text(e.body), .text(e.prevHash), .text(e.hash)])
        }
        for record in idempotency {
            try await sql.execute(
                "INSERT INTO mrv_idempotency (idempotency_key, request_hash, seq) VALUES ($1, $2, $3)",
                [.text(record.key), .text(record.requestHash), .int(record.seq)])
        }
        try await sql.execute("UPDATE mrv_journal_head SET seq = $1, hash = $2 WHERE id = 1", [.int(head.seq), .text(head.hash)])
    }

    func mrvPolicy(newerThan version: Int) async throws -> StoredMRVPolicy? {
        try await sql.query(
            "SELECT \(policyColumns) FROM mrv_policy WHERE version > $1 ORDER BY version DESC LIMIT 1", [.int(Int64(version))]
        ).first.map(storedPolicy(from:))
    }

    func evidenceBlobExists(_ sha256: String) async throws -> Bool {
        try await !sql.query("SELECT 1 FROM mrv_evidence_blob WHERE sha256 = $1", [.text(sha256)]).isEmpty
    }

    func putEvidenceBlob(_ blob: EvidenceBlob) async throws {
        // Under the MRV head lock, so no other writer inserts the same key meanwhile.
        try await sql.execute(
            "INSERT INTO mrv_evidence_blob (sha256, size, media_type, stored_at, stored_seq, bytes) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
            [.text(blob.sha256), .int(Int64(blob.size)), .text(blob.mediaType), .int(blob.storedAt.millisecondsSinceEpoch), .int(blob.storedSeq), .blob(blob.bytes)])
    }

    func publishMRVPolicy(_ policy: StoredMRVPolicy) async throws -> Int {
        // Called under the head lock, so publishers (and writers) queue.
        let current = try await sql.query("SELECT MAX(version) FROM mrv_policy", []).first?.values.first?.int ?? 0
        let version = Int(current) + 1
        try await sql.execute(
            "INSERT INTO mrv_policy (version, effective_from, published_at, body, note) VALUES ($1, $2, $3, $4, $5)",
            [.int(Int64(version)), .text(policy.effectiveFrom), .int(policy.publishedAt.millisecondsSinceEpoch), .text(policy.body), .text(policy.note)])
        return version
    }
}
