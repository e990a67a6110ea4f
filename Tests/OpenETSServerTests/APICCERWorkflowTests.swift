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

/// The CCER workflow through the REST API only, on the live server over the demo market with
/// its CCER story (drill clock 2025-06-03 10:00), on SQLite and, when `OPENETS_TEST_POSTGRES_URL`
/// is set, on PostgreSQL: one project from submission to issuance (the credits then in the
/// owner's holdings) and a cancellation of some for carbon neutrality; replays with the same
/// Idempotency-Key; each refusal with its code and the journal head unchanged; roles without
/// the action (403) and scope (another owner's project, a user of no or of an unknown body).
@Suite("REST API: the CCER workflow")
struct APICCERWorkflowTests {
    typealias Client = APIPermissionWalkTests.Client
    typealias Fetched = APIPermissionWalkTests.Fetched

    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var clock: MarketClock
        var location: StoreLocation
        var tokens: [String: String]
    }

    static var databases: [String] { TestMarket.databases }

    /// The demo market and users, plus a second project owner (acting for the investor account
    /// INV-000001), staff of an unknown body (CEC) and staff of no body; an API token each.
    static func world(_ database: String) async throws -> World {
        let location = try TestMarket.freshLocation(database, tag: "apiccer")
        let (store, service, clock) = try await TestMarket.openDemo(location)
        let now = SystemClock().now()
        for (id, role, account, body) in [
            ("owner2", Role.projectOwner, "INV-000001" as AccountID?, nil as String?), ("cec-staff", .validationBody, nil, "CEC"),
            ("nobody", .validationBody, nil, nil),
        ] {
            try await store.saveUser(UserRecord(
                id: id, name: id, role: role, account: account, province: nil, passwordHash: "-", totpSecret: nil, createdAt: now, validationBody: body))
        }
        let tokens = try await TestMarket.tokens(store, ["owner", "owner2", "validator", "cec-staff", "nobody", "registrar", "i1", "e1"], label: "ccer")
        return World(store: store, service: service, clock: clock, location: location, tokens: tokens)
    }

    static func serve(_ world: World, _ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await PortalServerTests.run(ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service) { port in
            try await body(Client(port: port))
        }
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    static let design = "攀枝花光热电站 项目设计文件 PDD v1"

    /// A project application as JSON, with fields replaced or removed (nil).
    static func submission(_ changes: [String: Any?] = [:]) -> String {
        var fields: [String: Any] = [
            "name": "攀枝花光热电站 Panzhihua solar thermal", "methodology": "CCER-01-001-V01", "province": "SC", "location": "四川省攀枝花市仁和区",
            "type": "grid solar thermal", "constructionStart": "2024-06-01", "creditingStart": "2025-01-01", "creditingEnd": "2034-12-31",
            "expectedAnnualTonnes": 50_000, "designDocumentText": design,
        ]
        for (name, value) in changes { fields[name] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
    }

    static func holding(_ service: RegistryService, _ account: AccountID, _ unit: UnitTypeCode) async -> Int64 {
        await service.state.holdings[HoldingKey(account: account, unit: unit)]?.total ?? 0
    }

    @Test(arguments: databases)
    func oneProjectFromSubmissionToIssuanceThroughTheAPI(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, store, clock, t) = (world.service, world.store, world.clock, world.tokens)
        try await Self.serve(world) { api in
            func post(_ user: String, _ path: String, key: String, _ body: String? = nil) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer" + path, token: t[user], key: key, body: body)
            }
            /// A refusal: its status and code, and nothing written (journal head and CCER state as before).
            func refused(_ user: String, _ path: String, _ body: String? = nil, _ status: Int, _ code: String, _ note: String) async throws {
                let (head, ccer) = (await service.head, await service.ccer)
                let answer = try await post(user, path, key: "refused-\(UUID().uuidString.prefix(8))", body)
                #expect(answer.status == status && answer.code == code, "\(note): \(answer.status) \(answer.body)")
                #expect(await service.head == head, "\(note): nothing written")
                #expect(await service.ccer == ccer, "\(note): the CCER records as they were")
            }

            // Submission refusals: construction too early (the CCER rules' code), a malformed hash,
            // no design document or both forms of it, a date that is no date.
            try await refused("owner", "/submissions", Self.submission(["constructionStart": "2010-01-01"]), 422, "CONSTRUCTION_TOO_EARLY", "construction too early")
            try await refused("owner", "/submissions", Self.submission(["designDocumentText": nil, "designDocumentSha256": "not-a-hash"]), 422, "INVALID_ARGUMENT", "malformed hash")
            try await refused("owner", "/submissions", Self.submission(["designDocumentText": nil]), 400, "INVALID_INPUT", "no design document")
            try await refused("owner", "/submissions", Self.submission(["designDocumentSha256": sha256Hex("x")]), 400, "INVALID_INPUT", "hash and text")
            try await refused("owner", "/submissions", Self.submission(["creditingEnd": "2034-13-31"]), 400, "INVALID_INPUT", "no such date")
            try await refused("owner", "/submissions", Self.submission(["methodology": "CCER-99-999-V99"]), 422, "UNKNOWN_METHODOLOGY", "unknown methodology")

            // The submission: the owner's own account, the design document's SHA-256 computed by the server.
            let projects = await service.ccer.projects.count
            let submitted = try await post("owner", "/submissions", key: "submit-1", Self.submission())
            #expect(submitted.status == 201 && submitted.json["replayed"] as? Bool == false, "\(submitted.body)")
            let id = try #require(submitted.json["project"] as? String)
            let project = try #require(await service.ccer.projects[CCERProjectID(id)])
            #expect(id == "P000004" && project.application.owner == DemoCCER.owner && project.stage == .designNotice)
            #expect(project.application.designDocumentSHA256 == sha256Hex(Self.design))
            // The replay: the same answer, no second project; the same key with another request is refused.
            let replay = try await post("owner", "/submissions", key: "submit-1", Self.submission())
            #expect(replay.status == 201 && replay.json["replayed"] as? Bool == true && replay.json["project"] as? String == id)
            #expect(replay.json["seq"] as? Int == submitted.json["seq"] as? Int)
            #expect(await service.ccer.projects.count == projects + 1)
            let reused = try await post("owner", "/submissions", key: "submit-1", Self.submission(["name": "另一个项目 Another project"]))
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(await service.ccer.projects.count == projects + 1)

            // During the design notice: no validation, no registration.
            let report = #"{"conclusion":"positive","reportText":"审定报告 攀枝花","findings":["选址核实无误","并网协议已签"]}"#
            try await refused("validator", "/projects/\(id)/validation", report, 422, "NOTICE_NOT_ENDED", "validation during the notice")
            try await refused("owner", "/projects/\(id)/registration-application", nil, 422, "WRONG_STAGE", "registration before validation")
            try await refused("owner", "/projects/P999999/registration-application", nil, 422, "UNKNOWN_PROJECT", "unknown project")

            // Six weeks later the notice has ended: the validation body validates as its own body.
            clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 7, day: 15), hour: 10, minute: 0))
            try await refused("validator", "/projects/\(id)/validation", #"{"conclusion":"negative","reportText":"r"}"#, 422, "INVALID_ARGUMENT", "a negative conclusion without findings")
            try await refused("validator", "/projects/\(id)/validation", #"{"conclusion":"positive"}"#, 400, "INVALID_INPUT", "no report")
            try await refused("cec-staff", "/projects/\(id)/validation", report, 422, "UNKNOWN_BODY", "staff of an unknown body")
            let validated = try await post("validator", "/projects/\(id)/validation", key: "validate-1", report)
            #expect(validated.status == 200 && validated.json["project"] as? String == id, "\(validated.body)")
            let validation = try #require(await service.ccer.projects[CCERProjectID(id)]?.validation)
            #expect(validation.body == DemoCCER.body && validation.positive && validation.reportSHA256 == sha256Hex("审定报告 攀枝花"))
            #expect(validation.findings == ["选址核实无误", "并网协议已签"])
            let validatedAgain = try await post("validator", "/projects/\(id)/validation", key: "validate-1", report)
            #expect(validatedAgain.status == 200 && validatedAgain.json["replayed"] as? Bool == true && validatedAgain.json["seq"] as? Int == validated.json["seq"] as? Int)

            // The owner applies; the registry decides (a reason is required).
            let applied = try await post("owner", "/projects/\(id)/registration-application", key: "apply-1")
            #expect(applied.status == 200, "\(applied.body)")
            #expect(await service.ccer.projects[CCERProjectID(id)]?.stage == .registrationReview)
            try await refused("registrar", "/projects/\(id)/registration-decision", #"{"decision":"approve"}"#, 422, "INVALID_ARGUMENT", "a decision without a reason")
            let approved = try await post("registrar", "/projects/\(id)/registration-decision", key: "decide-1", #"{"decision":"approve","reason":"材料齐全"}"#)
            #expect(approved.status == 200, "\(approved.body)")
            #expect(await service.ccer.projects[CCERProjectID(id)]?.stage == .registered)

            // A reduction report for January–June 2025: the new period's number.
            try await refused("owner", "/projects/\(id)/reduction-reports", #"{"start":"2025-01-01","end":"2025-08-31","reportedTonnes":30000,"reportText":"r"}"#, 422, "DATES_OUT_OF_ORDER", "a period not yet ended")
            try await refused("owner", "/projects/\(id)/reduction-reports", #"{"start":"2024-07-01","end":"2024-12-31","reportedTonnes":30000,"reportText":"r"}"#, 422, "OUTSIDE_CREDITING_PERIOD", "before the crediting period")
            let reportBody = #"{"start":"2025-01-01","end":"2025-06-30","reportedTonnes":30000,"reportText":"减排量核算报告 2025-01/06"}"#
            let reported = try await post("owner", "/projects/\(id)/reduction-reports", key: "report-1", reportBody)
            #expect(reported.status == 201 && reported.json["period"] as? Int == 1, "\(reported.body)")
            let verify = #"{"verifiedTonnes":28000,"reportText":"核查报告 攀枝花 2025-01/06","findings":["监测数据完整"]}"#
            try await refused("validator", "/projects/\(id)/periods/1/verification", verify, 422, "NOTICE_NOT_ENDED", "verification during the reduction notice")

            // After the reduction notice: verified, applied, registered, issued.
            clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 9, day: 1), hour: 10, minute: 0))
            try await refused("validator", "/projects/\(id)/periods/1/verification", #"{"verifiedTonnes":40000,"reportText":"r"}"#, 422, "QUANTITY_EXCEEDS_REPORTED", "more than reported")
            try await refused("validator", "/projects/\(id)/periods/2/verification", verify, 422, "UNKNOWN_PERIOD", "no such period")
            let verified = try await post("validator", "/projects/\(id)/periods/1/verification", key: "verify-1", verify)
            #expect(verified.status == 200 && verified.json["period"] as? Int == 1, "\(verified.body)")
            try await refused("registrar", "/projects/\(id)/periods/1/issuance", nil, 422, "WRONG_STAGE", "issuance before registration")
            let appliedReductions = try await post("owner", "/projects/\(id)/periods/1/registration-application", key: "apply-r-1")
            #expect(appliedReductions.status == 200, "\(appliedReductions.body)")
            let registered = try await post("registrar", "/projects/\(id)/periods/1/registration-decision", key: "decide-r-1", #"{"decision":"approve","reason":"核查无误"}"#)
            #expect(registered.status == 200, "\(registered.body)")
            let unit = IssuanceOrder.unitTypeCode(project: CCERProjectID(id), period: 1)
            #expect(await Self.holding(service, DemoCCER.owner, unit) == 0)
            let issued = try await post("registrar", "/projects/\(id)/periods/1/issuance", key: "issue-1")
            #expect(issued.status == 201 && issued.json["unitType"] as? String == unit.rawValue && issued.json["issuedTonnes"] as? Int == 28_000, "\(issued.body)")
            #expect(await Self.holding(service, DemoCCER.owner, unit) == 28_000)
            // The replay issues nothing more; issuing again under another key is refused.
            let issuedAgain = try await post("registrar", "/projects/\(id)/periods/1/issuance", key: "issue-1")
            #expect(issuedAgain.status == 201 && issuedAgain.json["replayed"] as? Bool == true && issuedAgain.json["issuedTonnes"] as? Int == 28_000)
            try await refused("registrar", "/projects/\(id)/periods/1/issuance", nil, 422, "WRONG_STAGE", "issued twice")
            #expect(await Self.holding(service, DemoCCER.owner, unit) == 28_000)
            // The owner's holdings through the API.
            let holdings = try await api.call("GET", "/api/v1/registry/accounts/\(DemoCCER.owner.rawValue)/holdings")
            let row = (holdings.json["holdings"] as? [[String: Any]] ?? []).first { $0["unit"] as? String == unit.rawValue }
            #expect(row?["totalTonnes"] as? Int == 28_000, "\(holdings.body)")

            // Some of them cancelled for the neutrality of an event: a certificate with its public check.
            let claim = #"{"unit":"\#(unit.rawValue)","quantityTonnes":120,"beneficiary":"四川生态论坛组委会","purpose":"event","subject":"四川生态论坛 2025"}"#
            try await refused("owner", "/neutrality-cancellations", claim.replacingOccurrences(of: "120", with: "30000"), 422, "INSUFFICIENT_HOLDING", "more than held")
            let cancelled = try await post("owner", "/neutrality-cancellations", key: "neutral-1", claim)
            #expect(cancelled.status == 201 && cancelled.json["certificateNumber"] as? String != nil, "\(cancelled.body)")
            let code = try #require(cancelled.json["verificationCode"] as? String)
            #expect(await Self.holding(service, DemoCCER.owner, unit) == 28_000 - 120)
            let check = try await api.call("GET", "/api/v1/ccer/certificates/\(code)")
            #expect(check.status == 200 && check.json["quantity"] as? Int == 120 && check.json["unit"] as? String == unit.rawValue, "\(check.body)")
            let cancelledAgain = try await post("owner", "/neutrality-cancellations", key: "neutral-1", claim)
            #expect(cancelledAgain.status == 201 && cancelledAgain.json["replayed"] as? Bool == true && cancelledAgain.json["verificationCode"] as? String == code)
            #expect(await Self.holding(service, DemoCCER.owner, unit) == 28_000 - 120)

            // Every call is audited under its user, with its outcome.
            let audit = try await store.audit(limit: 1_000)
            for (user, action) in [
                ("owner", "api_ccer_submit_project"), ("validator", "api_ccer_record_validation"), ("owner", "api_ccer_apply_for_registration"),
                ("registrar", "api_ccer_decide_registration"), ("owner", "api_ccer_submit_reduction_report"), ("validator", "api_ccer_record_verification"),
                ("owner", "api_ccer_apply_for_reduction_registration"), ("registrar", "api_ccer_decide_reduction_registration"), ("registrar", "api_ccer_issue"),
                ("owner", "api_ccer_cancel_for_neutrality"),
            ] {
                #expect(audit.contains { $0.user == user && $0.action == action && $0.detail.hasPrefix("accepted #") }, "\(user) \(action)")
            }
            #expect(audit.contains { $0.user == "owner" && $0.action == "api_ccer_submit_project" && $0.detail == "rejected CONSTRUCTION_TOO_EARLY" })
            #expect(audit.contains { $0.user == "registrar" && $0.action == "api_ccer_issue" && $0.detail.hasPrefix("replayed #") })
        }
    }

    @Test(arguments: databases)
    func rolesAndScopesAreRefusedAndChangeNothing(_ database: String) async throws {
        let world = try await Self.world(database)
        let (service, store, t) = (world.service, world.store, world.tokens)
        try await Self.serve(world) { api in
            let head = await service.head
            let ccer = await service.ccer
            func answer(_ user: String?, _ path: String, _ body: String? = nil) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer" + path, token: user.flatMap { t[$0] }, key: "scope-1", body: body)
            }
            let decision = #"{"decision":"approve","reason":"r"}"#
            let validation = #"{"conclusion":"positive","reportText":"r"}"#
            let verification = #"{"verifiedTonnes":1,"reportText":"r"}"#
            let report = #"{"start":"2025-01-01","end":"2025-03-31","reportedTonnes":100,"reportText":"r"}"#
            let claim = #"{"unit":"CCER-P000001-M01","quantityTonnes":1,"beneficiary":"b","purpose":"event","subject":"s"}"#
            // Roles without the operation's action: 403 FORBIDDEN naming the action.
            for (user, path, body, action) in [
                ("validator", "/submissions", Self.submission(), "ccer_apply"), ("i1", "/submissions", Self.submission(), "ccer_apply"),
                ("registrar", "/projects/P000002/registration-application", nil, "ccer_apply"),
                ("owner", "/projects/P000002/validation", validation, "ccer_validate"), ("registrar", "/projects/P000001/periods/1/verification", verification, "ccer_validate"),
                ("owner", "/projects/P000002/registration-decision", decision, "ccer_review"), ("validator", "/projects/P000001/periods/1/registration-decision", decision, "ccer_review"),
                ("e1", "/projects/P000001/periods/1/issuance", nil, "ccer_review"), ("validator", "/neutrality-cancellations", claim, "neutrality_cancel"),
                ("registrar", "/neutrality-cancellations", claim, "neutrality_cancel"),
            ] as [(String, String, String?, String)] {
                let refused = try await answer(user, path, body)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user) \(path): \(refused.status) \(refused.body)")
                #expect((refused.json["details"] as? [String: String])?["action"] == action, "\(user) \(path)")
            }
            // Scope: another owner's projects (P000001–P000003 are OWN-000001's), staff of no body.
            for path in ["/projects/P000002/registration-application", "/projects/P000001/periods/1/registration-application"] {
                let other = try await answer("owner2", path)
                #expect(other.status == 403 && other.code == "FORBIDDEN" && ((other.json["details"] as? [String: String])?["reason"] ?? "").contains("not owned"), "\(path): \(other.body)")
            }
            let otherReport = try await answer("owner2", "/projects/P000001/reduction-reports", report)
            #expect(otherReport.status == 403 && otherReport.code == "FORBIDDEN", "\(otherReport.body)")
            let noBody = try await answer("nobody", "/projects/P000002/validation", validation)
            #expect(noBody.status == 403 && ((noBody.json["details"] as? [String: String])?["reason"] ?? "").contains("no validation body"), "\(noBody.body)")
            // Without a token: 401; without an Idempotency-Key: 400.
            let anonymous = try await answer(nil, "/submissions", Self.submission())
            #expect(anonymous.status == 401 && anonymous.code == "UNAUTHENTICATED")
            let noKey = try await api.call("POST", "/api/v1/ccer/projects/P000002/registration-application", token: t["owner"])
            #expect(noKey.status == 400, "\(noKey.body)")
            #expect(await service.head == head)
            #expect(await service.ccer == ccer)
            // A scope refusal is audited as refused under the action.
            let audit = try await store.audit(limit: 500)
            #expect(audit.contains { $0.user == "owner2" && $0.action == "api_ccer_apply" && $0.detail == "refused" })
        }
    }
}
