import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// One full compliance year of a small national market on each database: 2 provinces, 6
/// entities, 7 coal and gas units under power-2024 go through pre-allocation → true-up →
/// trading on the exchange → surrender → penalties → statistics, and every figure matches the
/// hand count below. The verified emissions and output come from the facilities input (as
/// `openets cycle … --input`), not from the MRV platform.
///
/// Hand count (power-2024: coal_gt300 0.7910, coal_le300 0.8049, gas 0.3288 tCO2/MWh; water
/// cooled, load 0.90 → factor 1; pre = 0.70 × previous verified):
///
/// | entity | facilities | pre | final (rule) | obligation | traded | held at surrender | result |
/// |---|---|---|---|---|---|---|---|
/// | E1 SC | coal 100,000 MWh, v 80,000 | 56,000 | 79,100 formula | 80,000 | buys 1,000 | 80,100 | compliant |
/// | E2 SC | gas 100,000 MWh, v 40,000 | 28,000 | 40,000 gas cap | 40,000 | sells 500 | 39,500 (+1,000 ineligible CCER) | shortfall 500 |
/// | E3 SC | coal 100,000 MWh, v 120,000 | 70,000 | 96,000 coal floor | 120,000 | buys 500 | 96,500 | shortfall 23,500 |
/// | E4 GD | coal 200,000 MWh, v 150,000 | 105,000 | 158,200 formula | 150,000 | sells 1,500 | 156,700 | compliant, 6,700 left |
/// | E5 GD | gas 50,000 MWh, v 15,000, prev 20,000 | 14,000 | 16,440 formula | 15,000 | buys 500 | 16,940 | compliant |
/// | E6 GD | coal≤300 100,000 MWh v 90,000; gas 10,000 MWh v 4,000 | 63,000 + 2,800 | 80,490 + 4,000 gas cap | 94,000 | — | 84,490 + 5,000 eligible CCER | CCER 4,700 (5 %), shortfall 4,810 |
///
/// E6's CCERs come from the CCER workflow (the demo's afforestation project, vintage 2024,
/// registered in 2025, no host facility): eligible, usable up to floor(5 % × 94,000) = 4,700.
/// E2's 1,000 CCERs are of a unit type the CCER registry does not know: never surrendered.
///
/// Deals on 2025-12-10 (the month before the 2025-12-31 deadline): 1,000 t at 100.00,
/// 500 t at 101.00, 500 t at 102.02: average (10,000,000 + 5,050,000 + 5,101,000) / 2,000 =
/// 10,075.5 fen → 10,076 fen (half up). Fines (5×-10×): E2 500 t → 25,190,000-50,380,000 fen;
/// E3 23,500 t → 1,183,930,000-2,367,860,000; E6 4,810 t → 242,327,800-484,655,600.
///
/// Statistics: SC 1/3 compliant (33.33 %), 216,000 / 240,000 t (90.00 %); GD 2/3 (66.67 %),
/// 254,190 / 259,000 t (98.14 %); CN 3/6 (50.00 %), 470,190 / 499,000 t (94.23 %); final
/// allocation 215,100 + 259,130 = 474,230 t; traded 2,000 t → turnover 0.42 %.
@Suite("A full compliance year through the registry and exchange, on each database")
struct ComplianceYearTests {
    static let plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
    static let cea24: UnitTypeCode = "CEA24"
    static let legacyCCER: UnitTypeCode = "CCER-OLD-2020"
    static func e(_ n: Int) -> AccountID { AccountID("ENT-00000\(n)") }
    static let tradeDay = CivilDate(year: 2025, month: 12, day: 10)
    static let ccer = IssuanceOrder.unitTypeCode(project: "P000001", period: 1)

    static let facilities: [CycleFacility] = [
        coal("F1", 1, "SC", "coal_gt300", "100000", prev: 80_000, verified: 80_000),
        CycleFacility(id: "F2", entity: "ENT-000002", province: "SC", category: "gas", generationMWh: "100000", previousVerifiedT: 40_000, verifiedT: 40_000),
        coal("F3", 3, "SC", "coal_gt300", "100000", prev: 100_000, verified: 120_000),
        coal("F4", 4, "GD", "coal_gt300", "200000", prev: 150_000, verified: 150_000),
        CycleFacility(id: "F5", entity: "ENT-000005", province: "GD", category: "gas", generationMWh: "50000", previousVerifiedT: 20_000, verifiedT: 15_000),
        coal("F6", 6, "GD", "coal_le300", "100000", prev: 90_000, verified: 90_000),
        CycleFacility(id: "F7", entity: "ENT-000006", province: "GD", category: "gas", generationMWh: "10000", previousVerifiedT: 4_000, verifiedT: 4_000),
    ]

    static func coal(_ id: String, _ n: Int, _ province: String, _ category: String, _ mwh: String, prev: Int64, verified: Int64) -> CycleFacility {
        CycleFacility(
            id: id, entity: "ENT-00000\(n)", province: province, category: category, generationMWh: mwh, cooling: "water", loadFactor: "0.90",
            previousVerifiedT: prev, verifiedT: verified)
    }

    struct Session {
        var harness: Harness
        var cycleStore: any AllocationCycleStore
        var service: AllocationCycleService
        var keys = 0

        mutating func exchange(_ command: ExchangeCommand) async throws -> ExchangeReceipt {
            keys += 1
            let outcome = try await harness.service.execute(ExchangeRequest(idempotencyKey: "x-\(keys)", command: command))
            guard let receipt = outcome.receipt else { throw TestSetupError("\(command.kind): \(String(describing: outcome.error))") }
            return receipt
        }

        func held(_ n: Int) async -> Int64 { await harness.holding(ComplianceYearTests.e(n), ComplianceYearTests.cea24).total }
    }

    static func market(_ backend: Backend, clock: OpenETSRuntime.MarketClock, _ name: String = #function) async throws -> Session {
        let location = try backend.freshLocation(name)
        let harness = try await Harness.open(location, clock: clock)
        let cycleStore = try await Composition.openAllocationCycleStore(location, connectionID: 2)
        let s = Session(
            harness: harness, cycleStore: cycleStore, service: AllocationCycleService(registry: harness.service, store: cycleStore, clock: clock))
        let h = s.harness
        try await h.accept(.openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        for type in [AccountType.compliance, .voluntaryCancellation] {
            try await h.accept(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        // An eligible CCER through the CCER workflow (issued in the autumn of 2025).
        try await h.accept(.openAccount(type: .projectOwner, ownerID: "P1", ownerName: "P1", province: "SC", representatives: []))
        let summary = try await DemoCCER.seed(h.service, clock: clock, before: CivilDate(year: 2025, month: 12, day: 1))
        #expect(summary?.issuedT == 20_000)
        clock.simulate(CivilDate(year: 2025, month: 12, day: 1), hour: 9, minute: 0)
        for province in ["SC", "GD"] {
            try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: province, province: province, representatives: []))
        }
        for n in 1...6 {
            try await h.accept(.openAccount(type: .entity, ownerID: "E\(n)", ownerName: "E\(n)", province: n <= 3 ? "SC" : "GD", representatives: []))
            try await h.accept(.depositFunds(account: e(n), amountFen: 1_000_000_000, bankReference: "B\(n)"))
        }
        for owner in ["X", "R"] {
            try await h.accept(.openAccount(type: .exchangeClearing, ownerID: owner, ownerName: owner, province: nil, representatives: []))
        }
        // A credit the CCER registry does not know: never eligible, never surrendered.
        try await h.accept(.defineUnitType(code: legacyCCER, kind: .ccer, label: "CCER", vintageFrom: 2020, vintageTo: 2020, projectID: "OLD", issuer: "CN", serialized: true))
        try await h.accept(.issue(unit: legacyCCER, quantity: 1_000, to: DemoCCER.owner))
        try await h.accept(.transfer(from: DemoCCER.owner, to: e(2), unit: legacyCCER, quantity: 1_000))
        try await h.accept(.transfer(from: DemoCCER.owner, to: e(6), unit: ccer, quantity: 5_000))
        return s
    }

    @Test(arguments: Backend.all)
    func aFullYearMatchesTheHandCount(_ backend: Backend) async throws {
        let clock = OpenETSRuntime.MarketClock(CivilDate(year: 2025, month: 7, day: 1), hour: 9, minute: 0)
        var s = try await Self.market(backend, clock: clock)
        let plan = Self.plan

        // Surrender before the true-up is refused and changes nothing.
        _ = try await s.service.run(.preAllocation, plan: plan, year: 2024, facilities: Self.facilities)
        await #expect(throws: AllocationError(.stageOrder, "the true-up of power-2024 2024 is not done")) {
            try await s.service.run(.surrender, plan: plan, year: 2024, facilities: Self.facilities)
        }
        #expect([await s.held(1), await s.held(2), await s.held(3), await s.held(4), await s.held(5), await s.held(6)]
            == [56_000, 28_000, 70_000, 105_000, 14_000, 65_800])
        _ = try await s.service.run(.trueUp, plan: plan, year: 2024, facilities: Self.facilities)
        #expect([await s.held(1), await s.held(2), await s.held(3), await s.held(4), await s.held(5), await s.held(6)]
            == [79_100, 40_000, 96_000, 158_200, 16_440, 84_490])

        // Trading in the month before the deadline.
        for command: ExchangeCommand in [
            .listInstrument(Instrument(code: "CEA24", unit: Self.cea24, label: "CEA 2024", continuous: false, previousClose: 10_000)),
            .setFeeAccounts(clearing: "EXC-000001", reserve: "EXC-000002"),
        ] { _ = try await s.exchange(command) }
        for n in 1...6 { _ = try await s.exchange(.admitMember(account: Self.e(n), group: nil)) }
        _ = try await s.exchange(.openDay(Self.tradeDay))
        clock.simulate(Self.tradeDay, hour: 10, minute: 0)
        var orders: [Int64] = []
        for (seller, price, quantity): (Int, Int64, Int64) in [(4, 10_000, 1_000), (2, 10_100, 500), (4, 10_202, 500)] {
            let receipt = try await s.exchange(.placeOrder(account: Self.e(seller), instrument: "CEA24", side: .sell, price: price, quantity: quantity))
            guard case .orderPlaced(let order) = receipt.events.first else { throw TestSetupError("no order placed") }
            orders.append(order.id)
        }
        for (buyer, order, quantity): (Int, Int64, Int64) in [(1, orders[0], 1_000), (5, orders[1], 500), (3, orders[2], 500)] {
            _ = try await s.exchange(.takeOrder(account: Self.e(buyer), order: order, quantity: quantity))
        }
        clock.simulate(Self.tradeDay, hour: 15, minute: 30)
        _ = try await s.exchange(.closeDay)
        #expect(try await s.service.netSales() == [Self.e(1): -1_000, Self.e(2): 500, Self.e(3): -500, Self.e(4): 1_500, Self.e(5): -500])

        // Surrender.
        let comply = try await s.service.run(.surrender, plan: plan, year: 2024, facilities: Self.facilities)
        let a = try #require(comply.plan.compliance)
        #expect(a.map(\.obligationT) == [80_000, 40_000, 120_000, 150_000, 15_000, 94_000])
        #expect(a.map(\.surrenderedT) == [80_000, 39_500, 96_500, 150_000, 15_000, 89_190])
        #expect(a.map(\.shortfallT) == [0, 500, 23_500, 0, 0, 4_810])
        #expect(a.map(\.ccerUsableT) == [0, 0, 0, 0, 0, 4_700])
        #expect(a[5].surrender == [.init(unit: Self.ccer, kind: "CCER", quantityT: 4_700), .init(unit: Self.cea24, kind: "CEA", quantityT: 84_490)])
        #expect(a.map(\.status) == [.compliant, .shortfall, .shortfall, .compliant, .compliant, .shortfall])
        #expect(a.map(\.carryOverLimitT) == [10_000, 10_750, 10_000, 12_250, 10_000, 10_000])
        #expect(a[1].ccerUsableT == 0 && a[1].ineligible.map(\.unit) == [Self.legacyCCER] && a[1].ineligible[0].quantityT == 1_000)
        #expect(comply.applied == 7)
        #expect(await s.harness.holding(Self.e(6), Self.ccer).total == 300)
        #expect(await s.harness.holding("CN-COMPLIANCE", Self.ccer).total == 4_700)
        #expect(await s.harness.holding(Self.e(2), Self.legacyCCER).total == 1_000)
        #expect([await s.held(1), await s.held(2), await s.held(3), await s.held(4), await s.held(5), await s.held(6)]
            == [100, 0, 0, 6_700, 1_940, 0])
        #expect(await s.harness.holding("CN-COMPLIANCE", Self.cea24).total == 465_490)
        let head = try await s.harness.store.head()
        #expect(try await s.service.run(.surrender, plan: plan, year: 2024, facilities: Self.facilities).alreadyDone)
        #expect(try await s.harness.store.head() == head)

        // Penalties: not before the deadline has passed; then 5 × the month's average × shortfall.
        await #expect(throws: AllocationError(.stageOrder, "penalty notices are issued after the surrender deadline 2025-12-31, not on 2025-12-31")) {
            try await s.service.issuePenalties(plan: plan, year: 2024, issuedOn: CivilDate(year: 2025, month: 12, day: 31))
        }
        #expect(try await s.service.notices(year: 2024).isEmpty)
        let notices = try await s.service.issuePenalties(plan: plan, year: 2024, issuedOn: CivilDate(year: 2026, month: 1, day: 5))
        #expect(notices.map(\.entity) == [Self.e(2), Self.e(3), Self.e(6)])
        #expect(notices.allSatisfy { $0.averagePriceFen == 10_076 && $0.regime == .priceMultiple && $0.status == .issued })
        #expect(notices.map(\.minFen) == [25_190_000, 1_183_930_000, 242_327_800])
        #expect(notices.map(\.maxFen) == [50_380_000, 2_367_860_000, 484_655_600])
        #expect(notices.map(\.amountFen) == notices.map(\.minFen))
        #expect(notices.map(\.deductionT) == [500, 23_500, 4_810])
        // Issuing again keeps the notices; paying one is recorded once.
        #expect(try await s.service.issuePenalties(plan: plan, year: 2024, issuedOn: CivilDate(year: 2026, month: 2, day: 1)) == notices)
        let paid = try await s.service.markPaid(notice: "PN-2024-power-2024-ENT-000002", year: 2024)
        #expect(paid.status == .paid)
        await #expect(throws: AllocationError.self) { try await s.service.markPaid(notice: "PN-2024-power-2024-ENT-000002", year: 2024) }
        await #expect(throws: AllocationError.self) { try await s.service.markPaid(notice: "PN-2024-power-2024-ENT-000001", year: 2024) }

        // Timeline: states and reminders on a day after the deadline.
        let timeline = try await s.service.timeline(plan: plan, year: 2024, today: CivilDate(year: 2026, month: 1, day: 10))
        #expect(timeline.entities.map(\.state) == ["compliant", "penalty_paid", "penalty_issued", "compliant", "compliant", "penalty_issued"])
        #expect(timeline.reminders.map(\.entity) == [Self.e(3), Self.e(6)])
        #expect(timeline.stages.first { $0.name == .surrender }?.due == CivilDate(year: 2025, month: 12, day: 31))
        #expect(timeline.stages.filter { $0.done == true }.map(\.name) == [.preAllocation, .trueUp, .surrender, .penalties])

        // Statistics against the hand count.
        let stats = try await s.service.statistics(plan: plan, year: 2024, facilities: Self.facilities)
        let rows = Dictionary(uniqueKeysWithValues: stats.rows.map { ($0.scope, $0) })
        #expect(stats.rows.map(\.scope) == ["GD", "SC", "CN"])
        #expect(rows["SC"]!.complianceRateByCount == "33.33" && rows["SC"]!.complianceRateByVolume == "90.00")
        #expect(rows["SC"]!.obligationT == 240_000 && rows["SC"]!.surrenderedT == 216_000 && rows["SC"]!.finalAllocationT == 215_100)
        #expect(rows["SC"]!.preAllocationT == 154_000)
        #expect(rows["GD"]!.complianceRateByCount == "66.67" && rows["GD"]!.complianceRateByVolume == "98.14")
        #expect(rows["GD"]!.obligationT == 259_000 && rows["GD"]!.surrenderedT == 254_190 && rows["GD"]!.finalAllocationT == 259_130)
        #expect(rows["GD"]!.preAllocationT == 184_800)
        #expect(rows["CN"]!.complianceRateByCount == "50.00" && rows["CN"]!.complianceRateByVolume == "94.23")
        #expect(rows["CN"]!.shortfallT == 500 + 23_500 + 4_810 && rows["CN"]!.preAllocationT == 338_800)
        #expect(rows["CN"]!.entities == 6 && rows["CN"]!.compliantEntities == 3 && rows["CN"]!.finalAllocationT == 474_230)
        #expect(stats.tradedT == 2_000 && stats.turnoverRate == "0.42")
        #expect(rows.values.allSatisfy { $0.sector == "power" })

        // The next year's pre-allocation keeps back the shortfalls of the notices still issued
        // (E3 23,500, E6 4,810; E2's was paid): E3 84,000 − 23,500, E6 65,800 − 4,810.
        var next = plan
        next.id = "power-2025-test"
        next.year = 2025
        next.deadlines.surrender = "2026-12-31"
        let nextFacilities = Self.facilities.map { f in
            var f = f
            f.previousVerifiedT = f.verifiedT
            return f
        }
        let pre2025 = try await s.service.run(.preAllocation, plan: next, year: 2025, facilities: nextFacilities)
        #expect(pre2025.plan.deductions == [
            CycleDeduction(entity: Self.e(3), owedT: 23_500, deductedT: 23_500), CycleDeduction(entity: Self.e(6), owedT: 4_810, deductedT: 4_810),
        ])
        #expect(await s.harness.holding(Self.e(3), "CEA25").total == 60_500)
        #expect(await s.harness.holding(Self.e(6), "CEA25").total == 60_990)
        #expect(await s.harness.holding(Self.e(2), "CEA25").total == 28_000)
        #expect(try await s.service.notices(year: 2024).map(\.status) == [.paid, .deducted, .deducted])
        // A run that stopped after marking the stage done but before settling the notices is
        // finished by the next call of the (done) stage.
        let e3Notice = try #require(try await s.service.notices(year: 2024).first { $0.entity == Self.e(3) })
        #expect(try await s.cycleStore.setNoticeStatus(id: e3Notice.id, from: .deducted, to: .issued, at: Timestamp(millisecondsSinceEpoch: 0)))
        let again = try await s.service.run(.preAllocation, plan: next, year: 2025, facilities: nextFacilities)
        #expect(again.alreadyDone)
        #expect(try await s.service.notices(year: 2024).map(\.status) == [.paid, .deducted, .deducted])
        // The true-up of 2025 corrects against the pre-allocation before the deduction.
        let trueUp2025 = try await s.service.run(.trueUp, plan: next, year: 2025, facilities: nextFacilities)
        let e3Due = trueUp2025.plan.entities.first(where: { $0.entity == Self.e(3) })?.dueT
        #expect(e3Due == 12_000)
        #expect(await s.harness.holding(Self.e(3), "CEA25").total == 96_000 - 23_500)
        try await s.cycleStore.close()
        try await s.harness.close()

        // Another process sees the same records.
        let reopened = try await Composition.openAllocationCycle(s.harness.location)
        #expect(try await reopened.service.notices(year: 2024).map(\.status) == [.paid, .deducted, .deducted])
        #expect(try await reopened.cycleStore.stage(plan: "power-2024", year: 2024, stage: .surrender)?.plan.compliance == a)
        try await reopened.cycleStore.close()
        try await reopened.store.close()
    }
}
