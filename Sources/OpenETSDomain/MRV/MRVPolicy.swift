/// Fuels the calculator knows, with the unit their consumption is reported in.
public enum Fuel: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case coal
    case naturalGas = "natural_gas"
    case fuelOil = "fuel_oil"
    case diesel

    public var unit: String { self == .naturalGas ? "10^4Nm3" : "t" }
}

/// Default parameters of one fuel: used where a value is missing or not measured compliantly.
public struct FuelDefaults: Hashable, Codable, Sendable {
    /// Net calorific value, GJ per unit (t or 10^4 Nm3).
    public var ncvGJPerUnit: String
    /// Carbon content per heat, tC/GJ.
    public var carbonPerGJ: String
    /// Oxidation rate, a fraction.
    public var oxidation: String
    /// Where the numbers come from, and whether they are verified.
    public var source: String

    public init(ncvGJPerUnit: String, carbonPerGJ: String, oxidation: String, source: String) {
        self.ncvGJPerUnit = ncvGJPerUnit
        self.carbonPerGJ = carbonPerGJ
        self.oxidation = oxidation
        self.source = source
    }
}

/// The MRV accounting parameters in force for one data year (one guideline version): data,
/// not code. A regulator loads a corrected table with `openets calc emissions --policy FILE`
/// (a JSON list of these) until the tables move into the database.
public struct MRVPolicy: Hashable, Codable, Sendable {
    public var year: Int
    public var guideline: String
    public var fuels: [Fuel: FuelDefaults]
    /// Purchased electricity emission factor, tCO2/MWh; nil when purchased electricity is not
    /// covered that year (from cycle 3 on).
    public var gridFactorTPerMWh: String?
    /// 44/12: tCO2 per tC, kept as a fraction so that nothing is rounded before the end.
    public static let co2PerCarbonNumerator: Int128 = 44
    public static let co2PerCarbonDenominator: Int128 = 12

    public init(year: Int, guideline: String, fuels: [Fuel: FuelDefaults], gridFactorTPerMWh: String?) {
        self.year = year
        self.guideline = guideline
        self.fuels = fuels
        self.gridFactorTPerMWh = gridFactorTPerMWh
    }

    /// The seed tables shipped with OpenETS. Values marked [unverified] in docs/mrv.md are
    /// believed right but not confirmed against the guideline text.
    public static let seed: [MRVPolicy] = [2019, 2020, 2021, 2022, 2023, 2024].map { year in
        let coalCarbon = year >= 2022 ? "0.03085" : "0.03356"
        return MRVPolicy(
            year: year,
            guideline: year >= 2022 ? "power-2022" : "power-2019",
            fuels: [
                .coal: FuelDefaults(
                    ncvGJPerUnit: "26.7", carbonPerGJ: coalCarbon, oxidation: "0.99",
                    source: "carbon per heat: rule (\(year >= 2022 ? "2022-on" : "before 2022")); NCV and oxidation [unverified]"),
                .naturalGas: FuelDefaults(
                    ncvGJPerUnit: "389.31", carbonPerGJ: "0.01532", oxidation: "0.99", source: "[unverified]"),
                .fuelOil: FuelDefaults(ncvGJPerUnit: "41.816", carbonPerGJ: "0.0211", oxidation: "0.98", source: "[unverified]"),
                .diesel: FuelDefaults(ncvGJPerUnit: "42.652", carbonPerGJ: "0.0202", oxidation: "0.98", source: "[unverified]"),
            ],
            gridFactorTPerMWh: year == 2022 ? "0.5703" : (year <= 2021 ? "0.5810" : nil))
    }
}
