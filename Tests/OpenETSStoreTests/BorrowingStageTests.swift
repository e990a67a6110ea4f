import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// The surrender stage borrows from the next vintage where the plan allows it (DOMAIN.md §6:
/// a gap of at least 10 % of the obligation may borrow up to 50 % of the gap, whole tonnes
/// rounded down), through the registry's `surrender(borrowing: true)`, on each database.
///
/// Three gas units of 100,000 MWh, previous and verified 100,000 t: pre-allocation 70,000,
/// true-up to the gas cap 100,000 each. Then SC recalls 20,001 CEA24 from E1 and 5,000 from E2;
/// E1 and E2 each hold 15,000 CEA25, E1 also 10,000 CEA26.
///
/// | entity | obligation | CEA24 | gap | borrowing on | borrowing off |
/// |---|---|---|---|---|---|
/// | E1 | 100,000 | 79,999 | 20,001 (20 %) | borrows floor(10,000.5) = 10,000 CEA25, shortfall 10,001 | shortfall 20,001 |
/// | E2 | 100,000 | 95,000 | 5,000 (5 %) | nothing, shortfall 5,000 | shortfall 5,000 |
/// | E3 | 100,000 | 100,000 | — | compliant | compliant |
@Suite("Borrowing in the surrender stage, on each database")
struct BorrowingStageTests {
    static let cea24: UnitTypeCode = "CEA24"
    static let cea25: UnitTypeCode = "CEA25"
    static let cea26: UnitTypeCode = "CEA26"
    static let national: AccountID = "CN-NATIONAL"
    static func e(_ n: Int) -> AccountID { AccountID("ENT-00000\(n)") }
    static let facilities: [CycleFacility] = (1...3).map { n in
        CycleFacility(
            id: "F\(n)", entity: "ENT-00000\(n)", province: "SC", category: "gas", generationMWh: "100000", previousVerifiedT: 100_000,
            verifiedT: 100_000)
    }

    static func plan(borrowing: Bool) -> AllocationPlan {
        var plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
        plan.borrowing.allowed = borrowing
        return plan
    }

    /// Runs the year up to the surrender stage and returns its result and the harness.
    static func surrender(_ backend: Backend, borrowing: Bool, _ name: String = #function) async throws
        -> (CycleStageResult, AllocationCycleServiceTests.Session)
    {
        let location = try backend.freshLocation(name + (borrowing ? "-on" : "-off"))
        let s = try await AllocationCycleServiceTests.Session.open(location)
        let h = s.harness
        for type in [AccountType.national, .compliance] {
            try await h.accept(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-SC", ownerName: "SC", province: "SC", representatives: []))
        for n in 1...3 {
            try await h.accept(.openAccount(type: .entity, ownerID: "E\(n)", ownerName: "E\(n)", province: "SC", representatives: []))
        }
        let plan = Self.plan(borrowing: borrowing)
        _ = try await s.service.run(.preAllocation, plan: plan, year: 2024, facilities: facilities)
        _ = try await s.service.run(.trueUp, plan: plan, year: 2024, facilities: facilities)
        #expect(await h.holding(e(1), cea24).total == 100_000)
        try await h.accept(.recall(from: e(1), to: .provincial("SC"), unit: cea24, quantity: 20_001))
        try await h.accept(.recall(from: e(2), to: .provincial("SC"), unit: cea24, quantity: 5_000))
        for (code, year) in [(cea25, 2025), (cea26, 2026)] {
            try await h.accept(.defineUnitType(code: code, kind: .allowance, label: "CEA", vintageFrom: year, vintageTo: year, projectID: nil, issuer: "CN", serialized: false))
            try await h.accept(.issue(unit: code, quantity: 30_000, to: national))
            try await h.accept(.allocate(from: national, to: .provincial("SC"), unit: code, quantity: 30_000))
        }
        for (n, code, quantity) in [(1, cea25, Int64(15_000)), (2, cea25, 15_000), (1, cea26, 10_000)] {
            try await h.accept(.allocate(from: .provincial("SC"), to: e(n), unit: code, quantity: quantity))
        }
        let result = try await s.service.run(.surrender, plan: plan, year: 2024, facilities: facilities)
        return (result, s)
    }

    @Test(arguments: Backend.all)
    func gapsOf20And5PercentBorrowHalfAndNothing(_ backend: Backend) async throws {
        let (result, s) = try await Self.surrender(backend, borrowing: true)
        let byEntity = Dictionary(uniqueKeysWithValues: (result.plan.compliance ?? []).map { ($0.entity, $0) })
        let e1 = try #require(byEntity[Self.e(1)])
        #expect(e1.borrowedT == 10_000 && e1.surrenderedT == 89_999 && e1.shortfallT == 10_001 && e1.status == .shortfall)
        #expect(e1.surrender.map(\.unit) == [Self.cea24, Self.cea25])
        let e2 = try #require(byEntity[Self.e(2)])
        #expect(e2.borrowedT == nil && e2.shortfallT == 5_000 && e2.surrender.map(\.unit) == [Self.cea24])
        #expect(byEntity[Self.e(3)]?.status == .compliant && byEntity[Self.e(3)]?.borrowedT == nil)
        #expect(result.plan.steps.filter { if case .surrender(_, _, _, _, .some(true)) = $0.command { true } else { false } }.count == 1)
        let state = await s.harness.service.state
        #expect(state.holding(Self.e(1), Self.cea25).total == 5_000 && state.holding(Self.e(1), Self.cea26).total == 10_000)
        #expect(state.holding(Self.e(2), Self.cea25).total == 15_000)
        #expect(state.surrendered[SurrenderKey(account: Self.e(1), complianceYear: 2024, unit: Self.cea25)] == 10_000)
        try await s.close()

        // What was borrowed is recorded with the stage: another process reads it back.
        let reopened = try await AllocationCycleServiceTests.Session.open(s.harness.location)
        let stored = try #require(try await reopened.cycleStore.stage(plan: "power-2024", year: 2024, stage: .surrender))
        #expect(stored.status == .done && stored.plan.compliance?.first { $0.entity == Self.e(1) }?.borrowedT == 10_000)
        #expect(try await reopened.harness.store.loadState().surrendered[
            SurrenderKey(account: Self.e(1), complianceYear: 2024, unit: Self.cea25)] == 10_000)
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func borrowingOffBorrowsNothing(_ backend: Backend) async throws {
        let (result, s) = try await Self.surrender(backend, borrowing: false)
        let compliance = result.plan.compliance ?? []
        #expect(compliance.map(\.shortfallT) == [20_001, 5_000, 0] && compliance.allSatisfy { $0.borrowedT == nil })
        #expect(await s.harness.holding(Self.e(1), Self.cea25).total == 15_000)
        #expect(await s.harness.service.state.surrendered.keys.allSatisfy { $0.unit == Self.cea24 })
        try await s.close()
    }
}
