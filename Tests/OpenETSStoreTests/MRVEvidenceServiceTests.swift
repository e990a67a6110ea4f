import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Evidence files' bytes (`mrv_evidence_blob`, migration 9) and who may send which command,
/// through the durable MRV service on each database.
@Suite("MRV evidence bytes and actors, on each database")
struct MRVEvidenceServiceTests {
    typealias T = MRVServiceTests

    static let scanA: [UInt8] = Array("coal NCV lab report, January 2024, 20.00 GJ/t".utf8)
    static let scanB: [UInt8] = Array("coal NCV lab report, January 2024, corrected scan".utf8)
    static let month1 = FacilityMonth(facility: "U1", year: 2024, month: 1)

    /// Entity 1 (四川/成都) with U1; `limit` pins tables whose maxEvidenceBytes is that.
    static func registered(_ location: StoreLocation, limit: Int? = nil) async throws -> T.Session {
        var tables: MRVPolicyTables?
        if let limit {
            var t = MRVPolicyTables.seed
            for i in t.platform.indices { t.platform[i].limits.maxEvidenceBytes = limit }
            tables = t
        }
        let (store, service) = try await Composition.openMRV(location, clock: T.clock(), policy: tables)
        let s = T.Session(store: store, service: service)
        try await s.accept(.registerEntity(uscc: T.uscc(1), name: "川电一厂", province: "四川", city: "成都", sector: .power, group: nil))
        try await s.accept(.registerFacility(T.unit("U1")))
        return s
    }

    static func run(_ s: T.Session, _ command: MRVCommand, files: [EvidenceUpload] = [], as actor: MRVActor = .system, key: String? = nil) async throws
        -> MRVOutcome
    {
        try await s.service.execute(MRVRequest(idempotencyKey: key ?? s.keys.next(), command: command, actor: actor), files: files)
    }

    /// Asserts that nothing changed: state, head (in memory and stored), and that `sha` has no bytes.
    static func unchanged(_ s: T.Session, _ state: MRVState, _ head: JournalHead, noBytes sha: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        #expect(await s.service.state == state, sourceLocation: sourceLocation)
        #expect(try await s.store.mrvHead() == head, sourceLocation: sourceLocation)
        #expect(try await s.store.evidenceBlob(sha) == nil, sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.all)
    func depositedBytesAndReplacedOnesAreKept(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        let shaA = evidenceSHA256(Self.scanA)
        let shaB = evidenceSHA256(Self.scanB)
        // The deposit: the command lists no file; the service hashes the bytes and lists it.
        let upload = EvidenceUpload(name: "lab.pdf", mediaType: "application/pdf", item: "coal.ncv", bytes: Self.scanA)
        let deposit = try await Self.run(s, .submitMonth(T.month("U1", 1)), files: [upload], as: .entity(T.entity), key: "deposit-1")
        let receipt = try #require(deposit.receipt, "\(deposit)")
        #expect(await s.service.state.months[Self.month1]?.data.evidence == [EvidenceFile(name: "lab.pdf", sha256: shaA, item: "coal.ncv")])
        let blob = try await s.service.evidence(shaA).get()
        #expect(blob.bytes == Self.scanA && blob.size == Self.scanA.count && blob.mediaType == "application/pdf" && blob.storedSeq == receipt.seq)
        // A retry with the same key and bytes is the same request.
        let retry = try await Self.run(s, .submitMonth(T.month("U1", 1)), files: [upload], as: .entity(T.entity), key: "deposit-1")
        #expect(retry.receipt?.replayed == true && retry.receipt?.seq == receipt.seq)

        // Replacing the evidence: the new bytes are stored, the old stay retrievable; the history shows both.
        let replaced = try await Self.run(
            s, .replaceEvidence(month: Self.month1, evidence: [], reason: "better scan"),
            files: [EvidenceUpload(name: "lab.pdf", mediaType: "application/pdf", item: "coal.ncv", bytes: Self.scanB)], as: .entity(T.entity))
        #expect(replaced.receipt != nil, "\(replaced)")
        let history = try await s.service.evidenceHistory(Self.month1).get()
        #expect(history.map(\.version) == [1, 2] && history.map { $0.files.map(\.sha256) } == [[shaA], [shaB]])
        #expect(history[1].change == .evidence && history[1].reason == "better scan")
        #expect(try await s.service.evidence(shaA).get().bytes == Self.scanA)
        #expect(try await s.service.evidence(shaB).get().bytes == Self.scanB)
        // Listing an already stored file again needs no bytes (content-addressed).
        let back = try await Self.run(
            s, .replaceEvidence(month: Self.month1, evidence: [EvidenceFile(name: "lab.pdf", sha256: shaA)], reason: "the first scan after all"))
        #expect(back.receipt != nil, "\(back)")
        #expect(try await s.service.verify().ok)
        try await s.close()

        // After reopening: the bytes are still there and still check.
        let reopened = try await T.open(location)
        #expect(try await reopened.service.evidence(shaB).get().bytes == Self.scanB)
        #expect(try await reopened.service.evidence(String(repeating: "0", count: 64)).error?.code == .unknownEvidence)
        #expect(try await reopened.service.evidence("not-a-hash").error?.code == .invalidEvidence)
        let verified = try await reopened.service.verify()
        #expect(verified.ok, "\(verified.problems)")
        try await reopened.close()

        // Tampered bytes: retrieval refuses them and verify names the file.
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            try await sql.execute("UPDATE mrv_evidence_blob SET bytes = $1 WHERE sha256 = $2", [.blob(Array("forged".utf8)), .text(shaA)])
        }
        try await database.close()
        let tampered = try await T.open(location)
        #expect(try await tampered.service.evidence(shaA).error?.code == .evidenceTampered)
        #expect(try await tampered.service.evidence(shaB).get().bytes == Self.scanB)
        let report = try await tampered.service.verify()
        #expect(report.problems == ["evidence \(shaA): its stored bytes hash to \(evidenceSHA256(Array("forged".utf8)))"], "\(report.problems)")
        try await tampered.close()

        // A deleted blob: verify names every month that lists it.
        let database2 = try await Composition.openDatabase(location, connectionID: 9)
        try await database2.transaction { sql in try await sql.execute("DELETE FROM mrv_evidence_blob WHERE sha256 = $1", [.text(shaB)]) }
        try await database2.close()
        let deleted = try await T.open(location)
        #expect(try await deleted.service.evidence(shaB).error?.code == .unknownEvidence)
        #expect(try await deleted.service.verify().problems.contains("U1 2024-01: evidence lab.pdf (\(shaB)) has no stored bytes"))
        try await deleted.close()
    }

    @Test(arguments: Backend.all)
    func aRejectedDepositStoresNoBytes(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location, limit: 64)
        let shaA = evidenceSHA256(Self.scanA)
        #expect(try await Self.run(s, .submitMonth(T.month("U1", 1)), files: [EvidenceUpload(name: "lab.pdf", bytes: Self.scanA)]).receipt != nil)
        let state = await s.service.state
        let head = try await s.store.mrvHead()
        let other: [UInt8] = Array("another file".utf8)
        let otherSHA = evidenceSHA256(other)

        // A claimed hash that is not the bytes' hash.
        let claimed = try await Self.run(
            s, .submitMonth(T.month("U1", 2)), files: [EvidenceUpload(name: "b.pdf", claimedSHA256: shaA, bytes: other)])
        #expect(claimed.error?.code == .evidenceHashMismatch, "\(claimed)")
        try await Self.unchanged(s, state, head, noBytes: otherSHA)
        // The command lists a hash for b.pdf, the bytes sent for b.pdf hash otherwise.
        let listed = try await Self.run(
            s, .submitMonth({ var m = T.month("U1", 2); m.evidence = [EvidenceFile(name: "b.pdf", sha256: String(repeating: "a", count: 64))]; return m }()),
            files: [EvidenceUpload(name: "b.pdf", bytes: other)])
        #expect(listed.error?.code == .evidenceHashMismatch, "\(listed)")
        try await Self.unchanged(s, state, head, noBytes: otherSHA)
        // A listed file with no bytes sent and none stored.
        let missing = try await Self.run(
            s, .submitMonth({ var m = T.month("U1", 2); m.evidence = [EvidenceFile(name: "c.pdf", sha256: otherSHA)]; return m }()))
        #expect(missing.error?.code == .evidenceMissing, "\(missing)")
        try await Self.unchanged(s, state, head, noBytes: otherSHA)
        // Larger than the data year's maxEvidenceBytes (64 here).
        let big = [UInt8](repeating: 7, count: 65)
        let tooBig = try await Self.run(s, .submitMonth(T.month("U1", 2)), files: [EvidenceUpload(name: "big.bin", bytes: big)])
        #expect(tooBig.error?.code == .limitExceeded && tooBig.error?.message.contains("maxEvidenceBytes") == true, "\(tooBig)")
        try await Self.unchanged(s, state, head, noBytes: evidenceSHA256(big))
        // A deposit the rules refuse (the month was submitted) stores its bytes neither.
        let twice = try await Self.run(s, .submitMonth(T.month("U1", 1)), files: [EvidenceUpload(name: "b.pdf", bytes: other)])
        #expect(twice.error?.code == .monthAlreadySubmitted)
        try await Self.unchanged(s, state, head, noBytes: otherSHA)
        // Bytes with a command that deposits nothing; a bad media type.
        let stray = try await Self.run(s, .registerVerifier(Verifier(id: "V9", name: "九所")), files: [EvidenceUpload(name: "b.pdf", bytes: other)])
        #expect(stray.error?.code == .invalidEvidence)
        let media = try await Self.run(s, .submitMonth(T.month("U1", 2)), files: [EvidenceUpload(name: "b.pdf", mediaType: "pdf", bytes: other)])
        #expect(media.error?.code == .invalidEvidence)
        try await Self.unchanged(s, state, head, noBytes: otherSHA)
        // Exactly at the limit is accepted.
        let edge = [UInt8](repeating: 8, count: 64)
        #expect(try await Self.run(s, .submitMonth(T.month("U1", 2)), files: [EvidenceUpload(name: "edge.bin", bytes: edge)]).receipt != nil)
        #expect(try await s.service.evidence(evidenceSHA256(edge)).get().size == 64)
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func aCSVOfMonthsDepositsTheBytesItsRowsName(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        let sha = evidenceSHA256(Self.scanA)
        var months = (1...2).map { T.month("U1", $0) }
        months[0].evidence = [EvidenceFile(name: "lab.pdf", sha256: sha)]
        let csv = MRVCSV.exportMonths(months)
        let state = await s.service.state
        let head = try await s.store.mrvHead()
        let without = try await s.service.importMonths(csv: csv, idempotencyKey: "csv-1")
        #expect(without.error?.code == .evidenceMissing, "\(without)")
        try await Self.unchanged(s, state, head, noBytes: sha)
        let unnamed = try await s.service.importMonths(
            csv: csv, idempotencyKey: "csv-2", files: [EvidenceUpload(name: "lab.pdf", bytes: Self.scanA), EvidenceUpload(name: "x", bytes: Self.scanB)])
        #expect(unnamed.error?.code == .invalidEvidence, "\(unnamed)")
        try await Self.unchanged(s, state, head, noBytes: sha)
        let with = try await s.service.importMonths(csv: csv, idempotencyKey: "csv-3", files: [EvidenceUpload(name: "lab.pdf", bytes: Self.scanA)])
        #expect(with.receipt?.events.count == 2, "\(with)")
        #expect(try await s.service.evidence(sha).get().bytes == Self.scanA)
        try await s.close()
    }

    @Test(arguments: Backend.all)
    func onlyThePermittedActorChangesAnything(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let s = try await Self.registered(location)
        try await s.accept(.registerEntity(uscc: T.uscc(2), name: "粤电", province: "广东", city: "广州", sector: .power, group: nil))
        let state = await s.service.state
        let head = try await s.store.mrvHead()
        let sha = evidenceSHA256(Self.scanA)
        let file = [EvidenceUpload(name: "lab.pdf", bytes: Self.scanA)]
        // Another entity, a verifier, a province elsewhere: refused, nothing written (bytes included).
        for actor: MRVActor in [.entity(MRVEntityID(T.uscc(2))), .verifier("V1"), .province("广东"), .city("成都"), .national] {
            let outcome = try await Self.run(s, .submitMonth(T.month("U1", 1)), files: file, as: actor)
            #expect(outcome.error?.code == .notPermitted, "\(actor): \(outcome)")
            try await Self.unchanged(s, state, head, noBytes: sha)
        }
        let csv = MRVCSV.exportMonths([T.month("U1", 1)])
        #expect(try await s.service.importMonths(csv: csv, idempotencyKey: "m-other", actor: .entity(MRVEntityID(T.uscc(2)))).error?.code == .notPermitted)
        #expect(try await s.service.importFacilities(csv: MRVCSV.exportFacilities([T.unit("U2")]), idempotencyKey: "f", actor: .province("广东")).error?.code == .notPermitted)
        #expect(try await s.service.importGrid(csv: "facility_id,year,month,generation_mwh\nU1,2024,1,2400\n", idempotencyKey: "g", actor: .entity(T.entity)).error?.code == .notPermitted)
        try await Self.unchanged(s, state, head, noBytes: sha)
        // The entity itself may; the same key from another actor is another request.
        #expect(try await Self.run(s, .submitMonth(T.month("U1", 1)), files: file, as: .entity(T.entity), key: "own").receipt != nil)
        let reused = try await Self.run(s, .submitMonth(T.month("U1", 1)), files: file, as: .system, key: "own")
        #expect(reused.error?.code == .idempotencyKeyReused)
        #expect(try await s.service.importFacilities(csv: MRVCSV.exportFacilities([T.unit("U2")]), idempotencyKey: "f2", actor: .province("四川")).receipt != nil)
        try await s.close()
    }
}

extension Result where Failure == MRVError {
    /// The failure, if any (tests).
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
