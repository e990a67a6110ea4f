import OpenETSDomain

/// Page language. Chinese is the default; `?lang=en` switches (and a cookie remembers it).
public enum Language: String, Sendable, CaseIterable {
    case zh
    case en

    public init(query: String?, cookie: String?) {
        self = Language(rawValue: query ?? "") ?? Language(rawValue: cookie ?? "") ?? .zh
    }

    public var htmlLang: String { self == .zh ? "zh-CN" : "en" }
}

/// Exact formatting of tonnes and money: integer arithmetic only, no floating point.
public enum Format {
    /// 1234567 → "1,234,567".
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Tonnes the way each language expects: Chinese in 万吨 from 10,000 t (exact, trailing
    /// zeros trimmed: 30,000,000 t → "3,000万吨", 12,345 t → "1.2345万吨"), English in t.
    public static func tonnes(_ quantity: Int64, _ language: Language) -> String {
        switch language {
        case .en:
            return "\(grouped(quantity)) t"
        case .zh:
            guard quantity.magnitude >= 10_000 else { return "\(grouped(quantity))吨" }
            let whole = quantity / 10_000
            var fraction = String(quantity.magnitude % 10_000)
            fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return grouped(whole) + (fraction.isEmpty ? "" : "." + fraction) + "万吨"
        }
    }

    /// Fen as yuan with two decimals: 123456 → "1,234.56".
    public static func yuan(_ fen: Int64) -> String {
        let cents = fen.magnitude % 100
        return (fen < 0 ? "-" : "") + grouped(Int64(fen.magnitude / 100)) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Milliseconds since the epoch → "2025-01-01 08:00" in Beijing time (UTC+8, no DST).
    public static func beijingTime(_ timestamp: Timestamp) -> String {
        let seconds = timestamp.millisecondsSinceEpoch / 1_000 + 8 * 3_600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3_600)):\(two(secondOfDay % 3_600 / 60))"
    }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Escapes text for HTML element content and attribute values.
public func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}

/// One CSV field, quoted when needed (RFC 4180).
public func csvField(_ raw: String) -> String {
    let text = neutralisedFormula(raw)
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    var quoted = "\""
    for character in text {
        if character == "\"" { quoted.append("\"") }
        quoted.append(character)
    }
    return quoted + "\""
}

/// A field a spreadsheet would run as a formula (it starts with `=`, `@`, a tab or a carriage
/// return, or with `-` or `+` and is not a signed plain number) gets a leading `'`, so free text
/// a user typed (a name, a reason) cannot become a formula on the reviewer's machine. Plain
/// numbers, signed ones included, and a lone `-` stay as they are.
func neutralisedFormula(_ text: String) -> String {
    guard let first = text.unicodeScalars.first else { return text }
    switch first {
    case "=", "@", "\t", "\r": return "'" + text
    case "-", "+":
        let rest = text.unicodeScalars.dropFirst()
        if rest.isEmpty { return text }
        let parts = String(rest).split(separator: ".", omittingEmptySubsequences: false)
        let plainNumber = parts.count <= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }
        return plainNumber ? text : "'" + text
    default: return text
    }
}
