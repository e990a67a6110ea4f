import OpenETSApplication
import OpenETSDomain

/// The registry store on any `SQLDatabase`: the same SQL, migrations and tests run on SQLite
/// and PostgreSQL; only the driver and the head lock differ.
public struct SQLLedgerStore<Database: SQLDatabase>: LedgerStore {
    public let database: Database
    let codec = LedgerCodec()

    public init(database: Database) { self.database = database }

    public func migrate() async throws {
        try await database.transaction { sql in
            if database.dialect == .postgres {
                // Concurrent migrators queue here instead of racing on CREATE TABLE.
                try await sql.execute("SELECT pg_advisory_xact_lock(7205001)", [])
            }
            try await sql.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                [])
            let applied = Set(try await sql.query("SELECT version FROM schema_migrations", []).map { try $0.int(0) })
            for migration in Migrations.all where !applied.contains(Int64(migration.version)) {
                for statement in migration.statements(for: database.dialect) { try await sql.execute(statement, []) }
                if migration.version == 1 {
                    try await sql.execute(
                        "INSERT INTO registry_policy (version, effective_from, body, note) VALUES (1, '2021-07-16', $1, $2)",
                        [.text(codec.encode(RegistryPolicy.defaults)), .text("OpenETS defaults")])
                }
                try await sql.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    [.int(Int64(migration.version)), .text(migration.name), .int(SystemClock().now().millisecondsSinceEpoch)])
            }
            if database.dialect == .postgres {
                // A restore that copied audit rows but not the sequence (migration 23) leaves it
                // behind: move it up to the largest id, never down, so no insert reuses an id.
                try await sql.execute(
                    "SELECT setval('audit_log_ids', GREATEST((SELECT COALESCE(MAX(id), 0) FROM audit_log), (SELECT last_value FROM audit_log_ids)))",
                    [])
            }
        }
    }

    public func write<T>(_ body: (any LedgerTransaction) async throws -> T) async throws -> T {
        try await database.transaction { sql in
            try await body(SQLLedgerTransaction(sql: sql, dialect: database.dialect, codec: codec))
        }
    }

    public func head() async throws -> JournalHead {
        try await database.withExecutor { sql in try await readHead(sql, lock: false) }
    }

    public func journal(after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        try await database.withExecutor { sql in try await readEntries(sql, after: seq, limit: limit) }
    }

    public func postings(after seq: Int64, through last: Int64) async throws -> [Int64: [Posting]] {
        try await database.withExecutor { sql in
            var result: [Int64: [Posting]] = [:]
            // Entries written before migration 13 keep one row per posting.
            let rows = try await sql.query(
                "SELECT seq, account_id, asset, amount FROM journal_postings WHERE seq > $1 AND seq <= $2 ORDER BY seq, line",
                [.int(seq), .int(last)])
            for row in rows {
                result[try row.int(0), default: []].append(
                    Posting(account: try row.text(1), asset: try row.text(2), amount: try row.int(3)))
            }
            let sets = try await sql.query(
                "SELECT seq, postings FROM journal_posting_sets WHERE seq > $1 AND seq <= $2 ORDER BY seq",
                [.int(seq), .int(last)])
            for row in sets {
                let entry = try row.int(0)
                do {
                    result[entry, default: []] += try codec.decode([Posting].self, from: try row.text(1))
                } catch {
                    throw SQLStoreError.corrupt("postings of journal entry \(entry)")
                }
            }
            return result
        }
    }

    public func history(account: AccountID, limit: Int) async throws -> [JournalEntry] {
        try await database.withExecutor { sql in
            try await sql.query(
                """
                SELECT j.seq, j.recorded_at, j.kind, j.idempotency_key, j.body, j.prev_hash, j.hash
                FROM journal j
                WHERE j.seq IN (
                    SELECT seq FROM journal_postings WHERE account_id = $1
                    UNION SELECT seq FROM journal_accounts WHERE account_id = $1)
                ORDER BY j.seq DESC LIMIT $2
                """, [.text(account.rawValue), .int(Int64(limit))]
            ).map(entry(from:))
        }
    }

    public func policy() async throws -> RegistryPolicy {
        try await database.withExecutor { sql in
            let rows = try await sql.query("SELECT body FROM registry_policy ORDER BY version DESC LIMIT 1", [])
            guard let row = rows.first else { return RegistryPolicy.defaults }
            return try codec.decode(RegistryPolicy.self, from: try row.text(0))
        }
    }

    public func publishPolicy(_ policy: RegistryPolicy, effectiveFrom: String, note: String) async throws -> Int {
        let problems = policy.problems()
        guard problems.isEmpty else { throw PolicyRejected(problems: problems) }
        return try await database.transaction { sql in
            let current = try await sql.query("SELECT MAX(version) FROM registry_policy", []).first?.values.first?.int ?? 0
            let version = Int(current) + 1
            try await sql.execute(
                "INSERT INTO registry_policy (version, effective_from, body, note) VALUES ($1, $2, $3, $4)",
                [.int(Int64(version)), .text(effectiveFrom), .text(codec.encode(policy)), .text(note)])
            return version
        }
    }

    public func exchangeJournal(after seq: Int64, through last: Int64, limit: Int) async throws -> [JournalEntry] {
        try await database.withExecutor { sql in
            try await sql.query(
                """
                SELECT \(entryColumns) FROM journal
                WHERE substr(kind, 1, 9) = 'exchange.' AND seq > $1 AND seq <= $2
                ORDER BY seq LIMIT $3
                """, [.int(seq), .int(last), .int(Int64(limit))]
            ).map(entry(from:))
        }
    }

    public func exchangePolicy() async throws -> ExchangePolicy {
        try await database.withExecutor { sql in
            let rows = try await sql.query("SELECT body FROM exchange_policy ORDER BY version DESC LIMIT 1", [])
            guard let row = rows.first else { return ExchangePolicy.standard }
            return try codec.decode(ExchangePolicy.self, from: try row.text(0))
        }
    }

    public func publishExchangePolicy(_ policy: ExchangePolicy, effectiveFrom: String, note: String) async throws -> Int {
        try await database.transaction { sql in
            let current = try await sql.query("SELECT MAX(version) FROM exchange_policy", []).first?.values.first?.int ?? 0
            let version = Int(current) + 1
            var stored = policy
            stored.version = version
            try await sql.execute(
                "INSERT INTO exchange_policy (version, effective_from, body, note) VALUES ($1, $2, $3, $4)",
                [.int(Int64(version)), .text(effectiveFrom), .text(codec.encode(stored)), .text(note)])
            return version
        }
    }

    public func close() async throws { try await database.close() }

    public func loadState() async throws -> RegistryState {
        try await database.withExecutor { sql in try await StateReader(sql: sql, codec: codec).read() }
    }

    public func snapshot() async throws -> LedgerSnapshot {
        try await database.transaction { sql in
            let head = try await readHead(sql, lock: database.dialect == .postgres)
            let state = try await StateReader(sql: sql, codec: codec).read()
            let last = try await sql.query("SELECT MAX(seq) FROM journal", []).first?.values.first?.int ?? 0
            return LedgerSnapshot(state: state, head: head, lastJournalSeq: last)
        }
    }
}

let entryColumns = "seq, recorded_at, kind, idempotency_key, body, prev_hash, hash"

func entry(from row: SQLRow) throws -> JournalEntry {
    JournalEntry(
        seq: try row.int(0), recordedAt: Timestamp(millisecondsSinceEpoch: try row.int(1)), kind: try row.text(2),
        idempotencyKey: try row.text(3), body: try row.text(4), prevHash: try row.text(5), hash: try row.text(6))
}

func readHead(_ sql: any SQLExecutor, lock: Bool) async throws -> JournalHead {
    let rows = try await sql.query("SELECT seq, hash FROM journal_head WHERE id = 1" + (lock ? " FOR UPDATE" : ""), [])
    guard let row = rows.first else { throw SQLStoreError.corrupt("journal_head has no row") }
    return JournalHead(seq: try row.int(0), hash: try row.text(1))
}

func readEntries(_ sql: any SQLExecutor, after seq: Int64, limit: Int) async throws -> [JournalEntry] {
    try await sql.query(
        "SELECT \(entryColumns) FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2", [.int(seq), .int(Int64(limit))]
    ).map(entry(from:))
}

struct SQLLedgerTransaction: LedgerTransaction {
    static let maxKeysPerLookup = 500

    let sql: any SQLExecutor
    let dialect: SQLDialect
    let codec: LedgerCodec

    func lockHead() async throws -> JournalHead {
        // SQLite holds the database write lock since BEGIN IMMEDIATE; PostgreSQL locks the row.
        try await readHead(sql, lock: dialect == .postgres)
    }

    func entries(after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        try await readEntries(sql, after: seq, limit: limit)
    }

    func appendAudit(_ records: [AuditRecord]) async throws {
        try await insertAuditRecords(records, sql, dialect)
    }

    func entry(_ seq: Int64) async throws -> JournalEntry? {
        try await sql.query("SELECT \(entryColumns) FROM journal WHERE seq = $1", [.int(seq)]).first.map(entry(from:))
    }

    func idempotencyRecords(_ keys: [String]) async throws -> [String: IdempotencyRecord] {
        var records: [String: IdempotencyRecord] = [:]
        let unique = Array(Set(keys))
        var start = 0
        while start < unique.count {
            let chunk = Array(unique[start..<min(start + Self.maxKeysPerLookup, unique.count)])
            start += chunk.count
            let list = (1...chunk.count).map { "$\($0)" }.joined(separator: ",")
            let rows = try await sql.query(
                "SELECT idempotency_key, request_hash, seq FROM idempotency WHERE idempotency_key IN (\(list))",
                chunk.map(SQLValue.text))
            for row in rows {
                let record = IdempotencyRecord(key: try row.text(0), requestHash: try row.text(1), seq: try row.int(2))
                records[record.key] = record
            }
        }
        return records
    }

    func writeState(before: RegistryState, after: RegistryState, changes: ChangeSet) async throws {
        try await StateWriter(sql: sql, codec: codec, before: before, state: after, changes: changes).write()
    }

    func append(_ commit: JournalAppend) async throws {
        try await insert(
            "journal", ["seq", "recorded_at", "kind", "idempotency_key", "body", "prev_hash", "hash"],
            commit.entries.map { e in
                [.int(e.seq), .int(e.recordedAt.millisecondsSinceEpoch), .text(e.kind), .text(e.idempotencyKey),
                 .text(e.body), .text(e.prevHash), .text(e.hash)]
            })
        // One row of postings per entry (migration 13); the account index lists posted accounts too.
        try await insert(
            "journal_posting_sets", ["seq", "postings"],
            commit.indexes.compactMap { index in
                index.postings.isEmpty ? nil : [.int(index.seq), .text(index.encodedPostings)]
            })
        try await insert(
            "journal_accounts", ["account_id", "seq"],
            commit.indexes.flatMap { index in index.accounts.map { [.text($0), .int(index.seq)] } })
        try await insert(
            "idempotency", ["idempotency_key", "request_hash", "seq"],
            commit.idempotency.map { [.text($0.key), .text($0.requestHash), .int($0.seq)] })
        try await sql.execute(
            "UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1", [.int(commit.head.seq), .text(commit.head.hash)])
    }

    private func insert(_ table: String, _ columns: [String], _ rows: [[SQLValue]]) async throws {
        guard !rows.isEmpty else { return }
        try await sql.executeRows(
            prefix: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ", width: columns.count, suffix: "",
            rows: rows)
    }
}
