import OpenETSDomain
import Testing

@Suite("MRV process emissions: cement clinker and steel against hand-computed values")
struct MRVProcessTests {
    typealias W = MRVWorld
    typealias A = MRVAccounting
    static let tables = MRVPolicyTables.seed
    static let kiln = Facility(id: "K1", entity: W.entityID(1), name: "熟料线", kind: .cementClinker, fuels: [.coal])
    static let works = Facility(id: "S1", entity: W.entityID(1), name: "炼钢", kind: .steel, fuels: [.coal])

    func figures(_ data: MonthlyData, _ facility: Facility) throws -> A.MonthFigures {
        try A.validate(data, facility: facility, accounting: Self.tables.accounting(data.year), platform: Self.tables.platform(data.year))
    }

    func code(_ data: MonthlyData, _ facility: Facility) -> MRVErrorCode? {
        do {
            _ = try figures(data, facility)
            return nil
        } catch let error as MRVError {
            return error.code
        } catch {
            return nil
        }
    }

    /// 1000 t coal at 20 GJ/t (combustion 2239.71 t) and `output` t of clinker or crude steel.
    static func month(_ facility: String, _ m: Int = 1, output: String = "10000", process: ProcessData? = nil) -> MonthlyData {
        var data = W.coalMonth(facility, 2024, m).withOutput(output)
        data.process = process
        return data
    }

    @Test func clinkerProcessEmissionsUseTheDefaultFactorUnlessMeasured() throws {
        // Default 0.538 tCO2/t clinker: 10000 × 0.538 = 5380 t; listed as a default.
        let defaulted = try figures(Self.month("K1"), Self.kiln)
        #expect(defaulted.processT == W.decimal("5380"))
        #expect(defaulted.defaultsUsed.contains("process:1:clinker_factor"))
        // Measured 0.5213: 10000 × 0.5213 = 5213 t, no default listed.
        let measured = try figures(Self.month("K1", process: ProcessData(clinkerFactor: .measured(W.decimal("0.5213")))), Self.kiln)
        #expect(measured.processT == W.decimal("5213"))
        #expect(!measured.defaultsUsed.contains("process:1:clinker_factor"))
        // Tagged default equal to the table's: the default; another value: a mismatch.
        let tagged = ProcessData(clinkerFactor: TaggedValue(W.decimal("0.538"), .defaultValue))
        #expect(try figures(Self.month("K1", process: tagged), Self.kiln).processT == W.decimal("5380"))
        #expect(code(Self.month("K1", process: ProcessData(clinkerFactor: TaggedValue(W.decimal("0.5"), .defaultValue))), Self.kiln) == .defaultMismatch)
        // Implausible factors and inputs that belong to steel works are rejected.
        #expect(code(Self.month("K1", process: ProcessData(clinkerFactor: .measured(W.decimal("1.2")))), Self.kiln) == .invalidValue)
        #expect(code(Self.month("K1", process: ProcessData(clinkerFactor: .measured(.zero))), Self.kiln) == .invalidValue)
        let flux = ProcessData(inputs: [ProcessInput(material: .limestone, quantityT: W.decimal("1"))])
        #expect(code(Self.month("K1", process: flux), Self.kiln) == .invalidValue)
    }

    @Test func theClinkerYearAddsProcessToCombustion() throws {
        // 12 × 2239.71 = 26876.52 combustion; 12 × 5380 = 64560 process; total 91436.52.
        let months = (1...12).map { Self.month("K1", $0) }
        let summary = try A.summary(
            Self.kiln, months: months, corrections: 0, accounting: Self.tables.accounting(2024), platform: Self.tables.platform(2024))
        #expect(summary.combustionT == W.decimal("26876.52") && summary.processT == W.decimal("64560.00"))
        #expect(summary.totalT == W.decimal("91436.52") && summary.outputT == W.decimal("120000"))
        // Process factors are data: a corrected table moves the result.
        var tables = Self.tables
        tables.platform = tables.platform.map { var p = $0; p.process.clinkerFactorDefault = W.decimal("0.5"); return p }
        let corrected = try A.summary(
            Self.kiln, months: months, corrections: 0, accounting: tables.accounting(2024), platform: tables.platform(2024))
        #expect(corrected.processT == W.decimal("60000.00") && corrected.totalT == W.decimal("86876.52"))
    }

    @Test func steelProcessInputsTimesTheirFactors() throws {
        // 100 t limestone × 0.440 + 50 t dolomite × 0.471 + 2 t electrodes × 3.663 = 44 + 23.55 + 7.326 = 74.876 t.
        let inputs = ProcessData(inputs: [
            ProcessInput(material: .limestone, quantityT: W.decimal("100")), ProcessInput(material: .dolomite, quantityT: W.decimal("50")),
            ProcessInput(material: .electrode, quantityT: W.decimal("2")),
        ])
        let steel = try figures(Self.month("S1", process: inputs), Self.works)
        #expect(steel.processT == W.decimal("74.876"))
        // No process data: no process emissions (no default for steel).
        #expect(try figures(Self.month("S1"), Self.works).processT == .zero)
        // The year: 12 × 74.876 = 898.512 → 898.51; total 26876.52 + 898.512 = 27775.032 → 27775.03.
        let summary = try A.summary(
            Self.works, months: (1...12).map { Self.month("S1", $0, process: inputs) }, corrections: 0,
            accounting: Self.tables.accounting(2024), platform: Self.tables.platform(2024))
        #expect(summary.processT == W.decimal("898.51") && summary.totalT == W.decimal("27775.03"))
        // Bad input: a material twice, a negative quantity, a clinker factor, process data on a power unit.
        let twice = ProcessData(inputs: [ProcessInput(material: .limestone, quantityT: W.decimal("1")), ProcessInput(material: .limestone, quantityT: W.decimal("2"))])
        #expect(code(Self.month("S1", process: twice), Self.works) == .invalidValue)
        #expect(code(Self.month("S1", process: ProcessData(inputs: [ProcessInput(material: .dolomite, quantityT: W.decimal("-1"))])), Self.works) == .invalidValue)
        #expect(code(Self.month("S1", process: ProcessData(inputs: [ProcessInput(material: .dolomite, quantityT: W.decimal("1000000000"))])), Self.works) == .invalidValue)
        #expect(code(Self.month("S1", process: ProcessData(clinkerFactor: .measured(W.decimal("0.5")))), Self.works) == .invalidValue)
        var power = W.coalMonth("U1", 2024, 1)
        power.process = inputs
        #expect(code(power, W.coalUnit("U1", entity: 1)) == .invalidValue)
        // A table without a material's factor cannot compute it.
        var tables = Self.tables
        tables.platform = tables.platform.map { var p = $0; p.process.materialFactors[.electrode] = nil; return p }
        #expect(throws: MRVError.self) {
            try A.validate(Self.month("S1", process: inputs), facility: Self.works, accounting: tables.accounting(2024), platform: tables.platform(2024))
        }
    }

    @Test func theReportCarriesProcessEmissions() throws {
        var world = MRVWorld()
        try world.apply(.registerEntity(uscc: W.uscc(1), name: "川水泥", province: "四川", city: "广元", sector: .cement, group: nil))
        try world.apply(.registerFacility(Self.kiln))
        for m in 1...12 { try world.apply(.submitMonth(Self.month("K1", m)), at: W.at(2025, 1, 20)) }
        try world.apply(.submitReport(entity: W.entityID(1), year: 2024), at: W.at(2025, 5, 1))
        let report = try #require(world.state.reports[ReportKey(entity: W.entityID(1), year: 2024)])
        #expect(report.facilities[0].processT == W.decimal("64560.00") && report.facilities[0].totalT == W.decimal("91436.52"))
        #expect(report.deadline == CivilDate(year: 2025, month: 6, day: 30) && !report.late)
    }
}

@Suite("MRV anomaly A09: intensity against the allocation benchmark")
struct MRVBenchmarkAnomalyTests {
    typealias W = MRVWorld

    static func year(_ generation: String, category: PowerUnitCategory = .coalGT300) throws -> FacilityYearData {
        let facility = W.coalUnit("U1", entity: 1, category: category)
        let months = (1...12).map { W.coalMonth("U1", 2024, $0, generation: generation) }
        let entity = MRVEntity(id: W.entityID(1), name: "E1", province: "四川", city: "成都", sector: .power)
        return try FacilityYearData(facility: facility, entity: entity, year: 2024, months: months, policy: .seed)
    }

    @Test func theBenchmarksComeFromThePowerPlanOfTheYear() {
        let b2024 = MRVAnomalies.benchmarks(year: 2024)
        #expect(b2024[.coalGT300] == W.decimal("0.7910") && b2024[.gas] == W.decimal("0.3288") && b2024.count == 4)
        #expect(MRVAnomalies.benchmarks(year: 2023)[.coalLE300] == W.decimal("0.8090"))
        #expect(MRVAnomalies.benchmarks(year: 2019).isEmpty)
    }

    @Test func firesWhenTheIntensityIsFarFromTheBenchmark() throws {
        let benchmarks = MRVAnomalies.benchmarks(year: 2024)
        // 26876.52 t / 24000 MWh = 1.119855 tCO2/MWh; (1.119855 − 0.7910) / 0.7910 = 41.57 % > 25 %.
        let far = MRVAnomalies.run([try Self.year("2000")], grid: [], policy: .seed, benchmarks: benchmarks)
        let finding = try #require(far.first { $0.rule == .benchmarkDeviation })
        #expect(finding.ruleID == "MRV-A09" && finding.severity == .warning && finding.month == nil)
        #expect(finding.numbers.first { $0.name == "intensity" }?.value == "1.119855")
        #expect(finding.numbers.first { $0.name == "benchmark" }?.value == "0.7910")
        #expect(finding.numbers.first { $0.name == "difference_percent" }?.value == "41.57")
        #expect(finding.explanationEN.contains("above") && finding.explanationZH.contains("高于"))
        // Without benchmarks (no plan for the year) the rule does not run.
        #expect(!MRVAnomalies.run([try Self.year("2000")], grid: [], policy: .seed).contains { $0.rule == .benchmarkDeviation })
    }

    @Test func quietWithinTheTolerance() throws {
        let benchmarks = MRVAnomalies.benchmarks(year: 2024)
        // 26876.52 / 28800 = 0.933213; 17.98 % above 0.7910, within 25 %.
        #expect(MRVAnomalies.run([try Self.year("2400")], grid: [], policy: .seed, benchmarks: benchmarks).isEmpty)
        // The tolerance is data: at 10 % the same unit fires, at 50 % the far one does not.
        var strict = MRVAnomalyPolicy.seed
        strict.benchmarkTolerance = W.decimal("0.10")
        #expect(MRVAnomalies.run([try Self.year("2400")], grid: [], policy: strict, benchmarks: benchmarks).map(\.rule) == [.benchmarkDeviation])
        var lax = MRVAnomalyPolicy.seed
        lax.benchmarkTolerance = W.decimal("0.50")
        #expect(!MRVAnomalies.run([try Self.year("2000")], grid: [], policy: lax, benchmarks: benchmarks).contains { $0.rule == .benchmarkDeviation })
    }

    @Test func everyRuleHasASeverityAndAnID() {
        #expect(AnomalyRule.allCases.count == 9)
        #expect(Set(AnomalyRule.allCases.map(\.id)).count == 9)
        for rule in AnomalyRule.allCases { #expect(MRVAnomalyPolicy.seed.severities[rule] != nil) }
    }
}
