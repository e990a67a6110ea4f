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

/// The applicant corrects a returned account application (web form on the status page and the
/// API's `resubmitAccountApplication`), and the limit on applications per client address
/// (`ServerConfiguration.applicationRateLimit`), on the live server.
@Suite("HTTP server: resubmitting a returned account application; applications per address")
struct AccountResubmissionServerTests {
    typealias API = AccountOpeningServerTests.API
    static let path = "/api/v1/accounts/applications"

    static func correction(ownerId: String = AccountOpeningServerTests.uscc, name: String = "API Fund (corrected)", user: String = "api.fund",
                           document: String = "Y29ycmVjdGVkIGxpY2VuY2U=") -> String {
        #"{"ownerId":"\#(ownerId)","ownerName":"\#(name)","users":[{"userId":"\#(user)","name":"API"}],"documents":[{"fileName":"licence-2.pdf","contentBase64":"\#(document)"}]}"#
    }

    static func returned(_ world: PortalServerTests.World, _ id: String) async throws {
        let opening = AccountOpeningService(store: world.store, registry: world.service)
        _ = try await opening.decide(id, .returnForCorrection(reason: "the licence scan is unreadable"), by: "registrar", at: SystemClock().now()).get()
    }

    @Test func apiReturnedCorrectedSubmittedAgainApproved() async throws {
        let world = try await PortalServerTests.world()
        let store = world.store
        let registrar = try await AccessService(store: store).createAPIToken(user: "registrar", label: "t", at: SystemClock().now()).get().token
        try await PortalServerTests.serve(world) { port in
            let api = API(port: port)
            let (created, submitted) = try await api.call("POST", Self.path, body: AccountOpeningServerTests.applyJSON("api.fund"))
            #expect(created == 201)
            let id = try #require((submitted["application"] as? [String: Any])?["id"] as? String)
            let reference = try #require(submitted["reference"] as? String)
            let resubmission = "\(Self.path)/\(id)/resubmission"
            func resubmit(_ body: String, reference: String = reference, key: String = "r1", at path: String = resubmission) async throws -> (Int, [String: Any]) {
                try await api.call("POST", path, headers: ["Application-Reference": reference, "Idempotency-Key": key], body: body)
            }
            // Not returned (waiting for the operator): refused, nothing changes.
            let early = try await resubmit(Self.correction())
            #expect(early.0 == 422 && early.1["code"] as? String == "APPLICATION_NOT_RETURNED", "\(early)")
            #expect(try await store.application(id)?.application.history.count == 1)

            try await Self.returned(world, id)
            let before = try #require(try await store.application(id))
            #expect(before.application.status == .returned)
            // A wrong reference, an unknown id: one 404; a bad key: 400; nothing changes.
            let wrong = try await resubmit(Self.correction(), reference: "guess")
            #expect(wrong.0 == 404 && wrong.1["code"] as? String == "UNKNOWN_APPLICATION")
            #expect(try await resubmit(Self.correction(), at: "\(Self.path)/AO-NONE/resubmission").0 == 404)
            #expect(try await resubmit(Self.correction(), key: "").0 == 400)
            // Refused corrections: their codes, nothing changes.
            let badCode = try await resubmit(Self.correction(ownerId: "91510100MA6123456X"))
            #expect(badCode.0 == 422 && badCode.1["code"] as? String == "USCC_INVALID", "\(badCode)")
            let otherUser = try await resubmit(Self.correction(user: "someone.else"))
            #expect(otherUser.0 == 422 && otherUser.1["code"] as? String == "USERS_INVALID", "\(otherUser)")
            let notBase64 = try await resubmit(Self.correction(document: "***"))
            #expect(notBase64.0 == 422 && notBase64.1["code"] as? String == "DOCUMENT_INVALID")
            #expect(try await store.application(id) == before, "refusals change nothing")

            // Corrected: waiting again, with the new name and document.
            let (ok, application) = try await resubmit(Self.correction())
            #expect(ok == 200 && application["status"] as? String == "submitted" && application["ownerName"] as? String == "API Fund (corrected)", "\(application)")
            #expect((application["documents"] as? [[String: Any]])?.map { $0["fileName"] as? String } == ["licence-2.pdf"])
            let after = try #require(try await store.application(id))
            #expect(after.application.history.map(\.status) == [.submitted, .returned, .submitted])
            // The same resubmission again (a retry): the same answer, nothing done twice.
            let replay = try await resubmit(Self.correction())
            #expect(replay.0 == 200 && replay.1["status"] as? String == "submitted")
            #expect(try await store.application(id) == after)
            // Another correction of an application that is not returned: refused.
            let again = try await resubmit(Self.correction(name: "Yet another name"), key: "r2")
            #expect(again.0 == 422 && again.1["code"] as? String == "APPLICATION_NOT_RETURNED")
            #expect(try await store.application(id) == after)
            // The operator approves the corrected application.
            let (decided, approved) = try await api.call(
                "POST", "\(Self.path)/\(id)/decision", token: registrar, headers: ["Idempotency-Key": "d1"], body: #"{"decision":"approve"}"#)
            #expect(decided == 200 && approved["status"] as? String == "approved")
            let account = try #require(approved["account"] as? String)
            #expect(await world.service.state.accounts[AccountID(account)]?.ownerName == "API Fund (corrected)")
            let audit = try await store.audit(limit: 50).map(\.action)
            #expect(audit.contains("api_account_resubmit"))
        }
    }

    @Test func webStatusPageCorrectsAReturnedApplication() async throws {
        let world = try await PortalServerTests.world()
        let store = world.store
        try await PortalServerTests.serve(world) { port in
            let anonymous = PortalServerTests.client(port)
            let scan = Array("scan".utf8)
            let submitted = try await AccountOpeningServerTests.multipart(
                anonymous, "/accounts/apply", fields: AccountOpeningServerTests.investorFields("web.fund"), files: [("document1", "licence.pdf", scan)])
            #expect(submitted.status == 201)
            let id = try #require(AccountOpeningServerTests.element("application-id", in: submitted.body))
            let reference = try #require(AccountOpeningServerTests.element("reference", in: submitted.body))
            let fields = [("id", id), ("reference", reference), ("owner_id", AccountOpeningServerTests.uscc), ("owner_name", "北京示例碳基金（更正）"),
                          ("user1_name", "钱九")]
            // Waiting: no form on the status page; a resubmission is refused with its code.
            let waiting = try await anonymous.send("POST", "/accounts/apply/status", form: [("id", id), ("reference", reference)])
            #expect(waiting.status == 200 && !waiting.body.contains("resubmit-form"))
            let early = try await AccountOpeningServerTests.multipart(anonymous, "/accounts/apply/resubmit", fields: fields, files: [("document1", "licence-2.pdf", scan)])
            #expect(early.status == 422 && early.body.contains("APPLICATION_NOT_RETURNED"))

            try await Self.returned(world, id)
            let before = try #require(try await store.application(id))
            let status = try await anonymous.send("POST", "/accounts/apply/status", form: [("id", id), ("reference", reference)])
            #expect(status.status == 200 && status.body.contains("id=\"resubmit-form\"") && status.body.contains("the licence scan is unreadable"))
            // A wrong reference: 404, nothing changes; a refused correction: its code, nothing changes.
            let wrong = try await AccountOpeningServerTests.multipart(
                anonymous, "/accounts/apply/resubmit", fields: [("id", id), ("reference", "guess")] + fields.dropFirst(2), files: [("document1", "x.pdf", scan)])
            #expect(wrong.status == 404)
            let noDocument = try await AccountOpeningServerTests.multipart(anonymous, "/accounts/apply/resubmit", fields: fields, files: [])
            #expect(noDocument.status == 422 && noDocument.body.contains("MISSING_DOCUMENT"), "\(noDocument.body.prefix(400))")
            #expect(noDocument.body.contains("id=\"resubmit-form\""), "the form again, to correct")
            #expect(try await store.application(id) == before)
            // Corrected and sent again: waiting for the operator.
            let resubmitted = try await AccountOpeningServerTests.multipart(
                anonymous, "/accounts/apply/resubmit", fields: fields, files: [("document1", "licence-2.pdf", scan)])
            #expect(resubmitted.status == 200 && resubmitted.body.contains("data-status=\"submitted\""), "\(resubmitted.status)")
            let record = try #require(try await store.application(id))
            #expect(record.application.status == .submitted && record.application.form.ownerName == "北京示例碳基金（更正）")
            #expect(record.application.form.documents.map(\.fileName) == ["licence-2.pdf"])
            let audit = try await store.audit(limit: 50).map(\.action)
            #expect(audit.contains("account.resubmit"))
        }
    }

    /// Applications and resubmissions per client address: beyond the limit 429 RATE_LIMITED
    /// (web and API counted together), nothing stored; other calls are not limited.
    @Test func applicationsAreLimitedPerClientAddress() async throws {
        let world = try await PortalServerTests.world()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.applicationRateLimit = APIRateLimit(calls: 2, windowSeconds: 3_600)
        try await PortalServerTests.run(configuration, store: world.store, service: world.service, mrv: world.mrv) { port in
            let api = API(port: port)
            let anonymous = PortalServerTests.client(port)
            let (created, submitted) = try await api.call("POST", Self.path, body: AccountOpeningServerTests.applyJSON("api.fund"))
            #expect(created == 201)
            let reference = try #require(submitted["reference"] as? String)
            let id = try #require((submitted["application"] as? [String: Any])?["id"] as? String)
            let web = try await AccountOpeningServerTests.multipart(
                anonymous, "/accounts/apply", fields: AccountOpeningServerTests.investorFields("web.fund"), files: [("document1", "licence.pdf", Array("scan".utf8))])
            #expect(web.status == 201, "the second application: \(web.status)")
            let stored = try await world.store.applications(status: nil, limit: 10).count
            // The third from this address: limited, on the API and on the web, and nothing stored.
            let limited = try await api.call("POST", Self.path, body: AccountOpeningServerTests.applyJSON("api.other"))
            #expect(limited.0 == 429 && limited.1["code"] as? String == "RATE_LIMITED", "\(limited)")
            let limitedWeb = try await AccountOpeningServerTests.multipart(
                anonymous, "/accounts/apply", fields: AccountOpeningServerTests.investorFields("web.other"), files: [("document1", "licence.pdf", Array("scan".utf8))])
            #expect(limitedWeb.status == 429 && limitedWeb.body.contains("RATE_LIMITED"))
            let limitedResubmission = try await api.call(
                "POST", "\(Self.path)/\(id)/resubmission", headers: ["Application-Reference": reference, "Idempotency-Key": "r1"], body: Self.correction())
            #expect(limitedResubmission.0 == 429 && limitedResubmission.1["code"] as? String == "RATE_LIMITED")
            // The same operations spelled with extra slashes: limited too (429), or not routed at
            // all (404) — never handled past the limit.
            for path in [Self.path + "/", "/" + Self.path, "\(Self.path)/\(id)/resubmission/"] {
                let spelled = try await api.call(
                    "POST", path, headers: ["Application-Reference": reference, "Idempotency-Key": "r2"],
                    body: path.contains("resubmission") ? Self.correction() : AccountOpeningServerTests.applyJSON("api.slash"))
                #expect(spelled.0 == 429 || spelled.0 == 404, "\(path): \(spelled)")
            }
            #expect(try await world.store.applications(status: nil, limit: 10).count == stored)
            // Reading the status is not limited.
            #expect(try await api.call("GET", "\(Self.path)/\(id)", headers: ["Application-Reference": reference]).0 == 200)
        }
        try await world.mrvStore.close()
        try await world.store.close()
        TestMarket.remove(.sqlite(path: world.path))
    }
}
