import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import OpenETSWeb
import Testing

/// The city and MEE portals on the live server over the demo market, its compliance year
/// (`DemoCycle`, power-2024) and the demo MRV history (drill clock 2025-06-03): pages for the
/// right role, 403 for the others, the city-level and national reviews moving a report's
/// status, and refusals (another city's entity, a review out of order, a return without a
/// reason, a nonsense decision, a forged token) that leave the MRV journal unchanged.
@Suite("HTTP server: city and MEE portals")
struct RegulatorPortalTests {
    typealias P = PortalServerTests

    struct World {
        var base: PortalServerTests.World
        var cycle: any AllocationCycleStore
        var plansStore: any AllocationCycleStore
        var plans: AllocationPlanService
    }

    static func world() async throws -> World {
        let base = try await P.world()
        let clock = MarketClock(CivilDate(year: 2025, month: 6, day: 3), hour: 8, minute: 0)
        let cycle = try await Composition.openAllocationCycleStore(.sqlite(path: base.path), connectionID: 3)
        try await DemoCycle.seed(base.service, store: cycle, clock: clock)
        let (plansStore, plans) = try await Composition.openAllocationPlans(.sqlite(path: base.path), connectionID: 5)
        return World(base: base, cycle: cycle, plansStore: plansStore, plans: plans)
    }

    static func serve(_ world: World, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let base = world.base
        try await PortalServerTests.run(
            ServerConfiguration(host: "127.0.0.1", port: 0), store: base.store, service: base.service, plans: world.plans, cycle: world.cycle,
            mrv: base.mrv, body)
        try await world.cycle.close()
        try await world.plansStore.close()
        try await base.mrvStore.close()
        try await base.store.close()
        TestMarket.remove(.sqlite(path: base.path))
    }

    static let rongcheng = MRVEntityID(DemoMRV.cityEntity.uscc)
    static let chuanneng = MRVEntityID(DemoMRV.entities[0].uscc)
    static let jialingjiang = MRVEntityID(DemoMRV.entities[1].uscc)
    static let yuehai = MRVEntityID(DemoMRV.entities[2].uscc)

    static func review(_ entity: MRVEntityID, _ decision: String, year: Int = 2023, reason: String? = nil) -> [(String, String)] {
        [("entity", entity.rawValue), ("year", "\(year)"), ("decision", decision)] + (reason.map { [("reason", $0)] } ?? [])
    }

    @Test func cityPortal() async throws {
        let world = try await Self.world()
        let mrv = world.base.mrv
        let store = world.base.store
        try await Self.serve(world) { port in
            // The city user lands on its portal after the login.
            let chengdu = try await P.login(port, "chengdu")
            #expect(try await chengdu.get("/trade").location == "/portal/city")
            let page = try await chengdu.get("/portal/city?year=2023")
            #expect(page.status == 200 && page.body.contains("市级主管部门门户") && page.body.contains("id=\"entities\""))
            // Its city's entities only: Chuanneng and Rongcheng (成都), not Jialingjiang (南充) nor Guangdong.
            #expect(page.body.contains("蓉城热电") && page.body.contains("川能发电") && !page.body.contains("嘉陵江热电") && !page.body.contains("粤海电力"))
            #expect(page.body.contains("city-approve-\(Self.rongcheng.rawValue)-2023") && page.body.contains("id=\"city-reviews\""))
            #expect(try await chengdu.get("/portal/city?year=2023&lang=en").body.contains("Awaiting the city's review"))
            // The CSV beside each table.
            let reports = try await chengdu.get("/portal/city/reports.csv?year=2023")
            #expect(reports.status == 200 && reports.body.contains("\(Self.rongcheng.rawValue),") && reports.body.contains(",2023,concluded,V-SCQC,"))
            #expect(reports.body.contains("\(Self.chuanneng.rawValue),") && reports.body.contains(",2023,approved,") && !reports.body.contains(Self.jialingjiang.rawValue))
            let entities = try await chengdu.get("/portal/city/entities.csv")
            #expect(entities.body.hasPrefix("\u{FEFF}entity,name,province,city,sector,facilities") && entities.body.contains(",SC,成都,power,1"))

            // Refusals change nothing: another city's entity (the MRV permission table), a
            // nonsense decision, a year that is no number, a return without a reason, a forged token.
            let csrf = try await P.csrf(chengdu, "/portal/city")
            let head = await mrv.head
            let nanchong = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, Self.review(Self.jialingjiang, "approve")))
            #expect(P.outcome(nanchong).error?.hasPrefix("MRV_NOT_PERMITTED") == true, "\(P.outcome(nanchong))")
            #expect(nanchong.location?.hasPrefix("/portal/city?error=") == true)
            let guangzhou = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, Self.review(Self.yuehai, "return", reason: "x")))
            #expect(P.outcome(guangzhou).error?.hasPrefix("MRV_NOT_PERMITTED") == true, "\(P.outcome(guangzhou))")
            let maybe = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, Self.review(Self.rongcheng, "maybe")))
            #expect(P.outcome(maybe).error?.hasPrefix("INVALID_INPUT") == true)
            let noYear = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, [("entity", Self.rongcheng.rawValue), ("year", "last"), ("decision", "approve")]))
            #expect(P.outcome(noYear).error?.hasPrefix("INVALID_INPUT") == true)
            let noReason = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, Self.review(Self.rongcheng, "return", reason: "  ")))
            #expect(P.outcome(noReason).error?.hasPrefix("REASON_REQUIRED") == true, "\(P.outcome(noReason))")
            let forged = try await chengdu.send("POST", "/portal/city/review", form: [("csrf", "forged"), ("nonce", "n1")] + Self.review(Self.rongcheng, "approve"))
            #expect(forged.status == 403)
            #expect(await mrv.head == head)
            #expect(await mrv.state.reports[ReportKey(entity: Self.rongcheng, year: 2023)]?.status == .concluded)
            #expect(await mrv.state.reports[ReportKey(entity: Self.jialingjiang, year: 2023)]?.status == .cityApproved)

            // The city approves Rongcheng's 2023 report: it moves on to the province, audited.
            let approved = try await chengdu.send("POST", "/portal/city/review", form: P.form(csrf, Self.review(Self.rongcheng, "approve")))
            #expect(P.outcome(approved).ok?.contains("mrv.approve_review") == true, "\(P.outcome(approved))")
            let report = try #require(await mrv.state.reports[ReportKey(entity: Self.rongcheng, year: 2023)])
            #expect(report.status == .cityApproved && report.reviews.last?.level == .city && report.reviews.last?.approved == true)
            let audit = try await store.audit(limit: 50)
            #expect(audit.contains { $0.user == "chengdu" && $0.action == "mrv.approve_review" && $0.detail.contains(Self.rongcheng.rawValue) })
            #expect(audit.contains { $0.user == "chengdu" && $0.action == "mrv.approve_review" && $0.detail.contains("MRV_NOT_PERMITTED") })
            // Now the province has it.
            let sc = try await P.login(port, "sc")
            #expect(try await sc.get("/portal/province").body.contains("approve-\(Self.rongcheng.rawValue)-2023"))

            // A city user without a city (none set) reviews nothing: the page says so, the form is refused.
            try await store.saveUser(UserRecord(
                id: "nocity", name: "无城市", role: .city, account: nil, province: "SC", passwordHash: try PasswordHasher.hash("nocity-pass-1"),
                totpSecret: nil, createdAt: SystemClock().now()))
            var nocity = P.client(port)
            let login = try await nocity.login(form: [("user", "nocity"), ("password", "nocity-pass-1"), ("totp", "")])
            #expect(login.status == 303)
            nocity.cookie = login.cookie
            #expect(try await nocity.get("/portal/city").body.contains("id=\"no-city\""))
            let before = await mrv.head
            let noCity = try await nocity.send("POST", "/portal/city/review", form: P.form(try await P.csrf(nocity, "/portal/city"), Self.review(Self.chuanneng, "approve")))
            #expect(P.outcome(noCity).error?.hasPrefix("INVALID_INPUT") == true, "\(P.outcome(noCity))")
            #expect(try await nocity.get("/portal/city/entities.csv").status == 404)
            #expect(await mrv.head == before)

            // Other roles: 403 on the page, the CSV and the form; no session: the login.
            #expect(try await sc.get("/portal/city").status == 403)
            #expect(try await sc.get("/portal/city/reports.csv").status == 403)
            let scCSRF = try await P.csrf(sc, "/portal/province")
            #expect(try await sc.send("POST", "/portal/city/review", form: P.form(scCSRF, Self.review(Self.rongcheng, "approve"))).status == 403)
            #expect(try await P.login(port, "e1").get("/portal/city").status == 403)
            #expect(try await P.login(port, "mee").get("/portal/city").status == 403)
            #expect(try await chengdu.get("/portal/mee").status == 403)
            #expect(try await chengdu.get("/portal/province").status == 403)
            #expect(try await P.client(port).get("/portal/city").location == "/login?next=/portal/city")
        }
    }

    @Test func meePortal() async throws {
        let world = try await Self.world()
        let mrv = world.base.mrv
        try await Self.serve(world) { port in
            let mee = try await P.login(port, "mee")
            #expect(try await mee.get("/trade").location == "/portal/mee")
            let page = try await mee.get("/portal/mee?year=2024")
            #expect(page.status == 200 && page.body.contains("生态环境部门户") && page.body.contains("href=\"/surveillance\""))
            // Nothing awaits the national review yet (Jialingjiang 2023 waits for the province).
            #expect(page.body.contains("id=\"no-national-reviews\""))
            // Its empty table has one CSV link, its own (none added after it by TableCSV).
            let reviewsSection = try #require(page.body.components(separatedBy: "id=\"national-reviews\"").dropFirst().first?.components(separatedBy: "<h2>").first)
            #expect(reviewsSection.components(separatedBy: "下载 CSV").count == 2 && reviewsSection.contains("id=\"reviews-csv\""), "\(reviewsSection)")
            // The compliance dashboard and the allocation by province of power-2024 (DemoCycle's
            // hand count: final allocation GD 1,281,470 t, the largest bar, 400 px; SC 654,600 t,
            // 654,600 × 400 / 1,281,470 = 204 px), in 万吨 in Chinese.
            #expect(page.body.contains("<svg id=\"compliance-chart\"") && page.body.contains("66.67%") && page.body.contains("id=\"compliance\""))
            let chart = try #require(page.body.components(separatedBy: "<svg id=\"allocation-chart\"").dropFirst().first?.components(separatedBy: "</svg>").first)
            #expect(chart.contains("width=\"400\" height=\"16\" fill=\"#1d4ed8\"") && chart.contains("width=\"204\" height=\"16\" fill=\"#1d4ed8\""), "\(chart)")
            #expect(chart.contains("128.147万吨") && chart.contains("65.46万吨"))
            // Cells in 万吨 under headers that name no other unit.
            #expect(chart.contains(">核定分配量</text>") && !page.body.contains("预分配量（吨）") && !page.body.contains("核定分配量（吨）"))
            #expect(page.body.contains("id=\"allocation\"") && page.body.contains("href=\"/allocation/plans/power-2024\"") && page.body.contains("id=\"plans\""))
            for csv in ["reviews.csv", "mrv-totals.csv?year=2024", "compliance.csv?year=2024", "allocation.csv?year=2024", "plans.csv?year=2024"] {
                #expect(page.body.contains("href=\"/portal/mee/\(csv.replacingOccurrences(of: "&", with: "&amp;"))\""), "\(csv)")
            }
            let english = try await mee.get("/portal/mee?year=2024&lang=en")
            #expect(english.body.contains("MEE portal") && english.body.contains("1,281,470 t") && english.body.contains("Allocation 2024 by province"))
            // A year without published statistics says so.
            #expect(try await mee.get("/portal/mee?year=2023").body.contains("id=\"no-statistics\""))

            // CSV downloads: the statistics' own CSV, the plans, and the MRV totals of 2023
            // (Sichuan: three entities, three reports, two under review, one approved).
            let compliance = try await mee.get("/portal/mee/compliance.csv?year=2024")
            #expect(compliance.status == 200 && compliance.body.hasPrefix("\u{FEFF}year,plan,scope,sector") && compliance.body.contains("2024,power-2024,GD,power,3,2,66.67"))
            #expect(try await mee.get("/portal/mee/allocation.csv?year=2024").body.contains("2024,power-2024,GD,power,"))
            #expect(try await mee.get("/portal/mee/plans.csv?year=2024").body.contains("power-2024,2024,power,"))
            let totals = try await mee.get("/portal/mee/mrv-totals.csv?year=2023")
            let chuanneng = try #require(await mrv.state.reports[ReportKey(entity: Self.chuanneng, year: 2023)])
            let approvedT = try #require(RegulatorPages.verifiedT(chuanneng))
            #expect(totals.body.contains("2023,SC,power,3,3,2,1,\(approvedT)\n") && totals.body.contains("2023,CN,power,5,3,2,1,\(approvedT)\n"), "\(totals.body)")

            // The province approves Jialingjiang 2023 and Rongcheng goes through city and province:
            // two reports await the national review.
            for (key, level, actor) in [(Self.jialingjiang, ReviewLevel.province, MRVActor.province("SC")), (Self.rongcheng, .city, .city("成都")), (Self.rongcheng, .province, .province("SC"))] {
                let outcome = try await mrv.execute(MRVRequest(idempotencyKey: "test-\(key)-\(level)", command: .approveReview(entity: key, year: 2023, level: level), actor: actor))
                #expect(outcome.receipt != nil, "\(String(describing: outcome.error))")
            }
            let pending = try await mee.get("/portal/mee?year=2023")
            #expect(pending.body.contains("national-approve-\(Self.jialingjiang.rawValue)-2023") && pending.body.contains("national-return-\(Self.rongcheng.rawValue)-2023"))
            let reviews = try await mee.get("/portal/mee/reviews.csv")
            #expect(reviews.body.contains("\(Self.jialingjiang.rawValue),") && reviews.body.contains("\(Self.rongcheng.rawValue),") && reviews.body.contains(",SC,南充,2023,V-SCQC,"))

            // Refusals change nothing: a report not at the national stage, a nonsense decision,
            // a return without a reason, a forged token.
            let csrf = try await P.csrf(mee, "/portal/mee")
            let head = await mrv.head
            let done = try await mee.send("POST", "/portal/mee/review", form: P.form(csrf, Self.review(Self.chuanneng, "approve")))
            #expect(P.outcome(done).error?.hasPrefix("INVALID_TRANSITION") == true, "\(P.outcome(done))")
            let maybe = try await mee.send("POST", "/portal/mee/review", form: P.form(csrf, Self.review(Self.jialingjiang, "maybe")))
            #expect(P.outcome(maybe).error?.hasPrefix("INVALID_INPUT") == true)
            let noReason = try await mee.send("POST", "/portal/mee/review", form: P.form(csrf, Self.review(Self.rongcheng, "return")))
            #expect(P.outcome(noReason).error?.hasPrefix("REASON_REQUIRED") == true, "\(P.outcome(noReason))")
            #expect(try await mee.send("POST", "/portal/mee/review", form: [("csrf", "forged"), ("nonce", "n2")] + Self.review(Self.jialingjiang, "approve")).status == 403)
            #expect(await mrv.head == head)

            // The national approval makes Jialingjiang's emissions final; Rongcheng goes back to the verifier.
            let approved = try await mee.send("POST", "/portal/mee/review", form: P.form(csrf, Self.review(Self.jialingjiang, "approve")))
            #expect(P.outcome(approved).ok?.contains("mrv.approve_review") == true, "\(P.outcome(approved))")
            #expect(await mrv.state.reports[ReportKey(entity: Self.jialingjiang, year: 2023)]?.status == .approved)
            let returned = try await mee.send("POST", "/portal/mee/review", form: P.form(csrf, Self.review(Self.rongcheng, "return", reason: "燃煤低位发热量抽检不足")))
            #expect(P.outcome(returned).ok?.contains("mrv.return_review") == true, "\(P.outcome(returned))")
            let back = try #require(await mrv.state.reports[ReportKey(entity: Self.rongcheng, year: 2023)])
            #expect(back.status == .verifying && back.verified == nil && back.reviews.last?.level == .national && back.reviews.last?.reasons == ["燃煤低位发热量抽检不足"])
            #expect(try await mee.get("/portal/mee?year=2023").body.contains("id=\"no-national-reviews\""))

            // Other roles: 403 on the page, a CSV and the form.
            let sc = try await P.login(port, "sc")
            #expect(try await sc.get("/portal/mee").status == 403)
            #expect(try await sc.get("/portal/mee/compliance.csv?year=2024").status == 403)
            let scCSRF = try await P.csrf(sc, "/portal/province")
            #expect(try await sc.send("POST", "/portal/mee/review", form: P.form(scCSRF, Self.review(Self.jialingjiang, "approve"))).status == 403)
            let chengdu = try await P.login(port, "chengdu")
            let cityCSRF = try await P.csrf(chengdu, "/portal/city")
            #expect(try await chengdu.send("POST", "/portal/mee/review", form: P.form(cityCSRF, Self.review(Self.rongcheng, "approve"))).status == 403)
            #expect(try await P.login(port, "i1").get("/portal/mee").status == 403)
            #expect(try await P.login(port, "operator").get("/portal/mee").status == 403)
            #expect(try await P.client(port).get("/portal/mee/reviews.csv").location == "/login?next=/portal/mee")
        }
    }
}
