import OpenETSDomain

/// Journal bodies, written by hand for the events of the trading path (locks, unlocks,
/// settlements, orders, deals) and by `StreamingJSON` for every other event.
///
/// The hand-written events have exactly the JSON shape their synthesised `Codable`
/// conformances give (`{"case":{"label":value,…}}`, `_0` for an unlabelled value, nil
/// optionals left out), so `JSONDecoder` reads them back as the same values. They skip the
/// `Encoder` protocol's boxed containers and dynamic calls, which cost most of an order's
/// encoding. `StreamingJSONTests` compares every demo-journal entry with `JSONEncoder`'s
/// output: a field added to one of these types and not written here fails that test.
enum EventJSON {
    static func body(_ body: ExchangeEntryBody) -> String {
        var out = JSONBytes()
        out.raw("{\"exchange\":[")
        for (index, event) in body.exchange.enumerated() {
            if index > 0 { out.raw(",") }
            exchange(event, &out)
        }
        out.raw("],\"registry\":")
        registryList(body.registry, &out)
        out.raw("}")
        return out.text
    }

    static func registry(_ events: [RegistryEvent]) -> String {
        var out = JSONBytes()
        registryList(events, &out)
        return out.text
    }

    private static func registryList(_ events: [RegistryEvent], _ out: inout JSONBytes) {
        out.raw("[")
        for (index, event) in events.enumerated() {
            if index > 0 { out.raw(",") }
            registry(event, &out)
        }
        out.raw("]")
    }

    private static func registry(_ event: RegistryEvent, _ out: inout JSONBytes) {
        switch event {
        case .locked(let lock, let lot):
            out.raw("{\"locked\":{\"_0\":{\"id\":")
            out.string(lock.id.rawValue)
            out.raw(",\"account\":")
            out.string(lock.account.rawValue)
            out.raw(",\"asset\":")
            switch lock.asset {
            case .funds: out.raw("{\"funds\":{}}")
            case .units(let code):
                out.raw("{\"units\":{\"_0\":")
                out.string(code.rawValue)
                out.raw("}}")
            }
            out.raw(",\"quantity\":")
            out.int(lock.quantity)
            out.raw(",\"reference\":")
            out.string(lock.reference)
            out.raw(",\"createdAt\":")
            out.int(lock.createdAt.millisecondsSinceEpoch)
            out.raw("},\"lot\":")
            self.lot(lot, &out)
            out.raw("}}")
        case .unlocked(let lock, let lot):
            out.raw("{\"unlocked\":{\"lock\":")
            out.string(lock.rawValue)
            out.raw(",\"lot\":")
            self.lot(lot, &out)
            out.raw("}}")
        case .unitsMoved(let kind, let from, let to, let unit, let lot):
            out.raw("{\"unitsMoved\":{\"kind\":")
            out.string(kind.rawValue)
            out.raw(",\"from\":")
            out.string(from.rawValue)
            out.raw(",\"to\":")
            out.string(to.rawValue)
            out.raw(",\"unit\":")
            out.string(unit.rawValue)
            out.raw(",\"lot\":")
            self.lot(lot, &out)
            out.raw("}}")
        case .fundsMoved(let kind, let from, let to, let amount, let deal):
            out.raw("{\"fundsMoved\":{\"kind\":")
            out.string(kind.rawValue)
            out.raw(",\"from\":")
            out.string(from.rawValue)
            out.raw(",\"to\":")
            out.string(to.rawValue)
            out.raw(",\"amountFen\":")
            out.int(amount)
            out.raw(",\"deal\":")
            out.string(deal.rawValue)
            out.raw("}}")
        case .dealSettled(let s):
            out.raw("{\"dealSettled\":{\"_0\":{\"deal\":")
            out.string(s.deal.rawValue)
            out.raw(",\"seller\":")
            out.string(s.seller.rawValue)
            out.raw(",\"buyer\":")
            out.string(s.buyer.rawValue)
            out.raw(",\"unit\":")
            out.string(s.unit.rawValue)
            out.raw(",\"quantity\":")
            out.int(s.quantity)
            out.raw(",\"amountFen\":")
            out.int(s.amountFen)
            out.raw(",\"settledAt\":")
            out.int(s.settledAt.millisecondsSinceEpoch)
            out.raw("}}}")
        default:
            out.append(StreamingJSON.encode(event))
        }
    }

    private static func lot(_ lot: Lot, _ out: inout JSONBytes) {
        out.raw("{\"quantity\":")
        out.int(lot.quantity)
        out.raw(",\"serials\":[")
        for (index, range) in lot.serials.enumerated() {
            out.raw(index > 0 ? ",{\"first\":" : "{\"first\":")
            out.int(range.first)
            out.raw(",\"last\":")
            out.int(range.last)
            out.raw("}")
        }
        out.raw("]}")
    }

    private static func exchange(_ event: ExchangeEvent, _ out: inout JSONBytes) {
        switch event {
        case .orderPlaced(let order):
            out.raw("{\"orderPlaced\":{\"_0\":{\"id\":")
            out.int(order.id)
            out.raw(",\"account\":")
            out.string(order.account.rawValue)
            out.raw(",\"instrument\":")
            out.string(order.instrument)
            out.raw(",\"side\":")
            out.string(order.side.rawValue)
            out.raw(",\"price\":")
            out.int(order.price)
            out.raw(",\"quantity\":")
            out.int(order.quantity)
            out.raw(",\"remaining\":")
            out.int(order.remaining)
            out.raw(",\"locked\":")
            out.int(order.locked)
            out.raw(",\"status\":")
            out.string(order.status.rawValue)
            out.raw(",\"placedAt\":")
            out.int(order.placedAt.millisecondsSinceEpoch)
            out.raw("}}}")
        case .orderRested(let order):
            out.raw("{\"orderRested\":{\"order\":")
            out.int(order)
            out.raw("}}")
        case .orderEnded(let order, let status, let released):
            out.raw("{\"orderEnded\":{\"order\":")
            out.int(order)
            out.raw(",\"status\":")
            out.string(status.rawValue)
            out.raw(",\"released\":")
            out.int(released)
            out.raw("}}")
        case .dealDone(let deal, let byMaker, let byTaker):
            out.raw("{\"dealDone\":{\"_0\":{\"id\":")
            out.string(deal.id.rawValue)
            out.raw(",\"instrument\":")
            out.string(deal.instrument)
            out.raw(",\"mode\":")
            out.string(deal.mode.rawValue)
            out.raw(",\"seller\":")
            out.string(deal.seller.rawValue)
            out.raw(",\"buyer\":")
            out.string(deal.buyer.rawValue)
            out.raw(",\"price\":")
            out.int(deal.price)
            out.raw(",\"quantity\":")
            out.int(deal.quantity)
            out.raw(",\"amountFen\":")
            out.int(deal.amountFen)
            out.raw(",\"sellerFeeFen\":")
            out.int(deal.sellerFeeFen)
            out.raw(",\"buyerFeeFen\":")
            out.int(deal.buyerFeeFen)
            out.raw(",\"maker\":")
            out.int(deal.maker)
            if let taker = deal.taker {
                out.raw(",\"taker\":")
                out.int(taker)
            }
            out.raw(",\"takerSide\":")
            out.string(deal.takerSide.rawValue)
            out.raw(",\"time\":")
            out.int(deal.time.millisecondsSinceEpoch)
            out.raw("},\"consumedByMaker\":")
            out.int(byMaker)
            out.raw(",\"consumedByTaker\":")
            out.int(byTaker)
            out.raw("}}")
        default:
            out.append(StreamingJSON.encode(event))
        }
    }
}

/// The postings of one journal entry as a JSON array in `Posting`'s `Codable` shape,
/// `[{"account":…,"asset":…,"amount":…}]`, written by hand (it is on the write path of every
/// entry) and read back by `LedgerCodec` (verification only).
public enum PostingsJSON {
    public static func encode(_ postings: [Posting]) -> String {
        var out = JSONBytes()
        out.raw("[")
        for (i, posting) in postings.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{\"account\":")
            out.string(posting.account)
            out.raw(",\"asset\":")
            out.string(posting.asset)
            out.raw(",\"amount\":")
            out.int(posting.amount)
            out.raw("}")
        }
        out.raw("]")
        return out.text
    }
}
/// A growing UTF-8 buffer with JSON's string escaping and decimal integers.
struct JSONBytes {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1_024) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ json: String) { bytes.append(contentsOf: json.utf8) }

    mutating func int(_ value: Int64) { JSONBytes.appendInteger(value, to: &bytes) }

    mutating func string(_ text: String) { JSONBytes.appendString(text, to: &bytes) }

    static func appendInteger<I: BinaryInteger>(_ value: I, to bytes: inout [UInt8]) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        var magnitude = value.magnitude
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    /// RFC 8259 string: quotes, backslashes and control characters escaped; the rest as UTF-8.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        let copied = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if !copied {
            let hex = Array("0123456789abcdef".utf8)
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x00..<0x20:
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0f)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
