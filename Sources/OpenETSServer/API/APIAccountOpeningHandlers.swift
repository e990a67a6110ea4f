import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// Account opening over the API (docs/api.md, docs/security.md): apply (public), the status
/// with the secret reference (public), the applicant's correction of a returned application
/// (public, with the reference), the registry operator's list and decision
/// (`account_review`). The same `AccountOpeningService` as the web.
extension APIHandler {
    var opening: AccountOpeningService { AccountOpeningService(store: store, registry: service) }

    func applyForAccount(_ input: Operations.ApplyForAccount.Input) async throws -> Operations.ApplyForAccount.Output {
        let body: Schemas.AccountApplicationRequest
        switch input.body { case .json(let json): body = json }
        let documents: [(fileName: String, bytes: [UInt8])]
        switch Self.decodeDocuments(body.documents, policy: opening.policy) {
        case .failure(let refusal): return .unprocessableContent(.init(body: .json(refusal.body)))
        case .success(let decoded): documents = decoded
        }
        let kind = ApplicantKind(rawValue: body.kind.rawValue)!
        let users = body.users.enumerated().map { index, user in
            let representative: RepresentativeRole? = kind == .entity ? (index == 0 ? .initiator : .approver) : nil
            return (user: ApplicantUser(userID: user.userId, name: user.name, representative: representative), password: user.password)
        }
        let request = AccountOpeningService.Request(
            kind: kind, ownerID: body.ownerId, ownerName: body.ownerName, province: body.province, users: users, documents: documents)
        // A live token names the submitter (who may then not decide it); anything else is anonymous.
        var submitter: String?
        if let token = APIRequestInfo.bearer, case .live(let principal) = try await access.lookUp(token, at: SystemClock().now()) {
            submitter = principal.user
        }
        let now = SystemClock().now(), address = APIRequestInfo.address
        // The acceptance's line is inserted with the application; a refusal (nothing stored) is audited alone.
        let audit: ApplicationAudit = {
            AuditRecord(at: now, user: submitter ?? "applicant", action: "api_account_apply", detail: "accepted \($0.id)", address: address)
        }
        switch try await opening.apply(request, by: submitter, at: now, audit: audit) {
        case .failure(let error):
            try await access.audit(now, submitter ?? "applicant", "api_account_apply", "rejected \(error.code.rawValue)", APIRequestInfo.address)
            return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message))))
        case .success(let submitted):
            return .created(.init(body: .json(Schemas.AccountApplicationSubmitted(
                application: Self.application(submitted.application), reference: submitted.reference,
                totpSecrets: submitted.totpSecrets.sorted { $0.key < $1.key }.map { .init(userId: $0.key, secret: $0.value) }))))
        }
    }

    func getAccountApplication(_ input: Operations.GetAccountApplication.Input) async throws -> Operations.GetAccountApplication.Output {
        guard let record = try await opening.status(id: input.path.applicationId, reference: input.headers.applicationReference) else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_APPLICATION", "no application with this id and reference"))))
        }
        return .ok(.init(body: .json(Self.application(record.application))))
    }

    /// The applicant corrects a returned application: the secret reference identifies them (a
    /// wrong id or reference is one 404); the kind and the users' ids stay as first submitted.
    /// Stored Idempotency-Key (`idempotent`), the caller being `applicant:<id>` (the reference
    /// is checked first): a retry with the key answers the first answer; nothing is stored twice.
    func resubmitAccountApplication(_ input: Operations.ResubmitAccountApplication.Input) async throws -> Operations.ResubmitAccountApplication.Output {
        let body: Schemas.AccountApplicationCorrection
        switch input.body { case .json(let json): body = json }
        let key = input.headers.idempotencyKey
        if let refusal = Self.keyRefusal(key) { return .badRequest(.init(body: .json(refusal))) }
        let id = input.path.applicationId, reference = input.headers.applicationReference
        let unknown = Operations.ResubmitAccountApplication.Output.notFound(.init(body: .json(Self.error("UNKNOWN_APPLICATION", "no application with this id and reference"))))
        guard let record = try await opening.status(id: id, reference: reference) else { return unknown }
        let documents: [(fileName: String, bytes: [UInt8])]
        switch Self.decodeDocuments(body.documents, policy: opening.policy) {
        case .failure(let refusal): return .unprocessableContent(.init(body: .json(refusal.body)))
        case .success(let decoded): documents = decoded
        }
        let kind = record.application.form.kind
        let users = body.users.enumerated().map { index, user in
            let representative: RepresentativeRole? = kind == .entity ? (index == 0 ? .initiator : .approver) : nil
            // The passwords stay as first chosen: the service does not read them on a resubmission.
            return (user: ApplicantUser(userID: user.userId, name: user.name, representative: representative), password: "")
        }
        let request = AccountOpeningService.Request(
            kind: kind, ownerID: body.ownerId, ownerName: body.ownerName, province: body.province, users: users, documents: documents)
        return try await idempotentInWrite(
            "resubmitAccountApplication", user: "applicant:\(id)", key: key, parameters: [id], body: try StoredJSON.canonical(body),
            audit: "api_account_resubmit"
        ) { ticket in
            let now = SystemClock().now(), address = APIRequestInfo.address
            // The key's answer and the audit line commit with the resubmitted application.
            let audit: ApplicationAudit = {
                AuditRecord(at: now, user: "applicant", action: "api_account_resubmit", detail: "accepted \($0.id)", address: address)
            }
            switch try await opening.resubmit(
                id: id, reference: reference, request, at: now, key: { try ticket.completion(Self.applicationOK($0)) }, audit: audit)
            {
            case .success(let application):
                return .completedInWrite(Self.applicationOK(application))
            case .failure(let error):
                try await access.audit(now, "applicant", "api_account_resubmit", "rejected \(error.code.rawValue)", APIRequestInfo.address)
                if error.code == .unknownApplication { return .answer(unknown) }
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["application": String(id.prefix(64))])))))
            }
        }
    }

    /// The uploaded documents' bytes, or the refusal (DOCUMENT_TOO_LARGE, DOCUMENT_INVALID).
    static func decodeDocuments(
        _ uploads: [Schemas.IdentityDocumentUpload], policy: AccountOpeningPolicy
    ) -> Result<[(fileName: String, bytes: [UInt8])], DocumentRefusal> {
        var documents: [(fileName: String, bytes: [UInt8])] = []
        for document in uploads {
            // Base64 is 4 characters per 3 bytes: a longer text cannot be within the limit.
            guard Int64(document.contentBase64.utf8.count) <= (policy.maxDocumentBytes + 2) / 3 * 4 + 4 else {
                return .failure(DocumentRefusal(body: Self.error(
                    "DOCUMENT_TOO_LARGE", "\(document.fileName): at most \(policy.maxDocumentBytes) bytes (maxDocumentBytes)",
                    ["maxDocumentBytes": String(policy.maxDocumentBytes)])))
            }
            guard let bytes = Data(base64Encoded: document.contentBase64) else {
                return .failure(DocumentRefusal(body: Self.error("DOCUMENT_INVALID", "\(document.fileName): contentBase64 is not base64")))
            }
            documents.append((document.fileName, Array(bytes)))
        }
        return .success(documents)
    }

    func listAccountApplications(_ input: Operations.ListAccountApplications.Input) async throws -> Operations.ListAccountApplications.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        if case .failure(let refusal) = try await principal(.accountReview) { return refusal.guarded() }
        let status = input.query.status.flatMap { AccountApplicationStatus(rawValue: $0.rawValue) }
        let page = window.slice(try await opening.list(status: status))
        return .ok(.init(body: .json(Schemas.AccountApplicationPage(
            items: page.items.map { Self.application($0.application) }, total: page.total, nextOffset: page.next))))
    }

    func decideAccountApplication(_ input: Operations.DecideAccountApplication.Input) async throws -> Operations.DecideAccountApplication.Output {
        let body: Schemas.AccountApplicationDecision
        switch input.body { case .json(let json): body = json }
        let reviewer: Principal
        switch try await principal(.accountReview) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): reviewer = found
        }
        let key = input.headers.idempotencyKey
        if let refusal = Self.keyRefusal(key) { return .badRequest(.init(body: .json(refusal))) }
        let id = input.path.applicationId
        let decision: AccountOpeningService.Decision
        switch body.decision {
        case .approve: decision = .approve
        case ._return: decision = .returnForCorrection(reason: body.reason ?? "")
        case .reject: decision = .reject(reason: body.reason ?? "")
        }
        let action = "api_account_" + body.decision.rawValue
        return try await idempotentInWrite(
            "decideAccountApplication", user: reviewer.user, key: key, parameters: [id], body: try StoredJSON.canonical(body), audit: action
        ) { ticket in
            let now = SystemClock().now(), address = APIRequestInfo.address
            // The key's answer and the audit line commit with the decision (an approval's last step).
            let audit: ApplicationAudit = {
                AuditRecord(at: now, user: reviewer.user, action: action, detail: "accepted \(id) \($0.status.rawValue)", address: address)
            }
            switch try await opening.decide(
                id, decision, by: reviewer.user, at: now, key: { try ticket.completion(Self.decidedOK($0)) }, audit: audit)
            {
            case .success(let application):
                return .completedInWrite(Self.decidedOK(application))
            case .failure(let error):
                try await access.audit(now, reviewer.user, action, "rejected \(error.code.rawValue)", APIRequestInfo.address)
                if error.code == .unknownApplication { return .answer(.notFound(.init(body: .json(Self.error(error.code.rawValue, error.message))))) }
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["application": String(id.prefix(64))])))))
            }
        }
    }

    static func applicationOK(_ application: AccountApplication) -> Operations.ResubmitAccountApplication.Output {
        .ok(.init(body: .json(Self.application(application))))
    }

    static func decidedOK(_ application: AccountApplication) -> Operations.DecideAccountApplication.Output {
        .ok(.init(body: .json(Self.application(application))))
    }

    /// A document refused before the service sees it (its API error).
    struct DocumentRefusal: Error {
        var body: Schemas._Error
    }

    static func application(_ application: AccountApplication) -> Schemas.AccountApplication {
        let form = application.form
        return Schemas.AccountApplication(
            id: application.id, kind: Schemas.ApplicantKind(rawValue: form.kind.rawValue)!, ownerId: form.ownerID, ownerName: form.ownerName,
            province: form.province, status: Schemas.AccountApplication.StatusPayload(rawValue: application.status.rawValue)!,
            account: application.account?.rawValue,
            users: form.users.map { .init(userId: $0.userID, name: $0.name, role: $0.role.rawValue) },
            documents: form.documents.map { .init(fileName: $0.fileName, sha256: $0.sha256, sizeBytes: $0.sizeBytes) },
            history: application.history.map { .init(at: utc($0.at), by: $0.by, status: $0.status.rawValue, reason: $0.reason) })
    }
}

extension Operations.ListAccountApplications.Output: TokenGuardedOutput {}
extension Operations.DecideAccountApplication.Output: TokenGuardedOutput {}
