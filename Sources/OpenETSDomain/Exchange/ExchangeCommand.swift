/// Everything the trading system can be asked to do. A command is accepted whole — its events
/// and the registry movements it implies (locks, settlements, unlocks) — or rejected with an
/// `ExchangeError` and no change.
public enum ExchangeCommand: Hashable, Codable, Sendable {
    // Operator
    case listInstrument(Instrument)
    case admitMember(account: AccountID, group: String?)
    /// The exchange's clearing account (fees) and risk reserve fund account.
    case setFeeAccounts(clearing: AccountID, reserve: AccountID)
    case openDay(CivilDate)
    /// Lapses every open listing and quote, publishes the day's prices.
    case closeDay
    // Listing agreement and continuous trading
    case placeOrder(account: AccountID, instrument: String, side: Side, price: Int64, quantity: Int64)
    /// Listing agreement: take `quantity` of a listing at its price.
    case takeOrder(account: AccountID, order: Int64, quantity: Int64)
    case cancelOrder(account: AccountID, order: Int64)
    // Block agreement
    case quoteBlock(account: AccountID, instrument: String, side: Side, price: Int64, quantity: Int64, counterparties: [AccountID])
    case counterBlock(account: AccountID, quote: Int64, price: Int64, quantity: Int64)
    case acceptBlock(account: AccountID, quote: Int64)
    case cancelQuote(account: AccountID, quote: Int64)
    // One-way auction
    case announceAuction(Auction)
    case bid(account: AccountID, auction: Int64, price: Int64, quantity: Int64)
    case clearAuction(auction: Int64)
    /// The operator withdraws an announced auction before it clears: every lock is released.
    case cancelAuction(auction: Int64, reason: String)

    public var kind: String {
        switch self {
        case .listInstrument: "list_instrument"
        case .admitMember: "admit_member"
        case .setFeeAccounts: "set_fee_accounts"
        case .openDay: "open_day"
        case .closeDay: "close_day"
        case .placeOrder: "place_order"
        case .takeOrder: "take_order"
        case .cancelOrder: "cancel_order"
        case .quoteBlock: "quote_block"
        case .counterBlock: "counter_block"
        case .acceptBlock: "accept_block"
        case .cancelQuote: "cancel_quote"
        case .announceAuction: "announce_auction"
        case .bid: "bid"
        case .clearAuction: "clear_auction"
        case .cancelAuction: "cancel_auction"
        }
    }
}

/// What happened on the exchange. `ExchangeState.evolve` applies events without checks.
public enum ExchangeEvent: Hashable, Codable, Sendable {
    case instrumentListed(Instrument)
    case memberAdmitted(Member)
    case feeAccountsSet(clearing: AccountID, reserve: AccountID)
    /// The day's price limits per instrument (listing and continuous books), fixed at the open.
    case dayOpened(CivilDate, limits: [PriceLimits])
    case orderPlaced(Order)
    /// The order (with what is left of it) enters its book.
    case orderRested(order: Int64)
    case dealDone(Deal, consumedByMaker: Int64, consumedByTaker: Int64)
    case orderEnded(order: Int64, status: OrderStatus, released: Int64)
    case quotePosted(BlockQuote)
    case quoteEnded(quote: Int64, status: QuoteStatus, released: Int64)
    case auctionAnnounced(Auction)
    case bidPlaced(Bid)
    case auctionEnded(auction: Int64, result: AuctionResult)
    case alertRaised(SurveillanceAlert)
    case dayClosed(CivilDate, records: [DayRecord])
}

/// An accepted command: the exchange's events and the registry commands that go with them, in
/// the order they must be executed.
public struct ExchangeDecision: Sendable {
    public var events: [ExchangeEvent] = []
    public var registry: [RegistryCommand] = []

    public init() {}
}

/// One instrument's price limits for a day, in fen per tonne.
public struct PriceLimits: Hashable, Codable, Sendable {
    public var instrument: String
    public var low: Int64
    public var high: Int64

    public init(instrument: String, low: Int64, high: Int64) {
        self.instrument = instrument
        self.low = low
        self.high = high
    }
}
