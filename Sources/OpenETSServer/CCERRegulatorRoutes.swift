import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The CCER regulator's page (`/portal/ccer-regulator`, action `ccer_regulate`, the MEE):
/// accredit a validation and verification body, withdraw its accreditation, publish a
/// methodology. Every form goes through `PortalRoutes.withForm` (session, CSRF token,
/// permission, one-time key) and the registry's one writer as the CCER rules' command, as the
/// REST API's `accreditCCERBody`, `withdrawCCERAccreditation` and `publishCCERMethodology` and
/// `openets ccer accredit`; a refusal changes nothing; audited as `ccer.<command kind>`. The page
/// also shows the CCER rules and their check and publish form (CCERPolicyRoutes).
struct CCERRegulatorRoutes: Sendable {
    let ccer: CCERPortalRoutes

    var portal: PortalRoutes { ccer.portal }
    static let back = "/portal/ccer-regulator"

    func regulatorPage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .ccerRegulate, path: Self.back)
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let service = portal.service
        return page(CCERPortalPages(language: portal.trading.language(request)).regulator(
            portal.context(request, session, principal), ccer: await service.ccer, today: BeijingTime.date(service.now()),
            maxDocuments: await service.ccerPolicy.limits.maxDocumentsPerMethodology, policy: try await CCERPolicyRoutes.panel(service)))
    }

    /// POST /portal/ccer-regulator/accredit: `id`, `name`.
    func accredit(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await portal.withForm(request, .ccerRegulate, back: Self.back) { form in
            guard let id = ccer.nonEmpty(form.fields["id"]), let name = form.fields["name"] else { return portal.badInput(Self.back, "id and name") }
            return try await ccer.run(.accreditBody(id: ValidationBodyID(id), name: name), form, summary: id, context: context, back: Self.back)
        }
    }

    /// POST /portal/ccer-regulator/withdraw: `body`.
    func withdraw(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await portal.withForm(request, .ccerRegulate, back: Self.back) { form in
            guard let id = ccer.nonEmpty(form.fields["body"]) else { return portal.badInput(Self.back, "body") }
            return try await ccer.run(.withdrawAccreditation(id: ValidationBodyID(id)), form, summary: id, context: context, back: Self.back)
        }
    }

    /// POST /portal/ccer-regulator/methodology: the methodology's fields; gases as `gas_<GAS>`
    /// checkboxes, documents one a line, `published_on` empty for today.
    func publishMethodology(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await portal.withForm(request, .ccerRegulate, back: Self.back) { form in
            let f = form.fields
            guard let code = ccer.nonEmpty(f["code"]), let name = f["name"], let nameEn = f["name_en"], let sector = f["sector"], let source = f["source"],
                let maxYears = f["max_years"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            else { return portal.badInput(Self.back, "code, name, name_en, sector, source and max_years (whole years)") }
            var minYears: Int?
            if let text = ccer.nonEmpty(f["min_years"]) {
                guard let value = Int(text) else { return portal.badInput(Self.back, "min_years: '\(text)' is not a number of years") }
                minYears = value
            }
            var published = BeijingTime.date(portal.service.now())
            if let text = ccer.nonEmpty(f["published_on"]) {
                guard let date = CivilDate(text) else { return portal.badInput(Self.back, "published_on: '\(text)' is not a date (YYYY-MM-DD)") }
                published = date
            }
            let documents = (f["documents"] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let methodology = Methodology(
                code: code, name: name, nameEn: nameEn, sector: sector, gases: GreenhouseGas.allCases.filter { f["gas_\($0.rawValue)"] != nil },
                creditingPeriod: CreditingPeriodRule(minYears: minYears, maxYears: maxYears, renewable: f["renewable"] != nil, verified: true, source: source),
                documents: documents, publishedOn: published, source: source, unverified: [])
            return try await ccer.run(.addMethodology(methodology), form, summary: code, context: context, back: Self.back)
        }
    }
}

/// The regulator's page and forms (registered with the CCER portals).
func addCCERRegulatorRoutes(_ router: Router<AppRequestContext>, _ routes: CCERRegulatorRoutes) {
    router.get("/portal/ccer-regulator") { request, _ in try await routes.regulatorPage(request) }
    router.post("/portal/ccer-regulator/accredit") { request, context in try await routes.accredit(request, context: context) }
    router.post("/portal/ccer-regulator/withdraw") { request, context in try await routes.withdraw(request, context: context) }
    router.post("/portal/ccer-regulator/methodology") { request, context in try await routes.publishMethodology(request, context: context) }
}
