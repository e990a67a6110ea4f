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
/// is answered 409 IDEMPOTENCY_IN_PROGRESS rather than running the stage again at once.
///
/// A key left in progress by a request that died (the server stopped before its write, or
/// before a stage run's completion) is not held for ever: once it has been held longer than
/// the server's takeover bound (`takeoverSeconds`, far longer than a request runs), a retry
/// of the same request takes it over and runs (migration 25's `claimed_at`); a stage run
/// then finds its stage done and answers it as such. Should the first request still be
/// running after all, at most one of the two completes an operation whose store completes the
/// key in its write (the other's write finds the key done and rolls back: 409); the first
/// one's release and after-run completion no longer match the key.
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
    /// Stores the answer of the request that holds the key (a row in progress with this hash,
    /// held since `claimedAt`); false when it no longer does (taken over, released, expired):
    /// nothing is stored.
    func completeIdempotencyKey(_ scope: IdempotencyScope, requestSHA256: String, claimedAt: Timestamp, response: StoredAPIResponse) async throws
        -> Bool
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
    /// takes it over: an hour, far beyond any request's run (the key is claimed once the body
    /// has arrived). The server's configuration may set another number, 60 s to a day
    /// (`openets serve --idempotency-takeover-seconds`); one shorter than the longest cycle
    /// stage run lets a retry run a stage still running (its commands replay by their keys).
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

/// One request's run under a stored key, as the API's operations and the web's policy forms
/// run them: the claim (a key left by a dead request taken over after the bound), the run,
/// and the key freed again when the run's store raised. What the caller answers in each case
/// is its own (`IdempotentRequest.Outcome`).
public struct IdempotentRequest: Sendable {
    public let store: any APIIdempotencyStore
    public let scope: IdempotencyScope
    public let requestSHA256: String
    /// When the key is claimed: the claim's time, which its release names.
    public let at: Timestamp
    public let retentionDays: Int
    public let takeoverSeconds: Int

    public init(
        store: any APIIdempotencyStore, scope: IdempotencyScope, requestSHA256: String, at: Timestamp,
        retentionDays: Int = APIIdempotency.defaultRetentionDays, takeoverSeconds: Int = APIIdempotency.defaultTakeoverSeconds
    ) {
        self.store = store
        self.scope = scope
        self.requestSHA256 = requestSHA256
        self.at = at
        self.retentionDays = retentionDays
        self.takeoverSeconds = takeoverSeconds
    }

    public enum Outcome<Answer> {
        /// The key was used for another request: nothing ran.
        case reused
        /// The same request holds the key (since less than the bound), or the run's write found
        /// it no longer held and rolled back (`IdempotencyKeyNotHeld`): nothing was done.
        case inProgress
        /// The same request ran to its end before: its stored answer. Nothing ran.
        case completed(StoredAPIResponse)
        /// The run's answer. A caller whose answer stored nothing frees the key (`release`) or
        /// stores the answer after (`complete`); a write that completed the key did both.
        case ran(Answer)
    }

    /// The completion of the held key with `response`, for the run's write to commit with it.
    public func completion(_ response: StoredAPIResponse) -> IdempotencyCompletion {
        IdempotencyCompletion(scope: scope, requestSHA256: requestSHA256, response: response)
    }

    /// Claims the key, then runs `act` if it is this request's now. `tookOver` hears of a key
    /// taken over from a dead request (for the audit log) before `act` runs. An error `act`
    /// throws other than `IdempotencyKeyNotHeld` frees the key and is thrown on.
    public func run<Answer>(
        tookOver: (_ heldSince: Timestamp) async -> Void, _ act: () async throws -> Answer
    ) async throws -> Outcome<Answer> {
        switch try await store.claimIdempotencyKey(
            scope, requestSHA256: requestSHA256, at: at, expiredBefore: APIIdempotency.expiry(at: at, retentionDays: retentionDays),
            abandonedBefore: APIIdempotency.abandonment(at: at, takeoverSeconds: takeoverSeconds))
        {
        case .reused: return .reused
        case .inProgress: return .inProgress
        case .completed(let stored): return .completed(stored)
        case .takenOver(let heldSince): await tookOver(heldSince)
        case .claimed: break
        }
        do {
            return .ran(try await act())
        } catch is IdempotencyKeyNotHeld {
            // The write rolled back with its key's completion: nothing was done.
            return .inProgress
        } catch {
            // The run's store raised (its transaction rolled back): the key is free again.
            try? await release()
            throw error
        }
    }

    /// Frees the key this request holds (its run ended without acting).
    public func release() async throws {
        try await store.releaseIdempotencyKey(scope, requestSHA256: requestSHA256, claimedAt: at)
    }

    /// Stores the answer of a run that wrote nothing with the key; false when this request no
    /// longer holds it (another took it over): its answer is then not the key's.
    @discardableResult
    public func complete(_ response: StoredAPIResponse) async throws -> Bool {
        try await store.completeIdempotencyKey(scope, requestSHA256: requestSHA256, claimedAt: at, response: response)
    }
}
