import OpenETSApplication
import OpenETSDomain

/// The CCER side of the store: CCER journal entries (kind `ccer.…`) and the versioned CCER rules.
extension SQLLedgerStore {
    public func ccerJournal(after seq: Int64, through last: Int64, limit: Int) async throws -> [JournalEntry] {
        try await database.withExecutor { sql in
            try await sql.query(
                """
                SELECT \(entryColumns) FROM journal
                WHERE substr(kind, 1, 5) = 'ccer.' AND seq > $1 AND seq <= $2
                ORDER BY seq LIMIT $3
                """, [.int(seq), .int(last), .int(Int64(limit))]
            ).map(entry(from:))
        }
    }

    public func ccerPolicy() async throws -> CCERPolicy {
        try await database.withExecutor { sql in
            let rows = try await sql.query("SELECT body FROM ccer_policy ORDER BY version DESC LIMIT 1", [])
            guard let row = rows.first else { return CCERPolicy.standard }
            return try codec.decode(CCERPolicy.self, from: try row.text(0))
        }
    }

    public func publishCCERPolicy(_ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp, audit: AuditNote? = nil) async throws -> Int {
        try await database.transaction { sql in
            // Under the journal head lock, as the server's publications (`RegistryService.
            // publishCCERPolicy`): two publications at once number their versions in turn.
            _ = try await SQLLedgerTransaction(sql: sql, dialect: database.dialect, codec: codec).lockHead()
            let version = try await insertCCERPolicy(policy, effectiveFrom: effectiveFrom, note: note, at: at, sql, codec)
            if let audit { try await insertAuditRecords([audit.record(detail: "accepted v\(version)", accepted: true)], sql, database.dialect) }
            return version
        }
    }

    public func ccerPolicyVersions() async throws -> [CCERPolicyHeader] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT version, effective_from, note, published_at FROM ccer_policy ORDER BY version", []).map { row in
                CCERPolicyHeader(
                    version: Int(try row.int(0)), effectiveFrom: try row.text(1), note: try row.text(2),
                    publishedAt: row.values[3].int.map(Timestamp.init(millisecondsSinceEpoch:)))
            }
        }
    }

    public func ccerPolicy(version: Int) async throws -> StoredCCERPolicy? {
        try await database.withExecutor { sql in
            try await sql.query(
                "SELECT version, effective_from, note, body, published_at FROM ccer_policy WHERE version = $1", [.int(Int64(version))]
            ).first.map { row in
                StoredCCERPolicy(
                    version: Int(try row.int(0)), effectiveFrom: try row.text(1), note: try row.text(2),
                    policy: try codec.decode(CCERPolicy.self, from: try row.text(3)),
                    publishedAt: row.values[4].int.map(Timestamp.init(millisecondsSinceEpoch:)))
            }
        }
    }

    public func latestCCERPolicyVersion() async throws -> Int {
        try await database.withExecutor { sql in
            let latest = try await sql.query("SELECT MAX(version) FROM ccer_policy", []).first?.values.first?.int
            return max(Int(latest ?? 0), CCERPolicy.standard.version)
        }
    }
}

extension SQLLedgerTransaction {
    func publishCCERPolicy(_ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp) async throws -> Int {
        try await insertCCERPolicy(policy, effectiveFrom: effectiveFrom, note: note, at: at, sql, codec)
    }

    func completeIdempotencyKey(_ completion: IdempotencyCompletion) async throws {
        try await completeKeyInTransaction(completion, sql)
    }

    func ccerPolicy(newerThan version: Int) async throws -> CCERPolicy? {
        guard let row = try await sql.query(
            "SELECT body FROM ccer_policy WHERE version > $1 ORDER BY version DESC LIMIT 1", [.int(Int64(version))]
        ).first else { return nil }
        return try codec.decode(CCERPolicy.self, from: try row.text(0))
    }
}

/// Stores `policy` as the next version (its `version` set to it), published `at`, and returns the number.
func insertCCERPolicy(
    _ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp, _ sql: any SQLExecutor, _ codec: LedgerCodec
) async throws -> Int {
    let current = try await sql.query("SELECT MAX(version) FROM ccer_policy", []).first?.values.first?.int ?? 0
    // The built-in CCERPolicy.standard is version 1: the first published version is 2.
    let version = max(Int(current), CCERPolicy.standard.version) + 1
    var stored = policy
    stored.version = version
    try await sql.execute(
        "INSERT INTO ccer_policy (version, effective_from, body, note, published_at) VALUES ($1, $2, $3, $4, $5)",
        [.int(Int64(version)), .text(effectiveFrom), .text(codec.encode(stored)), .text(note), .int(at.millisecondsSinceEpoch)])
    return version
}
