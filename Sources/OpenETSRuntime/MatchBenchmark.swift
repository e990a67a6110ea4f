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
