/// What a unit is: an allowance of a vintage, or a credit from a project and vintage.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    /// CEA: national allowance, by vintage. Fungible within its unit type.
    case allowance
    /// CCER: national certified voluntary emission reduction. Serialised.
    case ccer
    /// Local credits (CDCER, PHCER, FFCER, ...). Serialised.
    case localCredit = "local_credit"

    public var isCredit: Bool { self != .allowance }
}

/// A unit type is data: a regulator defines one with `defineUnitType`.
///
/// Serialised types carry serial numbers; holdings of them are serial blocks and every serial
/// is in exactly one place. The printed serial format is
/// `{issuer}-{label}-{project}-{vintage}-{start}-{end}` with start and end zero-padded to 12
/// digits, e.g. `CN-CCER-P000123-2023-000000000001-000000001000` (see docs/serials.md).
public struct UnitType: Hashable, Codable, Sendable {
    public var code: UnitTypeCode
    public var kind: UnitKind
    /// Short product label used in serials and on screens: "CEA", "CCER", "CDCER".
    public var label: String
    /// First and last year of the vintage: CEA19-20 is 2019...2020, CEA21 is 2021...2021.
    public var vintageFrom: Int
    public var vintageTo: Int
    /// Project identifier for credits, nil for allowances.
    public var projectID: String?
    /// Registry that issues it: "CN" for national units, "CD" for Chengdu, ...
    public var issuer: String
    public var serialized: Bool
    /// Units issued so far; for serialised types also the last serial used.
    public var issuedQuantity: Int64

    public init(
        code: UnitTypeCode, kind: UnitKind, label: String, vintageFrom: Int, vintageTo: Int,
        projectID: String?, issuer: String, serialized: Bool, issuedQuantity: Int64 = 0
    ) {
        self.code = code
        self.kind = kind
        self.label = label
        self.vintageFrom = vintageFrom
        self.vintageTo = vintageTo
        self.projectID = projectID
        self.issuer = issuer
        self.serialized = serialized
        self.issuedQuantity = issuedQuantity
    }

    public var vintageLabel: String {
        vintageFrom == vintageTo ? String(vintageFrom) : "\(vintageFrom)-\(vintageTo)"
    }

    /// The public serial text of a block of this unit type.
    public func serialText(_ range: SerialRange) -> String {
        let project = projectID ?? "NA"
        return "\(issuer)-\(label)-\(project)-\(vintageLabel)-\(zeroPadded(range.first, width: 12))-\(zeroPadded(range.last, width: 12))"
    }
}

/// An inclusive block of serial numbers, `first...last`, with `first >= 1`.
public struct SerialRange: Hashable, Codable, Sendable, Comparable {
    public var first: Int64
    public var last: Int64

    public init(first: Int64, last: Int64) {
        precondition(first >= 1 && last >= first, "serial range must be non-empty and start at 1 or later")
        self.first = first
        self.last = last
    }

    public var count: Int64 { last - first + 1 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.first < rhs.first }
}
