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

    func run() async throws {
        let clock = MarketClock()
        let drillStart = try drillClock.map { text -> Timestamp in
            guard let start = Timestamp(iso8601: text) else { throw ValidationError("--drill-clock must be an ISO-8601 time") }
            return start
        }
        if let drillStart { clock.drill(from: drillStart) }
        try await withRegistry(store.location, clock: clock) { ledger, service in
            if demo {
                let today = BeijingTime.date(drillStart ?? SystemClock().now())
                _ = try await DemoExchange.seedWithHistory(service, clock: clock, today: today, drillStart: drillStart)
                try await DemoUsers.seed(ledger, at: SystemClock().now())
                try await DemoMRV.seed(store.location)
                emit(DemoUsers.listing())
            }
            // The allocation plans for the review pages, on their own connection.
            let plans = try await Composition.openAllocationPlans(store.location, connectionID: 3)
            // The MRV platform (the role portals) on its own connection, on the same clock.
            let mrv: (store: any MRVStore, service: MRVService)
            do {
                mrv = try await Composition.openMRV(store.location, clock: clock, connectionID: 2)
            } catch {
                try? await plans.store.close()
                throw error
            }
            let app = buildApplication(
                ServerConfiguration(host: host, port: port), store: ledger, service: service, plans: plans.service, mrv: mrv.service
            ) { port in
                emit("OpenETS at http://\(host):\(port)/  (English: http://\(host):\(port)/?lang=en)")
            }
            do {
                try await app.runService()
            } catch {
                try? await plans.store.close()
                try? await mrv.store.close()
                throw error
            }
            try await plans.store.close()
            try await mrv.store.close()
        }
    }
}

/// Unbuffered standard output: the demo users and the address reach a log file or pipe at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
