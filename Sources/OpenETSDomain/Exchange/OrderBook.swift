public enum Side: String, Codable, Sendable, CaseIterable {
    case buy
    case sell

    public var opposite: Side { self == .buy ? .sell : .buy }
}

/// One price level of a book as published: price (fen per tonne), quantity and number of orders.
public struct DepthLevel: Hashable, Codable, Sendable {
    public var price: Int64
    public var quantity: Int64
    public var orders: Int

    public init(price: Int64, quantity: Int64, orders: Int) {
        self.price = price
        self.quantity = quantity
        self.orders = orders
    }
}

/// A resting order as the book sees it.
public struct BookOrder: Hashable, Codable, Sendable {
    public var id: Int64
    public var side: Side
    public var price: Int64
    public var remaining: Int64

    public init(id: Int64, side: Side, price: Int64, remaining: Int64) {
        self.id = id
        self.side = side
        self.price = price
        self.remaining = remaining
    }
}

/// A fill planned against a resting order: the maker, its price and the quantity taken.
public struct BookFill: Hashable, Sendable {
    public var order: Int64
    public var price: Int64
    public var quantity: Int64
    /// Where the maker sits in the book; valid until the book next changes.
    var slot: Int32
}

/// A price-time order book over a dense price ladder: one level per tick between the day's
/// lower and upper price limits, so finding a level is an array index and every operation is
/// O(1) apart from moving the best price past emptied levels.
///
/// Each side keeps its own ladder: in the listing agreement bids and offers may cross and still
/// rest (a taker picks them); in continuous trading the engine matches before resting, so they
/// never cross. Orders in a level form a doubly linked list in a slab of slots, oldest first.
///
/// Reading (`depth`, `crossing`, `rank`) never changes the book, so the engine can decide a
/// command on the book and apply it afterwards (`add`, `take`, `remove`).
public struct OrderBook: Sendable {
    public let lowPrice: Int64
    public let highPrice: Int64

    private struct Level: Sendable {
        var head: Int32 = -1
        var tail: Int32 = -1
        var quantity: Int64 = 0
        var count: Int32 = 0
    }

    private struct Slot: Sendable {
        var id: Int64
        var price: Int64
        var remaining: Int64
        var prev: Int32
        var next: Int32
        var side: Side
    }

    private var bids: [Level]
    private var asks: [Level]
    /// Ladder index of the best bid, or -1.
    private var bestBid: Int
    /// Ladder index of the best ask, or `levelCount`.
    private var bestAsk: Int
    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    private var slotOf: [Int64: Int32] = [:]

    public init(lowPrice: Int64, highPrice: Int64) {
        precondition(lowPrice > 0 && lowPrice <= highPrice && highPrice - lowPrice < 10_000_000)
        self.lowPrice = lowPrice
        self.highPrice = highPrice
        let count = Int(highPrice - lowPrice) + 1
        bids = Array(repeating: Level(), count: count)
        asks = Array(repeating: Level(), count: count)
        bestBid = -1
        bestAsk = count
        slots.reserveCapacity(1024)
    }

    private var levelCount: Int { bids.count }

    public var orderCount: Int { slotOf.count }
    public var isEmpty: Bool { slotOf.isEmpty }
    public func contains(_ id: Int64) -> Bool { slotOf[id] != nil }

    public func inBand(_ price: Int64) -> Bool { price >= lowPrice && price <= highPrice }

    public var bestBidPrice: Int64? { bestBid >= 0 ? lowPrice + Int64(bestBid) : nil }
    public var bestAskPrice: Int64? { bestAsk < levelCount ? lowPrice + Int64(bestAsk) : nil }

    public func order(_ id: Int64) -> BookOrder? {
        guard let index = slotOf[id] else { return nil }
        let slot = slots[Int(index)]
        return BookOrder(id: slot.id, side: slot.side, price: slot.price, remaining: slot.remaining)
    }

    // MARK: reading

    /// Price levels a listing taker may pick from, and the depth the market shows (the
    /// listing agreement's "best 5 price levels", the 5-level book).
    public static let bestLevels = 5

    /// The best `levels` price levels of one side, best first.
    public func depth(_ side: Side, levels: Int = OrderBook.bestLevels) -> [DepthLevel] {
        var result: [DepthLevel] = []
        result.reserveCapacity(levels)
        if side == .buy {
            var i = bestBid
            while i >= 0 && result.count < levels {
                if bids[i].count > 0 { result.append(DepthLevel(price: lowPrice + Int64(i), quantity: bids[i].quantity, orders: Int(bids[i].count))) }
                i -= 1
            }
        } else {
            var i = bestAsk
            while i < levelCount && result.count < levels {
                if asks[i].count > 0 { result.append(DepthLevel(price: lowPrice + Int64(i), quantity: asks[i].quantity, orders: Int(asks[i].count))) }
                i += 1
            }
        }
        return result
    }

    /// How many non-empty levels of the order's side are better than its price: 0 for the best
    /// level. The listing agreement lets a taker pick only orders of rank < `bestLevels`.
    public func rank(of id: Int64) -> Int? {
        guard let index = slotOf[id] else { return nil }
        let slot = slots[Int(index)]
        let target = Int(slot.price - lowPrice)
        var better = 0
        if slot.side == .buy {
            var i = bestBid
            while i > target { if bids[i].count > 0 { better += 1 }; i -= 1 }
        } else {
            var i = bestAsk
            while i < target { if asks[i].count > 0 { better += 1 }; i += 1 }
        }
        return better
    }

    /// Price-time matching plan for an incoming order: the resting orders of the other side
    /// that it meets at `limit` or better, oldest first within a level, up to `quantity`.
    /// Appends to `fills` and returns the quantity left unmatched. Changes nothing.
    public func crossing(_ side: Side, limit: Int64, quantity: Int64, into fills: inout [BookFill]) -> Int64 {
        var left = quantity
        if side == .buy {
            let last = min(Int(limit - lowPrice), levelCount - 1)
            var i = bestAsk
            while left > 0 && i <= last {
                var s = asks[i].head
                while left > 0 && s >= 0 {
                    let slot = slots[Int(s)]
                    let take = min(left, slot.remaining)
                    fills.append(BookFill(order: slot.id, price: slot.price, quantity: take, slot: s))
                    left -= take
                    s = slot.next
                }
                i += 1
            }
        } else {
            let last = max(Int(limit - lowPrice), 0)
            var i = bestBid
            while left > 0 && i >= last {
                var s = bids[i].head
                while left > 0 && s >= 0 {
                    let slot = slots[Int(s)]
                    let take = min(left, slot.remaining)
                    fills.append(BookFill(order: slot.id, price: slot.price, quantity: take, slot: s))
                    left -= take
                    s = slot.next
                }
                i -= 1
            }
        }
        return left
    }

    /// Every resting order, bids best first then asks best first, oldest first within a level.
    public func allOrders() -> [BookOrder] {
        var result: [BookOrder] = []
        for side in Side.allCases {
            let ladder = side == .buy ? bids : asks
            let indices: [Int] = side == .buy ? Array((0..<levelCount).reversed()) : Array(0..<levelCount)
            for i in indices where ladder[i].count > 0 {
                var s = ladder[i].head
                while s >= 0 {
                    let slot = slots[Int(s)]
                    result.append(BookOrder(id: slot.id, side: slot.side, price: slot.price, remaining: slot.remaining))
                    s = slot.next
                }
            }
        }
        return result
    }

    // MARK: changing

    /// Rests an order at the back of its price level.
    public mutating func add(id: Int64, side: Side, price: Int64, quantity: Int64) {
        precondition(inBand(price) && quantity > 0 && slotOf[id] == nil, "order \(id) cannot rest")
        let level = Int(price - lowPrice)
        let slot = Slot(id: id, price: price, remaining: quantity, prev: -1, next: -1, side: side)
        let index: Int32
        if let free = freeSlots.popLast() {
            index = free
            slots[Int(index)] = slot
        } else {
            index = Int32(slots.count)
            slots.append(slot)
        }
        slotOf[id] = index
        var entry = side == .buy ? bids[level] : asks[level]
        link(&entry, index)
        if side == .buy {
            bids[level] = entry
            if level > bestBid { bestBid = level }
        } else {
            asks[level] = entry
            if level < bestAsk { bestAsk = level }
        }
    }

    /// Takes `quantity` from a resting order (a fill); removes it when nothing is left.
    public mutating func take(_ id: Int64, _ quantity: Int64) {
        guard let index = slotOf[id] else { preconditionFailure("order \(id) is not in the book") }
        take(slot: index, quantity)
    }

    /// Applies planned fills (from `crossing`, on an unchanged book).
    public mutating func apply(_ fills: [BookFill]) {
        for fill in fills { take(slot: fill.slot, fill.quantity) }
    }

    /// Removes a resting order (cancel, lapse); returns what was left of it.
    @discardableResult
    public mutating func remove(_ id: Int64) -> BookOrder? {
        guard let index = slotOf[id] else { return nil }
        let slot = slots[Int(index)]
        take(slot: index, slot.remaining)
        return BookOrder(id: slot.id, side: slot.side, price: slot.price, remaining: slot.remaining)
    }

    private mutating func take(slot index: Int32, _ quantity: Int64) {
        let slot = slots[Int(index)]
        precondition(quantity > 0 && quantity <= slot.remaining, "fill of \(quantity) exceeds order \(slot.id)")
        let level = Int(slot.price - lowPrice)
        if slot.side == .buy { bids[level].quantity -= quantity } else { asks[level].quantity -= quantity }
        if quantity < slot.remaining {
            slots[Int(index)].remaining -= quantity
            return
        }
        var entry = slot.side == .buy ? bids[level] : asks[level]
        unlink(&entry, index, slot)
        if slot.side == .buy {
            bids[level] = entry
            if bids[level].count == 0 && level == bestBid {
                while bestBid >= 0 && bids[bestBid].count == 0 { bestBid -= 1 }
            }
        } else {
            asks[level] = entry
            if asks[level].count == 0 && level == bestAsk {
                while bestAsk < levelCount && asks[bestAsk].count == 0 { bestAsk += 1 }
            }
        }
        slotOf[slot.id] = nil
        freeSlots.append(index)
    }

    private mutating func link(_ level: inout Level, _ index: Int32) {
        let quantity = slots[Int(index)].remaining
        if level.tail >= 0 {
            slots[Int(level.tail)].next = index
            slots[Int(index)].prev = level.tail
        } else {
            level.head = index
        }
        level.tail = index
        level.quantity += quantity
        level.count += 1
    }

    private mutating func unlink(_ level: inout Level, _ index: Int32, _ slot: Slot) {
        if slot.prev >= 0 { slots[Int(slot.prev)].next = slot.next } else { level.head = slot.next }
        if slot.next >= 0 { slots[Int(slot.next)].prev = slot.prev } else { level.tail = slot.prev }
        level.count -= 1
    }
}
