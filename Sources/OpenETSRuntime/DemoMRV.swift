import OpenETSApplication
import OpenETSDomain

/// The MRV side of the demo, for the role portals (docs/portals.md): the demo market's
/// entities on the MRV platform (their registry accounts' owner ids are their unified social
/// credit codes), one coal unit each, two verification bodies, and a history that gives every
/// portal something to do:
///
/// - Chuanneng (ENT-000001, Sichuan): 2023 verified and approved at national level (its
///   obligation for 2023); 2024 months January–November deposited (December is left for the
///   entity to enter).
/// - Jialingjiang (ENT-000002, Sichuan): 2023 concluded and approved by the city, awaiting the
///   province's review; 2024 reported and assigned to verifier `V-SCQC` (the demo verifier's).
/// - The two Guangdong entities are registered with a unit each, no data (outside Sichuan's scope).
/// - Rongcheng (`cityEntity`, Chengdu, an MRV entity without a registry account): 2023 verified
///   and concluded, awaiting the city's review (user `chengdu`, city `city`). Its steps come
///   after the others (so the keys of an older demo database stay the same) and are dated in
///   2023-2024, before the steps just ahead of them in the journal.
///
/// Every command is sent as `.system` on a simulated clock (the dates the history happened),
/// through its own service; a second run replays the same keys and changes nothing.
public enum DemoMRV {
    /// The MRV verifier the demo user `verifier` acts for.
    public static let verifier: VerifierID = "V-SCQC"
    /// The city the demo user `chengdu` reviews for (the MRV platform's name of Chuanneng's
    /// and Rongcheng's city).
    public static let city = "成都"

    public struct DemoEntity: Sendable {
        public var uscc: String
        public var name: String
        public var province: String
        public var city: String
        public var facility: FacilityID
        /// Coal burned a month (t) and generation (MWh): 20 GJ/t measured, carbon and oxidation defaults.
        public var coalT: String
        public var generationMWh: String
        public var capacityMW: String
    }

    public static let entities: [DemoEntity] = [
        DemoEntity(uscc: "91510000MA6123456P", name: "川能发电有限公司 Chuanneng Power", province: "SC", city: "成都", facility: "SC-CHUANNENG-U1",
                   coalT: "250000", generationMWh: "600000", capacityMW: "1200"),
        DemoEntity(uscc: "91510100MA62345678", name: "嘉陵江热电有限公司 Jialingjiang Thermal", province: "SC", city: "南充", facility: "SC-JIALINGJIANG-U1",
                   coalT: "150000", generationMWh: "360000", capacityMW: "700"),
        DemoEntity(uscc: "91440000MA5345678X", name: "粤海电力股份有限公司 Yuehai Power", province: "GD", city: "广州", facility: "GD-YUEHAI-U1",
                   coalT: "400000", generationMWh: "960000", capacityMW: "2000"),
        DemoEntity(uscc: "91440300MA5456789Q", name: "珠江燃气发电有限公司 Pearl River Gas Power", province: "GD", city: "深圳", facility: "GD-PEARL-U1",
                   coalT: "80000", generationMWh: "190000", capacityMW: "400"),
    ]

    /// A Chengdu entity on the MRV platform alone, whose 2023 report awaits the city's review.
    public static let cityEntity = DemoEntity(
        uscc: "91510100MA6RCRD01M", name: "蓉城热电有限公司 Rongcheng Thermal", province: "SC", city: city, facility: "SC-RONGCHENG-U1",
        coalT: "120000", generationMWh: "290000", capacityMW: "600")

    /// The month an entity enters itself in the demo (Chuanneng, December 2024).
    public static let openMonth = (year: 2024, month: 12)

    public static func month(_ entity: DemoEntity, year: Int, month: Int) -> MonthlyData {
        MonthlyData(
            facility: entity.facility, year: year, month: month,
            fuels: [FuelLine(fuel: .coal, consumption: ExactDecimal(entity.coalT)!, ncvGJPerUnit: .measured(ExactDecimal("20")!))],
            production: Production(generationMWh: ExactDecimal(entity.generationMWh)!))
    }

    /// Seeds the history through a service of its own on `location` (opened on a simulated
    /// clock and closed again); a server opened afterwards replays it from the MRV journal.
    public static func seed(_ location: StoreLocation) async throws {
        let clock = MarketClock(CivilDate(year: 2023, month: 1, day: 5), hour: 9, minute: 0)
        let (store, service) = try await Composition.openMRV(location, clock: clock, connectionID: 4)
        do {
            try await seed(service, clock: clock)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    static func seed(_ service: MRVService, clock: MarketClock) async throws {
        var runner = Runner(service: service, clock: clock)
        let start = CivilDate(year: 2023, month: 1, day: 5)
        for entity in entities { try await register(entity, runner: &runner, on: start) }
        try await runner.run(.registerVerifier(Verifier(id: verifier, name: "四川省质量认证核查中心 Sichuan Verification Centre")), on: start)
        try await runner.run(.registerVerifier(Verifier(id: "V-GDHC", name: "广东核查技术服务中心 Guangdong Verification Services")), on: start)
        let (chuanneng, jialingjiang) = (entities[0], entities[1])
        for entity in [chuanneng, jialingjiang] {
            for month in 1...12 { try await runner.run(.submitMonth(Self.month(entity, year: 2023, month: month)), on: deposit(2023, month)) }
        }
        // 2023: Chuanneng through every stage; Jialingjiang up to the city's approval.
        for (entity, levels) in [(chuanneng, ReviewLevel.allCases), (jialingjiang, [ReviewLevel.city])] {
            let id = MRVEntityID(entity.uscc)
            try await verify(entity, year: 2023, runner: &runner)
            for (index, level) in levels.enumerated() {
                try await runner.run(.approveReview(entity: id, year: 2023, level: level), on: CivilDate(year: 2024, month: 6, day: 5 + 5 * index))
            }
        }
        // 2024: Chuanneng January–November; Jialingjiang the whole year, reported, assigned.
        for month in 1...11 { try await runner.run(.submitMonth(Self.month(chuanneng, year: 2024, month: month)), on: deposit(2024, month)) }
        for month in 1...12 { try await runner.run(.submitMonth(Self.month(jialingjiang, year: 2024, month: month)), on: deposit(2024, month)) }
        let second = MRVEntityID(jialingjiang.uscc)
        try await runner.run(.submitReport(entity: second, year: 2024), on: CivilDate(year: 2025, month: 3, day: 15))
        try await runner.run(.assignVerifier(entity: second, year: 2024, verifier: verifier), on: CivilDate(year: 2025, month: 3, day: 25))
        // Rongcheng (Chengdu): 2023 up to the verifier's conclusion, awaiting the city.
        let third = cityEntity
        try await register(third, runner: &runner, on: start)
        for month in 1...12 { try await runner.run(.submitMonth(Self.month(third, year: 2023, month: month)), on: deposit(2023, month)) }
        try await verify(third, year: 2023, runner: &runner)
    }

    static func register(_ entity: DemoEntity, runner: inout Runner, on date: CivilDate) async throws {
        try await runner.run(.registerEntity(uscc: entity.uscc, name: entity.name, province: entity.province, city: entity.city, sector: .power, group: nil), on: date)
        try await runner.run(.registerFacility(Facility(
            id: entity.facility, entity: MRVEntityID(entity.uscc), name: entity.name.split(separator: " ").first.map(String.init)! + " 1号机组 unit 1",
            kind: .power, power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(entity.capacityMW)!, cooling: .water), fuels: [.coal])), on: date)
    }

    /// The report of `year` submitted, assigned to `verifier` and concluded with the reported figures.
    static func verify(_ entity: DemoEntity, year: Int, runner: inout Runner) async throws {
        let id = MRVEntityID(entity.uscc)
        let report = try await runner.run(.submitReport(entity: id, year: year), on: CivilDate(year: year + 1, month: 3, day: 20))
        try await runner.run(.assignVerifier(entity: id, year: year, verifier: verifier), on: CivilDate(year: year + 1, month: 4, day: 1))
        let verified = report.events.compactMap { event -> [VerifiedFacility]? in
            guard case .reportSubmitted(let submitted) = event else { return nil }
            return submitted.facilities.map { VerifiedFacility(facility: $0.facility, emissionsT: $0.totalT, output: $0.generationMWh) }
        }.first ?? []
        try await runner.run(.concludeVerification(entity: id, year: year, verifier: verifier, facilities: verified), on: CivilDate(year: year + 1, month: 5, day: 20))
    }

    /// Ten days after the month's end: on time.
    static func deposit(_ year: Int, _ month: Int) -> CivilDate { MRVDeadlines.lastDay(year: year, month: month).adding(days: 10) }

    struct Runner {
        let service: MRVService
        let clock: MarketClock
        var step = 0

        @discardableResult
        mutating func run(_ command: MRVCommand, on date: CivilDate) async throws -> MRVReceipt {
            step += 1
            clock.simulate(date, hour: 10, minute: 0)
            let outcome = try await service.execute(MRVRequest(idempotencyKey: "demo-mrv-\(step)", command: command))
            guard let receipt = outcome.receipt else {
                throw DemoMRVError(step: step, command: command.kind, message: outcome.error.map { "\($0.code.rawValue): \($0.message)" } ?? "rejected rows")
            }
            return receipt
        }
    }
}

public struct DemoMRVError: Error, CustomStringConvertible {
    public var step: Int
    public var command: String
    public var message: String
    public var description: String { "demo MRV step \(step) (\(command)) was rejected: \(message)" }
}
