import OpenETSApplication
import OpenETSDomain

/// In-process order-book benchmark (`openets bench match`): one thread, the domain's
/// `OrderBook` as the engine uses it (plan fills with `crossing`, apply them, rest the rest).
///
/// Workload as common order-book benchmarks do: random limit orders over about ten price
/// levels around a mid, about half of them crossing; quantities 1–100 t. The mixed run adds
/// cancels of recent orders. A plain `Dictionary` insert of the same number of keys runs in
/// the same process as the baseline.
public enum MatchBenchmark {
    public struct Result: Codable, Sendable {
        public var orders: Int
        public var insertsPerSecond: Int
        public var crossingShare: Double
        public var mixedOpsPerSecond: Int
        public var p50Nanoseconds: Int
        public var p99Nanoseconds: Int
        public var baselineDictionaryInsertsPerSecond: Int
        public var restingAtEnd: Int
    }

    static let mid: Int64 = 5_000

    public static func run(orders: Int, seed: UInt64) -> Result {
        let clock = ContinuousClock()
        // Baseline: dictionary inserts.
        var dictionary: [Int64: Int64] = [:]
        let baselineStart = clock.now
        for i in 0..<Int64(orders) { dictionary[i &* 2_654_435_761] = i }
        let baselineSeconds = seconds(clock.now - baselineStart)
        precondition(dictionary.count == orders)

        // Inserts with matching.
        var random = SplitMix64(seed: seed)
        var book = OrderBook(lowPrice: mid - 500, highPrice: mid + 500)
        var fills: [BookFill] = []
        fills.reserveCapacity(64)
        var crossing = 0
        let inserts = (0..<orders).map { _ in randomOrder(&random) }
        let start = clock.now
        for (index, order) in inserts.enumerated() {
            if submit(&book, id: Int64(index + 1), order, &fills) { crossing += 1 }
        }
        let insertSeconds = seconds(clock.now - start)

        // Mixed: 60 % insert, 40 % cancel of a recent order; every 64th op timed for latency.
        var mixedBook = OrderBook(lowPrice: mid - 500, highPrice: mid + 500)
        var recent = [Int64](repeating: 0, count: 1_024)
        var latencies: [Int] = []
        latencies.reserveCapacity(orders / 64 + 1)
        let ops = (0..<orders).map { _ in (random.next() % 10 < 6, randomOrder(&random), Int(random.next() % 1_024)) }
        var nextID: Int64 = 0
        let mixedStart = clock.now
        for (index, op) in ops.enumerated() {
            let timed = index & 63 == 0
            let before = timed ? clock.now : mixedStart
            if op.0 {
                nextID += 1
                _ = submit(&mixedBook, id: nextID, op.1, &fills)
                recent[Int(nextID & 1_023)] = nextID
            } else {
                mixedBook.remove(recent[op.2])
            }
            if timed { latencies.append(nanoseconds(clock.now - before)) }
        }
        let mixedSeconds = seconds(clock.now - mixedStart)
        latencies.sort()
        return Result(
            orders: orders, insertsPerSecond: Int(Double(orders) / insertSeconds),
            crossingShare: Double(crossing) / Double(orders), mixedOpsPerSecond: Int(Double(orders) / mixedSeconds),
            p50Nanoseconds: latencies[latencies.count / 2], p99Nanoseconds: latencies[latencies.count * 99 / 100],
            baselineDictionaryInsertsPerSecond: Int(Double(orders) / baselineSeconds), restingAtEnd: book.orderCount)
    }

    struct RandomOrder { var side: Side; var price: Int64; var quantity: Int64 }

    /// Ten price levels: buys at mid − 4…mid + 5, sells at mid − 5…mid + 4, so about half of
    /// the orders cross (the share is printed).
    static func randomOrder(_ random: inout SplitMix64) -> RandomOrder {
        let side: Side = random.next() & 1 == 0 ? .buy : .sell
        let offset = Int64(random.next() % 10) - (side == .buy ? 4 : 5)
        return RandomOrder(side: side, price: mid + offset, quantity: Int64(random.next() % 100) + 1)
    }

    /// Continuous-trading insert: match, then rest what is left. True when it traded.
    @inline(__always)
    static func submit(_ book: inout OrderBook, id: Int64, _ order: RandomOrder, _ fills: inout [BookFill]) -> Bool {
        fills.removeAll(keepingCapacity: true)
        let left = book.crossing(order.side, limit: order.price, quantity: order.quantity, into: &fills)
        if !fills.isEmpty { book.apply(fills) }
        if left > 0 { book.add(id: id, side: order.side, price: order.price, quantity: left) }
        return !fills.isEmpty
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func nanoseconds(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1_000_000_000 + Int(d.components.attoseconds / 1_000_000_000)
    }
}

extension MatchBenchmark {
    public struct DurableResult: Codable, Sendable {
        public var orders: Int
        public var accepted: Int
        public var rejected: [String: Int]
        public var seconds: Double
        public var durableOrdersPerSecond: Int
        public var singleOrdersPerSecond: Int
        /// The market at the end: orders resting in the book, deals of the day.
        public var restingAtEnd: Int = 0
        public var dealsAtEnd: Int = 0
    }

    /// End-to-end durable order entry through the service on the demo market: `callers`
    /// concurrent clients submit continuous-trading orders in chunks (group commit); each
    /// accepted order is journaled with its lock and any settlements before it is
    /// acknowledged. The baseline is the same service taking one order per commit.
    public static func durable(
        _ location: StoreLocation, orders: Int, callers: Int, chunk: Int, singles: Int, seed: UInt64, maxBatch: Int? = nil
    ) async throws -> DurableResult {
        let store = try await Composition.openStore(location)
        if let maxBatch {
            var registryPolicy = try await store.policy()
            registryPolicy.maxCommandsPerBatch = maxBatch
            _ = try await store.publishPolicy(registryPolicy, effectiveFrom: "2025-01-01", note: "benchmark: batches of up to \(maxBatch)")
        }
        var policy = try await store.exchangePolicy()
        policy.maxOpenOrdersPerAccount = 10_000_000
        policy.positionLimits = [:]
        _ = try await store.publishExchangePolicy(policy, effectiveFrom: "2025-01-01", note: "benchmark: no open-order limit")
        let day = CivilDate(year: 2025, month: 6, day: 3)
        let clock = MarketClock(day, hour: 9, minute: 0)
        let service = try await RegistryService.open(store: store, clock: clock)
        _ = try await DemoMarket.seed(service)
        try await DemoExchange.setUp(service)
        _ = try await DemoExchange.run(
            service, "bench-instrument",
            .listInstrument(Instrument(code: "BENCH", unit: "CEA24", label: "benchmark", continuous: true, previousClose: 9_650)))
        clock.simulate(day, hour: 9, minute: 10)
        try await DemoExchange.openDay(service, day)
        clock.simulate(day, hour: 9, minute: 31)

        var random = SplitMix64(seed: seed)
        let sellers: [AccountID] = ["ENT-000001", "ENT-000003"]
        let buyers: [AccountID] = ["INV-000001", "INV-000002"]
        func request(_ n: Int) -> ExchangeRequest {
            let side: Side = random.next() & 1 == 0 ? .buy : .sell
            let account = side == .buy ? buyers[Int(random.next() % 2)] : sellers[Int(random.next() % 2)]
            let offset = Int64(random.next() % 10) - (side == .buy ? 4 : 5)
            return ExchangeRequest(
                idempotencyKey: "bench-\(seed)-\(n)",
                command: .placeOrder(account: account, instrument: "BENCH", side: side, price: 9_650 + offset, quantity: Int64(random.next() % 100) + 1))
        }
        let requests = (0..<orders).map(request)
        let single = (0..<singles).map { request(orders + $0) }
        let clockNow = ContinuousClock()
        // Baseline: one order per commit.
        let singleStart = clockNow.now
        for r in single { _ = try await service.execute(r) }
        let singleSeconds = seconds(clockNow.now - singleStart)
        // Batched: concurrent callers, chunks.
        let perCaller = (requests.count + callers - 1) / callers
        let start = clockNow.now
        let outcomes = try await withThrowingTaskGroup(of: [ExchangeOutcome].self) { group in
            for c in 0..<callers {
                let mine = Array(requests[min(requests.count, c * perCaller)..<min(requests.count, (c + 1) * perCaller)])
                group.addTask {
                    var results: [ExchangeOutcome] = []
                    for begin in stride(from: 0, to: mine.count, by: chunk) {
                        results += try await service.submit(Array(mine[begin..<min(mine.count, begin + chunk)]))
                    }
                    return results
                }
            }
            var all: [ExchangeOutcome] = []
            for try await part in group { all += part }
            return all
        }
        let elapsed = seconds(clockNow.now - start)
        var rejected: [String: Int] = [:]
        for outcome in outcomes { if let error = outcome.error { rejected[error.code.rawValue, default: 0] += 1 } }
        let accepted = outcomes.count - rejected.values.reduce(0, +)
        let exchange = await service.exchange
        try await store.close()
        return DurableResult(
            orders: orders, accepted: accepted, rejected: rejected, seconds: elapsed,
            durableOrdersPerSecond: Int(Double(accepted) / elapsed), singleOrdersPerSecond: Int(Double(singles) / singleSeconds),
            restingAtEnd: exchange.orders.count, dealsAtEnd: exchange.todayDeals.count)
    }
}
