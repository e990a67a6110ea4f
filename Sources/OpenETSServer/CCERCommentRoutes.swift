import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// Public comments during a CCER notice on the web (docs/ccer.md): the public project page
/// `/ccer/projects/{id}` (open to everyone) shows, under each notice still open, a comment form
/// to a logged-in user allowed `ccer_comment` (every role) and a login link to a visitor;
/// `POST /ccer/projects/{id}/comment` goes through `TradingRoutes.authorise` (session, CSRF
/// token, permission, one-time key) and the registry's one writer as the CCER rules'
/// `comment`, signed with the user's name, its audit line (`ccer.comment`) in the command's
/// own transaction. A refusal (the notice closed: NOTICE_CLOSED; too long: LIMIT_EXCEEDED;
/// the user's own comments on this notice at `maxCommentsPerUserPerNotice`:
/// COMMENT_LIMIT_PER_USER; empty: INVALID_ARGUMENT; an unknown period: UNKNOWN_PERIOD)
/// changes nothing and is shown on the page.
struct CCERCommentRoutes: Sendable {
    let service: RegistryService
    let trading: TradingRoutes

    /// GET /ccer/projects/{id}: the public page, with the comment forms of the reader.
    func projectPage(_ request: Request, id: CCERProjectID) async throws -> Response {
        let language = pageLanguage(request)
        var context: TradingPages.Context?
        var allowed = false
        if let (_, session, principal) = try await trading.current(request) {
            let parameters = request.uri.queryParameters
            context = TradingPages.Context(
                principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() }, message: parameters.get("ok").map { String($0) },
                error: parameters.get("error").map { String($0) }, mrvPolicyLink: trading.mrvPolicyLink(principal))
            allowed = principal.may(.ccerComment, matrix: trading.access.matrix)
        }
        let limits = await service.ccerPolicy.limits
        let forms = CCERPages.CommentForms(
            context: context, allowed: allowed, today: BeijingTime.date(service.now()), maxTextLength: limits.maxTextLength,
            maxCommentsPerUser: limits.maxCommentsPerUserPerNotice)
        guard let html = CCERPages(language: language).project(await service.ccer, id: id, comments: forms) else {
            return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound)
        }
        return page(html)
    }

    /// POST /ccer/projects/{id}/comment: `text`, and `period` for a reduction notice.
    func comment(_ request: Request, context: AppRequestContext, id: CCERProjectID) async throws -> Response {
        let back = "/ccer/projects/\(id.rawValue)"
        let form: TradingRoutes.AuthorisedForm
        switch try await trading.authorise(request, .ccerComment, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        var period: Int?
        if let text = form.fields["period"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let number = Int(text), number >= 1 else {
                return trading.redirect("\(back)?error=" + trading.encode("INVALID_INPUT: period: '\(text)' is not a period number"))
            }
            period = number
        }
        let command = CCERCommand.comment(project: id, period: period, author: form.principal.name, text: form.fields["text"] ?? "", user: form.principal.user)
        let summary = "\(id.rawValue)\(period.map { " period \($0)" } ?? "")"
        let outcome = try await service.execute(
            CCERRequest(idempotencyKey: form.idempotencyKey, command: command),
            audit: trading.auditNote(CCEREntryBody.kindPrefix + command.kind, form, context, summary: summary))
        var error = outcome.error.map { (code: $0.code, message: $0.message) }
        if var e = error, e.message.count > PortalRoutes.maxErrorChars { e.message = String(e.message.prefix(PortalRoutes.maxErrorChars)) + "…"; error = e }
        return try await trading.conclude(
            CCEREntryBody.kindPrefix + command.kind, form.principal, seq: outcome.receipt?.seq, summary: summary, error: error, address: context.address,
            back: back, audit: .writtenWithCommand)
    }
}
