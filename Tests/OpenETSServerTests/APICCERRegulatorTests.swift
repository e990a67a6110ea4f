import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// The CCER regulator's commands and the public comments during a CCER notice through the REST
/// API, on the live server over the demo market and its CCER story (drill clock 2025-06-03
/// 10:00; P000001 registered with period 1 issued, P000002 past its design notice, P000003 in
/// its design notice), on SQLite and, with `OPENETS_TEST_POSTGRES_URL`, PostgreSQL: success,
/// replay with the same Idempotency-Key, each refusal with its code and nothing written, 403
/// for roles without the action, 401 without a token; the audit lines.
@Suite("REST API: the CCER regulator and notice comments")
struct APICCERRegulatorTests {
    typealias Fetched = APIPermissionWalkTests.Fetched
    typealias World = APICCERWorkflowTests.World

    static var databases: [String] { TestMarket.databases }

    /// The CCER workflow tests' world (demo market and users, `owner2`, `cec-staff`, `nobody`)
    /// plus a member of the public (`citizen`), with tokens for the MEE and the citizen too.
    static func world(_ database: String) async throws -> World {
        var world = try await APICCERWorkflowTests.world(database)
        let now = SystemClock().now()
        try await world.store.saveUser(UserRecord(
            id: "citizen", name: "公众 张三 Citizen Zhang", role: .public, account: nil, province: nil, passwordHash: "-", totpSecret: nil, createdAt: now))
        let access = AccessService(store: world.store)
        for user in ["mee", "citizen", "validator", "sc"] {
            world.tokens[user] = try await access.createAPIToken(user: user, label: "ccer-regulator", at: now).get().token
        }
        return world
    }

    static func methodology(_ changes: [String: Any?] = [:]) -> String {
        var fields: [String: Any] = [
            "code": "CCER-14-003-V01", "name": "竹林经营碳汇", "nameEn": "Bamboo forest management carbon sinks", "sector": "afforestation and reforestation",
            "gases": ["CO2"], "creditingPeriod": ["minYears": 20, "maxYears": 40, "renewable": false],
            "documents": ["温室气体自愿减排项目方法学 竹林经营碳汇（CCER-14-003-V01）"], "source": "生态环境部公告 2025年第X号 (test)",
        ]
        for (name, value) in changes { fields[name] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: databases)
    func theRegulatorPublishesMethodologiesAndAccreditsBodies(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, store, t) = (world.service, world.store, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func post(_ user: String?, _ path: String, key: String, _ body: String? = nil) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer" + path, token: user.flatMap { t[$0] }, key: key, body: body)
            }
            func refused(_ user: String, _ path: String, _ body: String? = nil, _ status: Int, _ code: String, _ note: String) async throws {
                let (head, ccer) = (await service.head, await service.ccer)
                let answer = try await post(user, path, key: "refused-\(UUID().uuidString.prefix(8))", body)
                #expect(answer.status == status && answer.code == code, "\(note): \(answer.status) \(answer.body)")
                #expect(await service.head == head, "\(note): nothing written")
                #expect(await service.ccer == ccer, "\(note): the CCER records as they were")
            }

            // The demo's accredited body, publicly listed.
            let before = try await api.call("GET", "/api/v1/ccer/bodies")
            let demoBodies = before.json["items"] as? [[String: Any]] ?? []
            #expect(before.status == 200 && before.json["total"] as? Int == 1 && demoBodies.first?["id"] as? String == DemoCCER.body.rawValue, "\(before.body)")
            #expect(demoBodies.first?["accredited"] as? Bool == true && demoBodies.first?["withdrawnOn"] == nil)

            // Publishing a methodology: refusals first, each changing nothing.
            try await refused("mee", "/methodology-publications", Self.methodology(["code": "CCER-14-001-V01"]), 422, "DUPLICATE_METHODOLOGY", "a published code")
            try await refused("mee", "/methodology-publications", Self.methodology(["code": "BAMBOO-1"]), 422, "INVALID_ARGUMENT", "a malformed code")
            try await refused("mee", "/methodology-publications", Self.methodology(["name": "   "]), 422, "INVALID_ARGUMENT", "an empty name")
            try await refused(
                "mee", "/methodology-publications", Self.methodology(["documents": (1...21).map { "document \($0)" }]), 422, "LIMIT_EXCEEDED",
                "more documents than maxDocumentsPerMethodology")
            try await refused(
                "mee", "/methodology-publications", Self.methodology(["creditingPeriod": ["minYears": 30, "maxYears": 20, "renewable": false]]), 422,
                "INVALID_ARGUMENT", "min_years over max_years")
            try await refused("mee", "/methodology-publications", Self.methodology(["publishedOn": "2025-02-30"]), 400, "INVALID_INPUT", "no such date")
            let methodologies = await service.ccer.methodologies.count
            let published = try await post("mee", "/methodology-publications", key: "method-1", Self.methodology())
            #expect(published.status == 201 && published.json["replayed"] as? Bool == false, "\(published.body)")
            let shown = try #require(published.json["methodology"] as? [String: Any])
            #expect(shown["code"] as? String == "CCER-14-003-V01" && shown["published_on"] as? String == "2025-06-03" && (shown["unverified"] as? [String]) == [])
            let stored = try #require(await service.ccer.methodologies["CCER-14-003-V01"])
            #expect(stored.creditingPeriod == CreditingPeriodRule(minYears: 20, maxYears: 40, renewable: false, verified: true, source: "生态环境部公告 2025年第X号 (test)"))
            #expect(stored.gases == [.co2] && stored.nameEn == "Bamboo forest management carbon sinks")
            // The replay: the same answer, nothing published twice; the key with another request is refused.
            let replay = try await post("mee", "/methodology-publications", key: "method-1", Self.methodology())
            #expect(replay.status == 201 && replay.json["replayed"] as? Bool == true && replay.json["seq"] as? Int == published.json["seq"] as? Int)
            let reused = try await post("mee", "/methodology-publications", key: "method-1", Self.methodology(["code": "CCER-14-004-V01"]))
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(await service.ccer.methodologies.count == methodologies + 1)
            // Listed publicly, and a project may now be submitted under it.
            let listed = try await api.call("GET", "/api/v1/ccer/methodologies?limit=500")
            #expect((listed.json["items"] as? [[String: Any]] ?? []).contains { $0["code"] as? String == "CCER-14-003-V01" }, "\(listed.body)")
            let project = APICCERWorkflowTests.submission([
                "methodology": "CCER-14-003-V01", "name": "宜宾竹林经营 Yibin bamboo", "location": "四川省宜宾市长宁县", "type": "bamboo forest management",
                "creditingEnd": "2044-12-31",
            ])
            let submitted = try await post("owner", "/submissions", key: "bamboo-1", project)
            #expect(submitted.status == 201, "\(submitted.body)")

            // Accrediting a body (as `openets ccer accredit`), withdrawing the accreditation, accrediting again.
            try await refused("mee", "/bodies", #"{"id":"CQC","name":"中国质量认证中心"}"#, 422, "DUPLICATE_BODY", "an accredited body")
            try await refused("mee", "/bodies", #"{"id":"cec lower","name":"CEC"}"#, 422, "INVALID_ARGUMENT", "a malformed id")
            try await refused("mee", "/bodies", #"{"id":"CEC","name":" "}"#, 422, "INVALID_ARGUMENT", "an empty name")
            let accredited = try await post("mee", "/bodies", key: "accredit-1", #"{"id":"CEC","name":"中环联合认证中心 CEC"}"#)
            let body = accredited.json["body"] as? [String: Any] ?? [:]
            #expect(accredited.status == 201 && body["id"] as? String == "CEC" && body["accredited"] as? Bool == true && body["accreditedOn"] as? String == "2025-06-03", "\(accredited.body)")
            let accreditedAgain = try await post("mee", "/bodies", key: "accredit-1", #"{"id":"CEC","name":"中环联合认证中心 CEC"}"#)
            #expect(accreditedAgain.status == 201 && accreditedAgain.json["replayed"] as? Bool == true && accreditedAgain.json["seq"] as? Int == accredited.json["seq"] as? Int)
            let bodies = await service.ccer.bodies
            #expect(bodies["CEC"]?.accredited == true && bodies.count == 2)
            let two = try await api.call("GET", "/api/v1/ccer/bodies?accredited=true")
            #expect((two.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == ["CEC", "CQC"], "\(two.body)")

            try await refused("mee", "/bodies/NO-SUCH-BODY/withdrawal", nil, 422, "UNKNOWN_BODY", "an unknown body")
            let withdrawn = try await post("mee", "/bodies/CEC/withdrawal", key: "withdraw-1")
            let after = withdrawn.json["body"] as? [String: Any] ?? [:]
            #expect(withdrawn.status == 200 && after["accredited"] as? Bool == false && after["withdrawnOn"] as? String == "2025-06-03", "\(withdrawn.body)")
            let withdrawnAgain = try await post("mee", "/bodies/CEC/withdrawal", key: "withdraw-1")
            #expect(withdrawnAgain.status == 200 && withdrawnAgain.json["replayed"] as? Bool == true && withdrawnAgain.json["seq"] as? Int == withdrawn.json["seq"] as? Int)
            try await refused("mee", "/bodies/CEC/withdrawal", nil, 422, "NOT_ACCREDITED", "withdrawn twice")
            let onlyWithdrawn = try await api.call("GET", "/api/v1/ccer/bodies?accredited=false")
            #expect((onlyWithdrawn.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == ["CEC"], "\(onlyWithdrawn.body)")
            // The withdrawn body's staff may not validate (the CCER rules), nothing changes.
            try await refused("cec-staff", "/projects/P000002/validation", #"{"conclusion":"positive","reportText":"r"}"#, 422, "NOT_ACCREDITED", "a withdrawn body validates")
            let reaccredited = try await post("mee", "/bodies", key: "accredit-2", #"{"id":"CEC","name":"中环联合认证中心 CEC"}"#)
            #expect(reaccredited.status == 201 && (reaccredited.json["body"] as? [String: Any])?["accredited"] as? Bool == true, "\(reaccredited.body)")
            #expect(await service.ccer.bodies["CEC"]?.accredited == true)

            // Roles without ccer_regulate: 403 naming the action; no token: 401; no key: 400. Nothing changes.
            let (head, ccer) = (await service.head, await service.ccer)
            for user in ["registrar", "owner", "e1", "validator", "sc", "citizen"] {
                for (path, payload) in [
                    ("/methodology-publications", Self.methodology(["code": "CCER-14-009-V01"]) as String?), ("/bodies", #"{"id":"X1","name":"X"}"#),
                    ("/bodies/CQC/withdrawal", nil),
                ] {
                    let answer = try await post(user, path, key: "forbidden-1", payload)
                    #expect(answer.status == 403 && answer.code == "FORBIDDEN", "\(user) \(path): \(answer.status) \(answer.body)")
                    #expect((answer.json["details"] as? [String: String])?["action"] == "ccer_regulate", "\(user) \(path)")
                }
            }
            let anonymous = try await post(nil, "/bodies", key: "anon-1", #"{"id":"X1","name":"X"}"#)
            #expect(anonymous.status == 401 && anonymous.code == "UNAUTHENTICATED")
            let noKey = try await api.call("POST", "/api/v1/ccer/bodies/CQC/withdrawal", token: t["mee"])
            #expect(noKey.status == 400 && noKey.code == "INVALID_INPUT", "\(noKey.body)")
            #expect(await service.head == head)
            #expect(await service.ccer == ccer)
            #expect(await service.ccer.bodies["CQC"]?.accredited == true)

            // Audited under the MEE's user, with the outcome.
            let audit = try await store.audit(limit: 1_000)
            for action in ["api_ccer_add_methodology", "api_ccer_accredit_body", "api_ccer_withdraw_accreditation"] {
                #expect(audit.contains { $0.user == "mee" && $0.action == action && $0.detail.hasPrefix("accepted #") }, "\(action)")
            }
            #expect(audit.contains { $0.user == "mee" && $0.action == "api_ccer_add_methodology" && $0.detail == "rejected DUPLICATE_METHODOLOGY" })
            #expect(audit.contains { $0.user == "mee" && $0.action == "api_ccer_withdraw_accreditation" && $0.detail.hasPrefix("replayed #") })
        }
    }

    /// A publication without `publishedOn` is dated today by the server; retried with the same
    /// key and body on a later day it is the same request (the filled-in date is not hashed) and
    /// replays the first answer, dated the first day; another body with the key is still refused.
    @Test(arguments: databases)
    func aPublicationRetriedOnALaterDayReplaysTheFirstAnswer(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, clock, t) = (world.service, world.clock, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func publish(_ key: String, _ body: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer/methodology-publications", token: t["mee"], key: key, body: body)
            }
            let first = try await publish("method-later", Self.methodology())
            #expect(first.status == 201 && first.json["replayed"] as? Bool == false, "\(first.body)")
            #expect((first.json["methodology"] as? [String: Any])?["published_on"] as? String == "2025-06-03", "\(first.body)")
            let head = await service.head
            clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 6, day: 4), hour: 9, minute: 30))
            #expect(BeijingTime.date(service.now()) == CivilDate(year: 2025, month: 6, day: 4))
            let retried = try await publish("method-later", Self.methodology())
            #expect(retried.status == 201 && retried.json["replayed"] as? Bool == true && retried.json["seq"] as? Int == first.json["seq"] as? Int, "\(retried.body)")
            #expect((retried.json["methodology"] as? [String: Any])?["published_on"] as? String == "2025-06-03", "\(retried.body)")
            #expect(await service.head == head)
            #expect(await service.ccer.methodologies["CCER-14-003-V01"]?.publishedOn == CivilDate(year: 2025, month: 6, day: 3))
            let other = try await publish("method-later", Self.methodology(["publishedOn": "2025-06-04"]))
            #expect(other.status == 422 && other.code == "IDEMPOTENCY_KEY_REUSED", "\(other.body)")
            #expect(await service.head == head)
        }
    }

    /// One user cannot close a notice to everyone: of 25 comments sent at once by one user, the
    /// first 20 (`maxCommentsPerUserPerNotice`) are recorded and the rest are 422
    /// COMMENT_LIMIT_PER_USER with nothing written; another user still comments.
    @Test(arguments: databases)
    func oneUsersCommentsOnANoticeStopAtThePerUserCap(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, store, t) = (world.service, world.store, world.tokens)
        let cap = CCERLimits.defaults.maxCommentsPerUserPerNotice
        #expect(await service.ccerPolicy.limits.maxCommentsPerUserPerNotice == cap)
        try await APICCERWorkflowTests.serve(world) { api in
            let token = t["i1"]
            let before = await service.ccer.projects["P000003"]?.designNotice.comments.count ?? -1
            let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<(cap + 5) {
                    group.addTask {
                        let answer = try await api.call(
                            "POST", "/api/v1/ccer/projects/P000003/comments", token: token, key: "flood-\(index)", body: #"{"text":"意见 \#(index)"}"#)
                        return (answer.status, answer.code)
                    }
                }
                var all: [(Int, String?)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.filter { $0.0 == 201 }.count == cap, "\(answers)")
            #expect(answers.filter { $0.0 == 422 && $0.1 == "COMMENT_LIMIT_PER_USER" }.count == 5, "\(answers)")
            let comments = await service.ccer.projects["P000003"]?.designNotice.comments ?? []
            #expect(comments.count == before + cap && comments.filter { $0.user == "i1" }.count == cap)
            // A refusal changes nothing; another user is not held by i1's cap.
            let head = await service.head
            let again = try await api.call("POST", "/api/v1/ccer/projects/P000003/comments", token: token, key: "flood-more", body: #"{"text":"再一条"}"#)
            #expect(again.status == 422 && again.code == "COMMENT_LIMIT_PER_USER" && again.body.contains("\(cap)"), "\(again.body)")
            #expect(await service.head == head)
            let citizen = try await api.call("POST", "/api/v1/ccer/projects/P000003/comments", token: t["citizen"], key: "c-after", body: #"{"text":"我也有意见"}"#)
            #expect(citizen.status == 201, "\(citizen.body)")
            let audit = try await store.audit(limit: 1_000)
            #expect(audit.contains { $0.user == "i1" && $0.action == "api_ccer_comment" && $0.detail == "rejected COMMENT_LIMIT_PER_USER" })
        }
    }

    @Test(arguments: databases)
    func anyoneLoggedInCommentsWhileANoticeRuns(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, store, clock, t) = (world.service, world.store, world.clock, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func comment(_ user: String?, _ project: String, key: String, _ body: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer/projects/\(project)/comments", token: user.flatMap { t[$0] }, key: key, body: body)
            }
            func refused(_ user: String?, _ project: String, _ body: String, _ status: Int, _ code: String, _ note: String) async throws {
                let (head, ccer) = (await service.head, await service.ccer)
                let answer = try await comment(user, project, key: "refused-\(UUID().uuidString.prefix(8))", body)
                #expect(answer.status == status && answer.code == code, "\(note): \(answer.status) \(answer.body)")
                #expect(await service.head == head, "\(note): nothing written")
                #expect(await service.ccer == ccer, "\(note): the CCER records as they were")
            }
            func texts(_ query: String) async throws -> [String] {
                let page = try await api.call("GET", "/api/v1/ccer/projects/\(query)")
                #expect(page.status == 200, "\(query): \(page.body)")
                return (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            }

            // P000003's design notice runs: an investor, an entity, the project owner, a validation
            // body's staff and a member of the public comment, each signed with the user's name.
            #expect(try await texts("P000003/comments") == [])
            let first = try await comment("i1", "P000003", key: "c-1", #"{"text":"光热电站用地是否涉及草场？"}"#)
            let recorded = first.json["comment"] as? [String: Any] ?? [:]
            #expect(first.status == 201 && first.json["replayed"] as? Bool == false, "\(first.body)")
            #expect(recorded["project"] as? String == "P000003" && recorded["period"] == nil && recorded["number"] as? Int == 1 && recorded["on"] as? String == "2025-06-03")
            #expect(recorded["author"] as? String == "碳源投资 交易员 Tanyuan trader" && recorded["text"] as? String == "光热电站用地是否涉及草场？")
            // The replay: the same answer, no second comment; the key with another text is refused.
            let replay = try await comment("i1", "P000003", key: "c-1", #"{"text":"光热电站用地是否涉及草场？"}"#)
            #expect(replay.status == 201 && replay.json["replayed"] as? Bool == true && replay.json["seq"] as? Int == first.json["seq"] as? Int)
            let reused = try await comment("i1", "P000003", key: "c-1", #"{"text":"另一条意见"}"#)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(await service.ccer.projects["P000003"]?.designNotice.comments.count == 1)
            for (index, user) in ["e1", "owner", "validator", "citizen"].enumerated() {
                let answer = try await comment(user, "P000003", key: "c-\(user)", #"{"text":"意见 \#(index + 2)"}"#)
                #expect(answer.status == 201 && (answer.json["comment"] as? [String: Any])?["number"] as? Int == index + 2, "\(user): \(answer.body)")
            }
            let citizen = await service.ccer.projects["P000003"]?.designNotice.comments.last
            #expect(citizen?.author == "公众 张三 Citizen Zhang" && citizen?.number == 5)

            // Refusals with their codes, nothing written: empty, too long, a closed notice (P000001's
            // design and first reduction notices), an unknown project or period, no token.
            try await refused("i1", "P000003", #"{"text":"   "}"#, 422, "INVALID_ARGUMENT", "an empty comment")
            let long = String(repeating: "长", count: CCERLimits.defaults.maxTextLength + 1)
            try await refused("i1", "P000003", #"{"text":"\#(long)"}"#, 422, "LIMIT_EXCEEDED", "over maxTextLength")
            try await refused("i1", "P000001", #"{"text":"太晚了"}"#, 422, "NOTICE_CLOSED", "the design notice ended")
            try await refused("i1", "P000001", #"{"text":"太晚了","period":1}"#, 422, "NOTICE_CLOSED", "the reduction notice ended")
            try await refused("i1", "P999999", #"{"text":"?"}"#, 422, "UNKNOWN_PROJECT", "an unknown project")
            try await refused("i1", "P000003", #"{"text":"?","period":1}"#, 422, "UNKNOWN_PERIOD", "a period that does not exist")
            try await refused(nil, "P000003", #"{"text":"匿名"}"#, 401, "UNAUTHENTICATED", "no token")
            let noKey = try await api.call("POST", "/api/v1/ccer/projects/P000003/comments", token: t["i1"], body: #"{"text":"无键"}"#)
            #expect(noKey.status == 400 && noKey.code == "INVALID_INPUT", "\(noKey.body)")

            // A reduction notice: the owner reports P000001's second period; the public comments on it.
            let report = #"{"start":"2025-01-01","end":"2025-05-31","reportedTonnes":9000,"reportText":"减排量核算报告 2025-01/05"}"#
            let reported = try await api.call("POST", "/api/v1/ccer/projects/P000001/reduction-reports", token: t["owner"], key: "report-2", body: report)
            #expect(reported.status == 201 && reported.json["period"] as? Int == 2, "\(reported.body)")
            let onPeriod = try await comment("citizen", "P000001", key: "c-period", #"{"text":"监测数据能否公开？","period":2}"#)
            #expect(onPeriod.status == 201 && (onPeriod.json["comment"] as? [String: Any])?["period"] as? Int == 2, "\(onPeriod.body)")

            // The lists: every notice of a project (design first), one period's, pages; 404s.
            #expect(try await texts("P000003/comments") == ["光热电站用地是否涉及草场？", "意见 2", "意见 3", "意见 4", "意见 5"])
            #expect(try await texts("P000001/comments") == ["造林地块是否占用基本农田？", "监测数据能否公开？"])
            #expect(try await texts("P000001/comments?period=2") == ["监测数据能否公开？"])
            #expect(try await texts("P000001/comments?period=1") == [])
            let page = try await api.call("GET", "/api/v1/ccer/projects/P000003/comments?limit=2&offset=2")
            #expect(page.json["total"] as? Int == 5 && page.json["nextOffset"] as? Int == 4 && (page.json["items"] as? [Any])?.count == 2, "\(page.body)")
            let noPeriod = try await api.call("GET", "/api/v1/ccer/projects/P000001/comments?period=9")
            #expect(noPeriod.status == 404 && noPeriod.code == "UNKNOWN_PERIOD", "\(noPeriod.body)")
            let noProject = try await api.call("GET", "/api/v1/ccer/projects/P999999/comments")
            #expect(noProject.status == 404 && noProject.code == "UNKNOWN_PROJECT", "\(noProject.body)")

            // After the notice's 20 working days: no more comments.
            clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 8, day: 1), hour: 10, minute: 0))
            try await refused("i1", "P000003", #"{"text":"公示已结束"}"#, 422, "NOTICE_CLOSED", "after the notice")

            let audit = try await store.audit(limit: 1_000)
            #expect(audit.contains { $0.user == "i1" && $0.action == "api_ccer_comment" && $0.detail.hasPrefix("accepted #") })
            #expect(audit.contains { $0.user == "citizen" && $0.action == "api_ccer_comment" && $0.detail.hasPrefix("accepted #") })
            #expect(audit.contains { $0.user == "i1" && $0.action == "api_ccer_comment" && $0.detail == "rejected NOTICE_CLOSED" })
            #expect(audit.contains { $0.user == "i1" && $0.action == "api_ccer_comment" && $0.detail.hasPrefix("replayed #") })
        }
    }
}

/// The comment form of the public CCER project page on the live server (demo market, drill
/// clock 2025-06-03): a visitor sees a login link, a logged-in user a form under each open
/// notice (zh and en); a comment is recorded once (the one-time key), listed on the page and
/// audited; a closed notice, an empty comment and a forged form change nothing.
@Suite("Web: comments during a CCER notice")
struct CCERCommentWebTests {
    @Test func aLoggedInUserCommentsOnAnOpenNotice() async throws {
        let world = try await PortalServerTests.world()
        let service = world.service
        try await PortalServerTests.serve(world) { port in
            // A visitor: the comments and a login link, no form; a post goes to the login.
            let visitor = PortalServerTests.client(port)
            let open = try await visitor.get("/ccer/projects/P000003")
            #expect(open.status == 200 && open.body.contains("id=\"comment-design-login\"") && !open.body.contains("id=\"comment-design\""), "\(open.body)")
            let closed = try await visitor.get("/ccer/projects/P000001")
            #expect(closed.body.contains("造林地块是否占用基本农田？") && !closed.body.contains("comment-design"))
            let anonymous = try await visitor.send("POST", "/ccer/projects/P000003/comment", form: [("text", "匿名")])
            #expect(anonymous.status == 303 && (anonymous.location ?? "").hasPrefix("/login"))

            // Logged in: the form under the open design notice, in Chinese and in English.
            let e1 = try await PortalServerTests.login(port, "e1")
            let zh = try await e1.get("/ccer/projects/P000003")
            #expect(zh.body.contains("id=\"comment-design\"") && zh.body.contains("提交意见") && zh.body.contains("川能发电 经办人 Chuanneng initiator"), "\(zh.body)")
            let en = try await e1.get("/ccer/projects/P000003?lang=en")
            #expect(en.body.contains("Submit comment") && en.body.contains("The notice runs until"))
            #expect(!(try await e1.get("/ccer/projects/P000001")).body.contains("id=\"comment-design\""))
            let csrf = try #require(NeutralityServerTests.field("csrf", in: zh.body))

            // A comment: recorded, shown on the page, audited; the same form again records nothing more.
            let head = await service.head
            let fields = PortalServerTests.form(csrf, [("text", "电站是否影响牧民转场？")])
            let posted = try await e1.send("POST", "/ccer/projects/P000003/comment", form: fields)
            #expect(posted.status == 303 && NeutralityServerTests.query(posted.location)["ok"] != nil, "\(posted.location ?? "")")
            #expect(await service.head.seq == head.seq + 1)
            let again = try await e1.send("POST", "/ccer/projects/P000003/comment", form: fields)
            #expect(again.status == 303 && NeutralityServerTests.query(again.location)["error"] == nil, "\(again.location ?? "")")
            #expect(await service.head.seq == head.seq + 1)
            let comments = await service.ccer.projects["P000003"]?.designNotice.comments ?? []
            #expect(comments.map(\.text) == ["电站是否影响牧民转场？"] && comments.first?.author == "川能发电 经办人 Chuanneng initiator")
            let shown = try await e1.get(try #require(posted.location))
            #expect(shown.body.contains("电站是否影响牧民转场？") && shown.body.contains("id=\"message\""))
            let audit = try await world.store.audit(limit: 200)
            #expect(audit.contains { $0.user == "e1" && $0.action == "ccer.comment" && $0.detail.hasPrefix("accepted #") })

            // Refusals change nothing: a closed notice, an empty comment, a bad period, a forged form.
            let after = await service.head
            for (project, extra, code) in [
                ("P000001", [("text", "太晚了")], "NOTICE_CLOSED"), ("P000003", [("text", "  ")], "INVALID_ARGUMENT"),
                ("P000003", [("text", "x"), ("period", "abc")], "INVALID_INPUT"),
            ] {
                let answer = try await e1.send("POST", "/ccer/projects/\(project)/comment", form: PortalServerTests.form(csrf, extra))
                #expect(answer.status == 303 && (NeutralityServerTests.query(answer.location)["error"] ?? "").hasPrefix(code), "\(project): \(answer.location ?? "")")
            }
            let forged = try await e1.send("POST", "/ccer/projects/P000003/comment", form: PortalServerTests.form("forged", [("text", "伪造")]))
            #expect(forged.status == 403)
            #expect(await service.head == after)
            let refusal = try await e1.get("/ccer/projects/P000001?error=NOTICE_CLOSED%3A%20x")
            #expect(refusal.body.contains("id=\"error\""))
        }
    }

    /// The per-user cap on the web form: a user's comment past `maxCommentsPerUserPerNotice`
    /// is refused with COMMENT_LIMIT_PER_USER, nothing written, and the page says so in Chinese
    /// and English; another user still comments.
    @Test func aUserPastThePerUserCapIsToldSoOnThePage() async throws {
        let world = try await PortalServerTests.world()
        let service = world.service
        let cap = CCERLimits.defaults.maxCommentsPerUserPerNotice
        try await PortalServerTests.serve(world) { port in
            let e1 = try await PortalServerTests.login(port, "e1")
            let csrf = try #require(NeutralityServerTests.field("csrf", in: try await e1.get("/ccer/projects/P000003").body))
            for index in 1...cap {
                let posted = try await e1.send("POST", "/ccer/projects/P000003/comment", form: PortalServerTests.form(csrf, [("text", "意见 \(index)")]))
                #expect(posted.status == 303 && NeutralityServerTests.query(posted.location)["error"] == nil, "\(index): \(posted.location ?? "")")
            }
            let head = await service.head
            let refused = try await e1.send("POST", "/ccer/projects/P000003/comment", form: PortalServerTests.form(csrf, [("text", "再一条")]))
            let error = NeutralityServerTests.query(refused.location)["error"] ?? ""
            #expect(refused.status == 303 && error.hasPrefix("COMMENT_LIMIT_PER_USER"), "\(refused.location ?? "")")
            #expect(await service.head == head)
            #expect((await service.ccer.projects["P000003"]?.designNotice.comments ?? []).filter { $0.user == "e1" }.count == cap)
            let zh = try await e1.get(try #require(refused.location))
            #expect(zh.body.contains("id=\"error\"") && zh.body.contains("已达每人 \(cap) 条的上限") && zh.body.contains("COMMENT_LIMIT_PER_USER"), "\(zh.body)")
            let en = try await e1.get(try #require(refused.location) + "&lang=en")
            #expect(en.body.contains("the most comments one user may make on this notice (\(cap))"), "\(en.body)")
            // Another user is not held by e1's cap.
            let i1 = try await PortalServerTests.login(port, "i1")
            let other = try #require(NeutralityServerTests.field("csrf", in: try await i1.get("/ccer/projects/P000003").body))
            let posted = try await i1.send("POST", "/ccer/projects/P000003/comment", form: PortalServerTests.form(other, [("text", "我也有意见")]))
            #expect(posted.status == 303 && NeutralityServerTests.query(posted.location)["error"] == nil, "\(posted.location ?? "")")
            #expect(await service.head.seq == head.seq + 1)
        }
    }
}

/// The CCER regulator's page on the live server (demo market): the MEE accredits a body,
/// withdraws the accreditation and publishes a methodology through the forms; refusals keep
/// their codes and change nothing; other roles are refused.
@Suite("Web: the CCER regulator's page")
struct CCERRegulatorWebTests {
    @Test func theMEEAccreditsWithdrawsAndPublishes() async throws {
        let world = try await PortalServerTests.world()
        let service = world.service
        try await PortalServerTests.serve(world) { port in
            let mee = try await PortalServerTests.login(port, "mee")
            #expect(try await mee.get("/portal/mee").body.contains("href=\"/portal/ccer-regulator\""))
            let page = try await mee.get("/portal/ccer-regulator")
            #expect(page.status == 200 && page.body.contains("id=\"regulator-bodies\"") && page.body.contains("id=\"withdraw-CQC\"") && page.body.contains("id=\"methodology-form\""), "\(page.body)")
            #expect(try await mee.get("/portal/ccer-regulator?lang=en").body.contains("Publish a methodology"))
            let csrf = try #require(NeutralityServerTests.field("csrf", in: page.body))
            func post(_ path: String, _ fields: [(String, String)]) async throws -> (ok: String?, error: String?) {
                let answer = try await mee.send("POST", "/portal/ccer-regulator/\(path)", form: PortalServerTests.form(csrf, fields))
                #expect(answer.status == 303, "\(path): \(answer.status)")
                let query = NeutralityServerTests.query(answer.location)
                return (query["ok"], query["error"])
            }

            let accredited = try await post("accredit", [("id", "CEC"), ("name", "中环联合认证中心 CEC")])
            #expect(accredited.ok != nil && accredited.error == nil, "\(accredited)")
            #expect(await service.ccer.bodies["CEC"]?.accredited == true)
            let head = await service.head
            #expect((try await post("accredit", [("id", "CQC"), ("name", "again")])).error?.hasPrefix("DUPLICATE_BODY") == true)
            #expect((try await post("withdraw", [("body", "NOPE")])).error?.hasPrefix("UNKNOWN_BODY") == true)
            #expect(await service.head == head)
            let withdrawn = try await post("withdraw", [("body", "CEC")])
            #expect(withdrawn.ok != nil && withdrawn.error == nil, "\(withdrawn)")
            #expect(await service.ccer.bodies["CEC"]?.accredited == false)

            let fields = [
                ("code", "CCER-14-003-V01"), ("name", "竹林经营碳汇"), ("name_en", "Bamboo forest management"), ("sector", "afforestation and reforestation"),
                ("gas_CO2", "on"), ("min_years", "20"), ("max_years", "40"), ("documents", "方法学文本\n设计与实施指南"), ("source", "公告 (test)"),
            ]
            let published = try await post("methodology", fields)
            #expect(published.ok != nil && published.error == nil, "\(published)")
            let methodology = try #require(await service.ccer.methodologies["CCER-14-003-V01"])
            #expect(methodology.gases == [.co2] && methodology.documents == ["方法学文本", "设计与实施指南"] && methodology.creditingPeriod.minYears == 20)
            #expect(methodology.publishedOn == BeijingTime.date(service.now()) && !methodology.creditingPeriod.renewable)
            let after = await service.head
            // The same methodology again (a new form, so a new one-time key): already published.
            #expect((try await post("methodology", fields)).error?.hasPrefix("DUPLICATE_METHODOLOGY") == true)
            #expect((try await post("methodology", fields.filter { $0.0 != "gas_CO2" }.map { $0.0 == "code" ? ($0.0, "CCER-14-005-V01") : $0 })).error?.hasPrefix("INVALID_ARGUMENT") == true)
            #expect((try await post("methodology", fields.map { $0.0 == "max_years" ? ($0.0, "forty") : $0 })).error?.hasPrefix("INVALID_INPUT") == true)
            #expect(await service.head == after)
            let shown = try await mee.get("/portal/ccer-regulator")
            #expect(shown.body.contains("CCER-14-003-V01") && !shown.body.contains("id=\"withdraw-CEC\""))

            // Another role may not use the page.
            let e1 = try await PortalServerTests.login(port, "e1")
            #expect(try await e1.get("/portal/ccer-regulator").status == 403)
        }
    }
}
