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

    public func publishCCERPolicy(_ policy: CCERPolicy, effectiveFrom: String, note: String, audit: AuditNote? = nil) async throws -> Int {
        try await database.transaction { sql in
            let current = try await sql.query("SELECT MAX(version) FROM ccer_policy", []).first?.values.first?.int ?? 0
            // The built-in CCERPolicy.standard is version 1: the first published version is 2.
            let version = max(Int(current), CCERPolicy.standard.version) + 1
            var stored = policy
            stored.version = version
            try await sql.execute(
                "INSERT INTO ccer_policy (version, effective_from, body, note) VALUES ($1, $2, $3, $4)",
                [.int(Int64(version)), .text(effectiveFrom), .text(codec.encode(stored)), .text(note)])
            if let audit { try await insertAuditRecords([audit.record(detail: "accepted v\(version)", accepted: true)], sql, database.dialect) }
            return version
        }
    }
}
