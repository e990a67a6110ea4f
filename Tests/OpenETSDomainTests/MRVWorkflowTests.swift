import OpenETSDomain
import Testing

@Suite("MRV platform: registration and control plans")
struct MRVRegistrationTests {
    typealias W = MRVWorld

    @Test func entitiesAreValidatedAndUnique() throws {
        var world = MRVWorld()
        #expect(world.code(.registerEntity(uscc: "915101000000000012", name: "A", province: "四川", city: "成都", sector: .power, group: nil)) == .invalidUSCC)
        #expect(world.code(.registerEntity(uscc: W.uscc(1), name: " ", province: "四川", city: "成都", sector: .power, group: nil)) == .invalidValue)
        try world.apply(.registerEntity(uscc: W.uscc(1), name: "川电一厂", province: "四川", city: "成都", sector: .power, group: nil))
        #expect(world.state.entities[W.entityID(1)]?.name == "川电一厂")
        #expect(world.code(.registerEntity(uscc: W.uscc(1), name: "again", province: "四川", city: "成都", sector: .power, group: nil)) == .duplicateEntity)
    }

    @Test func facilitiesNeedTheirEntityAndConsistentDetails() throws {
        var world = try MRVWorld.registered()
        #expect(world.code(.registerFacility(W.coalUnit("U9", entity: 7))) == .unknownEntity)
        #expect(world.code(.registerFacility(W.coalUnit("U1", entity: 1))) == .duplicateFacility)
        #expect(world.code(.registerFacility(W.coalUnit("bad id!", entity: 1))) == .invalidValue)
        #expect(world.code(.registerFacility(W.coalUnit("G1", entity: 1, category: .gas))) == .invalidValue)  // gas unit burning coal
        #expect(world.code(.registerFacility(W.coalUnit("U2", entity: 1, fuels: [.coal, .coal]))) == .invalidValue)
        var noDetails = W.coalUnit("U2", entity: 1)
        noDetails.power = nil
        #expect(world.code(.registerFacility(noDetails)) == .invalidValue)
        var zero = W.coalUnit("U2", entity: 1)
        zero.power!.capacityMW = .zero
        #expect(world.code(.registerFacility(zero)) == .invalidValue)
        let smelter = Facility(id: "AL1", entity: W.entityID(1), name: "电解铝", kind: .aluminium, fuels: [.naturalGas])
        try world.apply(.registerFacility(smelter))
        #expect(world.state.facilitiesByEntity[W.entityID(1)] == ["U1", "AL1"])
        #expect(world.code(.registerVerifier(Verifier(id: "V1", name: "again"))) == .duplicateVerifier)
        #expect(world.code(.declareConsultant(entity: W.entityID(1), verifier: "V9", year: 2024)) == .unknownVerifier)
        #expect(world.code(.declareConsultant(entity: W.entityID(9), verifier: "V1", year: 2024)) == .unknownEntity)
        #expect(world.code(.declareConsultant(entity: W.entityID(1), verifier: "V1", year: 2010)) == .noPolicyForYear)
    }

    static let items = [
        DataItemPlan(item: "coal.consumption", source: .measured, method: "belt scale", meter: "BS-01", frequency: "continuous", fallback: "backup scale BS-02"),
        DataItemPlan(item: "coal.ncv", source: .measured, method: "GB/T 213", meter: "calorimeter", frequency: "each batch", lab: "CMA lab", fallback: "default value"),
        DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default value"),
    ]

    @Test func controlPlansAreVersionedAndReviewedByTheProvince() throws {
        var world = try MRVWorld.registered()
        let items = Self.items
        #expect(world.code(.submitControlPlan(facility: "U9", items: items)) == .unknownFacility)
        #expect(world.code(.submitControlPlan(facility: "U1", items: [])) == .limitExceeded)
        let noMeter = DataItemPlan(item: "coal.ncv", source: .measured, method: "GB/T 213", frequency: "daily", fallback: "default")
        #expect(world.code(.submitControlPlan(facility: "U1", items: [noMeter])) == .invalidValue)
        #expect(world.code(.submitControlPlan(facility: "U1", items: [items[0], items[0]])) == .invalidValue)
        let noFallback = DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "")
        #expect(world.code(.submitControlPlan(facility: "U1", items: [noFallback])) == .invalidValue)

        try world.apply(.submitControlPlan(facility: "U1", items: items))
        #expect(world.state.plans["U1"]?.first?.status == .submitted)
        #expect(world.code(.submitControlPlan(facility: "U1", items: items)) == .planUnderReview)
        #expect(world.code(.approveControlPlan(facility: "U1", version: 2)) == .unknownPlan)
        #expect(world.code(.approveControlPlan(facility: "U9", version: 1)) == .unknownFacility)
        try world.apply(.approveControlPlan(facility: "U1", version: 1))
        #expect(world.code(.approveControlPlan(facility: "U1", version: 1)) == .invalidTransition)
        #expect(world.code(.returnControlPlan(facility: "U1", version: 1, reasons: ["late"])) == .invalidTransition)

        try world.apply(.submitControlPlan(facility: "U1", items: Array(items.prefix(2))))
        #expect(world.code(.returnControlPlan(facility: "U1", version: 2, reasons: [])) == .reasonRequired)
        #expect(world.code(.returnControlPlan(facility: "U1", version: 2, reasons: ["  "])) == .reasonRequired)
        try world.apply(.returnControlPlan(facility: "U1", version: 2, reasons: ["oxidation item missing"]))
        #expect(world.state.plans["U1"]![1].status == .returned && world.state.plans["U1"]![1].reasons == ["oxidation item missing"])
        #expect(world.state.approvedPlan("U1")?.version == 1)

        try world.apply(.submitControlPlan(facility: "U1", items: items))
        let events = try world.apply(.approveControlPlan(facility: "U1", version: 3))
        #expect(events == [.controlPlanApproved(facility: "U1", version: 3, superseded: 1, at: MRVWorld.at(2025, 1, 15))])
        #expect(world.state.plans["U1"]!.map(\.status) == [.superseded, .returned, .approved])
        #expect(world.state.approvedPlan("U1")?.version == 3)
    }
}

@Suite("MRV platform: monthly data")
struct MRVMonthlyDataTests {
    typealias W = MRVWorld

    @Test func aMonthIsSubmittedOnceAfterItEnds() throws {
        var world = try MRVWorld.registered()
        let january = W.coalMonth("U1", 2024, 1)
        #expect(world.code(.submitMonth(january), at: W.at(2024, 1, 31, hour: 23)) == .monthNotEnded)
        try world.apply(.submitMonth(january), at: W.at(2024, 2, 1))
        #expect(world.state.months[january.key]?.late == false)
        #expect(world.code(.submitMonth(january), at: W.at(2024, 2, 2)) == .monthAlreadySubmitted)
        #expect(world.code(.submitMonth(W.coalMonth("U9", 2024, 2))) == .unknownFacility)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 13))) == .invalidMonth)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2010, 1))) == .noPolicyForYear)
    }

    @Test func badMonthlyValuesAreRejectedWithTheirCodes() throws {
        let world = try MRVWorld.registered()
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, consumption: "-1"))) == .invalidValue)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, consumption: "2000000000"))) == .invalidValue)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, consumption: "1.1234567"))) == .invalidValue)  // > 6 decimals
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, ncv: "0"))) == .invalidValue)
        var gas = W.coalMonth("U1", 2024, 2)
        gas.fuels = [FuelLine(fuel: .naturalGas, consumption: W.decimal("10"))]
        #expect(world.code(.submitMonth(gas)) == .fuelNotRegistered)
        var wrongUnit = W.coalMonth("U1", 2024, 2)
        wrongUnit.fuels[0].unit = "10^4Nm3"
        #expect(world.code(.submitMonth(wrongUnit)) == .wrongUnit)
        var twice = W.coalMonth("U1", 2024, 2)
        twice.fuels.append(twice.fuels[0])
        #expect(world.code(.submitMonth(twice)) == .invalidValue)
        var noGeneration = W.coalMonth("U1", 2024, 2)
        noGeneration.production.generationMWh = nil
        #expect(world.code(.submitMonth(noGeneration)) == .invalidValue)
        var supply = W.coalMonth("U1", 2024, 2)
        supply.production.supplyMWh = W.decimal("2500")
        #expect(world.code(.submitMonth(supply)) == .invalidValue)
        var hours = W.coalMonth("U1", 2024, 2)
        hours.production.operatingHours = W.decimal("697")  // February 2024 has 696 hours
        #expect(world.code(.submitMonth(hours)) == .invalidValue)
        hours.production.operatingHours = W.decimal("696")
        #expect(world.code(.submitMonth(hours)) == nil)
        var load = W.coalMonth("U1", 2024, 2)
        load.production.loadFactor = W.decimal("1.01")
        #expect(world.code(.submitMonth(load)) == .invalidValue)
        var pfc = W.coalMonth("U1", 2024, 2)
        pfc.pfc = PFCData(cf4KgPerT: .defaulted, c2f6KgPerT: .defaulted)
        #expect(world.code(.submitMonth(pfc)) == .invalidValue)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, evidence: [EvidenceFile(name: "a.pdf", sha256: "ABC")]))) == .invalidEvidence)
        let upper = String(repeating: "A", count: 64)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, evidence: [EvidenceFile(name: "a.pdf", sha256: upper)]))) == .invalidEvidence)
        let same = EvidenceFile(name: "a.pdf", sha256: W.hash(1))
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, evidence: [same, same]))) == .invalidEvidence)
        #expect(world.code(.submitMonth(W.coalMonth("U1", 2024, 2, evidence: [same]))) == nil)
    }

    @Test func correctionsAndEvidenceReplacementsKeepTheHistory() throws {
        var world = try MRVWorld.registered()
        let original = W.coalMonth("U1", 2024, 3, evidence: [EvidenceFile(name: "march.pdf", sha256: W.hash(1), item: "coal.consumption")])
        let corrected = W.coalMonth("U1", 2024, 3, consumption: "1100", evidence: original.evidence)
        #expect(world.code(.correctMonth(corrected, reason: "scale recalibrated")) == .monthNotSubmitted)
        try world.apply(.submitMonth(original), at: W.at(2024, 4, 2))
        #expect(world.code(.correctMonth(corrected, reason: "")) == .reasonRequired)
        #expect(world.code(.correctMonth(original, reason: "again")) == .invalidValue)
        #expect(world.code(.correctMonth(W.coalMonth("U1", 2024, 3, consumption: "-5"), reason: "typo")) == .invalidValue)
        try world.apply(.correctMonth(corrected, reason: "scale recalibrated"), at: W.at(2024, 4, 20))
        let newEvidence = [EvidenceFile(name: "march-v2.pdf", sha256: W.hash(2))]
        #expect(world.code(.replaceEvidence(month: original.key, evidence: [], reason: "new scan")) == .invalidEvidence)
        #expect(world.code(.replaceEvidence(month: original.key, evidence: newEvidence, reason: "")) == .reasonRequired)
        #expect(world.code(.replaceEvidence(month: FacilityMonth(facility: "U1", year: 2024, month: 4), evidence: newEvidence, reason: "x")) == .monthNotSubmitted)
        #expect(world.code(.replaceEvidence(month: original.key, evidence: original.evidence, reason: "same")) == .invalidValue)
        try world.apply(.replaceEvidence(month: original.key, evidence: newEvidence, reason: "new scan"), at: W.at(2024, 4, 21))
        let record = world.state.months[original.key]!
        #expect(record.data.fuels[0].consumption == W.decimal("1100"))
        #expect(record.data.evidence == newEvidence)
        #expect(record.revisions.map(\.kind) == [.correction, .evidence])
        #expect(record.revisions[0].previous == original && record.revisions[0].reason == "scale recalibrated")
        #expect(record.revisions[1].previous.evidence == original.evidence)
        #expect(record.corrections == 1)
        #expect(record.submittedAt == W.at(2024, 4, 2))
    }

    @Test func addingEvidenceMergesIntoTheListAsItIsWhenDecided() throws {
        var world = try MRVWorld.registered()
        let lab = EvidenceFile(name: "lab.pdf", sha256: W.hash(1)), meter = EvidenceFile(name: "meter.jpg", sha256: W.hash(2))
        let month = W.coalMonth("U1", 2024, 3, evidence: [lab, meter])
        let key = month.key
        let scan = EvidenceFile(name: "scan.pdf", sha256: W.hash(3))
        #expect(world.code(.addEvidence(month: key, evidence: [scan], reason: "scan")) == .monthNotSubmitted)
        try world.apply(.submitMonth(month), at: W.at(2024, 4, 2))
        #expect(world.code(.addEvidence(month: key, evidence: [], reason: "nothing")) == .invalidEvidence)
        #expect(world.code(.addEvidence(month: key, evidence: [scan], reason: "")) == .reasonRequired)
        #expect(world.code(.addEvidence(month: key, evidence: [scan, EvidenceFile(name: "scan.pdf", sha256: W.hash(4))], reason: "x")) == .invalidEvidence)
        // The files already listed, as they are: nothing changes.
        #expect(world.code(.addEvidence(month: key, evidence: [meter], reason: "again")) == .invalidValue)
        // A second deposit sent before the first was decided still sees the first one's file.
        let renewed = EvidenceFile(name: "lab.pdf", sha256: W.hash(5))
        try world.apply(.addEvidence(month: key, evidence: [scan], reason: "scan"), at: W.at(2024, 4, 3))
        try world.apply(.addEvidence(month: key, evidence: [renewed], reason: "renewed lab report"), at: W.at(2024, 4, 4))
        let record = world.state.months[key]!
        // Replaced in place, appended at the end; each deposit is a version of the history.
        #expect(record.data.evidence == [renewed, meter, scan])
        #expect(record.evidenceHistory.map(\.files) == [[lab, meter], [lab, meter, scan], [renewed, meter, scan]])
        #expect(record.revisions.map(\.reason) == ["scan", "renewed lab report"])
        // A file's hash already listed under another name is the same file twice.
        #expect(world.code(.addEvidence(month: key, evidence: [EvidenceFile(name: "copy.pdf", sha256: W.hash(2))], reason: "copy")) == .invalidEvidence)
    }
}

@Suite("MRV platform: annual report, verification and review")
struct MRVReportTests {
    typealias W = MRVWorld
    static let entity = MRVWorld.entityID(1)

    @Test func theReportIsAssembledFromTwelveMonths() throws {
        var world = try MRVWorld.registered()
        for month in 1...11 { try world.apply(.submitMonth(W.coalMonth("U1", 2024, month)), at: W.at(2025, 1, 5)) }
        #expect(world.code(.submitReport(entity: Self.entity, year: 2024), at: W.at(2024, 12, 31, hour: 23)) == .yearNotEnded)
        #expect(world.code(.submitReport(entity: Self.entity, year: 2024), at: W.at(2025, 2, 1)) == .monthsMissing)
        #expect(world.code(.submitReport(entity: W.entityID(9), year: 2024), at: W.at(2025, 2, 1)) == .unknownEntity)
        #expect(world.code(.resubmitReport(entity: Self.entity, year: 2024, reason: "x"), at: W.at(2025, 2, 1)) == .unknownReport)
        try world.apply(.submitMonth(W.coalMonth("U1", 2024, 12)), at: W.at(2025, 1, 5))
        try world.apply(.submitReport(entity: Self.entity, year: 2024), at: W.at(2025, 3, 1))
        let report = world.report
        // 12 × (1000 t × 20 GJ/t × 0.03085 tC/GJ (default) × 0.99 (default) × 44/12) = 12 × 2239.71
        #expect(report.facilities.map(\.totalT) == [W.decimal("26876.52")])
        #expect(report.facilities[0].generationMWh == W.decimal("28800"))
        #expect(report.facilities[0].defaultsUsed.count == 24)
        #expect(report.status == .submitted && report.version == 1 && !report.late)
        #expect(report.deadline == CivilDate(year: 2025, month: 3, day: 31))
        #expect(report.verificationDeadline == CivilDate(year: 2025, month: 6, day: 30))
        #expect(world.code(.submitReport(entity: Self.entity, year: 2024), at: W.at(2025, 3, 2)) == .reportAlreadySubmitted)

        var other = try MRVWorld.registered()
        try other.apply(.registerEntity(uscc: W.uscc(2), name: "No units", province: "四川", city: "绵阳", sector: .cement, group: nil))
        #expect(other.code(.submitReport(entity: W.entityID(2), year: 2024), at: W.at(2025, 3, 1)) == .noFacilities)
    }

    @Test func aCorrectionDuringVerificationIsResubmitted() throws {
        var world = try MRVWorld.inVerification()
        try world.apply(.correctMonth(W.coalMonth("U1", 2024, 5, consumption: "1200"), reason: "finding 1"), at: W.at(2025, 3, 10))
        #expect(world.code(.resubmitReport(entity: Self.entity, year: 2024, reason: " "), at: W.at(2025, 3, 11)) == .reasonRequired)
        try world.apply(.resubmitReport(entity: Self.entity, year: 2024, reason: "May corrected"), at: W.at(2025, 3, 11))
        // + 200 t × 20 × 0.03085 × 0.99 × 44/12 = 447.942
        #expect(world.report.facilities[0].totalT == W.decimal("27324.46"))
        #expect(world.report.facilities[0].corrections == 1)
        #expect(world.report.version == 2 && world.report.previousVersions.map { $0.map(\.totalT) } == [[W.decimal("26876.52")]])
        #expect(world.report.status == .verifying && world.report.verifier == "V1")
    }

    @Test func verificationFindingsMustBeResolvedBeforeTheConclusion() throws {
        var world = try MRVWorld.withYear()
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1")) == .unknownReport)
        try world.apply(.submitReport(entity: Self.entity, year: 2024), at: W.at(2025, 3, 1))
        let finding = MRVCommand.recordFinding(
            entity: Self.entity, year: 2024, verifier: "V1", facility: "U1", month: 5, item: "coal.ncv", description: "no lab report for May",
            requiredCorrection: "attach the lab report or use the default")
        #expect(world.code(finding) == .invalidTransition)  // no verifier yet
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V9")) == .unknownVerifier)
        try world.apply(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1"), at: W.at(2025, 3, 2))
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V2")) == .invalidTransition)
        let byOther = MRVCommand.recordFinding(
            entity: Self.entity, year: 2024, verifier: "V2", facility: "U1", month: 5, item: "coal.ncv", description: "x", requiredCorrection: "y")
        #expect(world.code(byOther) == .notAssignedVerifier)
        let wrongFacility = MRVCommand.recordFinding(
            entity: Self.entity, year: 2024, verifier: "V1", facility: "U7", month: nil, item: "x", description: "x", requiredCorrection: "y")
        #expect(world.code(wrongFacility) == .unknownFacility)
        let badMonth = MRVCommand.recordFinding(
            entity: Self.entity, year: 2024, verifier: "V1", facility: "U1", month: 0, item: "x", description: "x", requiredCorrection: "y")
        #expect(world.code(badMonth) == .invalidMonth)
        try world.apply(finding, at: W.at(2025, 3, 5))
        #expect(world.report.findings.first?.number == 1 && world.report.findings.first?.isOpen == true)

        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("26876.52"), output: W.decimal("28800"))]
        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: verified)) == .openFindings)
        #expect(world.code(.resolveFinding(entity: Self.entity, year: 2024, finding: 2, response: "x")) == .unknownFinding)
        #expect(world.code(.resolveFinding(entity: Self.entity, year: 2024, finding: 1, response: "")) == .invalidValue)
        try world.apply(.correctMonth(W.coalMonth("U1", 2024, 5, ncv: nil), reason: "finding 1: default NCV"), at: W.at(2025, 3, 6))
        try world.apply(.resolveFinding(entity: Self.entity, year: 2024, finding: 1, response: "May uses the default NCV"), at: W.at(2025, 3, 6))
        #expect(world.code(.resolveFinding(entity: Self.entity, year: 2024, finding: 1, response: "again")) == .findingResolved)

        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V2", facilities: verified)) == .notAssignedVerifier)
        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: [])) == .invalidValue)
        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: verified + verified)) == .invalidValue)
        let threeDecimals = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("1.005"), output: W.decimal("1"))]
        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: threeDecimals)) == .invalidValue)
        let negative = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("-1"), output: W.decimal("1"))]
        #expect(world.code(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: negative)) == .invalidValue)
        try world.apply(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 30))
        #expect(world.report.status == .concluded && world.report.verified == verified && !world.report.verificationLate)
        // Data is locked from the conclusion on.
        #expect(world.code(.correctMonth(W.coalMonth("U1", 2024, 6, consumption: "900"), reason: "late fix")) == .reportLocked)
        #expect(world.code(.replaceEvidence(month: FacilityMonth(facility: "U1", year: 2024, month: 6), evidence: [EvidenceFile(name: "x", sha256: W.hash(3))], reason: "x")) == .reportLocked)
        #expect(world.code(.resubmitReport(entity: Self.entity, year: 2024, reason: "x")) == .reportLocked)
        #expect(world.code(finding) == .invalidTransition)
        #expect(world.code(.resolveFinding(entity: Self.entity, year: 2024, finding: 1, response: "x")) == .invalidTransition)
    }

    @Test func reviewGoesCityProvinceNationalAndAReturnReopensVerification() throws {
        var world = try MRVWorld.inVerification()
        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("26876.52"), output: W.decimal("28800"))]
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .city)) == .invalidTransition)
        try world.apply(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 1))
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .province)) == .reviewOutOfOrder)
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .national)) == .reviewOutOfOrder)
        try world.apply(.approveReview(entity: Self.entity, year: 2024, level: .city), at: W.at(2025, 4, 5))
        #expect(world.report.status == .cityApproved)
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .city)) == .reviewOutOfOrder)
        #expect(world.code(.returnReview(entity: Self.entity, year: 2024, level: .province, reasons: [])) == .reasonRequired)
        try world.apply(.returnReview(entity: Self.entity, year: 2024, level: .province, reasons: ["output does not match the grid data"]), at: W.at(2025, 4, 8))
        #expect(world.report.status == .verifying && world.report.verified == nil)
        #expect(world.report.reviews.map(\.approved) == [true, false])
        #expect(world.report.reviews[1].reasons == ["output does not match the grid data"])
        // Corrections are open again; the verifier concludes again and review restarts at the city.
        try world.apply(.correctMonth(W.coalMonth("U1", 2024, 7, generation: "2300"), reason: "grid data"), at: W.at(2025, 4, 9))
        try world.apply(.concludeVerification(entity: Self.entity, year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 10))
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .province)) == .reviewOutOfOrder)
        for level in ReviewLevel.allCases {
            try world.apply(.approveReview(entity: Self.entity, year: 2024, level: level), at: W.at(2025, 4, 12))
        }
        #expect(world.report.status == .approved)
        #expect(world.code(.approveReview(entity: Self.entity, year: 2024, level: .national)) == .invalidTransition)
        #expect(world.code(.returnReview(entity: Self.entity, year: 2024, level: .city, reasons: ["x"])) == .invalidTransition)
        #expect(world.code(.approveReview(entity: W.entityID(5), year: 2024, level: .city)) == .unknownReport)
    }

    @Test func verifierConflictRulesAreData() throws {
        // Consultant in the data year, or in the cooling-off year before it.
        var world = try MRVWorld.withYear()
        try world.apply(.submitReport(entity: Self.entity, year: 2024), at: W.at(2025, 3, 1))
        try world.apply(.declareConsultant(entity: Self.entity, verifier: "V1", year: 2023))
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1")) == .verifierConflict)
        world.policy.platform = world.policy.platform.map { var p = $0; p.consultantCoolingOffYears = 0; return p }
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1")) == nil)
    }

    @Test func aVerifierMayNotVerifyTheSameEntityTooManyYearsRunning() throws {
        var world = try MRVWorld.registered()
        for year in 2021...2024 {
            for month in 1...12 { try world.apply(.submitMonth(W.coalMonth("U1", year, month)), at: W.at(year + 1, 1, 20)) }
            try world.apply(.submitReport(entity: Self.entity, year: year), at: W.at(year + 1, 2, 1))
        }
        for year in 2021...2022 { try world.apply(.assignVerifier(entity: Self.entity, year: year, verifier: "V1"), at: W.at(year + 1, 2, 2)) }
        var shortRun = world
        try shortRun.apply(.assignVerifier(entity: Self.entity, year: 2023, verifier: "V1"), at: W.at(2024, 2, 2))  // third year: allowed
        #expect(shortRun.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1")) == .verifierConflict)  // fourth: not
        #expect(shortRun.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V2")) == nil)
        try world.apply(.assignVerifier(entity: Self.entity, year: 2023, verifier: "V2"), at: W.at(2024, 2, 2))
        #expect(world.code(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1")) == nil)  // the run was broken
    }

    @Test func replayingTheEventsRebuildsTheState() throws {
        var source = try MRVWorld.registered()
        let prefix = source.state
        var log: [MRVEvent] = []
        log += try source.apply(.registerEntity(uscc: W.uscc(3), name: "X 钢铁", province: "四川", city: "德阳", sector: .steel, group: nil))
        log += try source.apply(.registerFacility(Facility(id: "S1", entity: W.entityID(3), name: "BF-1", kind: .steel, fuels: [.coal])))
        for month in 1...12 {
            var data = W.coalMonth("S1", 2024, month)
            data.production = Production(outputT: W.decimal("5000"))
            log += try source.apply(.submitMonth(data), at: W.at(2025, 1, 20))
        }
        log += try source.apply(.correctMonth(W.coalMonth("S1", 2024, 2, consumption: "900", generation: "0").withOutput("5000"), reason: "x"), at: W.at(2025, 1, 21))
        log += try source.apply(.submitReport(entity: W.entityID(3), year: 2024), at: W.at(2025, 6, 1))
        log += try source.apply(.assignVerifier(entity: W.entityID(3), year: 2024, verifier: "V2"), at: W.at(2025, 6, 2))
        var rebuilt = prefix
        rebuilt.evolve(log)
        #expect(rebuilt.reports == source.state.reports)
        #expect(rebuilt.months == source.state.months)
        #expect(rebuilt.facilities == source.state.facilities)
        #expect(rebuilt.facilitiesByEntity == source.state.facilitiesByEntity)
        // Steel has compliance for 2024 data: report by 30 June, verification by 31 August.
        let report = source.state.reports[ReportKey(entity: W.entityID(3), year: 2024)]!
        #expect(report.deadline == CivilDate(year: 2025, month: 6, day: 30) && !report.late)
        #expect(report.verificationDeadline == CivilDate(year: 2025, month: 8, day: 31))
        #expect(report.facilities[0].outputT == W.decimal("60000"))
    }
}
