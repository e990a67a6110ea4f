/// One-way auction (单向竞价) terms as announced: the applicant sells (bidders buy) or buys
/// (bidders sell) `quantity` tonnes within [floor, ceiling].
public struct AuctionTerms: Hashable, Sendable {
    public enum Pricing: String, Codable, Sendable { case uniform, payAsBid = "pay_as_bid" }
    public enum TieBreak: String, Codable, Sendable { case time, random }

    /// The applicant's side.
    public var side: Side
    public var quantity: Int64
    public var floorPrice: Int64
    public var ceilingPrice: Int64
    public var pricing: Pricing
    public var tieBreak: TieBreak
    /// Fixed and published before the window opens (random tie-break only).
    public var seed: UInt64
    public var minBidQuantity: Int64
    /// A bidder's total fill never exceeds floor(share × quantity); per-mille-exact decimal "0.5".
    public var maxSharePerBidder: ExactDecimal
    public var cancelIfUndersubscribed: Bool
    /// Secondary-market reference price and the cancellation threshold below it, in percent.
    public var referencePrice: Int64?
    public var cancelBelowReferencePercent: ExactDecimal?

    public init(
        side: Side, quantity: Int64, floorPrice: Int64, ceilingPrice: Int64, pricing: Pricing, tieBreak: TieBreak,
        seed: UInt64, minBidQuantity: Int64, maxSharePerBidder: ExactDecimal, cancelIfUndersubscribed: Bool,
        referencePrice: Int64?, cancelBelowReferencePercent: ExactDecimal?
    ) {
        self.side = side
        self.quantity = quantity
        self.floorPrice = floorPrice
        self.ceilingPrice = ceilingPrice
        self.pricing = pricing
        self.tieBreak = tieBreak
        self.seed = seed
        self.minBidQuantity = minBidQuantity
        self.maxSharePerBidder = maxSharePerBidder
        self.cancelIfUndersubscribed = cancelIfUndersubscribed
        self.referencePrice = referencePrice
        self.cancelBelowReferencePercent = cancelBelowReferencePercent
    }

    /// The most one bidder may receive: floor(maxSharePerBidder × quantity), at least 1 t.
    public var capPerBidder: Int64 {
        let share = maxSharePerBidder
        guard share.mantissa > 0 else { return 1 }
        let cap = share.mantissa * Int128(quantity) / power10(share.scale)
        return Int64(max(1, min(Int128(quantity), cap)))
    }
}

public struct AuctionBid: Hashable, Codable, Sendable {
    public var id: String
    public var bidder: String
    public var price: Int64
    public var quantity: Int64
    public var time: Timestamp

    public init(id: String, bidder: String, price: Int64, quantity: Int64, time: Timestamp) {
        self.id = id
        self.bidder = bidder
        self.price = price
        self.quantity = quantity
        self.time = time
    }
}

public struct AuctionResult: Hashable, Codable, Sendable {
    public enum Status: String, Codable, Sendable { case cleared, cancelled }
    public struct Fill: Hashable, Codable, Sendable {
        public var id: String
        public var bidder: String
        public var quantity: Int64
        public var price: Int64
    }
    public struct Rejection: Hashable, Codable, Sendable {
        public var id: String
        public var code: ExchangeErrorCode
        public var reason: String
    }

    public var status: Status
    public var reason: String
    /// Uniform: the price of the least favourable bid that receives a fill (for a sell auction
    /// the lowest). Pay-as-bid: the same marginal price, published for reference.
    public var clearingPrice: Int64?
    /// In allocation order (price priority, then the tie-break).
    public var fills: [Fill]
    public var rejected: [Rejection]
    public var unsold: Int64
}

/// Clears a one-way auction. Pure and deterministic: the same terms and bids give the same
/// result.
///
/// 1. Bids outside [floor, ceiling] (BID_OUTSIDE_RANGE) or under the minimum quantity
///    (BID_BELOW_MINIMUM) are rejected and take no part.
/// 2. Valid bids are ranked by price (highest first when the applicant sells, lowest first when
///    it buys), then by the tie-break: submission time (then id), or a random order fixed by
///    the published seed: key = SplitMix64(seed XOR FNV-1a-64(bid id)), ascending.
/// 3. Allocation walks the ranking; each bid gets min(its quantity, what is left, its bidder's
///    cap minus what the bidder already has). A bidder's lower-ranked (worse-priced) bids are
///    therefore the ones the cap cuts.
/// 4. Cancellation: when the valid bids (after caps) do not cover the quantity and
///    `cancelIfUndersubscribed`; or when the clearing price is more than X % below the
///    reference price (for a buy auction: above). Otherwise unfilled quantity is unsold.
public enum AuctionClearing {
    public static func clear(_ terms: AuctionTerms, bids: [AuctionBid]) -> AuctionResult {
        var rejected: [AuctionResult.Rejection] = []
        var valid: [AuctionBid] = []
        for bid in bids {
            if bid.price < terms.floorPrice || bid.price > terms.ceilingPrice {
                rejected.append(.init(id: bid.id, code: .bidOutsideRange,
                    reason: "price \(Fen.text(bid.price)) outside \(Fen.text(terms.floorPrice))–\(Fen.text(terms.ceilingPrice))"))
            } else if bid.quantity < terms.minBidQuantity || bid.quantity <= 0 {
                rejected.append(.init(id: bid.id, code: .bidBelowMinimum,
                    reason: "quantity \(bid.quantity) under the minimum \(terms.minBidQuantity)"))
            } else {
                valid.append(bid)
            }
        }
        let better: (Int64, Int64) -> Bool = terms.side == .sell ? { $0 > $1 } : { $0 < $1 }
        let ranked: [AuctionBid]
        switch terms.tieBreak {
        case .time:
            ranked = valid.sorted {
                $0.price != $1.price ? better($0.price, $1.price) : ($0.time, $0.id) < ($1.time, $1.id)
            }
        case .random:
            let keyed = valid.map { (bid: $0, key: randomKey(terms.seed, $0.id)) }
            ranked = keyed.sorted {
                $0.bid.price != $1.bid.price
                    ? better($0.bid.price, $1.bid.price) : ($0.key, $0.bid.time, $0.bid.id) < ($1.key, $1.bid.time, $1.bid.id)
            }.map(\.bid)
        }
        let cap = terms.capPerBidder
        var left = terms.quantity
        var given: [String: Int64] = [:]
        var fills: [AuctionResult.Fill] = []
        for bid in ranked where left > 0 {
            let room = cap - given[bid.bidder, default: 0]
            let take = min(bid.quantity, left, room)
            guard take > 0 else { continue }
            given[bid.bidder, default: 0] += take
            left -= take
            fills.append(.init(id: bid.id, bidder: bid.bidder, quantity: take, price: bid.price))
        }
        let marginal = fills.last?.price
        func cancelled(_ reason: String) -> AuctionResult {
            AuctionResult(status: .cancelled, reason: reason, clearingPrice: nil, fills: [], rejected: rejected, unsold: terms.quantity)
        }
        if left > 0 && terms.cancelIfUndersubscribed {
            return cancelled("undersubscribed: valid bids cover \(terms.quantity - left) of \(terms.quantity) t")
        }
        guard let marginal else { return cancelled("no valid bids") }
        if let reference = terms.referencePrice, let percent = terms.cancelBelowReferencePercent {
            // Threshold = reference × (100 ∓ percent) / 100, compared exactly in integers.
            let unit = power10(percent.scale)
            let price = Int128(marginal) * 100 * unit
            let limit = Int128(reference) * (terms.side == .sell ? 100 * unit - percent.mantissa : 100 * unit + percent.mantissa)
            let tooFar = terms.side == .sell ? price < limit : price > limit
            if tooFar {
                return cancelled(
                    "clearing price \(Fen.text(marginal)) is more than \(percent)% \(terms.side == .sell ? "below" : "above") the reference \(Fen.text(reference))")
            }
        }
        if terms.pricing == .uniform {
            for i in fills.indices { fills[i].price = marginal }
        }
        return AuctionResult(status: .cleared, reason: left > 0 ? "partly sold" : "fully sold", clearingPrice: marginal,
            fills: fills, rejected: rejected, unsold: left)
    }

    static func randomKey(_ seed: UInt64, _ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        var generator = SplitMix64(seed: seed ^ hash)
        return generator.next()
    }
}

func power10(_ n: Int) -> Int128 {
    var value: Int128 = 1
    for _ in 0..<n { value *= 10 }
    return value
}
