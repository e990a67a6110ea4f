/// Combustion and purchased-electricity emissions of facilities for one data year.
///
/// Combustion: E = Σ FC × NCV × CC × OF × 44/12 over fuels and months, where NCV × CC is the
/// carbon per unit (C_ar); a month may give C_ar directly (`carbon_per_unit_t`, tC per t or per
/// 10^4 Nm3, as received) instead. Missing parameters take the year's defaults and are listed. The
/// sum is exact; the only rounding is half up to 2 decimals, once per reported amount:
/// combustion, electricity and total are each rounded from their exact values.
public enum EmissionCalculator {
    public struct MonthInput: Hashable, Codable, Sendable {
        public var month: Int
        public var consumption: String
        public var unit: String
        public var ncvGJPerUnit: String?
        public var carbonPerGJ: String?
        public var oxidation: String?
        /// Carbon per unit of fuel as received (C_ar), tC/t or tC/10^4 Nm3: replaces NCV × CC
        /// (optional key `carbon_per_unit_t`; give it or `carbon_per_gj_t`, not both).
        public var carbonPerUnit: String?

        public init(
            month: Int, consumption: String, unit: String, ncvGJPerUnit: String? = nil, carbonPerGJ: String? = nil, oxidation: String? = nil,
            carbonPerUnit: String? = nil
        ) {
            self.month = month
            self.consumption = consumption
            self.unit = unit
            self.ncvGJPerUnit = ncvGJPerUnit
            self.carbonPerGJ = carbonPerGJ
            self.oxidation = oxidation
            self.carbonPerUnit = carbonPerUnit
        }

        enum CodingKeys: String, CodingKey {
            case month, consumption, unit
            case ncvGJPerUnit = "ncv_gj_per_unit"
            case carbonPerGJ = "carbon_per_gj_t"
            case oxidation
            case carbonPerUnit = "carbon_per_unit_t"
        }
    }

    public struct FuelInput: Hashable, Codable, Sendable {
        public var fuel: String
        public var months: [MonthInput]

        public init(fuel: String, months: [MonthInput]) {
            self.fuel = fuel
            self.months = months
        }
    }

    public struct FacilityInput: Hashable, Codable, Sendable {
        public var id: String
        public var fuels: [FuelInput]
        public var purchasedMWh: String?

        public init(id: String, fuels: [FuelInput], purchasedMWh: String? = nil) {
            self.id = id
            self.fuels = fuels
            self.purchasedMWh = purchasedMWh
        }

        enum CodingKeys: String, CodingKey {
            case id, fuels
            case purchasedMWh = "purchased_mwh"
        }
    }

    public struct Input: Hashable, Codable, Sendable {
        public var year: Int
        public var facilities: [FacilityInput]

        public init(year: Int, facilities: [FacilityInput]) {
            self.year = year
            self.facilities = facilities
        }
    }

    public struct FacilityResult: Hashable, Codable, Sendable {
        public var id: String
        public var combustionT: String
        public var electricityT: String
        public var totalT: String
        /// `fuel:month:parameter` for every default applied.
        public var defaultsUsed: [String]

        enum CodingKeys: String, CodingKey {
            case id
            case combustionT = "combustion_t"
            case electricityT = "electricity_t"
            case totalT = "total_t"
            case defaultsUsed = "defaults_used"
        }
    }

    public struct Output: Hashable, Codable, Sendable {
        public var facilities: [FacilityResult]
    }

    public struct Limits: Sendable {
        public static let maxFacilities = 100_000
        public static let maxMonthlyConsumption = ExactDecimal(1_000_000_000)
        public static let maxNCV = ExactDecimal(1_000)
        public static let maxCarbonPerGJ = ExactDecimal(mantissa: 1, scale: 1)
        /// tC per t (or per 10^4 Nm3) of fuel as received.
        public static let maxCarbonPerUnit = ExactDecimal(10)
        public static let maxPurchasedMWh = ExactDecimal(1_000_000_000)
    }

    public static func calculate(_ input: Input, policies: [MRVPolicy]) throws(MRVError) -> Output {
        guard let policy = policies.first(where: { $0.year == input.year }) else {
            throw MRVError(.noPolicyForYear, "no MRV policy table for data year \(input.year)")
        }
        guard input.facilities.count <= Limits.maxFacilities else {
            throw MRVError(.limitExceeded, "at most \(Limits.maxFacilities) facilities per request")
        }
        var seen: Set<String> = []
        var results: [FacilityResult] = []
        for facility in input.facilities {
            guard !facility.id.isEmpty, seen.insert(facility.id).inserted else {
                throw MRVError(.invalidValue, "facility id '\(facility.id)' is empty or repeated")
            }
            results.append(try calculate(facility, policy: policy))
        }
        return Output(facilities: results)
    }

    /// A facility's amounts before rounding: Σ FC × C_ar × OF × 44 (combustion × 12) and
    /// purchased MWh × grid factor, with the defaults applied.
    struct ExactAmounts {
        var combustionTimes12: ExactDecimal
        var electricity: ExactDecimal
        var defaultsUsed: [String]
    }

    static func calculate(_ facility: FacilityInput, policy: MRVPolicy) throws(MRVError) -> FacilityResult {
        let amounts = try exact(facility, policy: policy)
        do {
            // total = (Σ × 44 + 12 × electricity) / 12, exact until this one division.
            let total = try amounts.combustionTimes12.adding(
                amounts.electricity.multiplied(by: ExactDecimal(mantissa: MRVPolicy.co2PerCarbonDenominator, scale: 0)))
            return FacilityResult(
                id: facility.id,
                combustionT: try amounts.combustionTimes12.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2).description,
                electricityT: try amounts.electricity.rounded(to: 2).description,
                totalT: try total.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2).description,
                defaultsUsed: amounts.defaultsUsed)
        } catch {
            throw MRVError(.limitExceeded, "\(facility.id): the amounts are too large to compute exactly")
        }
    }

    static func exact(_ facility: FacilityInput, policy: MRVPolicy) throws(MRVError) -> ExactAmounts {
        var carbonTimes12: ExactDecimal = .zero  // Σ FC × NCV × CC × OF × 44, divided by 12 at the end
        var defaults: [String] = []
        var fuelsSeen: Set<Fuel> = []
        for fuelInput in facility.fuels {
            guard let fuel = Fuel(rawValue: fuelInput.fuel) else {
                throw MRVError(.unknownFuel, "\(facility.id): unknown fuel '\(fuelInput.fuel)' (coal, natural_gas, fuel_oil, diesel)")
            }
            guard fuelsSeen.insert(fuel).inserted else {
                throw MRVError(.invalidValue, "\(facility.id): fuel \(fuel.rawValue) is listed twice")
            }
            let fallback = ParsedDefaults(policy.fuels[fuel]!)
            var months: Set<Int> = []
            for month in fuelInput.months {
                let at = "\(facility.id) \(fuel.rawValue) month \(month.month)"
                guard (1...12).contains(month.month) else { throw MRVError(.invalidMonth, "\(at): month must be 1-12") }
                guard months.insert(month.month).inserted else { throw MRVError(.duplicateMonth, "\(at): month given twice") }
                guard month.unit == fuel.unit else {
                    throw MRVError(.wrongUnit, "\(at): \(fuel.rawValue) is reported in \(fuel.unit), not '\(month.unit)'")
                }
                let consumption = try value(month.consumption, "consumption", at, min: .zero, max: Limits.maxMonthlyConsumption, allowZero: true)
                var ncv: ExactDecimal?, carbonPerGJ: ExactDecimal?, carbonPerUnit: ExactDecimal?, oxidation: ExactDecimal?
                if let given = month.carbonPerUnit {
                    guard month.carbonPerGJ == nil else {
                        throw MRVError(.invalidValue, "\(at): give carbon_per_unit_t or carbon_per_gj_t, not both")
                    }
                    carbonPerUnit = try value(given, "carbon_per_unit_t", at, min: .zero, max: Limits.maxCarbonPerUnit, allowZero: false)
                } else {
                    if let given = month.ncvGJPerUnit {
                        ncv = try value(given, "ncv_gj_per_unit", at, min: .zero, max: Limits.maxNCV, allowZero: false)
                    }
                    if let given = month.carbonPerGJ {
                        carbonPerGJ = try value(given, "carbon_per_gj_t", at, min: .zero, max: Limits.maxCarbonPerGJ, allowZero: false)
                    }
                }
                if let given = month.oxidation {
                    oxidation = try value(given, "oxidation", at, min: .zero, max: ExactDecimal(1), allowZero: false)
                }
                do {
                    let (emitted, defaulted) = try combustionTimes12(
                        consumption: consumption, ncv: ncv, carbonPerGJ: carbonPerGJ, carbonPerUnit: carbonPerUnit, oxidation: oxidation,
                        defaults: fallback)
                    carbonTimes12 = try carbonTimes12.adding(emitted)
                    defaults += tags(fuel, month.month, defaulted)
                } catch {
                    throw MRVError(.limitExceeded, "\(at): the amounts are too large to compute exactly")
                }
            }
        }
        var electricity: ExactDecimal = .zero
        if let mwh = facility.purchasedMWh {
            let amount = try value(mwh, "purchased_mwh", facility.id, min: .zero, max: Limits.maxPurchasedMWh, allowZero: true)
            if let factor = policy.gridFactorTPerMWh {
                electricity = try! amount.multiplied(by: ExactDecimal(factor)!)
            } else if amount != .zero {
                throw MRVError(.notCovered, "\(facility.id): purchased electricity is not covered for data year \(policy.year)")
            }
        }
        return ExactAmounts(combustionTimes12: carbonTimes12, electricity: electricity, defaultsUsed: defaults)
    }

    /// A fuel's default parameters as numbers.
    struct ParsedDefaults: Sendable {
        var ncv: ExactDecimal
        var carbonPerGJ: ExactDecimal
        var oxidation: ExactDecimal

        init(_ defaults: FuelDefaults) {
            ncv = ExactDecimal(defaults.ncvGJPerUnit)!
            carbonPerGJ = ExactDecimal(defaults.carbonPerGJ)!
            oxidation = ExactDecimal(defaults.oxidation)!
        }
    }

    /// The parameters of a fuel-month that took the year's default.
    struct Defaulted: OptionSet, Sendable {
        let rawValue: UInt8
        static let ncv = Defaulted(rawValue: 1)
        static let carbon = Defaulted(rawValue: 2)
        static let oxidation = Defaulted(rawValue: 4)
    }

    /// The combustion formula, the only copy: FC × C_ar × OF × 44 (tCO2 × 12, divided by 12 once
    /// at the end), with C_ar = NCV × CC unless the carbon per unit is given; each nil parameter
    /// takes the default. The caller has checked the values.
    static func combustionTimes12(
        consumption: ExactDecimal, ncv: ExactDecimal?, carbonPerGJ: ExactDecimal?, carbonPerUnit: ExactDecimal?, oxidation: ExactDecimal?,
        defaults: ParsedDefaults
    ) throws(DecimalOverflow) -> (ExactDecimal, Defaulted) {
        var defaulted: Defaulted = []
        let carbon: ExactDecimal
        if let carbonPerUnit {
            carbon = carbonPerUnit
        } else {
            if ncv == nil { defaulted.insert(.ncv) }
            if carbonPerGJ == nil { defaulted.insert(.carbon) }
            carbon = try (ncv ?? defaults.ncv).multiplied(by: carbonPerGJ ?? defaults.carbonPerGJ)
        }
        if oxidation == nil { defaulted.insert(.oxidation) }
        let emitted = try consumption.multiplied(by: carbon).multiplied(by: oxidation ?? defaults.oxidation)
            .multiplied(by: ExactDecimal(mantissa: MRVPolicy.co2PerCarbonNumerator, scale: 0))
        return (emitted, defaulted)
    }

    /// `fuel:month:parameter` for each default applied, in the order NCV, carbon, oxidation.
    static func tags(_ fuel: Fuel, _ month: Int, _ defaulted: Defaulted) -> [String] {
        var tags: [String] = []
        if defaulted.contains(.ncv) { tags.append("\(fuel.rawValue):\(month):ncv_gj_per_unit") }
        if defaulted.contains(.carbon) { tags.append("\(fuel.rawValue):\(month):carbon_per_gj_t") }
        if defaulted.contains(.oxidation) { tags.append("\(fuel.rawValue):\(month):oxidation") }
        return tags
    }

    private static func value(
        _ text: String, _ name: String, _ at: String, min: ExactDecimal, max: ExactDecimal, allowZero: Bool
    ) throws(MRVError) -> ExactDecimal {
        guard let value = ExactDecimal(text) else {
            throw MRVError(.invalidValue, "\(at): \(name) '\(text)' is not a decimal number (at most 12 decimals, as a string)")
        }
        guard !value.isNegative, allowZero || value != .zero else { throw MRVError(.invalidValue, "\(at): \(name) must be positive") }
        guard value <= max else { throw MRVError(.invalidValue, "\(at): \(name) \(text) is beyond the plausible maximum \(max)") }
        return value
    }
}

/// Stable error codes of the MRV calculator and platform: clients and tests match on `code`.
/// docs/mrv.md lists when each is raised.
public enum MRVErrorCode: String, Codable, Sendable, CaseIterable {
    // The calculator's codes (and the platform's for the same faults).
    case invalidValue = "INVALID_VALUE"
    case invalidMonth = "INVALID_MONTH"
    case duplicateMonth = "DUPLICATE_MONTH"
    case wrongUnit = "WRONG_UNIT"
    case unknownFuel = "UNKNOWN_FUEL"
    case noPolicyForYear = "NO_POLICY_FOR_YEAR"
    case notCovered = "NOT_COVERED"
    case limitExceeded = "LIMIT_EXCEEDED"
    case invalidInput = "INVALID_INPUT"
    // Registration.
    case invalidUSCC = "INVALID_USCC"
    case duplicateEntity = "DUPLICATE_ENTITY"
    case unknownEntity = "UNKNOWN_ENTITY"
    case duplicateFacility = "DUPLICATE_FACILITY"
    case unknownFacility = "UNKNOWN_FACILITY"
    case duplicateVerifier = "DUPLICATE_VERIFIER"
    case unknownVerifier = "UNKNOWN_VERIFIER"
    // Control plans.
    case planUnderReview = "PLAN_UNDER_REVIEW"
    case unknownPlan = "UNKNOWN_PLAN"
    // Monthly data.
    case fuelNotRegistered = "FUEL_NOT_REGISTERED"
    case defaultMismatch = "DEFAULT_MISMATCH"
    case invalidEvidence = "INVALID_EVIDENCE"
    case monthNotEnded = "MONTH_NOT_ENDED"
    case monthAlreadySubmitted = "MONTH_ALREADY_SUBMITTED"
    case monthNotSubmitted = "MONTH_NOT_SUBMITTED"
    // Annual reports, verification and review.
    case yearNotEnded = "YEAR_NOT_ENDED"
    case noFacilities = "NO_FACILITIES"
    case monthsMissing = "MONTHS_MISSING"
    case reportAlreadySubmitted = "REPORT_ALREADY_SUBMITTED"
    case unknownReport = "UNKNOWN_REPORT"
    case reportLocked = "REPORT_LOCKED"
    case invalidTransition = "INVALID_TRANSITION"
    case verifierConflict = "VERIFIER_CONFLICT"
    case notAssignedVerifier = "NOT_ASSIGNED_VERIFIER"
    case unknownFinding = "UNKNOWN_FINDING"
    case findingResolved = "FINDING_RESOLVED"
    case openFindings = "OPEN_FINDINGS"
    case reviewOutOfOrder = "REVIEW_OUT_OF_ORDER"
    case reasonRequired = "REASON_REQUIRED"
    // CSV import.
    case csvMalformed = "CSV_MALFORMED"
    case unknownColumn = "UNKNOWN_COLUMN"
    case missingColumn = "MISSING_COLUMN"
    // The application: an idempotency key sent again with a different request.
    case idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
    // Policy tables: a published version that is not a consistent set of tables.
    case invalidPolicy = "INVALID_POLICY"
    // Who may send which command (`MRVPermissions`).
    case notPermitted = "MRV_NOT_PERMITTED"
    // Evidence files' bytes (the application's blob store).
    /// The SHA-256 the caller claimed is not the hash of the bytes it sent.
    case evidenceHashMismatch = "EVIDENCE_HASH_MISMATCH"
    /// A deposit names a file whose bytes were neither sent nor stored before.
    case evidenceMissing = "EVIDENCE_MISSING"
    /// No stored file has this SHA-256.
    case unknownEvidence = "UNKNOWN_EVIDENCE"
    /// A stored file's bytes no longer hash to its key.
    case evidenceTampered = "EVIDENCE_TAMPERED"
}

public struct MRVError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: MRVErrorCode
    public var message: String

    public init(_ code: MRVErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
