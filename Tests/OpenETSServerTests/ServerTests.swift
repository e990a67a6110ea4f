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

/// The real server on 127.0.0.1 (an ephemeral port) over the demo market.
@Suite("HTTP server")
struct ServerTests {
    struct Fetched {
        var status: Int
        var headers: [AnyHashable: Any]
        var body: String
        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
    }

    @Test func servesTheRegistryPages() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "server")
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path))
        _ = try await DemoMarket.seed(service)
        try await DemoExchange.setUp(service)
        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func get(_ path: String) async throws -> Fetched {
                let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                let http = response as! HTTPURLResponse
                return Fetched(status: http.statusCode, headers: http.allHeaderFields, body: String(decoding: data, as: UTF8.self))
            }

            let health = try await get("/health")
            #expect(health.status == 200 && health.body == "ok\n")
            #expect(health.header("X-Content-Type-Options") == "nosniff")
            #expect(try await get("/ready").body.hasPrefix("ready"))

            let home = try await get("/")
            #expect(home.status == 200)
            #expect(home.body.contains("全国碳排放权注册登记系统") && home.body.contains("3,000万吨") && home.body.contains("<svg"))
            // The latest entries (the exchange's set-up) by their business names, not journal kinds.
            #expect(home.body.contains("交易会员准入") && !home.body.contains("exchange.admit_member"), "\(home.body)")
            let english = try await get("/?lang=en")
            #expect(english.body.contains("National Carbon Emissions Registry") && english.body.contains("30,000,000 t"))
            #expect(english.header("Set-Cookie")?.hasPrefix("lang=en") == true)
            // The cookie keeps English until the visitor switches back.
            #expect(try await get("/accounts").body.contains("Key emitting entity"))
            #expect(try await get("/?lang=zh").body.contains("全国碳排放权注册登记系统"))

            let entity = try await get("/accounts/ENT-000001")
            // CEA23 6,500,000 t; CEA24 4,550,000 t of which 300,000 t pledged; 500 million yuan.
            #expect(entity.body.contains("650万吨") && entity.body.contains("455万吨") && entity.body.contains("30万吨"))
            #expect(entity.body.contains("500,000,000.00"))
            #expect(try await get("/accounts/ENT-999999").status == 404)
            // The demo pledge, listed for its holder and its pledgee (the bank), with a CSV.
            #expect(entity.body.contains("id=\"pledges-holder\"") && entity.body.contains("GB-PLEDGE-2025-017") && !entity.body.contains("pledges-pledgee"))
            let bank = try await get("/accounts/INV-000002")
            #expect(bank.body.contains("id=\"pledges-pledgee\"") && bank.body.contains("ENT-000001") && bank.body.contains("有效（冻结中）"))
            let pledges = try await get("/accounts/INV-000002/pledges.csv")
            #expect(pledges.status == 200 && pledges.header("Content-Type")?.hasPrefix("text/csv") == true)
            #expect(pledges.body.contains("FRZ-00000001,pledgee,ENT-000001,INV-000002,CEA24,300000,"))
            #expect(try await get("/accounts/INV-999999/pledges.csv").status == 404)
            let owner = try await get("/accounts/OWN-000001")
            #expect(owner.body.contains("CN-CCER-P000001-2024-000000060001-000000250000"))

            let certificate = try await get("/certificates?number=VC-00000001")
            #expect(certificate.status == 200 && certificate.body.contains("certificate-valid") && certificate.body.contains("成都马拉松组委会"))
            #expect(certificate.body.contains("CN-CCER-P000001-2024-000000000001-000000001200"))
            // The journal entry that issued it, found once and then remembered: the same entry again.
            func entryLine(_ html: String) -> String? {
                html.firstMatch(of: /#[0-9]+: <code>[0-9a-f]{64}<\/code>/).map { String($0.output) }
            }
            let issued = try #require(entryLine(certificate.body), "the issuing entry is shown")
            #expect(entryLine(try await get("/certificates/VC-00000001").body) == issued)
            #expect(try await get("/certificates/VC-99999999").status == 404)

            let csv = try await get("/accounts.csv")
            #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true && csv.body.contains("ENT-000001,entity,open,SC"))

            let market = try await get("/market")
            #expect(market.status == 200 && market.body.contains("/market/CEA24") && market.body.contains("挂牌协议") && market.body.contains("休市"))
            let cea = try await get("/market/CEA24?lang=en")
            #expect(cea.status == 200 && cea.body.contains("Trade tape") && cea.body.contains("previous close 96.50"))
            #expect(try await get("/market/NOPE").status == 404)
            let history = try await get("/market/CEA24/history.csv")
            #expect(history.status == 200 && history.body.hasPrefix("date,instrument,previous_close"))

            let metrics = try await get("/metrics")
            #expect(metrics.body.contains("openets_journal_head_seq 55"))
            #expect(metrics.body.contains("openets_http_requests_total{method=\"GET\",status=\"200\"}"))
            // The writer's batches: a histogram whose +Inf bucket is its count, with the commands
            // of the setup (55 entries, some of them in batches of several) as its sum.
            let values = Dictionary(
                metrics.body.split(separator: "\n").filter { $0.hasPrefix("openets_writer_") }.compactMap { line -> (String, Double)? in
                    let parts = line.split(separator: " ")
                    return parts.count == 2 ? (String(parts[0]), Double(parts[1]) ?? -1) : nil
                }, uniquingKeysWith: { first, _ in first })
            let batches = try #require(values["openets_writer_batch_commands_count"])
            #expect(batches >= 1 && values["openets_writer_batch_commands_bucket{le=\"+Inf\"}"] == batches)
            #expect((values["openets_writer_batch_commands_sum"] ?? 0) >= batches)
            #expect(values["openets_writer_batches_redecided_total"] == 0 && values["openets_writer_commit_seconds_total"].map { $0 > 0 } == true)
            #expect(try await get("/no/such/page").status == 404)
            group.cancelAll()
        }
        try await store.close()
    }
}
