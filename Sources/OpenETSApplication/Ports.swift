import OpenETSDomain

/// Where "now" comes from. Tests use a fixed or stepping clock.
public protocol LedgerClock: Sendable {
    func now() -> Timestamp
}

/// The last journal entry: its sequence number and hash. Sequence 0 is the empty journal.
public struct JournalHead: Hashable, Sendable, Codable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    public static let genesis = JournalHead(seq: 0, hash: String(repeating: "0", count: 64))
}

/// An idempotency key's first use: the request it carried and the journal entry it produced.
public struct IdempotencyRecord: Hashable, Sendable {
    public var key: String
    public var requestHash: String
    public var seq: Int64

    public init(key: String, requestHash: String, seq: Int64) {
        self.key = key
        self.requestHash = requestHash
        self.seq = seq
    }
}

/// What the store indexes beside a journal entry: its double-entry postings (one row, as
/// JSON) and every account whose history shows it, posted to or not (freezes, account changes).
public struct EntryIndex: Hashable, Sendable {
    public var seq: Int64
    public var postings: [Posting]
    /// `postings` as one JSON array (`PostingsJSON`): the store keeps one row per entry.
    public var encodedPostings: String
    /// Every account the entry names, sorted: the account index.
    public var accounts: [String]

    /// `named`: the accounts the entry's events name; posted accounts are added.
    public init(seq: Int64, postings: [Posting], named: [AccountID]) {
        self.seq = seq
        self.postings = postings
        self.encodedPostings = PostingsJSON.encode(postings)
        // A handful of accounts per entry: sorting and dropping neighbours is cheaper than a Set.
        var accounts = postings.map(\.account)
        accounts.reserveCapacity(accounts.count + named.count)
        for id in named { accounts.append(id.rawValue) }
        accounts.sort()
        var unique = 0
        for index in accounts.indices where unique == 0 || accounts[unique - 1] != accounts[index] {
            accounts.swapAt(unique, index)
            unique += 1
        }
        accounts.removeLast(accounts.count - unique)
        self.accounts = accounts
    }
}

/// The journal side of one write transaction: sealed entries, their indexes, the idempotency
/// records of their keys, and the new head.
public struct JournalAppend: Sendable {
    public var entries: [JournalEntry]
    public var indexes: [EntryIndex]
    public var idempotency: [IdempotencyRecord]
    public var head: JournalHead

    public init(entries: [JournalEntry], indexes: [EntryIndex], idempotency: [IdempotencyRecord], head: JournalHead) {
        self.entries = entries
        self.indexes = indexes
        self.idempotency = idempotency
        self.head = head
    }
}

/// One write transaction. `lockHead` comes first: it serialises writers (all processes) on
/// the journal head, so each transaction sees every earlier commit.
public protocol LedgerTransaction {
    func lockHead() async throws -> JournalHead
    func entries(after seq: Int64, limit: Int) async throws -> [JournalEntry]
    func entry(_ seq: Int64) async throws -> JournalEntry?
    func idempotencyRecords(_ keys: [String]) async throws -> [String: IdempotencyRecord]
    /// Writes the projection rows of the keys in `changes`, as the difference between the
    /// state before the transaction's commands and after them.
    func writeState(before: RegistryState, after: RegistryState, changes: ChangeSet) async throws
    /// Appends the journal entries and moves the head. The transaction commits when the
    /// `LedgerStore.write` body returns.
    func append(_ journal: JournalAppend) async throws
    /// Appends audit records in this transaction (commands audited with their own commit).
    func appendAudit(_ records: [AuditRecord]) async throws
    /// Stores `policy` as the next version of the CCER rules (`LedgerStore.publishCCERPolicy`)
    /// in this transaction, so its audit line commits with it; returns the version.
    func publishCCERPolicy(_ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp) async throws -> Int
    /// The newest stored CCER rules if their version is above `version` (another process or
    /// publication committed them), else nil: read under the head lock, so the batch is
    /// decided under the version in force when it commits.
    func ccerPolicy(newerThan version: Int) async throws -> CCERPolicy?
    /// Completes an API Idempotency-Key (`api_idempotency`) as this transaction's write, so the
    /// write and its key commit together; `IdempotencyKeyNotHeld` (and a rollback) when the
    /// key is not in progress for this request.
    func completeIdempotencyKey(_ completion: IdempotencyCompletion) async throws
}

/// The registry's durable store: a hash-chained journal plus projection tables.
public protocol LedgerStore: AccessStore, APIIdempotencyStore {
    /// Applies the numbered migrations not yet applied.
    func migrate() async throws
    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func write<T>(_ body: (any LedgerTransaction) async throws -> T) async throws -> T
    /// The projection tables, read into a state. Not synchronised with writers: for a state
    /// that matches a journal head, use `snapshot()`.
    func loadState() async throws -> RegistryState
    /// The projection and the head at one instant: read while holding the head lock, so no
    /// writer commits in between.
    func snapshot() async throws -> LedgerSnapshot
    func head() async throws -> JournalHead
    func journal(after seq: Int64, limit: Int) async throws -> [JournalEntry]
    /// Stored postings of the entries `seqs`, per entry.
    func postings(after seq: Int64, through last: Int64) async throws -> [Int64: [Posting]]
    /// Entries whose postings or events touch `account`, newest first.
    func history(account: AccountID, limit: Int) async throws -> [JournalEntry]
    /// The registry policy in force (the latest version).
    func policy() async throws -> RegistryPolicy
    /// Publishes a new policy version; running services read it when they next open.
    func publishPolicy(_ policy: RegistryPolicy, effectiveFrom: String, note: String) async throws -> Int
    /// Exchange entries (kind `exchange.…`) with `seq` in (after, through], oldest first.
    func exchangeJournal(after seq: Int64, through last: Int64, limit: Int) async throws -> [JournalEntry]
    /// The trading rules in force (the latest published version, or `ExchangePolicy.standard`).
    func exchangePolicy() async throws -> ExchangePolicy
    /// Publishes a new version of the trading rules; running services read it when they next open.
    func publishExchangePolicy(_ policy: ExchangePolicy, effectiveFrom: String, note: String) async throws -> Int
    /// CCER entries (kind `ccer.…`) with `seq` in (after, through], oldest first.
    func ccerJournal(after seq: Int64, through last: Int64, limit: Int) async throws -> [JournalEntry]
    /// The CCER rules in force (the latest published version, or `CCERPolicy.standard`).
    func ccerPolicy() async throws -> CCERPolicy
    /// Publishes a new version of the CCER rules; running services read it when they next open.
    /// With `audit`, its line (`accepted vN`) is written in the same transaction.
    func publishCCERPolicy(_ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp, audit: AuditNote?) async throws -> Int
    /// Every published version of the CCER rules without the rules, oldest first (the
    /// built-in version 1 is not stored).
    func ccerPolicyVersions() async throws -> [CCERPolicyHeader]
    /// One published version of the CCER rules, or nil.
    func ccerPolicy(version: Int) async throws -> StoredCCERPolicy?
    /// The newest published version's number (the built-in 1 when none is stored).
    func latestCCERPolicyVersion() async throws -> Int
    func close() async throws
}

/// The projection tables and the journal head, read together.
public struct LedgerSnapshot: Sendable {
    public var state: RegistryState
    public var head: JournalHead
    /// The highest sequence number in the journal table; above `head.seq` only if rows were inserted.
    public var lastJournalSeq: Int64

    public init(state: RegistryState, head: JournalHead, lastJournalSeq: Int64) {
        self.state = state
        self.head = head
        self.lastJournalSeq = lastJournalSeq
    }
}

/// A policy version that cannot be published (`RegistryPolicy.problems()`); nothing is stored.
public struct PolicyRejected: Error, Hashable, Sendable, CustomStringConvertible {
    public static let code = "POLICY_INVALID"
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String { "\(Self.code): " + problems.joined(separator: "; ") }
}
