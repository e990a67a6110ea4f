import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
@testable import OpenETSServer
import Testing

/// The REST API (openapi.yaml) on the real server on 127.0.0.1, over the demo market with its
/// trading day open (drill clock 2025-06-03 10:00 Beijing).
@Suite("REST API")
struct APIServerTests {
    struct Fetched {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
    }

    struct Client {
        var port: Int

        func call(_ method: String, _ path: String, token: String? = nil, key: String? = nil, body: String? = nil) async throws -> Fetched {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(body.utf8)
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            return Fetched(status: (response as! HTTPURLResponse).statusCode, body: String(decoding: data, as: UTF8.self))
        }

        func get(_ path: String) async throws -> Fetched { try await call("GET", path) }
    }

    /// Runs `body` against a live server over a fresh demo market, with API tokens for e1, i1, mee and e1-approver.
    func withServer(fastPath: Bool = true, _ body: (Client, [String: String], RegistryService, any LedgerStore) async throws -> Void) async throws {
        let path = try TestMarket.freshSQLitePath(tag: "api")
        defer { TestMarket.remove(.sqlite(path: path)) }
        let (store, service, _) = try await TestMarket.openDemo(.sqlite(path: path), days: 3)
        let access = AccessService(store: store)
        var tokens: [String: String] = [:]
        for user in ["e1", "i1", "mee", "e1-approver"] {
            guard case .success(let created) = try await access.createAPIToken(user: user, label: "test", at: SystemClock().now()) else {
                Issue.record("no token for \(user)")
                return
            }
            tokens[user] = created.token
        }
        let ports = AsyncStream<Int>.makeStream()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.orderFastPath = fastPath
        let app = buildApplication(configuration, store: store, service: service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(Client(port: port), tokens, service, store)
            group.cancelAll()
        }
        try await store.close()
    }

    @Test func servesTheSpecAndPublicMarketData() async throws {
        try await withServer { client, _, service, _ in
            let spec = try await client.get("/openapi.yaml")
            #expect(spec.status == 200 && spec.body.hasPrefix("openapi: 3.1.0") && spec.body.contains("operationId: placeOrder"))

            let instruments = try await client.get("/api/v1/market/instruments")
            #expect(instruments.status == 200)
            let items = instruments.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["code"] as? String } == ["CCER", "CCER-P000001-M01", "CEA23", "CEA24"])
            #expect(items.first { $0["code"] as? String == "CEA24" }?["previousCloseFen"] as? Int != nil)
            #expect(instruments.json["total"] as? Int == 4 && instruments.json["nextOffset"] == nil)

            // Pagination: three, then the rest.
            let first = try await client.get("/api/v1/market/instruments?limit=3")
            #expect((first.json["items"] as? [Any])?.count == 3 && first.json["nextOffset"] as? Int == 3)
            let second = try await client.get("/api/v1/market/instruments?limit=3&offset=3")
            #expect((second.json["items"] as? [[String: Any]])?.map { $0["code"] as? String } == ["CEA24"] && second.json["nextOffset"] == nil)
            // The named maximum and bad values: INVALID_INPUT, in the error format.
            for bad in ["limit=501", "limit=0", "offset=-1", "limit=abc"] {
                let refused = try await client.get("/api/v1/market/instruments?\(bad)")
                #expect(refused.status == 400 && refused.code == "INVALID_INPUT", "\(bad): \(refused.body)")
                #expect(refused.json["message"] is String && refused.json["details"] is [String: Any])
            }

            let book = try await client.get("/api/v1/market/instruments/CEA24/book")
            #expect(book.status == 200 && book.json["instrument"] as? String == "CEA24")
            #expect(book.json["bids"] is [Any] && book.json["asks"] is [Any] && book.json["orders"] is [Any])
            let unknown = try await client.get("/api/v1/market/instruments/NOPE/book")
            #expect(unknown.status == 404 && unknown.code == "UNKNOWN_INSTRUMENT")
            #expect(try await client.get("/api/v1/market/instruments/NOPE/trades").code == "UNKNOWN_INSTRUMENT")

            // Three simulated days of history before today; the tape is today's (empty at 10:00).
            let history = try await client.get("/api/v1/market/instruments/CEA24/history")
            let days = history.json["items"] as? [[String: Any]] ?? []
            let closed = await service.exchange.history.filter { $0.instrument == "CEA24" }
            #expect(history.status == 200 && days.count == 3 && closed.count == 3)
            #expect(days.map { $0["date"] as? String } == closed.map { $0.date.description })
            #expect(days.map { $0["closeFen"] as? Int } == closed.map { Int($0.prices.close) })
            #expect(days.allSatisfy { ($0["volumeTonnes"] as? Int ?? -1) >= 0 && $0["closeFen"] is Int })
            let tape = try await client.get("/api/v1/market/instruments/CEA24/trades")
            #expect(tape.status == 200 && tape.json["total"] as? Int == 0)

            let accounts = try await client.get("/api/v1/registry/accounts?limit=500")
            let ids = (accounts.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains("ENT-000001") && ids == ids.sorted() && accounts.json["total"] as? Int == ids.count)
            let holdings = try await client.get("/api/v1/registry/accounts/ENT-000001/holdings")
            let rows = holdings.json["holdings"] as? [[String: Any]] ?? []
            // What the registry holds after the demo's trading days: CEA24 with the 300,000 t pledge frozen.
            let state = await service.state
            let held = try #require(state.holdings[HoldingKey(account: "ENT-000001", unit: "CEA24")])
            let cea24 = rows.first { $0["unit"] as? String == "CEA24" }
            #expect(cea24?["totalTonnes"] as? Int == Int(held.total) && cea24?["availableTonnes"] as? Int == Int(held.available))
            #expect((cea24?["frozenTonnes"] as? Int ?? 0) >= 300_000 && cea24?["frozenTonnes"] as? Int == Int(held.total - held.available))
            #expect(rows.count == state.holdings.keys.filter { $0.account == "ENT-000001" }.count)
            #expect(holdings.json["cashFen"] as? Int == Int(state.cashFen["ENT-000001"] ?? -1))
            let missing = try await client.get("/api/v1/registry/accounts/ENT-999999/holdings")
            #expect(missing.status == 404 && missing.code == "UNKNOWN_ACCOUNT")
        }
    }

    @Test func ordersNeedAValidTokenAndARole() async throws {
        try await withServer { client, tokens, service, store in
            let order = #"{"instrument":"CEA24","side":"sell","priceFen":9700,"quantityTonnes":1000}"#
            let before = await service.head.seq
            let none = try await client.call("POST", "/api/v1/exchange/orders", key: "k1", body: order)
            #expect(none.status == 401 && none.code == "UNAUTHENTICATED")
            let wrong = try await client.call("POST", "/api/v1/exchange/orders", token: String(repeating: "0", count: 64), key: "k1", body: order)
            #expect(wrong.status == 401 && wrong.code == "UNAUTHENTICATED")
            // The MEE may not trade; an approver has no trading permission either.
            let mee = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["mee"], key: "k1", body: order)
            #expect(mee.status == 403 && mee.code == "FORBIDDEN")
            let approver = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1-approver"], key: "k1", body: order)
            #expect(approver.status == 403 && approver.code == "FORBIDDEN")
            // No Idempotency-Key, or a malformed body: INVALID_INPUT.
            let noKey = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1"], body: order)
            #expect(noKey.status == 400 && noKey.code == "INVALID_INPUT")
            let malformed = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "k2", body: #"{"instrument":"CEA24"}"#)
            #expect(malformed.status == 400 && malformed.code == "INVALID_INPUT")
            // The error names the missing field, not the decoder's internals.
            #expect((malformed.json["details"] as? [String: String])?["field"] == "side", "\(malformed.body)")
            #expect(!malformed.body.contains("DecodingError") && !malformed.body.contains("CodingKeys"), "\(malformed.body)")
            // A key with a control character or a space: INVALID_INPUT, nothing placed.
            let spaced = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "two words", body: order)
            #expect(spaced.status == 400 && spaced.code == "INVALID_INPUT")
            let tooLarge = try await client.call(
                "POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "k3",
                body: #"{"instrument":"CEA24","side":"sell","priceFen":9700,"quantityTonnes":1000,"pad":""# + String(repeating: "x", count: 20_000) + "\"}")
            #expect(tooLarge.status == 413 && tooLarge.code == "BODY_TOO_LARGE")
            #expect(await service.head.seq == before)

            // A token revoked by another process (the CLI: another AccessService) stops acting
            // within the server's token cache lifetime (ServerConfiguration.apiTokenCacheMilliseconds).
            let access = AccessService(store: store)
            guard case .success(let created) = try await access.createAPIToken(user: "i1", label: "short-lived", at: SystemClock().now()) else {
                Issue.record("no token")
                return
            }
            #expect(try await client.call("POST", "/api/v1/exchange/orders/999999/cancel", token: created.token, key: "c1").code == "UNKNOWN_ORDER")
            #expect(try await access.revokeAPIToken(id: created.record.id, at: SystemClock().now()))
            let revokedAt = ContinuousClock.now
            var revoked = try await client.call("POST", "/api/v1/exchange/orders/999999/cancel", token: created.token, key: "c2")
            while revoked.status != 401, ContinuousClock.now < revokedAt + .milliseconds(APITokenCache.defaultLifetimeMilliseconds) + .seconds(5) {
                try await Task.sleep(for: .milliseconds(100))
                revoked = try await client.call("POST", "/api/v1/exchange/orders/999999/cancel", token: created.token, key: "c2")
            }
            #expect(revoked.status == 401 && revoked.code == "UNAUTHENTICATED")
        }
    }

    @Test func placeTakeCancelAndIdempotentReplay() async throws {
        try await withServer { client, tokens, service, _ in
            let order = #"{"instrument":"CEA24","side":"sell","priceFen":9700,"quantityTonnes":1000}"#
            let placed = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "sell-1", body: order)
            #expect(placed.status == 201 && placed.json["replayed"] as? Bool == false, "\(placed.body)")
            let orderID = try #require(placed.json["orderId"] as? Int)
            let seq = try #require(placed.json["seq"] as? Int)
            // The same key again: the first result, no second order.
            let openOrders = await service.exchange.orders.values.filter { $0.account == "ENT-000001" && $0.status == .open }.count
            let again = try await client.call("POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "sell-1", body: order)
            #expect(again.status == 201 && again.json["replayed"] as? Bool == true)
            #expect(again.json["orderId"] as? Int == orderID && again.json["seq"] as? Int == seq)
            #expect(await service.exchange.orders.values.filter { $0.account == "ENT-000001" && $0.status == .open }.count == openOrders)
            // The same key with a different request is refused.
            let reused = try await client.call(
                "POST", "/api/v1/exchange/orders", token: tokens["e1"], key: "sell-1",
                body: #"{"instrument":"CEA24","side":"sell","priceFen":9701,"quantityTonnes":1000}"#)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED" && reused.body.contains("different command"))

            // The order is on the public book, and takeable.
            let book = try await client.get("/api/v1/market/instruments/CEA24/book")
            let resting = (book.json["orders"] as? [[String: Any]] ?? []).map { $0["id"] as? Int }
            #expect(resting.contains(orderID))

            // A domain rejection keeps its code: the investor cannot take more than is offered.
            let tooMuch = try await client.call(
                "POST", "/api/v1/exchange/orders/\(orderID)/take", token: tokens["i1"], key: "take-0", body: #"{"quantityTonnes":5000}"#)
            #expect(tooMuch.status == 422 && tooMuch.code == "INVALID_QUANTITY", "\(tooMuch.body)")
            let i1Before = await service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA24")]?.total ?? 0
            let taken = try await client.call(
                "POST", "/api/v1/exchange/orders/\(orderID)/take", token: tokens["i1"], key: "take-1", body: #"{"quantityTonnes":400}"#)
            #expect(taken.status == 200, "\(taken.body)")
            let deals = taken.json["deals"] as? [[String: Any]] ?? []
            #expect(deals.count == 1 && deals.first?["quantityTonnes"] as? Int == 400 && deals.first?["priceFen"] as? Int == 9700)
            let retake = try await client.call(
                "POST", "/api/v1/exchange/orders/\(orderID)/take", token: tokens["i1"], key: "take-1", body: #"{"quantityTonnes":400}"#)
            #expect(retake.json["replayed"] as? Bool == true && (retake.json["deals"] as? [Any])?.count == 1)
            #expect(await service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA24")]?.total == i1Before + 400)
            let tape = try await client.get("/api/v1/market/instruments/CEA24/trades")
            #expect(tape.json["total"] as? Int == 1 && (tape.json["items"] as? [[String: Any]])?.first?["quantityTonnes"] as? Int == 400)

            // Only the owner cancels; then the rest is released.
            let foreign = try await client.call("POST", "/api/v1/exchange/orders/\(orderID)/cancel", token: tokens["i1"], key: "cx-1")
            #expect(foreign.status == 422 && foreign.code == "NOT_OWNER")
            let cancelled = try await client.call("POST", "/api/v1/exchange/orders/\(orderID)/cancel", token: tokens["e1"], key: "cx-2")
            #expect(cancelled.status == 200 && cancelled.json["replayed"] as? Bool == false, "\(cancelled.body)")
            #expect(await service.exchange.orders[Int64(orderID)]?.status != .open)
        }
    }

    /// The account-application limit's path check: every spelling the router sends to the two
    /// operations counts (empty segments, a trailing slash, percent-encoding), nothing else does.
    @Test func applicationPathsAreRecognisedAsTheRouterMatchesThem() {
        for path in [
            "/api/v1/accounts/applications", "//api/v1/accounts/applications/", "/api/v1/accounts/%61pplications",
            "/api/%761/accounts/applications", "/api/v1/accounts/applications/APP-1/resubmission",
            "/api/v1/accounts/applications/APP-1/%72esubmission",
        ] {
            #expect(ApplicationRateLimitMiddleware.isApplication(path), "\(path)")
        }
        for path in [
            "/api/v1/exchange/orders", "/api/v1/accounts/applications/APP-1", "/api/v1/accounts/applications/APP-1/decision",
            "/api/v1/accounts/application", "/api/v2/accounts/applications", "/api/v1/accounts/%zz",
        ] {
            #expect(!ApplicationRateLimitMiddleware.isApplication(path), "\(path)")
        }
    }

    /// Order entry's fast path (`OrderEntryFastPath`) answers exactly as the generated path:
    /// the same requests — accepted, replayed, refused by the domain, by the permission matrix,
    /// without a token, and shapes only the generated path handles — against two fresh demo
    /// markets, one served each way, give the same statuses and bodies, and the same books.
    @Test func orderEntryFastPathAnswersAsTheGeneratedPath() async throws {
        struct Call { var token: String?; var path: String; var key: String?; var body: String?; var accept: String? = nil }
        func script(_ tokens: [String: String]) -> [Call] {
            let order = #"{"instrument":"CEA24","side":"sell","priceFen":9700,"quantityTonnes":1000}"#
            return [
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-1", body: order),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-1", body: order),  // replayed
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-1", body: order.replacingOccurrences(of: "9700", with: "9701")),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-2", body: order.replacingOccurrences(of: "9700", with: "99999")),
                Call(token: tokens["i1"], path: "/api/v1/exchange/orders", key: "p-3",
                     body: #"{"instrument":"CEA24","side":"buy","priceFen":9650,"quantityTonnes":5}"#, accept: "application/json"),
                Call(token: tokens["mee"], path: "/api/v1/exchange/orders", key: "p-4", body: order),
                Call(token: nil, path: "/api/v1/exchange/orders", key: "p-5", body: order),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-6", body: #"{"instrument":"CEA24"}"#),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "two words", body: order),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: nil, body: order),
                Call(token: tokens["e1"], path: "/api/v1/exchange/orders", key: "p-7", body: order, accept: "text/html"),
                Call(token: tokens["i1"], path: "/api/v1/exchange/orders/1/cancel", key: "c-0", body: nil),
                Call(token: tokens["i1"], path: "/api/v1/exchange/orders/999999/cancel", key: "c-1", body: nil),
                Call(token: tokens["i1"], path: "/api/v1/exchange/orders/007/cancel", key: "c-2", body: nil),
                Call(token: tokens["i1"], path: "/api/v1/exchange/orders/x/cancel", key: "c-3", body: nil),
            ]
        }
        func run(fastPath: Bool) async throws -> (answers: [String], orders: [String]) {
            var answers: [String] = [], orders: [String] = []
            try await withServer(fastPath: fastPath) { client, tokens, service, _ in
                var calls = script(tokens)
                // Cancel the first order placed (its id is the same in both markets).
                let first = try await client.call("POST", calls[0].path, token: calls[0].token, key: calls[0].key, body: calls[0].body)
                answers.append("\(first.status) \(first.body)")
                let id = try #require(first.json["orderId"] as? Int)
                calls.append(Call(token: tokens["e1"], path: "/api/v1/exchange/orders/\(id)/cancel", key: "c-4", body: nil))
                calls.append(Call(token: tokens["e1"], path: "/api/v1/exchange/orders/\(id)/cancel", key: "c-4", body: nil))
                for call in calls.dropFirst() {
                    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(client.port)\(call.path)")!)
                    request.httpMethod = "POST"
                    if let token = call.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
                    if let key = call.key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
                    if let accept = call.accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
                    if let body = call.body {
                        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                        request.httpBody = Data(body.utf8)
                    }
                    let (data, response) = try await URLSession.shared.data(for: request)
                    answers.append("\((response as! HTTPURLResponse).statusCode) \(String(decoding: data, as: UTF8.self))")
                }
                orders = await service.exchange.orders.values.sorted { $0.id < $1.id }.map { "\($0.id) \($0.account) \($0.price) \($0.remaining) \($0.status)" }
            }
            return (answers, orders)
        }
        let servedBefore = OrderEntryFastPath.stats.served
        let fast = try await run(fastPath: true)
        // Most of the script took the fast path (other suites' orders may add to the count).
        #expect(OrderEntryFastPath.stats.served - servedBefore >= 10)
        let generated = try await run(fastPath: false)
        #expect(fast.answers.count == 17 && fast.answers.count == generated.answers.count)
        for (index, (a, b)) in zip(fast.answers, generated.answers).enumerated() {
            #expect(a == b, "call \(index): fast path \(a) — generated path \(b)")
        }
        #expect(fast.orders == generated.orders)
        // The script covers accepted, replayed and refused answers.
        for status in ["201", "200", "401", "403", "400", "422"] {
            #expect(fast.answers.contains { $0.hasPrefix(status) }, "no \(status) in \(fast.answers)")
        }
    }
}
