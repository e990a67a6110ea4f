import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// The Idempotency-Keys the API stores itself (migration 24, docs/api.md "Idempotency"), on
/// SQLite and PostgreSQL, for plan load and publish, a penalty notice paid, an application
/// decided and resubmitted: the same key and request answer the first answer and do nothing
/// twice; an old key retried after a newer request answers the old answer; the key with
/// another request is 422 IDEMPOTENCY_KEY_REUSED and changes nothing; two users' equal keys do
/// not collide; a key whose request never completed (a crash) is 409 IDEMPOTENCY_IN_PROGRESS
/// until the takeover bound has passed, when a retry takes it over and acts.
@Suite("REST API: stored Idempotency-Keys")
struct APIIdempotencyTests {
    typealias Fetched = APIPermissionWalkTests.Fetched

    /// A second user of `role` (a colleague of the demo user), with an API token.
    static func colleague(_ world: APIPledgeTests.World, _ id: String, _ role: Role, province: String? = nil) async throws -> String {
        try await world.store.saveUser(UserRecord(
            id: id, name: id, role: role, account: nil, province: province, passwordHash: "-", totpSecret: nil,
            createdAt: SystemClock().now()))
        return try await AccessService(store: world.store).createAPIToken(user: id, label: "test", at: SystemClock().now()).get().token
    }

    /// Holds `key` for `user` as a request that never completed (the server stopped after the
    /// claim), `secondsAgo` before now.
    static func crashed(
        _ world: APIPledgeTests.World, _ user: String, _ operation: String, _ key: String, _ parameters: [String], _ body: String,
        secondsAgo: Int64 = 0
    ) async throws {
        let claim = try await world.store.claimIdempotencyKey(
            IdempotencyScope(user: user, operation: operation, key: key),
            requestSHA256: APIIdempotency.requestSHA256(operation: operation, parameters: parameters, body: body),
            at: Timestamp(millisecondsSinceEpoch: SystemClock().now().millisecondsSinceEpoch - secondsAgo * 1_000),
            expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
        #expect(claim == .claimed)
    }

    static func version(_ fetched: Fetched, _ field: String) -> Int? { (fetched.json[field] as? [String: Any])?["version"] as? Int }

    @Test(arguments: TestMarket.databases)
    func plansLoadedAndPublishedOncePerKey(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idemplan")
        let cycle = world.cycle, mee = world.tokens["mee"]!
        let mee2 = try await Self.colleague(world, "mee2", .mee)
        let shipped = try #require(AllocationPlan.shipped.first { $0.id == "power-2024" })
        try await APIPledgeTests.serve(world) { api in
            let shown = try await api.call("GET", "/api/v1/allocation/plans/power-2024")
            var plan = try #require(shown.json["plan"] as? [String: Any])
            func body(_ source: String) throws -> String {
                plan["source"] = source
                return try APIAllocationCycleTests.json(plan)
            }
            func load(_ token: String, _ key: String, _ source: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/allocation/plans", token: token, key: key, body: try body(source))
            }
            func versions() async throws -> [StoredAllocationPlan] { try await cycle.planVersions(id: "power-2024") }
            let v = shipped.version

            // The first load and its retry: one draft, the same answer, replayed.
            let first = try await load(mee, "k1", "A")
            #expect(first.status == 201 && first.json["replayed"] as? Bool == false && Self.version(first, "stored") == v + 1, "\(first.body)")
            let retry = try await load(mee, "k1", "A")
            #expect(retry.status == 201 && retry.json["replayed"] as? Bool == true && Self.version(retry, "stored") == v + 1, "\(retry.body)")
            #expect(retry.json["changes"] as? [[String: Any]] != nil && (retry.json["changes"] as? [Any])?.count == (first.json["changes"] as? [Any])?.count)
            #expect(try await versions().count == 1)
            // A newer load, then the old key again: the old answer, nothing stored.
            let newer = try await load(mee, "k2", "B")
            #expect(newer.status == 201 && Self.version(newer, "stored") == v + 2, "\(newer.body)")
            let old = try await load(mee, "k1", "A")
            #expect(old.status == 201 && old.json["replayed"] as? Bool == true && Self.version(old, "stored") == v + 1, "\(old.body)")
            #expect(try await versions().map(\.plan.source) == ["A", "B"])
            // The key with another plan: refused, nothing stored.
            let reused = try await load(mee, "k1", "C")
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(try await versions().count == 2)
            // Another MEE user's k1 is another key.
            let colleague = try await load(mee2, "k1", "C")
            #expect(colleague.status == 201 && colleague.json["replayed"] as? Bool == false && Self.version(colleague, "stored") == v + 3, "\(colleague.body)")
            #expect(try await versions().map(\.loadedBy) == ["mee", "mee", "mee2"])

            // Publish: the retry answers the first answer; an old key after a newer publish the old answer.
            func publish(_ token: String, _ key: String, _ version: Int) async throws -> Fetched {
                try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: token, key: key, body: #"{"version":\#(version)}"#)
            }
            let published = try await publish(mee, "p1", v + 1)
            #expect(published.status == 200 && published.json["replayed"] as? Bool == false, "\(published.body)")
            let republished = try await publish(mee, "p1", v + 1)
            #expect(republished.status == 200 && republished.json["replayed"] as? Bool == true && Self.version(republished, "version") == v + 1)
            let later = try await publish(mee, "p2", v + 2)
            #expect(later.status == 200 && later.json["replayed"] as? Bool == false, "\(later.body)")
            let oldPublish = try await publish(mee, "p1", v + 1)
            #expect(oldPublish.status == 200 && oldPublish.json["replayed"] as? Bool == true, "\(oldPublish.body)")
            #expect((oldPublish.json["version"] as? [String: Any])?["status"] as? String == "published", "the first answer, as it was")
            #expect(try await versions().map(\.status) == [.superseded, .published, .draft])
            // p1 for another version: refused, the draft stays a draft.
            let reusedPublish = try await publish(mee, "p1", v + 3)
            #expect(reusedPublish.status == 422 && reusedPublish.code == "IDEMPOTENCY_KEY_REUSED", "\(reusedPublish.body)")
            #expect(try await versions().map(\.status) == [.superseded, .published, .draft])
            // A refusal keeps no key (as the registry): p3 refused, then p3 publishes.
            let refused = try await publish(mee, "p3", 99)
            #expect(refused.status == 422 && refused.code == "UNKNOWN_PLAN")
            // A crash between the claim and the answer: 409, nothing published.
            try await Self.crashed(world, "mee", "publishAllocationPlan", "p-crash", ["power-2024"], #"{"version":\#(v + 3)}"#)
            let inProgress = try await publish(mee, "p-crash", v + 3)
            #expect(inProgress.status == 409 && inProgress.code == "IDEMPOTENCY_IN_PROGRESS", "\(inProgress.body)")
            #expect(try await versions().map(\.status) == [.superseded, .published, .draft])
            // mee2's p1 is another key.
            let colleaguePublish = try await publish(mee2, "p1", v + 3)
            #expect(colleaguePublish.status == 200 && colleaguePublish.json["replayed"] as? Bool == false, "\(colleaguePublish.body)")
            #expect(try await versions().map(\.status) == [.superseded, .superseded, .published])
            let refusedKey = try await publish(mee, "p3", v + 1)
            #expect(refusedKey.status == 422 && refusedKey.code == "PLAN_STATUS", "p3 was free again: \(refusedKey.body)")
        }
    }

    @Test(arguments: TestMarket.databases)
    func penaltyNoticesPaidOncePerKey(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idempaid")
        let cycle = world.cycle, sc = world.tokens["sc"]!
        let sc2 = try await Self.colleague(world, "sc2", .province, province: "SC")
        let notices = [
            APIAllocationCycleTests.notice("ENT-000001", "SC", .issued), APIAllocationCycleTests.notice("ENT-000002", "SC", .issued),
            APIAllocationCycleTests.notice("ENT-000004", "SC", .issued), APIAllocationCycleTests.notice("ENT-000005", "SC", .issued),
            APIAllocationCycleTests.notice("ENT-000003", "GD", .issued),
        ]
        try await cycle.saveNotices(notices, at: SystemClock().now())
        let (n1, n2, n3, n4, gd) = (notices[0].id, notices[1].id, notices[2].id, notices[3].id, notices[4].id)
        try await APIPledgeTests.serve(world) { api in
            func status(_ id: String) async throws -> PenaltyNotice.Status? { try await cycle.notices(year: 2024).first { $0.id == id }?.status }
            func paid(_ token: String, _ key: String, _ id: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(id)/paid", token: token, key: key)
            }
            func notice(_ fetched: Fetched) -> String? { (fetched.json["notice"] as? [String: Any])?["id"] as? String }
            let first = try await paid(sc, "k1", n1)
            #expect(first.status == 200 && first.json["replayed"] as? Bool == false && notice(first) == n1, "\(first.body)")
            let retry = try await paid(sc, "k1", n1)
            #expect(retry.status == 200 && retry.json["replayed"] as? Bool == true && notice(retry) == n1, "\(retry.body)")
            // A newer payment, then the old key: the old answer.
            let newer = try await paid(sc, "k2", n2)
            #expect(newer.status == 200 && newer.json["replayed"] as? Bool == false && notice(newer) == n2, "\(newer.body)")
            let old = try await paid(sc, "k1", n1)
            #expect(old.status == 200 && old.json["replayed"] as? Bool == true && notice(old) == n1, "\(old.body)")
            // The key for another notice: refused, that notice stays issued.
            let reused = try await paid(sc, "k1", n3)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(try await status(n3) == .issued)
            // Another Sichuan user's k1 is another key: it pays n3.
            let colleague = try await paid(sc2, "k1", n3)
            #expect(colleague.status == 200 && colleague.json["replayed"] as? Bool == false && notice(colleague) == n3, "\(colleague.body)")
            #expect(try await status(n3) == .paid)
            // A crash between the claim and the answer: 409, the notice stays issued.
            try await Self.crashed(world, "sc", "markPenaltyPaid", "k-crash", ["2024", n4], "")
            let inProgress = try await paid(sc, "k-crash", n4)
            #expect(inProgress.status == 409 && inProgress.code == "IDEMPOTENCY_IN_PROGRESS", "\(inProgress.body)")
            #expect(try await status(n4) == .issued)
            // Held a little less than the takeover bound: still 409.
            let bound = Int64(APIIdempotency.defaultTakeoverSeconds)
            try await Self.crashed(world, "sc", "markPenaltyPaid", "k-recent", ["2024", n4], "", secondsAgo: bound - 60)
            let recent = try await paid(sc, "k-recent", n4)
            #expect(recent.status == 409 && recent.code == "IDEMPOTENCY_IN_PROGRESS", "\(recent.body)")
            #expect(try await status(n4) == .issued)
            // Held longer than the bound (its request died before the write): a retry takes the
            // key over, pays once, says so in the audit log, and its answer is the key's.
            try await Self.crashed(world, "sc", "markPenaltyPaid", "k-old", ["2024", n4], "", secondsAgo: bound + 1)
            let takenOver = try await paid(sc, "k-old", n4)
            #expect(takenOver.status == 200 && takenOver.json["replayed"] as? Bool == false && notice(takenOver) == n4, "\(takenOver.body)")
            #expect(try await status(n4) == .paid)
            let tookOver = try await world.store.audit(limit: 1_000).filter { $0.action == "api_penalty_paid" && $0.detail.hasPrefix("took over the key held since ") }
            #expect(tookOver.count == 1, "\(tookOver)")
            let again = try await paid(sc, "k-old", n4)
            #expect(again.status == 200 && again.json["replayed"] as? Bool == true && notice(again) == n4, "\(again.body)")

            // Another province's notice and an unknown one: one answer, 404 NOT_FOUND, nothing changed.
            let foreign = try await paid(sc, "k-gd", gd)
            let unknown = try await paid(sc, "k-none", "PN-NONE")
            #expect(foreign.status == 404 && foreign.code == "NOT_FOUND", "\(foreign.body)")
            #expect(unknown.status == 404 && unknown.code == "NOT_FOUND", "\(unknown.body)")
            #expect(try await status(gd) == .issued)
        }
    }

    /// Calls paying one notice at the same moment, each with its own key (two Sichuan users):
    /// one pays it (`replayed` false, its `accepted` line), every other is answered as a later
    /// call is (200, the notice as paid, `replayed` true, a `replayed` line), never 422
    /// NOTICE_STATUS; a later call with a new key answers the same, a loser's key retried its
    /// own answer. Calls with one key at once: the payment or 409 IDEMPOTENCY_IN_PROGRESS.
    @Test(arguments: TestMarket.databases)
    func aNoticePaidByConcurrentCallsIsPaidOnce(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idempaidrace")
        let cycle = world.cycle, sc = world.tokens["sc"]!
        let sc2 = try await Self.colleague(world, "sc2", .province, province: "SC")
        let notices = ["ENT-000001", "ENT-000002", "ENT-000004", "ENT-000005"].map { APIAllocationCycleTests.notice($0, "SC", .issued) }
        try await cycle.saveNotices(notices, at: SystemClock().now())
        let callers = 6
        try await APIPledgeTests.serve(world) { api in
            typealias Answer = (token: String, key: String, status: Int, body: String)
            func pay(_ id: String, _ calls: [(token: String, key: String)]) async throws -> [Answer] {
                try await withThrowingTaskGroup(of: Answer.self) { group in
                    for (token, key) in calls {
                        group.addTask {
                            let answer = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(id)/paid", token: token, key: key)
                            return (token, key, answer.status, answer.body)
                        }
                    }
                    var all: [Answer] = []
                    for try await answer in group { all.append(answer) }
                    return all
                }
            }
            func json(_ body: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
            let lines = try await world.store.audit(limit: 1_000).filter { $0.action == "api_penalty_paid" }
            #expect(lines.isEmpty)
            for notice in notices.dropLast() {
                let answers = try await pay(notice.id, (0..<callers).map { ($0 % 2 == 0 ? sc : sc2, "race-\(notice.id)-\($0)") })
                #expect(answers.allSatisfy { $0.status == 200 }, "\(answers)")
                let winners = answers.filter { json($0.body)["replayed"] as? Bool == false }
                #expect(winners.count == 1 && answers.filter { json($0.body)["replayed"] as? Bool == true }.count == callers - 1, "\(answers)")
                // Every answer carries the notice as paid, the same notice.
                let shown = Set(answers.map { answer in
                    let paid = json(answer.body)["notice"] as? [String: Any] ?? [:]
                    return "\(paid["id"] as? String ?? "-") \(paid["status"] as? String ?? "-") \(paid["amountFen"] as? Int ?? -1)"
                })
                #expect(shown == ["\(notice.id) paid \(notice.amountFen)"], "\(shown)")
                #expect(try await cycle.notices(year: 2024).first { $0.id == notice.id }?.status == .paid)
                // One payment line; the others are replays; no refusal.
                let noticeLines = try await world.store.audit(limit: 1_000).filter { $0.action == "api_penalty_paid" && $0.detail.hasSuffix(notice.id) }
                #expect(noticeLines.filter { $0.detail == "accepted \(notice.id)" }.count == 1, "\(noticeLines.map(\.detail))")
                #expect(noticeLines.filter { $0.detail == "replayed \(notice.id)" }.count == callers - 1, "\(noticeLines.map(\.detail))")
                // Later: a new key is answered as the losers were; a loser's key its own answer again.
                let later = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(notice.id)/paid", token: sc, key: "later-\(notice.id)")
                let loser = try #require(answers.first { json($0.body)["replayed"] as? Bool == true })
                #expect(later.status == 200 && later.json["replayed"] as? Bool == true, "\(later.body)")
                #expect(later.json["notice"] as? NSDictionary == json(loser.body)["notice"] as? NSDictionary, "\(later.body) vs \(loser.body)")
                let retried = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(notice.id)/paid", token: loser.token, key: loser.key)
                #expect(retried.status == 200 && retried.json["replayed"] as? Bool == true && retried.json["notice"] as? NSDictionary == json(loser.body)["notice"] as? NSDictionary, "\(retried.body)")
            }
            // One key sent by several calls at once: one pays, the others are the replay or 409.
            let last = notices.last!.id
            let sameKey = try await pay(last, Array(repeating: (sc, "race-one-key"), count: callers))
            #expect(sameKey.allSatisfy { $0.status == 200 || ($0.status == 409 && json($0.body)["code"] as? String == "IDEMPOTENCY_IN_PROGRESS") }, "\(sameKey)")
            #expect(sameKey.filter { $0.status == 200 && json($0.body)["replayed"] as? Bool == false }.count == 1, "\(sameKey)")
            let lastLines = try await world.store.audit(limit: 1_000).filter { $0.action == "api_penalty_paid" && $0.detail == "accepted \(last)" }
            #expect(lastLines.count == 1, "\(lastLines.map(\.detail))")
            #expect(try await cycle.notices(year: 2024).first { $0.id == last }?.status == .paid)
            // No call was refused the payment: the only refusals are the one-key calls' 409s.
            let refusals = try await world.store.audit(limit: 1_000).filter { $0.action == "api_penalty_paid" && $0.detail.hasPrefix("rejected") }.map(\.detail)
            #expect(refusals == Array(repeating: "rejected IDEMPOTENCY_IN_PROGRESS", count: sameKey.filter { $0.status == 409 }.count), "\(refusals)")
        }
    }

    /// The cycle store with a payment landing between a handler's read and its write: before
    /// each move of an issued notice, another payer (the CLI, `cli-race` in the audit log)
    /// marks it paid, so every API call reads it issued and loses the write, the interleaving
    /// of a concurrent call at will.
    struct PaidMeanwhileStore: AllocationCycleStore {
        let inner: any AllocationCycleStore

        func setNoticeStatus(
            id: String, from: PenaltyNotice.Status, to: PenaltyNotice.Status, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?
        ) async throws -> Bool {
            if from == .issued {
                let other = AuditRecord(at: at, user: "cli-race", action: "cycle_penalty_paid", detail: "accepted \(id)", address: "cli")
                _ = try await inner.setNoticeStatus(id: id, from: .issued, to: .paid, at: at, audit: other)
            }
            return try await inner.setNoticeStatus(id: id, from: from, to: to, at: at, audit: audit, key: key)
        }

        func planVersions(id: String) async throws -> [StoredAllocationPlan] { try await inner.planVersions(id: id) }
        func allPlanVersions() async throws -> [StoredAllocationPlan] { try await inner.allPlanVersions() }
        func insertPlanDraft(_ plan: StoredAllocationPlan, audit: AuditRecord?, key: IdempotencyCompletion?) async throws -> Bool {
            try await inner.insertPlanDraft(plan, audit: audit, key: key)
        }
        func publishPlan(id: String, version: Int, by: String, at: Timestamp, audit: AuditRecord?, key: IdempotencyCompletion?) async throws -> Bool {
            try await inner.publishPlan(id: id, version: version, by: by, at: at, audit: audit, key: key)
        }
        func migrate() async throws { try await inner.migrate() }
        func stage(plan: String, year: Int, stage: CycleStage) async throws -> CycleStageRecord? { try await inner.stage(plan: plan, year: year, stage: stage) }
        func savePlanned(_ record: CycleStageRecord) async throws -> CycleStageRecord { try await inner.savePlanned(record) }
        func markDone(plan: String, year: Int, stage: CycleStage, debts: [CycleDebt], body: CycleStagePlan?, at: Timestamp) async throws {
            try await inner.markDone(plan: plan, year: year, stage: stage, debts: debts, body: body, at: at)
        }
        func doneStages(_ stage: CycleStage) async throws -> [CycleStageRecord] { try await inner.doneStages(stage) }
        func saveDone(_ record: CycleStageRecord, audit: AuditNote?) async throws -> CycleStageRecord { try await inner.saveDone(record, audit: audit) }
        func debts(year: Int) async throws -> [CycleDebt] { try await inner.debts(year: year) }
        func saveNotices(
            _ notices: [PenaltyNotice], year: Int, at: Timestamp, audit: AuditNote?,
            key: ((_ issued: Int, _ yearNotices: [PenaltyNotice]) throws -> IdempotencyCompletion)?
        ) async throws -> (issued: Int, yearNotices: [PenaltyNotice]) {
            try await inner.saveNotices(notices, year: year, at: at, audit: audit, key: key)
        }
        func notices(year: Int) async throws -> [PenaltyNotice] { try await inner.notices(year: year) }
        func close() async throws { try await inner.close() }
    }

    /// The losing interleaving made certain: the call reads the notice issued, another payment
    /// lands, its write moves nothing. It is answered as a later call is (200, the notice as
    /// paid, `replayed`, a `replayed` line and no `accepted` one of its own), not 422
    /// NOTICE_STATUS; its key then answers that answer again.
    @Test(arguments: TestMarket.databases)
    func aCallLosingThePaymentToAnotherIsAnsweredAsALaterCall(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idempaidlost")
        let sc = world.tokens["sc"]!
        let notice = APIAllocationCycleTests.notice("ENT-000001", "SC", .issued)
        try await world.cycle.saveNotices([notice], at: SystemClock().now())
        try await PortalServerTests.run(
            ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service, cycle: PaidMeanwhileStore(inner: world.cycle)
        ) { port in
            let api = APIPermissionWalkTests.Client(port: port)
            let lost = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(notice.id)/paid", token: sc, key: "lost")
            let shown = lost.json["notice"] as? [String: Any] ?? [:]
            #expect(lost.status == 200 && lost.json["replayed"] as? Bool == true, "\(lost.body)")
            #expect(shown["id"] as? String == notice.id && shown["status"] as? String == "paid" && shown["amountFen"] as? Int == 600_000, "\(lost.body)")
            #expect(try await world.cycle.notices(year: 2024).first { $0.id == notice.id }?.status == .paid)
            let lines = try await world.store.audit(limit: 1_000).filter { $0.detail.hasSuffix(notice.id) }.map { "\($0.user) \($0.action) \($0.detail)" }
            #expect(lines.sorted() == ["cli-race cycle_penalty_paid accepted \(notice.id)", "sc api_penalty_paid replayed \(notice.id)"], "\(lines)")
            let retried = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(notice.id)/paid", token: sc, key: "lost")
            #expect(retried.status == 200 && retried.json["replayed"] as? Bool == true && retried.json["notice"] as? NSDictionary == lost.json["notice"] as? NSDictionary, "\(retried.body)")
        }
        try await world.cycle.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    /// A small API client with any headers (the application reference).
    struct Raw {
        var port: Int

        func call(_ method: String, _ path: String, token: String? = nil, headers: [String: String], body: String) async throws -> Fetched {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return Fetched(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: http.allHeaderFields)
        }
    }

    @Test(arguments: TestMarket.databases)
    func applicationsDecidedAndResubmittedOncePerKey(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idemapp")
        let store = world.store, registrar = world.tokens["registrar"]!
        let registrar2 = try await Self.colleague(world, "registrar2", .registryOperator)
        let path = "/api/v1/accounts/applications"
        try await APIPledgeTests.serve(world) { client in
            let api = Raw(port: client.port)
            func apply(_ user: String) async throws -> (id: String, reference: String) {
                let submitted = try await api.call("POST", path, headers: [:], body: AccountOpeningServerTests.applyJSON(user))
                #expect(submitted.status == 201, "\(submitted.body)")
                return (try #require((submitted.json["application"] as? [String: Any])?["id"] as? String), try #require(submitted.json["reference"] as? String))
            }
            func decide(_ token: String, _ key: String, _ id: String, _ decision: String) async throws -> Fetched {
                try await api.call("POST", "\(path)/\(id)/decision", token: token, headers: ["Idempotency-Key": key], body: decision)
            }
            func history(_ id: String) async throws -> [AccountApplicationStatus] { try await store.application(id)?.application.history.map(\.status) ?? [] }
            let back = #"{"decision":"return","reason":"the scan is unreadable"}"#
            // All four first: once one is approved, the owner holds an account and may not apply again.
            let a = try await apply("idem.a"), b = try await apply("idem.b"), c = try await apply("idem.c"), d = try await apply("idem.d")

            // Decide: the retry answers the first answer; the key with another decision is refused.
            let returned = try await decide(registrar, "d1", a.id, back)
            #expect(returned.status == 200 && returned.json["status"] as? String == "returned", "\(returned.body)")
            let retry = try await decide(registrar, "d1", a.id, back)
            #expect(retry.status == 200 && retry.body == returned.body, "the same answer: \(retry.body)")
            #expect(try await history(a.id) == [.submitted, .returned])
            let reused = try await decide(registrar, "d1", a.id, #"{"decision":"approve"}"#)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(try await history(a.id) == [.submitted, .returned])
            // A newer decision, then the old key: the old answer, nothing decided.
            let rejected = try await decide(registrar, "d2", b.id, #"{"decision":"reject","reason":"duplicate"}"#)
            #expect(rejected.status == 200 && rejected.json["status"] as? String == "rejected", "\(rejected.body)")
            let old = try await decide(registrar, "d1", a.id, back)
            #expect(old.status == 200 && old.body == returned.body)
            // Another operator's d1 is another key: it approves c.
            let colleague = try await decide(registrar2, "d1", c.id, #"{"decision":"approve"}"#)
            #expect(colleague.status == 200 && colleague.json["status"] as? String == "approved", "\(colleague.body)")
            // A crash between the claim and the answer: 409, nothing decided.
            try await Self.crashed(world, "registrar", "decideAccountApplication", "d-crash", [d.id], #"{"decision":"approve"}"#)
            let inProgress = try await decide(registrar, "d-crash", d.id, #"{"decision":"approve"}"#)
            #expect(inProgress.status == 409 && inProgress.code == "IDEMPOTENCY_IN_PROGRESS", "\(inProgress.body)")
            #expect(try await history(d.id) == [.submitted])

            // Resubmit: the applicant's key, per application.
            func resubmit(_ app: (id: String, reference: String), _ key: String, _ name: String, user: String) async throws -> Fetched {
                try await api.call(
                    "POST", "\(path)/\(app.id)/resubmission", headers: ["Application-Reference": app.reference, "Idempotency-Key": key],
                    body: AccountResubmissionServerTests.correction(name: name, user: user))
            }
            let corrected = try await resubmit(a, "r1", "Corrected once", user: "idem.a")
            #expect(corrected.status == 200 && corrected.json["ownerName"] as? String == "Corrected once", "\(corrected.body)")
            let again = try await resubmit(a, "r1", "Corrected once", user: "idem.a")
            #expect(again.status == 200 && again.body == corrected.body)
            #expect(try await history(a.id) == [.submitted, .returned, .submitted])
            let reusedR = try await resubmit(a, "r1", "Corrected otherwise", user: "idem.a")
            #expect(reusedR.status == 422 && reusedR.code == "IDEMPOTENCY_KEY_REUSED", "\(reusedR.body)")
            // Returned again and corrected with r2; then r1 again: r1's answer, nothing changed.
            #expect(try await decide(registrar, "d3", a.id, back).status == 200)
            let twice = try await resubmit(a, "r2", "Corrected twice", user: "idem.a")
            #expect(twice.status == 200 && twice.json["ownerName"] as? String == "Corrected twice", "\(twice.body)")
            let oldR = try await resubmit(a, "r1", "Corrected once", user: "idem.a")
            #expect(oldR.status == 200 && oldR.body == corrected.body, "\(oldR.body)")
            let stored = try #require(try await store.application(a.id))
            #expect(stored.application.form.ownerName == "Corrected twice" && stored.application.history.count == 5)
            // Another applicant's r1 is another key.
            #expect(try await decide(registrar, "d4", d.id, back).status == 200)
            let otherApplicant = try await resubmit(d, "r1", "Corrected once", user: "idem.d")
            #expect(otherApplicant.status == 200 && otherApplicant.json["status"] as? String == "submitted", "\(otherApplicant.body)")
            #expect(try await history(d.id) == [.submitted, .returned, .submitted])
        }
    }

    /// A key left in progress (its request died) is held until the takeover bound has passed,
    /// then taken over by the same request only, once; the dead holder's release no longer
    /// frees it, and the new holder's answer is the key's.
    @Test(arguments: TestMarket.databases)
    func keysLeftInProgressAreTakenOverAfterTheBound(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idemtake")
        let store = world.store
        let scope = IdempotencyScope(user: "u", operation: "markPenaltyPaid", key: "k")
        let t0 = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let bound = 600
        func claim(_ hash: String, _ ms: Int64) async throws -> IdempotencyClaim {
            let at = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + ms)
            return try await store.claimIdempotencyKey(
                scope, requestSHA256: hash, at: at, expiredBefore: APIIdempotency.expiry(at: at),
                abandonedBefore: APIIdempotency.abandonment(at: at, takeoverSeconds: bound))
        }
        let boundMs = Int64(bound) * 1_000
        #expect(try await claim("h1", 0) == .claimed)
        // Within the bound (and at it): in progress.
        #expect(try await claim("h1", 1) == .inProgress)
        #expect(try await claim("h1", boundMs) == .inProgress)
        // Another request never takes the key, however old.
        #expect(try await claim("h2", boundMs + 1) == .reused)
        // Past the bound: taken over, once; held anew from then on.
        #expect(try await claim("h1", boundMs + 1) == .takenOver(heldSince: t0))
        #expect(try await claim("h1", boundMs + 1) == .inProgress)
        #expect(try await claim("h1", boundMs + 2) == .inProgress)
        // The dead holder's release and completion (its claim time) leave the new holder's key.
        try await store.releaseIdempotencyKey(scope, requestSHA256: "h1", claimedAt: t0)
        #expect(try await claim("h1", boundMs + 3) == .inProgress)
        let taken = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + boundMs + 1)
        #expect(try await !store.completeIdempotencyKey(scope, requestSHA256: "h1", claimedAt: t0, response: StoredAPIResponse(status: 200, body: "old")))
        #expect(try await claim("h1", boundMs + 4) == .inProgress)
        // Kept a whole retention from the takeover, not from its first claim: past the bound
        // again, it is taken over again rather than swept and claimed anew.
        let day: Int64 = 86_400_000
        #expect(try await claim("h1", Int64(APIIdempotency.defaultRetentionDays) * day + 1) == .takenOver(heldSince: taken))
        let retaken = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(APIIdempotency.defaultRetentionDays) * day + 1)
        // The holder completes it: the answer is the key's.
        #expect(try await store.completeIdempotencyKey(scope, requestSHA256: "h1", claimedAt: retaken, response: StoredAPIResponse(status: 200, body: "{}")))
        #expect(try await claim("h1", Int64(APIIdempotency.defaultRetentionDays) * day + 2) == .completed(StoredAPIResponse(status: 200, body: "{}")))
        // A taken-over key released by its new holder (a refusal) is free again.
        let other = IdempotencyScope(user: "u", operation: "markPenaltyPaid", key: "k2")
        let at = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + 4 * boundMs)
        #expect(try await store.claimIdempotencyKey(
            other, requestSHA256: "h3", at: t0, expiredBefore: APIIdempotency.expiry(at: t0), abandonedBefore: APIIdempotency.abandonment(at: t0)) == .claimed)
        #expect(try await store.claimIdempotencyKey(
            other, requestSHA256: "h3", at: at, expiredBefore: APIIdempotency.expiry(at: at),
            abandonedBefore: APIIdempotency.abandonment(at: at, takeoverSeconds: bound)) == .takenOver(heldSince: t0))
        try await store.releaseIdempotencyKey(other, requestSHA256: "h3", claimedAt: at)
        #expect(try await store.claimIdempotencyKey(
            other, requestSHA256: "h4", at: at, expiredBefore: APIIdempotency.expiry(at: at), abandonedBefore: APIIdempotency.abandonment(at: at)) == .claimed)
        // Retries at the same moment of a key left by a dead request, through connections of
        // their own (servers, each with its own transactions): exactly one takes it over.
        let raced = IdempotencyScope(user: "u", operation: "markPenaltyPaid", key: "k3")
        #expect(try await store.claimIdempotencyKey(
            raced, requestSHA256: "h5", at: t0, expiredBefore: APIIdempotency.expiry(at: t0), abandonedBefore: APIIdempotency.abandonment(at: t0)) == .claimed)
        var others: [any LedgerStore] = []
        for id in 2...7 { others.append(try await Composition.openStore(world.location, connectionID: id)) }
        let claims = try await withThrowingTaskGroup(of: IdempotencyClaim.self) { group in
            for other in others {
                group.addTask {
                    try await other.claimIdempotencyKey(
                        raced, requestSHA256: "h5", at: at, expiredBefore: APIIdempotency.expiry(at: at),
                        abandonedBefore: APIIdempotency.abandonment(at: at, takeoverSeconds: bound))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for other in others { try await other.close() }
        #expect(claims.filter { $0 == .takenOver(heldSince: t0) }.count == 1 && claims.filter { $0 == .inProgress }.count == 5, "\(claims)")
        try await world.cycle.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    /// The bound: keys older than `APIIdempotency.defaultRetentionDays` are deleted at the next claim.
    @Test(arguments: TestMarket.databases)
    func keysExpireAfterTheRetentionWindow(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "idemsweep")
        let store = world.store
        let old = IdempotencyScope(user: "u", operation: "markPenaltyPaid", key: "k")
        let t0 = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let day: Int64 = 86_400_000
        #expect(try await store.claimIdempotencyKey(old, requestSHA256: "h1", at: t0, expiredBefore: APIIdempotency.expiry(at: t0), abandonedBefore: APIIdempotency.abandonment(at: t0)) == .claimed)
        #expect(try await store.completeIdempotencyKey(old, requestSHA256: "h1", claimedAt: t0, response: StoredAPIResponse(status: 200, body: "{}")))
        #expect(try await store.claimIdempotencyKey(old, requestSHA256: "h2", at: t0, expiredBefore: APIIdempotency.expiry(at: t0), abandonedBefore: APIIdempotency.abandonment(at: t0)) == .reused)
        // A day inside the window: still there.
        let inside = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(APIIdempotency.defaultRetentionDays - 1) * day)
        #expect(try await store.claimIdempotencyKey(old, requestSHA256: "h1", at: inside, expiredBefore: APIIdempotency.expiry(at: inside), abandonedBefore: APIIdempotency.abandonment(at: inside))
            == .completed(StoredAPIResponse(status: 200, body: "{}")))
        // Past the window: another key's claim sweeps it; the key is new again.
        let past = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(APIIdempotency.defaultRetentionDays + 1) * day)
        let other = IdempotencyScope(user: "v", operation: "markPenaltyPaid", key: "k")
        #expect(try await store.claimIdempotencyKey(other, requestSHA256: "h3", at: past, expiredBefore: APIIdempotency.expiry(at: past), abandonedBefore: APIIdempotency.abandonment(at: past)) == .claimed)
        #expect(try await store.claimIdempotencyKey(old, requestSHA256: "h2", at: past, expiredBefore: APIIdempotency.expiry(at: past), abandonedBefore: APIIdempotency.abandonment(at: past)) == .claimed)
        // Released: a claim in progress that ended without acting frees the key.
        try await store.releaseIdempotencyKey(old, requestSHA256: "h2", claimedAt: past)
        #expect(try await store.claimIdempotencyKey(old, requestSHA256: "h4", at: past, expiredBefore: APIIdempotency.expiry(at: past), abandonedBefore: APIIdempotency.abandonment(at: past)) == .claimed)
        try await world.cycle.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }
}
