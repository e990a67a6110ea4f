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
    /// The connection, for `CloseAfterAnswerMiddleware`.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    var address: String { remoteAddress?.ipAddress ?? "-" }
    /// The key of the per-address limits: IPv4 by address, IPv6 by its /64 (`ClientAddressKey`).
    var limitKey: String { ClientAddressKey.key(remoteAddress) }
}

/// Login, logout and the participant's trading screen.
struct TradingRoutes: Sendable {
    let service: RegistryService
    let access: AccessService
    let secureCookies: Bool
    /// Counts each user's state-changing form posts (`ServerConfiguration.formRateLimit`).
    var formLimiter = APIRateLimiter(.standard)
    /// Whether the server has the MRV policy page (`/portal/mrv-policy`, only with an MRV platform).
    var mrvPolicyPage = false

    static let sessionCookie = "openets_session"
    /// Largest form body accepted (bytes).
    static let maxFormBytes = 16 << 10

    /// The login form's pre-session cookie: its value is also a hidden field of the form, and
    /// a login POST must carry both, equal (double submit; a cross-site form cannot read the
    /// cookie, and SameSite=Strict keeps it off cross-site requests).
    static let loginCookie = "openets_login"

    /// A page's context: the session's CSRF token, a fresh one-time nonce, the query's `ok` and
    /// `error`, and the head's MRV policy link when the page exists and the configured matrix
    /// lets the user read it.
    func context(_ request: Request, _ session: SessionRecord, _ principal: Principal) -> TradingPages.Context {
        let query = request.uri.queryParameters
        return TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() }, message: query.get("ok"), error: query.get("error"),
            mrvPolicyLink: mrvPolicyLink(principal))
    }

    /// Whether a page's head links the MRV policy page: it exists (a server with the MRV
    /// platform) and the user's role may read it in the configured matrix.
    func mrvPolicyLink(_ principal: Principal) -> Bool {
        mrvPolicyPage && principal.may(.viewPublic, matrix: access.matrix)
    }

    func loginPage(_ request: Request) -> Response {
        let token = loginToken(request) ?? AccessService.newToken()
        var response = page(TradingPages(language: language(request)).login(
            error: nil, next: Self.localPath(request.uri.queryParameters.get("next").map { String($0) }), loginCSRF: token))
        response.headers[.setCookie] = loginCookie(token)
        return response
    }

    /// The pre-session token of the request's cookie, when it has the form of one.
    func loginToken(_ request: Request) -> String? {
        guard let value = request.cookies[Self.loginCookie]?.value, value.utf8.count == 64,
            value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        return String(value)
    }

    func loginCookie(_ token: String) -> String {
        "\(Self.loginCookie)=\(token); Path=/login; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    /// A page of this site to return to after the login (`next`): a path, never another host.
    static func localPath(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 1_024,
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else { return nil }
        return next
    }

    func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lang = language(request)
        var request = request
        let form = try await Self.form(&request)
        // Login CSRF: without the pre-session cookie and the same token in the form, the
        // password is not even looked at (nothing counts as a failed login).
        guard let token = loginToken(request), AccessService.tokensMatch(token, form["login_csrf"] ?? "") else {
            // The user id as typed (`AuditRecord` cuts it to the login form's 64 bytes).
            try await access.audit(SystemClock().now(), form["user"] ?? "", "login_refused", "login csrf token missing or wrong", context.address)
            let message = lang == .zh ? "登录表单已失效，请重新打开登录页。" : "The login form expired; open the login page again."
            let fresh = AccessService.newToken()
            var response = page(TradingPages(language: lang).login(error: message, next: Self.localPath(form["next"]), loginCSRF: fresh), status: .forbidden)
            response.headers[.setCookie] = loginCookie(fresh)
            return response
        }
        let user = form["user"] ?? ""
        let outcome = try await access.login(
            user: user, password: form["password"] ?? "", totp: form["totp"], address: context.address, addressKey: context.limitKey,
            at: SystemClock().now())
        switch outcome {
        case .success(let login):
            var response = redirect(Self.localPath(form["next"]) ?? "/trade")
            response.headers[.setCookie] = "\(Self.sessionCookie)=\(login.token); Path=/; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
            return response
        case .failure(.rateLimited):
            let message = lang == .zh ? "登录失败次数过多，请稍后再试。" : "Too many failed logins; try again later."
            return page(TradingPages(language: lang).login(error: message, user: user, next: Self.localPath(form["next"]), loginCSRF: token), status: .tooManyRequests)
        case .failure(.invalidCredentials):
            let message = lang == .zh ? "用户名、密码或动态口令不正确。" : "Wrong user, password or one-time code."
            return page(TradingPages(language: lang).login(error: message, user: user, next: Self.localPath(form["next"]), loginCSRF: token), status: .unauthorized)
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
        // Staff without a trading screen start at their portal.
        if principal.may(.mrvVerify, matrix: access.matrix) { return redirect("/portal/verifier") }
        if principal.may(.mrvReview, matrix: access.matrix) { return redirect("/portal/province") }
        if principal.may(.mrvReviewCity, matrix: access.matrix) { return redirect("/portal/city") }
        if principal.may(.mrvReviewNational, matrix: access.matrix) { return redirect("/portal/mee") }
        if principal.may(.ccerValidate, matrix: access.matrix) { return redirect("/portal/validator") }
        if principal.may(.exchangeOperate, matrix: access.matrix) { return redirect("/portal/exchange") }
        if principal.may(.registryOperate, matrix: access.matrix) { return redirect("/portal/registry") }
        guard principal.may(.viewOwnAccount, matrix: access.matrix), principal.account != nil else {
            return text("forbidden: your role has no trading screen\n", status: .forbidden)
        }
        let query = request.uri.queryParameters
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() },
            message: query.get("ok"), error: query.get("error"), mrvPolicyLink: mrvPolicyLink(principal))
        return page(TradingPages(language: language(request)).trade(context, registry: await service.state, exchange: await service.exchange))
    }

    /// A state-changing form that passed every check: live session, CSRF token, permission
    /// (participants only for their own account) and a one-time nonce.
    struct AuthorisedForm {
        var fields: [String: String]
        var principal: Principal
        /// The command's idempotency key: a form submitted twice acts once.
        var idempotencyKey: String
    }

    enum Authorisation {
        case granted(AuthorisedForm)
        case refused(Response)
    }

    /// The checks every state-changing form goes through, in one place.
    /// `maxBytes`: the largest body taken (`maxFormBytes`, larger for the CSV form).
    /// A form larger than the usual (`maxFormBytes`: the CSV upload, the MRV policy tables) is
    /// read only for a signed-in user whose role may post it, and one announcing more than
    /// `maxBytes` is 413 unread: nobody else makes the server take (and copy) megabytes.
    func authorise(_ request: Request, _ action: Action, back: String, maxBytes: Int = maxFormBytes) async throws -> Authorisation {
        var request = request
        if maxBytes > Self.maxFormBytes {
            guard let (_, _, principal) = try await current(request) else { return .refused(redirect("/login")) }
            guard principal.may(action, for: principal.account, matrix: access.matrix) else {
                return .refused(text("forbidden: \(principal.role.rawValue) may not \(action.rawValue)\n", status: .forbidden))
            }
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
                return .refused(text("form over \(maxBytes) bytes\n", status: .contentTooLarge))
            }
        }
        let form = try await Self.form(&request, maxBytes: maxBytes)
        guard let (_, session, principal) = try await current(request) else { return .refused(redirect("/login")) }
        guard AccessService.csrfMatches(session, form["csrf"]) else { return .refused(text("CSRF token missing or wrong\n", status: .forbidden)) }
        let participant = principal.account != nil
        guard principal.may(action, for: principal.account, matrix: access.matrix), participant || !Self.participantActions.contains(action) else {
            return .refused(text("forbidden: \(principal.role.rawValue) may not \(action.rawValue)\n", status: .forbidden))
        }
        // Counted once the post is known to be the user's own and permitted: a forged or
        // refused post does not use up the user's allowance.
        if let wait = formLimiter.admit("web:" + principal.user, at: SystemClock().now()) {
            let limit = formLimiter.limit
            var response = text(
                "RATE_LIMITED: more than \(limit.calls) form posts in \(limit.windowSeconds) s; try again in \(wait) s\n", status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return .refused(response)
        }
        guard let nonce = form["nonce"], !nonce.isEmpty, nonce.utf8.count <= Self.maxNonceBytes else {
            return .refused(redirect("\(back)?error=" + encode("INVALID_INPUT: form nonce")))
        }
        return .granted(AuthorisedForm(fields: form, principal: principal, idempotencyKey: "web-\(principal.user)-\(nonce)"))
    }

    /// Actions taken for the principal's own registry account.
    static let participantActions: Set<Action> = [.tradePlace, .tradeTake, .tradeCancel, .blockQuote, .auctionBid, .surrender, .neutralityCancel, .mrvReport]
    static let maxNonceBytes = 64

    /// The audit note of a form's registry, exchange or CCER command: handed to the registry's
    /// writer, it writes the audit line (with the outcome) in the command's own transaction,
    /// so the command is never durable without its audit line. `summary`: what was asked.
    func auditNote(_ kind: String, _ form: AuthorisedForm, _ context: AppRequestContext, summary: String = "") -> AuditNote {
        AuditNote(at: SystemClock().now(), user: form.principal.user, action: kind, address: context.address, summary: summary)
    }

    /// Who writes a form's audit line: every outcome has exactly one, so each `conclude` says
    /// which (no default: a wrong guess would write it twice or not at all).
    enum AuditLine {
        /// The command's own transaction wrote it (the writer was handed `auditNote`, or the
        /// MRV or CCER service its audit): `conclude` writes nothing.
        case writtenWithCommand
        /// Nothing has written it (a refusal found before any command ran, or a command run
        /// without an audit note): `conclude` writes it.
        case writeHere
    }

    /// Audits the outcome (as `audit` says) and sends the user back with it. An audit write
    /// that fails after an accepted command does not turn the response into an error: the
    /// command is committed.
    func conclude(
        _ kind: String, _ principal: Principal, seq: Int64?, summary: String, error: (code: String, message: String)?,
        address: String, back: String, audit: AuditLine
    ) async throws -> Response {
        let now = SystemClock().now()
        let separator = back.contains("?") ? "&" : "?"
        if let error {
            if audit == .writeHere { try await access.audit(now, principal.user, kind, "rejected \(error.code)", address) }
            return redirect("\(back)\(separator)error=" + encode("\(error.code): \(error.message)"))
        }
        if audit == .writeHere { try? await access.audit(now, principal.user, kind, "accepted #\(seq ?? 0): \(summary)", address) }
        return redirect("\(back)\(separator)ok=" + encode("\(kind): \(summary) (#\(seq ?? 0))"))
    }

    /// POST /trade/{place,take,cancel}: the exchange command of an authorised form.
    func trade(_ request: Request, context: AppRequestContext, action: Action) async throws -> Response {
        let form: AuthorisedForm
        switch try await authorise(request, action, back: "/trade") {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        let fields = form.fields, account = form.principal.account!
        // Back to the trading screen with INVALID_INPUT naming the field, audited: the input
        // never became a command.
        func invalidInput(_ why: String) async throws -> Response {
            let kind = action == .tradePlace ? "place_order" : action == .tradeTake ? "take_order" : "cancel_order"
            return try await conclude(
                kind, form.principal, seq: nil, summary: "", error: ("INVALID_INPUT", why), address: context.address, back: "/trade", audit: .writeHere)
        }
        let command: ExchangeCommand
        switch action {
        case .tradePlace:
            // The first field that is not what the order needs, named (the form's own words).
            guard let instrument = fields["instrument"], !instrument.isEmpty else { return try await invalidInput("instrument: choose an instrument") }
            guard let side = fields["side"].flatMap(Side.init(rawValue:)) else { return try await invalidInput("side: buy or sell") }
            guard let price = fields["price"].flatMap(Fen.parse) else {
                return try await invalidInput("price: '\(fields["price"]?.prefix(32) ?? "")' is not a price in yuan with at most 2 decimals (e.g. 97.50)")
            }
            guard let quantity = fields["quantity"].flatMap({ Int64($0) }) else {
                return try await invalidInput("quantity: '\(fields["quantity"]?.prefix(32) ?? "")' is not a whole number of tonnes")
            }
            command = .placeOrder(account: account, instrument: instrument, side: side, price: price, quantity: quantity)
        case .tradeTake:
            guard let order = fields["order"].flatMap({ Int64($0) }) else { return try await invalidInput("order: the number of a listing") }
            guard let quantity = fields["quantity"].flatMap({ Int64($0) }) else {
                return try await invalidInput("quantity: '\(fields["quantity"]?.prefix(32) ?? "")' is not a whole number of tonnes")
            }
            command = .takeOrder(account: account, order: order, quantity: quantity)
        default:
            guard let order = fields["order"].flatMap({ Int64($0) }) else { return try await invalidInput("order: the number of a listing") }
            command = .cancelOrder(account: account, order: order)
        }
        let outcome = try await service.execute(
            ExchangeRequest(idempotencyKey: form.idempotencyKey, command: command), audit: auditNote(command.kind, form, context))
        let receipt = outcome.receipt
        let events = receipt?.events ?? []
        let deals: [String] = events.compactMap { if case .dealDone(let deal, _, _) = $0 { deal.id.rawValue } else { nil } }
        let placed: [Int64] = events.compactMap { if case .orderPlaced(let order) = $0 { order.id } else { nil } }
        let summary = deals.isEmpty ? (placed.first.map { "order \($0)" } ?? "done") : "deal " + deals.joined(separator: ", ")
        return try await conclude(
            command.kind, form.principal, seq: receipt?.seq, summary: summary,
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: "/trade", audit: .writtenWithCommand)
    }

    /// POST /trade/surrender: an entity initiator surrenders units for a compliance year
    /// (through its province to the national compliance account).
    /// `back`: the page the form is on (`/trade`, or the entity portal).
    func surrender(_ request: Request, context: AppRequestContext, back: String = "/trade") async throws -> Response {
        let form: AuthorisedForm
        switch try await authorise(request, .surrender, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        guard let unit = form.fields["unit"], let quantity = form.fields["quantity"].flatMap({ Int64($0) }),
            let year = form.fields["year"].flatMap({ Int($0) })
        else { return redirect("\(back)?error=" + encode("INVALID_INPUT: unit, whole-tonne quantity and compliance year")) }
        let command = RegistryCommand.surrender(account: form.principal.account!, unit: UnitTypeCode(unit), quantity: quantity, complianceYear: year)
        let summary = "\(quantity) t \(unit) for \(year)"
        let outcome = try await service.execute(
            CommandRequest(idempotencyKey: form.idempotencyKey, command: command), audit: auditNote("surrender", form, context, summary: summary))
        return try await conclude(
            "surrender", form.principal, seq: outcome.receipt?.seq, summary: summary,
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }

    func surveillancePage(_ request: Request) async throws -> Response {
        guard let (_, session, principal) = try await current(request) else { return redirect("/login") }
        guard principal.may(.viewSurveillance, matrix: access.matrix) else { return text("forbidden: surveillance is for the exchange operator and MEE\n", status: .forbidden) }
        let query = request.uri.queryParameters
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() }, message: query.get("ok"), error: query.get("error"),
            mrvPolicyLink: mrvPolicyLink(principal))
        return page(TradingPages(language: language(request)).surveillance(
            context, exchange: await service.exchange, canOperate: principal.may(.exchangeOperate, matrix: access.matrix)))
    }

    /// POST /operator/{open-day,close-day}: the exchange operator runs the trading day.
    /// `back`: the page the form is on (`/surveillance`, or the exchange operator's portal).
    func operate(_ request: Request, context: AppRequestContext, open: Bool, back: String = "/surveillance") async throws -> Response {
        let form: AuthorisedForm
        switch try await authorise(request, .exchangeOperate, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        let command: ExchangeCommand
        if open {
            guard let date = form.fields["date"].flatMap(CivilDate.init) else { return redirect("\(back)?error=" + encode("INVALID_INPUT: date YYYY-MM-DD")) }
            command = .openDay(date)
        } else {
            command = .closeDay
        }
        let outcome = try await service.execute(
            ExchangeRequest(idempotencyKey: form.idempotencyKey, command: command), audit: auditNote(command.kind, form, context))
        return try await conclude(
            command.kind, form.principal, seq: outcome.receipt?.seq, summary: "done",
            error: outcome.error.map { ($0.code.rawValue, $0.message) }, address: context.address, back: back, audit: .writtenWithCommand)
    }

    /// The session behind the request's cookie: (token, session, principal).
    func current(_ request: Request) async throws -> (String, SessionRecord, Principal)? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        guard let (session, principal) = try await access.principal(token: token, at: SystemClock().now()) else { return nil }
        return (token, session, principal)
    }

    func language(_ request: Request) -> Language { pageLanguage(request) }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// An application/x-www-form-urlencoded body, at most `maxFormBytes`.
    static func form(_ request: inout Request, maxBytes: Int = maxFormBytes) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: maxBytes)
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
