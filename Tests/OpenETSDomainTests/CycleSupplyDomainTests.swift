import OpenETSDomain
import Testing

/// `CycleSupply` on `CycleAllocationTests`' market (final allocation 1,514,219 t) under
/// power-2024 with an 8 % reserve and a 3 % paid allocation at 20.00 CNY/t:
/// reserve_t = round(1,514,219 × 0.08 / 0.92) = round(131,671.22) = 131,671; total 1,645,890;
/// auction_t = round(0.03 × 1,645,890) = round(49,376.7) = 49,377.
@Suite("Reserve and paid allocation: the stage commands")
struct CycleSupplyDomainTests {
    static var plan: AllocationPlan {
        var plan = CycleAllocationTests.plan
        plan.reserveShare = AllocationPlan.Factor(value: ExactDecimal("0.08")!, verified: false, note: "test")
        plan.paidAllocation = AllocationPlan.PaidAllocation(share: ExactDecimal("0.03")!, floorPrice: ExactDecimal("20.5")!, verified: false, note: "test")
        return plan
    }
    static let opens = Timestamp(millisecondsSinceEpoch: CycleAllocationTests.now.millisecondsSinceEpoch + 3_600_000)
    static let closes = Timestamp(millisecondsSinceEpoch: CycleAllocationTests.now.millisecondsSinceEpoch + 7_200_000)

    /// The market after its pre-allocation and true-up, and the two stage plans.
    static func trued() throws -> (RegistryState, CycleStagePlan, CycleStagePlan) {
        var state = try CycleAllocationTests.market()
        let pre = try CycleAllocation.preAllocation(
            plan: plan, year: 2024, facilities: CycleAllocationTests.facilities, registry: state, policy: .defaults)
        try CycleAllocationTests.run(pre.steps, on: &state)
        var moved: [AccountID: Int64] = [:]
        for entity in pre.entities { moved[entity.entity] = entity.movedT }
        let trueUp = try CycleAllocation.trueUp(
            plan: plan, year: 2024, facilities: CycleAllocationTests.facilities, registry: state, policy: .defaults, preAllocated: moved)
        try CycleAllocationTests.run(trueUp.steps, on: &state)
        return (state, pre, trueUp)
    }

    @Test func reserveIsIssuedIntoTheNationalAccount() throws {
        var (state, pre, trueUp) = try Self.trued()
        let allocated = try CycleSupply.allocatedT(preAllocation: pre, trueUp: trueUp)
        #expect(allocated == 1_514_219)
        let stage = try CycleSupply.reserve(plan: Self.plan, year: 2024, allocatedT: allocated, registry: state, policy: .defaults)
        #expect(stage.supply?.reserveT == 131_671 && stage.supply?.totalT == 1_645_890 && stage.supply?.auctionT == 49_377)
        #expect(stage.steps == [CycleStep(key: "cycle/power-2024/2024/reserve/issue", command: .issue(unit: "CEA24", quantity: 131_671, to: "CN-NATIONAL"))])
        try CycleAllocationTests.run(stage.steps, on: &state)
        #expect(state.holding("CN-NATIONAL", "CEA24").available == 131_671)

        #expect(throws: AllocationError(.noReserve, "plan power-2024 has no reserve_share: there is no reserve to issue")) {
            try CycleSupply.reserve(plan: CycleAllocationTests.plan, year: 2024, allocatedT: allocated, registry: state, policy: .defaults)
        }
        #expect(throws: AllocationError(.yearMismatch, "plan power-2024 is for 2024, not 2025")) {
            try CycleSupply.reserve(plan: Self.plan, year: 2025, allocatedT: allocated, registry: state, policy: .defaults)
        }
    }

    /// The reserve a done reserve stage keeps back, by the state of its auction, and a second
    /// plan of the same unit type run beside it. By hand: reserve 131,671 t; while the auction
    /// of 49,377 t is announced those units are locked, so 131,671 − 49,377 = 82,294 t of the
    /// reserve are free; cleared with 30,000 t sold, 131,671 − 30,000 = 101,671 t; cancelled,
    /// all 131,671 t. Plan B (the same facilities under another id) pre-allocates 1,141,009 t:
    /// with the reserve kept back the national account issues all of it (without, it would
    /// hand out the reserve and issue 1,141,009 − 131,671 = 1,009,338 t); its true-up issues
    /// 209,999 + 219,451 − (4,240 + 52,000 recalled) = 373,210 t (not 373,210 − 131,671).
    @Test func aReserveHeldInTheNationalAccountIsNotAllocatedByAnotherPlan() throws {
        var (state, pre, trueUp) = try Self.trued()
        let reserve = try CycleSupply.reserve(
            plan: Self.plan, year: 2024, allocatedT: try CycleSupply.allocatedT(preAllocation: pre, trueUp: trueUp), registry: state, policy: .defaults)
        try CycleAllocationTests.run(reserve.steps, on: &state)
        #expect(state.holding("CN-NATIONAL", "CEA24").available == 131_671)

        #expect(CycleSupply.heldReserveT(reserve: reserve, auction: nil) == 131_671)
        var auction = Auction(
            id: 1, applicant: "CN-NATIONAL", instrument: "CEA24", side: .sell, quantity: 49_377, floorPrice: 2_050, ceilingPrice: 10_000,
            pricing: .uniform, tieBreak: .time, seed: 0, minBidQuantity: 1, maxSharePerMille: 1000, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: Self.opens, closesAt: Self.closes, locked: 49_377)
        #expect(CycleSupply.heldReserveT(reserve: reserve, auction: auction) == 82_294)
        let terms = AuctionTerms(
            side: .sell, quantity: 49_377, floorPrice: 2_050, ceilingPrice: 10_000, pricing: .uniform, tieBreak: .time, seed: 0,
            minBidQuantity: 1, maxSharePerBidder: ExactDecimal("1.00")!, cancelIfUndersubscribed: false, referencePrice: nil,
            cancelBelowReferencePercent: nil)
        auction.result = AuctionClearing.clear(terms, bids: [AuctionBid(id: "b1", bidder: "ENT-000001", price: 3_000, quantity: 30_000, time: Self.opens)])
        auction.status = .cleared
        #expect(auction.result?.fills.map(\.quantity) == [30_000])
        #expect(CycleSupply.heldReserveT(reserve: reserve, auction: auction) == 101_671)
        auction.status = .cancelled
        auction.result = nil
        #expect(CycleSupply.heldReserveT(reserve: reserve, auction: auction) == 131_671)

        var other = CycleAllocationTests.plan
        other.id = "power-2024-b"
        func preB(reservedT: Int64) throws -> CycleStagePlan {
            try CycleAllocation.preAllocation(
                plan: other, year: 2024, facilities: CycleAllocationTests.facilities, registry: state, policy: .defaults, reservedT: reservedT)
        }
        let issue: (Int64) -> CycleStep = { CycleStep(key: "cycle/power-2024-b/2024/pre/issue", command: .issue(unit: "CEA24", quantity: $0, to: "CN-NATIONAL")) }
        #expect(try preB(reservedT: 0).steps.first == issue(1_009_338))  // what the reserve would lose
        #expect(try preB(reservedT: 100_000).steps.first == issue(1_141_009 - 31_671))  // only 31,671 free beside the reserve
        #expect(try preB(reservedT: 200_000).steps.first == issue(1_141_009))  // never below 0 free
        let preStage = try preB(reservedT: 131_671)
        #expect(preStage.steps.first == issue(1_141_009))
        try CycleAllocationTests.run(preStage.steps, on: &state)
        #expect(state.holding("CN-NATIONAL", "CEA24").available == 131_671)

        var moved: [AccountID: Int64] = [:]
        for entity in preStage.entities { moved[entity.entity] = entity.movedT }
        let trueUpB = try CycleAllocation.trueUp(
            plan: other, year: 2024, facilities: CycleAllocationTests.facilities, registry: state, policy: .defaults, preAllocated: moved,
            reservedT: 131_671)
        #expect(trueUpB.steps.contains(
            CycleStep(key: "cycle/power-2024-b/2024/trueup/issue", command: .issue(unit: "CEA24", quantity: 373_210, to: "CN-NATIONAL"))))
        try CycleAllocationTests.run(trueUpB.steps, on: &state)
        #expect(state.holding("CN-NATIONAL", "CEA24").available == 131_671)
    }

    @Test func auctionSellsThePaidShareAtTheFloorWithinNamedLimits() throws {
        let (state, pre, trueUp) = try Self.trued()
        let reserve = try CycleSupply.reserve(
            plan: Self.plan, year: 2024, allocatedT: try CycleSupply.allocatedT(preAllocation: pre, trueUp: trueUp), registry: state, policy: .defaults)
        var exchange = ExchangeState()
        let terms = CycleSupply.Terms(opensAt: Self.opens, closesAt: Self.closes, ceilingPrice: 10_000, minBidQuantity: 100, maxSharePerMille: 500)
        func auction(_ terms: CycleSupply.Terms, plan: AllocationPlan = Self.plan) throws(AllocationError) -> CycleStagePlan {
            try CycleSupply.auction(
                plan: plan, year: 2024, reserve: reserve, terms: terms, now: CycleAllocationTests.now, exchange: exchange, policy: .standard,
                registry: state)
        }
        #expect(throws: AllocationError(.noInstrument, "the exchange lists no instrument of CEA24")) { try auction(terms) }
        exchange.evolve(.instrumentListed(Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 5_000)))

        let stage = try auction(terms)
        #expect(stage.steps.isEmpty && stage.exchangeSteps?.count == 2)
        #expect(stage.exchangeSteps?[0] == CycleExchangeStep(key: "cycle/power-2024/2024/auction/admit", command: .admitMember(account: "CN-NATIONAL", group: nil)))
        guard case .announceAuction(let a) = stage.exchangeSteps?[1].command else { Issue.record("no announcement"); return }
        #expect(a.applicant == "CN-NATIONAL" && a.side == .sell && a.instrument == "CEA24" && a.quantity == 49_377)
        #expect(a.floorPrice == 2_050 && a.ceilingPrice == 10_000 && a.minBidQuantity == 100 && a.maxSharePerMille == 500)

        var bad = terms
        bad.ceilingPrice = 2_049
        #expect(throws: AllocationError(.outOfRange, "the ceiling 20.49 is below the plan's floor 20.50")) { try auction(bad) }
        bad = terms
        bad.ceilingPrice = 2_050  // the floor itself is a valid ceiling
        #expect(try auction(bad).exchangeSteps?.count == 2)
        bad.minBidQuantity = 49_378
        #expect(throws: AllocationError(.outOfRange, "the minimum bid must be 1 t to the auction volume 49377 t")) { try auction(bad) }
        bad = terms
        bad.maxSharePerMille = 1_001
        #expect(throws: AllocationError(.outOfRange, "the cap per bidder is 1-1000 per mille of the volume")) { try auction(bad) }
        bad = terms
        bad.opensAt = CycleAllocationTests.now
        #expect(try auction(bad).exchangeSteps?.count == 2)  // opening now is allowed
        bad.opensAt = Timestamp(millisecondsSinceEpoch: CycleAllocationTests.now.millisecondsSinceEpoch - 1)
        #expect(throws: AllocationError(.invalidValue, "the auction window must open after now and close after it opens")) { try auction(bad) }
        var unpaid = Self.plan
        unpaid.paidAllocation = nil
        #expect(throws: AllocationError(.noPaidAllocation, "plan power-2024 has no paid allocation to auction")) { try auction(terms, plan: unpaid) }
    }
}
