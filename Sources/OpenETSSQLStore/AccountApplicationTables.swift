import Foundation
import OpenETSApplication
import OpenETSDomain

/// Account applications and their identity documents (migration 20), the last accepted TOTP
/// step per user (migration 21).
extension SQLLedgerStore {
    public func insertApplication(_ record: AccountApplicationRecord, documents: [StoredDocument], audit: [AuditRecord]) async throws {
        let body = try Self.applicationEncoder.encode(record.application), credentials = try Self.applicationEncoder.encode(record.credentials)
        try await database.transaction { sql in
            try await sql.execute(
                """
                INSERT INTO account_applications (id, status, body, reference_hash, credentials, submitted_at, updated_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """,
                [.text(record.application.id), .text(record.application.status.rawValue), .text(String(decoding: body, as: UTF8.self)),
                 .text(record.referenceHash), .text(String(decoding: credentials, as: UTF8.self)), .int(record.submittedAt.millisecondsSinceEpoch),
                 .int(record.updatedAt.millisecondsSinceEpoch), .int(record.version)])
            try await Self.insertDocuments(sql, record.application.id, documents)
            // The application commits with its audit line, or neither does.
            try await insertAuditRecords(audit, sql, database.dialect)
        }
    }

    public func application(_ id: String) async throws -> AccountApplicationRecord? {
        try await database.withExecutor { sql in
            try await sql.query(Self.applicationColumns + " WHERE id = $1", [.text(id)]).first.map(Self.applicationRecord)
        }
    }

    public func applications(status: AccountApplicationStatus?, limit: Int) async throws -> [AccountApplicationRecord] {
        try await database.withExecutor { sql in
            if let status {
                return try await sql.query(
                    Self.applicationColumns + " WHERE status = $1 ORDER BY submitted_at DESC, id LIMIT $2", [.text(status.rawValue), .int(Int64(limit))]
                ).map(Self.applicationRecord)
            }
            // Waiting applications first, so decided ones (however many and however new) never
            // push a waiting one out of the listing; each group newest first.
            return try await sql.query(
                Self.applicationColumns + " ORDER BY CASE WHEN status = 'submitted' THEN 0 ELSE 1 END, submitted_at DESC, id LIMIT $1",
                [.int(Int64(limit))]
            ).map(Self.applicationRecord)
        }
    }

    public func updateApplication(
        _ record: AccountApplicationRecord, expectedVersion: Int64, documents: [StoredDocument], users: [UserRecord],
        key: IdempotencyCompletion?, audit: [AuditRecord]
    ) async throws -> Bool {
        let body = try Self.applicationEncoder.encode(record.application)
        return try await database.transaction { sql in
            let current = try await sql.query("SELECT version FROM account_applications WHERE id = $1", [.text(record.application.id)]).first
            guard let current, try current.int(0) == expectedVersion else { return false }
            try await sql.execute(
                "UPDATE account_applications SET status = $2, body = $3, updated_at = $4, version = $5 WHERE id = $1 AND version = $6",
                [.text(record.application.id), .text(record.application.status.rawValue), .text(String(decoding: body, as: UTF8.self)),
                 .int(record.updatedAt.millisecondsSinceEpoch), .int(expectedVersion + 1), .int(expectedVersion)])
            try await Self.insertDocuments(sql, record.application.id, documents)
            for user in users {
                guard try await sql.query("SELECT 1 FROM users WHERE id = $1", [.text(user.id)]).isEmpty else {
                    throw SQLStoreError.corrupt("user \(user.id) exists: the approval creates new users only")
                }
                try await sql.execute(
                    "INSERT INTO users (id, name, role, account_id, province, password_hash, totp_secret, created_at, mrv_verifier) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    [.text(user.id), .text(user.name), .text(user.role.rawValue), .text(user.account?.rawValue ?? ""), .text(user.province ?? ""),
                     .text(user.passwordHash), .text(user.totpSecret ?? ""), .int(user.createdAt.millisecondsSinceEpoch), .text(user.verifier ?? "")])
            }
            // The audit line and the API key's answer commit with the application, or none does.
            try await insertAuditRecords(audit, sql, database.dialect)
            if let key { try await completeKeyInTransaction(key, sql) }
            return true
        }
    }

    public func applicationDocument(application: String, sha256: String) async throws -> [UInt8]? {
        try await database.withExecutor { sql in
            try await sql.query(
                "SELECT bytes FROM account_application_documents WHERE application_id = $1 AND sha256 = $2", [.text(application), .text(sha256)]
            ).first.map { try $0.blob(0) }
        }
    }

    public func acceptTOTPStep(user: String, step: Int64) async throws -> Bool {
        try await database.transaction { sql in
            // One statement: the row is written only for a later step, and RETURNING says whether it was.
            try await !sql.query(
                """
                INSERT INTO totp_steps (user_id, last_step) VALUES ($1, $2)
                ON CONFLICT (user_id) DO UPDATE SET last_step = excluded.last_step WHERE totp_steps.last_step < excluded.last_step
                RETURNING last_step
                """,
                [.text(user), .int(step)]
            ).isEmpty
        }
    }

    static func insertDocuments(_ sql: any SQLExecutor, _ application: String, _ documents: [StoredDocument]) async throws {
        for stored in documents {
            try await sql.execute(
                """
                INSERT INTO account_application_documents (application_id, sha256, file_name, size, bytes) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (application_id, sha256) DO NOTHING
                """,
                [.text(application), .text(stored.document.sha256), .text(stored.document.fileName), .int(stored.document.sizeBytes), .blob(stored.bytes)])
        }
    }

    static var applicationColumns: String {
        "SELECT body, reference_hash, credentials, submitted_at, updated_at, version FROM account_applications"
    }

    static func applicationRecord(_ row: SQLRow) throws -> AccountApplicationRecord {
        let decoder = JSONDecoder()
        return AccountApplicationRecord(
            application: try decoder.decode(AccountApplication.self, from: Data(try row.text(0).utf8)), referenceHash: try row.text(1),
            credentials: try decoder.decode([ApplicantCredential].self, from: Data(try row.text(2).utf8)),
            submittedAt: Timestamp(millisecondsSinceEpoch: try row.int(3)), updatedAt: Timestamp(millisecondsSinceEpoch: try row.int(4)),
            version: try row.int(5))
    }

    static var applicationEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
