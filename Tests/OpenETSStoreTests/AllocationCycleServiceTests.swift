import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// The allocation cycle through the registry, on each database: a small market (2 provinces,
/// 4 entities, 6 facilities with gas and coal units; the figures are worked out by hand in
/// `CycleAllocationTests`) goes through pre-allocation and true-up.
@Suite("Allocation cycle through the registry, on each database")
struct AllocationCycleServiceTests {
    static let e1: AccountID = "ENT-000001"
    static let e2: AccountID = "ENT-000002"
    static let e3: AccountID = "ENT-000003"
    static let e4: AccountID = "ENT-000004"
    static let national: AccountID = "CN-NATIONAL"
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

    struct Session {
        var harness: Harness
        var cycleStore: any AllocationCycleStore
        var service: AllocationCycleService

        /// The registry as the harness opens it, and the cycle's records on a second connection
        /// (as `Composition.openAllocationCycle` does).
        static func open(_ location: StoreLocation) async throws -> Session {
            let harness = try await Harness.open(location)
            let cycleStore = try await Composition.openAllocationCycleStore(location, connectionID: 2)
            return Session(
                harness: harness, cycleStore: cycleStore,
                service: AllocationCycleService(registry: harness.service, store: cycleStore, clock: SteppingClock()))
        }

        func close() async throws {
            try await cycleStore.close()
            try await harness.close()
        }

        func holdings() async -> [Int64] {
            var result: [Int64] = []
            typealias T = AllocationCycleServiceTests
            for account in [T.e1, T.e2, T.e3, T.e4, T.national, .provincial("SC"), .provincial("GD")] {
                result.append(await harness.holding(account, T.cea24).total)
            }
            return result
        }
    }

    static func market(_ backend: Backend, _ name: String = #function) async throws -> Session {
        let session = try await Session.open(try backend.freshLocation(name))
        let h = session.harness
        try await h.accept(.openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        for province in ["SC", "GD"] {
            try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: province, province: province, representatives: []))
        }
        for (owner, province) in [("E1", "SC"), ("E2", "SC"), ("E3", "GD"), ("E4", "GD")] {
            try await h.accept(.openAccount(type: .entity, ownerID: owner, ownerName: owner, province: province, representatives: []))
        }
        return session
    }

    @Test(arguments: Backend.all)
    func preAllocationAndTrueUpMatchAHandCount(_ backend: Backend) async throws {
        let s = try await Self.market(backend)
        let pre = try await s.service.run(.preAllocation, plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(pre.applied == 8 && !pre.alreadyDone)
        // E1 595,000 + 56,001; E2 70,000; E3 140,000; E4 210,004 + 70,004; nothing left above.
        #expect(await s.holdings() == [651_001, 70_000, 140_000, 280_008, 0, 0, 0])

        // Running it again changes nothing: not even the journal.
        let head = try await s.harness.store.head()
        let again = try await s.service.run(.preAllocation, plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(again.alreadyDone && again.applied == 0)
        #expect(try await s.harness.store.head() == head)

        // A true-up whose facilities no longer add up to what was pre-allocated is refused.
        var altered = Self.facilities
        altered[2].previousVerifiedT = 100_001
        do {
            _ = try await s.service.run(.trueUp, plan: Self.plan, year: 2024, facilities: altered)
            Issue.record("a true-up on altered pre-allocation data was accepted")
        } catch let error as AllocationError {
            #expect(error.code == .preAllocationMismatch)
        }
        #expect(try await s.cycleStore.stage(plan: "power-2024", year: 2024, stage: .trueUp) == nil)
        #expect(try await s.harness.store.head() == head)

        // E3 has 100,000 of its 140,000 frozen: the recall of 52,000 takes the 40,000 free ones.
        try await s.harness.accept(.freeze(account: Self.e3, unit: Self.cea24, quantity: 100_000, reason: .judicial(order: "J-1")))
        let trueUp = try await s.service.run(.trueUp, plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(trueUp.applied == 9)
        #expect(await s.holdings() == [861_000, 65_760, 100_000, 499_459, 0, 0, 0])
        #expect(await s.harness.service.state.unitTypes[Self.cea24]?.issuedQuantity == 1_526_219)
        let debt = CycleDebt(
            entity: Self.e3, year: 2024, unit: Self.cea24, quantityT: 12_000,
            reason: "true-up power-2024: recall of 52000 t, 40000 t free CEA24 held", settlement: .addToObligation)
        #expect(try await s.service.debts(year: 2024) == [debt])

        let headAfter = try await s.harness.store.head()
        let trueUpAgain = try await s.service.run(.trueUp, plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(trueUpAgain.alreadyDone)
        #expect(try await s.harness.store.head() == headAfter)
        #expect(try await s.service.debts(year: 2024) == [debt])

        let totals = try await s.service.totals(plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(totals.provinces.map(\.total.finalT) == [587_459, 926_760])
        #expect(totals.nation.total == CycleTotals.Figures(facilities: 6, preAllocationT: 1_141_009, finalT: 1_514_219))
        // Held by entities = final allocation + the debt E3 still holds (frozen).
        #expect(await s.holdings().prefix(4).reduce(0, +) == 1_514_219 + 12_000)
        try await s.close()

        // Another process sees both stages done and the debt.
        let reopened = try await Session.open(s.harness.location)
        #expect(try await reopened.cycleStore.stage(plan: "power-2024", year: 2024, stage: .trueUp)?.status == .done)
        #expect(try await reopened.service.debts(year: 2024) == [debt])
        #expect(try await reopened.service.run(.preAllocation, plan: Self.plan, year: 2024, facilities: Self.facilities).alreadyDone)
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func aRunInterruptedAfterSomeCommandsFinishesExactly(_ backend: Backend) async throws {
        let s = try await Self.market(backend)
        // A first run stored its plan and got three commands through, then stopped.
        let state = await s.harness.service.state
        let planned = try CycleAllocation.preAllocation(plan: Self.plan, year: 2024, facilities: Self.facilities, registry: state, policy: .defaults)
        _ = try await s.cycleStore.savePlanned(
            CycleStageRecord(plan: planned, status: .planned, plannedAt: Timestamp(millisecondsSinceEpoch: 1), doneAt: nil))
        let first = try await s.harness.service.submit(planned.steps.prefix(3).map { CommandRequest(idempotencyKey: $0.key, command: $0.command) })
        #expect(first.allSatisfy { $0.receipt != nil })
        let result = try await s.service.run(.preAllocation, plan: Self.plan, year: 2024, facilities: Self.facilities)
        #expect(result.applied == 5)
        #expect(result.plan == planned)
        #expect(await s.holdings() == [651_001, 70_000, 140_000, 280_008, 0, 0, 0])
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func badInputAndStageOrderChangeNothing(_ backend: Backend) async throws {
        let s = try await Self.market(backend)
        let head = try await s.harness.store.head()
        await #expect(throws: AllocationError(.stageOrder, "the pre-allocation of power-2024 2024 is not done")) {
            try await s.service.run(.trueUp, plan: Self.plan, year: 2024, facilities: Self.facilities)
        }
        var wrong = Self.facilities
        wrong[5].province = "SC"
        do {
            _ = try await s.service.run(.preAllocation, plan: Self.plan, year: 2024, facilities: wrong)
            Issue.record("a facility in the wrong province was accepted")
        } catch let error as AllocationError {
            #expect(error.code == .provinceMismatch)
        }
        #expect(try await s.harness.store.head() == head)
        #expect(try await s.cycleStore.stage(plan: "power-2024", year: 2024, stage: .preAllocation) == nil)
        #expect(await s.holdings() == [0, 0, 0, 0, 0, 0, 0])
        try await s.close()
    }
}
