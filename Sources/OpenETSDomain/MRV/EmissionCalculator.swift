/// Combustion and purchased-electricity emissions of facilities for one data year.
///
/// Combustion: E = Σ FC × NCV × CC × OF × 44/12 over fuels and months, where NCV × CC is the
/// carbon per unit (C_ar). Missing parameters take the year's defaults and are listed. The
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

        public init(month: Int, consumption: String, unit: String, ncvGJPerUnit: String? = nil, carbonPerGJ: String? = nil, oxidation: String? = nil) {
            self.month = month
            self.consumption = consumption
            self.unit = unit
            self.ncvGJPerUnit = ncvGJPerUnit
            self.carbonPerGJ = carbonPerGJ
            self.oxidation = oxidation
        }

        enum CodingKeys: String, CodingKey {
            case month, consumption, unit
            case ncvGJPerUnit = "ncv_gj_per_unit"
            case carbonPerGJ = "carbon_per_gj_t"
            case oxidation
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

    static func calculate(_ facility: FacilityInput, policy: MRVPolicy) throws(MRVError) -> FacilityResult {
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
            let fallback = policy.fuels[fuel]!
            var months: Set<Int> = []
            for month in fuelInput.months {
                let at = "\(facility.id) \(fuel.rawValue) month \(month.month)"
                guard (1...12).contains(month.month) else { throw MRVError(.invalidMonth, "\(at): month must be 1-12") }
                guard months.insert(month.month).inserted else { throw MRVError(.duplicateMonth, "\(at): month given twice") }
                guard month.unit == fuel.unit else {
                    throw MRVError(.wrongUnit, "\(at): \(fuel.rawValue) is reported in \(fuel.unit), not '\(month.unit)'")
                }
                let consumption = try value(month.consumption, "consumption", at, min: .zero, max: Limits.maxMonthlyConsumption, allowZero: true)
                let ncv = try parameter(month.ncvGJPerUnit, fallback.ncvGJPerUnit, "ncv_gj_per_unit", at, max: Limits.maxNCV, defaults: &defaults, tag: "\(fuel.rawValue):\(month.month):ncv_gj_per_unit")
                let carbon = try parameter(month.carbonPerGJ, fallback.carbonPerGJ, "carbon_per_gj_t", at, max: Limits.maxCarbonPerGJ, defaults: &defaults, tag: "\(fuel.rawValue):\(month.month):carbon_per_gj_t")
                let oxidation = try parameter(month.oxidation, fallback.oxidation, "oxidation", at, max: ExactDecimal(1), defaults: &defaults, tag: "\(fuel.rawValue):\(month.month):oxidation")
                do {
                    let emitted = try consumption.multiplied(by: ncv).multiplied(by: carbon).multiplied(by: oxidation)
                        .multiplied(by: ExactDecimal(mantissa: MRVPolicy.co2PerCarbonNumerator, scale: 0))
                    carbonTimes12 = try carbonTimes12.adding(emitted)
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
        do {
            // total = (Σ × 44 + 12 × electricity) / 12, exact until this one division.
            let total = try carbonTimes12.adding(
                electricity.multiplied(by: ExactDecimal(mantissa: MRVPolicy.co2PerCarbonDenominator, scale: 0)))
            return FacilityResult(
                id: facility.id,
                combustionT: try carbonTimes12.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2).description,
                electricityT: try electricity.rounded(to: 2).description,
                totalT: try total.divided(by: MRVPolicy.co2PerCarbonDenominator, roundingTo: 2).description,
                defaultsUsed: defaults)
        } catch {
            throw MRVError(.limitExceeded, "\(facility.id): the amounts are too large to compute exactly")
        }
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

    private static func parameter(
        _ given: String?, _ fallback: String, _ name: String, _ at: String, max: ExactDecimal, defaults: inout [String], tag: String
    ) throws(MRVError) -> ExactDecimal {
        guard let given else {
            defaults.append(tag)
            return ExactDecimal(fallback)!
        }
        return try value(given, name, at, min: .zero, max: max, allowZero: false)
    }
}

public enum MRVErrorCode: String, Codable, Sendable {
    case invalidValue = "INVALID_VALUE"
    case invalidMonth = "INVALID_MONTH"
    case duplicateMonth = "DUPLICATE_MONTH"
    case wrongUnit = "WRONG_UNIT"
    case unknownFuel = "UNKNOWN_FUEL"
    case noPolicyForYear = "NO_POLICY_FOR_YEAR"
    case notCovered = "NOT_COVERED"
    case limitExceeded = "LIMIT_EXCEEDED"
    case invalidInput = "INVALID_INPUT"
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
