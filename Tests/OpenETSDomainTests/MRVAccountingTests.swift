import OpenETSDomain
import Testing

@Suite("MRV accounting: monthly data against hand-computed values")
struct MRVAccountingTests {
    typealias W = MRVWorld
    typealias A = MRVAccounting
    static let tables = MRVPolicyTables.seed
    let unit = MRVWorld.coalUnit("U1", entity: 1)

    func figures(_ data: MonthlyData, facility: Facility? = nil) throws -> A.MonthFigures {
        try A.validate(data, facility: facility ?? unit, accounting: Self.tables.accounting(data.year), platform: Self.tables.platform(data.year))
    }

    func combustion(_ data: MonthlyData) throws -> String {
        try figures(data).combustionTimes12.divided(by: 12, roundingTo: 2).description
    }

    func code(_ data: MonthlyData, facility: Facility? = nil) -> MRVErrorCode? {
        do {
            _ = try figures(data, facility: facility)
            return nil
        } catch let error as MRVError {
            return error.code
        } catch {
            return nil
        }
    }

    func line(_ carbon: CarbonContent?, ncv: TaggedValue? = nil, oxidation: TaggedValue? = nil) -> MonthlyData {
        var data = W.coalMonth("U1", 2024, 1)
        data.fuels = [FuelLine(fuel: .coal, consumption: W.decimal("1000"), ncvGJPerUnit: ncv, carbon: carbon, oxidation: oxidation)]
        return data
    }

    @Test func defaultsAreSubstitutedParameterByParameter() throws {
        // NCV measured 20; CC default 0.03085 (2022-on); OF default 0.99: 1000 × 20 × 0.03085 × 0.99 × 44/12 = 2239.71
        let measuredNCV = try figures(W.coalMonth("U1", 2024, 1))
        #expect(try measuredNCV.combustionTimes12.divided(by: 12, roundingTo: 2).description == "2239.71")
        #expect(measuredNCV.defaultsUsed == ["coal:1:carbon_per_gj_t", "coal:1:oxidation"])
        #expect(measuredNCV.heatInputGJ == W.decimal("20000"))
        // All defaults: 1000 × 26.7 × 0.03085 × 0.99 × 44/12 = 2990.01285 → 2990.01
        let allDefaults = try figures(line(nil))
        #expect(try allDefaults.combustionTimes12.divided(by: 12, roundingTo: 2).description == "2990.01")
        #expect(allDefaults.defaultsUsed == ["coal:1:ncv_gj_per_unit", "coal:1:carbon_per_gj_t", "coal:1:oxidation"])
        #expect(allDefaults.defaultSlots == 2 && allDefaults.parameterSlots == 2)
        // A value tagged default is the default (equal when given), and is listed as one.
        let tagged = try figures(line(CarbonContent(TaggedValue(W.decimal("0.03085"), .defaultValue)), ncv: .defaulted, oxidation: .defaulted))
        #expect(tagged.combustionTimes12 == allDefaults.combustionTimes12 && tagged.defaultsUsed == allDefaults.defaultsUsed)
        // Before 2022 the coal default was 0.03356: 1000 × 20 × 0.03356 × 0.99 × 44/12 = 2436.456 → 2436.46
        var old = W.coalMonth("U1", 2021, 1)
        old.fuels[0].ncvGJPerUnit = .measured(W.decimal("20"))
        #expect(try combustion(old) == "2436.46")
        // Measured everything: 1000 × 20 × 0.0260 × 0.98 × 44/12 = 1868.5333… → 1868.53
        let measured = line(CarbonContent(.measured(W.decimal("0.0260"))), ncv: .measured(W.decimal("20")), oxidation: .measured(W.decimal("0.98")))
        #expect(try combustion(measured) == "1868.53")
        #expect(try figures(measured).defaultsUsed.isEmpty)
        // Natural gas, all defaults: 100 × 389.31 × 0.01532 × 0.99 × 44/12 = 2165.0151996 → 2165.02
        let gasUnit = W.coalUnit("G1", entity: 1, category: .gas, fuels: [.naturalGas])
        var gas = W.coalMonth("G1", 2023, 6)
        gas.fuels = [FuelLine(fuel: .naturalGas, consumption: W.decimal("100"))]
        #expect(try figures(gas, facility: gasUnit).combustionTimes12.divided(by: 12, roundingTo: 2).description == "2165.02")
    }

    @Test func defaultMismatchesAndMissingValuesAreRejected() {
        #expect(code(line(CarbonContent(TaggedValue(W.decimal("0.03"), .defaultValue)))) == .defaultMismatch)
        #expect(code(line(nil, ncv: TaggedValue(W.decimal("20"), .defaultValue))) == .defaultMismatch)
        #expect(code(line(CarbonContent(.defaulted, basis: .perMassAsReceived))) == .defaultMismatch)
        #expect(code(line(nil, ncv: TaggedValue(nil, .measured))) == .invalidValue)
        #expect(code(line(nil, oxidation: .measured(W.decimal("1.01")))) == .invalidValue)
        #expect(code(line(CarbonContent(.measured(W.decimal("0.2"))))) == .invalidValue)  // > 0.1 tC/GJ
        #expect(code(line(CarbonContent(.measured(W.decimal("1.2")), basis: .perMassAsReceived))) == .invalidValue)  // > 1 tC/t
        #expect(code(line(nil, ncv: .measured(W.decimal("20.123456789")))) == .invalidValue)  // > 8 decimals
    }

    @Test func carbonPerMassWithMoistureBasisConversion() throws {
        // As received: 1000 t × 0.55 tC/t × 0.99 (default OF) × 44/12 = 1996.50; NCV is not needed.
        let received = try figures(line(CarbonContent(.measured(W.decimal("0.55")), basis: .perMassAsReceived)))
        #expect(try received.combustionTimes12.divided(by: 12, roundingTo: 2).description == "1996.50")
        #expect(received.defaultsUsed == ["coal:1:oxidation"])
        #expect(received.defaultSlots == 0 && received.parameterSlots == 1)
        // Dry basis, Mar 10 %: C_ar = 0.60 × (100 − 10)/100 = 0.54 exactly → 1000 × 0.54 × 0.99 × 44/12 = 1960.20
        let dry = CarbonContent(.measured(W.decimal("0.60")), basis: .perMassDry, moistureAsReceivedPercent: W.decimal("10"))
        #expect(try combustion(line(dry)) == "1960.20")
        // Air-dried, Mar 10 %, Mad 3 %: C_ar = 0.60 × 90/97 = 0.5567010309… → 0.556701 (6 decimals, policy data)
        // → 1000 × 0.556701 × 0.99 × 44/12 = 2020.82463 → 2020.82
        let airDried = CarbonContent(
            .measured(W.decimal("0.60")), basis: .perMassAirDried, moistureAsReceivedPercent: W.decimal("10"),
            moistureAirDriedPercent: W.decimal("3"))
        #expect(try combustion(line(airDried)) == "2020.82")
        #expect(try figures(line(airDried)).carbonContents.map(\.value) == [W.decimal("0.556701")])
        // Missing or impossible moistures; moisture bases only for fuels in tonnes.
        #expect(code(line(CarbonContent(.measured(W.decimal("0.60")), basis: .perMassDry))) == .invalidValue)
        #expect(code(line(CarbonContent(.measured(W.decimal("0.60")), basis: .perMassDry, moistureAsReceivedPercent: W.decimal("100")))) == .invalidValue)
        #expect(code(line(CarbonContent(.measured(W.decimal("0.60")), basis: .perMassDry, moistureAsReceivedPercent: W.decimal("10.123")))) == .invalidValue)
        var gasUnit = W.coalUnit("G1", entity: 1, category: .gas, fuels: [.naturalGas])
        gasUnit.id = "U1"
        var gas = W.coalMonth("U1", 2024, 1)
        gas.fuels = [FuelLine(fuel: .naturalGas, consumption: W.decimal("100"), carbon: CarbonContent(.measured(W.decimal("5.9")), basis: .perMassDry, moistureAsReceivedPercent: W.decimal("1")))]
        #expect(code(gas, facility: gasUnit) == .invalidValue)
        // Gas per unit as received is fine: 100 × 5.9 × 0.99 × 44/12 = 2141.70
        gas.fuels[0].carbon!.basis = .perMassAsReceived
        #expect(try figures(gas, facility: gasUnit).combustionTimes12.divided(by: 12, roundingTo: 2).description == "2141.70")
    }

    @Test func aluminiumPFCsUseTheGuidelineGWPs() throws {
        let smelter = Facility(id: "AL1", entity: W.entityID(1), name: "电解铝", kind: .aluminium, fuels: [.naturalGas])
        var month = MonthlyData(facility: "AL1", year: 2024, month: 1, fuels: [], production: Production(outputT: W.decimal("1000")))
        // Defaults: 1000 t × (0.034 kg/t × 6500 + 0.0034 kg/t × 9200) / 1000 = 1000 × 252.28 / 1000 = 252.28 tCO2e
        let defaults = try figures(month, facility: smelter)
        #expect(defaults.pfcT == W.decimal("252.28"))
        #expect(defaults.defaultsUsed == ["pfc:1:cf4_kg_per_t", "pfc:1:c2f6_kg_per_t"])
        // Measured: 0.05 × 6500 + 0.005 × 9200 = 325 + 46 = 371 kg/t → 371 t
        month.pfc = PFCData(cf4KgPerT: .measured(W.decimal("0.05")), c2f6KgPerT: .measured(W.decimal("0.005")))
        #expect(try figures(month, facility: smelter).pfcT == W.decimal("371"))
        // The year: 12 × 371 t of PFCs, no combustion.
        let summary = try A.summary(
            smelter, months: (1...12).map { var m = month; m.month = $0; return m }, corrections: 0,
            accounting: Self.tables.accounting(2024), platform: Self.tables.platform(2024))
        #expect(summary.pfcT == W.decimal("4452.00") && summary.totalT == W.decimal("4452.00") && summary.combustionT == W.decimal("0.00"))
        #expect(code(MonthlyData(facility: "AL1", year: 2024, month: 1, fuels: []), facility: smelter) == .invalidValue)  // no output
    }

    @Test func purchasedElectricityCountsInCoveredYearsOnly() throws {
        func year(_ y: Int) throws -> FacilityYearSummary {
            let months = (1...12).map { m in
                var data = W.coalMonth("U1", y, m)
                data.purchasedMWh = W.decimal("100")
                return data
            }
            return try A.summary(unit, months: months, corrections: 0, accounting: Self.tables.accounting(y), platform: Self.tables.platform(y))
        }
        // 2022: 1200 MWh × 0.5703 = 684.36; total = 26876.52 + 684.36
        let covered = try year(2022)
        #expect(covered.electricityT == W.decimal("684.36") && covered.totalT == W.decimal("27560.88"))
        // 2024: not covered (cycle 3 on); the recorded MWh are kept but count zero.
        let notCovered = try year(2024)
        #expect(notCovered.electricityT == .zero && notCovered.totalT == W.decimal("26876.52"))
    }

    @Test func theYearIsRoundedOnceFromExactValues() throws {
        // Each month 0.09 t × 1 GJ/t × 0.1 tC/GJ × 0.5 × 44/12 = 0.0165 t; twelve months 0.198 → 0.20
        // (rounding each month first would give 12 × 0.02 = 0.24).
        let months = (1...12).map { m in
            var data = W.coalMonth("U1", 2024, m)
            data.fuels = [
                FuelLine(
                    fuel: .coal, consumption: W.decimal("0.09"), ncvGJPerUnit: .measured(W.decimal("1")),
                    carbon: CarbonContent(.measured(W.decimal("0.1"))), oxidation: .measured(W.decimal("0.5")))
            ]
            return data
        }
        let summary = try A.summary(unit, months: months, corrections: 0, accounting: Self.tables.accounting(2024), platform: Self.tables.platform(2024))
        #expect(summary.combustionT == W.decimal("0.20"))
    }

    @Test func theCalculatorTakesCarbonPerUnit() throws {
        typealias C = EmissionCalculator
        let month = C.MonthInput(month: 1, consumption: "1000", unit: "t", carbonPerUnit: "0.55")
        let result = try C.calculate(C.Input(year: 2024, facilities: [C.FacilityInput(id: "U1", fuels: [C.FuelInput(fuel: "coal", months: [month])])]), policies: MRVPolicy.seed)
        #expect(result.facilities[0].combustionT == "1996.50" && result.facilities[0].defaultsUsed == ["coal:1:oxidation"])
        let both = C.MonthInput(month: 1, consumption: "1000", unit: "t", carbonPerGJ: "0.03", carbonPerUnit: "0.55")
        #expect(throws: MRVError.self) {
            try C.calculate(C.Input(year: 2024, facilities: [C.FacilityInput(id: "U1", fuels: [C.FuelInput(fuel: "coal", months: [both])])]), policies: MRVPolicy.seed)
        }
    }

    @Test func seededMonthsAgreeWithTheCalculatorOnTheWholeYear() throws {
        let seed: UInt64 = 20_250_401
        print("MRV accounting consistency seed: \(seed)")
        var random = SplitMix64(seed: seed)
        typealias C = EmissionCalculator
        for _ in 0..<20 {
            var months: [MonthlyData] = []
            var inputs: [C.MonthInput] = []
            for m in 1...12 {
                let consumption = ExactDecimal(mantissa: Int128(random.next() % 100_000_000), scale: 3)
                let ncv = ExactDecimal(mantissa: Int128(18_000 + random.next() % 8_000), scale: 3)
                let carbon = ExactDecimal(mantissa: Int128(25_000 + random.next() % 4_000), scale: 6)
                let measured = random.next() % 2 == 0
                var data = W.coalMonth("U1", 2024, m)
                data.fuels = [
                    FuelLine(
                        fuel: .coal, consumption: consumption, ncvGJPerUnit: .measured(ncv),
                        carbon: measured ? CarbonContent(.measured(carbon)) : nil)
                ]
                months.append(data)
                inputs.append(
                    C.MonthInput(month: m, consumption: consumption.description, unit: "t", ncvGJPerUnit: ncv.description, carbonPerGJ: measured ? carbon.description : nil))
            }
            let summary = try A.summary(unit, months: months, corrections: 0, accounting: Self.tables.accounting(2024), platform: Self.tables.platform(2024))
            let expected = try C.calculate(C.Input(year: 2024, facilities: [C.FacilityInput(id: "U1", fuels: [C.FuelInput(fuel: "coal", months: inputs)])]), policies: MRVPolicy.seed)
            #expect(summary.combustionT.description == expected.facilities[0].combustionT, "seed \(seed)")
            #expect(summary.defaultsUsed == expected.facilities[0].defaultsUsed, "seed \(seed)")
        }
    }
}
