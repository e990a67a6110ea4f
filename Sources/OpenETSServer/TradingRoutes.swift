import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The request context: Hummingbird's, plus the peer address (for the audit log and the
/// login rate limit).
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    var address: String { remoteAddress?.ipAddress ?? "-" }
}

/// Login, logout and the participant's trading screen.
struct TradingRoutes: Sendable {
    let service: RegistryService
    let access: AccessService
    let secureCookies: Bool

    static let sessionCookie = "openets_session"
    /// Largest form body accepted (bytes).
    static let maxFormBytes = 16 << 10

    func loginPage(_ request: Request) -> Response {
        page(TradingPages(language: language(request)).login(error: nil))
    }

    func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lang = language(request)
        var request = request
        let form = try await Self.form(&request)
        let user = form["user"] ?? ""
        let outcome = try await access.login(user: user, password: form["password"] ?? "", totp: form["totp"], address: context.address, at: SystemClock().now())
        switch outcome {
        case .success(let login):
            var response = redirect("/trade")
            response.headers[.setCookie] = "\(Self.sessionCookie)=\(login.token); Path=/; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
            return response
        case .failure(.rateLimited):
            let message = lang == .zh ? "登录失败次数过多，请稍后再试。" : "Too many failed logins; try again later."
            return page(TradingPages(language: lang).login(error: message, user: user), status: .tooManyRequests)
        case .failure(.invalidCredentials):
            let message = lang == .zh ? "用户名、密码或动态口令不正确。" : "Wrong user, password or one-time code."
            return page(TradingPages(language: lang).login(error: message, user: user), status: .unauthorized)
        }
    }

    func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try await Self.form(&request)
        guard let (token, session, principal) = try await current(request) else { return redirect("/login") }
        guard AccessService.csrfMatches(session, form["csrf"]) else { return text("CSRF token missing or wrong\n", status: .forbidden) }
        try await access.logout(token: token, principal: principal, address: context.address, at: SystemClock().now())
        var response = redirect("/")
        response.headers[.setCookie] = "\(Self.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (secureCookies ? "; Secure" : "")
        return response
    }

    func tradePage(_ request: Request) async throws -> Response {
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard principal.may(.viewOwnAccount, matrix: access.matrix), principal.account != nil else {
            return text("forbidden: your role has no trading screen\n", status: .forbidden)
        }
        let query = request.uri.queryParameters
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() },
            message: query.get("ok"), error: query.get("error"))
        return page(TradingPages(language: language(request)).trade(context, registry: await service.state, exchange: await service.exchange))
    }

    /// POST /trade/{place,take,cancel}: session, CSRF and permission checks, then the exchange
    /// command with the form's nonce as its idempotency key.
    func trade(_ request: Request, context: AppRequestContext, action: Action) async throws -> Response {
        var request = request
        let form = try await Self.form(&request)
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard AccessService.csrfMatches(session, form["csrf"]) else { return text("CSRF token missing or wrong\n", status: .forbidden) }
        guard let account = principal.account, principal.may(action, for: account, matrix: access.matrix) else {
            return text("forbidden: \(principal.role.rawValue) may not \(action.rawValue)\n", status: .forbidden)
        }
        guard let nonce = form["nonce"], !nonce.isEmpty, nonce.utf8.count <= 64 else { return redirect("/trade?error=" + encode("INVALID_INPUT: form nonce")) }
        let command: ExchangeCommand
        switch action {
        case .tradePlace:
            guard let price = form["price"].flatMap(Fen.parse), let quantity = form["quantity"].flatMap({ Int64($0) }),
                let side = form["side"].flatMap(Side.init(rawValue:)), let instrument = form["instrument"]
            else { return redirect("/trade?error=" + encode("INVALID_INPUT: price (yuan, 2 decimals), whole-tonne quantity, side and instrument")) }
            command = .placeOrder(account: account, instrument: instrument, side: side, price: price, quantity: quantity)
        case .tradeTake:
            guard let order = form["order"].flatMap({ Int64($0) }), let quantity = form["quantity"].flatMap({ Int64($0) }) else {
                return redirect("/trade?error=" + encode("INVALID_INPUT: order and whole-tonne quantity"))
            }
            command = .takeOrder(account: account, order: order, quantity: quantity)
        default:
            guard let order = form["order"].flatMap({ Int64($0) }) else { return redirect("/trade?error=" + encode("INVALID_INPUT: order")) }
            command = .cancelOrder(account: account, order: order)
        }
        let outcome = try await service.execute(ExchangeRequest(idempotencyKey: "web-\(principal.user)-\(nonce)", command: command))
        let now = SystemClock().now()
        switch outcome {
        case .accepted(let receipt):
            let deals = receipt.events.compactMap { if case .dealDone(let deal, _, _) = $0 { deal.id.rawValue } else { nil } }
            let placed = receipt.events.compactMap { if case .orderPlaced(let order) = $0 { order.id } else { nil } }
            let summary = deals.isEmpty ? (placed.first.map { "order \($0)" } ?? "done") : "deal " + deals.joined(separator: ", ")
            try? await access.audit(now, principal.user, command.kind, "accepted #\(receipt.seq): \(summary)", context.address)
            return redirect("/trade?ok=" + encode("\(command.kind): \(summary) (#\(receipt.seq))"))
        case .rejected(let error):
            try await access.audit(now, principal.user, command.kind, "rejected \(error.code.rawValue)", context.address)
            return redirect("/trade?error=" + encode("\(error.code.rawValue): \(error.message)"))
        }
    }

    /// POST /trade/surrender: an entity initiator surrenders units for a compliance year
    /// (through its province to the national compliance account).
    func surrender(_ request: Request, context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try await Self.form(&request)
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard AccessService.csrfMatches(session, form["csrf"]) else { return text("CSRF token missing or wrong\n", status: .forbidden) }
        guard let account = principal.account, principal.may(.surrender, for: account, matrix: access.matrix) else {
            return text("forbidden: \(principal.role.rawValue) may not surrender\n", status: .forbidden)
        }
        guard let nonce = form["nonce"], !nonce.isEmpty, nonce.utf8.count <= 64, let unit = form["unit"],
            let quantity = form["quantity"].flatMap({ Int64($0) }), let year = form["year"].flatMap({ Int($0) })
        else { return redirect("/trade?error=" + encode("INVALID_INPUT: unit, whole-tonne quantity and compliance year")) }
        let command = RegistryCommand.surrender(account: account, unit: UnitTypeCode(unit), quantity: quantity, complianceYear: year)
        let outcome = try await service.execute(CommandRequest(idempotencyKey: "web-\(principal.user)-\(nonce)", command: command))
        let now = SystemClock().now()
        switch outcome {
        case .accepted(let receipt):
            try? await access.audit(now, principal.user, "surrender", "accepted #\(receipt.seq): \(quantity) \(unit) for \(year)", context.address)
            return redirect("/trade?ok=" + encode("surrender: \(quantity) t \(unit) for \(year) (#\(receipt.seq))"))
        case .rejected(let error):
            try await access.audit(now, principal.user, "surrender", "rejected \(error.code.rawValue)", context.address)
            return redirect("/trade?error=" + encode("\(error.code.rawValue): \(error.message)"))
        }
    }

    func surveillancePage(_ request: Request) async throws -> Response {
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard principal.may(.viewSurveillance, matrix: access.matrix) else { return text("forbidden: surveillance is for the exchange operator and MEE\n", status: .forbidden) }
        let query = request.uri.queryParameters
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() }, message: query.get("ok"), error: query.get("error"))
        return page(TradingPages(language: language(request)).surveillance(
            context, exchange: await service.exchange, canOperate: principal.may(.exchangeOperate, matrix: access.matrix)))
    }

    /// POST /operator/{open-day,close-day}: the exchange operator runs the trading day.
    func operate(_ request: Request, context: AppRequestContext, open: Bool) async throws -> Response {
        var request = request
        let form = try await Self.form(&request)
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard AccessService.csrfMatches(session, form["csrf"]) else { return text("CSRF token missing or wrong\n", status: .forbidden) }
        guard principal.may(.exchangeOperate, matrix: access.matrix) else { return text("forbidden: \(principal.role.rawValue) may not run the trading day\n", status: .forbidden) }
        let command: ExchangeCommand
        if open {
            guard let date = form["date"].flatMap(CivilDate.init) else { return redirect("/surveillance?error=" + encode("INVALID_INPUT: date YYYY-MM-DD")) }
            command = .openDay(date)
        } else {
            command = .closeDay
        }
        let outcome = try await service.execute(ExchangeRequest(idempotencyKey: "web-\(principal.user)-\(form["nonce"] ?? UUID().uuidString)", command: command))
        try? await access.audit(SystemClock().now(), principal.user, command.kind, outcome.error.map { "rejected \($0.code.rawValue)" } ?? "accepted", context.address)
        if let error = outcome.error { return redirect("/surveillance?error=" + encode("\(error.code.rawValue): \(error.message)")) }
        return redirect("/surveillance?ok=" + encode(command.kind))
    }

    /// The session behind the request's cookie: (token, session, principal).
    func current(_ request: Request) async throws -> (String, SessionRecord, Principal)? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        guard let (session, principal) = try await access.principal(token: token, at: SystemClock().now()) else { return nil }
        return (token, session, principal)
    }

    func language(_ request: Request) -> Language {
        Language(query: request.uri.queryParameters.get("lang"), cookie: request.cookies["lang"]?.value)
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// An application/x-www-form-urlencoded body, at most `maxFormBytes`.
    static func form(_ request: inout Request) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: maxFormBytes)
        let body = String(buffer: buffer)
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
