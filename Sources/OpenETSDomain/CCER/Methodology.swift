/// Greenhouse gases the CCER mechanism covers [seed 003 §5.2].
public enum GreenhouseGas: String, Codable, Sendable, CaseIterable {
    case co2 = "CO2"
    case ch4 = "CH4"
    case n2o = "N2O"
    case hfcs = "HFCs"
    case pfcs = "PFCs"
    case sf6 = "SF6"
    case nf3 = "NF3"
}

/// How long a project may earn credits under a methodology, and whether the period renews.
public struct CreditingPeriodRule: Hashable, Codable, Sendable {
    /// Shortest crediting period in whole years; nil when the methodology sets none.
    public var minYears: Int?
    public var maxYears: Int
    public var renewable: Bool
    /// False when DOMAIN.md and the seeds do not give these values.
    public var verified: Bool
    public var source: String

    public init(minYears: Int?, maxYears: Int, renewable: Bool, verified: Bool, source: String) {
        self.minYears = minYears
        self.maxYears = maxYears
        self.renewable = renewable
        self.verified = verified
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case renewable, verified, source
        case minYears = "min_years"
        case maxYears = "max_years"
    }
}

/// A CCER project methodology (方法学) as data. MEE publishes them; a regulator adds one with
/// `CCERCommand.addMethodology`. The code reads `CCER-{sector}-{number}-V{version}`.
public struct Methodology: Hashable, Codable, Sendable {
    /// "CCER-14-001-V01".
    public var code: String
    /// Published title (Chinese) and an English rendering.
    public var name: String
    public var nameEn: String
    /// Sector name for the two-digit sector number of the code.
    public var sector: String
    public var gases: [GreenhouseGas]
    public var creditingPeriod: CreditingPeriodRule
    /// Documents attached to the methodology: its own text first, then the guidance it is used with.
    public var documents: [String]
    public var publishedOn: CivilDate
    public var source: String
    /// Fields whose values DOMAIN.md and the seeds do not give ([unverified]).
    public var unverified: [String]

    public init(
        code: String, name: String, nameEn: String, sector: String, gases: [GreenhouseGas],
        creditingPeriod: CreditingPeriodRule, documents: [String], publishedOn: CivilDate, source: String, unverified: [String]
    ) {
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.sector = sector
        self.gases = gases
        self.creditingPeriod = creditingPeriod
        self.documents = documents
        self.publishedOn = publishedOn
        self.source = source
        self.unverified = unverified
    }

    enum CodingKeys: String, CodingKey {
        case code, name, sector, gases, documents, source, unverified
        case nameEn = "name_en"
        case creditingPeriod = "crediting_period"
        case publishedOn = "published_on"
    }

    /// The parts of a well-formed code, nil otherwise.
    public static func parse(code: String) -> (sector: Int, number: Int, version: Int)? {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        func digits(_ text: Substring, _ count: Int) -> Int? {
            text.utf8.count == count && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } ? Int(text) : nil
        }
        guard parts.count == 4, parts[0] == "CCER", let sector = digits(parts[1], 2), let number = digits(parts[2], 3),
            parts[3].first == "V", let version = digits(parts[3].dropFirst(), 2), version >= 1
        else { return nil }
        return (sector, number, version)
    }

    /// The two-digit sector number of the code (14 for CCER-14-001-V01).
    public var sectorNumber: Int { Self.parse(code: code)?.sector ?? 0 }
    /// The version of the code (1 for V01).
    public var version: Int { Self.parse(code: code)?.version ?? 0 }

    // MARK: the six published methodologies

    /// Guidance every methodology is used with [seed 003 §5.2, technical norms].
    static let guidance = [
        "温室气体自愿减排项目设计与实施指南 (2023-11-16)",
        "温室气体自愿减排项目审定与减排量核查实施规则 (2023-12-25)",
    ]
    static let fields = ["sector", "gases", "crediting_period"]
    static let crediting10 = CreditingPeriodRule(
        minYears: nil, maxYears: 10, renewable: false, verified: false,
        source: "[unverified] at most 10 years, not renewable, as remembered from the methodology text")
    static let crediting20to40 = CreditingPeriodRule(
        minYears: 20, maxYears: 40, renewable: false, verified: false,
        source: "[unverified] 20 to 40 years, not renewable, as remembered from the methodology text")

    static func published(
        _ code: String, _ name: String, _ en: String, _ sector: String, _ gases: [GreenhouseGas], _ crediting: CreditingPeriodRule,
        _ date: String
    ) -> Methodology {
        Methodology(
            code: code, name: name, nameEn: en, sector: sector, gases: gases, creditingPeriod: crediting,
            documents: ["温室气体自愿减排项目方法学 \(name)（\(code)）"] + guidance, publishedOn: CivilDate(date)!,
            source: "code, title, publication date: seed 003 §5.2; sector name for the code's sector number, gases and crediting period [unverified]",
            unverified: fields)
    }

    /// The six methodologies published by MEE by June 2025 [seed 003 §5.2]: four on 2023-10-24,
    /// two on 2025-01-03.
    public static let seed: [Methodology] = [
        published("CCER-14-001-V01", "造林碳汇", "Afforestation carbon sinks", "afforestation and reforestation", [.co2], crediting20to40, "2023-10-24"),
        published("CCER-01-001-V01", "并网光热发电", "Grid-connected solar thermal power", "energy industries", [.co2], crediting10, "2023-10-24"),
        published("CCER-01-002-V01", "并网海上风力发电", "Grid-connected offshore wind power", "energy industries", [.co2], crediting10, "2023-10-24"),
        published("CCER-14-002-V01", "红树林营造", "Mangrove creation", "afforestation and reforestation", [.co2], crediting20to40, "2023-10-24"),
        published(
            "CCER-10-001-V01", "甲烷体积浓度低于8%的煤矿低浓度瓦斯和风排瓦斯利用",
            "Utilisation of coal-mine gas and ventilation air methane below 8 % methane", "fugitive emissions from fuels",
            [.ch4, .co2], crediting10, "2025-01-03"),
        published("CCER-07-001-V01", "公路隧道照明系统节能", "Energy saving in highway tunnel lighting", "transport", [.co2], crediting10, "2025-01-03"),
    ]
}
