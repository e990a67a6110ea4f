import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// Account opening on the live server (web pages and the API), the login form's CSRF token and
/// TOTP codes that log in once: the allowed role works, other roles get 403, bad input is
/// refused with its code and changes nothing.
@Suite("HTTP server: account opening, login CSRF, TOTP replay")
struct AccountOpeningServerTests {
    typealias Client = NeutralityServerTests.Client
    typealias Fetched = NeutralityServerTests.Fetched

    static let uscc = "91510100MA6123456W"

    /// A multipart/form-data POST (the application form with its files).
    static func multipart(_ client: Client, _ path: String, fields: [(String, String)], files: [(String, String, [UInt8])]) async throws -> Fetched {
        let boundary = "----openets-test-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (name, fileName, bytes) in files {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\nContent-Type: application/pdf\r\n\r\n".utf8)
            body += Data(bytes) + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(client.port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        if let cookie = client.cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        request.httpBody = body
        let (data, response) = try await client.session.data(for: request)
        let http = response as! HTTPURLResponse
        return Fetched(status: http.statusCode, location: http.value(forHTTPHeaderField: "Location"), cookie: nil, body: String(decoding: data, as: UTF8.self))
    }

    static func investorFields(_ user: String) -> [(String, String)] {
        [("kind", "institution"), ("owner_id", uscc), ("owner_name", "北京示例碳基金"), ("province", ""),
         ("user1_id", user), ("user1_name", "钱九"), ("user1_password", "a long password")]
    }

    /// The text of the element with `id` (the first `>…<` after it).
    static func element(_ id: String, in html: String) -> String? {
        guard let range = html.range(of: "id=\"\(id)\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let open = rest.firstIndex(of: ">") else { return nil }
        let text = rest[rest.index(after: open)...]
        return text.firstIndex(of: "<").map { String(text[..<$0]) }
    }

    @Test func webApplyReviewApprove() async throws {
        let world = try await PortalServerTests.world()
        let (store, service) = (world.store, world.service)
        try await PortalServerTests.serve(world) { port in
            let anonymous = PortalServerTests.client(port)
            // The form, zh by default and en; it is not taken for an account id.
            #expect(try await anonymous.get("/accounts/apply").body.contains("申请开立账户"))
            #expect(try await anonymous.get("/accounts/apply?lang=en").body.contains("id=\"apply-form\""))
            // Bad input: refused with its code, nothing stored.
            let noDocument = try await Self.multipart(anonymous, "/accounts/apply", fields: Self.investorFields("web.fund"), files: [])
            #expect(noDocument.status == 422 && noDocument.body.contains("MISSING_DOCUMENT"))
            var badCode = Self.investorFields("web.fund")
            badCode[1].1 = "91510100MA61234560"
            let refused = try await Self.multipart(anonymous, "/accounts/apply", fields: badCode, files: [("document1", "licence.pdf", Array("scan".utf8))])
            #expect(refused.status == 422 && refused.body.contains("USCC_INVALID"))
            #expect(try await anonymous.send("POST", "/accounts/apply", form: [("kind", "institution")]).body.contains("INVALID_INPUT"))
            // The demo's first investor holds an investor account already: one per owner.
            var holder = Self.investorFields("web.fund")
            holder[1].1 = "91110000MA01ABCDEX"
            let exists = try await Self.multipart(anonymous, "/accounts/apply", fields: holder, files: [("document1", "licence.pdf", Array("scan".utf8))])
            #expect(exists.status == 422 && exists.body.contains("ACCOUNT_EXISTS"))
            #expect(try await store.applications(status: nil, limit: 10).isEmpty)

            // The application, then its status with the reference.
            let scan = Array("%PDF licence of the fund".utf8)
            let submitted = try await Self.multipart(
                anonymous, "/accounts/apply", fields: Self.investorFields("web.fund"), files: [("document1", "licence.pdf", scan), ("document2", "", [])])
            #expect(submitted.status == 201, "\(submitted.body)")
            let id = try #require(Self.element("application-id", in: submitted.body))
            let reference = try #require(Self.element("reference", in: submitted.body))
            let secret = try #require(submitted.body.range(of: "data-user=\"web.fund\">").map { r in
                String(submitted.body[r.upperBound...].prefix { $0 != "<" })
            })
            let status = try await anonymous.send("POST", "/accounts/apply/status", form: [("id", id), ("reference", reference)])
            #expect(status.status == 200 && status.body.contains("data-status=\"submitted\""))
            #expect(try await anonymous.send("POST", "/accounts/apply/status", form: [("id", id), ("reference", "guess")]).status == 404)
            // Not yet an account: no user to log in with.
            #expect(try await store.user("web.fund") == nil)

            // The review page: the registry operator only.
            #expect(try await anonymous.get("/accounts/review").location == "/login?next=/accounts/review")
            let e1 = try await PortalServerTests.login(port, "e1")
            #expect(try await e1.get("/accounts/review").status == 403)
            let e1csrf = try await PortalServerTests.csrf(e1, "/trade")
            let forged = try await e1.send("POST", "/accounts/review/decide", form: PortalServerTests.form(e1csrf, [("application", id), ("decision", "approve")]))
            #expect(forged.status == 403)
            let sha = sha256Hex(String(decoding: scan, as: UTF8.self))
            #expect(try await e1.get("/accounts/review/document?application=\(id)&sha256=\(sha)").status == 403)
            let registrar = try await PortalServerTests.login(port, "registrar")
            let review = try await registrar.get("/accounts/review")
            #expect(review.status == 200 && review.body.contains(id) && review.body.contains(sha))
            #expect(try await registrar.get("/accounts/review/document?application=\(id)&sha256=\(sha)").body == String(decoding: scan, as: UTF8.self))
            let csrf = try await PortalServerTests.csrf(registrar, "/accounts/review")
            // Without a reason a rejection is refused and nothing changes.
            let noReason = try await registrar.send("POST", "/accounts/review/decide", form: PortalServerTests.form(csrf, [("application", id), ("decision", "reject")]))
            #expect(PortalServerTests.outcome(noReason).error?.hasPrefix("REASON_REQUIRED") == true)
            #expect(try await store.application(id)?.application.status == .submitted)
            // Approval opens the account and the user.
            let approved = try await registrar.send("POST", "/accounts/review/decide", form: PortalServerTests.form(csrf, [("application", id), ("decision", "approve")]))
            #expect(PortalServerTests.outcome(approved).ok?.contains("approved") == true, "\(approved.location ?? "")")
            let account = try #require(try await store.application(id)?.application.account)
            #expect(await service.state.accounts[account]?.type == .investor)
            #expect(try await store.user("web.fund")?.account == account)
            let after = try await anonymous.send("POST", "/accounts/apply/status", form: [("id", id), ("reference", reference)])
            #expect(after.body.contains("data-status=\"approved\"") && after.body.contains("/accounts/\(account.rawValue)"))
            // The new investor logs in with the secret shown at submission and sees its account.
            var fund = PortalServerTests.client(port)
            let code = try #require(TOTP.code(secret: secret, at: SystemClock().now()))
            let login = try await fund.login(form: [("user", "web.fund"), ("password", "a long password"), ("totp", code)])
            #expect(login.status == 303)
            fund.cookie = login.cookie
            #expect(try await fund.get("/trade").body.contains(account.rawValue))
            let audit = try await store.audit(limit: 50).map(\.action)
            #expect(audit.contains("account.apply") && audit.contains("account.approve") && audit.contains("account.reject"))
        }
    }

    struct API {
        var port: Int

        func call(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:], body: String? = nil) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(body.utf8)
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
        }
    }

    static func applyJSON(_ user: String, document: String = "aGVsbG8gbGljZW5jZQ==") -> String {
        #"{"kind":"institution","ownerId":"\#(uscc)","ownerName":"API Fund","users":[{"userId":"\#(user)","name":"API","password":"a long password"}],"documents":[{"fileName":"licence.pdf","contentBase64":"\#(document)"}]}"#
    }

    @Test func apiApplyListDecide() async throws {
        let world = try await PortalServerTests.world()
        let (store, service) = (world.store, world.service)
        let access = AccessService(store: store)
        let registrar = try await access.createAPIToken(user: "registrar", label: "t", at: SystemClock().now()).get().token
        let trader = try await access.createAPIToken(user: "e1", label: "t", at: SystemClock().now()).get().token
        try await PortalServerTests.serve(world) { port in
            let api = API(port: port)
            let path = "/api/v1/accounts/applications"
            // Bad input: refused with its code; nothing stored.
            let notBase64 = try await api.call("POST", path, body: Self.applyJSON("api.fund", document: "***"))
            #expect(notBase64.0 == 422 && notBase64.1["code"] as? String == "DOCUMENT_INVALID")
            let big = String(repeating: "A", count: 3 << 20)
            let tooLarge = try await api.call("POST", path, body: Self.applyJSON("api.fund", document: big))
            #expect(tooLarge.0 == 422 && tooLarge.1["code"] as? String == "DOCUMENT_TOO_LARGE")
            #expect(try await store.applications(status: nil, limit: 10).isEmpty)

            let (created, submitted) = try await api.call("POST", path, body: Self.applyJSON("api.fund"))
            #expect(created == 201)
            let application = try #require(submitted["application"] as? [String: Any])
            let id = try #require(application["id"] as? String), reference = try #require(submitted["reference"] as? String)
            #expect(application["status"] as? String == "submitted" && (submitted["totpSecrets"] as? [Any])?.count == 1)
            #expect(try await api.call("GET", "\(path)/\(id)", headers: ["Application-Reference": reference]).0 == 200)
            #expect(try await api.call("GET", "\(path)/\(id)", headers: ["Application-Reference": "guess"]).0 == 404)

            // The list and the decision: the registry operator only.
            #expect(try await api.call("GET", path).0 == 401)
            #expect(try await api.call("GET", path, token: trader).0 == 403)
            let (listed, page) = try await api.call("GET", path + "?status=submitted", token: registrar)
            #expect(listed == 200 && page["total"] as? Int == 1)
            let decide = "\(path)/\(id)/decision"
            #expect(try await api.call("POST", decide, token: trader, headers: ["Idempotency-Key": "d1"], body: #"{"decision":"approve"}"#).0 == 403)
            let noReason = try await api.call("POST", decide, token: registrar, headers: ["Idempotency-Key": "d0"], body: #"{"decision":"return"}"#)
            #expect(noReason.0 == 422 && noReason.1["code"] as? String == "REASON_REQUIRED")
            let (approvedStatus, approved) = try await api.call("POST", decide, token: registrar, headers: ["Idempotency-Key": "d2"], body: #"{"decision":"approve"}"#)
            #expect(approvedStatus == 200 && approved["status"] as? String == "approved")
            let account = try #require(approved["account"] as? String)
            #expect(await service.state.accounts[AccountID(account)]?.ownerID == Self.uscc)
            // The retry answers the same; another decision is refused; one account only.
            let retry = try await api.call("POST", decide, token: registrar, headers: ["Idempotency-Key": "d2"], body: #"{"decision":"approve"}"#)
            #expect(retry.0 == 200 && retry.1["account"] as? String == account)
            let late = try await api.call("POST", decide, token: registrar, headers: ["Idempotency-Key": "d3"], body: #"{"decision":"reject","reason":"late"}"#)
            #expect(late.0 == 422 && late.1["code"] as? String == "APPLICATION_NOT_PENDING")
            #expect(await service.state.accounts.values.count { $0.ownerID == Self.uscc } == 1)
            #expect(try await api.call("POST", "\(path)/AO-NONE/decision", token: registrar, headers: ["Idempotency-Key": "d4"], body: #"{"decision":"approve"}"#).0 == 404)
        }
    }

    @Test func loginNeedsItsFormTokenAndACodeLogsInOnce() async throws {
        let world = try await PortalServerTests.world()
        try await PortalServerTests.serve(world) { port in
            let client = PortalServerTests.client(port)
            let e1 = try #require(DemoUsers.all.first { $0.id == "e1" })
            // Without the pre-session cookie and token, or with a wrong one: 403, and the
            // password is not checked (six refusals do not reach the failed-login limit of five).
            for _ in 0..<3 {
                #expect(try await client.send("POST", "/login", form: [("user", "e1"), ("password", e1.password)]).status == 403)
            }
            let page = try await client.get("/login")
            let cookie = try #require(page.cookie)
            #expect(cookie.hasPrefix("openets_login=") && page.body.contains("name=\"login_csrf\""))
            var withCookie = client
            withCookie.cookie = cookie
            for _ in 0..<3 {
                #expect(try await withCookie.send("POST", "/login", form: [("user", "e1"), ("password", e1.password), ("login_csrf", String(repeating: "0", count: 64))]).status == 403)
            }
            let code = try #require(TOTP.code(secret: e1.totpSecret!, at: SystemClock().now()))
            let login = try await client.login(form: [("user", "e1"), ("password", e1.password), ("totp", code)])
            #expect(login.status == 303 && login.location == "/trade")
            // The same code again is refused.
            let replay = try await client.login(form: [("user", "e1"), ("password", e1.password), ("totp", code)])
            #expect(replay.status == 401)
            let audit = try await world.store.audit(limit: 20)
            #expect(audit.filter { $0.detail == "login csrf token missing or wrong" }.count == 6)
        }
    }
}
