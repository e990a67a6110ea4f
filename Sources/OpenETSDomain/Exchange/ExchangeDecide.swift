/// The trading rules. `decide` reads the exchange state and the registry (balances, locks,
/// account status) and returns the events and registry commands of an accepted command, or
/// the first rule it breaks. Check order (stable error codes): field values; instrument,
/// member, order/quote/auction existence; day, session and mode; size and price band; open
/// order limit; ownership and counterparties; units (T+1) or funds; position limit.
///
/// Locks: a resting sell reserves its units; a resting buy reserves price × quantity + fee +
/// one fen per tonne (so fee rounding over any split into fills stays covered). Each fill
/// consumes the deal's units or the deal amount + buyer fee from the lock; what is left when
/// the order ends is unlocked. Fees are per side, half up to the fen, split between the
/// clearing account and the risk reserve fund.
extension ExchangeState {
    public func decide(
        _ command: ExchangeCommand, at now: Timestamp, registry: RegistryState, policy: ExchangePolicy,
        registryPolicy: RegistryPolicy = .defaults
    ) throws(ExchangeError) -> ExchangeDecision {
        var rules = TradingRules(exchange: self, registry: registry, policy: policy, registryPolicy: registryPolicy, now: now)
        switch command {
        case .listInstrument(let instrument): try rules.listInstrument(instrument)
        case .admitMember(let account, let group): try rules.admitMember(account, group)
        case .setFeeAccounts(let clearing, let reserve): try rules.setFeeAccounts(clearing, reserve)
        case .openDay(let date): try rules.openDay(date)
        case .closeDay: try rules.closeDay()
        case .placeOrder(let account, let instrument, let side, let price, let quantity):
            try rules.placeOrder(account, instrument, side, price, quantity)
        case .takeOrder(let account, let order, let quantity): try rules.takeOrder(account, order, quantity)
        case .cancelOrder(let account, let order): try rules.cancelOrder(account, order)
        case .quoteBlock(let account, let instrument, let side, let price, let quantity, let counterparties):
            try rules.quoteBlock(account, instrument, side, price, quantity, counterparties, parent: nil)
        case .counterBlock(let account, let quote, let price, let quantity):
            try rules.counterBlock(account, quote, price, quantity)
        case .acceptBlock(let account, let quote): try rules.acceptBlock(account, quote)
        case .cancelQuote(let account, let quote): try rules.cancelQuote(account, quote)
        case .announceAuction(let auction): try rules.announceAuction(auction)
        case .bid(let account, let auction, let price, let quantity): try rules.bid(account, auction, price, quantity)
        case .clearAuction(let auction): try rules.clearAuction(auction)
        case .cancelAuction(let auction, let reason): try rules.cancelAuction(auction, reason)
        }
        return rules.decision
    }
}

private struct TradingRules {
    /// Highest previous close accepted (fen per tonne): keeps a day's price ladder bounded.
    static let maxPrice: Int64 = 10_000_000

    let exchange: ExchangeState
    let registry: RegistryState
    let policy: ExchangePolicy
    /// The registry's named limits: a lock or settlement the registry would refuse is refused here.
    let registryPolicy: RegistryPolicy
    let now: Timestamp
    var decision = ExchangeDecision()
    /// Ids and deal numbers handed out by this command so far.
    var nextID: Int64
    var dealCount: Int64

    init(exchange: ExchangeState, registry: RegistryState, policy: ExchangePolicy, registryPolicy: RegistryPolicy, now: Timestamp) {
        self.exchange = exchange
        self.registry = registry
        self.policy = policy
        self.registryPolicy = registryPolicy
        self.now = now
        self.nextID = exchange.lastID
        self.dealCount = exchange.dealCount
    }

    // MARK: operator

    mutating func listInstrument(_ instrument: Instrument) throws(ExchangeError) {
        guard !instrument.code.isEmpty, instrument.code.count <= 20,
            instrument.code.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || $0 == 45 })
        else { throw ExchangeError(.invalidInput, "instrument code: 1-20 of A-Z, 0-9, -") }
        guard instrument.previousClose > 0, instrument.previousClose <= Self.maxPrice else {
            throw ExchangeError(.invalidPrice, "previous close must be positive and at most \(Fen.text(Self.maxPrice))")
        }
        guard exchange.instruments[instrument.code] == nil else {
            throw ExchangeError(.duplicateInstrument, "instrument \(instrument.code) is listed")
        }
        guard registry.unitTypes[instrument.unit] != nil else {
            throw ExchangeError(.invalidInput, "no registry unit type \(instrument.unit)")
        }
        decision.events.append(.instrumentListed(instrument))
    }

    mutating func admitMember(_ account: AccountID, _ group: String?) throws(ExchangeError) {
        guard let registered = registry.accounts[account] else { throw ExchangeError(.unknownAccount, "no registry account \(account)") }
        guard (AccountType.exchangeTraders + AccountType.paidAllocationSellers).contains(registered.type) else {
            throw ExchangeError(.accountNotAllowed, "\(registered.type.rawValue) accounts do not trade")
        }
        if let group, group.isEmpty || group.count > 64 { throw ExchangeError(.invalidInput, "group: 1-64 characters") }
        decision.events.append(.memberAdmitted(Member(account: account, type: registered.type, group: group)))
    }

    mutating func setFeeAccounts(_ clearing: AccountID, _ reserve: AccountID) throws(ExchangeError) {
        for id in [clearing, reserve] {
            guard let account = registry.accounts[id] else { throw ExchangeError(.unknownAccount, "no registry account \(id)") }
            guard account.type == .exchangeClearing else {
                throw ExchangeError(.accountNotAllowed, "\(id) is not an exchange clearing account")
            }
        }
        guard clearing != reserve else { throw ExchangeError(.invalidInput, "the risk reserve fund needs its own account") }
        decision.events.append(.feeAccountsSet(clearing: clearing, reserve: reserve))
    }

    mutating func openDay(_ date: CivilDate) throws(ExchangeError) {
        guard exchange.tradingDate == nil else {
            throw ExchangeError(.invalidInput, "trading day \(exchange.tradingDate!) is still open")
        }
        guard policy.isTradingDay(date) else { throw ExchangeError(.notTradingDay, "\(date) is not a trading day") }
        if let last = exchange.history.last?.date, date <= last {
            throw ExchangeError(.invalidInput, "\(date) is not after the last closed day \(last)")
        }
        let limits = exchange.instruments.keys.sorted().map { code in
            let band = ExchangePolicy.band(previousClose: exchange.instruments[code]!.previousClose, percent: policy.listingBandPercent)
            return PriceLimits(instrument: code, low: band.low, high: band.high)
        }
        decision.events.append(.dayOpened(date, limits: limits))
    }

    mutating func closeDay() throws(ExchangeError) {
        guard let date = exchange.tradingDate else { throw ExchangeError(.marketClosed, "no trading day is open") }
        for order in exchange.orders.values.sorted(by: { $0.id < $1.id }) {
            end(order, .lapsed)
        }
        for quote in exchange.quotes.values.sorted(by: { $0.id < $1.id }) {
            endQuote(quote, .lapsed)
        }
        var records: [DayRecord] = []
        for code in exchange.instruments.keys.sorted() {
            let instrument = exchange.instruments[code]!
            let deals = exchange.todayDeals.filter { $0.instrument == code }
            let trades = deals.map { PricedTrade(mode: $0.mode, price: $0.price, quantity: $0.quantity, time: $0.time) }
            let prices = DailyPrices(previousClose: instrument.previousClose, trades: trades)
            records.append(DayRecord(date: date, instrument: code, previousClose: instrument.previousClose, prices: prices))
            closeMovingAlert(date, instrument, deals, prices)
        }
        decision.events.append(.dayClosed(date, records: records))
    }

    /// Listing trades in the last minutes of the last session that move the close by more than
    /// the policy's threshold (basis points of the close without them).
    private mutating func closeMovingAlert(_ date: CivilDate, _ instrument: Instrument, _ deals: [Deal], _ prices: DailyPrices) {
        guard let lastSession = policy.listingSessions.last else { return }
        let windowStart = BeijingTime.timestamp(date, hour: 0, minute: lastSession.end - policy.closingWindowMinutes)
        let late = deals.filter { $0.mode == .listing && $0.time >= windowStart }
        guard !late.isEmpty else { return }
        let early = deals.filter { !($0.mode == .listing && $0.time >= windowStart) }
        let without = DailyPrices(
            previousClose: instrument.previousClose,
            trades: early.map { PricedTrade(mode: $0.mode, price: $0.price, quantity: $0.quantity, time: $0.time) })
        let move = (prices.close - without.close).magnitude
        guard Int128(move) * 10_000 > Int128(policy.closeMoveBasisPoints) * Int128(without.close) else { return }
        var accounts: [AccountID] = []
        for deal in late {
            for account in [deal.buyer, deal.seller] where !accounts.contains(account) { accounts.append(account) }
        }
        alert(.closeMoving, accounts, instrument.code, late.map(\.id),
            "listing trades in the last \(policy.closingWindowMinutes) min moved the close from \(Fen.text(without.close)) to \(Fen.text(prices.close))")
    }

    // MARK: listing agreement and continuous trading

    mutating func placeOrder(_ accountID: AccountID, _ code: String, _ side: Side, _ price: Int64, _ quantity: Int64)
        throws(ExchangeError)
    {
        try positive(price, quantity)
        let instrument = try self.instrument(code)
        let member = try self.member(accountID)
        try inSession(policy.listingSessions, "listing")
        guard quantity <= policy.listingMaxQuantity else {
            throw ExchangeError(.sizeNotAllowed, "listing orders are at most \(policy.listingMaxQuantity) t; use a block quote")
        }
        let book = try self.book(code)
        guard book.inBand(price) else {
            throw ExchangeError(
                .priceOutOfBand, "\(Fen.text(price)) is outside today's limits \(Fen.text(book.lowPrice))–\(Fen.text(book.highPrice))")
        }
        guard exchange.openOrders[accountID, default: 0] < policy.maxOpenOrdersPerAccount else {
            throw ExchangeError(.limitExceeded, "maxOpenOrdersPerAccount is \(policy.maxOpenOrdersPerAccount)")
        }
        let locked = try reserve(member, instrument, side, price: price, quantity: quantity, mode: .listing, buffer: true)
        nextID += 1
        var order = Order(
            id: nextID, account: accountID, instrument: code, side: side, price: price, quantity: quantity,
            remaining: quantity, locked: locked, status: .open, placedAt: now)
        decision.events.append(.orderPlaced(order))
        decision.registry.append(lockCommand(order.lockID, accountID, side, instrument, locked, "order \(order.id)"))
        guard instrument.continuous else {
            decision.events.append(.orderRested(order: order.id))
            return
        }
        // Continuous trading: match price-time against the other side first.
        var fills: [BookFill] = []
        _ = book.crossing(side, limit: price, quantity: quantity, into: &fills)
        if fills.contains(where: { exchange.orders[$0.order]!.account == accountID }) {
            throw ExchangeError(.ownOrder, "the order would trade with the account's own resting order (self-trade prevention)")
        }
        if let blocked = fills.first(where: { registry.accounts[exchange.orders[$0.order]!.account]?.status != .open }) {
            throw ExchangeError(
                .accountNotAllowed, "the order would trade with order \(blocked.order) of an account that is not open; it lapses at the close")
        }
        var makers: [Int64: Order] = [:]
        for fill in fills {
            var maker = makers[fill.order] ?? exchange.orders[fill.order]!
            let (seller, buyer) = side == .sell ? (order, maker) : (maker, order)
            let deal = makeDeal(instrument, .listing, seller: seller.account, buyer: buyer.account, price: fill.price,
                quantity: fill.quantity, maker: maker.id, taker: order.id, takerSide: side)
            let makerConsumed = maker.side == .sell ? deal.quantity : deal.amountFen + deal.buyerFeeFen
            let takerConsumed = side == .sell ? deal.quantity : deal.amountFen + deal.buyerFeeFen
            settle(deal, sellerLock: seller.lockID, buyerLock: buyer.lockID)
            decision.events.append(.dealDone(deal, consumedByMaker: makerConsumed, consumedByTaker: takerConsumed))
            dealAlerts(deal, member: member)
            maker.remaining -= fill.quantity
            maker.locked -= makerConsumed
            order.remaining -= fill.quantity
            order.locked -= takerConsumed
            makers[maker.id] = maker
            if maker.remaining == 0 { end(maker, .filled) }
        }
        if order.remaining > 0 {
            decision.events.append(.orderRested(order: order.id))
        } else {
            end(order, .filled)
        }
    }

    mutating func takeOrder(_ accountID: AccountID, _ orderID: Int64, _ quantity: Int64) throws(ExchangeError) {
        guard quantity > 0 else { throw ExchangeError(.invalidQuantity, "quantity must be a positive whole number of tonnes") }
        guard let listing = exchange.orders[orderID] else { throw ExchangeError(.unknownOrder, "no open listing \(orderID)") }
        let instrument = try self.instrument(listing.instrument)
        let member = try self.member(accountID)
        try inSession(policy.listingSessions, "listing")
        guard !instrument.continuous else {
            throw ExchangeError(.modeNotEnabled, "\(instrument.code) trades continuously; place an order instead")
        }
        guard quantity <= listing.remaining else {
            throw ExchangeError(.invalidQuantity, "listing \(orderID) has \(listing.remaining) t left, not \(quantity)")
        }
        guard listing.account != accountID else { throw ExchangeError(.ownOrder, "an account cannot take its own listing") }
        guard registry.accounts[listing.account]?.status == .open else {
            throw ExchangeError(.accountNotAllowed, "listing \(orderID) belongs to an account that is not open")
        }
        let rank = exchange.books[listing.instrument]!.rank(of: orderID)!
        guard rank < OrderBook.bestLevels else {
            throw ExchangeError(.notInBestLevels, "listing \(orderID) is at level \(rank + 1); takers pick within the best \(OrderBook.bestLevels)")
        }
        let side = listing.side.opposite
        _ = try reserve(member, instrument, side, price: listing.price, quantity: quantity, mode: .listing, buffer: false)
        let (seller, buyer) = side == .sell ? (accountID, listing.account) : (listing.account, accountID)
        let deal = makeDeal(instrument, .listing, seller: seller, buyer: buyer, price: listing.price, quantity: quantity,
            maker: orderID, taker: nil, takerSide: side)
        let makerConsumed = listing.side == .sell ? deal.quantity : deal.amountFen + deal.buyerFeeFen
        settle(deal, sellerLock: listing.side == .sell ? listing.lockID : nil, buyerLock: listing.side == .buy ? listing.lockID : nil)
        decision.events.append(.dealDone(deal, consumedByMaker: makerConsumed, consumedByTaker: 0))
        dealAlerts(deal, member: member)
        if quantity == listing.remaining {
            var rest = listing
            rest.remaining = 0
            rest.locked -= makerConsumed
            end(rest, .filled)
        }
    }

    mutating func cancelOrder(_ accountID: AccountID, _ orderID: Int64) throws(ExchangeError) {
        guard let order = exchange.orders[orderID] else { throw ExchangeError(.unknownOrder, "no open order \(orderID)") }
        guard order.account == accountID else { throw ExchangeError(.notOwner, "order \(orderID) belongs to another account") }
        end(order, .cancelled)
        let cancels = exchange.cancelsToday[accountID, default: 0] + 1
        if cancels == policy.placeCancelAlertCount {
            alert(.placeAndCancel, [accountID], order.instrument, [],
                "\(cancels) orders cancelled today (threshold \(policy.placeCancelAlertCount))")
        }
    }

    // MARK: block agreement

    mutating func quoteBlock(
        _ accountID: AccountID, _ code: String, _ side: Side, _ price: Int64, _ quantity: Int64,
        _ counterparties: [AccountID], parent: Int64?
    ) throws(ExchangeError) {
        try positive(price, quantity)
        let instrument = try self.instrument(code)
        let member = try self.member(accountID)
        try inSession(policy.blockSessions, "block")
        guard quantity >= policy.blockMinQuantity, quantity <= policy.blockMaxQuantity else {
            throw ExchangeError(
                .sizeNotAllowed, "block quotes are \(policy.blockMinQuantity)–\(policy.blockMaxQuantity) t; use a listing")
        }
        let band = ExchangePolicy.band(previousClose: instrument.previousClose, percent: policy.blockBandPercent)
        guard price >= band.low && price <= band.high else {
            throw ExchangeError(
                .priceOutOfBand, "\(Fen.text(price)) is outside the block limits \(Fen.text(band.low))–\(Fen.text(band.high))")
        }
        guard counterparties.count <= 20 else { throw ExchangeError(.limitExceeded, "at most 20 named counterparties") }
        for counterparty in counterparties {
            guard exchange.members[counterparty] != nil else { throw ExchangeError(.unknownAccount, "\(counterparty) is not a member") }
            guard counterparty != accountID else { throw ExchangeError(.invalidInput, "a quote cannot name its own account") }
        }
        let locked = try reserve(member, instrument, side, price: price, quantity: quantity, mode: .block, buffer: false)
        nextID += 1
        let quote = BlockQuote(
            id: nextID, account: accountID, instrument: code, side: side, price: price, quantity: quantity,
            counterparties: counterparties, parent: parent, locked: locked, status: .open, quotedAt: now)
        decision.events.append(.quotePosted(quote))
        decision.registry.append(lockCommand(quote.lockID, accountID, side, instrument, locked, "block quote \(quote.id)"))
    }

    mutating func counterBlock(_ accountID: AccountID, _ quoteID: Int64, _ price: Int64, _ quantity: Int64) throws(ExchangeError) {
        let quote = try openQuote(quoteID, for: accountID)
        try quoteBlock(accountID, quote.instrument, quote.side.opposite, price, quantity, [quote.account], parent: quote.id)
    }

    mutating func acceptBlock(_ accountID: AccountID, _ quoteID: Int64) throws(ExchangeError) {
        let quote = try openQuote(quoteID, for: accountID)
        let instrument = try self.instrument(quote.instrument)
        let member = try self.member(accountID)
        try inSession(policy.blockSessions, "block")
        guard registry.accounts[quote.account]?.status == .open else {
            throw ExchangeError(.accountNotAllowed, "quote \(quoteID) belongs to an account that is not open")
        }
        let side = quote.side.opposite
        // Accepting a counter to one's own quote ends that quote: its reservation is released
        // first and counts towards what the acceptor can deliver or pay.
        let parent = quote.parent.flatMap { exchange.quotes[$0] }.flatMap { $0.account == accountID ? $0 : nil }
        _ = try reserve(member, instrument, side, price: quote.price, quantity: quote.quantity, mode: .block, buffer: false,
            released: parent?.locked ?? 0)
        if let parent { endQuote(parent, .superseded) }
        let (seller, buyer) = side == .sell ? (accountID, quote.account) : (quote.account, accountID)
        let deal = makeDeal(instrument, .block, seller: seller, buyer: buyer, price: quote.price, quantity: quote.quantity,
            maker: quote.id, taker: nil, takerSide: side)
        let makerConsumed = quote.side == .sell ? deal.quantity : deal.amountFen + deal.buyerFeeFen
        settle(deal, sellerLock: quote.side == .sell ? quote.lockID : nil, buyerLock: quote.side == .buy ? quote.lockID : nil)
        decision.events.append(.dealDone(deal, consumedByMaker: makerConsumed, consumedByTaker: 0))
        dealAlerts(deal, member: member)
        var rest = quote
        rest.locked -= makerConsumed
        endQuote(rest, .accepted)
    }

    mutating func cancelQuote(_ accountID: AccountID, _ quoteID: Int64) throws(ExchangeError) {
        guard let quote = exchange.quotes[quoteID] else { throw ExchangeError(.unknownQuote, "no open quote \(quoteID)") }
        guard quote.account == accountID else { throw ExchangeError(.notOwner, "quote \(quoteID) belongs to another account") }
        endQuote(quote, .cancelled)
    }

    // MARK: one-way auction

    mutating func announceAuction(_ proposal: Auction) throws(ExchangeError) {
        try positive(1, proposal.quantity)
        let instrument = try self.instrument(proposal.instrument)
        let member = try self.member(proposal.applicant, regulatorMaySell: true)
        if member.isRegulator, proposal.side != .sell {
            throw ExchangeError(.accountNotAllowed, "the regulator's paid-allocation auctions sell allowances; they never buy")
        }
        guard proposal.quantity <= policy.blockMaxQuantity else {
            throw ExchangeError(.limitExceeded, "auction volume is at most \(policy.blockMaxQuantity) t")
        }
        guard proposal.floorPrice > 0, proposal.floorPrice <= proposal.ceilingPrice else {
            throw ExchangeError(.invalidPrice, "floor must be positive and not above the ceiling")
        }
        guard proposal.opensAt < proposal.closesAt, now <= proposal.opensAt else {
            throw ExchangeError(.invalidInput, "the window must open after the announcement and close after it opens")
        }
        guard proposal.minBidQuantity >= 1, proposal.minBidQuantity <= proposal.quantity else {
            throw ExchangeError(.invalidQuantity, "minimum bid must be 1 t to the auction volume")
        }
        guard (1...1000).contains(proposal.maxSharePerMille) else {
            throw ExchangeError(.invalidInput, "cap per bidder is 1–1000 per mille of the volume")
        }
        if let percent = proposal.cancelBelowReferencePercent, !(0...100).contains(percent) || proposal.referencePrice == nil {
            throw ExchangeError(.invalidInput, "cancellation threshold needs a reference price and 0–100 %")
        }
        let price = proposal.side == .buy ? proposal.ceilingPrice : proposal.floorPrice
        let locked = try reserve(member, instrument, proposal.side, price: price, quantity: proposal.quantity, mode: .auction, buffer: true)
        nextID += 1
        var auction = proposal
        auction.id = nextID
        auction.locked = locked
        auction.status = .announced
        auction.result = nil
        decision.events.append(.auctionAnnounced(auction))
        decision.registry.append(lockCommand(auction.lockID, auction.applicant, auction.side, instrument, locked, "auction \(auction.id)"))
    }

    mutating func bid(_ accountID: AccountID, _ auctionID: Int64, _ price: Int64, _ quantity: Int64) throws(ExchangeError) {
        try positive(price, quantity)
        guard let auction = exchange.auctions[auctionID] else { throw ExchangeError(.unknownAuction, "no auction \(auctionID)") }
        let instrument = try self.instrument(auction.instrument)
        let member = try self.member(accountID)
        guard auction.status == .announced, now >= auction.opensAt, now < auction.closesAt else {
            throw ExchangeError(.auctionNotOpen, "auction \(auctionID) takes bids only inside its window")
        }
        guard accountID != auction.applicant else { throw ExchangeError(.ownOrder, "the applicant cannot bid") }
        guard price >= auction.floorPrice, price <= auction.ceilingPrice else {
            throw ExchangeError(
                .bidOutsideRange, "\(Fen.text(price)) outside \(Fen.text(auction.floorPrice))–\(Fen.text(auction.ceilingPrice))")
        }
        guard quantity >= auction.minBidQuantity else {
            throw ExchangeError(.bidBelowMinimum, "bids are at least \(auction.minBidQuantity) t")
        }
        guard quantity <= auction.quantity else {
            throw ExchangeError(.bidOverCap, "a bid cannot exceed the auction volume \(auction.quantity) t")
        }
        let side = auction.side.opposite
        let locked = try reserve(member, instrument, side, price: price, quantity: quantity, mode: .auction, buffer: true)
        nextID += 1
        let bid = Bid(id: nextID, auction: auctionID, account: accountID, price: price, quantity: quantity, locked: locked, placedAt: now)
        decision.events.append(.bidPlaced(bid))
        decision.registry.append(lockCommand(bid.lockID, accountID, side, instrument, locked, "auction \(auctionID) bid \(bid.id)"))
    }

    mutating func clearAuction(_ auctionID: Int64) throws(ExchangeError) {
        guard let auction = exchange.auctions[auctionID] else { throw ExchangeError(.unknownAuction, "no auction \(auctionID)") }
        guard auction.status == .announced else { throw ExchangeError(.auctionNotOpen, "auction \(auctionID) is \(auction.status.rawValue)") }
        guard now >= auction.closesAt else { throw ExchangeError(.auctionNotClosed, "auction \(auctionID) closes later") }
        guard exchange.tradingDate != nil else {
            throw ExchangeError(.marketClosed, "auctions clear on an open trading day, so their deals count in its prices")
        }
        let instrument = try self.instrument(auction.instrument)
        let bids = exchange.bids.values.filter { $0.auction == auctionID }.sorted { $0.id < $1.id }
        // Bidders whose accounts are no longer open take no part (their locks are released below);
        // a blocked applicant cancels the auction.
        let applicantOpen = registry.accounts[auction.applicant]?.status == .open
        let eligible = applicantOpen ? bids.filter { registry.accounts[$0.account]?.status == .open } : []
        var result = AuctionClearing.clear(
            auction.terms,
            bids: eligible.map { AuctionBid(id: String($0.id), bidder: $0.account.rawValue, price: $0.price, quantity: $0.quantity, time: $0.placedAt) })
        if !applicantOpen {
            result = AuctionResult(status: .cancelled, reason: "the applicant's account is not open", clearingPrice: nil, fills: [], rejected: [], unsold: auction.quantity)
        }
        var applicantLeft = auction.locked
        var bidLeft = Dictionary(uniqueKeysWithValues: bids.map { ($0.id, $0.locked) })
        let byID = Dictionary(uniqueKeysWithValues: bids.map { ($0.id, $0) })
        for fill in result.fills {
            let bid = byID[Int64(fill.id)!]!
            let (seller, buyer) = auction.side == .sell ? (auction.applicant, bid.account) : (bid.account, auction.applicant)
            let deal = makeDeal(instrument, .auction, seller: seller, buyer: buyer, price: fill.price, quantity: fill.quantity,
                maker: auction.id, taker: bid.id, takerSide: auction.side.opposite)
            let sellerConsumed = deal.quantity
            let buyerConsumed = deal.amountFen + deal.buyerFeeFen
            let applicantConsumed = auction.side == .sell ? sellerConsumed : buyerConsumed
            let bidConsumed = auction.side == .sell ? buyerConsumed : sellerConsumed
            settle(deal, sellerLock: auction.side == .sell ? auction.lockID : bid.lockID,
                buyerLock: auction.side == .sell ? bid.lockID : auction.lockID)
            decision.events.append(.dealDone(deal, consumedByMaker: applicantConsumed, consumedByTaker: bidConsumed))
            applicantLeft -= applicantConsumed
            bidLeft[bid.id]! -= bidConsumed
        }
        if applicantLeft > 0 { decision.registry.append(.unlock(lock: auction.lockID, quantity: applicantLeft)) }
        for bid in bids where bidLeft[bid.id]! > 0 {
            decision.registry.append(.unlock(lock: bid.lockID, quantity: bidLeft[bid.id]!))
        }
        decision.events.append(.auctionEnded(auction: auctionID, result: result))
    }

    mutating func cancelAuction(_ auctionID: Int64, _ reason: String) throws(ExchangeError) {
        guard let auction = exchange.auctions[auctionID] else { throw ExchangeError(.unknownAuction, "no auction \(auctionID)") }
        guard auction.status == .announced else { throw ExchangeError(.auctionNotOpen, "auction \(auctionID) is \(auction.status.rawValue)") }
        guard !reason.isEmpty, reason.unicodeScalars.count <= registryPolicy.maxTextLength else {
            throw ExchangeError(.invalidInput, "a reason of 1-\(registryPolicy.maxTextLength) characters")
        }
        decision.registry.append(.unlock(lock: auction.lockID, quantity: auction.locked))
        for bid in exchange.bids.values.filter({ $0.auction == auctionID }).sorted(by: { $0.id < $1.id }) {
            decision.registry.append(.unlock(lock: bid.lockID, quantity: bid.locked))
        }
        decision.events.append(
            .auctionEnded(
                auction: auctionID,
                result: AuctionResult(
                    status: .cancelled, reason: "withdrawn by the exchange: \(reason)", clearingPrice: nil, fills: [], rejected: [],
                    unsold: auction.quantity)))
    }

    // MARK: shared

    private func positive(_ price: Int64, _ quantity: Int64) throws(ExchangeError) {
        guard price > 0 else { throw ExchangeError(.invalidPrice, "price must be a positive number of fen (tick 0.01)") }
        guard quantity > 0 else { throw ExchangeError(.invalidQuantity, "quantity must be a positive whole number of tonnes") }
    }

    private func instrument(_ code: String) throws(ExchangeError) -> Instrument {
        guard let instrument = exchange.instruments[code] else { throw ExchangeError(.unknownInstrument, "no instrument \(code)") }
        return instrument
    }

    /// A member whose account is open. The regulator's accounts (members for paid allocation)
    /// only announce selling auctions: `regulatorMaySell` is true there alone.
    private func member(_ account: AccountID, regulatorMaySell: Bool = false) throws(ExchangeError) -> Member {
        guard let member = exchange.members[account] else { throw ExchangeError(.unknownAccount, "\(account) is not a member") }
        guard registry.accounts[account]?.status == .open else {
            throw ExchangeError(.accountNotAllowed, "\(account) is not open in the registry")
        }
        guard regulatorMaySell || !member.isRegulator else {
            throw ExchangeError(.accountNotAllowed, "\(account) sells allowances only by one-way auction (paid allocation)")
        }
        return member
    }

    private func book(_ code: String) throws(ExchangeError) -> OrderBook {
        guard let book = exchange.books[code] else {
            throw ExchangeError(.marketClosed, "\(code) has no book today (listed after the open)")
        }
        return book
    }

    private func inSession(_ sessions: [SessionWindow], _ mode: String) throws(ExchangeError) {
        guard let date = exchange.tradingDate, BeijingTime.date(now) == date else {
            throw ExchangeError(.marketClosed, "no trading day is open")
        }
        let minute = BeijingTime.minuteOfDay(now)
        guard sessions.contains(where: { $0.contains(minute: minute) }) else {
            throw ExchangeError(
                .outsideSession,
                "the \(mode) session is closed at \(SessionWindow.clock(minute)) (open \(sessions.map(\.hours).joined(separator: ", ")), Beijing time)")
        }
    }

    private func openQuote(_ id: Int64, for account: AccountID) throws(ExchangeError) -> BlockQuote {
        guard let quote = exchange.quotes[id] else { throw ExchangeError(.unknownQuote, "no open quote \(id)") }
        guard quote.account != account else { throw ExchangeError(.ownOrder, "an account cannot answer its own quote") }
        guard quote.counterparties.isEmpty || quote.counterparties.contains(account) else {
            throw ExchangeError(.notCounterparty, "quote \(id) is directed to other counterparties")
        }
        return quote
    }

    /// Checks the account can deliver (sell) or pay for (buy) `quantity` at `price`, and
    /// returns what to lock: tonnes, or fen = amount + fee (+ 1 fen per tonne with `buffer`,
    /// for orders that may fill in parts).
    private func reserve(
        _ member: Member, _ instrument: Instrument, _ side: Side, price: Int64, quantity: Int64, mode: TradeMode, buffer: Bool,
        released: Int64 = 0
    ) throws(ExchangeError) -> Int64 {
        let key = HoldingKey(account: member.account, unit: instrument.unit)
        if member.type == .individual {
            let kind = registry.unitTypes[instrument.unit]!.kind
            guard policy.individualsMayTrade(kind) else {
                throw ExchangeError(.accountNotAllowed, "individuals may not trade \(kind.rawValue) (\(instrument.code)) under policy version \(policy.version)")
            }
        }
        guard quantity <= registryPolicy.maxQuantityPerCommand else {
            throw ExchangeError(.limitExceeded, "the registry moves at most \(registryPolicy.maxQuantityPerCommand) t per command")
        }
        switch side {
        case .sell:
            let available = registry.holding(member.account, instrument.unit).available + released
            let sellable = exchange.sellable(registry, member.account, instrument.unit) + released
            guard sellable >= quantity else {
                if available >= quantity {
                    throw ExchangeError(.tPlusOne, "\(member.account) has \(sellable) t sellable; units bought today sell from the next trading day")
                }
                throw ExchangeError(.insufficientUnits, "\(member.account) has \(available) free \(instrument.unit), needs \(quantity)")
            }
            return quantity
        case .buy:
            let (amount, overflow) = price.multipliedReportingOverflow(by: quantity)
            guard !overflow, amount <= 1_000_000_000_000_000 else { throw ExchangeError(.limitExceeded, "order value too large") }
            let needed = amount + policy.fee(mode, amountFen: amount) + (buffer ? quantity : 0)
            guard needed <= registryPolicy.maxAmountFenPerCommand else {
                throw ExchangeError(.limitExceeded, "the registry moves at most \(Fen.text(registryPolicy.maxAmountFenPerCommand)) CNY per command")
            }
            let cash = registry.availableCash(member.account) + released
            guard cash >= needed else {
                throw ExchangeError(
                    .insufficientFunds, "\(member.account) has \(Fen.text(cash)) available, needs \(Fen.text(needed))")
            }
            if let limit = policy.positionLimits[member.type.rawValue] {
                let position = registry.holding(member.account, instrument.unit).total + exchange.openBuys[key, default: 0]
                guard position + quantity <= limit else {
                    throw ExchangeError(.positionLimit, "\(member.account) would hold up to \(position + quantity) t of \(instrument.code); the limit is \(limit) t")
                }
            }
            return needed
        }
    }

    private func lockCommand(_ id: FreezeID, _ account: AccountID, _ side: Side, _ instrument: Instrument, _ quantity: Int64, _ reference: String) -> RegistryCommand {
        .lock(lock: id, account: account, asset: side == .sell ? .units(instrument.unit) : .funds, quantity: quantity, reference: reference)
    }

    private mutating func makeDeal(
        _ instrument: Instrument, _ mode: TradeMode, seller: AccountID, buyer: AccountID, price: Int64, quantity: Int64,
        maker: Int64, taker: Int64?, takerSide: Side
    ) -> Deal {
        dealCount += 1
        let amount = price * quantity
        let charged = exchange.clearingAccount != nil
        return Deal(
            id: DealID("DL-\(dealCount)"), instrument: instrument.code, mode: mode, seller: seller, buyer: buyer, price: price,
            quantity: quantity, amountFen: amount, sellerFeeFen: charged ? policy.fee(mode, amountFen: amount) : 0,
            buyerFeeFen: charged ? policy.fee(mode, amountFen: amount) : 0, maker: maker, taker: taker,
            takerSide: takerSide, time: now)
    }

    private mutating func settle(_ deal: Deal, sellerLock: FreezeID?, buyerLock: FreezeID?) {
        var fees: [FeeLeg] = []
        if let clearing = exchange.clearingAccount, let reserve = exchange.reserveAccount {
            for (payer, fee) in [(deal.seller, deal.sellerFeeFen), (deal.buyer, deal.buyerFeeFen)] where fee > 0 {
                let toReserve = fee * policy.riskReservePercent / 100
                if fee - toReserve > 0 { fees.append(FeeLeg(payer: payer, payee: clearing, amountFen: fee - toReserve)) }
                if toReserve > 0 { fees.append(FeeLeg(payer: payer, payee: reserve, amountFen: toReserve)) }
            }
        }
        decision.registry.append(
            .settle(deal: deal.id, seller: deal.seller, buyer: deal.buyer, unit: exchange.instruments[deal.instrument]!.unit,
                quantity: deal.quantity, amountFen: deal.amountFen, fees: fees, sellerLock: sellerLock, buyerLock: buyerLock))
    }

    private mutating func end(_ order: Order, _ status: OrderStatus) {
        decision.events.append(.orderEnded(order: order.id, status: status, released: order.locked))
        if order.locked > 0 { decision.registry.append(.unlock(lock: order.lockID, quantity: order.locked)) }
    }

    private mutating func endQuote(_ quote: BlockQuote, _ status: QuoteStatus) {
        decision.events.append(.quoteEnded(quote: quote.id, status: status, released: quote.locked))
        if quote.locked > 0 { decision.registry.append(.unlock(lock: quote.lockID, quantity: quote.locked)) }
    }

    private mutating func alert(_ rule: SurveillanceAlert.Rule, _ accounts: [AccountID], _ instrument: String, _ deals: [DealID], _ evidence: String) {
        decision.events.append(
            .alertRaised(SurveillanceAlert(rule: rule, accounts: accounts, instrument: instrument, deals: deals, evidence: evidence, raisedAt: now)))
    }

    /// Surveillance at deal time: self-trades, trades inside one group, wash round trips,
    /// large-holder crossings.
    private mutating func dealAlerts(_ deal: Deal, member: Member) {
        let both = [deal.seller, deal.buyer]
        let sellerOwner = registry.accounts[deal.seller]?.ownerID
        if sellerOwner != nil && sellerOwner == registry.accounts[deal.buyer]?.ownerID {
            alert(.selfTrade, both, deal.instrument, [deal.id], "seller and buyer accounts belong to one legal person \(sellerOwner!)")
        } else if let a = exchange.members[deal.seller]?.group, a == exchange.members[deal.buyer]?.group {
            alert(.sameGroup, both, deal.instrument, [deal.id], "seller and buyer both belong to group \(a)")
        }
        if let earlier = exchange.lastDealBetween["\(deal.buyer)|\(deal.seller)|\(deal.instrument)"] {
            alert(.washRoundTrip, both, deal.instrument, [earlier, deal.id], "\(deal.seller) sold back to \(deal.buyer) what it bought today")
        }
        let unit = exchange.instruments[deal.instrument]!.unit
        let before = registry.holding(deal.buyer, unit).total
        let threshold = policy.largeHolderThreshold
        if before < threshold && before + deal.quantity >= threshold {
            alert(.largeHolder, [deal.buyer], deal.instrument, [deal.id],
                "\(deal.buyer) now holds at least \(before + deal.quantity) t of \(deal.instrument) (report threshold \(threshold) t)")
        }
    }
}
