import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// One full national year end to end on each database, with the verified figures taken from
/// the MRV platform (issue 5 "Must show"): 2 provinces, 6 entities, 7 coal and gas units under
/// power-2024 go through pre-allocation → monthly data submitted through `MRVService` (twelve
/// months per unit) → annual reports → verification (a finding, the verifier's conclusion) and
/// the three-level review → true-up from the approved reports (`--from-mrv`) → three deals on
/// the exchange → surrender → penalty notices → carry-over, and the published statistics
/// equal the hand count below.
///
/// The market and its figures are `ComplianceYearTests`' (the same hand count), except that
/// no verified figure comes from a file: the file gives only the facility list and the 2023
/// basis of the pre-allocation (`previous_verified_t`: the platform has no 2023 reports).
///
/// Monthly data: each unit reports 8 % of its year's generation in January-November and 12 %
/// in December, 600 operating hours a month (7,200 h), 1,000 t of coal (or 100 × 10^4 Nm3 of
/// gas) a month. Capacities 15 MW (100,000 MWh units), 30 MW (F4), 8 MW (F5), 2 MW (F7):
/// load factor of the coal units = 100,000 / (15 × 7,200) = 200,000 / (30 × 7,200) = 0.9259
/// (≥ 0.85 → correction 1, as the 0.90 of the file test).
///
/// Verifier's conclusions (tCO2e, 2 decimals) and the whole tonnes the cycle takes (half up):
/// F1 80,000.40 → 80,000; F2 40,000.00; F3 119,999.50 → 120,000; F4 150,000.00;
/// F5 14,999.50 → 15,000; F6 90,000.49 → 90,000; F7 4,000.00.
///
/// Hand count (power-2024: coal_gt300 0.7910, coal_le300 0.8049, gas 0.3288 tCO2/MWh):
///
/// | entity | facilities | pre | final (rule) | obligation | traded | held at surrender | result |
/// |---|---|---|---|---|---|---|---|
/// | E1 SC | F1 coal 100,000 MWh | 56,000 | 79,100 formula | 80,000 | buys 1,000 | 80,100 | compliant |
/// | E2 SC | F2 gas 100,000 MWh | 28,000 | 40,000 gas cap | 40,000 | sells 500 | 39,500 (+1,000 unknown CCER) | shortfall 500 |
/// | E3 SC | F3 coal 100,000 MWh | 70,000 | 96,000 coal floor | 120,000 | buys 500 | 96,500 | shortfall 23,500 |
/// | E4 GD | F4 coal 200,000 MWh | 105,000 | 158,200 formula | 150,000 | sells 1,500 | 156,700 | compliant, 6,700 left |
/// | E5 GD | F5 gas 50,000 MWh (prev 20,000) | 14,000 | 16,440 formula | 15,000 | buys 500 | 16,940 | compliant, 1,940 left |
/// | E6 GD | F6 coal≤300 100,000 MWh; F7 gas 10,000 MWh | 63,000 + 2,800 | 80,490 + 4,000 gas cap | 94,000 | — | 84,490 + 5,000 eligible CCER | CCER 4,700, shortfall 4,810 |
///
/// Deals on 2025-12-10: 1,000 t at 100.00 (E4 → E1), 500 t at 101.00 (E2 → E5), 500 t at
/// 102.02 (E4 → E3); the month's average 10,076 fen. Fines at 5×: E2 25,190,000 fen,
/// E3 1,183,930,000, E6 242,327,800.
///
/// Statistics: SC 1/3 compliant (33.33 %), 216,000 / 240,000 t (90.00 %), pre 154,000, final
/// 215,100; GD 2/3 (66.67 %), 254,190 / 259,000 t (98.14 %), pre 184,800, final 259,130;
/// nation 3/6 (50.00 %), 470,190 / 499,000 t (94.23 %), shortfall 28,810, final 474,230;
/// traded 2,000 t of CEA24 → turnover 2,000 / 474,230 = 0.42 %.
///
/// Carry-over on 2026-01-05 (limit 10,000 + floor(1.5 × max(0, net sold))), after the
/// regulator allocated 10,000 t more CEA24 to E1, 8,060 t to E5 and 50,000 t of CEA25 to E4:
/// E1 held 10,100 > 10,000 → excess 100; E5 10,000 = 10,000 → 0 (the edge); E4 6,700 of
/// vintages ≤ 2024 (its CEA25 does not count) < 12,250 → 0; E2, E3, E6 hold none.
@Suite("A national year from MRV data to statistics, on each database")
struct NationalYearTests {
    static let plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
    static let cea24: UnitTypeCode = "CEA24"
    static let legacyCCER: UnitTypeCode = "CCER-OLD-2020"
    static let ccer = IssuanceOrder.unitTypeCode(project: "P000001", period: 1)
    static let tradeDay = CivilDate(year: 2025, month: 12, day: 10)
    static func e(_ n: Int) -> AccountID { AccountID("ENT-00000\(n)") }

    static func uscc(_ n: Int) -> String {
        let first17 = "91510100" + String(repeating: "0", count: 8) + String(n)
        return first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
    }

    /// A unit as registered on the MRV platform and as concluded by the verifier.
    struct Unit {
        var id: String
        var entity: Int
        var category: PowerUnitCategory
        var capacityMW: Int64
        var generationMWh: Int64
        var verified: String
        var previousT: Int64
    }

    static let units: [Unit] = [
        Unit(id: "F1", entity: 1, category: .coalGT300, capacityMW: 15, generationMWh: 100_000, verified: "80000.40", previousT: 80_000),
        Unit(id: "F2", entity: 2, category: .gas, capacityMW: 15, generationMWh: 100_000, verified: "40000.00", previousT: 40_000),
        Unit(id: "F3", entity: 3, category: .coalGT300, capacityMW: 15, generationMWh: 100_000, verified: "119999.50", previousT: 100_000),
        Unit(id: "F4", entity: 4, category: .coalGT300, capacityMW: 30, generationMWh: 200_000, verified: "150000.00", previousT: 150_000),
        Unit(id: "F5", entity: 5, category: .gas, capacityMW: 8, generationMWh: 50_000, verified: "14999.50", previousT: 20_000),
        Unit(id: "F6", entity: 6, category: .coalLE300, capacityMW: 15, generationMWh: 100_000, verified: "90000.49", previousT: 90_000),
        Unit(id: "F7", entity: 6, category: .gas, capacityMW: 2, generationMWh: 10_000, verified: "4000.00", previousT: 4_000),
    ]

    static func province(_ entity: Int) -> String { entity <= 3 ? "SC" : "GD" }

    /// The facilities file: the list and the 2023 basis only, no verified figure.
    static let file: [CycleFacility] = units.map { u in
        CycleFacility(id: u.id, entity: e(u.entity).rawValue, province: province(u.entity), category: u.category.rawValue, previousVerifiedT: u.previousT)
    }

    static func month(_ u: Unit, _ m: Int) -> MonthlyData {
        let share = m == 12 ? u.generationMWh * 12 / 100 : u.generationMWh * 8 / 100
        let fuel = u.category == .gas
            ? FuelLine(fuel: .naturalGas, consumption: ExactDecimal(100))
            : FuelLine(fuel: .coal, consumption: ExactDecimal(1000), ncvGJPerUnit: .measured(ExactDecimal(20)))
        return MonthlyData(
            facility: FacilityID(u.id), year: 2024, month: m, fuels: [fuel],
            production: Production(generationMWh: ExactDecimal(share), operatingHours: ExactDecimal(600)))
    }

    struct Session {
        var harness: Harness
        var cycleStore: any AllocationCycleStore
        var service: AllocationCycleService
        var mrvStore: any MRVStore
        var mrv: MRVService
        var clock: OpenETSRuntime.MarketClock
        var keys = 0

        var figures: MRVVerifiedFigures { MRVVerifiedFigures(mrv: mrv, registry: harness.service) }

        mutating func record(_ command: MRVCommand, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            keys += 1
            let outcome = try await mrv.execute(MRVRequest(idempotencyKey: "nat-mrv-\(keys)", command: command))
            guard outcome.receipt != nil else {
                Issue.record("expected \(command.kind) to be accepted, got \(outcome)", sourceLocation: sourceLocation)
                throw TestSetupError("rejected")
            }
        }

        mutating func exchange(_ command: ExchangeCommand) async throws -> ExchangeReceipt {
            keys += 1
            let outcome = try await harness.service.execute(ExchangeRequest(idempotencyKey: "nat-x-\(keys)", command: command))
            guard let receipt = outcome.receipt else { throw TestSetupError("\(command.kind): \(String(describing: outcome.error))") }
            return receipt
        }

        func held(_ n: Int) async -> Int64 { await harness.holding(NationalYearTests.e(n), NationalYearTests.cea24).total }

        func at(_ year: Int, _ month: Int, _ day: Int) { clock.simulate(CivilDate(year: year, month: month, day: day), hour: 10, minute: 0) }

        func close() async throws {
            try await mrvStore.close()
            try await cycleStore.close()
            try await harness.close()
        }
    }

    /// The registry accounts (entity owners are the MRV entities' credit codes), the MRV
    /// entities, units and verifiers, a known and an unknown CCER.
    static func market(_ backend: Backend, _ name: String = #function) async throws -> Session {
        let location = try backend.freshLocation(name)
        let clock = OpenETSRuntime.MarketClock(CivilDate(year: 2024, month: 1, day: 15), hour: 9, minute: 0)
        let harness = try await Harness.open(location, clock: clock)
        let cycleStore = try await Composition.openAllocationCycleStore(location, connectionID: 2)
        let (mrvStore, mrv) = try await Composition.openMRV(location, clock: clock, connectionID: 3)
        var s = Session(
            harness: harness, cycleStore: cycleStore, service: AllocationCycleService(registry: harness.service, store: cycleStore, clock: clock),
            mrvStore: mrvStore, mrv: mrv, clock: clock)
        let h = s.harness
        for type in [AccountType.national, .compliance, .voluntaryCancellation] {
            try await h.accept(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        try await h.accept(.openAccount(type: .projectOwner, ownerID: "P1", ownerName: "P1", province: "SC", representatives: []))
        for province in ["SC", "GD"] {
            try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: province, province: province, representatives: []))
        }
        for n in 1...6 {
            try await h.accept(.openAccount(type: .entity, ownerID: uscc(n), ownerName: "E\(n)", province: province(n), representatives: []))
            try await h.accept(.depositFunds(account: e(n), amountFen: 1_000_000_000, bankReference: "B\(n)"))
            try await s.record(.registerEntity(
                uscc: uscc(n), name: "电厂\(n)", province: n <= 3 ? "四川" : "广东", city: n <= 3 ? "成都" : "广州", sector: .power, group: nil))
        }
        for owner in ["X", "R"] {
            try await h.accept(.openAccount(type: .exchangeClearing, ownerID: owner, ownerName: owner, province: nil, representatives: []))
        }
        for u in units {
            try await s.record(.registerFacility(Facility(
                id: FacilityID(u.id), entity: MRVEntityID(uscc(u.entity)), name: "机组 \(u.id)", kind: .power,
                power: PowerUnit(category: u.category, capacityMW: ExactDecimal(u.capacityMW), cooling: .water),
                fuels: [u.category == .gas ? .naturalGas : .coal])))
        }
        for v in ["V1", "V2"] { try await s.record(.registerVerifier(Verifier(id: VerifierID(v), name: "核查机构 \(v)"))) }
        try await h.accept(.defineUnitType(code: legacyCCER, kind: .ccer, label: "CCER", vintageFrom: 2020, vintageTo: 2020, projectID: "OLD", issuer: "CN", serialized: true))
        try await h.accept(.issue(unit: legacyCCER, quantity: 1_000, to: DemoCCER.owner))
        try await h.accept(.transfer(from: DemoCCER.owner, to: e(2), unit: legacyCCER, quantity: 1_000))
        return s
    }

    @Test(arguments: Backend.all)
    func nationalYearFromMRV(_ backend: Backend) async throws {
        var s = try await Self.market(backend)
        let plan = Self.plan

        // Pre-allocation in January 2024 on the 2023 basis of the file.
        let pre = try await s.service.run(.preAllocation, plan: plan, year: 2024, from: s.figures, file: Self.file)
        #expect(pre.plan.entities.map(\.movedT) == [56_000, 28_000, 70_000, 105_000, 14_000, 65_800])

        // Monthly data through the MRV platform, each month ten days after it ends.
        for m in 1...12 {
            s.at(m == 12 ? 2025 : 2024, m == 12 ? 1 : m + 1, 10)
            for u in Self.units { try await s.record(.submitMonth(Self.month(u, m))) }
        }
        // Annual reports in March 2025; verifiers assigned in April.
        s.at(2025, 3, 20)
        for n in 1...6 { try await s.record(.submitReport(entity: MRVEntityID(Self.uscc(n)), year: 2024)) }
        s.at(2025, 4, 10)
        for n in 1...6 { try await s.record(.assignVerifier(entity: MRVEntityID(Self.uscc(n)), year: 2024, verifier: n <= 3 ? "V1" : "V2")) }
        // A finding on F3's March coal NCV, corrected and resolved before the conclusion.
        try await s.record(.recordFinding(
            entity: MRVEntityID(Self.uscc(3)), year: 2024, verifier: "V1", facility: "F3", month: 3, item: "coal.ncv",
            description: "no laboratory report", requiredCorrection: "attach the report"))
        try await s.record(.resolveFinding(entity: MRVEntityID(Self.uscc(3)), year: 2024, finding: 1, response: "report attached"))
        s.at(2025, 5, 20)
        for n in 1...6 {
            let verified = Self.units.filter { $0.entity == n }.map {
                VerifiedFacility(facility: FacilityID($0.id), emissionsT: ExactDecimal($0.verified)!, output: ExactDecimal($0.generationMWh))
            }
            try await s.record(.concludeVerification(entity: MRVEntityID(Self.uscc(n)), year: 2024, verifier: n <= 3 ? "V1" : "V2", facilities: verified))
        }
        s.at(2025, 6, 10)
        for n in 1...6 {
            for level in ReviewLevel.allCases where !(n == 6 && level == .national) {
                try await s.record(.approveReview(entity: MRVEntityID(Self.uscc(n)), year: 2024, level: level))
            }
        }

        // E6's report is not yet approved nationally: the true-up from the MRV is refused, naming
        // both of E6's units, and nothing is stored or moved.
        s.at(2025, 7, 1)
        let head = try await s.harness.store.head()
        await #expect(throws: AllocationError(.noVerifiedFigure, "F6 (ENT-000006): no verified figure for 2024 (annual report province_approved, not approved); "
            + "F7 (ENT-000006): no verified figure for 2024 (annual report province_approved, not approved)")) {
            try await s.service.run(.trueUp, plan: plan, year: 2024, from: s.figures, file: Self.file)
        }
        #expect(try await s.harness.store.head() == head)
        #expect(try await s.cycleStore.stage(plan: plan.id, year: 2024, stage: .trueUp) == nil)
        try await s.record(.approveReview(entity: MRVEntityID(Self.uscc(6)), year: 2024, level: .national))

        // What the platform gives the cycle: the hand count's figures, mapped to the accounts.
        let figures = try await s.figures.facilities(plan: plan, year: 2024, file: Self.file, needVerified: true)
        #expect(figures.map(\.verifiedT) == [80_000, 40_000, 120_000, 150_000, 15_000, 90_000, 4_000])
        #expect(figures.map(\.entity) == Self.file.map(\.entity) && figures.map(\.province) == Self.file.map(\.province))
        #expect(figures.map(\.generationMWh) == ["100000", "100000", "100000", "200000", "50000", "100000", "10000"])
        #expect(figures.map(\.loadFactor) == ["0.9259", "0.9259", "0.9259", "0.9259", "0.8681", "0.9259", "0.6944"])
        #expect(figures.map(\.heatSuppliedGJ) == Array(repeating: "0", count: 7))
        // Without the file: every power facility of the platform, sorted by id, the same figures;
        // the 2023 basis is missing (no 2023 report), so only the file can pre-allocate.
        let fromPlatform = try await s.figures.facilities(plan: plan, year: 2024, file: nil, needVerified: true)
        #expect(fromPlatform.map(\.id) == Self.units.map(\.id) && fromPlatform.map(\.verifiedT) == figures.map(\.verifiedT))
        #expect(fromPlatform.allSatisfy { $0.previousVerifiedT == nil })

        let trueUp = try await s.service.run(.trueUp, plan: plan, year: 2024, from: s.figures, file: Self.file)
        #expect(trueUp.applied > 0)
        #expect([await s.held(1), await s.held(2), await s.held(3), await s.held(4), await s.held(5), await s.held(6)]
            == [79_100, 40_000, 96_000, 158_200, 16_440, 84_490])

        // The eligible CCER of the CCER workflow (autumn 2025), then trading in December.
        let summary = try await DemoCCER.seed(s.harness.service, clock: s.clock, before: CivilDate(year: 2025, month: 12, day: 1))
        #expect(summary?.issuedT == 20_000)
        s.at(2025, 12, 1)
        try await s.harness.accept(.transfer(from: DemoCCER.owner, to: Self.e(6), unit: Self.ccer, quantity: 5_000))
        for command: ExchangeCommand in [
            .listInstrument(Instrument(code: "CEA24", unit: Self.cea24, label: "CEA 2024", continuous: false, previousClose: 10_000)),
            .setFeeAccounts(clearing: "EXC-000001", reserve: "EXC-000002"),
        ] { _ = try await s.exchange(command) }
        for n in 1...6 { _ = try await s.exchange(.admitMember(account: Self.e(n), group: nil)) }
        _ = try await s.exchange(.openDay(Self.tradeDay))
        s.clock.simulate(Self.tradeDay, hour: 10, minute: 0)
        var orders: [Int64] = []
        for (seller, price, quantity): (Int, Int64, Int64) in [(4, 10_000, 1_000), (2, 10_100, 500), (4, 10_202, 500)] {
            let receipt = try await s.exchange(.placeOrder(account: Self.e(seller), instrument: "CEA24", side: .sell, price: price, quantity: quantity))
            guard case .orderPlaced(let order) = receipt.events.first else { throw TestSetupError("no order placed") }
            orders.append(order.id)
        }
        for (buyer, order, quantity): (Int, Int64, Int64) in [(1, orders[0], 1_000), (5, orders[1], 500), (3, orders[2], 500)] {
            _ = try await s.exchange(.takeOrder(account: Self.e(buyer), order: order, quantity: quantity))
        }
        s.clock.simulate(Self.tradeDay, hour: 15, minute: 30)
        _ = try await s.exchange(.closeDay)

        // Surrender on the verified figures of the platform.
        s.at(2025, 12, 20)
        let comply = try await s.service.run(.surrender, plan: plan, year: 2024, from: s.figures, file: Self.file)
        let a = try #require(comply.plan.compliance)
        #expect(a.map(\.obligationT) == [80_000, 40_000, 120_000, 150_000, 15_000, 94_000])
        #expect(a.map(\.surrenderedT) == [80_000, 39_500, 96_500, 150_000, 15_000, 89_190])
        #expect(a.map(\.shortfallT) == [0, 500, 23_500, 0, 0, 4_810])
        #expect(a.map(\.ccerUsableT) == [0, 0, 0, 0, 0, 4_700])
        #expect(a.map(\.status) == [.compliant, .shortfall, .shortfall, .compliant, .compliant, .shortfall])
        #expect(a.map(\.carryOverLimitT) == [10_000, 10_750, 10_000, 12_250, 10_000, 10_000])
        #expect(a[1].ineligible.map(\.unit) == [Self.legacyCCER])
        #expect([await s.held(1), await s.held(2), await s.held(3), await s.held(4), await s.held(5), await s.held(6)]
            == [100, 0, 0, 6_700, 1_940, 0])

        // Penalty notices after the deadline, keyed by plan.
        let notices = try await s.service.issuePenalties(plan: plan, year: 2024, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        #expect(notices.map(\.id) == ["PN-2024-power-2024-ENT-000002", "PN-2024-power-2024-ENT-000003", "PN-2024-power-2024-ENT-000006"])
        #expect(notices.allSatisfy { $0.averagePriceFen == 10_076 && $0.status == .issued })
        #expect(notices.map(\.amountFen) == [25_190_000, 1_183_930_000, 242_327_800])

        // The published statistics: from the stored stages (the pages) and from the platform's
        // figures (the CLI) alike, equal to the hand count.
        let published = try await s.service.publishedStatistics(year: 2024)
        let stats = try await s.service.statistics(plan: plan, year: 2024, facilities: figures)
        #expect(published == [stats])
        #expect(try await s.service.publishedYears() == [2024])
        let rows = Dictionary(uniqueKeysWithValues: stats.rows.map { ($0.scope, $0) })
        #expect(stats.rows.map(\.scope) == ["GD", "SC", "CN"] && stats.rows.allSatisfy { $0.sector == "power" })
        #expect(rows["SC"]!.entities == 3 && rows["SC"]!.compliantEntities == 1 && rows["SC"]!.complianceRateByCount == "33.33")
        #expect(rows["SC"]!.obligationT == 240_000 && rows["SC"]!.surrenderedT == 216_000 && rows["SC"]!.complianceRateByVolume == "90.00")
        #expect(rows["SC"]!.preAllocationT == 154_000 && rows["SC"]!.finalAllocationT == 215_100)
        #expect(rows["GD"]!.entities == 3 && rows["GD"]!.compliantEntities == 2 && rows["GD"]!.complianceRateByCount == "66.67")
        #expect(rows["GD"]!.obligationT == 259_000 && rows["GD"]!.surrenderedT == 254_190 && rows["GD"]!.complianceRateByVolume == "98.14")
        #expect(rows["GD"]!.preAllocationT == 184_800 && rows["GD"]!.finalAllocationT == 259_130)
        #expect(rows["CN"]!.complianceRateByCount == "50.00" && rows["CN"]!.complianceRateByVolume == "94.23")
        #expect(rows["CN"]!.shortfallT == 28_810 && rows["CN"]!.finalAllocationT == 474_230)
        #expect(stats.tradedT == 2_000 && stats.turnoverRate == "0.42")

        // Carry-over: refused on the deadline day; after it, both sides of the limit.
        await #expect(throws: AllocationError(.stageOrder, "carry-over is enforced after the surrender deadline 2025-12-31, not on 2025-12-31")) {
            try await s.service.enforceCarryOver(plan: plan, year: 2024, today: CivilDate(year: 2025, month: 12, day: 31))
        }
        #expect(try await s.cycleStore.stage(plan: plan.id, year: 2024, stage: .carryOver) == nil)
        let h = s.harness
        try await h.accept(.issue(unit: Self.cea24, quantity: 18_060, to: "CN-NATIONAL"))
        try await h.accept(.allocate(from: "CN-NATIONAL", to: .provincial("SC"), unit: Self.cea24, quantity: 10_000))
        try await h.accept(.allocate(from: .provincial("SC"), to: Self.e(1), unit: Self.cea24, quantity: 10_000))
        try await h.accept(.allocate(from: "CN-NATIONAL", to: .provincial("GD"), unit: Self.cea24, quantity: 8_060))
        try await h.accept(.allocate(from: .provincial("GD"), to: Self.e(5), unit: Self.cea24, quantity: 8_060))
        try await h.accept(.defineUnitType(code: "CEA25", kind: .allowance, label: "CEA", vintageFrom: 2025, vintageTo: 2025, projectID: nil, issuer: "CN", serialized: false))
        try await h.accept(.issue(unit: "CEA25", quantity: 50_000, to: "CN-NATIONAL"))
        try await h.accept(.allocate(from: "CN-NATIONAL", to: .provincial("GD"), unit: "CEA25", quantity: 50_000))
        try await h.accept(.allocate(from: .provincial("GD"), to: Self.e(4), unit: "CEA25", quantity: 50_000))
        let carry = try await s.service.enforceCarryOver(plan: plan, year: 2024, today: CivilDate(year: 2026, month: 1, day: 5))
        let c = try #require(carry.plan.carryOver)
        #expect(c.map(\.entity) == (1...6).map(Self.e))
        #expect(c.map(\.heldT) == [10_100, 0, 0, 6_700, 10_000, 0])
        #expect(c.map(\.netSoldT) == [-1_000, 500, -500, 1_500, -500, 0])
        #expect(c.map(\.limitT) == [10_000, 10_750, 10_000, 12_250, 10_000, 10_000])
        #expect(c.map(\.excessT) == [100, 0, 0, 0, 0, 0])
        #expect(c.allSatisfy { $0.consequence == .record })
        #expect(carry.status == .done && carry.plan.steps.isEmpty)
        #expect(carry.plan.planVersion == plan.version && carry.plan.planSHA256 == AllocationPlanCodec.sha256(plan))
        // Run again after E1 received 1 t more: the stored record, nothing recomputed.
        try await h.accept(.issue(unit: Self.cea24, quantity: 1, to: "CN-NATIONAL"))
        try await h.accept(.allocate(from: "CN-NATIONAL", to: .provincial("SC"), unit: Self.cea24, quantity: 1))
        try await h.accept(.allocate(from: .provincial("SC"), to: Self.e(1), unit: Self.cea24, quantity: 1))
        #expect(try await s.service.enforceCarryOver(plan: plan, year: 2024, today: CivilDate(year: 2026, month: 2, day: 1)) == carry)
        try await s.close()
    }

    /// Two sector plans of one year give one entity two notices; issuing again keeps them;
    /// a notice stored before migration 15 (`PN-{year}-{entity}`) stays readable.
    @Test(arguments: Backend.all)
    func noticesKeyedByPlan(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            try await sql.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", [])
            for migration in Migrations.all where migration.version < 15 {
                let statements = backend == .sqlite ? migration.sqliteStatements ?? migration.statements : migration.statements
                for statement in statements { try await sql.execute(statement, []) }
                try await sql.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)",
                    [.int(Int64(migration.version)), .text(migration.name)])
            }
            try await sql.execute(
                """
                INSERT INTO compliance_penalty_notices (id, plan_id, year, entity, province, regime, shortfall_t, average_price_fen,
                    min_fen, max_fen, amount_fen, deduction_t, status, issued_on, updated_at)
                VALUES ('PN-2024-ENT-000001', 'power-2024', 2024, 'ENT-000001', 'SC', 'price_multiple', 10, 10000, 500000, 1000000,
                    500000, 10, 'issued', '2026-01-05', 0)
                """, [])
        }
        try await database.close()

        let store = try await Composition.openAllocationCycleStore(location, connectionID: 2)
        try await store.migrate()  // applies 15
        func notice(_ plan: String, _ entity: String, amount: Int64) -> PenaltyNotice {
            PenaltyNotice(
                id: CompliancePenalties.noticeID(plan: plan, year: 2024, entity: AccountID(entity)), planID: plan, year: 2024,
                entity: AccountID(entity), province: "SC", regime: .priceMultiple, shortfallT: 10, averagePriceFen: 10_000, minFen: 500_000,
                maxFen: 1_000_000, amountFen: amount, deductionT: 10, status: .issued, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        }
        let old = try await store.notices(year: 2024)
        #expect(old.map(\.id) == ["PN-2024-ENT-000001"] && old.first?.planID == "power-2024")
        // Another sector's plan: a second notice for the same entity and year.
        try await store.saveNotices([notice("steel-2024", "ENT-000001", amount: 600_000), notice("steel-2024", "ENT-000002", amount: 700_000)], at: Timestamp(millisecondsSinceEpoch: 1))
        // The same plan again (new id format, old row): kept as it is.
        try await store.saveNotices([notice("power-2024", "ENT-000001", amount: 900_000), notice("steel-2024", "ENT-000002", amount: 1)], at: Timestamp(millisecondsSinceEpoch: 2))
        let all = try await store.notices(year: 2024)
        #expect(all.map(\.id) == ["PN-2024-ENT-000001", "PN-2024-steel-2024-ENT-000001", "PN-2024-steel-2024-ENT-000002"])
        #expect(all.map(\.amountFen) == [500_000, 600_000, 700_000])
        #expect(try await store.setNoticeStatus(id: "PN-2024-ENT-000001", from: .issued, to: .paid, at: Timestamp(millisecondsSinceEpoch: 3)))
        #expect(try await store.notices(year: 2024).map(\.status) == [.paid, .issued, .issued])
        try await store.close()
    }
}
