/// Stable error codes of the trading system: clients and tests match on `code`.
public enum ExchangeErrorCode: String, Codable, Sendable, CaseIterable {
    case invalidInput = "INVALID_INPUT"
    case invalidPrice = "INVALID_PRICE"
    case invalidQuantity = "INVALID_QUANTITY"
    case limitExceeded = "LIMIT_EXCEEDED"
    case unknownInstrument = "UNKNOWN_INSTRUMENT"
    case duplicateInstrument = "DUPLICATE_INSTRUMENT"
    case unknownAccount = "UNKNOWN_ACCOUNT"
    case unknownOrder = "UNKNOWN_ORDER"
    case unknownQuote = "UNKNOWN_QUOTE"
    case unknownAuction = "UNKNOWN_AUCTION"
    case notTradingDay = "NOT_TRADING_DAY"
    case outsideSession = "OUTSIDE_SESSION"
    case marketClosed = "MARKET_CLOSED"
    case modeNotEnabled = "MODE_NOT_ENABLED"
    /// Price outside the day's band (±10 % listing, ±30 % block of the previous close).
    case priceOutOfBand = "PRICE_OUT_OF_BAND"
    /// Listing orders must be under 100,000 t; block quotes at least 100,000 t.
    case sizeNotAllowed = "SIZE_NOT_ALLOWED"
    case insufficientFunds = "INSUFFICIENT_FUNDS"
    case insufficientUnits = "INSUFFICIENT_UNITS"
    /// Units bought today are sellable from the next trading day.
    case tPlusOne = "T_PLUS_ONE"
    case positionLimit = "POSITION_LIMIT"
    /// The taker named a listing outside the best five price levels of its side.
    case notInBestLevels = "NOT_IN_BEST_LEVELS"
    case ownOrder = "OWN_ORDER"
    case notOwner = "NOT_OWNER"
    case notCounterparty = "NOT_COUNTERPARTY"
    case quoteNotOpen = "QUOTE_NOT_OPEN"
    case auctionNotOpen = "AUCTION_NOT_OPEN"
    case auctionNotClosed = "AUCTION_NOT_CLOSED"
    case bidOutsideRange = "BID_OUTSIDE_RANGE"
    case bidBelowMinimum = "BID_BELOW_MINIMUM"
    case bidOverCap = "BID_OVER_CAP"
    case accountNotAllowed = "ACCOUNT_NOT_ALLOWED"
    /// The registry refused a movement the exchange expected to pass (a bug or a race).
    case registryRejected = "REGISTRY_REJECTED"
    /// Application layer: the idempotency key was used before with a different command (the
    /// registry's code of the same name).
    case idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
}

public struct ExchangeError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: ExchangeErrorCode
    public var message: String

    public init(_ code: ExchangeErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
