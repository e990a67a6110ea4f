import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain
import Synchronization

/// The REST API (openapi.yaml, docs/api.md): the spec at /openapi.yaml and the generated
/// routes under /api/v1, on a router group of their own (its middleware sees only API calls).
func addAPIRoutes(
    _ router: Router<AppRequestContext>, store: any LedgerStore, service: RegistryService, parts: APIParts, rateLimit: APIRateLimit,
    applicationLimiter: APIRateLimiter = APIRateLimiter(.applications), limits: APIServerLimits = APIServerLimits(),
    orderFastPath: Bool = true, tokenCache: APITokenCache = APITokenCache()
) {
    router.get("/openapi.yaml") { _, _ in text(OpenAPISpec.yaml, contentType: "application/yaml; charset=utf-8") }
    let handler = APIHandler(
        service: service, store: store,
        access: AccessService(store: store, tokenCache: tokenCache),
        mrv: parts.mrv, cycle: parts.cycle,
        idempotencyRetentionDays: limits.idempotencyRetentionDays, idempotencyTakeoverSeconds: limits.idempotencyTakeoverSeconds,
        evidenceDownloads: LargeBodyGate(limit: limits.maxConcurrentEvidenceDownloads))
    let api = router.group()
        .add(middleware: APIRequestInfoMiddleware())
        .add(middleware: APIRateLimitMiddleware(limiter: APIRateLimiter(rateLimit)))
        .add(middleware: ApplicationRateLimitMiddleware(limiter: applicationLimiter))
    if orderFastPath { api.add(middleware: OrderEntryFastPath(handler: handler)) }
    do {
        // Compact JSON with sorted keys, as the rest of the server writes it (the runtime's default pretty-prints).
        try handler.registerHandlers(
            on: api, configuration: Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [
                APIErrorMiddleware(
                    access: handler.access, maxConcurrentLargeBodies: limits.maxConcurrentLargeBodies,
                    largeBodyReadTime: .seconds(limits.largeBodyReadSeconds)), APIPlainHeaderMiddleware(),
            ])
    } catch {
        // Registration fails only for a route the spec defines twice: a programming error.
        preconditionFailure("the API's routes do not register: \(error)")
    }
}

/// The API's limits that `ServerConfiguration` sets (`openets serve` flags); the defaults are
/// the configuration's.
struct APIServerLimits: Sendable {
    var maxConcurrentLargeBodies = ServerConfiguration.defaultMaxConcurrentLargeBodies
    var idempotencyRetentionDays = APIIdempotency.defaultRetentionDays
    var idempotencyTakeoverSeconds = APIIdempotency.defaultTakeoverSeconds
    var maxConcurrentEvidenceDownloads = ServerConfiguration.defaultMaxConcurrentEvidenceDownloads
    var largeBodyReadSeconds = ServerConfiguration.defaultLargeBodyReadSeconds
}

/// The parts of the system the API serves besides the registry and the exchange; the
/// operations of a missing part answer 503 UNAVAILABLE.
public struct APIParts: Sendable {
    public var mrv: MRVService?
    public var cycle: (any AllocationCycleStore)?

    public init(mrv: MRVService? = nil, cycle: (any AllocationCycleStore)? = nil) {
        self.mrv = mrv
        self.cycle = cycle
    }
}

/// An API error outside the generated code (the rate limit) in the spec's format.
func apiErrorResponse(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ details: [String: String]) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(APIError(code: code, message: message, details: details))) ?? Data("{}".utf8)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// What the handlers need from the HTTP request that the generated input does not carry:
/// the bearer token (the spec's security scheme), hashed once for the rate limiter and the
/// token lookup, and the peer address (for the audit log).
enum APIRequestInfo {
    @TaskLocal static var bearer: PresentedAPIToken?
    @TaskLocal static var address: String = "-"
}

struct APIRequestInfoMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var bearer: PresentedAPIToken?
        if let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " {
            bearer = PresentedAPIToken(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        }
        return try await APIRequestInfo.$bearer.withValue(bearer) {
            try await APIRequestInfo.$address.withValue(context.address) { try await next(request, context) }
        }
    }
}

/// Every API answer in the spec's error format: a body over `maxBodyBytes` is BODY_TOO_LARGE
/// (413); a request the generated code cannot decode (wrong type, missing header or field) is
/// INVALID_INPUT (400); anything else the handler throws is INTERNAL (500).
struct APIErrorMiddleware: ServerMiddleware {
    /// Largest request body of an API call (bytes).
    static let maxBodyBytes = 16 << 10
    /// Largest body of an account application (`applyForAccount`, `resubmitAccountApplication`): its identity documents in
    /// base64 (at most 4 × 2 MiB decoded, `AccountOpeningPolicy.standard`) and the fields.
    static let maxApplicationBodyBytes = 12 << 20
    /// The operations that carry identity documents (`maxApplicationBodyBytes`).
    static let applicationOperations: Set<String> = ["applyForAccount", "resubmitAccountApplication"]
    /// Largest body of `runCycleStage`: the facilities JSON of a national stage (the power
    /// sector's ~14,000 units are about 3 MiB; the domain refuses more than 100,000 facilities).
    static let maxCycleStageBodyBytes = 8 << 20
    /// The operations that carry a cycle's facilities JSON (`maxCycleStageBodyBytes`).
    static let cycleFacilitiesOperations: Set<String> = ["runCycleStage", "computeCycleTotals"]
    /// The operations that carry MRV evidence files (`APIHandler.maxEvidenceBodyBytes`).
    static let evidenceOperations: Set<String> = ["depositMRVEvidence", "submitMonthlyDataWithEvidence"]
    /// The operations that carry a whole set of MRV policy tables or a CCER policy (its covered
    /// facilities may be many) (`APIHandler.maxPolicyBodyBytes`).
    static let policyOperations: Set<String> = ["checkMRVPolicy", "publishMRVPolicy", "checkCCERPolicy", "publishCCERPolicy"]
    /// Requests with large bodies (evidence, a stage's facilities) read and handled at once;
    /// more are 503 UNAVAILABLE before their body is read (memory bound: this many bodies of at
    /// most 48 MiB, and their decoded copies; `ServerConfiguration.maxConcurrentLargeBodies`, 4
    /// by default).
    let maxConcurrentLargeBodies: Int
    /// How long a large body may take to arrive whole once its place is taken
    /// (`ServerConfiguration.largeBodyReadSeconds`): 408 BODY_TIMEOUT after, the place given back.
    let largeBodyReadTime: Duration

    /// Token lookups for the operations with large bodies: their body is read only for a live
    /// token (the handlers check the token again, with the action). Nil in tests of the
    /// middleware alone.
    let access: AccessService?
    private let largeBodies: LargeBodyGate

    init(
        access: AccessService? = nil, maxConcurrentLargeBodies: Int = ServerConfiguration.defaultMaxConcurrentLargeBodies,
        largeBodyReadTime: Duration = .seconds(ServerConfiguration.defaultLargeBodyReadSeconds)
    ) {
        precondition(maxConcurrentLargeBodies >= 1, "at least one large body at a time")
        self.access = access
        self.maxConcurrentLargeBodies = maxConcurrentLargeBodies
        self.largeBodyReadTime = largeBodyReadTime
        self.largeBodies = LargeBodyGate(limit: maxConcurrentLargeBodies)
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @concurrent @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var collected: HTTPBody?
        // A large body's place is held until its answer is made: the handler holds the bytes too.
        var holdsLargeBody = false
        defer { if holdsLargeBody { largeBodies.leave() } }
        if let body {
            // (The MRV policy's 1 MiB bodies too: read only for a live token, like the others.)
            let large =
                Self.evidenceOperations.contains(operationID) || Self.cycleFacilitiesOperations.contains(operationID)
                || Self.policyOperations.contains(operationID)
            let limit =
                Self.applicationOperations.contains(operationID) ? Self.maxApplicationBodyBytes
                : Self.evidenceOperations.contains(operationID) ? APIHandler.maxEvidenceBodyBytes
                : Self.cycleFacilitiesOperations.contains(operationID) ? Self.maxCycleStageBodyBytes
                : Self.policyOperations.contains(operationID) ? APIHandler.maxPolicyBodyBytes : Self.maxBodyBytes
            if large {
                // Megabytes are read only for a caller with a live token, and only a few at once
                // (account applications, the other large bodies, are limited per address first).
                if let refusal = try await refusedBeforeBody(operationID) { return refusal }
                guard largeBodies.enter() else {
                    return Self.error(
                        .serviceUnavailable, "UNAVAILABLE", "\(maxConcurrentLargeBodies) large requests are in progress; retry shortly",
                        ["operation": operationID])
                }
                holdsLargeBody = true
            }
            // Account applications (12 MiB, before any login; limited per address) have the
            // same deadline as the large bodies.
            let deadline = large || Self.applicationOperations.contains(operationID) ? largeBodyReadTime : nil
            switch await Self.collect(body, upTo: limit, within: deadline) {
            case .read(let bytes): collected = HTTPBody(bytes)
            case .tooLarge:
                return Self.error(.contentTooLarge, "BODY_TOO_LARGE", "the body is over \(limit) bytes", ["maxBytes": String(limit)])
            case .timedOut:
                // The rest of the body is not read: the connection ends with this answer
                // (`Connection: close`; CloseAfterAnswerMiddleware closes the server's side).
                let seconds = largeBodyReadTime.components.seconds
                var (response, answer) = Self.error(
                    .requestTimeout, "BODY_TIMEOUT", "the body did not arrive within \(seconds) s; its place is given back",
                    ["operation": operationID, "seconds": String(seconds)])
                response.headerFields[.connection] = "close"
                return (response, answer)
            }
        }
        do {
            return try await next(request, collected, metadata)
        } catch let error as ServerError {
            if error.operationInput == nil {
                // The decoder's own text (type names, debug descriptions) stays in the server's
                // log; the caller gets the cause and, where known, the field.
                var details = ["operation": operationID]
                var message = error.causeDescription
                if error.underlyingError is DecodingError {
                    // The runtime's cause embeds the decoder's description: give the field only.
                    message = "the request does not match the operation's schema"
                    if let field = Self.field(of: error.underlyingError) { details["field"] = field }
                }
                return Self.error(.badRequest, "INVALID_INPUT", message, details)
            }
            return Self.error(.internalServerError, "INTERNAL", "internal error in \(operationID)", ["operation": operationID])
        }
    }

    enum Collected {
        case read([UInt8])
        case tooLarge
        case timedOut
    }

    /// The body's bytes, read whole within `deadline` (nil: no deadline but the connection's
    /// idle timeout). On a deadline the reading task is cancelled and what was read is dropped.
    /// The task group returns once that task has ended: Hummingbird's request body (NIO's
    /// `NIOThrowingAsyncSequenceProducer`) ends its stream when the reading task is cancelled,
    /// and NIO then stops reading the connection, which the idle timeout closes. A body
    /// stream that ignored cancellation would hold the answer (and the place) until the client
    /// stopped; `APILargeBodyTests.aSlowLargeBodyTimesOutAndGivesItsPlaceBack` runs the real
    /// stack with a client that never stops.
    static func collect(_ body: HTTPBody, upTo limit: Int, within deadline: Duration?) async -> Collected {
        guard let deadline else {
            guard let bytes = try? await [UInt8](collecting: body, upTo: limit) else { return .tooLarge }
            return .read(bytes)
        }
        return await withTaskGroup(of: Collected?.self) { group in
            group.addTask {
                guard let bytes = try? await [UInt8](collecting: body, upTo: limit) else {
                    // A cancelled read (the deadline's) is not "too large".
                    return Task.isCancelled ? nil : .tooLarge
                }
                return Task.isCancelled ? nil : .read(bytes)
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return Task.isCancelled ? nil : .timedOut
            }
            // The first to finish decides; a cancelled one answers nil and is not waited for.
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .timedOut
        }
    }

    /// 401 UNAUTHENTICATED (the handlers' answer) when the request has no live API token.
    /// 401 UNAUTHENTICATED without a live API token, 403 FORBIDDEN when its role lacks the
    /// operation's action (`APIPermissions`): a large body is read, and a place among the few
    /// taken, only for a caller who may do the operation at all (its scope is the handler's
    /// check). The answers are the handlers' own.
    private func refusedBeforeBody(_ operationID: String) async throws -> (HTTPResponse, HTTPBody?)? {
        guard let access else { return nil }
        guard let token = APIRequestInfo.bearer, case .live(let principal) = try await access.lookUp(token, at: SystemClock().now()) else {
            return Self.error(.unauthorized, "UNAUTHENTICATED", "an API token is required: Authorization: Bearer <token>", [:])
        }
        if let action = APIPermissions.actions[operationID], !principal.may(action, matrix: access.matrix) {
            return Self.error(
                .forbidden, "FORBIDDEN", "\(principal.role.rawValue) may not \(action.rawValue)",
                ["role": principal.role.rawValue, "action": action.rawValue])
        }
        return nil
    }

    /// The JSON path of a decoding failure ("instrument", "quantityTonnes"), nil for other errors.
    static func field(of error: any Error) -> String? {
        guard let decoding = error as? DecodingError else { return nil }
        let path: [any CodingKey]
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        @unknown default: return nil
        }
        let names = path.map { $0.intValue.map(String.init) ?? $0.stringValue }
        return names.isEmpty ? nil : names.joined(separator: ".")
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ details: [String: String]) -> (HTTPResponse, HTTPBody?) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(APIError(code: code, message: message, details: details))) ?? Data("{}".utf8)
        return (HTTPResponse(status: status, headerFields: [.contentType: "application/json; charset=utf-8"]), HTTPBody(Array(data)))
    }
}

/// Counts the large request bodies being read (or the evidence files being served);
/// `enter` refuses beyond the limit.
final class LargeBodyGate: Sendable {
    let limit: Int
    private let count = Mutex(0)

    init(limit: Int) {
        precondition(limit >= 1, "at least one place")
        self.limit = limit
    }

    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
