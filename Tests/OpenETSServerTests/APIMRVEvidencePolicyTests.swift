import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import OpenETSSQLStore
import Synchronization
import Testing

/// MRV evidence files read back, concurrent deposits for one month, and the MRV policy tables
/// through the REST API only, on the live server over the demo MRV history (drill clock
/// 2025-06-03). SQLite always; PostgreSQL when a server is named.
@Suite("REST API: MRV evidence files and policy tables")
struct APIMRVEvidencePolicyTests {
    typealias Fetched = APIPermissionWalkTests.Fetched
    typealias Workflow = APIMRVWorkflowTests

    static let chuanneng = DemoMRV.entities[0]
    static var unit: String { chuanneng.facility.rawValue }
    static func evidencePath(_ month: Int) -> String { "/api/v1/mrv/facilities/\(unit)/months/2024/\(month)/evidence" }

    static func json(_ object: Any) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    static func deposit(_ name: String, _ bytes: [UInt8], media: String = "application/pdf") -> String {
        json(["files": [["name": name, "mediaType": media, "contentBase64": Data(bytes).base64EncodedString()]]])
    }

    static func current(_ answer: Fetched) -> [String: String] {
        let files = (answer.json["evidence"] as? [String: Any])?["current"] as? [[String: Any]] ?? answer.json["current"] as? [[String: Any]] ?? []
        return Dictionary(files.compactMap { f in (f["name"] as? String).map { ($0, f["sha256"] as? String ?? "") } }, uniquingKeysWith: { a, _ in a })
    }

    /// A GET whose body is bytes, not text.
    static func download(_ port: Int, _ path: String, token: String?) async throws -> (status: Int, bytes: [UInt8], headers: [AnyHashable: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, [UInt8](data), (response as! HTTPURLResponse).allHeaderFields)
    }

    static func header(_ headers: [AnyHashable: Any], _ name: String) -> String? {
        headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
    }

    // MARK: deposits

    @Test(arguments: Workflow.databases) func concurrentDepositsForOneMonthAreAllListed(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        let seed = ProcessInfo.processInfo.environment["OPENETS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("concurrentDepositsForOneMonthAreAllListed: OPENETS_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        // Eight files of random sizes and bytes, one per task.
        let files: [(name: String, bytes: [UInt8])] = (1...8).map { i in
            ("scan-\(i).pdf", (0..<Int.random(in: 1...4_096, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } + [UInt8(i)])
        }
        try await Workflow.serve(world) { api in
            let november = Self.evidencePath(11)
            // One file listed before, which the concurrent deposits must keep too.
            let first = try await api.call("POST", november, token: t["e1"], key: "cc-first", body: Self.deposit("first.pdf", Array("first".utf8)))
            #expect(first.status == 200, "\(first.body)")
            let before = Self.current(try await api.call("GET", november, token: t["e1"]))
            #expect(before["first.pdf"] == evidenceSHA256(Array("first".utf8)))
            // The answers' status and body (`Fetched` holds headers, which are not Sendable).
            let answers = try await withThrowingTaskGroup(of: (status: Int, body: String).self) { group in
                for (i, file) in files.enumerated() {
                    group.addTask {
                        // At most 4 large bodies are read at once: the others are 503 "retry
                        // shortly", and the retry (same key and body) is what a client sends.
                        var answer = try await api.call("POST", november, token: t["e1"], key: "cc-\(i)", body: Self.deposit(file.name, file.bytes))
                        for _ in 0..<200 where answer.status == 503 && answer.code == "UNAVAILABLE" {
                            try await Task.sleep(for: .milliseconds(20))
                            answer = try await api.call("POST", november, token: t["e1"], key: "cc-\(i)", body: Self.deposit(file.name, file.bytes))
                        }
                        return (answer.status, answer.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }.map { Fetched(status: $0.status, body: $0.body, headers: [:]) }
            for answer in answers { #expect(answer.status == 200 && answer.json["replayed"] as? Bool == false, "seed \(seed): \(answer.body)") }
            // Every file is listed, with the hash of its bytes, besides the files listed before; the bytes are stored.
            let after = Self.current(try await api.call("GET", november, token: t["e1"]))
            for file in files {
                #expect(after[file.name] == evidenceSHA256(file.bytes), "seed \(seed): \(file.name) lost")
                #expect(try await mrv.evidence(evidenceSHA256(file.bytes)).get().bytes == file.bytes)
            }
            for (name, sha) in before { #expect(after[name] == sha, "seed \(seed): \(name) lost") }
            #expect(after.count == before.count + files.count)
            // Eight deposits, eight entries, each with its own sequence number.
            #expect(Set(answers.compactMap { $0.json["seq"] as? Int }).count == files.count)
        }
    }

    @Test(arguments: Workflow.databases) func aRetryAfterAnotherDepositReplaysTheFirstAnswer(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Workflow.serve(world) { api in
            let november = Self.evidencePath(11)
            let first = Self.deposit("calibration.pdf", Array("calibration certificate".utf8))
            let deposited = try await api.call("POST", november, token: t["e1"], key: "retry-a", body: first)
            #expect(deposited.status == 200 && deposited.json["replayed"] as? Bool == false, "\(deposited.body)")
            let other = try await api.call("POST", november, token: t["e1"], key: "retry-b", body: Self.deposit("meter.jpg", Array("meter".utf8), media: "image/jpeg"))
            #expect(other.status == 200 && Self.current(other)["calibration.pdf"] != nil && Self.current(other)["meter.jpg"] != nil, "\(other.body)")
            let head = await mrv.head
            // The retry: same key, same body, after the other deposit: the first answer again.
            let retried = try await api.call("POST", november, token: t["e1"], key: "retry-a", body: first)
            #expect(retried.status == 200 && retried.json["replayed"] as? Bool == true, "\(retried.body)")
            #expect(retried.json["seq"] as? Int == deposited.json["seq"] as? Int)
            #expect(Self.current(retried) == Self.current(deposited) && Self.current(retried)["meter.jpg"] == nil)
            var firstAnswer = deposited.json, replay = retried.json
            firstAnswer["replayed"] = nil
            replay["replayed"] = nil
            #expect(NSDictionary(dictionary: firstAnswer).isEqual(to: replay), "\(deposited.body) vs \(retried.body)")
            #expect(await mrv.head == head)
            // The key with another body is still refused, nothing written.
            let reused = try await api.call("POST", november, token: t["e1"], key: "retry-a", body: Self.deposit("calibration.pdf", Array("another".utf8)))
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            // Adding a file twice in one deposit is refused.
            let twice = try await api.call("POST", november, token: t["e1"], key: "retry-c", body: Self.json(["files": [
                ["name": "x.pdf", "mediaType": "application/pdf", "contentBase64": Data("1".utf8).base64EncodedString()],
                ["name": "x.pdf", "mediaType": "application/pdf", "contentBase64": Data("2".utf8).base64EncodedString()],
            ]]))
            #expect(twice.status == 422 && twice.code == "INVALID_EVIDENCE", "\(twice.body)")
            #expect(await mrv.head == head)
        }
    }

    // MARK: reading a file back

    @Test(arguments: Workflow.databases) func anEvidenceFileIsReadBackCheckedAndInScope(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Workflow.serve(world) { api in
            let november = Self.evidencePath(11)
            let scan = Array("煤质化验报告 2024-11".utf8) + [0, 255, 10, 13]
            let sha = evidenceSHA256(scan)
            let name = "化验报告 \"11\".pdf"
            #expect(try await api.call("POST", november, token: t["e1"], key: "get-1", body: Self.deposit(name, scan)).status == 200)
            let october = Array("October scan".utf8)
            #expect(try await api.call("POST", Self.evidencePath(10), token: t["e1"], key: "get-2", body: Self.deposit("oct.pdf", october)).status == 200)

            // The entity, its province, its city and the MEE read the bytes, with the name and the hash.
            for user in ["e1", "e1-approver", "sc", "chengdu", "mee"] {
                let got = try await Self.download(api.port, "\(november)/\(sha)", token: t[user])
                #expect(got.status == 200 && got.bytes == scan, "\(user): \(got.status)")
                #expect(Self.header(got.headers, "X-Evidence-SHA256") == sha && Self.header(got.headers, "X-Evidence-Media-Type") == "application/pdf", "\(got.headers)")
                #expect(Self.header(got.headers, "Content-Type")?.hasPrefix("application/octet-stream") == true)
                let disposition = Self.header(got.headers, "Content-Disposition") ?? ""
                #expect(disposition.hasPrefix("attachment; filename=\"") && disposition.contains("filename*=UTF-8''%E5%8C%96") && !disposition.contains("\"11\""), "\(disposition)")
            }
            // Out of scope: as the evidence list (403); without a token 401.
            for user in ["e3", "verifier", "i1", "registrar"] {
                #expect(try await Self.download(api.port, "\(november)/\(sha)", token: t[user]).status == 403, "\(user)")
            }
            #expect(try await Self.download(api.port, "\(november)/\(sha)", token: nil).status == 401)
            // A file this month never listed: 404 UNKNOWN_EVIDENCE alike, stored for another month or not stored at all.
            let otherMonth = try await api.call("GET", "\(november)/\(evidenceSHA256(october))", token: t["e1"])
            let nowhere = try await api.call("GET", "\(november)/\(String(repeating: "ab", count: 32))", token: t["e1"])
            #expect(otherMonth.status == 404 && otherMonth.code == "UNKNOWN_EVIDENCE", "\(otherMonth.body)")
            #expect(nowhere.status == 404 && nowhere.code == "UNKNOWN_EVIDENCE", "\(nowhere.body)")
            #expect(otherMonth.body.replacingOccurrences(of: evidenceSHA256(october), with: "") == nowhere.body.replacingOccurrences(of: String(repeating: "ab", count: 32), with: ""))
            #expect(try await api.call("GET", "\(Self.evidencePath(10))/\(evidenceSHA256(october))", token: t["e1"]).status == 200)
            let badHash = try await api.call("GET", "\(november)/\(sha.uppercased())", token: t["e1"])
            #expect(badHash.status == 400 && badHash.code == "INVALID_INPUT", "\(badHash.body)")
            let noMonth = try await api.call("GET", "\(Self.evidencePath(12))/\(sha)", token: t["e1"])
            #expect(noMonth.status == 404 && noMonth.code == "MONTH_NOT_SUBMITTED", "\(noMonth.body)")
            let noFacility = try await api.call("GET", "/api/v1/mrv/facilities/NOPE/months/2024/11/evidence/\(sha)", token: t["e1"])
            #expect(noFacility.status == 404 && noFacility.code == "UNKNOWN_FACILITY", "\(noFacility.body)")

            // A file replaced out of the current list is still served (the history keeps it).
            let replaced = try await api.call("POST", november, token: t["e1"], key: "get-3", body: Self.json([
                "files": [["name": "only.pdf", "mediaType": "application/pdf", "contentBase64": Data("only".utf8).base64EncodedString()]], "replaceAll": true]))
            #expect(replaced.status == 200 && Self.current(replaced)[name] == nil, "\(replaced.body)")
            #expect(try await Self.download(api.port, "\(november)/\(sha)", token: t["e1"]).bytes == scan)

            // Tampered bytes are not served: 409 EVIDENCE_TAMPERED, never a 500.
            let database = try await Composition.openDatabase(world.location, connectionID: 9)
            try await database.transaction { sql in
                try await sql.execute("UPDATE mrv_evidence_blob SET bytes = $1 WHERE sha256 = $2", [.blob(Array("forged".utf8)), .text(sha)])
            }
            try await database.close()
            let tampered = try await api.call("GET", "\(november)/\(sha)", token: t["e1"])
            #expect(tampered.status == 409 && tampered.code == "EVIDENCE_TAMPERED" && !tampered.body.contains("forged"), "\(tampered.body)")
            guard case .failure(let fault) = try await mrv.evidence(sha) else { Issue.record("tampered bytes were returned"); return }
            #expect(fault.code == .evidenceTampered)
        }
    }

    // MARK: policy tables

    static func tablesJSON(_ tables: MRVPolicyTables) throws -> Any {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(tables))
    }

    @Test(arguments: Workflow.databases) func policyTablesAreReadCheckedAndPublishedByTheMEE(database: String) async throws {
        let world = try await Workflow.world(database)
        let mrv = world.mrv, t = world.tokens
        try await Workflow.serve(world) { api in
            // Public reads: the seed tables (version 0) until a version is published.
            let seed = try await api.call("GET", "/api/v1/mrv/policy", token: nil)
            let seedTables = seed.json["tables"] as? [String: Any] ?? [:]
            #expect(seed.status == 200 && seed.json["version"] as? Int == 0, "\(seed.body)")
            #expect((seedTables["accounting"] as? [Any])?.count == MRVPolicyTables.seed.accounting.count)
            let year = try await api.call("GET", "/api/v1/mrv/policy?year=2022", token: t["i1"])
            let yearTables = year.json["tables"] as? [String: Any] ?? [:]
            #expect(year.status == 200 && year.json["year"] as? Int == 2022 && (yearTables["platform"] as? [Any])?.count == 1)
            #expect(((yearTables["accounting"] as? [[String: Any]])?.first?["gridFactorTPerMWh"] as? String) == "0.5703")
            let noYear = try await api.call("GET", "/api/v1/mrv/policy?year=2030", token: nil)
            #expect(noYear.status == 404 && noYear.code == "NO_POLICY_FOR_YEAR", "\(noYear.body)")
            let noVersion = try await api.call("GET", "/api/v1/mrv/policy?version=3", token: nil)
            #expect(noVersion.status == 404 && noVersion.code == "UNKNOWN_POLICY_VERSION", "\(noVersion.body)")
            let none = try await api.call("GET", "/api/v1/mrv/policy/versions", token: nil)
            #expect(none.status == 200 && none.json["total"] as? Int == 0, "\(none.body)")

            // A corrected 2022 grid factor, checked then published.
            var corrected = MRVPolicyTables.seed
            let i2022 = try #require(corrected.accounting.firstIndex { $0.year == 2022 })
            corrected.accounting[i2022].gridFactorTPerMWh = "0.6"
            let good = try Self.tablesJSON(corrected)
            var dropped = MRVPolicyTables.seed
            dropped.accounting.removeAll { $0.year == 2019 }
            dropped.platform.removeAll { $0.year == 2019 }
            let checkBody = Self.json(["tables": good])
            for user in ["e1", "sc", "verifier", "registrar"] {
                #expect(try await api.call("POST", "/api/v1/mrv/policy/check", token: t[user], body: checkBody).status == 403, "\(user)")
            }
            #expect(try await api.call("POST", "/api/v1/mrv/policy/check", token: nil, body: checkBody).status == 401)
            let checked = try await api.call("POST", "/api/v1/mrv/policy/check", token: t["mee"], body: checkBody)
            #expect(checked.status == 200 && checked.json["ok"] as? Bool == true && checked.json["inForce"] as? Int == 0, "\(checked.body)")
            #expect(checked.json["changes"] as? [String] == [#"accounting[2022].gridFactorTPerMWh: "0.5703" → "0.6""#], "\(checked.body)")
            let checkDropped = try await api.call("POST", "/api/v1/mrv/policy/check", token: t["mee"], body: Self.json(["tables": try Self.tablesJSON(dropped)]))
            #expect(checkDropped.status == 200 && checkDropped.json["ok"] as? Bool == false && checkDropped.json["code"] as? String == "INVALID_POLICY", "\(checkDropped.body)")
            let notTables = try await api.call("POST", "/api/v1/mrv/policy/check", token: t["mee"], body: #"{"tables":{"accounting":"none"}}"#)
            #expect(notTables.status == 422 && notTables.code == "INVALID_POLICY", "\(notTables.body)")

            // Publication: the MEE only, with a key; refusals store nothing.
            let versions = "/api/v1/mrv/policy/versions"
            let publication = Self.json(["tables": good, "note": "2022 grid factor corrected", "effectiveFrom": "2025-06-01"] as [String: Any])
            for user in ["e1", "sc", "chengdu", "verifier", "registrar", "i1"] {
                let refused = try await api.call("POST", versions, token: t[user], key: "pub-\(user)", body: publication)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            #expect(try await api.call("POST", versions, token: nil, key: "pub-anon", body: publication).status == 401)
            #expect(try await api.call("POST", versions, token: t["mee"], body: publication).status == 400)
            let invalid = try await api.call("POST", versions, token: t["mee"], key: "pub-bad", body: Self.json([
                "tables": try Self.tablesJSON(dropped), "note": "drops 2019"] as [String: Any]))
            #expect(invalid.status == 422 && invalid.code == "INVALID_POLICY" && invalid.body.contains("platform[2019]"), "\(invalid.body)")
            let details = invalid.json["details"] as? [String: String] ?? [:]
            #expect(details["command"] == "mrv_policy_publish" && details["platform[2019]"] == "the data year would be dropped", "\(invalid.body)")
            let badDate = try await api.call("POST", versions, token: t["mee"], key: "pub-date", body: Self.json([
                "tables": good, "note": "x", "effectiveFrom": "2025-13-01"] as [String: Any]))
            #expect(badDate.status == 422 && badDate.code == "INVALID_POLICY", "\(badDate.body)")
            #expect((badDate.json["details"] as? [String: String])?["effectiveFrom"]?.contains("2025-13-01") == true, "\(badDate.body)")
            let garbage = try await api.call("POST", versions, token: t["mee"], key: "pub-garbage", body: #"{"tables":{"platform":[]},"note":"x"}"#)
            #expect(garbage.status == 422 && garbage.code == "INVALID_POLICY", "\(garbage.body)")
            let versionBefore = await mrv.policyVersion
            #expect(try await mrv.policyVersions().isEmpty && versionBefore == 0)

            let published = try await api.call("POST", versions, token: t["mee"], key: "pub-1", body: publication)
            let version = published.json["version"] as? [String: Any] ?? [:]
            #expect(published.status == 201 && version["version"] as? Int == 1 && version["inForce"] as? Bool == true
                && version["effectiveFrom"] as? String == "2025-06-01" && published.json["replayed"] as? Bool == false, "\(published.body)")
            #expect(published.json["changes"] as? [String] == [#"accounting[2022].gridFactorTPerMWh: "0.5703" → "0.6""#])
            let (inForceVersion, inForceTables) = (await mrv.policyVersion, await mrv.policy)
            let factor2022 = try inForceTables.accounting(2022).gridFactorTPerMWh
            #expect(inForceVersion == 1 && factor2022 == "0.6")
            // The retry answers the first answer; the key with another body is refused; one version stored.
            let again = try await api.call("POST", versions, token: t["mee"], key: "pub-1", body: publication)
            #expect(again.status == 201 && again.json["replayed"] as? Bool == true && (again.json["version"] as? [String: Any])?["version"] as? Int == 1, "\(again.body)")
            let reused = try await api.call("POST", versions, token: t["mee"], key: "pub-1", body: Self.json(["tables": good, "note": "another note"] as [String: Any]))
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(try await mrv.policyVersions().count == 1)

            // Read back: in force, by version, the seed still as version 0, the history.
            let inForce = try await api.call("GET", "/api/v1/mrv/policy?year=2022", token: nil)
            #expect(inForce.json["version"] as? Int == 1 && inForce.json["note"] as? String == "2022 grid factor corrected", "\(inForce.body)")
            #expect((((inForce.json["tables"] as? [String: Any])?["accounting"] as? [[String: Any]])?.first?["gridFactorTPerMWh"] as? String) == "0.6")
            let v0 = try await api.call("GET", "/api/v1/mrv/policy?version=0&year=2022", token: nil)
            #expect((((v0.json["tables"] as? [String: Any])?["accounting"] as? [[String: Any]])?.first?["gridFactorTPerMWh"] as? String) == "0.5703")
            let history = try await api.call("GET", versions, token: nil)
            let items = history.json["items"] as? [[String: Any]] ?? []
            #expect(history.json["total"] as? Int == 1 && items.first?["note"] as? String == "2022 grid factor corrected", "\(history.body)")
            // A check against the new version in force has nothing to change.
            let recheck = try await api.call("POST", "/api/v1/mrv/policy/check", token: t["mee"], body: checkBody)
            #expect(recheck.json["inForce"] as? Int == 1 && (recheck.json["changes"] as? [String])?.isEmpty == true, "\(recheck.body)")

            // Audited: the publication and each refusal after the permission check.
            let audit = try await world.store.audit(limit: 100).filter { $0.action == "api_mrv_policy_publish" }
            #expect(audit.contains { $0.user == "mee" && $0.detail.hasPrefix("accepted v1") }, "\(audit)")
            #expect(audit.filter { $0.detail.hasPrefix("rejected INVALID_POLICY") }.count == 3, "\(audit)")
            #expect(audit.contains { $0.detail.hasPrefix("rejected IDEMPOTENCY_KEY_REUSED") })

            // Another process publishes 0.65 meanwhile; the server's service still holds version
            // 1 (0.6). Its next publication is checked against, and reports its changes from,
            // the version in force under the writer's lock: 0.65 → 0.7, in the answer and its replay.
            let (otherStore, other) = try await Composition.openMRV(world.location, connectionID: 8)
            var elsewhere = corrected
            elsewhere.accounting[i2022].gridFactorTPerMWh = "0.65"
            #expect(try await other.publishPolicy(elsewhere, effectiveFrom: "2025-06-02", note: "elsewhere").map(\.version) == .success(2))
            try await otherStore.close()
            #expect(await mrv.policyVersion == 1)
            var next = corrected
            next.accounting[i2022].gridFactorTPerMWh = "0.7"
            let racedBody = Self.json(["tables": try Self.tablesJSON(next), "note": "0.7", "effectiveFrom": "2025-06-03"] as [String: Any])
            let raced = try await api.call("POST", versions, token: t["mee"], key: "pub-2", body: racedBody)
            #expect(raced.status == 201 && (raced.json["version"] as? [String: Any])?["version"] as? Int == 3, "\(raced.body)")
            #expect(raced.json["changes"] as? [String] == [#"accounting[2022].gridFactorTPerMWh: "0.65" → "0.7""#], "\(raced.body)")
            let racedAgain = try await api.call("POST", versions, token: t["mee"], key: "pub-2", body: racedBody)
            #expect(racedAgain.json["replayed"] as? Bool == true && racedAgain.json["changes"] as? [String] == raced.json["changes"] as? [String], "\(racedAgain.body)")
        }
    }

    // MARK: downloads at once

    /// At most `maxConcurrentEvidenceDownloads` files are served at once. With one place, a
    /// download held inside its evidence read (the store waits for the test: no timing) keeps
    /// its place; a second download meanwhile is 503 UNAVAILABLE; the place is given back
    /// with the first answer. The time limit only stops a hang: under the whole suite's load
    /// (2 cores, every suite at once) building the world alone took over two minutes, which is
    /// what a 2-minute limit cut short in CI on 2026-11-22.
    @Test(.timeLimit(.minutes(15)), arguments: Workflow.databases)
    func evidenceDownloadsBeyondTheLimitAreRefused(database: String) async throws {
        var world = try await Workflow.world(database)
        let t = world.tokens
        let held = HeldEvidenceStore(world.mrvStore)
        world.mrv = try await MRVService.open(store: held, clock: MarketClock(CivilDate(year: 2025, month: 6, day: 3), hour: 8, minute: 0))
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.maxConcurrentEvidenceDownloads = 1
        try await Workflow.serve(world, configuration: configuration) { api in
            let scan = Array("held scan 2024-11".utf8)
            let path = "\(Self.evidencePath(11))/\(evidenceSHA256(scan))"
            let deposited = try await api.call("POST", Self.evidencePath(11), token: t["e1"], key: "held-1", body: Self.deposit("held.pdf", scan))
            #expect(deposited.status == 200, "\(deposited.body)")
            held.arm()
            let first = Task { () async throws -> (Int, [UInt8]) in
                // However the first download ends (an error, or an answer that never passed the
                // held read), the test goes on and fails on its expectations instead of waiting.
                defer { held.reading.continuation.yield() }
                let got = try await Self.download(api.port, path, token: t["e1"])
                return (got.status, got.bytes)
            }
            for await _ in held.reading.stream { break }
            let second = try await api.call("GET", path, token: t["sc"])
            #expect(second.status == 503 && second.code == "UNAVAILABLE" && second.body.contains("1 evidence downloads are in progress"), "\(second.body)")
            held.release.continuation.yield()
            let (status, bytes) = try await first.value
            #expect(status == 200 && bytes == scan, "\(status)")
            let after = try await Self.download(api.port, path, token: t["sc"])
            #expect(after.status == 200 && after.bytes == scan, "\(after.status)")
        }
    }
}

/// An MRV store whose next evidence read, once armed, waits for the test's `release`
/// (announcing itself on `reading`); every other call goes to the store it wraps.
final class HeldEvidenceStore: MRVStore {
    let inner: any MRVStore
    let reading = AsyncStream<Void>.makeStream()
    let release = AsyncStream<Void>.makeStream()
    private let armed = Mutex(false)

    init(_ inner: any MRVStore) { self.inner = inner }

    func arm() { armed.withLock { $0 = true } }

    func evidenceBlob(_ sha256: String) async throws -> EvidenceBlob? {
        let hold = armed.withLock { armed in
            defer { armed = false }
            return armed
        }
        if hold {
            reading.continuation.yield()
            for await _ in release.stream { break }
        }
        return try await inner.evidenceBlob(sha256)
    }

    func migrate() async throws { try await inner.migrate() }
    func writeMRV<T>(_ body: (any MRVTransaction) async throws -> T) async throws -> T { try await inner.writeMRV(body) }
    func mrvHead() async throws -> JournalHead { try await inner.mrvHead() }
    func mrvJournal(after seq: Int64, limit: Int) async throws -> [JournalEntry] { try await inner.mrvJournal(after: seq, limit: limit) }
    func mrvPolicy() async throws -> StoredMRVPolicy? { try await inner.mrvPolicy() }
    func mrvPolicyVersions() async throws -> [StoredMRVPolicy] { try await inner.mrvPolicyVersions() }
    func mrvPolicyHeaders() async throws -> [MRVPolicyHeader] { try await inner.mrvPolicyHeaders() }
    func mrvPolicy(version: Int) async throws -> StoredMRVPolicy? { try await inner.mrvPolicy(version: version) }
    func evidenceBlobKeys() async throws -> [String] { try await inner.evidenceBlobKeys() }
    func close() async throws { try await inner.close() }
}
