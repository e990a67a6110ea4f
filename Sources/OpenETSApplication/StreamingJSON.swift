/// A JSON encoder for journal bodies that writes straight into a byte buffer.
///
/// Foundation's `JSONEncoder` builds a tree of boxed values and then serialises it; for the
/// small, numerous bodies of the journal that tree is most of the cost of a commit. This
/// encoder writes each value as it is encoded: keys in the order the type encodes them (not
/// sorted — bodies are stored as text and the entry hash covers the text as stored), strings
/// escaped as RFC 8259 requires, integers in decimal. `JSONDecoder` reads its output.
///
/// Containers are closed lazily: a container stays open until a value is written at its level
/// or above, or the encoding ends. This is correct for types that encode their containers one
/// after another (every synthesised `Codable` conformance, and every conformance in this
/// repository); a type that interleaves writes to two sibling containers would need
/// `JSONEncoder`. `StreamingJSONTests` checks the round trip over every kind of journal event.
public enum StreamingJSON {
    public static func encode<T: Encodable>(_ value: T) -> String {
        let sink = Sink()
        let encoder = StreamingEncoder(sink: sink, level: 0)
        do {
            try value.encode(to: encoder)
        } catch {
            // The encoder itself never throws; a type's own encode(to:) may. Our types do not.
            preconditionFailure("StreamingJSON: \(T.self) failed to encode: \(error)")
        }
        sink.ensureValueWritten(since: 0)
        sink.close(above: -1)
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    final class Sink {
        struct Open {
            var level: Int
            var object: Bool
            var count: Int
        }

        var bytes: [UInt8] = []
        var open: [Open] = []

        init() { bytes.reserveCapacity(512) }

        /// Closes every open container deeper than `level`.
        func close(above level: Int) {
            while let last = open.last, last.level > level {
                bytes.append(last.object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                open.removeLast()
            }
        }

        /// Prepares the slot for the next element of the container at `level`: closes deeper
        /// containers and writes the separator.
        func nextElement(at level: Int) {
            close(above: level)
            guard let last = open.indices.last, open[last].level == level else {
                preconditionFailure("StreamingJSON: a container was written to after a sibling was opened")
            }
            if open[last].count > 0 { bytes.append(UInt8(ascii: ",")) }
            open[last].count += 1
        }

        func key(_ key: String, at level: Int) {
            nextElement(at: level)
            string(key)
            bytes.append(UInt8(ascii: ":"))
        }

        func openContainer(at level: Int, object: Bool) {
            bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
            open.append(Open(level: level, object: object, count: 0))
        }

        /// A value whose encode(to:) wrote nothing is an empty object, as with `JSONEncoder`.
        func ensureValueWritten(since mark: Int) {
            if bytes.count == mark { bytes.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")]) }
        }

        func string(_ text: String) { JSONBytes.appendString(text, to: &bytes) }

        func integer<I: BinaryInteger>(_ value: I) { JSONBytes.appendInteger(value, to: &bytes) }

        func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
        func null() { bytes.append(contentsOf: "null".utf8) }

        func floating<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) {
            // Not used by journal bodies (amounts are integers); written as Swift prints them.
            precondition(value.isFinite, "StreamingJSON: non-finite number")
            bytes.append(contentsOf: "\(value)".utf8)
        }
    }
}

private struct StreamingEncoder: Encoder {
    let sink: StreamingJSON.Sink
    /// The level a container opened by this encoder gets.
    let level: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // Asking twice for the container of one value (as class hierarchies do) reuses it.
        if let last = sink.open.last, last.level == level, last.object {
            return KeyedEncodingContainer(StreamingKeyedContainer<Key>(sink: sink, level: level))
        }
        sink.openContainer(at: level, object: true)
        return KeyedEncodingContainer(StreamingKeyedContainer<Key>(sink: sink, level: level))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        sink.openContainer(at: level, object: false)
        return StreamingUnkeyedContainer(sink: sink, level: level)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValue(sink: sink, level: level)
    }
}

/// Writes one value into the current slot (the key or separator is already written).
private func writeValue<T: Encodable>(_ value: T, sink: StreamingJSON.Sink, level: Int) throws {
    // No dynamic casts: String, integers and Bool encode themselves through a single-value container.
    let mark = sink.bytes.count
    try value.encode(to: StreamingEncoder(sink: sink, level: level))
    sink.ensureValueWritten(since: mark)
}

private struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: StreamingJSON.Sink
    let level: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.null()
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.bool(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.string(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.floating(value)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.floating(value)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.integer(value)
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.integer(value)
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.integer(value)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        sink.integer(value)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        sink.key(key.stringValue, at: level)
        try writeValue(value, sink: sink, level: level + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        sink.key(key.stringValue, at: level)
        sink.openContainer(at: level + 1, object: true)
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(sink: sink, level: level + 1))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        sink.key(key.stringValue, at: level)
        sink.openContainer(at: level + 1, object: false)
        return StreamingUnkeyedContainer(sink: sink, level: level + 1)
    }

    mutating func superEncoder() -> any Encoder {
        sink.key("super", at: level)
        return StreamingEncoder(sink: sink, level: level + 1)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        sink.key(key.stringValue, at: level)
        return StreamingEncoder(sink: sink, level: level + 1)
    }
}

private struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let sink: StreamingJSON.Sink
    let level: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int { sink.open.last(where: { $0.level == level })?.count ?? 0 }

    mutating func encodeNil() throws {
        sink.nextElement(at: level)
        sink.null()
    }
    mutating func encode(_ value: Bool) throws {
        sink.nextElement(at: level)
        sink.bool(value)
    }
    mutating func encode(_ value: String) throws {
        sink.nextElement(at: level)
        sink.string(value)
    }
    mutating func encode(_ value: Int64) throws {
        sink.nextElement(at: level)
        sink.integer(value)
    }
    mutating func encode(_ value: Int) throws {
        sink.nextElement(at: level)
        sink.integer(value)
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        sink.nextElement(at: level)
        try writeValue(value, sink: sink, level: level + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        sink.nextElement(at: level)
        sink.openContainer(at: level + 1, object: true)
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(sink: sink, level: level + 1))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        sink.nextElement(at: level)
        sink.openContainer(at: level + 1, object: false)
        return StreamingUnkeyedContainer(sink: sink, level: level + 1)
    }

    mutating func superEncoder() -> any Encoder {
        sink.nextElement(at: level)
        return StreamingEncoder(sink: sink, level: level + 1)
    }
}

private struct StreamingSingleValue: SingleValueEncodingContainer {
    let sink: StreamingJSON.Sink
    let level: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { sink.null() }
    mutating func encode(_ value: Bool) throws { sink.bool(value) }
    mutating func encode(_ value: String) throws { sink.string(value) }
    mutating func encode(_ value: Double) throws { sink.floating(value) }
    mutating func encode(_ value: Float) throws { sink.floating(value) }
    mutating func encode(_ value: Int) throws { sink.integer(value) }
    mutating func encode(_ value: Int8) throws { sink.integer(value) }
    mutating func encode(_ value: Int16) throws { sink.integer(value) }
    mutating func encode(_ value: Int32) throws { sink.integer(value) }
    mutating func encode(_ value: Int64) throws { sink.integer(value) }
    mutating func encode(_ value: UInt) throws { sink.integer(value) }
    mutating func encode(_ value: UInt8) throws { sink.integer(value) }
    mutating func encode(_ value: UInt16) throws { sink.integer(value) }
    mutating func encode(_ value: UInt32) throws { sink.integer(value) }
    mutating func encode(_ value: UInt64) throws { sink.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writeValue(value, sink: sink, level: level) }
}
