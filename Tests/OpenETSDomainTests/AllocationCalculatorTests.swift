import Foundation
import OpenETSDomain
import Testing

@Suite("Allocation calculator against hand-computed values")
struct AllocationCalculatorTests {
    typealias C = AllocationCalculator

    static func unit(
        _ id: String = "U1", _ category: String = "coal_gt300", generation: String = "1000000", heat: String? = nil,
        cooling: String? = "water", load: String? = "0.90", previous: Int64? = 0, verified: Int64? = 0
    ) -> C.UnitInput {
        C.UnitInput(
            id: id, category: category, generationMWh: generation, heatSuppliedGJ: heat, cooling: cooling, loadFactor: load,
            previousVerifiedT: previous, verifiedT: verified)
    }

    func run(_ units: [C.UnitInput], plan: String = "power-2024") throws -> [C.UnitResult] {
        try C.calculate(C.Input(plan: .id(plan), units: units)).units
    }

    func one(_ unit: C.UnitInput, plan: String = "power-2024") throws -> C.UnitResult { try run([unit], plan: plan)[0] }

    func code(_ input: C.Input) -> AllocationErrorCode? {
        do {
            _ = try C.calculate(input)
            return nil
        } catch {
            return error.code
        }
    }

    func code(_ unit: C.UnitInput) -> AllocationErrorCode? { code(C.Input(plan: .id("power-2024"), units: [unit])) }

    @Test func formulaRuleWithPreAllocationAndTrueUp() throws {
        // 1,000,000 MWh × 0.7910 = 791,000; floor 0.80 × 900,000 = 720,000 is lower; pre 0.70 × 850,000 = 595,000.
        let result = try one(Self.unit(previous: 850_000, verified: 900_000))
        #expect(result == C.UnitResult(id: "U1", preAllocationT: 595_000, formulaT: 791_000, finalT: 791_000, rule: .formula, trueUpT: 196_000))
    }

    @Test func the2023PlanHasItsOwnBenchmarks() throws {
        // 2023: coal > 300 MW 0.7950; gas 0.3305 and heat 0.0536.
        #expect(try one(Self.unit(), plan: "power-2023").formulaT == 795_000)
        let gas = Self.unit("G", "gas", generation: "200000", heat: "100000", cooling: nil, load: nil)
        #expect(try one(gas, plan: "power-2023").formulaT == 66_100 + 5_360)
    }

    @Test func coalFloorRaisesTheFormulaOnlyWhereItGivesLess() throws {
        // coal ≤ 300 MW: 100,000 × 0.8049 = 80,490.
        let raised = try one(Self.unit("C", "coal_le300", generation: "100000", previous: 100_001, verified: 110_000))
        // floor 0.80 × 110,000 = 88,000; pre 0.70 × 100,001 = 70,000.7 → 70,001.
        #expect(raised == C.UnitResult(id: "C", preAllocationT: 70_001, formulaT: 80_490, finalT: 88_000, rule: .coalFloor, trueUpT: 17_999))
        // 0.80 × 100,612 = 80,489.6 → 80,490 = formula: not raised.
        #expect(try one(Self.unit("C", "coal_le300", generation: "100000", verified: 100_612)).rule == .formula)
        // 0.80 × 100,613 = 80,490.4 → 80,490: still equal.
        #expect(try one(Self.unit("C", "coal_le300", generation: "100000", verified: 100_613)).finalT == 80_490)
        // 0.80 × 100,614 = 80,491.2 → 80,491 > 80,490: raised by one tonne.
        let edge = try one(Self.unit("C", "coal_le300", generation: "100000", verified: 100_614))
        #expect(edge.finalT == 80_491 && edge.rule == .coalFloor)
        // Unconventional coal has the floor too.
        let unconventional = try one(Self.unit("X", "coal_unconventional", generation: "1000", load: nil, verified: 2_000))
        #expect(unconventional.formulaT == 824 && unconventional.finalT == 1_600 && unconventional.rule == .coalFloor)
    }

    @Test func gasCapRaisesToVerifiedEmissionsOnlyWhereTheFormulaGivesLess() throws {
        // 200,000 MWh × 0.3288 = 65,760 + 100,000 GJ × 0.0533 = 5,330 → 71,090.
        func gas(_ verified: Int64) throws -> C.UnitResult {
            try one(Self.unit("G", "gas", generation: "200000", heat: "100000", cooling: nil, load: nil, previous: 90_000, verified: verified))
        }
        #expect(try gas(80_000) == C.UnitResult(id: "G", preAllocationT: 63_000, formulaT: 71_090, finalT: 80_000, rule: .gasCap, trueUpT: 17_000))
        #expect(try gas(71_091).finalT == 71_091)
        #expect(try gas(71_090).rule == .formula)
        let below = try gas(60_000)
        #expect(below.finalT == 71_090 && below.rule == .formula)
        // No coal floor for gas, no gas cap for coal: a coal unit emitting more keeps only the floor.
        #expect(try one(Self.unit(generation: "1000", verified: 5_000)).finalT == 4_000)
    }

    @Test func roundingIsHalfUpOncePerUnitOnTheFullValue() throws {
        // 500 × 0.7910 = 395.5 → 396.
        #expect(try one(Self.unit(generation: "500")).formulaT == 396)
        // 400 × 0.7910 = 316.4 and 8,000 GJ × 0.1033 = 826.4: 1,142.8 → 1,143 (parts rounded apart: 1,142).
        #expect(try one(Self.unit(generation: "400", heat: "8000")).formulaT == 1_143)
        // Pre-allocation: 0.70 × 5 = 3.5 → 4; 0.70 × 15 = 10.5 → 11; 0.70 × 1 = 0.7 → 1; 0.70 × 2 = 1.4 → 1.
        for (previous, pre) in [(Int64(5), Int64(4)), (15, 11), (1, 1), (2, 1), (0, 0)] {
            #expect(try one(Self.unit(generation: "0", previous: previous)).preAllocationT == pre, "\(previous)")
        }
    }

    @Test func coolingAndLoadFactorCorrections() throws {
        func formula(_ cooling: String, _ load: String, _ category: String = "coal_gt300") throws -> Int64 {
            try one(Self.unit("U", category, cooling: cooling, load: load)).formulaT
        }
        #expect(try formula("air", "0.90") == 830_550)  // 791,000 × 1.05
        #expect(try formula("water", "0.85") == 791_000)  // F ≥ 0.85 → 1
        #expect(try formula("water", "0.8499") == 791_011)  // 1 + 0.0014 × 0.01 = 1.000014 → 791,011.074
        #expect(try formula("water", "0.82") == 794_322)  // 1 + 0.0014 × 3 = 1.0042 → 794,322.2
        #expect(try formula("air", "0.82") == 834_038)  // × 1.05 × 1.0042 = 834,038.31
        #expect(try formula("water", "0.80") == 796_537)  // 1.007
        #expect(try formula("water", "0.78") == 799_068)  // 1.007 + 0.0016 × 2 = 1.0102 → 799,068.2
        #expect(try formula("water", "0.75") == 802_865)  // 1.015^1 = 1.015
        #expect(try formula("water", "0.70") == 814_908)  // 1.015^2 = 1.030225 → 814,907.975
        #expect(try formula("water", "0.72") == 810_069)  // 1.015^1.6 = 1.0241077851 → 810,069.26
        // Unconventional coal: cooling yes, load factor no; gas: neither.
        #expect(try formula("water", "0.50", "coal_unconventional") == 824_400)
        #expect(try formula("air", "0.50", "coal_unconventional") == 865_620)
        #expect(try one(Self.unit("G", "gas", generation: "1000", cooling: "air", load: "0.30")).formulaT == 329)
    }

    @Test func loadFactorFunctionValues() throws {
        let function = AllocationPlan.seed[1].loadFactorCorrection
        #expect(!function.verified)
        func at(_ load: String) throws -> String { try function.factor(at: ExactDecimal(load)!).description }
        #expect(try at("0.70") == "1.030225")
        #expect(try at("0.72") == "1.0241077851")  // 1.02410778512590…
        #expect(try at("0.50") == "1.0934432639")  // 1.015^6 = 1.093443263942640625
        #expect(try at("0") == "1.2689855477")  // 1.015^16 = 1.26898554765…
        #expect(try at("0.7499") == "1.0150302243")
        #expect(try at("0.75") == "1.015")
        #expect(try at("1.2") == "1")
    }

    @Test func aRecallLargerThanTheHoldingIsANegativeTrueUp() throws {
        // Pre 0.70 × 1,000,000 = 700,000; formula 500,000 × 0.7910 = 395,500 (floor 384,000 lower).
        let result = try one(Self.unit(generation: "500000", previous: 1_000_000, verified: 480_000))
        #expect(result.finalT == 395_500 && result.trueUpT == -304_500)
    }

    @Test func shippedPlansAreValidAndMarkUnverifiedValues() throws {
        #expect(AllocationPlan.seed.map(\.id) == ["power-2023", "power-2024"])
        for plan in AllocationPlan.seed {
            try plan.validate()
            #expect(!plan.airCoolingFactor.verified && !plan.loadFactorCorrection.verified)
            #expect(plan.preAllocationRatio == ExactDecimal("0.70")! && plan.coalFloorRatio == ExactDecimal("0.80")!)
            #expect(plan.offsets.limitRatio == ExactDecimal("0.05")! && plan.carryOver.baseT == 10_000 && !plan.borrowing.allowed)
            #expect(plan.penalty.kind == .priceMultiple)
        }
        #expect(AllocationPlan.seed[1].category("coal_le300")?.electricityBenchmark.description == "0.8049")
        #expect(AllocationPlan.seed[0].category("gas")?.heatBalance?.description == "0.0525")
    }

    @Test func aPlanRoundTripsThroughJSONWithDecimalsAsStrings() throws {
        let data = try JSONEncoder().encode(AllocationPlan.seed[1])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"electricity_benchmark\":\"0.7910\"") && text.contains("\"pre_allocation_ratio\":\"0.70\""))
        let plan = try JSONDecoder().decode(AllocationPlan.self, from: data)
        #expect(plan == AllocationPlan.seed[1])
        // A whole plan object in the request works like its id.
        let input = try JSONDecoder().decode(
            C.Input.self, from: Data(#"{"plan":\#(text),"units":[{"id":"U","category":"coal_gt300","generation_mwh":"500","cooling":"water","load_factor":"0.9","previous_verified_t":0,"verified_t":0}]}"#.utf8))
        #expect(try C.calculate(input).units[0].formulaT == 396)
        // Decimals as JSON numbers are refused.
        let numeric = text.replacingOccurrences(of: "\"0.70\"", with: "0.70")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AllocationPlan.self, from: Data(numeric.utf8)) }
    }

    @Test func everyErrorCode() throws {
        #expect(code(C.Input(plan: .id("power-2019"), units: [])) == .unknownPlan)
        #expect(code(C.Input(plan: nil, units: [])) == .missingField)
        #expect(code(C.Input(plan: .id("power-2024"), units: nil)) == .missingField)
        #expect(code(Self.unit("U1", "oil")) == .unknownCategory)
        #expect(code(Self.unit(cooling: "sea")) == .unknownCooling)
        #expect(code(Self.unit(cooling: nil)) == .missingField)
        #expect(code(Self.unit(load: nil)) == .missingField)
        #expect(code(Self.unit(verified: nil)) == .missingField)
        #expect(code(Self.unit(previous: nil)) == .missingField)
        #expect(code(C.UnitInput(id: nil, category: "gas", generationMWh: "1", previousVerifiedT: 0, verifiedT: 0)) == .missingField)
        #expect(code(C.UnitInput(id: "G", category: "gas", generationMWh: nil, previousVerifiedT: 0, verifiedT: 0)) == .missingField)
        #expect(code(Self.unit(verified: -1)) == .negativeValue)
        #expect(code(Self.unit(generation: "-5")) == .negativeValue)
        #expect(code(Self.unit(generation: "1e5")) == .invalidValue)
        #expect(code(Self.unit(generation: "1.00001")) == .invalidValue)
        #expect(code(Self.unit("")) == .invalidValue)
        #expect(code(Self.unit(generation: "100000001")) == .outOfRange)
        #expect(code(Self.unit(load: "1.3")) == .outOfRange)
        #expect(code(Self.unit(verified: 1_000_000_001)) == .outOfRange)
        #expect(code(C.Input(plan: .id("power-2024"), units: [Self.unit(), Self.unit()])) == .duplicateId)
        let many = Array(repeating: Self.unit(), count: C.Limits.maxUnits + 1)
        #expect(code(C.Input(plan: .id("power-2024"), units: many)) == .limitExceeded)
        // Trailing zeros beyond 4 places are fine: "1000.000000" is 1000.
        #expect(try one(Self.unit(generation: "1000.000000")).formulaT == 791)
    }

    @Test func aBrokenPlanObjectIsRejected() throws {
        func planCode(_ change: (inout AllocationPlan) -> Void) -> AllocationErrorCode? {
            var plan = AllocationPlan.seed[1]
            change(&plan)
            return code(C.Input(plan: .plan(plan), units: [Self.unit()]))
        }
        #expect(planCode { _ in } == nil)
        #expect(planCode { $0.preAllocationRatio = ExactDecimal("1.5")! } == .invalidPlan)
        #expect(planCode { $0.loadFactorCorrection.segments.removeFirst() } == .invalidPlan)  // gap below 0.75
        #expect(planCode { $0.loadFactorCorrection.segments[3].to = ExactDecimal("2") } == .invalidPlan)
        #expect(planCode { $0.categories[0].electricityBenchmark = ExactDecimal("0.1234567")! } == .invalidPlan)
        #expect(planCode { $0.categories.append($0.categories[0]) } == .invalidPlan)
        #expect(planCode { $0.deadlines.surrender = "2025-02-30" } == .invalidPlan)
        #expect(planCode { $0.penalty.maxMultiple = nil } == .invalidPlan)
        #expect(planCode { $0.method = .verifiedEmissions } == .invalidPlan)
        #expect(planCode { $0.heatSupplyCorrection = true } == .invalidPlan)
        // A factor beyond the correction bounds, reached only at evaluation.
        #expect(planCode {
            $0.loadFactorCorrection.segments[3] = AllocationPlan.LoadSegment(
                from: ExactDecimal("0.85")!, to: nil, kind: .linear, constant: ExactDecimal(1), coefficient: ExactDecimal(1), pivot: ExactDecimal(100))
        } == .invalidPlan)  // 1 + 1 × (100 − 90) = 11 at F = 0.90
    }
}
