import Foundation
import OpenETSDomain

/// A command with the idempotency key that makes retries safe.
public struct CommandRequest: Hashable, Codable, Sendable {
    public static let maxIdempotencyKeyLength = 128

    public var idempotencyKey: String
    public var command: RegistryCommand

    public init(idempotencyKey: String, command: RegistryCommand) {
        self.idempotencyKey = idempotencyKey
        self.command = command
    }
}

/// Proof that a command was applied: its journal entry and events. `replayed` is true when
/// the idempotency key had been used before with the same command.
public struct Receipt: Hashable, Sendable {
    public var seq: Int64
    public var events: [RegistryEvent]
    public var replayed: Bool

    public init(seq: Int64, events: [RegistryEvent], replayed: Bool) {
        self.seq = seq
        self.events = events
        self.replayed = replayed
    }
}

public enum CommandOutcome: Hashable, Sendable {
    case accepted(Receipt)
    case rejected(RegistryError)

    public var receipt: Receipt? {
        if case .accepted(let receipt) = self { return receipt }
        return nil
    }

    public var error: RegistryError? {
        if case .rejected(let error) = self { return error }
        return nil
    }
}

/// An exchange command with its idempotency key.
public struct ExchangeRequest: Hashable, Codable, Sendable {
    public var idempotencyKey: String
    public var command: ExchangeCommand

    public init(idempotencyKey: String, command: ExchangeCommand) {
        self.idempotencyKey = idempotencyKey
        self.command = command
    }
}

/// Proof that an exchange command was applied: its journal entry, the exchange's events and
/// the registry events of its locks, settlements and unlocks.
public struct ExchangeReceipt: Hashable, Sendable {
    public var seq: Int64
    public var events: [ExchangeEvent]
    public var registryEvents: [RegistryEvent]
    public var replayed: Bool
}

public enum ExchangeOutcome: Hashable, Sendable {
    case accepted(ExchangeReceipt)
    case rejected(ExchangeError)

    public var receipt: ExchangeReceipt? {
        if case .accepted(let receipt) = self { return receipt }
        return nil
    }

    public var error: ExchangeError? {
        if case .rejected(let error) = self { return error }
        return nil
    }
}

/// One queued operation: a registry command or an exchange command.
enum LedgerOperation: Sendable {
    case registry(CommandRequest)
    case exchange(ExchangeRequest)
    case ccer(CCERRequest)

    var idempotencyKey: String {
        switch self {
        case .registry(let request): request.idempotencyKey
        case .exchange(let request): request.idempotencyKey
        case .ccer(let request): request.idempotencyKey
        }
    }
}

enum OperationOutcome: Sendable {
    case registry(CommandOutcome)
    case exchange(ExchangeOutcome)
    case ccer(CCEROutcome)

    /// What an exchange command made, for its audit line: `order 12, deal D-…`; at most
    /// `maxAuditedIDs` ids, then `…`.
    static func madeByExchange(_ events: [ExchangeEvent]) -> String {
        var ids: [String] = []
        for event in events {
            switch event {
            case .orderPlaced(let order): ids.append("order \(order.id)")
            case .dealDone(let deal, _, _): ids.append("deal \(deal.id.rawValue)")
            case .quotePosted(let quote): ids.append("quote \(quote.id)")
            case .auctionAnnounced(let auction): ids.append("auction \(auction.id)")
            case .bidPlaced(let bid): ids.append("bid \(bid.id)")
            case .auctionEnded(let auction, let result): ids.append("auction \(auction) \(result.status.rawValue)")
            default: continue
            }
            if ids.count > maxAuditedIDs { break }
        }
        return ids.count > maxAuditedIDs ? ids.prefix(maxAuditedIDs).joined(separator: ", ") + ", …" : ids.joined(separator: ", ")
    }

    /// The most ids an audit line names.
    static let maxAuditedIDs = 5

    var accepted: Bool {
        switch self {
        case .registry(.accepted), .exchange(.accepted), .ccer(.accepted): true
        default: false
        }
    }

    /// The audit log's words for the outcome: `accepted #seq`, `replayed #seq`, `rejected CODE`.
    var auditDetail: String {
        func done(_ seq: Int64, _ replayed: Bool) -> String { (replayed ? "replayed #" : "accepted #") + String(seq) }
        switch self {
        case .registry(.accepted(let receipt)): return done(receipt.seq, receipt.replayed)
        case .registry(.rejected(let error)): return "rejected " + error.code.rawValue
        case .exchange(.accepted(let receipt)):
            let made = Self.madeByExchange(receipt.events)
            return done(receipt.seq, receipt.replayed) + (made.isEmpty ? "" : " (" + made + ")")
        case .exchange(.rejected(let error)): return "rejected " + error.code.rawValue
        case .ccer(.accepted(let receipt)): return done(receipt.seq, receipt.replayed)
        case .ccer(.rejected(let error)): return "rejected " + error.code
        }
    }
}

/// Who asked for an operation, to be written to the audit log in the same transaction as the
/// operation itself, with its outcome (`OperationOutcome.auditDetail`): one commit — one
/// fsync — covers the command and its audit line, and neither is durable without the other.
public struct AuditNote: Hashable, Sendable {
    /// When the request arrived (the real time, also in a drill).
    public var at: Timestamp
    public var user: String
    /// The audit action, e.g. `api_place_order`.
    public var action: String
    /// The peer address.
    public var address: String
    /// What was asked, in words (`100 t CEA24 for 2025`), appended to the detail of an accepted
    /// (or replayed) outcome: `accepted #12: 100 t CEA24 for 2025`. At most `maxSummaryChars`
    /// Unicode scalars are kept.
    public var summary: String

    /// The longest summary kept (the audit line's detail stays bounded).
    public static let maxSummaryChars = 200

    public init(at: Timestamp, user: String, action: String, address: String, summary: String = "") {
        self.at = at
        // NUL and length are handled where the record is made (`AuditRecord.init`).
        self.user = user
        self.action = action
        self.address = address
        // Cut by Unicode scalars (a "character" may hold any number of combining marks).
        self.summary = String(String.UnicodeScalarView(summary.unicodeScalars.prefix(Self.maxSummaryChars)))
    }

    func record(_ outcome: OperationOutcome) -> AuditRecord {
        record(detail: outcome.auditDetail, accepted: outcome.accepted)
    }

    /// The audit line with `detail` (the outcome's words), and the summary after an acceptance.
    public func record(detail: String, accepted: Bool) -> AuditRecord {
        AuditRecord(at: at, user: user, action: action, detail: accepted && !summary.isEmpty ? detail + ": " + summary : detail, address: address)
    }

    /// The line of a write that keeps a record another request stored first (the cycle's
    /// carry-over): `accepted <summary>` when this write stored it, `replayed <summary>` when
    /// it found it stored.
    public func record(stored: Bool) -> AuditRecord {
        AuditRecord(at: at, user: user, action: action, detail: "\(stored ? "accepted" : "replayed") \(summary)", address: address)
    }

    /// The line of penalty notices issued (`AllocationCycleStore.saveNotices`): `accepted
    /// <summary>: N issued` with the N notices this write stored of the `total` asked, or
    /// `replayed <summary>: 0 issued` when every one was stored before.
    public func noticesIssued(_ issued: Int, of total: Int) -> AuditRecord {
        AuditRecord(
            at: at, user: user, action: action, detail: "\(issued == 0 && total > 0 ? "replayed" : "accepted") \(summary): \(issued) issued",
            address: address)
    }
}

/// The registry's only writer in this process.
///
/// Commands queue in front of the ledger and are committed in batches (group commit): while
/// one transaction is in flight, new commands wait, and the next transaction takes up to
/// `policy.maxCommandsPerBatch` of them. Each command is still atomic on its own: a rejected
/// command in a batch changes nothing and does not affect the others. A command is
/// acknowledged only after its transaction commits.
///
/// The service keeps the whole registry state in memory. Each transaction locks the journal
/// head, replays any entries other writers (processes) appended since, then decides.
///
/// The exchange writes through the same service: an exchange command, its exchange events and
/// the registry movements they imply (trading locks, settlements, unlocks) form one journal
/// entry (kind `exchange.…`) in one transaction, so the books, the locks and the deals are
/// durable together or not at all, and replaying the journal rebuilds the books exactly.
public actor RegistryService {
    let store: any LedgerStore
    private let clock: any LedgerClock
    private let codec = LedgerCodec()
    public private(set) var policy: RegistryPolicy
    public private(set) var exchangePolicy: ExchangePolicy
    public private(set) var state: RegistryState
    public private(set) var exchange: ExchangeState
    /// The CCER rules every CCER command is decided under: the version in force when the
    /// service opened, replaced by `publishCCERPolicy` (and `refreshCCERPolicy`), CCERPolicyPublication.swift.
    public internal(set) var ccerPolicy: CCERPolicy
    /// The CCER workflow, rebuilt from the `ccer.…` entries (CCERService.swift).
    public private(set) var ccer: CCERState
    public private(set) var head: JournalHead
    /// The state after the batch being committed (pipelining): the next batch is decided on
    /// it while the previous one commits. Equal to the committed state when nothing is in
    /// flight. Readers see only the committed `state`, `exchange` and `head`.
    private var working: Working
    private var queue: [Ticket] = []
    private var draining = false
    /// Counters of the writer's work since the process started (served at `/metrics`).
    public private(set) var stats = WriterStats()

    private struct Working {
        var state: RegistryState
        var exchange: ExchangeState
        var head: JournalHead
    }

    private init(
        store: any LedgerStore, clock: any LedgerClock, policy: RegistryPolicy, exchangePolicy: ExchangePolicy,
        state: RegistryState, exchange: ExchangeState, ccerPolicy: CCERPolicy, ccer: CCERState, head: JournalHead
    ) {
        self.store = store
        self.clock = clock
        self.policy = policy
        self.exchangePolicy = exchangePolicy
        self.state = state
        self.exchange = exchange
        self.ccerPolicy = ccerPolicy
        self.ccer = ccer
        self.head = head
        self.working = Working(state: state, exchange: exchange, head: head)
    }

    /// Opens the service on a migrated store: the registry from its projection tables, the
    /// exchange by replaying the exchange entries of the journal up to the same head.
    public static func open(store: any LedgerStore, clock: any LedgerClock) async throws -> RegistryService {
        let snapshot = try await store.snapshot()
        let policy = try await store.policy()
        let exchangePolicy = try await store.exchangePolicy()
        let codec = LedgerCodec()
        var exchange = ExchangeState()
        var after: Int64 = 0
        while true {
            let entries = try await store.exchangeJournal(after: after, through: snapshot.head.seq, limit: 5_000)
            guard let last = entries.last else { break }
            for entry in entries { exchange.evolve(try codec.exchangeEvents(of: entry)) }
            after = last.seq
        }
        let ccerPolicy = try await store.ccerPolicy()
        let ccer = try await replayCCER(store: store, through: snapshot.head.seq, codec: codec)
        return RegistryService(
            store: store, clock: clock, policy: policy, exchangePolicy: exchangePolicy, state: snapshot.state,
            exchange: exchange, ccerPolicy: ccerPolicy, ccer: ccer, head: snapshot.head)
    }

    /// Runs a registry command; with `audit`, its audit record (and outcome) is written in the
    /// command's own transaction.
    public nonisolated func execute(_ request: CommandRequest, audit: AuditNote? = nil) async throws -> CommandOutcome {
        try await submit([request], audits: [audit])[0]
    }

    /// Runs an exchange command; with `audit`, its audit record (and outcome) is written in the
    /// command's own transaction.
    public nonisolated func execute(_ request: ExchangeRequest, audit: AuditNote? = nil) async throws -> ExchangeOutcome {
        try await submit([request], audits: [audit])[0]
    }

    /// Queues exchange requests in order and waits for all of them (group commit, as registry
    /// requests). `audits`, when given, has one note (or nil) per request.
    public nonisolated func submit(_ requests: [ExchangeRequest], audits: [AuditNote?] = []) async throws -> [ExchangeOutcome] {
        let hashes = await Parallel.map(requests) { _, request in ExchangeRequest.requestHash(request.command) }
        return try await enqueue(requests.indices.map {
            Ticket(operation: .exchange(requests[$0]), requestHash: hashes[$0], audit: $0 < audits.count ? audits[$0] : nil)
        }).map {
            guard case .exchange(let outcome) = $0 else { preconditionFailure("an exchange ticket got a registry outcome") }
            return outcome
        }
    }

    /// Now on the service's clock: the time its decisions see (a drill clock's time in a drill).
    public nonisolated func now() -> Timestamp { clock.now() }

    /// The market as one value: registry and exchange at the same head.
    public var market: ExchangeMarket {
        ExchangeMarket(registry: state, exchange: exchange, registryPolicy: policy, policy: exchangePolicy)
    }

    /// Queues the requests in order and waits for all of them. Requests submitted together
    /// commit together when they fit in one batch.
    ///
    /// The requests' hashes (for idempotency) are computed here, on the caller's task and
    /// cores, before queueing: the writer's critical section only compares them.
    public nonisolated func submit(_ requests: [CommandRequest], audits: [AuditNote?] = []) async throws -> [CommandOutcome] {
        let hashes = await Parallel.map(requests) { codec, request in sha256Hex(codec.encode(request.command)) }
        return try await enqueue(requests.indices.map {
            Ticket(operation: .registry(requests[$0]), requestHash: hashes[$0], audit: $0 < audits.count ? audits[$0] : nil)
        }).map {
            guard case .registry(let outcome) = $0 else { preconditionFailure("a registry ticket got an exchange outcome") }
            return outcome
        }
    }

    func enqueue(_ tickets: [Ticket]) async throws -> [OperationOutcome] {
        queue.append(contentsOf: tickets)
        if !draining { await drain() }
        var outcomes: [OperationOutcome] = []
        outcomes.reserveCapacity(tickets.count)
        for ticket in tickets { outcomes.append(try await wait(for: ticket)) }
        return outcomes
    }

    private func wait(for ticket: Ticket) async throws -> OperationOutcome {
        if let result = ticket.result { return try result.get() }
        return try await withCheckedThrowingContinuation { ticket.continuation = $0 }
    }

    /// Takes batches off the queue and commits them in order. While one batch commits (its
    /// transaction runs off the actor), the next is decided and its journal sealed on the
    /// working state, so deciding and writing overlap on two cores. The speculative batch is
    /// committed only if nothing else wrote in between and none of its keys was used before;
    /// otherwise (and whenever the batch before it failed) it is decided again inside its
    /// own transaction (`process`). Nothing is acknowledged before its transaction commits.
    private func drain() async {
        draining = true
        defer { draining = false }
        var inFlight: (batch: PreparedBatch, commit: Task<CommitResult, Never>)?
        while !queue.isEmpty || inFlight != nil {
            var next: PreparedBatch?
            var nextTickets: [Ticket] = []
            if !queue.isEmpty {
                // A stored policy published before `problems()` existed may hold a batch size below 1.
                let count = min(queue.count, max(1, policy.maxCommandsPerBatch))
                nextTickets = Array(queue.prefix(count))
                queue.removeFirst(count)
                next = await prepare(nextTickets, inFlight: inFlight?.batch.records ?? [:])
            }
            if let current = inFlight {
                inFlight = nil
                switch await current.commit.value {
                case .committed:
                    stats.record(batch: current.batch.tickets.count, commitNanoseconds: current.batch.started.duration(to: .now))
                    state = current.batch.state
                    exchange = current.batch.exchange
                    head = current.batch.head
                    finish(current.batch.tickets, current.batch.outcomes.map { .success($0) })
                case .stale:
                    stats.stale += 1
                    // Another writer appended, or a key was used in an earlier transaction:
                    // decide the batch again inside its transaction.
                    working = Working(state: state, exchange: exchange, head: head)
                    next = nil
                    finish(current.batch.tickets, await process(current.batch.tickets))
                case .failed(let error):
                    working = Working(state: state, exchange: exchange, head: head)
                    next = nil
                    finish(current.batch.tickets, current.batch.tickets.map { _ in .failure(error) })
                }
            }
            guard !nextTickets.isEmpty else { continue }
            guard var next else {
                stats.inTransaction += 1
                // Not decidable ahead (a key of the batch in flight, a defect) or decided on a
                // state that did not commit: decide it inside its own transaction.
                working = Working(state: state, exchange: exchange, head: head)
                finish(nextTickets, await process(nextTickets))
                continue
            }
            working = Working(state: next.state, exchange: next.exchange, head: next.head)
            let store = store
            next.started = .now
            inFlight = (next, Task.detached { await Self.commit(next, to: store) })
        }
    }

    private func finish(_ tickets: [Ticket], _ results: [Result<OperationOutcome, any Error>]) {
        for (ticket, result) in zip(tickets, results) {
            if let continuation = ticket.continuation {
                ticket.continuation = nil
                continuation.resume(with: result)
            } else {
                ticket.result = result
            }
        }
    }

    /// Decides a batch on the working state without a transaction and seals its journal
    /// entries; nil when it cannot be decided ahead.
    private func prepare(_ tickets: [Ticket], inFlight: [String: IdempotencyRecord]) async -> PreparedBatch? {
        let base = working
        var state = base.state
        var exchange = base.exchange
        var head = base.head
        let now = clock.now()
        var batch = BatchWriter(codec: codec)
        var outcomes: [OperationOutcome] = []
        outcomes.reserveCapacity(tickets.count)
        do {
            for ticket in tickets {
                switch ticket.operation {
                case .registry(let request):
                    outcomes.append(
                        .registry(
                            try await batch.apply(
                                request, requestHash: ticket.requestHash, to: &state, head: &head, policy: policy, now: now,
                                earlier: inFlight, tx: nil)))
                case .exchange(let request):
                    outcomes.append(
                        .exchange(
                            try await batch.apply(
                                request, requestHash: ticket.requestHash, to: &state, &exchange, head: &head, policy: policy,
                                exchangePolicy: exchangePolicy, now: now, earlier: inFlight, tx: nil)))
                case .ccer:
                    // CCER commands are rare: decided inside their own transaction (`process`).
                    return nil
                }
            }
        } catch {
            return nil
        }
        let journal = batch.pending.isEmpty ? nil : await batch.seal(expectedSeq: head.seq, after: base.head, now: now)
        return PreparedBatch(
            tickets: tickets, baseState: base.state, baseHead: base.head, state: state, exchange: exchange,
            head: journal?.head ?? base.head, journal: journal, changes: batch.changes, outcomes: outcomes,
            keys: tickets.map(\.operation.idempotencyKey), records: batch.records,
            audits: zip(tickets, outcomes).compactMap { ticket, outcome in ticket.audit?.record(outcome) })
    }

    /// Commits a prepared batch, off the actor: only if the journal head is still the one it
    /// was decided after and none of its keys is in the idempotency table.
    @concurrent
    private static func commit(_ batch: PreparedBatch, to store: any LedgerStore) async -> CommitResult {
        do {
            try await store.write { tx in
                guard try await tx.lockHead() == batch.baseHead else { throw SpeculationStale() }
                guard try await tx.idempotencyRecords(batch.keys).isEmpty else { throw SpeculationStale() }
                try await tx.appendAudit(batch.audits)
                guard let journal = batch.journal else { return }
                try await tx.writeState(before: batch.baseState, after: batch.state, changes: batch.changes)
                try await tx.append(journal)
            }
            return .committed
        } catch is SpeculationStale {
            return .stale
        } catch {
            return .failed(error)
        }
    }

    /// Decides and writes a batch inside one transaction, after catching up on entries other
    /// writers appended.
    private func process(_ tickets: [Ticket]) async -> [Result<OperationOutcome, any Error>] {
        let operations = tickets.map(\.operation)
        let audits = tickets.map(\.audit)
        let requestHashes = tickets.map(\.requestHash)
        let base = state
        let baseExchange = exchange
        let baseCCER = ccer
        let ccerPolicy = ccerPolicy
        let baseHead = head
        let policy = policy
        let exchangePolicy = exchangePolicy
        let now = clock.now()
        let codec = codec
        do {
            let holdsCCER = operations.contains { if case .ccer = $0 { true } else { false } }
            let (newState, newExchange, newCCER, newHead, newerCCERPolicy, outcomes) = try await store.write { tx in
                let locked = try await tx.lockHead()
                // CCER commands are decided under the rules in force when they commit: a version
                // published meanwhile (through this service, or by another process) is read here.
                let newerCCERPolicy = holdsCCER ? try await tx.ccerPolicy(newerThan: ccerPolicy.version) : nil
                let ccerPolicy = newerCCERPolicy ?? ccerPolicy
                var (state, exchange, ccer, head) = try await Self.catchUp(
                    tx, from: base, baseExchange, baseCCER, at: baseHead, to: locked, codec: codec)
                let start = head
                let before = state
                var batch = BatchWriter(codec: codec)
                let earlier = try await tx.idempotencyRecords(operations.map(\.idempotencyKey))
                var outcomes: [OperationOutcome] = []
                for (operation, requestHash) in zip(operations, requestHashes) {
                    switch operation {
                    case .registry(let request):
                        outcomes.append(
                            .registry(
                                try await batch.apply(
                                    request, requestHash: requestHash, to: &state, head: &head, policy: policy, now: now,
                                    earlier: earlier, tx: tx)))
                    case .exchange(let request):
                        outcomes.append(
                            .exchange(
                                try await batch.apply(
                                    request, requestHash: requestHash, to: &state, &exchange, head: &head, policy: policy,
                                    exchangePolicy: exchangePolicy, now: now, earlier: earlier, tx: tx)))
                    case .ccer(let request):
                        outcomes.append(
                            .ccer(
                                try await batch.apply(
                                    request, requestHash: requestHash, to: &state, &ccer, head: &head, policy: policy,
                                    ccerPolicy: ccerPolicy, now: now, earlier: earlier, tx: tx)))
                    }
                }
                try await tx.appendAudit(zip(audits, outcomes).compactMap { audit, outcome in audit?.record(outcome) })
                guard !batch.pending.isEmpty else { return (state, exchange, ccer, start, newerCCERPolicy, outcomes) }
                // Bodies are encoded and the chain sealed (child tasks) while this task writes
                // the projection rows; then the journal entries follow.
                let sealing = batch
                async let sealed = sealing.seal(expectedSeq: head.seq, after: start, now: now)
                try await tx.writeState(before: before, after: state, changes: batch.changes)
                let journal = await sealed
                try await tx.append(journal)
                return (state, exchange, ccer, journal.head, newerCCERPolicy, outcomes)
            }
            if let newerCCERPolicy { adopt(newerCCERPolicy) }
            state = newState
            exchange = newExchange
            ccer = newCCER
            head = newHead
            working = Working(state: newState, exchange: newExchange, head: newHead)
            return outcomes.map { .success($0) }
        } catch {
            return operations.map { _ in .failure(error) }
        }
    }

    /// Replays the entries between the cached head and the locked head.
    private static func catchUp(
        _ tx: any LedgerTransaction, from base: RegistryState, _ baseExchange: ExchangeState, _ baseCCER: CCERState,
        at baseHead: JournalHead, to locked: JournalHead, codec: LedgerCodec
    ) async throws -> (RegistryState, ExchangeState, CCERState, JournalHead) {
        guard locked != baseHead else { return (base, baseExchange, baseCCER, baseHead) }
        guard locked.seq > baseHead.seq else { throw LedgerFault.headMovedBack(cached: baseHead.seq, stored: locked.seq) }
        var state = base
        var exchange = baseExchange
        var ccer = baseCCER
        var head = baseHead
        var ignored = ChangeSet()
        while head.seq < locked.seq {
            let entries = try await tx.entries(after: head.seq, limit: 1_000)
            guard let last = entries.last else { throw LedgerFault.journalGap(after: head.seq) }
            for entry in entries {
                state.evolve(try codec.events(of: entry), changes: &ignored)
                exchange.evolve(try codec.exchangeEvents(of: entry))
                ccer.evolve(try codec.ccerEvents(of: entry))
            }
            head = last.head
        }
        return (state, exchange, ccer, head)
    }
}

public enum LedgerFault: Error, CustomStringConvertible {
    case headMovedBack(cached: Int64, stored: Int64)
    case journalGap(after: Int64)
    case badIdempotencyKey(String)
    /// The registry refused a movement of an accepted exchange command: a defect. The whole
    /// batch is discarded (nothing is written) and every caller in it gets this error.
    case exchangeMovementRejected(String)

    public var description: String {
        switch self {
        case .headMovedBack(let cached, let stored):
            "the journal head moved back from \(cached) to \(stored): restart the process"
        case .journalGap(let seq): "journal entries after \(seq) are missing"
        case .badIdempotencyKey(let reason): reason
        case .exchangeMovementRejected(let reason): "an exchange command's registry movement was rejected: \(reason)"
        }
    }
}

/// A batch decided ahead of its transaction (see `RegistryService.drain`).
private struct PreparedBatch: Sendable {
    var tickets: [Ticket]
    var baseState: RegistryState
    var baseHead: JournalHead
    var state: RegistryState
    var exchange: ExchangeState
    var head: JournalHead
    /// nil when every command of the batch was rejected.
    var journal: JournalAppend?
    var changes: ChangeSet
    var outcomes: [OperationOutcome]
    var keys: [String]
    var records: [String: IdempotencyRecord]
    /// The audit records of the tickets that carry a note, written in the batch's transaction.
    var audits: [AuditRecord]
    /// When its commit started.
    var started = ContinuousClock.Instant.now
}

/// What the writer did since the process started: batches committed as decided ahead, their
/// commands, and the time their transactions took (commit included); batches decided again
/// inside their transaction (`stale`) or decided there from the start (`inTransaction`).
public struct WriterStats: Sendable, Equatable {
    public var batches = 0
    public var commands = 0
    public var commitNanoseconds: Int64 = 0
    public var stale = 0
    public var inTransaction = 0
    /// Batches by size: ≤ 1, ≤ 4, ≤ 16, ≤ 64, ≤ 256, more.
    public var sizes = [Int](repeating: 0, count: WriterStats.sizeBounds.count + 1)
    public static let sizeBounds = [1, 4, 16, 64, 256]

    mutating func record(batch size: Int, commitNanoseconds duration: Duration) {
        batches += 1
        commands += size
        let (seconds, attoseconds) = duration.components
        commitNanoseconds += seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        sizes[Self.sizeBounds.firstIndex { size <= $0 } ?? Self.sizeBounds.count] += 1
    }
}

private enum CommitResult: Sendable {
    case committed
    /// Not written: the batch must be decided again inside its transaction.
    case stale
    case failed(any Error)
}

/// A batch decided ahead cannot stand: decide it again inside its transaction.
private struct SpeculationStale: Error {}

/// The accepted commands, idempotency records and changed keys of one transaction. Entries
/// are sealed at the end, once their bodies are encoded.
private struct BatchWriter: Sendable {
    struct Accepted {
        var kind: String
        var idempotencyKey: String
        var events: [RegistryEvent]
        /// Exchange entries only.
        var exchangeEvents: [ExchangeEvent]?
        /// CCER entries only.
        var ccerEvents: [CCEREvent]? = nil
    }

    let codec: LedgerCodec
    var pending: [Accepted] = []
    var records: [String: IdempotencyRecord] = [:]
    var receipts: [String: Receipt] = [:]
    var exchangeReceipts: [String: ExchangeReceipt] = [:]
    var ccerReceipts: [String: CCERReceipt] = [:]
    var changes = ChangeSet()

    mutating func apply(
        _ request: ExchangeRequest, requestHash: String, to state: inout RegistryState, _ exchange: inout ExchangeState,
        head: inout JournalHead, policy: RegistryPolicy, exchangePolicy: ExchangePolicy, now: Timestamp,
        earlier: [String: IdempotencyRecord], tx: (any LedgerTransaction)?
    ) async throws -> ExchangeOutcome {
        let key = request.idempotencyKey
        guard !key.isEmpty, key.utf8.count <= CommandRequest.maxIdempotencyKeyLength else {
            return .rejected(ExchangeError(.invalidInput, "idempotency key must be 1-\(CommandRequest.maxIdempotencyKeyLength) bytes"))
        }
        if let record = records[key] ?? earlier[key] {
            guard ExchangeRequest.sameRequest(record.requestHash, requestHash, request.command, codec: codec) else {
                return .rejected(ExchangeError(.idempotencyKeyReused, "idempotency key \(key) was used for a different command"))
            }
            if var receipt = exchangeReceipts[key] {
                receipt.replayed = true
                return .accepted(receipt)
            }
            guard let tx else { throw SpeculationStale() }
            guard let entry = try await tx.entry(record.seq) else { throw LedgerFault.journalGap(after: record.seq - 1) }
            return .accepted(
                ExchangeReceipt(
                    seq: record.seq, events: try codec.exchangeEvents(of: entry), registryEvents: try codec.events(of: entry),
                    replayed: true))
        }
        let decision: ExchangeDecision
        do {
            decision = try exchange.decide(request.command, at: now, registry: state, policy: exchangePolicy, registryPolicy: policy)
        } catch {
            return .rejected(error)
        }
        var registryEvents: [RegistryEvent] = []
        for command in decision.registry {
            do {
                let events = try state.decide(command, at: now, policy: policy)
                state.evolve(events, changes: &changes)
                registryEvents += events
            } catch {
                throw LedgerFault.exchangeMovementRejected("\(request.command.kind) → \(command.kind): \(error)")
            }
        }
        exchange.evolve(decision.events)
        head.seq += 1
        pending.append(
            Accepted(
                kind: ExchangeEntryBody.kindPrefix + request.command.kind, idempotencyKey: key, events: registryEvents,
                exchangeEvents: decision.events))
        records[key] = IdempotencyRecord(key: key, requestHash: requestHash, seq: head.seq)
        let receipt = ExchangeReceipt(seq: head.seq, events: decision.events, registryEvents: registryEvents, replayed: false)
        exchangeReceipts[key] = receipt
        return .accepted(receipt)
    }

    mutating func apply(
        _ request: CCERRequest, requestHash: String, to state: inout RegistryState, _ ccer: inout CCERState,
        head: inout JournalHead, policy: RegistryPolicy, ccerPolicy: CCERPolicy, now: Timestamp,
        earlier: [String: IdempotencyRecord], tx: any LedgerTransaction
    ) async throws -> CCEROutcome {
        let key = request.idempotencyKey
        guard !key.isEmpty, key.utf8.count <= CommandRequest.maxIdempotencyKeyLength else {
            return .rejected(.ccer(CCERError(.invalidArgument, "idempotency key must be 1-\(CommandRequest.maxIdempotencyKeyLength) bytes")))
        }
        if let record = records[key] ?? earlier[key] {
            guard record.requestHash == requestHash else {
                return .rejected(.registry(RegistryError(.idempotencyKeyReused, "idempotency key \(key) was used for a different command")))
            }
            if var receipt = ccerReceipts[key] {
                receipt.replayed = true
                return .accepted(receipt)
            }
            guard let entry = try await tx.entry(record.seq) else { throw LedgerFault.journalGap(after: record.seq - 1) }
            return .accepted(
                CCERReceipt(
                    seq: record.seq, events: try codec.ccerEvents(of: entry), registryEvents: try codec.events(of: entry),
                    entryHash: entry.hash, replayed: true))
        }
        let decision: CCERDecision
        do {
            decision = try ccer.decide(
                request.command, at: now, policy: ccerPolicy, registry: state, registryPolicy: policy, entrySeq: head.seq + 1)
        } catch {
            return .rejected(error)
        }
        state.evolve(decision.registry, changes: &changes)
        ccer.evolve(decision.events)
        head.seq += 1
        pending.append(
            Accepted(
                kind: CCEREntryBody.kindPrefix + request.command.kind, idempotencyKey: key, events: decision.registry,
                exchangeEvents: nil, ccerEvents: decision.events))
        records[key] = IdempotencyRecord(key: key, requestHash: requestHash, seq: head.seq)
        // The entry hash is known once the batch is sealed; the receipt carries it only on a replay.
        let receipt = CCERReceipt(seq: head.seq, events: decision.events, registryEvents: decision.registry, entryHash: nil, replayed: false)
        ccerReceipts[key] = receipt
        return .accepted(receipt)
    }

    mutating func apply(
        _ request: CommandRequest, requestHash: String, to state: inout RegistryState, head: inout JournalHead,
        policy: RegistryPolicy, now: Timestamp, earlier: [String: IdempotencyRecord], tx: (any LedgerTransaction)?
    ) async throws -> CommandOutcome {
        let key = request.idempotencyKey
        guard !key.isEmpty, key.utf8.count <= CommandRequest.maxIdempotencyKeyLength else {
            return .rejected(
                RegistryError(
                    .invalidArgument,
                    "idempotency key must be 1-\(CommandRequest.maxIdempotencyKeyLength) bytes"))
        }
        if let record = records[key] ?? earlier[key] {
            guard record.requestHash == requestHash else {
                return .rejected(
                    RegistryError(.idempotencyKeyReused, "idempotency key \(key) was used for a different command"))
            }
            if var receipt = receipts[key] {
                receipt.replayed = true
                return .accepted(receipt)
            }
            guard let tx else { throw SpeculationStale() }
            guard let entry = try await tx.entry(record.seq) else { throw LedgerFault.journalGap(after: record.seq - 1) }
            return .accepted(Receipt(seq: record.seq, events: try codec.events(of: entry), replayed: true))
        }
        if let reserved = Self.exchangeReserved(request.command) ?? CCEREntryBody.reservedReason(request.command) {
            return .rejected(RegistryError(.invalidArgument, reserved))
        }
        let events: [RegistryEvent]
        do {
            events = try state.decide(request.command, at: now, policy: policy)
        } catch {
            return .rejected(error)
        }
        state.evolve(events, changes: &changes)
        head.seq += 1
        pending.append(Accepted(kind: request.command.kind, idempotencyKey: key, events: events, exchangeEvents: nil))
        records[key] = IdempotencyRecord(key: key, requestHash: requestHash, seq: head.seq)
        let receipt = Receipt(seq: head.seq, events: events, replayed: false)
        receipts[key] = receipt
        return .accepted(receipt)
    }

    /// Lock ids and deal ids the exchange names are the exchange's: a registry command from
    /// outside (CLI, batch file) may not create, release or consume them, or the books and the
    /// registry would disagree.
    static func exchangeReserved(_ command: RegistryCommand) -> String? {
        switch command {
        case .lock(let lock, _, _, _, _), .unlock(let lock, _):
            return ExchangeState.isExchangeLock(lock) ? "lock \(lock) belongs to the exchange" : nil
        case .settle(let deal, _, _, _, _, _, _, let sellerLock, let buyerLock):
            if deal.rawValue.hasPrefix("DL-") { return "deal numbers DL-… are the exchange's" }
            if let lock = [sellerLock, buyerLock].compactMap({ $0 }).first(where: ExchangeState.isExchangeLock) {
                return "lock \(lock) belongs to the exchange"
            }
            return nil
        default:
            return nil
        }
    }

    /// Encodes the bodies (on both cores), then seals the hash chain in order after `previous`.
    func seal(expectedSeq: Int64, after previous: JournalHead, now: Timestamp) async -> JournalAppend {
        let bodies = await Parallel.map(pending) { codec, accepted in
            if let exchange = accepted.exchangeEvents {
                return codec.encodeBody(ExchangeEntryBody(exchange: exchange, registry: accepted.events))
            }
            if let ccer = accepted.ccerEvents {
                return codec.encodeBody(CCEREntryBody(ccer: ccer, registry: accepted.events))
            }
            return codec.encodeBody(accepted.events)
        }
        var chain = previous
        var entries: [JournalEntry] = []
        var indexes: [EntryIndex] = []
        entries.reserveCapacity(pending.count)
        for (accepted, body) in zip(pending, bodies) {
            let entry = JournalEntry.sealed(
                after: chain, recordedAt: now, kind: accepted.kind, idempotencyKey: accepted.idempotencyKey, body: body)
            chain = entry.head
            entries.append(entry)
            indexes.append(EntryIndex(seq: entry.seq, postings: accepted.events.flatMap(\.postings), named: accepted.events.flatMap(\.accounts)))
        }
        precondition(chain.seq == expectedSeq, "sealed up to \(chain.seq), expected \(expectedSeq)")
        return JournalAppend(entries: entries, indexes: indexes, idempotency: Array(records.values), head: chain)
    }
}

/// Splits pure, CPU-bound work over the machine's cores, keeping the order.
enum Parallel {
    static let minimumPerTask = 64
    /// Read once: `ProcessInfo` reads the cgroup files on every call.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static func map<T: Sendable, R: Sendable>(
        _ items: [T], _ transform: @escaping @Sendable (LedgerCodec, T) -> R
    ) async -> [R] {
        let cores = Self.cores
        let chunk = max(minimumPerTask, (items.count + cores - 1) / cores)
        guard items.count > chunk else {
            let codec = LedgerCodec()
            return items.map { transform(codec, $0) }
        }
        return await withTaskGroup(of: (Int, [R]).self) { group in
            for start in stride(from: 0, to: items.count, by: chunk) {
                let slice = Array(items[start..<min(start + chunk, items.count)])
                group.addTask {
                    let codec = LedgerCodec()
                    return (start, slice.map { transform(codec, $0) })
                }
            }
            var parts: [(Int, [R])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }
}

final class Ticket: @unchecked Sendable {
    // Touched only on the RegistryService actor.
    let operation: LedgerOperation
    let requestHash: String
    let audit: AuditNote?
    var result: Result<OperationOutcome, any Error>?
    var continuation: CheckedContinuation<OperationOutcome, any Error>?

    init(operation: LedgerOperation, requestHash: String, audit: AuditNote? = nil) {
        self.operation = operation
        self.requestHash = requestHash
        self.audit = audit
    }
}

/// The system clock.
public struct SystemClock: LedgerClock {
    public init() {}
    public func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}

extension ExchangeRequest {
    /// Prefix of the request hashes written since migration 13's release: the command's JSON
    /// from the streaming encoder (keys in declaration order, the same in every process), about
    /// a fifth of the cost of the sorted-keys `JSONEncoder` on the order path.
    static let requestHashPrefix = "x2:"

    static func requestHash(_ command: ExchangeCommand) -> String {
        requestHashPrefix + sha256Hex("exchange\n" + StreamingJSON.encode(command))
    }

    /// Whether a stored idempotency record's hash is this request's. Records written before the
    /// prefix existed hold the sorted-keys hash, recomputed here (a retry of an old key only).
    static func sameRequest(_ stored: String, _ hash: String, _ command: ExchangeCommand, codec: LedgerCodec) -> Bool {
        if stored.hasPrefix(requestHashPrefix) { return stored == hash }
        return stored == sha256Hex("exchange\n" + codec.encode(command))
    }
}
