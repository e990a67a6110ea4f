import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import OpenETSAPI
import Synchronization

/// Order entry's fast path (docs/benchmarks.md, "HTTP load"): `placeOrder` and `cancelOrder`
/// in their plain shape go from the Hummingbird request straight to the same `APIHandler`
/// method the generated code calls, without the generated layer's conversions (HTTPBody
/// streams, header and content-type negotiation, the generic serializer). What the handler
/// answers is the same; only the way in and out is shorter.
///
/// Only requests whose every detail the generated path would read the same way take it:
/// `POST`, the exact path, an `Idempotency-Key` of unreserved characters (nothing for the
/// header's URI decoding to change), no `Accept` header, a `Content-Type` of exactly
/// `application/json` (with `charset=utf-8` at most) and a declared length within the API's
/// body limit, a body that decodes (`OrderFastJSON` reads the plainest one by hand). Anything else — and any decoding failure — goes on to the
/// generated path with the body as read, so every error answer (400 with the field, 413, 415
/// …) stays the generated code's. `OrderFastPathTests` sends the same requests both ways.
struct OrderEntryFastPath: RouterMiddleware {
    typealias Context = AppRequestContext
    let handler: APIHandler

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Requests served here and passed on, since the process started (tests read them).
    static let stats = Counters()

    final class Counters: Sendable {
        private let counts = Mutex((served: 0, passed: 0))
        var served: Int { counts.withLock { $0.served } }
        var passed: Int { counts.withLock { $0.passed } }
        func serve() { counts.withLock { $0.served += 1 } }
        func fallThrough() { counts.withLock { $0.passed += 1 } }
    }
    /// One decoder for every request (its options are never changed after this).
    private static let decoder = JSONDecoder()
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // As the generated path's `Configuration(jsonEncodingOptions:)` (APIRoutes.swift).
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    enum Operation: Equatable {
        case place
        case cancel(Int64)
    }

    /// The operation of a plain path, nil for anything else (the router decides those).
    static func operation(_ path: String) -> Operation? {
        let prefix = "/api/v1/exchange/orders"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        if rest.isEmpty { return .place }
        // "/<digits>/cancel", the digits an Int64 without sign or leading zero.
        let suffix = "/cancel".utf8
        guard rest.first == UInt8(ascii: "/"), rest.count > suffix.count + 1, rest.suffix(suffix.count).elementsEqual(suffix) else { return nil }
        let digits = rest.dropFirst().dropLast(suffix.count)
        guard digits.count <= 18, digits.first != UInt8(ascii: "0"), digits.allSatisfy({ (48...57).contains($0) }),
            let id = Int64(Substring(digits))
        else { return nil }
        return .cancel(id)
    }

    /// A key the header's URI decoding leaves as it is: letters, digits and `-._~`.
    static func plainKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= APIHandler.maxIdempotencyKeyBytes
            && key.utf8.allSatisfy { byte in
                (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 46 || byte == 95 || byte == 126
            }
    }

    /// No `Accept` header, or one the generated serializer's check passes as it is.
    static func acceptsJSON(_ accept: String?) -> Bool {
        guard let accept else { return true }
        return accept == "*/*" || accept == "application/json"
    }

    /// The body's declared length; 0 for a request with neither `Content-Length` nor
    /// `Transfer-Encoding` (no body), nil for a streamed one.
    static func declaredLength(_ headers: HTTPFields) -> Int? {
        if let length = headers[.contentLength] { return Int(length) }
        return headers[.transferEncoding] == nil ? 0 : nil
    }

    static func plainJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let lowered = contentType.lowercased()
        return lowered == "application/json" || lowered == "application/json; charset=utf-8"
    }

    func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, let operation = Self.operation(request.uri.path) else { return try await next(request, context) }
        guard request.uri.query == nil, let key = request.headers[Self.idempotencyKey], Self.plainKey(key), Self.acceptsJSON(request.headers[.accept]),
            let length = Self.declaredLength(request.headers), (0...APIErrorMiddleware.maxBodyBytes).contains(length)
        else {
            Self.stats.fallThrough()
            return try await next(request, context)
        }
        var request = request
        switch operation {
        case .place:
            guard Self.plainJSON(request.headers[.contentType]), length > 0 else {
                Self.stats.fallThrough()
                return try await next(request, context)
            }
            let buffer = try await request.collectBody(upTo: APIErrorMiddleware.maxBodyBytes)
            guard
                let body = OrderFastJSON.placeOrder(buffer.readableBytesView)
                    ?? (try? Self.decoder.decode(Components.Schemas.PlaceOrderRequest.self, from: Data(buffer.readableBytesView)))
            else {
                Self.stats.fallThrough()
                return try await next(request, context)
            }
            Self.stats.serve()
            guard let output = await answer({ try await handler.placeOrder(.init(headers: .init(idempotencyKey: key), body: .json(body))) }) else {
                return Self.internalError("placeOrder")
            }
            switch output {
            case .created(let created): return try Self.result(.created, created.body.json)
            case .badRequest(let error): return try Self.json(.badRequest, error.body.json)
            case .unauthorized(let error): return try Self.json(.unauthorized, error.body.json)
            case .forbidden(let error): return try Self.json(.forbidden, error.body.json)
            case .contentTooLarge(let error): return try Self.json(.contentTooLarge, error.body.json)
            case .unprocessableContent(let error): return try Self.json(.unprocessableContent, error.body.json)
            case .tooManyRequests(let error): return try Self.json(.tooManyRequests, error.body.json)
            case .undocumented: return Self.internalError("placeOrder")
            }
        case .cancel(let order):
            // The operation has no body; the generated path reads (and bounds) one if sent.
            guard length == 0 else {
                Self.stats.fallThrough()
                return try await next(request, context)
            }
            Self.stats.serve()
            guard let output = await answer({ try await handler.cancelOrder(.init(path: .init(orderId: order), headers: .init(idempotencyKey: key))) })
            else { return Self.internalError("cancelOrder") }
            switch output {
            case .ok(let ok): return try Self.result(.ok, ok.body.json)
            case .badRequest(let error): return try Self.json(.badRequest, error.body.json)
            case .unauthorized(let error): return try Self.json(.unauthorized, error.body.json)
            case .forbidden(let error): return try Self.json(.forbidden, error.body.json)
            case .unprocessableContent(let error): return try Self.json(.unprocessableContent, error.body.json)
            case .tooManyRequests(let error): return try Self.json(.tooManyRequests, error.body.json)
            case .undocumented: return Self.internalError("cancelOrder")
            }
        }
    }

    /// The handler's answer; nil when it threw (500 INTERNAL, as `APIErrorMiddleware` answers).
    private func answer<O>(_ body: () async throws -> O) async -> O? {
        try? await body()
    }

    /// A command's result, written by hand where that is certainly what the encoder writes.
    static func result(_ status: HTTPResponse.Status, _ value: Components.Schemas.CommandResult) -> Response {
        guard let bytes = OrderFastJSON.commandResult(value) else { return json(status, value) }
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        guard let data = try? encoder.encode(value) else { return internalError("encoding") }
        // Status and content type as the generated serializer sets them.
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func internalError(_ operation: String) -> Response {
        apiErrorResponse(.internalServerError, "INTERNAL", "internal error in \(operation)", ["operation": operation])
    }
}
