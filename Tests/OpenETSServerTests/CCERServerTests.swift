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

/// The public CCER pages, CSV and JSON over the demo market with its CCER story.
@Suite("HTTP server: CCER")
struct CCERServerTests {
    struct Fetched {
        var status: Int
        var headers: [AnyHashable: Any]
        var body: String
        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
    }

    @Test func servesTheCCERPagesAndAPI() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "ccer")
        let firstTradingDay = CivilDate(year: 2025, month: 11, day: 3)
        let clock = MarketClock(DemoCCER.start(before: firstTradingDay), hour: 8, minute: 30)
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path), clock: clock)
        _ = try await DemoMarket.seed(service)
        let seeded = try #require(try await DemoCCER.seed(service, clock: clock, before: firstTradingDay))
        let code = try #require(seeded.verificationCode)
        // Seeding twice replays: nothing new is journaled.
        let head = await service.head
        _ = try await DemoCCER.seed(service, clock: clock, before: firstTradingDay)
        #expect(await service.head == head)

        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // Its own session without cookies: `?lang=en` must not switch the language of other
            // server tests that share URLSession.shared's cookie store for 127.0.0.1.
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.httpCookieAcceptPolicy = .never
            let session = URLSession(configuration: configuration)
            func get(_ path: String) async throws -> Fetched {
                let (data, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                let http = response as! HTTPURLResponse
                return Fetched(status: http.statusCode, headers: http.allHeaderFields, body: String(decoding: data, as: UTF8.self))
            }

            let overview = try await get("/ccer")
            #expect(overview.status == 200 && overview.body.contains("川西林业碳汇造林项目") && overview.body.contains("CCER-14-001-V01"))
            #expect(overview.body.contains("理塘光热电站"))
            #expect(try await get("/ccer?lang=en").body.contains("Methodologies"))
            let project = try await get("/ccer/projects/P000001")
            #expect(project.status == 200 && project.body.contains("造林地块是否占用基本农田") && project.body.contains("2万吨"))
            #expect(try await get("/ccer/projects/P000001?lang=en").body.contains("20,000 t"))
            #expect(try await get("/ccer/projects/P999999").status == 404)
            #expect(try await get("/ccer/issuances").body.contains("CN-CCER-P000001-"))
            let cancellations = try await get("/ccer/cancellations")
            #expect(cancellations.body.contains("/ccer/certificates/\(code)"))

            let certificate = try await get("/ccer/certificates/\(code)")
            #expect(certificate.status == 200 && certificate.body.contains("certificate-valid") && certificate.body.contains("四川生态论坛组委会"))
            let byQuery = try await get("/ccer/certificates?code=\(code)")
            #expect(byQuery.status == 200 && byQuery.body.contains("certificate-valid"))
            let forged = try await get("/ccer/certificates/VC-00000002-0000000000000000")
            #expect(forged.status == 404 && forged.body.contains("certificate-invalid"))
            #expect(try await get("/ccer/certificates/garbage").status == 400)

            for csv in ["/ccer/methodologies.csv", "/ccer/projects.csv", "/ccer/issuances.csv", "/ccer/cancellations.csv"] {
                let fetched = try await get(csv)
                #expect(fetched.status == 200 && fetched.header("Content-Type")?.hasPrefix("text/csv") == true, "\(csv)")
            }
            #expect(try await get("/ccer/cancellations.csv").body.contains(code))

            let json = try await get("/api/v1/ccer/certificates/\(code)")
            #expect(json.status == 200 && json.header("Content-Type")?.hasPrefix("application/json") == true)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])
            #expect(object["quantity"] as? Int == 23 && object["beneficiary"] as? String == "四川生态论坛组委会 Sichuan Ecology Forum")
            #expect((object["entry_hash"] as? String)?.hasPrefix(String(code.suffix(16))) == true)
            let missing = try await get("/api/v1/ccer/projects/P999999")
            let error = try #require(try JSONSerialization.jsonObject(with: Data(missing.body.utf8)) as? [String: Any])
            #expect(missing.status == 404 && error["code"] as? String == "UNKNOWN_PROJECT" && error["message"] != nil && error["details"] != nil)
            let projects = try await get("/api/v1/ccer/projects?status=issued")
            let issued = try #require(try JSONSerialization.jsonObject(with: Data(projects.body.utf8)) as? [String: Any])
            #expect((issued["items"] as? [[String: Any]])?.count == 1 && issued["total"] as? Int == 1 && issued["nextOffset"] == nil)
            // Every list is paged: limit (1-500, default 100) and offset; nextOffset while more follow.
            func page(_ path: String) async throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(try await get(path).body.utf8)) as? [String: Any])
            }
            let first = try await page("/api/v1/ccer/methodologies?limit=4")
            #expect((first["items"] as? [[String: Any]])?.count == 4 && first["total"] as? Int == 6 && first["nextOffset"] as? Int == 4)
            let last = try await page("/api/v1/ccer/methodologies?limit=4&offset=4")
            let codes = (last["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect(codes == ["CCER-14-001-V01", "CCER-14-002-V01"] && last["nextOffset"] == nil)
            #expect((try await page("/api/v1/ccer/projects?offset=5"))["items"] as? [Any] != nil)
            #expect(((try await page("/api/v1/ccer/projects?offset=5"))["items"] as? [Any])?.isEmpty == true)
            for bad in ["limit=0", "limit=501", "limit=x", "offset=-1"] {
                let refused = try await get("/api/v1/ccer/issuances?\(bad)")
                #expect(refused.status == 400 && refused.body.contains("\"code\":\"INVALID_INPUT\""), "\(bad)")
            }
            let cancellationPage = try await page("/api/v1/ccer/cancellations?limit=1")
            #expect(((cancellationPage["items"] as? [[String: Any]])?.first?["verification_code"] as? String) == code)
            #expect(try await get("/api/v1/ccer/methodologies").body.contains("CCER-07-001-V01"))
            #expect(try await get("/api/v1/ccer/issuances").body.contains("CCER-P000001-M01"))
            #expect(try await get("/api/v1/ccer/cancellations").body.contains(code))
            group.cancelAll()
        }
        try await store.close()
    }
}
