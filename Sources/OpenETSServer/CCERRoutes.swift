import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The public CCER pages (no login) with a CSV beside every table, and the same data as plain
/// JSON under /api/v1/ccer/… (errors `{"code","message","details"}`); the neutrality
/// calculator and the logged-in buy-and-cancel flow (NeutralityRoutes).
func addCCERRoutes(_ router: Router<AppRequestContext>, store: any LedgerStore, service: RegistryService, trading: TradingRoutes) {
    NeutralityRoutes(service: service, trading: trading, factors: .standard).register(router)
    let routes = CCERRoutes(store: store, service: service)
    router.get("/ccer") { request, _ in await routes.html(request) { pages, ccer, _ in pages.overview(ccer) } }
    router.get("/ccer/projects/:id") { request, context in
        let id = CCERProjectID(try context.parameters.require("id"))
        return await routes.html(request) { pages, ccer, _ in pages.project(ccer, id: id) }
    }
    router.get("/ccer/issuances") { request, _ in await routes.html(request) { pages, ccer, registry in pages.issuances(ccer, registry: registry) } }
    router.get("/ccer/cancellations") { request, _ in try await routes.cancellationsPage(request) }
    router.get("/ccer/certificates") { request, _ in try await routes.certificatePage(request, code: request.uri.queryParameters.get("code").map { String($0) }) }
    router.get("/ccer/certificates/:code") { request, context in try await routes.certificatePage(request, code: try context.parameters.require("code")) }
    // CSV
    router.get("/ccer/methodologies.csv") { _, _ in await routes.csv("ccer-methodologies.csv") { ccer, _ in CCERPages.methodologiesCSV(ccer) } }
    router.get("/ccer/projects.csv") { _, _ in await routes.csv("ccer-projects.csv") { ccer, _ in CCERPages.projectsCSV(ccer) } }
    router.get("/ccer/issuances.csv") { _, _ in await routes.csv("ccer-issuances.csv") { ccer, registry in CCERPages.issuancesCSV(ccer, registry: registry) } }
    router.get("/ccer/cancellations.csv") { _, _ in
        let codes = try await routes.codes()
        return await routes.csv("ccer-cancellations.csv") { ccer, registry in CCERPages.cancellationsCSV(ccer, registry: registry, codes: codes) }
    }
    // JSON. Lists are pages: `limit` (1-maxPageSize, default defaultPageSize) and `offset`;
    // the body is {"items","total","nextOffset"} (nextOffset only when more follow).
    router.get("/api/v1/ccer/methodologies") { request, _ in
        routes.jsonPage(request, await service.ccer.methodologies.values.sorted { $0.code < $1.code })
    }
    router.get("/api/v1/ccer/projects") { request, _ in
        let stage = request.uri.queryParameters.get("status").map { String($0) }
        let projects = await service.ccer.projectsInOrder.filter { stage == nil || $0.publicStatus?.rawValue == stage }
        return routes.jsonPage(request, projects)
    }
    router.get("/api/v1/ccer/projects/:id") { _, context in
        let id = try context.parameters.require("id")
        guard let project = await service.ccer.projects[CCERProjectID(id)] else {
            return routes.error(.notFound, "UNKNOWN_PROJECT", "no project \(id)", details: ["project": id])
        }
        return routes.json(project)
    }
    router.get("/api/v1/ccer/issuances") { request, _ in
        let rows = CCERPages.issuanceRows(await service.ccer, registry: await service.state)
        return routes.jsonPage(request, rows.map { IssuanceJSON(order: $0.order, serials: $0.serialText) })
    }
    router.get("/api/v1/ccer/cancellations") { request, _ in
        let bounds: (offset: Int, limit: Int)
        switch routes.bounds(request) {
        case .success(let found): bounds = found
        case .failure(let refusal): return refusal.response
        }
        let certificates = await service.ccer.certificates.values.sorted { $0.number < $1.number }
        let shown = Array(certificates.dropFirst(bounds.offset).prefix(bounds.limit))
        let codes = try await routes.codes(shown)
        let items = shown.map { CancellationJSON(certificate: $0, verificationCode: codes[$0.number]) }
        return routes.json(Page(items: items, total: certificates.count, offset: bounds.offset))
    }
    router.get("/api/v1/ccer/certificates/:code") { _, context in
        let code = try context.parameters.require("code")
        switch try await service.checkCertificate(code: code) {
        case .success(let result): return routes.json(result)
        case .failure(let failure):
            return routes.error(failure.code == .malformedCode ? .badRequest : .notFound, failure.code.rawValue, failure.message, details: ["code": code])
        }
    }
}

struct IssuanceJSON: Encodable {
    var order: IssuanceOrder
    var serials: String
}

struct CancellationJSON: Encodable {
    var certificate: NeutralityCertificate
    var verificationCode: String?

    enum CodingKeys: String, CodingKey {
        case certificate
        case verificationCode = "verification_code"
    }
}

/// One page of a JSON list.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var total: Int
    /// The offset of the next page; absent on the last one.
    var nextOffset: Int?

    init(items: [Item], total: Int, offset: Int) {
        self.items = items
        self.total = total
        nextOffset = offset + items.count < total ? offset + items.count : nil
    }
}

struct APIError: Encodable {
    var code: String
    var message: String
    var details: [String: String]
}

struct CCERRoutes: Sendable {
    let store: any LedgerStore
    let service: RegistryService

    /// Most neutrality certificates whose codes one listing computes (one journal read each).
    static let maxCertificatesListed = 1_000
    /// Items in a JSON page when the request gives no `limit`, and the most it may ask for.
    static let defaultPageSize = 100
    static let maxPageSize = 500
    /// Largest `offset` accepted.
    static let maxOffset = 1_000_000_000

    struct Refusal: Error {
        var response: Response
    }

    /// The page a JSON list request asks for, or a 400 `INVALID_INPUT` naming the limit.
    func bounds(_ request: Request) -> Result<(offset: Int, limit: Int), Refusal> {
        let query = request.uri.queryParameters
        var limit = Self.defaultPageSize, offset = 0
        if let text = query.get("limit") {
            guard let value = Int(String(text)), value >= 1, value <= Self.maxPageSize else {
                return .failure(Refusal(response: error(.badRequest, "INVALID_INPUT", "limit must be 1-\(Self.maxPageSize) (maxPageSize)", details: ["limit": String(text)])))
            }
            limit = value
        }
        if let text = query.get("offset") {
            guard let value = Int(String(text)), value >= 0, value <= Self.maxOffset else {
                return .failure(Refusal(response: error(.badRequest, "INVALID_INPUT", "offset must be 0-\(Self.maxOffset)", details: ["offset": String(text)])))
            }
            offset = value
        }
        return .success((offset, limit))
    }

    /// The requested page of `items` as JSON.
    func jsonPage<T: Encodable>(_ request: Request, _ items: [T]) -> Response {
        switch bounds(request) {
        case .failure(let refusal): return refusal.response
        case .success(let b): return json(Page(items: Array(items.dropFirst(b.offset).prefix(b.limit)), total: items.count, offset: b.offset))
        }
    }

    func language(_ request: Request) -> (Language, Language?) {
        let query = request.uri.queryParameters.get("lang").map { String($0) }
        return (Language(query: query, cookie: request.cookies["lang"]?.value), Language(rawValue: query ?? ""))
    }

    func html(_ request: Request, _ render: (CCERPages, CCERState, RegistryState) -> String?) async -> Response {
        let (language, remember) = language(request)
        guard let html = render(CCERPages(language: language), await service.ccer, await service.state) else {
            return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound, remember: remember)
        }
        return page(html, remember: remember)
    }

    func csv(_ name: String, _ render: (CCERState, RegistryState) -> String) async -> Response {
        text(render(await service.ccer, await service.state), contentType: "text/csv; charset=utf-8", attachment: name)
    }

    /// The verification code of each neutrality certificate, from its journal entry's hash
    /// (the first `maxCertificatesListed`).
    func codes() async throws -> [CertificateNumber: String] {
        try await codes(Array(await service.ccer.certificates.values.sorted { $0.number < $1.number }.prefix(Self.maxCertificatesListed)))
    }

    func codes(_ certificates: [NeutralityCertificate]) async throws -> [CertificateNumber: String] {
        var codes: [CertificateNumber: String] = [:]
        for certificate in certificates {
            if let entry = try await service.journalEntry(certificate.entrySeq) {
                codes[certificate.number] = NeutralityCertificateCheck.code(number: certificate.number, entryHash: entry.hash)
            }
        }
        return codes
    }

    func cancellationsPage(_ request: Request) async throws -> Response {
        let codes = try await codes()
        return await html(request) { pages, ccer, registry in pages.cancellations(ccer, registry: registry, codes: codes) }
    }

    func certificatePage(_ request: Request, code: String?) async throws -> Response {
        let (language, remember) = language(request)
        let pages = CCERPages(language: language)
        guard let code, !code.isEmpty else { return page(pages.certificate(code: nil, result: nil), remember: remember) }
        switch try await service.checkCertificate(code: code) {
        case .success(let r):
            let view = CCERPages.CertificateView(
                code: r.code, number: r.number, beneficiary: r.beneficiary,
                purpose: NeutralityPurpose(rawValue: r.purpose).map(pages.purpose) ?? r.purpose, subject: r.subject, unit: r.unit,
                quantity: r.quantity, serialTexts: r.serialTexts, cancelledOn: r.cancelledOn, entrySeq: r.entrySeq, entryHash: r.entryHash)
            return page(pages.certificate(code: code, result: .success(view)), remember: remember)
        case .failure(let failure):
            let html = pages.certificate(code: code, result: .failure(.init(code: failure.code.rawValue, message: failure.message)))
            return page(html, status: failure.code == .malformedCode ? .badRequest : .notFound, remember: remember)
        }
    }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return text(body, status: status, contentType: "application/json; charset=utf-8")
    }

    func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:]) -> Response {
        json(APIError(code: code, message: message, details: details), status: status)
    }
}
