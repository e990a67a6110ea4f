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

/// Redirects are answers to check (status 303 and Location), not to follow.
final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// The event neutrality flow on the live server over the demo market (drill clock in the
/// morning session of 2025-06-03): calculate → log in → buy the rounded-up tonnes from the best
/// CCER listings → cancel them for the event → the certificate validates publicly; with the
/// rejections on the way (bad calculator input, a stale plan, a forged form, cancelling more
/// than held, an empty beneficiary) changing nothing.
@Suite("HTTP server: event neutrality")
struct NeutralityServerTests {
    struct Fetched {
        var status: Int
        var location: String?
        var cookie: String?
        var body: String
    }

    struct Client {
        let port: Int
        let session: URLSession
        var cookie: String?

        func send(_ method: String, _ path: String, form: [(String, String)]? = nil) async throws -> Fetched {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
            if let form {
                request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
                let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
                request.httpBody = Data(body.utf8)
            }
            let (data, response) = try await session.data(for: request)
            let http = response as! HTTPURLResponse
            let setCookie = http.value(forHTTPHeaderField: "Set-Cookie")
            return Fetched(
                status: http.statusCode, location: http.value(forHTTPHeaderField: "Location"),
                cookie: setCookie.flatMap { $0.split(separator: ";").first.map(String.init) }, body: String(decoding: data, as: UTF8.self))
        }

        func get(_ path: String) async throws -> Fetched { try await send("GET", path) }

        /// POST /login as a browser does: the login page first, for its pre-session cookie and
        /// the same token in the form (login CSRF).
        func login(form: [(String, String)]) async throws -> Fetched {
            let page = try await get("/login")
            var withCookie = self
            withCookie.cookie = [cookie, page.cookie].compactMap { $0 }.joined(separator: "; ")
            return try await withCookie.send("POST", "/login", form: form + [("login_csrf", NeutralityServerTests.field("login_csrf", in: page.body) ?? "")])
        }
    }

    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]).replacingOccurrences(of: "&amp;", with: "&") }
    }

    static func query(_ location: String?) -> [String: String] {
        guard let location, let components = URLComponents(string: location) else { return [:] }
        return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    @Test func calculateBuyAndCancel() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "neutrality")
        defer { TestMarket.remove(.sqlite(path: path)) }
        let (store, service, _) = try await TestMarket.openDemo(.sqlite(path: path))
        let unit = DemoNeutrality.instrument.unit
        let buyer: AccountID = "INV-000001"
        #expect(await service.exchange.tradingDate == TestMarket.today)
        #expect(await service.state.holding(buyer, unit).total == 0)

        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.httpCookieAcceptPolicy = .never
            var client = Client(port: port, session: URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil))

            // The calculator, public: the factors with their sources, then the documented example.
            let empty = try await client.get("/neutrality/calculator")
            #expect(empty.status == 200 && empty.body.contains("id=\"factors\"") && empty.body.contains("0.5703") && empty.body.contains("MEE"))
            #expect(!empty.body.contains("calc-lines"))
            let example = "/neutrality/calculator?event=OpenETS+2025&attendees=100&mode1=air&km1=1000&travellers1=20&round1=1"
                + "&mode2=high_speed_rail&km2=500.5&travellers2=80&round2=1&kwh=12345.6&nights=150"
            let calculated = try await client.get(example)
            #expect(calculated.status == 200)
            #expect(calculated.body.contains("22.94309568") && calculated.body.contains("id=\"calc-cancel-quantity\">23<"))
            #expect(calculated.body.contains("/neutrality?quantity=23&amp;purpose=event&amp;subject=OpenETS%202025"))
            #expect(calculated.body.contains("calc-unverified") && calculated.body.contains("travel.air"))
            #expect(try await client.get(example + "&lang=en").body.contains("To cancel (rounded up to whole tonnes)"))
            let rocket = try await client.get("/neutrality/calculator?attendees=5&mode1=rocket&km1=10")
            #expect(rocket.status == 400 && rocket.body.contains("UNKNOWN_TRAVEL_MODE"))
            let words = try await client.get("/neutrality/calculator?attendees=many&kwh=10")
            #expect(words.status == 400 && words.body.contains("INVALID_ARGUMENT") && words.body.contains("value=\"many\""))
            #expect(try await client.get("/neutrality/calculator?kwh=10").body.contains("MISSING_FIELD"))

            // Buying needs a login, and the login comes back to the page.
            let anonymous = try await client.get("/neutrality?quantity=23")
            #expect(anonymous.status == 303 && anonymous.location?.hasPrefix("/login?next=") == true)
            let loginPage = try await client.get(anonymous.location!)
            #expect(Self.field("next", in: loginPage.body) == "/neutrality?quantity=23")
            let user = try #require(DemoUsers.all.first { $0.id == "i1" })
            let code = try #require(TOTP.code(secret: user.totpSecret!, at: SystemClock().now()))
            let login = try await client.login(
                form: [("user", "i1"), ("password", user.password), ("totp", code), ("next", "/neutrality?quantity=23")])
            #expect(login.status == 303 && login.location == "/neutrality?quantity=23")
            #expect(try await client.login(form: [("user", "x"), ("password", "y"), ("next", "https://evil.example/")]).body
                .contains("name=\"next\"") == false)
            let token: String = try #require(login.cookie)
            client.cookie = token

            // The plan: 10 t at 60.00 and 13 t at 60.50 from the owner's listings.
            let offset = try await client.get("/neutrality?quantity=23&purpose=event&subject=OpenETS%202025")
            #expect(offset.status == 200 && offset.body.contains("id=\"plan-CCER-P000001-M01\"") && offset.body.contains("id=\"t-plus-one\""))
            let plan = try #require(Self.field("plan", in: offset.body))
            let steps = try #require(NeutralityPurchase.decode(plan))
            #expect(steps.map(\.priceFen) == [6_000, 6_050] && steps.map(\.quantity) == [10, 13])
            let csrf = try #require(Self.field("csrf", in: offset.body))
            #expect(offset.body.contains("value=\"OpenETS 2025\""))

            func nonce() -> String { UUID().uuidString.lowercased() }
            func buy(_ plan: String, csrf: String) -> [(String, String)] {
                [("csrf", csrf), ("nonce", nonce()), ("instrument", DemoNeutrality.instrument.code), ("plan", plan), ("purpose", "event"), ("subject", "OpenETS 2025")]
            }
            // Refused whole, nothing bought: a forged form, a stale plan, a plan dearer than the listing.
            let head = await service.head
            #expect(try await client.send("POST", "/neutrality/buy", form: buy(plan, csrf: "forged")).status == 403)
            let stale = try await client.send("POST", "/neutrality/buy", form: buy("\(steps[0].order):6000:11", csrf: csrf))
            #expect(stale.status == 303 && Self.query(stale.location)["error"]?.hasPrefix("INVALID_QUANTITY") == true)
            #expect(Self.query(stale.location)["quantity"] == "11")
            let wrongPrice = try await client.send("POST", "/neutrality/buy", form: buy("\(steps[0].order):5900:10", csrf: csrf))
            #expect(Self.query(wrongPrice.location)["error"]?.hasPrefix("INVALID_PRICE") == true)
            let garbage = try await client.send("POST", "/neutrality/buy", form: buy("1:2", csrf: csrf))
            #expect(Self.query(garbage.location)["error"]?.hasPrefix("INVALID_INPUT") == true)
            #expect(await service.head == head)

            // Bought: both listings taken, 23 t in the account at T+0.
            let bought = try await client.send("POST", "/neutrality/buy", form: buy(plan, csrf: csrf))
            let afterBuy = Self.query(bought.location)
            #expect(bought.status == 303 && afterBuy["ok"]?.contains("bought 23 t CCER-P000001-M01") == true, "\(afterBuy)")
            #expect(afterBuy["cancel"] == "23" && afterBuy["unit"] == unit.rawValue && afterBuy["quantity"] == nil)
            #expect(await service.state.holding(buyer, unit).available == 23)
            #expect(await service.exchange.boughtToday[HoldingKey(account: buyer, unit: unit)] == 23)

            // T+1 forbids selling them today; cancelling them is not a sale.
            let sell = try await service.execute(ExchangeRequest(
                idempotencyKey: "neutrality-test-sell", command: .placeOrder(account: buyer, instrument: DemoNeutrality.instrument.code, side: .sell, price: 6_000, quantity: 23)))
            #expect(sell.error?.code == .tPlusOne)

            let page = try await client.get(bought.location!)
            #expect(page.body.contains("id=\"cancel-form\"") && page.body.contains("id=\"cancel-quantity\" value=\"23\""))
            func cancel(_ quantity: String, beneficiary: String) -> [(String, String)] {
                [("csrf", csrf), ("nonce", nonce()), ("unit", unit.rawValue), ("quantity", quantity), ("beneficiary", beneficiary),
                 ("purpose", "event"), ("subject", "OpenETS 2025")]
            }
            // More than held, an empty beneficiary: refused with the codes, nothing changed.
            let headBefore = await service.head
            let tooMuch = try await client.send("POST", "/neutrality/cancel", form: cancel("24", beneficiary: "OpenETS 会务组"))
            #expect(Self.query(tooMuch.location)["error"]?.hasPrefix("INSUFFICIENT_HOLDING") == true)
            #expect(Self.query(tooMuch.location)["cancel"] == "24")
            let nobody = try await client.send("POST", "/neutrality/cancel", form: cancel("23", beneficiary: " "))
            #expect(Self.query(nobody.location)["error"]?.hasPrefix("INVALID_ARGUMENT") == true)
            let stillHeld = await service.state.holding(buyer, unit).available
            #expect(await service.head == headBefore && stillHeld == 23)

            // Cancelled: the certificate with its code, which validates publicly.
            let form = cancel("23", beneficiary: "OpenETS 会务组")
            let cancelled = try await client.send("POST", "/neutrality/cancel", form: form)
            let certificate = try #require(Self.query(cancelled.location)["certificate"], "\(String(describing: cancelled.location))")
            #expect(certificate.hasPrefix("VC-"))
            #expect(await service.state.holding(buyer, unit).total == 0)
            // The same form again (same nonce) replays: nothing more is cancelled.
            let replayed = try await client.send("POST", "/neutrality/cancel", form: form)
            #expect(Self.query(replayed.location)["certificate"] == certificate)
            let shown = try await client.get(cancelled.location!)
            #expect(shown.body.contains("id=\"certificate-issued\"") && shown.body.contains("href=\"/ccer/certificates/\(certificate)\""))
            let check = try await client.get("/ccer/certificates/\(certificate)")
            #expect(check.status == 200 && check.body.contains("certificate-valid") && check.body.contains("OpenETS 会务组") && check.body.contains("OpenETS 2025"))
            group.cancelAll()
        }
        try await store.close()
    }

    /// A closed market: the page says so and still offers to cancel credits already held.
    @Test func closedMarketStillCancelsWhatIsHeld() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "neutrality")
        defer { TestMarket.remove(.sqlite(path: path)) }
        let saturday = CivilDate(year: 2025, month: 6, day: 7)
        let clock = MarketClock(saturday, hour: 8, minute: 0)
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path), clock: clock)
        _ = try await DemoExchange.seedWithHistory(
            service, clock: clock, today: saturday, days: 1, drillStart: BeijingTime.timestamp(saturday, hour: 10, minute: 0))
        try await DemoUsers.seed(store, at: SystemClock().now())
        #expect(await service.exchange.tradingDate == nil)
        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            var client = Client(port: port, session: URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil))
            let user = try #require(DemoUsers.all.first { $0.id == "owner" })
            let code = try #require(TOTP.code(secret: user.totpSecret!, at: SystemClock().now()))
            let login = try await client.login(form: [("user", "owner"), ("password", user.password), ("totp", code)])
            let token: String = try #require(login.cookie)
            client.cookie = token
            let page = try await client.get("/neutrality?quantity=5&lang=en")
            #expect(page.status == 200 && page.body.contains("id=\"market-closed\"") && !page.body.contains("/neutrality/buy"))
            // The owner holds the project's credits and may cancel them now.
            #expect(page.body.contains("id=\"cancel-form\"") && page.body.contains(DemoNeutrality.instrument.unit.rawValue))
            group.cancelAll()
        }
        try await store.close()
    }
}
