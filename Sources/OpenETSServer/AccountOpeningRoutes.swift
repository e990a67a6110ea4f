import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// Account opening on the web (docs/security.md, "Account opening"): the public application
/// form (multipart, with the identity documents as files), the status page (application id
/// and the secret reference), and the registry operator's review (`account_review`), whose
/// decisions go through `TradingRoutes.authorise` (session, CSRF, permission, one-time key)
/// and are audited.
struct AccountOpeningRoutes: Sendable {
    let opening: AccountOpeningService
    let trading: TradingRoutes
    /// Applications and resubmissions per client address (`ServerConfiguration.applicationRateLimit`),
    /// shared with the API's `applyForAccount` and `resubmitAccountApplication`.
    let applicationLimiter: APIRateLimiter

    /// Largest application body: every document at the policy's limit, plus 64 KiB of fields.
    var maxApplyBytes: Int { opening.policy.maxDocuments * Int(opening.policy.maxDocumentBytes) + (64 << 10) }

    func applyPage(_ request: Request) -> Response {
        page(AccountOpeningPages(language: trading.language(request)).apply(error: request.uri.queryParameters.get("error").map { String($0) }))
    }

    /// POST /accounts/apply: the multipart form. A logged-in submitter is recorded (and may
    /// then not decide the application); an anonymous applicant is "applicant".
    func apply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lang = trading.language(request)
        if let wait = applicationLimiter.admit("ip:" + context.limitKey, at: SystemClock().now()) {
            return back(lang, rateLimited(wait), status: .tooManyRequests)
        }
        let fields: [String: String], documents: [(fileName: String, bytes: [UInt8])]
        switch try await multipart(request) {
        case .failure(let refusal): return back(lang, refusal.message, status: refusal.status)
        case .success(let read): (fields, documents) = read
        }
        guard let kind = fields["kind"].flatMap(ApplicantKind.init(rawValue:)) else { return back(lang, "INVALID_INPUT: kind") }
        var users: [(user: ApplicantUser, password: String)] = [
            (ApplicantUser(userID: fields["user1_id"] ?? "", name: fields["user1_name"] ?? "", representative: kind == .entity ? .initiator : nil),
             fields["user1_password"] ?? "")
        ]
        if kind == .entity || !(fields["user2_id"] ?? "").isEmpty {
            users.append((
                ApplicantUser(userID: fields["user2_id"] ?? "", name: fields["user2_name"] ?? "", representative: kind == .entity ? .approver : nil),
                fields["user2_password"] ?? ""))
        }
        let province = (fields["province"] ?? "").trimmingCharacters(in: .whitespaces)
        let applyRequest = AccountOpeningService.Request(
            kind: kind, ownerID: (fields["owner_id"] ?? "").trimmingCharacters(in: .whitespaces), ownerName: fields["owner_name"] ?? "",
            province: province.isEmpty ? nil : province.uppercased(), users: users, documents: documents)
        let submitter = try await trading.current(request)?.2.user
        let now = SystemClock().now()
        // The acceptance's line is inserted with the application; a refusal (nothing stored) is audited alone.
        let audit: ApplicationAudit = {
            AuditRecord(at: now, user: submitter ?? "applicant", action: "account.apply", detail: "accepted \($0.id)", address: context.address)
        }
        switch try await opening.apply(applyRequest, by: submitter, at: now, audit: audit) {
        case .failure(let error):
            try await trading.access.audit(now, submitter ?? "applicant", "account.apply", "rejected \(error.code.rawValue)", context.address)
            return back(lang, "\(error.code.rawValue): \(error.message)")
        case .success(let submitted):
            var response = page(AccountOpeningPages(language: lang).submitted(
                submitted.application, reference: submitted.reference, totpSecrets: submitted.totpSecrets), status: .created)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// What a refused multipart body is told (and with which status).
    struct MultipartRefusal: Error {
        var message: String
        var status: HTTPResponse.Status = .unprocessableContent
    }

    /// The fields and files of a multipart form body (at most `maxApplyBytes`).
    func multipart(_ request: Request) async throws -> Result<([String: String], [(fileName: String, bytes: [UInt8])]), MultipartRefusal> {
        var request = request
        guard let contentType = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType) else {
            return .failure(MultipartRefusal(message: "INVALID_INPUT: the form is multipart/form-data"))
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxApplyBytes)
        } catch {
            return .failure(MultipartRefusal(message: "DOCUMENT_TOO_LARGE: the application is over \(maxApplyBytes) bytes", status: .contentTooLarge))
        }
        guard let parts = MultipartForm.parse(Array(buffer: body), boundary: boundary) else {
            return .failure(MultipartRefusal(message: "INVALID_INPUT: the multipart body"))
        }
        var fields: [String: String] = [:]
        var documents: [(fileName: String, bytes: [UInt8])] = []
        for part in parts {
            if let fileName = part.fileName {
                // Some browsers send a path: the name is its last component.
                let name = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
                if !name.isEmpty || !part.bytes.isEmpty { documents.append((name, part.bytes)) }
            } else {
                fields[part.name] = String(decoding: part.bytes, as: UTF8.self)
            }
        }
        return .success((fields, documents))
    }

    func rateLimited(_ wait: Int) -> String {
        let limit = applicationLimiter.limit
        return "RATE_LIMITED: more than \(limit.calls) applications or resubmissions in \(limit.windowSeconds) s from this address; retry in \(wait) s"
    }

    /// POST /accounts/apply/resubmit: the applicant corrects a returned application (the id and
    /// the reference in the form, as on the status page). The kind and the users' ids stay.
    func resubmit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lang = trading.language(request)
        let pages = AccountOpeningPages(language: lang)
        func answer(_ html: String, _ status: HTTPResponse.Status) -> Response {
            var response = page(html, status: status)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        if let wait = applicationLimiter.admit("ip:" + context.limitKey, at: SystemClock().now()) {
            return answer(pages.status(nil, asked: false, error: rateLimited(wait)), .tooManyRequests)
        }
        let fields: [String: String], documents: [(fileName: String, bytes: [UInt8])]
        switch try await multipart(request) {
        case .failure(let refusal): return answer(pages.status(nil, asked: false, error: refusal.message), refusal.status)
        case .success(let read): (fields, documents) = read
        }
        let id = fields["id"] ?? "", reference = fields["reference"] ?? ""
        let now = SystemClock().now()
        guard let record = try await opening.status(id: id, reference: reference) else {
            try await trading.access.audit(now, "applicant", "account.resubmit", "rejected UNKNOWN_APPLICATION", context.address)
            return answer(pages.status(nil, asked: true), .notFound)
        }
        let kind = record.application.form.kind
        let users = record.application.form.users.enumerated().map { index, user in
            var corrected = user
            corrected.name = fields["user\(index + 1)_name"] ?? user.name
            // The passwords stay as first chosen: the service does not read them on a resubmission.
            return (user: corrected, password: "")
        }
        let province = (fields["province"] ?? "").trimmingCharacters(in: .whitespaces)
        let corrected = AccountOpeningService.Request(
            kind: kind, ownerID: (fields["owner_id"] ?? "").trimmingCharacters(in: .whitespaces), ownerName: fields["owner_name"] ?? "",
            province: province.isEmpty ? nil : province.uppercased(), users: users, documents: documents)
        let audit: ApplicationAudit = {
            AuditRecord(at: now, user: "applicant", action: "account.resubmit", detail: "accepted \($0.id)", address: context.address)
        }
        switch try await opening.resubmit(id: id, reference: reference, corrected, at: now, audit: audit) {
        case .failure(let error):
            try await trading.access.audit(now, "applicant", "account.resubmit", "rejected \(error.code.rawValue)", context.address)
            let current = try await opening.status(id: id, reference: reference)?.application ?? record.application
            let message = String("\(error.code.rawValue): \(error.message)".prefix(PortalRoutes.maxErrorChars))
            return answer(pages.status(current, asked: true, reference: reference, error: message), .unprocessableContent)
        case .success(let application):
            return answer(pages.status(application, asked: true, message: lang == .zh ? "已重新提交，待审核。" : "Resubmitted: awaiting review."), .ok)
        }
    }

    func statusPage(_ request: Request) -> Response {
        page(AccountOpeningPages(language: trading.language(request)).status(nil, asked: false))
    }

    /// POST /accounts/apply/status: id and reference in the body (not in a URL, which logs keep).
    func status(_ request: Request) async throws -> Response {
        var request = request
        let form = try await TradingRoutes.form(&request)
        let record = try await opening.status(id: form["id"] ?? "", reference: form["reference"] ?? "")
        var response = page(
            AccountOpeningPages(language: trading.language(request)).status(record?.application, asked: true, reference: record == nil ? nil : form["reference"]),
            status: record == nil ? .notFound : .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func reviewPage(_ request: Request) async throws -> Response {
        guard let (_, session, principal) = try await trading.current(request) else { return trading.redirect("/login?next=/accounts/review") }
        guard principal.may(.accountReview, matrix: trading.access.matrix) else {
            return text("forbidden: \(principal.role.rawValue) may not \(Action.accountReview.rawValue)\n", status: .forbidden)
        }
        let context = trading.context(request, session, principal)
        return page(AccountOpeningPages(language: trading.language(request)).review(context, try await opening.list().map(\.application)))
    }

    /// GET /accounts/review/document?application=&sha256=: the document's bytes, to the operator only.
    func document(_ request: Request) async throws -> Response {
        guard let (_, _, principal) = try await trading.current(request) else { return trading.redirect("/login?next=/accounts/review") }
        guard principal.may(.accountReview, matrix: trading.access.matrix) else {
            return text("forbidden: \(principal.role.rawValue) may not \(Action.accountReview.rawValue)\n", status: .forbidden)
        }
        let query = request.uri.queryParameters
        guard let id = query.get("application"), let sha = query.get("sha256"),
            let bytes = try await opening.document(application: String(id), sha256: String(sha))
        else { return text("no such document\n", status: .notFound) }
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(sha).bin\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// POST /accounts/review/decide: approve, return (reason) or reject (reason).
    func decide(_ request: Request, context: AppRequestContext) async throws -> Response {
        let back = "/accounts/review"
        let form: TradingRoutes.AuthorisedForm
        switch try await trading.authorise(request, .accountReview, back: back) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        let reason = form.fields["reason"] ?? ""
        let decision: AccountOpeningService.Decision
        switch form.fields["decision"] {
        case "approve": decision = .approve
        case "return": decision = .returnForCorrection(reason: reason)
        case "reject": decision = .reject(reason: reason)
        default: return trading.redirect("\(back)?error=" + trading.encode("INVALID_INPUT: decision (approve, return or reject)"))
        }
        let id = form.fields["application"] ?? ""
        let kind = "account." + (form.fields["decision"] ?? "")
        let now = SystemClock().now(), user = form.principal.user
        // The decision's line is inserted with it (an approval's last write); a refusal is audited alone.
        let audit: ApplicationAudit = {
            AuditRecord(at: now, user: user, action: kind, detail: "accepted #0: " + Self.decidedSummary($0), address: context.address)
        }
        switch try await opening.decide(id, decision, by: user, at: now, audit: audit) {
        case .failure(let error):
            return try await trading.conclude(
                kind, form.principal, seq: nil, summary: id, error: (error.code.rawValue, error.message), address: context.address, back: back,
                audit: .writeHere)
        case .success(let application):
            return try await trading.conclude(
                kind, form.principal, seq: nil, summary: Self.decidedSummary(application), error: nil, address: context.address, back: back,
                audit: .writtenWithCommand)
        }
    }

    /// A decided application in the review page's words and its audit line: `AO-… approved → A…`.
    static func decidedSummary(_ application: AccountApplication) -> String {
        "\(application.id) \(application.status.rawValue)" + (application.account.map { " → \($0.rawValue)" } ?? "")
    }

    func back(_ lang: Language, _ error: String, status: HTTPResponse.Status = .unprocessableContent) -> Response {
        page(AccountOpeningPages(language: lang).apply(error: String(error.prefix(PortalRoutes.maxErrorChars))), status: status)
    }
}

func addAccountOpeningRoutes(_ router: Router<AppRequestContext>, _ routes: AccountOpeningRoutes) {
    router.get("/accounts/apply") { request, _ in routes.applyPage(request) }
    router.post("/accounts/apply") { request, context in try await routes.apply(request, context: context) }
    router.get("/accounts/apply/status") { request, _ in routes.statusPage(request) }
    router.post("/accounts/apply/status") { request, _ in try await routes.status(request) }
    router.post("/accounts/apply/resubmit") { request, context in try await routes.resubmit(request, context: context) }
    router.get("/accounts/review") { request, _ in try await routes.reviewPage(request) }
    router.get("/accounts/review/document") { request, _ in try await routes.document(request) }
    router.post("/accounts/review/decide") { request, context in try await routes.decide(request, context: context) }
}

/// A multipart/form-data body (RFC 7578): each part's field name, file name (for files) and bytes.
enum MultipartForm {
    struct Part {
        var name: String
        var fileName: String?
        var bytes: [UInt8]
    }

    /// Most parts read from one body.
    static let maxParts = 32

    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return (1...70).contains(value.utf8.count) ? value : nil
            }
        }
        return nil
    }

    /// The parts, or nil when the body is not well formed.
    static func parse(_ body: [UInt8], boundary: String) -> [Part]? {
        let data = Data(body)
        let delimiter = Data("--\(boundary)".utf8), separator = Data("\r\n\r\n".utf8)
        guard let first = data.range(of: delimiter), first.lowerBound == data.startIndex else { return nil }
        var parts: [Part] = []
        var cursor = first.upperBound
        while parts.count <= maxParts {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            guard data.count - cursor >= 2 else { return nil }
            if data[cursor] == 45 && data[cursor + 1] == 45 { return parts }
            guard data[cursor] == 13 && data[cursor + 1] == 10 else { return nil }
            let headerStart = cursor + 2
            guard let headerEnd = data.range(of: separator, in: headerStart..<data.endIndex) else { return nil }
            let headers = String(decoding: data[headerStart..<headerEnd.lowerBound], as: UTF8.self)
            guard let next = data.range(of: Data("\r\n".utf8) + delimiter, in: headerEnd.upperBound..<data.endIndex) else { return nil }
            guard let (name, fileName) = disposition(headers) else { return nil }
            parts.append(Part(name: name, fileName: fileName, bytes: Array(data[headerEnd.upperBound..<next.lowerBound])))
            cursor = next.upperBound
        }
        return nil
    }

    /// The `name` and `filename` of a part's Content-Disposition header.
    static func disposition(_ headers: String) -> (String, String?)? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            var name: String?, fileName: String?
            for item in line.split(separator: ";").dropFirst() {
                let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                switch pair[0].lowercased() {
                case "name": name = value
                case "filename": fileName = value
                default: break
                }
            }
            return name.map { ($0, fileName) }
        }
        return nil
    }
}
