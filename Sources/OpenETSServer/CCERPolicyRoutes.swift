import Foundation
import Hummingbird
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The CCER rules on the regulator's page (`/portal/ccer-regulator`, `ccer_regulate`, the MEE):
/// the version in force and every version, a check (a dry run: every problem, nothing stored,
/// not audited, as the API's checkCCERPolicy) and the publication of the next version (as
/// publishCCERPolicy). Both forms go through `PortalRoutes.withForm` (session, CSRF token,
/// permission, one-time key). The publication is `RegistryService.publishCCERPolicy` with its
/// audit note, so the version and its audit line (`ccer.policy_publish`, `accepted vN` /
/// `rejected INVALID_POLICY`) are one transaction and the next CCER command is decided under
/// it; the form's one-time key is stored as the API's Idempotency-Keys are, so a form sent
/// twice publishes once.
struct CCERPolicyRoutes: Sendable {
    let portal: PortalRoutes
    let keys: any APIIdempotencyStore
    let retentionDays: Int
    let takeoverSeconds: Int

    static let back = CCERRegulatorRoutes.back
    static let auditAction = "ccer.policy_publish"
    /// The operation the form's keys are stored under (apart from the API's `publishCCERPolicy`).
    static let keyOperation = "web.publishCCERPolicy"
    /// Largest form body: the API's largest policy (`APIHandler.maxPolicyBodyBytes`), URL-encoded.
    static let maxFormBytes = 3 * APIHandler.maxPolicyBodyBytes + TradingRoutes.maxFormBytes

    var service: RegistryService { portal.service }
    var trading: TradingRoutes { portal.trading }

    /// The version in force, every version, and the form's text: the policy in force as
    /// `openets ccer policy show` prints it.
    static func panel(_ service: RegistryService) async throws -> CCERPolicyPanel {
        try await service.refreshCCERPolicy()
        let policy = await service.ccerPolicy
        let stored = try await service.ccerPolicyVersions()
        let versions = [CCERPolicyPanel.Version(
            version: CCERPolicy.standard.version, effectiveFrom: nil, note: CCERPolicy.standard.note, inForce: policy.version == CCERPolicy.standard.version)]
            + stored.map {
                CCERPolicyPanel.Version(
                    version: $0.version, effectiveFrom: $0.effectiveFrom, publishedAt: $0.publishedAt?.beijingMinute, note: $0.note,
                    inForce: $0.version == policy.version)
            }
        return CCERPolicyPanel(policy: policy, versions: versions, draft: try document(policy))
    }

    static func document(_ policy: CCERPolicy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(policy), as: UTF8.self)
    }

    /// The form's text as a CCER policy (as the API reads its document), or INVALID_POLICY.
    static func policy(_ text: String) -> Result<CCERPolicy, CCERError> {
        guard text.utf8.count <= APIHandler.maxPolicyBodyBytes else {
            return .failure(CCERError(.invalidPolicy, "policy: at most \(APIHandler.maxPolicyBodyBytes) bytes of JSON"))
        }
        guard let document = try? JSONDecoder().decode(APIHandler.Schemas.CCERPolicyDocument.self, from: Data(text.utf8)) else {
            return .failure(CCERError(.invalidPolicy, "policy is not a JSON object (the JSON `openets ccer policy show` prints)"))
        }
        return APIHandler.ccerPolicy(document)
    }

    // MARK: check (a dry run)

    /// POST /portal/ccer-regulator/policy/check: `policy`. Answers the regulator's page (200)
    /// with every problem, or that it may be published, and the text kept in the form.
    func check(_ request: Request) async throws -> Response {
        try await portal.withForm(request, .ccerRegulate, back: Self.back, maxBytes: Self.maxFormBytes) { form in
            let text = form.fields["policy"] ?? ""
            var panel = try await Self.panel(service)
            (panel.draft, panel.note, panel.effectiveFrom) = (text, form.fields["note"] ?? "", form.fields["effective_from"] ?? "")
            switch Self.policy(text) {
            case .failure(let error): panel.check = CCERPolicyPanel.Check(problems: [], code: error.code.rawValue, message: error.message)
            case .success(let policy):
                // The publication brings its own note: only the policy's own problems count here.
                let problems = policy.problems().filter { !$0.hasPrefix("note:") }
                panel.check = CCERPolicyPanel.Check(
                    problems: problems, code: problems.isEmpty ? nil : CCERErrorCode.invalidPolicy.rawValue,
                    message: problems.isEmpty ? nil : "\(problems.count) problem(s)")
            }
            let context = TradingPages.Context(
                principal: form.principal, csrf: form.fields["csrf"] ?? "", nonce: { UUID().uuidString.lowercased() }, message: nil, error: nil,
                mrvPolicyLink: trading.mrvPolicyLink(form.principal))
            return page(CCERPortalPages(language: trading.language(request)).regulator(
                context, ccer: await service.ccer, today: BeijingTime.date(service.now()),
                maxDocuments: await service.ccerPolicy.limits.maxDocumentsPerMethodology, policy: panel))
        }
    }

    // MARK: publish

    /// POST /portal/ccer-regulator/policy/publish: `policy`, `note`, `effective_from` (empty:
    /// today, Beijing). The next version, or INVALID_POLICY with every problem and nothing stored.
    func publish(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await portal.withForm(request, .ccerRegulate, back: Self.back, maxBytes: Self.maxFormBytes) { form in
            let text = form.fields["policy"] ?? "", note = form.fields["note"] ?? ""
            let typed = (form.fields["effective_from"] ?? "").trimmingCharacters(in: .whitespaces)
            // The day of the CCER rules (the service's clock, as the notices' working days).
            let from = typed.isEmpty ? BeijingTime.date(service.now()).description : typed
            return try await publisher.publish(
                form, context, note: note, effectiveFrom: typed, body: text, reused: "this form was sent before with another policy; nothing was done",
                read: { Self.policy(text).mapError { PolicyFormPublisher.Refusal(code: $0.code.rawValue, message: $0.message) } },
                write: { policy, audit, key in
                    // The form's key is completed with the version in the publication's own transaction.
                    switch try await service.publishCCERPolicy(policy, effectiveFrom: from, note: note, audit: audit, key: { key($0) }) {
                    case .failure(let error): return .failure(.init(code: error.code.rawValue, message: error.message))
                    case .success(let version): return .success("\(Self.auditAction): v\(version)")
                    }
                })
        }
    }

    var publisher: PolicyFormPublisher {
        PolicyFormPublisher(
            trading: trading, keys: keys, retentionDays: retentionDays, takeoverSeconds: takeoverSeconds, keyOperation: Self.keyOperation, auditAction: Self.auditAction, back: Self.back)
    }
}

func addCCERPolicyRoutes(_ router: Router<AppRequestContext>, _ routes: CCERPolicyRoutes) {
    router.post("/portal/ccer-regulator/policy/check") { request, _ in try await routes.check(request) }
    router.post("/portal/ccer-regulator/policy/publish") { request, context in try await routes.publish(request, context: context) }
}
