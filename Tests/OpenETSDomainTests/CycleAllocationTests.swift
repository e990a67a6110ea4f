import OpenETSDomain
import Testing

/// A small market under power-2024, computed by hand:
///
/// | facility | entity | prov | category | previous | pre | formula | verified | final | rule |
/// |---|---|---|---|---|---|---|---|---|---|
/// | F1 | E1 | SC | coal_gt300, 1,000,000 MWh, water, 0.90 | 850,000 | 595,000 | 791,000 | 900,000 | 791,000 | formula (floor 720,000) |
/// | F2 | E1 | SC | gas, 200,000 MWh | 80,001 | 56,001 (56,000.7) | 65,760 | 70,000 | 70,000 | gas_cap |
/// | F3 | E2 | SC | gas, 200,000 MWh | 100,000 | 70,000 | 65,760 | 60,000 | 65,760 | formula |
/// | F4 | E3 | GD | coal_le300, 100,000 MWh, water, 0.90 | 200,000 | 140,000 | 80,490 | 110,000 | 88,000 | coal_floor |
/// | F5 | E4 | GD | coal_gt300, 500,000 MWh, air, 0.82 | 300,005 | 210,004 (210,003.5) | 417,019 | 500,000 | 417,019 | formula (floor 400,000) |
/// | F6 | E4 | GD | coal_unconventional, 100,000 MWh, water | 100,005 | 70,004 (70,003.5) | 82,440 | 100,000 | 82,440 | formula (floor 80,000) |
///
/// F5: 0.7910 × 500,000 × 1.05 × (1 + 0.0014 × (85 − 82)) = 417,019.155. E4's pre-allocation is
/// 280,008, not round(0.70 × 400,010) = 280,007: rounding is once per facility.
@Suite("Allocation cycle: pre-allocation and true-up as registry commands")
struct CycleAllocationTests {
    static let now = Timestamp(millisecondsSinceEpoch: 1_735_689_600_000)
    static let e1: AccountID = "ENT-000001"
    static let e2: AccountID = "ENT-000002"
    static let e3: AccountID = "ENT-000003"
    static let e4: AccountID = "ENT-000004"
    static let national: AccountID = "CN-NATIONAL"
    static let sc = AccountID.provincial("SC")
    static let gd = AccountID.provincial("GD")
    static let cea24: UnitTypeCode = "CEA24"

    static var plan: AllocationPlan { AllocationPlan.seed.first { $0.id == "power-2024" }! }

    static let facilities: [CycleFacility] = [
        CycleFacility(
            id: "F1", entity: "ENT-000001", province: "SC", category: "coal_gt300", generationMWh: "1000000", cooling: "water",
            loadFactor: "0.90", previousVerifiedT: 850_000, verifiedT: 900_000),
        CycleFacility(
            id: "F2", entity: "ENT-000001", province: "SC", category: "gas", generationMWh: "200000", previousVerifiedT: 80_001,
            verifiedT: 70_000),
        CycleFacility(
            id: "F3", entity: "ENT-000002", province: "SC", category: "gas", generationMWh: "200000", previousVerifiedT: 100_000,
            verifiedT: 60_000),
        CycleFacility(
            id: "F4", entity: "ENT-000003", province: "GD", category: "coal_le300", generationMWh: "100000", cooling: "water",
            loadFactor: "0.90", previousVerifiedT: 200_000, verifiedT: 110_000),
        CycleFacility(
            id: "F5", entity: "ENT-000004", province: "GD", category: "coal_gt300", generationMWh: "500000", cooling: "air",
            loadFactor: "0.82", previousVerifiedT: 300_005, verifiedT: 500_000),
        CycleFacility(
            id: "F6", entity: "ENT-000004", province: "GD", category: "coal_unconventional", generationMWh: "100000",
            cooling: "water", previousVerifiedT: 100_005, verifiedT: 100_000),
    ]

    static func apply(_ state: inout RegistryState, _ command: RegistryCommand) throws {
        var changes = ChangeSet()
        state.evolve(try state.decide(command, at: now, policy: .defaults), changes: &changes)
    }

    static func market() throws -> RegistryState {
        var state = RegistryState()
        try apply(&state, .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        for province in ["SC", "GD"] {
            try apply(&state, .openAccount(type: .provincial, ownerID: province, ownerName: province, province: province, representatives: []))
        }
        for (owner, province) in [("E1", "SC"), ("E2", "SC"), ("E3", "GD"), ("E4", "GD")] {
            try apply(&state, .openAccount(type: .entity, ownerID: owner, ownerName: owner, province: province, representatives: []))
        }
        return state
    }

    static func run(_ steps: [CycleStep], on state: inout RegistryState) throws {
        for step in steps { try apply(&state, step.command) }
    }

    @Test func preAllocationIssuesAndAllocatesDownTheChain() throws {
        var state = try Self.market()
        let stage = try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        #expect(stage.steps.map(\.key) == [
            "cycle/power-2024/2024/pre/define", "cycle/power-2024/2024/pre/issue",
            "cycle/power-2024/2024/pre/province/GD", "cycle/power-2024/2024/pre/province/SC",
            "cycle/power-2024/2024/pre/entity/ENT-000001", "cycle/power-2024/2024/pre/entity/ENT-000002",
            "cycle/power-2024/2024/pre/entity/ENT-000003", "cycle/power-2024/2024/pre/entity/ENT-000004",
        ])
        #expect(stage.steps[1].command == .issue(unit: Self.cea24, quantity: 1_141_009, to: Self.national))
        #expect(stage.steps[2].command == .allocate(from: Self.national, to: Self.gd, unit: Self.cea24, quantity: 420_008))
        #expect(stage.steps[3].command == .allocate(from: Self.national, to: Self.sc, unit: Self.cea24, quantity: 721_001))
        #expect(stage.steps[7].command == .allocate(from: Self.gd, to: Self.e4, unit: Self.cea24, quantity: 280_008))
        #expect(stage.debts.isEmpty)
        try Self.run(stage.steps, on: &state)
        #expect(state.holding(Self.e1, Self.cea24).total == 651_001)
        #expect(state.holding(Self.e2, Self.cea24).total == 70_000)
        #expect(state.holding(Self.e3, Self.cea24).total == 140_000)
        #expect(state.holding(Self.e4, Self.cea24).total == 280_008)
        for account in [Self.national, Self.sc, Self.gd] { #expect(state.holding(account, Self.cea24).total == 0) }
    }

    @Test func issueOnlyWhatTheNationalAccountLacks() throws {
        var state = try Self.market()
        try Self.apply(&state, .defineUnitType(code: Self.cea24, kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try Self.apply(&state, .issue(unit: Self.cea24, quantity: 141_009, to: Self.national))
        let stage = try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        #expect(stage.steps.first == CycleStep(key: "cycle/power-2024/2024/pre/issue", command: .issue(unit: Self.cea24, quantity: 1_000_000, to: Self.national)))
        try Self.apply(&state, .issue(unit: Self.cea24, quantity: 1_000_000, to: Self.national))
        let enough = try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        #expect(enough.steps.first?.key == "cycle/power-2024/2024/pre/province/GD")
    }

    @Test func trueUpRecallsIssuesAndRecordsDebt() throws {
        var state = try Self.market()
        try Self.run(
            try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults).steps,
            on: &state)
        // E3 pledges 100,000 of its 140,000: only 40,000 are free for the recall of 52,000.
        try Self.apply(&state, .freeze(account: Self.e3, unit: Self.cea24, quantity: 100_000, reason: .judicial(order: "J-1")))
        let stage = try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        let p = "cycle/power-2024/2024/trueup/"
        #expect(stage.steps == [
            CycleStep(key: p + "recall/ENT-000002", command: .recall(from: Self.e2, to: Self.sc, unit: Self.cea24, quantity: 4_240)),
            CycleStep(key: p + "recall/ENT-000003", command: .recall(from: Self.e3, to: Self.gd, unit: Self.cea24, quantity: 40_000)),
            CycleStep(key: p + "recall-province/GD", command: .recall(from: Self.gd, to: Self.national, unit: Self.cea24, quantity: 40_000)),
            CycleStep(key: p + "recall-province/SC", command: .recall(from: Self.sc, to: Self.national, unit: Self.cea24, quantity: 4_240)),
            // 209,999 + 219,451 = 429,450, less the 44,240 recalled.
            CycleStep(key: p + "issue", command: .issue(unit: Self.cea24, quantity: 385_210, to: Self.national)),
            CycleStep(key: p + "province/GD", command: .allocate(from: Self.national, to: Self.gd, unit: Self.cea24, quantity: 219_451)),
            CycleStep(key: p + "province/SC", command: .allocate(from: Self.national, to: Self.sc, unit: Self.cea24, quantity: 209_999)),
            CycleStep(key: p + "entity/ENT-000001", command: .allocate(from: Self.sc, to: Self.e1, unit: Self.cea24, quantity: 209_999)),
            CycleStep(key: p + "entity/ENT-000004", command: .allocate(from: Self.gd, to: Self.e4, unit: Self.cea24, quantity: 219_451)),
        ])
        #expect(stage.debts == [
            CycleDebt(
                entity: Self.e3, year: 2024, unit: Self.cea24, quantityT: 12_000,
                reason: "true-up power-2024: recall of 52000 t, 40000 t free CEA24 held", settlement: .addToObligation)
        ])
        #expect(stage.entities.map(\.dueT) == [209_999, -4_240, -52_000, 219_451])
        #expect(stage.entities.map(\.movedT) == [209_999, -4_240, -40_000, 219_451])
        try Self.run(stage.steps, on: &state)
        #expect(state.holding(Self.e1, Self.cea24).total == 861_000)
        #expect(state.holding(Self.e2, Self.cea24).total == 65_760)
        #expect(state.holding(Self.e3, Self.cea24).total == 100_000)
        #expect(state.holding(Self.e4, Self.cea24).total == 499_459)
        // Issued = final allocations 1,514,219 + the 12,000 E3 still holds as debt.
        #expect(state.unitTypes[Self.cea24]?.issuedQuantity == Int64(1_526_219))
        // The debt goes onto E3's obligation: 110,000 verified + 12,000.
        #expect(CycleAllocation.obligation(verifiedT: 110_000, debts: stage.debts, entity: Self.e3, year: 2024) == 122_000)
        #expect(CycleAllocation.obligation(verifiedT: 110_000, debts: stage.debts, entity: Self.e4, year: 2024) == 110_000)
    }

    @Test func aPlanCanDeductTheDebtNextYearInstead() throws {
        var plan = Self.plan
        plan.trueUpDebt = .deductNextYear
        var state = try Self.market()
        try Self.run(try CycleAllocation.preAllocation(plan: plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults).steps, on: &state)
        try Self.apply(&state, .freeze(account: Self.e3, unit: Self.cea24, quantity: 140_000, reason: .judicial(order: "J-1")))
        let stage = try CycleAllocation.trueUp(plan: plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        #expect(stage.debts.map(\.quantityT) == [52_000])
        #expect(stage.debts.first?.settlement == .deductNextYear)
        #expect(!stage.steps.contains { $0.key.hasSuffix("recall/ENT-000003") })
        #expect(CycleAllocation.obligation(verifiedT: 110_000, debts: stage.debts, entity: Self.e3, year: 2024) == 110_000)
    }

    @Test func facilityFiguresShowBothSidesOfCapAndFloor() throws {
        let state = try Self.market()
        let rows = try CycleAllocation.allocations(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, final: true)
        #expect(rows.map(\.preAllocationT) == [595_000, 56_001, 70_000, 140_000, 210_004, 70_004])
        #expect(rows.map(\.finalT) == [791_000, 70_000, 65_760, 88_000, 417_019, 82_440])
        #expect(rows.map(\.rule) == [.formula, .gasCap, .formula, .coalFloor, .formula, .formula])
    }

    @Test func totalsAddUpBottomUp() throws {
        let state = try Self.market()
        let rows = try CycleAllocation.allocations(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, final: true)
        let totals = CycleAllocation.totals(plan: Self.plan, year: 2024, allocations: rows)
        #expect(totals.entities.map(\.total.preAllocationT) == [651_001, 70_000, 140_000, 280_008])
        #expect(totals.entities.map(\.total.finalT) == [861_000, 65_760, 88_000, 499_459])
        #expect(totals.provinces.map(\.id) == ["GD", "SC"])
        #expect(totals.provinces.map(\.total) == [
            CycleTotals.Figures(facilities: 3, preAllocationT: 420_008, finalT: 587_459),
            CycleTotals.Figures(facilities: 3, preAllocationT: 721_001, finalT: 926_760),
        ])
        #expect(totals.nation.total == CycleTotals.Figures(facilities: 6, preAllocationT: 1_141_009, finalT: 1_514_219))
        #expect(totals.nation.categories["coal_gt300"] == CycleTotals.Figures(facilities: 2, preAllocationT: 805_004, finalT: 1_208_019))
        #expect(totals.nation.categories["gas"] == CycleTotals.Figures(facilities: 2, preAllocationT: 126_001, finalT: 135_760))
        #expect(totals.provinces[0].categories["coal_le300"] == CycleTotals.Figures(facilities: 1, preAllocationT: 140_000, finalT: 88_000))
        // Before verification: pre-allocation totals only.
        let early = try CycleAllocation.allocations(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, final: false)
        let preTotals = CycleAllocation.totals(plan: Self.plan, year: 2024, allocations: early)
        #expect(preTotals.nation.total == CycleTotals.Figures(facilities: 6, preAllocationT: 1_141_009, finalT: nil))
    }

    func code(_ body: () throws(AllocationError) -> CycleStagePlan) -> AllocationErrorCode? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func badInputHasStableCodes() throws {
        let state = try Self.market()
        func pre(_ facilities: [CycleFacility], year: Int = 2024) -> AllocationErrorCode? {
            code { () throws(AllocationError) in
                try CycleAllocation.preAllocation(plan: Self.plan, year: year, facilities: facilities, registry: state, policy: .defaults)
            }
        }
        #expect(pre(Self.facilities, year: 2023) == .yearMismatch)
        var wrong = Self.facilities
        wrong[0].province = "GD"
        #expect(pre(wrong) == .provinceMismatch)
        wrong = Self.facilities
        wrong[0].entity = "ENT-000099"
        #expect(pre(wrong) == .unknownAccount)
        wrong[0].entity = "CN-NATIONAL"
        #expect(pre(wrong) == .unknownAccount)
        wrong = Self.facilities
        wrong[1].id = "F1"
        #expect(pre(wrong) == .duplicateId)
        wrong = Self.facilities
        wrong[2].previousVerifiedT = nil
        #expect(pre(wrong) == .missingField)
        wrong[2].previousVerifiedT = -1
        #expect(pre(wrong) == .negativeValue)
        wrong = Self.facilities
        wrong[3].category = "oil"
        #expect(pre(wrong) == .unknownCategory)
        // True-up before the vintage exists; and without verified data.
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        } == .stageOrder)
        var allocated = state
        try Self.run(try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults).steps, on: &allocated)
        wrong = Self.facilities
        wrong[4].verifiedT = nil
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: wrong, registry: allocated, policy: .defaults)
        } == .missingField)
        #expect(pre([]) == .missingField)
        // The true-up's facilities must add up to what was pre-allocated.
        var allocatedBefore = [AccountID: Int64]()
        for (entity, quantity) in [(Self.e1, 651_001), (Self.e2, 70_000), (Self.e3, 140_000), (Self.e4, 280_008)] as [(AccountID, Int64)] {
            allocatedBefore[entity] = quantity
        }
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: allocated, policy: .defaults, preAllocated: allocatedBefore)
        } == nil)
        wrong = Self.facilities
        wrong[0].previousVerifiedT = 850_001
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: wrong, registry: allocated, policy: .defaults, preAllocated: allocatedBefore)
        } == .preAllocationMismatch)
        wrong = Self.facilities
        wrong.removeLast()
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.trueUp(plan: Self.plan, year: 2024, facilities: wrong, registry: allocated, policy: .defaults, preAllocated: allocatedBefore)
        } == .preAllocationMismatch)
        // A stage larger than the registry allows in one command.
        var small = RegistryPolicy.defaults
        small.maxQuantityPerCommand = 500_000
        #expect(code { () throws(AllocationError) in
            try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: small)
        } == .limitExceeded)
    }
}
