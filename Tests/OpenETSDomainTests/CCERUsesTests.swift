import OpenETSDomain
import Testing

@Suite("CCER uses: ETS offset eligibility, the event neutrality calculator, credit types")
struct CCERUsesTests {
    typealias F = CCERFixture
    typealias N = NeutralityCalculator

    // MARK: ETS offset eligibility

    /// A project with its 2024 reductions registered on 2025-05-20 and issued.
    func issuedProject(host: String? = nil) throws -> CCERProject {
        var f = F()
        let id = try f.registeredWithHost(host)
        try f.run(
            .submitReductionReport(project: id, owner: F.owner, start: F.day("2024-01-01"), end: F.day("2024-12-31"), reportedT: 1_000, reportSHA256: F.hashA),
            on: "2025-04-01")
        try f.run(.recordVerification(project: id, period: 1, body: F.body, reportSHA256: F.hashB, findings: [], verifiedT: 1_000), on: "2025-04-30")
        try f.run(.applyForReductionRegistration(project: id, period: 1, owner: F.owner), on: "2025-04-30")
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "ok"), on: "2025-05-20")
        try f.run(.issue(project: id, period: 1), on: "2025-05-21")
        return f.project(id)
    }

    @Test func registeredReductionsOfAStandAloneProjectAreEligible() throws {
        let project = try issuedProject()
        let assessment = try OffsetEligibility.assess(project, period: 1, coveredFacilities: ["华能南通电厂"])
        #expect(assessment == OffsetEligibility.Assessment(eligible: true, registeredOn: F.day("2025-05-20"), reasons: []))
        let holding = assessment.holding(quantity: 1_000, vintage: "2024")
        #expect(holding == ComplianceCalculator.HoldingInput(type: "CCER", vintage: "2024", quantity: 1_000, eligible: true, registeredOn: "2025-05-20"))
        // The compliance engine uses them up to 5 % of the obligation: 5 % × 10,000 = 500 t.
        let entity = ComplianceCalculator.EntityInput(
            id: "E1", obligationT: 10_000, holdings: [holding, ComplianceCalculator.HoldingInput(type: "CEA", vintage: "2024", quantity: 10_000)],
            netSoldT: 0, monthAveragePrice: "90.00")
        let result = try ComplianceCalculator.calculate(ComplianceCalculator.Input(plan: .id("power-2024"), entities: [entity]))
        #expect(result.entities[0].ccerUsableT == 500)
    }

    @Test func aProjectNowInsideACoveredFacilityIsNotEligible() throws {
        // Outside the ETS when registered; the facility is covered by the time of surrender.
        let project = try issuedProject(host: "宝钢湛江钢铁基地")
        let assessment = try OffsetEligibility.assess(project, period: 1, coveredFacilities: ["宝钢 湛江钢铁基地"])
        #expect(!assessment.eligible && assessment.reasons.count == 1)
        #expect(try OffsetEligibility.assess(project, period: 1, coveredFacilities: []).eligible)
    }

    @Test func unregisteredReductionsHaveNoEligibility() throws {
        var f = F()
        let id = try f.reported()
        #expect(throws: CCERError(.wrongStage, "monitoring period 1 of P000001 is at reduction_notice: its reductions are not registered")) {
            try OffsetEligibility.assess(f.project(id), period: 1, coveredFacilities: [])
        }
        #expect(throws: CCERError.self) { try OffsetEligibility.assess(f.project(id), period: 2, coveredFacilities: []) }
    }

    @Test func legacyCCERsCountOnlyUntilTheEndOf2024() throws {
        // A CCER filed before 2017-03-14, imported with its filing date.
        let legacy = OffsetEligibility.assess(creditType: .ccer, hostFacility: nil, registeredOn: F.day("2016-05-01"), coveredFacilities: [])
        #expect(legacy.eligible && legacy.registeredOn == F.day("2016-05-01"))
        func usable(_ plan: String) throws -> Int64 {
            let entity = ComplianceCalculator.EntityInput(
                id: "E1", obligationT: 10_000, holdings: [legacy.holding(quantity: 300)], netSoldT: 0, monthAveragePrice: "90.00")
            return try ComplianceCalculator.calculate(ComplianceCalculator.Input(plan: .id(plan), entities: [entity])).entities[0].ccerUsableT
        }
        #expect(try usable("power-2023") == 300)  // surrender by 2024-12-31
        #expect(try usable("power-2024") == 0)  // surrender by 2025-12-31
        // Local credits never offset in the national ETS.
        let local = OffsetEligibility.assess(creditType: .cdcer, hostFacility: nil, registeredOn: F.day("2024-05-01"), coveredFacilities: [])
        #expect(!local.eligible && local.reasons == ["CDCER is not accepted for national ETS offsets"])
    }

    // MARK: credit types

    @Test func creditTypesAndTheirUses() throws {
        #expect(CreditType.seed.map(\.label) == ["CCER", "CDCER", "PHCER", "FFCER"])
        #expect(CreditType.seed.map(\.issuer) == ["CN", "CD", "GD", "FJ"])
        #expect(CreditType.ccer.accepts(.nationalETSOffset) && CreditType.ccer.accepts(.pilotETSOffset, in: "GD"))
        for local in [CreditType.cdcer, .phcer, .ffcer] {
            #expect(!local.accepts(.nationalETSOffset) && local.accepts(.voluntaryNeutrality) && local.kind == .localCredit)
        }
        #expect(CreditType.phcer.accepts(.pilotETSOffset, in: "GD") && !CreditType.phcer.accepts(.pilotETSOffset, in: "FJ"))
        #expect(CreditType.ffcer.accepts(.pilotETSOffset, in: "FJ") && !CreditType.ffcer.accepts(.pilotETSOffset))
        #expect(!CreditType.cdcer.accepts(.pilotETSOffset, in: "SC"))
        // The registry accepts the unit type a local credit defines.
        var registry = RegistryState()
        var changes = ChangeSet()
        let command = CreditType.cdcer.defineUnitType(code: "CDCER-TF0001-2023", projectID: "TF0001", vintageFrom: 2023, vintageTo: 2023)
        registry.evolve(try registry.decide(command, at: F.at("2025-01-02"), policy: .defaults), changes: &changes)
        let unit = try #require(registry.unitTypes["CDCER-TF0001-2023"])
        #expect(unit.kind == .localCredit && unit.serialText(SerialRange(first: 1, last: 10)) == "CD-CDCER-TF0001-2023-000000000001-000000000010")
    }

    /// Local credits are unit types of their own issuer: a CDCER issued under "CD" is cancelled
    /// for neutrality, a unit merely labelled CDCER under another issuer is not; none of them
    /// is a national ETS offset.
    @Test func localCreditsAreCancelledForNeutralityOnlyUnderTheirOwnIssuer() throws {
        var registry = RegistryState()
        var changes = ChangeSet()
        func run(_ command: RegistryCommand) throws {
            registry.evolve(try registry.decide(command, at: F.at("2025-01-02"), policy: .defaults), changes: &changes)
        }
        try run(.openAccount(type: .voluntaryCancellation, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        try run(.openAccount(type: .projectOwner, ownerID: "TF", ownerName: "碳惠天府 project owner", province: "SC", representatives: []))
        try run(CreditType.cdcer.defineUnitType(code: "CDCER-TF0001-2023", projectID: "TF0001", vintageFrom: 2023, vintageTo: 2023))
        try run(.defineUnitType(code: "CDCER-FAKE-2023", kind: .localCredit, label: "CDCER", vintageFrom: 2023, vintageTo: 2023, projectID: "FAKE", issuer: "CN", serialized: true))
        try run(.issue(unit: "CDCER-TF0001-2023", quantity: 100, to: F.owner))
        try run(.issue(unit: "CDCER-FAKE-2023", quantity: 100, to: F.owner))
        #expect(CreditType.of(try #require(registry.unitTypes["CDCER-TF0001-2023"])) == .cdcer)
        #expect(CreditType.of(try #require(registry.unitTypes["CDCER-FAKE-2023"])) == nil)
        func cancel(_ unit: UnitTypeCode) throws(CCERRejection) -> CCERDecision {
            try CCERState().decide(
                .cancelForNeutrality(NeutralityClaim(account: F.owner, unit: unit, quantity: 10, beneficiary: "成都马拉松", purpose: .event, subject: "2025 成都马拉松")),
                at: F.at("2025-01-03"), policy: .standard, registry: registry, registryPolicy: .defaults, entrySeq: 1)
        }
        let accepted = try cancel("CDCER-TF0001-2023")
        #expect(accepted.registry.contains { if case .certificateIssued = $0 { true } else { false } })
        do {
            _ = try cancel("CDCER-FAKE-2023")
            Issue.record("a CDCER label under the national issuer was cancelled for neutrality")
        } catch {
            #expect(error.code == "NOT_ACCEPTED_FOR_USE")
        }
        for local in [CreditType.cdcer, .phcer, .ffcer] {
            #expect(!OffsetEligibility.assess(creditType: local, hostFacility: nil, registeredOn: F.day("2024-06-01"), coveredFacilities: []).eligible)
        }
    }

    // MARK: neutrality calculator

    static let conference = N.Input(
        event: "OpenETS 2025", attendees: 100,
        travel: [
            N.TravelInput(mode: "air", distanceKm: "1000", travellers: 20, roundTrip: true),
            N.TravelInput(mode: "high_speed_rail", distanceKm: "500.5", travellers: 80, roundTrip: true),
        ],
        venueKWh: "12345.6", hotelRoomNights: 150)

    @Test func aConferenceByHand() throws {
        let out = try N.calculate(Self.conference)
        // air: 1,000 km × 20 × 2 = 40,000 pkm × 0.15 = 6,000 kg
        // rail: 500.5 km × 80 × 2 = 80,080 pkm × 0.03 = 2,402.4 kg
        // venue: 12,345.6 kWh × 0.5703 = 7,040.69568 kg
        // hotel: 150 × 50 = 7,500 kg
        #expect(out.lines.map(\.quantity) == ["40000", "80080", "12345.6", "150"])
        #expect(out.lines.map(\.kgCO2e) == ["6000", "2402.4", "7040.69568", "7500"])
        #expect(out.totalKgCO2e == "22943.09568" && out.totalTCO2e == "22.94309568")
        #expect(out.cancelQuantityT == 23 && out.perAttendeeTCO2e == "0.229")
        #expect(out.unverified == ["hotel.room_night", "travel.air", "travel.high_speed_rail"])
        #expect(out.lines[2].verified && out.lines[2].factorKey == "electricity.grid" && out.factorsVersion == 1)
    }

    @Test func theCancellationIsRoundedUpNeverDown() throws {
        // Exactly 23 t: 460 room-nights × 50 kg.
        #expect(try N.calculate(N.Input(event: nil, attendees: 10, hotelRoomNights: 460)).cancelQuantityT == 23)
        // A gram more: 0.001 kWh × 0.5703 = 0.0005703 kg.
        let more = try N.calculate(N.Input(event: nil, attendees: 10, venueKWh: "0.001", hotelRoomNights: 460))
        #expect(more.totalTCO2e == "23.0000005703" && more.cancelQuantityT == 24)
        // Travellers default to the attendees; one way unless round_trip.
        let oneWay = try N.calculate(N.Input(event: nil, attendees: 3, travel: [N.TravelInput(mode: "car", distanceKm: "10")]))
        #expect(oneWay.lines[0].quantity == "30" && oneWay.totalKgCO2e == "5.1" && oneWay.cancelQuantityT == 1)
    }

    @Test func badInputIsRejected() {
        func code(_ input: N.Input, factors: NeutralityFactors = .standard) -> CCERErrorCode? {
            do {
                _ = try N.calculate(input, factors: factors)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(N.Input(event: nil, attendees: nil, hotelRoomNights: 1)) == .missingField)
        #expect(code(N.Input(event: nil, attendees: 0, hotelRoomNights: 1)) == .invalidArgument)
        #expect(code(N.Input(event: nil, attendees: 10)) == .missingField)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "rocket", distanceKm: "1")])) == .unknownTravelMode)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "air", distanceKm: nil)])) == .missingField)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "air", distanceKm: "-5")])) == .invalidArgument)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "air", distanceKm: "1e3")])) == .invalidArgument)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "air", distanceKm: "200000")])) == .limitExceeded)
        #expect(code(N.Input(event: nil, attendees: 10, travel: [N.TravelInput(mode: "air", distanceKm: "1", travellers: 0)])) == .invalidArgument)
        #expect(code(N.Input(event: nil, attendees: 10, venueKWh: "12,000")) == .invalidArgument)
        #expect(code(N.Input(event: nil, attendees: 10, hotelRoomNights: -1)) == .invalidArgument)
        let legs = Array(repeating: N.TravelInput(mode: "air", distanceKm: "1"), count: N.Limits.maxTravelLines + 1)
        #expect(code(N.Input(event: nil, attendees: 10, travel: legs)) == .limitExceeded)
        var noHotel = NeutralityFactors.standard
        noHotel.factors["hotel.room_night"] = nil
        #expect(code(N.Input(event: nil, attendees: 10, hotelRoomNights: 1), factors: noHotel) == .unknownFactor)
    }
}

extension CCERFixture {
    /// `registered()` for a project sitting in `host`.
    mutating func registeredWithHost(_ host: String?) throws -> CCERProjectID {
        let id = try submit(Self.application(host: host))
        try run(.recordValidation(project: id, body: Self.body, reportSHA256: Self.hashB, findings: [], positive: true), on: "2025-02-24")
        try run(.applyForRegistration(project: id, owner: Self.owner), on: "2025-02-24")
        try run(.decideRegistration(project: id, approve: true, reason: "complete"), on: "2025-03-10")
        return id
    }
}
