/// The official working-day calendar the CCER deadlines run on (public notices of 20 working
/// days, registry reviews of 15): Monday to Friday, minus the State Council's public holidays,
/// plus the weekend days it makes working days (调休上班). Data, not code: a regulator publishes
/// next year's table as a new version.
///
/// It is deliberately not the exchange's trading calendar (`ExchangePolicy.holidays`): the
/// exchange is shut on every weekend, including make-up working days, and closes on a few days
/// that are official working days (2024-02-09, the eve of the Spring Festival).
///
/// Counting follows the Civil Code (art. 201): the day a period starts is not counted, so the
/// n-th working day *after* the start is the period's last day. Outside the covered years the
/// calendar refuses to count (`CALENDAR_NOT_COVERED`) rather than guess.
public struct WorkingDayCalendar: Hashable, Codable, Sendable {
    public var version: Int
    public var note: String
    /// First and last calendar year the tables cover.
    public var firstYear: Int
    public var lastYear: Int
    /// Weekdays that are public holidays.
    public var holidays: [CivilDate]
    /// Saturdays and Sundays that are working days.
    public var workingWeekends: [CivilDate]

    /// Most calendar days one count may walk: a named limit on every loop here (about 10 years).
    public static let maxSpanDays = 3_660

    public init(version: Int, note: String, firstYear: Int, lastYear: Int, holidays: [CivilDate], workingWeekends: [CivilDate]) {
        self.version = version
        self.note = note
        self.firstYear = firstYear
        self.lastYear = lastYear
        self.holidays = holidays
        self.workingWeekends = workingWeekends
    }

    public func covers(_ date: CivilDate) -> Bool { (firstYear...lastYear).contains(date.year) }

    public func isWorkingDay(_ date: CivilDate) throws(CCERError) -> Bool {
        guard covers(date) else {
            throw CCERError(.calendarNotCovered, "the working-day calendar v\(version) covers \(firstYear)-\(lastYear), not \(date)")
        }
        return date.weekday < 5 ? !holidays.contains(date) : workingWeekends.contains(date)
    }

    /// The `n`-th working day after `date` (`date` itself not counted); `date` when `n` is 0.
    public func addWorkingDays(_ date: CivilDate, _ n: Int) throws(CCERError) -> CivilDate {
        guard n >= 0 else { throw CCERError(.invalidArgument, "a number of working days must not be negative") }
        var day = date
        var counted = 0
        var walked = 0
        while counted < n {
            day = day.adding(days: 1)
            walked += 1
            guard walked <= Self.maxSpanDays else {
                throw CCERError(.limitExceeded, "more than maxSpanDays (\(Self.maxSpanDays)) calendar days")
            }
            if try isWorkingDay(day) { counted += 1 }
        }
        return day
    }

    /// Working days in `(start, end]`: after `start`, up to and including `end`. So
    /// `workingDays(between: d, and: addWorkingDays(d, n)) == n`.
    public func workingDays(between start: CivilDate, and end: CivilDate) throws(CCERError) -> Int {
        guard start <= end else { throw CCERError(.datesOutOfOrder, "\(end) is before \(start)") }
        let span = end.daysSinceEpoch - start.daysSinceEpoch
        guard span <= Int64(Self.maxSpanDays) else {
            throw CCERError(.limitExceeded, "more than maxSpanDays (\(Self.maxSpanDays)) calendar days")
        }
        var count = 0
        var day = start
        while day < end {
            day = day.adding(days: 1)
            if try isWorkingDay(day) { count += 1 }
        }
        return count
    }

    /// Everything wrong with the table, for a regulator loading a new version: holidays that
    /// fall on weekends, make-up days that do not, dates outside the covered years, repeats.
    public func problems() -> [String] {
        var found: [String] = []
        if firstYear > lastYear { found.append("firstYear \(firstYear) is after lastYear \(lastYear)") }
        for date in holidays {
            if date.weekday >= 5 { found.append("holiday \(date) is a weekend day") }
            if !covers(date) { found.append("holiday \(date) is outside \(firstYear)-\(lastYear)") }
        }
        for date in workingWeekends {
            if date.weekday < 5 { found.append("working weekend \(date) is a weekday") }
            if !covers(date) { found.append("working weekend \(date) is outside \(firstYear)-\(lastYear)") }
        }
        if Set(holidays).count != holidays.count { found.append("a holiday is listed twice") }
        if Set(workingWeekends).count != workingWeekends.count { found.append("a working weekend is listed twice") }
        return found
    }

    /// The State Council's holiday arrangements (国务院办公厅关于…部分节假日安排的通知) for
    /// 2023–2026. The 2024–2026 holidays agree with the exchanges' closures except 2024-02-09,
    /// an official working day. 2023 and every make-up working day are [unverified]: taken from
    /// the notices as remembered, each checked only to fall on a weekend (see `problems()`).
    public static let mainland = WorkingDayCalendar(
        version: 1,
        note: "State Council holiday notices 2023-2026; 2023 and make-up working days [unverified]",
        firstYear: 2023, lastYear: 2026,
        holidays: [
            "2023-01-02", "2023-01-23", "2023-01-24", "2023-01-25", "2023-01-26", "2023-01-27", "2023-04-05",
            "2023-05-01", "2023-05-02", "2023-05-03", "2023-06-22", "2023-06-23", "2023-09-29", "2023-10-02",
            "2023-10-03", "2023-10-04", "2023-10-05", "2023-10-06",
            "2024-01-01", "2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16", "2024-04-04",
            "2024-04-05", "2024-05-01", "2024-05-02", "2024-05-03", "2024-06-10", "2024-09-16", "2024-09-17",
            "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-07",
            "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04",
            "2025-04-04", "2025-05-01", "2025-05-02", "2025-05-05", "2025-06-02", "2025-10-01", "2025-10-02",
            "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08",
            "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
            "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25",
            "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
        ].map { CivilDate($0)! },
        workingWeekends: [
            "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08",
            "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29",
            "2024-10-12",
            "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
            "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
        ].map { CivilDate($0)! })
}
