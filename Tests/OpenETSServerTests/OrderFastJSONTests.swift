import Foundation
import OpenETSAPI
import OpenETSDomain
@testable import OpenETSServer
import Testing

/// `OrderFastJSON` against Foundation's coders on seeded random inputs (the seed is printed;
/// `OPENETS_SEED=N` replays a run): where the hand reader answers, JSONDecoder decodes the
/// same body to the same value; where the hand writer answers, JSONEncoder (sorted keys,
/// unescaped slashes, as the API writes) writes the same bytes.
@Suite("Order entry's hand-written JSON matches Foundation's")
struct OrderFastJSONTests {
    typealias PlaceOrderRequest = Components.Schemas.PlaceOrderRequest
    typealias CommandResult = Components.Schemas.CommandResult

    static func seed() -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["OPENETS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("OrderFastJSONTests seed \(seed) (OPENETS_SEED=\(seed) replays)")
        return seed
    }

    static func decoded(_ body: [UInt8]) -> PlaceOrderRequest? {
        try? JSONDecoder().decode(PlaceOrderRequest.self, from: Data(body))
    }

    static func encoded(_ result: CommandResult) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(result))
    }

    @Test func thePlainBodyIsReadAsFoundationReadsIt() {
        let body = Array(#"{"instrument":"CEA24","side":"buy","priceFen":9000,"quantityTonnes":1}"#.utf8)
        let read = OrderFastJSON.placeOrder(body)
        #expect(read == PlaceOrderRequest(instrument: "CEA24", side: .buy, priceFen: 9000, quantityTonnes: 1))
        #expect(read == Self.decoded(body))
        // Shapes left to the generic decoder (nil here), whatever it then answers.
        for other in [
            #"{"instrument":"CEA24","side":"buy","priceFen":9000.0,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":9e3,"quantityTonnes":1}"#,
            #"{"instrument":"CE\u0041","side":"buy","priceFen":9000,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":9000,"quantityTonnes":1,"note":""}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":9000,"priceFen":1,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"hold","priceFen":9000,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":09000,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":-0,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":1234567890123456789,"quantityTonnes":1}"#,
            #"{"instrument":"CEA24","side":"buy","priceFen":9000,"quantityTonnes":1}x"#,
            #"{"instrument":"碳配额","side":"buy","priceFen":9000,"quantityTonnes":1}"#,
            #"[]"#, "",
        ] {
            #expect(OrderFastJSON.placeOrder(Array(other.utf8)) == nil, "\(other)")
        }
    }

    /// Random bodies: the four keys in any order with random whitespace, random values (some
    /// of them shapes the hand reader leaves alone), then random single-byte damage. Whenever
    /// the hand reader answers, Foundation decodes the same value.
    @Test func randomBodiesAreNeverReadOtherwiseThanFoundationReadsThem() {
        var generator = SplitMix64(seed: Self.seed())
        let spaces = ["", " ", "\n", "\t", "\r\n  "]
        func space() -> String { spaces.randomElement(using: &generator)! }
        func number() -> String {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: "-\(Int64.random(in: 1...999_999, using: &generator))"
            case 1: "0"
            case 2: "\(Int64.random(in: 1...9, using: &generator)).5"
            case 3: "1e\(Int.random(in: 0...3, using: &generator))"
            case 4: String(Int64.random(in: 100_000_000_000_000_000...Int64.max, using: &generator))
            default: String(Int64.random(in: 1...100_000_000, using: &generator))
            }
        }
        let instruments = ["CEA24", "CEA25", "", "CEA/24", "A\\\"B", "CCER-P1"]
        var answered = 0
        for _ in 0..<3_000 {
            var fields = [
                "\"instrument\"\(space()):\(space())\"\(instruments.randomElement(using: &generator)!)\"",
                "\"side\"\(space()):\(space())\"\(["buy", "sell", "BUY"].randomElement(using: &generator)!)\"",
                "\"priceFen\"\(space()):\(space())\(number())",
                "\"quantityTonnes\"\(space()):\(space())\(number())",
            ]
            fields.shuffle(using: &generator)
            var body = Array((space() + "{" + space() + fields.joined(separator: space() + "," + space()) + space() + "}" + space()).utf8)
            if Bool.random(using: &generator), !body.isEmpty {
                body[Int.random(in: 0..<body.count, using: &generator)] = UInt8.random(in: 0x20...0x7E, using: &generator)
            }
            guard let read = OrderFastJSON.placeOrder(body) else { continue }
            answered += 1
            #expect(read == Self.decoded(body), "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(answered > 100, "the hand reader answered \(answered) of 3,000")
    }

    /// Random results, deals and ids: the hand writer's bytes are the encoder's, or it leaves
    /// the result to the encoder (a string that needs escaping).
    @Test func randomResultsAreWrittenAsTheEncoderWritesThem() throws {
        var generator = SplitMix64(seed: Self.seed())
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &generator) ? value() : nil }
        let ids = ["D-000001", "TR-1/2", "FZ-9", "é", "a\"b", "x\\y", "line\nbreak", ""]
        var written = 0
        for _ in 0..<2_000 {
            let deals = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                Components.Schemas.DealSummary(
                    id: ids.randomElement(using: &generator)!, priceFen: Int64.random(in: -5...Int64.max, using: &generator),
                    quantityTonnes: Int64.random(in: Int64.min...Int64.max, using: &generator))
            }
            let result = CommandResult(
                seq: Int64.random(in: 0...Int64.max, using: &generator), replayed: Bool.random(using: &generator),
                orderId: maybe(Int64.random(in: 1...1_000_000, using: &generator)), quoteId: maybe(Int64.random(in: 1...9, using: &generator)),
                bidId: maybe(Int64.random(in: 1...9, using: &generator)), transferId: maybe(ids.randomElement(using: &generator)!),
                freezeId: maybe(ids.randomElement(using: &generator)!), deals: deals)
            guard let bytes = OrderFastJSON.commandResult(result) else { continue }
            written += 1
            #expect(bytes == (try Self.encoded(result)), "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(written > 200, "the hand writer wrote \(written) of 2,000")
    }
}
