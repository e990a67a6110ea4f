import OpenETSDomain

/// The result of `openets registry verify`.
public struct VerifyReport: Sendable, Codable {
    public var ok: Bool
    public var entries: Int64
    public var headSeq: Int64
    public var headHash: String
    /// The first journal entry found altered, missing or inserted, if any.
    public var firstBadEntry: Int64?
    public var problems: [String]
    public var supply: [UnitSupply]
}

/// Checks a store end to end:
/// 1. the hash chain: sequence numbers contiguous from 1, each `prevHash` the hash of the entry
///    before, each `hash` recomputed from the content, the head row naming the last entry;
/// 2. double entry: stored postings equal the postings of the entry's events, and sum to zero
///    per asset;
/// 3. replay: every event applies cleanly, and the replayed state equals the projection tables;
/// 4. invariants of the replayed state: conservation per unit type (issued − cancelled = held),
///    no negative holding, each serial in one place, freezes, funds conservation.
public struct LedgerVerifier {
    public static let pageSize = 2_000
    public static let maxProblems = 50

    let store: any LedgerStore
    let codec = LedgerCodec()

    public init(store: any LedgerStore) { self.store = store }

    public func verify() async throws -> VerifyReport {
        // The projection and head at one instant; entries appended later are not examined.
        let snapshot = try await store.snapshot()
        let head = snapshot.head
        var replayed = RegistryState()
        var exchange = ExchangeState()
        var ccer = CCERState()
        var ignored = ChangeSet()
        var problems: [String] = []
        var firstBad: Int64?
        var previous = JournalHead.genesis
        func fail(_ seq: Int64, _ message: String) {
            if firstBad == nil { firstBad = seq }
            problems.append("entry \(seq): \(message)")
        }
        let lastSeq = max(head.seq, snapshot.lastJournalSeq)
        chain: while previous.seq < lastSeq {
            let page = try await store.journal(after: previous.seq, limit: Self.pageSize).filter { $0.seq <= lastSeq }
            guard let last = page.last else { break }
            let stored = try await store.postings(after: previous.seq, through: last.seq)
            for entry in page {
                let expected = previous.seq + 1
                if entry.seq != expected {
                    fail(expected, "missing (the next stored entry is \(entry.seq))")
                    break chain
                }
                if entry.prevHash != previous.hash {
                    fail(entry.seq, "does not chain to entry \(previous.seq) (entry \(previous.seq) or \(entry.seq) was altered, or one was inserted)")
                    break chain
                }
                if entry.computedHash != entry.hash {
                    fail(entry.seq, "content does not match its hash (edited)")
                    break chain
                }
                guard let events = try? codec.events(of: entry) else {
                    fail(entry.seq, "body is not a list of registry events")
                    break chain
                }
                if let problem = check(events, stored[entry.seq] ?? [], against: replayed) {
                    fail(entry.seq, problem)
                    break chain
                }
                guard let exchangeEvents = try? codec.exchangeEvents(of: entry) else {
                    fail(entry.seq, "body is not an exchange entry")
                    break chain
                }
                // Applied in place as they are checked: after a problem the walk stops anyway.
                var exchangeProblem: String?
                for event in exchangeEvents {
                    if let problem = exchange.problem(applying: event) { exchangeProblem = problem; break }
                    exchange.evolve(event)
                }
                if let exchangeProblem {
                    fail(entry.seq, "exchange events cannot be replayed: \(exchangeProblem)")
                    break chain
                }
                guard let ccerEvents = try? codec.ccerEvents(of: entry) else {
                    fail(entry.seq, "body is not a CCER entry")
                    break chain
                }
                if let problem = Self.ccerProblem(ccerEvents, in: entry, state: &ccer) {
                    fail(entry.seq, "CCER events cannot be replayed: \(problem)")
                    break chain
                }
                replayed.evolve(events, changes: &ignored)
                previous = entry.head
            }
        }
        if firstBad == nil && previous != head {
            if previous.seq > head.seq {
                fail(head.seq + 1, "beyond the head (head records entry \(head.seq)): inserted")
            } else {
                fail(previous.seq + 1, "missing: the head records entry \(head.seq) with hash \(head.hash.prefix(12))…")
            }
        }
        if firstBad == nil {
            problems += compareProjection(snapshot.state, with: replayed)
            problems += replayed.invariantViolations()
            // The books rebuilt from the exchange entries hold exactly the registry's trading locks.
            problems += ExchangeMarket(registry: replayed, exchange: exchange, registryPolicy: .defaults, policy: .standard)
                .lockViolations()
            problems += Self.ccerViolations(ccer, registry: replayed)
        }
        return VerifyReport(
            ok: problems.isEmpty, entries: previous.seq, headSeq: head.seq, headHash: head.hash, firstBadEntry: firstBad,
            problems: Array(problems.prefix(Self.maxProblems)), supply: replayed.supply())
    }

    /// Applies the CCER events of `entry` to `state`, or names the first that cannot apply.
    static func ccerProblem(_ events: [CCEREvent], in entry: JournalEntry, state: inout CCERState) -> String? {
        for event in events {
            if let problem = state.problem(applying: event) { return problem }
            if case .neutralityCertified(let certificate) = event, certificate.entrySeq != entry.seq {
                return "certificate \(certificate.number) names entry \(certificate.entrySeq)"
            }
            state.evolve(event)
        }
        return nil
    }

    /// The CCER records agree with the registry: each issued period's unit type was issued in
    /// full to the owner's account at first; each neutrality certificate is the registry's
    /// cancellation certificate of the same serials.
    static func ccerViolations(_ ccer: CCERState, registry: RegistryState) -> [String] {
        var problems: [String] = []
        for project in ccer.projectsInOrder {
            for period in project.periods {
                guard let order = period.issuance else { continue }
                if registry.unitTypes[order.unitType]?.issuedQuantity != order.quantity {
                    problems.append("CCER issuance \(order.unitType) does not match the registry's issued quantity")
                }
            }
        }
        for (number, certificate) in ccer.certificates.sorted(by: { $0.key < $1.key }) {
            guard let cancelled = registry.certificates[number], cancelled.lot.serials == certificate.serials,
                cancelled.lot.quantity == certificate.claim.quantity, cancelled.unit == certificate.claim.unit
            else {
                problems.append("neutrality certificate \(number) does not match the registry's cancellation certificate")
                continue
            }
        }
        return problems
    }

    private func check(_ events: [RegistryEvent], _ stored: [Posting], against state: RegistryState) -> String? {
        let derived = events.flatMap(\.postings)
        if derived != stored { return "stored postings differ from the entry's events" }
        var sums: [String: Int64] = [:]
        for posting in derived { sums[posting.asset, default: 0] += posting.amount }
        if let asset = sums.first(where: { $0.value != 0 })?.key { return "postings of \(asset) do not balance" }
        var probe = state
        var ignored = ChangeSet()
        for event in events {
            if let problem = probe.problem(applying: event) { return "cannot be replayed: \(problem)" }
            probe.evolve(event, changes: &ignored)
        }
        return nil
    }

    /// Differences between the projection tables and the replayed journal.
    private func compareProjection(_ stored: RegistryState, with replayed: RegistryState) -> [String] {
        var problems: [String] = []
        func diff<K: Hashable & Comparable, V: Equatable>(_ name: String, _ a: [K: V], _ b: [K: V]) {
            for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
                problems.append("projection \(name) \(key) differs from the journal")
                if problems.count >= Self.maxProblems { return }
            }
        }
        diff("account", stored.accounts, replayed.accounts)
        diff("unit type", stored.unitTypes, replayed.unitTypes)
        diff("holding", stored.holdings, replayed.holdings)
        diff("cash", stored.cashFen, replayed.cashFen)
        diff("freeze", stored.freezes, replayed.freezes)
        diff("transfer", stored.transfers, replayed.transfers)
        diff("certificate", stored.certificates, replayed.certificates)
        diff("surrender", stored.surrendered, replayed.surrendered)
        diff("settlement", stored.settlements.dictionary, replayed.settlements.dictionary)
        diff("trading lock", stored.locks, replayed.locks)
        diff("locked funds", stored.lockedFen, replayed.lockedFen)
        if stored.fundsDepositedFen != replayed.fundsDepositedFen || stored.fundsWithdrawnFen != replayed.fundsWithdrawnFen {
            problems.append("projection funds totals differ from the journal")
        }
        return problems
    }
}
