/// Checks a set of MRV policy tables before it is published (`MRVService.publishPolicy`): a
/// regulator's JSON file must be a complete, consistent set, since decoding alone does not run
/// the checks of the initialisers (`MonthDay`, `PlausibleRange`). The first fault is thrown as
/// `INVALID_POLICY` with the path of the field (`platform[2024].monthlyDueDays`).
extension MRVPolicyTables {
    /// Oldest and newest data year a table may be for.
    public static let yearRange = 2000...2100

    public func validate() throws(MRVError) {
        func fail(_ path: String, _ message: String) -> MRVError { MRVError(.invalidPolicy, "\(path): \(message)") }
        guard !accounting.isEmpty, !platform.isEmpty else { throw fail("tables", "at least one accounting and one platform table") }
        let accountingYears = accounting.map(\.year)
        let platformYears = platform.map(\.year)
        for (name, years) in [("accounting", accountingYears), ("platform", platformYears)] {
            guard Set(years).count == years.count else { throw fail(name, "a data year appears twice") }
            if let bad = years.first(where: { !Self.yearRange.contains($0) }) { throw fail("\(name)[\(bad)]", "data year outside \(Self.yearRange)") }
        }
        guard Set(accountingYears) == Set(platformYears) else {
            throw fail("tables", "accounting years \(accountingYears.sorted()) and platform years \(platformYears.sorted()) differ")
        }
        for table in accounting { try Self.validate(table, fail) }
        for table in platform { try Self.validate(table, fail) }
    }

    /// Every data year of `previous` is still covered: a published version may correct a year's
    /// values but not drop the year (its months and reports would lose their tables).
    public func validate(replacing previous: MRVPolicyTables) throws(MRVError) {
        try validate()
        let dropped = Set(previous.platform.map(\.year)).subtracting(platform.map(\.year))
        if let year = dropped.min() { throw MRVError(.invalidPolicy, "platform[\(year)]: the data year would be dropped") }
    }

    static func decimal(_ text: String, _ path: String, max: ExactDecimal, _ fail: (String, String) -> MRVError) throws(MRVError) {
        guard let value = ExactDecimal(text) else { throw fail(path, "'\(text)' is not a decimal") }
        try positive(value, path, max: max, fail)
    }

    static func positive(_ value: ExactDecimal, _ path: String, max: ExactDecimal, _ fail: (String, String) -> MRVError) throws(MRVError) {
        guard value > .zero, value <= max else { throw fail(path, "\(value) is not in (0, \(max)]") }
    }

    static func fraction(_ value: ExactDecimal, _ path: String, _ fail: (String, String) -> MRVError) throws(MRVError) {
        guard !value.isNegative, value <= ExactDecimal(1) else { throw fail(path, "\(value) is not in [0, 1]") }
    }

    static func validate(_ table: MRVPolicy, _ fail: (String, String) -> MRVError) throws(MRVError) {
        let at = "accounting[\(table.year)]"
        guard !table.guideline.isEmpty else { throw fail("\(at).guideline", "required") }
        for fuel in Fuel.allCases {
            guard let d = table.fuels[fuel] else { throw fail("\(at).fuels.\(fuel.rawValue)", "missing") }
            let path = "\(at).fuels.\(fuel.rawValue)"
            try decimal(d.ncvGJPerUnit, "\(path).ncvGJPerUnit", max: EmissionCalculator.Limits.maxNCV, fail)
            try decimal(d.carbonPerGJ, "\(path).carbonPerGJ", max: EmissionCalculator.Limits.maxCarbonPerGJ, fail)
            try decimal(d.oxidation, "\(path).oxidation", max: ExactDecimal(1), fail)
        }
        if let grid = table.gridFactorTPerMWh { try decimal(grid, "\(at).gridFactorTPerMWh", max: ExactDecimal(10), fail) }
    }

    static func validate(_ range: PlausibleRange, _ path: String, _ fail: (String, String) -> MRVError) throws(MRVError) {
        guard !range.low.isNegative, range.low <= range.high else { throw fail(path, "range \(range) is not 0 ≤ low ≤ high") }
    }

    static func validate(_ table: MRVPlatformPolicy, _ fail: (String, String) -> MRVError) throws(MRVError) {
        let at = "platform[\(table.year)]"
        guard (1...366).contains(table.monthlyDueDays) else { throw fail("\(at).monthlyDueDays", "\(table.monthlyDueDays) is not 1–366") }
        for (name, deadlines) in [("reportDeadlines", table.reportDeadlines), ("verificationDeadlines", table.verificationDeadlines)] {
            for sector in MRVSector.allCases {
                guard let day = deadlines[sector] else { throw fail("\(at).\(name).\(sector.rawValue)", "missing") }
                guard (1...12).contains(day.month), (1...CivilDate.daysIn(month: day.month, year: 2024)).contains(day.day) else {
                    throw fail("\(at).\(name).\(sector.rawValue)", "month \(day.month), day \(day.day) is not a day of the year")
                }
            }
        }
        guard Set(table.complianceSectors).count == table.complianceSectors.count else { throw fail("\(at).complianceSectors", "a sector appears twice") }
        try positive(table.keyEmitterThresholdT, "\(at).keyEmitterThresholdT", max: ExactDecimal(10_000_000_000), fail)
        guard table.maxConsecutiveYearsSameVerifier >= 1 else { throw fail("\(at).maxConsecutiveYearsSameVerifier", "at least 1") }
        guard (0...50).contains(table.consultantCoolingOffYears) else { throw fail("\(at).consultantCoolingOffYears", "0–50") }
        guard (0...8).contains(table.convertedCarbonPlaces) else { throw fail("\(at).convertedCarbonPlaces", "0–8") }
        // PFCs.
        let pfc = table.pfc
        for (name, value) in [("cf4DefaultKgPerT", pfc.cf4DefaultKgPerT), ("c2f6DefaultKgPerT", pfc.c2f6DefaultKgPerT)] {
            try positive(value, "\(at).pfc.\(name)", max: table.limits.maxPFCKgPerT, fail)
        }
        for (name, value) in [("gwpCF4", pfc.gwpCF4), ("gwpC2F6", pfc.gwpC2F6)] {
            try positive(value, "\(at).pfc.\(name)", max: ExactDecimal(100_000), fail)
        }
        guard !pfc.gwpSet.isEmpty else { throw fail("\(at).pfc.gwpSet", "required") }
        // Process emissions.
        let process = table.process
        try positive(process.maxClinkerFactor, "\(at).process.maxClinkerFactor", max: ExactDecimal(10), fail)
        try positive(process.clinkerFactorDefault, "\(at).process.clinkerFactorDefault", max: process.maxClinkerFactor, fail)
        for material in ProcessMaterial.allCases {
            guard let factor = process.materialFactors[material] else { throw fail("\(at).process.materialFactors.\(material.rawValue)", "missing") }
            try positive(factor, "\(at).process.materialFactors.\(material.rawValue)", max: ExactDecimal(10), fail)
        }
        // Anomaly thresholds.
        let a = table.anomaly
        for category in PowerUnitCategory.allCases {
            guard let heat = a.heatRateGJPerMWh[category] else { throw fail("\(at).anomaly.heatRateGJPerMWh.\(category.rawValue)", "missing") }
            try validate(heat, "\(at).anomaly.heatRateGJPerMWh.\(category.rawValue)", fail)
            guard let intensity = a.intensityTPerMWh[category] else { throw fail("\(at).anomaly.intensityTPerMWh.\(category.rawValue)", "missing") }
            try validate(intensity, "\(at).anomaly.intensityTPerMWh.\(category.rawValue)", fail)
        }
        for (kind, range) in a.intensityTPerT { try validate(range, "\(at).anomaly.intensityTPerT.\(kind.rawValue)", fail) }
        for (fuel, range) in a.carbonPerGJ { try validate(range, "\(at).anomaly.carbonPerGJ.\(fuel.rawValue)", fail) }
        for (fuel, range) in a.carbonPerUnit { try validate(range, "\(at).anomaly.carbonPerUnit.\(fuel.rawValue)", fail) }
        try positive(a.robustZConstant, "\(at).anomaly.robustZConstant", max: ExactDecimal(10), fail)
        try positive(a.robustZThreshold, "\(at).anomaly.robustZThreshold", max: ExactDecimal(100), fail)
        guard (3...1_000).contains(a.minimumPeers) else { throw fail("\(at).anomaly.minimumPeers", "\(a.minimumPeers) is not 3–1000") }
        try positive(a.monthJumpRatio, "\(at).anomaly.monthJumpRatio", max: ExactDecimal(100), fail)
        try fraction(a.maxDefaultShare, "\(at).anomaly.maxDefaultShare", fail)
        try fraction(a.gridTolerance, "\(at).anomaly.gridTolerance", fail)
        try positive(a.benchmarkTolerance, "\(at).anomaly.benchmarkTolerance", max: ExactDecimal(10), fail)
        guard (2...12).contains(a.ratioPlaces) else { throw fail("\(at).anomaly.ratioPlaces", "\(a.ratioPlaces) is not 2–12") }
        for rule in AnomalyRule.allCases where a.severities[rule] == nil { throw fail("\(at).anomaly.severities.\(rule.rawValue)", "missing") }
        // Verifier rating.
        let r = table.rating
        for (name, weight) in [("qualityWeight", r.qualityWeight), ("complianceWeight", r.complianceWeight), ("timelinessWeight", r.timelinessWeight)] {
            try fraction(weight, "\(at).rating.\(name)", fail)
        }
        let sum = try? r.qualityWeight.adding(r.complianceWeight).adding(r.timelinessWeight)
        guard let sum, sum <= ExactDecimal(1), sum >= ExactDecimal(1) else {
            throw fail("\(at).rating", "the weights must add up to 1")
        }
        guard !r.pointsPerError.isNegative, r.pointsPerError <= ExactDecimal(100) else { throw fail("\(at).rating.pointsPerError", "0–100") }
        guard (0...6).contains(r.scorePlaces) else { throw fail("\(at).rating.scorePlaces", "0–6") }
        // Limits: counts positive; amount maxima positive and within the calculator's; decimals
        // no more than shipped (products must stay within ExactDecimal's 30 places).
        let l = table.limits
        let seed = MRVLimits.defaults
        for (name, value) in [
            ("maxIDLength", l.maxIDLength), ("maxTextLength", l.maxTextLength), ("maxFacilitiesPerEntity", l.maxFacilitiesPerEntity),
            ("maxPlanItems", l.maxPlanItems), ("maxEvidenceFilesPerMonth", l.maxEvidenceFilesPerMonth),
            ("maxFindingsPerReport", l.maxFindingsPerReport), ("maxReasons", l.maxReasons),
        ] where !(1...1_000_000).contains(value) {
            throw fail("\(at).limits.\(name)", "\(value) is not 1–1000000")
        }
        for (name, value, max) in [
            ("maxCapacityMW", l.maxCapacityMW, ExactDecimal(100_000)),
            ("maxMonthlyConsumption", l.maxMonthlyConsumption, EmissionCalculator.Limits.maxMonthlyConsumption),
            ("maxNCV", l.maxNCV, EmissionCalculator.Limits.maxNCV), ("maxCarbonPerGJ", l.maxCarbonPerGJ, EmissionCalculator.Limits.maxCarbonPerGJ),
            ("maxCarbonPerUnit", l.maxCarbonPerUnit, EmissionCalculator.Limits.maxCarbonPerUnit),
            ("maxPurchasedMWh", l.maxPurchasedMWh, EmissionCalculator.Limits.maxPurchasedMWh),
            ("maxMonthlyGenerationMWh", l.maxMonthlyGenerationMWh, seed.maxMonthlyGenerationMWh),
            ("maxMonthlyHeatGJ", l.maxMonthlyHeatGJ, seed.maxMonthlyHeatGJ), ("maxMonthlyOutputT", l.maxMonthlyOutputT, seed.maxMonthlyOutputT),
            ("maxPFCKgPerT", l.maxPFCKgPerT, seed.maxPFCKgPerT), ("maxVerifiedEmissionsT", l.maxVerifiedEmissionsT, seed.maxVerifiedEmissionsT),
        ] {
            try positive(value, "\(at).limits.\(name)", max: max, fail)
        }
        if let bytes = l.maxEvidenceBytes, !(1...MRVLimits.maxEvidenceBytesCeiling).contains(bytes) {
            throw fail("\(at).limits.maxEvidenceBytes", "\(bytes) is not 1–\(MRVLimits.maxEvidenceBytesCeiling)")
        }
        for (name, value, max) in [
            ("maxAmountPlaces", l.maxAmountPlaces, seed.maxAmountPlaces), ("maxParameterPlaces", l.maxParameterPlaces, seed.maxParameterPlaces),
            ("maxMoisturePlaces", l.maxMoisturePlaces, seed.maxMoisturePlaces),
        ] where !(0...max).contains(value) {
            throw fail("\(at).limits.\(name)", "\(value) is not 0–\(max)")
        }
    }
}
