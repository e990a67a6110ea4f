import OpenETSDomain
import Testing

/// Buying credits for a neutrality cancellation: the plan takes the cheapest listings within
/// the best five levels, never the buyer's own; a confirmed plan is re-checked whole; units
/// bought today cannot be sold (T+1) but can be cancelled for neutrality at once.
@Suite("Neutrality purchase plan")
struct NeutralityPurchaseTests {
    typealias F = ExchangeFixture
    static let day2 = CivilDate(year: 2025, month: 6, day: 4)
    static let owner: AccountID = "OWN-000001"

    /// The fixture's market on its next day with a listing-agreement CCER instrument and seven
    /// listings of the owner: 5 t and 5 t at 30.00, then 10 t at 30.10, 30.20, 30.30, 30.40 and 30.50.
    static func market() throws -> (ExchangeFixture, [Int64]) {
        var f = try ExchangeFixture()
        try f.run(.closeDay, at: F.at(15, 5))
        try f.market.registryExecute(
            .openAccount(type: .voluntaryCancellation, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []), at: F.at(15, 6))
        try f.run(.listInstrument(Instrument(code: "CCER-L", unit: "CCER-P1", label: "CCER listing", continuous: false, previousClose: 3_000)), at: F.at(15, 7))
        try f.run(.openDay(day2), at: F.at(9, 0, on: day2))
        var ids: [Int64] = []
        for (price, quantity) in [(3_000, 5), (3_000, 5), (3_010, 10), (3_020, 10), (3_030, 10), (3_040, 10), (3_050, 10)] as [(Int64, Int64)] {
            let outcome = try f.run(.placeOrder(account: owner, instrument: "CCER-L", side: .sell, price: price, quantity: quantity), at: F.at(9, 40, on: day2))
            for case .orderPlaced(let order) in outcome.events { ids.append(order.id) }
        }
        return (f, ids)
    }

    static func plan(_ f: ExchangeFixture, _ quantity: Int64, buyer: AccountID = F.investor, instrument: String = "CCER-L") -> NeutralityPurchase.Plan? {
        NeutralityPurchase.plan(instrument: instrument, quantity: quantity, buyer: buyer, exchange: f.market.exchange, registry: f.market.registry, policy: f.market.policy)
    }

    @Test func cheapestListingsWithinTheBestFiveLevels() throws {
        let (f, ids) = try Self.market()
        #expect(NeutralityPurchase.instruments(f.market.exchange, f.market.registry).map(\.code) == ["CCER-L"])
        let plan = try #require(Self.plan(f, 23))
        #expect(plan.steps == [
            .init(order: ids[0], priceFen: 3_000, quantity: 5), .init(order: ids[1], priceFen: 3_000, quantity: 5),
            .init(order: ids[2], priceFen: 3_010, quantity: 10), .init(order: ids[3], priceFen: 3_020, quantity: 3),
        ])
        #expect(plan.complete && plan.offeredT == 23)
        let amount: Int64 = 10 * 3_000 + 10 * 3_010 + 3 * 3_020
        #expect(plan.totalFen == amount + plan.feeFen)
        #expect(plan.feeFen == plan.steps.reduce(0) { $0 + f.market.policy.fee(.listing, amountFen: $1.amountFen) })
        // The sixth level (30.50) is out of a taker's reach: 50 t on offer, not 60.
        let big = try #require(Self.plan(f, 1_000))
        #expect(!big.complete && big.offeredT == 50 && !big.steps.contains { $0.order == ids[6] })
        // Never the buyer's own listings; no plan on a continuous instrument.
        #expect(try #require(Self.plan(f, 5, buyer: Self.owner)).steps.isEmpty)
        #expect(Self.plan(f, 5, instrument: "CCER") == nil && Self.plan(f, 0) == nil)
    }

    @Test func aStalePlanIsRefusedWholeAndBoughtUnitsCancelAtTPlusZero() throws {
        let (fixture, ids) = try Self.market()
        var f = fixture
        let plan = try #require(Self.plan(f, 23))
        func recheck(_ steps: [NeutralityPurchase.Step], buyer: AccountID = F.investor) throws(ExchangeError) {
            try NeutralityPurchase.recheck(steps, instrument: "CCER-L", buyer: buyer, exchange: f.market.exchange, registry: f.market.registry, policy: f.market.policy)
        }
        try recheck(plan.steps)
        func code(_ steps: [NeutralityPurchase.Step], buyer: AccountID = F.investor) -> ExchangeErrorCode? {
            do throws(ExchangeError) { try recheck(steps, buyer: buyer); return nil } catch { return error.code }
        }
        #expect(code([]) == .invalidInput)
        #expect(code([plan.steps[0], plan.steps[0]]) == .invalidInput)
        #expect(code([.init(order: ids[0], priceFen: 2_990, quantity: 5)]) == .invalidPrice)
        #expect(code([.init(order: ids[6], priceFen: 3_050, quantity: 1)]) == .notInBestLevels)
        #expect(code([.init(order: 999_999, priceFen: 3_000, quantity: 1)]) == .unknownOrder)
        #expect(code(plan.steps, buyer: Self.owner) == .ownOrder)
        #expect(code(Array(repeating: plan.steps[0], count: NeutralityPurchase.maxSteps + 1)) == .limitExceeded)
        // Someone takes 3 t of the first listing: the plan no longer fits and is refused.
        try f.run(.takeOrder(account: F.e3, order: ids[0], quantity: 3), at: F.at(10, 0, on: Self.day2))
        #expect(code(plan.steps) == .invalidQuantity)

        // A fresh plan, taken step by step: 23 t bought today.
        let fresh = try #require(Self.plan(f, 23))
        try recheck(fresh.steps)
        for step in fresh.steps {
            try f.run(.takeOrder(account: F.investor, order: step.order, quantity: step.quantity), at: F.at(10, 5, on: Self.day2))
        }
        #expect(f.market.registry.holding(F.investor, "CCER-P1").available == 23)
        // T+1: not sellable today …
        f.reject(.placeOrder(account: F.investor, instrument: "CCER-L", side: .sell, price: 3_000, quantity: 1), .tPlusOne, at: F.at(10, 6, on: Self.day2))
        // … but a cancellation is not a sale: the registry cancels them at once.
        let claim = NeutralityClaim(account: F.investor, unit: "CCER-P1", quantity: 23, beneficiary: "OpenETS 会务组", purpose: .event, subject: "OpenETS 2025")
        let decision = try CCERState().decide(
            .cancelForNeutrality(claim), at: F.at(10, 7, on: Self.day2), policy: .standard, registry: f.market.registry, registryPolicy: .defaults, entrySeq: 1)
        #expect(decision.events.count == 1 && decision.registry.contains { if case .certificateIssued = $0 { true } else { false } })
    }

    @Test func planFieldRoundTripsAndRefusesMalformedText() {
        let steps: [NeutralityPurchase.Step] = [.init(order: 7, priceFen: 6_000, quantity: 10), .init(order: 9, priceFen: 6_050, quantity: 13)]
        #expect(NeutralityPurchase.encode(steps) == "7:6000:10,9:6050:13")
        #expect(NeutralityPurchase.decode("7:6000:10,9:6050:13") == steps)
        for bad in ["", "1:2", "0:6000:1", "1:0:1", "1:6000:0", "1:6000:-1", "a:b:c", "1:6000:1,", "1:100000000:1",
                    Array(repeating: "1:1:1", count: NeutralityPurchase.maxSteps + 1).joined(separator: ",")] {
            #expect(NeutralityPurchase.decode(bad) == nil, "\(bad)")
        }
    }
}
