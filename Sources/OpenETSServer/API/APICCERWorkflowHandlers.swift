import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The CCER workflow under the spec (docs/ccer.md), with the actions of the CCER portals'
/// forms (CCERPortalRoutes, NeutralityRoutes): the project owner (`ccer_apply`, for its own
/// registry account and only its own projects), the validation body (`ccer_validate`, as the
/// body the token's user acts for, `users.ccer_body`), the registry's review (`ccer_review`)
/// and a participant's cancellation for carbon neutrality (`neutrality_cancel`, own account).
/// The actor (owner account, body) comes from the token, never from the body; every command
/// runs through the registry's one writer as a `CCERRequest` with its audit line in the same
/// transaction, and a refusal (the CCER rules' own code, 422) changes nothing.
extension APIHandler {
    /// Most findings one validation or verification report carries (as the portal's form).
    static let maxCCERFindings = CCERPortalRoutes.maxFindingsLines

    // MARK: project owner

    func submitCCERProject(_ input: Operations.SubmitCCERProject.Input) async throws -> Operations.SubmitCCERProject.Output {
        let body: Schemas.CCERProjectSubmission
        switch input.body { case .json(let json): body = json }
        return try await ccerCommand(.ccerApply, key: input.headers.idempotencyKey, actsFor: .account) { caller in
            guard let account = caller.principal.account else { return .failure(Self.forbidden(caller.principal, .ccerApply, "the user acts for no account")) }
            guard let construction = CivilDate(body.constructionStart), let start = CivilDate(body.creditingStart), let end = CivilDate(body.creditingEnd) else {
                return .failure(Self.invalidCCERInput("constructionStart, creditingStart and creditingEnd must be dates (YYYY-MM-DD)"))
            }
            let design: String
            switch Self.documentHash(body.designDocumentSha256, body.designDocumentText, "designDocument") {
            case .failure(let refusal): return .failure(refusal)
            case .success(let hash): design = hash
            }
            let host = body.hostFacility.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            let application = ProjectApplication(
                name: body.name, owner: account, methodology: body.methodology, province: body.province, location: body.location, type: body._type,
                constructionStart: construction, creditingStart: start, creditingEnd: end, expectedAnnualReductionsT: body.expectedAnnualTonnes,
                designDocumentSHA256: design, hostFacility: host)
            return .success(.submitProject(application, coveredFacilities: []))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func applyCCERRegistration(_ input: Operations.ApplyCCERRegistration.Input) async throws -> Operations.ApplyCCERRegistration.Output {
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerApply, key: input.headers.idempotencyKey, actsFor: .account) { caller in
            await ownProject(caller, project).map { CCERCommand.applyForRegistration(project: project, owner: $0) }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func submitCCERReductionReport(_ input: Operations.SubmitCCERReductionReport.Input) async throws -> Operations.SubmitCCERReductionReport.Output {
        let body: Schemas.CCERReductionReportRequest
        switch input.body { case .json(let json): body = json }
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerApply, key: input.headers.idempotencyKey, actsFor: .account) { caller in
            let owner: AccountID
            switch await ownProject(caller, project) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let account): owner = account
            }
            guard let start = CivilDate(body.start), let end = CivilDate(body.end) else {
                return .failure(Self.invalidCCERInput("start and end must be dates (YYYY-MM-DD)"))
            }
            return Self.documentHash(body.reportSha256, body.reportText, "report").map {
                CCERCommand.submitReductionReport(project: project, owner: owner, start: start, end: end, reportedT: body.reportedTonnes, reportSHA256: $0)
            }
        } accepted: { .created(.init(body: .json($0))) }
    }

    func applyCCERReductionRegistration(_ input: Operations.ApplyCCERReductionRegistration.Input) async throws -> Operations.ApplyCCERReductionRegistration.Output {
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerApply, key: input.headers.idempotencyKey, actsFor: .account) { caller in
            await ownProject(caller, project).map { CCERCommand.applyForReductionRegistration(project: project, period: Int(input.path.period), owner: $0) }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    // MARK: validation body

    func recordCCERValidation(_ input: Operations.RecordCCERValidation.Input) async throws -> Operations.RecordCCERValidation.Output {
        let body: Schemas.CCERValidationRequest
        switch input.body { case .json(let json): body = json }
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerValidate, key: input.headers.idempotencyKey, actsFor: .validationBody) { caller in
            guard let validator = caller.principal.validationBody else {
                return .failure(Self.forbidden(caller.principal, .ccerValidate, "the user acts for no validation body"))
            }
            guard (body.findings ?? []).count <= Self.maxCCERFindings else { return .failure(Self.invalidCCERInput("at most \(Self.maxCCERFindings) findings")) }
            return Self.documentHash(body.reportSha256, body.reportText, "report").map {
                CCERCommand.recordValidation(
                    project: project, body: ValidationBodyID(validator), reportSHA256: $0, findings: body.findings ?? [],
                    positive: body.conclusion == .positive)
            }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func recordCCERVerification(_ input: Operations.RecordCCERVerification.Input) async throws -> Operations.RecordCCERVerification.Output {
        let body: Schemas.CCERVerificationRequest
        switch input.body { case .json(let json): body = json }
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerValidate, key: input.headers.idempotencyKey, actsFor: .validationBody) { caller in
            guard let validator = caller.principal.validationBody else {
                return .failure(Self.forbidden(caller.principal, .ccerValidate, "the user acts for no validation body"))
            }
            guard (body.findings ?? []).count <= Self.maxCCERFindings else { return .failure(Self.invalidCCERInput("at most \(Self.maxCCERFindings) findings")) }
            return Self.documentHash(body.reportSha256, body.reportText, "report").map {
                CCERCommand.recordVerification(
                    project: project, period: Int(input.path.period), body: ValidationBodyID(validator), reportSHA256: $0, findings: body.findings ?? [],
                    verifiedT: body.verifiedTonnes)
            }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    // MARK: registry review

    func decideCCERRegistration(_ input: Operations.DecideCCERRegistration.Input) async throws -> Operations.DecideCCERRegistration.Output {
        let body: Schemas.CCERDecisionRequest
        switch input.body { case .json(let json): body = json }
        return try await ccerCommand(.ccerReview, key: input.headers.idempotencyKey, actsFor: .nobody) { _ in
            .success(.decideRegistration(project: CCERProjectID(input.path.projectId), approve: body.decision == .approve, reason: body.reason ?? ""))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func decideCCERReductionRegistration(_ input: Operations.DecideCCERReductionRegistration.Input) async throws -> Operations.DecideCCERReductionRegistration.Output {
        let body: Schemas.CCERDecisionRequest
        switch input.body { case .json(let json): body = json }
        return try await ccerCommand(.ccerReview, key: input.headers.idempotencyKey, actsFor: .nobody) { _ in
            .success(.decideReductionRegistration(
                project: CCERProjectID(input.path.projectId), period: Int(input.path.period), approve: body.decision == .approve, reason: body.reason ?? ""))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func issueCCERCredits(_ input: Operations.IssueCCERCredits.Input) async throws -> Operations.IssueCCERCredits.Output {
        try await ccerCommand(.ccerReview, key: input.headers.idempotencyKey, actsFor: .nobody) { _ in
            .success(.issue(project: CCERProjectID(input.path.projectId), period: Int(input.path.period)))
        } accepted: { .created(.init(body: .json($0))) }
    }

    // MARK: neutrality

    func cancelCCERForNeutrality(_ input: Operations.CancelCCERForNeutrality.Input) async throws -> Operations.CancelCCERForNeutrality.Output {
        let body: Schemas.CCERNeutralityCancellationRequest
        switch input.body { case .json(let json): body = json }
        return try await ccerCommand(.neutralityCancel, key: input.headers.idempotencyKey, actsFor: .account) { caller in
            guard let account = caller.principal.account else { return .failure(Self.forbidden(caller.principal, .neutralityCancel, "the user acts for no account")) }
            let purpose: NeutralityPurpose = switch body.purpose {
            case .event: .event
            case .product: .product
            case .organisation: .organisation
            }
            return .success(.cancelForNeutrality(NeutralityClaim(
                account: account, unit: UnitTypeCode(body.unit), quantity: body.quantityTonnes, beneficiary: body.beneficiary, purpose: purpose,
                subject: body.subject)))
        } accepted: { .created(.init(body: .json($0))) }
    }
}

// MARK: authorisation and execution

extension Operations.SubmitCCERProject.Output: CommandOutput {}
extension Operations.ApplyCCERRegistration.Output: CommandOutput {}
extension Operations.SubmitCCERReductionReport.Output: CommandOutput {}
extension Operations.ApplyCCERReductionRegistration.Output: CommandOutput {}
extension Operations.RecordCCERValidation.Output: CommandOutput {}
extension Operations.RecordCCERVerification.Output: CommandOutput {}
extension Operations.DecideCCERRegistration.Output: CommandOutput {}
extension Operations.DecideCCERReductionRegistration.Output: CommandOutput {}
extension Operations.IssueCCERCredits.Output: CommandOutput {}
extension Operations.CancelCCERForNeutrality.Output: CommandOutput {}

extension APIHandler {
    /// Whom a CCER caller acts for: its own registry account (project owner, neutrality), the
    /// validation body of its user (checked by the command), or nobody in particular (the registry).
    enum CCERActor {
        case account
        case validationBody
        case nobody
    }

    /// A CCER caller: the token's user and the registry idempotency key of its request.
    struct CCERCaller {
        var principal: Principal
        var idempotencyKey: String
    }

    /// The checks of `authorise` (a live token, the permission matrix, a participant for its
    /// own account, a well-formed Idempotency-Key), for callers that may act for no account:
    /// validation bodies and the registry's staff.
    func ccerCaller(_ action: Action, key: String, actsFor actor: CCERActor) async throws -> Result<CCERCaller, Refusal> {
        if actor == .account {
            return try await authorise(action, key: key).map { CCERCaller(principal: $0.principal, idempotencyKey: $0.idempotencyKey) }
        }
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): principal = found
        }
        // The same key rule and registry key as `authorise`.
        guard !key.isEmpty, key.utf8.count <= Self.maxIdempotencyKeyBytes, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .failure(.badRequest(Self.error(
                "INVALID_INPUT", "Idempotency-Key must be 1-\(Self.maxIdempotencyKeyBytes) printable ASCII characters")))
        }
        let user = String(sha256Hex(principal.user).prefix(16))
        return .success(CCERCaller(principal: principal, idempotencyKey: "api-\(user)-\(key)"))
    }

    /// The owner's account for a command on `project`: the caller's own account, and only for
    /// its own projects (403 for another owner's). An unknown project is the CCER rules' to refuse.
    func ownProject(_ caller: CCERCaller, _ project: CCERProjectID) async -> Result<AccountID, Refusal> {
        guard let account = caller.principal.account else { return .failure(Self.forbidden(caller.principal, .ccerApply, "the user acts for no account")) }
        if let found = await service.ccer.projects[project], found.application.owner != account {
            return .failure(Self.forbidden(caller.principal, .ccerApply, "project \(project.rawValue) is not owned by \(account.rawValue)"))
        }
        return .success(account)
    }

    /// Authorises, builds the command for the caller (which may refuse it: scope, input), runs
    /// it through the registry's writer with its audit line (`api_ccer_<kind>`) and answers in
    /// the operation's output type: a CCER or registry refusal is 422 with its own code.
    func ccerCommand<O: CommandOutput>(
        _ action: Action, key: String, actsFor actor: CCERActor, _ build: (CCERCaller) async throws -> Result<CCERCommand, Refusal>,
        accepted: (Schemas.CCERCommandResult) -> O
    ) async throws -> O {
        try await ccerCommand(action, key: key, actsFor: actor, build) { command, receipt in accepted(Self.ccerResult(command, receipt)) }
    }

    /// `ccerCommand`, answering an accepted command from the command and its receipt (the
    /// regulator's commands and the notice comments have result shapes of their own). `sentAs`:
    /// the request as sent, when the command holds a value the server filled in (`CCERRequest.sentAs`).
    func ccerCommand<O: CommandOutput>(
        _ action: Action, key: String, actsFor actor: CCERActor, sentAs: String? = nil,
        _ build: (CCERCaller) async throws -> Result<CCERCommand, Refusal>,
        receipt accepted: (CCERCommand, CCERReceipt) async throws -> O
    ) async throws -> O {
        let caller: CCERCaller
        switch try await ccerCaller(action, key: key, actsFor: actor) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        let command: CCERCommand
        switch try await build(caller) {
        case .failure(let refusal):
            try await access.audit(SystemClock().now(), caller.principal.user, "api_" + action.rawValue, "refused", APIRequestInfo.address)
            return refusal.output()
        case .success(let built): command = built
        }
        let audit = AuditNote(at: SystemClock().now(), user: caller.principal.user, action: "api_ccer_" + command.kind, address: APIRequestInfo.address)
        let outcome: CCEROutcome
        do {
            outcome = try await service.execute(CCERRequest(idempotencyKey: caller.idempotencyKey, command: command, sentAs: sentAs), audit: audit)
        } catch {
            // The batch failed (nothing was written, its audit line neither): say so in the log.
            try? await access.audit(audit.at, audit.user, audit.action, "failed \(type(of: error))", audit.address)
            throw error
        }
        switch outcome {
        case .rejected(let rejection):
            return .unprocessableContent(.init(body: .json(Self.error(rejection.code, rejection.message, ["command": command.kind]))))
        case .accepted(let receipt):
            return try await accepted(command, receipt)
        }
    }

    /// What the receipt says in API terms: the project (a new one's id), the period (a new
    /// report's number), the issuance, the neutrality certificate.
    static func ccerResult(_ command: CCERCommand, _ receipt: CCERReceipt) -> Schemas.CCERCommandResult {
        var result = Schemas.CCERCommandResult(seq: receipt.seq, replayed: receipt.replayed, project: "")
        switch command {
        case .applyForRegistration(let project, _), .decideRegistration(let project, _, _), .recordValidation(let project, _, _, _, _),
            .submitReductionReport(let project, _, _, _, _, _), .comment(let project, _, _, _, _):
            result.project = project.rawValue
        case .recordVerification(let project, let period, _, _, _, _), .applyForReductionRegistration(let project, let period, _),
            .decideReductionRegistration(let project, let period, _, _), .issue(let project, let period):
            result.project = project.rawValue
            result.period = Int32(period)
        case .submitProject, .cancelForNeutrality, .addMethodology, .accreditBody, .withdrawAccreditation:
            break
        }
        for event in receipt.events {
            switch event {
            case .projectSubmitted(let project): result.project = project.id.rawValue
            case .reductionReportSubmitted(_, let period): result.period = Int32(period.number)
            case .issuanceOrdered(let order):
                result.unitType = order.unitType.rawValue
                result.issuedTonnes = order.quantity
            case .neutralityCertified(let certificate): result.certificateNumber = certificate.number.rawValue
            default: break
            }
        }
        result.verificationCode = receipt.verificationCode
        return result
    }

    /// A document's SHA-256 from the request: the given hash (the CCER rules check its form),
    /// or the SHA-256 of the given text's UTF-8 bytes (as the portals' `<name>_text` field);
    /// exactly one of the two (400 otherwise).
    static func documentHash(_ sha256: String?, _ text: String?, _ name: String) -> Result<String, Refusal> {
        let hash = sha256.flatMap { $0.isEmpty ? nil : $0 }
        let content = text.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        switch (hash, content) {
        case (let hash?, nil): return .success(hash)
        case (nil, let content?): return .success(sha256Hex(content))
        case (nil, nil): return .failure(invalidCCERInput("\(name)Sha256 or \(name)Text is required"))
        case (.some, .some): return .failure(invalidCCERInput("give \(name)Sha256 or \(name)Text, not both"))
        }
    }

    static func invalidCCERInput(_ message: String) -> Refusal { .badRequest(error("INVALID_INPUT", message)) }
}
