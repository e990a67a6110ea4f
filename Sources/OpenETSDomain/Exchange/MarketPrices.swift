/// The trade modes whose deals count in market data.
public enum TradeMode: String, Codable, Sendable, CaseIterable {
    /// Listing agreement, and continuous trading where an instrument uses it.
    case listing
    case block
    case auction
}

/// A deal as market data sees it.
public struct PricedTrade: Hashable, Codable, Sendable {
    public var mode: TradeMode
    public var price: Int64
    public var quantity: Int64
    public var time: Timestamp

    public init(mode: TradeMode, price: Int64, quantity: Int64, time: Timestamp) {
        self.mode = mode
        self.price = price
        self.quantity = quantity
        self.time = time
    }
}

/// One instrument's day: prices in fen per tonne, turnover in fen.
///
/// Rules (DOMAIN.md §7): open = first listing trade; close = volume-weighted average price of
/// the day's listing trades; combined = VWAP of listing and block trades; high/low over listing
/// trades; with no listing trade open, high, low and close all equal the previous close (and
/// combined too when there is no block trade either). Averages round half up to the fen.
/// Volume and turnover count every mode.
public struct DailyPrices: Hashable, Codable, Sendable {
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var combined: Int64
    public var volume: Int64
    public var turnoverFen: Int64
    public var listingTrades: Int

    public init(previousClose: Int64, trades: [PricedTrade]) {
        let ordered = trades.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        var listingValue: Int128 = 0
        var listingVolume: Int64 = 0
        var combinedValue: Int128 = 0
        var combinedVolume: Int64 = 0
        var first: Int64?
        var high = Int64.min
        var low = Int64.max
        var volume: Int64 = 0
        var turnover: Int128 = 0
        var listingCount = 0
        for trade in ordered {
            let value = Int128(trade.price) * Int128(trade.quantity)
            volume += trade.quantity
            turnover += value
            if trade.mode == .listing {
                listingCount += 1
                if first == nil { first = trade.price }
                high = max(high, trade.price)
                low = min(low, trade.price)
                listingValue += value
                listingVolume += trade.quantity
            }
            if trade.mode != .auction {
                combinedValue += value
                combinedVolume += trade.quantity
            }
        }
        self.open = first ?? previousClose
        self.high = first == nil ? previousClose : high
        self.low = first == nil ? previousClose : low
        self.close = listingVolume > 0 ? Int64(Fen.divideHalfUp(listingValue, Int128(listingVolume))) : previousClose
        self.combined =
            combinedVolume > 0 ? Int64(Fen.divideHalfUp(combinedValue, Int128(combinedVolume))) : self.close
        self.volume = volume
        self.turnoverFen = Int64(turnover)
        self.listingTrades = listingCount
    }
}
