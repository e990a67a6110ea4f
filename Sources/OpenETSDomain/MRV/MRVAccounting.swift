/// Monthly data → checked values → the emission calculator's input → exact figures per month,
/// and a facility's year from its months. The combustion formula lives in `EmissionCalculator`
/// only; this file resolves what the platform records (tags, bases, moistures, PFCs) into it.
public enum MRVAccounting {
    /// One facility-month, exact. `combustionTimes12` is Σ FC × C_ar × OF × 44 (tCO2 × 12),
    /// as the calculator carries it.
    public struct MonthFigures: Hashable, Sendable {
        public var month: Int
        /// Σ FC × NCV over fuels, GJ (defaults where NCV is not given).
        public var heatInputGJ: ExactDecimal
        public var combustionTimes12: ExactDecimal
        /// CF4 and C2F6 in tCO2e (aluminium), exact.
        public var pfcT: ExactDecimal
        /// Process CO2 (cement clinker, steel fluxes and electrodes), t, exact.
        public var processT: ExactDecimal
        /// `fuel:month:parameter` (and `pfc:month:…`) for every default applied.
        public var defaultsUsed: [String]
        /// NCV and carbon-content slots filled by defaults, of all such slots (anomaly A06).
        public var defaultSlots: Int
        public var parameterSlots: Int
        public var generationMWh: ExactDecimal
        public var supplyMWh: ExactDecimal
        public var heatSuppliedGJ: ExactDecimal
        public var outputT: ExactDecimal
        public var purchasedMWh: ExactDecimal
        /// Measured or calculated carbon contents, for the plausibility rule (anomaly A05).
        public var carbonContents: [CarbonObservation]
    }

    public struct CarbonObservation: Hashable, Sendable {
        public var fuel: Fuel
        /// true: tC/GJ; false: tC per unit as received.
        public var perHeat: Bool
        public var value: ExactDecimal
    }

    /// The year's tables with the fuel defaults parsed once.
    public struct Context: Sendable {
        public let accounting: MRVPolicy
        public let platform: MRVPlatformPolicy
        let defaults: [Fuel: EmissionCalculator.ParsedDefaults]

        public init(accounting: MRVPolicy, platform: MRVPlatformPolicy) {
            self.accounting = accounting
            self.platform = platform
            var defaults: [Fuel: EmissionCalculator.ParsedDefaults] = [:]
            for (fuel, values) in accounting.fuels { defaults[fuel] = EmissionCalculator.ParsedDefaults(values) }
            self.defaults = defaults
        }
    }

    /// Checks a month's data against the facility, the limits and the year's tables, and
    /// computes its figures. The first fault is thrown.
    public static func validate(
        _ data: MonthlyData, facility: Facility, accounting: MRVPolicy, platform: MRVPlatformPolicy
    ) throws(MRVError) -> MonthFigures {
        try validate(data, facility: facility, context: Context(accounting: accounting, platform: platform))
    }

    public static func validate(_ data: MonthlyData, facility: Facility, context: Context) throws(MRVError) -> MonthFigures {
        precondition(data.facility == facility.id, "the month belongs to another facility")
        let limits = context.platform.limits
        guard (1...12).contains(data.month) else { throw MRVError(.invalidMonth, "\(data.key): month must be 1-12") }
        var figures = MonthFigures(
            month: data.month, heatInputGJ: .zero, combustionTimes12: .zero, pfcT: .zero, processT: .zero, defaultsUsed: [], defaultSlots: 0,
            parameterSlots: 0, generationMWh: .zero, supplyMWh: .zero, heatSuppliedGJ: .zero, outputT: .zero, purchasedMWh: .zero,
            carbonContents: [])
        var seen: Set<Fuel> = []
        for line in data.fuels {
            guard facility.fuels.contains(line.fuel) else {
                throw MRVError(.fuelNotRegistered, "\(data.key): \(line.fuel.rawValue) is not a registered fuel of \(facility.id)")
            }
            guard seen.insert(line.fuel).inserted else { throw MRVError(.invalidValue, "\(data.key): fuel \(line.fuel.rawValue) is listed twice") }
            try fuelMonth(line, data.key, context, &figures)
        }
        try production(data.production, facility, data, limits, &figures)
        if let purchased = data.purchasedMWh {
            try amount(purchased, "purchased_mwh", data.key.description, max: limits.maxPurchasedMWh, limits)
            figures.purchasedMWh = purchased
        }
        try pfc(data, facility, context.platform, &figures)
        try process(data, facility, context.platform, &figures)
        try checkEvidence(data.evidence, data.key.description, limits)
        return figures
    }

    /// One fuel line: unit, consumption, NCV, carbon content (with basis conversion) and
    /// oxidation, through the calculator's combustion formula.
    static func fuelMonth(_ line: FuelLine, _ key: FacilityMonth, _ context: Context, _ figures: inout MonthFigures) throws(MRVError) {
        let limits = context.platform.limits
        let at = { "\(key) \(line.fuel.rawValue)" }
        guard line.unit == line.fuel.unit else {
            throw MRVError(.wrongUnit, "\(at()): \(line.fuel.rawValue) is reported in \(line.fuel.unit), not '\(line.unit)'")
        }
        try amount(line.consumption, "consumption", at(), max: limits.maxMonthlyConsumption, limits)
        let defaults = context.defaults[line.fuel]!
        let ncv = try parameter(line.ncvGJPerUnit, defaults.ncv, "ncv_gj_per_unit", at(), max: limits.maxNCV, limits)
        let oxidation = try parameter(line.oxidation, defaults.oxidation, "oxidation", at(), max: ExactDecimal(1), limits)
        let carbon = try carbonContent(line, defaults.carbonPerGJ, at(), context.platform)
        figures.heatInputGJ = try sum(figures.heatInputGJ, product(line.consumption, ncv.value, at()), at())
        figures.parameterSlots += 1
        if carbon.defaulted { figures.defaultSlots += 1 }
        if carbon.perHeat {
            figures.parameterSlots += 1
            if ncv.given == nil { figures.defaultSlots += 1 }
        }
        if !carbon.defaulted {
            figures.carbonContents.append(CarbonObservation(fuel: line.fuel, perHeat: carbon.perHeat, value: carbon.value))
        }
        do {
            let (emitted, defaulted) = try EmissionCalculator.combustionTimes12(
                consumption: line.consumption, ncv: carbon.perHeat ? ncv.given : nil, carbonPerGJ: carbon.perHeat && !carbon.defaulted ? carbon.value : nil,
                carbonPerUnit: carbon.perHeat ? nil : carbon.value, oxidation: oxidation.given, defaults: defaults)
            figures.combustionTimes12 = try figures.combustionTimes12.adding(emitted)
            if !defaulted.isEmpty { figures.defaultsUsed += EmissionCalculator.tags(line.fuel, key.month, defaulted) }
        } catch {
            throw tooLarge(at())
        }
    }

    struct ResolvedCarbon {
        var value: ExactDecimal
        var perHeat: Bool
        var defaulted: Bool
    }

    /// Carbon per heat as given, or per unit as received (converted from the dry or air-dried
    /// basis with the moistures). Defaults exist per heat only.
    static func carbonContent(
        _ line: FuelLine, _ fallback: ExactDecimal, _ at: @autoclosure () -> String, _ platform: MRVPlatformPolicy
    ) throws(MRVError) -> ResolvedCarbon {
        let limits = platform.limits
        guard let carbon = line.carbon, carbon.value.source != .defaultValue else {
            if let carbon = line.carbon {
                guard carbon.basis == .perHeat else {
                    throw MRVError(.defaultMismatch, "\(at()): default carbon contents are per heat (tC/GJ), not \(carbon.basis.rawValue)")
                }
                _ = try parameter(carbon.value, fallback, "carbon_per_gj_t", at(), max: limits.maxCarbonPerGJ, limits)
            }
            return ResolvedCarbon(value: fallback, perHeat: true, defaulted: true)
        }
        if carbon.basis == .perHeat {
            let value = try parameter(carbon.value, fallback, "carbon_per_gj_t", at(), max: limits.maxCarbonPerGJ, limits).value
            return ResolvedCarbon(value: value, perHeat: true, defaulted: false)
        }
        let perMassMax = line.fuel.unit == "t" ? ExactDecimal(1) : limits.maxCarbonPerUnit
        let given = try parameter(carbon.value, fallback, "carbon_per_unit_t", at(), max: perMassMax, limits).value
        guard carbon.basis != .perMassAsReceived else { return ResolvedCarbon(value: given, perHeat: false, defaulted: false) }
        guard line.fuel.unit == "t" else {
            throw MRVError(.invalidValue, "\(at()): the \(carbon.basis.rawValue) basis applies to fuels measured in t")
        }
        let received = try moisture(carbon.moistureAsReceivedPercent, "moisture_ar_percent", at(), limits)
        let hundred = ExactDecimal(100)
        // C_ar = C × (100 − Mar) / 100 (dry) or / (100 − Mad) (air-dried).
        let numerator = try product(given, difference(hundred, received), at())
        if carbon.basis == .perMassDry {
            return ResolvedCarbon(value: try shifted(numerator, places: 2, at()), perHeat: false, defaulted: false)
        }
        let airDried = try moisture(carbon.moistureAirDriedPercent, "moisture_ad_percent", at(), limits)
        let value = try quotient(numerator, difference(hundred, airDried), places: platform.convertedCarbonPlaces, at())
        return ResolvedCarbon(value: value, perHeat: false, defaulted: false)
    }

    static func moisture(_ value: ExactDecimal?, _ name: String, _ at: @autoclosure () -> String, _ limits: MRVLimits) throws(MRVError)
        -> ExactDecimal
    {
        guard let value else { throw MRVError(.invalidValue, "\(at()): \(name) is needed for this carbon basis") }
        guard !value.isNegative, value < ExactDecimal(100), places(value) <= limits.maxMoisturePlaces else {
            throw MRVError(.invalidValue, "\(at()): \(name) \(value) must be 0 ≤ M < 100 with at most \(limits.maxMoisturePlaces) decimals")
        }
        return value
    }

    static func production(
        _ p: Production, _ facility: Facility, _ data: MonthlyData, _ limits: MRVLimits, _ figures: inout MonthFigures
    ) throws(MRVError) {
        let at = { data.key.description }
        if facility.kind == .power {
            guard let generation = p.generationMWh else { throw MRVError(.invalidValue, "\(at()): power units report generation_mwh") }
            try amount(generation, "generation_mwh", at(), max: limits.maxMonthlyGenerationMWh, limits)
            figures.generationMWh = generation
        } else {
            guard let output = p.outputT else { throw MRVError(.invalidValue, "\(at()): \(facility.kind.rawValue) facilities report output_t") }
            try amount(output, "output_t", at(), max: limits.maxMonthlyOutputT, limits)
            figures.outputT = output
        }
        if let supply = p.supplyMWh {
            try amount(supply, "supply_mwh", at(), max: limits.maxMonthlyGenerationMWh, limits)
            guard supply <= (p.generationMWh ?? .zero) else {
                throw MRVError(.invalidValue, "\(at()): supply_mwh \(supply) exceeds generation_mwh \(p.generationMWh ?? .zero)")
            }
            figures.supplyMWh = supply
        }
        if let heat = p.heatSuppliedGJ {
            try amount(heat, "heat_supplied_gj", at(), max: limits.maxMonthlyHeatGJ, limits)
            figures.heatSuppliedGJ = heat
        }
        if let loadFactor = p.loadFactor { try amount(loadFactor, "load_factor", at(), max: ExactDecimal(1), limits) }
        if let hours = p.operatingHours {
            let inMonth = Int64(CivilDate.daysIn(month: data.month, year: data.year) * 24)
            try amount(hours, "operating_hours", at(), max: ExactDecimal(inMonth), limits)
        }
    }

    static func pfc(_ data: MonthlyData, _ facility: Facility, _ platform: MRVPlatformPolicy, _ figures: inout MonthFigures)
        throws(MRVError)
    {
        let at = { data.key.description }
        guard facility.kind == .aluminium else {
            guard data.pfc == nil else { throw MRVError(.invalidValue, "\(at()): only aluminium smelters report CF4 and C2F6") }
            return
        }
        let parameters = platform.pfc
        let limits = platform.limits
        let cf4 = try parameter(data.pfc?.cf4KgPerT, parameters.cf4DefaultKgPerT, "cf4_kg_per_t", at(), max: limits.maxPFCKgPerT, limits)
        let c2f6 = try parameter(data.pfc?.c2f6KgPerT, parameters.c2f6DefaultKgPerT, "c2f6_kg_per_t", at(), max: limits.maxPFCKgPerT, limits)
        if cf4.given == nil { figures.defaultsUsed.append("pfc:\(data.month):cf4_kg_per_t") }
        if c2f6.given == nil { figures.defaultsUsed.append("pfc:\(data.month):c2f6_kg_per_t") }
        // tCO2e = output t × (CF4 kg/t × GWP + C2F6 kg/t × GWP) / 1000.
        let perTonneKg = try sum(product(cf4.value, parameters.gwpCF4, at()), product(c2f6.value, parameters.gwpC2F6, at()), at())
        figures.pfcT = try shifted(product(figures.outputT, perTonneKg, at()), places: 3, at())
    }

    /// Process CO2. Cement clinker lines: clinker output t × clinker factor (tCO2/t; measured,
    /// calculated or the year's default). Steel works: Σ material t × the material's factor.
    /// Exact; other kinds report no process data.
    static func process(_ data: MonthlyData, _ facility: Facility, _ platform: MRVPlatformPolicy, _ figures: inout MonthFigures)
        throws(MRVError)
    {
        let at = { data.key.description }
        let parameters = platform.process
        let limits = platform.limits
        switch facility.kind {
        case .cementClinker:
            guard data.process?.inputs.isEmpty ?? true else {
                throw MRVError(.invalidValue, "\(at()): process inputs (fluxes, electrodes) are reported by steel works")
            }
            let factor = try parameter(
                data.process?.clinkerFactor, parameters.clinkerFactorDefault, "clinker_factor", at(), max: parameters.maxClinkerFactor, limits)
            if factor.given == nil { figures.defaultsUsed.append("process:\(data.month):clinker_factor") }
            figures.processT = try product(figures.outputT, factor.value, at())
        case .steel:
            guard let process = data.process else { return }
            guard process.clinkerFactor == nil else { throw MRVError(.invalidValue, "\(at()): only clinker lines report a clinker factor") }
            var seen: Set<ProcessMaterial> = []
            var total = ExactDecimal.zero
            for input in process.inputs {
                guard seen.insert(input.material).inserted else {
                    throw MRVError(.invalidValue, "\(at()): process material \(input.material.rawValue) is listed twice")
                }
                try amount(input.quantityT, "\(input.material.rawValue)_t", at(), max: limits.maxMonthlyOutputT, limits)
                guard let factor = parameters.materialFactors[input.material] else {
                    throw MRVError(.noPolicyForYear, "no \(input.material.rawValue) factor in the \(platform.year) table")
                }
                total = try sum(total, product(input.quantityT, factor, at()), at())
            }
            figures.processT = total
        case .power, .aluminium:
            guard data.process == nil else { throw MRVError(.invalidValue, "\(at()): only clinker lines and steel works report process data") }
        }
    }

    static func checkEvidence(_ files: [EvidenceFile], _ at: @autoclosure () -> String, _ limits: MRVLimits) throws(MRVError) {
        guard files.count <= limits.maxEvidenceFilesPerMonth else {
            throw MRVError(.limitExceeded, "\(at()): at most \(limits.maxEvidenceFilesPerMonth) evidence files a month")
        }
        for (index, file) in files.enumerated() {
            guard !file.name.isEmpty, file.name.unicodeScalars.count <= limits.maxTextLength else {
                throw MRVError(.invalidEvidence, "\(at()): evidence file names are 1-\(limits.maxTextLength) characters")
            }
            guard file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                throw MRVError(.invalidEvidence, "\(at()): \(file.name): sha256 must be 64 lower-case hex digits")
            }
            guard !files[..<index].contains(where: { $0.sha256 == file.sha256 }) else {
                throw MRVError(.invalidEvidence, "\(at()): \(file.name): the same file (sha256) is listed twice")
            }
        }
    }

    // MARK: a facility's year

    /// A facility's year from its months (current versions): emissions per amount, each rounded
    /// half up to 2 decimals from its exact value, and output totals. Purchased electricity
    /// counts only in years with a grid factor.
    public static func summary(
        _ facility: Facility, months: [MonthlyData], corrections: Int, accounting: MRVPolicy, platform: MRVPlatformPolicy
    ) throws(MRVError) -> FacilityYearSummary {
        let context = Context(accounting: accounting, platform: platform)
        var figures: [MonthFigures] = []
        for data in months.sorted(by: { $0.month < $1.month }) {
            figures.append(try validate(data, facility: facility, context: context))
        }
        return try summary(facility.id, figures: figures, corrections: corrections, accounting: accounting)
    }

    public static func summary(
        _ facility: FacilityID, figures: [MonthFigures], corrections: Int, accounting: MRVPolicy
    ) throws(MRVError) -> FacilityYearSummary {
        let at = facility.rawValue
        var combustion: ExactDecimal = .zero, pfc: ExactDecimal = .zero, process: ExactDecimal = .zero, purchased: ExactDecimal = .zero
        var generation: ExactDecimal = .zero, supply: ExactDecimal = .zero, heat: ExactDecimal = .zero, output: ExactDecimal = .zero
        var defaults: [String] = []
        for month in figures {
            combustion = try sum(combustion, month.combustionTimes12, at)
            pfc = try sum(pfc, month.pfcT, at)
            process = try sum(process, month.processT, at)
            purchased = try sum(purchased, month.purchasedMWh, at)
            generation = try sum(generation, month.generationMWh, at)
            supply = try sum(supply, month.supplyMWh, at)
            heat = try sum(heat, month.heatSuppliedGJ, at)
            output = try sum(output, month.outputT, at)
            defaults += month.defaultsUsed
        }
        // Purchased electricity through the calculator (grid factor of the year; none when not covered).
        let electricity =
            accounting.gridFactorTPerMWh == nil
            ? ExactDecimal.zero
            : try EmissionCalculator.exact(
                EmissionCalculator.FacilityInput(id: at, fuels: [], purchasedMWh: purchased.description), policy: accounting
            ).electricity
        let twelve = ExactDecimal(mantissa: MRVPolicy.co2PerCarbonDenominator, scale: 0)
        let total = try sum(combustion, product(sum(sum(electricity, pfc, at), process, at), twelve, at), at)
        do {
            return FacilityYearSummary(
                facility: facility, combustionT: try combustion.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2),
                electricityT: try electricity.rounded(to: 2), pfcT: try pfc.rounded(to: 2),
                totalT: try total.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2), defaultsUsed: defaults,
                generationMWh: generation, supplyMWh: supply, heatSuppliedGJ: heat, outputT: output, corrections: corrections,
                processT: try process.rounded(to: 2))
        } catch {
            throw MRVError(.limitExceeded, "\(at): the amounts are too large to compute exactly")
        }
    }

    // MARK: checked arithmetic and field checks

    /// Decimals after dropping trailing zeros.
    static func places(_ value: ExactDecimal) -> Int {
        var mantissa = value.mantissa, scale = value.scale
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10
            scale -= 1
        }
        return scale
    }

    static func amount(_ value: ExactDecimal, _ name: String, _ at: @autoclosure () -> String, max: ExactDecimal, _ limits: MRVLimits) throws(MRVError) {
        guard !value.isNegative else { throw MRVError(.invalidValue, "\(at()): \(name) \(value) is negative") }
        guard places(value) <= limits.maxAmountPlaces else {
            throw MRVError(.invalidValue, "\(at()): \(name) \(value) has more than \(limits.maxAmountPlaces) decimals")
        }
        guard value <= max else { throw MRVError(.invalidValue, "\(at()): \(name) \(value) is beyond the plausible maximum \(max)") }
    }

    /// A tagged parameter: the value to use, and the given one (nil when the default applies).
    static func parameter(
        _ tagged: TaggedValue?, _ fallback: ExactDecimal, _ name: String, _ at: @autoclosure () -> String, max: ExactDecimal, _ limits: MRVLimits
    ) throws(MRVError) -> (value: ExactDecimal, given: ExactDecimal?) {
        guard let tagged else { return (fallback, nil) }
        guard tagged.source != .defaultValue else {
            if let value = tagged.value, value != fallback {
                throw MRVError(.defaultMismatch, "\(at()): \(name) tagged default is \(value), but the default is \(fallback)")
            }
            return (fallback, nil)
        }
        guard let value = tagged.value else { throw MRVError(.invalidValue, "\(at()): \(name) \(tagged.source.rawValue) needs a value") }
        guard !value.isNegative, value != .zero else { throw MRVError(.invalidValue, "\(at()): \(name) must be positive") }
        guard places(value) <= limits.maxParameterPlaces else {
            throw MRVError(.invalidValue, "\(at()): \(name) \(value) has more than \(limits.maxParameterPlaces) decimals")
        }
        guard value <= max else { throw MRVError(.invalidValue, "\(at()): \(name) \(value) is beyond the plausible maximum \(max)") }
        return (value, value)
    }

    static func sum(_ a: ExactDecimal, _ b: ExactDecimal, _ at: @autoclosure () -> String) throws(MRVError) -> ExactDecimal {
        do { return try a.adding(b) } catch { throw tooLarge(at()) }
    }

    static func difference(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        try! a.adding(ExactDecimal(mantissa: -b.mantissa, scale: b.scale))  // bounded percentages only
    }

    static func product(_ a: ExactDecimal, _ b: ExactDecimal, _ at: @autoclosure () -> String) throws(MRVError) -> ExactDecimal {
        do { return try a.multiplied(by: b) } catch { throw tooLarge(at()) }
    }

    /// `value / 10^places`, exact.
    static func shifted(_ value: ExactDecimal, places: Int, _ at: @autoclosure () -> String) throws(MRVError) -> ExactDecimal {
        guard value.scale + places <= ExactDecimal.maxScale else { throw tooLarge(at()) }
        return ExactDecimal(mantissa: value.mantissa, scale: value.scale + places)
    }

    /// `a / b` rounded half up to `places` decimals; `b` positive.
    static func quotient(_ a: ExactDecimal, _ b: ExactDecimal, places: Int, _ at: @autoclosure () -> String) throws(MRVError) -> ExactDecimal {
        precondition(b.mantissa > 0)
        // a / (m / 10^s) = (a × 10^s) / m
        do {
            let scaled = try a.multiplied(by: ExactDecimal(mantissa: ExactDecimal.power(b.scale), scale: 0))
            return try scaled.divided(by: b.mantissa, roundingTo: places)
        } catch {
            throw tooLarge(at())
        }
    }

    static func tooLarge(_ at: String) -> MRVError { MRVError(.limitExceeded, "\(at): the amounts are too large to compute exactly") }
}
