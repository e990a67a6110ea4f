import Foundation
import OpenETSApplication
import OpenETSDomain

/// The allocation cycle's records on any `SQLDatabase`: `allocation_cycle_stages` and
/// `allocation_cycle_debts` of migration 8, the same SQL on SQLite and PostgreSQL.
public struct SQLAllocationCycleStore<Database: SQLDatabase>: AllocationCycleStore {
    public let database: Database

    public init(database: Database) { self.database = database }

    public func migrate() async throws { try await SQLLedgerStore(database: database).migrate() }

    public func stage(plan: String, year: Int, stage: CycleStage) async throws -> CycleStageRecord? {
        try await database.withExecutor { sql in try await readStage(sql, plan: plan, year: year, stage: stage) }
    }

    public func savePlanned(_ record: CycleStageRecord) async throws -> CycleStageRecord {
        let plan = record.plan
        let body = try String(decoding: Self.encoder.encode(plan), as: UTF8.self)
        return try await database.transaction { sql in
            try await sql.execute(
                """
                INSERT INTO allocation_cycle_stages (plan_id, year, stage, status, body, planned_at, done_at)
                VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (plan_id, year, stage) DO NOTHING
                """,
                [.text(plan.planID), .int(Int64(plan.year)), .text(plan.stage.rawValue), .text(CycleStageRecord.Status.planned.rawValue),
                 .text(body), .int(record.plannedAt.millisecondsSinceEpoch)])
            guard let stored = try await readStage(sql, plan: plan.planID, year: plan.year, stage: plan.stage) else {
                throw SQLStoreError.corrupt("allocation_cycle_stages: the row just written is missing")
            }
            return stored
        }
    }

    public func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], at: Timestamp) async throws {
        try await database.transaction { sql in
            try await sql.execute(
                "UPDATE allocation_cycle_stages SET status = $1, done_at = $2 WHERE plan_id = $3 AND year = $4 AND stage = $5 AND status = $6",
                [.text(CycleStageRecord.Status.done.rawValue), .int(at.millisecondsSinceEpoch), .text(plan), .int(Int64(year)),
                 .text(stage.rawValue), .text(CycleStageRecord.Status.planned.rawValue)])
            for debt in debts {
                try await sql.execute(
                    """
                    INSERT INTO allocation_cycle_debts (plan_id, year, entity, unit, quantity_t, reason, settlement)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, year, entity) DO NOTHING
                    """,
                    [.text(plan), .int(Int64(debt.year)), .text(debt.entity.rawValue), .text(debt.unit.rawValue), .int(debt.quantityT),
                     .text(debt.reason), .text(debt.settlement.rawValue)])
            }
        }
    }

    public func debts(year: Int) async throws -> [CycleDebt] {
        try await database.withExecutor { sql in
            try await sql.query(
                "SELECT entity, year, unit, quantity_t, reason, settlement FROM allocation_cycle_debts WHERE year = $1 ORDER BY entity, plan_id",
                [.int(Int64(year))]
            ).map { row in
                guard let settlement = AllocationPlan.TrueUpDebt(rawValue: try row.text(5)) else {
                    throw SQLStoreError.corrupt("allocation_cycle_debts: settlement \(try row.text(5))")
                }
                return CycleDebt(
                    entity: AccountID(try row.text(0)), year: Int(try row.int(1)), unit: UnitTypeCode(try row.text(2)),
                    quantityT: try row.int(3), reason: try row.text(4), settlement: settlement)
            }
        }
    }

    public func close() async throws { try await database.close() }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

private func readStage(_ sql: any SQLExecutor, plan: String, year: Int, stage: CycleStage) async throws -> CycleStageRecord? {
    let rows = try await sql.query(
        "SELECT status, body, planned_at, done_at FROM allocation_cycle_stages WHERE plan_id = $1 AND year = $2 AND stage = $3",
        [.text(plan), .int(Int64(year)), .text(stage.rawValue)])
    guard let row = rows.first else { return nil }
    guard let status = CycleStageRecord.Status(rawValue: try row.text(0)) else {
        throw SQLStoreError.corrupt("allocation_cycle_stages: status \(try row.text(0))")
    }
    let body = try JSONDecoder().decode(CycleStagePlan.self, from: Data(try row.text(1).utf8))
    let doneAt = row.values[3] == .null ? nil : Timestamp(millisecondsSinceEpoch: try row.int(3))
    return CycleStageRecord(plan: body, status: status, plannedAt: Timestamp(millisecondsSinceEpoch: try row.int(2)), doneAt: doneAt)
}
