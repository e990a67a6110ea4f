import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The operations whose Idempotency-Key the API stores itself (`APIIdempotencyStore`,
/// migration 24; docs/api.md, "Idempotency"): their writes are not journal commands, whose
/// keys the registry, the exchange, the CCER market and the MRV platform store. As there, only
/// a request that acted keeps its key: its 200/201 answer is stored and given again (with
/// `replayed` true where the schema has it); a refusal (404, 422) frees the key.
protocol IdempotentOutput {
    static func unprocessableContent(_ response: Components.Responses.Rejected) -> Self
    static func conflict(_ response: Components.Responses.InProgress) -> Self
    /// This answer as stored (the operation acted); nil for a refusal (the key is freed).
    var stored: StoredAPIResponse? { get throws }
    /// A stored answer again, as a retry gets it.
    static func replay(_ stored: StoredAPIResponse) throws -> Self
}

/// A stored answer that is not one this operation gives: the row was written by another version.
struct UnexpectedStoredResponse: Error {
    var status: Int
}

enum StoredJSON {
    static func encode<T: Encodable>(_ status: Int, _ value: T) throws -> StoredAPIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return StoredAPIResponse(status: status, body: String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ stored: StoredAPIResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(stored.body.utf8))
    }

    /// A request body as canonical JSON (sorted keys): the text its SHA-256 is taken over.
    static func canonical<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension IdempotentRequest {
    /// The audit line's detail for a key taken over from a request that died (API and web alike).
    static func tookOverDetail(_ heldSince: Timestamp) -> String { "took over the key held since \(utc(heldSince))" }
}

/// The key a request holds, for an operation whose store completes it in the write's own
/// transaction (`IdempotencyCompletion`): every operation of `idempotent` but a cycle stage run.
struct IdempotencyTicket {
    let request: IdempotentRequest

    /// The completion storing `output`, an answer of a request that acted.
    func completion<O: IdempotentOutput>(_ output: O) throws -> IdempotencyCompletion {
        guard let stored = try output.stored else { preconditionFailure("only an answer of a request that acted is stored") }
        return request.completion(stored)
    }
}

/// What an operation run by `idempotentInWrite` answers.
enum KeyedAnswer<O> {
    /// The write's transaction stored this answer with the key: nothing is left to do.
    case completedInWrite(O)
    /// Any other answer: a refusal (the key is freed) or an answer that wrote nothing (stored
    /// after, as `idempotent` does).
    case answer(O)
}

extension APIHandler {
    /// Runs `act` once per (caller, operation, key): the same key with the same request answers
    /// the stored answer again; with another request 422 IDEMPOTENCY_KEY_REUSED; while the
    /// first request with the key has not completed (or the server stopped in between) 409
    /// IDEMPOTENCY_IN_PROGRESS. Nothing runs in those three cases. The caller has authorised
    /// the request and checked the key's form. The answer is stored after `act`, in a
    /// transaction of its own (`idempotentInWrite` stores it with the write).
    func idempotent<O: IdempotentOutput>(
        _ operation: String, user: String, key: String, parameters: [String], body: String, audit action: String,
        _ act: () async throws -> O
    ) async throws -> O {
        try await idempotentInWrite(operation, user: user, key: key, parameters: parameters, body: body, audit: action) { _ in
            .answer(try await act())
        }
    }

    /// `idempotent` for an operation whose store completes the key in the write's own
    /// transaction: `act` hands `ticket.completion(answer)` to the store and answers
    /// `.completedInWrite`, so the write and its key commit together, and no separate step
    /// after the write can be lost. A store that finds the key no longer in progress
    /// (`IdempotencyKeyNotHeld`) has rolled its write back: 409 IDEMPOTENCY_IN_PROGRESS.
    func idempotentInWrite<O: IdempotentOutput>(
        _ operation: String, user: String, key: String, parameters: [String], body: String, audit action: String,
        _ act: (IdempotencyTicket) async throws -> KeyedAnswer<O>
    ) async throws -> O {
        let now = SystemClock().now()
        let request = IdempotentRequest(
            store: store, scope: IdempotencyScope(user: user, operation: operation, key: key),
            requestSHA256: APIIdempotency.requestSHA256(operation: operation, parameters: parameters, body: body), at: now,
            retentionDays: idempotencyRetentionDays, takeoverSeconds: idempotencyTakeoverSeconds)
        let outcome = try await request.run(tookOver: { heldSince in
            // Left in progress by a request that died (the server stopped before its write):
            // this one runs, and the log says whose key it took.
            try? await access.audit(now, user, action, IdempotentRequest.tookOverDetail(heldSince), APIRequestInfo.address)
        }) {
            try await act(IdempotencyTicket(request: request))
        }
        switch outcome {
        case .reused:
            try await access.audit(now, user, action, "rejected IDEMPOTENCY_KEY_REUSED", APIRequestInfo.address)
            return .unprocessableContent(.init(body: .json(Self.error(
                "IDEMPOTENCY_KEY_REUSED", "the Idempotency-Key \(key) was used for another request; nothing was done",
                ["command": operation]))))
        case .inProgress:
            try await access.audit(now, user, action, "rejected IDEMPOTENCY_IN_PROGRESS", APIRequestInfo.address)
            return .conflict(.init(body: .json(Self.error(
                "IDEMPOTENCY_IN_PROGRESS",
                "the first request with the Idempotency-Key \(key) has not finished; check the state before retrying with a new key",
                ["command": operation]))))
        case .completed(let stored):
            try await access.audit(now, user, action, "replayed \(stored.status)", APIRequestInfo.address)
            return try O.replay(stored)
        case .ran(.completedInWrite(let output)):
            return output
        case .ran(.answer(let output)):
            if let stored = try output.stored {
                try await request.complete(stored)
            } else {
                try await request.release()
            }
            return output
        }
    }

    /// The key's form (1-64 printable ASCII characters), or the 400 answer.
    static func keyRefusal(_ key: String) -> Schemas._Error? {
        guard !key.isEmpty, key.utf8.count <= maxIdempotencyKeyBytes, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return error("INVALID_INPUT", "Idempotency-Key must be 1-\(maxIdempotencyKeyBytes) printable ASCII characters")
        }
        return nil
    }
}

/// The shape every stored answer has: one success status whose JSON body is stored, and given
/// again with `replayed` set where the schema has that field.
protocol StoredJSONOutput: IdempotentOutput {
    associatedtype Body: Codable
    static var storedStatus: Int { get }
    /// The success answer's body; nil for any other answer (a refusal frees the key).
    var storedBody: Body? { get }
    static func answer(_ body: Body) -> Self
    /// The body as a retry gets it: `replayed` true where the schema has it.
    static func replayed(_ body: Body) -> Body
}

extension StoredJSONOutput {
    var stored: StoredAPIResponse? {
        get throws { try storedBody.map { try StoredJSON.encode(Self.storedStatus, $0) } }
    }

    static func replay(_ stored: StoredAPIResponse) throws -> Self {
        guard stored.status == storedStatus else { throw UnexpectedStoredResponse(status: stored.status) }
        return answer(replayed(try StoredJSON.decode(Body.self, stored)))
    }

    /// The application schemas have no `replayed` field: their answer is given as stored.
    static func replayed(_ body: Body) -> Body { body }
}

extension Operations.LoadAllocationPlan.Output: StoredJSONOutput {
    static let storedStatus = 201
    var storedBody: Components.Schemas.AllocationPlanLoaded? {
        guard case .created(let created) = self, case .json(let body) = created.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.AllocationPlanLoaded) -> Self { .created(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.AllocationPlanLoaded) -> Components.Schemas.AllocationPlanLoaded {
        var body = body
        body.replayed = true
        return body
    }
}

extension Operations.PublishAllocationPlan.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.AllocationPlanPublished? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.AllocationPlanPublished) -> Self { .ok(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.AllocationPlanPublished) -> Components.Schemas.AllocationPlanPublished {
        var body = body
        body.replayed = true
        return body
    }
}

extension Operations.MarkPenaltyPaid.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.PenaltyNoticePaid? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.PenaltyNoticePaid) -> Self { .ok(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.PenaltyNoticePaid) -> Components.Schemas.PenaltyNoticePaid {
        var body = body
        body.replayed = true
        return body
    }
}

extension Operations.DecideAccountApplication.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.AccountApplication? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.AccountApplication) -> Self { .ok(.init(body: .json(body))) }
}

extension Operations.ResubmitAccountApplication.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.AccountApplication? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.AccountApplication) -> Self { .ok(.init(body: .json(body))) }
}
