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

/// The role portals and the live market stream on the live server over the demo market and
/// the demo MRV history (drill clock 2025-06-03 10:00): for each route the allowed role works,
/// other roles get 403, and bad input is refused with its code and changes nothing.
@Suite("HTTP server: role portals and market stream")
struct PortalServerTests {
    typealias Client = NeutralityServerTests.Client

    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var mrvStore: any MRVStore
        var mrv: MRVService
        var path: String
    }

    static func world() async throws -> World {
        let path = try TestMarket.freshSQLitePath(tag: "portals")
        let (store, service, clock) = try await TestMarket.openDemo(.sqlite(path: path))
        try await DemoMRV.seed(.sqlite(path: path))
        let (mrvStore, mrv) = try await Composition.openMRV(.sqlite(path: path), clock: clock, connectionID: 2)
        return World(store: store, service: service, mrvStore: mrvStore, mrv: mrv, path: path)
    }

    /// Runs `body` against the live server; closes everything after.
    static func serve(_ world: World, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await run(ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service, mrv: world.mrv, body)
        try await world.mrvStore.close()
        try await world.store.close()
        TestMarket.remove(.sqlite(path: world.path))
    }

    /// Runs the application on `configuration` (port 0: a free port) until `body`, given the
    /// bound port, returns. The live-server harness every server test class shares.
    static func run(
        _ configuration: ServerConfiguration, store: any LedgerStore, service: RegistryService, plans: AllocationPlanService? = nil,
        cycle: (any AllocationCycleStore)? = nil, mrv: MRVService? = nil, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(configuration, store: store, service: service, plans: plans, cycle: cycle, mrv: mrv) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            group.cancelAll()
        }
    }

    static func client(_ port: Int) -> Client {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return Client(port: port, session: URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil))
    }

    /// A logged-in client (TOTP for the roles that need it). A one-time code logs in once
    /// (a later step only): when this user's code of the current step was used already, the
    /// next step's (accepted: ±1 step) is tried, and after that the helper waits for the next
    /// step to begin.
    static func login(_ port: Int, _ id: String) async throws -> Client {
        var client = client(port)
        let user = try #require(DemoUsers.all.first { $0.id == id })
        let start = SystemClock().now().millisecondsSinceEpoch
        var login: NeutralityServerTests.Fetched?
        for attempt in 0..<3 {
            if attempt == 2 {
                let nextStep = (start / 30_000 + 1) * 30_000
                let wait = nextStep - SystemClock().now().millisecondsSinceEpoch
                if wait > 0 { try await Task.sleep(for: .milliseconds(wait + 50)) }
            }
            let at = Timestamp(millisecondsSinceEpoch: start + Int64(attempt) * 30_000)
            let code = user.totpSecret.flatMap { TOTP.code(secret: $0, at: at) } ?? ""
            login = try await client.login(form: [("user", id), ("password", user.password), ("totp", code)])
            if login?.status == 303 || user.totpSecret == nil { break }
        }
        #expect(login?.status == 303, "\(id) logs in")
        client.cookie = login?.cookie
        return client
    }

    static func csrf(_ client: Client, _ page: String) async throws -> String {
        try #require(NeutralityServerTests.field("csrf", in: try await client.get(page).body))
    }

    static func form(_ csrf: String, _ fields: [(String, String)]) -> [(String, String)] {
        [("csrf", csrf), ("nonce", UUID().uuidString.lowercased())] + fields
    }

    static func outcome(_ fetched: NeutralityServerTests.Fetched) -> (ok: String?, error: String?) {
        let query = NeutralityServerTests.query(fetched.location)
        return (query["ok"], query["error"])
    }

    static func wholeTonnesUp(_ value: ExactDecimal) throws -> Int64 {
        var divisor: Int128 = 1
        for _ in 0..<value.scale { divisor *= 10 }
        let (whole, fraction) = value.mantissa.quotientAndRemainder(dividingBy: divisor)
        return Int64(whole) + (fraction > 0 ? 1 : 0)
    }

    static func grouped(_ value: Int64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// A language chosen on any page stays: `?lang=en` on the trading screen answers the
    /// `lang` cookie, and the next page without `?lang` is
    /// English; the API is left alone.
    @Test func aLanguageChosenOnAnyPageStays() async throws {
        let world = try await Self.world()
        try await Self.serve(world) { port in
            var e1 = try await Self.login(port, "e1")
            let session = try #require(e1.cookie)
            #expect(try await e1.get("/trade/block").body.contains("<html lang=\"zh"))
            let chosen = try await e1.get("/trade?lang=en")
            #expect(chosen.status == 200 && chosen.body.contains("<html lang=\"en") && chosen.cookie == "lang=en", "\(chosen.cookie ?? "-")")
            e1.cookie = session + "; lang=en"
            #expect(try await e1.get("/trade/block").body.contains("<html lang=\"en"))
            #expect(try await e1.get("/portal/entity").body.contains("<html lang=\"en"))
            // Back to Chinese the same way, from a portal page.
            #expect(try await e1.get("/portal/entity?lang=zh").cookie == "lang=zh")
            // A public page answers the cookie once.
            #expect(try await Self.client(port).get("/market?lang=en").cookie == "lang=en")
            let (_, raw) = try await URLSession(configuration: .ephemeral).data(from: URL(string: "http://127.0.0.1:\(port)/market?lang=en")!)
            let setCookie = (raw as! HTTPURLResponse).value(forHTTPHeaderField: "Set-Cookie") ?? ""
            #expect(setCookie.components(separatedBy: "lang=en").count == 2, "\(setCookie)")
            #expect(try await Self.client(port).get("/api/v1/market/instruments?lang=en").cookie == nil)
        }
    }

    /// The trading form names the field it cannot read, audits the refusal and sends nothing
    /// to the exchange; in Chinese the code's meaning comes first.
    @Test func aBadOrderFormNamesItsField() async throws {
        let world = try await Self.world()
        let (store, service) = (world.store, world.service)
        try await Self.serve(world) { port in
            let e1 = try await Self.login(port, "e1")
            let csrf = try await Self.csrf(e1, "/trade")
            let head = await service.head
            let order = [("instrument", "CEA24"), ("side", "buy"), ("price", "97.50"), ("quantity", "100")]
            for (field, bad, expected) in [
                ("price", "abc", "INVALID_INPUT: price: 'abc' is not a price in yuan with at most 2 decimals (e.g. 97.50)"),
                ("quantity", "1.5", "INVALID_INPUT: quantity: '1.5' is not a whole number of tonnes"),
                ("side", "hold", "INVALID_INPUT: side: buy or sell"),
            ] {
                let fields = order.map { $0.0 == field ? (field, bad) : $0 }
                let refused = try await e1.send("POST", "/trade/place", form: Self.form(csrf, fields))
                #expect(Self.outcome(refused).error == expected, "\(field): \(refused.location ?? "-")")
            }
            #expect(await service.head == head, "nothing reached the exchange")
            let lines = try await store.audit(limit: 1_000).filter { $0.user == "e1" && $0.action == "place_order" }
            #expect(lines.filter { $0.detail == "rejected INVALID_INPUT" }.count == 3, "\(lines)")
            let page = try await e1.get("/trade?error=" + "INVALID_INPUT: side: buy or sell".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(page.body.contains("填写内容不完整或格式不正确，请检查各栏（INVALID_INPUT: side: buy or sell）"))
        }
    }

    @Test func entityPortal() async throws {
        let world = try await Self.world()
        let (service, mrv) = (world.service, world.mrv)
        try await Self.serve(world) { port in
            let e1 = try await Self.login(port, "e1")
            let page = try await e1.get("/portal/entity")
            #expect(page.status == 200 && page.body.contains("id=\"vintages\"") && page.body.contains("月度数据 2024 年"))
            // 2023 approved nationally: its verified emissions, rounded up to whole tonnes, to surrender; none yet.
            let approved = try #require(await mrv.state.reports[ReportKey(entity: MRVEntityID(DemoMRV.entities[0].uscc), year: 2023)])
            #expect(approved.status == .approved)
            let obligation = try Self.wholeTonnesUp(try #require(approved.verified?.first?.emissionsT))
            #expect(page.body.contains("id=\"obligations\"") && page.body.contains(Self.grouped(obligation)), "\(obligation)")
            #expect(try await e1.get("/portal/entity?lang=en").body.contains("Obligation and gap"))
            let csrf = try await Self.csrf(e1, "/portal/entity")
            let chuanneng = DemoMRV.entities[0]
            let december = FacilityMonth(facility: chuanneng.facility, year: 2024, month: 12)

            // Bad input changes nothing: not a number, month 13, a CSV with a broken row, a forged token.
            let head = await mrv.head
            let month: [(String, String)] = [("facility", chuanneng.facility.rawValue), ("year", "2024"), ("fuel", "coal"), ("generation_mwh", "600000")]
            let words = try await e1.send("POST", "/portal/entity/month", form: Self.form(csrf, month + [("month", "12"), ("consumption", "lots")]))
            #expect(Self.outcome(words).error?.hasPrefix("INVALID_INPUT") == true)
            let thirteen = try await e1.send("POST", "/portal/entity/month", form: Self.form(csrf, month + [("month", "13"), ("consumption", "250000")]))
            #expect(Self.outcome(thirteen).error?.hasPrefix("INVALID_MONTH") == true, "\(Self.outcome(thirteen))")
            let csv = "facility_id,year,month,fuel,consumption,ncv_gj_per_unit,generation_mwh\n\(chuanneng.facility),2024,12,coal,250000,20,600000\n\(chuanneng.facility),2024,12,coal,-5,20,600000\n"
            let broken = try await e1.send("POST", "/portal/entity/csv", form: Self.form(csrf, [("csv", csv)]))
            #expect(Self.outcome(broken).error?.hasPrefix("CSV_REJECTED") == true, "\(Self.outcome(broken))")
            #expect(try await e1.send("POST", "/portal/entity/month", form: [("csrf", "forged"), ("nonce", "n1")] + month + [("month", "12"), ("consumption", "1")]).status == 403)
            // Another entity's facility: the MRV permission table refuses it.
            let other = try await e1.send("POST", "/portal/entity/month", form: Self.form(csrf, [("facility", DemoMRV.entities[1].facility.rawValue), ("year", "2024"), ("month", "12"), ("fuel", "coal"), ("consumption", "1")]))
            #expect(Self.outcome(other).error?.hasPrefix("MRV_NOT_PERMITTED") == true, "\(Self.outcome(other))")
            #expect(await mrv.head == head)
            #expect(await mrv.state.months[december] == nil)

            // December by the form, then the 2024 report.
            let entered = try await e1.send("POST", "/portal/entity/month", form: Self.form(csrf, month + [("month", "12"), ("consumption", "250000"), ("ncv", "20")]))
            #expect(Self.outcome(entered).ok?.contains("mrv.submit_month") == true, "\(Self.outcome(entered))")
            #expect(await mrv.state.months[december] != nil)
            let report = try await e1.send("POST", "/portal/entity/report", form: Self.form(csrf, [("year", "2024")]))
            #expect(Self.outcome(report).ok != nil, "\(Self.outcome(report))")
            #expect(await mrv.state.reports[ReportKey(entity: MRVEntityID(chuanneng.uscc), year: 2024)]?.status == .submitted)

            // Surrender for 2023 from the portal: the gap shrinks by it.
            let surrender = try await e1.send("POST", "/portal/entity/surrender", form: Self.form(csrf, [("unit", "CEA23"), ("quantity", "100000"), ("year", "2023")]))
            #expect(surrender.location?.hasPrefix("/portal/entity?ok=") == true, "\(String(describing: surrender.location))")
            #expect(await service.state.surrendered[SurrenderKey(account: "ENT-000001", complianceYear: 2023, unit: "CEA23")] == 100_000)
            #expect(try await e1.get("/portal/entity").body.contains(Self.grouped(obligation - 100_000)))
            let tooMuch = try await e1.send("POST", "/portal/entity/surrender", form: Self.form(csrf, [("unit", "CEA23"), ("quantity", "999999999"), ("year", "2023")]))
            #expect(Self.outcome(tooMuch).error != nil)

            // Other roles: an investor has no entity portal; the verifier and the province neither.
            let investor = try await Self.login(port, "i1")
            #expect(try await investor.get("/portal/entity").status == 403)
            let investorCSRF = try await Self.csrf(investor, "/trade")
            let refused = try await investor.send("POST", "/portal/entity/month", form: Self.form(investorCSRF, month + [("month", "12"), ("consumption", "1")]))
            #expect(refused.status == 403)
            #expect(try await Self.login(port, "verifier").get("/portal/entity").status == 403)
            #expect(try await Self.login(port, "sc").get("/portal/entity").status == 403)
            #expect(try await Self.client(port).get("/portal/entity").location == "/login?next=/portal/entity")
        }
    }

    @Test func verifierAndProvincePortals() async throws {
        let world = try await Self.world()
        let mrv = world.mrv
        try await Self.serve(world) { port in
            let jialingjiang = MRVEntityID(DemoMRV.entities[1].uscc)
            let verifier = try await Self.login(port, "verifier")
            let page = try await verifier.get("/portal/verifier")
            #expect(page.status == 200 && page.body.contains("id=\"assignments\"") && page.body.contains("conclude-\(jialingjiang.rawValue)-2024"))
            let csrf = try await Self.csrf(verifier, "/portal/verifier")
            let head = await mrv.head
            // Bad input and a report not assigned to it change nothing.
            let bad = try await verifier.send("POST", "/portal/verifier/conclude", form: Self.form(csrf, [("entity", jialingjiang.rawValue), ("year", "2024"), ("emissions.\(DemoMRV.entities[1].facility)", "x"), ("output.\(DemoMRV.entities[1].facility)", "1")]))
            #expect(Self.outcome(bad).error?.hasPrefix("INVALID_INPUT") == true)
            let foreign = try await verifier.send("POST", "/portal/verifier/finding", form: Self.form(csrf, [
                ("entity", DemoMRV.entities[0].uscc), ("year", "2023"), ("facility", DemoMRV.entities[0].facility.rawValue), ("item", "coal.ncv"),
                ("description", "d"), ("correction", "c")]))
            #expect(Self.outcome(foreign).error?.hasPrefix("MRV_NOT_PERMITTED") == true || Self.outcome(foreign).error?.hasPrefix("INVALID_TRANSITION") == true, "\(Self.outcome(foreign))")
            #expect(await mrv.head == head)
            // A finding, then (the entity corrects it outside this test) — the conclusion waits for it.
            let finding = try await verifier.send("POST", "/portal/verifier/finding", form: Self.form(csrf, [
                ("entity", jialingjiang.rawValue), ("year", "2024"), ("facility", DemoMRV.entities[1].facility.rawValue), ("month", "3"), ("item", "coal.ncv"),
                ("description", "三月低位发热量化验报告缺失"), ("correction", "补交化验报告")]))
            #expect(Self.outcome(finding).ok?.contains("mrv.record_finding") == true, "\(Self.outcome(finding))")
            let key = ReportKey(entity: jialingjiang, year: 2024)
            #expect(await mrv.state.reports[key]?.findings.count == 1)
            let reported = try #require(await mrv.state.reports[key]?.facilities.first)
            let conclusion = Self.form(csrf, [("entity", jialingjiang.rawValue), ("year", "2024"),
                                              ("emissions.\(reported.facility)", reported.totalT.description), ("output.\(reported.facility)", reported.generationMWh.description)])
            let early = try await verifier.send("POST", "/portal/verifier/conclude", form: conclusion)
            #expect(Self.outcome(early).error?.hasPrefix("OPEN_FINDINGS") == true, "\(Self.outcome(early))")
            #expect(await mrv.state.reports[key]?.status == .verifying)
            // The entity resolves it (through the service, as the entity), then the conclusion goes through.
            let resolved = try await mrv.execute(MRVRequest(
                idempotencyKey: "test-resolve", command: .resolveFinding(entity: jialingjiang, year: 2024, finding: 1, response: "已补交"), actor: .entity(jialingjiang)))
            #expect(resolved.receipt != nil)
            let concluded = try await verifier.send("POST", "/portal/verifier/conclude", form: Self.form(csrf, Array(conclusion.dropFirst(2))))
            #expect(Self.outcome(concluded).ok?.contains("mrv.conclude_verification") == true, "\(Self.outcome(concluded))")
            #expect(await mrv.state.reports[key]?.status == .concluded)

            // The province: its entities only, the anomaly warnings, the review at its level.
            let sc = try await Self.login(port, "sc")
            let province = try await sc.get("/portal/province")
            #expect(province.status == 200 && province.body.contains("川能发电") && province.body.contains("嘉陵江热电") && !province.body.contains("粤海电力"))
            #expect(province.body.contains("id=\"anomalies\"") && province.body.contains("approve-\(jialingjiang.rawValue)-2023"))
            let scCSRF = try await Self.csrf(sc, "/portal/province")
            let before = await mrv.head
            let outside = try await sc.send("POST", "/portal/province/review", form: Self.form(scCSRF, [("entity", DemoMRV.entities[2].uscc), ("year", "2023"), ("decision", "approve")]))
            #expect(Self.outcome(outside).error?.hasPrefix("MRV_NOT_PERMITTED") == true, "\(Self.outcome(outside))")
            let nonsense = try await sc.send("POST", "/portal/province/review", form: Self.form(scCSRF, [("entity", jialingjiang.rawValue), ("year", "2023"), ("decision", "maybe")]))
            #expect(Self.outcome(nonsense).error?.hasPrefix("INVALID_INPUT") == true)
            #expect(await mrv.head == before)
            let approved = try await sc.send("POST", "/portal/province/review", form: Self.form(scCSRF, [("entity", jialingjiang.rawValue), ("year", "2023"), ("decision", "approve")]))
            #expect(Self.outcome(approved).ok != nil, "\(Self.outcome(approved))")
            #expect(await mrv.state.reports[ReportKey(entity: jialingjiang, year: 2023)]?.status == .provinceApproved)

            // Other roles get 403 on these pages and forms.
            #expect(try await verifier.get("/portal/province").status == 403)
            #expect(try await sc.get("/portal/verifier").status == 403)
            let e1 = try await Self.login(port, "e1")
            #expect(try await e1.get("/portal/verifier").status == 403)
            #expect(try await e1.get("/portal/province").status == 403)
            let e1CSRF = try await Self.csrf(e1, "/portal/entity")
            #expect(try await e1.send("POST", "/portal/province/review", form: Self.form(e1CSRF, [("entity", jialingjiang.rawValue), ("year", "2023"), ("decision", "approve")])).status == 403)
            #expect(try await e1.send("POST", "/portal/verifier/finding", form: Self.form(e1CSRF, [("entity", jialingjiang.rawValue), ("year", "2024")])).status == 403)
            #expect(try await sc.send("POST", "/portal/verifier/conclude", form: Self.form(scCSRF, [("entity", jialingjiang.rawValue), ("year", "2024")])).status == 403)
        }
    }

    @Test func marketStreamSendsTheBookAndTheTradeAfterIt() async throws {
        let world = try await Self.world()
        let service = world.service
        try await Self.serve(world) { port in
            let client = Self.client(port)
            #expect(try await client.get("/market/stream?instrument=NOPE").status == 404)
            #expect(try await client.get("/market/stream?instrument=CEA24&events=0").status == 400)
            // Two events: the book with a listing just posted, then the book and tape after it is
            // taken. (Posting before the stream opens keeps the two changes from straddling one
            // of the stream's polls, which a loaded machine made happen.)
            let price = try #require(await service.exchange.instruments["CEA24"]?.previousClose)
            let placed = try await service.execute(ExchangeRequest(
                idempotencyKey: "stream-place", command: .placeOrder(account: "ENT-000001", instrument: "CEA24", side: .sell, price: price, quantity: 1_234)))
            let order = try #require(placed.receipt?.events.compactMap { if case .orderPlaced(let o) = $0 { o.id } else { nil } }.first)
            async let streamed = client.get("/market/stream?instrument=CEA24&events=2")
            try await Task.sleep(for: .milliseconds(1_500))
            let taken = try await service.execute(ExchangeRequest(idempotencyKey: "stream-take", command: .takeOrder(account: "INV-000001", order: order, quantity: 1_234)))
            let deal = try #require(taken.receipt?.events.compactMap { if case .dealDone(let d, _, _) = $0 { d.id.rawValue } else { nil } }.first)
            let body = try await streamed
            #expect(body.status == 200)
            let events = body.body.components(separatedBy: "event: market\n").dropFirst()
            #expect(events.count == 2, "\(body.body)")
            #expect(events.first?.contains("\"instrument\":\"CEA24\"") == true && events.first?.contains(deal) == false)
            #expect(events.last?.contains(deal) == true && events.last?.contains("\"quantity\":\"1,234\"") == true, "\(body.body)")
            // The page subscribes to it.
            let page = try await client.get("/market/CEA24")
            #expect(page.body.contains("data-stream=\"/market/stream?instrument=CEA24\"") && page.body.contains("/static/market.js"))
            #expect(try await client.get("/static/market.js").body.contains("EventSource"))
        }
    }
}
