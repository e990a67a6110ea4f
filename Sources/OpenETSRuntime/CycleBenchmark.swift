import Foundation
import OpenETSApplication
import OpenETSDomain

/// `openets bench cycle`: a national power market (3,600 entities, 3-5 units each, from a
/// seeded SplitMix64, over 31 provinces) on a fresh store. Accounts are opened untimed; the
/// timed part runs the pre-allocation, the true-up and the surrender stage through the
/// registry (the compliance assessment of every entity on its registry holdings, obligation =
/// verified emissions + true-up debt, net sales read from the journal, one surrender per
/// entity) and the totals.
public enum CycleBenchmark {
    public struct Result: Sendable {
        public var entities: Int
        public var facilities: Int
        public var seconds: Double
        public var commands: Int
        public var shortfallEntities: Int
        public var nationFinalT: Int64
    }

    static let provinces = [
        "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD", "HA",
        "HB", "HN", "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
    ]

    public static func run(location: StoreLocation, entities: Int = 3_600, seed: UInt64 = 20_250_601) async throws -> Result {
        precondition(entities > 0)
        let plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
        let opened = try await Composition.openAllocationCycle(location)
        do {
            let result = try await run(opened, plan: plan, entities: entities, seed: seed)
            try await opened.cycleStore.close()
            try await opened.store.close()
            return result
        } catch {
            try? await opened.cycleStore.close()
            try? await opened.store.close()
            throw error
        }
    }

    static func run(
        _ opened: (store: any LedgerStore, registry: RegistryService, cycleStore: any AllocationCycleStore, service: AllocationCycleService),
        plan: AllocationPlan, entities: Int, seed: UInt64
    ) async throws -> Result {
        var setup: [CommandRequest] = [
            CommandRequest(
                idempotencyKey: "bench/national",
                command: .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: [])),
            CommandRequest(
                idempotencyKey: "bench/compliance",
                command: .openAccount(type: .compliance, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: [])),
        ]
        for province in provinces {
            setup.append(
                CommandRequest(
                    idempotencyKey: "bench/province/\(province)",
                    command: .openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: province, province: province, representatives: [])))
        }
        for e in 0..<entities {
            setup.append(
                CommandRequest(
                    idempotencyKey: "bench/entity/\(e)",
                    command: .openAccount(
                        type: .entity, ownerID: "E\(e)", ownerName: "Entity \(e)", province: provinces[e % provinces.count], representatives: [])))
        }
        for outcome in try await opened.registry.submit(setup) where outcome.error != nil {
            throw BenchmarkSetupError("account setup rejected: \(outcome.error!)")
        }
        let facilities = generate(entities: entities, seed: seed)

        let clock = ContinuousClock()
        let start = clock.now
        let pre = try await opened.service.run(.preAllocation, plan: plan, year: plan.year, facilities: facilities)
        let trueUp = try await opened.service.run(.trueUp, plan: plan, year: plan.year, facilities: facilities)
        let surrender = try await opened.service.run(.surrender, plan: plan, year: plan.year, facilities: facilities)
        let totals = try await opened.service.totals(plan: plan, year: plan.year, facilities: facilities)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(
            entities: entities, facilities: facilities.count, seconds: seconds,
            commands: pre.plan.steps.count + trueUp.plan.steps.count + surrender.plan.steps.count,
            shortfallEntities: (surrender.plan.compliance ?? []).filter { $0.status == .shortfall }.count,
            nationFinalT: totals.nation.total.finalT ?? 0)
    }

    /// 3-5 units per entity: coal > 300 MW, coal ≤ 300 MW, unconventional coal or gas, with
    /// output and emissions in plausible ranges.
    static func generate(entities: Int, seed: UInt64) -> [CycleFacility] {
        var random = SplitMix64(seed: seed)
        var result: [CycleFacility] = []
        for e in 0..<entities {
            let count = 3 + Int(random.next() % 3)
            for f in 0..<count {
                let pick = random.next() % 10
                let category = pick < 5 ? "coal_gt300" : pick < 8 ? "coal_le300" : pick < 9 ? "coal_unconventional" : "gas"
                let generation = 100_000 + Int64(random.next() % 800_000)
                let intensity: Int64 = category == "gas" ? 330 + Int64(random.next() % 80) : 760 + Int64(random.next() % 160)
                let verified = generation * intensity / 1_000
                let previous = verified * (90 + Int64(random.next() % 20)) / 100
                let load = "0.\(70 + random.next() % 25)"
                result.append(
                    CycleFacility(
                        id: "U\(e)-\(f)", entity: "ENT-" + String(repeating: "0", count: max(0, 6 - String(e + 1).count)) + String(e + 1),
                        province: provinces[e % provinces.count], category: category, generationMWh: String(generation),
                        heatSuppliedGJ: random.next() % 4 == 0 ? String(random.next() % 500_000) : nil,
                        cooling: category == "gas" ? nil : (random.next() % 3 == 0 ? "air" : "water"),
                        loadFactor: category.hasPrefix("coal") ? load : nil, previousVerifiedT: previous, verifiedT: verified))
            }
        }
        return result
    }
}

struct BenchmarkSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
