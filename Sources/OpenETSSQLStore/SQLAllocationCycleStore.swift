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

    public func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], body: CycleStagePlan?, at: Timestamp) async throws {
        let text = try body.map { try String(decoding: Self.encoder.encode($0), as: UTF8.self) }
        try await database.transaction { sql in
            if let text {
                try await sql.execute(
                    "UPDATE allocation_cycle_stages SET body = $1 WHERE plan_id = $2 AND year = $3 AND stage = $4 AND status = $5",
                    [.text(text), .text(plan), .int(Int64(year)), .text(stage.rawValue), .text(CycleStageRecord.Status.planned.rawValue)])
            }
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

    public func doneStages(_ stage: CycleStage) async throws -> [CycleStageRecord] {
        try await database.withExecutor { sql in
            try await sql.query(
                """
                SELECT status, body, planned_at, done_at FROM allocation_cycle_stages WHERE stage = $1 AND status = $2
                ORDER BY year, plan_id
                """,
                [.text(stage.rawValue), .text(CycleStageRecord.Status.done.rawValue)]
            ).map(stageRecord)
        }
    }

    public func saveDone(_ record: CycleStageRecord, audit: AuditNote?) async throws -> CycleStageRecord {
        let plan = record.plan
        let body = try String(decoding: Self.encoder.encode(plan), as: UTF8.self)
        let doneAt = record.doneAt ?? record.plannedAt
        return try await database.transaction { sql in
            // RETURNING says whether this call stored the row (or kept another's).
            let inserted = try await sql.query(
                """
                INSERT INTO allocation_cycle_stages (plan_id, year, stage, status, body, planned_at, done_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, year, stage) DO NOTHING RETURNING stage
                """,
                [.text(plan.planID), .int(Int64(plan.year)), .text(plan.stage.rawValue), .text(CycleStageRecord.Status.done.rawValue),
                 .text(body), .int(record.plannedAt.millisecondsSinceEpoch), .int(doneAt.millisecondsSinceEpoch)])
            if let audit { try await insertAuditRecords([audit.record(stored: !inserted.isEmpty)], sql, database.dialect) }
            guard let stored = try await readStage(sql, plan: plan.planID, year: plan.year, stage: plan.stage) else {
                throw SQLStoreError.corrupt("allocation_cycle_stages: the row just written is missing")
            }
            return stored
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

    public func saveNotices(
        _ notices: [PenaltyNotice], year: Int, at: Timestamp, audit: AuditNote?,
        key: ((_ issued: Int, _ yearNotices: [PenaltyNotice]) throws -> IdempotencyCompletion)?
    ) async throws -> (issued: Int, yearNotices: [PenaltyNotice]) {
        try await database.transaction { sql in
            // RETURNING says whether this transaction stored the notice (or kept one stored before).
            var issued = 0
            for n in notices {
                let inserted = try await sql.query(
                    """
                    INSERT INTO compliance_penalty_notices (id, plan_id, year, entity, province, regime, shortfall_t, average_price_fen,
                        min_fen, max_fen, amount_fen, deduction_t, status, issued_on, updated_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING RETURNING id
                    """,
                    [.text(n.id), .text(n.planID), .int(Int64(n.year)), .text(n.entity.rawValue), .text(n.province), .text(n.regime.rawValue),
                     .int(n.shortfallT), n.averagePriceFen.map { .int($0) } ?? .null, .int(n.minFen), .int(n.maxFen), .int(n.amountFen),
                     .int(n.deductionT), .text(n.status.rawValue), .text(n.issuedOn.description), .int(at.millisecondsSinceEpoch)])
                issued += inserted.count
            }
            if let audit { try await insertAuditRecords([audit.noticesIssued(issued, of: notices.count)], sql, database.dialect) }
            // The notices as this transaction leaves them: the answer, stored with the key.
            let stored = try await readNotices(sql, year: year)
            if let key { try await completeKeyInTransaction(try key(issued, stored), sql) }
            return (issued, stored)
        }
    }

    public func notices(year: Int) async throws -> [PenaltyNotice] {
        try await database.withExecutor { sql in try await readNotices(sql, year: year) }
    }

    public func setNoticeStatus(
        id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?
    ) async throws -> Bool {
        try await database.transaction { sql in
            // RETURNING says whether this transaction moved the notice (a concurrent move wins once).
            let moved = try await sql.query(
                "UPDATE compliance_penalty_notices SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING id",
                [.text(to.rawValue), .int(at.millisecondsSinceEpoch), .text(id), .text(from.rawValue)])
            guard !moved.isEmpty else { return false }
            if let audit { try await insertAuditRecords([audit], sql, database.dialect) }
            if let key { try await completeKeyInTransaction(key, sql) }
            return true
        }
    }

    public func close() async throws { try await database.close() }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

private func readNotices(_ sql: any SQLExecutor, year: Int) async throws -> [PenaltyNotice] {
    try await sql.query(
        """
        SELECT id, plan_id, year, entity, province, regime, shortfall_t, average_price_fen, min_fen, max_fen, amount_fen,
            deduction_t, status, issued_on FROM compliance_penalty_notices WHERE year = $1 ORDER BY entity, plan_id
        """,
        [.int(Int64(year))]
    ).map { row in
        guard let regime = AllocationPlan.PenaltyRegime.Kind(rawValue: try row.text(5)),
            let status = PenaltyNotice.Status(rawValue: try row.text(12)), let issued = CivilDate(try row.text(13))
        else { throw SQLStoreError.corrupt("compliance_penalty_notices: row \(try row.text(0))") }
        return PenaltyNotice(
            id: try row.text(0), planID: try row.text(1), year: Int(try row.int(2)), entity: AccountID(try row.text(3)),
            province: try row.text(4), regime: regime, shortfallT: try row.int(6),
            averagePriceFen: row.values[7] == .null ? nil : try row.int(7), minFen: try row.int(8), maxFen: try row.int(9),
            amountFen: try row.int(10), deductionT: try row.int(11), status: status, issuedOn: issued)
    }
}

private func readStage(_ sql: any SQLExecutor, plan: String, year: Int, stage: CycleStage) async throws -> CycleStageRecord? {
    let rows = try await sql.query(
        "SELECT status, body, planned_at, done_at FROM allocation_cycle_stages WHERE plan_id = $1 AND year = $2 AND stage = $3",
        [.text(plan), .int(Int64(year)), .text(stage.rawValue)])
    guard let row = rows.first else { return nil }
    return try stageRecord(row)
}

private func stageRecord(_ row: SQLRow) throws -> CycleStageRecord {
    guard let status = CycleStageRecord.Status(rawValue: try row.text(0)) else {
        throw SQLStoreError.corrupt("allocation_cycle_stages: status \(try row.text(0))")
    }
    let body = try JSONDecoder().decode(CycleStagePlan.self, from: Data(try row.text(1).utf8))
    let doneAt = row.values[3] == .null ? nil : Timestamp(millisecondsSinceEpoch: try row.int(3))
    return CycleStageRecord(plan: body, status: status, plannedAt: Timestamp(millisecondsSinceEpoch: try row.int(2)), doneAt: doneAt)
}
