import Foundation
import OpenETSApplication
import OpenETSDomain
import Testing

/// The MRV policy tables' web page (`/portal/mrv-policy`, MRVPolicyRoutes) on the live server:
/// every role reads it (view_public, as the API's getMRVPolicy); the MEE checks a document (a
/// refusal shows its code and stores nothing) and publishes one (a new version, audited in
/// the MRV writer's transaction, once per form); others are refused the forms (403).
@Suite("Web: the MRV policy tables' page")
struct MRVPolicyPortalTests {
    static func json(_ tables: MRVPolicyTables) throws -> String {
        String(decoding: try JSONEncoder().encode(tables), as: UTF8.self)
    }

    @Test func theMEEChecksAndPublishesOthersReadOnly() async throws {
        let world = try await PortalServerTests.world()
        let mrv = world.mrv, store = world.store
        var corrected = MRVPolicyTables.seed
        let i2022 = try #require(corrected.accounting.firstIndex { $0.year == 2022 })
        corrected.accounting[i2022].gridFactorTPerMWh = "0.6"
        var dropped = MRVPolicyTables.seed
        dropped.accounting.removeAll { $0.year == 2019 }
        dropped.platform.removeAll { $0.year == 2019 }
        let (good, bad) = (try Self.json(corrected), try Self.json(dropped))

        try await PortalServerTests.serve(world) { port in
            // Without a session: to the login.
            let anonymous = try await PortalServerTests.client(port).get("/portal/mrv-policy")
            #expect(anonymous.status == 303 && (anonymous.location ?? "").hasPrefix("/login"), "\(anonymous.status)")

            let mee = try await PortalServerTests.login(port, "mee")
            #expect(try await mee.get("/portal/mee").body.contains("href=\"/portal/mrv-policy\""), "the portal links the page")
            let page = try await mee.get("/portal/mrv-policy")
            for id in ["policy-versions", "policy-accounting", "policy-platform", "policy-form", "policy-check", "policy-publish", "no-policy-versions"] {
                #expect(page.body.contains("id=\"\(id)\""), "\(id) on the MEE's page")
            }
            #expect(page.status == 200 && page.body.contains("参数表") && page.body.contains("fuels.coal.ncvGJPerUnit"), "\(page.status)")
            #expect(try await mee.get("/portal/mrv-policy?lang=en").body.contains("Check and publish a new version"))
            // Each table as CSV: the accounting grid has the 2022 grid factor in its year's column.
            let csv = try await mee.get("/portal/mrv-policy?format=csv&table=1")
            let gridLine = csv.body.split(whereSeparator: \.isNewline).first { $0.hasPrefix("gridFactorTPerMWh,") }
            #expect(csv.status == 200 && gridLine.map(String.init) == "gridFactorTPerMWh,0.5810,0.5810,0.5810,0.5703,—,—", "\(csv.body.prefix(400))")
            let csrf = try #require(NeutralityServerTests.field("csrf", in: page.body))

            // A bad document: checked, the code and reason shown; published, refused; nothing stored.
            let checkedBad = try await mee.send("POST", "/portal/mrv-policy/check", form: PortalServerTests.form(csrf, [("tables", bad)]))
            #expect(checkedBad.status == 200 && checkedBad.body.contains("id=\"check-refused\"") && checkedBad.body.contains("INVALID_POLICY")
                && checkedBad.body.contains("2019"), "\(checkedBad.status)")
            let notJSON = try await mee.send("POST", "/portal/mrv-policy/check", form: PortalServerTests.form(csrf, [("tables", "{\"accounting\":")]))
            #expect(notJSON.status == 200 && notJSON.body.contains("id=\"check-refused\"") && notJSON.body.contains("INVALID_POLICY"))
            for (tables, note) in [(bad, "drops 2019"), ("not json", "garbage"), (good, "")] {
                let refused = PortalServerTests.outcome(try await mee.send(
                    "POST", "/portal/mrv-policy/publish", form: PortalServerTests.form(csrf, [("tables", tables), ("note", note)])))
                #expect(refused.error?.hasPrefix("INVALID_POLICY") == true && refused.ok == nil, "\(note): \(refused)")
            }
            let (storedBefore, versionBefore) = (try await mrv.policyVersions(), await mrv.policyVersion)
            #expect(storedBefore.isEmpty && versionBefore == 0, "nothing stored")
            #expect(try await mee.get("/portal/mrv-policy").body.contains("id=\"no-policy-versions\""), "the version list unchanged")

            // A good document: checked (its one change listed, nothing stored), then published.
            let checked = try await mee.send("POST", "/portal/mrv-policy/check", form: PortalServerTests.form(csrf, [("tables", good)]))
            #expect(checked.status == 200 && checked.body.contains("id=\"check-ok\"") && checked.body.contains("accounting[2022].gridFactorTPerMWh: &quot;0.5703&quot; → &quot;0.6&quot;"),
                    "\(checked.status)")
            #expect(try await mrv.policyVersions().isEmpty, "a check stores nothing")
            let nonce = UUID().uuidString.lowercased()
            let publication = [("csrf", csrf), ("nonce", nonce), ("tables", good), ("note", "2022 grid factor corrected"), ("effective_from", "2025-06-01")]
            let published = PortalServerTests.outcome(try await mee.send("POST", "/portal/mrv-policy/publish", form: publication))
            #expect(published.error == nil && published.ok?.contains("v1") == true, "\(published)")
            let (versionNow, tablesNow) = (await mrv.policyVersion, await mrv.policy)
            let factor2022 = try tablesNow.accounting(2022).gridFactorTPerMWh
            #expect(versionNow == 1 && factor2022 == "0.6")
            // The same form again publishes nothing; its key with other tables is refused.
            let again = PortalServerTests.outcome(try await mee.send("POST", "/portal/mrv-policy/publish", form: publication))
            #expect(again.error == nil && again.ok?.contains("already") == true, "\(again)")
            var other = publication
            other[2] = ("tables", try Self.json(MRVPolicyTables.seed))
            let reused = PortalServerTests.outcome(try await mee.send("POST", "/portal/mrv-policy/publish", form: other))
            #expect(reused.error?.hasPrefix("IDEMPOTENCY_KEY_REUSED") == true, "\(reused)")
            let versions = try await mrv.policyVersions()
            #expect(versions.map(\.version) == [1] && versions.first?.effectiveFrom == "2025-06-01" && versions.first?.note == "2022 grid factor corrected")
            let after = try await mee.get("/portal/mrv-policy").body
            #expect(after.contains("id=\"policy-in-force\">v1") && after.contains("2022 grid factor corrected") && !after.contains("id=\"no-policy-versions\""))
            // An earlier version's tables (the seed, v0) by ?version=, with their CSV; an unknown one 404.
            let seedPage = try await mee.get("/portal/mrv-policy?version=0")
            #expect(seedPage.status == 200 && seedPage.body.contains("id=\"policy-shown\"") && seedPage.body.contains("/portal/mrv-policy?version=0&amp;format=csv&amp;table=1"))
            let seedCSV = try await mee.get("/portal/mrv-policy?version=0&format=csv&table=1").body
            let nowCSV = try await mee.get("/portal/mrv-policy?format=csv&table=1").body
            #expect(seedCSV.contains("gridFactorTPerMWh,0.5810,0.5810,0.5810,0.5703,") && nowCSV.contains("gridFactorTPerMWh,0.5810,0.5810,0.5810,0.6,"), "\(nowCSV.prefix(300))")
            #expect(try await mee.get("/portal/mrv-policy?version=7").status == 404)

            // Audited: the publication in the MRV writer's transaction, and each refusal.
            let audit = try await store.audit(limit: 200).filter { $0.action == "mrv.policy_publish" }
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("accepted v1") }, "\(audit)")
            #expect(audit.filter { $0.detail.hasPrefix("rejected INVALID_POLICY") }.count == 3, "\(audit)")
            #expect(audit.contains { $0.detail.hasPrefix("rejected IDEMPOTENCY_KEY_REUSED") } && audit.contains { $0.detail == "replayed v1" })

            // A province and an entity read the tables (view_public) but have no form and are
            // refused both posts (403), nothing stored.
            for user in ["sc", "e1"] {
                let client = try await PortalServerTests.login(port, user)
                let read = try await client.get("/portal/mrv-policy")
                #expect(read.status == 200 && read.body.contains("id=\"policy-accounting\"") && !read.body.contains("id=\"policy-form\""), "\(user): \(read.status)")
                let userCSRF = try #require(NeutralityServerTests.field("csrf", in: read.body))
                for action in ["check", "publish"] {
                    let refused = try await client.send(
                        "POST", "/portal/mrv-policy/\(action)", form: PortalServerTests.form(userCSRF, [("tables", good), ("note", "not theirs")]))
                    #expect(refused.status == 403, "\(user) \(action): \(refused.status)")
                }
            }
            #expect(try await mrv.policyVersions().count == 1)
        }
    }

    /// The policy forms take up to 3 MiB: such a body is read only for a signed-in user whose
    /// role may post it. Announcing 3,000,000 bytes and sending one, the visitor without a
    /// session is sent to the login and an entity user (no `mrv_policy`) gets 403, both at
    /// once; the MEE announcing more than the limit gets 413 unread.
    @Test func aLargeFormIsNotReadForAnyone() async throws {
        let world = try await PortalServerTests.world()
        try await PortalServerTests.serve(world) { port in
            let e1 = try #require(try await PortalServerTests.login(port, "e1").cookie)
            let mee = try #require(try await PortalServerTests.login(port, "mee").cookie)
            for (cookie, length, expected) in [
                (nil, 3_000_000, "HTTP/1.1 303"), (e1, 3_000_000, "HTTP/1.1 403"), (mee, 4_000_000, "HTTP/1.1 413"),
            ] {
                for path in ["/portal/mrv-policy/check", "/portal/mrv-policy/publish"] {
                    let head = try await Self.announceForm(port, path, length: length, cookie: cookie)
                    #expect(head.hasPrefix(expected), "\(path) \(cookie == nil ? "anonymous" : cookie == e1 ? "e1" : "mee"): \(head.prefix(200))")
                }
            }
        }
    }

    /// Sends a form's head announcing `length` bytes and the body's first byte, and returns the
    /// answer's head (a server reading the announced body never answers: recv times out).
    static func announceForm(_ port: Int, _ path: String, length: Int, cookie: String?) async throws -> String {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        if let cookie { head += "Cookie: \(cookie)\r\n" }
        head += "Content-Length: \(length)\r\n\r\nt"
        return try await APILargeBodyTests.exchange(port, head, seconds: 20) { text in
            text.range(of: "\r\n\r\n").map { String(text[..<$0.lowerBound]) }
        }
    }
}
