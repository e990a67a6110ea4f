/// Power-unit allocation under an output-benchmark plan: pre-allocation, formula, gas cap and
/// coal floor, and the true-up.
///
///     pre_allocation_t = round(pre_allocation_ratio × previous_verified_t)
///     formula_t        = round(B_elec × generation × cooling × load-factor correction + B_heat × heat)
///     final_t          = gas:  max(formula_t, verified_t)                    (gas cap)
///                        coal: max(formula_t, round(coal_floor_ratio × verified_t))  (coal floor)
///     true_up_t        = final_t − pre_allocation_t   (negative: a recall)
///
/// Exact decimals throughout; `round` is half up to whole tonnes, once per amount on its full value.
public enum AllocationCalculator {
    public struct UnitInput: Hashable, Codable, Sendable {
        public var id: String?
        public var category: String?
        public var generationMWh: String?
        public var heatSuppliedGJ: String?
        /// "water" or "air".
        public var cooling: String?
        /// Load (output) factor as a fraction, e.g. "0.78".
        public var loadFactor: String?
        public var previousVerifiedT: Int64?
        public var verifiedT: Int64?
        /// `intensity_benchmark`, `benchmark_market_adjustment`: output per product line.
        public var products: [ProductOutput]?
        /// `historical_emissions`: verified emissions of each of the plan's base years, in order.
        public var baseEmissionsT: [Int64]?
        /// `historical_intensity_decline`: the facility's base-period tCO2 per unit of output.
        public var baseIntensity: String?
        /// `historical_intensity_decline`: this year's output.
        public var output: String?

        public init(
            id: String?, category: String?, generationMWh: String?, heatSuppliedGJ: String? = nil, cooling: String? = nil,
            loadFactor: String? = nil, previousVerifiedT: Int64?, verifiedT: Int64?, products: [ProductOutput]? = nil,
            baseEmissionsT: [Int64]? = nil, baseIntensity: String? = nil, output: String? = nil
        ) {
            self.products = products
            self.baseEmissionsT = baseEmissionsT
            self.baseIntensity = baseIntensity
            self.output = output
            self.id = id
            self.category = category
            self.generationMWh = generationMWh
            self.heatSuppliedGJ = heatSuppliedGJ
            self.cooling = cooling
            self.loadFactor = loadFactor
            self.previousVerifiedT = previousVerifiedT
            self.verifiedT = verifiedT
        }

        enum CodingKeys: String, CodingKey {
            case id, category, cooling, products, output
            case baseEmissionsT = "base_emissions_t"
            case baseIntensity = "base_intensity"
            case generationMWh = "generation_mwh"
            case heatSuppliedGJ = "heat_supplied_gj"
            case loadFactor = "load_factor"
            case previousVerifiedT = "previous_verified_t"
            case verifiedT = "verified_t"
        }
    }

    /// One product line of a facility: the product (a plan product id) and its output.
    public struct ProductOutput: Hashable, Codable, Sendable {
        public var product: String?
        public var output: String?

        public init(product: String?, output: String?) {
            self.product = product
            self.output = output
        }
    }

    public struct Input: Hashable, Codable, Sendable {
        public var plan: PlanReference?
        public var units: [UnitInput]?

        public init(plan: PlanReference?, units: [UnitInput]?) {
            self.plan = plan
            self.units = units
        }
    }

    public enum Rule: String, Codable, Sendable {
        case formula
        case gasCap = "gas_cap"
        case coalFloor = "coal_floor"
    }

    public struct UnitResult: Hashable, Codable, Sendable {
        public var id: String
        public var preAllocationT: Int64
        public var formulaT: Int64
        public var finalT: Int64
        public var rule: Rule
        public var trueUpT: Int64

        public init(id: String, preAllocationT: Int64, formulaT: Int64, finalT: Int64, rule: Rule, trueUpT: Int64) {
            self.id = id
            self.preAllocationT = preAllocationT
            self.formulaT = formulaT
            self.finalT = finalT
            self.rule = rule
            self.trueUpT = trueUpT
        }

        enum CodingKeys: String, CodingKey {
            case id, rule
            case preAllocationT = "pre_allocation_t"
            case formulaT = "formula_t"
            case finalT = "final_t"
            case trueUpT = "true_up_t"
        }
    }

    public struct Output: Hashable, Codable, Sendable {
        public var units: [UnitResult]
        /// Plans with a reserve share: Σ final_t, the reserve and the paid allocation.
        public var supply: AllocationSupply?
    }

    /// Plausibility limits: beyond them a value is rejected as `OUT_OF_RANGE` (or, for counts,
    /// `LIMIT_EXCEEDED`) rather than computed.
    public enum Limits {
        public static let maxUnits = 100_000
        public static let maxIdLength = 128
        /// A unit-year: the largest plants generate ~3×10^7 MWh.
        public static let maxGenerationMWh = ExactDecimal(100_000_000)
        public static let maxHeatSuppliedGJ = ExactDecimal(1_000_000_000)
        public static let maxLoadFactor = ExactDecimal(mantissa: 12, scale: 1)
        /// Decimals accepted in generation, heat and load factor.
        public static let maxInputPlaces = 4
        public static let maxTonnes: Int64 = 1_000_000_000
    }

    public static func calculate(_ input: Input, plans: [AllocationPlan] = AllocationPlan.shipped) throws(AllocationError) -> Output {
        guard let reference = input.plan else { throw AllocationError(.missingField, "plan is missing (an id such as \"power-2024\" or a plan object)") }
        guard let units = input.units else { throw AllocationError(.missingField, "units is missing") }
        let plan = try reference.resolve(in: plans)
        try requireComputable(plan)
        guard units.count <= Limits.maxUnits else { throw AllocationError(.limitExceeded, "at most \(Limits.maxUnits) units per request") }
        var seen: Set<String> = []
        var results: [UnitResult] = []
        results.reserveCapacity(units.count)
        for unit in units {
            let result = try allocate(unit, plan: plan)
            guard seen.insert(result.id).inserted else { throw AllocationError(.duplicateId, "unit id '\(result.id)' is given twice") }
            results.append(result)
        }
        let allocatedT = results.reduce(Int64(0)) { $0 + $1.finalT }
        return Output(units: results, supply: try AllocationSupply.compute(plan: plan, allocatedT: allocatedT))
    }

    /// The plan features this calculator implements; others are rejected rather than ignored.
    public static func requireComputable(_ plan: AllocationPlan) throws(AllocationError) {
        guard plan.method == .outputBenchmark else { return }
        guard plan.electricityOutput == .generation, !plan.heatSupplyCorrection else {
            throw AllocationError(.invalidPlan, "plan '\(plan.id)': supply-based output and the heat-supply correction need inputs this calculator does not take")
        }
    }

    /// One unit under a validated, computable plan.
    static func allocate(_ unit: UnitInput, plan: AllocationPlan) throws(AllocationError) -> UnitResult {
        guard let id = unit.id else { throw AllocationError(.missingField, "a unit has no id") }
        guard !id.isEmpty, id.utf8.count <= Limits.maxIdLength else {
            throw AllocationError(.invalidValue, "unit id '\(id)' must be 1-\(Limits.maxIdLength) characters")
        }
        if plan.method != .outputBenchmark { return try allocateByFormula(unit, id: id, plan: plan) }
        guard let categoryId = unit.category else { throw AllocationError(.missingField, "\(id): category is missing") }
        guard let category = plan.category(categoryId) else {
            let known = plan.categories.map(\.id).joined(separator: ", ")
            throw AllocationError(.unknownCategory, "\(id): plan \(plan.id) has no category '\(categoryId)' (\(known))")
        }
        let previousT = try AllocationArithmetic.tonnes(unit.previousVerifiedT, "previous_verified_t", at: id, max: Limits.maxTonnes)
        let verifiedT = try AllocationArithmetic.tonnes(unit.verifiedT, "verified_t", at: id, max: Limits.maxTonnes)
        let formula = try formulaValue(unit, id: id, category: category, plan: plan)

        let preAllocationT = try AllocationArithmetic.roundedTonnes(AllocationArithmetic.times(plan.preAllocationRatio, previousT))
        let formulaT = try AllocationArithmetic.roundedTonnes(formula)
        var finalT = formulaT
        var rule = Rule.formula
        switch category.fuel {
        case .gas:
            if plan.gasCap && verifiedT > formulaT {
                finalT = verifiedT
                rule = .gasCap
            }
        case .coal:
            if let ratio = plan.coalFloorRatio {
                let floorT = try AllocationArithmetic.roundedTonnes(AllocationArithmetic.times(ratio, verifiedT))
                if floorT > formulaT {
                    finalT = floorT
                    rule = .coalFloor
                }
            }
        }
        assert(finalT >= formulaT, "a cap or floor only ever raises the allocation")
        return UnitResult(id: id, preAllocationT: preAllocationT, formulaT: formulaT, finalT: finalT, rule: rule, trueUpT: finalT - preAllocationT)
    }

    /// A plan type without caps or floors: final = the type's formula (`AllocationFormula`).
    static func allocateByFormula(_ unit: UnitInput, id: String, plan: AllocationPlan) throws(AllocationError) -> UnitResult {
        if let label = unit.category, label.isEmpty || label.utf8.count > Limits.maxIdLength {
            throw AllocationError(.invalidValue, "\(id): category '\(label)' must be 1-\(Limits.maxIdLength) characters")
        }
        let previousT = try AllocationArithmetic.tonnes(unit.previousVerifiedT, "previous_verified_t", at: id, max: Limits.maxTonnes)
        if unit.verifiedT != nil { _ = try AllocationArithmetic.tonnes(unit.verifiedT, "verified_t", at: id, max: Limits.maxTonnes) }
        let finalT = try AllocationFormula.finalT(unit, id: id, plan: plan)
        let preAllocationT = try AllocationArithmetic.roundedTonnes(AllocationArithmetic.times(plan.preAllocationRatio, previousT))
        return UnitResult(id: id, preAllocationT: preAllocationT, formulaT: finalT, finalT: finalT, rule: .formula, trueUpT: finalT - preAllocationT)
    }

    /// B_elec × generation × cooling × load correction + B_heat × heat, exact (not rounded).
    static func formulaValue(
        _ unit: UnitInput, id: String, category: AllocationPlan.UnitCategory, plan: AllocationPlan
    ) throws(AllocationError) -> ExactDecimal {
        let places = Limits.maxInputPlaces
        guard let generationText = unit.generationMWh else { throw AllocationError(.missingField, "\(id): generation_mwh is missing") }
        let generation = try AllocationArithmetic.decimal(generationText, "generation_mwh", at: id, places: places, max: Limits.maxGenerationMWh)
        var heat = ExactDecimal.zero
        if let text = unit.heatSuppliedGJ {
            heat = try AllocationArithmetic.decimal(text, "heat_supplied_gj", at: id, places: places, max: Limits.maxHeatSuppliedGJ)
        }

        var cooling = ExactDecimal(1)
        switch unit.cooling {
        case nil:
            guard !category.coolingCorrection else { throw AllocationError(.missingField, "\(id): cooling (\"water\" or \"air\") is missing") }
        case "water"?:
            break
        case "air"?:
            if category.coolingCorrection { cooling = plan.airCoolingFactor.value }
        case let other?:
            throw AllocationError(.unknownCooling, "\(id): cooling '\(other)' is neither \"water\" nor \"air\"")
        }

        var loadCorrection = ExactDecimal(1)
        if let text = unit.loadFactor {
            let load = try AllocationArithmetic.decimal(text, "load_factor", at: id, places: places, max: Limits.maxLoadFactor)
            if category.loadFactorCorrection { loadCorrection = try plan.loadFactorCorrection.factor(at: load) }
        } else if category.loadFactorCorrection {
            throw AllocationError(.missingField, "\(id): load_factor is missing (category \(category.id) has a load-factor correction)")
        }

        do {
            let electricity = try category.electricityBenchmark.multiplied(by: generation)
                .multiplied(by: AllocationArithmetic.trimmed(cooling)).multiplied(by: loadCorrection)
            return try electricity.adding(category.heatBenchmark.multiplied(by: heat))
        } catch {
            throw AllocationError(.limitExceeded, "\(id): the amounts are too large to compute exactly")
        }
    }
}
