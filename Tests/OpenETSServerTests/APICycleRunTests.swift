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

    @Test(arguments: TradeBlockAuctionTests.databases)
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
            #expect(await head() == start)
            for stage in CycleStage.allCases { #expect(try await stored(stage) == nil, "\(stage)") }

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
            #expect(audit.contains { $0.detail.hasPrefix("accepted power-2024 2024 pre_allocation") })
            #expect(audit.contains { $0.detail.hasPrefix("replayed power-2024 2024 pre_allocation") })
            #expect(audit.contains { $0.detail == "rejected PRE_ALLOCATION_MISMATCH" })
        }
    }
}
