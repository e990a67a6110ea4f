import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSServer
import Testing

/// The CCER rules through the REST API (getCCERPolicy, listCCERPolicyVersions, checkCCERPolicy,
/// publishCCERPolicy), on the live server over the demo market and its CCER story (P000003 in
/// its design notice), on SQLite and, with `OPENETS_TEST_POSTGRES_URL`, PostgreSQL: the version
/// in force, a publication and its replay with the same Idempotency-Key, a bad policy refused
/// with INVALID_POLICY naming every problem and nothing stored, 403 for every role but the
/// MEE, the audit lines, and the running server deciding the next command under the new version.
@Suite("REST API: the CCER policy")
struct APICCERPolicyTests {
    typealias Fetched = APIPermissionWalkTests.Fetched

    static var databases: [String] { TestMarket.databases }

    /// A publication body: the built-in policy with `change` applied.
    static func publication(note: String = "per-user cap 1", effectiveFrom: String? = nil, _ change: (inout CCERPolicy) -> Void) throws -> String {
        var policy = CCERPolicy.standard
        change(&policy)
        var body: [String: Any] = ["policy": try JSONSerialization.jsonObject(with: try JSONEncoder().encode(policy)), "note": note]
        if let effectiveFrom { body["effectiveFrom"] = effectiveFrom }
        return String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: databases)
    func theMEEPublishesAPolicyAndABadOneIsRefusedWhole(_ database: String) async throws {
        let world = try await APICCERRegulatorTests.world(database)
        let (service, store, t) = (world.service, world.store, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func publish(_ user: String?, key: String, _ body: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer/policy/versions", token: user.flatMap { t[$0] }, key: key, body: body)
            }
            // The built-in version 1 in force, public to read.
            let shown = try await api.call("GET", "/api/v1/ccer/policy")
            let limits = (shown.json["policy"] as? [String: Any])?["limits"] as? [String: Any]
            #expect(shown.status == 200 && shown.json["version"] as? Int == 1 && shown.json["inForce"] as? Bool == true, "\(shown.body)")
            #expect(limits?["maxCommentsPerUserPerNotice"] as? Int == 20, "\(shown.body)")

            // A policy breaking two constraints: 422 INVALID_POLICY naming both, nothing stored.
            let bad = try Self.publication {
                $0.designNoticeWorkingDays = 0
                $0.limits.maxCommentsPerUserPerNotice = 0
            }
            let refused = try await publish("mee", key: "bad-1", bad)
            #expect(refused.status == 422 && refused.code == "INVALID_POLICY", "\(refused.body)")
            #expect(refused.body.contains("designNoticeWorkingDays") && refused.body.contains("maxCommentsPerUserPerNotice"), "\(refused.body)")
            // Each problem under its field in `details`, for a client to point at.
            let details = refused.json["details"] as? [String: String] ?? [:]
            #expect(details["command"] == "ccer_policy_publish", "\(refused.body)")
            #expect(details["designNoticeWorkingDays"] == "0 is outside 1-\(CCERPolicy.maxWorkingDays) working days", "\(refused.body)")
            #expect(details["limits.maxCommentsPerUserPerNotice"] == "0 is below 1", "\(refused.body)")
            let badDate = try await publish("mee", key: "bad-2", try Self.publication(effectiveFrom: "2025-02-30") { _ in })
            #expect(badDate.status == 422 && badDate.code == "INVALID_POLICY" && badDate.body.contains("effectiveFrom"), "\(badDate.body)")
            #expect((badDate.json["details"] as? [String: String])?["effectiveFrom"] == "'2025-02-30' is not a date YYYY-MM-DD", "\(badDate.body)")
            let notAPolicy = try await publish("mee", key: "bad-3", #"{"policy":{"limits":7},"note":"n"}"#)
            #expect(notAPolicy.status == 422 && notAPolicy.code == "INVALID_POLICY", "\(notAPolicy.body)")
            #expect((notAPolicy.json["details"] as? [String: String])?["policy"]?.hasPrefix("policy is not a CCER policy") == true, "\(notAPolicy.body)")
            #expect(try await service.ccerPolicyVersions().isEmpty)
            #expect(await service.ccerPolicy == .standard)
            // The check names the same problems and stores nothing either.
            let checked = try await api.call("POST", "/api/v1/ccer/policy/check", token: t["mee"], body: #"{"policy":\#(try Self.policyJSON(bad))}"#)
            #expect(checked.status == 200 && checked.json["ok"] as? Bool == false && checked.json["code"] as? String == "INVALID_POLICY", "\(checked.body)")
            #expect((checked.json["problems"] as? [String])?.count == 2, "\(checked.body)")

            // Every role but the MEE: 403 naming ccer_regulate; no token: 401. Nothing stored.
            let good = try Self.publication { $0.limits.maxCommentsPerUserPerNotice = 1 }
            for user in ["registrar", "owner", "e1", "validator", "sc", "citizen", "i1"] {
                let answer = try await publish(user, key: "forbidden-1", good)
                #expect(answer.status == 403 && (answer.json["details"] as? [String: String])?["action"] == "ccer_regulate", "\(user): \(answer.body)")
            }
            #expect(try await publish(nil, key: "anon-1", good).status == 401)
            #expect(try await service.ccerPolicyVersions().isEmpty)

            // Published as version 2 and in force at once; the replay answers the same version.
            let published = try await publish("mee", key: "cap-1", good)
            let version = published.json["version"] as? [String: Any]
            #expect(published.status == 201 && published.json["replayed"] as? Bool == false && version?["version"] as? Int == 2, "\(published.body)")
            #expect(version?["effectiveFrom"] as? String == "2025-06-03" && version?["inForce"] as? Bool == true, "\(published.body)")
            let inForce = await service.ccerPolicy
            #expect(inForce.version == 2 && inForce.limits.maxCommentsPerUserPerNotice == 1)
            let replay = try await publish("mee", key: "cap-1", good)
            #expect(replay.status == 201 && replay.json["replayed"] as? Bool == true && (replay.json["version"] as? [String: Any])?["version"] as? Int == 2)
            let reused = try await publish("mee", key: "cap-1", try Self.publication { $0.limits.maxCommentsPerUserPerNotice = 2 })
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(try await service.ccerPolicyVersions().map(\.version) == [2])

            // The reads: the version in force, the built-in one by number, an unknown one, the list.
            let now = try await api.call("GET", "/api/v1/ccer/policy")
            #expect(now.json["version"] as? Int == 2 && now.json["note"] as? String == "per-user cap 1" && now.json["effectiveFrom"] as? String == "2025-06-03")
            let first = try await api.call("GET", "/api/v1/ccer/policy?version=1")
            #expect(first.status == 200 && first.json["version"] as? Int == 1 && first.json["inForce"] as? Bool == false, "\(first.body)")
            let unknown = try await api.call("GET", "/api/v1/ccer/policy?version=9")
            #expect(unknown.status == 404 && unknown.code == "UNKNOWN_POLICY_VERSION", "\(unknown.body)")
            let listed = try await api.call("GET", "/api/v1/ccer/policy/versions")
            let items = listed.json["items"] as? [[String: Any]] ?? []
            #expect(listed.json["total"] as? Int == 2 && items.compactMap { $0["version"] as? Int } == [1, 2], "\(listed.body)")
            #expect(items.compactMap { $0["inForce"] as? Bool } == [false, true], "\(listed.body)")
            // When it was published: in the answer (the service's clock, UTC), stored the same, none for the built-in version.
            let publishedAt = try #require(version?["publishedAt"] as? String, "\(published.body)")
            #expect(publishedAt.hasSuffix("Z") && publishedAt.count == "2025-06-03T02:00:00.000Z".count, "\(publishedAt)")
            #expect(items.map { $0["publishedAt"] as? String } == [nil, publishedAt], "\(listed.body)")
            #expect(now.json["publishedAt"] as? String == publishedAt && first.json["publishedAt"] == nil, "\(now.body)")

            // Audited under the MEE's user, with the outcome.
            let audit = try await store.audit(limit: 1_000).filter { $0.action == "api_ccer_policy_publish" }
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("accepted v2") }, "\(audit)")
            #expect(audit.contains { $0.user == "mee" && $0.detail == "rejected INVALID_POLICY" }, "\(audit)")
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("replayed") }, "\(audit)")
        }
    }

    /// The running server decides the next command under a version published through the API:
    /// with a per-user cap of 1, a user's second comment on the same notice is refused
    /// (COMMENT_LIMIT_PER_USER, nothing written); another user still comments once.
    @Test(arguments: databases)
    func aPublishedCapHoldsTheNextComment(_ database: String) async throws {
        let world = try await APICCERRegulatorTests.world(database)
        let (service, t) = (world.service, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func comment(_ user: String, key: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer/projects/P000003/comments", token: t[user], key: key, body: #"{"text":"意见 \#(key)"}"#)
            }
            let published = try await api.call(
                "POST", "/api/v1/ccer/policy/versions", token: t["mee"], key: "cap-1", body: try Self.publication { $0.limits.maxCommentsPerUserPerNotice = 1 })
            #expect(published.status == 201, "\(published.body)")
            let first = try await comment("i1", key: "c-1")
            #expect(first.status == 201, "\(first.body)")
            let head = await service.head
            let second = try await comment("i1", key: "c-2")
            #expect(second.status == 422 && second.code == "COMMENT_LIMIT_PER_USER", "\(second.status) \(second.body)")
            #expect(await service.head == head, "the refusal wrote nothing")
            let other = try await comment("citizen", key: "c-3")
            #expect(other.status == 201, "\(other.body)")
            let comments = await service.ccer.projects["P000003"]?.designNotice.comments ?? []
            #expect(comments.filter { $0.user == "i1" }.count == 1)
        }
    }

    /// A version another process published (the CLI's path: the store, outside the server)
    /// holds the server's next CCER command although nothing read the policy through the
    /// server: the writer reads the newest version under the journal head lock.
    @Test(arguments: databases)
    func aCapPublishedByAnotherProcessHoldsTheNextComment(_ database: String) async throws {
        let world = try await APICCERRegulatorTests.world(database)
        let (service, t) = (world.service, world.tokens)
        try await APICCERWorkflowTests.serve(world) { api in
            func comment(_ user: String, key: String) async throws -> Fetched {
                try await api.call("POST", "/api/v1/ccer/projects/P000003/comments", token: t[user], key: key, body: #"{"text":"意见 \#(key)"}"#)
            }
            var cap = CCERPolicy.standard
            cap.limits.maxCommentsPerUserPerNotice = 1
            let version = try await world.store.publishCCERPolicy(cap, effectiveFrom: "2025-06-03", note: "cap 1 from the CLI", at: SystemClock().now(), audit: nil)
            #expect(await service.ccerPolicy.version == CCERPolicy.standard.version, "not read yet")
            let first = try await comment("i1", key: "c-1")
            #expect(first.status == 201, "\(first.body)")
            #expect(await service.ccerPolicy.version == version, "taken by the batch that decided the comment")
            let second = try await comment("i1", key: "c-2")
            #expect(second.status == 422 && second.code == "COMMENT_LIMIT_PER_USER", "\(second.status) \(second.body)")
        }
    }

    static func policyJSON(_ publication: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(publication.utf8)) as? [String: Any] ?? [:]
        return String(decoding: try JSONSerialization.data(withJSONObject: object["policy"] ?? [:]), as: UTF8.self)
    }
}
