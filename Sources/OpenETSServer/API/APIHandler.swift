import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The REST API of openapi.yaml: the generated `APIProtocol`, implemented over the registry's
/// writer. Domain types become API types here and nowhere else.
struct APIHandler: APIProtocol {
    let service: RegistryService
    let store: any LedgerStore
    let access: AccessService
    /// The MRV platform and the allocation cycle's records; nil when the server runs without
    /// them (their operations answer 503 UNAVAILABLE).
    var mrv: MRVService?
    var cycle: (any AllocationCycleStore)?
    /// Days a stored Idempotency-Key is kept (`ServerConfiguration.idempotencyRetentionDays`).
    var idempotencyRetentionDays = APIIdempotency.defaultRetentionDays
    /// Seconds a key may stay in progress before a retry takes it over (`ServerConfiguration.idempotencyTakeoverSeconds`).
    var idempotencyTakeoverSeconds = APIIdempotency.defaultTakeoverSeconds
    /// Places of the evidence downloads (`getMRVEvidenceFile`) read and answered at once, each
    /// holding a whole file (up to the policy's `maxEvidenceBytes`) and its hash in memory;
    /// more are 503 UNAVAILABLE (`ServerConfiguration.maxConcurrentEvidenceDownloads`).
    var evidenceDownloads = LargeBodyGate(limit: ServerConfiguration.defaultMaxConcurrentEvidenceDownloads)

    /// The named maximum of `limit` (openapi.yaml says the same) and its default.
    static let maxPageLimit = 500
    static let defaultPageLimit = 100
    /// Longest client Idempotency-Key (bytes); the registry key adds the user's id to it.
    static let maxIdempotencyKeyBytes = 64
    /// The book shows the best five price levels of each side (the listing agreement's rule).
    static let bookLevels = 5

    typealias Schemas = Components.Schemas

    // MARK: market data (public)

    func listInstruments(_ input: Operations.ListInstruments.Input) async throws -> Operations.ListInstruments.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let instruments = await service.exchange.instruments.values.sorted { $0.code < $1.code }
        let page = window.slice(instruments)
        return .ok(.init(body: .json(Schemas.InstrumentPage(
            items: page.items.map {
                Schemas.Instrument(code: $0.code, unit: $0.unit.rawValue, label: $0.label, continuous: $0.continuous, previousCloseFen: $0.previousClose)
            },
            total: page.total, nextOffset: page.next))))
    }

    func getOrderBook(_ input: Operations.GetOrderBook.Input) async throws -> Operations.GetOrderBook.Output {
        let exchange = await service.exchange
        let code = input.path.code
        guard exchange.instruments[code] != nil else { return .notFound(.init(body: .json(Self.unknownInstrument(code)))) }
        guard let book = exchange.books[code] else {
            return .ok(.init(body: .json(Schemas.OrderBook(instrument: code, bids: [], asks: [], orders: []))))
        }
        let bids = book.depth(.buy, levels: Self.bookLevels), asks = book.depth(.sell, levels: Self.bookLevels)
        let shown = Set(bids.map { "b\($0.price)" } + asks.map { "s\($0.price)" })
        // allOrders: bids best first, then asks best first, oldest first within a level.
        let orders = book.allOrders().filter { shown.contains(($0.side == .buy ? "b" : "s") + "\($0.price)") }
        func level(_ l: DepthLevel) -> Schemas.DepthLevel { .init(priceFen: l.price, quantityTonnes: l.quantity, orders: l.orders) }
        return .ok(.init(body: .json(Schemas.OrderBook(
            instrument: code, bids: bids.map(level), asks: asks.map(level),
            orders: orders.map { .init(id: $0.id, side: Self.side($0.side), priceFen: $0.price, remainingTonnes: $0.remaining) }))))
    }

    func listTrades(_ input: Operations.ListTrades.Input) async throws -> Operations.ListTrades.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let exchange = await service.exchange
        let code = input.path.code
        guard exchange.instruments[code] != nil else { return .notFound(.init(body: .json(Self.unknownInstrument(code)))) }
        let page = window.slice(Array(exchange.todayDeals.filter { $0.instrument == code }.reversed()))
        return .ok(.init(body: .json(Schemas.TradePage(
            items: page.items.map {
                Schemas.Trade(
                    id: $0.id.rawValue, mode: $0.mode.rawValue, priceFen: $0.price, quantityTonnes: $0.quantity, amountFen: $0.amountFen,
                    time: utc($0.time))
            },
            total: page.total, nextOffset: page.next))))
    }

    func listDailyPrices(_ input: Operations.ListDailyPrices.Input) async throws -> Operations.ListDailyPrices.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let exchange = await service.exchange
        let code = input.path.code
        guard exchange.instruments[code] != nil else { return .notFound(.init(body: .json(Self.unknownInstrument(code)))) }
        let page = window.slice(exchange.history.filter { $0.instrument == code })
        return .ok(.init(body: .json(Schemas.DailyPricesPage(
            items: page.items.map {
                Schemas.DailyPrices(
                    date: $0.date.description, previousCloseFen: $0.previousClose, openFen: $0.prices.open, highFen: $0.prices.high,
                    lowFen: $0.prices.low, closeFen: $0.prices.close, volumeTonnes: $0.prices.volume, turnoverFen: $0.prices.turnoverFen)
            },
            total: page.total, nextOffset: page.next))))
    }

    // MARK: registry reads (public, as the web pages)

    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let accounts = await service.state.accounts.values.sorted { $0.id.rawValue < $1.id.rawValue }
        let page = window.slice(accounts)
        return .ok(.init(body: .json(Schemas.AccountPage(
            items: page.items.map {
                Schemas.Account(
                    id: $0.id.rawValue, _type: $0.type.rawValue, ownerName: $0.ownerName, province: $0.province,
                    status: Self.status($0.status))
            },
            total: page.total, nextOffset: page.next))))
    }

    func getAccountHoldings(_ input: Operations.GetAccountHoldings.Input) async throws -> Operations.GetAccountHoldings.Output {
        let state = await service.state
        let id = AccountID(input.path.accountId)
        guard state.accounts[id] != nil else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_ACCOUNT", "no account \(id.rawValue)", ["account": id.rawValue]))))
        }
        let holdings = state.holdings.filter { $0.key.account == id }.sorted { $0.key < $1.key }.map { key, holding in
            Schemas.Holding(
                unit: key.unit.rawValue, totalTonnes: holding.total, availableTonnes: holding.available,
                frozenTonnes: holding.total - holding.available)
        }
        return .ok(.init(body: .json(Schemas.AccountHoldings(account: id.rawValue, holdings: holdings, cashFen: state.cashFen[id] ?? 0))))
    }

    // MARK: order entry (API token)

    func placeOrder(_ input: Operations.PlaceOrder.Input) async throws -> Operations.PlaceOrder.Output {
        let body: Schemas.PlaceOrderRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.tradePlace, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.placeOrder(
                account: caller.account, instrument: body.instrument, side: Self.side(body.side), price: body.priceFen,
                quantity: body.quantityTonnes)))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func takeOrder(_ input: Operations.TakeOrder.Input) async throws -> Operations.TakeOrder.Output {
        let body: Schemas.TakeOrderRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.tradeTake, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.takeOrder(account: caller.account, order: input.path.orderId, quantity: body.quantityTonnes)))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func cancelOrder(_ input: Operations.CancelOrder.Input) async throws -> Operations.CancelOrder.Output {
        try await command(.tradeCancel, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.cancelOrder(account: caller.account, order: input.path.orderId)))
        } accepted: { .ok(.init(body: .json($0))) }
    }
}

// MARK: authorisation and execution

/// The answers every operation with a token can give before it runs: 401 and 403.
protocol TokenGuardedOutput {
    static func unauthorized(_ response: Components.Responses.Unauthorized) -> Self
    static func forbidden(_ response: Components.Responses.Forbidden) -> Self
}

/// A state-changing operation: besides 401 and 403, a bad Idempotency-Key (400) and a
/// command the domain rejects (422).
protocol CommandOutput: TokenGuardedOutput {
    static func badRequest(_ response: Components.Responses.BadRequest) -> Self
    static func unprocessableContent(_ response: Components.Responses.Rejected) -> Self
}

extension Operations.PlaceOrder.Output: CommandOutput {}
extension Operations.TakeOrder.Output: CommandOutput {}
extension Operations.CancelOrder.Output: CommandOutput {}
extension Operations.InitiateTransfer.Output: CommandOutput {}
extension Operations.ApproveTransfer.Output: CommandOutput {}
extension Operations.RejectTransfer.Output: CommandOutput {}
extension Operations.Surrender.Output: CommandOutput {}
extension Operations.QuoteBlock.Output: CommandOutput {}
extension Operations.CounterBlock.Output: CommandOutput {}
extension Operations.AcceptBlock.Output: CommandOutput {}
extension Operations.PlaceBid.Output: CommandOutput {}
extension Operations.SubmitMonthlyData.Output: CommandOutput {}
extension Operations.ListAccountJournal.Output: TokenGuardedOutput {}
extension Operations.ListAccountTransfers.Output: TokenGuardedOutput {}
extension Operations.ListBlockQuotes.Output: TokenGuardedOutput {}
extension Operations.ListMRVMonths.Output: TokenGuardedOutput {}
extension Operations.ListMRVReports.Output: TokenGuardedOutput {}
extension Operations.GetEntityCompliance.Output: TokenGuardedOutput {}

extension APIHandler {
    /// Who calls, for which account, under which registry idempotency key.
    struct Caller {
        var principal: Principal
        var account: AccountID
        var idempotencyKey: String
    }

    /// A refusal before the command: no or an expired token (401), no permission (403) or a bad key (400).
    enum Refusal: Error {
        case unauthorized(Schemas._Error)
        case forbidden(Schemas._Error)
        case badRequest(Schemas._Error)

        func output<O: CommandOutput>() -> O {
            switch self {
            case .unauthorized(let error): .unauthorized(.init(body: .json(error)))
            case .forbidden(let error): .forbidden(.init(body: .json(error)))
            case .badRequest(let error): .badRequest(.init(body: .json(error)))
            }
        }

        /// For reads, which have no Idempotency-Key: only 401 and 403 arise.
        func guarded<O: TokenGuardedOutput>() -> O {
            switch self {
            case .unauthorized(let error): .unauthorized(.init(body: .json(error)))
            case .forbidden(let error), .badRequest(let error): .forbidden(.init(body: .json(error)))
            }
        }
    }

    /// What a state-changing call runs: through the registry's writer (exchange or registry
    /// command) or the MRV platform's (a monthly CSV).
    enum Command {
        case exchange(ExchangeCommand)
        case registry(RegistryCommand)

        var kind: String {
            switch self {
            case .exchange(let command): command.kind
            case .registry(let command): command.kind
            }
        }
    }

    static func forbidden(_ principal: Principal, _ action: Action, _ why: String? = nil) -> Refusal {
        var details = ["role": principal.role.rawValue, "action": action.rawValue]
        if let why { details["reason"] = why }
        return .forbidden(error("FORBIDDEN", "\(principal.role.rawValue) may not \(action.rawValue)" + (why.map { ": \($0)" } ?? ""), details))
    }

    /// The token's user, if the token is live (401 otherwise) and its role may do `action`
    /// (403 otherwise). Scope (own account, own province) is the caller's next check.
    func principal(_ action: Action) async throws -> Result<Principal, Refusal> {
        guard let token = APIRequestInfo.bearer else {
            return .failure(.unauthorized(Self.error("UNAUTHENTICATED", "an API token is required: Authorization: Bearer <token>")))
        }
        let principal: Principal
        switch try await access.lookUp(token, at: SystemClock().now()) {
        case .live(let found): principal = found
        case .expired(let at):
            return .failure(.unauthorized(Self.error(
                "TOKEN_EXPIRED", "the API token expired at \(utc(at)); create a new one (openets access token create)", ["expiredAt": utc(at)])))
        case .invalid:
            return .failure(.unauthorized(Self.error("UNAUTHENTICATED", "an API token is required: Authorization: Bearer <token>")))
        }
        guard principal.may(action, matrix: access.matrix) else { return .failure(Self.forbidden(principal, action)) }
        return .success(principal)
    }

    /// A read about one account: the role may do `action` and, for a participant, it is its own account.
    func reader(_ action: Action, account: AccountID) async throws -> Result<Principal, Refusal> {
        switch try await principal(action) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let principal):
            guard principal.may(action, for: account, matrix: access.matrix) else {
                return .failure(Self.forbidden(principal, action, "account \(account.rawValue) is not the caller's"))
            }
            return .success(principal)
        }
    }

    /// The checks of every state-changing call, in the web's order: a live API token, the
    /// permission matrix (a participant acts only for its own account), then the key.
    func authorise(_ action: Action, key: String) async throws -> Result<Caller, Refusal> {
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): principal = found
        }
        guard let account = principal.account, principal.may(action, for: account, matrix: access.matrix) else {
            return .failure(Self.forbidden(principal, action, "the user acts for no account"))
        }
        guard !key.isEmpty, key.utf8.count <= Self.maxIdempotencyKeyBytes, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .failure(.badRequest(Self.error(
                "INVALID_INPUT", "Idempotency-Key must be 1-\(Self.maxIdempotencyKeyBytes) printable ASCII characters")))
        }
        // Keys are per user: two users choosing the same key do not collide. The user is named
        // by a fixed-length hash, so "a" + "b-c" and "a-b" + "c" differ, and the registry key
        // stays within its 128 bytes whatever the user id's length (at most 64 bytes).
        let user = String(sha256Hex(principal.user).prefix(16))
        return .success(Caller(principal: principal, account: account, idempotencyKey: "api-\(user)-\(key)"))
    }

    /// Authorises, builds the command for the caller (which may refuse it: scope), runs it
    /// through the registry's writer, audits it and answers in the operation's output type.
    func command<O: CommandOutput>(
        _ action: Action, key: String, _ build: (Caller) async throws -> Result<Command, Refusal>,
        accepted: (Schemas.CommandResult) -> O
    ) async throws -> O {
        let caller: Caller
        switch try await authorise(action, key: key) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        let command: Command
        switch try await build(caller) {
        case .failure(let refusal):
            try await access.audit(SystemClock().now(), caller.principal.user, "api_" + action.rawValue, "refused", APIRequestInfo.address)
            return refusal.output()
        case .success(let built): command = built
        }
        switch try await execute(command, caller) {
        case .accepted(let result): return accepted(result)
        case .rejected(let error): return .unprocessableContent(.init(body: .json(error)))
        }
    }

    /// A command's outcome in API types.
    enum Executed {
        case accepted(Schemas.CommandResult)
        case rejected(Schemas._Error)
    }

    /// Runs a command through the registry's writer, which writes its audit record (with the
    /// outcome) in the command's own transaction: one commit covers both.
    func execute(_ command: Command, _ caller: Caller) async throws -> Executed {
        let audit = AuditNote(
            at: SystemClock().now(), user: caller.principal.user, action: "api_" + command.kind, address: APIRequestInfo.address)
        do {
            return try await run(command, caller, audit: audit)
        } catch {
            // The batch failed (nothing was written, its audit line neither): say so in the log.
            try? await access.audit(audit.at, audit.user, audit.action, "failed \(type(of: error))", audit.address)
            throw error
        }
    }

    private func run(_ command: Command, _ caller: Caller, audit: AuditNote) async throws -> Executed {
        var result = Schemas.CommandResult(seq: 0, replayed: false, deals: [])
        let rejection: (code: String, message: String)?
        switch command {
        case .exchange(let exchange):
            switch try await service.execute(ExchangeRequest(idempotencyKey: caller.idempotencyKey, command: exchange), audit: audit) {
            case .rejected(let error): rejection = (error.code.rawValue, error.message)
            case .accepted(let receipt):
                rejection = nil
                (result.seq, result.replayed) = (receipt.seq, receipt.replayed)
                for event in receipt.events {
                    switch event {
                    case .orderPlaced(let order): result.orderId = result.orderId ?? order.id
                    case .quotePosted(let quote): result.quoteId = result.quoteId ?? quote.id
                    case .bidPlaced(let bid): result.bidId = result.bidId ?? bid.id
                    case .dealDone(let deal, _, _): result.deals.append(.init(id: deal.id.rawValue, priceFen: deal.price, quantityTonnes: deal.quantity))
                    default: break
                    }
                }
            }
        case .registry(let registry):
            switch try await service.execute(CommandRequest(idempotencyKey: caller.idempotencyKey, command: registry), audit: audit) {
            case .rejected(let error): rejection = (error.code.rawValue, error.message)
            case .accepted(let receipt):
                rejection = nil
                (result.seq, result.replayed) = (receipt.seq, receipt.replayed)
                for event in receipt.events {
                    if case .transferInitiated(let pending) = event { result.transferId = pending.id.rawValue }
                    if case .unitsFrozen(let freeze, _) = event { result.freezeId = freeze.id.rawValue }
                }
            }
        }
        if let rejection {
            return .rejected(Self.error(rejection.code, rejection.message, ["command": command.kind]))
        }
        return .accepted(result)
    }
}

// MARK: mapping

extension APIHandler {
    static func error(_ code: String, _ message: String, _ details: [String: String] = [:]) -> Schemas._Error {
        Schemas._Error(code: code, message: message, details: .init(additionalProperties: details))
    }

    /// An INVALID_POLICY refusal's `details`: the `command`, and each problem ("field: why",
    /// as the policies' validations word them) under its field, so a client can point at it;
    /// problems of one field are joined by "; ", and one naming no field (a field is one word:
    /// `platform[2024].monthlyDueDays`) is under `policy`.
    static func policyProblemDetails(_ command: String, _ problems: [String]) -> [String: String] {
        var details = ["command": command]
        for problem in problems {
            var field = "policy", why = problem
            if let colon = problem.firstIndex(of: ":"), problem[colon...].hasPrefix(": ") {
                let name = problem[..<colon]
                if !name.isEmpty, !name.contains(where: \.isWhitespace), name != "command" {
                    field = String(name)
                    why = String(problem[problem.index(colon, offsetBy: 2)...])
                }
            }
            details[field] = details[field].map { $0 + "; " + why } ?? why
        }
        return details
    }

    static let badPage = error(
        "INVALID_INPUT", "limit must be 1-\(maxPageLimit) and offset at least 0", ["maxLimit": String(maxPageLimit)])

    static func unknownInstrument(_ code: String) -> Schemas._Error {
        error("UNKNOWN_INSTRUMENT", "no instrument \(code)", ["instrument": code])
    }

    static func side(_ side: Side) -> Schemas.Side { side == .buy ? .buy : .sell }

    static func status(_ status: AccountStatus) -> Schemas.Account.StatusPayload {
        switch status {
        case .open: .open
        case .blocked: .blocked
        case .closed: .closed
        }
    }
}

/// A page of a list: `limit` items from `offset`, with the offset of the next page.
struct PageWindow {
    var limit: Int
    var offset: Int

    /// Nil when `limit` or `offset` is out of range (the spec's bounds, checked here: the
    /// generated code decodes types, not ranges).
    init?(limit: Int32?, offset: Int32?) {
        let limit = Int(limit ?? Int32(APIHandler.defaultPageLimit)), offset = Int(offset ?? 0)
        guard (1...APIHandler.maxPageLimit).contains(limit), offset >= 0 else { return nil }
        self.limit = limit
        self.offset = offset
    }

    func slice<T>(_ all: [T]) -> (items: ArraySlice<T>, total: Int, next: Int?) {
        let start = min(offset, all.count), end = min(all.count, start + limit)
        return (all[start..<end], all.count, end < all.count ? end : nil)
    }
}

/// A timestamp as ISO 8601 in UTC with milliseconds, in integers (no floating point).
func utc(_ time: Timestamp) -> String {
    let ms = time.millisecondsSinceEpoch
    let day = ms >= 0 ? ms / 86_400_000 : -((-ms + 86_399_999) / 86_400_000)
    let rest = ms - day * 86_400_000
    func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(CivilDate(daysSinceEpoch: day))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60_000 % 60, 2)):\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
}
