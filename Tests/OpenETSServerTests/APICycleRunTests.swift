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

/// A compliance year run through the REST API alone on the demo market (SQLite and, when
/// `OPENETS_TEST_POSTGRES_URL` is set, PostgreSQL): the MEE publishes power-2024 with a reserve
/// and a paid allocation, runs pre-allocation, true-up, reserve, auction, surrender and
/// carry-over; Sichuan issues its penalty notices; the supply and the statistics are read.
/// Every retry answers the stored result and moves nothing; every refusal carries the cycle's
/// code and changes nothing; other roles, other provinces and no token are refused.
///
/// The facilities are `DemoCycle.facilities` plus D6 of ENT-000006 (Sichuan), a copy of D5:
/// coal_gt300 200,000 MWh, 250,000 t the year before, 300,000 t verified → pre-allocation
/// 175,000 t, final 240,000 t (coal floor), and nothing else held: shortfall 60,000 t.
/// Hand count (DemoCycle's table and D6):
///
///     pre-allocation  350,000 + 119,000 + 182,000 + 245,000 + 175,000 + 175,000 = 1,246,000 t
///     final           474,600 + 180,000 + 241,470 + 800,000 + 240,000 + 240,000 = 2,176,070 t
///     reserve_t       round(2,176,070 × 0.08 / 0.92) = round(189,223.48) = 189,223 t
///     total           2,176,070 + 189,223 = 2,365,293 t; auction_t = round(0.03 × 2,365,293) = 70,959 t
///     SC  3 entities, 2 compliant; obligation 520,000 + 180,000 + 300,000 = 1,000,000, surrendered 940,000
///     GD  3 entities, 2 compliant; obligation 270,000 + 1,000,000 + 300,000 = 1,570,000, surrendered 1,510,000
///     CN  6 entities, 4 compliant (66.67 %); 2,450,000 / 2,570,000 t (95.33 %)
@Suite("REST API: the compliance cycle's runs")
struct APICycleRunTests {
    typealias Fetched = APIPermissionWalkTests.Fetched

    static func coal(_ id: String, _ n: Int, _ province: String, _ mwh: String, prev: Int64, verified: Int64) -> CycleFacility {
        CycleFacility(
            id: id, entity: "ENT-00000\(n)", province: province, category: "coal_gt300", generationMWh: mwh, cooling: "water", loadFactor: "0.90",
            previousVerifiedT: prev, verifiedT: verified)
    }

    static let facilities: [CycleFacility] = DemoCycle.facilities + [coal("D6", 6, "SC", "200000", prev: 250_000, verified: 300_000)]

    static func body(_ facilities: [CycleFacility]) throws -> String {
        String(decoding: try JSONEncoder().encode(["facilities": facilities]), as: UTF8.self)
    }

    /// power-2024 as the MEE loads it: the shipped parameters plus `change`.
    static func planJSON(_ change: (inout AllocationPlan) -> Void) -> String {
        var plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
        change(&plan)
        return AllocationPlanCodec.body(plan)
    }

    static func withReserve(_ plan: inout AllocationPlan) {
        plan.reserveShare = AllocationPlan.Factor(value: ExactDecimal("0.08")!, verified: false, note: "API test")
        plan.paidAllocation = AllocationPlan.PaidAllocation(share: ExactDecimal("0.03")!, floorPrice: ExactDecimal("20.00")!, verified: false, note: "API test")
    }

    static func stage(_ name: String, year: Int = 2024, plan: String = "power-2024") -> String {
        "/api/v1/compliance/\(year)/cycle/\(plan)/stages/\(name)"
    }

    static func entities(_ fetched: Fetched) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: (fetched.json["entities"] as? [[String: Any]] ?? []).map { ($0["entity"] as? String ?? "", $0) })
    }

    static func moved(_ fetched: Fetched) -> Int {
        (fetched.json["entities"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["movedTonnes"] as? Int ?? 0) }
    }

    @Test(arguments: TestMarket.databases)
    func aYearRunThroughTheAPIAlone(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "apicyclerun")
        let cycle = world.cycle, tokens = world.tokens, service = world.service
        // ENT-000005 (GD) and ENT-000006 (SC): entity accounts the demo lacks (set-up, not the API under test).
        for (n, province) in [(5, "GD"), (6, "SC")] {
            let outcome = try await service.execute(CommandRequest(
                idempotencyKey: "test-open-\(n)",
                command: .openAccount(type: .entity, ownerID: "9144010000CYCLE0\(n)", ownerName: "Entity \(n)", province: province, representatives: [])))
            #expect(outcome.receipt != nil, "\(outcome)")
        }
        let all = try Self.body(Self.facilities)
        try await APIPledgeTests.serve(world) { api in
            let mee = tokens["mee"]!, sc = tokens["sc"]!
            func head() async -> Int64 { await service.head.seq }
            func stored(_ stage: CycleStage) async throws -> CycleStageRecord? { try await cycle.stage(plan: "power-2024", year: 2024, stage: stage) }

            // Before anything: each refusal with its code, nothing stored or moved.
            let start = await head()
            let refusals: [(String, String, String)] = [
                (Self.stage("true_up"), all, "STAGE_ORDER"),
                (Self.stage("pre_allocation"), "{}", "MISSING_FIELD"),
                (Self.stage("pre_allocation"), #"{"facilities":[{"id":5}]}"#, "INVALID_INPUT"),
                (Self.stage("pre_allocation"), "{\"facilities\":[]}", "MISSING_FIELD"),
                // Both sources are `--from-mrv --input`: the file is read first, as the CLI reads it.
                (Self.stage("pre_allocation"), #"{"source":"mrv","facilities":[{"id":5}]}"#, "INVALID_INPUT"),
                (Self.stage("true_up"), #"{"source":"facilities"}"#, "MISSING_FIELD"),
                (Self.stage("pre_allocation"), try Self.body([Self.coal("D1", 1, "GD", "600000", prev: 500_000, verified: 520_000)]), "PROVINCE_MISMATCH"),
                (Self.stage("pre_allocation", year: 2023), all, "YEAR_MISMATCH"),
                (Self.stage("pre_allocation", plan: "no-such-plan"), all, "UNKNOWN_PLAN"),
                (Self.stage("reserve"), "{}", "STAGE_ORDER"),
                (Self.stage("auction"), "{}", "MISSING_FIELD"),
                (Self.stage("auction"), #"{"auction":{"opensAt":"2025-06-10T09:30:00","closesAt":"2025-06-10T11:30:00","ceilingPriceFen":5000}}"#, "STAGE_ORDER"),
                (Self.stage("surrender"), all, "STAGE_ORDER"),
                (Self.stage("carry_over"), #"{"today":"2026-01-05"}"#, "STAGE_ORDER"),
            ]
            for (index, (path, body, code)) in refusals.enumerated() {
                let refused = try await api.call("POST", path, token: mee, key: "refused-\(index)", body: body)
                #expect(refused.status == 422 && refused.code == code, "\(path) \(body.prefix(80)): \(refused.status) \(refused.body)")
            }
            let early = try await api.call("POST", "/api/v1/compliance/2024/cycle/power-2024/penalty-notices", token: sc, key: "early", body: "{}")
            #expect(early.status == 422 && early.code == "STAGE_ORDER", "\(early.body)")
            let noStats = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/statistics")
            #expect(noStats.status == 404 && noStats.code == "STAGE_ORDER", "\(noStats.body)")
            let noSupply = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/supply", token: mee)
            #expect(noSupply.status == 200 && noSupply.json["reserveIssued"] as? Bool == false && noSupply.json["auction"] == nil, "\(noSupply.body)")
            // Roles without cycle_run, no token, no key.
            for user in ["e1", "sc", "chengdu", "registrar", "operator", "bank"] {
                let refused = try await api.call("POST", Self.stage("pre_allocation"), token: tokens[user]!, key: "not-mine", body: all)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            #expect(try await api.call("POST", Self.stage("pre_allocation"), key: "anon", body: all).status == 401)
            #expect(try await api.call("POST", Self.stage("pre_allocation"), token: mee, body: all).status == 400)
            // A server without the MRV platform cannot take its figures.
            let noMRV = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "no-mrv", body: #"{"source":"mrv"}"#)
            #expect(noMRV.status == 503 && noMRV.code == "UNAVAILABLE", "\(noMRV.body)")
            let noMRVCombined = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "no-mrv-combined", body: #"{"source":"mrv","facilities":[{"id":"D1"}]}"#)
            #expect(noMRVCombined.status == 503 && noMRVCombined.code == "UNAVAILABLE", "\(noMRVCombined.body)")
            #expect(await head() == start)
            for stage in CycleStage.allCases { #expect(try await stored(stage) == nil, "\(stage)") }
            // The refusals left their "rejected" lines and nothing else: no command, no acceptance.
            let refusedAudit = try await world.store.audit(limit: 500).filter { $0.action == "api_cycle_stage" }
            #expect(refusedAudit.count >= refusals.count && refusedAudit.allSatisfy { $0.detail.hasPrefix("rejected ") }, "\(refusedAudit)")

            // The MEE publishes power-2024 with an 8 % reserve and a 3 % paid allocation at 20.00.
            let shippedVersion = AllocationPlan.seed.first { $0.id == "power-2024" }!.version
            let loaded = try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "reserve-plan", body: Self.planJSON(Self.withReserve))
            #expect(loaded.status == 201, "\(loaded.body)")
            let published = try await api.call(
                "POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "reserve-publish", body: #"{"version":\#(shippedVersion + 1)}"#)
            #expect(published.status == 200, "\(published.body)")

            // Pre-allocation: 1,246,000 t to six entities; the retry answers the stored stage, moves nothing.
            let pre = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "pre-1", body: all)
            #expect(pre.status == 200 && pre.json["replayed"] as? Bool == false && pre.json["alreadyDone"] as? Bool == false, "\(pre.body)")
            #expect(Self.moved(pre) == 1_246_000 && Self.entities(pre).count == 6 && (pre.json["applied"] as? Int ?? 0) > 0, "\(pre.body)")
            #expect(pre.json["planVersion"] as? Int == shippedVersion + 1 && pre.json["unit"] as? String == "CEA24")
            #expect(Self.entities(pre)["ENT-000006"]?["movedTonnes"] as? Int == 175_000)
            let afterPre = await head()
            #expect(afterPre > start)
            // Each of the stage's registry commands has its line, written in the command's transaction.
            let preLines = try await world.store.audit(limit: 500).filter { $0.action == "api_cycle_stage" && $0.detail.contains(" power-2024 2024 pre_allocation ") }
            let commands = pre.json["commands"] as? Int ?? -1
            #expect(preLines.count == commands && commands > 0, "\(preLines.count) lines for \(commands) commands")
            #expect(preLines.allSatisfy { $0.user == "mee" && $0.detail.hasPrefix("accepted #") && $0.address == "127.0.0.1" }, "\(preLines)")
            #expect(preLines.contains { $0.detail.contains(" pre_allocation 1/\(commands) ") })

            // The totals before the surrender, as `openets cycle totals` works them out on the same input.
            let totalsPath = "/api/v1/compliance/2024/cycle/power-2024/totals"
            let plan = try await AllocationPlanService(store: cycle, clock: SystemClock()).resolve(id: "power-2024").plan
            let cli = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock()).totals(plan: plan, year: 2024, facilities: Self.facilities)
            let totals = try await api.call("POST", totalsPath, token: mee, body: all)
            #expect(totals.status == 200 && totals.json["source"] as? String == "facilities", "\(totals.body)")
            let nation = totals.json["nation"] as? [String: Any] ?? [:]
            let nationTotal = nation["total"] as? [String: Any] ?? [:]
            #expect(nationTotal["preAllocationTonnes"] as? Int == 1_246_000 && nationTotal["finalTonnes"] as? Int == 2_176_070, "\(nation)")
            #expect(nationTotal["facilities"] as? Int == 6 && Int64(nationTotal["preAllocationTonnes"] as? Int ?? 0) == cli.nation.total.preAllocationT)
            let provinceRows = Dictionary(uniqueKeysWithValues: (totals.json["provinces"] as? [[String: Any]] ?? []).map { ($0["scope"] as? String ?? "", $0["total"] as? [String: Any] ?? [:]) })
            #expect(Set(provinceRows.keys) == Set(cli.provinces.map(\.id)) && Set(provinceRows.keys) == ["SC", "GD"], "\(totals.body)")
            for row in cli.provinces {
                #expect(Int64(provinceRows[row.id]?["preAllocationTonnes"] as? Int ?? -1) == row.total.preAllocationT)
                #expect((provinceRows[row.id]?["finalTonnes"] as? Int).map(Int64.init) == row.total.finalT)
            }
            // Hand count: SC = D1 + D2 + D6, GD = D3 + D4 + D5.
            #expect(provinceRows["SC"]?["preAllocationTonnes"] as? Int == 644_000 && provinceRows["SC"]?["finalTonnes"] as? Int == 894_600)
            #expect(provinceRows["GD"]?["preAllocationTonnes"] as? Int == 602_000 && provinceRows["GD"]?["finalTonnes"] as? Int == 1_281_470)
            // Sichuan's staff and Chengdu's read Sichuan only, no nation; an entity nothing; no token 401.
            for user in ["sc", "chengdu"] {
                let own = try await api.call("POST", totalsPath, token: tokens[user]!, body: all)
                let scopes = (own.json["provinces"] as? [[String: Any]] ?? []).map { $0["scope"] as? String ?? "" }
                #expect(own.status == 200 && scopes == ["SC"] && own.json["nation"] == nil, "\(user): \(own.body)")
            }
            let entityTotals = try await api.call("POST", totalsPath, token: tokens["e1"]!, body: all)
            #expect(entityTotals.status == 403 && entityTotals.code == "FORBIDDEN", "\(entityTotals.body)")
            #expect(try await api.call("POST", totalsPath, body: all).status == 401)
            for (body, code) in [
                ("{}", "MISSING_FIELD"), (#"{"facilities":[{"id":5}]}"#, "INVALID_INPUT"),
                // Both sources are `--from-mrv --input`: the file is read first, as the CLI reads it.
                (#"{"source":"mrv","facilities":[{"id":5}]}"#, "INVALID_INPUT"),
            ] {
                let refused = try await api.call("POST", totalsPath, token: mee, body: body)
                #expect(refused.status == 422 && refused.code == code, "\(body): \(refused.body)")
            }
            // Without the MRV platform, neither its figures nor the combined form.
            for body in [#"{"source":"mrv"}"#, #"{"source":"mrv","facilities":[{"id":"D1"}]}"#] {
                let noMRVTotals = try await api.call("POST", totalsPath, token: mee, body: body)
                #expect(noMRVTotals.status == 503 && noMRVTotals.code == "UNAVAILABLE", "\(body): \(noMRVTotals.body)")
            }
            let otherYearTotals = try await api.call("POST", "/api/v1/compliance/2023/cycle/power-2024/totals", token: mee, body: all)
            #expect(otherYearTotals.status == 422 && otherYearTotals.code == "YEAR_MISMATCH", "\(otherYearTotals.body)")
            #expect(await head() == afterPre)
            // The same key: the first answer again (its `applied` count), from the stored key.
            let preAgain = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "pre-1", body: all)
            #expect(preAgain.status == 200 && preAgain.json["replayed"] as? Bool == true, "\(preAgain.body)")
            #expect(preAgain.json["applied"] as? Int == pre.json["applied"] as? Int && preAgain.json["alreadyDone"] as? Bool == false)
            #expect(Self.moved(preAgain) == 1_246_000 && preAgain.json["commands"] as? Int == pre.json["commands"] as? Int)
            // A new key: the stored stage, nothing applied.
            let preNewKey = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "pre-2", body: all)
            #expect(preNewKey.status == 200 && preNewKey.json["replayed"] as? Bool == true && preNewKey.json["applied"] as? Int == 0, "\(preNewKey.body)")
            #expect(preNewKey.json["alreadyDone"] as? Bool == true && Self.moved(preNewKey) == 1_246_000)
            // The first key with another request: refused, nothing done.
            let reused = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "pre-1", body: #"{"today":"2025-01-01"}"#)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED", "\(reused.body)")
            #expect(await head() == afterPre)

            // True-up: a changed previous figure is refused (nothing stored); then 930,070 t net.
            var changed = Self.facilities
            changed[5].previousVerifiedT = 260_000
            let mismatch = try await api.call("POST", Self.stage("true_up"), token: mee, key: "trueup-bad", body: try Self.body(changed))
            #expect(mismatch.status == 422 && mismatch.code == "PRE_ALLOCATION_MISMATCH", "\(mismatch.body)")
            #expect(try await stored(.trueUp) == nil)
            #expect(await head() == afterPre)
            let trueUp = try await api.call("POST", Self.stage("true_up"), token: mee, key: "trueup-1", body: all)
            #expect(trueUp.status == 200 && trueUp.json["replayed"] as? Bool == false, "\(trueUp.body)")
            #expect(Self.moved(trueUp) == 2_176_070 - 1_246_000, "\(trueUp.body)")
            #expect(Self.entities(trueUp)["ENT-000006"]?["dueTonnes"] as? Int == 65_000)
            let afterTrueUp = await head()
            let trueUpAgain = try await api.call("POST", Self.stage("true_up"), token: mee, key: "trueup-1", body: all)
            #expect(trueUpAgain.json["replayed"] as? Bool == true, "\(trueUpAgain.body)")
            #expect(await head() == afterTrueUp)

            // Reserve: 189,223 t into CN-NATIONAL; the retry issues nothing.
            let national = await APIPledgeTests.holding(service, "CN-NATIONAL", "CEA24").total
            let reserve = try await api.call("POST", Self.stage("reserve"), token: mee, key: "reserve-1", body: "{}")
            #expect(reserve.status == 200 && reserve.json["replayed"] as? Bool == false, "\(reserve.body)")
            let supply = reserve.json["supply"] as? [String: Any] ?? [:]
            #expect(supply["reserveTonnes"] as? Int == 189_223 && supply["allocatedTonnes"] as? Int == 2_176_070, "\(supply)")
            #expect(supply["auctionTonnes"] as? Int == 70_959 && supply["floorPriceFen"] as? Int == 2_000, "\(supply)")
            #expect(await APIPledgeTests.holding(service, "CN-NATIONAL", "CEA24").total == national + 189_223)
            let afterReserve = await head()
            let reserveAgain = try await api.call("POST", Self.stage("reserve"), token: mee, key: "reserve-2", body: "{}")
            #expect(reserveAgain.json["replayed"] as? Bool == true, "\(reserveAgain.body)")
            #expect(await head() == afterReserve)

            // Auction: a ceiling under the floor is refused before anything is stored; then announced.
            let terms = #"{"auction":{"opensAt":"2025-06-10T09:30:00","closesAt":"2025-06-10T11:30:00","ceilingPriceFen":CEILING}}"#
            let low = try await api.call("POST", Self.stage("auction"), token: mee, key: "auction-low", body: terms.replacingOccurrences(of: "CEILING", with: "1999"))
            #expect(low.status == 422 && low.code == "OUT_OF_RANGE", "\(low.body)")
            #expect(try await stored(.auction) == nil)
            #expect(await head() == afterReserve)
            let auction = try await api.call("POST", Self.stage("auction"), token: mee, key: "auction-1", body: terms.replacingOccurrences(of: "CEILING", with: "5000"))
            #expect(auction.status == 200 && auction.json["replayed"] as? Bool == false, "\(auction.body)")
            let announced = (auction.json["supply"] as? [String: Any])?["auction"] as? [String: Any] ?? [:]
            #expect(announced["status"] as? String == "announced" && announced["quantityTonnes"] as? Int == 70_959, "\(auction.body)")
            let afterAuction = await head()
            // A new key without terms: the stored stage (the terms are the exchange's record).
            let auctionAgain = try await api.call("POST", Self.stage("auction"), token: mee, key: "auction-2", body: "{}")
            #expect(auctionAgain.status == 200 && auctionAgain.json["replayed"] as? Bool == true, "\(auctionAgain.body)")
            #expect(((auctionAgain.json["supply"] as? [String: Any])?["auction"] as? [String: Any])?["id"] as? Int == announced["id"] as? Int)
            #expect(await head() == afterAuction)
            #expect(await service.exchange.auctions.values.filter { $0.applicant == "CN-NATIONAL" }.count == 1)
            // The supply for the regulators: the MEE and Sichuan; not an entity.
            for token in [mee, sc] {
                let read = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/supply", token: token)
                #expect(read.status == 200 && read.json["reserveIssued"] as? Bool == true && read.json["reserveTonnes"] as? Int == 189_223, "\(read.body)")
                #expect((read.json["auction"] as? [String: Any])?["status"] as? String == "announced")
            }
            #expect(try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/supply", token: tokens["e1"]!).status == 403)
            #expect(try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/supply").status == 401)
            let otherYear = try await api.call("GET", "/api/v1/compliance/2023/cycle/power-2024/supply", token: mee)
            #expect(otherYear.status == 404 && otherYear.code == "YEAR_MISMATCH", "\(otherYear.body)")

            // Surrender: ENT-000005 and ENT-000006 short by 60,000 t each, the others compliant.
            let comply = try await api.call("POST", Self.stage("surrender"), token: mee, key: "comply-1", body: all)
            #expect(comply.status == 200 && comply.json["replayed"] as? Bool == false, "\(comply.body)")
            let assessed = Dictionary(uniqueKeysWithValues: (comply.json["compliance"] as? [[String: Any]] ?? []).map { ($0["entity"] as? String ?? "", $0) })
            #expect(assessed.count == 6 && assessed.values.filter { $0["status"] as? String == "compliant" }.count == 4, "\(comply.body)")
            #expect(assessed["ENT-000006"]?["shortfallTonnes"] as? Int == 60_000 && assessed["ENT-000005"]?["shortfallTonnes"] as? Int == 60_000)
            let afterComply = await head()
            let complyAgain = try await api.call("POST", Self.stage("surrender"), token: mee, key: "comply-1", body: all)
            #expect(complyAgain.json["replayed"] as? Bool == true && (complyAgain.json["compliance"] as? [Any])?.count == 6)
            #expect(await head() == afterComply)

            // Carry-over: refused on the deadline, recorded after it; the retry returns the record.
            let onDeadline = try await api.call("POST", Self.stage("carry_over"), token: mee, key: "carry-0", body: #"{"today":"2025-12-31"}"#)
            #expect(onDeadline.status == 422 && onDeadline.code == "STAGE_ORDER", "\(onDeadline.body)")
            #expect(try await stored(.carryOver) == nil)
            let carry = try await api.call("POST", Self.stage("carry_over"), token: mee, key: "carry-1", body: #"{"today":"2026-01-05"}"#)
            #expect(carry.status == 200 && carry.json["replayed"] as? Bool == false && (carry.json["carryOver"] as? [Any])?.count == 6, "\(carry.body)")
            let carryAgain = try await api.call("POST", Self.stage("carry_over"), token: mee, key: "carry-1", body: #"{"today":"2026-01-05"}"#)
            #expect(carryAgain.json["replayed"] as? Bool == true && (carryAgain.json["carryOver"] as? [Any])?.count == 6, "\(carryAgain.body)")
            // The record's line was committed with it (the cycle store's transaction): exactly one
            // acceptance, with who and from where; the retry with the key replays the stored answer.
            let carryLines = try await world.store.audit(limit: 500).filter { $0.action == "api_cycle_stage" && $0.detail.hasSuffix(" carry_over") }
            #expect(carryLines.map { [$0.user, $0.detail, $0.address] } == [["mee", "accepted power-2024 2024 carry_over", "127.0.0.1"]], "\(carryLines)")
            #expect(try await stored(.carryOver)?.status == .done)
            // Asked again under a new key: the stored record, audited on its own as replayed.
            let carryNew = try await api.call("POST", Self.stage("carry_over"), token: mee, key: "carry-2", body: #"{"today":"2026-01-05"}"#)
            #expect(carryNew.status == 200 && carryNew.json["replayed"] as? Bool == true, "\(carryNew.body)")
            #expect(try await world.store.audit(limit: 1).first.map { [$0.user, $0.detail] } == ["mee", "replayed power-2024 2024 carry_over"])
            #expect(await head() == afterComply)

            // Penalty notices: the price regime has no deal in December 2025 (NO_MONTH_PRICE), a
            // date on the deadline is refused, a bad multiple too; nothing stored.
            let notices = "/api/v1/compliance/2024/cycle/power-2024/penalty-notices"
            for (index, (body, code)) in [("{}", "NO_MONTH_PRICE"), (#"{"issuedOn":"2025-12-31"}"#, "STAGE_ORDER"), (#"{"multiple":"five"}"#, "INVALID_VALUE"),
                                          (#"{"issuedOn":"2026-02-30"}"#, "INVALID_VALUE")].enumerated() {
                let refused = try await api.call("POST", notices, token: sc, key: "pn-bad-\(index)", body: body)
                #expect(refused.status == 422 && refused.code == code, "\(body): \(refused.body)")
            }
            #expect(try await cycle.notices(year: 2024).isEmpty)
            for user in ["mee", "chengdu", "e1", "registrar"] {
                let refused = try await api.call("POST", notices, token: tokens[user]!, key: "pn-not-mine", body: "{}")
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            // The MEE publishes a version with the fixed fine range; Sichuan issues its one notice.
            let fixed = Self.planJSON { plan in
                Self.withReserve(&plan)
                plan.penalty = AllocationPlan.PenaltyRegime(
                    kind: .fixedRange, fixedMinCNY: ExactDecimal("20000")!, fixedMaxCNY: ExactDecimal("30000")!, deductShortfall: true, source: "API test")
            }
            #expect(try await api.call("POST", "/api/v1/allocation/plans", token: mee, key: "fixed-plan", body: fixed).status == 201)
            #expect(try await api.call(
                "POST", "/api/v1/allocation/plans/power-2024/publish", token: mee, key: "fixed-publish", body: #"{"version":\#(shippedVersion + 2)}"#).status == 200)
            let issued = try await api.call("POST", notices, token: sc, key: "pn-1", body: #"{"issuedOn":"2026-01-05"}"#)
            #expect(issued.status == 200 && issued.json["issued"] as? Int == 1 && issued.json["replayed"] as? Bool == false, "\(issued.body)")
            let notice = (issued.json["notices"] as? [[String: Any]])?.first ?? [:]
            #expect(notice["entity"] as? String == "ENT-000006" && notice["province"] as? String == "SC" && notice["amountFen"] as? Int == 2_000_000, "\(notice)")
            #expect(notice["deductionTonnes"] as? Int == 60_000 && notice["status"] as? String == "issued")
            // The same key: the first answer again; a new key: the notices as they are, none new.
            let reissued = try await api.call("POST", notices, token: sc, key: "pn-1", body: #"{"issuedOn":"2026-01-05"}"#)
            #expect(reissued.status == 200 && reissued.json["issued"] as? Int == 1 && reissued.json["replayed"] as? Bool == true, "\(reissued.body)")
            let newKey = try await api.call("POST", notices, token: sc, key: "pn-2", body: #"{"issuedOn":"2026-01-05"}"#)
            #expect(newKey.status == 200 && newKey.json["issued"] as? Int == 0 && newKey.json["replayed"] as? Bool == true, "\(newKey.body)")
            let reusedKey = try await api.call("POST", notices, token: sc, key: "pn-1", body: #"{"issuedOn":"2026-01-06"}"#)
            #expect(reusedKey.status == 422 && reusedKey.code == "IDEMPOTENCY_KEY_REUSED", "\(reusedKey.body)")
            // Only Sichuan's: Guangdong's shortfall has no notice until its own authority issues it.
            #expect(try await cycle.notices(year: 2024).map(\.entity) == ["ENT-000006"])
            // Their lines, stored with the notices (the refusals before them have theirs).
            let penaltyLines = try await world.store.audit(limit: 500).filter { $0.action == "api_penalty_issue" && $0.user == "sc" }.map(\.detail)
            #expect(penaltyLines.filter { $0 == "accepted power-2024 2024 SC: 1 issued" }.count == 1, "\(penaltyLines)")
            #expect(penaltyLines.contains("replayed power-2024 2024 SC: 0 issued") && penaltyLines.contains("rejected NO_MONTH_PRICE"), "\(penaltyLines)")

            // The statistics, public, from the stored stages.
            let stats = try await api.call("GET", "/api/v1/compliance/2024/cycle/power-2024/statistics")
            #expect(stats.status == 200 && stats.json["sector"] as? String == "power", "\(stats.body)")
            let rows = Dictionary(uniqueKeysWithValues: (stats.json["rows"] as? [[String: Any]] ?? []).map { ($0["scope"] as? String ?? "", $0) })
            #expect(Set(rows.keys) == ["SC", "GD", "CN"], "\(stats.body)")
            #expect(rows["SC"]?["obligationTonnes"] as? Int == 1_000_000 && rows["SC"]?["surrenderedTonnes"] as? Int == 940_000)
            #expect(rows["SC"]?["finalAllocationTonnes"] as? Int == 894_600 && rows["GD"]?["finalAllocationTonnes"] as? Int == 1_281_470)
            #expect(rows["CN"]?["entities"] as? Int == 6 && rows["CN"]?["compliantEntities"] as? Int == 4)
            #expect(rows["CN"]?["complianceRateByCount"] as? String == "66.67" && rows["CN"]?["complianceRateByVolume"] as? String == "95.33")
            #expect(rows["CN"]?["preAllocationTonnes"] as? Int == 1_246_000 && rows["CN"]?["finalAllocationTonnes"] as? Int == 2_176_070)
            let unknown = try await api.call("GET", "/api/v1/compliance/2024/cycle/no-such-plan/statistics")
            #expect(unknown.status == 404 && unknown.code == "UNKNOWN_PLAN", "\(unknown.body)")

            // The audit: who ran what, with the outcome.
            let audit = try await world.store.audit(limit: 500).filter { $0.action == "api_cycle_stage" && $0.user == "mee" }
            #expect(audit.contains { $0.detail.hasPrefix("accepted #") && $0.detail.contains(": power-2024 2024 true_up 1/") })
            #expect(audit.contains { $0.detail.hasPrefix("accepted #") && $0.detail.contains(": power-2024 2024 reserve 1/") })
            // The auction's announcement is an exchange command: its line carries what the exchange made.
            #expect(audit.contains { $0.detail.hasPrefix("accepted #") && $0.detail.contains(" (auction ") && $0.detail.contains(": power-2024 2024 auction ") }, "\(audit.map(\.detail))")
            // A done stage asked again under a new key, and the carry-over (stored, moves nothing): one line each.
            #expect(audit.contains { $0.detail == "replayed power-2024 2024 pre_allocation" })
            #expect(audit.contains { $0.detail == "accepted power-2024 2024 carry_over" })
            #expect(audit.contains { $0.detail == "rejected PRE_ALLOCATION_MISMATCH" })
        }
    }

    /// A unit on the MRV platform for the stage from its figures: `previous` and `verified` the
    /// verifier's figures of 2023 and 2024, twelve months of `monthMWh` over `hours` hours each.
    struct MRVUnit {
        var facility: FacilityID
        var entity: DemoMRV.DemoEntity
        var account: String
        var capacityMW: String
        var monthMWh: Int64
        var hours: Int64
        var previous: Int64
        var verified: Int64
    }

    /// Hand count (power-2024 as shipped; both coal > 300 MW, load factor ≥ 0.85):
    ///
    ///     U1 (ENT-000001, SC)  600,000 MWh, 55 h × 12 at 1,000 MW: load 0.9091
    ///        pre-allocation 70 % × 500,000 = 350,000; final as DemoCycle's D1 = 474,600
    ///     U3 (ENT-000003, GD)  360,000 MWh, 70 h × 12 at 500 MW: load 0.8571
    ///        pre-allocation 70 % × 350,000 = 245,000; final = the 80 % floor of 1,000,000 = 800,000
    ///     pre-allocation 595,000 t; final 1,274,600 t; true-up 679,600 t
    static let mrvUnits = [
        MRVUnit(facility: "MRV-U1", entity: DemoMRV.entities[0], account: "ENT-000001", capacityMW: "1000", monthMWh: 50_000, hours: 55, previous: 500_000, verified: 520_000),
        MRVUnit(facility: "MRV-U3", entity: DemoMRV.entities[2], account: "ENT-000003", capacityMW: "500", monthMWh: 30_000, hours: 70, previous: 350_000, verified: 1_000_000),
    ]

    /// The same figures as the facilities JSON (what `--input` would say), for the comparison.
    static func mrvFile(verified: Bool) -> [CycleFacility] {
        mrvUnits.map { u in
            CycleFacility(
                id: u.facility.rawValue, entity: u.account, province: u.entity.province, category: "coal_gt300",
                generationMWh: verified ? String(u.monthMWh * 12) : nil, heatSuppliedGJ: verified ? "0" : nil, cooling: "water",
                loadFactor: verified ? (u.account == "ENT-000001" ? "0.9091" : "0.8571") : nil, previousVerifiedT: u.previous,
                verifiedT: verified ? u.verified : nil)
        }
    }

    /// The combined body: `source` `mrv` with the facilities file (`--from-mrv --input`).
    static func combined(_ facilities: [CycleFacility]) throws -> String {
        let list = String(decoding: try JSONEncoder().encode(facilities), as: UTF8.self)
        return #"{"source":"mrv","facilities":"# + list + "}"
    }

    @Test(arguments: TestMarket.databases)
    func aStageFromTheMRVPlatformsFigures(_ database: String) async throws {
        let world = try await APIPledgeTests.world(database, tag: "apicyclemrv")
        let cycle = world.cycle, tokens = world.tokens, service = world.service
        // The MRV platform's history (set-up through MRVService, not the API under test): both
        // units' 2023 reports approved; 2024 concluded and approved by city and province, U1's
        // nationally too.
        let clock = MarketClock(CivilDate(year: 2023, month: 1, day: 5), hour: 9, minute: 0)
        let (mrvStore, mrv) = try await Composition.openMRV(world.location, clock: clock, connectionID: 4)
        var step = 0
        func record(_ command: MRVCommand, on date: CivilDate) async throws {
            step += 1
            clock.simulate(date, hour: 10, minute: 0)
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: "cycle-mrv-\(step)", command: command))
            #expect(outcome.receipt != nil, "\(command.kind): \(outcome)")
        }
        let start = CivilDate(year: 2023, month: 1, day: 5)
        try await record(.registerVerifier(Verifier(id: "V-1", name: "Verifier 1")), on: start)
        for u in Self.mrvUnits {
            try await record(.registerEntity(uscc: u.entity.uscc, name: u.entity.name, province: u.entity.province, city: u.entity.city, sector: .power, group: nil), on: start)
            try await record(.registerFacility(Facility(
                id: u.facility, entity: MRVEntityID(u.entity.uscc), name: "unit", kind: .power,
                power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(u.capacityMW)!, cooling: .water), fuels: [.coal])), on: start)
        }
        for year in [2023, 2024] {
            for u in Self.mrvUnits {
                for month in 1...12 {
                    try await record(.submitMonth(MonthlyData(
                        facility: u.facility, year: year, month: month,
                        fuels: [FuelLine(fuel: .coal, consumption: ExactDecimal(1000), ncvGJPerUnit: .measured(ExactDecimal(20)))],
                        production: Production(generationMWh: ExactDecimal(u.monthMWh), operatingHours: ExactDecimal(u.hours)))),
                        on: MRVDeadlines.lastDay(year: year, month: month).adding(days: 10))
                }
                let id = MRVEntityID(u.entity.uscc)
                try await record(.submitReport(entity: id, year: year), on: CivilDate(year: year + 1, month: 3, day: 20))
                try await record(.assignVerifier(entity: id, year: year, verifier: "V-1"), on: CivilDate(year: year + 1, month: 4, day: 1))
                let figure = VerifiedFacility(
                    facility: u.facility, emissionsT: ExactDecimal(year == 2023 ? u.previous : u.verified), output: ExactDecimal(u.monthMWh * 12))
                try await record(.concludeVerification(entity: id, year: year, verifier: "V-1", facilities: [figure]), on: CivilDate(year: year + 1, month: 5, day: 20))
                for (index, level) in ReviewLevel.allCases.enumerated() where !(year == 2024 && u.account == "ENT-000003" && level == .national) {
                    try await record(.approveReview(entity: id, year: year, level: level), on: CivilDate(year: year + 1, month: 6, day: 5 + 5 * index))
                }
            }
        }
        let plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
        let mrvSource = #"{"source":"mrv"}"#
        try await PortalServerTests.run(ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: service, cycle: cycle, mrv: mrv) { port in
            let api = APIPermissionWalkTests.Client(port: port)
            let mee = tokens["mee"]!
            func head() async -> Int64 { await service.head.seq }
            let totalsPath = "/api/v1/compliance/2024/cycle/power-2024/totals"

            // The totals from the platform: last year's figures only (no verified figure needed), as
            // `openets cycle totals --from-mrv` and as the same figures in the facilities JSON.
            let fromMRV = try await api.call("POST", totalsPath, token: mee, body: mrvSource)
            let fromFile = try await api.call("POST", totalsPath, token: mee, body: try Self.body(Self.mrvFile(verified: false)))
            let figures = try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(plan: plan, year: 2024, file: nil, needVerified: false)
            let cli = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock()).totals(plan: plan, year: 2024, facilities: figures)
            for answer in [fromMRV, fromFile] {
                let nation = (answer.json["nation"] as? [String: Any])?["total"] as? [String: Any] ?? [:]
                #expect(answer.status == 200 && nation["preAllocationTonnes"] as? Int == 595_000 && nation["facilities"] as? Int == 2, "\(answer.body)")
                #expect(Int64(nation["preAllocationTonnes"] as? Int ?? 0) == cli.nation.total.preAllocationT && nation["finalTonnes"] == nil)
            }
            #expect(fromMRV.json["source"] as? String == "mrv" && fromFile.json["source"] as? String == "facilities")
            let scOnly = try await api.call("POST", totalsPath, token: tokens["sc"]!, body: mrvSource)
            let scRows = scOnly.json["provinces"] as? [[String: Any]] ?? []
            #expect(scOnly.status == 200 && scOnly.json["nation"] == nil && scRows.count == 1, "\(scOnly.body)")
            #expect(scRows.first?["scope"] as? String == "SC" && (scRows.first?["total"] as? [String: Any])?["preAllocationTonnes"] as? Int == 350_000)

            // The totals in the combined form (`openets cycle totals --from-mrv --input`): the file
            // names U1 with wrong figures, U3 by id alone and a gas unit the platform does not
            // know (DemoCycle's D2: 70 % × 170,000 = 119,000 t). The platform's figures win for U1
            // and U3, the file fills the third: 595,000 + 119,000 = 714,000 t, as the CLI's code
            // (`MRVVerifiedFigures` with the file, then `totals`) gives.
            let totalsFile = [
                CycleFacility(id: "MRV-U1", entity: "ENT-999999", province: "XX", category: "gas", previousVerifiedT: 1),
                CycleFacility(id: "MRV-U3", entity: nil, province: nil, category: nil, previousVerifiedT: nil),
                CycleFacility(id: "FILE-G2", entity: "ENT-000002", province: "SC", category: "gas", previousVerifiedT: 170_000),
            ]
            let combinedTotals = try await api.call("POST", totalsPath, token: mee, body: try Self.combined(totalsFile))
            let cliCombined = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock()).totals(
                plan: plan, year: 2024,
                facilities: try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(plan: plan, year: 2024, file: totalsFile, needVerified: false))
            let combinedRows = Dictionary(uniqueKeysWithValues: (combinedTotals.json["provinces"] as? [[String: Any]] ?? []).map {
                ($0["scope"] as? String ?? "", $0["total"] as? [String: Any] ?? [:])
            })
            let combinedNation = (combinedTotals.json["nation"] as? [String: Any])?["total"] as? [String: Any] ?? [:]
            #expect(combinedTotals.status == 200 && combinedTotals.json["source"] as? String == "mrv", "\(combinedTotals.body)")
            #expect(combinedNation["preAllocationTonnes"] as? Int == 714_000 && combinedNation["facilities"] as? Int == 3, "\(combinedTotals.body)")
            #expect(Int64(combinedNation["preAllocationTonnes"] as? Int ?? 0) == cliCombined.nation.total.preAllocationT && combinedNation["finalTonnes"] == nil)
            #expect(combinedRows["SC"]?["preAllocationTonnes"] as? Int == 469_000 && combinedRows["GD"]?["preAllocationTonnes"] as? Int == 245_000, "\(combinedTotals.body)")
            let combinedMissingID = try await api.call("POST", totalsPath, token: mee, body: #"{"source":"mrv","facilities":[{"id":"MRV-U1"},{"previous_verified_t":1}]}"#)
            #expect(combinedMissingID.status == 422 && combinedMissingID.code == "MISSING_FIELD", "\(combinedMissingID.body)")
            #expect(combinedMissingID.json["message"] as? String == "facilities[1]: id is required", "\(combinedMissingID.body)")

            // Pre-allocation from the platform: 595,000 t, as the hand count.
            let pre = try await api.call("POST", Self.stage("pre_allocation"), token: mee, key: "mrv-pre", body: mrvSource)
            #expect(pre.status == 200 && Self.moved(pre) == 595_000, "\(pre.body)")
            #expect(Self.entities(pre)["ENT-000001"]?["movedTonnes"] as? Int == 350_000 && Self.entities(pre)["ENT-000003"]?["movedTonnes"] as? Int == 245_000)
            let afterPre = await head()

            // True-up while U3's 2024 report awaits the national review: refused, naming the
            // facility and its entity account, nothing stored or moved; audited as refused only.
            func stageLines() async throws -> [AuditRecord] { try await world.store.audit(limit: 100_000).filter { $0.action == "api_cycle_stage" } }
            let linesBefore = try await stageLines()
            let refused = try await api.call("POST", Self.stage("true_up"), token: mee, key: "mrv-trueup-early", body: mrvSource)
            #expect(refused.status == 422 && refused.code == "NO_VERIFIED_FIGURE", "\(refused.body)")
            let message = refused.json["message"] as? String ?? ""
            #expect(message == "MRV-U3 (ENT-000003): no verified figure for 2024 (annual report province_approved, not approved)", "\(refused.body)")
            // Exactly one new line, the refusal's (the newest first).
            let linesAfter = try await stageLines()
            #expect(linesAfter.count == linesBefore.count + 1 && linesAfter.first?.detail == "rejected NO_VERIFIED_FIGURE", "\(linesAfter.prefix(3))")
            #expect(Array(linesAfter.dropFirst()) == linesBefore)
            // The combined form (`source` `mrv` with `facilities`, the CLI's `--from-mrv --input`)
            // refuses as the CLI does: the file's verified figure does not stand in for the
            // platform's approval; a named facility the platform does not know has no verified
            // figure; a facility without id is MISSING_FIELD. Nothing stored or moved.
            let fileU3 = try Self.combined(Self.mrvFile(verified: true))
            let combinedRefusals: [(String, String, String)] = [
                ("mrv-both-u3", fileU3, "MRV-U3 (ENT-000003): no verified figure for 2024 (annual report province_approved, not approved)"),
                ("mrv-both-x9", #"{"source":"mrv","facilities":[{"id":"MRV-U1"},{"id":"X9","previous_verified_t":1}]}"#,
                 "X9: not a facility of the MRV platform"),
                ("mrv-both-noid", #"{"source":"mrv","facilities":[{"id":"MRV-U1"},{"verified_t":1}]}"#, "facilities[1]: id is required"),
            ]
            for (key, body, expected) in combinedRefusals {
                let refusal = try await api.call("POST", Self.stage("true_up"), token: mee, key: key, body: body)
                #expect(refusal.status == 422 && refusal.json["message"] as? String == expected, "\(key): \(refusal.body)")
                #expect(refusal.code == (key == "mrv-both-noid" ? "MISSING_FIELD" : "NO_VERIFIED_FIGURE"), "\(key): \(refusal.body)")
            }
            #expect(await head() == afterPre)
            #expect(try await cycle.stage(plan: "power-2024", year: 2024, stage: .trueUp) == nil)

            // The MEE approves U3's report; the true-up then runs from the platform: 679,600 t, the
            // final as the facilities JSON of the same figures gives it.
            clock.simulate(CivilDate(year: 2025, month: 6, day: 20), hour: 10, minute: 0)
            let approved = try await mrv.execute(MRVRequest(
                idempotencyKey: "cycle-mrv-national", command: .approveReview(entity: MRVEntityID(Self.mrvUnits[1].entity.uscc), year: 2024, level: .national)))
            #expect(approved.receipt != nil, "\(approved)")
            // The true-up in the combined form, its file naming the two units with wrong or
            // missing figures (entity, province, category, output, emissions): every figure the
            // platform has wins, so the stage gets what `openets cycle true-up --from-mrv
            // --input` feeds it (`MRVVerifiedFigures` with the file, the code the CLI runs):
            // the figures of the platform alone, 679,600 t by the hand count above.
            let wrongFile = [
                CycleFacility(id: "MRV-U1", entity: "ENT-999999", province: "XX", category: "gas", previousVerifiedT: 1, verifiedT: 1),
                CycleFacility(id: "MRV-U3", entity: nil, province: nil, category: nil, previousVerifiedT: nil),
            ]
            let cliFacilities = try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(
                plan: plan, year: 2024, file: wrongFile, needVerified: true)
            #expect(cliFacilities == Self.mrvFile(verified: true))
            let trueUp = try await api.call("POST", Self.stage("true_up"), token: mee, key: "mrv-trueup", body: try Self.combined(wrongFile))
            #expect(trueUp.status == 200 && Self.moved(trueUp) == 679_600, "\(trueUp.body)")
            #expect(trueUp.json["alreadyDone"] as? Bool == false && Self.entities(trueUp)["ENT-000001"]?["province"] as? String == "SC", "\(trueUp.body)")
            // The platform's figures alone, with a new key: the stage is done, the same result.
            let again = try await api.call("POST", Self.stage("true_up"), token: mee, key: "mrv-trueup-again", body: mrvSource)
            #expect(again.status == 200 && again.json["alreadyDone"] as? Bool == true && Self.moved(again) == 679_600, "\(again.body)")
            let final = try await api.call("POST", totalsPath, token: mee, body: try Self.body(Self.mrvFile(verified: true)))
            let finalNation = (final.json["nation"] as? [String: Any])?["total"] as? [String: Any] ?? [:]
            #expect(finalNation["finalTonnes"] as? Int == 1_274_600 && finalNation["finalTonnes"] as? Int == 595_000 + Self.moved(trueUp), "\(final.body)")
            #expect(try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(plan: plan, year: 2024, file: nil, needVerified: true) == Self.mrvFile(verified: true))
            let lines = try await world.store.audit(limit: 500).filter { $0.action == "api_cycle_stage" && $0.detail.contains(" true_up ") }
            #expect(lines.count == trueUp.json["commands"] as? Int && lines.allSatisfy { $0.user == "mee" && $0.detail.hasPrefix("accepted #") }, "\(lines)")

            // A fault in Guangdong: a power entity the registry holds no account for. The MEE's
            // totals from the platform fail on it and name it; Sichuan's staff read their own
            // province's figures, and nothing of Guangdong is in their answer.
            let first17 = "91440100000000777"
            let stranger = first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
            for (key, command) in [
                ("cycle-mrv-gd-entity", MRVCommand.registerEntity(uscc: stranger, name: "Stranger GD", province: "GD", city: "广州", sector: .power, group: nil)),
                ("cycle-mrv-gd-unit", .registerFacility(Facility(
                    id: "MRV-GD-STRANGER", entity: MRVEntityID(stranger), name: "unit", kind: .power,
                    power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(300), cooling: .water), fuels: [.coal]))),
            ] {
                let outcome = try await mrv.execute(MRVRequest(idempotencyKey: key, command: command))
                #expect(outcome.receipt != nil, "\(key): \(outcome)")
            }
            let national = try await api.call("POST", totalsPath, token: mee, body: mrvSource)
            #expect(national.status == 422 && national.code == "UNKNOWN_ACCOUNT" && national.body.contains(stranger), "\(national.body)")
            for user in ["sc", "chengdu"] {
                let scoped = try await api.call("POST", totalsPath, token: tokens[user]!, body: mrvSource)
                let rows = scoped.json["provinces"] as? [[String: Any]] ?? []
                #expect(scoped.status == 200 && rows.map { $0["scope"] as? String } == ["SC"], "\(user): \(scoped.body)")
                #expect((rows.first?["total"] as? [String: Any])?["preAllocationTonnes"] as? Int == 350_000, "\(user): \(scoped.body)")
                for id in [stranger, "MRV-GD-STRANGER", "MRV-U3", Self.mrvUnits[1].entity.uscc, "ENT-000003"] {
                    #expect(!scoped.body.contains(id), "\(user) sees \(id): \(scoped.body)")
                }
            }
            // The combined form keeps that scope (docs/security.md): Sichuan's staff's file names
            // U1 by id, the gas unit and U3 with its figures; U3, of Guangdong, is read from the
            // file alone, as one the platform does not know, and Guangdong's row is not theirs:
            // Sichuan's 350,000 + 119,000 t, as the CLI's code scoped to SC gives. Naming
            // Guangdong's faulty unit, they get the fault of their own file (its entity missing),
            // not the platform's (the stranger's code); the MEE gets the platform's. A file not
            // naming it is not held by it.
            let scopedFile = [
                CycleFacility(id: "MRV-U1", entity: nil, province: nil, category: nil, previousVerifiedT: nil),
                totalsFile[2],
                CycleFacility(id: "MRV-U3", entity: "ENT-000003", province: "GD", category: "coal_gt300", cooling: "water", previousVerifiedT: 350_000),
            ]
            let scopedCLI = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock()).totals(
                plan: plan, year: 2024,
                facilities: try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(
                    plan: plan, year: 2024, file: scopedFile, needVerified: false, province: "SC"))
            let cliSC = try #require(scopedCLI.provinces.first { $0.id == "SC" })
            for user in ["sc", "chengdu"] {
                let scoped = try await api.call("POST", totalsPath, token: tokens[user]!, body: try Self.combined(scopedFile))
                let rows = scoped.json["provinces"] as? [[String: Any]] ?? []
                let total = rows.first?["total"] as? [String: Any] ?? [:]
                #expect(scoped.status == 200 && rows.map { $0["scope"] as? String } == ["SC"] && scoped.json["nation"] == nil, "\(user): \(scoped.body)")
                #expect(total["preAllocationTonnes"] as? Int == 469_000 && Int64(total["preAllocationTonnes"] as? Int ?? 0) == cliSC.total.preAllocationT, "\(user): \(scoped.body)")
                #expect(total["facilities"] as? Int == 2, "\(user): \(scoped.body)")
                let named = try await api.call("POST", totalsPath, token: tokens[user]!, body: #"{"source":"mrv","facilities":[{"id":"MRV-U1"},{"id":"MRV-GD-STRANGER"}]}"#)
                #expect(named.status == 422 && named.code == "MISSING_FIELD" && named.json["message"] as? String == "MRV-GD-STRANGER: entity is missing", "\(user): \(named.body)")
                #expect(!named.body.contains(stranger), "\(user): \(named.body)")
            }
            let meeNamed = try await api.call("POST", totalsPath, token: mee, body: #"{"source":"mrv","facilities":[{"id":"MRV-U1"},{"id":"MRV-GD-STRANGER"}]}"#)
            #expect(meeNamed.status == 422 && meeNamed.code == "UNKNOWN_ACCOUNT" && meeNamed.body.contains(stranger), "\(meeNamed.body)")
            let meeUnnamed = try await api.call("POST", totalsPath, token: mee, body: try Self.combined([scopedFile[0], scopedFile[1]]))
            let meeUnnamedNation = (meeUnnamed.json["nation"] as? [String: Any])?["total"] as? [String: Any] ?? [:]
            #expect(meeUnnamed.status == 200 && meeUnnamedNation["preAllocationTonnes"] as? Int == 469_000, "\(meeUnnamed.body)")
        }
        try await mrvStore.close()
        try await world.cycle.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }
}
