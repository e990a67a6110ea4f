/// A tradable product: one registry unit type (a CEA vintage, CCER).
public struct Instrument: Hashable, Codable, Sendable {
    public var code: String
    public var unit: UnitTypeCode
    public var label: String
    /// Continuous double auction (automatic price-time matching) instead of the listing
    /// agreement in the listing sessions: for CCER or pilot-style markets.
    public var continuous: Bool
    public var previousClose: Int64

    public init(code: String, unit: UnitTypeCode, label: String, continuous: Bool, previousClose: Int64) {
        self.code = code
        self.unit = unit
        self.label = label
        self.continuous = continuous
        self.previousClose = previousClose
    }
}

/// A registry account admitted to trading, with the group it belongs to (for surveillance).
public struct Member: Hashable, Codable, Sendable {
    public var account: AccountID
    public var type: AccountType
    public var group: String?

    public init(account: AccountID, type: AccountType, group: String?) {
        self.account = account
        self.type = type
        self.group = group
    }

    /// The national or a provincial allowance account, admitted to sell by paid-allocation auction.
    public var isRegulator: Bool { AccountType.paidAllocationSellers.contains(type) }
}

public enum OrderStatus: String, Codable, Sendable {
    case open, filled, cancelled, lapsed
}

/// A listing (挂牌) or a continuous-trading limit order.
public struct Order: Hashable, Codable, Sendable {
    public var id: Int64
    public var account: AccountID
    public var instrument: String
    public var side: Side
    public var price: Int64
    public var quantity: Int64
    public var remaining: Int64
    /// What is still reserved in the registry: tonnes (sell) or fen (buy).
    public var locked: Int64
    public var status: OrderStatus
    public var placedAt: Timestamp

    public init(
        id: Int64, account: AccountID, instrument: String, side: Side, price: Int64, quantity: Int64, remaining: Int64,
        locked: Int64, status: OrderStatus, placedAt: Timestamp
    ) {
        self.id = id
        self.account = account
        self.instrument = instrument
        self.side = side
        self.price = price
        self.quantity = quantity
        self.remaining = remaining
        self.locked = locked
        self.status = status
        self.placedAt = placedAt
    }

    public var lockID: FreezeID { FreezeID("XO-\(id)") }
}

public enum QuoteStatus: String, Codable, Sendable {
    case open, accepted, cancelled, lapsed, superseded
}

/// A block-agreement (大宗协议) quote: public, or directed to named counterparties. A counter
/// is a quote directed to the quoter of its parent.
public struct BlockQuote: Hashable, Codable, Sendable {
    public var id: Int64
    public var account: AccountID
    public var instrument: String
    public var side: Side
    public var price: Int64
    public var quantity: Int64
    public var counterparties: [AccountID]
    public var parent: Int64?
    public var locked: Int64
    public var status: QuoteStatus
    public var quotedAt: Timestamp

    public init(
        id: Int64, account: AccountID, instrument: String, side: Side, price: Int64, quantity: Int64,
        counterparties: [AccountID], parent: Int64?, locked: Int64, status: QuoteStatus, quotedAt: Timestamp
    ) {
        self.id = id
        self.account = account
        self.instrument = instrument
        self.side = side
        self.price = price
        self.quantity = quantity
        self.counterparties = counterparties
        self.parent = parent
        self.locked = locked
        self.status = status
        self.quotedAt = quotedAt
    }

    public var lockID: FreezeID { FreezeID("XQ-\(id)") }
}

public enum AuctionStatus: String, Codable, Sendable {
    case announced, cleared, cancelled
}

/// A one-way auction (单向竞价): the applicant's side, the announced terms and the window.
public struct Auction: Hashable, Codable, Sendable {
    public var id: Int64
    public var applicant: AccountID
    public var instrument: String
    public var side: Side
    public var quantity: Int64
    public var floorPrice: Int64
    public var ceilingPrice: Int64
    public var pricing: AuctionTerms.Pricing
    public var tieBreak: AuctionTerms.TieBreak
    public var seed: UInt64
    public var minBidQuantity: Int64
    /// Cap per bidder, per mille of the volume (500 = 50 %).
    public var maxSharePerMille: Int64
    public var cancelIfUndersubscribed: Bool
    public var referencePrice: Int64?
    public var cancelBelowReferencePercent: Int64?
    public var opensAt: Timestamp
    public var closesAt: Timestamp
    public var locked: Int64
    public var status: AuctionStatus
    public var result: AuctionResult?

    public init(
        id: Int64, applicant: AccountID, instrument: String, side: Side, quantity: Int64, floorPrice: Int64,
        ceilingPrice: Int64, pricing: AuctionTerms.Pricing, tieBreak: AuctionTerms.TieBreak, seed: UInt64,
        minBidQuantity: Int64, maxSharePerMille: Int64, cancelIfUndersubscribed: Bool, referencePrice: Int64?,
        cancelBelowReferencePercent: Int64?, opensAt: Timestamp, closesAt: Timestamp, locked: Int64 = 0,
        status: AuctionStatus = .announced, result: AuctionResult? = nil
    ) {
        self.id = id
        self.applicant = applicant
        self.instrument = instrument
        self.side = side
        self.quantity = quantity
        self.floorPrice = floorPrice
        self.ceilingPrice = ceilingPrice
        self.pricing = pricing
        self.tieBreak = tieBreak
        self.seed = seed
        self.minBidQuantity = minBidQuantity
        self.maxSharePerMille = maxSharePerMille
        self.cancelIfUndersubscribed = cancelIfUndersubscribed
        self.referencePrice = referencePrice
        self.cancelBelowReferencePercent = cancelBelowReferencePercent
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.locked = locked
        self.status = status
        self.result = result
    }

    public var lockID: FreezeID { FreezeID("XA-\(id)") }

    public var terms: AuctionTerms {
        AuctionTerms(
            side: side, quantity: quantity, floorPrice: floorPrice, ceilingPrice: ceilingPrice, pricing: pricing,
            tieBreak: tieBreak, seed: seed, minBidQuantity: minBidQuantity,
            maxSharePerBidder: ExactDecimal(mantissa: Int128(maxSharePerMille), scale: 3),
            cancelIfUndersubscribed: cancelIfUndersubscribed, referencePrice: referencePrice,
            cancelBelowReferencePercent: cancelBelowReferencePercent.map { ExactDecimal($0) })
    }
}

public struct Bid: Hashable, Codable, Sendable {
    public var id: Int64
    public var auction: Int64
    public var account: AccountID
    public var price: Int64
    public var quantity: Int64
    public var locked: Int64
    public var placedAt: Timestamp

    public init(id: Int64, auction: Int64, account: AccountID, price: Int64, quantity: Int64, locked: Int64, placedAt: Timestamp) {
        self.id = id
        self.auction = auction
        self.account = account
        self.price = price
        self.quantity = quantity
        self.locked = locked
        self.placedAt = placedAt
    }

    public var lockID: FreezeID { FreezeID("XB-\(id)") }
}

/// A deal: what the registry settles as one delivery-versus-payment command.
public struct Deal: Hashable, Codable, Sendable {
    public var id: DealID
    public var instrument: String
    public var mode: TradeMode
    public var seller: AccountID
    public var buyer: AccountID
    public var price: Int64
    public var quantity: Int64
    public var amountFen: Int64
    public var sellerFeeFen: Int64
    public var buyerFeeFen: Int64
    /// The resting side (order, quote or auction) and the side that took it (order or bid), if any.
    public var maker: Int64
    public var taker: Int64?
    /// True when the taker was a seller (the deal happened on the bid side).
    public var takerSide: Side
    public var time: Timestamp

    public init(
        id: DealID, instrument: String, mode: TradeMode, seller: AccountID, buyer: AccountID, price: Int64,
        quantity: Int64, amountFen: Int64, sellerFeeFen: Int64, buyerFeeFen: Int64, maker: Int64, taker: Int64?,
        takerSide: Side, time: Timestamp
    ) {
        self.id = id
        self.instrument = instrument
        self.mode = mode
        self.seller = seller
        self.buyer = buyer
        self.price = price
        self.quantity = quantity
        self.amountFen = amountFen
        self.sellerFeeFen = sellerFeeFen
        self.buyerFeeFen = buyerFeeFen
        self.maker = maker
        self.taker = taker
        self.takerSide = takerSide
        self.time = time
    }
}

/// An abnormal-trading alert for the exchange operator, with its evidence.
public struct SurveillanceAlert: Hashable, Codable, Sendable {
    public enum Rule: String, Codable, Sendable, CaseIterable {
        case selfTrade = "self_trade"
        case sameGroup = "same_group"
        case washRoundTrip = "wash_round_trip"
        case placeAndCancel = "place_and_cancel"
        case closeMoving = "close_moving"
        case largeHolder = "large_holder"
    }
    public var rule: Rule
    public var accounts: [AccountID]
    public var instrument: String
    public var deals: [DealID]
    public var evidence: String
    public var raisedAt: Timestamp

    public init(rule: Rule, accounts: [AccountID], instrument: String, deals: [DealID], evidence: String, raisedAt: Timestamp) {
        self.rule = rule
        self.accounts = accounts
        self.instrument = instrument
        self.deals = deals
        self.evidence = evidence
        self.raisedAt = raisedAt
    }
}

/// A closed trading day of one instrument.
public struct DayRecord: Hashable, Codable, Sendable {
    public var date: CivilDate
    public var instrument: String
    public var previousClose: Int64
    public var prices: DailyPrices

    public init(date: CivilDate, instrument: String, previousClose: Int64, prices: DailyPrices) {
        self.date = date
        self.instrument = instrument
        self.previousClose = previousClose
        self.prices = prices
    }
}
