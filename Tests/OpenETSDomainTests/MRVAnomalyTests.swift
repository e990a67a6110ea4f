import OpenETSDomain
import Testing

@Suite("MRV anomaly rules: each fires and does not")
struct MRVAnomalyTests {
    typealias W = MRVWorld
    static let tables = MRVPolicyTables.seed
    static let policy = MRVAnomalyPolicy.seed

    static func entity(_ n: Int, province: String = "四川", sector: MRVSector = .power) -> MRVEntity {
        MRVEntity(id: W.entityID(n), name: "E\(n)", province: province, city: "成都", sector: sector)
    }

    /// Twelve months of a coal unit; `change` edits each month.
    static func year(
        _ id: String, entity: Int = 1, category: PowerUnitCategory = .coalGT300, province: String = "四川",
        _ change: (inout MonthlyData) -> Void = { _ in }
    ) throws -> FacilityYearData {
        let facility = W.coalUnit(id, entity: entity, category: category)
        let months = (1...12).map { m in
            var data = W.coalMonth(id, 2024, m)
            change(&data)
            return data
        }
        return try FacilityYearData(facility: facility, entity: Self.entity(entity, province: province), year: 2024, months: months, policy: tables)
    }

    func run(_ years: [FacilityYearData], grid: [GridGenerationRow] = []) -> [AnomalyFinding] {
        MRVAnomalies.run(years, grid: grid, policy: Self.policy)
    }

    func rules(_ findings: [AnomalyFinding]) -> Set<AnomalyRule> { Set(findings.map(\.rule)) }

    @Test func aPlausibleUnitRaisesNothing() throws {
        // Heat rate 20000 / 2400 = 8.333333 GJ/MWh; intensity 2239.71 / 2400 = 0.933213 tCO2/MWh.
        #expect(run([try Self.year("U1")]).isEmpty)
    }

    @Test func heatRateOutsideTheCategoryRange() throws {
        // 20000 GJ / 1900 MWh = 10.526316 GJ/MWh > 10.0 for coal_gt300 (intensity 1.178795 also fires A02).
        let findings = run([try Self.year("U1") { $0.production.generationMWh = W.decimal("1900") }])
        let heat = try #require(findings.first { $0.rule == .heatRateRange })
        #expect(heat.ruleID == "MRV-A01" && heat.severity == .warning && heat.month == nil)
        #expect(heat.numbers.first { $0.name == "heat_rate" }?.value == "10.526316")
        #expect(heat.explanationEN.contains("above the plausible range 7.6–10.0") && heat.explanationZH.contains("高于"))
        // The same unit as coal_le300 (8.2–11.5) is plausible for heat rate; intensity still fires (0.75–1.15).
        let le300 = run([try Self.year("U1", category: .coalLE300) { $0.production.generationMWh = W.decimal("1900") }])
        #expect(rules(le300) == [.intensityRange])
        // Heat supplied is taken off the heat input: (20000 − 2000) / 1900 = 9.473684.
        let chp = run([try Self.year("U1") { $0.production.generationMWh = W.decimal("1900"); $0.production.heatSuppliedGJ = W.decimal("2000") }])
        #expect(!rules(chp).contains(.heatRateRange))
    }

    @Test func intensityOutsideTheCategoryRange() throws {
        // 26876.52 t / 26400 MWh = 1.018050 > 1.00; heat rate 9.090909 is plausible.
        let findings = run([try Self.year("U1") { $0.production.generationMWh = W.decimal("2200") }])
        #expect(rules(findings) == [.intensityRange])
        #expect(findings[0].numbers.first { $0.name == "intensity" }?.value == "1.018050")
        // With heat supplied the electricity share is E × (H − S) / H: 26876.52 × 18000/20000 / 26400 = 0.916245.
        let chp = run([try Self.year("U1") { $0.production.generationMWh = W.decimal("2200"); $0.production.heatSuppliedGJ = W.decimal("2000") }])
        #expect(chp.isEmpty)
    }

    @Test func intensityFarFromPeersByRobustZ() throws {
        // Six coal_gt300 units: five near 0.93 tCO2/MWh (generation varies), one at 0.756250 (measured
        // carbon 0.0250 tC/GJ), every value inside the category's plausible range.
        let generations = ["2400", "2410", "2390", "2405", "2395"]
        var years: [FacilityYearData] = []
        for (i, generation) in generations.enumerated() {
            years.append(try Self.year("U\(i + 1)", entity: i + 1) { $0.production.generationMWh = W.decimal(generation) })
        }
        years.append(try Self.year("U6", entity: 6) { $0.fuels[0].carbon = CarbonContent(.measured(W.decimal("0.0250"))) })
        let findings = run(years)
        #expect(findings.map(\.facility) == ["U6"] && findings[0].rule == .peerIntensity && findings[0].ruleID == "MRV-A03")
        let z = try #require(findings[0].numbers.first { $0.name == "robust_z" })
        // Median 932242.5, 4 MAD = 5805 + 5837 (10^-6 units): z = −2 × 0.6745 × 351985 / 11642 = −40.79
        #expect(z.value == "-40.79")
        // Without the outlier nobody is flagged; with fewer than five peers the rule does not run.
        #expect(run(Array(years.prefix(5))).isEmpty)
        var few = Array(years.prefix(3))
        few.append(years[5])
        #expect(run(few).isEmpty)
    }

    @Test func robustZIsComputedOnIntegersWithDoubledMedians() throws {
        // Intensities (10^-6): 100, 101, 102, 103, 200 → median 102; |x − m| = 2,1,0,1,98 → MAD 1.
        // z(200) = 0.6745 × 98 / 1 = 66.10 > 3.5; z(100) = −1.35.
        let values: [(String, String)] = [("A", "100"), ("B", "101"), ("C", "102"), ("D", "103"), ("E", "200")]
        var years: [FacilityYearData] = []
        for (i, (id, micro)) in values.enumerated() {
            // Output 10^6 t with combustion chosen so that intensity = micro × 10^-6 tCO2/t… built via a steel line.
            let facility = Facility(id: FacilityID(id), entity: W.entityID(i + 1), name: id, kind: .steel, fuels: [.coal])
            let months = (1...12).map { m in
                MonthlyData(
                    facility: FacilityID(id), year: 2024, month: m,
                    fuels: [FuelLine(fuel: .coal, consumption: W.decimal(micro), ncvGJPerUnit: .measured(W.decimal("1")), carbon: CarbonContent(.measured(W.decimal("0.03"))), oxidation: .measured(W.decimal("1")))],
                    production: Production(outputT: W.decimal("110000")))
            }
            years.append(try FacilityYearData(facility: facility, entity: Self.entity(i + 1, sector: .steel), year: 2024, months: months, policy: Self.tables))
        }
        let findings = run(years).filter { $0.rule == .peerIntensity }
        #expect(findings.map(\.facility) == ["E"])
        #expect(findings[0].numbers.first { $0.name == "robust_z" }?.value == "66.10")
        #expect(findings[0].numbers.first { $0.name == "peer_mad" }?.value == "0.00000100")
    }

    @Test func monthOnMonthJumps() throws {
        // June burns 1500 t for the same generation: intensity +50 % (June) and −33.33 % (July).
        let findings = run([try Self.year("U1") { if $0.month == 6 { $0.fuels[0].consumption = W.decimal("1500") } }])
        let jumps = findings.filter { $0.rule == .monthJump }
        #expect(jumps.map(\.month) == [6, 7])
        #expect(jumps[0].numbers.first { $0.name == "change_percent" }?.value == "50.00")
        #expect(jumps[1].numbers.first { $0.name == "change_percent" }?.value == "-33.33")
        // +25 % stays under the 30 % threshold.
        let small = run([try Self.year("U1") { if $0.month == 6 { $0.fuels[0].consumption = W.decimal("1250") } }])
        #expect(!rules(small).contains(.monthJump))
    }

    @Test func carbonContentOutsideTheFuelRange() throws {
        let findings = run([try Self.year("U1") { if $0.month == 3 { $0.fuels[0].carbon = CarbonContent(.measured(W.decimal("0.0400"))) } }])
        let carbon = findings.filter { $0.rule == .carbonContentRange }
        #expect(carbon.map(\.month) == [3] && carbon[0].numbers.first?.value == "0.0400")
        let fine = run([try Self.year("U1") { $0.fuels[0].carbon = CarbonContent(.measured(W.decimal("0.0300"))) }])
        #expect(!rules(fine).contains(.carbonContentRange))
        // Per unit as received: coal 0.30–0.85 tC/t.
        let perMass = run([try Self.year("U1") { if $0.month == 3 { $0.fuels[0].carbon = CarbonContent(.measured(W.decimal("0.95")), basis: .perMassAsReceived) } }])
        #expect(perMass.contains { $0.rule == .carbonContentRange && $0.numbers.first?.unit == "tC/t" })
    }

    @Test func shareOfDefaultValues() throws {
        // NCV and carbon both default: 24 of 24 slots (100 % > 50 %).
        let all = run([try Self.year("U1") { $0.fuels[0].ncvGJPerUnit = nil; $0.production.generationMWh = W.decimal("3300") }])
        let share = try #require(all.first { $0.rule == .defaultShare })
        #expect(share.numbers.first { $0.name == "default_percent" }?.value == "100.00")
        // Measured NCV, default carbon: 12 of 24 = 50 %, not above the threshold.
        #expect(!rules(run([try Self.year("U1")])).contains(.defaultShare))
    }

    @Test func generationAgainstTheGridCompany() throws {
        let unit = try Self.year("U1")
        let far = GridGenerationRow(facility: "U1", year: 2024, month: 4, generationMWh: W.decimal("2500"))  // 4 % apart
        let near = GridGenerationRow(facility: "U1", year: 2024, month: 5, generationMWh: W.decimal("2420"))  // 0.83 %
        let other = GridGenerationRow(facility: "U9", year: 2024, month: 4, generationMWh: W.decimal("1"))
        let findings = run([unit], grid: [far, near, other])
        #expect(findings.map(\.rule) == [.gridMismatch] && findings[0].month == 4 && findings[0].severity == .serious)
        #expect(findings[0].numbers.first { $0.name == "difference" }?.value == "-100")
        #expect(findings[0].numbers.first { $0.name == "difference_percent" }?.value == "-4.00")
    }

    @Test func identicalMonthsAcrossEntities() throws {
        // Entity 1 burns 1000 + month t; entity 2's August is entity 1's August.
        let a = try Self.year("U1", entity: 1) { $0.fuels[0].consumption = ExactDecimal(Int64(1000 + $0.month)) }
        let b = try Self.year("U2", entity: 2) { if $0.month == 8 { $0.fuels[0].consumption = W.decimal("1008") } }
        let findings = run([a, b]).filter { $0.rule == .copiedMonth }
        #expect(findings.map(\.facility) == ["U1", "U2"])
        #expect(findings[0].related == [FacilityMonth(facility: "U2", year: 2024, month: 8)])
        #expect(findings[1].related == [FacilityMonth(facility: "U1", year: 2024, month: 8)])
        // Two units of one entity with identical months are not flagged; nor are idle months.
        let sameEntity = try Self.year("U3", entity: 1) { $0.fuels[0].consumption = ExactDecimal(Int64(1000 + $0.month)) }
        #expect(run([a, sameEntity]).filter { $0.rule == .copiedMonth }.isEmpty)
        let idleA = try Self.year("U4", entity: 4) { $0.fuels[0].consumption = .zero; $0.production.generationMWh = .zero }
        let idleB = try Self.year("U5", entity: 5) { $0.fuels[0].consumption = .zero; $0.production.generationMWh = .zero }
        #expect(run([idleA, idleB]).filter { $0.rule == .copiedMonth }.isEmpty)
    }

    @Test func theRegulatorsListFilters() throws {
        let sichuan = try Self.year("U1", entity: 1) { $0.production.generationMWh = W.decimal("2200") }
        let hubei = try Self.year("U2", entity: 2, province: "湖北") { $0.production.generationMWh = W.decimal("1900") }
        let findings = run([sichuan, hubei])
        #expect(MRVAnomalies.filter(findings, province: "湖北").allSatisfy { $0.facility == "U2" })
        #expect(MRVAnomalies.filter(findings, rule: .heatRateRange).map(\.facility) == ["U2"])
        #expect(MRVAnomalies.filter(findings, sector: .steel).isEmpty)
        #expect(MRVAnomalies.filter(findings, minimumSeverity: .serious).isEmpty)
        // Thresholds are data: widen the coal_gt300 intensity range and A02 goes quiet.
        var wide = Self.policy
        wide.intensityTPerMWh[.coalGT300] = PlausibleRange("0.5", "1.5")
        #expect(MRVAnomalies.run([sichuan], grid: [], policy: wide).isEmpty)
    }

    @Test func aStateYieldsItsFacilityYears() throws {
        let world = try MRVWorld.withYear()
        let years = try world.state.facilityYears(2024, policy: Self.tables)
        #expect(years.count == 1 && years[0].months.count == 12 && years[0].entity.province == "四川")
        #expect(run(years).isEmpty)
    }
}
