import OpenETSDomain
import Testing

@Suite("CCER projects: eligibility checks and uniqueness")
struct CCERProjectTests {
    typealias F = CCERFixture

    func submitted(_ events: [CCEREvent]) -> CCERProject? {
        if case .projectSubmitted(let project) = events.first { return project }
        return nil
    }

    @Test func aProjectIsSubmittedWithItsNotice() throws {
        var f = F()
        let events = try f.run(.submitProject(F.application(), coveredFacilities: []), on: "2025-01-20")
        let project = try #require(submitted(events))
        #expect(project.id == "P000001" && project.stage == .designNotice && project.warnings == [])
        #expect(project.designNotice == PublicNotice(opensOn: F.day("2025-01-20"), endsOn: F.day("2025-02-21")))
        #expect(project.nameKey == "如东h5海上风电场" && project.locationKey == "江苏省南通市如东县")
        #expect(project.history == [StageEntry(stage: "design_notice", on: F.day("2025-01-20"))])
        #expect(project.publicStatus == .projectInNotice)
        #expect(f.state.projects(withStatus: .projectInNotice).map(\.id) == ["P000001"])
        try f.submit(F.application(name: "另一个项目", location: "福建省莆田市"))
        #expect(f.state.projectsInOrder.map(\.id) == ["P000001", "P000002"])
    }

    @Test func constructionMustStartAfter8November2012() throws {
        var f = F()
        let early = F.application(construction: "2012-11-08")
        f.reject(.submitProject(early, coveredFacilities: []), .constructionTooEarly, on: "2025-01-20")
        try f.submit(F.application(construction: "2012-11-09"))
    }

    @Test func reductionsOnlyAfter22September2020() throws {
        var f = F()
        let early = F.application(construction: "2019-01-01", creditingStart: "2020-09-22", creditingEnd: "2030-09-21")
        f.reject(.submitProject(early, coveredFacilities: []), .reductionsTooEarly, on: "2025-01-20")
        try f.submit(F.application(construction: "2019-01-01", creditingStart: "2020-09-23", creditingEnd: "2030-09-22"))
    }

    @Test func datesMustBeInOrder() {
        let f = F()
        let endBeforeStart = F.application(creditingStart: "2025-01-01", creditingEnd: "2024-12-31")
        f.reject(.submitProject(endBeforeStart, coveredFacilities: []), .datesOutOfOrder, on: "2025-01-20")
        let creditingBeforeConstruction = F.application(construction: "2024-06-01", creditingStart: "2024-01-01")
        f.reject(.submitProject(creditingBeforeConstruction, coveredFacilities: []), .datesOutOfOrder, on: "2025-01-20")
    }

    @Test func theCreditingPeriodFollowsTheMethodology() throws {
        var f = F()
        // Offshore wind: at most 10 years. 2024-01-01 to 2033-12-31 is 10 years; one day more is not.
        let long = F.application(creditingEnd: "2034-01-01")
        f.reject(.submitProject(long, coveredFacilities: []), .creditingPeriodInvalid, on: "2025-01-20")
        // Afforestation: at least 20 years.
        let short = F.application(name: "造林", methodology: "CCER-14-001-V01", creditingEnd: "2043-12-30")
        f.reject(.submitProject(short, coveredFacilities: []), .creditingPeriodInvalid, on: "2025-01-20")
        try f.submit(F.application(name: "造林", methodology: "CCER-14-001-V01", creditingEnd: "2043-12-31"))
    }

    @Test func unknownMethodology() {
        F().reject(.submitProject(F.application(methodology: "CCER-99-001-V01"), coveredFacilities: []), .unknownMethodology, on: "2025-01-20")
    }

    @Test func notInsideAnETSCoveredFacility() throws {
        var f = F()
        let inside = F.application(host: "华能南通电厂")
        // Covered through the command …
        f.reject(.submitProject(inside, coveredFacilities: ["华能 南通电厂"]), .coveredFacility, on: "2025-01-20")
        // … or through the policy.
        f.policy.coveredFacilities = ["ENT-000123", "华能南通电厂"]
        f.reject(.submitProject(inside, coveredFacilities: []), .coveredFacility, on: "2025-01-20")
        // Another facility is fine.
        try f.submit(F.application(host: "如东风电升压站"))
    }

    @Test func notRegisteredUnderAnotherScheme() {
        F().reject(.submitProject(F.application(elsewhere: ["VCS 1234"]), coveredFacilities: []), .registeredElsewhere, on: "2025-01-20")
    }

    @Test func fieldValuesAndLimits() {
        var f = F()
        var app = F.application()
        app.designDocumentSHA256 = "ABC"
        f.reject(.submitProject(app, coveredFacilities: []), .invalidArgument, on: "2025-01-20")
        app = F.application(name: "  ")
        f.reject(.submitProject(app, coveredFacilities: []), .invalidArgument, on: "2025-01-20")
        app = F.application(name: "（）、。")
        f.reject(.submitProject(app, coveredFacilities: []), .invalidArgument, on: "2025-01-20")
        app = F.application(name: String(repeating: "风", count: CCERLimits.defaults.maxNameLength + 1))
        f.reject(.submitProject(app, coveredFacilities: []), .limitExceeded, on: "2025-01-20")
        app = F.application()
        app.expectedAnnualReductionsT = 0
        f.reject(.submitProject(app, coveredFacilities: []), .invalidArgument, on: "2025-01-20")
        app.province = "Jiangsu"
        f.reject(.submitProject(app, coveredFacilities: []), .invalidArgument, on: "2025-01-20")
        f.policy.limits.maxProjects = 0
        f.reject(.submitProject(F.application(), coveredFacilities: []), .limitExceeded, on: "2025-01-20")
        // Outside the working-day calendar no notice can be counted.
        F().reject(.submitProject(F.application(), coveredFacilities: []), .calendarNotCovered, on: "2027-03-01")
    }

    // MARK: uniqueness

    @Test func anExactDuplicateIsRejected() throws {
        var f = F()
        try f.submit()
        // Same owner; name and location equal once normalised (spaces, full-width, punctuation).
        let again = F.application(name: "如东 Ｈ5 海上风电场", location: "江苏省 南通市 如东县")
        f.reject(.submitProject(again, coveredFacilities: []), .duplicateProject, on: "2025-01-21")
    }

    @Test func aSimilarProjectOfTheSameOwnerIsFlagged() throws {
        var f = F()
        try f.submit()
        let events = try f.run(.submitProject(F.application(name: "如东H6海上风电场", location: "如东县"), coveredFacilities: []), on: "2025-01-21")
        let warnings = try #require(submitted(events)).warnings
        #expect(warnings.map(\.kind) == [.similarProject] && warnings.first?.other == "P000001")
        #expect(f.project("P000002").warnings == warnings)
    }

    @Test func theSameProjectUnderAnotherOwnerIsFlagged() throws {
        var f = F()
        try f.submit()
        let events = try f.run(.submitProject(F.application(owner: F.otherOwner), coveredFacilities: []), on: "2025-01-21")
        #expect(try #require(submitted(events)).warnings.map(\.kind) == [.sameProjectOtherOwner])
    }

    @Test func differentProjectsAreNotFlagged() throws {
        var f = F()
        try f.submit()
        // Same owner and location, a different project.
        let solar = F.application(name: "如东光热电站", methodology: "CCER-01-001-V01")
        #expect(try #require(submitted(try f.run(.submitProject(solar, coveredFacilities: []), on: "2025-01-21"))).warnings == [])
        // Same owner and name pattern, another place.
        let elsewhere = F.application(name: "如东H5海上风电场二期", location: "福建省莆田市平海湾")
        #expect(try #require(submitted(try f.run(.submitProject(elsewhere, coveredFacilities: []), on: "2025-01-21"))).warnings == [])
        // Another owner, a different name at the same place.
        let other = F.application(name: "如东渔光互补", owner: F.otherOwner)
        #expect(try #require(submitted(try f.run(.submitProject(other, coveredFacilities: []), on: "2025-01-21"))).warnings == [])
    }

    @Test func aRejectedProjectMayBeResubmittedWithAWarning() throws {
        var f = F()
        let id = try f.submit()
        try f.run(.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: ["baseline not conservative"], positive: false), on: "2025-02-24")
        #expect(f.project(id).stage == .rejected && f.project(id).publicStatus == nil)
        let events = try f.run(.submitProject(F.application(), coveredFacilities: []), on: "2025-02-25")
        #expect(try #require(submitted(events)).warnings.map(\.kind) == [.resubmission])
    }

    @Test func warningsAreCappedByANamedLimit() throws {
        var f = F()
        try f.submit()
        try f.submit(F.application(name: "如东H6海上风电场"), on: "2025-01-21")
        f.policy.limits.maxDuplicateWarnings = 1
        let events = try f.run(.submitProject(F.application(name: "如东H7海上风电场"), coveredFacilities: []), on: "2025-01-22")
        #expect(try #require(submitted(events)).warnings.map(\.other) == ["P000001"])
        // Past the cap an exact duplicate is still rejected.
        f.reject(.submitProject(F.application(name: "如东H6海上风电场"), coveredFacilities: []), .duplicateProject, on: "2025-01-22")
    }

    @Test func normalisationAndSimilarity() {
        #expect(ProjectIdentity.normalise("  Ｒｕｄｏｎｇ H5 — 海上风电场（一期）") == "rudongh5海上风电场一期")
        #expect(ProjectIdentity.editDistance("kitten", "sitting") == 3)
        #expect(ProjectIdentity.editDistance("", "abc") == 3)
        #expect(ProjectIdentity.similar("如东h5海上风电场", "如东h6海上风电场", percent: 30))
        #expect(ProjectIdentity.similar("如东县", "江苏省南通市如东县", percent: 30))
        #expect(!ProjectIdentity.similar("如东h5海上风电场", "如东光热电站", percent: 30))
        #expect(!ProjectIdentity.similar("", "如东", percent: 30))
    }
}
