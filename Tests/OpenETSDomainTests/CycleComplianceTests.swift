import OpenETSDomain
import Testing

/// The compliance step as registry commands, penalty notices by regime, deductions from the
/// next pre-allocation, statistics rounding (the rules of the calculator itself are in
/// `ComplianceCalculatorTests`).
@Suite("Compliance step: surrender commands, penalties, deductions, statistics")
struct CycleComplianceTests {
    typealias T = CycleAllocationTests
    static let e1: AccountID = "ENT-000001"
    static let e2: AccountID = "ENT-000002"

    /// E1 holds CEA23 100,000, CEA24 850,000, CEA25 50,000 and a local credit 5,000.
    static func holdingMarket() throws -> RegistryState {
        var state = try T.market()
        for (code, year, quantity) in [("CEA23", 2023, Int64(100_000)), ("CEA24", 2024, 850_000), ("CEA25", 2025, 50_000)] {
            let unit = UnitTypeCode(code)
            try T.apply(&state, .defineUnitType(code: unit, kind: .allowance, label: "CEA", vintageFrom: year, vintageTo: year, projectID: nil, issuer: "CN", serialized: false))
            try T.apply(&state, .issue(unit: unit, quantity: quantity, to: T.national))
            try T.apply(&state, .allocate(from: T.national, to: T.sc, unit: unit, quantity: quantity))
            try T.apply(&state, .allocate(from: T.sc, to: e1, unit: unit, quantity: quantity))
        }
        try T.apply(&state, .defineUnitType(code: "CDCER-1", kind: .localCredit, label: "CDCER", vintageFrom: 2022, vintageTo: 2022, projectID: "CD1", issuer: "CD", serialized: true))
        try T.apply(&state, .openAccount(type: .compliance, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        try T.apply(&state, .openAccount(type: .projectOwner, ownerID: "P1", ownerName: "P1", province: "SC", representatives: []))
        try T.apply(&state, .issue(unit: "CDCER-1", quantity: 5_000, to: "OWN-000001"))
        try T.apply(&state, .transfer(from: "OWN-000001", to: e1, unit: "CDCER-1", quantity: 5_000))
        return state
    }

    static let f1 = [T.facilities[0]]  // E1, verified 900,000

    @Test func surrenderOldestVintageFirstNeverLaterVintagesNorOtherCredits() throws {
        var state = try Self.holdingMarket()
        let debt = CycleDebt(entity: Self.e1, year: 2024, unit: "CEA24", quantityT: 12_000, reason: "test", settlement: .addToObligation)
        let kept = CycleDebt(entity: Self.e1, year: 2024, unit: "CEA24", quantityT: 7, reason: "test", settlement: .deductNextYear)
        let stage = try CycleCompliance.surrender(
            plan: T.plan, year: 2024, facilities: Self.f1, debts: [debt, kept], registry: state, ccer: CCERState(),
            netSold: [Self.e1: 3], coveredFacilities: ["F1"], policy: .defaults)
        #expect(stage.steps.map(\.key) == [
            "cycle/power-2024/2024/surrender/entity/ENT-000001/CEA23", "cycle/power-2024/2024/surrender/entity/ENT-000001/CEA24",
        ])
        #expect(stage.steps.map(\.command) == [
            .surrender(account: Self.e1, unit: "CEA23", quantity: 100_000, complianceYear: 2024),
            .surrender(account: Self.e1, unit: "CEA24", quantity: 812_000, complianceYear: 2024),
        ])
        let a = try #require(stage.compliance?.first)
        #expect(a.obligationT == 912_000 && a.debtT == 12_000 && a.surrenderedT == 912_000 && a.status == .compliant)
        #expect(a.carryOverLimitT == 10_004)  // 10,000 + floor(1.5 × 3)
        #expect(a.ineligible.map(\.unit) == ["CDCER-1"])
        try T.run(stage.steps, on: &state)
        #expect(state.holding(Self.e1, "CEA25").total == 50_000 && state.holding(Self.e1, "CDCER-1").total == 5_000)
        #expect(state.holding(Self.e1, "CEA24").total == 38_000)
    }

    /// A legacy CCER (registered before the plan's cut-off) whose use ended before the
    /// surrender deadline is ineligible in the stage, by the calculator's own test; a newer
    /// CCER of the same vintage is not, nor the legacy one while its use lasts.
    @Test func legacyCCERPastItsUseIsIneligibleInTheStage() throws {
        var plan = T.plan
        plan.offsets.legacyRegisteredBefore = "2017-03-14"
        plan.offsets.legacyUsableUntil = "2024-12-31"
        plan.deadlines.surrender = "2025-12-31"
        let type = UnitType(
            code: "CCER-P000009-2016", kind: .ccer, label: "CCER", vintageFrom: 2016, vintageTo: 2016, projectID: "P000009",
            issuer: "CN", serialized: true)
        let legacy = OffsetEligibility.Assessment(eligible: true, registeredOn: CivilDate(year: 2016, month: 5, day: 1), reasons: [])
        let newer = OffsetEligibility.Assessment(eligible: true, registeredOn: CivilDate(year: 2024, month: 5, day: 1), reasons: [])
        let reason = try #require(CycleCompliance.ineligibleReason(type, plan: plan, year: 2024, eligibility: legacy))
        #expect(reason.contains("2016-05-01") && reason.contains("2024-12-31"))
        #expect(CycleCompliance.ineligibleReason(type, plan: plan, year: 2024, eligibility: newer) == nil)
        plan.deadlines.surrender = "2024-12-31"
        #expect(CycleCompliance.ineligibleReason(type, plan: plan, year: 2024, eligibility: legacy) == nil)
    }

    @Test func aGapUnderTheBorrowingThresholdBorrowsNothing() throws {
        var plan = T.plan
        plan.borrowing.allowed = true
        var short = Self.f1
        short[0].verifiedT = 1_000_000  // gap 50,000 = 5 % < 10 %
        let stage = try CycleCompliance.surrender(
            plan: plan, year: 2024, facilities: short, debts: [], registry: try Self.holdingMarket(), ccer: CCERState(), netSold: [:],
            coveredFacilities: [], policy: .defaults)
        let a = try #require(stage.compliance?.first)
        #expect(a.surrender.map(\.unit) == ["CEA23", "CEA24"] && a.shortfallT == 50_000 && a.borrowedT == nil)
    }

    /// E1 also holds CEA25 150,000 and CEA26 100,000; obligation 1,150,001, eligible 950,000:
    /// gap 200,001 ≥ 10 % → borrows floor(50 % × 200,001) = 100,000 of CEA25 (never CEA26) with
    /// `surrender(borrowing: true)`; the registry takes it. Borrowing off: nothing borrowed.
    @Test func aBorrowingPlanBorrowsHalfTheGapFromTheNextVintageOnly() throws {
        var state = try Self.holdingMarket()
        try T.apply(&state, .issue(unit: "CEA25", quantity: 100_000, to: T.national))
        try T.apply(&state, .allocate(from: T.national, to: T.sc, unit: "CEA25", quantity: 100_000))
        try T.apply(&state, .allocate(from: T.sc, to: Self.e1, unit: "CEA25", quantity: 100_000))
        try T.apply(&state, .defineUnitType(code: "CEA26", kind: .allowance, label: "CEA", vintageFrom: 2026, vintageTo: 2026, projectID: nil, issuer: "CN", serialized: false))
        try T.apply(&state, .issue(unit: "CEA26", quantity: 100_000, to: T.national))
        try T.apply(&state, .allocate(from: T.national, to: T.sc, unit: "CEA26", quantity: 100_000))
        try T.apply(&state, .allocate(from: T.sc, to: Self.e1, unit: "CEA26", quantity: 100_000))
        var short = Self.f1
        short[0].verifiedT = 1_150_001
        var plan = T.plan
        plan.borrowing.allowed = true
        let stage = try CycleCompliance.surrender(
            plan: plan, year: 2024, facilities: short, debts: [], registry: state, ccer: CCERState(), netSold: [:],
            coveredFacilities: [], policy: .defaults)
        #expect(stage.steps.map(\.command) == [
            .surrender(account: Self.e1, unit: "CEA23", quantity: 100_000, complianceYear: 2024),
            .surrender(account: Self.e1, unit: "CEA24", quantity: 850_000, complianceYear: 2024),
            .surrender(account: Self.e1, unit: "CEA25", quantity: 100_000, complianceYear: 2024, borrowing: true),
        ])
        let a = try #require(stage.compliance?.first)
        #expect(a.borrowedT == 100_000 && a.surrenderedT == 1_050_000 && a.shortfallT == 100_001 && a.status == .shortfall)
        var after = state
        try T.run(stage.steps, on: &after)
        #expect(after.holding(Self.e1, "CEA25").total == 50_000 && after.holding(Self.e1, "CEA26").total == 100_000)
        #expect(after.surrendered[SurrenderKey(account: Self.e1, complianceYear: 2024, unit: "CEA25")] == 100_000)

        let off = try CycleCompliance.surrender(
            plan: T.plan, year: 2024, facilities: short, debts: [], registry: state, ccer: CCERState(), netSold: [:],
            coveredFacilities: [], policy: .defaults)
        let b = try #require(off.compliance?.first)
        #expect(b.borrowedT == nil && b.shortfallT == 200_001 && b.surrender.map(\.unit) == ["CEA23", "CEA24"])
    }

    @Test func frozenUnitsAreNotSurrenderedAndTheGapIsTheShortfall() throws {
        var state = try Self.holdingMarket()
        try T.apply(&state, .freeze(account: Self.e1, unit: "CEA24", quantity: 50_000, reason: .judicial(order: "J-1")))
        let stage = try CycleCompliance.surrender(
            plan: T.plan, year: 2024, facilities: Self.f1, debts: [], registry: state, ccer: CCERState(), netSold: [:],
            coveredFacilities: [], policy: .defaults)
        let a = try #require(stage.compliance?.first)
        #expect(a.surrenderedT == 900_000 && a.shortfallT == 0)
        var short = Self.f1
        short[0].verifiedT = 950_001
        let gap = try #require(try CycleCompliance.surrender(
            plan: T.plan, year: 2024, facilities: short, debts: [], registry: state, ccer: CCERState(), netSold: [:],
            coveredFacilities: [], policy: .defaults).compliance?.first)
        #expect(gap.surrenderedT == 900_000 && gap.shortfallT == 50_001 && gap.status == .shortfall)
        var missing = Self.f1
        missing[0].verifiedT = nil
        #expect(throws: AllocationError(.missingField, "F1: verified_t is missing")) {
            try CycleCompliance.surrender(
                plan: T.plan, year: 2024, facilities: missing, debts: [], registry: state, ccer: CCERState(), netSold: [:],
                coveredFacilities: [], policy: .defaults)
        }
    }

    static func assessment(_ entity: AccountID, shortfall: Int64) -> ComplianceAssessment {
        ComplianceAssessment(
            entity: entity, province: "SC", verifiedT: 1_000, debtT: 0, obligationT: 1_000, ccerUsableT: 0, surrenderedT: 1_000 - shortfall,
            shortfallT: shortfall, netSoldT: 0, carryOverLimitT: 10_000, status: shortfall > 0 ? .shortfall : .compliant, surrender: [],
            ineligible: [])
    }

    @Test func priceMultipleRegimeRoundsOnceToTheFen() throws {
        let day = CivilDate(year: 2026, month: 1, day: 5)
        let assessments = [Self.assessment(Self.e2, shortfall: 1), Self.assessment(Self.e1, shortfall: 0)]
        // 7.5 × 3 fen × 1 t = 22.5 fen → 23; the range 5× = 15, 10× = 30.
        let notices = try CompliancePenalties.notices(
            plan: T.plan, assessments: assessments, averagePriceFen: 3, multiple: ExactDecimal("7.5")!, issuedOn: day)
        #expect(notices.count == 1)
        #expect(notices[0].id == "PN-2024-\(T.plan.id)-ENT-000002" && notices[0].minFen == 15 && notices[0].maxFen == 30 && notices[0].amountFen == 23)
        #expect(notices[0].deductionT == 1 && notices[0].status == .issued && notices[0].regime == .priceMultiple)
        #expect(throws: AllocationError.self) {
            try CompliancePenalties.notices(plan: T.plan, assessments: assessments, averagePriceFen: 3, multiple: ExactDecimal(11), issuedOn: day)
        }
        #expect(throws: AllocationError(.noMonthPrice, "no allowance deal in the month before 2025-12-31: no price to fine ENT-000002")) {
            try CompliancePenalties.notices(plan: T.plan, assessments: assessments, averagePriceFen: nil, issuedOn: day)
        }
        // Compliant entities need no price.
        #expect(try CompliancePenalties.notices(plan: T.plan, assessments: [assessments[1]], averagePriceFen: nil, issuedOn: day).isEmpty)
    }

    @Test func fixedRangeRegimeOfTheFirstCycles() throws {
        var plan = T.plan
        plan.penalty = AllocationPlan.PenaltyRegime(
            kind: .fixedRange, fixedMinCNY: ExactDecimal(20_000), fixedMaxCNY: ExactDecimal(30_000), deductShortfall: false, source: "test")
        let notices = try CompliancePenalties.notices(
            plan: plan, assessments: [Self.assessment(Self.e1, shortfall: 400)], averagePriceFen: nil, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        #expect(notices.map(\.minFen) == [2_000_000] && notices.map(\.maxFen) == [3_000_000] && notices.map(\.amountFen) == [2_000_000])
        #expect(notices[0].averagePriceFen == nil && notices[0].deductionT == 0 && notices[0].regime == .fixedRange)
    }

    @Test func priceWindowIsTheMonthUpToTheDeadline() {
        let window = CompliancePenalties.priceWindow(deadline: CivilDate(year: 2025, month: 12, day: 31))
        #expect(window == CivilDate(year: 2025, month: 12, day: 1)...CivilDate(year: 2025, month: 12, day: 31))
        #expect(CompliancePenalties.priceWindow(deadline: CivilDate(year: 2025, month: 3, day: 15)).lowerBound == CivilDate(year: 2025, month: 2, day: 16))
        #expect(CompliancePenalties.priceWindow(deadline: CivilDate(year: 2026, month: 1, day: 31)).lowerBound == CivilDate(year: 2026, month: 1, day: 1))
        #expect(CompliancePenalties.priceWindow(deadline: CivilDate(year: 2025, month: 3, day: 31)).lowerBound == CivilDate(year: 2025, month: 3, day: 1))
    }

    @Test func deductionsKeepBackNextYearsPreAllocation() throws {
        let notices = try CompliancePenalties.notices(
            plan: T.plan, assessments: [Self.assessment(Self.e1, shortfall: 1_000), Self.assessment(Self.e2, shortfall: 500)],
            averagePriceFen: 10_000, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        var settled = notices
        settled[1].status = .deducted
        let debt = CycleDebt(entity: Self.e2, year: 2024, unit: "CEA24", quantityT: 80_000, reason: "test", settlement: .deductNextYear)
        let obligationDebt = CycleDebt(entity: Self.e2, year: 2024, unit: "CEA24", quantityT: 9, reason: "test", settlement: .addToObligation)
        let owed = CompliancePenalties.deductions(debts: [debt, obligationDebt], notices: settled)
        #expect(owed == [Self.e1: 1_000, Self.e2: 80_000])
        let stage = try CycleAllocation.preAllocation(
            plan: T.plan, year: 2024, facilities: T.facilities, registry: try T.market(), policy: .defaults, deductions: owed)
        // E1 651,001 − 1,000; E2 70,000 − all of it (owes 80,000).
        #expect(stage.deductions == [CycleDeduction(entity: Self.e1, owedT: 1_000, deductedT: 1_000), CycleDeduction(entity: Self.e2, owedT: 80_000, deductedT: 70_000)])
        #expect(stage.entities.map(\.movedT) == [650_001, 0, 140_000, 280_008])
        #expect(!stage.steps.map(\.key).contains("cycle/power-2024/2024/pre/entity/ENT-000002"))
        guard case .issue(_, let issued, _) = stage.steps[1].command else { Issue.record("no issue"); return }
        #expect(issued == 1_141_009 - 71_000)
    }

    @Test func percentagesRoundHalfUpToTwoDecimals() {
        #expect(CycleStatistics.percent(1, 3) == "33.33")
        #expect(CycleStatistics.percent(2, 3) == "66.67")
        #expect(CycleStatistics.percent(1, 8) == "12.50")
        #expect(CycleStatistics.percent(1, 20_000) == "0.01")  // 0.005 → 0.01
        #expect(CycleStatistics.percent(1, 20_001) == "0.00")
        #expect(CycleStatistics.percent(5, 5) == "100.00")
        #expect(CycleStatistics.percent(0, 0) == "-")
    }

    @Test func netSalesCountSettlementsAndTransfersOfAllowancesOnly() {
        var sales = NetSales()
        let lot = Lot(quantity: 10, serials: [])
        sales.add(
            [
                .unitsMoved(kind: .settlement, from: Self.e1, to: Self.e2, unit: "CEA24", lot: lot),
                .unitsMoved(kind: .transfer, from: Self.e2, to: Self.e1, unit: "CEA23", lot: Lot(quantity: 3, serials: [])),
                .unitsMoved(kind: .allocation, from: T.sc, to: Self.e1, unit: "CEA24", lot: lot),
                .unitsMoved(kind: .settlement, from: Self.e1, to: Self.e2, unit: "CCER-X", lot: lot),
            ], isAllowance: { $0.rawValue.hasPrefix("CEA") })
        #expect(sales.netSoldT == [Self.e1: 7, Self.e2: -7])
    }
}
