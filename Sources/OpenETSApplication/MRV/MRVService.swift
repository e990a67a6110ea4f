import Foundation
import OpenETSDomain

/// An MRV command with the idempotency key that makes retries safe, and who sends it
/// (`MRVPermissions`; `.system`, the platform operator, when not said).
public struct MRVRequest: Hashable, Codable, Sendable {
    public var idempotencyKey: String
    public var command: MRVCommand
    public var actor: MRVActor

    public init(idempotencyKey: String, command: MRVCommand, actor: MRVActor = .system) {
        self.idempotencyKey = idempotencyKey
        self.command = command
        self.actor = actor
    }

    enum CodingKeys: String, CodingKey { case idempotencyKey, command, actor }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        idempotencyKey = try c.decode(String.self, forKey: .idempotencyKey)
        command = try c.decode(MRVCommand.self, forKey: .command)
        actor = try c.decodeIfPresent(MRVActor.self, forKey: .actor) ?? .system
    }
}

/// Proof that a command (or a whole CSV file) was applied: its MRV journal entry and events.
/// `replayed` is true when the idempotency key had been used before with the same request.
public struct MRVReceipt: Hashable, Sendable {
    public var seq: Int64
    public var events: [MRVEvent]
    public var replayed: Bool

    public init(seq: Int64, events: [MRVEvent], replayed: Bool) {
        self.seq = seq
        self.events = events
        self.replayed = replayed
    }
}

public enum MRVOutcome: Hashable, Sendable {
    case accepted(MRVReceipt)
    case rejected(MRVError)
    /// A CSV file with errors: every row error found (up to the CSV limit) and their total.
    case rejectedRows([MRVCSV.RowError], total: Int)

    public var receipt: MRVReceipt? {
        if case .accepted(let receipt) = self { return receipt }
        return nil
    }

    public var error: MRVError? {
        if case .rejected(let error) = self { return error }
        return nil
    }

    public var rowErrors: [MRVCSV.RowError] {
        if case .rejectedRows(let errors, _) = self { return errors }
        return []
    }
}

/// What `MRVService.verify` found: the entries read, the head they end at, and every fault.
public struct MRVVerification: Hashable, Sendable {
    public var entries: Int
    public var head: JournalHead
    public var problems: [String]

    public var ok: Bool { problems.isEmpty }
}

/// The MRV platform's only writer in this process: decides commands on the state rebuilt from
/// the MRV journal and appends each accepted command (or CSV file) as one hash-chained entry,
/// kind `mrv.<command kind>` (`mrv.import_facilities`, `mrv.import_months` for files), body
/// the JSON of its events (`LedgerCodec.encode`: JSONEncoder with sorted keys, so the stored
/// text does not depend on the registry's body encoder). A rejected command, or a file with any bad row, writes nothing.
/// Each write locks the journal head and first replays what other processes appended.
public actor MRVService {
    public static let kindPrefix = "mrv."
    let store: any MRVStore
    private let clock: any LedgerClock
    private let codec = LedgerCodec()
    /// The policy tables decisions and reads use: the latest published version
    /// (`policyVersion`), or the shipped seed (version 0) until one is published.
    public private(set) var policy: MRVPolicyTables
    public private(set) var policyVersion: Int
    /// Opened with explicit tables (tests, benchmarks): published versions are not loaded.
    private let pinned: Bool
    public private(set) var state: MRVState
    public private(set) var head: JournalHead
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private init(
        store: any MRVStore, clock: any LedgerClock, policy: MRVPolicyTables, policyVersion: Int, pinned: Bool, state: MRVState, head: JournalHead
    ) {
        self.store = store
        self.clock = clock
        self.policy = policy
        self.policyVersion = policyVersion
        self.pinned = pinned
        self.state = state
        self.head = head
    }

    /// Opens the service on a migrated store: the state is the replay of the whole MRV journal.
    /// The policy is the latest published version (`mrv_policy`), or the shipped seed while none
    /// is; `policy` pins other tables instead (tests, benchmarks).
    public static func open(store: any MRVStore, clock: any LedgerClock, policy: MRVPolicyTables? = nil) async throws -> MRVService {
        var tables = policy ?? .seed
        var version = 0
        if policy == nil, let stored = try await store.mrvPolicy() {
            tables = try decodePolicy(stored)
            version = stored.version
        }
        var state = MRVState()
        var head = JournalHead.genesis
        let codec = LedgerCodec()
        while true {
            let entries = try await store.mrvJournal(after: head.seq, limit: 5_000)
            guard let last = entries.last else { break }
            for entry in entries { state.evolve(try codec.decode([MRVEvent].self, from: entry.body)) }
            head = last.head
        }
        return MRVService(store: store, clock: clock, policy: tables, policyVersion: version, pinned: policy != nil, state: state, head: head)
    }

    static func decodePolicy(_ stored: StoredMRVPolicy) throws -> MRVPolicyTables {
        do {
            return try LedgerCodec().decode(MRVPolicyTables.self, from: stored.body)
        } catch {
            throw MRVStoreFault.badPolicy(stored.version)
        }
    }

    // MARK: writes

    /// Decides `request.command` as sent by `request.actor` (`MRVPermissions`) and journals it.
    /// `files` are the bytes of evidence files it deposits (`submit_month`, `correct_month`,
    /// `replace_evidence`): hashed here, listed in the command when it does not name them, and
    /// stored (`mrv_evidence_blob`) in the same transaction as the entry. Every file a deposit
    /// newly lists must have its bytes sent or already stored (`EVIDENCE_MISSING`).
    ///
    /// With `audit`, its audit line (with the outcome, accepted or refused) is written in the
    /// same transaction as the entry.
    public func execute(_ request: MRVRequest, files: [EvidenceUpload] = [], audit: AuditNote? = nil) async throws -> MRVOutcome {
        let command: MRVCommand
        let uploads: [HashedUpload]
        switch Self.attach(files, to: request.command) {
        case .failure(let error): return .rejected(error)
        case .success(let attached): (command, uploads) = attached
        }
        let hash = sha256Hex("mrv\n" + codec.encode(command) + Self.actorSuffix(request.actor))
        let actor = request.actor
        return try await write(key: request.idempotencyKey, requestHash: hash, kind: Self.kindPrefix + command.kind, uploads: uploads, audit: audit) {
            (state: MRVState, now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> Decision in
            .events(try state.decide(command, by: actor, at: now, policy: policy))
        }
    }

    /// What the request hash adds for an actor other than `.system` (so hashes of requests
    /// made before actors existed do not change).
    static func actorSuffix(_ actor: MRVActor) -> String { actor == .system ? "" : "\nas " + actor.description }

    /// Registers every facility of a CSV file in one entry, or none of them; each row is a
    /// `register_facility` sent by `actor`.
    public func importFacilities(csv: String, idempotencyKey: String, actor: MRVActor = .system) async throws -> MRVOutcome {
        let hash = sha256Hex("mrv.import_facilities\n" + csv + Self.actorSuffix(actor))
        return try await write(key: idempotencyKey, requestHash: hash, kind: Self.kindPrefix + "import_facilities") {
            (state: MRVState, now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> Decision in
            switch MRVCSV.importFacilities(csv, state: state, at: now, policy: policy) {
            case .rejected(let errors, let total): return .rows(errors, total)
            case .imported(let rows):
                return .events(try Self.decideAll(rows.map(MRVCommand.registerFacility), state, now, policy, actor))
            }
        }
    }

    /// Submits every month of a CSV file in one entry, or none of them; each month is a
    /// `submit_month` sent by `actor`. The rows' evidence files (`evidence_name`,
    /// `evidence_sha256`) need their bytes: in `files` (matched by hash) or stored before.
    public func importMonths(
        csv: String, idempotencyKey: String, files: [EvidenceUpload] = [], actor: MRVActor = .system, audit: AuditNote? = nil
    ) async throws -> MRVOutcome {
        let uploads: [HashedUpload]
        switch Self.hash(files) {
        case .failure(let error): return .rejected(error)
        case .success(let hashed): uploads = hashed
        }
        let hash = sha256Hex("mrv.import_months\n" + csv + uploads.map { "\nfile " + $0.sha256 }.joined() + Self.actorSuffix(actor))
        return try await write(key: idempotencyKey, requestHash: hash, kind: Self.kindPrefix + "import_months", uploads: uploads, audit: audit) {
            (state: MRVState, now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> Decision in
            switch MRVCSV.importMonths(csv, state: state, at: now, policy: policy) {
            case .rejected(let errors, let total): return .rows(errors, total)
            case .imported(let rows):
                return .events(try Self.decideAll(rows.map(MRVCommand.submitMonth), state, now, policy, actor))
            }
        }
    }

    /// Stores the grid company's monthly generation from a CSV file (facility_id, year, month,
    /// generation_mwh) in one entry, or none of it; rule A07 reads the stored rows. Only
    /// `MRVPermissions.gridImportRoles` may.
    public func importGrid(csv: String, idempotencyKey: String, actor: MRVActor = .system) async throws -> MRVOutcome {
        guard MRVPermissions.gridImportRoles.contains(actor.role) else {
            return .rejected(MRVError(.notPermitted, "\(actor) may not import the grid company's generation"))
        }
        let hash = sha256Hex("mrv.import_grid\n" + csv + Self.actorSuffix(actor))
        return try await write(key: idempotencyKey, requestHash: hash, kind: Self.kindPrefix + "import_grid") {
            (state: MRVState, now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> Decision in
            switch MRVCSV.importGrid(csv, state: state, limits: policy.current.limits) {
            case .rejected(let errors, let total): return .rows(errors, total)
            case .imported(let rows): return .events([.gridGenerationImported(rows: rows, at: now)])
            }
        }
    }

    static func decideAll(
        _ commands: [MRVCommand], _ state: MRVState, _ now: Timestamp, _ policy: MRVPolicyTables, _ actor: MRVActor
    ) throws(MRVError) -> [MRVEvent] {
        var scratch = state
        var events: [MRVEvent] = []
        for command in commands {
            let decided = try scratch.decide(command, by: actor, at: now, policy: policy)
            scratch.evolve(decided)
            events += decided
        }
        return events
    }

    enum Decision {
        case events([MRVEvent])
        case rows([MRVCSV.RowError], Int)
    }

    /// The audit log's words for an MRV outcome, as for the registry's: `accepted #seq`,
    /// `replayed #seq`, `rejected CODE`, `rejected CSV_REJECTED (N errors)`.
    static func auditDetail(_ outcome: MRVOutcome) -> String {
        switch outcome {
        case .accepted(let receipt): (receipt.replayed ? "replayed #" : "accepted #") + String(receipt.seq)
        case .rejected(let error): "rejected " + error.code.rawValue
        case .rejectedRows(_, let total): "rejected CSV_REJECTED (\(total) errors)"
        }
    }

    /// Decides and writes in one transaction; with `audit`, its audit line too.
    private func write(
        key: String, requestHash: String, kind: String, uploads: [HashedUpload] = [], audit: AuditNote? = nil,
        _ decide: (MRVState, Timestamp, MRVPolicyTables) throws(MRVError) -> Decision
    ) async throws -> MRVOutcome {
        guard !key.isEmpty, key.utf8.count <= CommandRequest.maxIdempotencyKeyLength else {
            return .rejected(MRVError(.invalidInput, "idempotency key must be 1-\(CommandRequest.maxIdempotencyKeyLength) bytes"))
        }
        await acquire()
        defer { release() }
        let (known, knownHead) = (state, head)
        let (knownPolicy, knownVersion, pinned) = (policy, policyVersion, pinned)
        let codec = codec
        let now = clock.now()
        let (outcome, newState, newHead, newPolicy) = try await store.writeMRV {
            (tx) async throws -> (MRVOutcome, MRVState, JournalHead, (MRVPolicyTables, Int)) in
            let result = try await Self.decideAndAppend(
                tx, known: known, knownHead: knownHead, knownPolicy: knownPolicy, knownVersion: knownVersion, pinned: pinned, codec: codec,
                now: now, key: key, requestHash: requestHash, kind: kind, uploads: uploads, decide)
            // The audit line, with the outcome (accepted or refused), in the same transaction.
            if let audit { try await tx.appendAudit([audit.record(detail: Self.auditDetail(result.0), accepted: result.0.receipt != nil)]) }
            return result
        }
        state = newState
        head = newHead
        (policy, policyVersion) = newPolicy
        return outcome
    }

    /// The decision of one write inside its transaction: catch up with entries other processes
    /// wrote, answer a known key from its entry, otherwise decide and append the entry.
    private static func decideAndAppend(
        _ tx: any MRVTransaction, known: MRVState, knownHead: JournalHead, knownPolicy: MRVPolicyTables, knownVersion: Int, pinned: Bool,
        codec: LedgerCodec, now: Timestamp, key: String, requestHash: String, kind: String, uploads: [HashedUpload],
        _ decide: (MRVState, Timestamp, MRVPolicyTables) throws(MRVError) -> Decision
    ) async throws -> (MRVOutcome, MRVState, JournalHead, (MRVPolicyTables, Int)) {
        var state = known
        // A version published since (by any process) applies to this decision.
        var policy = (knownPolicy, knownVersion)
        if !pinned, let stored = try await tx.mrvPolicy(newerThan: knownVersion) {
            policy = (try Self.decodePolicy(stored), stored.version)
        }
        var head = try await tx.lockHead()
        if head != knownHead {
            // Another process wrote since: replay its entries first.
            guard head.seq > knownHead.seq else { throw MRVStoreFault.headMovedBack(cached: knownHead, stored: head) }
            var replayed = knownHead
            while replayed.seq < head.seq {
                let entries = try await tx.entries(after: replayed.seq, limit: 5_000)
                guard let last = entries.last else { throw MRVStoreFault.journalBehindHead(head) }
                for entry in entries { state.evolve(try codec.decode([MRVEvent].self, from: entry.body)) }
                replayed = last.head
            }
            guard replayed == head else { throw MRVStoreFault.journalBehindHead(head) }
        }
        if let record = try await tx.idempotencyRecord(key) {
            guard record.requestHash == requestHash else {
                return (.rejected(MRVError(.idempotencyKeyReused, "idempotency key \(key) was used for a different request")), state, head, policy)
            }
            guard let entry = try await tx.entry(record.seq) else { throw MRVStoreFault.missingEntry(record.seq) }
            let events = try codec.decode([MRVEvent].self, from: entry.body)
            return (.accepted(MRVReceipt(seq: entry.seq, events: events, replayed: true)), state, head, policy)
        }
        let decision: Result<Decision, MRVError>
        do throws(MRVError) {
            decision = .success(try decide(state, now, policy.0))
        } catch {
            decision = .failure(error)
        }
        let events: [MRVEvent]
        switch decision {
        case .failure(let error): return (.rejected(error), state, head, policy)
        case .success(.rows(let errors, let total)): return (.rejectedRows(errors, total: total), state, head, policy)
        case .success(.events(let decided)): events = decided
        }
        // Evidence bytes: every newly deposited file's are sent or stored; checked before
        // anything is written, stored with the entry.
        let blobs: [EvidenceBlob]
        switch try await Self.blobsToStore(events, before: state, uploads: uploads, policy: policy.0, at: now, stored: { try await tx.evidenceBlobExists($0) }) {
        case .failure(let error): return (.rejected(error), state, head, policy)
        case .success(let checked): blobs = checked
        }
        let entry = JournalEntry.sealed(after: head, recordedAt: now, kind: kind, idempotencyKey: key, body: codec.encode(events))
        try await tx.append([entry], idempotency: [IdempotencyRecord(key: key, requestHash: requestHash, seq: entry.seq)], head: entry.head)
        for var blob in blobs {
            blob.storedSeq = entry.seq
            try await tx.putEvidenceBlob(blob)
        }
        state.evolve(events)
        head = entry.head
        return (.accepted(MRVReceipt(seq: entry.seq, events: events, replayed: false)), state, head, policy)
    }

    // MARK: policy

    /// Publishes `tables` as the next version of the MRV policy (`mrv_policy`): checked whole
    /// (`MRVPolicyTables.validate(replacing:)`: complete, consistent, no data year dropped),
    /// then stored under the journal head lock. From then on every decision and read of this
    /// service, and every write of any other, uses it. A rejected set stores nothing.
    /// `effectiveFrom` is a Beijing date (YYYY-MM-DD) recorded with the version. With `audit`,
    /// its audit line (`accepted vN` or `rejected CODE`) is written in the same transaction.
    /// The publication names the tables it replaced: those in force under the lock, which
    /// `tables` were checked against (a concurrent publication is never missed).
    public func publishPolicy(
        _ tables: MRVPolicyTables, effectiveFrom: String, note: String, audit: AuditNote? = nil,
        key: ((StoredMRVPolicy, MRVPolicyPublication) throws -> IdempotencyCompletion)? = nil
    ) async throws -> Result<MRVPolicyPublication, MRVError> {
        await acquire()
        defer { release() }
        let now = clock.now()
        let body = codec.encode(tables)
        let (knownPolicy, knownVersion, pinned) = (policy, policyVersion, pinned)
        let result: Result<MRVPolicyPublication, MRVError> = try await store.writeMRV { tx in
            _ = try await tx.lockHead()
            var previous = knownPolicy
            if !pinned, let stored = try await tx.mrvPolicy(newerThan: knownVersion) { previous = try Self.decodePolicy(stored) }
            let result: Result<MRVPolicyPublication, MRVError>
            if let fault = Self.publicationFault(tables, effectiveFrom: effectiveFrom, note: note, replacing: previous) {
                result = .failure(fault)
            } else {
                var stored = StoredMRVPolicy(version: 0, effectiveFrom: effectiveFrom, publishedAt: now, note: note, body: body)
                stored.version = try await tx.publishMRVPolicy(stored)
                let publication = MRVPolicyPublication(version: stored.version, previous: previous, stored: stored)
                // With `key`, the API's answer (made of the version as stored) commits with it.
                if let key { try await tx.completeIdempotencyKey(try key(stored, publication)) }
                result = .success(publication)
            }
            if let audit {
                let detail: String
                switch result {
                case .success(let published): detail = "accepted v\(published.version)"
                case .failure(let error): detail = "rejected " + error.code.rawValue
                }
                try await tx.appendAudit([audit.record(detail: detail, accepted: (try? result.get()) != nil)])
            }
            return result
        }
        if case .success(let published) = result { (policy, policyVersion) = (tables, published.version) }
        return result
    }

    /// Why `tables` may not be published over `previous` (INVALID_POLICY), or nil.
    static func publicationFault(_ tables: MRVPolicyTables, effectiveFrom: String, note: String, replacing previous: MRVPolicyTables) -> MRVError? {
        guard CivilDate(effectiveFrom) != nil else { return MRVError(.invalidPolicy, "effective_from: '\(effectiveFrom)' is not YYYY-MM-DD") }
        let maxNote = previous.current.limits.maxTextLength
        guard !note.isEmpty, note.count <= maxNote else { return MRVError(.invalidPolicy, "note: 1-\(maxNote) characters required") }
        do throws(MRVError) {
            try tables.validate(replacing: previous)
        } catch {
            return error
        }
        return nil
    }

    /// Loads a version another process published since this service last wrote (a long-running
    /// reader calls it before reading; writes do it themselves).
    public func refreshPolicy() async throws {
        guard !pinned, let stored = try await store.mrvPolicy(), stored.version > policyVersion else { return }
        (policy, policyVersion) = (try Self.decodePolicy(stored), stored.version)
    }

    /// Every published version, oldest first.
    public func policyVersions() async throws -> [StoredMRVPolicy] { try await store.mrvPolicyVersions() }

    /// Every published version without its tables, oldest first (reads no tables).
    public func policyHeaders() async throws -> [MRVPolicyHeader] { try await store.mrvPolicyHeaders() }

    /// One published version with its tables; nil when none has that number.
    public func publishedPolicy(version: Int) async throws -> StoredMRVPolicy? { try await store.mrvPolicy(version: version) }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    // MARK: reads

    /// Today (Beijing) on the service's clock: the day its decisions see (a drill clock's day in a drill).
    public nonisolated func today() -> CivilDate { BeijingTime.date(clock.now()) }

    /// Re-reads the whole MRV journal: sequence numbers without gaps, each entry's hash and its
    /// link to the one before, an `mrv.` kind, a body of MRV events that replay, and the stored
    /// head at the last entry; then the evidence files: each stored file's bytes hash to its
    /// key, and every file a month has listed has its bytes stored.
    public func verify() async throws -> MRVVerification {
        var problems: [String] = []
        var previous = JournalHead.genesis
        var count = 0
        var replay = MRVState()
        while problems.count < 100 {
            let entries = try await store.mrvJournal(after: previous.seq, limit: 5_000)
            guard !entries.isEmpty else { break }
            for entry in entries {
                count += 1
                if entry.seq != previous.seq + 1 { problems.append("entry \(entry.seq): expected seq \(previous.seq + 1)") }
                if entry.prevHash != previous.hash { problems.append("entry \(entry.seq): prev_hash does not match entry \(previous.seq)") }
                if entry.computedHash != entry.hash { problems.append("entry \(entry.seq): hash does not match its content") }
                if !entry.kind.hasPrefix(Self.kindPrefix) { problems.append("entry \(entry.seq): kind \(entry.kind) is not an MRV kind") }
                do {
                    replay.evolve(try codec.decode([MRVEvent].self, from: entry.body))
                } catch {
                    problems.append("entry \(entry.seq): body is not MRV events")
                }
                previous = entry.head
            }
        }
        let stored = try await store.mrvHead()
        if stored != previous { problems.append("head is at \(stored.seq), the journal ends at \(previous.seq)") }
        problems += try await verifyEvidence(replay)
        return MRVVerification(entries: count, head: previous, problems: problems)
    }

    /// The anomaly findings of a data year: every rule, with the power allocation plan's
    /// benchmarks of the year (A09) and the grid company's rows (A07): `grid` when given, else
    /// the rows stored by `importGrid`.
    public func anomalies(year: Int, grid: [GridGenerationRow]? = nil, plans: [AllocationPlan] = AllocationPlan.seed) throws(MRVError) -> [AnomalyFinding] {
        let years = try state.facilityYears(year, policy: policy)
        return MRVAnomalies.run(
            years, grid: grid ?? state.gridRows(year: year), policy: try policy.platform(year).anomaly,
            benchmarks: MRVAnomalies.benchmarks(year: year, plans: plans))
    }

    /// A facility's emissions for a data year from its submitted months (current versions),
    /// with the tables in force.
    public func facilityYear(_ facility: FacilityID, year: Int) throws(MRVError) -> FacilityYearSummary {
        guard let f = state.facilities[facility] else { throw MRVError(.unknownFacility, "no facility \(facility)") }
        let records = state.months.filter { $0.key.facility == facility && $0.key.year == year }.values
        return try MRVAccounting.summary(
            f, months: records.map(\.data), corrections: records.reduce(0) { $0 + $1.corrections },
            accounting: try policy.accounting(year), platform: try policy.platform(year))
    }

    /// The verifier ranking of a data year as of a Beijing date.
    public func verifierRanking(year: Int, asOf: CivilDate) throws(MRVError) -> [VerifierRating] {
        MRVVerifierRating.ranking(state, asOf: asOf, policy: try policy.platform(year))
    }
}

public enum MRVStoreFault: Error, CustomStringConvertible {
    case journalBehindHead(JournalHead)
    case missingEntry(Int64)
    /// The stored head is not a successor of the head this service last saw (a rewritten journal).
    case headMovedBack(cached: JournalHead, stored: JournalHead)
    /// A stored policy version whose body is not MRV policy tables.
    case badPolicy(Int)

    public var description: String {
        switch self {
        case .headMovedBack(let cached, let stored): "the MRV journal head moved from \(cached.seq) to \(stored.seq) under this service"
        case .journalBehindHead(let head): "the MRV journal does not end at its head \(head.seq)"
        case .missingEntry(let seq): "MRV journal entry \(seq) is missing"
        case .badPolicy(let version): "MRV policy version \(version) is not MRV policy tables"
        }
    }
}
