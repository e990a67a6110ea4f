import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// The API's Idempotency-Key completed in the write's own transaction (migration 24,
/// `IdempotencyCompletion`; docs/api.md "Idempotency"), on each database, for plan load and
/// publish: a write that commits leaves its key completed with its answer although no step
/// after it runs (the store path is called directly, as a server that stopped right after the
/// write leaves it); a fault injected after the write's statements (a trigger refusing the
/// key's UPDATE) rolls the write and its audit line back and leaves the key in progress; a key
/// the request does not hold (never claimed, another request's) stores nothing.
@Suite("Idempotency-Keys completed in the write's transaction, on each database")
struct IdempotencyInWriteTests {
    struct World {
        let ledger: any LedgerStore
        let cycleStore: any AllocationCycleStore
        let plans: AllocationPlanService
        let database: any SQLDatabase

        func close() async throws {
            try await cycleStore.close()
            try await ledger.close()
            try await database.close()
        }

        func claim(_ scope: IdempotencyScope, _ hash: String) async throws -> IdempotencyClaim {
            try await ledger.claimIdempotencyKey(scope, requestSHA256: hash, at: SystemClock().now(), expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
        }

        func lines(_ action: String) async throws -> [String] {
            try await ledger.audit(limit: 1_000).filter { $0.action == action }.map(\.detail)
        }

        func failKeyUpdates() async throws { try await IdempotencyInWriteTests.failKeyUpdates(database) }
        func mendKeyUpdates() async throws { try await IdempotencyInWriteTests.mendKeyUpdates(database) }
    }

    /// Makes every UPDATE of `api_idempotency` fail: a fault after the write's statements,
    /// inside its transaction.
    static func failKeyUpdates(_ database: any SQLDatabase) async throws {
        try await database.transaction { sql in
            switch database.dialect {
            case .sqlite:
                try await sql.execute(
                    "CREATE TRIGGER fail_key BEFORE UPDATE ON api_idempotency BEGIN SELECT RAISE(ABORT, 'injected fault'); END", [])
            case .postgres:
                try await sql.execute(
                    "CREATE FUNCTION fail_key() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'injected fault'; END $f$", [])
                try await sql.execute("CREATE TRIGGER fail_key BEFORE UPDATE ON api_idempotency FOR EACH ROW EXECUTE FUNCTION fail_key()", [])
            }
        }
    }

    static func mendKeyUpdates(_ database: any SQLDatabase) async throws {
        try await database.transaction { sql in
            switch database.dialect {
            case .sqlite: try await sql.execute("DROP TRIGGER fail_key", [])
            case .postgres:
                try await sql.execute("DROP TRIGGER fail_key ON api_idempotency", [])
                try await sql.execute("DROP FUNCTION fail_key()", [])
            }
        }
    }

    static func world(_ backend: Backend, _ name: String = #function) async throws -> World {
        let location = try backend.freshLocation(name)
        let ledger = try await Composition.openStore(location)
        let plans = try await Composition.openAllocationPlans(location, clock: SteppingClock(), connectionID: 2)
        return World(ledger: ledger, cycleStore: plans.store, plans: plans.service, database: try await Composition.openDatabase(location, connectionID: 3))
    }

    static let hash = String(repeating: "a", count: 64)

    static func completion(_ scope: IdempotencyScope, _ answer: String, hash: String = hash) -> IdempotencyCompletion {
        IdempotencyCompletion(scope: scope, requestSHA256: hash, response: StoredAPIResponse(status: 201, body: answer))
    }

    static func note(_ action: String) -> AuditNote { AuditNote(at: SystemClock().now(), user: "mee", action: action, address: "test") }

    @Test(arguments: Backend.all)
    func aLoadCommitsItsKeyWithTheDraft(_ backend: Backend) async throws {
        let world = try await Self.world(backend)
        let plans = world.plans
        let scope = IdempotencyScope(user: "mee", operation: "loadAllocationPlan", key: "k1")

        // Claimed, then the store path alone: the key is completed with the answer although no
        // handler step follows the write.
        #expect(try await world.claim(scope, Self.hash) == .claimed)
        let loaded = try await plans.load(AllocationPlanStoreTests.corrected, by: "mee", audit: Self.note("api_plan_load")) {
            Self.completion(scope, "draft v\($0.stored.plan.version)")
        }
        #expect(loaded.stored.plan.version == 2)
        #expect(try await world.claim(scope, Self.hash) == .completed(StoredAPIResponse(status: 201, body: "draft v2")))
        #expect(try await world.lines("api_plan_load") == ["accepted power-2024 v2"])

        // A fault after the draft's statements, in its transaction: no draft, no line, the key
        // still in progress (a retry is 409, nothing was done).
        var third = AllocationPlanStoreTests.corrected
        third.gasCap = false
        let faulted = IdempotencyScope(user: "mee", operation: "loadAllocationPlan", key: "k2")
        #expect(try await world.claim(faulted, Self.hash) == .claimed)
        try await world.failKeyUpdates()
        await #expect(throws: (any Error).self) {
            _ = try await plans.load(third, by: "mee", audit: Self.note("api_plan_load")) { _ in Self.completion(faulted, "draft v3") }
        }
        #expect(try await plans.versions(id: "power-2024").map(\.plan.version) == [2])
        #expect(try await world.lines("api_plan_load") == ["accepted power-2024 v2"])
        #expect(try await world.claim(faulted, Self.hash) == .inProgress)
        try await world.mendKeyUpdates()

        // A key the request does not hold: never claimed, or claimed for another request.
        // IdempotencyKeyNotHeld, and the draft and its line rolled back with it.
        let unclaimed = IdempotencyScope(user: "mee", operation: "loadAllocationPlan", key: "k3")
        await #expect(throws: IdempotencyKeyNotHeld(scope: unclaimed)) {
            _ = try await plans.load(third, by: "mee", audit: Self.note("api_plan_load")) { _ in Self.completion(unclaimed, "draft v3") }
        }
        await #expect(throws: IdempotencyKeyNotHeld(scope: faulted)) {
            _ = try await plans.load(third, by: "mee", audit: Self.note("api_plan_load")) { _ in
                Self.completion(faulted, "draft v3", hash: String(repeating: "b", count: 64))
            }
        }
        #expect(try await plans.versions(id: "power-2024").map(\.plan.version) == [2])
        #expect(try await world.lines("api_plan_load") == ["accepted power-2024 v2"])
        // The unclaimed key stayed unclaimed (no row was made for it).
        #expect(try await world.claim(unclaimed, Self.hash) == .claimed)
        let v3 = try await plans.load(third, by: "mee", audit: Self.note("api_plan_load")) { _ in Self.completion(unclaimed, "draft v3") }
        #expect(v3.stored.plan.version == 3)
        #expect(try await world.claim(unclaimed, Self.hash) == .completed(StoredAPIResponse(status: 201, body: "draft v3")))
        try await world.close()
    }

    @Test(arguments: Backend.all)
    func aPublicationCommitsItsKeyWithIt(_ backend: Backend) async throws {
        let world = try await Self.world(backend)
        let plans = world.plans
        _ = try await plans.load(AllocationPlanStoreTests.corrected, by: "mee")
        var third = AllocationPlanStoreTests.corrected
        third.gasCap = false
        _ = try await plans.load(third, by: "mee")

        // A fault after the publication's statements: v2 stays a draft, no line, key in progress.
        let faulted = IdempotencyScope(user: "mee", operation: "publishAllocationPlan", key: "p1")
        #expect(try await world.claim(faulted, Self.hash) == .claimed)
        try await world.failKeyUpdates()
        await #expect(throws: (any Error).self) {
            _ = try await plans.publish(id: "power-2024", version: 2, by: "mee", audit: Self.note("api_plan_publish")) { _ in
                Self.completion(faulted, "published v2")
            }
        }
        #expect(try await plans.versions(id: "power-2024").map(\.status) == [.draft, .draft])
        #expect(try await world.lines("api_plan_publish").isEmpty)
        #expect(try await world.claim(faulted, Self.hash) == .inProgress)
        try await world.mendKeyUpdates()

        // An unheld key: nothing published.
        let unclaimed = IdempotencyScope(user: "mee", operation: "publishAllocationPlan", key: "p2")
        await #expect(throws: IdempotencyKeyNotHeld(scope: unclaimed)) {
            _ = try await plans.publish(id: "power-2024", version: 2, by: "mee", audit: Self.note("api_plan_publish")) { _ in
                Self.completion(unclaimed, "published v2")
            }
        }
        #expect(try await plans.versions(id: "power-2024").map(\.status) == [.draft, .draft])

        // Claimed, then the store path alone: published, the line and the key's answer with it;
        // the answer is made of the version as the transaction leaves it.
        #expect(try await world.claim(unclaimed, Self.hash) == .claimed)
        let published = try await plans.publish(id: "power-2024", version: 2, by: "mee", audit: Self.note("api_plan_publish")) {
            Self.completion(unclaimed, "\($0.status.rawValue) v\($0.plan.version) by \($0.publishedBy ?? "-")")
        }
        #expect(try await world.claim(unclaimed, Self.hash) == .completed(StoredAPIResponse(status: 201, body: "published v2 by mee")))
        #expect(try await world.lines("api_plan_publish") == ["accepted power-2024 v2"])
        let stored = try #require(try await plans.version(id: "power-2024", version: 2))
        #expect(stored == published, "the answer is the version as stored")
        try await world.close()
    }

    static func notice(_ entity: String, _ province: String) -> PenaltyNotice {
        PenaltyNotice(
            id: CompliancePenalties.noticeID(plan: "power-2024", year: 2024, entity: AccountID(entity)), planID: "power-2024", year: 2024,
            entity: AccountID(entity), province: province, regime: .priceMultiple, shortfallT: 10, averagePriceFen: 10_000, minFen: 500_000,
            maxFen: 1_000_000, amountFen: 600_000, deductionT: 10, status: .issued, issuedOn: CivilDate(year: 2025, month: 1, day: 5))
    }

    /// Penalty notices issued (`saveNotices`) and paid (`setNoticeStatus`) with their key: the
    /// answer is made of what the transaction left and stored with it; a fault after the
    /// write's statements stores nothing and keeps the key in progress.
    @Test(arguments: Backend.all)
    func penaltyNoticesCommitTheirKeyWithThem(_ backend: Backend) async throws {
        let world = try await Self.world(backend)
        let cycle = world.cycleStore
        let (sc1, sc2, gd) = (Self.notice("ENT-000001", "SC"), Self.notice("ENT-000002", "SC"), Self.notice("ENT-000003", "GD"))
        func statuses() async throws -> [String: PenaltyNotice.Status] {
            Dictionary(uniqueKeysWithValues: try await cycle.notices(year: 2024).map { ($0.id, $0.status) })
        }
        func answer(_ issued: Int, _ notices: [PenaltyNotice]) -> String {
            "\(issued) issued: " + notices.map { "\($0.entity.rawValue) \($0.status.rawValue)" }.joined(separator: ", ")
        }

        // GD was issued before; SC's two now, with the key: the answer names the year's three
        // notices as the transaction left them and the count it stored.
        _ = try await cycle.saveNotices([gd], at: SystemClock().now())
        let issue = IdempotencyScope(user: "sc", operation: "issuePenaltyNotices", key: "i1")
        #expect(try await world.claim(issue, Self.hash) == .claimed)
        let saved = try await cycle.saveNotices([sc1, sc2], year: 2024, at: SystemClock().now(), audit: Self.note("api_penalty_issue")) {
            Self.completion(issue, answer($0, $1))
        }
        #expect(saved.issued == 2 && saved.yearNotices.count == 3)
        let expected = "2 issued: ENT-000001 issued, ENT-000002 issued, ENT-000003 issued"
        #expect(try await world.claim(issue, Self.hash) == .completed(StoredAPIResponse(status: 201, body: expected)))
        #expect(try await world.lines("api_penalty_issue").count == 1)

        // Paid with the key: the notice moves and the key completes in one transaction.
        let pay = IdempotencyScope(user: "sc", operation: "markPenaltyPaid", key: "p1")
        #expect(try await world.claim(pay, Self.hash) == .claimed)
        let paidLine = AuditRecord(at: SystemClock().now(), user: "sc", action: "api_penalty_paid", detail: "accepted \(sc1.id)", address: "test")
        #expect(try await cycle.setNoticeStatus(
            id: sc1.id, from: .issued, to: .paid, at: SystemClock().now(), audit: paidLine, key: Self.completion(pay, "paid \(sc1.id)")))
        #expect(try await world.claim(pay, Self.hash) == .completed(StoredAPIResponse(status: 201, body: "paid \(sc1.id)")))
        // A move that does not happen (paid already) completes nothing: the key stays in progress.
        let again = IdempotencyScope(user: "sc", operation: "markPenaltyPaid", key: "p2")
        #expect(try await world.claim(again, Self.hash) == .claimed)
        #expect(try await cycle.setNoticeStatus(
            id: sc1.id, from: .issued, to: .paid, at: SystemClock().now(), audit: paidLine, key: Self.completion(again, "paid")) == false)
        #expect(try await world.claim(again, Self.hash) == .inProgress)

        // Faults after the write's statements: nothing paid, nothing issued, no line, keys in progress.
        try await world.failKeyUpdates()
        let faultedPay = IdempotencyScope(user: "sc", operation: "markPenaltyPaid", key: "p3")
        #expect(try await world.claim(faultedPay, Self.hash) == .claimed)
        await #expect(throws: (any Error).self) {
            _ = try await cycle.setNoticeStatus(
                id: sc2.id, from: .issued, to: .paid, at: SystemClock().now(), audit: paidLine, key: Self.completion(faultedPay, "paid"))
        }
        let faultedIssue = IdempotencyScope(user: "gd", operation: "issuePenaltyNotices", key: "i2")
        #expect(try await world.claim(faultedIssue, Self.hash) == .claimed)
        let gd2 = Self.notice("ENT-000009", "GD")
        await #expect(throws: (any Error).self) {
            _ = try await cycle.saveNotices([gd2], year: 2024, at: SystemClock().now(), audit: Self.note("api_penalty_issue")) {
                Self.completion(faultedIssue, answer($0, $1))
            }
        }
        try await world.mendKeyUpdates()
        #expect(try await statuses() == [sc1.id: .paid, sc2.id: .issued, gd.id: .issued])
        #expect(try await world.lines("api_penalty_issue").count == 1)
        #expect(try await world.lines("api_penalty_paid").count == 1)
        #expect(try await world.claim(faultedPay, Self.hash) == .inProgress)
        #expect(try await world.claim(faultedIssue, Self.hash) == .inProgress)

        // A key the request does not hold: IdempotencyKeyNotHeld, nothing stored.
        let unclaimed = IdempotencyScope(user: "gd", operation: "issuePenaltyNotices", key: "i3")
        await #expect(throws: IdempotencyKeyNotHeld(scope: unclaimed)) {
            _ = try await cycle.saveNotices([gd2], year: 2024, at: SystemClock().now(), audit: nil) { Self.completion(unclaimed, answer($0, $1)) }
        }
        await #expect(throws: IdempotencyKeyNotHeld(scope: unclaimed)) {
            _ = try await cycle.setNoticeStatus(
                id: sc2.id, from: .issued, to: .paid, at: SystemClock().now(), audit: nil, key: Self.completion(unclaimed, "paid"))
        }
        #expect(try await statuses() == [sc1.id: .paid, sc2.id: .issued, gd.id: .issued])
        try await world.close()
    }

    /// An application decided (returned, rejected, approved) and resubmitted with its key: the
    /// key's answer commits with the application's new version (an approval's last step, with
    /// its users); a fault after the write's statements leaves the application as it was.
    @Test(arguments: Backend.all)
    func applicationDecisionsCommitTheirKeyWithThem(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let database = try await Composition.openDatabase(h.location, connectionID: 3)
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let now = SystemClock().now()
        let submitted = try await opening.apply(AccountOpeningServiceTests.institution(), by: nil, at: now).get()
        let id = submitted.application.id
        func claim(_ scope: IdempotencyScope) async throws -> IdempotencyClaim {
            try await h.store.claimIdempotencyKey(scope, requestSHA256: Self.hash, at: now, expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
        }
        func status() async throws -> AccountApplicationStatus? { try await h.store.application(id)?.application.status }
        func answer(_ scope: IdempotencyScope) -> ApplicationKeyCompletion {
            { Self.completion(scope, "\($0.id) \($0.status.rawValue)") }
        }

        let returned = IdempotencyScope(user: "ro", operation: "decideAccountApplication", key: "d1")
        #expect(try await claim(returned) == .claimed)
        #expect(try await opening.decide(id, .returnForCorrection(reason: "scan unreadable"), by: "ro", at: now, key: answer(returned)).get().status == .returned)
        #expect(try await claim(returned) == .completed(StoredAPIResponse(status: 201, body: "\(id) returned")))

        let resubmitted = IdempotencyScope(user: "applicant:\(id)", operation: "resubmitAccountApplication", key: "r1")
        #expect(try await claim(resubmitted) == .claimed)
        _ = try await opening.resubmit(
            id: id, reference: submitted.reference, AccountOpeningServiceTests.institution(), at: now, key: answer(resubmitted)).get()
        #expect(try await claim(resubmitted) == .completed(StoredAPIResponse(status: 201, body: "\(id) submitted")))

        // A fault after the rejection's statements: still submitted, the key in progress.
        let rejected = IdempotencyScope(user: "ro", operation: "decideAccountApplication", key: "d2")
        #expect(try await claim(rejected) == .claimed)
        try await Self.failKeyUpdates(database)
        await #expect(throws: (any Error).self) {
            _ = try await opening.decide(id, .reject(reason: "no"), by: "ro", at: now, key: answer(rejected))
        }
        try await Self.mendKeyUpdates(database)
        #expect(try await status() == .submitted)
        #expect(try await claim(rejected) == .inProgress)
        // An unheld key: nothing decided.
        let unclaimed = IdempotencyScope(user: "ro", operation: "decideAccountApplication", key: "d3")
        await #expect(throws: IdempotencyKeyNotHeld(scope: unclaimed)) {
            _ = try await opening.decide(id, .reject(reason: "no"), by: "ro", at: now, key: answer(unclaimed))
        }
        #expect(try await status() == .submitted)

        // Approved with the key: the application, its user and the key's answer together.
        #expect(try await claim(unclaimed) == .claimed)
        #expect(try await opening.decide(id, .approve, by: "ro", at: now, key: answer(unclaimed)).get().status == .approved)
        #expect(try await claim(unclaimed) == .completed(StoredAPIResponse(status: 201, body: "\(id) approved")))
        #expect(try await h.store.user("fund.a") != nil)
        try await database.close()
        try await h.store.close()
    }

    /// An MRV policy version published with its key: the answer (made of the version as
    /// stored) commits in the MRV writer's transaction with the version and its audit line.
    @Test(arguments: Backend.all)
    func anMRVPolicyPublicationCommitsItsKeyWithIt(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let ledger = try await Composition.openStore(location)
        let mrv = try await Composition.openMRV(location, clock: SteppingClock(), connectionID: 2)
        let database = try await Composition.openDatabase(location, connectionID: 3)
        let tables = MRVPolicyServiceTests.withGridFactor2022("0.6")
        func claim(_ scope: IdempotencyScope) async throws -> IdempotencyClaim {
            try await ledger.claimIdempotencyKey(scope, requestSHA256: Self.hash, at: SystemClock().now(), expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
        }
        func answer(_ scope: IdempotencyScope) -> (StoredMRVPolicy, MRVPolicyPublication) throws -> IdempotencyCompletion {
            { stored, _ in Self.completion(scope, "v\(stored.version) \(stored.note)") }
        }
        func lines() async throws -> [String] { try await ledger.audit(limit: 100).filter { $0.action == "api_mrv_policy_publish" }.map(\.detail) }

        // A fault after the version's statements: no version, no line, the key in progress.
        let faulted = IdempotencyScope(user: "mee", operation: "publishMRVPolicy", key: "m1")
        #expect(try await claim(faulted) == .claimed)
        try await Self.failKeyUpdates(database)
        await #expect(throws: (any Error).self) {
            _ = try await mrv.service.publishPolicy(
                tables, effectiveFrom: "2025-01-20", note: "grid", audit: Self.note("api_mrv_policy_publish"), key: answer(faulted))
        }
        try await Self.mendKeyUpdates(database)
        #expect(try await mrv.service.policyVersions().isEmpty)
        #expect(try await lines().isEmpty)
        #expect(try await claim(faulted) == .inProgress)
        // An unheld key: nothing published.
        let key = IdempotencyScope(user: "mee", operation: "publishMRVPolicy", key: "m2")
        await #expect(throws: IdempotencyKeyNotHeld(scope: key)) {
            _ = try await mrv.service.publishPolicy(tables, effectiveFrom: "2025-01-20", note: "grid", key: answer(key))
        }
        #expect(try await mrv.service.policyVersions().isEmpty)

        // Claimed, then the service path alone: version 1, its line and the key's answer.
        #expect(try await claim(key) == .claimed)
        let published = try await mrv.service.publishPolicy(
            tables, effectiveFrom: "2025-01-20", note: "grid", audit: Self.note("api_mrv_policy_publish"), key: answer(key)).get()
        #expect(published.version == 1 && published.stored?.note == "grid")
        #expect(try await mrv.service.policyVersions().map(\.version) == [1])
        #expect(try await claim(key) == .completed(StoredAPIResponse(status: 201, body: "v1 grid")))
        #expect(try await lines() == ["accepted v1"])
        try await database.close()
        try await mrv.store.close()
        try await ledger.close()
    }

    @Test(arguments: Backend.all)
    func aCCERPolicyPublicationCommitsItsKeyWithIt(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let (ledger, service) = try await Composition.openRegistry(location, clock: MarketClock(CivilDate(year: 2025, month: 6, day: 3), hour: 9, minute: 0))
        let database = try await Composition.openDatabase(location, connectionID: 3)
        var policy = CCERPolicy.standard
        policy.limits.maxCommentsPerUserPerNotice = 5
        func claim(_ scope: IdempotencyScope) async throws -> IdempotencyClaim {
            try await ledger.claimIdempotencyKey(scope, requestSHA256: Self.hash, at: SystemClock().now(), expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
        }
        func answer(_ scope: IdempotencyScope) -> (Int) throws -> IdempotencyCompletion { { version in Self.completion(scope, "v\(version)") } }
        func lines() async throws -> [String] { try await ledger.audit(limit: 100).filter { $0.action == "api_ccer_policy_publish" }.map(\.detail) }

        // A fault after the version's statements: no version, no line, the key in progress, the
        // service still on the built-in rules.
        let faulted = IdempotencyScope(user: "mee", operation: "publishCCERPolicy", key: "c1")
        #expect(try await claim(faulted) == .claimed)
        try await Self.failKeyUpdates(database)
        await #expect(throws: (any Error).self) {
            _ = try await service.publishCCERPolicy(
                policy, effectiveFrom: "2025-01-20", note: "cap 5", audit: Self.note("api_ccer_policy_publish"), key: answer(faulted))
        }
        try await Self.mendKeyUpdates(database)
        #expect(try await ledger.ccerPolicyVersions().isEmpty)
        #expect(await service.ccerPolicy == .standard)
        #expect(try await lines().isEmpty)
        #expect(try await claim(faulted) == .inProgress)
        // An unheld key: nothing published.
        let key = IdempotencyScope(user: "mee", operation: "publishCCERPolicy", key: "c2")
        await #expect(throws: IdempotencyKeyNotHeld(scope: key)) {
            _ = try await service.publishCCERPolicy(policy, effectiveFrom: "2025-01-20", note: "cap 5", key: answer(key))
        }
        #expect(try await ledger.ccerPolicyVersions().isEmpty)

        // Claimed, then the service path alone: version 2, its line, the key's answer, in force.
        #expect(try await claim(key) == .claimed)
        #expect(try await service.publishCCERPolicy(
            policy, effectiveFrom: "2025-01-20", note: "cap 5", audit: Self.note("api_ccer_policy_publish"), key: answer(key)) == .success(2))
        #expect(try await ledger.ccerPolicyVersions().map(\.version) == [2])
        #expect(try await claim(key) == .completed(StoredAPIResponse(status: 201, body: "v2")))
        #expect(try await lines() == ["accepted v2"])
        #expect(await service.ccerPolicy.limits.maxCommentsPerUserPerNotice == 5)
        try await database.close()
        try await ledger.close()
    }
}
