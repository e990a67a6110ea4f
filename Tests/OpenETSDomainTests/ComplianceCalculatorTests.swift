import OpenETSDomain
import Testing

@Suite("Compliance calculator against hand-computed values")
struct ComplianceCalculatorTests {
    typealias C = ComplianceCalculator
    typealias H = ComplianceCalculator.HoldingInput

    static func cea(_ vintage: String, _ quantity: Int64) -> H { H(type: "CEA", vintage: vintage, quantity: quantity) }
    static func ccer(_ quantity: Int64, eligible: Bool = true, vintage: String? = nil, registeredOn: String? = nil) -> H {
        H(type: "CCER", vintage: vintage, quantity: quantity, eligible: eligible, registeredOn: registeredOn)
    }

    static func entity(
        _ obligation: Int64?, _ holdings: [H], netSold: Int64? = 0, price: String? = "100.00", id: String? = "E1"
    ) -> C.EntityInput {
        C.EntityInput(id: id, obligationT: obligation, holdings: holdings, netSoldT: netSold, monthAveragePrice: price)
    }

    func assess(_ entity: C.EntityInput, plan: PlanReference = .id("power-2024")) throws -> C.EntityResult {
        try C.calculate(C.Input(plan: plan, entities: [entity])).entities[0]
    }

    func code(_ entity: C.EntityInput, plan: PlanReference = .id("power-2024")) -> AllocationErrorCode? {
        code(C.Input(plan: plan, entities: [entity]))
    }

    func code(_ input: C.Input) -> AllocationErrorCode? {
        do {
            _ = try C.calculate(input)
            return nil
        } catch {
            return error.code
        }
    }

    static func plan(_ change: (inout AllocationPlan) -> Void) -> PlanReference {
        var plan = AllocationPlan.seed[1]
        change(&plan)
        return .plan(plan)
    }

    @Test func offsetLimitIsFivePercentFlooredToWholeTonnes() throws {
        // 5% × 1,019 = 50.95 → 50; 5% × 1,020 = 51.
        let below = try assess(Self.entity(1_019, [Self.ccer(100), Self.cea("2024", 2_000)]))
        #expect(below.ccerUsableT == 50)
        #expect(below.surrender == [C.SurrenderLine(type: "CCER", vintage: "", quantity: 50), C.SurrenderLine(type: "CEA", vintage: "2024", quantity: 969)])
        let at = try assess(Self.entity(1_020, [Self.ccer(100), Self.cea("2024", 2_000)]))
        #expect(at.ccerUsableT == 51 && at.surrender[1].quantity == 969 && at.status == .compliant)
        // Fewer CCER held than the limit: all of them.
        #expect(try assess(Self.entity(10_000, [Self.ccer(200)])).ccerUsableT == 200)
    }

    @Test func ineligibleCCERIsIgnored() throws {
        let result = try assess(Self.entity(1_000, [Self.ccer(500, eligible: false), Self.cea("2024", 1_000)]))
        #expect(result.ccerUsableT == 0 && result.surrender == [C.SurrenderLine(type: "CEA", vintage: "2024", quantity: 1_000)])
    }

    @Test func preMarch2017CCERsOnlyUntilTheEndOf2024() throws {
        let holdings = [Self.ccer(50, registeredOn: "2016-01-01"), Self.cea("2023", 2_000)]
        // power-2023: surrender by 2024-12-31, legacy credits still usable.
        #expect(try assess(Self.entity(1_000, holdings), plan: .id("power-2023")).ccerUsableT == 50)
        // power-2024: surrender by 2025-12-31, no longer.
        #expect(try assess(Self.entity(1_000, holdings)).ccerUsableT == 0)
        // Registered on the cut-off day itself: not legacy.
        #expect(try assess(Self.entity(1_000, [Self.ccer(50, registeredOn: "2017-03-14")])).ccerUsableT == 50)
    }

    @Test func surrenderOrderAndLaterVintagesNeverUsed() throws {
        let holdings = [
            Self.ccer(100, vintage: "2023"), Self.cea("2024", 300), Self.cea("2023", 500), Self.cea("2019-2020", 100), Self.cea("2025", 1_000),
        ]
        let result = try assess(Self.entity(1_000, holdings, price: "100.00"))
        // CCER 50 (5%), then CEA oldest first: 100 + 500 + 300 = 900; 2025 never; shortfall 50.
        #expect(result.surrender == [
            C.SurrenderLine(type: "CCER", vintage: "2023", quantity: 50), C.SurrenderLine(type: "CEA", vintage: "2019-2020", quantity: 100),
            C.SurrenderLine(type: "CEA", vintage: "2023", quantity: 500), C.SurrenderLine(type: "CEA", vintage: "2024", quantity: 300),
        ])
        #expect(result.shortfallT == 50 && result.status == .shortfall)
        // 5 × 100.00 × 50 = 25,000.00; 10 × = 50,000.00.
        #expect(result.penaltyMin == "25000.00" && result.penaltyMax == "50000.00")
    }

    @Test func compliantEntityStopsAtItsObligation() throws {
        let result = try assess(Self.entity(600, [Self.cea("2024", 300), Self.cea("2023", 500)], price: nil))
        #expect(result.surrender == [C.SurrenderLine(type: "CEA", vintage: "2023", quantity: 500), C.SurrenderLine(type: "CEA", vintage: "2024", quantity: 100)])
        #expect(result.shortfallT == 0 && result.status == .compliant && result.penaltyMin == "0.00" && result.penaltyMax == "0.00")
        // Nothing owed: nothing surrendered; shortfall never negative.
        let nothing = try assess(Self.entity(0, [Self.cea("2024", 300)]))
        #expect(nothing.surrender.isEmpty && nothing.shortfallT == 0 && nothing.status == .compliant)
    }

    @Test func carryOverLimitAboveAndBelowTheBase() throws {
        func limit(_ netSold: Int64) throws -> Int64 { try assess(Self.entity(0, [], netSold: netSold)).carryOverLimitT }
        #expect(try limit(0) == 10_000)
        #expect(try limit(-5_000) == 10_000)  // a net buyer: the base only
        #expect(try limit(3) == 10_004)  // 1.5 × 3 = 4.5 → 4
        #expect(try limit(1_000) == 11_500)
        #expect(try limit(1_000_000_000) == 1_500_010_000)
    }

    @Test func priceMultiplePenaltyRoundsHalfUpToTheFen() throws {
        // 5 × 97.49 × 3 = 1,462.35; 10 × = 2,924.70.
        let year = try assess(Self.entity(3, [], price: "97.49"))
        #expect(year.penaltyMin == "1462.35" && year.penaltyMax == "2924.70")
        // 5 × 33.333 = 166.665 → 166.67; 10 × = 333.33.
        let tie = try assess(Self.entity(1, [], price: "33.333"))
        #expect(tie.penaltyMin == "166.67" && tie.penaltyMax == "333.33")
    }

    @Test func fixedRangePenaltyOfTheFirstCycles() throws {
        let fixed = Self.plan {
            $0.id = "power-2021-test"
            $0.penalty = AllocationPlan.PenaltyRegime(
                kind: .fixedRange, fixedMinCNY: ExactDecimal(20_000), fixedMaxCNY: ExactDecimal(30_000), deductShortfall: true, source: "test")
        }
        let short = try assess(Self.entity(1_000, [Self.cea("2024", 999)], price: nil), plan: fixed)
        #expect(short.shortfallT == 1 && short.penaltyMin == "20000.00" && short.penaltyMax == "30000.00")
        let met = try assess(Self.entity(1_000, [Self.cea("2024", 1_000)], price: nil), plan: fixed)
        #expect(met.penaltyMin == "0.00" && met.status == .compliant)
    }

    @Test func borrowingOnlyWhereThePlanAllowsAndWithinItsLimit() throws {
        let borrowing = Self.plan { $0.borrowing.allowed = true }
        func result(_ current: Int64) throws -> C.EntityResult {
            try assess(Self.entity(1_000, [Self.cea("2024", current), Self.cea("2025", 500)]), plan: borrowing)
        }
        // Gap 200 ≥ 10% of 1,000: borrow 50% × 200 = 100 of 2025.
        let gap = try result(800)
        #expect(gap.surrender.last == C.SurrenderLine(type: "CEA", vintage: "2025", quantity: 100) && gap.shortfallT == 100)
        // Gap exactly 10%: borrow 50.
        #expect(try result(900).shortfallT == 50)
        // Gap 101: floor(50.5) = 50.
        #expect(try result(899).shortfallT == 51)
        // Gap 50 < 10%: no borrowing.
        let small = try result(950)
        #expect(small.shortfallT == 50 && small.surrender.count == 1)
        // Only the next vintage is borrowed from: 2026 (or a 2025-2026 range) never.
        let later = try assess(
            Self.entity(1_000, [Self.cea("2024", 800), Self.cea("2025-2026", 500), Self.cea("2026", 500)]), plan: borrowing)
        #expect(later.shortfallT == 200 && later.surrender.count == 1)
        // Same holdings under the shipped plan: 2025 never used.
        #expect(try assess(Self.entity(1_000, [Self.cea("2024", 800), Self.cea("2025", 500)])).shortfallT == 200)
    }

    @Test func sameVintageHoldingsAreMerged() throws {
        let result = try assess(Self.entity(1_000, [Self.cea("2024", 300), Self.cea("2024", 300)]))
        #expect(result.surrender == [C.SurrenderLine(type: "CEA", vintage: "2024", quantity: 600)] && result.shortfallT == 400)
    }

    @Test func everyErrorCode() {
        #expect(code(C.Input(plan: .id("steel-2099"), entities: [])) == .unknownPlan)
        #expect(code(C.Input(plan: nil, entities: [])) == .missingField)
        #expect(code(C.Input(plan: .id("power-2024"), entities: nil)) == .missingField)
        #expect(code(Self.entity(1, []), plan: Self.plan { $0.offsets.limitRatio = ExactDecimal(2) }) == .invalidPlan)
        #expect(code(Self.entity(1, [H(type: "VER", quantity: 1)])) == .unknownUnitType)
        for vintage in ["24", "2020-2019", "2024a", "2024-", "1999", "2019-2020-2021"] {
            #expect(code(Self.entity(1, [Self.cea(vintage, 1)])) == .invalidVintage, "\(vintage)")
        }
        #expect(code(Self.entity(1, [], price: nil)) == .missingField)  // shortfall under the price regime
        #expect(code(Self.entity(1, [H(type: "CCER", quantity: 1)])) == .missingField)
        #expect(code(Self.entity(1, [H(type: "CEA", quantity: 1)])) == .missingField)
        #expect(code(Self.entity(1, [H(type: nil, quantity: 1)])) == .missingField)
        #expect(code(Self.entity(1, [H(type: "CEA", vintage: "2024", quantity: nil)])) == .missingField)
        #expect(code(Self.entity(1, [], netSold: nil)) == .missingField)
        #expect(code(Self.entity(nil, [])) == .missingField)
        #expect(code(Self.entity(1, [], id: nil)) == .missingField)
        #expect(code(Self.entity(-1, [])) == .negativeValue)
        #expect(code(Self.entity(1, [Self.cea("2024", -1)])) == .negativeValue)
        #expect(code(Self.entity(1, [], price: "-1")) == .negativeValue)
        #expect(code(Self.entity(1, [], price: "abc")) == .invalidValue)
        #expect(code(Self.entity(1, [], id: "")) == .invalidValue)
        #expect(code(Self.entity(1, [Self.ccer(1, registeredOn: "2016-02-30")])) == .invalidValue)
        #expect(code(Self.entity(1_000_000_001, [])) == .outOfRange)
        #expect(code(Self.entity(1, [], price: "100001")) == .outOfRange)
        #expect(code(Self.entity(1, [], netSold: -1_000_000_001)) == .outOfRange)
        #expect(code(C.Input(plan: .id("power-2024"), entities: [Self.entity(1, []), Self.entity(1, [])])) == .duplicateId)
        let many = Array(repeating: Self.cea("2024", 1), count: C.Limits.maxHoldingsPerEntity + 1)
        #expect(code(Self.entity(1, many)) == .limitExceeded)
    }
}
