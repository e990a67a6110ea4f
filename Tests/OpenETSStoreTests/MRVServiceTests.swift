import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// The MRV platform through its durable service: its own hash-chained journal, replayed on
/// open; atomic commands and CSV files; idempotency keys; verification of the chain.
@Suite("MRV through the durable service, on each database")
struct MRVServiceTests {
    static func uscc(_ n: Int) -> String {
        let digits = String(n)
        let first17 = "91510100" + String(repeating: "0", count: 9 - digits.count) + digits
        return first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
    }

    static let entity = MRVEntityID(uscc(1))

    static func clock() -> MarketClock { MarketClock(CivilDate(year: 2025, month: 1, day: 20), hour: 10, minute: 0) }

    static func unit(_ id: String) -> Facility {
        Facility(
            id: FacilityID(id), entity: entity, name: "Unit \(id)", kind: .power,
            power: PowerUnit(category: .coalGT300, capacityMW: ExactDecimal(600), cooling: .water), fuels: [.coal])
    }

    /// A coal month of 2024: 1000 t at 20 GJ/t, 2,400 MWh.
    static func month(_ facility: String, _ m: Int) -> MonthlyData {
        MonthlyData(
            facility: FacilityID(facility), year: 2024, month: m,
            fuels: [FuelLine(fuel: .coal, consumption: ExactDecimal(1000), ncvGJPerUnit: .measured(ExactDecimal(20)))],
            production: Production(generationMWh: ExactDecimal(2400)))
    }

    final class Keys: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        private let prefix = UUID().uuidString.prefix(8)

        func next() -> String {
            lock.lock()
            defer { lock.unlock() }
            n += 1
            return "mrv-\(prefix)-\(n)"
        }
    }

    struct Session {
        var store: any MRVStore
        var service: MRVService
        let keys = Keys()

        @discardableResult
        func accept(_ command: MRVCommand, sourceLocation: SourceLocation = #_sourceLocation) async throws -> MRVReceipt {
            let outcome = try await service.execute(MRVRequest(idempotencyKey: keys.next(), command: command))
            guard let receipt = outcome.receipt else {
                Issue.record("expected \(command.kind) to be accepted, got \(outcome)", sourceLocation: sourceLocation)
                throw TestSetupError("rejected")
            }
            return receipt
        }

        func close() async throws { try await store.close() }
    }

    static func open(_ location: StoreLocation, clock: MarketClock = MRVServiceTests.clock()) async throws -> Session {
        let (store, service) = try await Composition.openMRV(location, clock: clock)
        return Session(store: store, service: service)
    }

    /// Entity 1 with units U1 and U2 (registered from CSV), verifier V1, and all of 2024 imported.
    static func populated(_ location: StoreLocation) async throws -> Session {
        let s = try await open(location)
        try await s.accept(.registerEntity(uscc: uscc(1), name: "川电一厂", province: "四川", city: "成都", sector: .power, group: nil))
        try await s.accept(.registerVerifier(Verifier(id: "V1", name: "核查一所")))
        let facilities = try await s.service.importFacilities(csv: MRVCSV.exportFacilities([unit("U1"), unit("U2")], chinese: true), idempotencyKey: "fac-1")
        #expect(facilities.receipt?.events.count == 2, "\(facilities)")
        let months = (1...12).flatMap { [month("U1", $0), month("U2", $0)] }
        let imported = try await s.service.importMonths(csv: MRVCSV.exportMonths(months), idempotencyKey: "months-1")
        #expect(imported.receipt?.events.count == 24, "\(imported.rowErrors)")
        return s
    }

    @Test(arguments: Backend.all)
    func reopeningReplaysTheJournalToTheSameState(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        try await s.accept(.submitControlPlan(facility: "U1", items: [DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default value")]))
        try await s.accept(.approveControlPlan(facility: "U1", version: 1))
        try await s.accept(.submitReport(entity: Self.entity, year: 2024))
        try await s.accept(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1"))
        let state = await s.service.state
        let head = await s.service.head
        #expect(head.seq == 8 && state.months.count == 24 && state.reports.count == 1)
        // Each facility: 12 × 2239.71 = 26876.52 t.
        #expect(state.reports.values.first?.facilities.map(\.totalT) == [ExactDecimal("26876.52")!, ExactDecimal("26876.52")!])
        try await s.close()

        let reopened = try await Self.open(location)
        #expect(await reopened.service.state == state)
        #expect(await reopened.service.head == head)
        let verification = try await reopened.service.verify()
        #expect(verification.ok && verification.entries == 8 && verification.head == head, "\(verification.problems)")
        // A second process appends; the first catches up before its next write.
        let other = try await Self.open(location)
        try await other.accept(.recordFinding(
            entity: Self.entity, year: 2024, verifier: "V1", facility: "U1", month: 3, item: "coal.ncv", description: "no lab report",
            requiredCorrection: "attach the report"))
        try await reopened.accept(.resolveFinding(entity: Self.entity, year: 2024, finding: 1, response: "attached"))
        let report = await reopened.service.state.reports.values.first
        #expect(report?.findings.count == 1 && report?.findings.first?.isOpen == false)
        #expect(await reopened.service.head.seq == 10)
        try await other.close()
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func aRejectedCommandOrABadFileChangesNothing(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        let state = await s.service.state
        let head = await s.service.head
        func unchanged(_ sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(await s.service.state == state, sourceLocation: sourceLocation)
            #expect(await s.service.head == head, sourceLocation: sourceLocation)
            #expect(try await s.store.mrvHead() == head, sourceLocation: sourceLocation)
        }
        let duplicate = try await s.service.execute(
            MRVRequest(idempotencyKey: "dup", command: .registerEntity(uscc: Self.uscc(1), name: "again", province: "四川", city: "成都", sector: .power, group: nil)))
        #expect(duplicate.error?.code == .duplicateEntity)
        try await unchanged()
        let twice = try await s.service.execute(MRVRequest(idempotencyKey: "twice", command: .submitMonth(Self.month("U1", 1))))
        #expect(twice.error?.code == .monthAlreadySubmitted)
        try await unchanged()
        // A file of 2025 months with one broken row (row 3: a negative consumption) imports nothing.
        var months = (1...11).map { var m = Self.month("U1", $0); m.year = 2023; return m }
        months[1].fuels[0].consumption = ExactDecimal(-5)
        let bad = try await s.service.importMonths(csv: MRVCSV.exportMonths(months), idempotencyKey: "bad")
        #expect(bad.rowErrors.map(\.row) == [3] && bad.rowErrors.map(\.code) == [.invalidValue], "\(bad)")
        try await unchanged()
        // A facility file whose second row names an unknown entity imports nothing either.
        var stranger = Self.unit("U9")
        stranger.entity = MRVEntityID(Self.uscc(9))
        let facilities = try await s.service.importFacilities(csv: MRVCSV.exportFacilities([Self.unit("U3"), stranger]), idempotencyKey: "bad-fac")
        #expect(facilities.rowErrors.map(\.code) == [.unknownEntity] && facilities.rowErrors.first?.row == 3)
        try await unchanged()
        try await s.close()
        let reopened = try await Self.open(location)
        #expect(await reopened.service.state == state)
        #expect(try await reopened.service.verify().ok)
        try await reopened.close()
    }

    /// A command given with an `AuditNote` writes its audit line in its own transaction, with
    /// the outcome: accepted (with the summary), refused, a CSV with bad rows, replayed.
    @Test(arguments: Backend.all)
    func commandsAreAuditedInTheirOwnTransaction(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        let audit = try await Composition.openStore(location)
        let at = SystemClock().now()
        func note(_ action: String) -> AuditNote { AuditNote(at: at, user: "web-user", action: action, address: "10.0.0.9", summary: "U2 plan") }
        let request = MRVRequest(idempotencyKey: "audited-plan", command: .submitControlPlan(
            facility: "U2", items: [DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default value")]))
        let accepted = try #require(try await s.service.execute(request, audit: note("mrv.submit_control_plan")).receipt)
        var line = try #require(try await audit.audit(limit: 1).first)
        #expect(line.user == "web-user" && line.action == "mrv.submit_control_plan" && line.address == "10.0.0.9")
        #expect(line.detail == "accepted #\(accepted.seq): U2 plan")
        _ = try await s.service.execute(request, audit: note("mrv.submit_control_plan"))
        #expect(try await audit.audit(limit: 1).first?.detail == "replayed #\(accepted.seq): U2 plan")
        let head = await s.service.head
        let refused = try await s.service.execute(
            MRVRequest(idempotencyKey: "audited-bad", command: .approveControlPlan(facility: "U2", version: 9)), audit: note("mrv.approve_control_plan"))
        line = try #require(try await audit.audit(limit: 1).first)
        #expect(line.detail == "rejected \(try #require(refused.error).code.rawValue)")
        let badCSV = try await s.service.importMonths(csv: "not,a,monthly,file\n1,2,3,4\n", idempotencyKey: "audited-csv", audit: note("mrv.import_months"))
        #expect(badCSV.receipt == nil)
        #expect(try await audit.audit(limit: 1).first?.detail.hasPrefix("rejected ") == true)
        #expect(await s.service.head == head, "refusals wrote no MRV entry, only their audit lines")
        try await audit.close()
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func anIdempotencyKeyReplaysItsFirstOutcome(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        let request = MRVRequest(idempotencyKey: "plan-U2", command: .submitControlPlan(
            facility: "U2", items: [DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default value")]))
        let first = try #require(try await s.service.execute(request).receipt)
        #expect(!first.replayed)
        let head = await s.service.head
        let again = try #require(try await s.service.execute(request).receipt)
        #expect(again.replayed && again.seq == first.seq && again.events == first.events)
        #expect(await s.service.head == head)
        let plans = await s.service.state.plans["U2"]
        #expect(plans?.count == 1)
        // The same key with another command is refused.
        let other = try await s.service.execute(MRVRequest(idempotencyKey: "plan-U2", command: .approveControlPlan(facility: "U2", version: 1)))
        #expect(other.error?.code == .idempotencyKeyReused)
        // A file sent again under its key is not imported twice.
        let months = (1...12).map { var m = Self.month("U1", $0); m.year = 2023; return m }
        let csv = MRVCSV.exportMonths(months)
        let imported = try #require(try await s.service.importMonths(csv: csv, idempotencyKey: "m2023").receipt)
        let replayed = try #require(try await s.service.importMonths(csv: csv, idempotencyKey: "m2023").receipt)
        #expect(replayed.replayed && replayed.seq == imported.seq && imported.events.count == 12)
        // Across a reopen too.
        try await s.close()
        let reopened = try await Self.open(location)
        #expect(try await reopened.service.execute(request).receipt?.replayed == true)
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func verifyNamesAnEditedOrMissingEntry(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        #expect(try await s.service.verify().ok)
        try await s.close()
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            try await sql.execute("UPDATE mrv_journal SET body = replace(body, '2400', '2500') WHERE seq = 4", [])
        }
        try await database.close()
        let edited = try await Self.open(location)
        let report = try await edited.service.verify()
        #expect(!report.ok && report.problems.first?.hasPrefix("entry 4: hash") == true, "\(report.problems)")
        try await edited.close()
        let database2 = try await Composition.openDatabase(location, connectionID: 9)
        try await database2.transaction { sql in try await sql.execute("DELETE FROM mrv_journal WHERE seq = 4", []) }
        try await database2.close()
        let truncated = try await Self.open(location)
        let gone = try await truncated.service.verify()
        #expect(!gone.ok && gone.problems.contains { $0.contains("head is at 4") }, "\(gone.problems)")
        try await truncated.close()
    }

    /// A journal rewritten under a running service (head moved back) stops its writes instead
    /// of deciding on a state the database no longer has.
    @Test(arguments: Backend.all)
    func aRewrittenJournalStopsTheWriter(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            try await sql.execute("DELETE FROM mrv_journal WHERE seq = 4", [])
            try await sql.execute("UPDATE mrv_journal_head SET seq = 3, hash = (SELECT hash FROM mrv_journal WHERE seq = 3) WHERE id = 1", [])
        }
        try await database.close()
        await #expect(throws: MRVStoreFault.self) {
            _ = try await s.service.execute(MRVRequest(idempotencyKey: "after-rewrite", command: .registerVerifier(Verifier(id: "V2", name: "二所"))))
        }
        #expect(try await s.store.mrvHead().seq == 3)
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func anomaliesAndTheRankingReadTheReplayedState(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.populated(location)
        // Intensity 0.933213 against the 2024 coal_gt300 benchmark 0.7910: 17.98 %, quiet at 25 %.
        #expect(try await s.service.anomalies(year: 2024).isEmpty)
        #expect(try await s.service.verifierRanking(year: 2024, asOf: CivilDate(year: 2025, month: 7, day: 1)).isEmpty)
        try await s.accept(.submitReport(entity: Self.entity, year: 2024))
        try await s.accept(.assignVerifier(entity: Self.entity, year: 2024, verifier: "V1"))
        let ranking = try await s.service.verifierRanking(year: 2024, asOf: CivilDate(year: 2025, month: 7, day: 1))
        #expect(ranking.map(\.verifier) == ["V1"] && ranking.first?.score == ExactDecimal(50))
        try await s.close()
    }
}
