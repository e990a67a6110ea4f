/// One row of a holding: `quantity` units, free or frozen by one freeze.
///
/// For serialised unit types the block is the serials `first...first+quantity-1`; for fungible
/// unit types `first` is 0 and there is at most one block per freeze tag.
public struct HeldBlock: Hashable, Codable, Sendable {
    public var first: Int64
    public var quantity: Int64
    /// nil: available; otherwise the freeze (pledge, judicial, administrative) holding it.
    public var freeze: FreezeID?

    public init(first: Int64, quantity: Int64, freeze: FreezeID?) {
        self.first = first
        self.quantity = quantity
        self.freeze = freeze
    }

    public var last: Int64 { first + quantity - 1 }
    public var serials: SerialRange { SerialRange(first: first, last: last) }
}

/// What one account holds of one unit type, kept in canonical order so that equal holdings
/// compare equal: serialised blocks by first serial, fungible blocks by freeze tag.
public struct Holding: Hashable, Codable, Sendable {
    public private(set) var blocks: [HeldBlock] = []

    public init() {}

    /// Blocks as stored; put in canonical order here (a database's collation need not sort
    /// freeze tags the way Swift compares strings).
    public init(canonicalBlocks: [HeldBlock]) {
        self.blocks = canonicalBlocks.sorted {
            ($0.first, $0.freeze?.rawValue ?? "") < ($1.first, $1.freeze?.rawValue ?? "")
        }
    }

    public var total: Int64 { blocks.reduce(0) { $0 + $1.quantity } }
    public var isEmpty: Bool { blocks.isEmpty }

    public func quantity(frozenBy tag: FreezeID?) -> Int64 {
        // Fungible blocks (first serial 0; serials start at 1) hold one block per tag, sorted
        // by tag: a binary search, not a walk over an account's thousands of trading locks.
        if let head = blocks.first, head.first == 0 {
            let index = fungibleIndex(tag)
            return index < blocks.count && blocks[index].freeze == tag ? blocks[index].quantity : 0
        }
        return blocks.reduce(0) { $0 + ($1.freeze == tag ? $1.quantity : 0) }
    }

    public var available: Int64 { quantity(frozenBy: nil) }

    /// The lowest serials with `tag` adding up to `quantity`, or nil when there are fewer.
    public func pickSerials(_ quantity: Int64, tag: FreezeID?) -> [SerialRange]? {
        precondition(quantity > 0)
        var remaining = quantity
        var picked: [SerialRange] = []
        for block in blocks where block.freeze == tag {
            let take = min(remaining, block.quantity)
            picked.append(SerialRange(first: block.first, last: block.first + take - 1))
            remaining -= take
            if remaining == 0 { return picked }
        }
        return nil
    }

    // MARK: fungible

    public mutating func removeFungible(_ quantity: Int64, tag: FreezeID?) {
        let index = fungibleIndex(tag)
        guard index < blocks.count, blocks[index].freeze == tag, blocks[index].quantity >= quantity else {
            preconditionFailure("removing \(quantity) units not held (event does not match state)")
        }
        blocks[index].quantity -= quantity
        if blocks[index].quantity == 0 { blocks.remove(at: index) }
    }

    public mutating func addFungible(_ quantity: Int64, tag: FreezeID?) {
        precondition(quantity > 0)
        let index = fungibleIndex(tag)
        if index < blocks.count, blocks[index].freeze == tag {
            blocks[index].quantity += quantity
        } else {
            blocks.insert(HeldBlock(first: 0, quantity: quantity, freeze: tag), at: index)
        }
    }

    /// Fungible blocks are sorted by freeze tag (free units, tag nil, first): the index of
    /// `tag`'s block, or where it belongs. Binary search, so an account with thousands of
    /// trading locks stays cheap to change.
    private func fungibleIndex(_ tag: FreezeID?) -> Int {
        let key = tag?.rawValue ?? ""
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if (blocks[middle].freeze?.rawValue ?? "") < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: serialised

    public mutating func removeSerials(_ range: SerialRange, tag: FreezeID?) {
        guard let index = blocks.firstIndex(where: { $0.freeze == tag && $0.first <= range.first && range.last <= $0.last })
        else { preconditionFailure("removing serials \(range) not held (event does not match state)") }
        let block = blocks[index]
        var replacement: [HeldBlock] = []
        if block.first < range.first {
            replacement.append(HeldBlock(first: block.first, quantity: range.first - block.first, freeze: tag))
        }
        if range.last < block.last {
            replacement.append(HeldBlock(first: range.last + 1, quantity: block.last - range.last, freeze: tag))
        }
        blocks.replaceSubrange(index...index, with: replacement)
    }

    public mutating func addSerials(_ ranges: [SerialRange], tag: FreezeID?) {
        for range in ranges {
            blocks.append(HeldBlock(first: range.first, quantity: range.count, freeze: tag))
        }
        blocks.sort { $0.first < $1.first }
        var merged: [HeldBlock] = []
        merged.reserveCapacity(blocks.count)
        for block in blocks {
            if let previous = merged.last {
                precondition(previous.last < block.first, "serials \(block.first) held twice in one holding")
                if previous.freeze == block.freeze && previous.last + 1 == block.first {
                    merged[merged.count - 1].quantity += block.quantity
                    continue
                }
            }
            merged.append(block)
        }
        blocks = merged
    }

    // MARK: either

    /// Removes what a movement names: serials for serialised types, a quantity otherwise.
    public mutating func remove(_ lot: Lot, tag: FreezeID?) {
        if lot.serials.isEmpty {
            removeFungible(lot.quantity, tag: tag)
        } else {
            for range in lot.serials { removeSerials(range, tag: tag) }
        }
    }

    public mutating func add(_ lot: Lot, tag: FreezeID?) {
        if lot.serials.isEmpty {
            addFungible(lot.quantity, tag: tag)
        } else {
            addSerials(lot.serials, tag: tag)
        }
    }
}

/// A quantity of one unit type in motion: for serialised types also the exact serials.
public struct Lot: Hashable, Codable, Sendable {
    public var quantity: Int64
    /// Empty for fungible unit types; otherwise ranges whose counts add up to `quantity`.
    public var serials: [SerialRange]

    public init(quantity: Int64, serials: [SerialRange]) {
        precondition(serials.isEmpty || serials.reduce(0, { $0 + $1.count }) == quantity)
        self.quantity = quantity
        self.serials = serials
    }
}

public struct HoldingKey: Hashable, Codable, Sendable, Comparable {
    public var account: AccountID
    public var unit: UnitTypeCode

    public init(account: AccountID, unit: UnitTypeCode) {
        self.account = account
        self.unit = unit
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.account, lhs.unit) < (rhs.account, rhs.unit)
    }
}
