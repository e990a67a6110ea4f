import ArgumentParser
import Foundation
import OpenETSRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (build with -c release).", subcommands: [LedgerBench.self, CrashWriterCommand.self, CheckAcksCommand.self])
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

struct CrashWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer", abstract: "Write load on the demo market until killed, printing ACK lines (scripts/crash-test).")
    @OptionGroup var store: StoreOptions
    @Option(help: "Prefix of this run's idempotency keys.") var runID: String
    @Option(help: "Concurrent clients.") var clients: Int = 8
    @Option(help: "Stop after this many commands per client (default: never).") var limit: Int?

    func run() async throws {
        try await withRegistry(store.location) { _, service in
            try await CrashWriter.run(service, runID: runID, clients: clients, limit: limit ?? .max) { line in
                // One write per line, flushed: the line exists only once the commit is acknowledged.
                let bytes = Array((line + "\n").utf8)
                _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
        }
    }
}

struct CheckAcksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-acks", abstract: "Check that every ACK line of crash-writer output is in the journal.")
    @OptionGroup var store: StoreOptions
    @Option(help: "File of ACK lines.") var acks: String

    func run() async throws {
        let text = try String(contentsOfFile: acks, encoding: .utf8)
        let result = try await withStore(store.location) { try await CrashWriter.checkAcknowledgements(text.split(separator: "\n"), store: $0) }
        print("acknowledged operations checked: \(result.checked), missing: \(result.missing.count)")
        for key in result.missing.prefix(20) { print("  missing: \(key)") }
        if !result.missing.isEmpty || result.checked == 0 { throw ExitCode(1) }
    }
}
