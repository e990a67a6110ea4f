import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// The reserve and the paid allocation through the registry and the exchange, on each
/// database. The market is `ComplianceYearTests`' (6 entities, 7 units; final allocation
/// 474,230 t after the true-up) under power-2024 with an 8 % reserve share and a 3 % paid
/// allocation at a floor of 20.00 CNY/t. By hand:
///
///     reserve_t = round(474,230 × 0.08 / 0.92) = round(41,237.39) = 41,237
///     total_t   = 474,230 + 41,237 = 515,467
///     auction_t = round(0.03 × 515,467) = round(15,464.01) = 15,464
///
/// Bids: E1 8,000 t at 30.00, E2 5,000 t at 25.00 (both inside 20.00-100.00). A uniform
/// sell auction fills both (13,000 t ≤ 15,464 t) at the lowest filled price, 25.00: E1 pays
/// 200,000.00, E2 125,000.00, the national account receives 325,000.00 (no fee accounts set:
/// no fees); 2,464 t are unsold and stay in the national reserve, which holds 41,237 − 13,000
/// = 28,237 t, all free again.
@Suite("Reserve and paid allocation through the registry and exchange, on each database")
struct CycleSupplyTests {
    static let cea24: UnitTypeCode = "CEA24"
    static let national: AccountID = "CN-NATIONAL"
    static let shipped = AllocationPlan.seed.first { $0.id == "power-2024" }!
    static var plan: AllocationPlan {
        var plan = shipped
        plan.reserveShare = AllocationPlan.Factor(value: ExactDecimal("0.08")!, verified: false, note: "test")
        plan.paidAllocation = AllocationPlan.PaidAllocation(share: ExactDecimal("0.03")!, floorPrice: ExactDecimal("20.00")!, verified: false, note: "test")
        return plan
    }
    static func e(_ n: Int) -> AccountID { ComplianceYearTests.e(n) }
    static let day = CivilDate(year: 2025, month: 7, day: 2)

    struct Session {
        var harness: Harness
        var cycleStore: any AllocationCycleStore
        var service: AllocationCycleService
        var keys = 0

        mutating func exchange(_ command: ExchangeCommand) async throws -> ExchangeReceipt {
            keys += 1
            let outcome = try await harness.service.execute(ExchangeRequest(idempotencyKey: "s-\(keys)", command: command))
            guard let receipt = outcome.receipt else { throw TestSetupError("\(command.kind): \(String(describing: outcome.error))") }
            return receipt
        }

        func held(_ account: AccountID) async -> Int64 { await harness.holding(account, CycleSupplyTests.cea24).total }
    }

    static func market(_ backend: Backend, clock: OpenETSRuntime.MarketClock, _ name: String = #function) async throws -> Session {
        let location = try backend.freshLocation(name)
        let harness = try await Harness.open(location, clock: clock)
        let cycleStore = try await Composition.openAllocationCycleStore(location, connectionID: 2)
        let h = harness
        try await h.accept(.openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        for province in ["SC", "GD"] {
            try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: province, province: province, representatives: []))
        }
        for n in 1...6 {
            try await h.accept(.openAccount(type: .entity, ownerID: "E\(n)", ownerName: "E\(n)", province: n <= 3 ? "SC" : "GD", representatives: []))
            try await h.accept(.depositFunds(account: e(n), amountFen: 1_000_000_000, bankReference: "B\(n)"))
        }
        return Session(
            harness: harness, cycleStore: cycleStore, service: AllocationCycleService(registry: harness.service, store: cycleStore, clock: clock))
    }

    @Test(arguments: Backend.all)
    func reserveAndAuctionMatchTheHandCount(_ backend: Backend) async throws {
        let clock = OpenETSRuntime.MarketClock(CivilDate(year: 2025, month: 7, day: 1), hour: 9, minute: 0)
        var s = try await Self.market(backend, clock: clock)
        let plan = Self.plan
        let facilities = ComplianceYearTests.facilities

        _ = try await s.service.run(.preAllocation, plan: plan, year: 2024, facilities: facilities)
        // The reserve before the true-up, and the auction before the reserve: refused, nothing stored or moved.
        var head = try await s.harness.store.head()
        await #expect(throws: AllocationError(.stageOrder, "the true-up of power-2024 2024 is not done")) {
            try await s.service.reserve(plan: plan, year: 2024)
        }
        let terms = CycleSupply.Terms(
            opensAt: BeijingTime.timestamp(Self.day, hour: 9, minute: 30), closesAt: BeijingTime.timestamp(Self.day, hour: 11, minute: 30),
            ceilingPrice: 10_000)
        await #expect(throws: AllocationError(.stageOrder, "the reserve of power-2024 2024 is not issued")) {
            try await s.service.auction(plan: plan, year: 2024, terms: terms)
        }
        _ = try await s.service.run(.trueUp, plan: plan, year: 2024, facilities: facilities)
        #expect(await s.harness.service.state.unitTypes[Self.cea24]?.issuedQuantity == 474_230)

        // A plan without a reserve share has no reserve stage.
        head = try await s.harness.store.head()
        await #expect(throws: AllocationError(.noReserve, "plan power-2024 has no reserve_share: there is no reserve to issue")) {
            try await s.service.reserve(plan: Self.shipped, year: 2024)
        }
        #expect(try await s.cycleStore.stage(plan: "power-2024", year: 2024, stage: .reserve) == nil)
        #expect(try await s.harness.store.head() == head)

        // The reserve: 41,237 t issued into the national account; a re-run submits nothing.
        let reserve = try await s.service.reserve(plan: plan, year: 2024)
        #expect(reserve.applied == 1 && !reserve.alreadyDone)
        #expect(reserve.plan.supply == AllocationSupply(
            allocatedT: 474_230, reserveT: 41_237, totalT: 515_467, auctionT: 15_464, auctionFloorPrice: ExactDecimal("20.00")!))
        #expect(reserve.plan.steps.map(\.key) == ["cycle/power-2024/2024/reserve/issue"])
        #expect(await s.held(Self.national) == 41_237)
        #expect(try await s.service.heldReserveT(unit: Self.cea24) == 41_237)
        head = try await s.harness.store.head()
        #expect(try await s.service.reserve(plan: plan, year: 2024).alreadyDone)
        #expect(try await s.harness.store.head() == head)

        // The exchange lists the vintage; two entities are members.
        _ = try await s.exchange(.listInstrument(Instrument(code: "CEA24", unit: Self.cea24, label: "CEA 2024", continuous: false, previousClose: 5_000)))
        for n in 1...2 { _ = try await s.exchange(.admitMember(account: Self.e(n), group: nil)) }

        // Bad terms (a ceiling under the plan's floor, a window already open) change nothing.
        head = try await s.harness.store.head()
        var low = terms
        low.ceilingPrice = 1_999
        await #expect(throws: AllocationError(.outOfRange, "the ceiling 19.99 is below the plan's floor 20.00")) {
            try await s.service.auction(plan: plan, year: 2024, terms: low)
        }
        var past = terms
        past.opensAt = BeijingTime.timestamp(CivilDate(year: 2025, month: 6, day: 30), hour: 9, minute: 0)
        await #expect(throws: AllocationError(.invalidValue, "the auction window must open after now and close after it opens")) {
            try await s.service.auction(plan: plan, year: 2024, terms: past)
        }
        #expect(try await s.cycleStore.stage(plan: "power-2024", year: 2024, stage: .auction) == nil)
        #expect(try await s.harness.store.head() == head)

        // The auction: the national account is admitted and announces 15,464 t at ≥ 20.00.
        let auction = try await s.service.auction(plan: plan, year: 2024, terms: terms)
        #expect(auction.applied == 2)
        #expect(auction.plan.exchangeSteps?.map(\.key) == ["cycle/power-2024/2024/auction/admit", "cycle/power-2024/2024/auction/announce"])
        let id = try #require(auction.plan.auctionID)
        let announced = try #require(await s.harness.service.exchange.auctions[id])
        #expect(announced.applicant == Self.national && announced.side == .sell && announced.quantity == 15_464)
        #expect(announced.floorPrice == 2_000 && announced.ceilingPrice == 10_000 && announced.status == .announced)
        #expect(await s.harness.service.state.holding(Self.national, Self.cea24).available == 41_237 - 15_464)
        // While announced the auction's units are locked: the reserve keeps back the free rest.
        #expect(try await s.service.heldReserveT(unit: Self.cea24) == 41_237 - 15_464)
        head = try await s.harness.store.head()
        let again = try await s.service.auction(plan: plan, year: 2024, terms: terms)
        #expect(again.alreadyDone && again.plan.auctionID == id)
        #expect(try await s.harness.store.head() == head)
        #expect(try await s.service.auctionStatus(plan: "power-2024", year: 2024)?.auction.status == .announced)

        // Two bidders, then the exchange's own clearing on an open trading day.
        clock.simulate(Self.day, hour: 10, minute: 0)
        _ = try await s.exchange(.openDay(Self.day))
        _ = try await s.exchange(.bid(account: Self.e(1), auction: id, price: 3_000, quantity: 8_000))
        _ = try await s.exchange(.bid(account: Self.e(2), auction: id, price: 2_500, quantity: 5_000))
        clock.simulate(Self.day, hour: 11, minute: 45)
        _ = try await s.exchange(.clearAuction(auction: id))

        let status = try #require(try await s.service.auctionStatus(plan: "power-2024", year: 2024))
        #expect(status.auction.status == .cleared && status.auction.result?.clearingPrice == 2_500)
        #expect(status.soldT == 13_000 && status.unsoldT == 2_464)
        #expect(await s.held(Self.e(1)) == 79_100 + 8_000)
        #expect(await s.held(Self.e(2)) == 40_000 + 5_000)
        #expect(await s.held(Self.national) == 28_237)
        #expect(await s.harness.service.state.holding(Self.national, Self.cea24).available == 28_237)
        let state = await s.harness.service.state
        #expect(state.cash(Self.national) == 32_500_000)
        #expect(state.cash(Self.e(1)) == 1_000_000_000 - 20_000_000)
        #expect(state.cash(Self.e(2)) == 1_000_000_000 - 12_500_000)
        #expect(try await s.service.supply(plan: "power-2024", year: 2024).supply?.reserveT == 41_237)
        #expect(try await s.service.heldReserveT(unit: Self.cea24) == 28_237)

        // Plan B, another plan of the same year and unit type (the same facilities under another
        // id), pre-allocates and trues up after A's reserve and auction. By hand: B's
        // pre-allocation of 338,800 t (SC 154,000 + GD 184,800) is issued whole, since the
        // national account's 28,237 free units are A's reserve (without keeping it back it
        // would issue 338,800 − 28,237 = 310,563 and hand the reserve out); B's true-up issues
        // 474,230 − 338,800 = 135,430 t (its recalls are covered by B's own pre-allocation).
        // A's reserve stays: 28,237 t in the national account; issued 474,230 + 41,237 +
        // 338,800 + 135,430 = 989,697 t.
        var planB = Self.shipped
        planB.id = "power-2024-b"
        let preB = try await s.service.run(.preAllocation, plan: planB, year: 2024, facilities: facilities)
        #expect(preB.plan.steps.first == CycleStep(
            key: "cycle/power-2024-b/2024/pre/issue", command: .issue(unit: Self.cea24, quantity: 338_800, to: Self.national)))
        #expect(await s.held(Self.national) == 28_237)
        let trueUpB = try await s.service.run(.trueUp, plan: planB, year: 2024, facilities: facilities)
        #expect(trueUpB.plan.steps.contains(CycleStep(
            key: "cycle/power-2024-b/2024/trueup/issue", command: .issue(unit: Self.cea24, quantity: 135_430, to: Self.national))))
        #expect(await s.held(Self.national) == 28_237)
        #expect(await s.harness.service.state.holding(Self.national, Self.cea24).available == 28_237)
        #expect(await s.harness.service.state.unitTypes[Self.cea24]?.issuedQuantity == 989_697)
        #expect(try await s.service.heldReserveT(unit: Self.cea24) == 28_237)

        try await s.cycleStore.close()
        try await s.harness.close()
    }
}
