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

/// The exchange operator's and registry operator's portals and the entity's four-eyes page on
/// the live server over the demo market (drill clock from 2025-06-03 10:00): each route's
/// allowed role works and changes state, other roles get 403, bad input is refused with its
/// code and changes nothing.
@Suite("HTTP server: operator portals and four-eyes transfers")
struct OperatorPortalTests {
    typealias Client = NeutralityServerTests.Client

    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var clock: MarketClock
        var path: String
    }

    static func world() async throws -> World {
        let path = try TestMarket.freshSQLitePath(tag: "operators")
        let (store, service, clock) = try await TestMarket.openDemo(.sqlite(path: path))
        return World(store: store, service: service, clock: clock, path: path)
    }

    static func serve(_ world: World, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await PortalServerTests.run(ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service, body)
        try await world.store.close()
        TestMarket.remove(.sqlite(path: world.path))
    }

    static func post(_ client: Client, _ csrf: String, _ path: String, _ fields: [(String, String)]) async throws -> NeutralityServerTests.Fetched {
        try await client.send("POST", path, form: PortalServerTests.form(csrf, fields))
    }

    static func error(_ fetched: NeutralityServerTests.Fetched) -> String? { PortalServerTests.outcome(fetched).error }
    static func ok(_ fetched: NeutralityServerTests.Fetched) -> String? { PortalServerTests.outcome(fetched).ok }

    /// "YYYY-MM-DD HH:MM" Beijing time of a timestamp (the form's format).
    static func minute(_ t: Timestamp) -> String {
        let date = BeijingTime.date(t), m = BeijingTime.minuteOfDay(t)
        return "\(date) \(m / 60 < 10 ? "0" : "")\(m / 60):\(m % 60 < 10 ? "0" : "")\(m % 60)"
    }

    @Test func exchangeOperatorPortal() async throws {
        let world = try await Self.world()
        let service = world.service
        try await Self.serve(world) { port in
            let operatorClient = try await PortalServerTests.login(port, "operator")
            // After the login the operator lands on its portal.
            #expect(try await operatorClient.get("/trade").location == "/portal/exchange")
            let page = try await operatorClient.get("/portal/exchange")
            #expect(page.status == 200)
            for id in ["sessions", "calendar", "auction-defaults", "announce-form", "auctions", "block-quotes", "alerts", "close-day"] {
                #expect(page.body.contains("id=\"\(id)\""), "\(id)")
            }
            #expect(page.body.contains("9:30–11:30, 13:00–15:00") && page.body.contains("交易中"), "listing in session at 10:00")
            // This server has no MRV platform, so no MRV policy page for the portals' head to link.
            #expect(page.status == 200 && !page.body.contains("mrv-policy-link") && !page.body.contains("/portal/mrv-policy"))
            #expect(try await operatorClient.get("/portal/exchange?lang=en").body.contains("One-way auctions"))
            let csrf = try await PortalServerTests.csrf(operatorClient, "/portal/exchange")
            let now = service.now()
            let opens = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 5 * 60_000)
            let closes = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 10 * 60_000)
            func terms(_ extra: [(String, String)]) -> [(String, String)] {
                var fields: [String: String] = [
                    "applicant": "ENT-000003", "instrument": "CEA24", "side": "sell", "quantity": "10000",
                    "opens": Self.minute(opens), "closes": Self.minute(closes), "min_bid": "1000", "cap_per_mille": "500",
                    "pricing": "uniform", "tie_break": "random", "seed": "42",
                ]
                for (k, v) in extra { fields[k] = v }
                return fields.sorted { $0.key < $1.key }
            }

            // Bad input: refused with its code, nothing written.
            let head = await service.head
            let refusals: [([(String, String)], String)] = [
                ([("quantity", "ten")], "INVALID_INPUT"),
                ([("quantity", "0")], "INVALID_QUANTITY"),
                ([("floor", "90.00"), ("ceiling", "80.00")], "INVALID_PRICE"),
                ([("floor", "9.999")], "INVALID_INPUT"),
                ([("applicant", "ENT-999999")], "UNKNOWN_ACCOUNT"),
                ([("instrument", "NOPE")], "UNKNOWN_INSTRUMENT"),
                ([("opens", "tomorrow")], "INVALID_INPUT"),
                ([("closes", Self.minute(opens))], "INVALID_INPUT"),
                ([("cap_per_mille", "1001")], "INVALID_INPUT"),
                ([("tie_break", "coin")], "INVALID_INPUT"),
            ]
            for (extra, code) in refusals {
                let refused = try await Self.post(operatorClient, csrf, "/portal/exchange/announce", terms(extra))
                let error = try #require(Self.error(refused), "\(extra)")
                #expect(error.hasPrefix(code), "\(extra): \(error)")
            }
            #expect(await service.head == head, "refused announcements write nothing")
            #expect(await service.exchange.auctions.values.allSatisfy { $0.applicant != "ENT-000003" || $0.quantity != 10_000 })

            // Announced with the default floor and ceiling: the previous close ∓ 10 %.
            let announced = try await Self.post(operatorClient, csrf, "/portal/exchange/announce", terms([]))
            #expect(Self.ok(announced)?.contains("announce_auction") == true, "\(Self.error(announced) ?? "")")
            let auction = try #require(await service.exchange.auctions.values.max { $0.id < $1.id })
            let close = try #require(await service.exchange.instruments["CEA24"]).previousClose
            let band = ExchangePolicy.band(previousClose: close, percent: 10)
            #expect(auction.applicant == "ENT-000003" && auction.quantity == 10_000 && auction.floorPrice == band.low && auction.ceilingPrice == band.high)
            #expect(auction.tieBreak == .random && auction.seed == 42 && auction.minBidQuantity == 1_000 && auction.maxSharePerMille == 500)
            #expect(auction.opensAt == Timestamp(iso8601: Self.minute(opens) + ":00") && auction.status == .announced)
            let listed = try await operatorClient.get("/portal/exchange")
            #expect(listed.body.contains("id=\"auctions\"") && listed.body.contains("ENT-000003") && listed.body.contains("窗口未结束"))

            // Clearing before the window ends: AUCTION_NOT_CLOSED, nothing written.
            let before = await service.head
            let early = try await Self.post(operatorClient, csrf, "/portal/exchange/clear", [("auction", "\(auction.id)")])
            #expect(Self.error(early)?.hasPrefix("AUCTION_NOT_CLOSED") == true, "\(Self.error(early) ?? "")")
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/clear", [("auction", "x")]))?.hasPrefix("INVALID_INPUT") == true)
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/clear", [("auction", "999999")]))?.hasPrefix("UNKNOWN_AUCTION") == true)
            let stillAnnounced = await service.exchange.auctions[auction.id]?.status
            #expect(await service.head == before && stillAnnounced == .announced)

            // After the window: cleared (no bids: nothing sold), the result on the page.
            world.clock.drill(from: Timestamp(millisecondsSinceEpoch: closes.millisecondsSinceEpoch + 60_000))
            let cleared = try await Self.post(operatorClient, csrf, "/portal/exchange/clear", [("auction", "\(auction.id)")])
            #expect(Self.ok(cleared)?.contains("clear_auction") == true, "\(Self.error(cleared) ?? "")")
            let ended = try #require(await service.exchange.auctions[auction.id])
            #expect(ended.status != .announced && ended.result?.unsold == 10_000)
            // The outcome and the terms in the page's language.
            #expect(ended.result?.reason == "no valid bids", "\(ended.result?.reason ?? "-")")
            let endedPage = try await operatorClient.get("/portal/exchange").body
            #expect(endedPage.contains("无有效申报") && endedPage.contains("统一价格，随机（种子 42）"))
            #expect(try await operatorClient.get("/portal/exchange?lang=en").body.contains("no valid bids"))

            // Withdrawing an announced auction: a reason is required; the applicant's lock is released.
            let available = await service.state.holdings[HoldingKey(account: "ENT-000003", unit: "CEA24")]?.available ?? 0
            let later = service.now()
            let second = try await Self.post(operatorClient, csrf, "/portal/exchange/announce", terms([
                ("opens", Self.minute(Timestamp(millisecondsSinceEpoch: later.millisecondsSinceEpoch + 5 * 60_000))),
                ("closes", Self.minute(Timestamp(millisecondsSinceEpoch: later.millisecondsSinceEpoch + 10 * 60_000)))]))
            let withdrawn = try #require(await service.exchange.auctions.values.max { $0.id < $1.id })
            #expect(Self.ok(second) != nil && withdrawn.id != auction.id && withdrawn.status == .announced, "\(Self.error(second) ?? "")")
            let lockedHead = await service.head
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/cancel", [("auction", "\(withdrawn.id)"), ("reason", "  ")]))?.hasPrefix("INVALID_INPUT") == true)
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/cancel", [("auction", "\(auction.id)"), ("reason", "late")]))?.hasPrefix("AUCTION_NOT_OPEN") == true)
            #expect(await service.head == lockedHead)
            let cancelled = try await Self.post(operatorClient, csrf, "/portal/exchange/cancel", [("auction", "\(withdrawn.id)"), ("reason", "申报方撤回 applicant withdrew")])
            #expect(Self.ok(cancelled)?.contains("cancel_auction") == true, "\(Self.error(cancelled) ?? "")")
            let withdrawnNow = await service.exchange.auctions[withdrawn.id]
            #expect(withdrawnNow?.status == .cancelled && withdrawnNow?.result?.reason.contains("applicant withdrew") == true)
            #expect(await service.state.holdings[HoldingKey(account: "ENT-000003", unit: "CEA24")]?.available ?? 0 == available)

            // The trading day from the portal: closed, then refused to close again.
            let closed = try await Self.post(operatorClient, csrf, "/portal/exchange/close-day", [])
            let tradingDate = await service.exchange.tradingDate
            #expect(closed.location?.hasPrefix("/portal/exchange?ok=") == true && tradingDate == nil)
            #expect(try await operatorClient.get("/portal/exchange").body.contains("id=\"open-day-form\""))
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/open-day", [("date", "2025-13-01")]))?.hasPrefix("INVALID_INPUT") == true)
            #expect(Self.error(try await Self.post(operatorClient, csrf, "/portal/exchange/open-day", [("date", "2025-06-07")]))?.hasPrefix("NOT_TRADING_DAY") == true)

            // Other roles: 403 on the page and on every form; without a session, the login.
            for user in ["e1", "i1", "registrar", "mee"] {
                let client = try await PortalServerTests.login(port, user)
                #expect(try await client.get("/portal/exchange").status == 403, "\(user)")
                let own = try await client.get(user == "registrar" ? "/portal/registry" : (user == "mee" ? "/surveillance" : "/trade"))
                let userCSRF = try #require(NeutralityServerTests.field("csrf", in: own.body), "\(user)")
                for path in ["/portal/exchange/announce", "/portal/exchange/clear", "/portal/exchange/cancel", "/portal/exchange/open-day", "/portal/exchange/close-day"] {
                    #expect(try await Self.post(client, userCSRF, path, terms([("auction", "\(auction.id)"), ("date", "2025-06-04"), ("reason", "x")])).status == 403, "\(user) \(path)")
                }
            }
            #expect(try await PortalServerTests.client(port).get("/portal/exchange").location == "/login?next=/portal/exchange")
            // A forged form (no CSRF token) is refused.
            #expect(try await operatorClient.send("POST", "/portal/exchange/announce", form: [("nonce", "n1")] + terms([])).status == 403)
        }
    }

    @Test func registryOperatorPortal() async throws {
        let world = try await Self.world()
        let service = world.service
        try await Self.serve(world) { port in
            let registrar = try await PortalServerTests.login(port, "registrar")
            #expect(try await registrar.get("/trade").location == "/portal/registry")
            let page = try await registrar.get("/portal/registry")
            #expect(page.status == 200)
            for id in ["accounts", "status-form", "pending-transfers", "funds-form", "account-range"] { #expect(page.body.contains("id=\"\(id)\""), "\(id)") }
            #expect(page.body.contains("ENT-000004") && page.body.contains("重点排放单位"))
            #expect(page.body.contains("href=\"/portal/ccer-review\" id=\"ccer-review-link\""))
            #expect(try await registrar.get("/portal/registry?lang=en").body.contains("Pending four-eyes transfers"))
            // Paging: the named row limit, the offset past the end shows none.
            let count = await service.state.accounts.count
            #expect(try await registrar.get("/portal/registry?offset=\(count)").body.contains("本页无账户，共 \(count) 个"))
            let csrf = try await PortalServerTests.csrf(registrar, "/portal/registry")

            // Bad input: refused, nothing written.
            let head = await service.head
            let bad: [(String, [(String, String)], String)] = [
                ("/portal/registry/status", [("account", "ENT-000004"), ("status", "blocked"), ("reason", " ")], "INVALID_INPUT"),
                ("/portal/registry/status", [("account", "ENT-000004"), ("status", "frozen"), ("reason", "x")], "INVALID_INPUT"),
                ("/portal/registry/status", [("account", "ENT-999999"), ("status", "blocked"), ("reason", "court order")], "UNKNOWN_ACCOUNT"),
                ("/portal/registry/status", [("account", "ENT-000004"), ("status", "open"), ("reason", "already")], "INVALID_ARGUMENT"),
                ("/portal/registry/status", [("account", "ENT-000001"), ("status", "closed"), ("reason", "not empty")], "ACCOUNT_NOT_EMPTY"),
                ("/portal/registry/funds", [("account", "INV-000001"), ("direction", "deposit"), ("amount", "1.234"), ("bank_reference", "B1")], "INVALID_INPUT"),
                ("/portal/registry/funds", [("account", "INV-000001"), ("direction", "lend"), ("amount", "1.00"), ("bank_reference", "B1")], "INVALID_INPUT"),
                ("/portal/registry/funds", [("account", "ENT-999999"), ("direction", "deposit"), ("amount", "1.00"), ("bank_reference", "B1")], "UNKNOWN_ACCOUNT"),
                ("/portal/registry/funds", [("account", "INV-000001"), ("direction", "withdraw"), ("amount", "999999999999.00"), ("bank_reference", "B1")], "INSUFFICIENT_FUNDS"),
            ]
            for (path, fields, code) in bad {
                let error = try #require(Self.error(try await Self.post(registrar, csrf, path, fields)), "\(fields)")
                #expect(error.hasPrefix(code), "\(fields): \(error)")
            }
            #expect(await service.head == head, "refused commands write nothing")

            // Suspend and reactivate an account (reason required), through setAccountStatus.
            let suspended = try await Self.post(registrar, csrf, "/portal/registry/status", [("account", "ENT-000004"), ("status", "blocked"), ("reason", "核查中 under investigation")])
            #expect(Self.ok(suspended)?.contains("set_account_status") == true, "\(Self.error(suspended) ?? "")")
            #expect(await service.state.accounts["ENT-000004"]?.status == .blocked)
            #expect(try await registrar.get("/portal/registry").body.contains("id=\"status-ENT-000004\" data-status=\"blocked\">限制"))
            _ = try await Self.post(registrar, csrf, "/portal/registry/status", [("account", "ENT-000004"), ("status", "open"), ("reason", "cleared")])
            #expect(await service.state.accounts["ENT-000004"]?.status == .open)

            // Funds in and out with the bank's reference.
            let cash = await service.state.cash("INV-000001")
            let deposit = try await Self.post(registrar, csrf, "/portal/registry/funds", [("account", "INV-000001"), ("direction", "deposit"), ("amount", "1234.56"), ("bank_reference", "BANK-2025-0001")])
            #expect(Self.ok(deposit)?.contains("deposit_funds") == true, "\(Self.error(deposit) ?? "")")
            #expect(await service.state.cash("INV-000001") == cash + 123_456)
            _ = try await Self.post(registrar, csrf, "/portal/registry/funds", [("account", "INV-000001"), ("direction", "withdraw"), ("amount", "0.56"), ("bank_reference", "BANK-2025-0002")])
            #expect(await service.state.cash("INV-000001") == cash + 123_400)

            // Other roles: 403 on the page and the forms.
            for user in ["e1", "operator", "mee"] {
                let client = try await PortalServerTests.login(port, user)
                #expect(try await client.get("/portal/registry").status == 403, "\(user)")
                let own = try await client.get(user == "operator" ? "/portal/exchange" : (user == "mee" ? "/surveillance" : "/trade"))
                let userCSRF = try #require(NeutralityServerTests.field("csrf", in: own.body), "\(user)")
                let status = try await Self.post(client, userCSRF, "/portal/registry/status", [("account", "ENT-000004"), ("status", "blocked"), ("reason", "x")])
                let funds = try await Self.post(client, userCSRF, "/portal/registry/funds", [("account", "INV-000001"), ("direction", "deposit"), ("amount", "1.00"), ("bank_reference", "X")])
                #expect(status.status == 403 && funds.status == 403, "\(user)")
            }
            #expect(await service.state.accounts["ENT-000004"]?.status == .open)
        }
    }

    @Test func fourEyesTransfersInTheWeb() async throws {
        let world = try await Self.world()
        let service = world.service
        try await Self.serve(world) { port in
            let e1 = try await PortalServerTests.login(port, "e1")
            #expect(try await e1.get("/trade").body.contains("id=\"transfers-link\""))
            let page = try await e1.get("/portal/transfers")
            #expect(page.status == 200 && page.body.contains("id=\"initiate-form\"") && !page.body.contains("id=\"approve-"))
            let csrf = try await PortalServerTests.csrf(e1, "/portal/transfers")
            let pendingBefore = await service.state.transfers.count

            // Bad input: refused, nothing written.
            let head = await service.head
            for (fields, code) in [
                ([("to", "INV-000001"), ("unit", "CEA23"), ("quantity", "many")], "INVALID_INPUT"),
                ([("to", "INV-000001"), ("unit", "CEA23"), ("quantity", "0")], "INVALID_QUANTITY"),
                ([("to", "INV-999999"), ("unit", "CEA23"), ("quantity", "10")], "UNKNOWN_ACCOUNT"),
            ] as [([(String, String)], String)] {
                let error = try #require(Self.error(try await Self.post(e1, csrf, "/portal/transfers/initiate", fields)), "\(fields)")
                #expect(error.hasPrefix(code), "\(fields): \(error)")
            }
            let transferCount = await service.state.transfers.count
            #expect(await service.head == head && transferCount == pendingBefore)

            // The initiator initiates: pending, nothing moves yet.
            let held = await service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA23")]?.total ?? 0
            let initiated = try await Self.post(e1, csrf, "/portal/transfers/initiate", [("to", "INV-000001"), ("unit", "CEA23"), ("quantity", "1500")])
            #expect(Self.ok(initiated)?.contains("initiate_transfer") == true, "\(Self.error(initiated) ?? "")")
            let pending = try #require(await service.state.transfers.values.first { $0.from == "ENT-000001" && $0.status == .pending })
            #expect(pending.quantity == 1_500 && pending.initiator == "E1-INIT")
            #expect(await service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA23")]?.total ?? 0 == held)
            // The initiator may not decide; the registry operator sees it read-only.
            #expect(try await Self.post(e1, csrf, "/portal/transfers/decide", [("transfer", pending.id.rawValue), ("decision", "approve")]).status == 403)
            let registrar = try await PortalServerTests.login(port, "registrar")
            let listed = try await registrar.get("/portal/registry")
            #expect(listed.body.contains(pending.id.rawValue) && !listed.body.contains("id=\"approve-"))

            // The approver sees it with the buttons; a bad decision and an unknown transfer are refused.
            let approver = try await PortalServerTests.login(port, "e1-approver")
            let approverPage = try await approver.get("/portal/transfers")
            #expect(approverPage.status == 200 && approverPage.body.contains("id=\"approve-\(pending.id.rawValue)\"") && !approverPage.body.contains("id=\"initiate-form\""))
            let approverCSRF = try await PortalServerTests.csrf(approver, "/portal/transfers")
            #expect(Self.error(try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", pending.id.rawValue), ("decision", "maybe")]))?.hasPrefix("INVALID_INPUT") == true)
            let unknown = try #require(Self.error(try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", "TRF-NOPE"), ("decision", "approve")])))
            #expect(unknown.hasPrefix("UNKNOWN_TRANSFER") || unknown.hasPrefix("TRANSFER_NOT_PENDING"), "\(unknown)")
            // Another account's pending transfer: 403, nothing decided.
            let other = try await service.execute(CommandRequest(
                idempotencyKey: "test-e3-transfer", command: .initiateTransfer(from: "ENT-000003", to: "INV-000001", unit: "CEA23", quantity: 10, initiator: "E3-INIT")))
            let otherID = try #require(other.receipt?.events.compactMap { if case .transferInitiated(let t) = $0 { t.id } else { nil } }.first)
            #expect(try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", otherID.rawValue), ("decision", "approve")]).status == 403)
            let undecided = await service.state.transfers
            #expect(undecided[otherID]?.status == .pending && undecided[pending.id]?.status == .pending)

            // Approved: executed, the units move.
            let approved = try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", pending.id.rawValue), ("decision", "approve")])
            #expect(Self.ok(approved)?.contains("approve_transfer") == true, "\(Self.error(approved) ?? "")")
            let executed = await service.state.transfers[pending.id]
            #expect(executed?.status == .executed && executed?.decidedBy == "E1-APPR")
            #expect(await service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA23")]?.total ?? 0 == held + 1_500)
            // Deciding it again: refused by the registry.
            #expect(Self.error(try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", pending.id.rawValue), ("decision", "reject")]))?.hasPrefix("TRANSFER_NOT_PENDING") == true)
            #expect(try await approver.get("/portal/transfers?lang=en").body.contains("Decided transfers"))

            // A second one, rejected.
            _ = try await Self.post(e1, csrf, "/portal/transfers/initiate", [("to", "INV-000001"), ("unit", "CEA23"), ("quantity", "7")])
            let second = try #require(await service.state.transfers.values.first { $0.from == "ENT-000001" && $0.status == .pending })
            _ = try await Self.post(approver, approverCSRF, "/portal/transfers/decide", [("transfer", second.id.rawValue), ("decision", "reject")])
            #expect(await service.state.transfers[second.id]?.status == .rejected)

            // Roles without either action: 403 on the page and the forms.
            for user in ["operator", "registrar", "verifier"] {
                let client = try await PortalServerTests.login(port, user)
                #expect(try await client.get("/portal/transfers").status == 403, "\(user)")
            }
            let operatorClient = try await PortalServerTests.login(port, "operator")
            let operatorCSRF = try await PortalServerTests.csrf(operatorClient, "/portal/exchange")
            #expect(try await Self.post(operatorClient, operatorCSRF, "/portal/transfers/initiate", [("to", "INV-000001"), ("unit", "CEA23"), ("quantity", "1")]).status == 403)
            #expect(try await Self.post(operatorClient, operatorCSRF, "/portal/transfers/decide", [("transfer", otherID.rawValue), ("decision", "approve")]).status == 403)
            #expect(await service.state.transfers[otherID]?.status == .pending)
        }
    }
}
