/// The supply beside the free allocation, in the registry and on the exchange (pure):
///
/// - **Reserve stage** (after the true-up): the plan's `reserve_t`, worked out from the year's
///   final allocation (`AllocationSupply.compute` on Σ final), is issued into the national
///   account `CN-NATIONAL`, which holds it as the national reserve. The registry has no reserve
///   account type; the national account is the one the exchange already admits as a
///   paid-allocation seller and that receives the proceeds (`AccountType.paidAllocationSellers`,
///   `holdsFunds`).
/// - **Auction stage** (after the reserve): the plan's `auction_t` is announced as a one-way
///   SELL auction of the national account on the exchange, at the plan's floor price, with the
///   window, ceiling, minimum bid, cap per bidder and pricing of `Terms`. What the
///   exchange's clearing sells moves to the bidders; the unsold units stay in the reserve.
///
/// Keys: `cycle/{plan}/{year}/reserve/issue`, `cycle/{plan}/{year}/auction/{admit|announce}`.
public enum CycleSupply {
    /// The terms of the paid-allocation auction the plan does not fix (the plan gives the
    /// quantity and the floor).
    public struct Terms: Hashable, Codable, Sendable {
        public var opensAt: Timestamp
        public var closesAt: Timestamp
        /// Fen per tonne.
        public var ceilingPrice: Int64
        public var minBidQuantity: Int64
        /// Cap per bidder, per mille of the volume (1000 = no cap).
        public var maxSharePerMille: Int64
        public var pricing: AuctionTerms.Pricing

        public init(
            opensAt: Timestamp, closesAt: Timestamp, ceilingPrice: Int64, minBidQuantity: Int64 = 1, maxSharePerMille: Int64 = 1000,
            pricing: AuctionTerms.Pricing = .uniform
        ) {
            self.opensAt = opensAt
            self.closesAt = closesAt
            self.ceilingPrice = ceilingPrice
            self.minBidQuantity = minBidQuantity
            self.maxSharePerMille = maxSharePerMille
            self.pricing = pricing
        }
    }

    /// The year's final allocation: what the pre-allocation gave each entity (moved plus kept
    /// back for last year) plus what the true-up owed it (final − pre-allocation).
    public static func allocatedT(preAllocation: CycleStagePlan, trueUp: CycleStagePlan) throws(AllocationError) -> Int64 {
        var total: Int64 = 0
        let parts = preAllocation.entities.map(\.movedT) + (preAllocation.deductions ?? []).map(\.deductedT) + trueUp.entities.map(\.dueT)
        for part in parts {
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { throw AllocationError(.limitExceeded, "the year's allocation is too large") }
            total = sum
        }
        return max(0, total)
    }

    /// What a done reserve stage still holds **free** in the national account: reserve_t, less
    /// the paid-allocation auction's quantity while it is announced (those units are locked,
    /// already not `available`), less the units sold once it is cleared (they left); a
    /// cancelled auction returned its units. `auction` is the exchange's record of the auction
    /// the auction stage recorded (nil when there is none). The pre-allocation and true-up of
    /// any plan of the same unit type keep this much of the national account's free units back
    /// (`CycleAllocation.preAllocation`/`trueUp`, `reservedT`).
    public static func heldReserveT(reserve: CycleStagePlan, auction: Auction?) -> Int64 {
        let reserveT = reserve.supply?.reserveT ?? 0
        guard let auction else { return reserveT }
        let out: Int64
        switch auction.status {
        case .announced: out = auction.quantity
        case .cleared: out = auction.result.map { $0.fills.reduce(0) { $0 + $1.quantity } } ?? 0
        case .cancelled: out = 0
        }
        return max(0, reserveT - out)
    }

    /// The reserve stage: issue `reserve_t` of the year's unit type into the national account.
    public static func reserve(
        plan: AllocationPlan, year: Int, allocatedT: Int64, registry: RegistryState, policy: RegistryPolicy
    ) throws(AllocationError) -> CycleStagePlan {
        try plan.validate()
        guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        guard let supply = try AllocationSupply.compute(plan: plan, allocatedT: allocatedT) else {
            throw AllocationError(.noReserve, "plan \(plan.id) has no reserve_share: there is no reserve to issue")
        }
        let unit = CycleAllocation.unitCode(year: year)
        let national = try nationalAccount(registry)
        guard let type = registry.unitTypes[unit] else {
            throw AllocationError(.stageOrder, "unit type \(unit) does not exist: run the pre-allocation and true-up first")
        }
        try CycleAllocation.requireVintage(type, year: year)
        let keys = CycleAllocation.KeyMaker(plan: plan.id, year: year, stage: .reserve)
        var steps: [CycleStep] = []
        if supply.reserveT > 0 {
            steps.append(CycleStep(key: try keys.key("issue"), command: .issue(unit: unit, quantity: supply.reserveT, to: national)))
        }
        try CycleAllocation.checkQuantities(steps, policy: policy)
        var stage = CycleStagePlan(planID: plan.id, year: year, stage: .reserve, unit: unit, steps: steps, debts: [], entities: [])
        stage.supply = supply
        return stage
    }

    /// The auction stage: the exchange commands that announce the paid allocation out of the
    /// reserve. `now` is when the announcement is made (the window must open after it).
    public static func auction(
        plan: AllocationPlan, year: Int, reserve: CycleStagePlan, terms: Terms, now: Timestamp, exchange: ExchangeState,
        policy: ExchangePolicy, registry: RegistryState
    ) throws(AllocationError) -> CycleStagePlan {
        try plan.validate()
        guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        guard let paid = plan.paidAllocation, let supply = reserve.supply, supply.auctionT > 0 else {
            throw AllocationError(.noPaidAllocation, "plan \(plan.id) has no paid allocation to auction")
        }
        let national = try nationalAccount(registry)
        let unit = reserve.unit
        let instruments = exchange.instruments.values.filter { $0.unit == unit }.sorted { $0.code < $1.code }
        guard let instrument = instruments.first else {
            throw AllocationError(.noInstrument, "the exchange lists no instrument of \(unit)")
        }
        let floorFen = fen(paid.floorPrice)
        guard terms.opensAt < terms.closesAt, now <= terms.opensAt else {
            throw AllocationError(.invalidValue, "the auction window must open after now and close after it opens")
        }
        guard terms.ceilingPrice >= floorFen else {
            throw AllocationError(.outOfRange, "the ceiling \(Fen.text(terms.ceilingPrice)) is below the plan's floor \(Fen.text(floorFen))")
        }
        guard supply.auctionT <= policy.blockMaxQuantity else {
            throw AllocationError(.limitExceeded, "\(supply.auctionT) t is above the exchange's auction volume limit \(policy.blockMaxQuantity) t")
        }
        guard (1...supply.auctionT).contains(terms.minBidQuantity) else {
            throw AllocationError(.outOfRange, "the minimum bid must be 1 t to the auction volume \(supply.auctionT) t")
        }
        guard (1...1000).contains(terms.maxSharePerMille) else {
            throw AllocationError(.outOfRange, "the cap per bidder is 1-1000 per mille of the volume")
        }
        let keys = CycleAllocation.KeyMaker(plan: plan.id, year: year, stage: .auction)
        var exchangeSteps: [CycleExchangeStep] = []
        if exchange.members[national] == nil {
            exchangeSteps.append(CycleExchangeStep(key: try keys.key("admit"), command: .admitMember(account: national, group: nil)))
        }
        let auction = Auction(
            id: 0, applicant: national, instrument: instrument.code, side: .sell, quantity: supply.auctionT, floorPrice: floorFen,
            ceilingPrice: terms.ceilingPrice, pricing: terms.pricing, tieBreak: .time, seed: 0, minBidQuantity: terms.minBidQuantity,
            maxSharePerMille: terms.maxSharePerMille, cancelIfUndersubscribed: false, referencePrice: nil,
            cancelBelowReferencePercent: nil, opensAt: terms.opensAt, closesAt: terms.closesAt)
        exchangeSteps.append(CycleExchangeStep(key: try keys.key("announce"), command: .announceAuction(auction)))
        var stage = CycleStagePlan(planID: plan.id, year: year, stage: .auction, unit: unit, steps: [], debts: [], entities: [])
        stage.supply = supply
        stage.exchangeSteps = exchangeSteps
        return stage
    }

    /// A validated plan's price (CNY, at most 2 decimals) in fen.
    public static func fen(_ price: ExactDecimal) -> Int64 {
        let trimmed = AllocationArithmetic.trimmed(price)
        precondition(trimmed.scale <= 2, "a validated plan's price has at most 2 decimals")
        return Int64(trimmed.mantissa * ExactDecimal.power(2 - trimmed.scale))
    }

    static func nationalAccount(_ registry: RegistryState) throws(AllocationError) -> AccountID {
        let id = CycleAllocation.nationalAccount
        guard let national = registry.accounts[id], national.type == .national else {
            throw AllocationError(.unknownAccount, "the registry has no national account \(id)")
        }
        guard national.status == .open else { throw AllocationError(.accountNotOpen, "\(id) is \(national.status.rawValue)") }
        return id
    }
}
