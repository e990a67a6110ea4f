import Crypto
import Foundation
import OpenETSDomain

/// One journal entry: the events of one accepted command, chained to the entry before it.
///
/// `hash = SHA-256("openets-journal-v1\n" + seq + "\n" + prevHash + "\n" + recordedAt + "\n"
/// + kind + "\n" + idempotencyKey + "\n" + body)` in lowercase hex, where `body` is the stored
/// JSON text of the events. Editing any field, or removing or inserting an entry, breaks the chain.
public struct JournalEntry: Hashable, Sendable {
    public var seq: Int64
    public var recordedAt: Timestamp
    public var kind: String
    public var idempotencyKey: String
    public var body: String
    public var prevHash: String
    public var hash: String

    public init(
        seq: Int64, recordedAt: Timestamp, kind: String, idempotencyKey: String, body: String, prevHash: String,
        hash: String
    ) {
        self.seq = seq
        self.recordedAt = recordedAt
        self.kind = kind
        self.idempotencyKey = idempotencyKey
        self.body = body
        self.prevHash = prevHash
        self.hash = hash
    }

    /// A new entry after `previous`, with its hash computed.
    public static func sealed(
        after previous: JournalHead, recordedAt: Timestamp, kind: String, idempotencyKey: String, body: String
    ) -> JournalEntry {
        var entry = JournalEntry(
            seq: previous.seq + 1, recordedAt: recordedAt, kind: kind, idempotencyKey: idempotencyKey, body: body,
            prevHash: previous.hash, hash: "")
        entry.hash = entry.computedHash
        return entry
    }

    public var computedHash: String {
        let content =
            "openets-journal-v1\n\(seq)\n\(prevHash)\n\(recordedAt.millisecondsSinceEpoch)\n\(kind)\n\(idempotencyKey)\n\(body)"
        return sha256Hex(content)
    }

    public var head: JournalHead { JournalHead(seq: seq, hash: hash) }
}

public func sha256Hex(_ text: String) -> String {
    var text = text
    let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    let hexDigits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(64)
    for byte in digest {
        hex.append(hexDigits[Int(byte >> 4)])
        hex.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: hex, as: UTF8.self)
}

/// JSON of journal bodies and idempotency request hashes.
public struct LedgerCodec: Sendable {
    private let canonicalEncoder: JSONEncoder
    private let decoder = JSONDecoder()

    public init() {
        canonicalEncoder = JSONEncoder()
        canonicalEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Sorted keys: the same value always gives the same text (request hashes, stored records).
    public func encode<T: Encodable>(_ value: T) -> String {
        // Our types always encode; a failure here is a programming error.
        String(decoding: try! canonicalEncoder.encode(value), as: UTF8.self)
    }

    /// Journal bodies: the entry hash covers the text as stored, so key order need not be fixed;
    /// written by `StreamingJSON` (several times faster than `JSONEncoder` on these bodies).
    public func encodeBody<T: Encodable>(_ body: T) -> String {
        StreamingJSON.encode(body)
    }

    /// A registry entry's body; the trading path's events written by hand (`EventJSON`).
    public func encodeBody(_ events: [RegistryEvent]) -> String { EventJSON.registry(events) }

    /// An exchange entry's body; the trading path's events written by hand (`EventJSON`).
    public func encodeBody(_ body: ExchangeEntryBody) -> String { EventJSON.body(body) }

    public func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    /// The registry events of an entry: the whole body of a registry entry, the registry part
    /// of an exchange entry.
    public func events(of entry: JournalEntry) throws -> [RegistryEvent] {
        if ExchangeEntryBody.isExchange(entry.kind) { return try decode(ExchangeEntryBody.self, from: entry.body).registry }
        if CCEREntryBody.isCCER(entry.kind) { return try decode(CCEREntryBody.self, from: entry.body).registry }
        return try decode([RegistryEvent].self, from: entry.body)
    }

    /// The CCER events of a CCER entry (kind `ccer.…`); empty for other entries.
    public func ccerEvents(of entry: JournalEntry) throws -> [CCEREvent] {
        guard CCEREntryBody.isCCER(entry.kind) else { return [] }
        return try decode(CCEREntryBody.self, from: entry.body).ccer
    }

    /// The exchange events of an exchange entry; empty for registry entries.
    public func exchangeEvents(of entry: JournalEntry) throws -> [ExchangeEvent] {
        guard ExchangeEntryBody.isExchange(entry.kind) else { return [] }
        return try decode(ExchangeEntryBody.self, from: entry.body).exchange
    }
}

/// The body of an exchange journal entry (kind `exchange.<command kind>`): the exchange's
/// events and the registry events of the locks, settlements and unlocks that went with them,
/// in the order they were applied.
public struct ExchangeEntryBody: Codable, Sendable {
    public var exchange: [ExchangeEvent]
    public var registry: [RegistryEvent]

    public init(exchange: [ExchangeEvent], registry: [RegistryEvent]) {
        self.exchange = exchange
        self.registry = registry
    }

    public static let kindPrefix = "exchange."
    public static func isExchange(_ kind: String) -> Bool { kind.hasPrefix(kindPrefix) }
}
