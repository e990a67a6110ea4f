import OpenETSDomain
import Testing

@Suite("MRV verifier rating and ranking")
struct MRVVerifierRatingTests {
    typealias W = MRVWorld
    static let p2024 = MRVPlatformPolicy.seed.first { $0.year == 2024 }!

    /// Entity 1 verified by V1 (concluded, returned once by the city, concluded again, approved);
    /// entity 2 assigned to V2, which has not concluded.
    static func world() throws -> MRVWorld {
        var world = try MRVWorld.inVerification()
        let entity1 = W.entityID(1)
        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("26876.52"), output: W.decimal("28800"))]
        try world.apply(.concludeVerification(entity: entity1, year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 1))
        try world.apply(.returnReview(entity: entity1, year: 2024, level: .city, reasons: ["output does not match the meter readings"]), at: W.at(2025, 4, 5))
        try world.apply(.concludeVerification(entity: entity1, year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 4, 10))
        for level in ReviewLevel.allCases { try world.apply(.approveReview(entity: entity1, year: 2024, level: level), at: W.at(2025, 4, 20)) }

        try world.apply(.registerEntity(uscc: W.uscc(2), name: "川电二厂", province: "四川", city: "绵阳", sector: .power, group: nil))
        try world.apply(.registerFacility(W.coalUnit("U2", entity: 2)))
        for m in 1...12 { try world.apply(.submitMonth(W.coalMonth("U2", 2024, m)), at: W.at(2025, 1, 20)) }
        try world.apply(.submitReport(entity: W.entityID(2), year: 2024), at: W.at(2025, 3, 1))
        try world.apply(.assignVerifier(entity: W.entityID(2), year: 2024, verifier: "V2"), at: W.at(2025, 3, 2))
        return world
    }

    @Test func qualityComplianceAndTimelinessAfterTheDeadline() throws {
        let world = try Self.world()
        let ranking = MRVVerifierRating.ranking(world.state, asOf: CivilDate(year: 2025, month: 7, day: 15), policy: Self.p2024)
        #expect(ranking.map(\.verifier) == ["V1", "V2"] && ranking.map(\.rank) == [1, 2])
        // V1: one return over one report: quality 100 − 20 = 80; concluded on time: 100, 100.
        // 0.5 × 80 + 0.2 × 100 + 0.3 × 100 = 90.
        let v1 = ranking[0]
        #expect(v1.reports == 1 && v1.errors == 1 && v1.due == 1 && v1.concluded == 1 && v1.onTime == 1)
        #expect(v1.quality == W.decimal("80") && v1.compliance == W.decimal("100") && v1.timeliness == W.decimal("100"))
        #expect(v1.score == W.decimal("90.00") && v1.name == "核查一所")
        // V2: not concluded by 30 June: compliance 0, timeliness 0, quality 100 → 50.
        let v2 = ranking[1]
        #expect(v2.due == 1 && v2.concluded == 0 && v2.compliance == .zero && v2.timeliness == .zero && v2.score == W.decimal("50.00"))
    }

    @Test func beforeTheDeadlineNothingIsDueAndWeightsAreData() throws {
        let world = try Self.world()
        // On 1 May V2's verification is not yet due: 100 on every count, so V2 ranks above V1.
        let may = MRVVerifierRating.ranking(world.state, asOf: CivilDate(year: 2025, month: 5, day: 1), policy: Self.p2024)
        #expect(may.map(\.verifier) == ["V2", "V1"] && may[0].score == W.decimal("100.00") && may[0].due == 0)
        // Weights are policy: all weight on quality gives 80 and 100.
        var policy = Self.p2024
        policy.rating.qualityWeight = W.decimal("1")
        policy.rating.complianceWeight = .zero
        policy.rating.timelinessWeight = .zero
        let quality = MRVVerifierRating.ranking(world.state, asOf: CivilDate(year: 2025, month: 7, day: 15), policy: policy)
        #expect(quality.map(\.verifier) == ["V2", "V1"] && quality.map(\.score) == [W.decimal("100"), W.decimal("80")])
        // Other years have no reports: no ratings.
        #expect(MRVVerifierRating.ranking(world.state, asOf: CivilDate(year: 2025, month: 7, day: 15), policy: MRVPlatformPolicy.seed[0]).isEmpty)
    }

    @Test func equalScoresShareARankAndLateConclusionsCount() throws {
        var world = try MRVWorld.inVerification()
        let verified = [VerifiedFacility(facility: "U1", emissionsT: W.decimal("26876.52"), output: W.decimal("28800"))]
        // Concluded on 2 July, after the 30 June deadline: timeliness 0 → 0.5 × 100 + 0.2 × 100 = 70.
        try world.apply(.concludeVerification(entity: W.entityID(1), year: 2024, verifier: "V1", facilities: verified), at: W.at(2025, 7, 2))
        let late = MRVVerifierRating.ranking(world.state, asOf: CivilDate(year: 2025, month: 7, day: 15), policy: Self.p2024)
        #expect(late.count == 1 && late[0].onTime == 0 && late[0].timeliness == .zero && late[0].score == W.decimal("70.00"))
        let both = try Self.world()
        var policy = Self.p2024
        policy.rating.qualityWeight = .zero
        policy.rating.complianceWeight = .zero
        policy.rating.timelinessWeight = .zero
        let tied = MRVVerifierRating.ranking(both.state, asOf: CivilDate(year: 2025, month: 7, day: 15), policy: policy)
        #expect(tied.map(\.rank) == [1, 1] && tied.map(\.verifier) == ["V1", "V2"])
    }
}

@Suite("MRV CSV export: templates that import back unchanged")
struct MRVCSVExportTests {
    typealias W = MRVWorld
    static let now = MRVWorld.at(2025, 1, 20)

    static let facilities = [
        W.coalUnit("U2", entity: 1, category: .coalLE300, fuels: [.coal, .diesel]),
        Facility(id: "K1", entity: W.entityID(1), name: "熟料线, \"东\"", kind: .cementClinker, fuels: [.coal]),
        Facility(id: "S1", entity: W.entityID(1), name: "炼钢厂", kind: .steel, fuels: [.coal, .naturalGas]),
        Facility(id: "AL1", entity: W.entityID(1), name: "电解铝", kind: .aluminium, fuels: [.naturalGas]),
    ]

    static let months: [MonthlyData] = {
        var unit = W.coalMonth("U2", 2024, 1, evidence: [EvidenceFile(name: "meter, Jan.pdf", sha256: W.hash(1)), EvidenceFile(name: "lab.pdf", sha256: W.hash(2))])
        unit.fuels.append(FuelLine(fuel: .diesel, consumption: W.decimal("3.5"), ncvGJPerUnit: .defaulted, carbon: nil, oxidation: .measured(W.decimal("0.98"))))
        unit.fuels[0].carbon = CarbonContent(.measured(W.decimal("0.60")), basis: .perMassAirDried, moistureAsReceivedPercent: W.decimal("10"), moistureAirDriedPercent: W.decimal("3"))
        unit.production = Production(generationMWh: W.decimal("2400"), supplyMWh: W.decimal("2280.5"), heatSuppliedGJ: W.decimal("100"), loadFactor: W.decimal("0.71"), operatingHours: W.decimal("700"))
        unit.purchasedMWh = W.decimal("12.25")
        var kiln = W.coalMonth("K1", 2024, 2).withOutput("10000")
        kiln.fuels[0].carbon = CarbonContent(TaggedValue(W.decimal("0.03085"), .defaultValue))
        kiln.process = ProcessData(clinkerFactor: .measured(W.decimal("0.5213")))
        var steel = MonthlyData(
            facility: "S1", year: 2024, month: 3, fuels: [FuelLine(fuel: .naturalGas, consumption: W.decimal("12"), carbon: CarbonContent(.calculated(W.decimal("0.0153"))))],
            production: Production(outputT: W.decimal("5000")))
        steel.process = ProcessData(inputs: [ProcessInput(material: .limestone, quantityT: W.decimal("100")), ProcessInput(material: .electrode, quantityT: W.decimal("2"))])
        var smelter = MonthlyData(facility: "AL1", year: 2024, month: 3, fuels: [], production: Production(outputT: W.decimal("1000")))
        smelter.pfc = PFCData(cf4KgPerT: .measured(W.decimal("0.05")), c2f6KgPerT: .defaulted)
        return [unit, kiln, steel, smelter]
    }()

    /// Entity 1 registered, without the exported facilities.
    static func empty() throws -> MRVWorld {
        var world = MRVWorld()
        try world.apply(.registerEntity(uscc: W.uscc(1), name: "川投", province: "四川", city: "成都", sector: .power, group: nil))
        return world
    }

    @Test func facilitiesRoundTripInEnglishAndChinese() throws {
        for chinese in [false, true] {
            let text = MRVCSV.exportFacilities(Self.facilities, chinese: chinese)
            #expect(text.hasPrefix(chinese ? "设施编号,统一社会信用代码," : "facility_id,entity_uscc,"))
            let world = try Self.empty()
            let rows = try #require(MRVCSV.importFacilities(text, state: world.state, at: Self.now, policy: world.policy).rows)
            #expect(rows == Self.facilities)
        }
        #expect(MRVCSV.facilityTemplate(chinese: true) == "设施编号,统一社会信用代码,设施名称,设施类型,机组类别,装机容量,冷却方式,燃料\n")
    }

    @Test func monthlyDataRoundTripsWithProcessPFCAndEvidence() throws {
        var world = try Self.empty()
        for facility in Self.facilities { try world.apply(.registerFacility(facility)) }
        for chinese in [false, true] {
            let text = MRVCSV.exportMonths(Self.months, chinese: chinese)
            let result = MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy)
            #expect(result.errors.isEmpty, "\(result.errors)")
            let rows = try #require(result.rows)
            #expect(rows == Self.months)
        }
        // Two evidence files and two fuels on the unit's month: two rows; month-level values once.
        let lines = MRVCSV.exportMonths([Self.months[0]]).split(separator: "\n")
        #expect(lines.count == 3 && lines[1].contains("2400") && !lines[2].contains("2400") && lines[1].contains("\"meter, Jan.pdf\""))
        // The template is the header; a month with more evidence than fuels gets fuel-less rows.
        #expect(MRVCSV.monthlyTemplate().split(separator: "\n").count == 1)
        var evidenceOnly = Self.months[3]
        evidenceOnly.evidence = [EvidenceFile(name: "a.pdf", sha256: W.hash(7)), EvidenceFile(name: "b.pdf", sha256: W.hash(8))]
        let text = MRVCSV.exportMonths([evidenceOnly])
        #expect(MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy).rows == [evidenceOnly])
    }

    @Test func anExportWithOneBrokenRowStillImportsNothing() throws {
        var world = try Self.empty()
        for facility in Self.facilities { try world.apply(.registerFacility(facility)) }
        let text = MRVCSV.exportMonths(Self.months).replacing("0.5213", with: "1.5", maxReplacements: 1)
        let result = MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy)
        #expect(result.rows == nil && result.errors.map(\.code) == [.invalidValue])
    }
}
