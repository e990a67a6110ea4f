/// Calendar arithmetic without Foundation: proleptic Gregorian dates, Beijing time (UTC+8, no
/// daylight saving) and the ISO-8601 timestamps the calculators accept.
public struct CivilDate: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// "2024-12-31"; nil when malformed or not a real date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        guard (1...12).contains(m), (1...CivilDate.daysIn(month: m, year: y)).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), month: Int(m), day: Int(d))
    }

    /// 0 = Monday … 6 = Sunday.
    public var weekday: Int { Int(((daysSinceEpoch % 7) + 7 + 3) % 7) }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + Int64(days)) }
}

/// Beijing time: the market's clock (UTC+8 all year).
public enum BeijingTime {
    public static let offsetMilliseconds: Int64 = 8 * 3_600_000

    public static func date(_ t: Timestamp) -> CivilDate {
        CivilDate(daysSinceEpoch: floorDiv(t.millisecondsSinceEpoch + offsetMilliseconds, 86_400_000))
    }

    /// Minutes since local midnight (0…1439).
    public static func minuteOfDay(_ t: Timestamp) -> Int {
        let local = t.millisecondsSinceEpoch + offsetMilliseconds
        return Int((local - floorDiv(local, 86_400_000) * 86_400_000) / 60_000)
    }

    /// The instant of `date` at `hour:minute` Beijing time.
    public static func timestamp(_ date: CivilDate, hour: Int, minute: Int) -> Timestamp {
        Timestamp(
            millisecondsSinceEpoch: date.daysSinceEpoch * 86_400_000 + Int64(hour * 60 + minute) * 60_000
                - offsetMilliseconds)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

extension Timestamp {
    /// Parses ISO-8601 date-times: `2024-12-31T10:15:00Z`, `2024-12-31T10:15:00.250+08:00`,
    /// `2024-12-31 10:15:00` (no zone: Beijing time). Nil when malformed.
    public init?(iso8601 text: String) {
        let chars = Array(text)
        guard chars.count >= 19, chars[10] == "T" || chars[10] == " ", chars[13] == ":", chars[16] == ":",
            let date = CivilDate(String(chars[0..<10])),
            let hour = Int(String(chars[11..<13])), let minute = Int(String(chars[14..<16])),
            let second = Int(String(chars[17..<19])), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if index < chars.count, chars[index] == "." {
            index += 1
            var digits = 0
            while index < chars.count, let digit = chars[index].wholeNumberValue, chars[index].isASCII {
                if digits < 3 { millis = millis * 10 + Int64(digit) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        var offset = BeijingTime.offsetMilliseconds
        if index < chars.count {
            let zone = String(chars[index...])
            if zone == "Z" {
                offset = 0
            } else {
                let z = Array(zone)
                guard z.count == 6, z[0] == "+" || z[0] == "-", z[3] == ":", let h = Int(String(z[1..<3])),
                    let m = Int(String(z[4..<6])), h <= 14, m < 60
                else { return nil }
                offset = Int64(h * 60 + m) * 60_000 * (z[0] == "-" ? -1 : 1)
            }
        }
        let local = date.daysSinceEpoch * 86_400_000 + Int64((hour * 60 + minute) * 60 + second) * 1000 + millis
        self.init(millisecondsSinceEpoch: local - offset)
    }
}
