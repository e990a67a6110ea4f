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

/// The allocation plans of the REST API on the live server (the plan store is the cycle's), on
/// SQLite and, when `OPENETS_TEST_POSTGRES_URL` is set, on PostgreSQL: the catalogue and a
/// plan's versions and parameters are public; the MEE loads a draft (the plan validation's
/// codes refuse a bad plan and store nothing) and publishes it; retries answer the first
/// result and store nothing more; other roles are refused.
@Suite("REST API: allocation plans and the compliance cycle")
struct APIAllocationCycleTests {
    typealias Fetched = APIPermissionWalkTests.Fetched

    static func versions(_ cycle: any AllocationCycleStore, _ id: String) async throws -> [StoredAllocationPlan] {
        try await cycle.planVersions(id: id)
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: TestMarket.databases)
    func plansListedLoadedAndPublished(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "apiplans")
        let cycle = world.cycle, tokens = world.tokens
        let shipped = try #require(AllocationPlan.shipped.first { $0.id == "power-2024" })
        try await APIPledgeTests.serve(world) { api in
            let mee = tokens["mee"]!
            // The catalogue and one plan: public, the shipped plan in force.
            let list = try await api.call("GET", "/api/v1/allocation/plans?limit=500")
            #expect(list.status == 200, "\(list.body)")
            let row = try #require(APIPledgeTests.items(list).first { $0["id"] as? String == "power-2024" })
            #expect((row["inForce"] as? [String: Any])?["status"] as? String == "shipped" && (row["versions"] as? [Any])?.isEmpty == true)
            #expect(list.json["total"] as? Int == Set(AllocationPlan.shipped.map(\.id)).count)
            let shown = try await api.call("GET", "/api/v1/allocation/plans/power-2024")
            #expect(shown.status == 200, "\(shown.body)")
            var plan = try #require(shown.json["plan"] as? [String: Any])
            #expect(plan["id"] as? String == "power-2024" && plan["version"] as? Int == shipped.version)
            #expect((shown.json["version"] as? [String: Any])?["sha256"] as? String == AllocationPlanCodec.sha256(shipped))
            let missing = try await api.call("GET", "/api/v1/allocation/plans/no-such-plan")
            #expect(missing.status == 404 && missing.code == "UNKNOWN_PLAN")

            // Load a corrected plan: a draft under the next version, the changes against the shipped one.
            plan["source"] = "API test correction"
            let body = try Self.json(plan)
            let loaded = try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "load-1", body: body)
            #expect(loaded.status == 201 && loaded.json["replayed"] as? Bool == false, "\(loaded.body)")
            let draft = shipped.version + 1
            #expect((loaded.json["stored"] as? [String: Any])?["version"] as? Int == draft)
            #expect((loaded.json["stored"] as? [String: Any])?["status"] as? String == "draft")
            #expect(loaded.json["comparedWith"] as? Int == shipped.version)
            #expect((loaded.json["changes"] as? [[String: Any]])?.map { $0["path"] as? String } == ["source"])
            var stored = try await Self.versions(cycle, "power-2024")
            #expect(stored.map(\.plan.version) == [draft] && stored.first?.loadedBy == "mee" && stored.first?.plan.source == "API test correction")
            // Its line was committed with the draft (the plan store's transaction): exactly one.
            let loadLines = try await world.store.audit(limit: 500).filter { $0.action == "api_plan_load" }
            #expect(loadLines.map { [$0.user, $0.detail, $0.address] } == [["mee", "accepted power-2024 v\(draft)", "127.0.0.1"]], "\(loadLines)")
            // The retry: the stored draft is the answer, nothing is stored again.
            let retry = try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "load-1", body: body)
            #expect(retry.status == 201 && retry.json["replayed"] as? Bool == true, "\(retry.body)")
            #expect((retry.json["stored"] as? [String: Any])?["version"] as? Int == draft)
            #expect(try await Self.versions(cycle, "power-2024").count == 1)

            // Refusals: the plan validation's codes, nothing stored.
            var broken = plan
            broken["year"] = 1900
            broken["source"] = "broken"
            for (bad, code) in [(#"{"id":"x"}"#, "INVALID_INPUT"), (try Self.json(broken), "INVALID_PLAN")] {
                let refused = try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "bad-\(code)", body: bad)
                #expect(refused.status == 422 && refused.code == code, "\(code): \(refused.body)")
            }
            // The same parameters as the latest version, loaded by someone else: PLAN_UNCHANGED.
            var byCLI = plan
            byCLI["source"] = "loaded by the CLI"
            let service = AllocationPlanService(store: cycle, clock: SystemClock())
            let cliPlan = try JSONDecoder().decode(AllocationPlan.self, from: Data(try Self.json(byCLI).utf8))
            _ = try await service.load(cliPlan, by: "cli-operator")
            let unchanged = try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "load-2", body: try Self.json(byCLI))
            #expect(unchanged.status == 422 && unchanged.code == "PLAN_UNCHANGED", "\(unchanged.body)")
            #expect(try await Self.versions(cycle, "power-2024").map(\.plan.version) == [draft, draft + 1])
            // Refusals keep their own lines; the retry is a replay, not a second acceptance.
            let refusedLines = try await world.store.audit(limit: 500).filter { $0.action == "api_plan_load" }.map(\.detail)
            #expect(["rejected INVALID_INPUT", "rejected INVALID_PLAN", "rejected PLAN_UNCHANGED"].allSatisfy(refusedLines.contains), "\(refusedLines)")
            #expect(refusedLines.filter { $0.hasPrefix("accepted ") }.count == 1)

            // Roles without plan_manage: 403, nothing stored; no token: 401.
            for user in ["e1", "registrar", "sc", "operator", "bank"] {
                let refused = try await api.call("POST", "/api/v1/allocation/plans", token: tokens[user]!, key: "not-mine", body: body)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
                let publish = try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: tokens[user]!, key: "not-mine", body: #"{"version":\#(draft)}"#)
                #expect(publish.status == 403 && publish.code == "FORBIDDEN", "\(user): \(publish.body)")
            }
            #expect(try await api.call("POST", "/api/v1/allocation/plans", key: "anon", body: body).status == 401)
            #expect(try await Self.versions(cycle, "power-2024").allSatisfy { $0.status == .draft })

            // Publish: the draft becomes the version in force; a retry answers it as it is.
            let published = try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "pub-1", body: #"{"version":\#(draft)}"#)
            #expect(published.status == 200 && published.json["replayed"] as? Bool == false, "\(published.body)")
            #expect((published.json["version"] as? [String: Any])?["status"] as? String == "published")
            let republished = try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "pub-1", body: #"{"version":\#(draft)}"#)
            #expect(republished.status == 200 && republished.json["replayed"] as? Bool == true, "\(republished.body)")
            stored = try await Self.versions(cycle, "power-2024")
            #expect(stored.map(\.status) == [.published, .draft] && stored.first?.publishedBy == "mee")
            let publishLines = try await world.store.audit(limit: 500).filter { $0.action == "api_plan_publish" && $0.detail.hasPrefix("accepted ") }
            #expect(publishLines.map { [$0.user, $0.detail, $0.address] } == [["mee", "accepted power-2024 v\(draft)", "127.0.0.1"]], "\(publishLines)")
            let inForce = try await api.call("GET", "/api/v1/allocation/plans/power-2024")
            #expect((inForce.json["version"] as? [String: Any])?["status"] as? String == "published")
            #expect((inForce.json["plan"] as? [String: Any])?["source"] as? String == "API test correction")
            let older = try await api.call("GET", "/api/v1/allocation/plans/power-2024?version=\(draft + 1)")
            #expect((older.json["plan"] as? [String: Any])?["source"] as? String == "loaded by the CLI" && (older.json["versions"] as? [Any])?.count == 2)

            // Publish refusals: no such version (UNKNOWN_PLAN), a version another user published (PLAN_STATUS).
            let unknown = try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "pub-2", body: #"{"version":99}"#)
            #expect(unknown.status == 422 && unknown.code == "UNKNOWN_PLAN", "\(unknown.body)")
            _ = try await service.publish(id: "power-2024", version: draft + 1, by: "cli-operator")
            let notDraft = try await api.call("POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "pub-3", body: #"{"version":\#(draft + 1)}"#)
            #expect(notDraft.status == 422 && notDraft.code == "PLAN_STATUS", "\(notDraft.body)")
            #expect(try await Self.versions(cycle, "power-2024").map(\.status) == [.superseded, .published])
            let noPlan = try await api.call("POST", "/api/v1/allocation/plans/no-such-plan/publish", token: mee, key: "pub-4", body: #"{"version":1}"#)
            #expect(noPlan.status == 422 && noPlan.code == "UNKNOWN_PLAN", "\(noPlan.body)")
        }
    }

    static func notice(_ entity: String, _ province: String, _ status: PenaltyNotice.Status) -> PenaltyNotice {
        PenaltyNotice(
            id: CompliancePenalties.noticeID(plan: "power-2024", year: 2024, entity: AccountID(entity)), planID: "power-2024", year: 2024,
            entity: AccountID(entity), province: province, regime: .priceMultiple, shortfallT: 10, averagePriceFen: 10_000, minFen: 500_000,
            maxFen: 1_000_000, amountFen: 600_000, deductionT: 10, status: status, issuedOn: CivilDate(year: 2025, month: 1, day: 5))
    }

    /// The demo's compliance year (power-2024 through pre-allocation, true-up and surrender) and
    /// three penalty notices (SC issued, SC deducted, GD issued): the timeline and the notices
    /// for the regulators, scoped to the province; the province records a payment.
    @Test(arguments: TestMarket.databases)
    func cycleTimelineAndPenaltyNotices(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "apicycle")
        let cycle = world.cycle, tokens = world.tokens
        try await DemoCycle.seed(world.service, store: cycle, clock: SystemClock())
        let notices = [Self.notice("ENT-000001", "SC", .issued), Self.notice("ENT-000002", "SC", .deducted), Self.notice("ENT-000003", "GD", .issued)]
        try await cycle.saveNotices(notices, at: SystemClock().now())
        let (scIssued, scDeducted, gdIssued) = (notices[0].id, notices[1].id, notices[2].id)
        try await APIPledgeTests.serve(world) { api in
            let mee = tokens["mee"]!, sc = tokens["sc"]!
            // The timeline: the cycle's stages done, every entity for the MEE, Sichuan's for Sichuan.
            let national = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024?today=2025-06-03", token: mee)
            #expect(national.status == 200, "\(national.body)")
            let stages = national.json["stages"] as? [[String: Any]] ?? []
            let done = Dictionary(uniqueKeysWithValues: stages.compactMap { s in (s["name"] as? String).map { ($0, s["done"] as? Bool) } })
            #expect(done["pre_allocation"] == true && done["true_up"] == true && done["surrender"] == true, "\(stages)")
            let all = (national.json["entities"] as? [[String: Any]] ?? []).compactMap { $0["entity"] as? String }
            #expect(all.contains("ENT-000001") && all.contains("ENT-000003"), "\(all)")
            let provincial = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024?today=2025-06-03", token: sc)
            let provinces = Set((provincial.json["entities"] as? [[String: Any]] ?? []).compactMap { $0["province"] as? String })
            #expect(provincial.status == 200 && provinces == ["SC"], "\(provincial.body)")
            #expect(((provincial.json["reminders"] as? [[String: Any]]) ?? []).allSatisfy { e in
                (provincial.json["entities"] as? [[String: Any]] ?? []).contains { $0["entity"] as? String == e["entity"] as? String }
            })
            let unknown = try await api.call("GET", "/api/v1/compliance/2024/cycle/no-such-plan", token: mee)
            #expect(unknown.status == 404 && unknown.code == "UNKNOWN_PLAN", "\(unknown.body)")
            let otherYear = try await api.call("GET", "/api/v1/compliance/2023/cycle/power-2024", token: mee)
            #expect(otherYear.status == 404 && otherYear.code == "YEAR_MISMATCH", "\(otherYear.body)")
            let badDay = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024?today=2025-13-99", token: mee)
            #expect(badDay.status == 400 && badDay.code == "INVALID_INPUT", "\(badDay.body)")
            for user in ["e1", "registrar", "bank"] {
                let refused = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024", token: tokens[user]!)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }

            // The notices: all for the MEE, the province's own for Sichuan and Chengdu.
            let listed = try await api.call("GET", "/api/v1/compliance/2024/penalty-notices", token: mee)
            #expect(listed.status == 200 && APIPledgeTests.items(listed).compactMap { $0["id"] as? String }.sorted() == [scIssued, scDeducted, gdIssued].sorted())
            for user in ["sc", "chengdu"] {
                let own = try await api.call("GET", "/api/v1/compliance/2024/penalty-notices", token: tokens[user]!)
                #expect(own.status == 200 && Set(APIPledgeTests.items(own).compactMap { $0["province"] as? String }) == ["SC"] && own.json["total"] as? Int == 2, "\(user): \(own.body)")
            }
            #expect(try await api.call("GET", "/api/v1/compliance/2024/penalty-notices", token: tokens["e1"]!).status == 403)

            // Sichuan records its notice paid; the retry changes nothing.
            let paid = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(scIssued)/paid", token: sc, key: "paid-1")
            #expect(paid.status == 200 && paid.json["replayed"] as? Bool == false, "\(paid.body)")
            #expect((paid.json["notice"] as? [String: Any])?["status"] as? String == "paid")
            #expect(try await cycle.notices(year: 2024).first { $0.id == scIssued }?.status == .paid)
            let retry = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(scIssued)/paid", token: sc, key: "paid-1")
            #expect(retry.status == 200 && retry.json["replayed"] as? Bool == true, "\(retry.body)")
            // Refusals: a deducted notice, an unknown one (404); another province's (404 too); roles without penalty_record.
            let deducted = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(scDeducted)/paid", token: sc, key: "paid-2")
            #expect(deducted.status == 422 && deducted.code == "NOTICE_STATUS", "\(deducted.body)")
            let none = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/PN-NONE/paid", token: sc, key: "paid-3")
            #expect(none.status == 404 && none.code == "NOT_FOUND", "\(none.body)")
            // Another province's notice: the same answer as an unknown one (its id is not revealed).
            let foreign = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(gdIssued)/paid", token: sc, key: "paid-4")
            #expect(foreign.status == 404 && foreign.code == "NOT_FOUND", "\(foreign.body)")
            for user in ["mee", "chengdu", "e1", "registrar"] {
                let refused = try await api.call("POST", "/api/v1/compliance/2024/penalty-notices/\(gdIssued)/paid", token: tokens[user]!, key: "paid-5")
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let after = try await cycle.notices(year: 2024)
            #expect(after.first { $0.id == gdIssued }?.status == .issued && after.first { $0.id == scDeducted }?.status == .deducted)
        }
    }
}
