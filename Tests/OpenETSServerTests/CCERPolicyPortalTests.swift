import Foundation
import OpenETSApplication
import OpenETSDomain
@testable import OpenETSServer
import Testing

/// The CCER rules on the regulator's page (`/portal/ccer-regulator`, CCERPolicyRoutes) on the
/// live server: the MEE sees the version in force and the form, checks a document (every
/// problem shown, nothing stored), is refused a bad one (INVALID_POLICY, nothing stored) and
/// publishes a good one once per form (in force at once, audited); a form whose key was left
/// in progress by a server that stopped is published once the takeover bound has passed;
/// another role is refused the forms (403).
@Suite("Web: the CCER policy on the regulator's page")
struct CCERPolicyPortalTests {
    static func json(_ change: (inout CCERPolicy) -> Void) throws -> String {
        var policy = CCERPolicy.standard
        change(&policy)
        return String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
    }

    @Test func theMEEChecksAndPublishesTheCCERPolicy() async throws {
        let world = try await PortalServerTests.world()
        let (service, store) = (world.service, world.store)
        let good = try Self.json { $0.limits.maxCommentsPerUserPerNotice = 1 }
        let bad = try Self.json {
            $0.reductionReviewWorkingDays = 400
            $0.limits.maxCommentsPerUserPerNotice = 5_000
        }
        try await PortalServerTests.serve(world) { port in
            let mee = try await PortalServerTests.login(port, "mee")
            let page = try await mee.get("/portal/ccer-regulator")
            for id in ["ccer-policy-in-force", "ccer-policy", "ccer-policy-versions", "ccer-policy-form", "ccer-policy-check", "ccer-policy-publish"] {
                #expect(page.body.contains("id=\"\(id)\""), "\(id) on the regulator's page")
            }
            #expect(page.status == 200 && page.body.contains("CCER 规则") && page.body.contains("maxCommentsPerUserPerNotice"), "\(page.status)")
            #expect(try await mee.get("/portal/ccer-regulator?lang=en").body.contains("Comments per user per notice"))
            let csrf = try #require(NeutralityServerTests.field("csrf", in: page.body))

            // A bad document: the check lists both problems; the publication is refused; nothing stored.
            let checkedBad = try await mee.send("POST", "/portal/ccer-regulator/policy/check", form: PortalServerTests.form(csrf, [("policy", bad)]))
            #expect(checkedBad.status == 200 && checkedBad.body.contains("id=\"ccer-policy-check-refused\"") && checkedBad.body.contains("INVALID_POLICY"))
            #expect(checkedBad.body.contains("reductionReviewWorkingDays: 400") && checkedBad.body.contains("limits.maxCommentsPerUserPerNotice: 5000"))
            for (text, note) in [(bad, "bad"), ("not json", "garbage"), (good, "")] {
                let refused = PortalServerTests.outcome(try await mee.send(
                    "POST", "/portal/ccer-regulator/policy/publish", form: PortalServerTests.form(csrf, [("policy", text), ("note", note)])))
                #expect(refused.error?.hasPrefix("INVALID_POLICY") == true && refused.ok == nil, "\(note): \(refused)")
            }
            let unchanged = await service.ccerPolicy
            #expect(try await service.ccerPolicyVersions().isEmpty && unchanged == .standard, "nothing stored")

            // A good document: checked (nothing stored), then published once per form.
            let checked = try await mee.send("POST", "/portal/ccer-regulator/policy/check", form: PortalServerTests.form(csrf, [("policy", good)]))
            #expect(checked.status == 200 && checked.body.contains("id=\"ccer-policy-check-ok\""), "\(checked.status)")
            // The check's answer (a page whose head is built by hand) still links the MRV policy page.
            #expect(checked.body.contains("href=\"/portal/mrv-policy\""), "the MRV policy link")
            #expect(try await service.ccerPolicyVersions().isEmpty, "a check stores nothing")
            let publication = [("csrf", csrf), ("nonce", UUID().uuidString.lowercased()), ("policy", good), ("note", "one comment each"), ("effective_from", "2025-06-03")]
            let published = PortalServerTests.outcome(try await mee.send("POST", "/portal/ccer-regulator/policy/publish", form: publication))
            #expect(published.error == nil && published.ok?.contains("v2") == true, "\(published)")
            let inForce = await service.ccerPolicy
            #expect(inForce.version == 2 && inForce.limits.maxCommentsPerUserPerNotice == 1)
            let again = PortalServerTests.outcome(try await mee.send("POST", "/portal/ccer-regulator/policy/publish", form: publication))
            #expect(again.error == nil && again.ok?.contains("already") == true, "\(again)")
            #expect(try await service.ccerPolicyVersions().map(\.version) == [2])
            let after = try await mee.get("/portal/ccer-regulator").body
            #expect(after.contains("id=\"ccer-policy-in-force\">v2") && after.contains("one comment each"))
            // The list of versions says when v2 was published (Beijing time, to the minute), as stored.
            let stored = try #require(try await service.ccerPolicyVersions().first?.publishedAt)
            #expect(after.contains("发布时间") && after.contains("<td>\(stored.beijingMinute)</td>"), "the publication time on the page")

            // A form sent before the server stopped (its key claimed, nothing published) an hour
            // and more ago: sent again, it takes the key over and publishes, audited.
            let stale = try Self.json { $0.limits.maxCommentsPerUserPerNotice = 2 }
            let nonce = UUID().uuidString.lowercased()
            let heldSince = Timestamp(
                millisecondsSinceEpoch: SystemClock().now().millisecondsSinceEpoch - Int64(APIIdempotency.defaultTakeoverSeconds + 1) * 1_000)
            let claim = try await store.claimIdempotencyKey(
                IdempotencyScope(user: "mee", operation: CCERPolicyRoutes.keyOperation, key: "web-mee-\(nonce)"),
                requestSHA256: APIIdempotency.requestSHA256(operation: CCERPolicyRoutes.keyOperation, parameters: ["two each", ""], body: stale),
                at: heldSince, expiredBefore: Timestamp(millisecondsSinceEpoch: 0), abandonedBefore: Timestamp(millisecondsSinceEpoch: 0))
            #expect(claim == .claimed)
            let resent = PortalServerTests.outcome(try await mee.send(
                "POST", "/portal/ccer-regulator/policy/publish", form: [("csrf", csrf), ("nonce", nonce), ("policy", stale), ("note", "two each")]))
            #expect(resent.error == nil && resent.ok?.contains("v3") == true, "\(resent)")
            #expect(try await service.ccerPolicyVersions().map(\.version) == [2, 3])

            let audit = try await store.audit(limit: 200).filter { $0.action == "ccer.policy_publish" }
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("took over the key held since \(utc(heldSince))") }, "\(audit)")
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("accepted v2") }, "\(audit)")
            #expect(audit.filter { $0.detail.hasPrefix("rejected INVALID_POLICY") }.count == 3, "\(audit)")

            // Another role: no page, and both forms refused (403), nothing stored.
            let e1 = try await PortalServerTests.login(port, "e1")
            let own = try await e1.get("/portal/entity")
            let userCSRF = try #require(NeutralityServerTests.field("csrf", in: own.body))
            for action in ["check", "publish"] {
                let refused = try await e1.send(
                    "POST", "/portal/ccer-regulator/policy/\(action)", form: PortalServerTests.form(userCSRF, [("policy", good), ("note", "not theirs")]))
                #expect(refused.status == 403, "e1 \(action): \(refused.status)")
            }
            #expect(try await service.ccerPolicyVersions().count == 2)
        }
    }
}
