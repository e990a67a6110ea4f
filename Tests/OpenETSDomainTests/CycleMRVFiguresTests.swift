import OpenETSDomain
import Testing

/// The cycle's verified figures from an MRV state (`CycleMRVFigures`): which report counts,
/// which figure wins, the entity account by credit code, and the refusals.
@Suite("Verified figures from the MRV platform")
struct CycleMRVFiguresTests {
    static let plan = AllocationPlan.seed.first { $0.id == "power-2024" }!
    static let uscc = "91510100000000001X"
    static let at = Timestamp(millisecondsSinceEpoch: 0)

    static func states(status: ReportStatus = .approved, hours: Bool = true, ownerID: String = uscc) -> (MRVState, RegistryState) {
        var mrv = MRVState()
        let entity = MRVEntityID(uscc)
        mrv.entities[entity] = MRVEntity(id: entity, name: "E", province: "四川", city: "成都", sector: .power, group: nil)
        let unit = Facility(
            id: "U1", entity: entity, name: "U1", kind: .power,
            power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(10), cooling: .air), fuels: [.coal])
        mrv.facilities[unit.id] = unit
        for month in 1...12 {
            let data = MonthlyData(
                facility: "U1", year: 2024, month: month, fuels: [],
                production: Production(generationMWh: ExactDecimal(5_000), operatingHours: hours || month < 12 ? ExactDecimal(600) : nil))
            mrv.months[data.key] = MonthRecord(data: data, submittedAt: at, late: false)
        }
        var report = AnnualReport(
            entity: entity, year: 2024, version: 1, status: status, facilities: [], submittedAt: at, deadline: CivilDate(year: 2025, month: 3, day: 31),
            late: false, verificationDeadline: CivilDate(year: 2025, month: 6, day: 30))
        report.verified = [VerifiedFacility(facility: "U1", emissionsT: ExactDecimal("50000.50")!, output: ExactDecimal("60000.12345")!)]
        mrv.reports[report.key] = report
        var registry = RegistryState()
        registry.accounts["ENT-000001"] = Account(
            id: "ENT-000001", type: .entity, ownerID: ownerID, ownerName: "E", province: "SC", status: .open, representatives: [], openedAt: at)
        return (mrv, registry)
    }

    static let file = [CycleFacility(id: "U1", entity: "ENT-000009", province: "GD", category: "gas", previousVerifiedT: 40_000, verifiedT: 1)]

    @Test func anApprovedReportWinsOverTheFile() throws {
        let (mrv, registry) = Self.states()
        let f = try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: Self.file, needVerified: true)
        #expect(f.count == 1)
        // 50,000.50 → 50,001 (half up); output 60,000.12345 → 4 decimals; load 60,000 / (10 × 7,200) = 0.8333.
        #expect(f[0].verifiedT == 50_001 && f[0].generationMWh == "60000.1235" && f[0].loadFactor == "0.8333")
        #expect(f[0].entity == "ENT-000001" && f[0].province == "SC" && f[0].category == "coal_gt300" && f[0].cooling == "air")
        // No 2023 report: the file's basis stays.
        #expect(f[0].previousVerifiedT == 40_000)
    }

    @Test func aReportNotYetApprovedHasNoFigure() {
        let (mrv, registry) = Self.states(status: .provinceApproved)
        #expect(throws: AllocationError(.noVerifiedFigure, "U1 (ENT-000001): no verified figure for 2024 (annual report province_approved, not approved)")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: true)
        }
        // The pre-allocation needs none.
        #expect(throws: Never.self) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: Self.file, needVerified: false)
        }
    }

    /// Every facility still waiting is named in one answer (unit, entity account, report state),
    /// up to `maxNamedUnverified`, then how many more; the facilities are sorted by id.
    @Test func everyFacilityWithoutAFigureIsNamed() {
        let states = Self.states(status: .approved)
        var mrv = states.0
        let registry = states.1
        let entity = MRVEntityID(Self.uscc)
        let extra = CycleMRVFigures.maxNamedUnverified + 2
        for n in 1...extra {
            let id = FacilityID("W\(String(n + 100))")
            mrv.facilities[id] = Facility(
                id: id, entity: entity, name: "W", kind: .power,
                power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(10), cooling: .air), fuels: [.coal])
        }
        let expected = (1...CycleMRVFigures.maxNamedUnverified).map {
            "W\($0 + 100) (ENT-000001): no verified figure for 2024 (not in the approved annual report)"
        }.joined(separator: "; ") + "; and 2 more"
        #expect(throws: AllocationError(.noVerifiedFigure, expected)) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: true)
        }
    }

    @Test func aFacilityOutsideThePlatformOrAnEntityWithoutAccountIsRefused() {
        let (mrv, registry) = Self.states()
        let stranger = [CycleFacility(id: "X9", entity: "ENT-000001", province: "SC", category: "gas", previousVerifiedT: 1)]
        #expect(throws: AllocationError(.noVerifiedFigure, "X9: not a facility of the MRV platform")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: stranger, needVerified: true)
        }
        let (_, other) = Self.states(ownerID: "91510100000000002X")
        #expect(throws: AllocationError(.unknownAccount, "U1: no registry entity account is held by MRV entity \(Self.uscc)")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: other, file: nil, needVerified: true)
        }
    }

    /// With a province only its entities' facilities and accounts are read: a fault of another
    /// province (an entity without an account, an owner holding two) fails the nation's
    /// figures and names it, never the province's.
    @Test func aProvinceReadsItsOwnEntitiesOnly() throws {
        var (mrv, registry) = Self.states()
        let stranger = "91440100000000002X"
        let gd = MRVEntityID(stranger)
        mrv.entities[gd] = MRVEntity(id: gd, name: "G", province: "广东", city: "广州", sector: .power, group: nil)
        mrv.facilities["G1"] = Facility(
            id: "G1", entity: gd, name: "G1", kind: .power,
            power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(10), cooling: .air), fuels: [.coal])
        #expect(throws: AllocationError(.unknownAccount, "G1: no registry entity account is held by MRV entity \(stranger)")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: false)
        }
        #expect(throws: AllocationError(.unknownAccount, "G1: no registry entity account is held by MRV entity \(stranger)")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: false, province: "广东")
        }
        let sichuan = try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: true, province: "四川")
        #expect(sichuan.map(\.id) == ["U1"] && sichuan.first?.verifiedT == 50_001)
        // The file naming G1: for Sichuan a facility the platform does not know (the file's figures).
        let named = try CycleMRVFigures.facilities(
            plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: [CycleFacility(id: "G1", entity: "ENT-000009", province: "GD", category: "gas", previousVerifiedT: 1)],
            needVerified: false, province: "四川")
        #expect(named.first?.entity == "ENT-000009")
        for id in ["ENT-000002", "ENT-000003"] {
            registry.accounts[AccountID(id)] = Account(
                id: AccountID(id), type: .entity, ownerID: stranger, ownerName: "G", province: "GD", status: .open, representatives: [], openedAt: Self.at)
        }
        #expect(throws: AllocationError(.unknownAccount, "owner \(stranger) holds more than one entity account")) {
            try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: false)
        }
        #expect(try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: false, province: "四川").map(\.id) == ["U1"])
    }

    @Test func aMonthWithoutOperatingHoursLeavesTheLoadFactorOut() throws {
        let (mrv, registry) = Self.states(hours: false)
        let f = try CycleMRVFigures.facilities(plan: Self.plan, year: 2024, mrv: mrv, registry: registry, file: nil, needVerified: true)
        #expect(f[0].loadFactor == nil && f[0].verifiedT == 50_001)
    }
}
