import Foundation
import OpenETSDomain
import Testing

/// The plan types other than the power output benchmark, the reserve share and the paid
/// allocation, against hand-computed values (docs/allocation.md, "Plan types"). Every rounding
/// is half up, once per facility on its full value; each case has both sides of its edge.
@Suite("Plan types, reserve and paid allocation against hand-computed values")
struct PlanTypeTests {
    typealias C = AllocationCalculator

    static func plan(_ id: String) -> AllocationPlan { AllocationPlan.shipped.first { $0.id == id }! }

    static func unit(
        _ id: String = "U1", previous: Int64? = 0, verified: Int64? = nil, products: [(String, String)]? = nil, base: [Int64]? = nil,
        intensity: String? = nil, output: String? = nil, category: String? = nil
    ) -> C.UnitInput {
        C.UnitInput(
            id: id, category: category, generationMWh: nil, previousVerifiedT: previous, verifiedT: verified,
            products: products?.map { C.ProductOutput(product: $0.0, output: $0.1) }, baseEmissionsT: base, baseIntensity: intensity,
            output: output)
    }

    func one(_ unit: C.UnitInput, plan: String) throws -> C.UnitResult {
        try C.calculate(C.Input(plan: .id(plan), units: [unit])).units[0]
    }

    func finalT(_ unit: C.UnitInput, _ plan: String) throws -> Int64 { try one(unit, plan: plan).finalT }

    func code(_ unit: C.UnitInput, _ plan: String) -> AllocationErrorCode? { code(C.Input(plan: .id(plan), units: [unit])) }

    func code(_ input: C.Input) -> AllocationErrorCode? {
        do {
            _ = try C.calculate(input)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func verifiedEmissionsAllocatesTheVerifiedFigure() throws {
        // steel-2024: final = verified; no pre-allocation in 2024 (ratio 0), so the true-up is all of it.
        let result = try one(Self.unit(previous: 1_000_000, verified: 987_654), plan: "steel-2024")
        #expect(result == C.UnitResult(id: "U1", preAllocationT: 0, formulaT: 987_654, finalT: 987_654, rule: .formula, trueUpT: 987_654))
        #expect(try finalT(Self.unit(verified: 0), "cement-2024") == 0)
        #expect(code(Self.unit(verified: nil), "aluminium-2024") == .missingField)
        #expect(code(Self.unit(verified: -1), "steel-2024") == .negativeValue)
        #expect(code(Self.unit(verified: 1_000_000_001), "steel-2024") == .outOfRange)
    }

    @Test func intensityBenchmarkSumsProductLinesAndRoundsOnce() throws {
        // example-intensity-2025: clinker 0.8500, cement 0.0250 tCO2/t.
        // 1000.5 × 0.85 + 10 × 0.025 = 850.425 + 0.25 = 850.675 → 851.
        #expect(try finalT(Self.unit(products: [("clinker", "1000.5"), ("cement", "10")]), "example-intensity-2025") == 851)
        // 20 × 0.025 = 0.5 → 1 (a tie goes up); 19.9996 × 0.025 = 0.49999 → 0.
        #expect(try finalT(Self.unit(products: [("cement", "20")]), "example-intensity-2025") == 1)
        #expect(try finalT(Self.unit(products: [("cement", "19.9996")]), "example-intensity-2025") == 0)
        // Once per facility: 0.425 + 0.075 = 0.5 → 1 (rounded per line it would be 0 + 0).
        #expect(try finalT(Self.unit(products: [("clinker", "0.5"), ("cement", "3")]), "example-intensity-2025") == 1)
        // Pre-allocation stays 0.70 × previous verified.
        #expect(try one(Self.unit(previous: 1001, products: [("clinker", "1000")]), plan: "example-intensity-2025").trueUpT == 850 - 701)
        #expect(code(Self.unit(products: [("lime", "1")]), "example-intensity-2025") == .unknownProduct)
        #expect(code(Self.unit(products: [("clinker", "1"), ("clinker", "2")]), "example-intensity-2025") == .duplicateId)
        #expect(code(Self.unit(products: nil), "example-intensity-2025") == .missingField)
        #expect(code(Self.unit(products: []), "example-intensity-2025") == .missingField)
        #expect(code(Self.unit(products: [("clinker", "1.00001")]), "example-intensity-2025") == .invalidValue)
        #expect(code(Self.unit(products: [("clinker", "-1")]), "example-intensity-2025") == .negativeValue)
        #expect(code(Self.unit(products: [("clinker", "1000000001")]), "example-intensity-2025") == .outOfRange)
        #expect(code(Self.unit(products: [("clinker", "x")]), "example-intensity-2025") == .invalidValue)
    }

    @Test func historicalEmissionsAveragesTheBasePeriodTimesTheControlFactor() throws {
        // example-historical-2024: base 2021-2023, control factor 0.98.
        // (100 + 100 + 101) × 0.98 / 3 = 294.98 / 3 = 98.3266… → 98.
        #expect(try finalT(Self.unit(base: [100, 100, 101]), "example-historical-2024") == 98)
        // 75 × 0.98 / 3 = 24.5 → 25 (tie up); 74 × 0.98 / 3 = 24.1733… → 24; 76 → 24.8266… → 25.
        #expect(try finalT(Self.unit(base: [25, 25, 25]), "example-historical-2024") == 25)
        #expect(try finalT(Self.unit(base: [24, 25, 25]), "example-historical-2024") == 24)
        #expect(try finalT(Self.unit(base: [26, 25, 25]), "example-historical-2024") == 25)
        #expect(code(Self.unit(base: [1, 2]), "example-historical-2024") == .invalidValue)
        #expect(code(Self.unit(base: nil), "example-historical-2024") == .missingField)
        #expect(code(Self.unit(base: [1, -2, 3]), "example-historical-2024") == .negativeValue)
    }

    @Test func historicalIntensityDeclineAppliesTheRateToTheBaseIntensity() throws {
        // example-intensity-decline-2024: decline 0.02. 1.25 × 0.98 × 1000 = 1225.
        #expect(try finalT(Self.unit(intensity: "1.25", output: "1000"), "example-intensity-decline-2024") == 1225)
        // 0.625 × 0.98 = 0.6125 per unit: × 40 = 24.5 → 25 (tie up); × 39.9999 = 24.49993875 → 24.
        #expect(try finalT(Self.unit(intensity: "0.625", output: "40"), "example-intensity-decline-2024") == 25)
        #expect(try finalT(Self.unit(intensity: "0.625", output: "39.9999"), "example-intensity-decline-2024") == 24)
        #expect(code(Self.unit(intensity: nil, output: "1"), "example-intensity-decline-2024") == .missingField)
        #expect(code(Self.unit(intensity: "1", output: nil), "example-intensity-decline-2024") == .missingField)
        #expect(code(Self.unit(intensity: "0.1234567", output: "1"), "example-intensity-decline-2024") == .invalidValue)
        #expect(code(Self.unit(intensity: "101", output: "1"), "example-intensity-decline-2024") == .outOfRange)
    }

    @Test func benchmarkTimesMarketAdjustmentFactor() throws {
        // example-hubei-2024: clinker 0.85 × factor 0.9897 = 0.841245 per t.
        // × 1000 = 841.245 → 841; × 100000 = 84,124.5 → 84,125 (tie up); × 99999.9999 = 84,124.4999… → 84,124.
        #expect(try finalT(Self.unit(products: [("clinker", "1000")]), "example-hubei-2024") == 841)
        #expect(try finalT(Self.unit(products: [("clinker", "100000")]), "example-hubei-2024") == 84_125)
        #expect(try finalT(Self.unit(products: [("clinker", "99999.9999")]), "example-hubei-2024") == 84_124)
    }

    @Test func reserveShareAndPaidAllocation() throws {
        // example-hubei-2024: reserve 0.08, paid 0.03, floor 20.00. Allocated 84,125:
        // reserve = 84,125 × 8 / 92 = 7,315.217… → 7,315; total 91,440; auction 0.03 × 91,440 = 2,743.2 → 2,743.
        let output = try C.calculate(C.Input(plan: .id("example-hubei-2024"), units: [Self.unit(products: [("clinker", "100000")])]))
        #expect(output.supply == AllocationSupply.expected(allocatedT: 84_125, reserveT: 7_315, totalT: 91_440, auctionT: 2_743, floor: "20.00"))
        // A plan without a reserve has no supply block.
        #expect(try C.calculate(C.Input(plan: .id("steel-2024"), units: [Self.unit(verified: 5)])).supply == nil)

        // Both sides of the reserve's rounding with share 0.2 (reserve = A / 4) and paid 0.1.
        var plan = Self.plan("example-hubei-2024")
        plan.reserveShare?.value = ExactDecimal("0.2")!
        plan.paidAllocation?.share = ExactDecimal("0.1")!
        func supply(_ allocatedT: Int64) throws -> AllocationSupply? { try AllocationSupply.compute(plan: plan, allocatedT: allocatedT) }
        #expect(try supply(2) == AllocationSupply.expected(allocatedT: 2, reserveT: 1, totalT: 3, auctionT: 0, floor: "20.00"))  // 0.5 → 1; 0.3 → 0
        #expect(try supply(1) == AllocationSupply.expected(allocatedT: 1, reserveT: 0, totalT: 1, auctionT: 0, floor: "20.00"))  // 0.25 → 0
        #expect(try supply(6) == AllocationSupply.expected(allocatedT: 6, reserveT: 2, totalT: 8, auctionT: 1, floor: "20.00"))  // 1.5 → 2; 0.8 → 1
        // The auction comes out of the reserve: a paid share equal to the reserve share sells the whole reserve at most.
        plan.paidAllocation?.share = ExactDecimal("0.2")!
        for allocatedT: Int64 in [1, 2, 3, 5, 7, 1_000_003] {
            let s = try #require(try supply(allocatedT))
            #expect(s.auctionT <= s.reserveT)
        }
    }

    @Test func planValidationNamesEveryBrokenRule() throws {
        func planCode(_ id: String, _ change: (inout AllocationPlan) -> Void) -> AllocationErrorCode? {
            var plan = Self.plan(id)
            change(&plan)
            return code(C.Input(plan: .plan(plan), units: []))
        }
        #expect(planCode("example-intensity-2025") { _ in } == nil)
        #expect(planCode("example-intensity-2025") { $0.products = nil } == .invalidPlan)
        #expect(planCode("example-intensity-2025") { $0.products = [] } == .invalidPlan)
        #expect(planCode("example-intensity-2025") { $0.products!.append($0.products![0]) } == .invalidPlan)
        #expect(planCode("example-intensity-2025") { $0.products![0].benchmark = ExactDecimal("101")! } == .invalidPlan)
        #expect(planCode("example-intensity-2025") { $0.declineRate = .init(value: ExactDecimal("0.01")!, verified: false, note: "") } == .invalidPlan)
        #expect(planCode("example-historical-2024") { $0.controlFactor = nil } == .invalidPlan)
        #expect(planCode("example-historical-2024") { $0.baseYears = [2022, 2024] } == .invalidPlan)  // not before the plan year
        #expect(planCode("example-historical-2024") { $0.baseYears = [2022, 2022] } == .invalidPlan)
        #expect(planCode("example-intensity-decline-2024") { $0.declineRate!.value = ExactDecimal("0.6")! } == .invalidPlan)
        #expect(planCode("example-hubei-2024") { $0.marketAdjustmentFactor = nil } == .invalidPlan)
        #expect(planCode("example-hubei-2024") { $0.marketAdjustmentFactor!.value = ExactDecimal("2.5")! } == .invalidPlan)
        #expect(planCode("example-hubei-2024") { $0.reserveShare!.value = ExactDecimal("0.6")! } == .invalidPlan)
        #expect(planCode("example-hubei-2024") { $0.paidAllocation!.share = ExactDecimal("0.09")! } == .invalidPlan)  // above the reserve
        #expect(planCode("example-hubei-2024") { $0.reserveShare = nil } == .invalidPlan)  // paid without a reserve
        #expect(planCode("example-hubei-2024") { $0.paidAllocation!.floorPrice = ExactDecimal("0")! } == .invalidPlan)
        #expect(planCode("example-hubei-2024") { $0.paidAllocation!.floorPrice = ExactDecimal("20.001")! } == .invalidPlan)
        // The power rules are not applied to another type, so a plan that sets them is refused.
        #expect(planCode("steel-2024") { $0.gasCap = true } == .invalidPlan)
        #expect(planCode("steel-2024") { $0.coalFloorRatio = ExactDecimal("0.8")! } == .invalidPlan)
        #expect(planCode("steel-2024") { $0.categories = AllocationPlan.seed[1].categories } == .invalidPlan)
        // …and a power plan with another type's parameters.
        var power = AllocationPlan.seed[1]
        power.products = Self.plan("example-intensity-2025").products
        #expect(code(C.Input(plan: .plan(power), units: [])) == .invalidPlan)
    }

    @Test func shippedPlansValidateAndMarkTheirUnverifiedValues() throws {
        #expect(AllocationPlan.shipped.map(\.id) == [
            "power-2023", "power-2024", "steel-2024", "cement-2024", "aluminium-2024", "example-intensity-2025",
            "example-historical-2024", "example-intensity-decline-2024", "example-hubei-2024",
        ])
        for plan in AllocationPlan.shipped { try plan.validate() }
        for id in ["steel-2024", "cement-2024", "aluminium-2024"] {
            let plan = Self.plan(id)
            #expect(plan.method == .verifiedEmissions && plan.year == 2024 && plan.deadlines.surrender == "2025-12-31")
            #expect(plan.deadlines.annualReport == "2025-06-30" && plan.deadlines.verification == "2025-08-31")
        }
        for plan in AllocationPlan.shipped where plan.id.hasPrefix("example-") {
            #expect(plan.notes.contains { $0.hasPrefix("EXAMPLE") })
            let factors = [plan.controlFactor, plan.declineRate, plan.marketAdjustmentFactor, plan.reserveShare].compactMap { $0 }
            #expect(factors.allSatisfy { !$0.verified })
            #expect((plan.products ?? []).allSatisfy { !$0.verified } && plan.paidAllocation?.verified != true)
        }
    }

    @Test func planJSONNamesTheTypeAndCarriesOnlyItsOwnFields() throws {
        for plan in AllocationPlan.shipped {
            let data = try JSONEncoder().encode(plan)
            #expect(try JSONDecoder().decode(AllocationPlan.self, from: data) == plan)
        }
        let steel = String(decoding: try JSONEncoder().encode(Self.plan("steel-2024")), as: UTF8.self)
        #expect(steel.contains(#""type":"verified_emissions""#) && !steel.contains("categories") && !steel.contains("air_cooling_factor"))
        // An older plan object's "method" is read; absent, the type is output_benchmark.
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(AllocationPlan.seed[1])) as? [String: Any])
        object["method"] = object.removeValue(forKey: "type")
        #expect(try decode(object).method == .outputBenchmark)
        object.removeValue(forKey: "method")
        #expect(try decode(object) == AllocationPlan.seed[1])
        // Two names that disagree, or a power field on another type, are refused.
        object["type"] = "output_benchmark"
        object["method"] = "verified_emissions"
        #expect(throws: DecodingError.self) { try decode(object) }
        var steelObject = try #require(try JSONSerialization.jsonObject(with: Data(steel.utf8)) as? [String: Any])
        steelObject["gas_cap"] = false
        #expect(throws: DecodingError.self) { try decode(steelObject) }
    }

    func decode(_ object: [String: Any]) throws -> AllocationPlan {
        try JSONDecoder().decode(AllocationPlan.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test func theCycleAllocatesANewTypeWithTheSamePreAllocationRule() throws {
        var state = try CycleAllocationTests.market()
        let plan = Self.plan("example-intensity-2025")
        let facilities = [
            // pre 0.70 × 1,001 = 700.7 → 701; final 1000.5 × 0.85 = 850.425 → 850.
            CycleFacility(
                id: "K1", entity: "ENT-000001", province: "SC", category: nil, previousVerifiedT: 1_001, verifiedT: 900,
                products: [.init(product: "clinker", output: "1000.5")]),
            // pre 0.70 × 2,000 = 1,400; final 1000 × 0.85 + 100 × 0.025 = 852.5 → 853: a recall of 547.
            CycleFacility(
                id: "K2", entity: "ENT-000003", province: "GD", category: "grinding", previousVerifiedT: 2_000, verifiedT: 800,
                products: [.init(product: "clinker", output: "1000"), .init(product: "cement", output: "100")]),
        ]
        let pre = try CycleAllocation.preAllocation(plan: plan, year: 2025, facilities: facilities, registry: state, policy: .defaults)
        #expect(pre.entities.map(\.movedT) == [701, 1_400])
        try CycleAllocationTests.run(pre.steps, on: &state)
        let trueUp = try CycleAllocation.trueUp(
            plan: plan, year: 2025, facilities: facilities, registry: state, policy: .defaults,
            preAllocated: ["ENT-000001": 701, "ENT-000003": 1_400])
        #expect(trueUp.entities.map(\.dueT) == [149, -547])
        try CycleAllocationTests.run(trueUp.steps, on: &state)
        #expect(state.holding("ENT-000001", "CEA25").available == 850)
        #expect(state.holding("ENT-000003", "CEA25").available == 853)
        let rows = try CycleAllocation.allocations(plan: plan, year: 2025, facilities: facilities, registry: state, final: true)
        let totals = CycleAllocation.totals(plan: plan, year: 2025, allocations: rows)
        #expect(totals.nation.categories["cement"]?.finalT == 850)  // no category: the plan's sector
        #expect(totals.nation.categories["grinding"]?.finalT == 853)
        #expect(facilities.allSatisfy { $0.hasFinalData(for: plan) })
    }
}

extension AllocationSupply {
    /// A supply block to compare with, the floor price as text.
    static func expected(allocatedT: Int64, reserveT: Int64, totalT: Int64, auctionT: Int64, floor: String) -> AllocationSupply {
        AllocationSupply(allocatedT: allocatedT, reserveT: reserveT, totalT: totalT, auctionT: auctionT, auctionFloorPrice: ExactDecimal(floor))
    }
}
