import ArgumentParser
import Foundation
import OpenETSRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (build with -c release).", subcommands: [LedgerBench.self, MatchBench.self, MRVBench.self, CycleBench.self, CrashWriterCommand.self, CheckAcksCommand.self])
}

struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Registry transfer throughput and latency against a plain-INSERT baseline.")
    @Option(help: "PostgreSQL URL (or set OPENETS_BENCH_POSTGRES_URL); without one only SQLite runs.") var postgres: String?
    @Option(help: "Batched transfers per database.") var transfers: Int = 50_000
    @Option(help: "Single (one commit each) transfers and baseline commits per database.") var singles: Int = 2_000
    @Flag(help: "Print only the JSON result.") var json = false
    @Option(help: "Also measure this many concurrent writers (own connections) against one (0: skip).") var concurrentClients: Int = 16

    /// One writer versus many, each writer with its own connection (stderr only: the JSON keeps its fixed keys).
    func concurrency(_ location: StoreLocation, log: (String) -> Void) async throws {
        guard concurrentClients > 0 else { return }
        let perClient = max(1, singles / concurrentClients)
        let one = try await LedgerBenchmark.concurrentTransfersPerSecond(location, clients: 1, perClient: perClient * concurrentClients)
        let many = try await LedgerBenchmark.concurrentTransfersPerSecond(location, clients: concurrentClients, perClient: perClient)
        log("writers with own connections: 1 → \(one) transfers/s; \(concurrentClients) → \(many) transfers/s (\(String(format: "%.2f", Double(many) / Double(max(one, 1)))) × one writer)")
        let grouped = try await LedgerBenchmark.concurrentTransfersPerSecond(location, clients: concurrentClients, perClient: perClient * 4, shared: true)
        log("\(concurrentClients) callers on one service (group commit): \(grouped) transfers/s (\(String(format: "%.1f", Double(grouped) / Double(max(one, 1)))) × one writer)")
    }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; measure with `swift build -c release`\n".utf8))
        #endif
        let sizes = LedgerBenchmark.Sizes(baselineCommits: singles, singleTransfers: singles, batchedTransfers: transfers)
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        var results: [String: LedgerBenchmark.Result] = [:]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openets-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        log("sqlite (\(directory.path))")
        let sqlite = StoreLocation.sqlite(path: directory.appendingPathComponent("bench.db").path)
        results["sqlite"] = try await LedgerBenchmark.run(sqlite, sizes: sizes, log: log)
        try await concurrency(sqlite, log: log)
        if let url = postgres ?? ProcessInfo.processInfo.environment["OPENETS_BENCH_POSTGRES_URL"], !url.isEmpty {
            let schema = "bench_\(getpid())"
            log("postgres (schema \(schema))")
            results["postgres"] = try await LedgerBenchmark.run(.postgres(url: url, schema: schema), sizes: sizes, log: log)
            try await concurrency(.postgres(url: url, schema: schema), log: log)
            try await LedgerBenchmark.dropPostgresSchema(url: url, schema: schema)
        }
        print(jsonText(results))
        if !json {
            for (name, r) in results.sorted(by: { $0.key < $1.key }) {
                let base = Double(max(r.baselineCommitsPerSecond, 1))
                print("\(name): single transfers = \(String(format: "%.2f", Double(r.transfersPerSecond) / base)) × baseline commits, batched = \(String(format: "%.1f", Double(r.batchedTransfersPerSecond) / base)) × baseline commits")
            }
        }
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
        let clock = MarketClock()
        try await withRegistry(store.location, clock: clock) { _, service in
            try await CrashWriter.run(service, clock: clock, runID: runID, clients: clients, limit: limit ?? .max) { line in
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

struct MatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match", abstract: "Order-book throughput in process (inserts with matching, mixed with cancels) and latency.")
    @Option(help: "Orders per run.") var orders: Int = 2_000_000
    @Option(help: "Random seed (printed; the same seed replays the same orders).") var seed: UInt64 = 20_261_121
    @Flag(help: "Print only the JSON result.") var json = false
    @Option(help: "Durable orders through the service (SQLite file in a temporary directory; 0: skip).") var durableOrders: Int = 100_000
    @Option(help: "Concurrent callers for the durable run (gateway sessions).") var callers: Int = 64
    @Option(help: "Orders per submit call in the durable run.") var chunk: Int = 128
    @Option(help: "PostgreSQL URL for the durable run instead of SQLite.") var postgres: String?
    @Option(help: "Publish a registry policy with this maxCommandsPerBatch before the durable run (default: the policy's 1,000).")
    var maxBatch: Int?

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; measure with `swift build -c release`\n".utf8))
        #endif
        let r = MatchBenchmark.run(orders: orders, seed: seed)
        if let maxBatch, maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        var durable: MatchBenchmark.DurableResult?
        if durableOrders > 0 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openets-match-\(getpid())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let schema = "bench_match_\(getpid())"
            let location: StoreLocation = postgres.map { .postgres(url: $0, schema: schema) } ?? .sqlite(path: directory.appendingPathComponent("match.db").path)
            durable = try await MatchBenchmark.durable(
                location, orders: durableOrders, callers: callers, chunk: chunk, singles: 2_000, seed: seed, maxBatch: maxBatch)
            if let postgres { try await LedgerBenchmark.dropPostgresSchema(url: postgres, schema: schema) }
        }
        struct Output: Encodable {
            var inserts_per_s: Int
            var mixed_ops_per_s: Int
            var p50_ns: Int
            var p99_ns: Int
            /// null when the durable run is skipped (--durable-orders 0).
            var durable_orders_per_s: Int?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(inserts_per_s, forKey: .inserts_per_s)
                try c.encode(mixed_ops_per_s, forKey: .mixed_ops_per_s)
                try c.encode(p50_ns, forKey: .p50_ns)
                try c.encode(p99_ns, forKey: .p99_ns)
                try c.encode(durable_orders_per_s, forKey: .durable_orders_per_s)
            }
            enum CodingKeys: String, CodingKey { case inserts_per_s, mixed_ops_per_s, p50_ns, p99_ns, durable_orders_per_s }
        }
        print(jsonText(Output(inserts_per_s: r.insertsPerSecond, mixed_ops_per_s: r.mixedOpsPerSecond, p50_ns: r.p50Nanoseconds, p99_ns: r.p99Nanoseconds, durable_orders_per_s: durable?.durableOrdersPerSecond)))
        let log = { (line: String) in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        log("seed \(seed), \(r.orders) orders, \(String(format: "%.0f", r.crossingShare * 100)) % crossing, \(r.restingAtEnd) resting at the end")
        log("inserts = \(String(format: "%.2f", Double(r.insertsPerSecond) / Double(max(r.baselineDictionaryInsertsPerSecond, 1)))) × baseline Dictionary inserts (\(r.baselineDictionaryInsertsPerSecond)/s) in this process")
        if let d = durable {
            log("durable: \(d.accepted) of \(d.orders) orders accepted in \(String(format: "%.2f", d.seconds)) s by \(callers) callers × \(chunk) per submit (rejected: \(d.rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))); \(d.restingAtEnd) orders resting and \(d.dealsAtEnd) deals at the end")
            log("durable batched = \(String(format: "%.1f", Double(d.durableOrdersPerSecond) / Double(max(d.singleOrdersPerSecond, 1)))) × one order per commit (\(d.singleOrdersPerSecond)/s) in this process")
        }
    }
}
