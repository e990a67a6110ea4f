/// A versioned allocation plan: the parameters of one sector's free allocation and compliance
/// for one year, as data. A regulator loads a plan (JSON, decimals as strings), reviews it and
/// publishes it; the calculators take a shipped plan by id or a whole plan object. Values the
/// sources do not confirm carry `verified: false` and a note (see docs/allocation.md).
public struct AllocationPlan: Hashable, Codable, Sendable {
    /// "power-2024": sector and year; a corrected plan keeps its id and raises `version`.
    public var id: String
    public var version: Int
    /// The emissions (compliance) year the plan allocates for.
    public var year: Int
    public var sector: String
    /// The plan type (JSON `"type"`; older plan objects say `"method"`): how a facility's
    /// final allocation is computed (`AllocationFormula`). `output_benchmark` when absent.
    public var method: Method
    public var source: String
    public var categories: [UnitCategory]
    /// Electricity output the benchmark multiplies: `generation` since the 2023-24 plans [rule].
    public var electricityOutput: ElectricityOutput
    /// The heat-supply correction of earlier plans (removed since the 2023-24 plans [rule]).
    public var heatSupplyCorrection: Bool
    /// Factor on air-cooled units' electricity allowance (categories with `cooling_correction`).
    public var airCoolingFactor: Factor
    /// Factor by load factor F on electricity allowance (categories with `load_factor_correction`).
    public var loadFactorCorrection: LoadFactorFunction
    /// Pre-allocation = this ratio × previous year's verified emissions (0.70).
    public var preAllocationRatio: ExactDecimal
    /// Gas units: final allocation raised to verified emissions where the formula gives less.
    public var gasCap: Bool
    /// Coal units: final allocation raised to this ratio × verified emissions (0.80); nil = no floor.
    public var coalFloorRatio: ExactDecimal?
    public var borrowing: Borrowing
    public var carryOver: CarryOver
    public var offsets: Offsets
    public var penalty: PenaltyRegime
    public var deadlines: Deadlines
    public var notes: [String]
    /// What happens to a true-up recall an entity cannot cover; nil means `add_to_obligation`.
    public var trueUpDebt: TrueUpDebt?
    /// `intensity_benchmark`, `benchmark_market_adjustment`: the products and their benchmarks.
    public var products: [ProductBenchmark]?
    /// `historical_emissions`: the base period; a facility gives one verified figure per year.
    public var baseYears: [Int]?
    /// `historical_emissions`: final = average base-period emissions × this factor.
    public var controlFactor: Factor?
    /// `historical_intensity_decline`: final = base intensity × (1 − this rate) × output.
    public var declineRate: Factor?
    /// `benchmark_market_adjustment` (Hubei): final = Σ benchmark × output × this factor.
    public var marketAdjustmentFactor: Factor?
    /// Share of the total (allocated + reserve) kept in the national reserve, not allocated.
    public var reserveShare: Factor?
    /// A share of the total sold through the exchange's one-way auction, out of the reserve.
    public var paidAllocation: PaidAllocation?

    /// A true-up debt is added to this year's compliance obligation, or deducted from next
    /// year's allocation.
    public enum TrueUpDebt: String, Codable, Sendable {
        case addToObligation = "add_to_obligation"
        case deductNextYear = "deduct_next_year"
    }

    public var effectiveTrueUpDebt: TrueUpDebt { trueUpDebt ?? .addToObligation }

    public init(
        id: String, version: Int, year: Int, sector: String, method: Method, source: String, categories: [UnitCategory],
        electricityOutput: ElectricityOutput, heatSupplyCorrection: Bool, airCoolingFactor: Factor,
        loadFactorCorrection: LoadFactorFunction, preAllocationRatio: ExactDecimal, gasCap: Bool, coalFloorRatio: ExactDecimal?,
        borrowing: Borrowing, carryOver: CarryOver, offsets: Offsets, penalty: PenaltyRegime, deadlines: Deadlines, notes: [String],
        trueUpDebt: TrueUpDebt? = nil, products: [ProductBenchmark]? = nil, baseYears: [Int]? = nil, controlFactor: Factor? = nil,
        declineRate: Factor? = nil, marketAdjustmentFactor: Factor? = nil, reserveShare: Factor? = nil, paidAllocation: PaidAllocation? = nil
    ) {
        self.trueUpDebt = trueUpDebt
        self.products = products
        self.baseYears = baseYears
        self.controlFactor = controlFactor
        self.declineRate = declineRate
        self.marketAdjustmentFactor = marketAdjustmentFactor
        self.reserveShare = reserveShare
        self.paidAllocation = paidAllocation
        self.id = id
        self.version = version
        self.year = year
        self.sector = sector
        self.method = method
        self.source = source
        self.categories = categories
        self.electricityOutput = electricityOutput
        self.heatSupplyCorrection = heatSupplyCorrection
        self.airCoolingFactor = airCoolingFactor
        self.loadFactorCorrection = loadFactorCorrection
        self.preAllocationRatio = preAllocationRatio
        self.gasCap = gasCap
        self.coalFloorRatio = coalFloorRatio
        self.borrowing = borrowing
        self.carryOver = carryOver
        self.offsets = offsets
        self.penalty = penalty
        self.deadlines = deadlines
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case id, version, year, sector, type, method, source, categories, borrowing, offsets, penalty, deadlines, notes, products
        case baseYears = "base_years"
        case controlFactor = "control_factor"
        case declineRate = "decline_rate"
        case marketAdjustmentFactor = "market_adjustment_factor"
        case reserveShare = "reserve_share"
        case paidAllocation = "paid_allocation"
        case electricityOutput = "electricity_output"
        case heatSupplyCorrection = "heat_supply_correction"
        case airCoolingFactor = "air_cooling_factor"
        case loadFactorCorrection = "load_factor_correction"
        case preAllocationRatio = "pre_allocation_ratio"
        case gasCap = "gas_cap"
        case coalFloorRatio = "coal_floor_ratio"
        case carryOver = "carry_over"
        case trueUpDebt = "true_up_debt"
    }

    public enum Method: String, Codable, Sendable {
        case outputBenchmark = "output_benchmark"
        case verifiedEmissions = "verified_emissions"
        case intensityBenchmark = "intensity_benchmark"
        case historicalEmissions = "historical_emissions"
        case historicalIntensityDecline = "historical_intensity_decline"
        case benchmarkMarketAdjustment = "benchmark_market_adjustment"
    }

    public enum ElectricityOutput: String, Codable, Sendable {
        case generation
        case supply
    }

    public enum Fuel: String, Codable, Sendable {
        case coal
        case gas
    }

    /// One unit category with its benchmarks (tCO2/MWh electricity, tCO2/GJ heat).
    public struct UnitCategory: Hashable, Codable, Sendable {
        /// "coal_gt300", "coal_le300", "coal_unconventional", "gas".
        public var id: String
        public var name: String
        /// Decides the burden cap: gas cap for gas, coal floor for coal.
        public var fuel: Fuel
        public var electricityBenchmark: ExactDecimal
        public var heatBenchmark: ExactDecimal
        /// The published balance values the benchmarks were set below (informative only).
        public var electricityBalance: ExactDecimal?
        public var heatBalance: ExactDecimal?
        public var coolingCorrection: Bool
        public var loadFactorCorrection: Bool

        public init(
            id: String, name: String, fuel: Fuel, electricityBenchmark: ExactDecimal, heatBenchmark: ExactDecimal,
            electricityBalance: ExactDecimal? = nil, heatBalance: ExactDecimal? = nil, coolingCorrection: Bool, loadFactorCorrection: Bool
        ) {
            self.id = id
            self.name = name
            self.fuel = fuel
            self.electricityBenchmark = electricityBenchmark
            self.heatBenchmark = heatBenchmark
            self.electricityBalance = electricityBalance
            self.heatBalance = heatBalance
            self.coolingCorrection = coolingCorrection
            self.loadFactorCorrection = loadFactorCorrection
        }

        enum CodingKeys: String, CodingKey {
            case id, name, fuel
            case electricityBenchmark = "electricity_benchmark"
            case heatBenchmark = "heat_benchmark"
            case electricityBalance = "electricity_balance"
            case heatBalance = "heat_balance"
            case coolingCorrection = "cooling_correction"
            case loadFactorCorrection = "load_factor_correction"
        }
    }

    /// A single factor, with whether a source confirms it.
    public struct Factor: Hashable, Codable, Sendable {
        public var value: ExactDecimal
        public var verified: Bool
        public var note: String

        public init(value: ExactDecimal, verified: Bool, note: String) {
            self.value = value
            self.verified = verified
            self.note = note
        }
    }

    /// A piecewise function of the load factor F (0-1), segment by segment: a segment applies
    /// for `from` ≤ F < `to` (no `to`: no upper bound). The segments must cover F ≥ 0 without
    /// gaps or overlaps.
    public struct LoadFactorFunction: Hashable, Codable, Sendable {
        public var segments: [LoadSegment]
        public var verified: Bool
        public var note: String

        public init(segments: [LoadSegment], verified: Bool, note: String) {
            self.segments = segments
            self.verified = verified
            self.note = note
        }
    }

    public struct LoadSegment: Hashable, Codable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// factor = constant
            case constant
            /// factor = constant + coefficient × (pivot − 100 × F)
            case linear
            /// factor = base ^ (exponent_constant − exponent_slope × F), evaluated in fixed
            /// point and rounded half up to `LoadFactorFunction.powerPlaces` decimals
            case power
        }

        public var from: ExactDecimal
        public var to: ExactDecimal?
        public var kind: Kind
        public var constant: ExactDecimal?
        public var coefficient: ExactDecimal?
        public var pivot: ExactDecimal?
        public var base: ExactDecimal?
        public var exponentConstant: ExactDecimal?
        public var exponentSlope: ExactDecimal?

        public init(
            from: ExactDecimal, to: ExactDecimal?, kind: Kind, constant: ExactDecimal? = nil, coefficient: ExactDecimal? = nil,
            pivot: ExactDecimal? = nil, base: ExactDecimal? = nil, exponentConstant: ExactDecimal? = nil, exponentSlope: ExactDecimal? = nil
        ) {
            self.from = from
            self.to = to
            self.kind = kind
            self.constant = constant
            self.coefficient = coefficient
            self.pivot = pivot
            self.base = base
            self.exponentConstant = exponentConstant
            self.exponentSlope = exponentSlope
        }

        enum CodingKeys: String, CodingKey {
            case from, to, kind, constant, coefficient, pivot, base
            case exponentConstant = "exponent_constant"
            case exponentSlope = "exponent_slope"
        }
    }

    /// Borrowing from the next year's pre-allocation (cycle 2 only): entities whose gap is at
    /// least `min_gap_ratio` of the obligation may borrow up to `max_share_of_gap` of the gap.
    public struct Borrowing: Hashable, Codable, Sendable {
        public var allowed: Bool
        public var minGapRatio: ExactDecimal
        public var maxShareOfGap: ExactDecimal
        public var note: String

        public init(allowed: Bool, minGapRatio: ExactDecimal, maxShareOfGap: ExactDecimal, note: String) {
            self.allowed = allowed
            self.minGapRatio = minGapRatio
            self.maxShareOfGap = maxShareOfGap
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case allowed, note
            case minGapRatio = "min_gap_ratio"
            case maxShareOfGap = "max_share_of_gap"
        }
    }

    /// Carry-over limit = base_t + net_sold_multiplier × max(0, net allowances sold), rounded down.
    public struct CarryOver: Hashable, Codable, Sendable {
        public var baseT: Int64
        public var netSoldMultiplier: ExactDecimal
        public var note: String
        /// What happens, after the surrender deadline, to allowances of vintages up to the plan
        /// year held above the limit. nil (plans published before the field) = `record`.
        public var excess: Excess?

        /// The consequence of an excess over the carry-over limit. The sources give the limit
        /// (seed 003) but not what becomes of the excess: `record` [unverified] records it per
        /// entity (stage `carry_over`) and moves nothing; a regulator changes the plan data
        /// when the rule is known.
        public enum Excess: String, Codable, Sendable, CaseIterable {
            case record
        }

        public init(baseT: Int64, netSoldMultiplier: ExactDecimal, note: String, excess: Excess? = nil) {
            self.baseT = baseT
            self.netSoldMultiplier = netSoldMultiplier
            self.note = note
            self.excess = excess
        }

        /// 10,000 + floor(1.5 × max(0, net sold)) under the seed plans.
        public func limitT(netSoldT: Int64) throws(AllocationError) -> Int64 {
            try baseT + AllocationArithmetic.flooredTonnes(AllocationArithmetic.times(netSoldMultiplier, max(0, netSoldT)))
        }

        enum CodingKeys: String, CodingKey {
            case note, excess
            case baseT = "base_t"
            case netSoldMultiplier = "net_sold_multiplier"
        }
    }

    /// CCER offsets: at most `limit_ratio` of the obligation (rounded down); CCERs registered
    /// before `legacy_registered_before` are usable only while the surrender deadline is on or
    /// before `legacy_usable_until`.
    public struct Offsets: Hashable, Codable, Sendable {
        public var limitRatio: ExactDecimal
        public var legacyRegisteredBefore: String
        public var legacyUsableUntil: String

        public init(limitRatio: ExactDecimal, legacyRegisteredBefore: String, legacyUsableUntil: String) {
            self.limitRatio = limitRatio
            self.legacyRegisteredBefore = legacyRegisteredBefore
            self.legacyUsableUntil = legacyUsableUntil
        }

        enum CodingKeys: String, CodingKey {
            case limitRatio = "limit_ratio"
            case legacyRegisteredBefore = "legacy_registered_before"
            case legacyUsableUntil = "legacy_usable_until"
        }
    }

    /// Penalty for the unsurrendered quantity. `fixed_range`: a fine of fixed_min-fixed_max CNY
    /// (cycles 1-2); `price_multiple`: min_multiple-max_multiple × the month-average price
    /// before the deadline × the shortfall (from 1 May 2024).
    public struct PenaltyRegime: Hashable, Codable, Sendable {
        public enum Kind: String, Codable, Sendable {
            case fixedRange = "fixed_range"
            case priceMultiple = "price_multiple"
        }

        public var kind: Kind
        public var fixedMinCNY: ExactDecimal?
        public var fixedMaxCNY: ExactDecimal?
        public var minMultiple: ExactDecimal?
        public var maxMultiple: ExactDecimal?
        /// The shortfall is also deducted from next year's allocation (if not corrected).
        public var deductShortfall: Bool
        public var source: String

        public init(
            kind: Kind, fixedMinCNY: ExactDecimal? = nil, fixedMaxCNY: ExactDecimal? = nil, minMultiple: ExactDecimal? = nil,
            maxMultiple: ExactDecimal? = nil, deductShortfall: Bool, source: String
        ) {
            self.kind = kind
            self.fixedMinCNY = fixedMinCNY
            self.fixedMaxCNY = fixedMaxCNY
            self.minMultiple = minMultiple
            self.maxMultiple = maxMultiple
            self.deductShortfall = deductShortfall
            self.source = source
        }

        enum CodingKeys: String, CodingKey {
            case kind, source
            case fixedMinCNY = "fixed_min_cny"
            case fixedMaxCNY = "fixed_max_cny"
            case minMultiple = "min_multiple"
            case maxMultiple = "max_multiple"
            case deductShortfall = "deduct_shortfall"
        }
    }

    /// The year's deadlines, "YYYY-MM-DD" (Beijing dates).
    public struct Deadlines: Hashable, Codable, Sendable {
        /// Monthly data due this many natural days after month end.
        public var monthlyDataDays: Int
        public var annualReport: String
        public var verification: String
        public var surrender: String
        /// Not in the sources for these plans: nil until a regulator sets it.
        public var preAllocation: String?

        public init(monthlyDataDays: Int, annualReport: String, verification: String, surrender: String, preAllocation: String?) {
            self.monthlyDataDays = monthlyDataDays
            self.annualReport = annualReport
            self.verification = verification
            self.surrender = surrender
            self.preAllocation = preAllocation
        }

        enum CodingKeys: String, CodingKey {
            case verification, surrender
            case monthlyDataDays = "monthly_data_days"
            case annualReport = "annual_report"
            case preAllocation = "pre_allocation"
        }
    }

    public func category(_ id: String) -> UnitCategory? { categories.first { $0.id == id } }

    public func product(_ id: String) -> ProductBenchmark? { products?.first { $0.id == id } }

    /// One product line's benchmark: tCO2 per unit of output (`unit`, e.g. "t clinker").
    public struct ProductBenchmark: Hashable, Codable, Sendable {
        public var id: String
        public var name: String
        public var unit: String
        public var benchmark: ExactDecimal
        public var verified: Bool
        public var note: String

        public init(id: String, name: String, unit: String, benchmark: ExactDecimal, verified: Bool, note: String) {
            self.id = id
            self.name = name
            self.unit = unit
            self.benchmark = benchmark
            self.verified = verified
            self.note = note
        }
    }

    /// Paid allocation: `share` of the total put up in the exchange's one-way auction (sell
    /// side, out of the reserve) at no less than `floor_price` CNY/t.
    public struct PaidAllocation: Hashable, Codable, Sendable {
        public var share: ExactDecimal
        public var floorPrice: ExactDecimal
        public var verified: Bool
        public var note: String

        public init(share: ExactDecimal, floorPrice: ExactDecimal, verified: Bool, note: String) {
            self.share = share
            self.floorPrice = floorPrice
            self.verified = verified
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case share, verified, note
            case floorPrice = "floor_price"
        }
    }
}
