/// An entity's surrender against its obligation under a plan: which units it surrenders,
/// its shortfall, its carry-over limit and the penalty range.
///
///     ccer_usable_t      = min(floor(offsets.limit_ratio × obligation_t), eligible CCER held)
///     surrender          = usable CCER, then CEA of vintages up to the plan year, oldest first;
///                          then, where the plan allows borrowing and the gap is at least
///                          min_gap_ratio × obligation, CEA of vintage year + 1 only, up to
///                          floor(max_share_of_gap × gap)
///     shortfall_t        = obligation_t − surrendered (never negative)
///     carry_over_limit_t = base_t + floor(net_sold_multiplier × max(0, net_sold_t))
///     penalty            = fixed_range: the fixed fine range; price_multiple: min/max multiple ×
///                          month_average_price × shortfall_t, half up to 0.01 CNY; 0.00 when compliant
public enum ComplianceCalculator {
    public struct HoldingInput: Hashable, Codable, Sendable {
        /// "CEA" or "CCER".
        public var type: String?
        /// CEA: "2024" or "2019-2020" (required). CCER: optional, only orders the surrender.
        public var vintage: String?
        public var quantity: Int64?
        /// CCER: the caller's statement that the credits are eligible (not from a project inside
        /// an ETS-covered facility). Required for CCER.
        public var eligible: Bool?
        /// CCER: registration date, "YYYY-MM-DD"; before the plan's legacy cut-off such credits
        /// are usable only while the surrender deadline is on or before `legacy_usable_until`.
        public var registeredOn: String?

        public init(type: String?, vintage: String? = nil, quantity: Int64?, eligible: Bool? = nil, registeredOn: String? = nil) {
            self.type = type
            self.vintage = vintage
            self.quantity = quantity
            self.eligible = eligible
            self.registeredOn = registeredOn
        }

        enum CodingKeys: String, CodingKey {
            case type, vintage, quantity, eligible
            case registeredOn = "registered_on"
        }
    }

    public struct EntityInput: Hashable, Codable, Sendable {
        public var id: String?
        public var obligationT: Int64?
        public var holdings: [HoldingInput]?
        /// Allowances sold − bought (settled deals and transfers); negative for a net buyer.
        public var netSoldT: Int64?
        /// Average trading price of the month before the deadline, CNY/t (price_multiple regime).
        public var monthAveragePrice: String?

        public init(id: String?, obligationT: Int64?, holdings: [HoldingInput]?, netSoldT: Int64?, monthAveragePrice: String? = nil) {
            self.id = id
            self.obligationT = obligationT
            self.holdings = holdings
            self.netSoldT = netSoldT
            self.monthAveragePrice = monthAveragePrice
        }

        enum CodingKeys: String, CodingKey {
            case id, holdings
            case obligationT = "obligation_t"
            case netSoldT = "net_sold_t"
            case monthAveragePrice = "month_average_price"
        }
    }

    public struct Input: Hashable, Codable, Sendable {
        public var plan: PlanReference?
        public var entities: [EntityInput]?

        public init(plan: PlanReference?, entities: [EntityInput]?) {
            self.plan = plan
            self.entities = entities
        }
    }

    public struct SurrenderLine: Hashable, Codable, Sendable {
        public var type: String
        /// "" for a CCER holding given without a vintage.
        public var vintage: String
        public var quantity: Int64

        public init(type: String, vintage: String, quantity: Int64) {
            self.type = type
            self.vintage = vintage
            self.quantity = quantity
        }
    }

    public enum Status: String, Codable, Sendable {
        case compliant
        case shortfall
    }

    public struct EntityResult: Hashable, Codable, Sendable {
        public var id: String
        public var ccerUsableT: Int64
        public var surrender: [SurrenderLine]
        public var shortfallT: Int64
        public var carryOverLimitT: Int64
        /// CNY, 2 decimals.
        public var penaltyMin: String
        public var penaltyMax: String
        public var status: Status

        enum CodingKeys: String, CodingKey {
            case id, surrender, status
            case ccerUsableT = "ccer_usable_t"
            case shortfallT = "shortfall_t"
            case carryOverLimitT = "carry_over_limit_t"
            case penaltyMin = "penalty_min"
            case penaltyMax = "penalty_max"
        }
    }

    public struct Output: Hashable, Codable, Sendable {
        public var entities: [EntityResult]
    }

    public enum Limits {
        public static let maxEntities = 100_000
        public static let maxHoldingsPerEntity = 1_000
        public static let maxIdLength = 128
        public static let maxTonnes: Int64 = 1_000_000_000
        /// CNY per tonne; the market has traded at 40-100.
        public static let maxPrice = ExactDecimal(100_000)
        public static let vintageYears = 2013...2100
    }

    public static func calculate(_ input: Input, plans: [AllocationPlan] = AllocationPlan.shipped) throws(AllocationError) -> Output {
        guard let reference = input.plan else { throw AllocationError(.missingField, "plan is missing (an id such as \"power-2024\" or a plan object)") }
        guard let entities = input.entities else { throw AllocationError(.missingField, "entities is missing") }
        let plan = try reference.resolve(in: plans)
        guard entities.count <= Limits.maxEntities else {
            throw AllocationError(.limitExceeded, "at most \(Limits.maxEntities) entities per request")
        }
        var seen: Set<String> = []
        var results: [EntityResult] = []
        results.reserveCapacity(entities.count)
        for entity in entities {
            let result = try assess(entity, plan: plan)
            guard seen.insert(result.id).inserted else { throw AllocationError(.duplicateId, "entity id '\(result.id)' is given twice") }
            results.append(result)
        }
        return Output(entities: results)
    }

    /// Usable holdings of one entity, merged by vintage.
    struct Usable {
        /// CCER that may offset: eligible, and not legacy credits past their end date.
        var ccer: [String: Int64] = [:]
        /// CEA by vintage, with the vintage's first and last year.
        var cea: [String: (first: Int, last: Int, quantity: Int64)] = [:]
    }

    /// One entity under a validated plan.
    static func assess(_ entity: EntityInput, plan: AllocationPlan) throws(AllocationError) -> EntityResult {
        guard let id = entity.id else { throw AllocationError(.missingField, "an entity has no id") }
        guard !id.isEmpty, id.utf8.count <= Limits.maxIdLength else {
            throw AllocationError(.invalidValue, "entity id '\(id)' must be 1-\(Limits.maxIdLength) characters")
        }
        let obligationT = try AllocationArithmetic.tonnes(entity.obligationT, "obligation_t", at: id, max: Limits.maxTonnes)
        guard let netSoldT = entity.netSoldT else { throw AllocationError(.missingField, "\(id): net_sold_t is missing") }
        guard netSoldT.magnitude <= Limits.maxTonnes.magnitude else {
            throw AllocationError(.outOfRange, "\(id): net_sold_t \(netSoldT) is beyond ±\(Limits.maxTonnes) t")
        }
        var price: ExactDecimal?
        if let text = entity.monthAveragePrice {
            price = try AllocationArithmetic.decimal(text, "month_average_price", at: id, places: ExactDecimal.maxParsedScale, max: Limits.maxPrice)
        }
        let usable = try usableHoldings(entity.holdings ?? [], id: id, plan: plan)

        let ccerHeldT = usable.ccer.values.reduce(0, +)
        let ccerLimitT = try AllocationArithmetic.flooredTonnes(AllocationArithmetic.times(plan.offsets.limitRatio, obligationT))
        let ccerUsableT = min(ccerLimitT, ccerHeldT)
        var remainingT = obligationT
        var surrender: [SurrenderLine] = []
        func take(_ type: String, _ vintage: String, _ availableT: Int64, upTo limitT: Int64) -> Int64 {
            let quantityT = min(availableT, limitT, remainingT)
            if quantityT > 0 {
                surrender.append(SurrenderLine(type: type, vintage: vintage, quantity: quantityT))
                remainingT -= quantityT
            }
            return quantityT
        }
        var ccerLeftT = ccerUsableT
        for vintage in usable.ccer.keys.sorted() {
            ccerLeftT -= take("CCER", vintage, usable.ccer[vintage]!, upTo: ccerLeftT)
        }
        let ordered = usable.cea.sorted { ($0.value.first, $0.value.last) < ($1.value.first, $1.value.last) }
        for (vintage, holding) in ordered where holding.last <= plan.year {
            _ = take("CEA", vintage, holding.quantity, upTo: remainingT)
        }
        if plan.borrowing.allowed, remainingT > 0,
            try ExactDecimal(remainingT) >= AllocationArithmetic.times(plan.borrowing.minGapRatio, obligationT)
        {
            var borrowLeftT = try AllocationArithmetic.flooredTonnes(AllocationArithmetic.times(plan.borrowing.maxShareOfGap, remainingT))
            // From the next allocation only: vintage year + 1 exactly (the registry's borrowing
            // surrender takes no other); floor(max_share_of_gap × gap) whole tonnes.
            for (vintage, holding) in ordered where holding.first == plan.year + 1 && holding.last == plan.year + 1 {
                borrowLeftT -= take("CEA", vintage, holding.quantity, upTo: borrowLeftT)
            }
        }
        assert(remainingT >= 0 && remainingT <= obligationT)

        let carryOverLimitT = try plan.carryOver.limitT(netSoldT: netSoldT)
        let (penaltyMin, penaltyMax) = try penalty(shortfallT: remainingT, price: price, id: id, plan: plan)
        return EntityResult(
            id: id, ccerUsableT: ccerUsableT, surrender: surrender, shortfallT: remainingT, carryOverLimitT: carryOverLimitT,
            penaltyMin: penaltyMin, penaltyMax: penaltyMax, status: remainingT == 0 ? .compliant : .shortfall)
    }

    static func usableHoldings(_ holdings: [HoldingInput], id: String, plan: AllocationPlan) throws(AllocationError) -> Usable {
        guard holdings.count <= Limits.maxHoldingsPerEntity else {
            throw AllocationError(.limitExceeded, "\(id): at most \(Limits.maxHoldingsPerEntity) holdings per entity")
        }
        // Legacy CCERs are judged at the plan's surrender deadline.
        let legacyExpired = plan.deadlines.surrender > plan.offsets.legacyUsableUntil
        var usable = Usable()
        for (index, holding) in holdings.enumerated() {
            let at = "\(id) holding \(index + 1)"
            guard let type = holding.type else { throw AllocationError(.missingField, "\(at): type is missing") }
            let quantityT = try AllocationArithmetic.tonnes(holding.quantity, "quantity", at: at, max: Limits.maxTonnes)
            switch type {
            case "CEA":
                guard let vintage = holding.vintage else { throw AllocationError(.missingField, "\(at): a CEA holding needs its vintage") }
                let years = try vintageYears(vintage, at: at)
                usable.cea[vintage, default: (years.first, years.last, 0)].quantity += quantityT
            case "CCER":
                guard let eligible = holding.eligible else { throw AllocationError(.missingField, "\(at): a CCER holding needs eligible (true/false)") }
                if let vintage = holding.vintage { _ = try vintageYears(vintage, at: at) }
                var legacy = false
                if let registered = holding.registeredOn {
                    guard AllocationArithmetic.isDate(registered) else {
                        throw AllocationError(.invalidValue, "\(at): registered_on '\(registered)' is not a date YYYY-MM-DD")
                    }
                    legacy = registered < plan.offsets.legacyRegisteredBefore
                }
                if eligible && !(legacy && legacyExpired) {
                    usable.ccer[holding.vintage ?? "", default: 0] += quantityT
                }
            default:
                throw AllocationError(.unknownUnitType, "\(at): unit type '\(type)' is neither \"CEA\" nor \"CCER\"")
            }
        }
        return usable
    }

    /// "2024" → (2024, 2024); "2019-2020" → (2019, 2020).
    static func vintageYears(_ text: String, at: String) throws(AllocationError) -> (first: Int, last: Int) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let years = parts.compactMap { part in part.utf8.count == 4 && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } ? Int(part) : nil }
        guard (1...2).contains(parts.count), years.count == parts.count, let first = years.first, let last = years.last,
            Limits.vintageYears.contains(first), Limits.vintageYears.contains(last), first <= last
        else {
            throw AllocationError(.invalidVintage, "\(at): vintage '\(text)' is not YYYY or YYYY-YYYY within \(Limits.vintageYears)")
        }
        return (first, last)
    }

    /// The penalty range for the shortfall, as CNY strings with 2 decimals.
    static func penalty(
        shortfallT: Int64, price: ExactDecimal?, id: String, plan: AllocationPlan
    ) throws(AllocationError) -> (String, String) {
        guard shortfallT > 0 else { return ("0.00", "0.00") }
        let regime = plan.penalty
        let low: ExactDecimal
        let high: ExactDecimal
        do {
            switch regime.kind {
            case .fixedRange:
                low = regime.fixedMinCNY!
                high = regime.fixedMaxCNY!
            case .priceMultiple:
                guard let price else {
                    throw AllocationError(
                        .missingField, "\(id): month_average_price is missing (plan \(plan.id) fines a multiple of it per unsurrendered tonne)")
                }
                let base = try price.multiplied(by: ExactDecimal(shortfallT))
                low = try regime.minMultiple!.multiplied(by: base)
                high = try regime.maxMultiple!.multiplied(by: base)
            }
            return (try low.rounded(to: 2).description, try high.rounded(to: 2).description)
        } catch let error as AllocationError {
            throw error
        } catch {
            throw AllocationError(.limitExceeded, "\(id): the penalty is too large to compute exactly")
        }
    }
}
