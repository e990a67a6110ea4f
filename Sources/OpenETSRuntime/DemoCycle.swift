import OpenETSApplication
import OpenETSDomain

/// A compliance year in the demo (issue 5 §8): the demo's four power entities and a fifth,
/// coal-heavy one (ENT-000005, Guangdong) go through pre-allocation, true-up and surrender
/// of 2024 under `power-2024`, so `/statistics/2024` has figures. Run after `DemoMarket.seed`;
/// idempotent (fixed keys, done stages are not run again).
///
/// Hand count (power-2024; water cooled, load 0.90 → factor 1):
///
/// | facility | entity | category, generation | previous / verified | pre | final (rule) |
/// |---|---|---|---|---|---|
/// | D1 | ENT-000001 SC | coal_gt300 600,000 MWh | 500,000 / 520,000 | 350,000 | 474,600 formula |
/// | D2 | ENT-000002 SC | gas 500,000 MWh | 170,000 / 180,000 | 119,000 | 180,000 gas cap |
/// | D3 | ENT-000003 GD | coal_le300 300,000 MWh | 260,000 / 270,000 | 182,000 | 241,470 formula |
/// | D4 | ENT-000004 GD | coal_gt300 400,000 MWh | 350,000 / 1,000,000 | 245,000 | 800,000 coal floor |
/// | D5 | ENT-000005 GD | coal_gt300 200,000 MWh | 250,000 / 300,000 | 175,000 | 240,000 coal floor |
///
/// ENT-000001-4 hold the demo's allowances besides and are compliant; ENT-000005 holds only its
/// 240,000 t against 300,000 t: shortfall 60,000. SC 2/2 (100.00 %), 700,000 / 700,000 t;
/// GD 2/3 (66.67 %), 1,510,000 / 1,570,000 t (96.18 %); nation 4/5 (80.00 %), 2,210,000 /
/// 2,270,000 t (97.36 %); final allocation SC 654,600, GD 1,281,470, nation 1,936,070 t.
public enum DemoCycle {
    public static let planID = "power-2024"
    public static let year = 2024

    public static let facilities: [CycleFacility] = [
        coal("D1", 1, "SC", "coal_gt300", "600000", prev: 500_000, verified: 520_000),
        CycleFacility(id: "D2", entity: "ENT-000002", province: "SC", category: "gas", generationMWh: "500000", previousVerifiedT: 170_000, verifiedT: 180_000),
        coal("D3", 3, "GD", "coal_le300", "300000", prev: 260_000, verified: 270_000),
        coal("D4", 4, "GD", "coal_gt300", "400000", prev: 350_000, verified: 1_000_000),
        coal("D5", 5, "GD", "coal_gt300", "200000", prev: 250_000, verified: 300_000),
    ]

    static func coal(_ id: String, _ n: Int, _ province: String, _ category: String, _ mwh: String, prev: Int64, verified: Int64) -> CycleFacility {
        CycleFacility(
            id: id, entity: "ENT-00000\(n)", province: province, category: category, generationMWh: mwh, cooling: "water", loadFactor: "0.90",
            previousVerifiedT: prev, verifiedT: verified)
    }

    /// Opens ENT-000005 if missing, then runs the three stages (each already done is skipped).
    public static func seed(_ registry: RegistryService, store: any AllocationCycleStore, clock: any LedgerClock) async throws {
        if await registry.state.accounts["ENT-000005"] == nil {
            let outcome = try await registry.execute(
                CommandRequest(
                    idempotencyKey: "demo-cycle-open-ENT-000005",
                    command: .openAccount(
                        type: .entity, ownerID: "91440100MA5CYCLE05", ownerName: "南岭煤电有限公司 Nanling Coal Power", province: "GD",
                        representatives: [])))
            if case .rejected(let error) = outcome { throw DemoError(step: 0, command: "open_account", error: error) }
        }
        let plan = AllocationPlan.seed.first { $0.id == planID }!
        let service = AllocationCycleService(registry: registry, store: store, clock: clock)
        for stage in [CycleStage.preAllocation, .trueUp, .surrender] {
            _ = try await service.run(stage, plan: plan, year: year, facilities: facilities)
        }
    }
}
