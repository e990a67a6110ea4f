import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// Journal bodies are written by `StreamingJSON`, read by `JSONDecoder`. Every kind of entry
/// the demo market produces (registry commands, every exchange mode, day closes, an auction)
/// must read back as the same events and mean the same JSON as `JSONEncoder` writes.
@Suite("Streaming JSON encoder for journal bodies")
struct StreamingJSONTests {
    struct Sample: Codable, Equatable {
        enum Kind: Codable, Equatable {
            case empty
            case one(Int64)
            case named(text: String, more: [Int]?)
        }
        var text: String
        var numbers: [Int64]
        var nested: [[String: Int]]
        var optional: String?
        var missing: Int?
        var flag: Bool
        var kinds: [Kind]
        var unsigned: UInt64
    }

    @Test func writesValidJSONForEdgeCases() throws {
        let sample = Sample(
            text: "引号\"反斜杠\\换行\n制表\t回车\r控制\u{01}/斜杠 emoji 🌏", numbers: [0, -1, 1, Int64.min, Int64.max],
            nested: [[:], ["a": 1]], optional: "x", missing: nil, flag: false,
            kinds: [.empty, .one(-42), .named(text: "", more: nil), .named(text: "t", more: [])], unsigned: UInt64.max)
        let text = StreamingJSON.encode(sample)
        let decoded = try JSONDecoder().decode(Sample.self, from: Data(text.utf8))
        #expect(decoded == sample)
        #expect(text.contains(#""numbers":[0,-1,1,-9223372036854775808,9223372036854775807]"#))
        #expect(text.contains(#"\u0001"#))
        #expect(!text.contains("\"missing\""))
        try expectSameJSON(text, try JSONEncoder().encode(sample))
        #expect(StreamingJSON.encode([Int]()) == "[]")
        #expect(StreamingJSON.encode("a\"b") == #""a\"b""#)
    }

    @Test func demoMarketJournalRoundTrips() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("openets-json-\(UUID()).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let today = CivilDate(year: 2025, month: 6, day: 16)
        let clock = OpenETSRuntime.MarketClock(today, hour: 8, minute: 0)
        let (store, service) = try await Composition.openRegistry(.sqlite(path: path), clock: clock)
        _ = try await DemoExchange.seedWithHistory(service, clock: clock, today: today, days: 6)
        let codec = LedgerCodec()
        var kinds = Set<String>()
        var after: Int64 = 0
        while true {
            let entries = try await store.journal(after: after, limit: 1_000)
            guard let last = entries.last else { break }
            for entry in entries {
                kinds.insert(entry.kind)
                let registry = try codec.events(of: entry)
                let exchange = try codec.exchangeEvents(of: entry)
                let rewritten: String
                let streamed: String
                let foundation: Data
                if ExchangeEntryBody.isExchange(entry.kind) {
                    let body = ExchangeEntryBody(exchange: exchange, registry: registry)
                    rewritten = codec.encodeBody(body)
                    streamed = StreamingJSON.encode(body)
                    foundation = try JSONEncoder().encode(body)
                    let back = try codec.decode(ExchangeEntryBody.self, from: rewritten)
                    #expect(back.exchange == exchange && back.registry == registry, "\(entry.kind) #\(entry.seq)")
                } else if CCEREntryBody.isCCER(entry.kind) {
                    let body = CCEREntryBody(ccer: try codec.ccerEvents(of: entry), registry: registry)
                    rewritten = codec.encodeBody(body)
                    streamed = StreamingJSON.encode(body)
                    foundation = try JSONEncoder().encode(body)
                    let back = try codec.decode(CCEREntryBody.self, from: rewritten)
                    #expect(back.ccer == body.ccer && back.registry == registry, "\(entry.kind) #\(entry.seq)")
                } else {
                    rewritten = codec.encodeBody(registry)
                    streamed = StreamingJSON.encode(registry)
                    foundation = try JSONEncoder().encode(registry)
                    #expect(try codec.decode([RegistryEvent].self, from: rewritten) == registry, "\(entry.kind) #\(entry.seq)")
                }
                // What the store holds is the codec's text itself.
                #expect(rewritten == entry.body, "\(entry.kind) #\(entry.seq)")
                // Hand-written events (EventJSON) and the generic streaming encoder both mean
                // exactly what JSONEncoder writes.
                try expectSameJSON(rewritten, foundation)
                try expectSameJSON(streamed, foundation)
            }
            after = last.seq
        }
        for kind in ["deposit_funds", "settle", "issue", "exchange.place_order", "exchange.take_order", "exchange.accept_block",
                     "exchange.clear_auction", "exchange.close_day", "ccer.submit_project", "ccer.issue", "ccer.cancel_for_neutrality"] {
            #expect(kinds.contains(kind), "the demo journal has no \(kind) entry")
        }
        try await store.close()
    }

    /// `surrender`'s `borrowing` is optional and encodes nothing when nil: a command without it
    /// keeps the text (and so the request hash) it had before the field existed, and that
    /// text still decodes.
    @Test func surrenderWithoutBorrowingKeepsItsTextAndHash() throws {
        let codec = LedgerCodec()
        let old = #"{"surrender":{"account":"ENT-000001","complianceYear":2023,"quantity":1,"unit":"CEA23"}}"#
        let command = RegistryCommand.surrender(account: "ENT-000001", unit: "CEA23", quantity: 1, complianceYear: 2023)
        #expect(codec.encode(command) == old)
        #expect(sha256Hex(codec.encode(command)) == sha256Hex(old))
        #expect(try codec.decode(RegistryCommand.self, from: old) == command)
        #expect(StreamingJSON.encode(command) == #"{"surrender":{"account":"ENT-000001","unit":"CEA23","quantity":1,"complianceYear":2023}}"#)
        let borrowing = RegistryCommand.surrender(account: "ENT-000001", unit: "CEA24", quantity: 1, complianceYear: 2023, borrowing: true)
        let text = codec.encode(borrowing)
        #expect(text == #"{"surrender":{"account":"ENT-000001","borrowing":true,"complianceYear":2023,"quantity":1,"unit":"CEA24"}}"#)
        #expect(try codec.decode(RegistryCommand.self, from: text) == borrowing)
        #expect(try codec.decode(RegistryCommand.self, from: StreamingJSON.encode(borrowing)) == borrowing)
    }

    @Test func handWrittenEventsCoverEveryShape() throws {
        let t = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let deal = Deal(
            id: "DL-1", instrument: "CEA24", mode: .block, seller: "ENT-000001", buyer: "INV-000001", price: 5_000,
            quantity: 100_000, amountFen: 500_000_000, sellerFeeFen: 1, buyerFeeFen: 2, maker: 7, taker: nil, takerSide: .buy,
            time: t)
        var taken = deal
        taken.taker = 9
        let body = ExchangeEntryBody(
            exchange: [.dealDone(deal, consumedByMaker: 3, consumedByTaker: 4), .dealDone(taken, consumedByMaker: 1, consumedByTaker: 2),
                       .orderRested(order: 7), .orderEnded(order: 7, status: .filled, released: 0)],
            registry: [
                .locked(TradingLock(id: "XO-\"1\"", account: "ENT-000001", asset: .units("CEA24"), quantity: 5, reference: "line\nbreak", createdAt: t),
                        lot: Lot(quantity: 5, serials: [SerialRange(first: 1, last: 3), SerialRange(first: 7, last: 8)])),
                .locked(TradingLock(id: "XO-2", account: "INV-000001", asset: .funds, quantity: 5, reference: "", createdAt: t),
                        lot: Lot(quantity: 5, serials: [])),
                .unlocked(lock: "XO-2", lot: Lot(quantity: 5, serials: [])),
                .fundsDeposited(account: "INV-000001", amountFen: 1, bankReference: "generic path"),
            ])
        let codec = LedgerCodec()
        let text = codec.encodeBody(body)
        let back = try codec.decode(ExchangeEntryBody.self, from: text)
        #expect(back.exchange == body.exchange && back.registry == body.registry)
        try expectSameJSON(text, try JSONEncoder().encode(body))
        try expectSameJSON(codec.encodeBody(body.registry), try JSONEncoder().encode(body.registry))
    }

    private func expectSameJSON(_ text: String, _ reference: Data, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let theirs = try JSONSerialization.jsonObject(with: reference, options: [.fragmentsAllowed])
        #expect(Self.same(ours, theirs), "\(text)", sourceLocation: sourceLocation)
    }

    /// Structural equality of two JSONSerialization trees (object key order ignored).
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        case let (a as [Any], b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case let (a as String, b as String):
            return a == b
        case (is NSNull, is NSNull):
            return true
        case let (a as NSNumber, b as NSNumber):
            return a == b
        default:
            return false
        }
    }
}

/// The account index of an entry: every account it posts to or names, once each, sorted.
@Suite("Journal entry account index")
struct EntryIndexTests {
    @Test func listsEveryAccountOnceInOrder() {
        let postings = [
            Posting(account: "ENT-2", asset: "CEA24", amount: -5), Posting(account: "ENT-1", asset: "CEA24", amount: 5),
            Posting(account: "ENT-2", asset: Posting.cashAsset, amount: 90), Posting(account: "CLR", asset: Posting.cashAsset, amount: 1),
        ]
        let index = EntryIndex(seq: 7, postings: postings, named: ["ENT-3", "ENT-1", "CLR", "ENT-3"])
        #expect(index.accounts == ["CLR", "ENT-1", "ENT-2", "ENT-3"])
        #expect(EntryIndex(seq: 1, postings: [], named: []).accounts.isEmpty)
        #expect(EntryIndex(seq: 1, postings: [], named: ["A", "A", "A"]).accounts == ["A"])
    }
}
