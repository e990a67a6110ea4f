import ArgumentParser
import Foundation
import OpenETSDomain

/// JSON input of the exchange calculators: stdin or --input, at most `maxInputBytes`.
private func readInput(_ path: String?) throws(ExchangeError) -> Data {
    let data: Data
    do {
        data = try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
    } catch {
        throw ExchangeError(.invalidInput, "cannot read \(path ?? "standard input"): \(error.localizedDescription)")
    }
    guard data.count <= EmissionsCommand.maxInputBytes else {
        throw ExchangeError(.limitExceeded, "input larger than \(EmissionsCommand.maxInputBytes) bytes")
    }
    return data
}

private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws(ExchangeError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch {
        throw ExchangeError(.invalidInput, "input is not the calculator's JSON: \(error)")
    }
}

private func price(_ text: String, _ field: String) throws(ExchangeError) -> Int64 {
    guard let fen = Fen.parse(text) else {
        throw ExchangeError(.invalidPrice, "\(field) \"\(text)\" is not a price in yuan with at most 2 decimals (tick 0.01)")
    }
    return fen
}

private func time(_ text: String, _ field: String) throws(ExchangeError) -> Timestamp {
    guard let time = Timestamp(iso8601: text) else { throw ExchangeError(.invalidInput, "\(field) \"\(text)\" is not an ISO-8601 time") }
    return time
}

private struct ErrorOutput: Encodable { var error: ExchangeError }

/// Runs a calculator body, printing `{"error":{…}}` and exiting 2 on a rejected input.
private func calculate(_ body: () throws(ExchangeError) -> String) throws {
    do {
        print(try body())
    } catch {
        print(jsonText(ErrorOutput(error: error)))
        throw ExitCode(2)
    }
}

/// `openets calc auction`: clears a one-way auction (rules in docs/exchange.md).
struct AuctionCalcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auction", abstract: "One-way auction clearing: caps, tie-break, uniform or pay-as-bid, cancellation rules.")
    @Option(help: "Input JSON file (default: standard input).") var input: String?

    struct Input: Decodable {
        var side: Side
        var quantity: Int64
        var floor_price: String
        var ceiling_price: String
        var pricing: AuctionTerms.Pricing?
        var tie_break: AuctionTerms.TieBreak?
        var seed: UInt64?
        var min_bid_quantity: Int64?
        var max_share_per_bidder: String?
        var cancel_if_undersubscribed: Bool?
        var reference_price: String?
        var cancel_below_reference_pct: String?
        var bids: [BidInput]
    }

    struct BidInput: Decodable {
        var id: String
        var bidder: String
        var price: String
        var quantity: Int64
        var time: String
    }

    struct Output: Encodable {
        var result: AuctionResult
        enum Keys: String, CodingKey { case status, reason, clearing_price, fills, unsold, rejected }
        struct Fill: Encodable { var id: String; var bidder: String; var quantity: Int64; var price: String }
        struct Rejection: Encodable { var id: String; var code: String; var reason: String }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(result.status.rawValue, forKey: .status)
            try c.encode(result.reason, forKey: .reason)
            if let price = result.clearingPrice { try c.encode(Fen.text(price), forKey: .clearing_price) } else { try c.encodeNil(forKey: .clearing_price) }
            try c.encode(result.fills.map { Fill(id: $0.id, bidder: $0.bidder, quantity: $0.quantity, price: Fen.text($0.price)) }, forKey: .fills)
            try c.encode(result.unsold, forKey: .unsold)
            try c.encode(result.rejected.map { Rejection(id: $0.id, code: $0.code.rawValue, reason: $0.reason) }, forKey: .rejected)
        }
    }

    /// Named limit: bids per calculation.
    static let maxBids = 100_000

    func run() throws {
        try calculate { () throws(ExchangeError) -> String in
            let request = try decode(Input.self, try readInput(input))
            guard request.quantity > 0 else { throw ExchangeError(.invalidQuantity, "quantity must be a positive number of tonnes") }
            guard request.bids.count <= Self.maxBids else { throw ExchangeError(.limitExceeded, "at most \(Self.maxBids) bids") }
            let floor = try price(request.floor_price, "floor_price")
            let ceiling = try price(request.ceiling_price, "ceiling_price")
            guard floor > 0, floor <= ceiling else { throw ExchangeError(.invalidPrice, "floor must be positive and not above the ceiling") }
            let share = try request.max_share_per_bidder.map { text throws(ExchangeError) -> ExactDecimal in
                guard let value = ExactDecimal(text), !value.isNegative, value.mantissa > 0, value <= ExactDecimal(1) else {
                    throw ExchangeError(.invalidInput, "max_share_per_bidder must be a decimal in (0, 1]")
                }
                return value
            } ?? ExactDecimal(1)
            let percent = try request.cancel_below_reference_pct.map { text throws(ExchangeError) -> ExactDecimal in
                guard let value = ExactDecimal(text), !value.isNegative, value <= ExactDecimal(100) else {
                    throw ExchangeError(.invalidInput, "cancel_below_reference_pct must be a decimal in [0, 100]")
                }
                return value
            }
            let reference = try request.reference_price.map { text throws(ExchangeError) in try price(text, "reference_price") }
            if percent != nil && reference == nil {
                throw ExchangeError(.invalidInput, "cancel_below_reference_pct needs reference_price")
            }
            var seen: Set<String> = []
            var bids: [AuctionBid] = []
            for bid in request.bids {
                guard seen.insert(bid.id).inserted else { throw ExchangeError(.invalidInput, "bid id \(bid.id) appears twice") }
                bids.append(AuctionBid(id: bid.id, bidder: bid.bidder, price: try price(bid.price, "bid \(bid.id) price"),
                    quantity: bid.quantity, time: try time(bid.time, "bid \(bid.id) time")))
            }
            let terms = AuctionTerms(
                side: request.side, quantity: request.quantity, floorPrice: floor, ceilingPrice: ceiling,
                pricing: request.pricing ?? .uniform, tieBreak: request.tie_break ?? .time, seed: request.seed ?? 0,
                minBidQuantity: request.min_bid_quantity ?? 1, maxSharePerBidder: share,
                cancelIfUndersubscribed: request.cancel_if_undersubscribed ?? false, referencePrice: reference,
                cancelBelowReferencePercent: percent)
            return jsonText(Output(result: AuctionClearing.clear(terms, bids: bids)))
        }
    }
}

/// `openets calc closing-price`: the day's open, close (VWAP of listing trades), combined price.
struct ClosingPriceCalcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "closing-price", abstract: "Daily prices: open, close (listing VWAP), combined (listing + block VWAP), high, low, volume, turnover.")
    @Option(help: "Input JSON file (default: standard input).") var input: String?

    struct Input: Decodable {
        var previous_close: String
        var trades: [Trade]
    }

    struct Trade: Decodable {
        var mode: TradeMode
        var price: String
        var quantity: Int64
        var time: String
    }

    struct Output: Encodable {
        var open, close, combined, high, low: String
        var volume: Int64
        var turnover: String
    }

    static let maxTrades = 1_000_000

    func run() throws {
        try calculate { () throws(ExchangeError) -> String in
            let request = try decode(Input.self, try readInput(input))
            guard request.trades.count <= Self.maxTrades else { throw ExchangeError(.limitExceeded, "at most \(Self.maxTrades) trades") }
            let previous = try price(request.previous_close, "previous_close")
            guard previous > 0 else { throw ExchangeError(.invalidPrice, "previous_close must be positive") }
            var trades: [PricedTrade] = []
            for (index, trade) in request.trades.enumerated() {
                guard trade.quantity > 0 else { throw ExchangeError(.invalidQuantity, "trade \(index): quantity must be positive") }
                let fen = try price(trade.price, "trade \(index) price")
                guard fen > 0 else { throw ExchangeError(.invalidPrice, "trade \(index): price must be positive") }
                trades.append(PricedTrade(mode: trade.mode, price: fen, quantity: trade.quantity, time: try time(trade.time, "trade \(index) time")))
            }
            let volume = trades.reduce(Int128(0)) { $0 + Int128($1.quantity) }
            guard volume <= Int128(Int64.max / 100_000_000) else { throw ExchangeError(.limitExceeded, "total volume too large") }
            let p = DailyPrices(previousClose: previous, trades: trades)
            return jsonText(Output(open: Fen.text(p.open), close: Fen.text(p.close), combined: Fen.text(p.combined),
                high: Fen.text(p.high), low: Fen.text(p.low), volume: p.volume, turnover: Fen.text(p.turnoverFen)))
        }
    }
}
