import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The operators' portals and the entity representatives' four-eyes page (docs/portals.md):
/// `/portal/exchange` (exchange operator: the trading day, one-way auctions, block quotes,
/// alerts), `/portal/registry` (registry operator: account status, pending transfers, funds)
/// and `/portal/transfers` (initiator and approver of an entity). Every form goes through
/// `TradingRoutes.authorise` (session, CSRF token, permission, one-time key) and then to
/// `RegistryService.execute` — the same exchange and registry commands as the CLI's
/// `openets exchange announce|clear` and `openets registry …` — with the one-time key as the
/// idempotency key; the outcome is audited (`TradingRoutes.conclude`) and shown on the page.
/// A refused command changes nothing.
struct OperatorRoutes: Sendable {
    let service: RegistryService
    let trading: TradingRoutes

    // MARK: pages

    func exchangePage(_ request: Request) async throws -> Response {
        let gate = try await viewer(request, [.exchangeOperate], path: "/portal/exchange")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let model = OperatorPages.ExchangeModel(exchange: await service.exchange, policy: await service.exchangePolicy, now: service.now())
        return page(OperatorPages(language: trading.language(request)).exchange(context(request, session, principal), model))
    }

    func registryPage(_ request: Request) async throws -> Response {
        let gate = try await viewer(request, [.registryOperate], path: "/portal/registry")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let offset = request.uri.queryParameters.get("offset").flatMap { Int($0) }.map { max(0, $0) } ?? 0
        return page(OperatorPages(language: trading.language(request)).registry(context(request, session, principal), await service.state, offset: offset))
    }

    func transfersPage(_ request: Request) async throws -> Response {
        // Reading the own account's transfers; the forms on it need their own actions.
        let gate = try await viewer(request, [.viewOwnAccount], path: "/portal/transfers")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        guard let account = principal.account else { return text("forbidden: this user acts for no account\n", status: .forbidden) }
        let matrix = trading.access.matrix
        return page(OperatorPages(language: trading.language(request)).transfers(
            context(request, session, principal), await service.state,
            canInitiate: principal.may(.transferInitiate, for: account, matrix: matrix), canDecide: principal.may(.approveTransfer, for: account, matrix: matrix)))
    }

    // MARK: exchange operator forms

    /// POST /portal/exchange/announce: a one-way auction (`ExchangeCommand.announceAuction`).
    func announce(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/exchange"
        return try await withForm(request, .exchangeOperate, back: back) { form in
            let f = form.fields
            guard let applicant = f["applicant"], !applicant.isEmpty, let code = f["instrument"], let side = f["side"].flatMap(Side.init(rawValue:)),
                let quantity = f["quantity"].flatMap({ Int64($0) })
            else { return badInput(back, "applicant, instrument, side and a whole-tonne quantity") }
            guard let instrument = await service.exchange.instruments[code] else {
                return trading.redirect("\(back)?error=" + trading.encode("UNKNOWN_INSTRUMENT: no instrument \(code)"))
            }
            let band = OperatorPages.defaultAuctionBand(instrument, await service.exchangePolicy)
            var prices: [String: Int64] = ["floor": band.floor, "ceiling": band.ceiling]
            for name in ["floor", "ceiling"] {
                guard let text = f[name], !text.isEmpty else { continue }
                guard let fen = Fen.parse(text) else { return badInput(back, "\(name): '\(text)' is not a price in yuan (2 decimals)") }
                prices[name] = fen
            }
            guard let opens = f["opens"].flatMap(Self.time), let closes = f["closes"].flatMap(Self.time) else {
                return badInput(back, "window: opens and closes as YYYY-MM-DD HH:MM (Beijing time)")
            }
            guard let minBid = Self.integer(f["min_bid"], default: 1), let cap = Self.integer(f["cap_per_mille"], default: 1_000),
                let pricing = (f["pricing"].flatMap { $0.isEmpty ? nil : $0 } ?? "uniform").flatMap(AuctionTerms.Pricing.init(rawValue:)),
                let tieBreak = (f["tie_break"].flatMap { $0.isEmpty ? nil : $0 } ?? "time").flatMap(AuctionTerms.TieBreak.init(rawValue:)),
                let seed = UInt64(f["seed"].flatMap { $0.isEmpty ? nil : $0 } ?? "0")
            else { return badInput(back, "minimum bid, cap per bidder and seed are whole numbers; pricing uniform or pay_as_bid; tie-break time or random") }
            let auction = Auction(
                id: 0, applicant: AccountID(applicant), instrument: code, side: side, quantity: quantity, floorPrice: prices["floor"]!,
                ceilingPrice: prices["ceiling"]!, pricing: pricing, tieBreak: tieBreak, seed: seed, minBidQuantity: minBid,
                maxSharePerMille: cap, cancelIfUndersubscribed: false, referencePrice: nil, cancelBelowReferencePercent: nil,
                opensAt: opens, closesAt: closes)
            let outcome = try await service.execute(
                ExchangeRequest(idempotencyKey: form.idempotencyKey, command: .announceAuction(auction)),
                audit: trading.auditNote("announce_auction", form, context, summary: "\(applicant) \(side.rawValue) \(quantity) t \(code)"))
            let id = outcome.receipt?.events.compactMap { if case .auctionAnnounced(let a) = $0 { a.id } else { nil } }.first
            return try await exchangeOutcome(
                "announce_auction", form, outcome, summary: "auction \(id.map(String.init) ?? "-"): \(applicant) \(side.rawValue) \(quantity) t \(code)", context: context, back: back)
        }
    }

    /// POST /portal/exchange/clear: clears an auction after its window.
    func clear(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/exchange"
        return try await withForm(request, .exchangeOperate, back: back) { form in
            guard let auction = form.fields["auction"].flatMap({ Int64($0) }) else { return badInput(back, "auction number") }
            let outcome = try await service.execute(
                ExchangeRequest(idempotencyKey: form.idempotencyKey, command: .clearAuction(auction: auction)),
                audit: trading.auditNote("clear_auction", form, context, summary: "auction \(auction)"))
            let result = outcome.receipt?.events.compactMap { if case .auctionEnded(_, let r) = $0 { r } else { nil } }.first
            let summary = "auction \(auction) " + (result.map { "\($0.status.rawValue), clearing price \($0.clearingPrice.map(Fen.text) ?? "-"), unsold \($0.unsold) t" } ?? "")
            return try await exchangeOutcome("clear_auction", form, outcome, summary: summary, context: context, back: back)
        }
    }

    /// POST /portal/exchange/cancel: withdraws an announced auction (`cancelAuction`, as
    /// `openets exchange cancel-auction`): every lock is released, the reason published.
    func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/exchange"
        return try await withForm(request, .exchangeOperate, back: back) { form in
            guard let auction = form.fields["auction"].flatMap({ Int64($0) }) else { return badInput(back, "auction number") }
            guard let reason = form.fields["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else { return badInput(back, "reason: required") }
            let outcome = try await service.execute(
                ExchangeRequest(idempotencyKey: form.idempotencyKey, command: .cancelAuction(auction: auction, reason: reason)),
                audit: trading.auditNote("cancel_auction", form, context, summary: "auction \(auction) withdrawn: \(reason)"))
            return try await exchangeOutcome("cancel_auction", form, outcome, summary: "auction \(auction) withdrawn: \(reason)", context: context, back: back)
        }
    }

    // MARK: registry operator forms

    /// POST /portal/registry/status: suspend (blocked), reactivate (open) or close an account.
    func setStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/registry"
        return try await withForm(request, .registryOperate, back: back) { form in
            let f = form.fields
            guard let account = f["account"], !account.isEmpty, let status = f["status"].flatMap(AccountStatus.init(rawValue:)) else {
                return badInput(back, "account and status (open, blocked or closed)")
            }
            guard let reason = f["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else { return badInput(back, "reason: required") }
            let command = RegistryCommand.setAccountStatus(account: AccountID(account), status: status, reason: reason)
            return try await registryOutcome(command, form, summary: "\(account) → \(status.rawValue)", context: context, back: back)
        }
    }

    /// POST /portal/registry/funds: a deposit or withdrawal the settlement bank reports.
    func funds(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/registry"
        return try await withForm(request, .registryOperate, back: back) { form in
            let f = form.fields
            guard let account = f["account"], !account.isEmpty, let direction = f["direction"], ["deposit", "withdraw"].contains(direction),
                let amount = f["amount"].flatMap(Fen.parse), let reference = f["bank_reference"]
            else { return badInput(back, "account, direction (deposit or withdraw), amount in yuan (2 decimals) and the bank reference") }
            let command: RegistryCommand = direction == "deposit"
                ? .depositFunds(account: AccountID(account), amountFen: amount, bankReference: reference)
                : .withdrawFunds(account: AccountID(account), amountFen: amount, bankReference: reference)
            return try await registryOutcome(command, form, summary: "\(direction) \(Fen.text(amount)) CNY \(account) (\(reference))", context: context, back: back)
        }
    }

    // MARK: four-eyes transfers

    /// POST /portal/transfers/initiate: the initiator's half of a four-eyes transfer.
    func initiate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/transfers"
        return try await withForm(request, .transferInitiate, back: back) { form in
            guard let account = form.principal.account else { return badInput(back, "this user acts for no account") }
            let f = form.fields
            guard let to = f["to"], !to.isEmpty, let unit = f["unit"], !unit.isEmpty, let quantity = f["quantity"].flatMap({ Int64($0) }) else {
                return badInput(back, "to account, unit and a whole-tonne quantity")
            }
            guard let initiator = await representative(account, .initiator) else {
                return text("forbidden: account \(account.rawValue) has no initiator representative\n", status: .forbidden)
            }
            let command = RegistryCommand.initiateTransfer(from: account, to: AccountID(to), unit: UnitTypeCode(unit), quantity: quantity, initiator: initiator)
            return try await registryOutcome(command, form, summary: "\(quantity) t \(unit) \(account) → \(to)", context: context, back: back)
        }
    }

    /// POST /portal/transfers/decide: the approver executes (`approve`) or rejects a pending
    /// transfer out of its own account; the registry refuses the initiator approving its own.
    func decide(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/transfers"
        return try await withForm(request, .approveTransfer, back: back) { form in
            guard let account = form.principal.account else { return badInput(back, "this user acts for no account") }
            guard let transfer = form.fields["transfer"], !transfer.isEmpty, let decision = form.fields["decision"], ["approve", "reject"].contains(decision) else {
                return badInput(back, "transfer and decision (approve or reject)")
            }
            let id = TransferID(transfer)
            if let pending = await service.state.transfers[id], pending.from != account {
                return text("forbidden: transfer \(transfer) is not out of \(account.rawValue)\n", status: .forbidden)
            }
            guard let approver = await representative(account, .approver) else {
                return text("forbidden: account \(account.rawValue) has no approver representative\n", status: .forbidden)
            }
            let command: RegistryCommand = decision == "approve" ? .approveTransfer(transfer: id, approver: approver) : .rejectTransfer(transfer: id, by: approver)
            return try await registryOutcome(command, form, summary: "\(transfer) \(decision)", context: context, back: back)
        }
    }

    // MARK: helpers

    /// The representative of `account` in `role` (the user acts as its account's
    /// representative of that role, as in the API; the registry checks four-eyes between them).
    func representative(_ account: AccountID, _ role: RepresentativeRole) async -> RepresentativeID? {
        await service.state.accounts[account]?.representatives.first { $0.role == role }?.id
    }

    /// A page's reader: logged in (else to the login, coming back here) and allowed one of
    /// `actions` (else 403).
    func viewer(_ request: Request, _ actions: [Action], path: String) async throws -> PortalRoutes.Gate {
        guard let (_, session, principal) = try await trading.current(request) else { return .refused(trading.redirect("/login?next=" + path)) }
        guard actions.contains(where: { principal.may($0, matrix: trading.access.matrix) }) else {
            return .refused(text("forbidden: \(principal.role.rawValue) may not \(actions.map(\.rawValue).joined(separator: " or "))\n", status: .forbidden))
        }
        return .granted(session, principal)
    }

    func context(_ request: Request, _ session: SessionRecord, _ principal: Principal) -> TradingPages.Context {
        trading.context(request, session, principal)
    }

    /// Runs `body` once `TradingRoutes.authorise` grants the form; otherwise its refusal.
    func withForm(_ request: Request, _ action: Action, back: String, _ body: (TradingRoutes.AuthorisedForm) async throws -> Response) async throws -> Response {
        switch try await trading.authorise(request, action, back: back) {
        case .granted(let form): return try await body(form)
        case .refused(let response): return response
        }
    }

    func badInput(_ back: String, _ what: String) -> Response {
        trading.redirect("\(back)?error=" + trading.encode("INVALID_INPUT: \(what)"))
    }

    /// The answer to an exchange command run with `trading.auditNote` (audited in its transaction).
    func exchangeOutcome(
        _ kind: String, _ form: TradingRoutes.AuthorisedForm, _ outcome: ExchangeOutcome, summary: String, context: AppRequestContext, back: String
    ) async throws -> Response {
        try await trading.conclude(
            kind, form.principal, seq: outcome.receipt?.seq, summary: summary,
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }

    func registryOutcome(
        _ command: RegistryCommand, _ form: TradingRoutes.AuthorisedForm, summary: String, context: AppRequestContext, back: String
    ) async throws -> Response {
        let outcome = try await service.execute(
            CommandRequest(idempotencyKey: form.idempotencyKey, command: command), audit: trading.auditNote(command.kind, form, context, summary: summary))
        return try await trading.conclude(
            command.kind, form.principal, seq: outcome.receipt?.seq, summary: summary,
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }

    /// "YYYY-MM-DD HH:MM" (or with seconds, or ISO-8601 with a zone); no zone: Beijing time.
    static func time(_ text: String) -> Timestamp? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return Timestamp(iso8601: trimmed.count == 16 ? trimmed + ":00" : trimmed)
    }

    /// A whole number field; empty or missing: `default`; not a number: nil.
    static func integer(_ text: String?, default value: Int64) -> Int64? {
        guard let text, !text.isEmpty else { return value }
        return Int64(text)
    }
}

/// The operators' portals and the four-eyes page (docs/portals.md, OperatorRoutes).
func addOperatorRoutes(_ router: Router<AppRequestContext>, _ routes: OperatorRoutes) {
    router.get("/portal/exchange") { request, _ in try await routes.exchangePage(request) }
    router.post("/portal/exchange/announce") { request, context in try await routes.announce(request, context: context) }
    router.post("/portal/exchange/clear") { request, context in try await routes.clear(request, context: context) }
    router.post("/portal/exchange/cancel") { request, context in try await routes.cancel(request, context: context) }
    router.post("/portal/exchange/open-day") { request, context in try await routes.trading.operate(request, context: context, open: true, back: "/portal/exchange") }
    router.post("/portal/exchange/close-day") { request, context in try await routes.trading.operate(request, context: context, open: false, back: "/portal/exchange") }
    router.get("/portal/registry") { request, _ in try await routes.registryPage(request) }
    router.post("/portal/registry/status") { request, context in try await routes.setStatus(request, context: context) }
    router.post("/portal/registry/funds") { request, context in try await routes.funds(request, context: context) }
    router.get("/portal/transfers") { request, _ in try await routes.transfersPage(request) }
    router.post("/portal/transfers/initiate") { request, context in try await routes.initiate(request, context: context) }
    router.post("/portal/transfers/decide") { request, context in try await routes.decide(request, context: context) }
}
