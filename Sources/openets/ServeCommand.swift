import ArgumentParser
import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the registry's web pages (zh/en), /health, /ready and /metrics.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Flag(help: "Create the demo market first (idempotent).") var demo = false
    @Option(help: ArgumentHelp("Drill: run the market clock from this Beijing time (ISO-8601), for demonstrations and browser tests; the journal records drill times.", visibility: .hidden))
    var drillClock: String?
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Order entry's fast path (placeOrder and cancelOrder in their plain shape skip the generated layer; same answers). --no-order-fast-path measures without it.",
        visibility: .hidden))
    var orderFastPath = true
    @Option(help: ArgumentHelp("State-changing API calls allowed per token per minute (default \(APIRateLimit.standard.calls)).", valueName: "CALLS"))
    var apiRateLimit: Int = APIRateLimit.standard.calls
    @Option(help: ArgumentHelp("State-changing web form posts allowed per user per minute (default \(APIRateLimit.standard.calls)).", valueName: "POSTS"))
    var formRateLimit: Int = APIRateLimit.standard.calls
    @Option(help: ArgumentHelp(
        "Account applications and resubmissions allowed per client address per hour, web and API together (default \(APIRateLimit.applications.calls)).",
        valueName: "CALLS"))
    var applicationRateLimit: Int = APIRateLimit.applications.calls
    @Option(help: ArgumentHelp(
        "Market streams (/market/stream) open at once from one client address, an IPv6 address by its /64 (default \(ServerConfiguration.defaultMarketStreamsPerAddress)); 429 STREAM_LIMIT beyond.",
        valueName: "STREAMS"))
    var marketStreamsPerAddress: Int = ServerConfiguration.defaultMarketStreamsPerAddress
    @Option(help: ArgumentHelp(
        "API requests with large bodies (MRV evidence, a cycle stage's facilities) read and handled at once (default \(ServerConfiguration.defaultMaxConcurrentLargeBodies)); 503 UNAVAILABLE beyond.",
        valueName: "REQUESTS"))
    var maxConcurrentLargeBodies: Int = ServerConfiguration.defaultMaxConcurrentLargeBodies
    @Option(help: ArgumentHelp(
        "MRV evidence files served at once, each read whole and re-hashed (default \(ServerConfiguration.defaultMaxConcurrentEvidenceDownloads)); 503 UNAVAILABLE beyond.",
        valueName: "REQUESTS"))
    var maxConcurrentEvidenceDownloads: Int = ServerConfiguration.defaultMaxConcurrentEvidenceDownloads
    @Option(help: ArgumentHelp(
        "Days a stored API Idempotency-Key and its answer are kept before the key may act again (default \(APIIdempotency.defaultRetentionDays)).",
        valueName: "DAYS"))
    var idempotencyRetentionDays: Int = APIIdempotency.defaultRetentionDays
    @Option(help: ArgumentHelp(
        "Seconds an Idempotency-Key may be held by a request that has not finished before a retry of the same request takes it over (default \(APIIdempotency.defaultTakeoverSeconds); 60-86400).",
        valueName: "SECONDS"))
    var idempotencyTakeoverSeconds: Int = APIIdempotency.defaultTakeoverSeconds
    @Option(help: ArgumentHelp(
        "Seconds a connection may stay silent (between requests, or while a request arrives) before it is closed (default \(ServerConfiguration.defaultIdleTimeoutSeconds)).",
        valueName: "SECONDS"))
    var idleTimeoutSeconds: Int = ServerConfiguration.defaultIdleTimeoutSeconds
    @Option(help: ArgumentHelp(
        "Seconds a large API body (MRV evidence, a stage's facilities, policy tables) may take to arrive whole (default \(ServerConfiguration.defaultLargeBodyReadSeconds)); 408 BODY_TIMEOUT after.",
        valueName: "SECONDS"))
    var largeBodyReadSeconds: Int = ServerConfiguration.defaultLargeBodyReadSeconds
    @Option(help: ArgumentHelp(
        "Milliseconds an API token's lookup is kept instead of read on every call (default \(APITokenCache.defaultLifetimeMilliseconds); 0 reads every call). A token revoked from the CLI stops acting within this time.",
        valueName: "MS"))
    var apiTokenCacheMilliseconds: Int = ServerConfiguration.defaultAPITokenCacheMilliseconds

    func validate() throws {
        // The rate limits first: `APIRateLimit` takes at least one call.
        guard apiRateLimit >= 1 else { throw ValidationError("--api-rate-limit must be at least 1") }
        guard formRateLimit >= 1 else { throw ValidationError("--form-rate-limit must be at least 1") }
        guard applicationRateLimit >= 1 else { throw ValidationError("--application-rate-limit must be at least 1") }
        // Every other limit's range is the configuration's own (`ServerConfiguration.limitProblem`).
        if let problem = serverConfiguration().limitProblem { throw ValidationError("\(problem.flag) must be \(problem.range) (is \(problem.value))") }
    }

    /// The server's configuration from the flags (after `validate`).
    func serverConfiguration() -> ServerConfiguration {
        var configuration = ServerConfiguration(host: host, port: port)
        configuration.orderFastPath = orderFastPath
        configuration.apiRateLimit = APIRateLimit(calls: apiRateLimit, windowSeconds: 60)
        configuration.formRateLimit = APIRateLimit(calls: formRateLimit, windowSeconds: 60)
        configuration.applicationRateLimit = APIRateLimit(calls: applicationRateLimit, windowSeconds: APIRateLimit.applications.windowSeconds)
        configuration.marketStreamsPerAddress = marketStreamsPerAddress
        configuration.maxConcurrentLargeBodies = maxConcurrentLargeBodies
        configuration.idleTimeoutSeconds = idleTimeoutSeconds
        configuration.largeBodyReadSeconds = largeBodyReadSeconds
        configuration.maxConcurrentEvidenceDownloads = maxConcurrentEvidenceDownloads
        configuration.idempotencyRetentionDays = idempotencyRetentionDays
        configuration.idempotencyTakeoverSeconds = idempotencyTakeoverSeconds
        configuration.apiTokenCacheMilliseconds = apiTokenCacheMilliseconds
        return configuration
    }

    func run() async throws {
        let clock = MarketClock()
        let drillStart = try drillClock.map { text -> Timestamp in
            guard let start = Timestamp(iso8601: text) else { throw ValidationError("--drill-clock must be an ISO-8601 time") }
            return start
        }
        if let drillStart { clock.drill(from: drillStart) }
        try await withRegistry(store.location, clock: clock) { ledger, service in
            let cycle = try await Composition.openAllocationCycleStore(store.location, connectionID: 2)
            // The allocation plans for the review pages, on their own connection.
            let plans: (store: any AllocationCycleStore, service: AllocationPlanService)
            do {
                plans = try await Composition.openAllocationPlans(store.location, connectionID: 3)
            } catch {
                try? await cycle.close()
                throw error
            }
            // The MRV platform (the role portals and the API's MRV operations) on a connection of
            // its own, on the market clock; opened after the demo's MRV history is written.
            var mrv: (store: any MRVStore, service: MRVService)?
            do {
                if demo {
                    let today = BeijingTime.date(drillStart ?? SystemClock().now())
                    _ = try await DemoExchange.seedWithHistory(service, clock: clock, today: today, drillStart: drillStart)
                    try await DemoCycle.seed(service, store: cycle, clock: clock)
                    try await DemoUsers.seed(ledger, at: SystemClock().now())
                    try await DemoMRV.seed(store.location)
                    emit(DemoUsers.listing())
                }
                let opened = try await Composition.openMRV(store.location, clock: clock, connectionID: 4)
                mrv = opened
                let app = buildApplication(
                    serverConfiguration(), store: ledger, service: service, plans: plans.service, cycle: cycle, mrv: opened.service,
                    api: APIParts(mrv: opened.service, cycle: cycle)
                ) { port in
                    emit("OpenETS at http://\(host):\(port)/  (English: http://\(host):\(port)/?lang=en)")
                }
                try await app.runService()
                try await opened.store.close()
                try await cycle.close()
                try await plans.store.close()
            } catch {
                try? await mrv?.store.close()
                try? await cycle.close()
                try? await plans.store.close()
                throw error
            }
        }
    }
}

/// Unbuffered standard output: the demo users and the address reach a log file or pipe at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
