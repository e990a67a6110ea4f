import OpenETSDomain
import Testing

@Suite("Exact decimals")
struct ExactDecimalTests {
    @Test func parseAndPrint() {
        #expect(ExactDecimal("12.3400")?.description == "12.3400")
        #expect(ExactDecimal("-0.05")?.description == "-0.05")
        #expect(ExactDecimal("7")?.description == "7")
        for bad in ["", "-", "1.", ".5", "1e5", "1,000", " 1", "1.1234567890123", "0x10", "--1"] {
            #expect(ExactDecimal(bad) == nil, "\(bad)")
        }
        #expect(ExactDecimal("1.50") == ExactDecimal("1.5"))
    }

    @Test func roundingIsHalfUpAwayFromZero() throws {
        #expect(try ExactDecimal("0.165")!.rounded(to: 2).description == "0.17")
        #expect(try ExactDecimal("0.1649999")!.rounded(to: 2).description == "0.16")
        #expect(try ExactDecimal("-0.165")!.rounded(to: 2).description == "-0.17")
        #expect(try ExactDecimal("2.5")!.rounded(to: 0).description == "3")
        #expect(try ExactDecimal("1")!.divided(by: 3, roundingTo: 4).description == "0.3333")
        #expect(try ExactDecimal("2")!.divided(by: 3, roundingTo: 4).description == "0.6667")
    }

    @Test func overflowIsAnErrorNotAWrap() {
        let big = ExactDecimal("999999999999999999999999")!
        #expect(throws: DecimalOverflow.self) { try big.multiplied(by: big) }
    }
}

@Suite("Emission calculator against hand-computed values")
struct EmissionCalculatorTests {
    typealias C = EmissionCalculator

    func run(_ year: Int, _ facilities: [C.FacilityInput]) throws -> [C.FacilityResult] {
        try C.calculate(C.Input(year: year, facilities: facilities), policies: MRVPolicy.seed).facilities
    }

    func coal(_ months: [C.MonthInput]) -> C.FuelInput { C.FuelInput(fuel: "coal", months: months) }

    @Test func coalWithDefaultCarbonContentFor2022() throws {
        // 1000 t × 20 GJ/t × 0.03085 tC/GJ (default, 2022-on) × 0.99 (default) × 44/12 = 2239.71
        let result = try run(2022, [C.FacilityInput(id: "U1", fuels: [coal([C.MonthInput(month: 1, consumption: "1000", unit: "t", ncvGJPerUnit: "20")])])])
        #expect(result[0].combustionT == "2239.71")
        #expect(result[0].defaultsUsed == ["coal:1:carbon_per_gj_t", "coal:1:oxidation"])
    }

    @Test func coalBefore2022UsesTheOldDefault() throws {
        // 1000 × 20 × 0.03356 × 0.99 × 44/12 = 2436.456 → 2436.46
        let result = try run(2021, [C.FacilityInput(id: "U1", fuels: [coal([C.MonthInput(month: 1, consumption: "1000", unit: "t", ncvGJPerUnit: "20")])])])
        #expect(result[0].combustionT == "2436.46")
    }

    @Test func naturalGasAllDefaults() throws {
        // 100 × 389.31 × 0.01532 × 0.99 × 44/12 = 2165.0151996 → 2165.02
        let gas = C.FuelInput(fuel: "natural_gas", months: [C.MonthInput(month: 6, consumption: "100", unit: "10^4Nm3")])
        let result = try run(2023, [C.FacilityInput(id: "G1", fuels: [gas])])
        #expect(result[0].combustionT == "2165.02")
        #expect(result[0].defaultsUsed.count == 3)
    }

    @Test func roundingHalfUpOnceAtTheEnd() throws {
        // 0.9 × 1 × 0.1 × 0.5 × 44/12 = 0.165 exactly → 0.17 (half up, not to even).
        let tie = C.MonthInput(month: 1, consumption: "0.9", unit: "t", ncvGJPerUnit: "1", carbonPerGJ: "0.1", oxidation: "0.5")
        #expect(try run(2022, [C.FacilityInput(id: "T", fuels: [coal([tie])])])[0].combustionT == "0.17")
        // Two months of 0.0165 each: rounded per month they would give 0.04; exactly, 0.033 → 0.03.
        let small = { (month: Int) in C.MonthInput(month: month, consumption: "0.09", unit: "t", ncvGJPerUnit: "1", carbonPerGJ: "0.1", oxidation: "0.5") }
        #expect(try run(2022, [C.FacilityInput(id: "S", fuels: [coal([small(1), small(2)])])])[0].combustionT == "0.03")
    }

    @Test func purchasedElectricityInCoveredYears() throws {
        // 2022: 1000 MWh × 0.5703 = 570.30; total = 2239.71 + 570.30 (both exact before rounding).
        let facility = C.FacilityInput(id: "U1", fuels: [coal([C.MonthInput(month: 1, consumption: "1000", unit: "t", ncvGJPerUnit: "20")])], purchasedMWh: "1000")
        let result = try run(2022, [facility])[0]
        #expect(result.electricityT == "570.30" && result.totalT == "2810.01")
        #expect(throws: MRVError(.notCovered, "U1: purchased electricity is not covered for data year 2024")) {
            try run(2024, [facility])
        }
    }

    @Test func badInputNamesItsCode() {
        func code(_ facility: C.FacilityInput, year: Int = 2022) -> MRVErrorCode? {
            do {
                _ = try run(year, [facility])
                return nil
            } catch let error as MRVError {
                return error.code
            } catch {
                return nil
            }
        }
        let ok = C.MonthInput(month: 1, consumption: "10", unit: "t")
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([ok])]), year: 2010) == .noPolicyForYear)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 1, consumption: "-1", unit: "t")])])) == .invalidValue)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 13, consumption: "1", unit: "t")])])) == .invalidMonth)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([ok, ok])])) == .duplicateMonth)
        #expect(code(C.FacilityInput(id: "A", fuels: [C.FuelInput(fuel: "natural_gas", months: [ok])])) == .wrongUnit)
        #expect(code(C.FacilityInput(id: "A", fuels: [C.FuelInput(fuel: "peat", months: [ok])])) == .unknownFuel)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 1, consumption: "1", unit: "t", oxidation: "1.2")])])) == .invalidValue)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 1, consumption: "1e5", unit: "t")])])) == .invalidValue)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 1, consumption: "2000000000", unit: "t")])])) == .invalidValue)
        #expect(code(C.FacilityInput(id: "A", fuels: [coal([C.MonthInput(month: 1, consumption: "1", unit: "t", ncvGJPerUnit: "0")])])) == .invalidValue)
    }
}
