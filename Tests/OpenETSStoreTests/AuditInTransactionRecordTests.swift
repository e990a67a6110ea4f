import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Plan versions (load, publish), the cycle's carry-over record, penalty notices issued and a
/// notice's payment are stored with their audit line in one transaction, on each database: both are read back after a success, and when the
/// audit insert fails (a database wrapper that refuses `INSERT INTO audit_log`) neither is
/// stored.
@Suite("Audit lines of plans and the carry-over, written with the record")
struct AuditInTransactionRecordTests {
    @Test(arguments: Backend.all)
    func planVersionsCommitWithTheirLines(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let opened = try await Composition.openAllocationPlans(location, clock: SteppingClock())
        let log = try await Composition.openStore(location, connectionID: 3)
        let failing = SQLAllocationCycleStore(database: AuditRefusingDatabase(inner: try await Composition.openDatabase(location, connectionID: 4)))
        let plans = opened.service, refusing = AllocationPlanService(store: failing, clock: SteppingClock())
        let now = SystemClock().now()
        let note = AuditNote(at: now, user: "mee", action: "api_plan_load", address: "10.0.0.7")
        let before = try await log.audit(limit: 10_000).count

        // The audit insert fails: no draft either (the transaction rolled back).
        await #expect(throws: AuditRefused.self) { _ = try await refusing.load(AllocationPlanStoreTests.corrected, by: "mee", audit: note) }
        #expect(try await plans.versions(id: "power-2024").isEmpty)
        #expect(try await log.audit(limit: 10_000).count == before)

        // With the line: the draft and exactly one line, read back from both tables.
        let loaded = try await plans.load(AllocationPlanStoreTests.corrected, by: "mee", audit: note)
        #expect(try await plans.versions(id: "power-2024").map(\.plan.version) == [loaded.stored.plan.version])
        let loadLines = try await log.audit(limit: 10_000).filter { $0.action == "api_plan_load" }
        #expect(loadLines == [AuditRecord(at: now, user: "mee", action: "api_plan_load", detail: "accepted power-2024 v2", address: "10.0.0.7")])

        // A refusal stores nothing and writes no line here (its caller audits the refusal).
        await #expect(throws: AllocationError.self) { _ = try await plans.load(AllocationPlanStoreTests.corrected, by: "mee", audit: note) }
        #expect(try await log.audit(limit: 10_000).filter { $0.action == "api_plan_load" }.count == 1)

        // Publishing: the audit insert fails, the version stays a draft; then published with its line.
        let publish = AuditNote(at: now, user: "mee-b", action: "api_plan_publish", address: "::1")
        await #expect(throws: AuditRefused.self) { _ = try await refusing.publish(id: "power-2024", version: 2, by: "mee-b", audit: publish) }
        #expect(try await plans.versions(id: "power-2024").map(\.status) == [.draft])
        let published = try await plans.publish(id: "power-2024", version: 2, by: "mee-b", audit: publish)
        #expect(published.status == .published && published.publishedBy == "mee-b")
        #expect(try await log.audit(limit: 10_000).filter { $0.action == "api_plan_publish" }
            == [AuditRecord(at: now, user: "mee-b", action: "api_plan_publish", detail: "accepted power-2024 v2", address: "::1")])
        // Without a note (the CLI) the wrapper has nothing to refuse: the store works through it.
        var third = AllocationPlanStoreTests.corrected
        third.source = "loaded without an audit line"
        #expect(try await refusing.load(third, by: "cli", audit: nil).stored.plan.version == 3)
        #expect(try await log.audit(limit: 10_000).count == before + 2)

        try await failing.close()
        try await log.close()
        try await opened.store.close()
    }

    @Test(arguments: Backend.all)
    func carryOverRecordCommitsWithItsLine(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let opened = try await Composition.openAllocationPlans(location, clock: SteppingClock())
        let store = opened.store
        let log = try await Composition.openStore(location, connectionID: 3)
        let failing = SQLAllocationCycleStore(database: AuditRefusingDatabase(inner: try await Composition.openDatabase(location, connectionID: 4)))
        let plan = try JSONDecoder().decode(CycleStagePlan.self, from: Data(
            #"{"plan":"power-2024","year":2024,"stage":"carry_over","unit":"CEA24","steps":[],"debts":[],"entities":[],"carry_over":[]}"#.utf8))
        let now = SystemClock().now()
        let record = CycleStageRecord(plan: plan, status: .done, plannedAt: now, doneAt: now)
        let note = AuditNote(at: now, user: "mee", action: "api_cycle_stage", address: "10.0.0.8", summary: "power-2024 2024 carry_over")
        let before = try await log.audit(limit: 10_000).count

        await #expect(throws: AuditRefused.self) { _ = try await failing.saveDone(record, audit: note) }
        #expect(try await store.stage(plan: "power-2024", year: 2024, stage: .carryOver) == nil)
        #expect(try await log.audit(limit: 10_000).count == before)

        let stored = try await store.saveDone(record, audit: note)
        #expect(stored == record)
        #expect(try await store.stage(plan: "power-2024", year: 2024, stage: .carryOver) == record)
        #expect(try await log.audit(limit: 10_000).filter { $0.action == "api_cycle_stage" }
            == [AuditRecord(at: now, user: "mee", action: "api_cycle_stage", detail: "accepted power-2024 2024 carry_over", address: "10.0.0.8")])

        // Another run that finds the record stored keeps it and says so in its own line.
        var later = record
        later.plannedAt = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 60_000)
        let again = AuditNote(at: now, user: "mee-b", action: "api_cycle_stage", address: "::1", summary: "power-2024 2024 carry_over")
        #expect(try await store.saveDone(later, audit: again) == record)
        #expect(try await log.audit(limit: 1).first
            == AuditRecord(at: now, user: "mee-b", action: "api_cycle_stage", detail: "replayed power-2024 2024 carry_over", address: "::1"))
        #expect(try await log.audit(limit: 10_000).count == before + 2)

        try await failing.close()
        try await log.close()
        try await store.close()
    }

    /// A done surrender stage of power-2024 (fixed fines) with three shortfalls: E1 and E2 in
    /// SC, E3 in GD; stored directly, as the surrender stage would.
    static func surrenderWithShortfalls(_ store: any AllocationCycleStore) async throws -> AllocationPlan {
        var plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
        plan.penalty = AllocationPlan.PenaltyRegime(
            kind: .fixedRange, fixedMinCNY: ExactDecimal("20000")!, fixedMaxCNY: ExactDecimal("30000")!, deductShortfall: true, source: "test")
        var body = try JSONDecoder().decode(CycleStagePlan.self, from: Data(
            #"{"plan":"power-2024","year":2024,"stage":"surrender","unit":"CEA24","steps":[],"debts":[],"entities":[]}"#.utf8))
        body.compliance = [("ENT-000001", "SC"), ("ENT-000002", "SC"), ("ENT-000003", "GD")].map { entity, province in
            ComplianceAssessment(
                entity: AccountID(entity), province: province, verifiedT: 1_000, debtT: 0, obligationT: 1_000, ccerUsableT: 0, surrenderedT: 900,
                shortfallT: 100, netSoldT: 0, carryOverLimitT: 0, status: .shortfall, surrender: [], ineligible: [])
        }
        let now = SystemClock().now()
        _ = try await store.saveDone(CycleStageRecord(plan: body, status: .done, plannedAt: now, doneAt: now))
        return plan
    }

    /// Concurrent issuing (the nation twice and Sichuan) of one plan's notices: each call's
    /// line counts what its own transaction stored, so the lines' counts sum to the notices
    /// stored, and so do the counts the calls answer. A failing line stores no notice.
    @Test(arguments: Backend.all)
    func penaltyNoticesCountTheirOwnTransaction(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let opened = try await Composition.openAllocationCycle(location, clock: SteppingClock())
        let log = try await Composition.openStore(location, connectionID: 3)
        let failing = SQLAllocationCycleStore(database: AuditRefusingDatabase(inner: try await Composition.openDatabase(location, connectionID: 4)))
        let plan = try await Self.surrenderWithShortfalls(opened.cycleStore)
        let issuedOn = CivilDate(year: 2026, month: 1, day: 5)
        let now = SystemClock().now()
        func note(_ user: String, _ scope: String) -> AuditNote {
            AuditNote(at: now, user: user, action: "api_penalty_issue", address: "10.0.0.9", summary: "power-2024 2024 \(scope)")
        }

        // The audit insert fails: no notice is stored.
        let refusing = AllocationCycleService(registry: opened.registry, store: failing, clock: SteppingClock())
        await #expect(throws: AuditRefused.self) {
            _ = try await refusing.issuePenaltiesCounted(plan: plan, year: 2024, issuedOn: issuedOn, audit: note("mee", "CN"))
        }
        #expect(try await opened.cycleStore.notices(year: 2024).isEmpty)

        let service = opened.service
        async let a = service.issuePenaltiesCounted(plan: plan, year: 2024, issuedOn: issuedOn, audit: note("mee", "CN"))
        async let b = service.issuePenaltiesCounted(plan: plan, year: 2024, issuedOn: issuedOn, province: "SC", audit: note("sc", "SC"))
        async let c = service.issuePenaltiesCounted(plan: plan, year: 2024, issuedOn: issuedOn, audit: note("mee-b", "CN"))
        let answers = try await [a, b, c]
        let stored = try await opened.cycleStore.notices(year: 2024)
        #expect(stored.map(\.entity.rawValue) == ["ENT-000001", "ENT-000002", "ENT-000003"])
        let lines = try await log.audit(limit: 10_000).filter { $0.action == "api_penalty_issue" }
        #expect(lines.count == 3, "\(lines)")
        // `accepted power-2024 2024 CN: 3 issued` → 3.
        let counts = lines.map { line in Int(line.detail.split(separator: " ").dropLast().last ?? "") ?? -1 }
        #expect(counts.reduce(0, +) == stored.count, "\(lines.map(\.detail))")
        #expect(answers.map(\.issued).reduce(0, +) == stored.count, "\(answers.map(\.issued))")
        #expect(answers.map(\.issued).sorted() == counts.sorted())
        // A line says replayed exactly when its call stored nothing.
        #expect(lines.allSatisfy { $0.detail.hasPrefix("replayed ") == $0.detail.hasSuffix(": 0 issued") }, "\(lines.map(\.detail))")
        #expect(answers[1].notices.allSatisfy { $0.province == "SC" } && answers[1].notices.count == 2)

        try await failing.close()
        try await log.close()
        try await opened.cycleStore.close()
        try await opened.store.close()
    }

    /// A payment and its line commit together: when the audit insert fails the notice stays
    /// issued; then paid with exactly one line.
    @Test(arguments: Backend.all)
    func penaltyPaymentCommitsWithItsLine(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let opened = try await Composition.openAllocationCycle(location, clock: SteppingClock())
        let log = try await Composition.openStore(location, connectionID: 3)
        let failing = SQLAllocationCycleStore(database: AuditRefusingDatabase(inner: try await Composition.openDatabase(location, connectionID: 4)))
        let plan = try await Self.surrenderWithShortfalls(opened.cycleStore)
        _ = try await opened.service.issuePenalties(plan: plan, year: 2024, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        let id = "PN-2024-power-2024-ENT-000002"
        let now = SystemClock().now()
        let note = AuditNote(at: now, user: "sc", action: "api_penalty_paid", address: "10.0.0.10", summary: id)
        let before = try await log.audit(limit: 10_000).count

        let refusing = AllocationCycleService(registry: opened.registry, store: failing, clock: SteppingClock())
        await #expect(throws: AuditRefused.self) { _ = try await refusing.markPaid(notice: id, year: 2024, audit: note) }
        #expect(try await opened.cycleStore.notices(year: 2024).first { $0.id == id }?.status == .issued)
        #expect(try await log.audit(limit: 10_000).count == before)

        let paid = try await opened.service.markPaid(notice: id, year: 2024, audit: note)
        #expect(paid.status == .paid)
        #expect(try await opened.cycleStore.notices(year: 2024).first { $0.id == id }?.status == .paid)
        #expect(try await log.audit(limit: 10_000).filter { $0.action == "api_penalty_paid" }
            == [AuditRecord(at: now, user: "sc", action: "api_penalty_paid", detail: "accepted \(id)", address: "10.0.0.10")])
        // Paid again: refused, and no line from the store (its caller audits the refusal).
        await #expect(throws: AllocationError.self) { _ = try await opened.service.markPaid(notice: id, year: 2024, audit: note) }
        #expect(try await log.audit(limit: 10_000).count == before + 1)

        try await failing.close()
        try await log.close()
        try await opened.cycleStore.close()
        try await opened.store.close()
    }
}

struct AuditRefused: Error {}

/// A database whose transactions refuse any insert into `audit_log` (by throwing, so the
/// transaction rolls back); everything else goes to `inner`.
struct AuditRefusingDatabase: SQLDatabase {
    let inner: any SQLDatabase

    var dialect: SQLDialect { inner.dialect }

    func transaction<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await inner.transaction { sql in try await body(Executor(inner: sql)) }
    }

    func withExecutor<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await inner.withExecutor { sql in try await body(Executor(inner: sql)) }
    }

    func close() async throws { try await inner.close() }

    struct Executor: SQLExecutor {
        let inner: any SQLExecutor

        static func check(_ sql: String) throws {
            if sql.contains("INSERT INTO audit_log") { throw AuditRefused() }
        }

        func execute(_ sql: String, _ binds: [SQLValue]) async throws {
            try Self.check(sql)
            try await inner.execute(sql, binds)
        }

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try Self.check(sql)
            return try await inner.query(sql, binds)
        }

        func executeRows(prefix: String, width: Int, suffix: String, rows: [[SQLValue]]) async throws {
            try Self.check(prefix)
            try await inner.executeRows(prefix: prefix, width: width, suffix: suffix, rows: rows)
        }
    }
}
