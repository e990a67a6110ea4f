import OpenETSDomain

/// The API's stored Idempotency-Keys for the operations whose writes are not registry, exchange,
/// CCER or MRV commands (those store their key in their own journal's idempotency table): plan
/// load and publish, a penalty notice paid, an application decided or resubmitted (migration 24,
/// table `api_idempotency`; docs/api.md, "Idempotency").
///
/// A key is claimed before the operation runs (a row "in progress"). An operation whose store
/// takes an `IdempotencyCompletion` (plan load and publish, penalty notices issued and paid,
/// an application decided or resubmitted, an MRV policy version published) completes the key
/// with its answer in the write's own transaction: the write and its key commit together, or
/// neither does. A cycle stage run (many transactions) completes it after the run, in a
/// transaction of its own, so a crash between the two leaves the row in progress, and a retry
/// is answered 409 IDEMPOTENCY_IN_PROGRESS rather than acting twice.
///
/// A key left in progress by a request that died (the server stopped before its write) is
/// not held for ever: once it has been held longer than the server's takeover bound
/// (`takeoverSeconds`, longer than any request may run), a retry of the same request takes it
/// over and runs (migration 25's `claimed_at`). Should the first request still be running
/// after all, at most one of the two completes an operation whose store completes the key in
/// its write (the other's write finds the key done and rolls back: 409); the first one's
/// release no longer frees the key.
public struct IdempotencyScope: Hashable, Sendable {
    /// The caller: a user id, or `applicant:<application id>` for an anonymous applicant
    /// holding the application's secret reference. Keys of two callers never collide.
    public var user: String
    /// The API operation id (`loadAllocationPlan`, ...).
    public var operation: String
    /// The client's Idempotency-Key (1-64 printable ASCII characters).
    public var key: String

    public init(user: String, operation: String, key: String) {
        self.user = user
        self.operation = operation
        self.key = key
    }
}

/// An answer as stored: its HTTP status and JSON body.
public struct StoredAPIResponse: Hashable, Sendable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// A claimed key's completion, written by the operation's store in the transaction of the
/// write it answers (`api_idempotency`'s row of `scope` and `requestSHA256`, still in progress,
/// gets `response`). When the row is not that (released, expired and deleted, another
/// request's), the store throws `IdempotencyKeyNotHeld` and the whole transaction rolls back:
/// nothing is written that its key does not record.
public struct IdempotencyCompletion: Hashable, Sendable {
    public var scope: IdempotencyScope
    public var requestSHA256: String
    /// The answer a retry with the key gets.
    public var response: StoredAPIResponse

    public init(scope: IdempotencyScope, requestSHA256: String, response: StoredAPIResponse) {
        self.scope = scope
        self.requestSHA256 = requestSHA256
        self.response = response
    }
}

/// The write's store found no row in progress for the key it was to complete: the write was
/// rolled back with it and nothing was done.
public struct IdempotencyKeyNotHeld: Error, Hashable, Sendable {
    public var scope: IdempotencyScope

    public init(scope: IdempotencyScope) { self.scope = scope }
}

/// What a claim finds.
public enum IdempotencyClaim: Hashable, Sendable {
    /// The key is new: it is now held for this request, which runs and then completes it.
    case claimed
    /// The same request ran to its end: its answer.
    case completed(StoredAPIResponse)
    /// A request the same as this one held the key since `heldSince` without completing it,
    /// longer than the takeover bound (it died): the key is now held for this request, as
    /// `claimed`.
    case takenOver(heldSince: Timestamp)
    /// The same request holds the key and has not completed (running, or the server stopped
    /// less than the takeover bound ago).
    case inProgress
    /// The key was used for another request (another operation's parameters or body).
    case reused
}

/// The store of the API's keys (migration 24).
public protocol APIIdempotencyStore: Sendable {
    /// In one transaction: deletes the keys created before `expiredBefore` (every caller's),
    /// then finds `scope`'s row or inserts it in progress with `requestSHA256`, held `at`. A
    /// row of the same request in progress since before `abandonedBefore` is taken over: held
    /// `at` from now on.
    func claimIdempotencyKey(
        _ scope: IdempotencyScope, requestSHA256: String, at: Timestamp, expiredBefore: Timestamp, abandonedBefore: Timestamp
    ) async throws -> IdempotencyClaim
    /// Stores the answer of the request that holds the key (a row in progress with this hash).
    func completeIdempotencyKey(_ scope: IdempotencyScope, requestSHA256: String, response: StoredAPIResponse) async throws
    /// Frees a key still in progress and held since `claimedAt` (the `at` of the claim): the
    /// request ended without acting (a refusal that is not stored, or an error of the store
    /// whose transaction rolled back). A key taken over since is left to its new holder.
    func releaseIdempotencyKey(_ scope: IdempotencyScope, requestSHA256: String, claimedAt: Timestamp) async throws
}

public enum APIIdempotency {
    /// Days a key is kept by default: a key older than this is deleted (at the next claim of any
    /// key) and may then act again. Clients retry within minutes; 30 days bounds the table. The
    /// server's configuration may set another number (`openets serve --idempotency-retention-days`).
    public static let defaultRetentionDays = 30
    static let dayMilliseconds: Int64 = 86_400_000

    /// Seconds a key may be held in progress by default before a retry of the same request
    /// takes it over: an hour, far beyond any request's deadline (a large body must arrive
    /// within 600 s by default). The server's configuration may set another number
    /// (`openets serve --idempotency-takeover-seconds`), always longer than its body deadline.
    public static let defaultTakeoverSeconds = 3_600

    /// The claim time before which a key still in progress at `now` is taken over.
    public static func abandonment(at now: Timestamp, takeoverSeconds: Int = defaultTakeoverSeconds) -> Timestamp {
        precondition(takeoverSeconds >= 1, "a key is held at least a second")
        return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(takeoverSeconds) * 1_000)
    }

    /// The oldest creation time still kept at `now` when keys are kept `retentionDays` (≥ 1).
    public static func expiry(at now: Timestamp, retentionDays: Int = defaultRetentionDays) -> Timestamp {
        precondition(retentionDays >= 1, "keys are kept at least one day")
        return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(retentionDays) * dayMilliseconds)
    }

    /// SHA-256 (hex) of one request: the operation, its path parameters and its canonical body,
    /// each prefixed with its length in bytes, so no two different requests give the same text.
    public static func requestSHA256(operation: String, parameters: [String], body: String) -> String {
        var text = "openets-api-request-v1\n"
        for part in [operation] + parameters + [body] {
            text += "\(part.utf8.count):\(part)\n"
        }
        return sha256Hex(text)
    }
}
