/// Cross-checks and anomaly warnings over facility-years of monthly data (issue 4 §7): pure
/// functions of the data, the grid company's rows and the year's `MRVAnomalyPolicy`.
///
/// Arithmetic is exact: totals are rounded half up to `inputPlaces` (3) decimals, ratios
/// (heat rate, intensity) to `ratioPlaces` (6) decimals, and everything else is compared as
/// exact decimals or integers. No floating point.
public enum AnomalyRule: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case heatRateRange = "heat_rate_range"
    case intensityRange = "intensity_range"
    case peerIntensity = "peer_intensity"
    case monthJump = "month_jump"
    case carbonContentRange = "carbon_content_range"
    case defaultShare = "default_share"
    case gridMismatch = "grid_mismatch"
    case copiedMonth = "copied_month"
    case benchmarkDeviation = "benchmark_deviation"

    /// The stable rule id shown to regulators.
    public var id: String {
        switch self {
        case .heatRateRange: "MRV-A01"
        case .intensityRange: "MRV-A02"
        case .peerIntensity: "MRV-A03"
        case .monthJump: "MRV-A04"
        case .carbonContentRange: "MRV-A05"
        case .defaultShare: "MRV-A06"
        case .gridMismatch: "MRV-A07"
        case .copiedMonth: "MRV-A08"
        case .benchmarkDeviation: "MRV-A09"
        }
    }
}

public enum MRVSeverity: String, Codable, Sendable, Comparable, CaseIterable {
    case notice
    case warning
    case serious

    private var rank: Int {
        switch self {
        case .notice: 0
        case .warning: 1
        case .serious: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// A number behind a finding, printed exactly.
public struct AnomalyNumber: Hashable, Codable, Sendable {
    public var name: String
    public var value: String
    public var unit: String

    public init(_ name: String, _ value: ExactDecimal, _ unit: String) {
        self.name = name
        self.value = value.description
        self.unit = unit
    }
}

public struct AnomalyFinding: Hashable, Codable, Sendable {
    public var rule: AnomalyRule
    public var ruleID: String
    public var severity: MRVSeverity
    public var facility: FacilityID
    public var entity: MRVEntityID
    public var province: String
    public var sector: MRVSector
    public var year: Int
    /// nil for findings about the whole year.
    public var month: Int?
    public var numbers: [AnomalyNumber]
    public var explanationZH: String
    public var explanationEN: String
    /// Other facility-months involved (copied months).
    public var related: [FacilityMonth]
}

/// A rounded copy of one row of the grid company's generation data (imported from CSV).
public struct GridGenerationRow: Hashable, Codable, Sendable {
    public var facility: FacilityID
    public var year: Int
    public var month: Int
    public var generationMWh: ExactDecimal

    public init(facility: FacilityID, year: Int, month: Int, generationMWh: ExactDecimal) {
        self.facility = facility
        self.year = year
        self.month = month
        self.generationMWh = generationMWh
    }
}

/// A facility's months of one data year with their computed figures.
public struct FacilityYearData: Sendable {
    public var facility: Facility
    public var entity: MRVEntity
    public var year: Int
    /// Sorted by month; a year may be incomplete.
    public var months: [MonthlyData]
    public var figures: [MRVAccounting.MonthFigures]

    public init(facility: Facility, entity: MRVEntity, year: Int, months: [MonthlyData], figures: [MRVAccounting.MonthFigures]) {
        precondition(months.count == figures.count)
        self.facility = facility
        self.entity = entity
        self.year = year
        self.months = months
        self.figures = figures
    }

    /// Validates the months and computes their figures.
    public init(facility: Facility, entity: MRVEntity, year: Int, months: [MonthlyData], policy: MRVPolicyTables) throws(MRVError) {
        let context = MRVAccounting.Context(accounting: try policy.accounting(year), platform: try policy.platform(year))
        try self.init(facility: facility, entity: entity, year: year, months: months, context: context)
    }

    /// Validates the months and computes their figures with the year's tables prepared once.
    public init(facility: Facility, entity: MRVEntity, year: Int, months: [MonthlyData], context: MRVAccounting.Context) throws(MRVError) {
        let sorted = months.sorted { $0.month < $1.month }
        var figures: [MRVAccounting.MonthFigures] = []
        figures.reserveCapacity(sorted.count)
        for month in sorted {
            figures.append(try MRVAccounting.validate(month, facility: facility, context: context))
        }
        self.init(facility: facility, entity: entity, year: year, months: sorted, figures: figures)
    }
}

extension MRVState {
    /// The submitted months (current versions) of every facility for a data year.
    public func facilityYears(_ year: Int, policy: MRVPolicyTables) throws(MRVError) -> [FacilityYearData] {
        var byFacility: [FacilityID: [MonthlyData]] = [:]
        for (key, record) in months where key.year == year { byFacility[key.facility, default: []].append(record.data) }
        var result: [FacilityYearData] = []
        for id in byFacility.keys.sorted() {
            let facility = facilities[id]!
            result.append(
                try FacilityYearData(facility: facility, entity: entities[facility.entity]!, year: year, months: byFacility[id]!, policy: policy))
        }
        return result
    }
}

public enum MRVAnomalies {
    /// Totals are rounded half up to this many decimals before ratios are formed.
    public static let inputPlaces = 3

    /// The electricity benchmarks (tCO2/MWh) of a power allocation plan by unit category, for
    /// rule A09. Categories the platform does not know are left out.
    public static func benchmarks(_ plan: AllocationPlan) -> [PowerUnitCategory: ExactDecimal] {
        var result: [PowerUnitCategory: ExactDecimal] = [:]
        for category in plan.categories {
            if let known = PowerUnitCategory(rawValue: category.id) { result[known] = category.electricityBenchmark }
        }
        return result
    }

    /// The benchmarks of the power plan for a data year among `plans` (none when no plan covers it).
    public static func benchmarks(year: Int, plans: [AllocationPlan] = AllocationPlan.seed) -> [PowerUnitCategory: ExactDecimal] {
        guard let plan = plans.filter({ $0.year == year && $0.sector == "power" }).max(by: { $0.version < $1.version }) else { return [:] }
        return benchmarks(plan)
    }

    /// Runs every rule over the facility-years (all of one data year) and the grid company's rows;
    /// `benchmarks` are the allocation plan's electricity benchmarks of the year (rule A09, skipped
    /// when empty). Findings come sorted by facility, month and rule.
    public static func run(
        _ years: [FacilityYearData], grid: [GridGenerationRow], policy: MRVAnomalyPolicy,
        benchmarks: [PowerUnitCategory: ExactDecimal] = [:]
    ) -> [AnomalyFinding] {
        var findings: [AnomalyFinding] = []
        var intensities: [(index: Int, group: String, value: ExactDecimal)] = []
        for (index, year) in years.enumerated() {
            let totals = Totals(year.figures)
            if let intensity = intensity(year.facility, totals, policy) {
                intensities.append((index, peerGroup(year.facility), intensity))
            }
            heatRate(year, totals, policy, &findings)
            intensityRange(year, totals, policy, &findings)
            benchmarkDeviation(year, totals, policy, benchmarks, &findings)
            monthJumps(year, policy, &findings)
            carbonContents(year, policy, &findings)
            defaultShare(year, totals, policy, &findings)
        }
        peers(years, intensities, policy, &findings)
        gridMismatch(years, grid, policy, &findings)
        copiedMonths(years, policy, &findings)
        return findings.sorted { a, b in
            (a.facility.rawValue, a.month ?? 0, a.rule.id) < (b.facility.rawValue, b.month ?? 0, b.rule.id)
        }
    }

    /// The regulator's list, filtered.
    public static func filter(
        _ findings: [AnomalyFinding], province: String? = nil, sector: MRVSector? = nil, rule: AnomalyRule? = nil,
        minimumSeverity: MRVSeverity = .notice
    ) -> [AnomalyFinding] {
        findings.filter { f in
            (province == nil || f.province == province) && (sector == nil || f.sector == sector) && (rule == nil || f.rule == rule)
                && f.severity >= minimumSeverity
        }
    }

    // MARK: totals and ratios

    struct Totals {
        var combustionT: ExactDecimal = .zero
        var heatInputGJ: ExactDecimal = .zero
        var heatSuppliedGJ: ExactDecimal = .zero
        var generationMWh: ExactDecimal = .zero
        var outputT: ExactDecimal = .zero
        var defaultSlots = 0
        var parameterSlots = 0
        var valid = true

        init(_ figures: [MRVAccounting.MonthFigures]) {
            var co2Times12: ExactDecimal = .zero
            for month in figures {
                guard let sum = try? co2Times12.adding(month.combustionTimes12), let heat = try? heatInputGJ.adding(month.heatInputGJ),
                    let supplied = try? heatSuppliedGJ.adding(month.heatSuppliedGJ), let generation = try? generationMWh.adding(month.generationMWh),
                    let output = try? outputT.adding(month.outputT)
                else {
                    valid = false
                    return
                }
                co2Times12 = sum
                heatInputGJ = heat
                heatSuppliedGJ = supplied
                generationMWh = generation
                outputT = output
                defaultSlots += month.defaultSlots
                parameterSlots += month.parameterSlots
            }
            guard let combustion = try? co2Times12.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: MRVAnomalies.inputPlaces),
                let heat = try? heatInputGJ.rounded(to: MRVAnomalies.inputPlaces)
            else {
                valid = false
                return
            }
            combustionT = combustion
            heatInputGJ = heat
        }

        /// One month's totals.
        init(month: MRVAccounting.MonthFigures) { self.init([month]) }
    }

    /// `a / b` rounded half up to `places` decimals; nil when `b` is not positive or the
    /// numbers are too large for exact arithmetic (never within the platform's limits in practice).
    static func ratio(_ a: ExactDecimal, _ b: ExactDecimal, places: Int) -> ExactDecimal? {
        guard b.mantissa > 0 else { return nil }
        let exponent = b.scale - a.scale + places
        guard exponent.magnitude <= 38 else { return nil }
        var numerator = a.mantissa.magnitude
        var denominator = b.mantissa.magnitude
        let scale = UInt128(ExactDecimal.power(Int(exponent.magnitude)))
        if exponent >= 0 {
            let (scaled, overflow) = numerator.multipliedReportingOverflow(by: scale)
            if overflow { return nil }
            numerator = scaled
        } else {
            let (scaled, overflow) = denominator.multipliedReportingOverflow(by: scale)
            if overflow { return nil }
            denominator = scaled
        }
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        let rounded = remainder >= denominator - remainder ? quotient + 1 : quotient
        guard rounded <= UInt128(Int128.max) else { return nil }
        return ExactDecimal(mantissa: a.isNegative ? -Int128(rounded) : Int128(rounded), scale: places)
    }

    static func minus(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? {
        try? a.adding(ExactDecimal(mantissa: -b.mantissa, scale: b.scale))
    }

    static func times(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? { try? a.multiplied(by: b) }

    static func absolute(_ value: ExactDecimal) -> ExactDecimal {
        value.isNegative ? ExactDecimal(mantissa: -value.mantissa, scale: value.scale) : value
    }

    static func rounded(_ value: ExactDecimal) -> ExactDecimal? { try? value.rounded(to: inputPlaces) }

    /// Power units: heat input less heat supplied, per MWh generated (GJ/MWh).
    static func heatRate(_ totals: Totals, _ policy: MRVAnomalyPolicy) -> ExactDecimal? {
        guard totals.valid, let net = minus(totals.heatInputGJ, totals.heatSuppliedGJ), let generation = rounded(totals.generationMWh) else {
            return nil
        }
        return ratio(net, generation, places: policy.ratioPlaces)
    }

    /// Combustion emissions per unit of output. Power units: the electricity share by heat,
    /// E × (H − S) / H per MWh generated; other facilities: E per t of output.
    static func intensity(_ facility: Facility, _ totals: Totals, _ policy: MRVAnomalyPolicy) -> ExactDecimal? {
        guard totals.valid else { return nil }
        guard facility.kind == .power else {
            guard let output = rounded(totals.outputT) else { return nil }
            return ratio(totals.combustionT, output, places: policy.ratioPlaces)
        }
        guard totals.heatInputGJ.mantissa > 0, let net = minus(totals.heatInputGJ, totals.heatSuppliedGJ), !net.isNegative,
            let generation = rounded(totals.generationMWh), let numerator = times(totals.combustionT, net),
            let denominator = times(totals.heatInputGJ, generation)
        else { return nil }
        return ratio(numerator, denominator, places: policy.ratioPlaces)
    }

    static func peerGroup(_ facility: Facility) -> String { facility.power?.category.rawValue ?? facility.kind.rawValue }

    static func intensityUnit(_ facility: Facility) -> String { facility.kind == .power ? "tCO2/MWh" : "tCO2/t" }

    static func finding(
        _ rule: AnomalyRule, _ year: FacilityYearData, month: Int?, _ policy: MRVAnomalyPolicy, _ numbers: [AnomalyNumber],
        zh: String, en: String, related: [FacilityMonth] = []
    ) -> AnomalyFinding {
        AnomalyFinding(
            rule: rule, ruleID: rule.id, severity: policy.severities[rule] ?? .warning, facility: year.facility.id, entity: year.entity.id,
            province: year.entity.province, sector: year.entity.sector, year: year.year, month: month, numbers: numbers,
            explanationZH: zh, explanationEN: en, related: related)
    }

    // MARK: A01 heat rate, A02 intensity range

    static func heatRate(_ year: FacilityYearData, _ totals: Totals, _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        guard let category = year.facility.power?.category, let range = policy.heatRateGJPerMWh[category],
            let rate = heatRate(totals, policy), !range.contains(rate)
        else { return }
        let side = rate < range.low ? ("低于", "below") : ("高于", "above")
        findings.append(
            finding(
                .heatRateRange, year, month: nil, policy,
                [
                    AnomalyNumber("heat_rate", rate, "GJ/MWh"), AnomalyNumber("range_low", range.low, "GJ/MWh"),
                    AnomalyNumber("range_high", range.high, "GJ/MWh"), AnomalyNumber("heat_input", totals.heatInputGJ, "GJ"),
                    AnomalyNumber("heat_supplied", totals.heatSuppliedGJ, "GJ"), AnomalyNumber("generation", totals.generationMWh, "MWh"),
                ],
                zh: "\(year.year)年供电热耗(扣除供热后)为 \(rate) GJ/MWh,\(side.0)\(category.rawValue)机组的合理范围 \(range) GJ/MWh。请核对燃料消耗量、低位发热量与发电量。",
                en: "The implied heat rate (heat input less heat supplied, per MWh generated) for \(year.year) is \(rate) GJ/MWh, \(side.1) the plausible range \(range) GJ/MWh for \(category.rawValue) units. Check fuel consumption, calorific values and generation."))
    }

    static func intensityRange(_ year: FacilityYearData, _ totals: Totals, _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        let range = year.facility.power.map { policy.intensityTPerMWh[$0.category] } ?? policy.intensityTPerT[year.facility.kind]
        guard let range, let value = intensity(year.facility, totals, policy), !range.contains(value) else { return }
        let unit = intensityUnit(year.facility)
        let group = peerGroup(year.facility)
        let side = value < range.low ? ("低于", "below") : ("高于", "above")
        findings.append(
            finding(
                .intensityRange, year, month: nil, policy,
                [
                    AnomalyNumber("intensity", value, unit), AnomalyNumber("range_low", range.low, unit),
                    AnomalyNumber("range_high", range.high, unit), AnomalyNumber("combustion", totals.combustionT, "tCO2"),
                ],
                zh: "\(year.year)年排放强度为 \(value) \(unit),\(side.0)\(group)类的合理范围 \(range)。请核对排放量与产出数据。",
                en: "The \(year.year) emission intensity is \(value) \(unit), \(side.1) the plausible range \(range) for \(group). Check the emissions and output data."))
    }

    // MARK: A09 distance from the allocation benchmark

    /// Power units: |intensity − benchmark| > tolerance × benchmark, where the intensity is the
    /// one of A02 (combustion emissions attributed to electricity per MWh generated) and the
    /// benchmark the allocation plan's electricity benchmark of the unit's category.
    static func benchmarkDeviation(
        _ year: FacilityYearData, _ totals: Totals, _ policy: MRVAnomalyPolicy, _ benchmarks: [PowerUnitCategory: ExactDecimal],
        _ findings: inout [AnomalyFinding]
    ) {
        guard let category = year.facility.power?.category, let benchmark = benchmarks[category], benchmark.mantissa > 0,
            let value = intensity(year.facility, totals, policy), let difference = minus(value, benchmark),
            let allowed = times(policy.benchmarkTolerance, benchmark), absolute(difference) > allowed,
            let relative = ratio(difference, benchmark, places: 4)
        else { return }
        let percent = absolute(ExactDecimal(mantissa: relative.mantissa, scale: 2))
        let side = difference.isNegative ? ("低于", "below") : ("高于", "above")
        findings.append(
            finding(
                .benchmarkDeviation, year, month: nil, policy,
                [
                    AnomalyNumber("intensity", value, "tCO2/MWh"), AnomalyNumber("benchmark", benchmark, "tCO2/MWh"),
                    AnomalyNumber("difference_percent", percent, "%"), AnomalyNumber("tolerance_ratio", policy.benchmarkTolerance, ""),
                ],
                zh: "\(year.year)年供电排放强度 \(value) tCO2/MWh \(side.0)\(category.rawValue)类配额基准值 \(benchmark) 达 \(percent)%,超过 \(policy.benchmarkTolerance) 的比例。请核对排放量与发电量。",
                en: "The \(year.year) intensity \(value) tCO2/MWh is \(percent)% \(side.1) the \(category.rawValue) allocation benchmark \(benchmark), beyond the \(policy.benchmarkTolerance) tolerance. Check the emissions and generation."))
    }

    // MARK: A03 peers (robust z-score)

    /// Per peer group with at least `minimumPeers` intensities: z = c × (x − median) / MAD,
    /// computed on integers in units of 10^-ratioPlaces with doubled medians, so nothing is halved.
    static func peers(
        _ years: [FacilityYearData], _ intensities: [(index: Int, group: String, value: ExactDecimal)], _ policy: MRVAnomalyPolicy,
        _ findings: inout [AnomalyFinding]
    ) {
        var groups: [String: [(index: Int, value: Int128)]] = [:]
        for entry in intensities {
            groups[entry.group, default: []].append((entry.index, entry.value.mantissa))  // all at ratioPlaces
        }
        for group in groups.keys.sorted() {
            let members = groups[group]!
            guard members.count >= policy.minimumPeers else { continue }
            let twiceMedian = twiceMedianOf(members.map(\.value))
            let deviations = members.map { (2 * $0.value - twiceMedian).magnitude }  // 2|x − median|
            let fourMAD = twiceMedianOf(deviations.map { Int128($0) })  // 2 × median(2|x − m|) = 4 MAD
            guard fourMAD > 0 else { continue }
            for (member, deviation) in zip(members, deviations) {
                // |z| = c × (D/2) / (4MAD/4) = 2cD / 4MAD > k  ⇔  2cD > k × 4MAD
                guard let lhs = times(policy.robustZConstant, ExactDecimal(mantissa: 2 * Int128(deviation), scale: 0)),
                    let rhs = times(policy.robustZThreshold, ExactDecimal(mantissa: fourMAD, scale: 0)), lhs > rhs,
                    var z = ratio(lhs, ExactDecimal(mantissa: fourMAD, scale: 0), places: 2)
                else { continue }
                if 2 * member.value < twiceMedian { z = ExactDecimal(mantissa: -z.mantissa, scale: z.scale) }
                let year = years[member.index]
                let unit = intensityUnit(year.facility)
                let places = policy.ratioPlaces
                let median = ExactDecimal(mantissa: twiceMedian, scale: places)
                findings.append(
                    finding(
                        .peerIntensity, year, month: nil, policy,
                        [
                            AnomalyNumber("intensity", ExactDecimal(mantissa: member.value, scale: places), unit),
                            AnomalyNumber("peer_median", ratio(median, ExactDecimal(2), places: places + 1) ?? median, unit),
                            AnomalyNumber("peer_mad", ExactDecimal(mantissa: fourMAD * 25, scale: places + 2), unit),
                            AnomalyNumber("robust_z", z, ""), AnomalyNumber("threshold", policy.robustZThreshold, ""),
                            AnomalyNumber("peers", ExactDecimal(Int64(members.count)), ""),
                        ],
                        zh: "\(year.year)年排放强度与同类(\(group),\(members.count)家)中位数偏离过大:稳健 z 值 \(z),阈值 ±\(policy.robustZThreshold)。",
                        en: "The \(year.year) intensity is far from its \(members.count) \(group) peers: robust z-score \(z) (median and MAD), threshold ±\(policy.robustZThreshold)."))
            }
        }
    }

    /// 2 × the median: the middle value doubled, or the sum of the two middle values.
    static func twiceMedianOf(_ values: [Int128]) -> Int128 {
        let sorted = values.sorted()
        return sorted[sorted.count / 2] + sorted[(sorted.count - 1) / 2]
    }

    // MARK: A04 month-on-month jumps

    static func monthJumps(_ year: FacilityYearData, _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        var previous: (month: Int, value: ExactDecimal)?
        for month in year.figures {
            guard let value = intensity(year.facility, Totals(month: month), policy), value.mantissa > 0 else {
                previous = nil
                continue
            }
            defer { previous = (month.month, value) }
            guard let before = previous, before.month == month.month - 1, let change = minus(value, before.value),
                let limit = times(policy.monthJumpRatio, before.value), absolute(change) > limit,
                let relative = ratio(change, before.value, places: 4)
            else { continue }
            let unit = intensityUnit(year.facility)
            let percent = ExactDecimal(mantissa: relative.mantissa, scale: 2)
            findings.append(
                finding(
                    .monthJump, year, month: month.month, policy,
                    [
                        AnomalyNumber("previous_intensity", before.value, unit), AnomalyNumber("intensity", value, unit),
                        AnomalyNumber("change_percent", percent, "%"), AnomalyNumber("threshold_ratio", policy.monthJumpRatio, ""),
                    ],
                    zh: "\(year.year)年\(month.month)月排放强度 \(value) \(unit),较上月 \(before.value) 变化 \(percent)%,超过 ±\(policy.monthJumpRatio) 的阈值。",
                    en: "Month \(month.month) of \(year.year): intensity \(value) \(unit) changed \(percent)% from the previous month's \(before.value), beyond the ±\(policy.monthJumpRatio) threshold."))
        }
    }

    // MARK: A05 carbon content, A06 default share

    static func carbonContents(_ year: FacilityYearData, _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        for month in year.figures {
            for observation in month.carbonContents {
                let range = observation.perHeat ? policy.carbonPerGJ[observation.fuel] : policy.carbonPerUnit[observation.fuel]
                guard let range, !range.contains(observation.value) else { continue }
                let unit = observation.perHeat ? "tC/GJ" : (observation.fuel.unit == "t" ? "tC/t" : "tC/10^4Nm3")
                let fuel = observation.fuel.rawValue
                findings.append(
                    finding(
                        .carbonContentRange, year, month: month.month, policy,
                        [
                            AnomalyNumber("carbon_content", observation.value, unit), AnomalyNumber("range_low", range.low, unit),
                            AnomalyNumber("range_high", range.high, unit),
                        ],
                        zh: "\(year.year)年\(month.month)月 \(fuel) 的实测含碳量 \(observation.value) \(unit) 超出该燃料的合理范围 \(range)。请核对化验报告。",
                        en: "Month \(month.month) of \(year.year): the measured carbon content of \(fuel), \(observation.value) \(unit), is outside the fuel's plausible range \(range). Check the laboratory report."))
            }
        }
    }

    static func defaultShare(_ year: FacilityYearData, _ totals: Totals, _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        guard totals.parameterSlots > 0,
            let allowed = times(policy.maxDefaultShare, ExactDecimal(Int64(totals.parameterSlots))),
            ExactDecimal(Int64(totals.defaultSlots)) > allowed,
            let share = ratio(ExactDecimal(Int64(totals.defaultSlots) * 100), ExactDecimal(Int64(totals.parameterSlots)), places: 2)
        else { return }
        findings.append(
            finding(
                .defaultShare, year, month: nil, policy,
                [
                    AnomalyNumber("default_slots", ExactDecimal(Int64(totals.defaultSlots)), ""),
                    AnomalyNumber("parameter_slots", ExactDecimal(Int64(totals.parameterSlots)), ""),
                    AnomalyNumber("default_percent", share, "%"), AnomalyNumber("threshold_ratio", policy.maxDefaultShare, ""),
                ],
                zh: "\(year.year)年低位发热量与含碳量中有 \(share)% 使用缺省值(\(totals.defaultSlots)/\(totals.parameterSlots)),超过 \(policy.maxDefaultShare) 的比例。请核对是否按数据质量控制计划实测。",
                en: "\(share)% of the \(year.year) calorific-value and carbon-content values are defaults (\(totals.defaultSlots) of \(totals.parameterSlots)), above the \(policy.maxDefaultShare) share. Check that the control plan's measurements were made."))
    }

    // MARK: A07 grid company data

    static func gridMismatch(
        _ years: [FacilityYearData], _ grid: [GridGenerationRow], _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]
    ) {
        var index: [FacilityID: Int] = [:]
        for (i, year) in years.enumerated() { index[year.facility.id] = i }
        for row in grid {
            guard let i = index[row.facility], years[i].year == row.year,
                let month = years[i].months.firstIndex(where: { $0.month == row.month })
            else { continue }
            let year = years[i]
            let reported = year.figures[month].generationMWh
            guard let difference = minus(reported, row.generationMWh), let allowed = times(policy.gridTolerance, row.generationMWh) else {
                continue
            }
            guard absolute(difference) > allowed else { continue }
            let percent = ratio(ExactDecimal(mantissa: difference.mantissa * 100, scale: difference.scale), row.generationMWh, places: 2)
            var numbers = [
                AnomalyNumber("reported_generation", reported, "MWh"), AnomalyNumber("grid_generation", row.generationMWh, "MWh"),
                AnomalyNumber("difference", difference, "MWh"), AnomalyNumber("tolerance_ratio", policy.gridTolerance, ""),
            ]
            if let percent { numbers.append(AnomalyNumber("difference_percent", percent, "%")) }
            findings.append(
                finding(
                    .gridMismatch, year, month: row.month, policy, numbers,
                    zh: "\(year.year)年\(row.month)月报送发电量 \(reported) MWh 与电网企业数据 \(row.generationMWh) MWh 相差 \(difference) MWh,超过 \(policy.gridTolerance) 的容差。",
                    en: "Month \(row.month) of \(year.year): reported generation \(reported) MWh differs from the grid company's \(row.generationMWh) MWh by \(difference) MWh, beyond the \(policy.gridTolerance) tolerance."))
        }
    }

    // MARK: A08 identical months across entities

    struct Fingerprint: Hashable {
        var fuels: [FuelLine]
        var production: Production
        var purchasedMWh: ExactDecimal?
        var process: ProcessData?
    }

    /// Months whose fuel lines, production and purchased electricity are identical to a month
    /// of another entity's facility. Idle months (no consumption, no generation or output) are
    /// not compared.
    static func copiedMonths(_ years: [FacilityYearData], _ policy: MRVAnomalyPolicy, _ findings: inout [AnomalyFinding]) {
        var seen: [Fingerprint: [(year: Int, month: Int)]] = [:]
        seen.reserveCapacity(years.count * 12)
        for (y, year) in years.enumerated() {
            for (m, data) in year.months.enumerated() {
                let active =
                    data.fuels.contains { $0.consumption.mantissa != 0 }
                    || (data.production.generationMWh?.mantissa ?? 0) != 0 || (data.production.outputT?.mantissa ?? 0) != 0
                guard active else { continue }
                let fuels = data.fuels.count < 2 ? data.fuels : data.fuels.sorted { $0.fuel.rawValue < $1.fuel.rawValue }
                seen[Fingerprint(fuels: fuels, production: data.production, purchasedMWh: data.purchasedMWh, process: data.process), default: []].append((y, m))
            }
        }
        for group in seen.values where group.count > 1 {
            let entities = Set(group.map { years[$0.year].entity.id })
            guard entities.count > 1 else { continue }
            for member in group {
                let year = years[member.year]
                let data = year.months[member.month]
                let others = group.filter { years[$0.year].entity.id != year.entity.id }.map { years[$0.year].months[$0.month].key }.sorted()
                let list = others.prefix(5).map(\.description).joined(separator: ", ")
                findings.append(
                    finding(
                        .copiedMonth, year, month: data.month, policy,
                        [AnomalyNumber("identical_months_elsewhere", ExactDecimal(Int64(others.count)), "")],
                        zh: "\(year.year)年\(data.month)月的燃料、生产与外购电数据与其他单位的 \(others.count) 个月份完全相同(\(list)),疑似复制数据。",
                        en: "The fuel, production and purchased-electricity data of month \(data.month) of \(year.year) are identical to \(others.count) month(s) of other entities (\(list)): possibly copied.",
                        related: others))
            }
        }
    }
}
