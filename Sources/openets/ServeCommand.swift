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

    func run() async throws {
        let clock = MarketClock()
        try await withRegistry(store.location, clock: clock) { ledger, service in
            if demo { _ = try await DemoExchange.seedWithHistory(service, clock: clock, today: BeijingTime.date(SystemClock().now())) }
            let app = buildApplication(ServerConfiguration(host: host, port: port), store: ledger, service: service) { port in
                print("OpenETS registry at http://\(host):\(port)/  (English: http://\(host):\(port)/?lang=en)")
            }
            try await app.runService()
        }
    }
}
