/// Money and prices as integer fen (0.01 CNY). A price is fen per tonne, so the exchange's
/// tick of 0.01 CNY is one fen and every price is an integer.
public enum Fen {
    /// Parses a non-negative decimal amount of yuan with at most two decimals ("97.49", "98",
    /// "0.5") into fen. Nil for anything else (signs, exponents, three decimals, overflow).
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 15,
            whole.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if parts.count == 2 && fraction.isEmpty { return nil }
        while fraction.count < 2 { fraction += "0" }
        guard let yuan = Int64(whole), let cents = Int64(fraction) else { return nil }
        return yuan * 100 + cents
    }

    /// "97.49", "-0.05": always two decimals.
    public static func text(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// `numerator / denominator` rounded half up (away from zero at exactly .5), for a positive
    /// denominator. Used for every price average and fee: the one rounding rule of the exchange.
    public static func divideHalfUp(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        precondition(denominator > 0)
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        if remainder.magnitude * 2 >= denominator.magnitude {
            return numerator < 0 ? quotient - 1 : quotient + 1
        }
        return quotient
    }
}
