import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The CCER portals (docs/portals.md): the project owner (`/portal/owner`, action `ccer_apply`),
/// the validation body (`/portal/validator`, `ccer_validate`) and the registry's review page
/// (`/portal/ccer-review`, `ccer_review`). Every form goes through `PortalRoutes.withForm`
/// (session, CSRF token, permission, one-time key) and then through the registry's one writer
/// as a `CCERRequest` whose actor comes from the principal, never from the form: the owner's
/// registry account, the body the user acts for (`users.ccer_body`, migration 19). The CCER
/// rules check ownership, accreditation and stage; a refusal changes nothing. Outcomes are
/// audited (`ccer.<command kind>`) and shown on the page.
struct CCERPortalRoutes: Sendable {
    let portal: PortalRoutes

    var service: RegistryService { portal.service }
    var trading: TradingRoutes { portal.trading }

    /// Most findings taken from a report form (the CCER policy's own limit applies as well).
    static let maxFindingsLines = 50

    // MARK: pages

    func ownerPage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .ccerApply, path: "/portal/owner")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        return page(CCERPortalPages(language: trading.language(request)).owner(
            portal.context(request, session, principal), ccer: await service.ccer, registry: await service.state, today: portal.mrvToday()))
    }

    func validatorPage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .ccerValidate, path: "/portal/validator")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        return page(CCERPortalPages(language: trading.language(request)).validator(
            portal.context(request, session, principal), ccer: await service.ccer, body: principal.validationBody.map { ValidationBodyID($0) },
            today: portal.mrvToday()))
    }

    func reviewPage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .ccerReview, path: "/portal/ccer-review")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        return page(CCERPortalPages(language: trading.language(request)).review(
            portal.context(request, session, principal), ccer: await service.ccer, today: portal.mrvToday()))
    }

    // MARK: project owner forms

    /// POST /portal/owner/submit: a new project of the owner's own account.
    func submitProject(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/owner"
        return try await portal.withForm(request, .ccerApply, back: back) { form in
            guard let account = form.principal.account else { return portal.badInput(back, "this user acts for no registry account") }
            let f = form.fields
            guard let name = f["name"], let methodology = f["methodology"], let province = f["province"], let location = f["location"], let type = f["type"],
                let construction = date(f["construction"]), let creditingStart = date(f["crediting_start"]), let creditingEnd = date(f["crediting_end"]),
                let expected = f["expected_t"].flatMap({ Int64($0) })
            else {
                return portal.badInput(back, "name, methodology, province, location, type, construction, crediting_start and crediting_end (YYYY-MM-DD), expected_t (whole tonnes)")
            }
            guard let design = Self.documentHash(f, "design") else { return portal.badInput(back, "the design document: its text or its SHA-256") }
            let host = f["host"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            let application = ProjectApplication(
                name: name, owner: account, methodology: methodology, province: province, location: location, type: type, constructionStart: construction,
                creditingStart: creditingStart, creditingEnd: creditingEnd, expectedAnnualReductionsT: expected, designDocumentSHA256: design, hostFacility: host)
            let command = CCERCommand.submitProject(application, coveredFacilities: [])
            let outcome = try await service.execute(
                CCERRequest(idempotencyKey: form.idempotencyKey, command: command),
                audit: trading.auditNote(CCEREntryBody.kindPrefix + command.kind, form, context, summary: name))
            let id = outcome.receipt?.events.compactMap { if case .projectSubmitted(let p) = $0 { p.id.rawValue } else { nil } }.first ?? ""
            return try await conclude(command, form, outcome, summary: "\(id) \(name)", context: context, back: back)
        }
    }

    /// POST /portal/owner/apply: registration of a validated project.
    func applyForRegistration(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/owner"
        return try await portal.withForm(request, .ccerApply, back: back) { form in
            guard let account = form.principal.account else { return portal.badInput(back, "this user acts for no registry account") }
            guard let project = nonEmpty(form.fields["project"]) else { return portal.badInput(back, "project") }
            let command = CCERCommand.applyForRegistration(project: CCERProjectID(project), owner: account)
            return try await run(command, form, summary: project, context: context, back: back)
        }
    }

    /// POST /portal/owner/report: a reduction report for a monitoring period of a registered project.
    func submitReductionReport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/owner"
        return try await portal.withForm(request, .ccerApply, back: back) { form in
            guard let account = form.principal.account else { return portal.badInput(back, "this user acts for no registry account") }
            let f = form.fields
            guard let project = nonEmpty(f["project"]), let start = date(f["start"]), let end = date(f["end"]), let reported = f["reported_t"].flatMap({ Int64($0) }) else {
                return portal.badInput(back, "project, start and end (YYYY-MM-DD), reported_t (whole tonnes)")
            }
            guard let hash = Self.documentHash(f, "report") else { return portal.badInput(back, "the reduction report: its text or its SHA-256") }
            let command = CCERCommand.submitReductionReport(
                project: CCERProjectID(project), owner: account, start: start, end: end, reportedT: reported, reportSHA256: hash)
            return try await run(command, form, summary: "\(project) \(start)–\(end) \(reported) t", context: context, back: back)
        }
    }

    /// POST /portal/owner/apply-reductions: registration of a verified period's reductions.
    func applyForReductionRegistration(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/owner"
        return try await portal.withForm(request, .ccerApply, back: back) { form in
            guard let account = form.principal.account else { return portal.badInput(back, "this user acts for no registry account") }
            guard let project = nonEmpty(form.fields["project"]), let period = form.fields["period"].flatMap({ Int($0) }) else {
                return portal.badInput(back, "project and period")
            }
            let command = CCERCommand.applyForReductionRegistration(project: CCERProjectID(project), period: period, owner: account)
            return try await run(command, form, summary: "\(project) period \(period)", context: context, back: back)
        }
    }

    // MARK: validation body forms

    /// POST /portal/validator/validate: a validation report as the user's own body.
    func recordValidation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/validator"
        return try await portal.withForm(request, .ccerValidate, back: back) { form in
            guard let body = form.principal.validationBody else { return portal.badInput(back, "this user acts for no validation body") }
            let f = form.fields
            guard let project = nonEmpty(f["project"]), let conclusion = f["conclusion"], ["positive", "negative"].contains(conclusion) else {
                return portal.badInput(back, "project and conclusion (positive or negative)")
            }
            guard let hash = Self.documentHash(f, "report") else { return portal.badInput(back, "the validation report: its text or its SHA-256") }
            guard let findings = Self.findings(f["findings"]) else { return portal.badInput(back, "at most \(Self.maxFindingsLines) findings") }
            let command = CCERCommand.recordValidation(
                project: CCERProjectID(project), body: ValidationBodyID(body), reportSHA256: hash, findings: findings, positive: conclusion == "positive")
            return try await run(command, form, summary: "\(project) \(conclusion) by \(body)", context: context, back: back)
        }
    }

    /// POST /portal/validator/verify: a verification report (0 t: negative) as the user's own body.
    func recordVerification(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/validator"
        return try await portal.withForm(request, .ccerValidate, back: back) { form in
            guard let body = form.principal.validationBody else { return portal.badInput(back, "this user acts for no validation body") }
            let f = form.fields
            guard let project = nonEmpty(f["project"]), let period = f["period"].flatMap({ Int($0) }), let verified = f["verified_t"].flatMap({ Int64($0) }) else {
                return portal.badInput(back, "project, period and verified_t (whole tonnes)")
            }
            guard let hash = Self.documentHash(f, "report") else { return portal.badInput(back, "the verification report: its text or its SHA-256") }
            guard let findings = Self.findings(f["findings"]) else { return portal.badInput(back, "at most \(Self.maxFindingsLines) findings") }
            let command = CCERCommand.recordVerification(
                project: CCERProjectID(project), period: period, body: ValidationBodyID(body), reportSHA256: hash, findings: findings, verifiedT: verified)
            return try await run(command, form, summary: "\(project) period \(period) \(verified) t by \(body)", context: context, back: back)
        }
    }

    // MARK: registry review forms

    /// POST /portal/ccer-review/decide: approve or refuse a project's or a period's registration.
    func decide(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/ccer-review"
        return try await portal.withForm(request, .ccerReview, back: back) { form in
            let f = form.fields
            guard let project = nonEmpty(f["project"]), let decision = f["decision"], ["approve", "refuse"].contains(decision) else {
                return portal.badInput(back, "project and decision (approve or refuse)")
            }
            var period: Int?
            if let text = nonEmpty(f["period"]) {
                guard let value = Int(text) else { return portal.badInput(back, "period: '\(text)' is not a number") }
                period = value
            }
            let reason = f["reason"] ?? ""
            let id = CCERProjectID(project)
            let command: CCERCommand = period.map { .decideReductionRegistration(project: id, period: $0, approve: decision == "approve", reason: reason) }
                ?? .decideRegistration(project: id, approve: decision == "approve", reason: reason)
            return try await run(command, form, summary: "\(project)\(period.map { " period \($0)" } ?? "") \(decision)", context: context, back: back)
        }
    }

    /// POST /portal/ccer-review/issue: issue a registered period's verified reductions to the owner.
    func issue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/ccer-review"
        return try await portal.withForm(request, .ccerReview, back: back) { form in
            guard let project = nonEmpty(form.fields["project"]), let period = form.fields["period"].flatMap({ Int($0) }) else {
                return portal.badInput(back, "project and period")
            }
            return try await run(.issue(project: CCERProjectID(project), period: period), form, summary: "\(project) period \(period)", context: context, back: back)
        }
    }

    // MARK: helpers

    /// A document's SHA-256: the `<name>_sha256` field when given (the CCER rules check its
    /// form), else the SHA-256 of the `<name>_text` field's UTF-8 bytes, as `sha256sum` of the
    /// same text saved as a file. Nil when both are empty.
    static func documentHash(_ fields: [String: String], _ name: String) -> String? {
        if let given = fields["\(name)_sha256"]?.trimmingCharacters(in: .whitespaces), !given.isEmpty { return given }
        guard let text = fields["\(name)_text"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return sha256Hex(text)
    }

    /// Findings, one a line (empty lines skipped); nil when there are more than `maxFindingsLines`.
    static func findings(_ text: String?) -> [String]? {
        let lines = (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.count <= maxFindingsLines ? lines : nil
    }

    func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    func date(_ text: String?) -> CivilDate? { text.flatMap { CivilDate($0.trimmingCharacters(in: .whitespaces)) } }

    func run(_ command: CCERCommand, _ form: TradingRoutes.AuthorisedForm, summary: String, context: AppRequestContext, back: String) async throws -> Response {
        let outcome = try await service.execute(
            CCERRequest(idempotencyKey: form.idempotencyKey, command: command),
            audit: trading.auditNote(CCEREntryBody.kindPrefix + command.kind, form, context, summary: summary))
        return try await conclude(command, form, outcome, summary: summary, context: context, back: back)
    }

    /// Sends the user back with a CCER outcome; the command's transaction wrote its audit line
    /// (`ccer.<command kind>`, `trading.auditNote`).
    func conclude(_ command: CCERCommand, _ form: TradingRoutes.AuthorisedForm, _ outcome: CCEROutcome, summary: String, context: AppRequestContext, back: String) async throws -> Response {
        var error = outcome.error.map { (code: $0.code, message: $0.message) }
        if var e = error, e.message.count > PortalRoutes.maxErrorChars { e.message = String(e.message.prefix(PortalRoutes.maxErrorChars)) + "…"; error = e }
        return try await trading.conclude(
            CCEREntryBody.kindPrefix + command.kind, form.principal, seq: outcome.receipt?.seq, summary: summary, error: error, address: context.address, back: back,
            audit: .writtenWithCommand)
    }
}

/// The CCER portals' pages and forms (registered beside the MRV portals).
func addCCERPortalRoutes(_ router: Router<AppRequestContext>, _ routes: CCERPortalRoutes) {
    router.get("/portal/owner") { request, _ in try await routes.ownerPage(request) }
    router.post("/portal/owner/submit") { request, context in try await routes.submitProject(request, context: context) }
    router.post("/portal/owner/apply") { request, context in try await routes.applyForRegistration(request, context: context) }
    router.post("/portal/owner/report") { request, context in try await routes.submitReductionReport(request, context: context) }
    router.post("/portal/owner/apply-reductions") { request, context in try await routes.applyForReductionRegistration(request, context: context) }
    router.get("/portal/validator") { request, _ in try await routes.validatorPage(request) }
    router.post("/portal/validator/validate") { request, context in try await routes.recordValidation(request, context: context) }
    router.post("/portal/validator/verify") { request, context in try await routes.recordVerification(request, context: context) }
    router.get("/portal/ccer-review") { request, _ in try await routes.reviewPage(request) }
    router.post("/portal/ccer-review/decide") { request, context in try await routes.decide(request, context: context) }
    router.post("/portal/ccer-review/issue") { request, context in try await routes.issue(request, context: context) }
    // The CCER regulator's page (CCERRegulatorRoutes).
    addCCERRegulatorRoutes(router, CCERRegulatorRoutes(ccer: routes))
}
