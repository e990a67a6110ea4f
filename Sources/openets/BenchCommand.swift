import ArgumentParser
import OpenETSRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (build with -c release).", subcommands: [LedgerBench.self])
}

struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Registry transfer throughput and latency against a plain-INSERT baseline.")
    @Option(help: "PostgreSQL URL (or set OPENETS_BENCH_POSTGRES_URL).") var postgres: String?
    @Option(help: "Transfers per measurement.") var transfers: Int = 20_000
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        print("bench not yet")
    }
}
