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

/// The CCER portals on the live server over the demo market with its CCER story (drill clock
/// 2025-06-03 10:00; P000002 awaits a validation, P000003 is in notice): the project owner
/// submits and applies, the validation body validates and verifies as its own body, the
/// registry decides and issues; other roles get 403, bad input its code, and a refusal leaves
/// the CCER journal as it was.
@Suite("HTTP server: CCER portals")
struct CCERPortalTests {
    typealias P = PortalServerTests

    static func world() async throws -> (PortalServerTests.World, MarketClock) {
        let path = try TestMarket.freshSQLitePath(tag: "ccer_portals")
        let (store, service, clock) = try await TestMarket.openDemo(.sqlite(path: path))
        try await DemoMRV.seed(.sqlite(path: path))
        let (mrvStore, mrv) = try await Composition.openMRV(.sqlite(path: path), clock: clock, connectionID: 2)
        return (PortalServerTests.World(store: store, service: service, mrvStore: mrvStore, mrv: mrv, path: path), clock)
    }

    /// Logs in a user the test created (no second factor: validation body staff).
    static func login(_ port: Int, user: String, password: String) async throws -> NeutralityServerTests.Client {
        var client = P.client(port)
        let login = try await client.login(form: [("user", user), ("password", password), ("totp", "")])
        #expect(login.status == 303, "\(user) logs in")
        client.cookie = login.cookie
        return client
    }

    static let project: [(String, String)] = [
        ("name", "攀枝花光热电站 Panzhihua solar thermal"), ("methodology", "CCER-01-001-V01"), ("province", "SC"), ("location", "四川省攀枝花市仁和区"),
        ("type", "grid solar thermal"), ("construction", "2024-06-01"), ("crediting_start", "2025-01-01"), ("crediting_end", "2034-12-31"),
        ("expected_t", "50000"), ("host", ""),
    ]

    @Test func ownerSubmitsValidatorValidatesRegistryDecides() async throws {
        let (world, clock) = try await Self.world()
        let service = world.service
        let store = world.store
        try await P.serve(world) { port in
            let owner = try await P.login(port, "owner")
            // The owner lands on the trading screen (its account trades), which links its portal.
            #expect(try await owner.get("/trade").body.contains("<a href=\"/portal/owner\" id=\"owner-link\">"))
            let e1 = try await P.login(port, "e1")
            #expect(try await e1.get("/trade").body.contains("id=\"owner-link\"") == false)
            let page = try await owner.get("/portal/owner")
            #expect(page.status == 200 && page.body.contains("id=\"owner-projects\"") && page.body.contains("川西林业碳汇造林项目"))
            #expect(page.body.contains("造林地块是否占用基本农田"), "the public-notice comment")
            #expect(page.body.contains("id=\"ccer-holdings\"") && page.body.contains("CCER-P000001-M01"))
            #expect(try await owner.get("/portal/owner?lang=en").body.contains("Project owner portal"))
            let csrf = try await P.csrf(owner, "/portal/owner")

            // Bad input changes nothing: a bad date, no design document, a malformed hash, construction too early,
            // applying for a project still in notice or for none.
            let head = await service.head
            let ccer = await service.ccer
            func error(_ fetched: NeutralityServerTests.Fetched) -> String { P.outcome(fetched).error ?? "none: \(fetched.location ?? "")" }
            let design = ("design_text", "项目设计文件 PDD v1")
            let badDate = try await owner.send("POST", "/portal/owner/submit", form: P.form(csrf, Self.project.map { $0.0 == "construction" ? ($0.0, "2024-13-01") : $0 } + [design]))
            #expect(error(badDate).hasPrefix("INVALID_INPUT"), "\(error(badDate))")
            let noDesign = try await owner.send("POST", "/portal/owner/submit", form: P.form(csrf, Self.project))
            #expect(error(noDesign).hasPrefix("INVALID_INPUT"), "\(error(noDesign))")
            let badHash = try await owner.send("POST", "/portal/owner/submit", form: P.form(csrf, Self.project + [("design_sha256", "not-a-hash")]))
            #expect(error(badHash).hasPrefix("INVALID_ARGUMENT"), "\(error(badHash))")
            let early = try await owner.send("POST", "/portal/owner/submit", form: P.form(csrf, Self.project.map { $0.0 == "construction" ? ($0.0, "2010-01-01") : $0 } + [design]))
            #expect(error(early).hasPrefix("CONSTRUCTION_TOO_EARLY"), "\(error(early))")
            let inNotice = try await owner.send("POST", "/portal/owner/apply", form: P.form(csrf, [("project", "P000003")]))
            #expect(error(inNotice).hasPrefix("WRONG_STAGE"), "\(error(inNotice))")
            let unknown = try await owner.send("POST", "/portal/owner/apply", form: P.form(csrf, [("project", "P999999")]))
            #expect(error(unknown).hasPrefix("UNKNOWN_PROJECT"), "\(error(unknown))")
            #expect(try await owner.send("POST", "/portal/owner/submit", form: [("csrf", "forged"), ("nonce", "n1")] + Self.project + [design]).status == 403)
            #expect(await service.head == head)
            #expect(await service.ccer == ccer)

            // The project by the form: the owner's own account, the design document's SHA-256 computed by the server.
            let submitted = try await owner.send("POST", "/portal/owner/submit", form: P.form(csrf, Self.project + [design]))
            #expect(P.outcome(submitted).ok?.contains("ccer.submit_project: P000004") == true, "\(P.outcome(submitted))")
            let p4 = try #require(await service.ccer.projects["P000004"])
            #expect(p4.application.owner == DemoCCER.owner && p4.application.designDocumentSHA256 == sha256Hex("项目设计文件 PDD v1") && p4.stage == .designNotice)
            #expect(try await owner.get("/portal/owner").body.contains("攀枝花光热电站"))

            // The validation body: P000002's notice has ended (a form), P000004's has not.
            let validator = try await P.login(port, "validator")
            let vpage = try await validator.get("/portal/validator")
            #expect(vpage.status == 200 && vpage.body.contains("id=\"awaiting-validation\"") && vpage.body.contains("id=\"validate-P000002\""))
            #expect(vpage.body.contains("P000004") && !vpage.body.contains("id=\"validate-P000004\""))
            #expect(try await validator.get("/portal/validator?lang=en").body.contains("Validation body portal"))
            let vcsrf = try await P.csrf(validator, "/portal/validator")
            let before = await service.head
            let tooSoon = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [("project", "P000004"), ("report_text", "审定报告"), ("conclusion", "positive")]))
            #expect(error(tooSoon).hasPrefix("NOTICE_NOT_ENDED"), "\(error(tooSoon))")
            let maybe = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [("project", "P000002"), ("report_text", "审定报告"), ("conclusion", "maybe")]))
            #expect(error(maybe).hasPrefix("INVALID_INPUT"), "\(error(maybe))")
            let unexplained = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [("project", "P000002"), ("report_text", "审定报告"), ("conclusion", "negative")]))
            #expect(error(unexplained).hasPrefix("INVALID_ARGUMENT"), "a negative conclusion states findings: \(error(unexplained))")
            let noReport = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [("project", "P000002"), ("conclusion", "positive")]))
            #expect(error(noReport).hasPrefix("INVALID_INPUT"), "\(error(noReport))")
            #expect(await service.head == before)

            // A positive validation, as the user's own body even when the form names another.
            let validated = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [
                ("project", "P000002"), ("report_text", "会理光热电站审定报告"), ("findings", "选址核实无误\n\n并网协议已签"), ("conclusion", "positive"), ("body", "OTHER")]))
            #expect(P.outcome(validated).ok?.contains("ccer.record_validation") == true, "\(P.outcome(validated))")
            let validation = try #require(await service.ccer.projects["P000002"]?.validation)
            #expect(validation.body == DemoCCER.body && validation.positive && validation.findings == ["选址核实无误", "并网协议已签"])
            #expect(validation.reportSHA256 == sha256Hex("会理光热电站审定报告"))
            let again = try await validator.send("POST", "/portal/validator/validate", form: P.form(vcsrf, [("project", "P000002"), ("report_text", "x"), ("conclusion", "positive")]))
            #expect(error(again).hasPrefix("WRONG_STAGE"), "\(error(again))")

            // The owner applies for registration; the registry approves it.
            let applied = try await owner.send("POST", "/portal/owner/apply", form: P.form(csrf, [("project", "P000002")]))
            #expect(P.outcome(applied).ok?.contains("ccer.apply_for_registration") == true, "\(P.outcome(applied))")
            #expect(await service.ccer.projects["P000002"]?.stage == .registrationReview)
            let registrar = try await P.login(port, "registrar")
            let rpage = try await registrar.get("/portal/ccer-review")
            #expect(rpage.status == 200 && rpage.body.contains("id=\"approve-P000002\""))
            let rcsrf = try await P.csrf(registrar, "/portal/ccer-review")
            let nonsense = try await registrar.send("POST", "/portal/ccer-review/decide", form: P.form(rcsrf, [("project", "P000002"), ("decision", "perhaps")]))
            #expect(error(nonsense).hasPrefix("INVALID_INPUT"))
            let approved = try await registrar.send("POST", "/portal/ccer-review/decide", form: P.form(rcsrf, [("project", "P000002"), ("decision", "approve"), ("reason", "材料齐全")]))
            #expect(P.outcome(approved).ok?.contains("ccer.decide_registration") == true, "\(P.outcome(approved))")
            #expect(await service.ccer.projects["P000002"]?.stage == .registered)

            // A reduction report for January–May 2025; its verification waits for the notice.
            let reported = try await owner.send("POST", "/portal/owner/report", form: P.form(csrf, [
                ("project", "P000002"), ("start", "2025-01-01"), ("end", "2025-05-31"), ("reported_t", "30000"), ("report_text", "减排量核算报告 2025-01/05")]))
            #expect(P.outcome(reported).ok?.contains("ccer.submit_reduction_report") == true, "\(P.outcome(reported))")
            let verify: [(String, String)] = [("project", "P000002"), ("period", "1"), ("report_text", "核查报告")]
            let waiting = try await validator.send("POST", "/portal/validator/verify", form: P.form(vcsrf, verify + [("verified_t", "28000")]))
            #expect(error(waiting).hasPrefix("NOTICE_NOT_ENDED"), "\(error(waiting))")

            // Six weeks later the notice has ended.
            clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 7, day: 15), hour: 10, minute: 0))
            #expect(try await validator.get("/portal/validator").body.contains("id=\"verify-P000002-1\""))
            let beforeVerify = await service.head
            let tooMuch = try await validator.send("POST", "/portal/validator/verify", form: P.form(vcsrf, verify + [("verified_t", "40000")]))
            #expect(error(tooMuch).hasPrefix("QUANTITY_EXCEEDS_REPORTED"), "\(error(tooMuch))")
            let notTonnes = try await validator.send("POST", "/portal/validator/verify", form: P.form(vcsrf, verify + [("verified_t", "28,000.5")]))
            #expect(error(notTonnes).hasPrefix("INVALID_INPUT"))
            #expect(await service.head == beforeVerify)
            let verified = try await validator.send("POST", "/portal/validator/verify", form: P.form(vcsrf, verify + [("verified_t", "28000")]))
            #expect(P.outcome(verified).ok?.contains("ccer.record_verification") == true, "\(P.outcome(verified))")
            let appliedReductions = try await owner.send("POST", "/portal/owner/apply-reductions", form: P.form(csrf, [("project", "P000002"), ("period", "1")]))
            #expect(P.outcome(appliedReductions).ok != nil, "\(P.outcome(appliedReductions))")
            let registered = try await registrar.send("POST", "/portal/ccer-review/decide", form: P.form(rcsrf, [("project", "P000002"), ("period", "1"), ("decision", "approve"), ("reason", "核查无误")]))
            #expect(P.outcome(registered).ok != nil, "\(P.outcome(registered))")
            #expect(try await registrar.get("/portal/ccer-review").body.contains("id=\"issue-P000002-1\""))
            let issued = try await registrar.send("POST", "/portal/ccer-review/issue", form: P.form(rcsrf, [("project", "P000002"), ("period", "1")]))
            #expect(P.outcome(issued).ok?.contains("ccer.issue") == true, "\(P.outcome(issued))")
            let unit = IssuanceOrder.unitTypeCode(project: "P000002", period: 1)
            #expect(await service.state.holdings[HoldingKey(account: DemoCCER.owner, unit: unit)]?.total == 28_000)
            let holdings = try await owner.get("/portal/owner").body
            #expect(holdings.contains(unit.rawValue) && holdings.contains("28,000"))
            #expect(try await validator.get("/portal/validator").body.contains("id=\"body-reports\""))

            // Every outcome is audited under the user.
            let audit = try await store.audit(limit: 500)
            #expect(audit.contains { $0.user == "validator" && $0.action == "ccer.record_validation" && $0.detail.hasPrefix("accepted") })
            #expect(audit.contains { $0.user == "owner" && $0.action == "ccer.submit_project" && $0.detail.hasPrefix("rejected CONSTRUCTION_TOO_EARLY") })
        }
    }

    @Test func otherRolesAreRefused() async throws {
        let (world, _) = try await Self.world()
        let service = world.service
        try await P.serve(world) { port in
            let head = await service.head
            let owner = try await P.login(port, "owner")
            let validator = try await P.login(port, "validator")
            let investor = try await P.login(port, "i1")
            let entity = try await P.login(port, "e1")
            // Pages: each portal for its role only.
            for (client, path) in [(owner, "/portal/validator"), (owner, "/portal/ccer-review"), (validator, "/portal/owner"), (validator, "/portal/ccer-review"),
                                   (investor, "/portal/owner"), (investor, "/portal/validator"), (entity, "/portal/owner"), (entity, "/portal/ccer-review")] {
                #expect(try await client.get(path).status == 403, "\(path)")
            }
            #expect(try await P.client(port).get("/portal/owner").location == "/login?next=/portal/owner")
            #expect(try await P.client(port).get("/portal/validator").location == "/login?next=/portal/validator")
            // Forms: a valid session and CSRF token of another role are refused.
            let ocsrf = try await P.csrf(owner, "/portal/owner")
            let vcsrf = try await P.csrf(validator, "/portal/validator")
            let icsrf = try await P.csrf(investor, "/trade")
            let validation = [("project", "P000002"), ("report_text", "r"), ("conclusion", "positive")]
            #expect(try await owner.send("POST", "/portal/validator/validate", form: P.form(ocsrf, validation)).status == 403)
            #expect(try await investor.send("POST", "/portal/validator/validate", form: P.form(icsrf, validation)).status == 403)
            #expect(try await validator.send("POST", "/portal/owner/apply", form: P.form(vcsrf, [("project", "P000001")])).status == 403)
            #expect(try await investor.send("POST", "/portal/owner/submit", form: P.form(icsrf, Self.project + [("design_text", "d")])).status == 403)
            #expect(try await owner.send("POST", "/portal/ccer-review/decide", form: P.form(ocsrf, [("project", "P000002"), ("decision", "approve"), ("reason", "r")])).status == 403)
            #expect(try await validator.send("POST", "/portal/ccer-review/issue", form: P.form(vcsrf, [("project", "P000001"), ("period", "1")])).status == 403)
            // Validation body staff land on their portal after the login.
            #expect(try await validator.get("/trade").location == "/portal/validator")
            #expect(await service.head == head)
        }
    }

    @Test func aWithdrawnOrMissingBodyIsRefused() async throws {
        let (world, _) = try await Self.world()
        let (service, store) = (world.service, world.store)
        // A second body, accredited then withdrawn; staff for it and staff for no body.
        for (n, command) in [CCERCommand.accreditBody(id: "CEC", name: "中环联合认证中心"), .withdrawAccreditation(id: "CEC")].enumerated() {
            #expect(try await service.execute(CCERRequest(idempotencyKey: "test-body-\(n)", command: command)).receipt != nil)
        }
        let now = SystemClock().now()
        for (id, body) in [("cec-staff", "CEC" as String?), ("nobody", nil)] {
            try await store.saveUser(UserRecord(
                id: id, name: id, role: .validationBody, account: nil, province: nil, passwordHash: try PasswordHasher.hash("pw-\(id)"), totpSecret: nil,
                createdAt: now, validationBody: body))
        }
        try await P.serve(world) { port in
            let head = await service.head
            let withdrawn = try await Self.login(port, user: "cec-staff", password: "pw-cec-staff")
            let page = try await withdrawn.get("/portal/validator")
            #expect(page.status == 200 && page.body.contains("id=\"withdrawn\""))
            let csrf = try await P.csrf(withdrawn, "/portal/validator")
            let refused = try await withdrawn.send("POST", "/portal/validator/validate", form: P.form(csrf, [("project", "P000002"), ("report_text", "r"), ("conclusion", "positive")]))
            #expect(P.outcome(refused).error?.hasPrefix("NOT_ACCREDITED") == true, "\(P.outcome(refused))")
            let nobody = try await Self.login(port, user: "nobody", password: "pw-nobody")
            let none = try await nobody.get("/portal/validator")
            #expect(none.status == 200 && none.body.contains("id=\"no-body\""))
            let ncsrf = try #require(NeutralityServerTests.field("csrf", in: none.body))
            let noBody = try await nobody.send("POST", "/portal/validator/validate", form: P.form(ncsrf, [("project", "P000002"), ("report_text", "r"), ("conclusion", "positive")]))
            #expect(P.outcome(noBody).error?.hasPrefix("INVALID_INPUT") == true, "\(P.outcome(noBody))")
            #expect(await service.head == head)
            #expect(await service.ccer.projects["P000002"]?.stage == .designNotice)
        }
    }
}
