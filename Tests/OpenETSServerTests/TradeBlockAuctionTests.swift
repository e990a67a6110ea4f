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

/// The participant's block agreement (`/trade/block`) and one-way auction (`/trade/auctions`)
/// screens on the live server over the demo market, drill clock from 2025-06-03 13:30 (inside
/// the 13:00–15:00 block session), on SQLite and, when `OPENETS_TEST_POSTGRES_URL` is set, on
/// PostgreSQL: a directed quote countered and accepted makes a deal that moves both holdings;
/// refusals carry their exchange code and write nothing; bids on an open auction; roles
/// without the actions get 403.
@Suite("HTTP server: block quotes and auction bids on the trading screen")
struct TradeBlockAuctionTests {
    typealias Client = NeutralityServerTests.Client

    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var clock: MarketClock
        var location: StoreLocation
    }

    static var databases: [String] { TestMarket.databases }

    static func world(_ database: String) async throws -> World {
        // Named as Backend.freshLocation names them (the minute first), for scripts/test's sweep.
        let location = try TestMarket.freshLocation(database, tag: "tradeblock")
        let (store, service, clock) = try await TestMarket.openDemo(location, drillHour: 13, drillMinute: 30)
        return World(store: store, service: service, clock: clock, location: location)
    }

    static func serve(_ world: World, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await PortalServerTests.run(ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service, body)
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    static func post(_ client: Client, _ csrf: String, _ path: String, _ fields: [(String, String)]) async throws -> NeutralityServerTests.Fetched {
        try await client.send("POST", path, form: PortalServerTests.form(csrf, fields))
    }

    static func error(_ fetched: NeutralityServerTests.Fetched) -> String? { PortalServerTests.outcome(fetched).error }
    static func ok(_ fetched: NeutralityServerTests.Fetched) -> String? { PortalServerTests.outcome(fetched).ok }

    static func holding(_ service: RegistryService, _ account: AccountID, _ unit: UnitTypeCode) async -> Int64 {
        await service.state.holdings[HoldingKey(account: account, unit: unit)]?.total ?? 0
    }

    @Test(arguments: databases)
    func blockQuoteCounteredAndAccepted(_ database: String) async throws {
        let world = try await Self.world(database)
        let service = world.service
        try await Self.serve(world) { port in
            let e1 = try await PortalServerTests.login(port, "e1")
            let i1 = try await PortalServerTests.login(port, "i1")
            let e3 = try await PortalServerTests.login(port, "e3")
            #expect(try await e1.get("/trade").body.contains("href=\"/trade/block\" id=\"block-link\""))
            let page = try await e1.get("/trade/block")
            #expect(page.status == 200)
            for id in ["block-rules", "block-limits", "block-quotes", "quote-form", "block-deals"] { #expect(page.body.contains("id=\"\(id)\""), "\(id)") }
            #expect(try await e1.get("/trade/block?lang=en").body.contains("Post a block quote"))
            let e1CSRF = try await PortalServerTests.csrf(e1, "/trade/block")
            let i1CSRF = try await PortalServerTests.csrf(i1, "/trade/block")
            let e3CSRF = try await PortalServerTests.csrf(e3, "/trade/block")
            let close = try #require(await service.exchange.instruments["CEA24"]).previousClose
            let band = ExchangePolicy.band(previousClose: close, percent: 30)
            func quote(_ price: Int64, _ quantity: Int64, to: String = "INV-000001") -> [(String, String)] {
                [("instrument", "CEA24"), ("side", "sell"), ("price", Fen.text(price)), ("quantity", "\(quantity)"), ("counterparties", to)]
            }

            // Refused with their codes; nothing written.
            let head = await service.head
            let refusals: [([(String, String)], String)] = [
                (quote(close, 99_999), "SIZE_NOT_ALLOWED"),
                (quote(band.high + 1, 100_000), "PRICE_OUT_OF_BAND"),
                (quote(band.low - 1, 100_000), "PRICE_OUT_OF_BAND"),
                (quote(close, 100_000, to: "INV-999999"), "UNKNOWN_ACCOUNT"),
                (quote(close, 100_000, to: "ENT-000001"), "INVALID_INPUT"),
                ([("instrument", "CEA24"), ("side", "sell"), ("price", "9.999"), ("quantity", "100000")], "INVALID_INPUT"),
            ]
            for (fields, code) in refusals {
                let refused = try await Self.post(e1, e1CSRF, "/trade/block/quote", fields)
                let error = try #require(Self.error(refused), "\(fields)")
                #expect(error.hasPrefix(code), "\(fields): \(error)")
            }
            #expect(await service.head == head, "refused quotes write nothing")
            #expect(await service.exchange.quotes.isEmpty)

            // e1 quotes 100,000 t to INV-000001 at the previous close.
            let posted = try await Self.post(e1, e1CSRF, "/trade/block/quote", quote(close, 100_000))
            #expect(Self.ok(posted)?.contains("quote_block") == true, "\(Self.error(posted) ?? "")")
            let first = try #require(await service.exchange.quotes.values.first)
            #expect(first.account == "ENT-000001" && first.counterparties == ["INV-000001"] && first.quantity == 100_000 && first.side == .sell)
            // Audited in the command's own transaction, with what it made; each refusal too.
            let audit = try await world.store.audit(limit: 50).filter { $0.user == "e1" && $0.action == "quote_block" }
            #expect(audit.contains { $0.detail.hasPrefix("accepted #") && $0.detail.hasSuffix("(quote \(first.id))") }, "\(audit.map(\.detail))")
            // The exchange refused 5 of the 6 (the price with 3 decimals never reached it).
            #expect(audit.filter { $0.detail.hasPrefix("rejected ") }.count == 5, "the exchange's refusals: \(audit.map(\.detail))")

            // A directed quote: the third party does not see it and cannot take or counter it.
            #expect(!(try await e3.get("/trade/block")).body.contains("id=\"accept-quote-\(first.id)\""))
            let beforeThird = await service.head
            #expect(Self.error(try await Self.post(e3, e3CSRF, "/trade/block/accept", [("quote", "\(first.id)")]))?.hasPrefix("NOT_COUNTERPARTY") == true)
            #expect(Self.error(try await Self.post(e3, e3CSRF, "/trade/block/counter", [("quote", "\(first.id)"), ("price", Fen.text(close)), ("quantity", "100000")]))?.hasPrefix("NOT_COUNTERPARTY") == true)
            #expect(Self.error(try await Self.post(e3, e3CSRF, "/trade/block/cancel", [("quote", "\(first.id)")]))?.hasPrefix("NOT_OWNER") == true)
            #expect(Self.error(try await Self.post(e1, e1CSRF, "/trade/block/accept", [("quote", "\(first.id)")]))?.hasPrefix("OWN_ORDER") == true)
            #expect(Self.error(try await Self.post(i1, i1CSRF, "/trade/block/accept", [("quote", "x")]))?.hasPrefix("INVALID_INPUT") == true)
            #expect(await service.head == beforeThird, "refused answers write nothing")

            // i1 sees it (with its forms) and counters 1 yuan lower.
            let seen = try await i1.get("/trade/block")
            #expect(seen.body.contains("id=\"accept-quote-\(first.id)\"") && seen.body.contains("id=\"counter-quote-\(first.id)\""))
            let counterPrice = close - 100
            let countered = try await Self.post(i1, i1CSRF, "/trade/block/counter", [("quote", "\(first.id)"), ("price", Fen.text(counterPrice)), ("quantity", "100000")])
            #expect(Self.ok(countered)?.contains("counter_block") == true, "\(Self.error(countered) ?? "")")
            let counter = try #require(await service.exchange.quotes.values.first { $0.parent == first.id })
            #expect(counter.account == "INV-000001" && counter.side == .buy && counter.counterparties == ["ENT-000001"] && counter.price == counterPrice)
            // The negotiation: e1's page shows the counter answering its quote.
            let negotiation = try await e1.get("/trade/block")
            #expect(negotiation.body.contains("id=\"accept-quote-\(counter.id)\"") && negotiation.body.contains("#\(first.id)"))

            // e1 accepts the counter: a block deal, both holdings move, e1's own quote is superseded.
            let sellerBefore = await Self.holding(service, "ENT-000001", "CEA24")
            let buyerBefore = await Self.holding(service, "INV-000001", "CEA24")
            let accepted = try await Self.post(e1, e1CSRF, "/trade/block/accept", [("quote", "\(counter.id)")])
            #expect(Self.ok(accepted)?.contains("accept_block") == true && Self.ok(accepted)?.contains("deal") == true, "\(Self.error(accepted) ?? "")")
            let deal = try #require(await service.exchange.todayDeals.last)
            #expect(deal.mode == .block && deal.seller == "ENT-000001" && deal.buyer == "INV-000001" && deal.quantity == 100_000 && deal.price == counterPrice)
            #expect(await Self.holding(service, "ENT-000001", "CEA24") == sellerBefore - 100_000)
            #expect(await Self.holding(service, "INV-000001", "CEA24") == buyerBefore + 100_000)
            #expect(await service.exchange.quotes.isEmpty, "the counter is accepted, e1's quote superseded")
            #expect(try await i1.get("/trade/block").body.contains(deal.id.rawValue))

            // A public quote: cancelled by its owner only.
            _ = try await Self.post(e1, e1CSRF, "/trade/block/quote", quote(close, 100_000, to: ""))
            let open = try #require(await service.exchange.quotes.values.first)
            #expect(open.counterparties.isEmpty)
            #expect(try await e3.get("/trade/block").body.contains("id=\"accept-quote-\(open.id)\""), "a public quote is seen by every trader")
            #expect(Self.error(try await Self.post(i1, i1CSRF, "/trade/block/cancel", [("quote", "\(open.id)")]))?.hasPrefix("NOT_OWNER") == true)
            let cancelled = try await Self.post(e1, e1CSRF, "/trade/block/cancel", [("quote", "\(open.id)")])
            #expect(Self.ok(cancelled)?.contains("cancel_quote") == true, "\(Self.error(cancelled) ?? "")")
            #expect(await service.exchange.quotes.isEmpty)
        }
    }

    @Test(arguments: databases)
    func auctionBids(_ database: String) async throws {
        let world = try await Self.world(database)
        let service = world.service
        let now = service.now()
        // The window opens 30 minutes later (the drill clock runs in real time: a slow machine
        // must not reach it before the test moves the clock), and stays open 30 minutes.
        let opens = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 30 * 60_000)
        let closes = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 60 * 60_000)
        let close = try #require(await service.exchange.instruments["CEA24"]).previousClose
        let (floor, ceiling) = (close * 9 / 10, close * 11 / 10)
        let announced = try await service.execute(ExchangeRequest(idempotencyKey: "test-auction-1", command: .announceAuction(Auction(
            id: 0, applicant: "ENT-000003", instrument: "CEA24", side: .sell, quantity: 20_000, floorPrice: floor, ceilingPrice: ceiling,
            pricing: .uniform, tieBreak: .time, seed: 1, minBidQuantity: 1_000, maxSharePerMille: 500, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: opens, closesAt: closes))))
        #expect(announced.error == nil, "\(String(describing: announced.error))")
        let auction = try #require(await service.exchange.auctions.values.max { $0.id < $1.id })
        try await Self.serve(world) { port in
            let i1 = try await PortalServerTests.login(port, "i1")
            #expect(try await i1.get("/trade").body.contains("href=\"/trade/auctions\" id=\"auctions-link\""))
            let before = try await i1.get("/trade/auctions")
            #expect(before.status == 200 && before.body.contains("id=\"auctions\"") && before.body.contains("ENT-000003"))
            #expect(!before.body.contains("id=\"bid-\(auction.id)\""), "no bid form before the window opens")
            let csrf = try await PortalServerTests.csrf(i1, "/trade/auctions")
            let bid = [("auction", "\(auction.id)"), ("price", Fen.text(floor)), ("quantity", "1000")]
            let early = try await Self.post(i1, csrf, "/trade/auction/bid", bid)
            #expect(Self.error(early)?.hasPrefix("AUCTION_NOT_OPEN") == true, "\(Self.error(early) ?? "")")

            world.clock.drill(from: Timestamp(millisecondsSinceEpoch: opens.millisecondsSinceEpoch + 60_000))
            let page = try await i1.get("/trade/auctions")
            #expect(page.body.contains("id=\"bid-\(auction.id)\""), "the bid form inside the window")
            #expect(try await i1.get("/trade/auctions?lang=en").body.contains("taking bids"))

            // Refused with their codes; nothing written.
            let head = await service.head
            let refusals: [([(String, String)], String)] = [
                ([("auction", "\(auction.id)"), ("price", Fen.text(floor)), ("quantity", "999")], "BID_BELOW_MINIMUM"),
                ([("auction", "\(auction.id)"), ("price", Fen.text(floor - 1)), ("quantity", "1000")], "BID_OUTSIDE_RANGE"),
                ([("auction", "\(auction.id)"), ("price", Fen.text(ceiling + 1)), ("quantity", "1000")], "BID_OUTSIDE_RANGE"),
                ([("auction", "999999"), ("price", Fen.text(floor)), ("quantity", "1000")], "UNKNOWN_AUCTION"),
                ([("auction", "\(auction.id)"), ("price", "cheap"), ("quantity", "1000")], "INVALID_INPUT"),
            ]
            for (fields, code) in refusals {
                let refused = try await Self.post(i1, csrf, "/trade/auction/bid", fields)
                let error = try #require(Self.error(refused), "\(fields)")
                #expect(error.hasPrefix(code), "\(fields): \(error)")
            }
            #expect(await service.head == head, "refused bids write nothing")
            #expect(await service.exchange.bids.isEmpty)

            // Accepted: the bid is open (its money locked) and on the bidder's page.
            let placed = try await Self.post(i1, csrf, "/trade/auction/bid", bid)
            #expect(Self.ok(placed)?.contains("bid") == true, "\(Self.error(placed) ?? "")")
            let open = try #require(await service.exchange.bids.values.first)
            #expect(open.account == "INV-000001" && open.auction == auction.id && open.quantity == 1_000 && open.price == floor && open.locked > 0)
            let mine = try await i1.get("/trade/auctions")
            let myBids = try #require(mine.body.range(of: "id=\"my-bids\"").map { String(mine.body[$0.upperBound...]) })
            #expect(myBids.contains(">\(open.id)<") && myBids.contains(Fen.text(floor)))

            // The applicant cannot bid on its own auction.
            let e3 = try await PortalServerTests.login(port, "e3")
            let e3CSRF = try await PortalServerTests.csrf(e3, "/trade/auctions")
            #expect(Self.error(try await Self.post(e3, e3CSRF, "/trade/auction/bid", bid))?.hasPrefix("OWN_ORDER") == true)
        }
    }

    /// Staff without the actions: 403 on the pages and the forms; without a session, the login.
    @Test func rolesWithoutTheActionsAreRefused() async throws {
        let world = try await Self.world("sqlite")
        let service = world.service
        try await Self.serve(world) { port in
            let head = await service.head
            for user in ["verifier", "sc", "operator"] {
                let client = try await PortalServerTests.login(port, user)
                #expect(try await client.get("/trade/block").status == 403, "\(user)")
                #expect(try await client.get("/trade/auctions").status == 403, "\(user)")
                // The session's own CSRF token (the MRV portals are not mounted in this harness).
                let token = try #require(client.cookie?.split(separator: "=", maxSplits: 1).last.map(String.init))
                let csrf = try #require(try await world.store.session(tokenHash: sha256Hex(token))).csrf
                for path in ["/trade/block/quote", "/trade/block/counter", "/trade/block/accept", "/trade/block/cancel", "/trade/auction/bid"] {
                    let answer = try await Self.post(client, csrf, path, [
                        ("instrument", "CEA24"), ("side", "sell"), ("price", "90.00"), ("quantity", "100000"), ("quote", "1"), ("auction", "1"),
                    ])
                    #expect(answer.status == 403, "\(user) \(path): \(answer.status)")
                }
            }
            #expect(await service.head == head)
            #expect(try await PortalServerTests.client(port).get("/trade/block").location == "/login?next=/trade/block")
            #expect(try await PortalServerTests.client(port).get("/trade/auctions").location == "/login?next=/trade/auctions")
            // A forged form (no CSRF token) is refused.
            let e1 = try await PortalServerTests.login(port, "e1")
            #expect(try await e1.send("POST", "/trade/block/quote", form: [("nonce", "n1"), ("instrument", "CEA24")]).status == 403)
        }
    }
}
