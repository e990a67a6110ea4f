/// What a credit may be used for.
public enum CreditUse: String, Codable, Sendable, CaseIterable {
    /// Offsetting surrender in the national ETS (up to 5 % of the obligation).
    case nationalETSOffset = "national_ets_offset"
    /// Offsetting in a local (pilot) ETS.
    case pilotETSOffset = "pilot_ets_offset"
    /// Voluntary cancellation for the carbon neutrality of an event, product or organisation.
    case voluntaryNeutrality = "voluntary_neutrality"
    /// ICAO's CORSIA.
    case corsia
}

/// One accepted use of a credit type, where it applies and how sure we are of it.
public struct CreditUseRule: Hashable, Codable, Sendable {
    public var use: CreditUse
    /// Province codes of the markets that accept it; nil: wherever the use exists.
    public var jurisdictions: [String]?
    /// False when DOMAIN.md and the seeds do not state the use.
    public var verified: Bool
    public var source: String

    public init(use: CreditUse, jurisdictions: [String]?, verified: Bool, source: String) {
        self.use = use
        self.jurisdictions = jurisdictions
        self.verified = verified
        self.source = source
    }
}

/// A credit type as data: CCER and the local credits (CDCER, PHCER, FFCER), with the issuer
/// code used in registry serials and the uses each is accepted for. A jurisdiction adds one by
/// publishing data, not code; the registry unit types of a credit come from `defineUnitType`.
public struct CreditType: Hashable, Codable, Sendable {
    /// Product label in serials and on screens: "CCER", "CDCER".
    public var label: String
    public var kind: UnitKind
    public var name: String
    public var nameEn: String
    /// Registry issuer code in serials: "CN" national, "CD" Chengdu, …
    public var issuer: String
    public var issuingBody: String
    /// Where the scheme runs: a province code, or CN.
    public var jurisdiction: String
    public var uses: [CreditUseRule]
    public var source: String
    /// Fields whose values DOMAIN.md and the seeds do not give ([unverified]).
    public var unverified: [String]

    public init(
        label: String, kind: UnitKind, name: String, nameEn: String, issuer: String, issuingBody: String, jurisdiction: String,
        uses: [CreditUseRule], source: String, unverified: [String]
    ) {
        self.label = label
        self.kind = kind
        self.name = name
        self.nameEn = nameEn
        self.issuer = issuer
        self.issuingBody = issuingBody
        self.jurisdiction = jurisdiction
        self.uses = uses
        self.source = source
        self.unverified = unverified
    }

    enum CodingKeys: String, CodingKey {
        case label, kind, name, issuer, jurisdiction, uses, source, unverified
        case nameEn = "name_en"
        case issuingBody = "issuing_body"
    }

    /// Whether the type is accepted for `use`, in the market of `jurisdiction` (a province code)
    /// when the use is local. Unverified rules count: they are data a regulator corrects.
    public func accepts(_ use: CreditUse, in jurisdiction: String? = nil) -> Bool {
        uses.contains { rule in
            guard rule.use == use else { return false }
            guard let allowed = rule.jurisdictions else { return true }
            return jurisdiction.map(allowed.contains) ?? false
        }
    }

    /// The registry command defining a serialised unit type of this credit for one project and vintage.
    public func defineUnitType(code: UnitTypeCode, projectID: String, vintageFrom: Int, vintageTo: Int) -> RegistryCommand {
        .defineUnitType(
            code: code, kind: kind, label: label, vintageFrom: vintageFrom, vintageTo: vintageTo, projectID: projectID,
            issuer: issuer, serialized: true)
    }

    public static let ccer = CreditType(
        label: "CCER", kind: .ccer, name: "国家核证自愿减排量", nameEn: "Chinese Certified Emission Reduction", issuer: "CN",
        issuingBody: "全国温室气体自愿减排注册登记机构 (NCSC until it is set up)", jurisdiction: "CN",
        uses: [
            CreditUseRule(use: .nationalETSOffset, jurisdictions: nil, verified: true, source: "seed 003 §5.2; DOMAIN.md §6 (≤ 5 %, not from covered facilities)"),
            CreditUseRule(use: .pilotETSOffset, jurisdictions: nil, verified: true, source: "seed 003 §1.1 (CCERs also offset in local ETSs)"),
            CreditUseRule(use: .voluntaryNeutrality, jurisdictions: nil, verified: true, source: "seed 000 §五 (点点 platform), seed 003 §1.1"),
            CreditUseRule(
                use: .corsia, jurisdictions: nil, verified: false,
                source: "seed 003 §2.2.5 box 5: approved in 2020 for CORSIA's pilot phase; eligibility of post-2023 CCERs [unverified]"),
        ],
        source: "seed 003 §5.2", unverified: [])

    public static let cdcer = CreditType(
        label: "CDCER", kind: .localCredit, name: "成都“碳惠天府”机制碳减排量", nameEn: "Chengdu Tanhui Tianfu carbon reduction",
        issuer: "CD", issuingBody: "成都市“碳惠天府”机制 (Chengdu)", jurisdiction: "SC",
        uses: [
            CreditUseRule(
                use: .voluntaryNeutrality, jurisdictions: nil, verified: true,
                source: "seed 000 (四) 碳惠天府: neutrality of events, catering, malls, scenic sites in Chengdu, Sichuan or wherever recognised"),
        ],
        source: "seed 000 (四) 碳惠天府: online at the Sichuan exchange since May 2021, 8 methodologies", unverified: ["issuing_body"])

    public static let phcer = CreditType(
        label: "PHCER", kind: .localCredit, name: "广东省碳普惠核证自愿减排量", nameEn: "Guangdong Puhui certified emission reduction",
        issuer: "GD", issuingBody: "广东省碳普惠机制 (Guangdong)", jurisdiction: "GD",
        uses: [
            CreditUseRule(use: .pilotETSOffset, jurisdictions: ["GD"], verified: false, source: "[unverified] offsets in the Guangdong pilot ETS"),
            CreditUseRule(use: .voluntaryNeutrality, jurisdictions: nil, verified: false, source: "[unverified]"),
        ],
        source: "seed 001 \"3.CCER成交量\" (a Guangdong product beside CCER)", unverified: ["issuing_body", "uses"])

    public static let ffcer = CreditType(
        label: "FFCER", kind: .localCredit, name: "福建林业碳汇", nameEn: "Fujian forestry carbon sink", issuer: "FJ",
        issuingBody: "福建省林业碳汇机制 (Fujian)", jurisdiction: "FJ",
        uses: [
            CreditUseRule(use: .pilotETSOffset, jurisdictions: ["FJ"], verified: false, source: "[unverified] offsets in the Fujian ETS"),
            CreditUseRule(use: .voluntaryNeutrality, jurisdictions: nil, verified: false, source: "[unverified]"),
        ],
        source: "seed 001 \"3.CCER成交量\" (1.4119 Mt traded in Fujian in 2020)", unverified: ["issuing_body", "uses"])

    /// The shipped table: CCER first, then the local credits.
    public static let seed: [CreditType] = [ccer, cdcer, phcer, ffcer]

    /// The credit type of a registry unit type: same label, kind and issuer. A unit type
    /// labelled CDCER but issued under another issuer is no CDCER of the table.
    public static func of(_ unit: UnitType, in table: [CreditType] = seed) -> CreditType? {
        table.first { $0.label == unit.label && $0.kind == unit.kind && $0.issuer == unit.issuer }
    }
}
