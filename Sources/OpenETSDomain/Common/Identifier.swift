/// A typed identifier: `Identifier<AccountTag>` and `Identifier<FreezeTag>` never mix.
/// Encoded as a bare JSON string.
public struct Identifier<Tag>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum AccountTag {}
public enum UnitTypeTag {}
public enum FreezeTag {}
public enum TransferTag {}
public enum RepresentativeTag {}
public enum CertificateTag {}
public enum DealTag {}

public typealias AccountID = Identifier<AccountTag>
public typealias UnitTypeCode = Identifier<UnitTypeTag>
public typealias FreezeID = Identifier<FreezeTag>
public typealias TransferID = Identifier<TransferTag>
public typealias RepresentativeID = Identifier<RepresentativeTag>
public typealias CertificateNumber = Identifier<CertificateTag>
public typealias DealID = Identifier<DealTag>

/// Milliseconds since 1970-01-01T00:00:00Z. Supplied by the application's clock port.
public struct Timestamp: Hashable, Comparable, Sendable, Codable {
    public let millisecondsSinceEpoch: Int64
    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    public init(from decoder: any Decoder) throws {
        millisecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSinceEpoch)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch }
}

/// Zero-padded decimal, for account numbers, serials and certificate numbers.
func zeroPadded(_ value: Int64, width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
