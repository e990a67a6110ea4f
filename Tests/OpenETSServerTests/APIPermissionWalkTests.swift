import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// The REST API's permission walk (every operation of the spec × every role of the matrix),
/// the rate limit, token expiry and the registry, exchange, MRV and compliance operations, on
/// the real server on 127.0.0.1 over the demo market (drill clock 2025-06-03 10:00 Beijing).
@Suite("REST API: permission walk, rate limit, expiry, capabilities")
struct APIPermissionWalkTests {
    struct Fetched {
        var status: Int
        var body: String
        var headers: [AnyHashable: Any]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
    }

    struct Client {
        var port: Int

        func call(_ method: String, _ path: String, token: String? = nil, key: String? = nil, body: String? = nil) async throws -> Fetched {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(body.utf8)
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return Fetched(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: http.allHeaderFields)
        }
    }

    /// The user of each role: the demo users, and one `public` user (the demo has none).
    static let publicUser = UserRecord(
        id: "citizen", name: "公众 Citizen", role: .public, account: nil, province: nil, passwordHash: "-", totpSecret: nil,
        createdAt: Timestamp(millisecondsSinceEpoch: 0))

    struct Harness {
        var client: Client
        /// A token per role (the first demo user of the role), and per demo user id.
        var tokens: [Role: String]
        var userTokens: [String: String]
        var service: RegistryService
        var store: any LedgerStore
        var access: AccessService
        var mrv: MRVService
        var clock: MarketClock
    }

    func withServer(_ configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (Harness) async throws -> Void) async throws {
        let path = try TestMarket.freshSQLitePath(tag: "walk")
        defer { TestMarket.remove(.sqlite(path: path)) }
        let (store, service, clock) = try await TestMarket.openDemo(.sqlite(path: path), days: 3)
        try await store.saveUser(Self.publicUser)
        let (mrvStore, mrv) = try await Composition.openMRV(.sqlite(path: path), clock: clock, connectionID: 2)
        let cycle = try await Composition.openAllocationCycleStore(.sqlite(path: path), connectionID: 3)
        let access = AccessService(store: store)
        var tokens: [Role: String] = [:], userTokens: [String: String] = [:]
        for user in DemoUsers.all.map(\.id) + [Self.publicUser.id] {
            let created = try await access.createAPIToken(user: user, label: "walk", at: SystemClock().now()).get()
            userTokens[user] = created.token
            let role = try #require(try await store.user(user)?.role)
            if tokens[role] == nil { tokens[role] = created.token }
        }
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let ports = AsyncStream<Int>.makeStream()
        let app = buildApplication(configuration, store: store, service: service, api: APIParts(mrv: mrv, cycle: cycle)) { port in
            ports.continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(Harness(client: Client(port: port), tokens: tokens, userTokens: userTokens, service: service, store: store, access: access, mrv: mrv, clock: clock))
            group.cancelAll()
        }
        try await mrvStore.close()
        try await cycle.close()
        try await store.close()
    }

    /// Every operation of the served spec: (operationId, method, path template).
    static func operations() -> [(id: String, method: String, path: String)] {
        var found: [(String, String, String)] = []
        var path = "", method = ""
        for line in OpenAPISpec.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                ["get", "post", "put", "patch", "delete"].contains(line.trimmingCharacters(in: .whitespaces).dropLast()) {
                method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
            } else if line.hasPrefix("      operationId: ") {
                found.append((String(line.dropFirst("      operationId: ".count)), method, path))
            }
        }
        return found
    }

    /// A well-formed request of each operation for a user (its own account and entity where the
    /// operation names one): a new operation without a sample here fails the walk.
    static func sample(_ operation: String, account: AccountID?, entity: String?) -> (parameters: [String: String], body: String?)? {
        let own = account?.rawValue ?? "ENT-000001", ownEntity = entity ?? "91510000MA6123456P"
        switch operation {
        case "listInstruments", "listAccounts", "listAuctions", "listCCERMethodologies", "listCCERProjects", "listCCERIssuances",
            "listCCERCancellations", "listBlockQuotes":
            return ([:], nil)
        case "getOrderBook", "listTrades", "listDailyPrices": return (["code": "CEA24"], nil)
        case "getAccountHoldings", "listAccountJournal", "listAccountTransfers": return (["accountId": own], nil)
        case "getCCERProject": return (["projectId": "P000001"], nil)
        case "checkCCERCertificate": return (["code": "VC-00000001-0000000000000000"], nil)
        // CCER workflow: an unknown project or period, construction too early, an unknown unit (422, nothing changes)
        case "submitCCERProject":
            return ([:], #"{"name":"Walk solar","methodology":"CCER-01-001-V01","province":"SC","location":"Walk","type":"solar","constructionStart":"2010-01-01","creditingStart":"2025-01-01","creditingEnd":"2034-12-31","expectedAnnualTonnes":1000,"designDocumentSha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#)
        case "applyCCERRegistration": return (["projectId": "P999999"], nil)
        case "submitCCERReductionReport":
            return (["projectId": "P999999"], #"{"start":"2025-01-01","end":"2025-03-31","reportedTonnes":100,"reportSha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#)
        case "applyCCERReductionRegistration", "issueCCERCredits": return (["projectId": "P999999", "period": "1"], nil)
        case "recordCCERValidation": return (["projectId": "P999999"], #"{"conclusion":"positive","reportSha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#)
        case "recordCCERVerification": return (["projectId": "P999999", "period": "1"], #"{"verifiedTonnes":1,"reportSha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#)
        case "decideCCERRegistration": return (["projectId": "P999999"], #"{"decision":"approve","reason":"walk"}"#)
        case "decideCCERReductionRegistration": return (["projectId": "P999999", "period": "1"], #"{"decision":"approve","reason":"walk"}"#)
        case "cancelCCERForNeutrality":
            return ([:], #"{"unit":"NO-SUCH-UNIT","quantityTonnes":1,"beneficiary":"Walk","purpose":"event","subject":"walk"}"#)
        // CCER regulator and notice comments: a bad methodology code, an unknown body or project (422, nothing changes)
        case "publishCCERMethodology":
            return ([:], #"{"code":"WALK","name":"Walk","nameEn":"Walk","sector":"walk","gases":["CO2"],"creditingPeriod":{"maxYears":10,"renewable":false},"documents":["walk"],"source":"walk"}"#)
        case "accreditCCERBody": return ([:], #"{"id":"walk body","name":"Walk"}"#)
        case "withdrawCCERAccreditation": return (["bodyId": "NO-SUCH-BODY"], nil)
        case "listCCERBodies": return ([:], nil)
        case "commentOnCCERNotice": return (["projectId": "P999999"], #"{"text":"walk"}"#)
        case "listCCERNoticeComments": return (["projectId": "P000001"], nil)
        // the CCER rules: public reads; a check and a publication of a document that is no
        // CCER policy (422 INVALID_POLICY, nothing stored)
        case "getCCERPolicy", "listCCERPolicyVersions": return ([:], nil)
        case "checkCCERPolicy": return ([:], #"{"policy":{}}"#)
        case "publishCCERPolicy": return ([:], #"{"policy":{},"note":"walk"}"#)
        case "listComplianceByProvince": return (["year": "2024"], nil)
        case "getEntityCompliance": return (["year": "2024", "accountId": own], nil)
        // allocation plans, the compliance cycle and pledges
        case "listAllocationPlans": return ([:], nil)
        case "getAllocationPlan": return (["planId": "power-2024"], nil)
        case "loadAllocationPlan": return ([:], #"{"id":"walk-plan"}"#)
        case "publishAllocationPlan": return (["planId": "walk-plan"], #"{"version":1}"#)
        case "listPledges": return (["accountId": own], nil)
        case "registerPledge": return ([:], #"{"account":"ENT-000001","unit":"NO-SUCH-UNIT","quantityTonnes":1,"pledgee":"INV-000002","contract":"walk"}"#)
        case "releasePledge", "enforcePledge": return (["freezeId": "FRZ-99999999"], nil)
        case "getComplianceCycle": return (["year": "2024", "planId": "power-2024"], nil)
        case "listPenaltyNotices": return (["year": "2024"], nil)
        case "markPenaltyPaid": return (["year": "2024", "noticeId": "PN-NONE"], nil)
        // the compliance cycle's runs: a reserve before the true-up and notices before the
        // surrender are refused (STAGE_ORDER), nothing changes
        case "runCycleStage": return (["year": "2024", "planId": "power-2024", "stage": "reserve"], "{}")
        case "issuePenaltyNotices": return (["year": "2024", "planId": "power-2024"], "{}")
        case "getCycleSupply", "getCycleStatistics": return (["year": "2024", "planId": "power-2024"], nil)
        case "computeCycleTotals": return (["year": "2024", "planId": "power-2024"], #"{"facilities":[]}"#)
        case "listMRVMonths", "listMRVReports": return (["entityId": ownEntity], nil)
        // MRV workflow
        case "getMRVReport", "submitMRVReport": return (["entityId": ownEntity, "year": "2024"], nil)
        case "resubmitMRVReport": return (["entityId": ownEntity, "year": "2024"], #"{"reason":"walk"}"#)
        case "assignMRVVerifier": return (["entityId": ownEntity, "year": "2024"], #"{"verifier":"V-NONE"}"#)
        case "recordMRVFinding":
            return (["entityId": ownEntity, "year": "2024"], #"{"facility":"NOPE","item":"coal.ncv","description":"d","requiredCorrection":"c"}"#)
        case "resolveMRVFinding": return (["entityId": ownEntity, "year": "2024", "finding": "1"], #"{"response":"walk"}"#)
        case "concludeMRVVerification":
            return (["entityId": ownEntity, "year": "2024"], #"{"facilities":[{"facility":"NOPE","emissionsTonnes":"1","output":"1"}]}"#)
        case "reviewMRVReport": return (["entityId": ownEntity, "year": "2024"], #"{"level":"province","decision":"approve"}"#)
        case "correctMRVMonth": return ([:], #"{"csv":"facility_id,year,month\nNOPE,2025,1\n","reason":"walk"}"#)
        case "listVerifierAssignments": return ([:], nil)
        // MRV registration, control plans, evidence and consultant declarations: unknown
        // entities, facilities and verifiers (422 or 404, nothing changes)
        case "registerMRVEntity": return ([:], #"{"uscc":"NOT-A-USCC","name":"Walk","province":"SC","city":"成都","sector":"power"}"#)
        case "registerMRVFacility": return ([:], #"{"id":"WALK-U1","entity":"NOPE","name":"Walk","kind":"power","fuels":["coal"]}"#)
        case "registerMRVVerifier": return ([:], #"{"id":"V-WALK","name":""}"#)
        case "listMRVEntities", "listMRVVerifiers", "listControlPlans": return ([:], nil)
        case "listMRVFacilities", "listConsultantDeclarations": return (["entityId": ownEntity], nil)
        case "submitControlPlan": return (["facilityId": "NOPE"], #"{"items":[{"item":"coal.ncv","source":"default","fallback":"default value"}]}"#)
        case "decideControlPlan": return (["facilityId": "NOPE", "version": "1"], #"{"decision":"approve"}"#)
        case "getControlPlan": return (["facilityId": "NOPE", "version": "1"], nil)
        case "depositMRVEvidence":
            return (["facilityId": "NOPE", "year": "2024", "month": "1"], #"{"files":[{"name":"a.txt","mediaType":"text/plain","contentBase64":"aGVsbG8="}]}"#)
        case "submitMonthlyDataWithEvidence":
            return ([:], #"{"csv":"facility_id,year,month\nNOPE,2025,1\n","files":[{"name":"a.txt","mediaType":"text/plain","contentBase64":"aGVsbG8="}]}"#)
        case "listMRVEvidence": return (["facilityId": "NOPE", "year": "2024", "month": "1"], nil)
        case "declareConsultant": return (["entityId": ownEntity], #"{"verifier":"V-NONE","year":2024}"#)
        // an evidence file of an unknown facility (404); the MRV policy tables (public reads; a
        // check and a publication of tables that are not MRV policy tables: 422, nothing stored)
        case "getMRVEvidenceFile": return (["facilityId": "NOPE", "year": "2024", "month": "1", "sha256": String(repeating: "0", count: 64)], nil)
        case "getMRVPolicy", "listMRVPolicyVersions": return ([:], nil)
        case "checkMRVPolicy": return ([:], #"{"tables":{}}"#)
        case "publishMRVPolicy": return ([:], #"{"tables":{},"note":"walk"}"#)
        case "placeOrder": return ([:], #"{"instrument":"CEA24","side":"sell","priceFen":999999,"quantityTonnes":1}"#)
        case "takeOrder": return (["orderId": "999999"], #"{"quantityTonnes":1}"#)
        case "cancelOrder": return (["orderId": "999999"], nil)
        case "quoteBlock": return ([:], #"{"instrument":"CEA24","side":"sell","priceFen":9000,"quantityTonnes":1,"counterparties":["INV-000001"]}"#)
        case "counterBlock": return (["quoteId": "999999"], #"{"priceFen":9000,"quantityTonnes":1}"#)
        case "acceptBlock": return (["quoteId": "999999"], nil)
        case "placeBid": return (["auctionId": "999999"], #"{"priceFen":9000,"quantityTonnes":1}"#)
        case "initiateTransfer": return ([:], #"{"to":"INV-000002","unit":"NO-SUCH-UNIT","quantityTonnes":1}"#)
        case "approveTransfer", "rejectTransfer": return (["transferId": "TRF-99999999"], nil)
        case "surrender": return ([:], #"{"unit":"NO-SUCH-UNIT","quantityTonnes":1,"complianceYear":2024}"#)
        case "submitMonthlyData": return ([:], #"{"csv":"facility_id,year,month\nNOPE,2025,1\n"}"#)
        case "applyForAccount":
            return ([:], #"{"kind":"institution","ownerId":"91510100MA6123456W","ownerName":"Walk Fund","users":[{"userId":"walk.fund","name":"Walk","password":"a long password"}],"documents":[{"fileName":"licence.pdf","contentBase64":"aGVsbG8="}]}"#)
        case "getAccountApplication": return (["applicationId": "AO-NONE"], nil)
        case "listAccountApplications": return ([:], nil)
        case "decideAccountApplication": return (["applicationId": "AO-NONE"], #"{"decision":"approve"}"#)
        // account application resubmission (issue 7)
        case "resubmitAccountApplication":
            return (["applicationId": "AO-NONE"], #"{"ownerId":"91510100MA6123456W","ownerName":"Walk Fund","users":[{"userId":"walk.fund","name":"Walk"}],"documents":[]}"#)
        default: return nil
        }
    }

    @Test func everyOperationTimesEveryRoleIsAllowedOrDeniedAsTheMatrixSays() async throws {
        let operations = Self.operations()
        #expect(operations.count >= 32 && Set(operations.map(\.id)).count == operations.count)
        // Every operation has its action in the data, and nothing else is listed there.
        #expect(Set(operations.map(\.id)) == Set(APIPermissions.actions.keys))
        try await withServer { h in
            var walked = 0
            for role in Role.allCases {
                let account = DemoUsers.all.first { $0.role == role }?.account
                let token = try #require(h.tokens[role], "a token for \(role)")
                var entity: String?
                if let account { entity = await h.service.state.accounts[account]?.ownerID }
                for operation in operations {
                    let action = try #require(APIPermissions.actions[operation.id], "\(operation.id) has no action")
                    let sample = try #require(Self.sample(operation.id, account: account, entity: entity), "\(operation.id) has no sample request")
                    var path = operation.path
                    for (name, value) in sample.parameters { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
                    #expect(!path.contains("{"), "\(operation.id): \(path)")
                    let key = operation.method == "POST" ? "walk-\(role.rawValue)-\(operation.id)" : nil
                    let answer = try await h.client.call(operation.method, path, token: token, key: key, body: sample.body)
                    let allowed = PermissionMatrix.standard.permits(role, action)
                    if allowed {
                        #expect(answer.status != 401 && answer.status != 403 && answer.status < 500, "\(role.rawValue) \(operation.id): \(answer.status) \(answer.body)")
                    } else {
                        #expect(answer.status == 403 && answer.code == "FORBIDDEN", "\(role.rawValue) \(operation.id): \(answer.status) \(answer.body)")
                    }
                    walked += 1
                }
            }
            #expect(walked == operations.count * Role.allCases.count)
            // Without a token: the public operations answer, every other one is 401.
            for operation in operations {
                let sample = try #require(Self.sample(operation.id, account: nil, entity: nil))
                var path = operation.path
                for (name, value) in sample.parameters { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
                let answer = try await h.client.call(
                    operation.method, path, key: operation.method == "POST" ? "anon" : nil, body: sample.body)
                if APIPermissions.actions[operation.id] == .viewPublic {
                    #expect(answer.status != 401 && answer.status != 403 && answer.status < 500, "\(operation.id): \(answer.status)")
                } else {
                    #expect(answer.status == 401 && answer.code == "UNAUTHENTICATED", "\(operation.id): \(answer.status) \(answer.body)")
                }
            }
        }
    }

    @Test func stateChangingCallsAreRateLimitedPerToken() async throws {
        try await withServer({ $0.apiRateLimit = APIRateLimit(calls: 3, windowSeconds: 60) }) { h in
            let cancel = "/api/v1/exchange/orders/999999/cancel"
            for index in 1...3 {
                let answer = try await h.client.call("POST", cancel, token: h.tokens[.entityInitiator], key: "rl-\(index)")
                #expect(answer.status == 422 && answer.code == "UNKNOWN_ORDER", "\(answer.body)")
            }
            let limited = try await h.client.call("POST", cancel, token: h.tokens[.entityInitiator], key: "rl-4")
            #expect(limited.status == 429 && limited.code == "RATE_LIMITED", "\(limited.body)")
            let retry = try #require(limited.header("Retry-After").flatMap { Int($0) })
            #expect(retry >= 1 && retry <= 60 && (limited.json["details"] as? [String: String])?["limit"] == "3")
            // Reads are not limited; another token has its own budget.
            #expect(try await h.client.call("GET", "/api/v1/market/instruments", token: h.tokens[.entityInitiator]).status == 200)
            #expect(try await h.client.call("POST", cancel, token: h.tokens[.investor], key: "rl-1").code == "UNKNOWN_ORDER")
            // The limited call changed nothing and was not audited as a command.
            let audited = try await h.store.audit(limit: 50).filter { $0.action == "api_cancel_order" && $0.user == "e1" }
            #expect(audited.count == 3)
        }
    }

    @Test func expiredTokensAreRefusedWithTokenExpired() async throws {
        try await withServer { h in
            let created = try await h.access.createAPIToken(user: "e1", label: "old", at: Timestamp(millisecondsSinceEpoch: SystemClock().now().millisecondsSinceEpoch - 2 * 86_400_000), lifetimeDays: 1).get()
            let expired = try await h.client.call("POST", "/api/v1/exchange/orders/999999/cancel", token: created.token, key: "x-1")
            #expect(expired.status == 401 && expired.code == "TOKEN_EXPIRED" && (expired.json["details"] as? [String: String])?["expiredAt"] != nil)
            let read = try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000001/journal", token: created.token)
            #expect(read.status == 401 && read.code == "TOKEN_EXPIRED")
            // A live token of the same user still works.
            #expect(try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000001/journal", token: h.userTokens["e1"]).status == 200)
        }
    }

    @Test func fourEyesTransferSurrenderStatementAndTransfersList() async throws {
        try await withServer { h in
            let unit = "CEA24"
            let before = await h.service.state.holdings[HoldingKey(account: "ENT-000001", unit: UnitTypeCode(unit))]?.total ?? 0
            #expect(before >= 100)
            let body = #"{"to":"INV-000001","unit":"CEA24","quantityTonnes":100}"#
            let initiated = try await h.client.call("POST", "/api/v1/registry/transfers", token: h.userTokens["e1"], key: "t-1", body: body)
            #expect(initiated.status == 201, "\(initiated.body)")
            let transfer = try #require(initiated.json["transferId"] as? String)
            // Nothing moves before the approval; the initiator may not approve (no permission).
            #expect(await h.service.state.holdings[HoldingKey(account: "ENT-000001", unit: UnitTypeCode(unit))]?.total == before)
            let selfApproval = try await h.client.call("POST", "/api/v1/registry/transfers/\(transfer)/approve", token: h.userTokens["e1"], key: "a-0")
            #expect(selfApproval.status == 403)
            // Another entity's approver may not decide it.
            let list = try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000001/transfers", token: h.userTokens["e1-approver"])
            let pending = (list.json["items"] as? [[String: Any]] ?? []).first { $0["id"] as? String == transfer }
            #expect(pending?["status"] as? String == "pending" && pending?["initiator"] as? String == "E1-INIT")
            let approved = try await h.client.call("POST", "/api/v1/registry/transfers/\(transfer)/approve", token: h.userTokens["e1-approver"], key: "a-1")
            #expect(approved.status == 200 && approved.json["replayed"] as? Bool == false, "\(approved.body)")
            #expect(await h.service.state.holdings[HoldingKey(account: "ENT-000001", unit: UnitTypeCode(unit))]?.total == before - 100)
            let replay = try await h.client.call("POST", "/api/v1/registry/transfers/\(transfer)/approve", token: h.userTokens["e1-approver"], key: "a-1")
            #expect(replay.status == 200 && replay.json["replayed"] as? Bool == true)
            #expect(await h.service.state.holdings[HoldingKey(account: "ENT-000001", unit: UnitTypeCode(unit))]?.total == before - 100)
            // Approving again is the registry's refusal, with its code.
            let twice = try await h.client.call("POST", "/api/v1/registry/transfers/\(transfer)/reject", token: h.userTokens["e1-approver"], key: "r-1")
            #expect(twice.status == 422 && twice.code != nil)

            // The statement: newest first, the transfer's entries on top; another account's is forbidden.
            let statement = try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000001/journal?limit=2", token: h.userTokens["e1"])
            let kinds = (statement.json["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(statement.status == 200 && kinds == ["approve_transfer", "initiate_transfer"] && statement.json["nextOffset"] as? Int == 2, "\(statement.body)")
            #expect(try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000003/journal", token: h.userTokens["e1"]).status == 403)
            #expect(try await h.client.call("GET", "/api/v1/registry/accounts/ENT-000001/journal", token: h.userTokens["mee"]).status == 403)

            // Surrender: the entity's initiator only; the units leave the account.
            let surrender = #"{"unit":"CEA24","quantityTonnes":10,"complianceYear":2024}"#
            #expect(try await h.client.call("POST", "/api/v1/registry/surrenders", token: h.userTokens["i1"], key: "s-0", body: surrender).status == 403)
            let surrendered = try await h.client.call("POST", "/api/v1/registry/surrenders", token: h.userTokens["e1"], key: "s-1", body: surrender)
            #expect(surrendered.status == 201 && surrendered.json["replayed"] as? Bool == false, "\(surrendered.body)")
            #expect(await h.service.state.holdings[HoldingKey(account: "ENT-000001", unit: UnitTypeCode(unit))]?.total == before - 110)
        }
    }

    @Test func blockAgreementAndAuctions() async throws {
        try await withServer { h in
            // Outside the block session (10:00) the exchange refuses the quote with its code.
            let quote = #"{"instrument":"CEA24","side":"sell","priceFen":9800,"quantityTonnes":100000,"counterparties":["INV-000001"]}"#
            let early = try await h.client.call("POST", "/api/v1/exchange/block-quotes", token: h.userTokens["e1"], key: "q-0", body: quote)
            #expect(early.status == 422 && early.code == "OUTSIDE_SESSION", "\(early.body)")
            // In the block session (13:00-15:00 Beijing) the quote is posted for its counterparty.
            h.clock.drill(from: BeijingTime.timestamp(CivilDate(year: 2025, month: 6, day: 3), hour: 13, minute: 30))
            let quoted = try await h.client.call("POST", "/api/v1/exchange/block-quotes", token: h.userTokens["e1"], key: "q-1", body: quote)
            #expect(quoted.status == 201, "\(quoted.body)")
            let id = try #require(quoted.json["quoteId"] as? Int)
            // The counterparty sees it, a third party does not.
            let seen = try await h.client.call("GET", "/api/v1/exchange/block-quotes", token: h.userTokens["i1"])
            #expect((seen.json["items"] as? [[String: Any]] ?? []).contains { $0["id"] as? Int == id })
            let unseen = try await h.client.call("GET", "/api/v1/exchange/block-quotes", token: h.userTokens["e3"])
            #expect(!(unseen.json["items"] as? [[String: Any]] ?? []).contains { $0["id"] as? Int == id })
            let buyerBefore = await h.service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA24")]?.total ?? 0
            let accepted = try await h.client.call("POST", "/api/v1/exchange/block-quotes/\(id)/accept", token: h.userTokens["i1"], key: "acc-1")
            #expect(accepted.status == 200 && (accepted.json["deals"] as? [[String: Any]])?.first?["quantityTonnes"] as? Int == 100_000, "\(accepted.body)")
            #expect(await h.service.state.holdings[HoldingKey(account: "INV-000001", unit: "CEA24")]?.total == buyerBefore + 100_000)
            let auctions = try await h.client.call("GET", "/api/v1/exchange/auctions")
            #expect(auctions.status == 200 && auctions.json["total"] as? Int != nil)
            let bid = try await h.client.call(
                "POST", "/api/v1/exchange/auctions/999999/bids", token: h.userTokens["i1"], key: "b-1", body: #"{"priceFen":9000,"quantityTonnes":10}"#)
            #expect(bid.status == 422 && bid.code != nil, "\(bid.body)")
        }
    }

    @Test func mrvAndComplianceOperations() async throws {
        try await withServer { h in
            // MRV reads: the entity's own only; the regulator of its province; 404 for an entity the platform does not know.
            let own = try #require(await h.service.state.accounts["ENT-000001"]?.ownerID)
            let mine = try await h.client.call("GET", "/api/v1/mrv/entities/\(own)/reports", token: h.userTokens["e1"])
            #expect(mine.status == 404 && mine.code == "UNKNOWN_ENTITY", "\(mine.body)")
            let other = try #require(await h.service.state.accounts["ENT-000003"]?.ownerID)
            #expect(try await h.client.call("GET", "/api/v1/mrv/entities/\(other)/months", token: h.userTokens["e1"]).status == 403)
            #expect(try await h.client.call("GET", "/api/v1/mrv/entities/\(own)/months", token: h.userTokens["i1"]).status == 403)
            // A monthly upload goes through the MRV platform: a bad CSV is refused whole, naming the row.
            let upload = try await h.client.call(
                "POST", "/api/v1/mrv/monthly-data", token: h.userTokens["e1"], key: "m-1", body: #"{"csv":"facility_id,year,month\nNOPE,2025,1\n"}"#)
            #expect(upload.status == 422 && upload.code != nil, "\(upload.body)")
            #expect(await h.mrv.state.months.isEmpty)
            #expect(try await h.client.call(
                "POST", "/api/v1/mrv/monthly-data", token: h.userTokens["mee"], key: "m-2", body: #"{"csv":"x"}"#).status == 403)
            // Compliance: a year without a done surrender stage is NOT_ASSESSED.
            let statistics = try await h.client.call("GET", "/api/v1/compliance/2024/provinces")
            #expect(statistics.status == 404 && statistics.code == "NOT_ASSESSED", "\(statistics.body)")
            let entity = try await h.client.call("GET", "/api/v1/compliance/2024/entities/ENT-000001", token: h.userTokens["e1"])
            #expect(entity.status == 404 && entity.code == "NOT_ASSESSED")
            #expect(try await h.client.call("GET", "/api/v1/compliance/2024/entities/ENT-000003", token: h.userTokens["e1"]).status == 403)
            #expect(try await h.client.call("GET", "/api/v1/compliance/2024/entities/ENT-000001", token: h.userTokens["i1"]).status == 403)
        }
    }

    @Test func anEntitySubmitsMonthlyDataAndReadsItBack() async throws {
        try await withServer { h in
            // An entity with a registry account whose owner id is its MRV entity id (a valid
            // unified social credit code), a user acting for it, and one facility on the platform.
            let first17 = "915101000000000042"
            let uscc = String(first17.prefix(17)) + String(UnifiedSocialCreditCode.checkCharacter(for: String(first17.prefix(17)))!)
            let opened = try await h.service.execute(CommandRequest(idempotencyKey: "open-mrv-entity", command: .openAccount(
                type: .entity, ownerID: uscc, ownerName: "川电一厂", province: "SC",
                representatives: [Representative(id: "M1-INIT", name: "经办人", role: .initiator)])))
            let account = try #require(opened.receipt?.events.compactMap { event -> AccountID? in
                if case .accountOpened(let opened) = event { return opened.id }
                return nil
            }.first)
            try await h.store.saveUser(UserRecord(
                id: "m1", name: "川电一厂 经办人", role: .entityInitiator, account: account, province: "SC", passwordHash: "-",
                totpSecret: nil, createdAt: SystemClock().now()))
            let token = try await h.access.createAPIToken(user: "m1", label: "", at: SystemClock().now()).get().token
            let registered = try await h.mrv.execute(MRVRequest(
                idempotencyKey: "reg", command: .registerEntity(uscc: uscc, name: "川电一厂", province: "SC", city: "成都", sector: .power, group: nil)))
            #expect(registered.receipt != nil, "\(registered)")
            let unit = Facility(
                id: "U1", entity: MRVEntityID(uscc), name: "Unit U1", kind: .power,
                power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(600), cooling: .water), fuels: [.coal])
            #expect(try await h.mrv.importFacilities(csv: MRVCSV.exportFacilities([unit], chinese: true), idempotencyKey: "fac").receipt != nil)

            let month = MonthlyData(
                facility: "U1", year: 2024, month: 1,
                fuels: [FuelLine(fuel: .coal, consumption: ExactDecimal(1000), ncvGJPerUnit: .measured(ExactDecimal(20)))],
                production: Production(generationMWh: ExactDecimal(2400)))
            let body = String(decoding: try JSONEncoder().encode(["csv": MRVCSV.exportMonths([month])]), as: UTF8.self)
            let submitted = try await h.client.call("POST", "/api/v1/mrv/monthly-data", token: token, key: "jan", body: body)
            #expect(submitted.status == 201 && submitted.json["months"] as? [String] == ["U1/2024-01"] && submitted.json["replayed"] as? Bool == false, "\(submitted.body)")
            let again = try await h.client.call("POST", "/api/v1/mrv/monthly-data", token: token, key: "jan", body: body)
            #expect(again.status == 201 && again.json["replayed"] as? Bool == true)
            #expect(await h.mrv.state.months.count == 1)

            let months = try await h.client.call("GET", "/api/v1/mrv/entities/\(uscc)/months?year=2024", token: token)
            let items = months.json["items"] as? [[String: Any]] ?? []
            #expect(months.status == 200 && items.count == 1 && items.first?["facility"] as? String == "U1" && items.first?["month"] as? Int == 1, "\(months.body)")
            let reports = try await h.client.call("GET", "/api/v1/mrv/entities/\(uscc)/reports", token: token)
            #expect(reports.status == 200 && reports.json["total"] as? Int == 0)
            // The province's staff read it; another entity's user does not.
            #expect(try await h.client.call("GET", "/api/v1/mrv/entities/\(uscc)/months", token: h.userTokens["sc"]).status == 200)
            #expect(try await h.client.call("GET", "/api/v1/mrv/entities/\(uscc)/months", token: h.userTokens["e1"]).status == 403)
        }
    }
}
