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

/// The plan review pages on the real server (127.0.0.1, an ephemeral port) over a store with a
/// published and a draft version of power-2024.
@Suite("HTTP server: allocation plan pages")
struct AllocationPlanServerTests {
    @Test func servesThePlansForReview() async throws {
        let path = try TestMarket.freshSQLitePath(tag: "plans")
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path))
        let plans = try await Composition.openAllocationPlans(.sqlite(path: path), connectionID: 3)
        var corrected = AllocationPlan.seed[1]
        corrected.categories[0].electricityBenchmark = ExactDecimal("0.7900")!
        _ = try await plans.service.load(corrected, by: "mee-a")
        _ = try await plans.service.publish(id: "power-2024", version: 2, by: "mee-b")
        corrected.categories[0].electricityBenchmark = ExactDecimal("0.7890")!
        _ = try await plans.service.load(corrected, by: "mee-a")

        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(ServerConfiguration(host: "127.0.0.1", port: 0), store: store, service: service, plans: plans.service) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func get(_ path: String) async throws -> (Int, String) {
                let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
            }
            // Chinese only: `?lang=en` would set a cookie in the shared URLSession that other
            // server tests on 127.0.0.1 would then send.
            let (status, list) = try await get("/allocation/plans")
            #expect(status == 200 && list.contains("配额分配方案") && list.contains("v2 已发布") && list.contains("v3 草案"))
            #expect(list.contains("steel-2024") && list.contains("example-hubei-2024"))
            let (_, inForce) = try await get("/allocation/plans/power-2024")
            #expect(inForce.contains("0.7900") && !inForce.contains("0.7890") && inForce.contains("mee-b"))
            let (_, draft) = try await get("/allocation/plans/power-2024?version=3")
            #expect(draft.contains("0.7890") && draft.contains("草案"))
            #expect(try await get("/allocation/plans/power-2024?version=9").0 == 404)
            #expect(try await get("/allocation/plans/none-2024").0 == 404)
            group.cancelAll()
        }
        try await plans.store.close()
        try await store.close()
    }
}
