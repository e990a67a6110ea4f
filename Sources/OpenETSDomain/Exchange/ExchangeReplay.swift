extension ExchangeState {
    /// Why `event` cannot be applied to this state, or nil when it can.
    ///
    /// `evolve` trusts its events; the verifier replays a journal that may have been rewritten,
    /// so it asks this first and names the entry instead of trapping.
    public func problem(applying event: ExchangeEvent) -> String? {
        switch event {
        case .instrumentListed(let instrument):
            return instruments[instrument.code] == nil ? nil : "instrument \(instrument.code) listed twice"
        case .memberAdmitted, .feeAccountsSet, .alertRaised:
            return nil
        case .dayOpened(_, let limits):
            for limit in limits {
                guard instruments[limit.instrument] != nil else { return "limits for unknown instrument \(limit.instrument)" }
                guard limit.low > 0, limit.low <= limit.high, limit.high - limit.low < 10_000_000 else { return "bad limits for \(limit.instrument)" }
            }
            return nil
        case .orderPlaced(let order):
            guard orders[order.id] == nil else { return "order \(order.id) placed twice" }
            guard instruments[order.instrument] != nil else { return "order for unknown instrument \(order.instrument)" }
            return order.quantity > 0 && order.remaining == order.quantity ? nil : "order \(order.id) has bad quantities"
        case .orderRested(let id):
            guard let order = orders[id], let book = books[order.instrument] else { return "order \(id) cannot rest: unknown or no book" }
            guard !book.contains(id), book.inBand(order.price), order.remaining > 0 else { return "order \(id) cannot rest" }
            return nil
        case .dealDone(let deal, _, _):
            guard instruments[deal.instrument] != nil, deal.quantity > 0 else { return "deal \(deal.id): unknown instrument or quantity" }
            if deal.mode == .listing, let maker = orders[deal.maker] {
                guard maker.remaining >= deal.quantity, (books[deal.instrument]?.order(deal.maker)?.remaining ?? 0) >= deal.quantity else {
                    return "deal \(deal.id) takes more than order \(deal.maker) has"
                }
            }
            if let taker = deal.taker, deal.mode == .listing, let order = orders[taker], order.remaining < deal.quantity {
                return "deal \(deal.id) fills more than order \(taker) has"
            }
            return nil
        case .orderEnded(let id, _, _):
            guard let order = orders[id], openOrders[order.account] != nil else { return "order \(id) is not open" }
            return nil
        case .quotePosted(let quote):
            return quotes[quote.id] == nil && instruments[quote.instrument] != nil ? nil : "quote \(quote.id) posted twice or unknown instrument"
        case .quoteEnded(let id, _, _):
            return quotes[id] == nil ? "quote \(id) is not open" : nil
        case .auctionAnnounced(let auction):
            return auctions[auction.id] == nil && instruments[auction.instrument] != nil ? nil : "auction \(auction.id) announced twice or unknown instrument"
        case .bidPlaced(let bid):
            return auctions[bid.auction] != nil && bids[bid.id] == nil ? nil : "bid \(bid.id) for unknown auction or placed twice"
        case .auctionEnded(let id, _):
            return auctions[id] == nil ? "auction \(id) unknown" : nil
        case .dayClosed(_, let records):
            return records.allSatisfy { instruments[$0.instrument] != nil } ? nil : "day closed for an unknown instrument"
        }
    }
}
