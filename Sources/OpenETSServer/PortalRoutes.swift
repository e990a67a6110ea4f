import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The role portals (docs/portals.md): entity, verifier, province. Every state-changing form
/// goes through `TradingRoutes.authorise` (live session, CSRF token, the web permission
/// `Action`, a one-time nonce that becomes the idempotency key) and then through `MRVService`
/// with the principal's `MRVActor`, so `MRVPermissions` checks scope a second time; the
/// outcome is audited and the user sent back with it. A rejected command changes nothing.
struct PortalRoutes: Sendable {
    let service: RegistryService
    let mrv: MRVService
    let trading: TradingRoutes

    /// Largest body of the CSV form (URL-encoded bytes; a Chinese character takes 9).
    static let maxCSVFormBytes = PortalPages.maxCSVFormBytes
    /// Longest error text carried back in the redirect (the rest is cut, marked "…").
    static let maxErrorChars = 600

    // MARK: pages

    func entityPage(_ request: Request) async throws -> Response {
        let gate = try await viewer(request, .mrvReport, path: "/portal/entity")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let registry = await service.state
        let state = await mrv.state
        let today = mrvToday()
        let year = request.uri.queryParameters.get("year").flatMap { Int($0) }.flatMap { (2000...2100).contains($0) ? $0 : nil } ?? today.year - 1
        let policy = try? await mrv.policy.platform(year)
        let model = PortalPages.EntityModel(
            registry: registry, mrv: state, entity: entityID(principal, registry), year: year, today: today, policy: policy)
        return page(PortalPages(language: trading.language(request)).entity(context(request, session, principal), model))
    }

    func verifierPage(_ request: Request) async throws -> Response {
        let gate = try await viewer(request, .mrvVerify, path: "/portal/verifier")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        return page(PortalPages(language: trading.language(request)).verifier(
            context(request, session, principal), mrv: await mrv.state, verifier: principal.verifier.map { VerifierID($0) }))
    }

    func provincePage(_ request: Request) async throws -> Response {
        let gate = try await viewer(request, .mrvReview, path: "/portal/province")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let today = mrvToday()
        let year = request.uri.queryParameters.get("year").flatMap { Int($0) }.flatMap { (2000...2100).contains($0) ? $0 : nil } ?? today.year - 1
        // A year the policy tables do not cover has no rules to run: no warnings listed.
        let anomalies = (try? await mrv.anomalies(year: year)) ?? []
        return page(PortalPages(language: trading.language(request)).province(
            context(request, session, principal), mrv: await mrv.state, province: principal.province ?? "", year: year, anomalies: anomalies))
    }

    // MARK: entity forms

    /// POST /portal/entity/month: one month of one facility (one fuel line and production).
    func submitMonth(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/entity"
        return try await withForm(request, .mrvReport, back: back) { form in
            guard let entity = entityID(form.principal, await service.state) else { return noEntity(back) }
            let f = form.fields
            guard let facility = f["facility"], !facility.isEmpty, let year = f["year"].flatMap({ Int($0) }), let month = f["month"].flatMap({ Int($0) }),
                let fuel = f["fuel"].flatMap(Fuel.init(rawValue:)), let consumption = f["consumption"].flatMap({ ExactDecimal($0) })
            else { return badInput(back, "facility, year, month, fuel and consumption (a decimal number)") }
            var numbers: [String: ExactDecimal] = [:]
            for name in ["ncv", "generation_mwh", "output_t"] {
                guard let text = f[name], !text.isEmpty else { continue }
                guard let value = ExactDecimal(text) else { return badInput(back, "\(name): '\(text)' is not a decimal number") }
                numbers[name] = value
            }
            let data = MonthlyData(
                facility: FacilityID(facility), year: year, month: month,
                fuels: [FuelLine(fuel: fuel, consumption: consumption, ncvGJPerUnit: numbers["ncv"].map { TaggedValue.measured($0) })],
                production: Production(generationMWh: numbers["generation_mwh"], outputT: numbers["output_t"]))
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: .submitMonth(data), actor: .entity(entity)), audit: trading.auditNote("mrv.submit_month", form, context, summary: "\(data.key)"))
            return try await conclude("mrv.submit_month", form, outcome, summary: "\(data.key)", context: context, back: back + "?year=\(year)", audit: .writtenWithCommand)
        }
    }

    /// POST /portal/entity/csv: monthly data as CSV text (the textarea), all rows or none.
    func importCSV(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/entity"
        return try await withForm(request, .mrvReport, back: back, maxBytes: Self.maxCSVFormBytes) { form in
            guard let entity = entityID(form.principal, await service.state) else { return noEntity(back) }
            guard let csv = form.fields["csv"], !csv.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return badInput(back, "csv: paste the file's text") }
            let outcome = try await mrv.importMonths(
                csv: csv, idempotencyKey: form.idempotencyKey, actor: .entity(entity), audit: trading.auditNote("mrv.import_months", form, context))
            let months = outcome.receipt?.events.filter { if case .monthSubmitted = $0 { true } else { false } }.count ?? 0
            return try await conclude("mrv.import_months", form, outcome, summary: "\(months) months", context: context, back: back, audit: .writtenWithCommand)
        }
    }

    /// POST /portal/entity/report: the annual report of a data year.
    func submitReport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/entity"
        return try await withForm(request, .mrvReport, back: back) { form in
            guard let entity = entityID(form.principal, await service.state) else { return noEntity(back) }
            guard let year = form.fields["year"].flatMap({ Int($0) }) else { return badInput(back, "year") }
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: .submitReport(entity: entity, year: year), actor: .entity(entity)), audit: trading.auditNote("mrv.submit_report", form, context, summary: "report \(year)"))
            return try await conclude("mrv.submit_report", form, outcome, summary: "report \(year)", context: context, back: back + "?year=\(year)", audit: .writtenWithCommand)
        }
    }

    // MARK: verifier forms

    func recordFinding(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/verifier"
        return try await withForm(request, .mrvVerify, back: back) { form in
            guard let verifier = form.principal.verifier else { return badInput(back, "this user acts for no verifier") }
            let f = form.fields
            guard let entity = f["entity"], let year = f["year"].flatMap({ Int($0) }), let facility = f["facility"], let item = f["item"],
                let description = f["description"], let correction = f["correction"]
            else { return badInput(back, "entity, year, facility, item, description and required correction") }
            var month: Int?
            if let text = f["month"], !text.isEmpty {
                guard let value = Int(text) else { return badInput(back, "month: '\(text)' is not a number") }
                month = value
            }
            let command = MRVCommand.recordFinding(
                entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier), facility: FacilityID(facility), month: month, item: item,
                description: description, requiredCorrection: correction)
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: command, actor: .verifier(VerifierID(verifier))), audit: trading.auditNote("mrv.record_finding", form, context, summary: "\(entity) \(year) \(item)"))
            return try await conclude("mrv.record_finding", form, outcome, summary: "\(entity) \(year) \(item)", context: context, back: back, audit: .writtenWithCommand)
        }
    }

    func conclude(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/verifier"
        return try await withForm(request, .mrvVerify, back: back) { form in
            guard let verifier = form.principal.verifier else { return badInput(back, "this user acts for no verifier") }
            let f = form.fields
            guard let entity = f["entity"], let year = f["year"].flatMap({ Int($0) }) else { return badInput(back, "entity and year") }
            var facilities: [VerifiedFacility] = []
            for (name, text) in f.sorted(by: { $0.key < $1.key }) where name.hasPrefix("emissions.") {
                let facility = String(name.dropFirst("emissions.".count))
                guard let emissions = ExactDecimal(text), let output = f["output.\(facility)"].flatMap({ ExactDecimal($0) }) else {
                    return badInput(back, "\(facility): verified emissions and output are decimal numbers")
                }
                facilities.append(VerifiedFacility(facility: FacilityID(facility), emissionsT: emissions, output: output))
            }
            let command = MRVCommand.concludeVerification(entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier), facilities: facilities)
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: command, actor: .verifier(VerifierID(verifier))), audit: trading.auditNote("mrv.conclude_verification", form, context, summary: "\(entity) \(year)"))
            return try await conclude("mrv.conclude_verification", form, outcome, summary: "\(entity) \(year)", context: context, back: back, audit: .writtenWithCommand)
        }
    }

    // MARK: province forms

    func assignVerifier(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/province"
        return try await withForm(request, .mrvReview, back: back) { form in
            guard let province = form.principal.province else { return badInput(back, "this user has no province") }
            let f = form.fields
            guard let entity = f["entity"], let year = f["year"].flatMap({ Int($0) }), let verifier = f["verifier"], !verifier.isEmpty else {
                return badInput(back, "entity, year and verifier")
            }
            let command = MRVCommand.assignVerifier(entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier))
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: command, actor: .province(province)), audit: trading.auditNote("mrv.assign_verifier", form, context, summary: "\(entity) \(year) → \(verifier)"))
            return try await conclude("mrv.assign_verifier", form, outcome, summary: "\(entity) \(year) → \(verifier)", context: context, back: back, audit: .writtenWithCommand)
        }
    }

    func review(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/portal/province"
        return try await withForm(request, .mrvReview, back: back) { form in
            guard let province = form.principal.province else { return badInput(back, "this user has no province") }
            let f = form.fields
            guard let entity = f["entity"], let year = f["year"].flatMap({ Int($0) }), let decision = f["decision"], ["approve", "return"].contains(decision) else {
                return badInput(back, "entity, year and decision (approve or return)")
            }
            let command: MRVCommand = decision == "approve"
                ? .approveReview(entity: MRVEntityID(entity), year: year, level: .province)
                : .returnReview(entity: MRVEntityID(entity), year: year, level: .province, reasons: [f["reason"] ?? ""])
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: form.idempotencyKey, command: command, actor: .province(province)), audit: trading.auditNote("mrv." + command.kind, form, context, summary: "\(entity) \(year) \(decision)"))
            return try await conclude("mrv." + command.kind, form, outcome, summary: "\(entity) \(year) \(decision)", context: context, back: back, audit: .writtenWithCommand)
        }
    }

    // MARK: helpers

    enum Gate {
        case granted(SessionRecord, Principal)
        case refused(Response)

        var response: Response? { if case .refused(let response) = self { response } else { nil } }
    }

    /// A portal page's reader: logged in (else to the login, coming back here) and allowed the
    /// portal's action (else 403).
    func viewer(_ request: Request, _ action: Action, path: String) async throws -> Gate {
        guard let (_, session, principal) = try await trading.current(request) else { return .refused(trading.redirect("/login?next=" + path)) }
        guard principal.may(action, matrix: trading.access.matrix) else {
            return .refused(text("forbidden: \(principal.role.rawValue) may not \(action.rawValue)\n", status: .forbidden))
        }
        return .granted(session, principal)
    }

    func context(_ request: Request, _ session: SessionRecord, _ principal: Principal) -> TradingPages.Context {
        trading.context(request, session, principal)
    }

    /// The MRV platform entity of a participant: its registry account's owner (a unified social
    /// credit code), when the MRV platform has registered it.
    func entityID(_ principal: Principal, _ registry: RegistryState) -> MRVEntityID? {
        guard let account = principal.account, let owner = registry.accounts[account]?.ownerID else { return nil }
        return MRVEntityID(owner)
    }

    /// Today on the MRV platform's clock (the drill clock in a drill).
    func mrvToday() -> CivilDate { mrv.today() }

    func noEntity(_ back: String) -> Response {
        trading.redirect("\(back)?error=" + trading.encode("UNKNOWN_ENTITY: this account has no entity on the MRV platform"))
    }

    /// Runs `body` with the form once the session, CSRF token, permission and one-time key
    /// check out (`TradingRoutes.authorise`); otherwise answers with the refusal.
    func withForm(
        _ request: Request, _ action: Action, back: String, maxBytes: Int = TradingRoutes.maxFormBytes,
        _ body: (TradingRoutes.AuthorisedForm) async throws -> Response
    ) async throws -> Response {
        switch try await trading.authorise(request, action, back: back, maxBytes: maxBytes) {
        case .granted(let form): return try await body(form)
        case .refused(let response): return response
        }
    }

    func badInput(_ back: String, _ what: String) -> Response {
        trading.redirect("\(back)?error=" + trading.encode("INVALID_INPUT: \(what)"))
    }

    /// Audits an MRV outcome and sends the user back with it (row errors of a CSV file: the
    /// first few, with their rows and columns, and the total).
    /// `audit`: `.writtenWithCommand` when the MRV transaction wrote the line
    /// (`MRVService.execute(_:audit:)`).
    func conclude(
        _ kind: String, _ form: TradingRoutes.AuthorisedForm, _ outcome: MRVOutcome, summary: String, context: AppRequestContext, back: String,
        audit: TradingRoutes.AuditLine
    ) async throws -> Response {
        var error: (code: String, message: String)?
        switch outcome {
        case .accepted: error = nil
        case .rejected(let e): error = (e.code.rawValue, e.message)
        case .rejectedRows(let rows, let total):
            let shown = rows.prefix(5).map { "row \($0.row)" + ($0.column.map { " \($0)" } ?? "") + " \($0.code.rawValue): \($0.message)" }
            error = ("CSV_REJECTED", "\(total) error(s), nothing imported: " + shown.joined(separator: "; "))
        }
        if var e = error, e.message.count > Self.maxErrorChars { e.message = String(e.message.prefix(Self.maxErrorChars)) + "…"; error = e }
        return try await trading.conclude(
            kind, form.principal, seq: outcome.receipt?.seq, summary: summary, error: error, address: context.address, back: back, audit: audit)
    }
}
