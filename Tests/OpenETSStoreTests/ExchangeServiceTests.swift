import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// A clock the test moves: Beijing trading hours on a chosen day; one millisecond per reading.
final class MarketClock: LedgerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var next: Int64

    init(_ date: CivilDate, hour: Int, minute: Int) {
        next = BeijingTime.timestamp(date, hour: hour, minute: minute).millisecondsSinceEpoch
    }

    func set(_ date: CivilDate, hour: Int, minute: Int) {
        lock.lock()
        defer { lock.unlock() }
        next = BeijingTime.timestamp(date, hour: hour, minute: minute).millisecondsSinceEpoch
    }

    func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return Timestamp(millisecondsSinceEpoch: next)
    }
}

/// The exchange through the durable service: one journal entry per exchange command with its
/// registry movements; a reopened service rebuilds the same books, locks and deals.
@Suite("Exchange through the durable service, on each database")
struct ExchangeServiceTests {
    static let day = CivilDate(year: 2025, month: 6, day: 3)
    static let seller: AccountID = "ENT-000001"
    static let buyer: AccountID = "INV-000001"

    struct Session {
        var store: any LedgerStore
        var service: RegistryService
        var keys = 0

        mutating func registry(_ command: RegistryCommand) async throws {
            keys += 1
            let outcome = try await service.execute(CommandRequest(idempotencyKey: "r-\(keys)", command: command))
            if let error = outcome.error { throw TestSetupError("\(command.kind): \(error)") }
        }

        @discardableResult
        mutating func exchange(_ command: ExchangeCommand, key: String? = nil) async throws -> ExchangeOutcome {
            keys += 1
            return try await service.execute(ExchangeRequest(idempotencyKey: key ?? "x-\(keys)", command: command))
        }
    }

    static func setUp(_ location: StoreLocation, clock: MarketClock) async throws -> Session {
        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        var s = Session(store: store, service: service)
        for (type, owner) in [(AccountType.national, "MEE"), (.entity, "E1"), (.investor, "I1"), (.exchangeClearing, "X"), (.exchangeClearing, "R")] {
            try await s.registry(.openAccount(type: type, ownerID: owner, ownerName: owner, province: type == .entity ? "GD" : nil, representatives: []))
        }
        try await s.registry(.openAccount(type: .provincial, ownerID: "GD", ownerName: "GD", province: "GD", representatives: []))
        try await s.registry(.defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try await s.registry(.issue(unit: "CEA24", quantity: 100_000, to: "CN-NATIONAL"))
        try await s.registry(.allocate(from: "CN-NATIONAL", to: .provincial("GD"), unit: "CEA24", quantity: 100_000))
        try await s.registry(.allocate(from: .provincial("GD"), to: seller, unit: "CEA24", quantity: 100_000))
        try await s.registry(.depositFunds(account: buyer, amountFen: 100_000_000, bankReference: "B1"))
        for command: ExchangeCommand in [
            .listInstrument(Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 5_000)),
            .admitMember(account: seller, group: nil),
            .admitMember(account: buyer, group: nil),
            .setFeeAccounts(clearing: "EXC-000001", reserve: "EXC-000002"),
            .openDay(day),
        ] {
            let outcome = try await s.exchange(command)
            if let error = outcome.error { throw TestSetupError("\(command.kind): \(error)") }
        }
        return s
    }

    func summary(_ service: RegistryService) async -> String {
        let exchange = await service.exchange
        let books = exchange.books.keys.sorted().map { "\($0): \(exchange.books[$0]!.allOrders())" }
        return "orders \(exchange.orders.sorted { $0.key < $1.key }.map(\.value)) books \(books) deals \(exchange.dealCount) "
            + "last \(exchange.lastID) bought \(exchange.boughtToday.sorted { $0.key < $1.key }) buys \(exchange.openBuys.sorted { $0.key < $1.key }) "
            + "day \(String(describing: exchange.tradingDate))"
    }

    @Test(arguments: Backend.all)
    func booksLocksAndDealsSurviveAReopen(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.day, hour: 9, minute: 0)
        var s = try await Self.setUp(location, clock: clock)
        clock.set(Self.day, hour: 10, minute: 0)
        let sell = try #require(try await s.exchange(.placeOrder(account: Self.seller, instrument: "CEA24", side: .sell, price: 5_010, quantity: 1_000)).receipt)
        guard case .orderPlaced(let order) = sell.events[0] else { throw TestSetupError("no order") }
        #expect(sell.registryEvents.count == 1)
        try await s.exchange(.placeOrder(account: Self.buyer, instrument: "CEA24", side: .buy, price: 4_990, quantity: 500))
        let take = try #require(try await s.exchange(.takeOrder(account: Self.buyer, order: order.id, quantity: 300), key: "take-1").receipt)
        // A retry with the same key returns the first receipt and trades nothing more.
        let retry = try #require(try await s.exchange(.takeOrder(account: Self.buyer, order: order.id, quantity: 300), key: "take-1").receipt)
        #expect(retry.replayed && retry.seq == take.seq && retry.events == take.events)
        // A rejection writes nothing.
        let head = try await s.store.head()
        let rejected = try await s.exchange(.placeOrder(account: Self.seller, instrument: "CEA24", side: .sell, price: 6_000, quantity: 1))
        #expect(rejected.error?.code == .priceOutOfBand)
        #expect(try await s.store.head() == head)
        let before = await summary(s.service)
        let registryBefore = await s.service.state
        #expect(await s.service.state.settlements.count == 1)
        try await s.store.close()

        // Reopen: the same books, locks and deals.
        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        #expect(await summary(service) == before)
        #expect(await service.state == registryBefore)
        #expect(await service.market.lockViolations() == [])
        let report = try await LedgerVerifier(store: store).verify()
        #expect(report.ok, "\(report.problems)")
        // Trading goes on where it stopped: T+1 still applies to what the buyer bought today.
        var t = Session(store: store, service: service, keys: 1_000)
        let resold = try await t.exchange(.placeOrder(account: Self.buyer, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1))
        #expect(resold.error?.code == .tPlusOne)
        #expect(try await t.exchange(.takeOrder(account: Self.buyer, order: order.id, quantity: 700)).receipt != nil)
        // The exchange's lock and deal ids cannot be touched by registry commands from outside.
        try await t.registry(.lock(lock: "LK-OK", account: Self.seller, asset: .funds, quantity: 1, reference: "outside"))
        for command: RegistryCommand in [
            .unlock(lock: "XO-1", quantity: 1),
            .lock(lock: "XO-999", account: Self.seller, asset: .funds, quantity: 1, reference: "forged"),
            .settle(deal: "DL-999", seller: Self.seller, buyer: Self.buyer, unit: "CEA24", quantity: 1, amountFen: 100, fees: []),
        ] {
            let outcome = try await service.execute(CommandRequest(idempotencyKey: "forged-\(command.kind)", command: command))
            #expect(outcome.error?.code == .invalidArgument, "\(command.kind): \(String(describing: outcome))")
        }
        #expect(await service.exchange.orders[order.id] == nil)
        try await store.close()
    }

    /// Request hashes of exchange commands are written with the `x2:` prefix (streaming
    /// encoder); a key stored before, with the sorted-keys hash, still replays its first result
    /// after a reopen, and still refuses a different command.
    @Test(arguments: Backend.all)
    func keysStoredWithTheEarlierRequestHashStillReplay(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.day, hour: 9, minute: 0)
        var s = try await Self.setUp(location, clock: clock)
        clock.set(Self.day, hour: 10, minute: 0)
        let command = ExchangeCommand.placeOrder(account: Self.seller, instrument: "CEA24", side: .sell, price: 5_010, quantity: 10)
        let first = try #require(try await s.exchange(command, key: "old-key").receipt)
        try await s.store.close()
        let legacy = sha256Hex("exchange\n" + LedgerCodec().encode(command))
        let database = try await Composition.openDatabase(location, connectionID: 9)
        let stored = try await database.transaction { sql in
            let rows = try await sql.query("SELECT request_hash FROM idempotency WHERE idempotency_key = $1", [.text("old-key")])
            try await sql.execute("UPDATE idempotency SET request_hash = $1 WHERE idempotency_key = $2", [.text(legacy), .text("old-key")])
            return try rows.first?.text(0)
        }
        try await database.close()
        #expect(stored?.hasPrefix("x2:") == true && stored != legacy)

        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        let retry = try await service.execute(ExchangeRequest(idempotencyKey: "old-key", command: command))
        #expect(retry.receipt?.replayed == true && retry.receipt?.seq == first.seq, "\(retry)")
        let other = try await service.execute(ExchangeRequest(
            idempotencyKey: "old-key", command: .placeOrder(account: Self.seller, instrument: "CEA24", side: .sell, price: 5_010, quantity: 11)))
        #expect(other.error?.code == .idempotencyKeyReused)
        #expect(try await store.head().seq == first.seq)
        try await store.close()
    }
}
