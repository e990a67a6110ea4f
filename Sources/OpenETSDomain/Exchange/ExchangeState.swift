/// The whole trading system: instruments, members, the day's books, open orders and quotes,
/// auctions, the day's deals and the price history. `decide` (ExchangeDecide.swift) reads it;
/// only `evolve` changes it, so replaying the events rebuilds the books and locks exactly.
public struct ExchangeState: Sendable {
    public var instruments: [String: Instrument] = [:]
    public var members: [AccountID: Member] = [:]
    public var clearingAccount: AccountID?
    public var reserveAccount: AccountID?
    /// The open trading day, nil between days.
    public var tradingDate: CivilDate?
    /// Listing (or continuous) books of the open day, one per instrument.
    public var books: [String: OrderBook] = [:]
    /// Open orders and quotes only; ended ones live in the event history.
    public var orders: [Int64: Order] = [:]
    public var quotes: [Int64: BlockQuote] = [:]
    public var auctions: [Int64: Auction] = [:]
    /// Bids of auctions not yet cleared.
    public var bids: [Int64: Bid] = [:]
    /// One sequence for orders, quotes, auctions and bids.
    public var lastID: Int64 = 0
    public var dealCount: Int64 = 0
    public var todayDeals: AppendOnlyArray<Deal> = []
    /// Units bought today per account and unit type: sellable from the next trading day (T+1).
    public var boughtToday: [HoldingKey: Int64] = [:]
    /// Quantity of open buy orders, quotes and bids per account and unit type (position limits).
    public var openBuys: [HoldingKey: Int64] = [:]
    public var openOrders: [AccountID: Int] = [:]
    public var cancelsToday: [AccountID: Int] = [:]
    /// Last deal per (seller, buyer, instrument) today, for wash round-trip detection.
    var lastDealBetween: [String: DealID] = [:]
    public var history: [DayRecord] = []
    public var alerts: [SurveillanceAlert] = []

    public init() {}

    /// Lock ids the exchange names (orders, quotes, auctions, bids); other ids are locks of
    /// another user of the registry's `lock` command.
    public static func isExchangeLock(_ id: FreezeID) -> Bool {
        ["XO-", "XQ-", "XA-", "XB-"].contains { id.rawValue.hasPrefix($0) }
    }

    public func sellable(_ registry: RegistryState, _ account: AccountID, _ unit: UnitTypeCode) -> Int64 {
        max(0, registry.holding(account, unit).available - boughtToday[HoldingKey(account: account, unit: unit), default: 0])
    }
}

extension ExchangeState {
    public mutating func evolve(_ event: ExchangeEvent) {
        switch event {
        case .instrumentListed(let instrument):
            instruments[instrument.code] = instrument
        case .memberAdmitted(let member):
            members[member.account] = member
        case .feeAccountsSet(let clearing, let reserve):
            clearingAccount = clearing
            reserveAccount = reserve
        case .dayOpened(let date, let limits):
            tradingDate = date
            books = [:]
            for limit in limits {
                books[limit.instrument] = OrderBook(lowPrice: limit.low, highPrice: limit.high)
            }
            todayDeals = []
            boughtToday = [:]
            cancelsToday = [:]
            lastDealBetween = [:]
        case .orderPlaced(let order):
            orders[order.id] = order
            lastID = max(lastID, order.id)
            openOrders[order.account, default: 0] += 1
            if order.side == .buy { addOpenBuy(order.account, order.instrument, order.quantity) }
        case .orderRested(let id):
            let order = orders[id]!
            books[order.instrument]!.add(id: id, side: order.side, price: order.price, quantity: order.remaining)
        case .dealDone(let deal, let makerConsumed, let takerConsumed):
            applyDeal(deal, makerConsumed, takerConsumed)
        case .orderEnded(let id, let status, _):
            let order = orders.removeValue(forKey: id)!
            if status == .cancelled { cancelsToday[order.account, default: 0] += 1 }
            books[order.instrument]?.remove(id)
            openOrders[order.account]! -= 1
            if openOrders[order.account] == 0 { openOrders[order.account] = nil }
            if order.side == .buy { addOpenBuy(order.account, order.instrument, -order.remaining) }
        case .quotePosted(let quote):
            quotes[quote.id] = quote
            lastID = max(lastID, quote.id)
            if quote.side == .buy { addOpenBuy(quote.account, quote.instrument, quote.quantity) }
        case .quoteEnded(let id, _, _):
            let quote = quotes.removeValue(forKey: id)!
            if quote.side == .buy { addOpenBuy(quote.account, quote.instrument, -quote.quantity) }
        case .auctionAnnounced(let auction):
            auctions[auction.id] = auction
            lastID = max(lastID, auction.id)
            if auction.side == .buy { addOpenBuy(auction.applicant, auction.instrument, auction.quantity) }
        case .bidPlaced(let bid):
            bids[bid.id] = bid
            lastID = max(lastID, bid.id)
            let auction = auctions[bid.auction]!
            if auction.side == .sell { addOpenBuy(bid.account, auction.instrument, bid.quantity) }
        case .auctionEnded(let id, let result):
            var auction = auctions[id]!
            auction.status = result.status == .cleared ? .cleared : .cancelled
            auction.result = result
            auction.locked = 0
            auctions[id] = auction
            if auction.side == .buy { addOpenBuy(auction.applicant, auction.instrument, -auction.quantity) }
            for bid in bids.values where bid.auction == id {
                if auction.side == .sell { addOpenBuy(bid.account, auction.instrument, -bid.quantity) }
                bids[bid.id] = nil
            }
        case .alertRaised(let alert):
            alerts.append(alert)
        case .dayClosed(_, let records):
            for record in records {
                instruments[record.instrument]!.previousClose = record.prices.close
                history.append(record)
            }
            tradingDate = nil
            books = [:]
        }
    }

    private mutating func applyDeal(_ deal: Deal, _ makerConsumed: Int64, _ takerConsumed: Int64) {
        dealCount += 1
        todayDeals.append(deal)
        let unit = instruments[deal.instrument]!.unit
        boughtToday[HoldingKey(account: deal.buyer, unit: unit), default: 0] += deal.quantity
        lastDealBetween["\(deal.seller)|\(deal.buyer)|\(deal.instrument)"] = deal.id
        switch deal.mode {
        case .listing:
            if var maker = orders[deal.maker] {
                maker.remaining -= deal.quantity
                maker.locked -= makerConsumed
                orders[deal.maker] = maker
                books[deal.instrument]!.take(deal.maker, deal.quantity)
                if maker.side == .buy { addOpenBuy(maker.account, maker.instrument, -deal.quantity) }
            }
            if let takerID = deal.taker, var taker = orders[takerID] {
                taker.remaining -= deal.quantity
                taker.locked -= takerConsumed
                orders[takerID] = taker
                if taker.side == .buy { addOpenBuy(taker.account, taker.instrument, -deal.quantity) }
            }
        case .block:
            if var quote = quotes[deal.maker] {
                quote.locked -= makerConsumed
                quotes[deal.maker] = quote
            }
        case .auction:
            if var auction = auctions[deal.maker] {
                auction.locked -= makerConsumed
                auctions[deal.maker] = auction
            }
            if let takerID = deal.taker, var bid = bids[takerID] {
                bid.locked -= takerConsumed
                bids[takerID] = bid
            }
        }
    }

    private mutating func addOpenBuy(_ account: AccountID, _ instrument: String, _ quantity: Int64) {
        guard let unit = instruments[instrument]?.unit else { return }
        let key = HoldingKey(account: account, unit: unit)
        let value = openBuys[key, default: 0] + quantity
        openBuys[key] = value == 0 ? nil : value
    }
}

extension ExchangeState {
    public mutating func evolve(_ events: [ExchangeEvent]) {
        for event in events { evolve(event) }
    }
}
