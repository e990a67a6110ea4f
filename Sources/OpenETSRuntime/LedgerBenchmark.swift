import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSSQLStore

/// `openets bench ledger`: registry transfers per second, single and batched, with latency
/// percentiles, against a baseline of plain single-row INSERT commits on the same database in
/// the same run. Everything is durable: SQLite runs WAL with synchronous=FULL, PostgreSQL
/// with synchronous_commit on.
public enum LedgerBenchmark {
    public struct Result: Codable, Sendable {
        public var transfersPerSecond: Int
        public var batchedTransfersPerSecond: Int
        public var baselineCommitsPerSecond: Int
        public var p50Microseconds: Int
        public var p99Microseconds: Int

        enum CodingKeys: String, CodingKey {
            case transfersPerSecond = "transfers_per_s"
            case batchedTransfersPerSecond = "batched_transfers_per_s"
            case baselineCommitsPerSecond = "baseline_commits_per_s"
            case p50Microseconds = "p50_us"
            case p99Microseconds = "p99_us"
        }
    }

    public struct Sizes: Sendable {
        public var baselineCommits: Int
        public var singleTransfers: Int
        public var batchedTransfers: Int
        public var batchSize: Int
        public var accounts: Int

        public init(baselineCommits: Int, singleTransfers: Int, batchedTransfers: Int, batchSize: Int = 1_000, accounts: Int = 200) {
            self.baselineCommits = baselineCommits
            self.singleTransfers = singleTransfers
            self.batchedTransfers = batchedTransfers
            self.batchSize = batchSize
            self.accounts = accounts
        }
    }

    public static func run(_ location: StoreLocation, sizes: Sizes, log: (String) -> Void = { _ in }) async throws -> Result {
        let baseline = try await baselineCommitsPerSecond(location, commits: sizes.baselineCommits)
        log("baseline: \(baseline) single-row INSERT commits/s")
        let store = try await Composition.openStore(location)
        // The bench moves allowances directly between entities: four-eyes approval is a second
        // command, measured as a command like any other. This policy lives only in the bench's
        // scratch database.
        var policy = try await store.policy()
        policy.fourEyesAccountTypes = []
        _ = try await store.publishPolicy(policy, effectiveFrom: "2025-01-01", note: "benchmark scratch database")
        let service = try await RegistryService.open(store: store, clock: SystemClock())
        let entities = try await setUp(service, accounts: sizes.accounts)
        var rng = SystemRandomNumberGenerator()
        var counter = 0
        func transfer() -> CommandRequest {
            counter += 1
            let from = entities.randomElement(using: &rng)!
            var to = entities.randomElement(using: &rng)!
            if to == from { to = entities[(entities.firstIndex(of: from)! + 1) % entities.count] }
            return CommandRequest(
                idempotencyKey: "bench-\(counter)",
                command: .transfer(from: from, to: to, unit: "CEA24", quantity: Int64.random(in: 1...100, using: &rng)))
        }

        var latencies: [Int] = []
        latencies.reserveCapacity(sizes.singleTransfers)
        let clock = ContinuousClock()
        let singleStart = clock.now
        for _ in 0..<sizes.singleTransfers {
            let request = transfer()
            let start = clock.now
            guard try await service.execute(request).receipt != nil else { throw BenchError("a benchmark transfer was rejected") }
            latencies.append(microseconds(clock.now - start))
        }
        let singleSeconds = seconds(clock.now - singleStart)
        log("single: \(sizes.singleTransfers) transfers in \(singleSeconds) s")

        // Batches arrive back to back: the next one is submitted while the previous commits,
        // as they would from a busy client or server (two in flight).
        let batches = stride(from: 0, to: sizes.batchedTransfers, by: sizes.batchSize).map { start in
            (0..<min(sizes.batchSize, sizes.batchedTransfers - start)).map { _ in transfer() }
        }
        let batchStart = clock.now
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 0
            for _ in 0..<min(2, batches.count) {
                let batch = batches[next]
                next += 1
                group.addTask { try await service.submit(batch).allSatisfy { $0.receipt != nil } }
            }
            while let accepted = try await group.next() {
                guard accepted else { throw BenchError("a benchmark transfer was rejected") }
                if next < batches.count {
                    let batch = batches[next]
                    next += 1
                    group.addTask { try await service.submit(batch).allSatisfy { $0.receipt != nil } }
                }
            }
        }
        let batchSeconds = seconds(clock.now - batchStart)
        log("batched: \(sizes.batchedTransfers) transfers in batches of \(sizes.batchSize) in \(batchSeconds) s")
        try await store.close()

        latencies.sort()
        return Result(
            transfersPerSecond: Int(Double(sizes.singleTransfers) / singleSeconds),
            batchedTransfersPerSecond: Int(Double(sizes.batchedTransfers) / batchSeconds),
            baselineCommitsPerSecond: baseline,
            p50Microseconds: percentile(latencies, 50), p99Microseconds: percentile(latencies, 99))
    }

    /// Transfers per second from `clients` writers, each with its own connection and in-memory
    /// registry (as separate processes), all on the same accounts: the cost of serialising
    /// writers on the journal head. With `shared`, the clients are tasks calling one service
    /// (one connection), which group-commits what they send concurrently: the server's case.
    /// Run after `run` on the same location.
    public static func concurrentTransfersPerSecond(
        _ location: StoreLocation, clients: Int, perClient: Int, shared: Bool = false, accounts: Int = 200
    ) async throws -> Int {
        let sharedStore = shared ? try await Composition.openStore(location, connectionID: 99) : nil
        let sharedService: RegistryService? =
            if let sharedStore { try await RegistryService.open(store: sharedStore, clock: SystemClock()) } else { nil }
        let entities = (1...accounts).map { AccountID("ENT-\(String(format: "%06d", $0))") }
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    let store = shared ? nil : try await Composition.openStore(location, connectionID: 100 + client)
                    let service: RegistryService
                    if let sharedService { service = sharedService } else { service = try await RegistryService.open(store: store!, clock: SystemClock()) }
                    var rng = SystemRandomNumberGenerator()
                    for n in 0..<perClient {
                        let from = entities.randomElement(using: &rng)!
                        let to = entities[(entities.firstIndex(of: from)! + 1 + Int.random(in: 0..<(accounts - 1), using: &rng)) % accounts]
                        let request = CommandRequest(idempotencyKey: "concurrent\(clients)\(shared)-\(client)-\(n)", command: .transfer(from: from, to: to, unit: "CEA24", quantity: 1))
                        guard try await service.execute(request).receipt != nil else { throw BenchError("a concurrent transfer was rejected") }
                    }
                    try await store?.close()
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(clock.now - start)
        try await sharedStore?.close()
        return Int(Double(clients * perClient) / elapsed)
    }

    /// Plain single-row INSERTs, each in its own committed transaction.
    static func baselineCommitsPerSecond(_ location: StoreLocation, commits: Int) async throws -> Int {
        let database = try await Composition.openDatabase(location, connectionID: 99)
        try await database.transaction { sql in
            try await sql.execute("CREATE TABLE IF NOT EXISTS bench_baseline (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)", [])
            try await sql.execute("DELETE FROM bench_baseline", [])
        }
        let clock = ContinuousClock()
        let start = clock.now
        for id in 0..<commits {
            try await database.transaction { sql in
                try await sql.execute("INSERT INTO bench_baseline (id, payload) VALUES ($1, $2)", [.int(Int64(id)), .text("transfer-sized payload \(id)")])
            }
        }
        let elapsed = seconds(clock.now - start)
        try await database.close()
        return Int(Double(commits) / elapsed)
    }

    static func setUp(_ service: RegistryService, accounts: Int) async throws -> [AccountID] {
        var requests: [RegistryCommand] = [
            .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []),
            .openAccount(type: .provincial, ownerID: "SC", ownerName: "Sichuan", province: "SC", representatives: []),
            .defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false),
            .issue(unit: "CEA24", quantity: Int64(accounts) * 10_000_000, to: "CN-NATIONAL"),
            .allocate(from: "CN-NATIONAL", to: .provincial("SC"), unit: "CEA24", quantity: Int64(accounts) * 10_000_000),
        ]
        for i in 0..<accounts {
            requests.append(.openAccount(type: .entity, ownerID: "B\(i)", ownerName: "Bench entity \(i)", province: "SC", representatives: []))
        }
        let entities = (1...accounts).map { AccountID("ENT-\(String(format: "%06d", $0))") }
        for entity in entities {
            requests.append(.allocate(from: .provincial("SC"), to: entity, unit: "CEA24", quantity: 10_000_000))
        }
        let outcomes = try await service.submit(requests.enumerated().map { CommandRequest(idempotencyKey: "setup-\($0.offset)", command: $0.element) })
        if let error = outcomes.compactMap(\.error).first { throw BenchError("setup rejected: \(error)") }
        return entities
    }

    public static func dropPostgresSchema(url: String, schema: String) async throws {
        let database = try await Composition.openDatabase(.postgres(url: url, schema: nil), connectionID: 98)
        try await database.transaction { try await $0.execute("DROP SCHEMA \"\(schema)\" CASCADE", []) }
        try await database.close()
    }

    static func microseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func percentile(_ sorted: [Int], _ p: Int) -> Int {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, (sorted.count * p) / 100)]
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
