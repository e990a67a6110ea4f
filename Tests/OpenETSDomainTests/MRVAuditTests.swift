import OpenETSDomain
import Testing

/// Acceptance points of issue 4 the other suites did not yet show (docs/mrv.md, "Acceptance
/// audit"): the fuel-oil and diesel defaults, and MRV-only sectors marked on the key-emitter list.
@Suite("MRV acceptance audit: remaining defaults and the key-emitter list")
struct MRVAuditTests {
    typealias W = MRVWorld

    @Test func fuelOilAndDieselDefaultsAgainstHandComputedValues() throws {
        let boiler = W.coalUnit("B1", entity: 1, fuels: [.fuelOil, .diesel])
        let tables = MRVPolicyTables.seed
        func figures(_ fuel: Fuel) throws -> MRVAccounting.MonthFigures {
            var data = W.coalMonth("B1", 2024, 1)
            data.fuels = [FuelLine(fuel: fuel, consumption: W.decimal("10"))]
            return try MRVAccounting.validate(data, facility: boiler, accounting: tables.accounting(2024), platform: tables.platform(2024))
        }
        // Fuel oil: 10 t × 41.816 GJ/t × 0.0211 tC/GJ × 0.98 × 44/12 = 31.7046124266… → 31.70
        let oil = try figures(.fuelOil)
        #expect(try oil.combustionTimes12.divided(by: 12, roundingTo: 2) == W.decimal("31.70"))
        #expect(oil.combustionTimes12 == W.decimal("380.455349120"))  // × 12, exact
        #expect(oil.defaultsUsed == ["fuel_oil:1:ncv_gj_per_unit", "fuel_oil:1:carbon_per_gj_t", "fuel_oil:1:oxidation"])
        // Diesel: 10 × 42.652 × 0.0202 × 0.98 × 44/12 = 30.9590963733… → 30.96
        let diesel = try figures(.diesel)
        #expect(try diesel.combustionTimes12.divided(by: 12, roundingTo: 2) == W.decimal("30.96"))
        #expect(diesel.defaultsUsed == ["diesel:1:ncv_gj_per_unit", "diesel:1:carbon_per_gj_t", "diesel:1:oxidation"])
        // Through the calculator too (the JSON path).
        let result = try EmissionCalculator.calculate(
            EmissionCalculator.Input(year: 2024, facilities: [
                EmissionCalculator.FacilityInput(id: "B1", fuels: [
                    EmissionCalculator.FuelInput(fuel: "fuel_oil", months: [EmissionCalculator.MonthInput(month: 1, consumption: "10", unit: "t")]),
                    EmissionCalculator.FuelInput(fuel: "diesel", months: [EmissionCalculator.MonthInput(month: 1, consumption: "10", unit: "t")]),
                ])
            ]), policies: MRVPolicy.seed)
        // 31.7046124266… + 30.9590963733… = 62.6637088 → 62.66 (summed exactly, rounded once)
        #expect(result.facilities[0].combustionT == "62.66")
    }

    @Test func mrvOnlySectorsAreMarkedOnTheKeyEmitterList() throws {
        var world = try MRVWorld.registered()
        // Entity 2: a chemical plant (MRV-only) with its own coal unit; entity 3: a steel works,
        // MRV-only for 2023 data and in compliance from 2024 data.
        try world.apply(.registerEntity(uscc: W.uscc(2), name: "化工二厂", province: "四川", city: "泸州", sector: .chemical, group: nil))
        try world.apply(.registerFacility(W.coalUnit("C1", entity: 2)))
        try world.apply(.registerEntity(uscc: W.uscc(3), name: "钢铁三厂", province: "四川", city: "攀枝花", sector: .steel, group: nil))
        try world.apply(.registerFacility(Facility(id: "S1", entity: W.entityID(3), name: "BF-1", kind: .steel, fuels: [.coal])))
        for year in [2023, 2024] {
            for month in 1...12 {
                try world.apply(.submitMonth(W.coalMonth("C1", year, month)), at: W.at(2025, 1, 20))
                try world.apply(.submitMonth(W.coalMonth("S1", year, month).withOutput("5000")), at: W.at(2025, 1, 20))
            }
            for entity in [2, 3] { try world.apply(.submitReport(entity: W.entityID(entity), year: year), at: W.at(2025, 2, 1)) }
        }
        let p2023 = try world.policy.platform(2023)
        let p2024 = try world.policy.platform(2024)
        let list2024 = world.state.keyEmitters(policy: p2024)
        #expect(list2024.map(\.entity) == [W.entityID(2), W.entityID(3)])
        #expect(list2024.first { $0.entity == W.entityID(2) }?.mrvOnly == true)
        #expect(list2024.first { $0.entity == W.entityID(3) }?.mrvOnly == false)
        let list2023 = world.state.keyEmitters(policy: p2023)
        #expect(list2023.count == 2 && list2023.allSatisfy(\.mrvOnly))
    }

    @Test func valuesNotMeasuredCompliantlyTakeTheDefault() throws {
        func figures(_ world: MRVWorld, _ month: Int) throws -> MRVAccounting.MonthFigures {
            let data = world.state.months[FacilityMonth(facility: "U1", year: 2024, month: month)]!.data
            return try MRVAccounting.validate(
                data, facility: world.state.facilities["U1"]!, accounting: world.policy.accounting(2024), platform: world.policy.platform(2024))
        }
        // NCV 20, carbon 0.0260 tC/GJ and oxidation 0.98, all measured.
        var january = W.coalMonth("U1", 2024, 1, carbon: CarbonContent(.measured(W.decimal("0.0260"))))
        january.fuels[0].oxidation = .measured(W.decimal("0.98"))
        // Without an approved plan the values count as given: 1000 × 20 × 0.0260 × 0.98 × 44/12 = 1868.53.
        var noPlan = try MRVWorld.registered()
        #expect(try noPlan.apply(.submitMonth(january), at: W.at(2024, 2, 2)).count == 1)
        #expect(try figures(noPlan, 1).combustionTimes12.divided(by: 12, roundingTo: 2) == W.decimal("1868.53"))

        // Plan v1: NCV measured by a laboratory; carbon measured but no laboratory named;
        // oxidation the default.
        var world = try MRVWorld.registered()
        try world.apply(.submitControlPlan(facility: "U1", items: [
            DataItemPlan(item: "coal.ncv", source: .measured, method: "GB/T 213", meter: "calorimeter", frequency: "each batch", lab: "CMA lab", fallback: "default"),
            DataItemPlan(item: "coal.carbon", source: .measured, method: "GB/T 476", meter: "analyser", frequency: "monthly", fallback: "default"),
            DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default"),
        ]))
        try world.apply(.approveControlPlan(facility: "U1", version: 1))
        let events = try world.apply(.submitMonth(january), at: W.at(2024, 2, 2))
        guard events.count == 2, case .parametersDefaulted(_, let substitutions) = events[1] else {
            Issue.record("expected a substitution event, got \(events)")
            return
        }
        #expect(substitutions.map(\.item) == ["coal.carbon", "coal.oxidation"])
        let record = world.state.months[january.key]!
        #expect(record.substitutions.map(\.submitted) == [.measured(W.decimal("0.0260")), .measured(W.decimal("0.98"))])
        #expect(record.data.fuels[0].carbon == nil && record.data.fuels[0].oxidation == .defaulted)
        #expect(record.data.fuels[0].ncvGJPerUnit == .measured(W.decimal("20")))  // backed by the plan: kept
        // The defaults apply: 1000 × 20 × 0.03085 × 0.99 × 44/12 = 2239.71, listed as defaults.
        let defaulted = try figures(world, 1)
        #expect(try defaulted.combustionTimes12.divided(by: 12, roundingTo: 2) == W.decimal("2239.71"))
        #expect(defaulted.defaultsUsed == ["coal:1:carbon_per_gj_t", "coal:1:oxidation"])

        // Plan v2 names a laboratory for carbon and measures oxidation: the same data sent as a
        // correction now counts as given, and the substitutions are gone.
        try world.apply(.submitControlPlan(facility: "U1", items: [
            DataItemPlan(item: "coal.carbon", source: .measured, method: "GB/T 476", meter: "analyser", frequency: "monthly", lab: "CMA lab", fallback: "default"),
            DataItemPlan(item: "coal.oxidation", source: .measured, method: "ash carbon", meter: "sampler", frequency: "monthly", lab: "CMA lab", fallback: "default"),
        ]))
        try world.apply(.approveControlPlan(facility: "U1", version: 2))
        #expect(try world.apply(.correctMonth(january, reason: "plan v2"), at: W.at(2024, 3, 1)).count == 1)
        #expect(world.state.months[january.key]!.substitutions.isEmpty)
        #expect(try figures(world, 1).combustionTimes12.divided(by: 12, roundingTo: 2) == W.decimal("1868.53"))
        #expect(world.code(.correctMonth(january, reason: "again"), at: W.at(2024, 3, 2)) == .invalidValue)  // changes nothing
    }
}
