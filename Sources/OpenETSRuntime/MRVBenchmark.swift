import OpenETSDomain

/// In-process MRV benchmark (`openets bench mrv`): a deterministic national year of monthly
/// data (3,600 entities × 4 facilities × 12 months by default, from a seeded SplitMix64), then
/// the timed part: validate every facility-month, compute its emissions through the emission
/// calculator (with cement and steel process emissions), assemble each facility's year, and run
/// every anomaly rule (with grid-company rows for the power units and the allocation benchmarks). Generation is not timed.
public enum MRVBenchmark {
    public struct Result: Sendable {
        public var facilityMonths: Int
        public var seconds: Double
        public var rowsPerSecond: Int
        public var generationSeconds: Double
        public var findings: Int
        public var findingsByRule: [AnomalyRule: Int]
        /// Σ facility totals, tCO2e (a checksum: the same seed gives the same figure).
        public var totalEmissionsT: String
    }

    /// One generated facility-year.
    struct Generated {
        var facility: Facility
        var entity: MRVEntity
        var months: [MonthlyData]
    }

    static let year = 2024
    static let provinces = [
        "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
        "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
    ]

    public static func run(entities: Int = 3_600, facilitiesPerEntity: Int = 4, seed: UInt64 = 20_250_401) throws -> Result {
        precondition(entities > 0 && facilitiesPerEntity > 0)
        let tables = MRVPolicyTables.seed
        let accounting = try tables.accounting(year)
        let platform = try tables.platform(year)
        let clock = ContinuousClock()
        let generationStart = clock.now
        var random = SplitMix64(seed: seed)
        var generated: [Generated] = []
        generated.reserveCapacity(entities * facilitiesPerEntity)
        var grid: [GridGenerationRow] = []
        for e in 0..<entities {
            let entity = makeEntity(e, &random)
            for f in 0..<facilitiesPerEntity {
                let item = makeFacility(entity, f, &random)
                if item.facility.kind == .power {
                    for month in item.months { grid.append(gridRow(month, &random)) }
                }
                generated.append(item)
            }
        }
        copyAMonth(&generated)
        let generationSeconds = seconds(clock.now - generationStart)

        let start = clock.now
        let context = MRVAccounting.Context(accounting: accounting, platform: platform)
        var years: [FacilityYearData] = []
        years.reserveCapacity(generated.count)
        var total = ExactDecimal.zero
        for item in generated {
            let year = try FacilityYearData(facility: item.facility, entity: item.entity, year: year, months: item.months, context: context)
            let summary = try MRVAccounting.summary(item.facility.id, figures: year.figures, corrections: 0, accounting: accounting)
            total = try total.adding(summary.totalT)
            years.append(year)
        }
        let findings = MRVAnomalies.run(years, grid: grid, policy: platform.anomaly, benchmarks: MRVAnomalies.benchmarks(year: year))
        let elapsed = seconds(clock.now - start)

        var byRule: [AnomalyRule: Int] = [:]
        for finding in findings { byRule[finding.rule, default: 0] += 1 }
        let facilityMonths = generated.reduce(0) { $0 + $1.months.count }
        return Result(
            facilityMonths: facilityMonths, seconds: elapsed, rowsPerSecond: Int(Double(facilityMonths) / max(elapsed, 1e-9)),
            generationSeconds: generationSeconds, findings: findings.count, findingsByRule: byRule, totalEmissionsT: total.description)
    }

    // MARK: generation

    static func uniform(_ random: inout SplitMix64, _ low: Int64, _ high: Int64) -> Int64 {
        low + Int64(random.next() % UInt64(high - low + 1))
    }

    static func makeEntity(_ n: Int, _ random: inout SplitMix64) -> MRVEntity {
        let digits = String(n + 1)
        let first17 = "91" + "510100" + String(repeating: "0", count: 9 - digits.count) + digits
        let uscc = first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
        let roll = random.next() % 100
        let sector: MRVSector = roll < 70 ? .power : roll < 80 ? .cement : roll < 90 ? .steel : .aluminium
        return MRVEntity(
            id: MRVEntityID(uscc), name: "Entity \(n + 1)", province: provinces[Int(random.next() % UInt64(provinces.count))], city: "City",
            sector: sector)
    }

    static func makeFacility(_ entity: MRVEntity, _ index: Int, _ random: inout SplitMix64) -> Generated {
        let id = FacilityID("\(entity.id.rawValue)-\(index + 1)")
        switch entity.sector {
        case .power: return powerUnit(id, entity, &random)
        default: return industrial(id, entity, &random)
        }
    }

    /// A power unit: generation from capacity and hours, heat input from a plausible heat rate,
    /// consumption from heat and a measured NCV (all integer arithmetic, exact decimals).
    static func powerUnit(_ id: FacilityID, _ entity: MRVEntity, _ random: inout SplitMix64) -> Generated {
        let categories: [PowerUnitCategory] = [.coalGT300, .coalGT300, .coalLE300, .coalUnconventional, .gas]
        let category = categories[Int(random.next() % UInt64(categories.count))]
        let fuel: Fuel = category == .gas ? .naturalGas : .coal
        let capacity = category == .coalGT300 ? uniform(&random, 350, 1_000) : uniform(&random, 100, 300)
        let facility = Facility(
            id: id, entity: entity.id, name: "Unit \(id)", kind: .power,
            power: PowerUnit(category: category, capacityMW: ExactDecimal(capacity), cooling: random.next() % 4 == 0 ? .air : .water),
            fuels: [fuel])
        // Heat rate in MJ/MWh (GJ × 1000): coal 8,300–9,600, unconventional 9,500–11,500, gas 6,200–7,400.
        let heatRate =
            category == .gas ? uniform(&random, 6_200, 7_400) : category == .coalUnconventional ? uniform(&random, 9_500, 11_500) : uniform(&random, 8_300, 9_600)
        let measuredCarbon = random.next() % 10 < 7
        let suppliesHeat = random.next() % 3 == 0
        let carbonMicro = fuel == .coal ? uniform(&random, 25_500, 29_500) : uniform(&random, 15_100, 15_500)
        var months: [MonthlyData] = []
        for month in 1...12 {
            let hours = uniform(&random, 350, 600)
            let generation = capacity * hours  // MWh
            // NCV in 10^-3 GJ per unit; consumption = generation × heat rate / NCV, to 0.01.
            let ncvMilli = fuel == .coal ? uniform(&random, 18_000, 24_000) : uniform(&random, 380_000, 395_000)
            let consumptionCenti = generation * heatRate * 100 / ncvMilli
            var carbon: CarbonContent?
            if measuredCarbon {
                let micro = carbonMicro + uniform(&random, -300, 300) * (fuel == .coal ? 1 : 0)
                carbon = CarbonContent(.measured(ExactDecimal(mantissa: Int128(micro), scale: 6)))
            }
            let line = FuelLine(
                fuel: fuel, consumption: ExactDecimal(mantissa: Int128(consumptionCenti), scale: 2),
                ncvGJPerUnit: .measured(ExactDecimal(mantissa: Int128(ncvMilli), scale: 3)), carbon: carbon)
            let heatSupplied = suppliesHeat ? ExactDecimal(generation / 2) : nil
            months.append(
                MonthlyData(
                    facility: id, year: year, month: month, fuels: [line],
                    production: Production(
                        generationMWh: ExactDecimal(generation), supplyMWh: ExactDecimal(generation * 94 / 100), heatSuppliedGJ: heatSupplied,
                        loadFactor: ExactDecimal(mantissa: Int128(uniform(&random, 50, 95)), scale: 2), operatingHours: ExactDecimal(hours)),
                    purchasedMWh: ExactDecimal(uniform(&random, 0, 500)),
                    evidence: [EvidenceFile(name: "\(month).pdf", sha256: hex(random.next()))]))
        }
        return Generated(facility: facility, entity: entity, months: months)
    }

    /// Cement clinker lines, steel works and aluminium smelters: coal (and gas) with output.
    static func industrial(_ id: FacilityID, _ entity: MRVEntity, _ random: inout SplitMix64) -> Generated {
        let kind: FacilityKind = entity.sector == .cement ? .cementClinker : entity.sector == .steel ? .steel : .aluminium
        let fuels: [Fuel] = kind == .aluminium ? [.naturalGas] : kind == .steel ? [.coal, .naturalGas] : [.coal]
        let facility = Facility(id: id, entity: entity.id, name: "Line \(id)", kind: kind, fuels: fuels)
        let scale = uniform(&random, 20_000, 150_000)
        // Per facility: coal per t of output (‰), gas per t (10^-4), whether NCV is measured and its level.
        let coalPerMille = uniform(&random, 120, 160)
        let gasPerTenThousand = uniform(&random, 5, 15)
        let measuresNCV = random.next() % 2 == 0
        let ncvMilli = uniform(&random, 19_000, 23_000)
        var months: [MonthlyData] = []
        for month in 1...12 {
            let output = scale + uniform(&random, -2_000, 2_000)
            var lines: [FuelLine] = []
            for fuel in fuels {
                let noise = uniform(&random, 97, 103)
                let consumption = fuel == .coal ? output * coalPerMille * noise / 100_000 : output * gasPerTenThousand * noise / 1_000_000
                let ncv: TaggedValue? =
                    measuresNCV ? .measured(ExactDecimal(mantissa: Int128(ncvMilli + uniform(&random, -200, 200)), scale: 3)) : nil
                lines.append(FuelLine(fuel: fuel, consumption: ExactDecimal(consumption), ncvGJPerUnit: fuel == .coal ? ncv : nil))
            }
            // Process data without further random draws: clinker lines that measure NCV also
            // measure their clinker factor (0.51-0.54); steel works report fluxes and electrodes
            // in proportion to output.
            var process: ProcessData?
            if kind == .cementClinker, measuresNCV {
                process = ProcessData(clinkerFactor: .measured(ExactDecimal(mantissa: Int128(5_100 + ncvMilli % 300), scale: 4)))
            } else if kind == .steel {
                process = ProcessData(inputs: [
                    ProcessInput(material: .limestone, quantityT: ExactDecimal(output * 80 / 1_000)),
                    ProcessInput(material: .dolomite, quantityT: ExactDecimal(output * 20 / 1_000)),
                    ProcessInput(material: .electrode, quantityT: ExactDecimal(mantissa: Int128(output), scale: 3)),
                ])
            }
            let pfc: PFCData? =
                kind == .aluminium
                ? PFCData(cf4KgPerT: .measured(ExactDecimal(mantissa: Int128(uniform(&random, 20, 60)), scale: 3)), c2f6KgPerT: .defaulted) : nil
            months.append(
                MonthlyData(
                    facility: id, year: year, month: month, fuels: lines, production: Production(outputT: ExactDecimal(output)),
                    purchasedMWh: ExactDecimal(uniform(&random, 0, 5_000)), pfc: pfc, process: process,
                    evidence: [EvidenceFile(name: "\(month).pdf", sha256: hex(random.next()))]))
        }
        return Generated(facility: facility, entity: entity, months: months)
    }

    /// The grid company's figure: equal to the reported generation for most months, 5 % off for 1 in 100.
    static func gridRow(_ month: MonthlyData, _ random: inout SplitMix64) -> GridGenerationRow {
        let reported = month.production.generationMWh!
        let generation = random.next() % 100 == 0 ? try! reported.multiplied(by: ExactDecimal(mantissa: 105, scale: 2)) : reported
        return GridGenerationRow(facility: month.facility, year: month.year, month: month.month, generationMWh: generation)
    }

    /// One copied month between two entities, so the copy rule has work to report.
    static func copyAMonth(_ generated: inout [Generated]) {
        guard let source = generated.indices.first,
            let target = generated.indices.first(where: {
                generated[$0].entity.id != generated[source].entity.id && generated[$0].facility.kind == generated[source].facility.kind
                    && generated[$0].facility.fuels == generated[source].facility.fuels
            })
        else { return }
        var copy = generated[source].months[5]
        copy.facility = generated[target].facility.id
        copy.evidence = generated[target].months[5].evidence
        generated[target].months[5] = copy
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 64 - digits.count) + digits
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
