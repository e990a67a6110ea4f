import OpenETSDomain
import Testing

@Suite("MRV deadlines")
struct MRVDeadlineTests {
    typealias W = MRVWorld
    static let p2024 = MRVPlatformPolicy.seed.first { $0.year == 2024 }!
    static let p2023 = MRVPlatformPolicy.seed.first { $0.year == 2023 }!

    func day(_ y: Int, _ m: Int, _ d: Int) -> CivilDate { CivilDate(year: y, month: m, day: d) }

    @Test func monthlyDataIsDueFortyNaturalDaysAfterTheMonthEnds() {
        #expect(MRVDeadlines.monthlyDue(year: 2024, month: 1, dueDays: 40) == day(2024, 3, 11))  // 31 Jan + 40, leap February
        #expect(MRVDeadlines.monthlyDue(year: 2023, month: 1, dueDays: 40) == day(2023, 3, 12))
        #expect(MRVDeadlines.monthlyDue(year: 2024, month: 2, dueDays: 40) == day(2024, 4, 9))  // 29 Feb + 40
        #expect(MRVDeadlines.monthlyDue(year: 2024, month: 4, dueDays: 40) == day(2024, 6, 9))  // 30 Apr + 40
        #expect(MRVDeadlines.monthlyDue(year: 2024, month: 12, dueDays: 40) == day(2025, 2, 9))  // across the year
        #expect(Self.p2024.monthlyDueDays == 40)
    }

    @Test func monthStatusFlagsLateAndMissingMonths() throws {
        var world = try MRVWorld.registered()
        let p = Self.p2024
        #expect(world.state.monthStatus("U1", year: 2024, month: 1, asOf: day(2024, 1, 31), policy: p) == .notEnded)
        #expect(world.state.monthStatus("U1", year: 2024, month: 1, asOf: day(2024, 2, 1), policy: p) == .open(due: day(2024, 3, 11)))
        #expect(world.state.monthStatus("U1", year: 2024, month: 1, asOf: day(2024, 3, 11), policy: p) == .open(due: day(2024, 3, 11)))
        #expect(world.state.monthStatus("U1", year: 2024, month: 1, asOf: day(2024, 3, 12), policy: p) == .missing(due: day(2024, 3, 11), daysOverdue: 1))
        // On the due date (late evening, Beijing time) is on time; the next day is late.
        try world.apply(.submitMonth(W.coalMonth("U1", 2024, 1)), at: W.at(2024, 3, 11, hour: 23))
        try world.apply(.submitMonth(W.coalMonth("U1", 2024, 2)), at: W.at(2024, 4, 10, hour: 0))
        #expect(world.state.monthStatus("U1", year: 2024, month: 1, asOf: day(2024, 6, 1), policy: p) == .onTime(submitted: day(2024, 3, 11), due: day(2024, 3, 11)))
        #expect(world.state.monthStatus("U1", year: 2024, month: 2, asOf: day(2024, 6, 1), policy: p) == .late(submitted: day(2024, 4, 10), due: day(2024, 4, 9), daysLate: 1))
        #expect(world.state.months[FacilityMonth(facility: "U1", year: 2024, month: 1)]!.late == false)
        #expect(world.state.months[FacilityMonth(facility: "U1", year: 2024, month: 2)]!.late == true)
        // The regulator's list as of 1 June 2024: February late, March and April missing (due 10 May, 9 June: April still open).
        let flagged = world.state.flaggedMonths(year: 2024, asOf: day(2024, 6, 1), policy: p)
        #expect(flagged.map(\.0.month) == [2, 3])
        #expect(flagged[1].1 == .missing(due: day(2024, 5, 10), daysOverdue: 22))
        // The due-day count is data.
        var relaxed = p
        relaxed.monthlyDueDays = 70
        #expect(world.state.monthStatus("U1", year: 2024, month: 3, asOf: day(2024, 6, 1), policy: relaxed) == .open(due: day(2024, 6, 9)))
    }

    @Test func reportDeadlinesBySectorAndYear() {
        // 2024 data: power and MRV-only sectors by 31 March 2025; steel, cement, aluminium by 30 June.
        #expect(Self.p2024.reportDeadline(.power) == day(2025, 3, 31))
        #expect(Self.p2024.reportDeadline(.chemical) == day(2025, 3, 31))
        for sector in [MRVSector.steel, .cement, .aluminium] { #expect(Self.p2024.reportDeadline(sector) == day(2025, 6, 30)) }
        // 2023 data: steel, cement and aluminium still reported only.
        #expect(Self.p2023.reportDeadline(.steel) == day(2024, 3, 31))
        // Verification: power 30 June; steel, cement, aluminium 31 August; MRV-only sectors 31 December.
        #expect(Self.p2024.verificationDeadline(.power) == day(2025, 6, 30))
        #expect(Self.p2024.verificationDeadline(.cement) == day(2025, 8, 31))
        #expect(Self.p2024.verificationDeadline(.paper) == day(2025, 12, 31))
        #expect(Self.p2023.verificationDeadline(.aluminium) == day(2024, 12, 31))
        #expect(Self.p2024.hasCompliance(.aluminium) && !Self.p2023.hasCompliance(.aluminium) && !Self.p2024.hasCompliance(.aviation))
    }

    @Test func lateReportsAndLateVerificationsAreFlagged() throws {
        var onTime = try MRVWorld.withYear()
        try onTime.apply(.submitReport(entity: W.entityID(1), year: 2024), at: W.at(2025, 3, 31, hour: 23))
        #expect(!onTime.report.late)
        var late = try MRVWorld.withYear()
        try late.apply(.submitReport(entity: W.entityID(1), year: 2024), at: W.at(2025, 4, 1, hour: 0))
        #expect(late.report.late)

        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("26876.52"), output: W.decimal("28800"))]
        var world = try MRVWorld.inVerification()
        var lateWorld = world
        try world.apply(.concludeVerification(entity: W.entityID(1), year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 6, 30, hour: 22))
        #expect(!world.report.verificationLate)
        try lateWorld.apply(.concludeVerification(entity: W.entityID(1), year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 7, 1))
        #expect(lateWorld.report.verificationLate)
    }

    @Test func theKeyEmitterListUsesTheThreshold() throws {
        var world = try MRVWorld.withYear()
        try world.apply(.submitReport(entity: W.entityID(1), year: 2024), at: W.at(2025, 3, 1))
        // Reported 26,876.52 t ≥ 26,000 t: listed with the reported figure.
        var list = world.state.keyEmitters(policy: Self.p2024)
        #expect(list.map(\.emissionsT) == [W.decimal("26876.52")] && list[0].verified == false && list[0].mrvOnly == false)
        // Verified below the threshold once approved: not listed.
        try world.apply(.assignVerifier(entity: W.entityID(1), year: 2024, verifier: "V1"), at: W.at(2025, 3, 2))
        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("25999.99"), output: W.decimal("28800"))]
        try world.apply(.concludeVerification(entity: W.entityID(1), year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 1))
        for level in ReviewLevel.allCases { try world.apply(.approveReview(entity: W.entityID(1), year: 2024, level: level), at: W.at(2025, 4, 2)) }
        list = world.state.keyEmitters(policy: Self.p2024)
        #expect(list.isEmpty)
        var lower = Self.p2024
        lower.keyEmitterThresholdT = W.decimal("25999.99")
        list = world.state.keyEmitters(policy: lower)
        #expect(list.count == 1 && list[0].verified)
    }
}
