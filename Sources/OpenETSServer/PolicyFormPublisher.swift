import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain

/// What the two policy publication forms (the MRV tables on `/portal/mrv-policy`, the CCER
/// rules on `/portal/ccer-regulator`) share: the form's one-time key stored as the API's
/// Idempotency-Keys are (`APIIdempotencyStore`, under `keyOperation`), so a form sent twice
/// publishes once and the key with another document is IDEMPOTENCY_KEY_REUSED; the document
/// read (a refusal frees the key); the publication, which completes the key with the version
/// in its own transaction; and the refusals, audited here unless the writer's transaction did.
struct PolicyFormPublisher: Sendable {
    let trading: TradingRoutes
    let keys: any APIIdempotencyStore
    let retentionDays: Int
    let takeoverSeconds: Int
    let keyOperation: String
    let auditAction: String
    let back: String

    /// A refusal's code and reason.
    struct Refusal: Error {
        var code: String
        var message: String
    }

    static let inProgress = "this form is being published; look at the versions before sending it again"

    /// Publishes the form's document once per one-time key: `read` makes the document of the
    /// form's text, `write` publishes it with the audit note and the key's completion (given
    /// the stored version) and answers the page's message, or the writer's refusal.
    func publish<Document>(
        _ form: TradingRoutes.AuthorisedForm, _ context: AppRequestContext, note: String, effectiveFrom typed: String, body text: String,
        reused: String, read: () -> Result<Document, Refusal>,
        write: (Document, AuditNote, _ key: @escaping @Sendable (Int) -> IdempotencyCompletion) async throws -> Result<String, Refusal>
    ) async throws -> Response {
        let now = SystemClock().now()
        let request = IdempotentRequest(
            store: keys, scope: IdempotencyScope(user: form.principal.user, operation: keyOperation, key: form.idempotencyKey),
            requestSHA256: APIIdempotency.requestSHA256(operation: keyOperation, parameters: [note, typed], body: text), at: now,
            retentionDays: retentionDays, takeoverSeconds: takeoverSeconds)
        // What the run ends with: a refusal (the key to be freed), or the page's message.
        let outcome = try await request.run(tookOver: { heldSince in
            // Left in progress by a form sent before the server stopped: this one publishes.
            try? await trading.access.audit(now, form.principal.user, auditAction, IdempotentRequest.tookOverDetail(heldSince), context.address)
        }) { () async throws -> (refusal: Refusal?, audited: Bool, message: String) in
            let document: Document
            switch read() {
            case .failure(let refusal): return (refusal, false, "")
            case .success(let found): document = found
            }
            // The writer completes the key with the stored version in the publication's own transaction.
            switch try await write(document, trading.auditNote(auditAction, form, context, summary: note), { version in
                request.completion(StoredAPIResponse(status: 201, body: String(version)))
            }) {
            case .failure(let refusal): return (refusal, true, "")
            case .success(let message): return (nil, false, message)
            }
        }
        switch outcome {
        case .reused:
            return try await refuse(form, context, "IDEMPOTENCY_KEY_REUSED", reused, audit: .writeHere)
        case .inProgress:
            return try await refuse(form, context, "IDEMPOTENCY_IN_PROGRESS", Self.inProgress, audit: .writeHere)
        case .completed(let stored):
            try await trading.access.audit(now, form.principal.user, auditAction, "replayed v\(stored.body)", context.address)
            return trading.redirect("\(back)?ok=" + trading.encode("\(auditAction): v\(stored.body) (this form was published already)"))
        case .ran(let ran):
            guard let refusal = ran.refusal else { return trading.redirect("\(back)?ok=" + trading.encode(ran.message)) }
            // Nothing was published: the key is free again.
            try await request.release()
            return try await refuse(form, context, refusal.code, refusal.message, audit: ran.audited ? .writtenWithCommand : .writeHere)
        }
    }

    /// Back to the page with the refusal; audited here unless the writer's transaction did.
    func refuse(
        _ form: TradingRoutes.AuthorisedForm, _ context: AppRequestContext, _ code: String, _ message: String, audit: TradingRoutes.AuditLine
    ) async throws
        -> Response
    {
        var message = message
        if message.count > PortalRoutes.maxErrorChars { message = String(message.prefix(PortalRoutes.maxErrorChars)) + "…" }
        return try await trading.conclude(
            auditAction, form.principal, seq: nil, summary: "", error: (code, message), address: context.address, back: back, audit: audit)
    }
}
