import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Plan versions (load, publish) and the cycle's carry-over record are stored with their audit
/// line in one transaction, on each database: both are read back after a success, and when the
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
