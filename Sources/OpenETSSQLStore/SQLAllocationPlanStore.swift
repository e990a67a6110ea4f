import Foundation
import OpenETSApplication
import OpenETSDomain

/// The plan versions of migration 14 (`allocation_plans`), the same SQL on SQLite and
/// PostgreSQL. A row's body is never updated; only the status moves, guarded by its current
/// value, so a published version cannot change.
extension SQLAllocationCycleStore {
    public func planVersions(id: String) async throws -> [StoredAllocationPlan] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(planColumns) FROM allocation_plans WHERE plan_id = $1 ORDER BY version", [.text(id)])
                .map(storedPlan(from:))
        }
    }

    public func allPlanVersions() async throws -> [StoredAllocationPlan] {
        try await database.withExecutor { sql in
            try await sql.query("SELECT \(planColumns) FROM allocation_plans ORDER BY plan_id, version", []).map(storedPlan(from:))
        }
    }

    public func insertPlanDraft(_ stored: StoredAllocationPlan, audit: AuditRecord?, key: IdempotencyCompletion?) async throws -> Bool {
        precondition(stored.status == .draft, "a plan version is stored as a draft")
        let plan = stored.plan
        return try await database.transaction { sql in
            let existing = try await sql.query(
                "SELECT 1 FROM allocation_plans WHERE plan_id = $1 AND version = $2", [.text(plan.id), .int(Int64(plan.version))])
            guard existing.isEmpty else { return false }
            try await sql.execute(
                """
                INSERT INTO allocation_plans (plan_id, version, year, sector, plan_type, status, body, sha256, loaded_by, loaded_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """,
                [.text(plan.id), .int(Int64(plan.version)), .int(Int64(plan.year)), .text(plan.sector), .text(plan.method.rawValue),
                 .text(stored.status.rawValue), .text(stored.body), .text(stored.sha256), .text(stored.loadedBy),
                 .int(stored.loadedAt.millisecondsSinceEpoch)])
            // The line and the API key's answer commit with the draft, or none does.
            if let audit { try await insertAuditRecords([audit], sql, database.dialect) }
            if let key { try await completeKeyInTransaction(key, sql) }
            return true
        }
    }

    public func publishPlan(
        id: String, version: Int, by: String, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?
    ) async throws -> Bool {
        try await database.transaction { sql in
            let rows = try await sql.query(
                "SELECT status FROM allocation_plans WHERE plan_id = $1 AND version = $2", [.text(id), .int(Int64(version))])
            guard let row = rows.first, try row.text(0) == StoredAllocationPlan.Status.draft.rawValue else { return false }
            try await sql.execute(
                "UPDATE allocation_plans SET status = 'superseded', superseded_at = $1 WHERE plan_id = $2 AND status = 'published'",
                [.int(at.millisecondsSinceEpoch), .text(id)])
            try await sql.execute(
                """
                UPDATE allocation_plans SET status = 'published', published_by = $1, published_at = $2
                WHERE plan_id = $3 AND version = $4 AND status = 'draft'
                """,
                [.text(by), .int(at.millisecondsSinceEpoch), .text(id), .int(Int64(version))])
            if let audit { try await insertAuditRecords([audit], sql, database.dialect) }
            if let key { try await completeKeyInTransaction(key, sql) }
            return true
        }
    }
}

private let planColumns =
    "plan_id, version, status, body, sha256, loaded_by, loaded_at, published_by, published_at, superseded_at"

private func storedPlan(from row: SQLRow) throws -> StoredAllocationPlan {
    guard let status = StoredAllocationPlan.Status(rawValue: try row.text(2)) else {
        throw SQLStoreError.corrupt("allocation_plans: status \(try row.text(2))")
    }
    let body = try row.text(3)
    guard AllocationPlanCodec.sha256(body) == (try row.text(4)) else {
        throw SQLStoreError.corrupt("allocation_plans: \(try row.text(0)) v\(try row.int(1)) does not match its SHA-256")
    }
    let plan = try JSONDecoder().decode(AllocationPlan.self, from: Data(body.utf8))
    guard plan.id == (try row.text(0)), plan.version == Int(try row.int(1)) else {
        throw SQLStoreError.corrupt("allocation_plans: \(try row.text(0)) v\(try row.int(1)) holds the body of \(plan.id) v\(plan.version)")
    }
    func optionalTime(_ index: Int) throws -> Timestamp? {
        row.values[index] == .null ? nil : Timestamp(millisecondsSinceEpoch: try row.int(index))
    }
    return StoredAllocationPlan(
        plan: plan, status: status, body: body, sha256: try row.text(4), loadedBy: try row.text(5),
        loadedAt: Timestamp(millisecondsSinceEpoch: try row.int(6)), publishedBy: row.values[7] == .null ? nil : try row.text(7),
        publishedAt: try optionalTime(8), supersededAt: try optionalTime(9))
}
