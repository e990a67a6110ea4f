import OpenETSAPI

/// Order entry's JSON in its plainest shape, read and written by hand (`OrderEntryFastPath`;
/// docs/benchmarks.md: Foundation's JSONDecoder and JSONEncoder were ~7 % of the server's CPU
/// under order load). Each function answers only where the result is certainly what the
/// generic coder gives, and nil otherwise, so the caller then takes the generic way:
/// `OrderFastJSONTests` checks both against Foundation's coders on seeded random inputs.
enum OrderFastJSON {
    /// Longest number read here: 18 digits always fit an Int64.
    static let maxDigits = 18

    /// The body `{"instrument":"…","side":"buy"|"sell","priceFen":N,"quantityTonnes":N}`,
    /// the four keys once each in any order, JSON whitespace between tokens, the instrument
    /// printable ASCII without escapes, the numbers integers of at most 18 digits (a leading
    /// `-` allowed, as JSON has it). Anything else — escapes, fractions, exponents, unknown or
    /// repeated keys, other text — is nil.
    static func placeOrder(_ bytes: some Collection<UInt8>) -> Components.Schemas.PlaceOrderRequest? {
        var reader = Reader(bytes: Array(bytes))
        var instrument: String?, side: Components.Schemas.Side?, price: Int64?, quantity: Int64?
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        for index in 0..<4 {
            if index > 0 { guard reader.take(UInt8(ascii: ",")) else { return nil } }
            guard let key = reader.string(), reader.take(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "instrument" where instrument == nil:
                guard let value = reader.string() else { return nil }
                instrument = value
            case "side" where side == nil:
                switch reader.string() {
                case "buy": side = .buy
                case "sell": side = .sell
                default: return nil
                }
            case "priceFen" where price == nil:
                guard let value = reader.integer() else { return nil }
                price = value
            case "quantityTonnes" where quantity == nil:
                guard let value = reader.integer() else { return nil }
                quantity = value
            default:
                return nil
            }
        }
        guard reader.take(UInt8(ascii: "}")), reader.atEnd, let instrument, let side, let price, let quantity else { return nil }
        return Components.Schemas.PlaceOrderRequest(instrument: instrument, side: side, priceFen: price, quantityTonnes: quantity)
    }

    /// A command's result as `JSONEncoder` with sorted keys and unescaped slashes writes it
    /// (absent optionals left out); nil when a string needs escaping (the generic encoder then
    /// writes it).
    static func commandResult(_ result: Components.Schemas.CommandResult) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(96 + 64 * result.deals.count)
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out += name.utf8
            out += "\":".utf8
        }
        func string(_ value: String) -> Bool {
            guard value.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else { return false }
            out.append(UInt8(ascii: "\""))
            out += value.utf8
            out.append(UInt8(ascii: "\""))
            return true
        }
        func integer(_ value: Int64) { out += String(value).utf8 }
        // Keys in sorted order: bidId, deals, freezeId, orderId, quoteId, replayed, seq, transferId.
        out.append(UInt8(ascii: "{"))
        var first = true
        if let bidId = result.bidId {
            key("bidId", first: true)
            integer(bidId)
            first = false
        }
        key("deals", first: first)
        out.append(UInt8(ascii: "["))
        for (index, deal) in result.deals.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += "{\"id\":".utf8
            guard string(deal.id) else { return nil }
            out += ",\"priceFen\":".utf8
            integer(deal.priceFen)
            out += ",\"quantityTonnes\":".utf8
            integer(deal.quantityTonnes)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if let freezeId = result.freezeId {
            key("freezeId")
            guard string(freezeId) else { return nil }
        }
        if let orderId = result.orderId {
            key("orderId")
            integer(orderId)
        }
        if let quoteId = result.quoteId {
            key("quoteId")
            integer(quoteId)
        }
        key("replayed")
        out += (result.replayed ? "true" : "false").utf8
        key("seq")
        integer(result.seq)
        if let transferId = result.transferId {
            key("transferId")
            guard string(transferId) else { return nil }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A cursor over the body; every read skips the JSON whitespace before its token.
    struct Reader {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return at == bytes.count
            }
        }

        mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        /// A string of printable ASCII without escapes.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = at
            while at < bytes.count, bytes[at] != UInt8(ascii: "\"") {
                guard (0x20...0x7E).contains(bytes[at]), bytes[at] != UInt8(ascii: "\\") else { return nil }
                at += 1
            }
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        /// An integer as JSON writes one (no leading zero, no `-0`), at most `maxDigits` digits,
        /// not followed by a fraction or exponent.
        mutating func integer() -> Int64? {
            skipSpace()
            let negative = at < bytes.count && bytes[at] == UInt8(ascii: "-")
            if negative { at += 1 }
            let start = at
            while at < bytes.count, (48...57).contains(bytes[at]) { at += 1 }
            let digits = bytes[start..<at]
            guard !digits.isEmpty, digits.count <= OrderFastJSON.maxDigits, digits.first != 48 || digits.count == 1,
                !(negative && digits == [48])
            else { return nil }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") { return nil }
            var value: Int64 = 0
            for digit in digits { value = value * 10 + Int64(digit - 48) }
            return negative ? -value : value
        }
    }
}
