import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// The MRV workflow through the REST API only, on the live server over the demo market and the
/// demo MRV history (drill clock 2025-06-03): Chuanneng's 2024 year from its last month to the
/// MEE's approval (submit the report → the province assigns the verifier → a finding → the
/// entity corrects the month, answers the finding and resubmits → the verifier concludes →
/// city, province and national approval), each refusal with its code and the MRV journal head
/// unchanged, replays, 403 for roles without the action and for callers outside their scope.
/// SQLite always; PostgreSQL when a server is named.
@Suite("REST API: MRV workflow")
struct APIMRVWorkflowTests {
    typealias Client = APIPermissionWalkTests.Client
    typealias Fetched = APIPermissionWalkTests.Fetched

    static let chuanneng = DemoMRV.entities[0]
    static let jialingjiang = DemoMRV.entities[1]
    static let yuehai = DemoMRV.entities[2]

    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var mrvStore: any MRVStore
        var mrv: MRVService
        var location: StoreLocation
        var tokens: [String: String]
    }

    static func world(_ database: String) async throws -> World {
        let location = try TestMarket.freshLocation(database, tag: "apimrv")
        let (store, service, clock) = try await TestMarket.openDemo(location)
        try await DemoMRV.seed(location)
        let (mrvStore, mrv) = try await Composition.openMRV(location, clock: clock, connectionID: 2)
        let tokens = try await TestMarket.tokens(store, ["e1", "e1-approver", "e3", "i1", "sc", "chengdu", "mee", "verifier", "registrar"], label: "mrv")
        return World(store: store, service: service, mrvStore: mrvStore, mrv: mrv, location: location, tokens: tokens)
    }

    static func serve(
        _ world: World, configuration: ServerConfiguration = ServerConfiguration(host: "127.0.0.1", port: 0),
        _ body: @escaping @Sendable (Client) async throws -> Void
    ) async throws {
        try await PortalServerTests.run(configuration, store: world.store, service: world.service, mrv: world.mrv) { port in
            try await body(Client(port: port))
        }
        try await world.mrvStore.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    static var databases: [String] { TestMarket.databases }

    static func report(_ entity: DemoMRV.DemoEntity, _ year: Int = 2024) -> String { "/api/v1/mrv/entities/\(entity.uscc)/reports/\(year)" }

    static func json(_ object: Any) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    static func csv(_ month: MonthlyData) -> String { MRVCSV.exportMonths([month]) }

    static func reportJSON(_ answer: Fetched) -> [String: Any] { answer.json["report"] as? [String: Any] ?? [:] }

    @Test(arguments: databases) func oneYearThroughTheAPI(database: String) async throws {
        let world = try await Self.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Self.serve(world) { api in
            let key = ReportKey(entity: MRVEntityID(Self.chuanneng.uscc), year: 2024)
            let path = Self.report(Self.chuanneng)

            // December is missing: the report is refused, nothing written.
            var head = await mrv.head
            let early = try await api.call("POST", path + "/submit", token: t["e1"], key: "early")
            #expect(early.status == 422 && early.code == "MONTHS_MISSING", "\(early.body)")
            #expect(await mrv.head == head)
            let december = DemoMRV.month(Self.chuanneng, year: 2024, month: 12)
            let deposited = try await api.call("POST", "/api/v1/mrv/monthly-data", token: t["e1"], key: "dec", body: Self.json(["csv": Self.csv(december)]))
            #expect(deposited.status == 201, "\(deposited.body)")

            // Submit: roles without mrv_report, another entity's user and an unknown entity are refused.
            head = await mrv.head
            for user in ["sc", "verifier", "mee", "e1-approver", "i1"] {
                let refused = try await api.call("POST", path + "/submit", token: t[user], key: "s-\(user)")
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let foreign = try await api.call("POST", path + "/submit", token: t["e3"], key: "s-e3")
            #expect(foreign.status == 403 && foreign.code == "FORBIDDEN", "\(foreign.body)")
            let noKey = try await api.call("POST", path + "/submit", token: t["e1"])
            #expect(noKey.status == 400, "\(noKey.body)")
            #expect(try await api.call("POST", path + "/submit", token: nil, key: "anon").status == 401)
            #expect(await mrv.head == head)
            let submitted = try await api.call("POST", path + "/submit", token: t["e1"], key: "submit")
            #expect(submitted.status == 200 && submitted.json["replayed"] as? Bool == false, "\(submitted.body)")
            #expect(Self.reportJSON(submitted)["status"] as? String == "submitted" && Self.reportJSON(submitted)["version"] as? Int == 1)
            let seq = try #require(submitted.json["seq"] as? Int)
            head = await mrv.head
            let replay = try await api.call("POST", path + "/submit", token: t["e1"], key: "submit")
            #expect(replay.status == 200 && replay.json["replayed"] as? Bool == true && replay.json["seq"] as? Int == seq, "\(replay.body)")
            #expect(await mrv.head == head)
            let twice = try await api.call("POST", path + "/submit", token: t["e1"], key: "submit-2")
            #expect(twice.status == 422 && twice.code == "REPORT_ALREADY_SUBMITTED", "\(twice.body)")
            #expect(await mrv.head == head)

            // The province assigns the verifier: only its own province, a registered verifier.
            let outside = try await api.call("POST", Self.report(Self.yuehai) + "/verifier", token: t["sc"], key: "a-gd", body: #"{"verifier":"V-GDHC"}"#)
            #expect(outside.status == 403 && outside.code == "FORBIDDEN", "\(outside.body)")
            let byEntity = try await api.call("POST", path + "/verifier", token: t["e1"], key: "a-e1", body: #"{"verifier":"V-SCQC"}"#)
            #expect(byEntity.status == 403)
            let unknown = try await api.call("POST", path + "/verifier", token: t["sc"], key: "a-x", body: #"{"verifier":"V-NONE"}"#)
            #expect(unknown.status == 422 && unknown.code == "UNKNOWN_VERIFIER", "\(unknown.body)")
            let noEntity = try await api.call("POST", "/api/v1/mrv/entities/NOPE/reports/2024/verifier", token: t["sc"], key: "a-n", body: #"{"verifier":"V-SCQC"}"#)
            #expect(noEntity.status == 404 && noEntity.code == "UNKNOWN_ENTITY", "\(noEntity.body)")
            #expect(await mrv.head == head)
            let assigned = try await api.call("POST", path + "/verifier", token: t["sc"], key: "assign", body: #"{"verifier":"V-SCQC"}"#)
            #expect(assigned.status == 200 && Self.reportJSON(assigned)["status"] as? String == "verifying"
                && Self.reportJSON(assigned)["verifier"] as? String == DemoMRV.verifier.rawValue, "\(assigned.body)")

            // The verifier's assignments; others may not list them.
            let assignments = try await api.call("GET", "/api/v1/mrv/assignments", token: t["verifier"])
            let listed = (assignments.json["items"] as? [[String: Any]] ?? []).map { "\($0["entity"] ?? "") \($0["year"] ?? "")" }
            #expect(assignments.status == 200 && listed.contains("\(Self.chuanneng.uscc) 2024") && listed.contains("\(Self.jialingjiang.uscc) 2024"), "\(assignments.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/assignments", token: t["e1"]).status == 403)
            #expect(try await api.call("GET", "/api/v1/mrv/assignments", token: t["sc"]).status == 403)

            // A finding: the verifier only; the entity may not record one.
            let findingBody = Self.json([
                "facility": Self.chuanneng.facility.rawValue, "month": 12, "item": "coal.ncv", "description": "十二月低位发热量化验报告缺失",
                "requiredCorrection": "按化验报告更正",
            ])
            head = await mrv.head
            #expect(try await api.call("POST", path + "/findings", token: t["e1"], key: "f-e1", body: findingBody).status == 403)
            let wrongFacility = try await api.call("POST", path + "/findings", token: t["verifier"], key: "f-x", body: Self.json([
                "facility": Self.jialingjiang.facility.rawValue, "item": "coal.ncv", "description": "d", "requiredCorrection": "c"]))
            #expect(wrongFacility.status == 422 && wrongFacility.code == "UNKNOWN_FACILITY", "\(wrongFacility.body)")
            #expect(await mrv.head == head)
            let finding = try await api.call("POST", path + "/findings", token: t["verifier"], key: "finding", body: findingBody)
            #expect(finding.status == 200 && finding.json["finding"] as? Int == 1, "\(finding.body)")
            let findingAgain = try await api.call("POST", path + "/findings", token: t["verifier"], key: "finding", body: findingBody)
            #expect(findingAgain.json["replayed"] as? Bool == true && (Self.reportJSON(findingAgain)["findings"] as? [Any])?.count == 1, "\(findingAgain.body)")

            // Concluding with an open finding is refused.
            let facilities = Self.reportJSON(assigned)["facilities"] as? [[String: Any]] ?? []
            let conclusion = Self.json(["facilities": facilities.map {
                ["facility": $0["facility"] ?? "", "emissionsTonnes": $0["totalTonnes"] ?? "", "output": $0["generationMWh"] ?? ""]
            }])
            head = await mrv.head
            let open = try await api.call("POST", path + "/conclusion", token: t["verifier"], key: "c-open", body: conclusion)
            #expect(open.status == 422 && open.code == "OPEN_FINDINGS", "\(open.body)")
            #expect(await mrv.head == head)

            // The entity corrects December (exactly one month, its own), answers the finding, resubmits.
            var corrected = december
            corrected.fuels[0].ncvGJPerUnit = .measured(ExactDecimal("20.5")!)
            let two = MRVCSV.exportMonths([corrected, DemoMRV.month(Self.chuanneng, year: 2024, month: 11)])
            let twoMonths = try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["e1"], key: "k-2", body: Self.json(["csv": two, "reason": "r"]))
            #expect(twoMonths.status == 422 && twoMonths.code == "INVALID_INPUT", "\(twoMonths.body)")
            var theirs = DemoMRV.month(Self.jialingjiang, year: 2024, month: 12)
            theirs.fuels[0].ncvGJPerUnit = .measured(ExactDecimal("21")!)
            let other = try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["e1"], key: "k-o", body: Self.json(["csv": Self.csv(theirs), "reason": "r"]))
            #expect(other.status == 422 && other.code == "MRV_NOT_PERMITTED", "\(other.body)")
            let unchanged = try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["e1"], key: "k-u", body: Self.json(["csv": Self.csv(december), "reason": "r"]))
            #expect(unchanged.status == 422 && unchanged.code == "INVALID_VALUE", "\(unchanged.body)")
            #expect(try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["sc"], key: "k-sc", body: Self.json(["csv": Self.csv(corrected), "reason": "r"])).status == 403)
            #expect(await mrv.head == head)
            let correction = Self.json(["csv": Self.csv(corrected), "reason": "按化验报告更正低位发热量"])
            let fixed = try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["e1"], key: "fix", body: correction)
            #expect(fixed.status == 200 && fixed.json["months"] as? [String] == ["\(Self.chuanneng.facility.rawValue)/2024-12"], "\(fixed.body)")
            let fixedAgain = try await api.call("POST", "/api/v1/mrv/monthly-data/corrections", token: t["e1"], key: "fix", body: correction)
            #expect(fixedAgain.json["replayed"] as? Bool == true && fixedAgain.json["seq"] as? Int == fixed.json["seq"] as? Int)
            #expect(await mrv.state.months[december.key]?.corrections == 1)

            head = await mrv.head
            let noFinding = try await api.call("POST", path + "/findings/9/resolve", token: t["e1"], key: "r-9", body: #"{"response":"x"}"#)
            #expect(noFinding.status == 422 && noFinding.code == "UNKNOWN_FINDING", "\(noFinding.body)")
            #expect(try await api.call("POST", path + "/findings/1/resolve", token: t["e3"], key: "r-e3", body: #"{"response":"x"}"#).status == 403)
            #expect(try await api.call("POST", path + "/findings/1/resolve", token: t["verifier"], key: "r-v", body: #"{"response":"x"}"#).status == 403)
            #expect(await mrv.head == head)
            let resolved = try await api.call("POST", path + "/findings/1/resolve", token: t["e1"], key: "resolve", body: #"{"response":"已补交化验报告并更正"}"#)
            let resolvedFinding = (Self.reportJSON(resolved)["findings"] as? [[String: Any]])?.first
            #expect(resolved.status == 200 && resolvedFinding?["response"] as? String == "已补交化验报告并更正" && resolvedFinding?["resolvedAt"] != nil, "\(resolved.body)")
            let resolvedTwice = try await api.call("POST", path + "/findings/1/resolve", token: t["e1"], key: "resolve-2", body: #"{"response":"again"}"#)
            #expect(resolvedTwice.status == 422 && resolvedTwice.code == "FINDING_RESOLVED", "\(resolvedTwice.body)")
            let resubmitted = try await api.call("POST", path + "/resubmit", token: t["e1"], key: "resubmit", body: #"{"reason":"十二月数据已更正"}"#)
            #expect(resubmitted.status == 200 && Self.reportJSON(resubmitted)["version"] as? Int == 2
                && Self.reportJSON(resubmitted)["previousVersions"] as? Int == 1, "\(resubmitted.body)")

            // The verifier concludes with the resubmitted figures; bad figures are refused first.
            let figures = Self.reportJSON(resubmitted)["facilities"] as? [[String: Any]] ?? []
            let verified = Self.json(["facilities": figures.map {
                ["facility": $0["facility"] ?? "", "emissionsTonnes": $0["totalTonnes"] ?? "", "output": $0["generationMWh"] ?? ""]
            }])
            head = await mrv.head
            let notNumber = try await api.call("POST", path + "/conclusion", token: t["verifier"], key: "c-x", body: Self.json([
                "facilities": [["facility": Self.chuanneng.facility.rawValue, "emissionsTonnes": "x", "output": "1"]]]))
            #expect(notNumber.status == 400 && notNumber.code == "INVALID_INPUT", "\(notNumber.body)")
            let wrongSet = try await api.call("POST", path + "/conclusion", token: t["verifier"], key: "c-w", body: Self.json([
                "facilities": [["facility": "SC-OTHER", "emissionsTonnes": "1", "output": "1"]]]))
            #expect(wrongSet.status == 422 && wrongSet.code == "INVALID_VALUE", "\(wrongSet.body)")
            #expect(try await api.call("POST", path + "/conclusion", token: t["sc"], key: "c-sc", body: verified).status == 403)
            #expect(await mrv.head == head)
            let concluded = try await api.call("POST", path + "/conclusion", token: t["verifier"], key: "conclude", body: verified)
            #expect(concluded.status == 200 && Self.reportJSON(concluded)["status"] as? String == "concluded", "\(concluded.body)")
            let verifiedFigures = Self.reportJSON(concluded)["verified"] as? [[String: Any]] ?? []
            #expect(verifiedFigures.first?["emissionsTonnes"] as? String == figures.first?["totalTonnes"] as? String)

            // Reviews: city, then province, then national, each at its own level and scope.
            head = await mrv.head
            let review = { (level: String, decision: String) in Self.json(["level": level, "decision": decision]) }
            let early2 = try await api.call("POST", path + "/reviews", token: t["sc"], key: "v-early", body: review("province", "approve"))
            #expect(early2.status == 422 && early2.code == "REVIEW_OUT_OF_ORDER", "\(early2.body)")
            let noReason = try await api.call("POST", path + "/reviews", token: t["chengdu"], key: "v-nr", body: review("city", "return"))
            #expect(noReason.status == 422 && noReason.code == "REASON_REQUIRED", "\(noReason.body)")
            let wrongLevel = try await api.call("POST", path + "/reviews", token: t["chengdu"], key: "v-wl", body: review("province", "approve"))
            #expect(wrongLevel.status == 403 && wrongLevel.code == "FORBIDDEN", "\(wrongLevel.body)")
            let otherCity = try await api.call("POST", Self.report(Self.jialingjiang, 2023) + "/reviews", token: t["chengdu"], key: "v-oc", body: review("city", "approve"))
            #expect(otherCity.status == 403 && otherCity.code == "FORBIDDEN", "\(otherCity.body)")
            #expect(try await api.call("POST", path + "/reviews", token: t["e1"], key: "v-e1", body: review("city", "approve")).status == 403)
            #expect(await mrv.head == head)
            let city = try await api.call("POST", path + "/reviews", token: t["chengdu"], key: "v-city", body: review("city", "approve"))
            #expect(city.status == 200 && Self.reportJSON(city)["status"] as? String == "city_approved", "\(city.body)")
            let province = try await api.call("POST", path + "/reviews", token: t["sc"], key: "v-province", body: review("province", "approve"))
            #expect(province.status == 200 && Self.reportJSON(province)["status"] as? String == "province_approved", "\(province.body)")
            let national = try await api.call("POST", path + "/reviews", token: t["mee"], key: "v-national", body: review("national", "approve"))
            #expect(national.status == 200 && Self.reportJSON(national)["status"] as? String == "approved", "\(national.body)")
            let nationalAgain = try await api.call("POST", path + "/reviews", token: t["mee"], key: "v-national", body: review("national", "approve"))
            #expect(nationalAgain.json["replayed"] as? Bool == true && nationalAgain.json["seq"] as? Int == national.json["seq"] as? Int)
            let approved = await mrv.state.reports[key]
            #expect(approved?.status == .approved && approved?.reviews.count == 3)

            // The report in full, for the readers of the report list.
            let full = try await api.call("GET", path, token: t["e1"])
            let reviews = (full.json["reviews"] as? [[String: Any]] ?? []).map { $0["level"] as? String ?? "" }
            #expect(full.status == 200 && full.json["status"] as? String == "approved" && reviews == ["city", "province", "national"]
                && (full.json["findings"] as? [Any])?.count == 1 && full.json["concludedAt"] != nil, "\(full.body)")
            #expect(try await api.call("GET", path, token: t["sc"]).status == 200)
            #expect(try await api.call("GET", path, token: t["mee"]).status == 200)
            // City staff read their city's reports only (Jialingjiang is in another city of Sichuan).
            #expect(try await api.call("GET", path, token: t["chengdu"]).status == 200)
            #expect(try await api.call("GET", Self.report(Self.jialingjiang, 2023), token: t["chengdu"]).status == 403)
            #expect(try await api.call("GET", path, token: t["e3"]).status == 403)
            #expect(try await api.call("GET", path, token: t["verifier"]).status == 403)
            let missing = try await api.call("GET", Self.report(Self.chuanneng, 2020), token: t["e1"])
            #expect(missing.status == 404 && missing.code == "UNKNOWN_REPORT", "\(missing.body)")
        }
    }

    /// A return sends the report back to verification; a verifier not assigned to a report may
    /// not touch it.
    @Test(arguments: databases) func returnsAndTheAssignedVerifier(database: String) async throws {
        let world = try await Self.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Self.serve(world) { api in
            // Jialingjiang 2023 awaits the province (the city approved it): returned with a reason.
            let path = Self.report(Self.jialingjiang, 2023)
            let returned = try await api.call("POST", path + "/reviews", token: t["sc"], key: "ret", body: #"{"level":"province","decision":"return","reasons":["核查结论与月报不符"]}"#)
            let last = (Self.reportJSON(returned)["reviews"] as? [[String: Any]])?.last
            #expect(returned.status == 200 && Self.reportJSON(returned)["status"] as? String == "verifying"
                && last?["approved"] as? Bool == false && last?["reasons"] as? [String] == ["核查结论与月报不符"], "\(returned.body)")
            // Another verifier's report (Chuanneng 2024, assigned to V-GDHC by the system): 403.
            let other = try await mrv.execute(MRVRequest(idempotencyKey: "t-sub", command: .submitMonth(DemoMRV.month(Self.chuanneng, year: 2024, month: 12))))
            #expect(other.receipt != nil)
            let key = MRVEntityID(Self.chuanneng.uscc)
            #expect(try await mrv.execute(MRVRequest(idempotencyKey: "t-rep", command: .submitReport(entity: key, year: 2024))).receipt != nil)
            #expect(try await mrv.execute(MRVRequest(idempotencyKey: "t-asg", command: .assignVerifier(entity: key, year: 2024, verifier: "V-GDHC"))).receipt != nil)
            let head = await mrv.head
            let foreign = try await api.call("POST", Self.report(Self.chuanneng) + "/findings", token: t["verifier"], key: "f", body: Self.json([
                "facility": Self.chuanneng.facility.rawValue, "item": "coal.ncv", "description": "d", "requiredCorrection": "c"]))
            #expect(foreign.status == 403 && foreign.code == "FORBIDDEN", "\(foreign.body)")
            let assignments = try await api.call("GET", "/api/v1/mrv/assignments", token: t["verifier"])
            let entities = (assignments.json["items"] as? [[String: Any]] ?? []).map { "\($0["entity"] ?? "") \($0["year"] ?? "")" }
            #expect(!entities.contains("\(Self.chuanneng.uscc) 2024"), "\(assignments.body)")
            #expect(await mrv.head == head)
        }
    }
}
