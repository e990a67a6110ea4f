/// An exact decimal number: `mantissa × 10^-scale`, on 128-bit integers. Parsing and
/// arithmetic never round; rounding happens only where a rule says so (`rounded`,
/// `divided(by:roundingTo:)`), half up (away from zero on ties). Overflow is an error,
/// never a wrap.
public struct ExactDecimal: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let mantissa: Int128
    public let scale: Int

    /// Most decimal places a value or product may carry.
    public static let maxScale = 30
    /// Most fractional digits accepted when parsing.
    public static let maxParsedScale = 12

    public init(mantissa: Int128, scale: Int) {
        precondition((0...Self.maxScale).contains(scale))
        self.mantissa = mantissa
        self.scale = scale
    }

    public init(_ integer: Int64) { self.init(mantissa: Int128(integer), scale: 0) }

    public static let zero = ExactDecimal(0)

    /// Parses "-12.3456": optional minus, digits, optional point and up to 12 fractional
    /// digits. No exponents, spaces or grouping.
    public init?(_ text: String) {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.count <= 24,
            whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.utf8.count <= Self.maxParsedScale,
            fraction.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return nil }
        var value: Int128 = 0
        for byte in (whole + fraction).utf8 { value = value * 10 + Int128(byte - 48) }
        self.init(mantissa: negative ? -value : value, scale: fraction.utf8.count)
    }

    public var isNegative: Bool { mantissa < 0 }

    public var description: String {
        let magnitude = String(mantissa.magnitude)
        guard scale > 0 else { return (isNegative ? "-" : "") + magnitude }
        let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return (isNegative ? "-" : "") + padded[..<point] + "." + padded[point...]
    }

    /// 10^0 … 10^38, every power of ten an Int128 holds.
    static let powersOfTen: [Int128] = {
        var powers: [Int128] = [1]
        for _ in 1...38 { powers.append(powers.last! * 10) }
        return powers
    }()

    static func power(_ exponent: Int) -> Int128 {
        precondition((0...38).contains(exponent), "10^\(exponent) does not fit in 128 bits")
        return powersOfTen[exponent]
    }

    /// The mantissa of `self` at a larger scale.
    func mantissa(at target: Int) throws(DecimalOverflow) -> Int128 {
        let (value, overflow) = mantissa.multipliedReportingOverflow(by: Self.power(target - scale))
        if overflow { throw DecimalOverflow() }
        return value
    }

    public func adding(_ other: ExactDecimal) throws(DecimalOverflow) -> ExactDecimal {
        let target = max(scale, other.scale)
        let (sum, overflow) = try mantissa(at: target).addingReportingOverflow(try other.mantissa(at: target))
        if overflow { throw DecimalOverflow() }
        return ExactDecimal(mantissa: sum, scale: target)
    }

    public func multiplied(by other: ExactDecimal) throws(DecimalOverflow) -> ExactDecimal {
        guard scale + other.scale <= Self.maxScale else { throw DecimalOverflow() }
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        if overflow { throw DecimalOverflow() }
        return ExactDecimal(mantissa: product, scale: scale + other.scale)
    }

    /// `self / divisor`, rounded half up to `places` decimals: the only division, done once.
    public func divided(by divisor: Int128, roundingTo places: Int) throws(DecimalOverflow) -> ExactDecimal {
        precondition(divisor > 0 && places >= 0)
        // value = mantissa / 10^scale / divisor; want q = round(value × 10^places).
        var numerator = mantissa
        var denominator = divisor
        if places >= scale {
            let (scaled, overflow) = numerator.multipliedReportingOverflow(by: Self.power(places - scale))
            if overflow { throw DecimalOverflow() }
            numerator = scaled
        } else {
            let (scaled, overflow) = denominator.multipliedReportingOverflow(by: Self.power(scale - places))
            if overflow { throw DecimalOverflow() }
            denominator = scaled
        }
        let (quotient, remainder) = numerator.magnitude.quotientAndRemainder(dividingBy: denominator.magnitude)
        let rounded = remainder * 2 >= denominator.magnitude ? quotient + 1 : quotient
        return ExactDecimal(mantissa: numerator < 0 ? -Int128(rounded) : Int128(rounded), scale: places)
    }

    public func rounded(to places: Int) throws(DecimalOverflow) -> ExactDecimal {
        try divided(by: 1, roundingTo: places)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let target = max(lhs.scale, rhs.scale)
        // Values we compare stay far below the 128-bit range; overflow here is a programming error.
        return try! lhs.mantissa(at: target) < rhs.mantissa(at: target)
    }

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    public func hash(into hasher: inout Hasher) {
        // Equal values hash equally: normalise trailing zeros away.
        var m = mantissa, s = scale
        while s > 0 && m % 10 == 0 { m /= 10; s -= 1 }
        hasher.combine(m)
        hasher.combine(s)
    }
}

public struct DecimalOverflow: Error, Sendable {}
