import OpenETSApplication
import OpenETSDomain

extension SQLLedgerStore {
    public func saveUser(_ user: UserRecord) async throws {
        try await database.transaction { sql in
            try await sql.execute("DELETE FROM users WHERE id = $1", [.text(user.id)])
            try await sql.execute(
                "INSERT INTO users (id, name, role, account_id, province, password_hash, totp_secret, created_at, mrv_verifier, ccer_body, city) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                [.text(user.id), .text(user.name), .text(user.role.rawValue), .text(user.account?.rawValue ?? ""), .text(user.province ?? ""),
                 .text(user.passwordHash), .text(user.totpSecret ?? ""), .int(user.createdAt.millisecondsSinceEpoch), .text(user.verifier ?? ""),
                 SQLValue(user.validationBody), SQLValue(user.city)])
        }
    }

    public func user(_ id: String) async throws -> UserRecord? {
        try await database.read { sql in
            guard let row = try await sql.query("SELECT \(Self.userColumns("users")) FROM users WHERE id = $1", [.text(id)]).first else { return nil }
            return try Self.userRecord(row, from: 0)
        }
    }

    /// The columns `userRecord` reads, of the table or alias `table`.
    static func userColumns(_ table: String) -> String {
        ["id", "name", "role", "account_id", "province", "password_hash", "totp_secret", "created_at", "mrv_verifier", "ccer_body", "city"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    /// A user from `userColumns`, starting at column `first`.
    static func userRecord(_ row: SQLRow, from first: Int) throws -> UserRecord {
        let c = first
        guard let role = Role(rawValue: try row.text(c + 2)) else { throw SQLStoreError.corrupt("role \(try row.text(c + 2))") }
        let account = try row.text(c + 3), province = try row.text(c + 4), secret = try row.text(c + 6), verifier = try row.text(c + 8)
        let body = try row.optionalText(c + 9)
        return UserRecord(
            id: try row.text(c), name: try row.text(c + 1), role: role, account: account.isEmpty ? nil : AccountID(account),
            province: province.isEmpty ? nil : province, passwordHash: try row.text(c + 5), totpSecret: secret.isEmpty ? nil : secret,
            createdAt: Timestamp(millisecondsSinceEpoch: try row.int(c + 7)), verifier: verifier.isEmpty ? nil : verifier,
            validationBody: body.flatMap { $0.isEmpty ? nil : $0 }, city: try row.optionalText(c + 10))
    }

    public func saveSession(_ session: SessionRecord, audit: [AuditRecord]) async throws {
        try await database.transaction { sql in
            try await sql.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
                [.text(session.tokenHash), .text(session.user), .text(session.csrf), .int(session.expiresAt.millisecondsSinceEpoch)])
            // The session commits with its login line, or neither does.
            try await insertAuditRecords(audit, sql, database.dialect)
        }
    }

    public func session(tokenHash: String) async throws -> SessionRecord? {
        try await database.read { sql in
            try await sql.query("SELECT token_hash, user_id, csrf, expires_at FROM sessions WHERE token_hash = $1", [.text(tokenHash)]).first.map {
                SessionRecord(tokenHash: try $0.text(0), user: try $0.text(1), csrf: try $0.text(2), expiresAt: Timestamp(millisecondsSinceEpoch: try $0.int(3)))
            }
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await database.withExecutor { sql in
            try await sql.execute("DELETE FROM sessions WHERE token_hash = $1", [.text(tokenHash)])
        }
    }

    public func appendAudit(_ records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        try await database.transaction { sql in try await insertAuditRecords(records, sql, database.dialect) }
    }

    public func audit(limit: Int) async throws -> [AuditRecord] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT at, user_id, action, detail, address FROM audit_log ORDER BY id DESC LIMIT $1", [.int(Int64(limit))]).map {
                AuditRecord(at: Timestamp(millisecondsSinceEpoch: try $0.int(0)), user: try $0.text(1), action: try $0.text(2), detail: try $0.text(3), address: try $0.text(4))
            }
        }
    }
}

extension SQLLedgerStore {
    public func saveAPIToken(_ token: APITokenRecord) async throws {
        try await database.withExecutor { sql in
            try await sql.execute(
                "INSERT INTO api_tokens (id, token_hash, user_id, label, created_at, revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [.text(token.id), .text(token.tokenHash), .text(token.user), .text(token.label), .int(token.createdAt.millisecondsSinceEpoch),
                 token.revokedAt.map { .int($0.millisecondsSinceEpoch) } ?? .null, .int(token.expiresAt.millisecondsSinceEpoch)])
        }
    }

    public func apiToken(hash: String) async throws -> APITokenRecord? {
        try await database.read { sql in
            try await sql.query(Self.tokenColumns + " WHERE token_hash = $1", [.text(hash)]).first.map(Self.tokenRecord)
        }
    }

    /// The token and its user in one read (every API call looks its token up).
    public func apiTokenAndUser(hash: String) async throws -> (token: APITokenRecord, user: UserRecord?)? {
        try await database.read { sql in
            guard let row = try await sql.query(
                "SELECT t.id, t.token_hash, t.user_id, t.label, t.created_at, t.revoked_at, t.expires_at, \(Self.userColumns("u")) "
                    + "FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
                [.text(hash)]
            ).first else { return nil }
            return (try Self.tokenRecord(row), row.values[7] == .null ? nil : try Self.userRecord(row, from: 7))
        }
    }

    public func revokeAPIToken(id: String, at: Timestamp) async throws -> Bool {
        try await database.transaction { sql in
            let live = try await sql.query("SELECT id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", [.text(id)])
            guard !live.isEmpty else { return false }
            try await sql.execute("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1", [.text(id), .int(at.millisecondsSinceEpoch)])
            return true
        }
    }

    public func apiTokens(user: String?) async throws -> [APITokenRecord] {
        try await database.withExecutor { sql in
            if let user {
                return try await sql.query(Self.tokenColumns + " WHERE user_id = $1 ORDER BY created_at, id", [.text(user)]).map(Self.tokenRecord)
            }
            return try await sql.query(Self.tokenColumns + " ORDER BY created_at, id", []).map(Self.tokenRecord)
        }
    }

    static var tokenColumns: String { "SELECT id, token_hash, user_id, label, created_at, revoked_at, expires_at FROM api_tokens" }

    static func tokenRecord(_ row: SQLRow) throws -> APITokenRecord {
        APITokenRecord(
            id: try row.text(0), tokenHash: try row.text(1), user: try row.text(2), label: try row.text(3),
            createdAt: Timestamp(millisecondsSinceEpoch: try row.int(4)),
            revokedAt: row.values[5] == .null ? nil : Timestamp(millisecondsSinceEpoch: try row.int(5)),
            expiresAt: Timestamp(millisecondsSinceEpoch: try row.int(6)))
    }
}

/// Inserts audit records in the caller's transaction. SQLite numbers them from MAX(id) + 1
/// (its writers are serialised); PostgreSQL takes ids from `audit_log_ids` (migration 23).
func insertAuditRecords(_ records: [AuditRecord], _ sql: any SQLExecutor, _ dialect: SQLDialect) async throws {
    guard !records.isEmpty else { return }
    func fields(_ record: AuditRecord) -> [SQLValue] {
        [.int(record.at.millisecondsSinceEpoch), .text(record.user), .text(record.action), .text(record.detail), .text(record.address)]
    }
    switch dialect {
    case .postgres:
        try await sql.executeRows(
            prefix: "INSERT INTO audit_log (at, user_id, action, detail, address) VALUES ", width: 5, suffix: "",
            rows: records.map(fields))
    case .sqlite:
        let next = (try await sql.query("SELECT MAX(id) FROM audit_log", []).first?.values.first?.int ?? 0) + 1
        try await sql.executeRows(
            prefix: "INSERT INTO audit_log (id, at, user_id, action, detail, address) VALUES ", width: 6, suffix: "",
            rows: records.enumerated().map { offset, record in [.int(next + Int64(offset))] + fields(record) })
    }
}
