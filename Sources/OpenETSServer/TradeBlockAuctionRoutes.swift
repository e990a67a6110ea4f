import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The participant's block agreement (`/trade/block`) and one-way auction (`/trade/auctions`)
/// screens and their forms. Every form goes through `authorise` (session, CSRF, permission for
/// the principal's own account, rate limit, one-time key) and `conclude` (audit, outcome).
extension TradingRoutes {
    /// GET /trade/block and GET /trade/auctions: for roles with `action` and an account.
    func blockAuctionPage(_ request: Request, action: Action) async throws -> Response {
        guard let (_, session, principal) = try await current(request) else {
            return redirect("/login?next=" + (action == .blockQuote ? "/trade/block" : "/trade/auctions"))
        }
        guard principal.may(action, for: principal.account, matrix: access.matrix), principal.account != nil else {
            return text("forbidden: \(principal.role.rawValue) may not \(action.rawValue)\n", status: .forbidden)
        }
        let query = request.uri.queryParameters
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() },
            message: query.get("ok"), error: query.get("error"), mrvPolicyLink: mrvPolicyLink(principal))
        let pages = TradingPages(language: language(request))
        if action == .blockQuote {
            return page(pages.block(context, registry: await service.state, exchange: await service.exchange, policy: await service.exchangePolicy))
        }
        return page(pages.auctions(context, exchange: await service.exchange, now: service.now()))
    }

    enum BlockForm: String { case quote, counter, accept, cancel }

    /// POST /trade/block/{quote,counter,accept,cancel}: the block agreement command of an
    /// authorised form (`block_quote`).
    func block(_ request: Request, context: AppRequestContext, form kind: BlockForm) async throws -> Response {
        let back = "/trade/block"
        let form: AuthorisedForm
        switch try await authorise(request, .blockQuote, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        guard let account = form.principal.account else { return redirect("\(back)?error=" + encode("INVALID_INPUT: no account")) }
        let fields = form.fields
        let price = fields["price"].flatMap(Fen.parse), quantity = fields["quantity"].flatMap { Int64($0) }
        let quote = fields["quote"].flatMap { Int64($0) }
        let command: ExchangeCommand
        switch kind {
        case .quote:
            guard let price, let quantity, let side = fields["side"].flatMap(Side.init(rawValue:)), let instrument = fields["instrument"], !instrument.isEmpty
            else { return redirect("\(back)?error=" + encode("INVALID_INPUT: price (yuan, 2 decimals), whole-tonne quantity, side and instrument")) }
            // Named counterparties: account numbers separated by commas or spaces; none = a public quote.
            let names = (fields["counterparties"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" }).map { AccountID(String($0)) }
            guard Set(names).count == names.count else { return redirect("\(back)?error=" + encode("INVALID_INPUT: a counterparty is named twice")) }
            command = .quoteBlock(account: account, instrument: instrument, side: side, price: price, quantity: quantity, counterparties: names)
        case .counter:
            guard let quote, let price, let quantity else {
                return redirect("\(back)?error=" + encode("INVALID_INPUT: quote, price (yuan, 2 decimals) and whole-tonne quantity"))
            }
            command = .counterBlock(account: account, quote: quote, price: price, quantity: quantity)
        case .accept:
            guard let quote else { return redirect("\(back)?error=" + encode("INVALID_INPUT: quote")) }
            command = .acceptBlock(account: account, quote: quote)
        case .cancel:
            guard let quote else { return redirect("\(back)?error=" + encode("INVALID_INPUT: quote")) }
            command = .cancelQuote(account: account, quote: quote)
        }
        let outcome = try await service.execute(
            ExchangeRequest(idempotencyKey: form.idempotencyKey, command: command), audit: auditNote(command.kind, form, context))
        let events = outcome.receipt?.events ?? []
        let deals: [String] = events.compactMap { if case .dealDone(let deal, _, _) = $0 { deal.id.rawValue } else { nil } }
        let posted: [Int64] = events.compactMap { if case .quotePosted(let quote) = $0 { quote.id } else { nil } }
        let summary = deals.isEmpty ? (posted.first.map { "quote \($0)" } ?? "done") : "deal " + deals.joined(separator: ", ")
        return try await conclude(
            command.kind, form.principal, seq: outcome.receipt?.seq, summary: summary,
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }

    /// POST /trade/auction/bid: a bid on an announced one-way auction (`auction_bid`).
    func auctionBid(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/trade/auctions"
        let form: AuthorisedForm
        switch try await authorise(request, .auctionBid, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        guard let account = form.principal.account else { return redirect("\(back)?error=" + encode("INVALID_INPUT: no account")) }
        guard let auction = form.fields["auction"].flatMap({ Int64($0) }), let price = form.fields["price"].flatMap(Fen.parse),
            let quantity = form.fields["quantity"].flatMap({ Int64($0) })
        else { return redirect("\(back)?error=" + encode("INVALID_INPUT: auction, price (yuan, 2 decimals) and whole-tonne quantity")) }
        let command = ExchangeCommand.bid(account: account, auction: auction, price: price, quantity: quantity)
        let outcome = try await service.execute(
            ExchangeRequest(idempotencyKey: form.idempotencyKey, command: command), audit: auditNote(command.kind, form, context))
        let placed: [Int64] = (outcome.receipt?.events ?? []).compactMap { if case .bidPlaced(let bid) = $0 { bid.id } else { nil } }
        return try await conclude(
            command.kind, form.principal, seq: outcome.receipt?.seq, summary: placed.first.map { "bid \($0) on auction \(auction)" } ?? "done",
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }
}
