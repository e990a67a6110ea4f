import OpenETSApplication
import OpenETSDomain

/// The API's stored Idempotency-Keys (migrations 24, 25): one row per (caller, operation, key),
/// `status` 0 while the request that claimed it runs (since `claimed_at`), then the answer's
/// HTTP status and body.
extension SQLLedgerStore {
    public func claimIdempotencyKey(
        _ scope: IdempotencyScope, requestSHA256: String, at now: Timestamp, expiredBefore: Timestamp, abandonedBefore: Timestamp
    ) async throws -> IdempotencyClaim {
        try await database.transaction { sql in
            // The bound: keys past the retention window go first (an index on created_at).
            try await sql.execute("DELETE FROM api_idempotency WHERE created_at < $1", [.int(expiredBefore.millisecondsSinceEpoch)])
            // Twice at most: a row another transaction deletes (a release, a sweep) between the
            // INSERT that met it and the SELECT (PostgreSQL, READ COMMITTED) is tried again.
            for _ in 0..<2 {
                if let claim = try await claimOnce(scope, requestSHA256: requestSHA256, at: now, abandonedBefore: abandonedBefore, sql) {
                    return claim
                }
            }
            throw SQLStoreError.corrupt("api_idempotency: the key \(scope.key) neither inserted nor found")
        }
    }

    /// One attempt of `claimIdempotencyKey`; nil when the row met by the INSERT was gone by the SELECT.
    private func claimOnce(
        _ scope: IdempotencyScope, requestSHA256: String, at now: Timestamp, abandonedBefore: Timestamp, _ sql: any SQLExecutor
    ) async throws -> IdempotencyClaim? {
        // One statement: inserted (the key is ours) or not (someone's row is there).
        let inserted = try await sql.query(
            """
            INSERT INTO api_idempotency (user_id, operation, idem_key, request_sha256, status, response, created_at, claimed_at)
            VALUES ($1, $2, $3, $4, 0, '', $5, $5)
            ON CONFLICT (user_id, operation, idem_key) DO NOTHING
            RETURNING status
            """,
            [.text(scope.user), .text(scope.operation), .text(scope.key), .text(requestSHA256), .int(now.millisecondsSinceEpoch)])
        if !inserted.isEmpty { return .claimed }
        guard let row = try await sql.query(
            "SELECT request_sha256, status, response, claimed_at FROM api_idempotency WHERE user_id = $1 AND operation = $2 AND idem_key = $3",
            [.text(scope.user), .text(scope.operation), .text(scope.key)]
        ).first else { return nil }
        guard try row.text(0) == requestSHA256 else { return .reused }
        let status = try row.int(1)
        guard status == 0 else { return .completed(StoredAPIResponse(status: Int(status), body: try row.text(2))) }
        let claimedAt = try row.int(3)
        // Held since before the bound: its request died. Taken over only if still held since
        // then (a compare-and-set on the claim time), at `now`, which is after that time (the
        // bound is not after `now`), so the old holder's release and completion no longer
        // match the row. The row is kept a whole retention from the takeover.
        guard claimedAt < abandonedBefore.millisecondsSinceEpoch, claimedAt < now.millisecondsSinceEpoch else { return .inProgress }
        let taken = try await sql.query(
            """
            UPDATE api_idempotency SET claimed_at = $5, created_at = $5
            WHERE user_id = $1 AND operation = $2 AND idem_key = $3 AND status = 0 AND claimed_at = $4
            RETURNING status
            """,
            [.text(scope.user), .text(scope.operation), .text(scope.key), .int(claimedAt), .int(now.millisecondsSinceEpoch)])
        return taken.isEmpty ? .inProgress : .takenOver(heldSince: Timestamp(millisecondsSinceEpoch: claimedAt))
    }

    public func completeIdempotencyKey(
        _ scope: IdempotencyScope, requestSHA256: String, claimedAt: Timestamp, response: StoredAPIResponse
    ) async throws -> Bool {
        try await database.transaction { sql in
            try await !sql.query(
                """
                UPDATE api_idempotency SET status = $5, response = $6
                WHERE user_id = $1 AND operation = $2 AND idem_key = $3 AND request_sha256 = $4 AND status = 0 AND claimed_at = $7
                RETURNING status
                """,
                [.text(scope.user), .text(scope.operation), .text(scope.key), .text(requestSHA256),
                 .int(Int64(response.status)), .text(response.body), .int(claimedAt.millisecondsSinceEpoch)]
            ).isEmpty
        }
    }

    public func releaseIdempotencyKey(_ scope: IdempotencyScope, requestSHA256: String, claimedAt: Timestamp) async throws {
        try await database.transaction { sql in
            try await sql.execute(
                """
                DELETE FROM api_idempotency
                WHERE user_id = $1 AND operation = $2 AND idem_key = $3 AND request_sha256 = $4 AND status = 0 AND claimed_at = $5
                """,
                [.text(scope.user), .text(scope.operation), .text(scope.key), .text(requestSHA256), .int(claimedAt.millisecondsSinceEpoch)])
        }
    }
}

/// Completes a claimed key in the caller's transaction: the write the answer is of, so the two
/// commit together (the plan, cycle, application and MRV stores' writes). Throws `IdempotencyKeyNotHeld` when no row of the
/// key is in progress with this request (released, expired, or completed already): the caller's
/// transaction then rolls back with its write.
func completeKeyInTransaction(_ completion: IdempotencyCompletion, _ sql: any SQLExecutor) async throws {
    guard try await updateIdempotencyKey(completion, sql) else { throw IdempotencyKeyNotHeld(scope: completion.scope) }
}

/// The completion's UPDATE; whether it found the row in progress. Not tied to the claim time:
/// of two holders (one took the key over from the other, still running), the first write to
/// commit completes it and the other's write rolls back, so the operation acts once.
private func updateIdempotencyKey(_ completion: IdempotencyCompletion, _ sql: any SQLExecutor) async throws -> Bool {
    let scope = completion.scope
    return try await !sql.query(
        """
        UPDATE api_idempotency SET status = $5, response = $6
        WHERE user_id = $1 AND operation = $2 AND idem_key = $3 AND request_sha256 = $4 AND status = 0
        RETURNING status
        """,
        [.text(scope.user), .text(scope.operation), .text(scope.key), .text(completion.requestSHA256),
         .int(Int64(completion.response.status)), .text(completion.response.body)]
    ).isEmpty
}
