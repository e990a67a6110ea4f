/// Collections whose copies share almost all of their storage.
///
/// The registry service keeps three versions of the market at once (committed, being written,
/// being decided). With a plain `Dictionary` or `Array`, the first change to a version copies
/// the whole collection, so a map that only grows (every settled deal, every deal of the day)
/// was copied once per batch: its cost grew with the size of the market, not with the batch.
/// These types keep most elements in immutable, shared layers and only a small part mutable,
/// so a copy costs O(log n) retains plus at most `mutableLimit` elements.

/// A map of keys to values as a stack of immutable layers (oldest first) plus a small mutable
/// top. A full top becomes a layer; a layer as large as the one below it is merged into it (a
/// binary counter), so for a map that only gains keys (settled deals) there are at most
/// log₂(n / mutableLimit) + 1 layers and each entry is copied as often over its life; overwrites
/// and removals make merged layers smaller and may add a few more. A removal of a key held in a
/// layer is a tombstone in the top.
///
/// The top's limit trades the copy of the top (once per batch of the service: a few thousand
/// entries at most) against merges and lookups (fewer layers).
public struct LayeredMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Entries the mutable top holds before it becomes a layer, by default.
    public static var defaultMutableLimit: Int { 4_096 }

    final class Layer: Sendable {
        let entries: [Key: Value?]
        init(_ entries: [Key: Value?]) { self.entries = entries }
    }

    private var layers: [Layer] = []
    private var top: [Key: Value?] = [:]
    public private(set) var count = 0
    /// Entries the mutable top holds before it becomes a layer.
    public let mutableLimit: Int

    public init(mutableLimit: Int = Self.defaultMutableLimit) {
        precondition(mutableLimit >= 1)
        self.mutableLimit = mutableLimit
    }

    public init(_ dictionary: [Key: Value], mutableLimit: Int = Self.defaultMutableLimit) {
        self.init(mutableLimit: mutableLimit)
        if !dictionary.isEmpty { layers = [Layer(dictionary.mapValues { Optional($0) })] }
        count = dictionary.count
    }

    public var isEmpty: Bool { count == 0 }

    public subscript(key: Key) -> Value? {
        get {
            if let entry = top[key] { return entry }
            for layer in layers.reversed() {
                if let entry = layer.entries[key] { return entry }
            }
            return nil
        }
        set {
            let old = self[key]
            switch (old, newValue) {
            case (nil, nil): return
            case (nil, _?): count += 1
            case (_?, nil): count -= 1
            case (_?, _?): break
            }
            if newValue == nil && !layers.contains(where: { $0.entries[key] != nil }) {
                top.removeValue(forKey: key)
            } else {
                top[key] = .some(newValue)
            }
            if top.count >= mutableLimit { flush() }
        }
    }

    /// The entries as one dictionary (O(n): for readers, reports and comparisons).
    public var dictionary: [Key: Value] {
        var result: [Key: Value] = [:]
        result.reserveCapacity(count)
        for layer in layers { Self.overlay(layer.entries, on: &result) }
        Self.overlay(top, on: &result)
        return result
    }

    public var keys: Dictionary<Key, Value>.Keys { dictionary.keys }
    public var values: Dictionary<Key, Value>.Values { dictionary.values }

    private static func overlay(_ entries: [Key: Value?], on result: inout [Key: Value]) {
        for (key, entry) in entries { result[key] = entry }
    }

    private mutating func flush() {
        layers.append(Layer(top))
        top = [:]
        while layers.count >= 2, layers[layers.count - 1].entries.count >= layers[layers.count - 2].entries.count {
            let newer = layers.removeLast()
            let older = layers.removeLast()
            var merged = older.entries
            merged.reserveCapacity(older.entries.count + newer.entries.count)
            for (key, entry) in newer.entries { merged[key] = entry }
            if layers.isEmpty { merged = merged.filter { $0.value != nil } }  // the bottom needs no tombstones
            layers.append(Layer(merged))
        }
    }
}

extension LayeredMap: Sequence {
    public func makeIterator() -> Dictionary<Key, Value>.Iterator { dictionary.makeIterator() }
}

extension LayeredMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (Key, Value)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}

extension LayeredMap: Equatable where Value: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.dictionary == rhs.dictionary
    }
}

extension LayeredMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(dictionary) }
}

/// An array that only grows at the end (or is emptied), kept as immutable chunks of
/// `chunkSize` elements plus a mutable tail: a copy costs one retain per chunk plus the tail.
public struct AppendOnlyArray<Element: Sendable>: Sendable {
    public static var chunkSize: Int { 512 }

    final class Chunk: Sendable {
        let elements: [Element]
        init(_ elements: [Element]) { self.elements = elements }
    }

    private var chunks: [Chunk] = []
    private var tail: [Element] = []

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    public mutating func append(_ element: Element) {
        tail.append(element)
        if tail.count == Self.chunkSize {
            chunks.append(Chunk(tail))
            tail = []
        }
    }

    public mutating func removeAll() {
        chunks = []
        tail = []
    }
}

extension AppendOnlyArray: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { chunks.count * Self.chunkSize + tail.count }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < endIndex, "index \(position) out of range")
        let chunk = position / Self.chunkSize
        return chunk < chunks.count ? chunks[chunk].elements[position % Self.chunkSize] : tail[position - chunks.count * Self.chunkSize]
    }
}

extension AppendOnlyArray: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension AppendOnlyArray: Equatable where Element: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.elementsEqual(rhs) }
}

extension AppendOnlyArray: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in self { hasher.combine(element) }
    }
}
