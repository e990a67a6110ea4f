import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The MRV workflow of the role portals (docs/mrv.md, docs/portals.md) in the REST API: the
/// entity submits, resubmits and corrects, the province assigns the verifier, the verifier
/// records findings and concludes, the city, province and MEE review. Each command goes
/// through `MRVService` as the token's MRV actor (entity, province, city, verifier, national),
/// exactly as the web forms send it, so the MRV platform's own permission table applies as
/// well; the API checks first the web route's action and the caller's scope (its own entity,
/// an entity of its province or city, a report assigned to its verifier): 403 otherwise.
extension APIHandler {
    /// Who sends an MRV command: the token's user, its MRV actor and the MRV journal's key.
    struct MRVCaller {
        var principal: Principal
        var actor: MRVActor
        var idempotencyKey: String
    }

    /// A refusal before an MRV command runs: 401, 403, 400 (bad key), 404 (no such entity)
    /// or 503 (no MRV platform).
    enum MRVRefusal: Error {
        case refused(Refusal)
        case unknown(Schemas._Error)
        case unavailable

        func output<O: MRVWorkflowOutput>() -> O {
            switch self {
            case .refused(let refusal): refusal.output()
            case .unknown(let error): .notFound(.init(body: .json(error)))
            case .unavailable: .serviceUnavailable(.init(body: .json(APIHandler.unavailableMRV)))
            }
        }
    }

    /// The registry-style key check and per-user key of `authorise`, for users without an
    /// account (province, city, verifier, MEE staff) as well.
    static func mrvKey(_ principal: Principal, _ key: String) -> Result<String, Refusal> {
        guard !key.isEmpty, key.utf8.count <= maxIdempotencyKeyBytes, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .failure(.badRequest(error("INVALID_INPUT", "Idempotency-Key must be 1-\(maxIdempotencyKeyBytes) printable ASCII characters")))
        }
        return .success("api-\(String(sha256Hex(principal.user).prefix(16)))-\(key)")
    }

    /// The checks of an MRV workflow command in the web's order: a live token whose role may do
    /// `action` (the web route's), the key, the MRV platform, the entity, then the caller's
    /// scope over it; the MRV actor the command is sent as.
    func mrvCaller(_ action: Action, key: String, entity id: MRVEntityID, year: Int?) async throws -> Result<MRVCaller, MRVRefusal> {
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): principal = found
        }
        let registryKey: String
        switch Self.mrvKey(principal, key) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): registryKey = found
        }
        switch try await mrvScope(principal, action, entity: id, year: year) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let actor): return .success(MRVCaller(principal: principal, actor: actor, idempotencyKey: registryKey))
        }
    }

    /// The caller's MRV actor for `entity`, if its scope covers it: a participant its own
    /// entity (its account's owner id), province staff an entity of its province, city staff
    /// of its city, a verifier a report assigned to it, the MEE any.
    func mrvScope(_ principal: Principal, _ action: Action, entity id: MRVEntityID, year: Int?) async throws -> Result<MRVActor, MRVRefusal> {
        func forbidden(_ why: String) -> Result<MRVActor, MRVRefusal> { .failure(.refused(Self.forbidden(principal, action, why))) }
        if let account = principal.account {
            let owner = await service.state.accounts[account]?.ownerID
            guard owner == id.rawValue else { return forbidden("entity \(id.rawValue) is not the caller's") }
        }
        guard let mrv else { return .failure(.unavailable) }
        let state = await mrv.state
        guard let entity = state.entities[id] else { return .failure(.unknown(Self.unknownEntity(id))) }
        if principal.account != nil { return .success(.entity(id)) }
        switch principal.role {
        case .province:
            guard let province = principal.province, entity.province == province else { return forbidden("entity \(id.rawValue) is in \(entity.province)") }
            return .success(.province(province))
        case .city:
            guard let city = principal.city, entity.city == city else { return forbidden("entity \(id.rawValue) is in \(entity.city)") }
            return .success(.city(city))
        case .verifier:
            guard let verifier = principal.verifier else { return forbidden("the user acts for no verifier") }
            // Only the verifier the report is assigned to (a report not yet assigned has none).
            guard let year, let report = state.reports[ReportKey(entity: id, year: year)], report.verifier?.rawValue == verifier else {
                return forbidden("the \(year.map(String.init) ?? "") report of \(id.rawValue) is not assigned to \(verifier)")
            }
            return .success(.verifier(VerifierID(verifier)))
        case .mee:
            return .success(.national)
        default:
            return forbidden("the role has no MRV actor")
        }
    }

    /// Authorises, builds the command for the caller's actor, runs it through `MRVService`,
    /// audits it (`api_mrv_<kind>`) and answers with the report as it now is.
    func mrvWorkflow<O: MRVWorkflowOutput>(
        _ action: Action, key: String, entity: String, year: Int32, _ build: (MRVCaller) -> Result<MRVCommand, Refusal>,
        ok: (Schemas.MRVWorkflowResult) -> O
    ) async throws -> O {
        let id = MRVEntityID(entity), year = Int(year)
        let caller: MRVCaller
        switch try await mrvCaller(action, key: key, entity: id, year: year) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        guard let mrv else { return MRVRefusal.unavailable.output() }
        let now = SystemClock().now()
        let command: MRVCommand
        switch build(caller) {
        case .failure(let refusal):
            try await access.audit(now, caller.principal.user, "api_" + action.rawValue, "refused", APIRequestInfo.address)
            return refusal.output()
        case .success(let built): command = built
        }
        // Audited in the MRV command's own transaction, with its outcome.
        let outcome = try await mrv.execute(
            MRVRequest(idempotencyKey: caller.idempotencyKey, command: command, actor: caller.actor),
            audit: AuditNote(at: now, user: caller.principal.user, action: "api_mrv_" + command.kind, address: APIRequestInfo.address, summary: "\(id.rawValue) \(year)"))
        switch outcome {
        case .accepted(let receipt):
            let state = await mrv.state
            guard let report = state.reports[ReportKey(entity: id, year: year)] else {
                return .unprocessableContent(.init(body: .json(Self.error("UNKNOWN_REPORT", "no \(year) report of \(id.rawValue)", ["command": command.kind]))))
            }
            var finding: Int?
            for event in receipt.events {
                if case .findingRecorded(_, let recorded) = event { finding = recorded.number }
            }
            return ok(Schemas.MRVWorkflowResult(seq: receipt.seq, replayed: receipt.replayed, finding: finding, report: Self.reportDetail(report)))
        case .rejected(let error):
            return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["command": command.kind]))))
        case .rejectedRows(let errors, _):
            // Not produced by a single command; answered as a rejection all the same.
            return .unprocessableContent(.init(body: .json(Self.error(errors.first?.code.rawValue ?? "INVALID_INPUT", "rejected", ["command": command.kind]))))
        }
    }

    // MARK: entity

    func submitMRVReport(_ input: Operations.SubmitMRVReport.Input) async throws -> Operations.SubmitMRVReport.Output {
        try await mrvWorkflow(.mrvReport, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { _ in
            .success(.submitReport(entity: MRVEntityID(input.path.entityId), year: Int(input.path.year)))
        } ok: { .ok(.init(body: .json($0))) }
    }

    func resubmitMRVReport(_ input: Operations.ResubmitMRVReport.Input) async throws -> Operations.ResubmitMRVReport.Output {
        let body: Schemas.MRVResubmitRequest
        switch input.body { case .json(let json): body = json }
        return try await mrvWorkflow(.mrvReport, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { _ in
            .success(.resubmitReport(entity: MRVEntityID(input.path.entityId), year: Int(input.path.year), reason: body.reason))
        } ok: { .ok(.init(body: .json($0))) }
    }

    func resolveMRVFinding(_ input: Operations.ResolveMRVFinding.Input) async throws -> Operations.ResolveMRVFinding.Output {
        let body: Schemas.MRVResolveFindingRequest
        switch input.body { case .json(let json): body = json }
        return try await mrvWorkflow(.mrvReport, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { _ in
            .success(.resolveFinding(entity: MRVEntityID(input.path.entityId), year: Int(input.path.year), finding: Int(input.path.finding), response: body.response))
        } ok: { .ok(.init(body: .json($0))) }
    }

    /// One facility-month's rows of the monthly CSV become a `correct_month` with the reason.
    func correctMRVMonth(_ input: Operations.CorrectMRVMonth.Input) async throws -> Operations.CorrectMRVMonth.Output {
        let body: Schemas.MRVMonthCorrection
        switch input.body { case .json(let json): body = json }
        let caller: Caller
        switch try await authorise(.mrvReport, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        guard let owner = await service.state.accounts[caller.account]?.ownerID else {
            return Self.forbidden(caller.principal, .mrvReport, "the user's account is unknown").output()
        }
        let now = SystemClock().now()
        let data: MonthlyData
        switch MRVCSV.parseMonths(body.csv) {
        case .rejected(let errors, let total):
            try await access.audit(now, caller.principal.user, "api_mrv_correct_month", "rejected \(errors.count) of \(total) rows", APIRequestInfo.address)
            let first = errors.first
            var details = ["command": "correct_month", "badRows": String(errors.count)]
            if let first {
                details["row"] = String(first.row)
                if let column = first.column { details["column"] = column }
            }
            return .unprocessableContent(.init(body: .json(Self.error(
                first?.code.rawValue ?? "INVALID_INPUT", first.map { "row \($0.row): \($0.message)" } ?? "the CSV has bad rows", details))))
        case .imported(let months):
            guard months.count == 1, let only = months.first else {
                try await access.audit(now, caller.principal.user, "api_mrv_correct_month", "rejected \(months.count) months", APIRequestInfo.address)
                return .unprocessableContent(.init(body: .json(Self.error(
                    "INVALID_INPUT", "a correction gives the rows of exactly one facility-month (got \(months.count))",
                    ["command": "correct_month", "months": String(months.count)]))))
            }
            data = only
        }
        let outcome = try await mrv.execute(
            MRVRequest(idempotencyKey: caller.idempotencyKey, command: .correctMonth(data, reason: body.reason), actor: .entity(MRVEntityID(owner))),
            audit: AuditNote(at: now, user: caller.principal.user, action: "api_mrv_correct_month", address: APIRequestInfo.address, summary: "\(data.key)"))
        switch outcome {
        case .accepted(let receipt):
            let month = "\(data.facility.rawValue)/\(data.year)-\(data.month < 10 ? "0" : "")\(data.month)"
            return .ok(.init(body: .json(Schemas.MRVResult(seq: receipt.seq, replayed: receipt.replayed, months: [month]))))
        case .rejected(let error):
            return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["command": "correct_month"]))))
        case .rejectedRows(let errors, _):
            return .unprocessableContent(.init(body: .json(Self.error(errors.first?.code.rawValue ?? "INVALID_INPUT", "rejected", ["command": "correct_month"]))))
        }
    }

    // MARK: province

    func assignMRVVerifier(_ input: Operations.AssignMRVVerifier.Input) async throws -> Operations.AssignMRVVerifier.Output {
        let body: Schemas.MRVAssignVerifierRequest
        switch input.body { case .json(let json): body = json }
        return try await mrvWorkflow(.mrvReview, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { _ in
            .success(.assignVerifier(entity: MRVEntityID(input.path.entityId), year: Int(input.path.year), verifier: VerifierID(body.verifier)))
        } ok: { .ok(.init(body: .json($0))) }
    }

    // MARK: verifier

    func recordMRVFinding(_ input: Operations.RecordMRVFinding.Input) async throws -> Operations.RecordMRVFinding.Output {
        let body: Schemas.MRVFindingRequest
        switch input.body { case .json(let json): body = json }
        return try await mrvWorkflow(.mrvVerify, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { caller in
            guard case .verifier(let verifier) = caller.actor else { return .failure(Self.forbidden(caller.principal, .mrvVerify, "not a verifier")) }
            return .success(.recordFinding(
                entity: MRVEntityID(input.path.entityId), year: Int(input.path.year), verifier: verifier, facility: FacilityID(body.facility),
                month: body.month.map(Int.init), item: body.item, description: body.description, requiredCorrection: body.requiredCorrection))
        } ok: { .ok(.init(body: .json($0))) }
    }

    func concludeMRVVerification(_ input: Operations.ConcludeMRVVerification.Input) async throws -> Operations.ConcludeMRVVerification.Output {
        let body: Schemas.MRVConclusionRequest
        switch input.body { case .json(let json): body = json }
        return try await mrvWorkflow(.mrvVerify, key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { caller in
            guard case .verifier(let verifier) = caller.actor else { return .failure(Self.forbidden(caller.principal, .mrvVerify, "not a verifier")) }
            var facilities: [VerifiedFacility] = []
            for line in body.facilities {
                guard let emissions = ExactDecimal(line.emissionsTonnes), let output = ExactDecimal(line.output) else {
                    return .failure(.badRequest(Self.error(
                        "INVALID_INPUT", "\(line.facility): emissionsTonnes and output are decimal numbers", ["facility": String(line.facility.prefix(64))])))
                }
                facilities.append(VerifiedFacility(facility: FacilityID(line.facility), emissionsT: emissions, output: output))
            }
            return .success(.concludeVerification(entity: MRVEntityID(input.path.entityId), year: Int(input.path.year), verifier: verifier, facilities: facilities))
        } ok: { .ok(.init(body: .json($0))) }
    }

    /// The reports assigned to the token's verifier, by entity and year.
    func listVerifierAssignments(_ input: Operations.ListVerifierAssignments.Input) async throws -> Operations.ListVerifierAssignments.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let principal: Principal
        switch try await self.principal(.mrvVerify) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let verifier = principal.verifier else { return Self.forbidden(principal, .mrvVerify, "the user acts for no verifier").guarded() }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let reports = await mrv.state.reports.values.filter { $0.verifier?.rawValue == verifier }.sorted { $0.key < $1.key }
        let page = window.slice(reports)
        return .ok(.init(body: .json(Schemas.MRVReportPage(items: page.items.map(Self.reportSummary), total: page.total, nextOffset: page.next))))
    }

    // MARK: review (city, province, national)

    /// The level names the action, as the three portals: city `mrv_review_city`, province
    /// `mrv_review`, national `mrv_review_national`.
    static func reviewAction(_ level: Schemas.MRVReviewRequest.LevelPayload) -> Action {
        switch level {
        case .city: .mrvReviewCity
        case .province: .mrvReview
        case .national: .mrvReviewNational
        }
    }

    func reviewMRVReport(_ input: Operations.ReviewMRVReport.Input) async throws -> Operations.ReviewMRVReport.Output {
        let body: Schemas.MRVReviewRequest
        switch input.body { case .json(let json): body = json }
        let level: ReviewLevel
        switch body.level {
        case .city: level = .city
        case .province: level = .province
        case .national: level = .national
        }
        return try await mrvWorkflow(Self.reviewAction(body.level), key: input.headers.idempotencyKey, entity: input.path.entityId, year: input.path.year) { _ in
            let entity = MRVEntityID(input.path.entityId), year = Int(input.path.year)
            switch body.decision {
            case .approve: return .success(.approveReview(entity: entity, year: year, level: level))
            case ._return: return .success(.returnReview(entity: entity, year: year, level: level, reasons: body.reasons ?? []))
            }
        } ok: { .ok(.init(body: .json($0))) }
    }

    // MARK: reads

    /// One report in full, for the readers of `listMRVReports` (the entity itself; province and
    /// city staff of its province; the MEE).
    func getMRVReport(_ input: Operations.GetMRVReport.Input) async throws -> Operations.GetMRVReport.Output {
        let id = MRVEntityID(input.path.entityId)
        let state: MRVState
        switch try await mrvReader(id) {
        case .refused(let refusal): return refusal.guarded()
        case .unavailable: return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .unknown: return .notFound(.init(body: .json(Self.unknownEntity(id))))
        case .granted(let found): state = found
        }
        let year = Int(input.path.year)
        guard let report = state.reports[ReportKey(entity: id, year: year)] else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_REPORT", "no \(year) report of \(id.rawValue)", ["entity": id.rawValue, "year": String(year)]))))
        }
        return .ok(.init(body: .json(Self.reportDetail(report))))
    }

    // MARK: mapping

    static func reportSummary(_ report: AnnualReport) -> Schemas.MRVReport {
        Schemas.MRVReport(
            entity: report.entity.rawValue, year: report.year, version: report.version, status: reportStatus(report.status),
            submittedAt: utc(report.submittedAt), deadline: report.deadline.description, late: report.late, verifier: report.verifier?.rawValue,
            verificationDeadline: report.verificationDeadline.description)
    }

    static func reportDetail(_ report: AnnualReport) -> Schemas.MRVReportDetail {
        let status = Schemas.MRVReportDetail.StatusPayload(rawValue: reportStatus(report.status).rawValue)!
        return Schemas.MRVReportDetail(
            entity: report.entity.rawValue, year: report.year, version: report.version, status: status, submittedAt: utc(report.submittedAt),
            deadline: report.deadline.description, late: report.late, verifier: report.verifier?.rawValue,
            verificationDeadline: report.verificationDeadline.description, concludedAt: report.concludedAt.map(utc),
            verificationLate: report.verificationLate,
            facilities: report.facilities.map {
                Schemas.MRVFacilitySummary(
                    facility: $0.facility.rawValue, combustionTonnes: $0.combustionT.description, electricityTonnes: $0.electricityT.description,
                    pfcTonnes: $0.pfcT.description, processTonnes: $0.processT.description, totalTonnes: $0.totalT.description,
                    defaultsUsed: $0.defaultsUsed, generationMWh: $0.generationMWh.description, supplyMWh: $0.supplyMWh.description,
                    heatSuppliedGJ: $0.heatSuppliedGJ.description, outputTonnes: $0.outputT.description, corrections: $0.corrections)
            },
            findings: report.findings.map {
                Schemas.MRVFinding(
                    number: $0.number, facility: $0.facility.rawValue, month: $0.month, item: $0.item, description: $0.description,
                    requiredCorrection: $0.requiredCorrection, recordedAt: utc($0.recordedAt), response: $0.response, resolvedAt: $0.resolvedAt.map(utc))
            },
            verified: report.verified?.map {
                Schemas.MRVVerifiedFacility(facility: $0.facility.rawValue, emissionsTonnes: $0.emissionsT.description, output: $0.output.description)
            },
            reviews: report.reviews.map {
                Schemas.MRVReviewRecord(
                    level: Schemas.MRVReviewRecord.LevelPayload(rawValue: $0.level.rawValue)!, approved: $0.approved, reasons: $0.reasons, at: utc($0.at))
            },
            previousVersions: report.previousVersions.count)
    }
}

/// An MRV workflow command's answers: besides those of every command, 404 (no such entity)
/// and 503 (no MRV platform).
protocol MRVWorkflowOutput: CommandOutput {
    static func notFound(_ response: Components.Responses.NotFound) -> Self
    static func serviceUnavailable(_ response: Components.Responses.Unavailable) -> Self
}

extension Operations.SubmitMRVReport.Output: MRVWorkflowOutput {}
extension Operations.ResubmitMRVReport.Output: MRVWorkflowOutput {}
extension Operations.ResolveMRVFinding.Output: MRVWorkflowOutput {}
extension Operations.AssignMRVVerifier.Output: MRVWorkflowOutput {}
extension Operations.RecordMRVFinding.Output: MRVWorkflowOutput {}
extension Operations.ConcludeMRVVerification.Output: MRVWorkflowOutput {}
extension Operations.ReviewMRVReport.Output: MRVWorkflowOutput {}
extension Operations.CorrectMRVMonth.Output: CommandOutput {}
extension Operations.GetMRVReport.Output: TokenGuardedOutput {}
extension Operations.ListVerifierAssignments.Output: TokenGuardedOutput {}
