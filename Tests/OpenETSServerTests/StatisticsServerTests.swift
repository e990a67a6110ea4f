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

/// The public statistics pages on the real server over the demo market with its compliance
/// year (`DemoCycle`, hand count in its comment): the page in both languages, the chart, and
/// the three CSV downloads.
@Suite("Statistics pages")
struct StatisticsServerTests {
    @Test func servesTheYearsStatisticsAndCSV() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "stats")
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path))
        let cycle = try await Composition.openAllocationCycleStore(.sqlite(path: path), connectionID: 2)
        _ = try await DemoMarket.seed(service)
        try await DemoExchange.setUp(service)
        try await DemoCycle.seed(service, store: cycle, clock: SystemClock())
        // Idempotent: a second run changes nothing.
        let head = try await store.head()
        try await DemoCycle.seed(service, store: cycle, clock: SystemClock())
        #expect(try await store.head() == head)
        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service, cycle: cycle) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // A session of its own without cookies: the language cookie of `?lang=en` must not
            // reach the other server tests running at the same time (nor theirs this one).
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.httpCookieAcceptPolicy = .never
            let session = URLSession(configuration: configuration)
            func get(_ path: String) async throws -> (status: Int, type: String?, data: Data, body: String) {
                let (data, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                let http = response as! HTTPURLResponse
                return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), data, String(decoding: data, as: UTF8.self))
            }

            let index = try await get("/statistics")
            #expect(index.status == 200 && index.body.contains("href=\"/statistics/2024\""))
            let page = try await get("/statistics/2024")
            #expect(page.status == 200 && page.body.contains("2024 年度履约统计"))
            // GD 2/3 compliant, 1,510,000 / 1,570,000 t; SC 2/2; nation 4/5, 2,210,000 / 2,270,000 t.
            for figure in ["66.67%", "96.18%", "100.00%", "80.00%", "97.36%", "1,570,000", "1,510,000", "60,000", "1,281,470", "1,936,070", "0.00%"] {
                #expect(page.body.contains(figure), "missing \(figure)")
            }
            #expect(page.body.contains("<svg id=\"compliance-chart\"") && page.body.contains("广东 (GD)") && page.body.contains("发电"))
            // 66.67 % of a 400-pixel bar is 266 pixels; 100 % is 400.
            #expect(page.body.contains("width=\"266\"") && page.body.contains("width=\"400\""))
            for csv in ["compliance", "allocation", "turnover"] { #expect(page.body.contains("/statistics/2024/\(csv).csv")) }
            let english = try await get("/statistics/2024?lang=en")
            #expect(english.body.contains("Compliance statistics 2024") && english.body.contains("Guangdong (GD)") && english.body.contains("Nation"))

            let compliance = try await get("/statistics/2024/compliance.csv")
            #expect(compliance.status == 200 && compliance.type?.hasPrefix("text/csv") == true)
            #expect(Array(compliance.data.prefix(3)) == [0xEF, 0xBB, 0xBF], "UTF-8 with a byte-order mark")
            let lines = compliance.body.dropFirst().split(separator: "\n").map(String.init)
            #expect(lines == [
                "year,plan,scope,sector,entities,compliant_entities,compliance_rate_by_count,obligation_t,surrendered_t,shortfall_t,compliance_rate_by_volume",
                "2024,power-2024,GD,power,3,2,66.67,1570000,1510000,60000,96.18",
                "2024,power-2024,SC,power,2,2,100.00,700000,700000,0,100.00",
                "2024,power-2024,CN,power,5,4,80.00,2270000,2210000,60000,97.36",
            ])
            let allocation = try await get("/statistics/2024/allocation.csv")
            #expect(allocation.body.dropFirst().split(separator: "\n").map(String.init) == [
                "year,plan,scope,sector,pre_allocation_t,final_allocation_t",
                "2024,power-2024,GD,power,602000,1281470",
                "2024,power-2024,SC,power,469000,654600",
                "2024,power-2024,CN,power,1071000,1936070",
            ])
            let turnover = try await get("/statistics/2024/turnover.csv")
            #expect(turnover.body == "\u{FEFF}year,unit,traded_t,final_allocation_t,turnover_rate\n2024,CEA24,0,1936070,0.00\n")

            #expect(try await get("/statistics/2023").status == 404)
            #expect(try await get("/statistics/2023/compliance.csv").status == 404)
            #expect(try await get("/statistics/abc").status == 404)
            group.cancelAll()
        }
        try await cycle.close()
        try await store.close()
    }
}
