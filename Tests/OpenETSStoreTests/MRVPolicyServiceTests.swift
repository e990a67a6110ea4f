import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// The MRV policy tables as versioned data in the database (migration 7, `mrv_policy`), the
/// grid company's rows as a journaled import, and the "Must show" bad inputs through the
/// durable service — on each database.
@Suite("MRV policy versions, grid rows and bad input through the service, on each database")
struct MRVPolicyServiceTests {
    typealias T = MRVServiceTests

    /// A 2022 coal month of U1 with 1,000 MWh of purchased electricity.
    static func month2022(_ m: Int) -> MonthlyData {
        var data = T.month("U1", m)
        data.year = 2022
        data.purchasedMWh = ExactDecimal(1000)
        return data
    }

    static func registered(_ location: StoreLocation) async throws -> T.Session {
        let s = try await T.open(location)
        try await s.accept(.registerEntity(uscc: T.uscc(1), name: "川电一厂", province: "四川", city: "成都", sector: .power, group: nil))
        try await s.accept(.registerFacility(T.unit("U1")))
        return s
    }

    /// The seed tables with the 2022 grid factor changed.
    static func withGridFactor2022(_ factor: String, from base: MRVPolicyTables = .seed) -> MRVPolicyTables {
        var tables = base
        tables.accounting = tables.accounting.map { var p = $0; if p.year == 2022 { p.gridFactorTPerMWh = factor }; return p }
        return tables
    }

    @Test(arguments: Backend.all)
    func aPublishedVersionChangesTheComputation(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        #expect(await s.service.policyVersion == 0)
        #expect(await s.service.policy == .seed)
        try await s.accept(.submitMonth(Self.month2022(1)))
        // Seed: 1,000 MWh × 0.5703 = 570.30 t; combustion 1000 × 20 × 0.03085 × 0.99 × 44/12 = 2,239.71 t.
        let before = try await s.service.facilityYear("U1", year: 2022)
        #expect(before.electricityT == ExactDecimal("570.30")! && before.totalT == ExactDecimal("2810.01")!)

        let changed = Self.withGridFactor2022("0.6")
        let published = try await s.service.publishPolicy(changed, effectiveFrom: "2025-01-20", note: "grid factor corrected")
        #expect(published.map(\.version) == .success(1) && published.map(\.previous) == .success(.seed))
        #expect(await s.service.policyVersion == 1)
        #expect(try await s.service.facilityYear("U1", year: 2022).electricityT == ExactDecimal("600.00")!)
        try await s.close()

        let reopened = try await T.open(location)
        #expect(await reopened.service.policyVersion == 1)
        #expect(await reopened.service.policy == changed)
        let after = try await reopened.service.facilityYear("U1", year: 2022)
        #expect(after.electricityT == ExactDecimal("600.00")! && after.totalT == ExactDecimal("2839.71")!)
        let versions = try await reopened.service.policyVersions()
        #expect(versions.map(\.version) == [1] && versions.first?.note == "grid factor corrected" && versions.first?.effectiveFrom == "2025-01-20")
        // The policy is not in the journal: the chain and its replay are unchanged.
        #expect(try await reopened.service.verify().ok)
        try await reopened.close()
    }

    /// The version list reads the headers only (no tables); one version's tables are read by
    /// its number, and a number never published reads nothing.
    @Test(arguments: Backend.all)
    func theVersionListAndOneVersionsTables(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        #expect(try await s.service.policyHeaders().isEmpty)
        let (v1, v2) = (Self.withGridFactor2022("0.6"), Self.withGridFactor2022("0.61"))
        #expect(try await s.service.publishPolicy(v1, effectiveFrom: "2025-01-20", note: "first").map(\.version) == .success(1))
        #expect(try await s.service.publishPolicy(v2, effectiveFrom: "2025-02-01", note: "second").map(\.version) == .success(2))
        let headers = try await s.service.policyHeaders()
        #expect(headers.map(\.version) == [1, 2] && headers.map(\.note) == ["first", "second"] && headers.map(\.effectiveFrom) == ["2025-01-20", "2025-02-01"])
        let full = try await s.service.policyVersions()
        #expect(headers == full.map(\.header), "the same versions as the full read, less the tables")
        for (version, tables) in [(1, v1), (2, v2)] {
            let stored = try #require(try await s.service.publishedPolicy(version: version))
            let decoded = try JSONDecoder().decode(MRVPolicyTables.self, from: Data(stored.body.utf8))
            #expect(stored.header == headers[version - 1] && decoded == tables, "v\(version)")
        }
        for missing in [0, 3, -1] { #expect(try await s.service.publishedPolicy(version: missing) == nil, "v\(missing)") }
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func aDeadlinePublishedElsewhereAppliesToWrites(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        // The clock reads 2025-01-20. Seed: November 2024 is due 40 days after 30 Nov = 9 Jan
        // (late); December is due 9 Feb 2025 (on time).
        try await s.accept(.submitMonth(T.month("U1", 11)))
        #expect(await s.service.state.months[FacilityMonth(facility: "U1", year: 2024, month: 11)]?.late == true)
        // Another process publishes 2024 months due 10 days after the month ends.
        let other = try await T.open(location)
        var tighter = MRVPolicyTables.seed
        tighter.platform = tighter.platform.map { var p = $0; if p.year == 2024 { p.monthlyDueDays = 10 }; return p }
        #expect(try await other.service.publishPolicy(tighter, effectiveFrom: "2025-01-20", note: "10 days").map(\.version) == .success(1))
        try await other.close()
        // The first service still holds version 0 but its write reads version 1 first: December,
        // due 10 January under it, is late.
        #expect(await s.service.policyVersion == 0)
        try await s.accept(.submitMonth(T.month("U1", 12)))
        #expect(await s.service.state.months[FacilityMonth(facility: "U1", year: 2024, month: 12)]?.late == true)
        #expect(await s.service.policyVersion == 1)
        // And after reopening, the month status of the year uses it too.
        try await s.close()
        let reopened = try await T.open(location)
        let p2024 = try await reopened.service.policy.platform(2024)
        #expect(p2024.monthlyDueDays == 10)
        let status = await reopened.service.state.monthStatus("U1", year: 2024, month: 12, asOf: CivilDate(year: 2025, month: 1, day: 20), policy: p2024)
        #expect(status == .late(submitted: CivilDate(year: 2025, month: 1, day: 20), due: CivilDate(year: 2025, month: 1, day: 10), daysLate: 10))
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func anInconsistentPolicyIsRejectedAndStoresNothing(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        var badDay = MRVPolicyTables.seed
        badDay.platform[0].reportDeadlines[.power] = MonthDay(month: 2, day: 29)
        badDay.platform[0].reportDeadlines[.steel] = try JSONDecoder().decode(MonthDay.self, from: Data(#"{"month":13,"day":1}"#.utf8))
        var dropped = MRVPolicyTables.seed
        dropped.accounting.removeFirst()
        dropped.platform.removeFirst()
        let negative = Self.withGridFactor2022("-0.5")
        for (tables, path) in [(badDay, "reportDeadlines.steel"), (dropped, "platform[2019]"), (negative, "gridFactorTPerMWh")] {
            let result = try await s.service.publishPolicy(tables, effectiveFrom: "2025-01-20", note: "bad")
            guard case .failure(let error) = result else {
                Issue.record("expected INVALID_POLICY, got \(result)")
                continue
            }
            #expect(error.code == .invalidPolicy && error.message.contains(path), "\(error)")
        }
        #expect(try await s.service.publishPolicy(.seed, effectiveFrom: "20 Jan", note: "x").map(\.version) == .failure(MRVError(.invalidPolicy, "effective_from: '20 Jan' is not YYYY-MM-DD")))
        #expect(try await s.service.policyVersions().isEmpty)
        #expect(await s.service.policyVersion == 0)
        #expect(await s.service.policy == .seed)
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func gridRowsAreAJournaledImportForRuleA07(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await T.populated(location)
        // U1 reports 2,400 MWh in March 2024; the grid company says 2,500 (4 % off, > 2 %).
        let grid = "设施编号,年份,月份,发电量\nU1,2024,3,2500\nU2,2024,3,2410\n"
        let imported = try await s.service.importGrid(csv: grid, idempotencyKey: "grid-1")
        #expect(imported.receipt?.events.count == 1)
        // A file with one broken row (unknown facility) stores nothing.
        let head = await s.service.head
        let bad = try await s.service.importGrid(csv: "facility_id,year,month,generation_mwh\nU1,2024,4,2400\nU9,2024,4,1\n", idempotencyKey: "grid-bad")
        #expect(bad.rowErrors.map(\.row) == [3] && bad.rowErrors.map(\.code) == [.unknownFacility], "\(bad)")
        let absurd = try await s.service.importGrid(csv: "facility_id,year,month,generation_mwh\nU1,2024,4,20000000\n", idempotencyKey: "grid-absurd")
        #expect(absurd.rowErrors.map(\.code) == [.invalidValue])
        #expect(await s.service.head == head)
        try await s.close()

        let reopened = try await T.open(location)
        #expect(await reopened.service.state.gridRows(year: 2024).count == 2)
        let findings = try await reopened.service.anomalies(year: 2024)
        #expect(findings.map(\.rule) == [.gridMismatch] && findings.first?.facility == "U1" && findings.first?.month == 3, "\(findings)")
        // A corrected figure replaces the earlier one: no finding.
        _ = try await reopened.service.importGrid(csv: "facility_id,year,month,generation_mwh\nU1,2024,3,2400\n", idempotencyKey: "grid-2")
        #expect(try await reopened.service.anomalies(year: 2024).isEmpty)
        #expect(try await reopened.service.verify().ok)
        try await reopened.close()
    }

    /// "Must show": negative or absurd values, wrong units, an unknown facility, a month
    /// submitted twice and CSV files with one broken row get their codes through the service,
    /// and nothing is written — not even after reopening.
    @Test(arguments: Backend.all)
    func badInputGetsItsCodeAndWritesNothing(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await T.populated(location)
        let state = await s.service.state
        let head = await s.service.head
        var negative = T.month("U1", 1)
        negative.year = 2023
        negative.fuels[0].consumption = ExactDecimal(-1)
        var absurd = negative
        absurd.fuels[0].consumption = ExactDecimal(2_000_000_000)
        var absurdNCV = T.month("U1", 1)
        absurdNCV.year = 2023
        absurdNCV.fuels[0].ncvGJPerUnit = .measured(ExactDecimal(5_000))
        var wrongUnit = T.month("U1", 2)
        wrongUnit.year = 2023
        wrongUnit.fuels[0].unit = "10^4Nm3"
        var unknown = T.month("U9", 1)
        unknown.year = 2023
        var badCorrection = T.month("U1", 1)
        badCorrection.production.generationMWh = ExactDecimal(-2400)
        let cases: [(MRVCommand, MRVErrorCode)] = [
            (.submitMonth(negative), .invalidValue), (.submitMonth(absurd), .invalidValue), (.submitMonth(absurdNCV), .invalidValue),
            (.submitMonth(wrongUnit), .wrongUnit), (.submitMonth(unknown), .unknownFacility),
            (.submitMonth(T.month("U1", 1)), .monthAlreadySubmitted), (.correctMonth(badCorrection, reason: "typo"), .invalidValue),
            (.registerEntity(uscc: String(T.uscc(2).dropLast()) + (T.uscc(2).hasSuffix("0") ? "1" : "0"), name: "x", province: "四川", city: "成都", sector: .power, group: nil), .invalidUSCC),
        ]
        for (command, code) in cases {
            let outcome = try await s.service.execute(MRVRequest(idempotencyKey: UUID().uuidString, command: command))
            #expect(outcome.error?.code == code, "\(command.kind): \(outcome)")
            #expect(outcome.error?.message.isEmpty == false)
        }
        // A monthly file whose third row gives the wrong unit, and one whose second row repeats a month.
        var months = (1...3).map { var m = T.month("U1", $0); m.year = 2023; return m }
        let good = MRVCSV.exportMonths(months)
        months[1].fuels[0].unit = "10^4Nm3"
        let wrong = try await s.service.importMonths(csv: MRVCSV.exportMonths(months), idempotencyKey: "wrong-unit")
        #expect(wrong.rowErrors.map(\.row) == [3] && wrong.rowErrors.first?.code == .wrongUnit, "\(wrong)")
        let lines = good.split(separator: "\n", omittingEmptySubsequences: false)
        let repeated = ([lines[0], lines[1], lines[1]] + lines[2...]).joined(separator: "\n")
        let twice = try await s.service.importMonths(csv: repeated, idempotencyKey: "repeated")
        #expect(twice.rowErrors.map(\.code).contains(.duplicateMonth), "\(twice)")
        // A month already deposited, inside an otherwise good file.
        let already = try await s.service.importMonths(csv: MRVCSV.exportMonths([T.month("U1", 5)] + months.prefix(1)), idempotencyKey: "already")
        #expect(already.rowErrors.map(\.code) == [.monthAlreadySubmitted], "\(already)")
        #expect(await s.service.state == state)
        #expect(await s.service.head == head)
        #expect(try await s.store.mrvHead() == head)
        try await s.close()
        let reopened = try await T.open(location)
        #expect(await reopened.service.state == state)
        // The good file is still accepted whole afterwards.
        #expect(try await reopened.service.importMonths(csv: good, idempotencyKey: "good").receipt?.events.count == 3)
        try await reopened.close()
    }
}
