/// A trading window in Beijing time, minutes since midnight: [start, end).
public struct SessionWindow: Hashable, Codable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public static func hm(_ h1: Int, _ m1: Int, _ h2: Int, _ m2: Int) -> SessionWindow {
        SessionWindow(start: h1 * 60 + m1, end: h2 * 60 + m2)
    }

    public func contains(minute: Int) -> Bool { minute >= start && minute < end }

    /// "9:30-11:30" (Beijing time).
    public var hours: String { "\(Self.clock(start))-\(Self.clock(end))" }

    /// A minute of the day as "9:05".
    public static func clock(_ minute: Int) -> String { "\(minute / 60):\(minute % 60 < 10 ? "0" : "")\(minute % 60)" }
}

/// The trading system's rules as data, versioned: a regulator or the exchange publishes a new
/// version rather than changing code. Numbers marked [unverified] in DOMAIN.md are here for the
/// same reason. Money in fen, quantities in tonnes, rates in basis points (1/10,000).
public struct ExchangePolicy: Hashable, Codable, Sendable {
    public var version: Int
    public var note: String
    /// Exchange holidays (weekends are always closed).
    public var holidays: [CivilDate]
    public var listingSessions: [SessionWindow]
    public var blockSessions: [SessionWindow]
    /// Listing (and continuous) orders: price within ±listingBandPercent of the previous close.
    public var listingBandPercent: Int64
    /// Listing orders must be under this size (t): "< 100,000 t" means at most 99,999.
    public var listingMaxQuantity: Int64
    public var blockBandPercent: Int64
    public var blockMinQuantity: Int64
    /// Largest block quote and auction volume (t): a named limit.
    public var blockMaxQuantity: Int64
    /// Trading fee per side, basis points of the deal amount, per mode [unverified].
    public var feeBasisPoints: [String: Int64]
    /// Share of every fee that goes to the risk reserve fund, percent [unverified].
    public var riskReservePercent: Int64
    /// Maximum holding per instrument by account class (account type raw value) [unverified];
    /// missing class: no limit.
    public var positionLimits: [String: Int64]
    /// A holding crossing this quantity is recorded as a large-holder report [unverified].
    public var largeHolderThreshold: Int64
    public var maxOpenOrdersPerAccount: Int
    /// Surveillance: cancellations by one account in one day that raise an alert.
    public var placeCancelAlertCount: Int
    /// Surveillance: listing trades in the last N minutes before the close that move the
    /// closing price by more than `closeMoveBasisPoints` raise an alert.
    public var closingWindowMinutes: Int
    public var closeMoveBasisPoints: Int64
    /// Unit kinds that individuals (natural persons' accounts) may trade; nil or empty: none.
    /// Optional so that a policy stored before this field existed still decodes (as "none").
    public var individualUnitKinds: [UnitKind]?

    public init(
        version: Int, note: String, holidays: [CivilDate], listingSessions: [SessionWindow],
        blockSessions: [SessionWindow], listingBandPercent: Int64, listingMaxQuantity: Int64, blockBandPercent: Int64,
        blockMinQuantity: Int64, blockMaxQuantity: Int64, feeBasisPoints: [String: Int64], riskReservePercent: Int64,
        positionLimits: [String: Int64], largeHolderThreshold: Int64, maxOpenOrdersPerAccount: Int,
        placeCancelAlertCount: Int, closingWindowMinutes: Int, closeMoveBasisPoints: Int64,
        individualUnitKinds: [UnitKind]? = nil
    ) {
        self.version = version
        self.note = note
        self.holidays = holidays
        self.listingSessions = listingSessions
        self.blockSessions = blockSessions
        self.listingBandPercent = listingBandPercent
        self.listingMaxQuantity = listingMaxQuantity
        self.blockBandPercent = blockBandPercent
        self.blockMinQuantity = blockMinQuantity
        self.blockMaxQuantity = blockMaxQuantity
        self.feeBasisPoints = feeBasisPoints
        self.riskReservePercent = riskReservePercent
        self.positionLimits = positionLimits
        self.largeHolderThreshold = largeHolderThreshold
        self.maxOpenOrdersPerAccount = maxOpenOrdersPerAccount
        self.placeCancelAlertCount = placeCancelAlertCount
        self.closingWindowMinutes = closingWindowMinutes
        self.closeMoveBasisPoints = closeMoveBasisPoints
        self.individualUnitKinds = individualUnitKinds
    }

    /// Whether an individual may trade units of `kind`.
    public func individualsMayTrade(_ kind: UnitKind) -> Bool { individualUnitKinds?.contains(kind) ?? false }

    /// The rules of DOMAIN.md §7. Fees, reserve share, position limits and surveillance
    /// thresholds are [unverified] placeholders for the exchange to set. Holidays: the
    /// 2024–2026 mainland exchange closures (weekdays only). Individuals: CCER only (seed 003:
    /// CCER participants include individuals; allowance trading is not open to them).
    public static let standard = ExchangePolicy(
        version: 1, note: "DOMAIN.md §7; fees, reserve share, limits and surveillance thresholds [unverified]",
        holidays: Self.mainlandHolidays,
        listingSessions: [.hm(9, 30, 11, 30), .hm(13, 0, 15, 0)],
        blockSessions: [.hm(13, 0, 15, 0)],
        listingBandPercent: 10, listingMaxQuantity: 99_999, blockBandPercent: 30, blockMinQuantity: 100_000,
        blockMaxQuantity: 50_000_000,
        feeBasisPoints: ["listing": 5, "block": 5, "auction": 5], riskReservePercent: 20,
        positionLimits: ["investor": 1_000_000], largeHolderThreshold: 1_000_000, maxOpenOrdersPerAccount: 1_000,
        placeCancelAlertCount: 20, closingWindowMinutes: 10, closeMoveBasisPoints: 200,
        individualUnitKinds: [.ccer])

    /// Weekday closures of the mainland exchanges (State Council holiday notices), 2024–2026.
    static let mainlandHolidays: [CivilDate] = [
        "2024-01-01", "2024-02-09", "2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16",
        "2024-04-04", "2024-04-05", "2024-05-01", "2024-05-02", "2024-05-03", "2024-06-10", "2024-09-16",
        "2024-09-17", "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-07",
        "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04",
        "2025-04-04", "2025-05-01", "2025-05-02", "2025-05-05", "2025-06-02", "2025-10-01", "2025-10-02",
        "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08",
        "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
        "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25",
        "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
    ].map { CivilDate($0)! }

    public func isTradingDay(_ date: CivilDate) -> Bool { date.weekday < 5 && !holidays.contains(date) }

    public func nextTradingDay(after date: CivilDate) -> CivilDate {
        var next = date.adding(days: 1)
        while !isTradingDay(next) { next = next.adding(days: 1) }
        return next
    }

    public func fee(_ mode: TradeMode, amountFen: Int64) -> Int64 {
        let bp = feeBasisPoints[mode.rawValue] ?? 0
        return Int64(Fen.divideHalfUp(Int128(amountFen) * Int128(bp), 10_000))
    }

    /// [low, high] price limits: previous close × (100 ∓ band) / 100, rounded half up to the fen.
    public static func band(previousClose: Int64, percent: Int64) -> (low: Int64, high: Int64) {
        let low = Fen.divideHalfUp(Int128(previousClose) * Int128(100 - percent), 100)
        let high = Fen.divideHalfUp(Int128(previousClose) * Int128(100 + percent), 100)
        return (Int64(max(1, low)), Int64(high))
    }
}
