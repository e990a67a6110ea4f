import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb
import Synchronization

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Mark the session cookie `Secure` (behind HTTPS). Off for plain HTTP on 127.0.0.1.
    public var secureCookies = false
    /// The limit on state-changing API calls per token (429 RATE_LIMITED beyond it).
    public var apiRateLimit = APIRateLimit.standard
    /// The limit on the web's state-changing form posts per user (429 beyond it); the same
    /// shape and default as the API's, counted separately.
    public var formRateLimit = APIRateLimit.standard
    /// The limit on account applications and resubmissions per client address (the public
    /// web form and the API's `applyForAccount` and `resubmitAccountApplication` counted
    /// together; 429 RATE_LIMITED beyond it, before anything is read or stored).
    public var applicationRateLimit = APIRateLimit.applications
    /// Most market streams (`/market/stream`) open from one client address at a time (IPv6 by
    /// its /64); 429 STREAM_LIMIT beyond it. The server's own bound (64 in all) stays.
    /// `openets serve --market-streams-per-address`; at least 1.
    public var marketStreamsPerAddress = Self.defaultMarketStreamsPerAddress
    public static let defaultMarketStreamsPerAddress = 8
    /// Order entry's fast path (`OrderEntryFastPath`): on by default; off only to measure
    /// against the generated path (`openets serve --no-order-fast-path`).
    public var orderFastPath = true
    /// Most API requests with large bodies (MRV evidence, a cycle stage's facilities) read and
    /// handled at once; more are 503 UNAVAILABLE before their body is read (memory: each body
    /// is at most 48 MiB, and its decoded copies). `openets serve --max-concurrent-large-bodies`; at least 1.
    public var maxConcurrentLargeBodies = Self.defaultMaxConcurrentLargeBodies
    public static let defaultMaxConcurrentLargeBodies = 4
    /// Most MRV evidence files (`getMRVEvidenceFile`) read, re-hashed and answered at once; more
    /// are 503 UNAVAILABLE (memory: each holds a whole file, up to the policy's
    /// `maxEvidenceBytes`, 32 MiB as shipped). `openets serve --max-concurrent-evidence-downloads`; at least 1.
    public var maxConcurrentEvidenceDownloads = Self.defaultMaxConcurrentEvidenceDownloads
    public static let defaultMaxConcurrentEvidenceDownloads = 4
    /// Days a stored API Idempotency-Key (and its answer) is kept: an older one is deleted at
    /// the next claim and may then act again. `openets serve --idempotency-retention-days`; at least 1.
    public var idempotencyRetentionDays = APIIdempotency.defaultRetentionDays
    /// Seconds an API Idempotency-Key (or a policy form's one-time key) may be held in progress
    /// before a retry of the same request takes it over: its request died (the server stopped
    /// before the write). Far longer than any request runs; a cycle stage run still running
    /// after it could be run a second time alongside (its commands replay by their own keys).
    /// `openets serve --idempotency-takeover-seconds`; 60 to `maxDeadlineSeconds`.
    public var idempotencyTakeoverSeconds = APIIdempotency.defaultTakeoverSeconds
    /// Seconds a connection may stay silent — between requests, or while a request's head or
    /// body is arriving — before the server closes it, so stalled clients do not keep
    /// connections (or a large body's place) for ever. An answer being written (a market
    /// stream) is not cut. `openets serve --idle-timeout-seconds`; 1 to `maxDeadlineSeconds`.
    public var idleTimeoutSeconds = Self.defaultIdleTimeoutSeconds
    public static let defaultIdleTimeoutSeconds = 60
    /// Seconds within which a large API body (evidence, a stage's facilities, policy tables)
    /// must arrive whole once its place among `maxConcurrentLargeBodies` is taken: a client
    /// sending slowly but never silent long enough for the idle timeout gets 408
    /// BODY_TIMEOUT, and the place is given back. 600 s lets 48 MiB through at ~84 KB/s.
    /// `openets serve --large-body-read-seconds`; 1 to `maxDeadlineSeconds`.
    public var largeBodyReadSeconds = Self.defaultLargeBodyReadSeconds
    public static let defaultLargeBodyReadSeconds = 600
    /// Milliseconds the API keeps a live token's lookup (`APITokenCache`) instead of reading
    /// the token and its user from the database on every call. A token revoked with `openets
    /// access token revoke` (another process) stops acting within this time. `openets serve
    /// --api-token-cache-milliseconds`; 0 (read every call) to `APITokenCache.maxLifetimeMilliseconds`.
    public var apiTokenCacheMilliseconds = Self.defaultAPITokenCacheMilliseconds
    public static let defaultAPITokenCacheMilliseconds = Int(APITokenCache.defaultLifetimeMilliseconds)
    /// The longest idle timeout or body deadline taken (a day): NIO's time amounts are
    /// nanoseconds in 64 bits, so a much larger number would trap when the server starts.
    public static let maxDeadlineSeconds = 86_400

    /// A limit outside its range: the setting (this type's property), its range in words and
    /// the value given.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        public var setting: String
        /// "at least 1" or "1-86400".
        public var range: String
        public var value: Int

        public init(setting: String, range: String, value: Int) {
            (self.setting, self.range, self.value) = (setting, range, value)
        }

        /// The `openets serve` flag that sets it: the property's name in kebab case
        /// (`idleTimeoutSeconds` → `--idle-timeout-seconds`).
        public var flag: String {
            "--" + setting.reduce(into: "") { flag, c in flag += c.isUppercase ? "-" + c.lowercased() : String(c) }
        }

        public var description: String { "\(setting) must be \(range) (is \(value))" }
    }

    /// The first limit outside its range (a count of 0 or less, a deadline beyond a day), or
    /// nil. Each limit's range is stated here once: `buildRouter` refuses such a configuration
    /// (a programming error); `openets serve` says it to the operator, naming the flag.
    public var limitProblem: Problem? {
        let atLeastOne = 1...Int.max, deadlines = 1...Self.maxDeadlineSeconds
        for (setting, value, range) in [
            ("marketStreamsPerAddress", marketStreamsPerAddress, atLeastOne), ("maxConcurrentLargeBodies", maxConcurrentLargeBodies, atLeastOne),
            ("maxConcurrentEvidenceDownloads", maxConcurrentEvidenceDownloads, atLeastOne),
            ("idempotencyRetentionDays", idempotencyRetentionDays, atLeastOne),
            ("idempotencyTakeoverSeconds", idempotencyTakeoverSeconds, 60...Self.maxDeadlineSeconds),
            ("idleTimeoutSeconds", idleTimeoutSeconds, deadlines), ("largeBodyReadSeconds", largeBodyReadSeconds, deadlines),
            ("apiTokenCacheMilliseconds", apiTokenCacheMilliseconds, 0...Int(APITokenCache.maxLifetimeMilliseconds)),
        ] where !range.contains(value) {
            return Problem(
                setting: setting, range: range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)",
                value: value)
        }
        return nil
    }

    /// Why the configuration cannot serve (`limitProblem` in words), or nil.
    public var problem: String? { limitProblem?.description }
    /// Most journal entries shown on the overview and an account page.
    public static let maxEntriesShown = 20

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The composition of the HTTP application, shared by `openets serve` and the tests.
/// `onRunning` receives the bound port (useful with port 0).
public func buildApplication(
    _ configuration: ServerConfiguration, store: any LedgerStore, service: RegistryService, plans: AllocationPlanService? = nil,
    cycle: (any AllocationCycleStore)? = nil, mrv: MRVService? = nil, api: APIParts = APIParts(),
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(configuration, store: store, service: service, plans: plans, cycle: cycle, mrv: mrv, api: api)
    var logger = Logger(label: "openets.http")
    logger.logLevel = .info
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "OpenETS"),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Every route of the site and the API, with the middleware. `router.routes` lists them (the
/// permission walks check each against `WebPermissions.routes` and the spec).
public func buildRouter(
    _ configuration: ServerConfiguration, store: any LedgerStore, service: RegistryService, plans: AllocationPlanService? = nil,
    cycle: (any AllocationCycleStore)? = nil, mrv: MRVService? = nil, api: APIParts = APIParts()
) -> Router<AppRequestContext> {
    if let problem = configuration.problem { preconditionFailure("server configuration: \(problem)") }
    let metrics = HTTPMetrics()
    // One token cache for every AccessService of the server, so a revocation through any of
    // them empties it for the API.
    let tokenCache = APITokenCache(lifetimeMilliseconds: Int64(configuration.apiTokenCacheMilliseconds))
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: metrics)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: LanguageChoiceMiddleware())
    router.add(middleware: TableCSVMiddleware())
    router.add(middleware: CloseAfterAnswerMiddleware())
    let pages = PageRoutes(store: store, service: service)

    router.get("/health") { _, _ in "ok\n" }
    router.get("/ready") { _, _ -> Response in
        do {
            let head = try await store.head()
            return text("ready: journal at entry \(head.seq)\n")
        } catch {
            return text("not ready: \(error)\n", status: .serviceUnavailable)
        }
    }
    router.get("/metrics") { _, _ -> Response in
        let head = await service.head
        let writer = await service.stats
        let body = metrics.exposition() + """
            # HELP openets_journal_head_seq Sequence number of the registry journal head.
            # TYPE openets_journal_head_seq gauge
            openets_journal_head_seq \(head.seq)

            """ + writerExposition(writer)
        return text(body, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
    router.get("/static/site.css") { _, _ in text(SiteStyle.css, contentType: "text/css; charset=utf-8") }
    router.get("/static/market.js") { _, _ in text(MarketStreamSnapshot.script, contentType: "text/javascript; charset=utf-8") }
    router.get("/") { request, _ in try await pages.overview(request) }
    router.get("/accounts") { request, _ in await pages.accounts(request) }
    router.get("/accounts.csv") { _, _ in
        let state = await service.state
        return text(RegistryPages.accountsCSV(state), contentType: "text/csv; charset=utf-8", attachment: "accounts.csv")
    }
    router.get("/supply.csv") { _, _ in
        let state = await service.state
        return text(RegistryPages.supplyCSV(state), contentType: "text/csv; charset=utf-8", attachment: "supply.csv")
    }
    let trading = TradingRoutes(
        service: service, access: AccessService(store: store, tokenCache: tokenCache), secureCookies: configuration.secureCookies,
        formLimiter: APIRateLimiter(configuration.formRateLimit), mrvPolicyPage: mrv != nil)
    router.get("/login") { request, _ in trading.loginPage(request) }
    router.post("/login") { request, context in try await trading.login(request, context: context) }
    router.post("/logout") { request, context in try await trading.logout(request, context: context) }
    router.get("/trade") { request, _ in try await trading.tradePage(request) }
    router.post("/trade/place") { request, context in try await trading.trade(request, context: context, action: .tradePlace) }
    router.post("/trade/take") { request, context in try await trading.trade(request, context: context, action: .tradeTake) }
    router.post("/trade/cancel") { request, context in try await trading.trade(request, context: context, action: .tradeCancel) }
    router.post("/trade/surrender") { request, context in try await trading.surrender(request, context: context) }
    router.get("/trade/block") { request, _ in try await trading.blockAuctionPage(request, action: .blockQuote) }
    router.post("/trade/block/quote") { request, context in try await trading.block(request, context: context, form: .quote) }
    router.post("/trade/block/counter") { request, context in try await trading.block(request, context: context, form: .counter) }
    router.post("/trade/block/accept") { request, context in try await trading.block(request, context: context, form: .accept) }
    router.post("/trade/block/cancel") { request, context in try await trading.block(request, context: context, form: .cancel) }
    router.get("/trade/auctions") { request, _ in try await trading.blockAuctionPage(request, action: .auctionBid) }
    router.post("/trade/auction/bid") { request, context in try await trading.auctionBid(request, context: context) }
    router.get("/surveillance") { request, _ in try await trading.surveillancePage(request) }
    router.post("/operator/open-day") { request, context in try await trading.operate(request, context: context, open: true) }
    router.post("/operator/close-day") { request, context in try await trading.operate(request, context: context, open: false) }
    let streams = MarketStreams(service: service, perAddress: configuration.marketStreamsPerAddress)
    router.get("/market/stream") { request, context in await streams.stream(request, address: context.limitKey) }
    router.get("/market") { request, _ in await pages.market(request) }
    router.get("/market/:code") { request, context in await pages.instrument(request, code: try context.parameters.require("code")) }
    router.get("/market/:code/history.csv") { _, context -> Response in
        let code = try context.parameters.require("code")
        let exchange = await service.exchange
        guard exchange.instruments[code] != nil else { return text("no instrument \(code)\n", status: .notFound) }
        return text(MarketPages.historyCSV(exchange, code: code), contentType: "text/csv; charset=utf-8", attachment: "\(code)-history.csv")
    }
    router.get("/accounts/:id/pledges.csv") { _, context -> Response in
        let id = AccountID(try context.parameters.require("id"))
        let state = await service.state
        guard state.accounts[id] != nil else { return text("no account \(id)\n", status: .notFound) }
        return text(RegistryPages.pledgesCSV(state, id), contentType: "text/csv; charset=utf-8", attachment: "\(id)-pledges.csv")
    }
    router.get("/accounts/:id") { request, context in try await pages.account(request, id: try context.parameters.require("id")) }
    router.get("/certificates") { request, _ in try await pages.certificate(request, number: request.uri.queryParameters.get("number")) }
    router.get("/certificates/:number") { request, context in
        try await pages.certificate(request, number: try context.parameters.require("number"))
    }
    addStatisticsRoutes(router, service: service, cycle: cycle)
    router.post("/portal/entity/surrender") { request, context in try await trading.surrender(request, context: context, back: "/portal/entity") }
    if let mrv {
        addPortalRoutes(router, PortalRoutes(service: service, mrv: mrv, trading: trading))
        addCCERPortalRoutes(router, CCERPortalRoutes(portal: PortalRoutes(service: service, mrv: mrv, trading: trading)))
        addRegulatorPortalRoutes(router, RegulatorRoutes(portal: PortalRoutes(service: service, mrv: mrv, trading: trading), plans: plans, cycle: cycle))
        addMRVPolicyRoutes(
            router, MRVPolicyRoutes(portal: PortalRoutes(service: service, mrv: mrv, trading: trading), keys: store, retentionDays: configuration.idempotencyRetentionDays,
                takeoverSeconds: configuration.idempotencyTakeoverSeconds))
        addCCERPolicyRoutes(
            router, CCERPolicyRoutes(portal: PortalRoutes(service: service, mrv: mrv, trading: trading), keys: store, retentionDays: configuration.idempotencyRetentionDays,
                takeoverSeconds: configuration.idempotencyTakeoverSeconds))
    }
    addOperatorRoutes(router, OperatorRoutes(service: service, trading: trading))
    addCCERRoutes(router, store: store, service: service, trading: trading)
    let applicationLimiter = APIRateLimiter(configuration.applicationRateLimit)
    addAccountOpeningRoutes(
        router, AccountOpeningRoutes(opening: AccountOpeningService(store: store, registry: service), trading: trading, applicationLimiter: applicationLimiter))
    // The API reads the cycle's stages from the same store as the statistics pages unless told otherwise.
    addAPIRoutes(
        router, store: store, service: service, parts: APIParts(mrv: api.mrv ?? mrv, cycle: api.cycle ?? cycle),
        rateLimit: configuration.apiRateLimit, applicationLimiter: applicationLimiter,
        limits: APIServerLimits(
            maxConcurrentLargeBodies: configuration.maxConcurrentLargeBodies, idempotencyRetentionDays: configuration.idempotencyRetentionDays,
            idempotencyTakeoverSeconds: configuration.idempotencyTakeoverSeconds,
            maxConcurrentEvidenceDownloads: configuration.maxConcurrentEvidenceDownloads,
            largeBodyReadSeconds: configuration.largeBodyReadSeconds),
        orderFastPath: configuration.orderFastPath, tokenCache: tokenCache)
    addAllocationPlanRoutes(router, plans: plans)
    return router
}

/// The role portals over the MRV platform (docs/portals.md): pages and their forms.
func addPortalRoutes(_ router: Router<AppRequestContext>, _ portal: PortalRoutes) {
    router.get("/portal/entity") { request, _ in try await portal.entityPage(request) }
    router.post("/portal/entity/month") { request, context in try await portal.submitMonth(request, context: context) }
    router.post("/portal/entity/csv") { request, context in try await portal.importCSV(request, context: context) }
    router.post("/portal/entity/report") { request, context in try await portal.submitReport(request, context: context) }
    router.get("/portal/verifier") { request, _ in try await portal.verifierPage(request) }
    router.post("/portal/verifier/finding") { request, context in try await portal.recordFinding(request, context: context) }
    router.post("/portal/verifier/conclude") { request, context in try await portal.conclude(request, context: context) }
    router.get("/portal/province") { request, _ in try await portal.provincePage(request) }
    router.post("/portal/province/assign") { request, context in try await portal.assignVerifier(request, context: context) }
    router.post("/portal/province/review") { request, context in try await portal.review(request, context: context) }
}

/// Handlers of the registry pages. They read the writer's in-memory state: the server is the
/// registry's writer, so its state is current for everything it accepted.
struct PageRoutes: Sendable {
    let store: any LedgerStore
    let service: RegistryService
    /// The journal entry of each certificate looked up once (a certificate and its entry never
    /// change), so the public check page does not read the account's history on every request.
    let certificateEntries = CertificateEntries()

    /// Most journal entries of the cancellation account read back to find a certificate's entry.
    static let maxCertificateLookBack = 10_000

    func overview(_ request: Request) async throws -> Response {
        let language = pageLanguage(request)
        let state = await service.state
        let head = await service.head
        let recent = try await store.journal(after: max(0, head.seq - Int64(ServerConfiguration.maxEntriesShown)), limit: ServerConfiguration.maxEntriesShown)
        let html = RegistryPages(language: language).overview(state, headSeq: head.seq, headHash: head.hash, recent: recent.reversed().map(summary))
        return page(html)
    }

    func market(_ request: Request) async -> Response {
        let language = pageLanguage(request)
        return page(MarketPages(language: language).overview(await service.exchange))
    }

    func instrument(_ request: Request, code: String) async -> Response {
        let language = pageLanguage(request)
        guard let html = MarketPages(language: language).instrument(await service.exchange, code: code) else {
            return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound)
        }
        return page(html)
    }

    func accounts(_ request: Request) async -> Response {
        let language = pageLanguage(request)
        return page(RegistryPages(language: language).accounts(await service.state))
    }

    func account(_ request: Request, id: String) async throws -> Response {
        let language = pageLanguage(request)
        let history = try await store.history(account: AccountID(id), limit: ServerConfiguration.maxEntriesShown)
        let pages = RegistryPages(language: language)
        guard let html = pages.account(await service.state, AccountID(id), history: history.map(summary)) else {
            return page(pages.notFound(path: request.uri.path), status: .notFound)
        }
        return page(html)
    }

    func certificate(_ request: Request, number: String?) async throws -> Response {
        let language = pageLanguage(request)
        let state = await service.state
        var entry: RegistryPages.EntrySummary?
        if let number, let certificate = state.certificates[CertificateNumber(number)] {
            if let known = certificateEntries.entry(number) {
                entry = known
            } else {
                // The journal entry that recorded it: the account's entries, newest first.
                let history = try await store.history(account: certificate.account, limit: Self.maxCertificateLookBack)
                if let found = history.first(where: { $0.kind == "voluntary_cancel" && $0.body.contains("\"\(number)\"") }) {
                    entry = summary(found)
                    certificateEntries.remember(number, summary(found))
                }
            }
        }
        let html = RegistryPages(language: language).certificate(state, number: number, entry: entry)
        let missing = number.map { !$0.isEmpty && state.certificates[CertificateNumber($0)] == nil } ?? false
        return page(html, status: missing ? .notFound : .ok)
    }

    private func summary(_ entry: JournalEntry) -> RegistryPages.EntrySummary {
        RegistryPages.EntrySummary(seq: entry.seq, recordedAt: entry.recordedAt, kind: entry.kind, hash: entry.hash)
    }

}

/// A page's language: `?lang=` when the request chose one, else the `lang` cookie, else
/// Chinese. (`LanguageChoiceMiddleware` keeps a choice in the cookie.)
func pageLanguage(_ request: Request) -> Language {
    Language(query: request.uri.queryParameters.get("lang"), cookie: request.cookies["lang"]?.value)
}

func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
    text(html, status: status, contentType: "text/html; charset=utf-8")
}

func text(
    _ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8", attachment: String? = nil
) -> Response {
    var headers: HTTPFields = [.contentType: contentType]
    if let attachment { headers[.contentDisposition] = "attachment; filename=\"\(attachment)\"" }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
}

/// Security headers on every response.
/// Certificate number → the journal entry that issued it, at most `maxKept` (then forgotten
/// all at once: a bound on memory, not an eviction policy worth more code).
final class CertificateEntries: Sendable {
    static let maxKept = 10_000
    private let entries = Mutex<[String: RegistryPages.EntrySummary]>([:])

    func entry(_ number: String) -> RegistryPages.EntrySummary? { entries.withLock { $0[number] } }

    func remember(_ number: String, _ entry: RegistryPages.EntrySummary) {
        entries.withLock { table in
            if table.count >= Self.maxKept { table.removeAll() }
            table[number] = entry
        }
    }
}

struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
        return response
    }
}

/// A page asked for with `?lang=zh|en` keeps that language from then on: the answer sets the
/// `lang` cookie, whatever the page (the trading screen, a portal, the login, a redirect to
/// it). The one place the cookie is set. The API (`/api/…`) answers in JSON and is left alone.
struct LanguageChoiceMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard request.method == .get || request.method == .head, request.uri.query?.contains("lang=") == true,
            !request.uri.path.hasPrefix("/api/"),
            let chosen = request.uri.queryParameters.get("lang").flatMap({ Language(rawValue: String($0)) })
        else { return response }
        response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(chosen)))
        return response
    }

    /// A year, the whole site.
    static func cookie(_ language: Language) -> String {
        "lang=\(language.rawValue); Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
    }
}

/// An answer marked `Connection: close` (408 BODY_TIMEOUT: the rest of a body is not read)
/// ends its connection: once the answer is written the server closes its side (a FIN after the
/// answer, so a client still sending is not reset before it reads the answer), and
/// `lingerSeconds` later closes the connection whole, whatever the client still sends.
/// (Hummingbird ends a connection after a request only for the request's own `Connection:
/// close`, and its idle timeout counts every byte read, so a client trickling bytes would
/// otherwise keep the connection.)
struct CloseAfterAnswerMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Seconds between the half close after the answer and the whole close.
    static let lingerSeconds: Int64 = 2

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard response.headers[.connection] == "close" else { return response }
        let (body, channel) = (response.body, context.channel)
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            // After the answer's last write (the channel runs them in order).
            try? await channel.close(mode: .output)
            channel.eventLoop.scheduleTask(in: .seconds(Self.lingerSeconds)) { channel.close(promise: nil) }
        }
        return response
    }
}

/// Request counts by method and status, in Prometheus text format.
final class HTTPMetrics: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func exposition() -> String {
        let snapshot = counts.withLock { $0 }
        var lines = ["# HELP openets_http_requests_total HTTP requests handled, by method and status.", "# TYPE openets_http_requests_total counter"]
        for (labels, count) in snapshot.sorted(by: { $0.key < $1.key }) {
            lines.append("openets_http_requests_total{\(labels)} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func record(method: String, status: Int) {
        counts.withLock { $0["method=\"\(method)\",status=\"\(status)\"", default: 0] += 1 }
    }
}

extension HTTPMetrics: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            record(method: request.method.rawValue, status: response.status.code)
            return response
        } catch let error as HTTPError {
            record(method: request.method.rawValue, status: error.status.code)
            throw error
        } catch {
            record(method: request.method.rawValue, status: 500)
            throw error
        }
    }
}

/// The registry writer's counters (`WriterStats`) in Prometheus text: batch sizes as a
/// histogram, so the mean batch is `sum / count`.
func writerExposition(_ stats: WriterStats) -> String {
    var lines = [
        "# HELP openets_writer_batch_commands Commands per batch committed as decided ahead (group commit).",
        "# TYPE openets_writer_batch_commands histogram",
    ]
    var cumulative = 0
    for (index, bound) in WriterStats.sizeBounds.enumerated() {
        cumulative += stats.sizes[index]
        lines.append("openets_writer_batch_commands_bucket{le=\"\(bound)\"} \(cumulative)")
    }
    lines += [
        "openets_writer_batch_commands_bucket{le=\"+Inf\"} \(stats.batches)",
        "openets_writer_batch_commands_sum \(stats.commands)",
        "openets_writer_batch_commands_count \(stats.batches)",
        "# HELP openets_writer_commit_seconds_total Time the batches' transactions took, commit included.",
        "# TYPE openets_writer_commit_seconds_total counter",
        "openets_writer_commit_seconds_total \(Double(stats.commitNanoseconds) / 1e9)",
        "# HELP openets_writer_batches_redecided_total Batches decided again inside their transaction (another writer or a reused key).",
        "# TYPE openets_writer_batches_redecided_total counter",
        "openets_writer_batches_redecided_total \(stats.stale)",
        "# HELP openets_writer_batches_in_transaction_total Batches decided inside their transaction from the start (CCER commands, keys of the batch in flight).",
        "# TYPE openets_writer_batches_in_transaction_total counter",
        "openets_writer_batches_in_transaction_total \(stats.inTransaction)",
    ]
    return lines.joined(separator: "\n") + "\n"
}
