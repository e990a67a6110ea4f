import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Allocation plans as versioned data in the store (migration 14), on each database: load a
/// draft, publish it, supersede it with a corrected version; published versions never change;
/// a cycle stage keeps the plan version it started with.
@Suite("Allocation plans in the store, on each database")
struct AllocationPlanStoreTests {
    static var power2024: AllocationPlan { AllocationPlan.seed.first { $0.id == "power-2024" }! }

    /// power-2024 with the coal_gt300 benchmark corrected (0.7910 → 0.7900).
    static var corrected: AllocationPlan {
        var plan = power2024
        plan.categories[0].electricityBenchmark = ExactDecimal("0.7900")!
        return plan
    }

    @Test(arguments: Backend.all)
    func loadPublishSupersede(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let opened = try await Composition.openAllocationPlans(location, clock: SteppingClock())
        let service = opened.service

        // Nothing stored: the shipped plan is in force.
        #expect(try await service.resolve(id: "power-2024").source == .shipped)

        // Loading the shipped parameters again is no change; a corrected plan becomes draft v2
        // (after the shipped v1), listing what differs from the plan in force.
        await #expect(throws: AllocationError(.planUnchanged, "plan power-2024: the same parameters as version 1")) {
            _ = try await service.load(Self.power2024, by: "mee-a")
        }
        let loaded = try await service.load(Self.corrected, by: "mee-a")
        #expect(loaded.stored.plan.version == 2 && loaded.stored.status == .draft && loaded.comparedWith == 1)
        #expect(loaded.changes == [AllocationPlanChange(path: "categories[0].electricity_benchmark", before: "0.7910", after: "0.7900")])
        #expect(loaded.stored.sha256 == AllocationPlanCodec.sha256(loaded.stored.body) && loaded.stored.sha256.count == 64)
        // A draft is not in force.
        #expect(try await service.resolve(id: "power-2024").source == .shipped)

        let published = try await service.publish(id: "power-2024", version: nil, by: "mee-b")
        #expect(published.status == .published && published.publishedBy == "mee-b" && published.publishedAt != nil)
        let inForce = try await service.resolve(id: "power-2024")
        #expect(inForce.source == .store && inForce.plan.version == 2 && inForce.plan.categories[0].electricityBenchmark == ExactDecimal("0.79")!)

        // A third version supersedes the second.
        var third = Self.corrected
        third.categories[3].electricityBenchmark = ExactDecimal("0.3280")!
        let v3 = try await service.load(third, by: "mee-a")
        #expect(v3.comparedWith == 2 && v3.changes.map(\.path) == ["categories[3].electricity_benchmark"])
        _ = try await service.publish(id: "power-2024", version: 3, by: "mee-b")
        let versions = try await service.versions(id: "power-2024")
        #expect(versions.map(\.plan.version) == [2, 3] && versions.map(\.status) == [.superseded, .published])
        #expect(versions[0].supersededAt != nil && versions[0].sha256 == published.sha256 && versions[0].body == published.body)
        #expect(try await service.resolve(id: "power-2024").plan.version == 3)

        // A new id (a plan object of another type) starts at version 1 with nothing to compare.
        var example = AllocationPlan.shipped.first { $0.id == "example-hubei-2024" }!
        example.id = "hubei-cement-2024"
        let fresh = try await service.load(example, by: "hb")
        #expect(fresh.stored.plan.version == 1 && fresh.comparedWith == nil && fresh.changes.isEmpty)
        #expect(try await service.catalog().map(\.id).contains("hubei-cement-2024"))
        try await opened.store.close()

        // Reopened in another connection: the same versions and hashes.
        let reopened = try await Composition.openAllocationPlans(location, clock: SteppingClock())
        #expect(try await reopened.service.versions(id: "power-2024") == versions)
        try await reopened.store.close()
    }

    @Test(arguments: Backend.all)
    func publishedVersionsStay(_ backend: Backend) async throws {
        let opened = try await Composition.openAllocationPlans(try backend.freshLocation(), clock: SteppingClock())
        let service = opened.service
        _ = try await service.load(Self.corrected, by: "mee")
        let published = try await service.publish(id: "power-2024", version: 2, by: "mee")
        func code(_ body: () async throws -> Void) async -> AllocationErrorCode? {
            do {
                try await body()
                return nil
            } catch let error as AllocationError {
                return error.code
            } catch {
                return nil
            }
        }
        // Publishing it again, or a version that does not exist, or with no draft left.
        #expect(await code { _ = try await service.publish(id: "power-2024", version: 2, by: "mee") } == .planStatus)
        #expect(await code { _ = try await service.publish(id: "power-2024", version: nil, by: "mee") } == .planStatus)
        #expect(await code { _ = try await service.publish(id: "power-2024", version: 9, by: "mee") } == .unknownPlan)
        #expect(await code { _ = try await service.publish(id: "steel-2099", version: nil, by: "mee") } == .unknownPlan)
        // The store itself refuses to publish a version that is not a draft.
        #expect(try await opened.store.publishPlan(id: "power-2024", version: 2, by: "x", at: Timestamp(millisecondsSinceEpoch: 1)) == false)
        var again = published
        again.status = .draft
        again.body = "{}"
        #expect(try await opened.store.insertPlanDraft(again) == false)  // (id, version) is taken
        // Loading the published parameters again is no change; an invalid plan is refused.
        #expect(await code { _ = try await service.load(Self.corrected, by: "mee") } == .planUnchanged)
        var broken = Self.corrected
        broken.preAllocationRatio = ExactDecimal("1.5")!
        #expect(await code { _ = try await service.load(broken, by: "mee") } == .invalidPlan)
        #expect(await code { _ = try await service.load(Self.power2024, by: "") } == .invalidValue)
        // An older draft cannot be published over a newer published version.
        var v3 = Self.corrected
        v3.gasCap = false
        var v4 = v3
        v4.coalFloorRatio = ExactDecimal("0.85")!
        _ = try await service.load(v3, by: "mee")
        _ = try await service.load(v4, by: "mee")
        _ = try await service.publish(id: "power-2024", version: 4, by: "mee")
        #expect(await code { _ = try await service.publish(id: "power-2024", version: 3, by: "mee") } == .planStatus)

        let versions = try await service.versions(id: "power-2024")
        #expect(versions.map(\.status) == [.superseded, .draft, .published])
        #expect(versions[0].body == published.body && versions[0].sha256 == published.sha256)
        #expect(versions[0].plan == published.plan)
        try await opened.store.close()
    }

    @Test(arguments: Backend.all)
    func aStageKeepsThePlanVersionItStartedWith(_ backend: Backend) async throws {
        let session = try await AllocationCycleServiceTests.market(backend)
        let plans = AllocationPlanService(store: session.cycleStore, clock: SteppingClock())
        let facilities = AllocationCycleServiceTests.facilities

        // Version 2 published; the pre-allocation runs on it and records it.
        var v2 = Self.power2024
        v2.preAllocationRatio = ExactDecimal("0.60")!
        _ = try await plans.load(v2, by: "mee")
        _ = try await plans.publish(id: "power-2024", version: 2, by: "mee")
        let planV2 = try await plans.resolve(id: "power-2024")
        let pre = try await session.service.run(.preAllocation, plan: planV2.plan, year: 2024, facilities: facilities)
        #expect(pre.plan.planVersion == 2 && pre.plan.planSHA256 == planV2.sha256)
        // E1: 0.60 × 850,000 + round(0.60 × 80,001 = 48,000.6) = 510,000 + 48,001.
        #expect(pre.plan.entities.first?.movedT == 558_001)

        // Version 3 changes the ratio back to 0.70; the done stage is not run again and still
        // reports version 2, and its record in the store says so.
        _ = try await plans.load(Self.power2024, by: "mee")
        _ = try await plans.publish(id: "power-2024", version: nil, by: "mee")
        let planV3 = try await plans.resolve(id: "power-2024")
        #expect(planV3.plan.version == 3)
        let again = try await session.service.run(.preAllocation, plan: planV3.plan, year: 2024, facilities: facilities)
        #expect(again.alreadyDone && again.plan.planVersion == 2 && again.plan.entities.first?.movedT == 558_001)
        let stored = try await session.cycleStore.stage(plan: "power-2024", year: 2024, stage: .preAllocation)
        #expect(stored?.plan.planVersion == 2 && stored?.plan.planSHA256 == planV2.sha256)
        try await session.close()
    }

    @Test(arguments: Backend.all)
    func aPlannedStageIsResubmittedUnderItsOwnVersion(_ backend: Backend) async throws {
        let session = try await AllocationCycleServiceTests.market(backend)
        let plans = AllocationPlanService(store: session.cycleStore, clock: SteppingClock())
        let facilities = AllocationCycleServiceTests.facilities
        // A pre-allocation stored as planned under the shipped v1 (0.70), as a run that stopped
        // before submitting leaves it.
        let state = await session.harness.service.state
        var planned = try CycleAllocation.preAllocation(
            plan: Self.power2024, year: 2024, facilities: facilities, registry: state, policy: await session.harness.service.policy)
        planned.planVersion = 1
        planned.planSHA256 = AllocationPlanCodec.sha256(Self.power2024)
        _ = try await session.cycleStore.savePlanned(
            CycleStageRecord(plan: planned, status: .planned, plannedAt: Timestamp(millisecondsSinceEpoch: 1), doneAt: nil))
        // Then v2 (0.60) is published; the re-run submits the stored v1 commands.
        var v2 = Self.power2024
        v2.preAllocationRatio = ExactDecimal("0.60")!
        _ = try await plans.load(v2, by: "mee")
        _ = try await plans.publish(id: "power-2024", version: 2, by: "mee")
        let result = try await session.service.run(
            .preAllocation, plan: try await plans.resolve(id: "power-2024").plan, year: 2024, facilities: facilities)
        #expect(result.plan.planVersion == 1 && result.applied == 8)
        #expect(await session.holdings() == [651_001, 70_000, 140_000, 280_008, 0, 0, 0])  // 0.70, not 0.60
        try await session.close()
    }
}
