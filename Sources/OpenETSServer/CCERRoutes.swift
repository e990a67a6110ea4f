import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The public CCER pages (no login; a logged-in user comments on an open notice) with a CSV beside every table (the same data as JSON is in
/// the REST API under /api/v1/ccer/…); the neutrality calculator and the logged-in
/// buy-and-cancel flow (NeutralityRoutes).
func addCCERRoutes(_ router: Router<AppRequestContext>, store: any LedgerStore, service: RegistryService, trading: TradingRoutes) {
    NeutralityRoutes(service: service, trading: trading, factors: .standard).register(router)
    let routes = CCERRoutes(store: store, service: service)
    router.get("/ccer") { request, _ in await routes.html(request) { pages, ccer, _ in pages.overview(ccer) } }
    // The project page with its comment forms, and the comments (CCERCommentRoutes).
    let comments = CCERCommentRoutes(service: service, trading: trading)
    router.get("/ccer/projects/:id") { request, context in
        try await comments.projectPage(request, id: CCERProjectID(try context.parameters.require("id")))
    }
    router.post("/ccer/projects/:id/comment") { request, context in
        try await comments.comment(request, context: context, id: CCERProjectID(try context.parameters.require("id")))
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
    // The JSON under /api/v1/ccer/… is part of the REST API (openapi.yaml, API/APICCERHandlers.swift).
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

    func html(_ request: Request, _ render: (CCERPages, CCERState, RegistryState) -> String?) async -> Response {
        let language = pageLanguage(request)
        guard let html = render(CCERPages(language: language), await service.ccer, await service.state) else {
            return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound)
        }
        return page(html)
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
        let language = pageLanguage(request)
        let pages = CCERPages(language: language)
        guard let code, !code.isEmpty else { return page(pages.certificate(code: nil, result: nil)) }
        switch try await service.checkCertificate(code: code) {
        case .success(let r):
            let view = CCERPages.CertificateView(
                code: r.code, number: r.number, beneficiary: r.beneficiary,
                purpose: NeutralityPurpose(rawValue: r.purpose).map(pages.purpose) ?? r.purpose, subject: r.subject, unit: r.unit,
                quantity: r.quantity, serialTexts: r.serialTexts, cancelledOn: r.cancelledOn, entrySeq: r.entrySeq, entryHash: r.entryHash)
            return page(pages.certificate(code: code, result: .success(view)))
        case .failure(let failure):
            let html = pages.certificate(code: code, result: .failure(.init(code: failure.code.rawValue, message: failure.message)))
            return page(html, status: failure.code == .malformedCode ? .badRequest : .notFound)
        }
    }
}
