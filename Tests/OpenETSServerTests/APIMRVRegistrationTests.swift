import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// MRV registration, control plans, evidence files and consultant declarations through the
/// REST API only, on the live server over the demo market and the demo MRV history (drill
/// clock 2025-06-03): each operation's success, its replay under the same Idempotency-Key (same
/// `seq`, `replayed`, the MRV journal head unchanged), each refusal of the MRV platform with its
/// code and the head unchanged, 403 for roles without the action and for callers outside their
/// scope (another entity, another province, a city). SQLite always; PostgreSQL when a server
/// is named.
@Suite("REST API: MRV registration, control plans, evidence, consultants")
struct APIMRVRegistrationTests {
    typealias Fetched = APIPermissionWalkTests.Fetched
    typealias Workflow = APIMRVWorkflowTests

    static let chuanneng = DemoMRV.entities[0]
    static let yuehai = DemoMRV.entities[2]
    /// A valid unified social credit code no demo entity has.
    static let newUSCC = "91510100MA6123456W"

    static func json(_ object: Any) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    /// `APIHandler.maxEvidenceBodyBytes`, the body limit of depositMRVEvidence (internal to the server module).
    static let maxEvidenceBodyBytes = 48 << 20

    /// Whether no evidence bytes are stored under `sha256`.
    static func notStored(_ mrv: MRVService, _ sha256: String) async throws -> Bool {
        if case .failure(let error) = try await mrv.evidence(sha256) { return error.code == .unknownEvidence }
        return false
    }

    static func items(_ answer: Fetched) -> [[String: Any]] { answer.json["items"] as? [[String: Any]] ?? [] }

    @Test(arguments: Workflow.databases) func registrationAndControlPlans(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Workflow.serve(world) { api in
            // Entities in scope: the entity itself, its province, its city, the MEE everything.
            let ids = { (answer: Fetched) in Set(Self.items(answer).compactMap { $0["id"] as? String }) }
            let own = try await api.call("GET", "/api/v1/mrv/entities", token: t["e1"])
            #expect(own.status == 200 && ids(own) == [Self.chuanneng.uscc], "\(own.body)")
            let sichuan = try await api.call("GET", "/api/v1/mrv/entities", token: t["sc"])
            #expect(ids(sichuan) == Set(DemoMRV.entities.filter { $0.province == "SC" }.map(\.uscc) + [DemoMRV.cityEntity.uscc]), "\(sichuan.body)")
            let chengdu = try await api.call("GET", "/api/v1/mrv/entities", token: t["chengdu"])
            #expect(ids(chengdu) == [Self.chuanneng.uscc, DemoMRV.cityEntity.uscc], "\(chengdu.body)")
            let national = try await api.call("GET", "/api/v1/mrv/entities?limit=2", token: t["mee"])
            #expect(national.json["total"] as? Int == DemoMRV.entities.count + 1 && Self.items(national).count == 2 && national.json["nextOffset"] as? Int == 2)
            for user in ["verifier", "i1", "registrar"] {
                #expect(try await api.call("GET", "/api/v1/mrv/entities", token: t[user]).status == 403, "\(user)")
            }

            // Register an entity: province staff for their own province, the MEE; nobody else.
            let entity = Self.json(["uscc": Self.newUSCC, "name": "绵阳热电 Mianyang Thermal", "province": "SC", "city": "绵阳", "sector": "power"])
            var head = await mrv.head
            for user in ["e1", "chengdu", "verifier", "i1", "registrar"] {
                let refused = try await api.call("POST", "/api/v1/mrv/entities", token: t[user], key: "re-\(user)", body: entity)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let elsewhere = try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], key: "re-gd", body: Self.json([
                "uscc": Self.newUSCC, "name": "x", "province": "GD", "city": "广州", "sector": "power"]))
            #expect(elsewhere.status == 403 && elsewhere.code == "FORBIDDEN", "\(elsewhere.body)")
            let badCode = try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], key: "re-bad", body: Self.json([
                "uscc": "91510100MA6123456X", "name": "x", "province": "SC", "city": "绵阳", "sector": "power"]))
            #expect(badCode.status == 422 && badCode.code == "INVALID_USCC", "\(badCode.body)")
            #expect(try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], body: entity).status == 400)
            #expect(try await api.call("POST", "/api/v1/mrv/entities", token: nil, key: "anon", body: entity).status == 401)
            #expect(await mrv.head == head)
            let registered = try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], key: "reg-entity", body: entity)
            #expect(registered.status == 201 && registered.json["id"] as? String == Self.newUSCC && registered.json["replayed"] as? Bool == false, "\(registered.body)")
            head = await mrv.head
            let replayed = try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], key: "reg-entity", body: entity)
            #expect(replayed.status == 201 && replayed.json["replayed"] as? Bool == true && replayed.json["seq"] as? Int == registered.json["seq"] as? Int)
            let reused = try await api.call("POST", "/api/v1/mrv/entities", token: t["sc"], key: "reg-entity", body: Self.json([
                "uscc": Self.newUSCC, "name": "another name", "province": "SC", "city": "绵阳", "sector": "power"]))
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            let duplicate = try await api.call("POST", "/api/v1/mrv/entities", token: t["mee"], key: "reg-entity-2", body: entity)
            #expect(duplicate.status == 422 && duplicate.code == "DUPLICATE_ENTITY", "\(duplicate.body)")
            #expect(await mrv.head == head)
            #expect(await mrv.state.entities[MRVEntityID(Self.newUSCC)]?.city == "绵阳")

            // Register a facility: of an entity of the caller's province (the MEE: any).
            let unit = Self.json([
                "id": "SC-MIANYANG-U1", "entity": Self.newUSCC, "name": "绵阳热电 1号机组", "kind": "power", "fuels": ["coal"],
                "power": ["category": "coal_le300", "capacityMW": "300", "cooling": "air"],
            ] as [String: Any])
            head = await mrv.head
            let foreign = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "rf-gd", body: Self.json([
                "id": "GD-NEW-U1", "entity": Self.yuehai.uscc, "name": "x", "kind": "steel", "fuels": ["coal"]]))
            #expect(foreign.status == 403 && foreign.code == "FORBIDDEN", "\(foreign.body)")
            #expect(try await api.call("POST", "/api/v1/mrv/facilities", token: t["e1"], key: "rf-e1", body: unit).status == 403)
            let noEntity = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "rf-none", body: Self.json([
                "id": "X-U1", "entity": "NOPE", "name": "x", "kind": "steel", "fuels": ["coal"]]))
            #expect(noEntity.status == 422 && noEntity.code == "UNKNOWN_ENTITY", "\(noEntity.body)")
            let noPowerUnit = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "rf-np", body: Self.json([
                "id": "SC-MIANYANG-U2", "entity": Self.newUSCC, "name": "x", "kind": "power", "fuels": ["coal"]]))
            #expect(noPowerUnit.status == 422 && noPowerUnit.code == "INVALID_VALUE", "\(noPowerUnit.body)")
            let badCapacity = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "rf-bc", body: Self.json([
                "id": "SC-MIANYANG-U2", "entity": Self.newUSCC, "name": "x", "kind": "power", "fuels": ["coal"],
                "power": ["category": "coal_le300", "capacityMW": "3OO", "cooling": "air"]] as [String: Any]))
            #expect(badCapacity.status == 400 && badCapacity.code == "INVALID_INPUT", "\(badCapacity.body)")
            #expect(await mrv.head == head)
            let facility = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "reg-unit", body: unit)
            #expect(facility.status == 201 && facility.json["id"] as? String == "SC-MIANYANG-U1", "\(facility.body)")
            head = await mrv.head
            let facilityAgain = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "reg-unit", body: unit)
            #expect(facilityAgain.json["replayed"] as? Bool == true && facilityAgain.json["seq"] as? Int == facility.json["seq"] as? Int)
            let sameID = try await api.call("POST", "/api/v1/mrv/facilities", token: t["sc"], key: "reg-unit-2", body: unit)
            #expect(sameID.status == 422 && sameID.code == "DUPLICATE_FACILITY", "\(sameID.body)")
            #expect(await mrv.head == head)
            let byMEE = try await api.call("POST", "/api/v1/mrv/facilities", token: t["mee"], key: "reg-gd", body: Self.json([
                "id": "GD-YUEHAI-K1", "entity": Self.yuehai.uscc, "name": "粤海 熟料线", "kind": "cement_clinker", "fuels": ["coal", "diesel"]]))
            #expect(byMEE.status == 201, "\(byMEE.body)")

            // The entity's facilities: its readers only.
            let units = try await api.call("GET", "/api/v1/mrv/entities/\(Self.newUSCC)/facilities", token: t["sc"])
            let first = Self.items(units).first
            #expect(units.status == 200 && Self.items(units).count == 1 && first?["kind"] as? String == "power"
                && (first?["power"] as? [String: Any])?["capacityMW"] as? String == "300", "\(units.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/entities/\(Self.newUSCC)/facilities", token: t["e1"]).status == 403)
            #expect(try await api.call("GET", "/api/v1/mrv/entities/\(Self.newUSCC)/facilities", token: t["chengdu"]).status == 403)
            #expect(try await api.call("GET", "/api/v1/mrv/entities/\(Self.yuehai.uscc)/facilities", token: t["sc"]).status == 403)
            let yuehaiUnits = try await api.call("GET", "/api/v1/mrv/entities/\(Self.yuehai.uscc)/facilities", token: t["e3"])
            #expect(Self.items(yuehaiUnits).map { $0["id"] as? String } == [Self.yuehai.facility.rawValue, "GD-YUEHAI-K1"], "\(yuehaiUnits.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/entities/NOPE/facilities", token: t["mee"]).code == "UNKNOWN_ENTITY")

            // Verification bodies: the MEE alone registers them (mrv_accredit_verifier); a province
            // is refused at the API's door (403 FORBIDDEN), not by the MRV platform, nothing written.
            let body = #"{"id":"V-MYHC","name":"绵阳核查中心 Mianyang Verification"}"#
            head = await mrv.head
            let byProvince = try await api.call("POST", "/api/v1/mrv/verifiers", token: t["sc"], key: "rv-sc", body: body)
            #expect(byProvince.status == 403 && byProvince.code == "FORBIDDEN", "\(byProvince.body)")
            #expect(await mrv.head == head)
            #expect(await mrv.state.verifiers["V-MYHC"] == nil)
            for user in ["e1", "verifier", "chengdu"] {
                #expect(try await api.call("POST", "/api/v1/mrv/verifiers", token: t[user], key: "rv-\(user)", body: body).status == 403, "\(user)")
            }
            let noName = try await api.call("POST", "/api/v1/mrv/verifiers", token: t["mee"], key: "rv-blank", body: #"{"id":"V-MYHC","name":"  "}"#)
            #expect(noName.status == 422 && noName.code == "INVALID_VALUE", "\(noName.body)")
            #expect(await mrv.head == head)
            let verifier = try await api.call("POST", "/api/v1/mrv/verifiers", token: t["mee"], key: "reg-v", body: body)
            #expect(verifier.status == 201 && verifier.json["id"] as? String == "V-MYHC", "\(verifier.body)")
            let verifierAgain = try await api.call("POST", "/api/v1/mrv/verifiers", token: t["mee"], key: "reg-v", body: body)
            #expect(verifierAgain.json["replayed"] as? Bool == true && verifierAgain.json["seq"] as? Int == verifier.json["seq"] as? Int)
            let twice = try await api.call("POST", "/api/v1/mrv/verifiers", token: t["mee"], key: "reg-v-2", body: body)
            #expect(twice.status == 422 && twice.code == "DUPLICATE_VERIFIER", "\(twice.body)")
            let verifiers = try await api.call("GET", "/api/v1/mrv/verifiers", token: t["e1"])
            #expect(Set(Self.items(verifiers).compactMap { $0["id"] as? String }) == ["V-GDHC", "V-MYHC", DemoMRV.verifier.rawValue], "\(verifiers.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/verifiers", token: t["i1"]).status == 403)

            // Control plans: the entity submits, the province returns (with a reason) or approves.
            let unitPath = "/api/v1/mrv/facilities/\(Self.chuanneng.facility.rawValue)/control-plans"
            let plan = Self.json(["items": [
                ["item": "coal.consumption", "source": "measured", "method": "皮带秤", "meter": "BS-01", "frequency": "每批次", "fallback": "入厂煤量"],
                ["item": "coal.ncv", "source": "measured", "method": "GB/T 213", "meter": "热量计", "frequency": "每日", "lab": "厂内化验室", "fallback": "缺省值"],
                ["item": "coal.oxidation", "source": "default", "fallback": "缺省值"],
            ]])
            head = await mrv.head
            for user in ["sc", "mee", "verifier", "e1-approver", "i1"] {
                let refused = try await api.call("POST", unitPath, token: t[user], key: "p-\(user)", body: plan)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            #expect(try await api.call("POST", unitPath, token: t["e3"], key: "p-e3", body: plan).status == 403)
            let unknownUnit = try await api.call("POST", "/api/v1/mrv/facilities/NOPE/control-plans", token: t["e1"], key: "p-none", body: plan)
            #expect(unknownUnit.status == 404 && unknownUnit.code == "UNKNOWN_FACILITY", "\(unknownUnit.body)")
            let noMeter = try await api.call("POST", unitPath, token: t["e1"], key: "p-nm", body: Self.json(["items": [
                ["item": "coal.ncv", "source": "measured", "method": "GB/T 213", "frequency": "每日", "fallback": "缺省值"]]]))
            #expect(noMeter.status == 422 && noMeter.code == "INVALID_VALUE", "\(noMeter.body)")
            #expect(await mrv.head == head)
            let submitted = try await api.call("POST", unitPath, token: t["e1"], key: "plan-1", body: plan)
            let v1 = submitted.json["plan"] as? [String: Any] ?? [:]
            #expect(submitted.status == 201 && v1["version"] as? Int == 1 && v1["status"] as? String == "submitted"
                && v1["entity"] as? String == Self.chuanneng.uscc && (v1["items"] as? [Any])?.count == 3, "\(submitted.body)")
            head = await mrv.head
            let submittedAgain = try await api.call("POST", unitPath, token: t["e1"], key: "plan-1", body: plan)
            #expect(submittedAgain.json["replayed"] as? Bool == true && submittedAgain.json["seq"] as? Int == submitted.json["seq"] as? Int)
            let underReview = try await api.call("POST", unitPath, token: t["e1"], key: "plan-1b", body: plan)
            #expect(underReview.status == 422 && underReview.code == "PLAN_UNDER_REVIEW", "\(underReview.body)")
            let planCount = await mrv.state.plans[Self.chuanneng.facility]?.count
            #expect(await mrv.head == head && planCount == 1)

            // The decision: the province of the facility's entity only; a return needs a reason.
            let decide = unitPath + "/1/decision"
            let back = Self.json(["decision": "return", "reasons": ["计量器具 BS-01 未列检定周期"]])
            for user in ["e1", "chengdu", "mee", "verifier"] {
                #expect(try await api.call("POST", decide, token: t[user], key: "d-\(user)", body: back).status == 403, "\(user)")
            }
            let otherProvince = try await api.call(
                "POST", "/api/v1/mrv/facilities/\(Self.yuehai.facility.rawValue)/control-plans/1/decision", token: t["sc"], key: "d-gd", body: back)
            #expect(otherProvince.status == 403 && otherProvince.code == "FORBIDDEN", "\(otherProvince.body)")
            let noReason = try await api.call("POST", decide, token: t["sc"], key: "d-nr", body: #"{"decision":"return"}"#)
            #expect(noReason.status == 422 && noReason.code == "REASON_REQUIRED", "\(noReason.body)")
            let noVersion = try await api.call("POST", unitPath + "/7/decision", token: t["sc"], key: "d-v7", body: #"{"decision":"approve"}"#)
            #expect(noVersion.status == 422 && noVersion.code == "UNKNOWN_PLAN", "\(noVersion.body)")
            #expect(await mrv.head == head)
            let returned = try await api.call("POST", decide, token: t["sc"], key: "return-1", body: back)
            let r1 = returned.json["plan"] as? [String: Any] ?? [:]
            #expect(returned.status == 200 && r1["status"] as? String == "returned" && r1["reasons"] as? [String] == ["计量器具 BS-01 未列检定周期"]
                && r1["decidedAt"] != nil, "\(returned.body)")
            head = await mrv.head
            let returnedAgain = try await api.call("POST", decide, token: t["sc"], key: "return-1", body: back)
            #expect(returnedAgain.json["replayed"] as? Bool == true && returnedAgain.json["seq"] as? Int == returned.json["seq"] as? Int)
            let approveReturned = try await api.call("POST", decide, token: t["sc"], key: "approve-1", body: #"{"decision":"approve"}"#)
            #expect(approveReturned.status == 422 && approveReturned.code == "INVALID_TRANSITION", "\(approveReturned.body)")
            #expect(await mrv.head == head)
            let second = try await api.call("POST", unitPath, token: t["e1"], key: "plan-2", body: plan)
            #expect((second.json["plan"] as? [String: Any])?["version"] as? Int == 2, "\(second.body)")
            let approved = try await api.call("POST", unitPath + "/2/decision", token: t["sc"], key: "approve-2", body: #"{"decision":"approve"}"#)
            #expect(approved.status == 200 && (approved.json["plan"] as? [String: Any])?["status"] as? String == "approved", "\(approved.body)")
            #expect(await mrv.state.approvedPlan(Self.chuanneng.facility)?.version == 2)

            // Reads: one version (its readers), the list in scope, filtered by status.
            let one = try await api.call("GET", unitPath + "/1", token: t["chengdu"])
            #expect(one.status == 200 && one.json["status"] as? String == "returned" && one.json["version"] as? Int == 1, "\(one.body)")
            #expect(try await api.call("GET", unitPath + "/1", token: t["e1"]).status == 200)
            #expect(try await api.call("GET", unitPath + "/1", token: t["e3"]).status == 403)
            #expect(try await api.call("GET", unitPath + "/1", token: t["verifier"]).status == 403)
            let missing = try await api.call("GET", unitPath + "/3", token: t["sc"])
            #expect(missing.status == 404 && missing.code == "UNKNOWN_PLAN", "\(missing.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/facilities/NOPE/control-plans/1", token: t["sc"]).code == "UNKNOWN_FACILITY")
            let all = try await api.call("GET", "/api/v1/mrv/control-plans", token: t["sc"])
            #expect(all.json["total"] as? Int == 2 && Self.items(all).map { $0["version"] as? Int } == [1, 2], "\(all.body)")
            let inForce = try await api.call("GET", "/api/v1/mrv/control-plans?status=approved", token: t["mee"])
            #expect(Self.items(inForce).map { $0["version"] as? Int } == [2], "\(inForce.body)")
            let notTheirs = try await api.call("GET", "/api/v1/mrv/control-plans", token: t["e3"])
            #expect(notTheirs.status == 200 && notTheirs.json["total"] as? Int == 0, "\(notTheirs.body)")
            #expect(try await api.call("GET", "/api/v1/mrv/control-plans", token: t["registrar"]).status == 403)
        }
    }

    @Test(arguments: Workflow.databases) func evidenceAndConsultants(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Workflow.serve(world) { api in
            let unit = Self.chuanneng.facility.rawValue
            let november = "/api/v1/mrv/facilities/\(unit)/months/2024/11/evidence"
            let scan = Array("coal NCV lab report, November 2024".utf8)
            let sha = evidenceSHA256(scan)
            func deposit(_ files: [[String: Any]], reason: String? = nil, replaceAll: Bool? = nil) -> String {
                var body: [String: Any] = ["files": files]
                if let reason { body["reason"] = reason }
                if let replaceAll { body["replaceAll"] = replaceAll }
                return Self.json(body)
            }
            func file(_ name: String, _ bytes: [UInt8], media: String = "application/pdf", sha256: String? = nil) -> [String: Any] {
                var f: [String: Any] = ["name": name, "mediaType": media, "contentBase64": Data(bytes).base64EncodedString(), "item": "coal.ncv"]
                if let sha256 { f["sha256"] = sha256 }
                return f
            }
            let lab = deposit([file("ncv-2024-11.pdf", scan, sha256: sha)], reason: "补交化验报告")

            // Refusals first: roles, scope, an unknown facility, a month not submitted, bad files.
            var head = await mrv.head
            for user in ["sc", "mee", "verifier", "e1-approver", "e3"] {
                let refused = try await api.call("POST", november, token: t[user], key: "e-\(user)", body: lab)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let unknown = try await api.call("POST", "/api/v1/mrv/facilities/NOPE/months/2024/11/evidence", token: t["e1"], key: "e-none", body: lab)
            #expect(unknown.status == 404 && unknown.code == "UNKNOWN_FACILITY", "\(unknown.body)")
            let notSubmitted = try await api.call("POST", "/api/v1/mrv/facilities/\(unit)/months/2024/12/evidence", token: t["e1"], key: "e-dec", body: lab)
            #expect(notSubmitted.status == 422 && notSubmitted.code == "MONTH_NOT_SUBMITTED", "\(notSubmitted.body)")
            let wrongHash = try await api.call("POST", november, token: t["e1"], key: "e-hash", body: deposit([file("a.pdf", scan, sha256: String(repeating: "0", count: 64))]))
            #expect(wrongHash.status == 422 && wrongHash.code == "EVIDENCE_HASH_MISMATCH", "\(wrongHash.body)")
            let badMedia = try await api.call("POST", november, token: t["e1"], key: "e-media", body: deposit([file("a.pdf", scan, media: "pdf")]))
            #expect(badMedia.status == 422 && badMedia.code == "INVALID_EVIDENCE", "\(badMedia.body)")
            let notBase64 = try await api.call("POST", november, token: t["e1"], key: "e-b64", body: #"{"files":[{"name":"a.pdf","mediaType":"application/pdf","contentBase64":"%%%"}]}"#)
            #expect(notBase64.status == 400 && notBase64.code == "INVALID_INPUT", "\(notBase64.body)")
            #expect(await mrv.head == head)
            #expect(try await Self.notStored(mrv, sha))

            // Deposited: listed with its SHA-256, the bytes stored; a replay stores nothing twice.
            let deposited = try await api.call("POST", november, token: t["e1"], key: "ev-1", body: lab)
            let current = (deposited.json["evidence"] as? [String: Any])?["current"] as? [[String: Any]] ?? []
            #expect(deposited.status == 200 && current.contains { $0["name"] as? String == "ncv-2024-11.pdf" && $0["sha256"] as? String == sha }, "\(deposited.body)")
            #expect(try await mrv.evidence(sha).get().bytes == scan)
            head = await mrv.head
            let again = try await api.call("POST", november, token: t["e1"], key: "ev-1", body: lab)
            #expect(again.status == 200 && again.json["replayed"] as? Bool == true && again.json["seq"] as? Int == deposited.json["seq"] as? Int, "\(again.body)")
            let unchanged = try await api.call("POST", november, token: t["e1"], key: "ev-1b", body: lab)
            #expect(unchanged.status == 422 && unchanged.code == "INVALID_VALUE", "\(unchanged.body)")
            #expect(await mrv.head == head)

            // A second file is added; with replaceAll the list is only the new file; the history keeps every list.
            let photo = Array("meter photo".utf8)
            let added = try await api.call("POST", november, token: t["e1"], key: "ev-2", body: deposit([file("meter.jpg", photo, media: "image/jpeg")]))
            let names = ((added.json["evidence"] as? [String: Any])?["current"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(added.status == 200 && names.contains("ncv-2024-11.pdf") && names.contains("meter.jpg"), "\(added.body)")
            let replaced = try await api.call("POST", november, token: t["e1"], key: "ev-3", body: deposit([file("meter.jpg", photo, media: "image/jpeg")], replaceAll: true))
            let only = ((replaced.json["evidence"] as? [String: Any])?["current"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(replaced.status == 200 && only == ["meter.jpg"], "\(replaced.body)")
            let history = try await api.call("GET", november, token: t["sc"])
            let versions = history.json["versions"] as? [[String: Any]] ?? []
            #expect(history.status == 200 && versions.count >= 4 && versions.last?["change"] as? String == "evidence", "\(history.body)")
            #expect(try await api.call("GET", november, token: t["chengdu"]).status == 200)
            #expect(try await api.call("GET", november, token: t["e3"]).status == 403)
            #expect(try await api.call("GET", november, token: t["verifier"]).status == 403)
            let noMonth = try await api.call("GET", "/api/v1/mrv/facilities/\(unit)/months/2024/12/evidence", token: t["e1"])
            #expect(noMonth.status == 404 && noMonth.code == "MONTH_NOT_SUBMITTED", "\(noMonth.body)")

            // The size limits: the data year's maxEvidenceBytes (policy; 422), the body (413).
            var tables = await mrv.policy
            for i in tables.platform.indices { tables.platform[i].limits.maxEvidenceBytes = 64 }
            #expect(try await mrv.publishPolicy(tables, effectiveFrom: "2025-06-01", note: "evidence limit for the API test").get().version >= 1)
            head = await mrv.head
            let big = [UInt8](repeating: 7, count: 65)
            let tooBig = try await api.call("POST", november, token: t["e1"], key: "ev-big", body: deposit([file("big.bin", big, media: "application/octet-stream")]))
            #expect(tooBig.status == 422 && tooBig.code == "LIMIT_EXCEEDED" && tooBig.body.contains("maxEvidenceBytes"), "\(tooBig.body)")
            let huge = #"{"files":[{"name":"huge.bin","mediaType":"application/octet-stream","contentBase64":""#
                + String(repeating: "A", count: Self.maxEvidenceBodyBytes) + #""}]}"#
            let tooLarge = try await api.call("POST", november, token: t["e1"], key: "ev-huge", body: huge)
            #expect(tooLarge.status == 413 && tooLarge.code == "BODY_TOO_LARGE", "\(tooLarge.status)")
            #expect(await mrv.head == head)
            #expect(try await Self.notStored(mrv, evidenceSHA256(big)))

            // Consultant declarations: the entity for itself; a declared consultant may not verify.
            let consultants = "/api/v1/mrv/entities/\(Self.chuanneng.uscc)/consultants"
            let declaration = Self.json(["verifier": DemoMRV.verifier.rawValue, "year": 2024])
            head = await mrv.head
            for user in ["sc", "mee", "verifier", "e1-approver", "e3"] {
                let refused = try await api.call("POST", consultants, token: t[user], key: "c-\(user)", body: declaration)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let unknownVerifier = try await api.call("POST", consultants, token: t["e1"], key: "c-x", body: #"{"verifier":"V-NONE","year":2024}"#)
            #expect(unknownVerifier.status == 422 && unknownVerifier.code == "UNKNOWN_VERIFIER", "\(unknownVerifier.body)")
            let noYear = try await api.call("POST", consultants, token: t["e1"], key: "c-y", body: Self.json(["verifier": DemoMRV.verifier.rawValue, "year": 2003]))
            #expect(noYear.status == 422, "\(noYear.body)")
            #expect(await mrv.head == head)
            let declared = try await api.call("POST", consultants, token: t["e1"], key: "consult", body: declaration)
            #expect(declared.status == 201 && (declared.json["declaration"] as? [String: Any])?["verifier"] as? String == DemoMRV.verifier.rawValue, "\(declared.body)")
            head = await mrv.head
            let declaredAgain = try await api.call("POST", consultants, token: t["e1"], key: "consult", body: declaration)
            #expect(declaredAgain.json["replayed"] as? Bool == true && declaredAgain.json["seq"] as? Int == declared.json["seq"] as? Int)
            #expect(await mrv.head == head)
            let listed = try await api.call("GET", consultants, token: t["sc"])
            #expect(listed.status == 200 && Self.items(listed).map { "\($0["verifier"] ?? "") \($0["year"] ?? "")" } == ["\(DemoMRV.verifier.rawValue) 2024"], "\(listed.body)")
            #expect(try await api.call("GET", consultants, token: t["e1"]).json["total"] as? Int == 1)
            #expect(try await api.call("GET", consultants, token: t["e3"]).status == 403)
            #expect(try await api.call("GET", consultants, token: t["verifier"]).status == 403)

            // The conflict rule: December deposited, the report submitted; the province may not
            // assign the declared consultant (VERIFIER_CONFLICT), another verifier it may.
            // December is deposited with its evidence file in the same call (the CSV's row names
            // it by SHA-256); without the bytes the month is refused and nothing is stored.
            let decemberScan = Array("coal NCV lab report, December 2024".utf8)
            var december = DemoMRV.month(Self.chuanneng, year: 2024, month: 12)
            december.evidence = [EvidenceFile(name: "ncv-2024-12.pdf", sha256: evidenceSHA256(decemberScan))]
            let decemberCSV = MRVCSV.exportMonths([december])
            let withMonth = Self.json(["csv": decemberCSV, "files": [file("ncv-2024-12.pdf", decemberScan)]])
            head = await mrv.head
            let noBytes = try await api.call("POST", "/api/v1/mrv/monthly-data", token: t["e1"], key: "dec-nb", body: Self.json(["csv": decemberCSV]))
            #expect(noBytes.status == 422 && noBytes.code == "EVIDENCE_MISSING", "\(noBytes.body)")
            let unnamed = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: t["e1"], key: "dec-un", body: Self.json([
                "csv": decemberCSV, "files": [file("ncv-2024-12.pdf", decemberScan), file("other.pdf", photo)]]))
            #expect(unnamed.status == 422 && unnamed.code == "INVALID_EVIDENCE", "\(unnamed.body)")
            for user in ["sc", "mee", "verifier", "e1-approver"] {
                let refused = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: t[user], key: "dec-\(user)", body: withMonth)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            let foreignMonth = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: t["e3"], key: "dec-e3", body: withMonth)
            #expect(foreignMonth.status == 422 && foreignMonth.code == "MRV_NOT_PERMITTED", "\(foreignMonth.body)")
            #expect(await mrv.head == head)
            #expect(try await Self.notStored(mrv, evidenceSHA256(decemberScan)))
            let withEvidence = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: t["e1"], key: "dec", body: withMonth)
            #expect(withEvidence.status == 201 && withEvidence.json["months"] as? [String] == ["\(unit)/2024-12"], "\(withEvidence.body)")
            head = await mrv.head
            let withEvidenceAgain = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: t["e1"], key: "dec", body: withMonth)
            #expect(withEvidenceAgain.status == 201 && withEvidenceAgain.json["replayed"] as? Bool == true
                && withEvidenceAgain.json["seq"] as? Int == withEvidence.json["seq"] as? Int, "\(withEvidenceAgain.body)")
            #expect(await mrv.head == head)
            #expect(try await mrv.evidence(evidenceSHA256(decemberScan)).get().bytes == decemberScan)
            let decemberEvidence = try await api.call("GET", "/api/v1/mrv/facilities/\(unit)/months/2024/12/evidence", token: t["e1"])
            #expect(((decemberEvidence.json["current"] as? [[String: Any]])?.first)?["name"] as? String == "ncv-2024-12.pdf", "\(decemberEvidence.body)")
            let report = Workflow.report(Self.chuanneng)
            #expect(try await api.call("POST", report + "/submit", token: t["e1"], key: "submit").status == 200)
            head = await mrv.head
            let conflict = try await api.call("POST", report + "/verifier", token: t["sc"], key: "assign-c", body: Self.json(["verifier": DemoMRV.verifier.rawValue]))
            #expect(conflict.status == 422 && conflict.code == "VERIFIER_CONFLICT", "\(conflict.body)")
            #expect(await mrv.head == head)
            let assigned = try await api.call("POST", report + "/verifier", token: t["sc"], key: "assign-gd", body: #"{"verifier":"V-GDHC"}"#)
            #expect(assigned.status == 200 && (assigned.json["report"] as? [String: Any])?["verifier"] as? String == "V-GDHC", "\(assigned.body)")
        }
    }
}
