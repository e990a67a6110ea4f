import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

struct ExchangeCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "The trading system: listings, continuous orders, block quotes, one-way auctions, market data.",
        discussion: """
            Prices are yuan per tonne with at most two decimals (tick 0.01); quantities whole tonnes.
            Trading commands are accepted only in the sessions of an open trading day (Beijing time).
            """,
        subcommands: [
            Instruments.self, ListInstrument.self, Admit.self, FeeAccounts.self, OpenDay.self, CloseDay.self,
            Place.self, Take.self, CancelOrder.self, Quote.self, Counter.self, Accept.self, CancelQuote.self,
            Announce.self, BidCommand.self, Clear.self, CancelAuction.self, Book.self, Trades.self, Prices.self, Alerts.self,
        ])
}

extension Side: ExpressibleByArgument {}
extension AuctionTerms.Pricing: ExpressibleByArgument {}
extension AuctionTerms.TieBreak: ExpressibleByArgument {}

/// A price option in yuan ("97.49") as fen.
struct Yuan: ExpressibleByArgument {
    var fen: Int64
    init?(argument: String) {
        guard let fen = Fen.parse(argument), fen > 0 else { return nil }
        self.fen = fen
    }
}

/// Runs one exchange command and prints its outcome. Exit status 0 accepted, 3 rejected.
func submitExchange(_ command: ExchangeCommand, _ options: MutationOptions) async throws {
    let key = options.idempotencyKey ?? UUID().uuidString.lowercased()
    let outcome = try await withRegistry(options.store.location) { _, service in
        try await service.execute(ExchangeRequest(idempotencyKey: key, command: command))
    }
    switch outcome {
    case .accepted(let receipt):
        if options.json {
            struct Accepted: Encodable {
                var status = "accepted"
                var idempotencyKey: String
                var seq: Int64
                var replayed: Bool
                var events: [ExchangeEvent]
                var registryEvents: [RegistryEvent]
            }
            print(jsonText(Accepted(idempotencyKey: key, seq: receipt.seq, replayed: receipt.replayed, events: receipt.events, registryEvents: receipt.registryEvents)))
        } else {
            print("accepted: journal entry #\(receipt.seq)\(receipt.replayed ? " (replayed: this key was used before)" : "")")
            for event in receipt.events { print("  " + describe(event)) }
            for event in receipt.registryEvents { print("  registry: " + describe(event)) }
        }
    case .rejected(let error):
        if options.json {
            print(jsonText(OutcomeJSON(status: "rejected", idempotencyKey: key, code: error.code.rawValue, message: error.message)))
        } else {
            FileHandle.standardError.write(Data("rejected: \(error.code.rawValue): \(error.message)\n".utf8))
        }
        throw ExitCode(3)
    }
}

func describe(_ event: ExchangeEvent) -> String {
    switch event {
    case .instrumentListed(let i): "instrument \(i.code) listed (\(i.unit), \(i.continuous ? "continuous" : "listing agreement"), previous close \(Fen.text(i.previousClose)))"
    case .memberAdmitted(let m): "member admitted: \(m.account)\(m.group.map { " (group \($0))" } ?? "")"
    case .feeAccountsSet(let c, let r): "fees to \(c), risk reserve fund \(r)"
    case .dayOpened(let date, let limits): "trading day \(date) opened: " + limits.map { "\($0.instrument) \(Fen.text($0.low))–\(Fen.text($0.high))" }.joined(separator: ", ")
    case .orderPlaced(let o): "order \(o.id): \(o.account) \(o.side.rawValue) \(o.quantity) t \(o.instrument) at \(Fen.text(o.price)) (locked \(o.side == .sell ? "\(o.locked) t" : Fen.text(o.locked) + " CNY"))"
    case .orderRested(let id): "order \(id) rests in the book"
    case .dealDone(let d, _, _): "deal \(d.id) (\(d.mode.rawValue)): \(d.seller) → \(d.buyer) \(d.quantity) t \(d.instrument) at \(Fen.text(d.price)) = \(Fen.text(d.amountFen)) CNY, fees \(Fen.text(d.sellerFeeFen)) + \(Fen.text(d.buyerFeeFen))"
    case .orderEnded(let id, let status, let released): "order \(id) \(status.rawValue)\(released > 0 ? ", \(released) released" : "")"
    case .quotePosted(let q): "block quote \(q.id): \(q.account) \(q.side.rawValue) \(q.quantity) t \(q.instrument) at \(Fen.text(q.price))" + (q.counterparties.isEmpty ? " (public)" : " to \(q.counterparties.map(\.rawValue).joined(separator: ", "))") + (q.parent.map { ", countering \($0)" } ?? "")
    case .quoteEnded(let id, let status, _): "block quote \(id) \(status.rawValue)"
    case .auctionAnnounced(let a): "auction \(a.id): \(a.applicant) \(a.side.rawValue)s \(a.quantity) t \(a.instrument), \(Fen.text(a.floorPrice))–\(Fen.text(a.ceilingPrice)), \(a.pricing.rawValue), tie-break \(a.tieBreak.rawValue) (seed \(a.seed))"
    case .bidPlaced(let b): "bid \(b.id) in auction \(b.auction): \(b.account) \(b.quantity) t at \(Fen.text(b.price))"
    case .auctionEnded(let id, let r): "auction \(id) \(r.status.rawValue): \(r.reason); clearing price \(r.clearingPrice.map(Fen.text) ?? "-"), unsold \(r.unsold) t"
    case .alertRaised(let a): "ALERT \(a.rule.rawValue): \(a.evidence)"
    case .dayClosed(let date, let records): "trading day \(date) closed: " + records.map { "\($0.instrument) close \(Fen.text($0.prices.close)) volume \($0.prices.volume) t" }.joined(separator: ", ")
    }
}

// MARK: operator

struct Instruments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List instruments with the previous close and today's limits.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let exchange = try await withRegistry(store.location) { _, service in await service.exchange }
        let instruments = exchange.instruments.values.sorted { $0.code < $1.code }
        if json { print(jsonText(instruments)); return }
        print("trading day: \(exchange.tradingDate.map(\.description) ?? "closed")")
        for i in instruments {
            let book = exchange.books[i.code]
            print("\(i.code.padding(toLength: 8, withPad: " ", startingAt: 0)) \(i.unit.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(i.continuous ? "continuous" : "listing   ") previous close \(Fen.text(i.previousClose))" + (book.map { "  limits \(Fen.text($0.lowPrice))–\(Fen.text($0.highPrice))" } ?? ""))
        }
    }
}

struct ListInstrument: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-instrument", abstract: "List a unit type for trading.")
    @OptionGroup var options: MutationOptions
    @Option var code: String
    @Option var unit: String
    @Option var label: String
    @Option(help: "Previous close, yuan per tonne.") var previousClose: Yuan
    @Flag(help: "Continuous trading (price-time matching) instead of the listing agreement.") var continuous = false

    func run() async throws {
        try await submitExchange(.listInstrument(Instrument(code: code, unit: UnitTypeCode(unit), label: label, continuous: continuous, previousClose: previousClose.fen)), options)
    }
}

struct Admit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Admit a registry account to trading.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option(help: "Group the account belongs to (surveillance).") var group: String?
    func run() async throws { try await submitExchange(.admitMember(account: AccountID(account), group: group), options) }
}

struct FeeAccounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fee-accounts", abstract: "Set the clearing account (fees) and the risk reserve fund account.")
    @OptionGroup var options: MutationOptions
    @Option var clearing: String
    @Option var reserve: String
    func run() async throws { try await submitExchange(.setFeeAccounts(clearing: AccountID(clearing), reserve: AccountID(reserve)), options) }
}

struct OpenDay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open-day", abstract: "Open a trading day (YYYY-MM-DD, Beijing date).")
    @OptionGroup var options: MutationOptions
    @Option var date: String
    func run() async throws {
        guard let day = CivilDate(date) else { throw ValidationError("--date must be YYYY-MM-DD") }
        try await submitExchange(.openDay(day), options)
    }
}

struct CloseDay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close-day", abstract: "Close the trading day: lapse listings and quotes, publish prices.")
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submitExchange(.closeDay, options) }
}

// MARK: trading

struct Place: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Post a listing (listing agreement) or a limit order (continuous instruments).")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var instrument: String
    @Option var side: Side
    @Option var price: Yuan
    @Option var quantity: Int64
    func run() async throws {
        try await submitExchange(.placeOrder(account: AccountID(account), instrument: instrument, side: side, price: price.fen, quantity: quantity), options)
    }
}

struct Take: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Take a listing within the best five price levels, at its price.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var order: Int64
    @Option var quantity: Int64
    func run() async throws { try await submitExchange(.takeOrder(account: AccountID(account), order: order, quantity: quantity), options) }
}

struct CancelOrder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel an open listing or order; its lock is released.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var order: Int64
    func run() async throws { try await submitExchange(.cancelOrder(account: AccountID(account), order: order), options) }
}

struct Quote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Post a block-agreement quote (≥ 100,000 t), public or to named counterparties.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var instrument: String
    @Option var side: Side
    @Option var price: Yuan
    @Option var quantity: Int64
    @Option(help: "A counterparty the quote is directed to (repeatable; none: public).") var counterparty: [String] = []
    func run() async throws {
        try await submitExchange(.quoteBlock(account: AccountID(account), instrument: instrument, side: side, price: price.fen, quantity: quantity, counterparties: counterparty.map { AccountID($0) }), options)
    }
}

struct Counter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Answer a block quote with a counter-offer directed to its quoter.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var quote: Int64
    @Option var price: Yuan
    @Option var quantity: Int64
    func run() async throws { try await submitExchange(.counterBlock(account: AccountID(account), quote: quote, price: price.fen, quantity: quantity), options) }
}

struct Accept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Confirm a block quote: the deal is done and settled.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var quote: Int64
    func run() async throws { try await submitExchange(.acceptBlock(account: AccountID(account), quote: quote), options) }
}

struct CancelQuote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel-quote", abstract: "Withdraw a block quote.")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var quote: Int64
    func run() async throws { try await submitExchange(.cancelQuote(account: AccountID(account), quote: quote), options) }
}

struct Announce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Announce a one-way auction (the applicant's side is locked).")
    @OptionGroup var options: MutationOptions
    @Option var applicant: String
    @Option var instrument: String
    @Option(help: "The applicant's side.") var side: Side
    @Option var quantity: Int64
    @Option var floor: Yuan
    @Option var ceiling: Yuan
    @Option(help: "Window opens (ISO-8601; no zone: Beijing time).") var opens: String
    @Option(help: "Window closes (ISO-8601).") var closes: String
    @Option var minBid: Int64 = 1
    @Option(help: "Cap per bidder, per mille of the volume.") var maxSharePerMille: Int64 = 1000
    @Option var pricing: AuctionTerms.Pricing = .uniform
    @Option var tieBreak: AuctionTerms.TieBreak = .time
    @Option(help: "Random tie-break seed, published with the announcement.") var seed: UInt64 = 0
    @Flag var cancelIfUndersubscribed = false
    @Option var referencePrice: Yuan?
    @Option(help: "Cancel when clearing more than this percent below the reference price.") var cancelBelowReferencePct: Int64?

    func run() async throws {
        guard let opensAt = Timestamp(iso8601: opens), let closesAt = Timestamp(iso8601: closes) else {
            throw ValidationError("--opens and --closes must be ISO-8601 times")
        }
        let auction = Auction(
            id: 0, applicant: AccountID(applicant), instrument: instrument, side: side, quantity: quantity, floorPrice: floor.fen,
            ceilingPrice: ceiling.fen, pricing: pricing, tieBreak: tieBreak, seed: seed, minBidQuantity: minBid,
            maxSharePerMille: maxSharePerMille, cancelIfUndersubscribed: cancelIfUndersubscribed, referencePrice: referencePrice?.fen,
            cancelBelowReferencePercent: cancelBelowReferencePct, opensAt: opensAt, closesAt: closesAt)
        try await submitExchange(.announceAuction(auction), options)
    }
}

struct BidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bid", abstract: "Bid in a one-way auction (funds or units are locked).")
    @OptionGroup var options: MutationOptions
    @Option var account: String
    @Option var auction: Int64
    @Option var price: Yuan
    @Option var quantity: Int64
    func run() async throws { try await submitExchange(.bid(account: AccountID(account), auction: auction, price: price.fen, quantity: quantity), options) }
}

struct Clear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear an auction after its window: allocate, settle, publish the result.")
    @OptionGroup var options: MutationOptions
    @Option var auction: Int64
    func run() async throws { try await submitExchange(.clearAuction(auction: auction), options) }
}

struct CancelAuction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-auction", abstract: "Withdraw an announced auction before it clears (operator): every lock is released.")
    @OptionGroup var options: MutationOptions
    @Option var auction: Int64
    @Option(help: "Published with the result.") var reason: String
    func run() async throws { try await submitExchange(.cancelAuction(auction: auction, reason: reason), options) }
}

// MARK: market data

struct Book: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Five-level depth of an instrument and its open orders.")
    @OptionGroup var store: StoreOptions
    @Option var instrument: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let exchange = try await withRegistry(store.location) { _, service in await service.exchange }
        guard let book = exchange.books[instrument] else { throw ValidationError("no book for \(instrument) (no open trading day, or unknown)") }
        let asks = book.depth(.sell)
        let bids = book.depth(.buy)
        if json {
            struct Depth: Encodable { var instrument: String; var bids: [DepthLevel]; var asks: [DepthLevel]; var orders: [Order] }
            print(jsonText(Depth(instrument: instrument, bids: bids, asks: asks, orders: exchange.orders.values.filter { $0.instrument == instrument }.sorted { $0.id < $1.id })))
            return
        }
        for (index, level) in asks.enumerated().reversed() { print("卖\(index + 1) sell \(Fen.text(level.price))  \(level.quantity) t (\(level.orders))") }
        print("---")
        for (index, level) in bids.enumerated() { print("买\(index + 1) buy  \(Fen.text(level.price))  \(level.quantity) t (\(level.orders))") }
        for order in exchange.orders.values.filter({ $0.instrument == instrument }).sorted(by: { $0.id < $1.id }) {
            print("  order \(order.id) \(order.account) \(order.side.rawValue) \(order.remaining)/\(order.quantity) t at \(Fen.text(order.price))")
        }
    }
}

struct Trades: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Today's deals (the trade tape).")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
    func run() async throws {
        let deals = try await withRegistry(store.location) { _, service in Array(await service.exchange.todayDeals) }
        if json { print(jsonText(deals)); return }
        for d in deals { print("\(d.id) \(d.mode.rawValue) \(d.instrument) \(d.quantity) t at \(Fen.text(d.price)) \(d.seller) → \(d.buyer)") }
    }
}

struct Prices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Daily prices per instrument: open, high, low, close, combined, volume, turnover.")
    @OptionGroup var store: StoreOptions
    @Option var instrument: String?
    @Flag(help: "Print JSON.") var json = false
    func run() async throws {
        let history = try await withRegistry(store.location) { _, service in await service.exchange.history }
            .filter { instrument == nil || $0.instrument == instrument }
        if json { print(jsonText(history)); return }
        for r in history {
            let p = r.prices
            print("\(r.date) \(r.instrument.padding(toLength: 6, withPad: " ", startingAt: 0)) open \(Fen.text(p.open)) high \(Fen.text(p.high)) low \(Fen.text(p.low)) close \(Fen.text(p.close)) combined \(Fen.text(p.combined)) volume \(p.volume) t turnover \(Fen.text(p.turnoverFen))")
        }
    }
}

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Surveillance alerts with their evidence.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
    func run() async throws {
        let alerts = try await withRegistry(store.location) { _, service in await service.exchange.alerts }
        if json { print(jsonText(alerts)); return }
        for a in alerts { print("\(a.rule.rawValue) \(a.instrument) \(a.accounts.map(\.rawValue).joined(separator: ",")): \(a.evidence) [\(a.deals.map(\.rawValue).joined(separator: ","))]") }
    }
}
