import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The CCER rules (`CCERPolicy`, docs/ccer.md "Policy table") in the REST API, as `openets ccer
/// policy show|publish`: the version in force and every version (public, as the CCER
/// registry); a check and the publication of a new version by the regulator (`ccer_regulate`,
/// the MEE). A publication goes through the registry service that decides every CCER command
/// (`RegistryService.publishCCERPolicy`), so the server's next CCER command is decided under it.
extension APIHandler {
    // MARK: reads

    func getCCERPolicy(_ input: Operations.GetCCERPolicy.Input) async throws -> Operations.GetCCERPolicy.Output {
        // A version another process published (`openets ccer policy publish`) is taken here too.
        try await service.refreshCCERPolicy()
        let inForce = await service.ccerPolicy
        let found: (policy: CCERPolicy, effectiveFrom: String?, publishedAt: Timestamp?)
        switch input.query.version.map(Int.init) {
        case nil, inForce.version?:
            let stored = inForce.version == CCERPolicy.standard.version ? nil : try await storedCCERPolicy(inForce.version)
            found = (inForce, stored?.effectiveFrom, stored?.publishedAt)
        case CCERPolicy.standard.version?:
            found = (.standard, nil, nil)
        case let wanted?:
            guard let stored = try await storedCCERPolicy(wanted) else {
                return .notFound(.init(body: .json(Self.error("UNKNOWN_POLICY_VERSION", "no CCER policy version \(wanted)", ["version": String(wanted)]))))
            }
            found = (stored.policy, stored.effectiveFrom, stored.publishedAt)
        }
        return .ok(.init(body: .json(Schemas.CCERPolicyInForce(
            version: found.policy.version, effectiveFrom: found.effectiveFrom, publishedAt: found.publishedAt.map(utc), note: found.policy.note,
            inForce: found.policy.version == inForce.version, policy: try Self.ccerPolicyDocument(found.policy)))))
    }

    func listCCERPolicyVersions(_ input: Operations.ListCCERPolicyVersions.Input) async throws -> Operations.ListCCERPolicyVersions.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        try await service.refreshCCERPolicy()
        let inForce = await service.ccerPolicy.version
        let builtIn = Schemas.CCERPolicyVersion(
            version: CCERPolicy.standard.version, note: CCERPolicy.standard.note, inForce: inForce == CCERPolicy.standard.version)
        let versions = [builtIn] + (try await service.ccerPolicyVersions()).map {
            Schemas.CCERPolicyVersion(
                version: $0.version, effectiveFrom: $0.effectiveFrom, publishedAt: $0.publishedAt.map(utc), note: $0.note, inForce: $0.version == inForce)
        }
        let page = window.slice(versions)
        return .ok(.init(body: .json(Schemas.CCERPolicyVersionPage(items: Array(page.items), total: page.total, nextOffset: page.next))))
    }

    private func storedCCERPolicy(_ version: Int) async throws -> StoredCCERPolicy? {
        try await service.ccerPolicy(version: version)
    }

    /// The policy as the spec's free-form document (the JSON `openets ccer policy show` prints).
    static func ccerPolicyDocument(_ policy: CCERPolicy) throws -> Schemas.CCERPolicyDocument {
        try JSONDecoder().decode(Schemas.CCERPolicyDocument.self, from: try JSONEncoder().encode(policy))
    }

    /// The document as a CCER policy, or INVALID_POLICY saying why it is none. `version` and
    /// `note` may be left out (the server sets them on publication).
    static func ccerPolicy(_ document: Schemas.CCERPolicyDocument) -> Result<CCERPolicy, CCERError> {
        do {
            guard var object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(document)) as? [String: Any] else {
                return .failure(CCERError(.invalidPolicy, "policy is not a JSON object"))
            }
            if object["version"] == nil { object["version"] = 0 }
            if object["note"] == nil { object["note"] = "" }
            return .success(try JSONDecoder().decode(CCERPolicy.self, from: try JSONSerialization.data(withJSONObject: object)))
        } catch {
            let why = (error as? DecodingError).map(describe) ?? "unreadable"
            return .failure(CCERError(.invalidPolicy, "policy is not a CCER policy (the JSON `openets ccer policy show` prints): \(why)"))
        }
    }

    // MARK: check and publish (the MEE)

    func checkCCERPolicy(_ input: Operations.CheckCCERPolicy.Input) async throws -> Operations.CheckCCERPolicy.Output {
        let body: Schemas.CCERPolicyCheckRequest
        switch input.body { case .json(let json): body = json }
        switch try await principal(.ccerRegulate) {
        case .failure(let refusal): return refusal.output()
        case .success: break
        }
        let policy: CCERPolicy
        switch Self.ccerPolicy(body.policy) {
        case .failure(let error):
            return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, Self.policyProblemDetails("ccer_policy_check", [error.message])))))
        case .success(let found): policy = found
        }
        // The publication brings its own note and date: only the policy's own problems count here.
        let problems = policy.problems().filter { !$0.hasPrefix("note:") }
        let inForce = await service.ccerPolicy.version
        return .ok(.init(body: .json(Schemas.CCERPolicyCheck(
            ok: problems.isEmpty, inForce: inForce, problems: problems, code: problems.isEmpty ? nil : CCERErrorCode.invalidPolicy.rawValue))))
    }

    /// Stored Idempotency-Key (`idempotentInWrite`): a retry with the key and body answers the
    /// first answer. The publication, its audit line and its key's answer are one transaction
    /// of the registry writer.
    func publishCCERPolicy(_ input: Operations.PublishCCERPolicy.Input) async throws -> Operations.PublishCCERPolicy.Output {
        let body: Schemas.CCERPolicyPublication
        switch input.body { case .json(let json): body = json }
        let user: Principal
        switch try await principal(.ccerRegulate) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        if let refusal = Self.keyRefusal(input.headers.idempotencyKey) { return .badRequest(.init(body: .json(refusal))) }
        return try await idempotentInWrite(
            "publishCCERPolicy", user: user.user, key: input.headers.idempotencyKey, parameters: [],
            body: try StoredJSON.canonical(body), audit: "api_ccer_policy_publish"
        ) { ticket in
            let now = SystemClock().now()
            let audit = AuditNote(at: now, user: user.user, action: "api_ccer_policy_publish", address: APIRequestInfo.address, summary: body.note)
            let policy: CCERPolicy
            switch Self.ccerPolicy(body.policy) {
            case .failure(let error):
                try await access.audit(now, user.user, audit.action, "rejected " + error.code.rawValue, APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(
                    error.code.rawValue, error.message, Self.policyProblemDetails("ccer_policy_publish", [error.message]))))))
            case .success(let found): policy = found
            }
            // The day of the CCER rules (the service's clock, as the notices' working days), not the wall clock.
            let publishedAt = service.now()
            let from = body.effectiveFrom ?? BeijingTime.date(publishedAt).description
            func published(_ version: Int) -> Operations.PublishCCERPolicy.Output {
                .created(.init(body: .json(Schemas.CCERPolicyPublished(
                    version: Schemas.CCERPolicyVersion(version: version, effectiveFrom: from, publishedAt: utc(publishedAt), note: body.note, inForce: true),
                    replayed: false))))
            }
            // The answer is stored with the key in the publication's own transaction.
            switch try await service.publishCCERPolicy(
                policy, effectiveFrom: from, note: body.note, at: publishedAt, audit: audit, key: { version in try ticket.completion(published(version)) })
            {
            case .failure(let error):
                // Every problem under its field: the service refused for the problems the same
                // pure check finds in the same policy, date and note.
                let details =
                    error.code == .invalidPolicy
                    ? Self.policyProblemDetails(
                        "ccer_policy_publish", RegistryService.publicationProblems(policy, effectiveFrom: from, note: body.note))
                    : ["command": "ccer_policy_publish"]
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, details)))))
            case .success(let version):
                return .completedInWrite(published(version))
            }
        }
    }
}

extension Operations.CheckCCERPolicy.Output: CommandOutput {}
extension Operations.PublishCCERPolicy.Output: CommandOutput {}

extension Operations.PublishCCERPolicy.Output: StoredJSONOutput {
    static let storedStatus = 201
    var storedBody: Components.Schemas.CCERPolicyPublished? {
        guard case .created(let created) = self, case .json(let body) = created.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.CCERPolicyPublished) -> Self { .created(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.CCERPolicyPublished) -> Components.Schemas.CCERPolicyPublished {
        var body = body
        body.replayed = true
        return body
    }
}
