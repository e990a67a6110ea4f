/// A day of the year, for deadlines that fall on the same date every year ("03-31").
public struct MonthDay: Hashable, Codable, Sendable, CustomStringConvertible {
    public var month: Int
    public var day: Int

    public init(month: Int, day: Int) {
        precondition((1...12).contains(month) && (1...31).contains(day))
        self.month = month
        self.day = day
    }

    public func date(in year: Int) -> CivilDate {
        CivilDate(year: year, month: month, day: min(day, CivilDate.daysIn(month: month, year: year)))
    }

    public var description: String { "\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)" }
}

/// A closed interval of plausible values [low, high].
public struct PlausibleRange: Hashable, Codable, Sendable, CustomStringConvertible {
    public var low: ExactDecimal
    public var high: ExactDecimal

    public init(_ low: String, _ high: String) {
        self.low = ExactDecimal(low)!
        self.high = ExactDecimal(high)!
        precondition(self.low <= self.high)
    }

    public func contains(_ value: ExactDecimal) -> Bool { low <= value && value <= high }

    public var description: String { "\(low)–\(high)" }
}

/// Named limits of the MRV platform: anything larger is rejected with `LIMIT_EXCEEDED` (counts,
/// lengths) or `INVALID_VALUE` (absurd amounts). The amount maxima are the calculator's.
public struct MRVLimits: Hashable, Codable, Sendable {
    /// Facility and verifier ids: 1…this many of A-Z a-z 0-9 - _ .
    public var maxIDLength: Int
    public var maxTextLength: Int
    public var maxFacilitiesPerEntity: Int
    public var maxPlanItems: Int
    public var maxEvidenceFilesPerMonth: Int
    public var maxFindingsPerReport: Int
    public var maxReasons: Int
    public var maxCapacityMW: ExactDecimal
    public var maxMonthlyConsumption: ExactDecimal
    public var maxNCV: ExactDecimal
    public var maxCarbonPerGJ: ExactDecimal
    /// tC per t (or per 10^4 Nm3) of fuel.
    public var maxCarbonPerUnit: ExactDecimal
    public var maxPurchasedMWh: ExactDecimal
    public var maxMonthlyGenerationMWh: ExactDecimal
    public var maxMonthlyHeatGJ: ExactDecimal
    public var maxMonthlyOutputT: ExactDecimal
    /// kg of CF4 or C2F6 per tonne of aluminium.
    public var maxPFCKgPerT: ExactDecimal
    /// Verified emissions per facility, tCO2e.
    public var maxVerifiedEmissionsT: ExactDecimal
    /// Most decimals of an amount (consumption, production, electricity, output).
    public var maxAmountPlaces: Int
    /// Most decimals of a parameter (NCV, carbon content, oxidation, PFC factors).
    public var maxParameterPlaces: Int
    /// Most decimals of a moisture percentage.
    public var maxMoisturePlaces: Int
    /// Most bytes of one evidence file (its bytes are stored, `mrv_evidence_blob`). Optional
    /// only so that versions published before it existed still decode: absent means
    /// `defaultMaxEvidenceBytes`. Read it through `evidenceByteLimit`.
    public var maxEvidenceBytes: Int? = MRVLimits.defaultMaxEvidenceBytes

    /// 32 MiB.
    public static let defaultMaxEvidenceBytes = 32 * 1024 * 1024
    /// The largest `maxEvidenceBytes` a policy may set: 256 MiB (a file is one SQL value).
    public static let maxEvidenceBytesCeiling = 256 * 1024 * 1024

    /// The evidence size limit in force.
    public var evidenceByteLimit: Int { maxEvidenceBytes ?? Self.defaultMaxEvidenceBytes }

    public static let defaults = MRVLimits(
        maxIDLength: 64, maxTextLength: 200, maxFacilitiesPerEntity: 500, maxPlanItems: 200, maxEvidenceFilesPerMonth: 100,
        maxFindingsPerReport: 1_000, maxReasons: 20, maxCapacityMW: ExactDecimal(2_000),
        maxMonthlyConsumption: EmissionCalculator.Limits.maxMonthlyConsumption, maxNCV: EmissionCalculator.Limits.maxNCV,
        maxCarbonPerGJ: EmissionCalculator.Limits.maxCarbonPerGJ, maxCarbonPerUnit: EmissionCalculator.Limits.maxCarbonPerUnit,
        maxPurchasedMWh: EmissionCalculator.Limits.maxPurchasedMWh, maxMonthlyGenerationMWh: ExactDecimal(10_000_000),
        maxMonthlyHeatGJ: ExactDecimal(1_000_000_000), maxMonthlyOutputT: ExactDecimal(100_000_000), maxPFCKgPerT: ExactDecimal(10),
        maxVerifiedEmissionsT: ExactDecimal(10_000_000_000), maxAmountPlaces: 6, maxParameterPlaces: 8, maxMoisturePlaces: 2)
}

/// Perfluorocarbons of aluminium smelting: default emission factors and the GWP set of the
/// guideline version.
public struct PFCParameters: Hashable, Codable, Sendable {
    public var cf4DefaultKgPerT: ExactDecimal
    public var c2f6DefaultKgPerT: ExactDecimal
    public var gwpSet: String
    public var gwpCF4: ExactDecimal
    public var gwpC2F6: ExactDecimal

    public init(cf4DefaultKgPerT: ExactDecimal, c2f6DefaultKgPerT: ExactDecimal, gwpSet: String, gwpCF4: ExactDecimal, gwpC2F6: ExactDecimal) {
        self.cf4DefaultKgPerT = cf4DefaultKgPerT
        self.c2f6DefaultKgPerT = c2f6DefaultKgPerT
        self.gwpSet = gwpSet
        self.gwpCF4 = gwpCF4
        self.gwpC2F6 = gwpC2F6
    }
}

/// Process emissions of cement clinker lines and steel works, as data (docs/mrv.md). The
/// shipped values are [unverified]: believed from the sector guidelines, not confirmed
/// against their text.
public struct ProcessParameters: Hashable, Codable, Sendable {
    /// tCO2 per t of clinker from carbonate decomposition, where no factor is measured.
    public var clinkerFactorDefault: ExactDecimal
    /// Largest plausible clinker factor (a measured or calculated value above is rejected).
    public var maxClinkerFactor: ExactDecimal
    /// tCO2 per t of each steel process material.
    public var materialFactors: [ProcessMaterial: ExactDecimal]
    /// Where the values come from, and whether they are verified.
    public var source: String

    public init(
        clinkerFactorDefault: ExactDecimal, maxClinkerFactor: ExactDecimal, materialFactors: [ProcessMaterial: ExactDecimal], source: String
    ) {
        self.clinkerFactorDefault = clinkerFactorDefault
        self.maxClinkerFactor = maxClinkerFactor
        self.materialFactors = materialFactors
        self.source = source
    }

    /// [unverified] clinker 0.538 tCO2/t (carbonate CaO and MgO of a typical clinker); limestone
    /// 0.440, dolomite 0.471 (stoichiometric CO2 of pure CaCO3 and CaMg(CO3)2 at ~100 % and
    /// ~98 % purity), electrodes 3.663 (≈ 99.9 % carbon × 44/12).
    public static let seed = ProcessParameters(
        clinkerFactorDefault: ExactDecimal("0.538")!, maxClinkerFactor: ExactDecimal(1),
        materialFactors: [.limestone: ExactDecimal("0.440")!, .dolomite: ExactDecimal("0.471")!, .electrode: ExactDecimal("3.663")!],
        source: "[unverified] cement and steel sector guideline defaults as commonly quoted; not in DOMAIN.md or the seeds")
}

/// Thresholds and plausible ranges of the anomaly rules (MRVAnomalies.swift), as data.
public struct MRVAnomalyPolicy: Hashable, Codable, Sendable {
    /// A01: heat input (less heat supplied) per MWh generated, GJ/MWh, by unit category.
    public var heatRateGJPerMWh: [PowerUnitCategory: PlausibleRange]
    /// A02: combustion emissions attributed to electricity per MWh generated, tCO2/MWh.
    public var intensityTPerMWh: [PowerUnitCategory: PlausibleRange]
    /// A02 for other facilities: combustion tCO2 per t of output (none shipped).
    public var intensityTPerT: [FacilityKind: PlausibleRange]
    /// A03: robust z = constant × (x − median) / MAD; fires when |z| > threshold.
    public var robustZConstant: ExactDecimal
    public var robustZThreshold: ExactDecimal
    /// A03 needs at least this many peers (same category, same year) with an intensity.
    public var minimumPeers: Int
    /// A04: fires when a month's intensity differs from the previous month's by more than
    /// this fraction of the previous month's.
    public var monthJumpRatio: ExactDecimal
    /// A05: measured or calculated carbon content per heat, tC/GJ, by fuel.
    public var carbonPerGJ: [Fuel: PlausibleRange]
    /// A05: carbon content per unit (as received), tC/t or tC/10^4 Nm3, by fuel.
    public var carbonPerUnit: [Fuel: PlausibleRange]
    /// A06: fires when defaults fill more than this fraction of NCV and carbon-content slots.
    public var maxDefaultShare: ExactDecimal
    /// A07: fires when reported generation differs from the grid company's by more than this
    /// fraction of the grid company's figure.
    public var gridTolerance: ExactDecimal
    /// Decimals that ratios (heat rate, intensity) are rounded to, half up, before comparison.
    public var ratioPlaces: Int
    /// A09: fires when a power unit's intensity differs from its category's allocation
    /// benchmark by more than this fraction of the benchmark.
    public var benchmarkTolerance: ExactDecimal
    public var severities: [AnomalyRule: MRVSeverity]

    public init(
        heatRateGJPerMWh: [PowerUnitCategory: PlausibleRange], intensityTPerMWh: [PowerUnitCategory: PlausibleRange],
        intensityTPerT: [FacilityKind: PlausibleRange], robustZConstant: ExactDecimal, robustZThreshold: ExactDecimal, minimumPeers: Int,
        monthJumpRatio: ExactDecimal, carbonPerGJ: [Fuel: PlausibleRange], carbonPerUnit: [Fuel: PlausibleRange],
        maxDefaultShare: ExactDecimal, gridTolerance: ExactDecimal, ratioPlaces: Int, benchmarkTolerance: ExactDecimal = ExactDecimal("0.25")!,
        severities: [AnomalyRule: MRVSeverity]
    ) {
        self.benchmarkTolerance = benchmarkTolerance
        self.heatRateGJPerMWh = heatRateGJPerMWh
        self.intensityTPerMWh = intensityTPerMWh
        self.intensityTPerT = intensityTPerT
        self.robustZConstant = robustZConstant
        self.robustZThreshold = robustZThreshold
        self.minimumPeers = minimumPeers
        self.monthJumpRatio = monthJumpRatio
        self.carbonPerGJ = carbonPerGJ
        self.carbonPerUnit = carbonPerUnit
        self.maxDefaultShare = maxDefaultShare
        self.gridTolerance = gridTolerance
        self.ratioPlaces = ratioPlaces
        self.severities = severities
    }

    /// The shipped thresholds: all [unverified] engineering values (docs/mrv.md).
    public static let seed = MRVAnomalyPolicy(
        heatRateGJPerMWh: [
            .coalGT300: PlausibleRange("7.6", "10.0"), .coalLE300: PlausibleRange("8.2", "11.5"),
            .coalUnconventional: PlausibleRange("8.5", "13.0"), .gas: PlausibleRange("5.5", "8.5"),
        ],
        intensityTPerMWh: [
            .coalGT300: PlausibleRange("0.70", "1.00"), .coalLE300: PlausibleRange("0.75", "1.15"),
            .coalUnconventional: PlausibleRange("0.78", "1.35"), .gas: PlausibleRange("0.30", "0.55"),
        ],
        intensityTPerT: [:],
        robustZConstant: ExactDecimal("0.6745")!, robustZThreshold: ExactDecimal("3.5")!, minimumPeers: 5,
        monthJumpRatio: ExactDecimal("0.30")!,
        carbonPerGJ: [
            .coal: PlausibleRange("0.0220", "0.0340"), .naturalGas: PlausibleRange("0.0145", "0.0160"),
            .fuelOil: PlausibleRange("0.0200", "0.0220"), .diesel: PlausibleRange("0.0195", "0.0210"),
        ],
        carbonPerUnit: [
            .coal: PlausibleRange("0.30", "0.85"), .naturalGas: PlausibleRange("5.4", "6.2"),
            .fuelOil: PlausibleRange("0.82", "0.89"), .diesel: PlausibleRange("0.83", "0.88"),
        ],
        maxDefaultShare: ExactDecimal("0.5")!, gridTolerance: ExactDecimal("0.02")!, ratioPlaces: 6,
        benchmarkTolerance: ExactDecimal("0.25")!,
        severities: [
            .heatRateRange: .warning, .intensityRange: .warning, .peerIntensity: .warning, .monthJump: .notice,
            .carbonContentRange: .warning, .defaultShare: .notice, .gridMismatch: .serious, .copiedMonth: .serious,
            .benchmarkDeviation: .warning,
        ])
}

/// The MRV platform's rules for one data year, as data: deadlines, coverage, verifier
/// conflict rules, PFC parameters, anomaly thresholds and limits. A regulator corrects a table
/// without a release; values marked [unverified] in docs/mrv.md are believed, not confirmed.
public struct MRVPlatformPolicy: Hashable, Codable, Sendable {
    public var year: Int
    /// Monthly data is due this many natural days after the month ends (40).
    public var monthlyDueDays: Int
    /// Annual report deadline by sector, a day of the year after the data year.
    public var reportDeadlines: [MRVSector: MonthDay]
    /// Verification deadline by sector, a day of the year after the data year.
    public var verificationDeadlines: [MRVSector: MonthDay]
    /// Sectors with compliance obligations for this data year; the others report only.
    public var complianceSectors: [MRVSector]
    /// An entity is a key emitter from this many tCO2e a year (26,000).
    public var keyEmitterThresholdT: ExactDecimal
    /// A verifier may verify the same entity at most this many years running.
    public var maxConsecutiveYearsSameVerifier: Int
    /// A verifier that consulted for the entity in the data year or this many years before it
    /// may not verify it.
    public var consultantCoolingOffYears: Int
    /// Decimals a carbon content converted from the air-dried basis is rounded to (half up):
    /// the one conversion that divides.
    public var convertedCarbonPlaces: Int
    public var pfc: PFCParameters
    public var process: ProcessParameters
    public var anomaly: MRVAnomalyPolicy
    public var rating: VerifierRatingPolicy
    public var limits: MRVLimits

    public init(
        year: Int, monthlyDueDays: Int, reportDeadlines: [MRVSector: MonthDay], verificationDeadlines: [MRVSector: MonthDay],
        complianceSectors: [MRVSector], keyEmitterThresholdT: ExactDecimal, maxConsecutiveYearsSameVerifier: Int,
        consultantCoolingOffYears: Int, convertedCarbonPlaces: Int, pfc: PFCParameters, process: ProcessParameters = .seed,
        anomaly: MRVAnomalyPolicy, rating: VerifierRatingPolicy = .seed, limits: MRVLimits
    ) {
        self.process = process
        self.rating = rating
        self.year = year
        self.monthlyDueDays = monthlyDueDays
        self.reportDeadlines = reportDeadlines
        self.verificationDeadlines = verificationDeadlines
        self.complianceSectors = complianceSectors
        self.keyEmitterThresholdT = keyEmitterThresholdT
        self.maxConsecutiveYearsSameVerifier = maxConsecutiveYearsSameVerifier
        self.consultantCoolingOffYears = consultantCoolingOffYears
        self.convertedCarbonPlaces = convertedCarbonPlaces
        self.pfc = pfc
        self.anomaly = anomaly
        self.limits = limits
    }

    public func reportDeadline(_ sector: MRVSector) -> CivilDate {
        (reportDeadlines[sector] ?? MonthDay(month: 3, day: 31)).date(in: year + 1)
    }

    public func verificationDeadline(_ sector: MRVSector) -> CivilDate {
        (verificationDeadlines[sector] ?? MonthDay(month: 12, day: 31)).date(in: year + 1)
    }

    public func hasCompliance(_ sector: MRVSector) -> Bool { complianceSectors.contains(sector) }

    /// The shipped tables, one per data year 2019–2024 (the years `MRVPolicy.seed` covers).
    public static let seed: [MRVPlatformPolicy] = (2019...2024).map { year in
        let compliance: [MRVSector] = year >= 2024 ? [.power, .steel, .cement, .aluminium] : [.power]
        var report: [MRVSector: MonthDay] = [:]
        var verification: [MRVSector: MonthDay] = [:]
        for sector in MRVSector.allCases {
            let industrial = sector != .power && compliance.contains(sector)
            report[sector] = industrial ? MonthDay(month: 6, day: 30) : MonthDay(month: 3, day: 31)
            verification[sector] =
                sector == .power
                ? MonthDay(month: 6, day: 30) : (industrial ? MonthDay(month: 8, day: 31) : MonthDay(month: 12, day: 31))
        }
        return MRVPlatformPolicy(
            year: year, monthlyDueDays: 40, reportDeadlines: report, verificationDeadlines: verification,
            complianceSectors: compliance, keyEmitterThresholdT: ExactDecimal(26_000), maxConsecutiveYearsSameVerifier: 3,
            consultantCoolingOffYears: 1, convertedCarbonPlaces: 6,
            pfc: PFCParameters(
                cf4DefaultKgPerT: ExactDecimal("0.034")!, c2f6DefaultKgPerT: ExactDecimal("0.0034")!, gwpSet: "SAR",
                gwpCF4: ExactDecimal(6_500), gwpC2F6: ExactDecimal(9_200)),
            process: .seed, anomaly: .seed, rating: .seed, limits: .defaults)
    }
}

/// Every MRV table the platform needs: accounting parameters (`MRVPolicy`, as the calculator
/// uses them) and platform rules (`MRVPlatformPolicy`), both by data year.
public struct MRVPolicyTables: Hashable, Codable, Sendable {
    public var accounting: [MRVPolicy]
    public var platform: [MRVPlatformPolicy]

    public init(accounting: [MRVPolicy], platform: [MRVPlatformPolicy]) {
        precondition(!platform.isEmpty, "at least one platform table")
        self.accounting = accounting
        self.platform = platform
    }

    public static let seed = MRVPolicyTables(accounting: MRVPolicy.seed, platform: MRVPlatformPolicy.seed)

    public func accounting(_ year: Int) throws(MRVError) -> MRVPolicy {
        guard let table = accounting.first(where: { $0.year == year }) else {
            throw MRVError(.noPolicyForYear, "no MRV accounting table for data year \(year)")
        }
        return table
    }

    public func platform(_ year: Int) throws(MRVError) -> MRVPlatformPolicy {
        guard let table = platform.first(where: { $0.year == year }) else {
            throw MRVError(.noPolicyForYear, "no MRV platform table for data year \(year)")
        }
        return table
    }

    /// The latest platform table: its limits apply to commands that name no data year.
    public var current: MRVPlatformPolicy { platform.max(by: { $0.year < $1.year })! }
}
