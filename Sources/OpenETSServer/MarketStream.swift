import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb
// Hummingbird's own lifecycle package (a dependency of Hummingbird, not declared here): the
// graceful-shutdown signal that ends open streams.
import ServiceLifecycle
import Synchronization

/// GET /market/stream?instrument=CODE: server-sent events (`event: market`) with the
/// instrument's five-level book and the end of its tape (`MarketStreamSnapshot.json`), one
/// at once and one whenever it changes. The writer's exchange state is read every
/// `pollInterval`; nothing is sent while it is unchanged.
///
/// Limits: at most `maxStreams` open at a time (503 `STREAM_LIMIT` beyond); each stream ends
/// after `maxStreamSeconds` (the browser's EventSource reconnects after `retry`), after
/// `events=N` events when the client asks (1…`maxEvents`; tests and scripts), and at once
/// when the server shuts down gracefully. A quiet stream sends a comment line every
/// `heartbeatSeconds`, so a closed client's slot is freed within about two of them.
final class MarketStreams: Sendable {
    static let maxStreams = 64
    static let maxStreamSeconds = 300
    static let maxEvents = 10_000
    static let pollInterval = Duration.milliseconds(250)
    static let retryMilliseconds = 3_000
    /// A comment line (`: keep-alive`) after this long without an event: proxies keep the
    /// stream open, and a client that went away is noticed (the write fails) and its slot of
    /// `maxStreams` freed, rather than held until `maxStreamSeconds`.
    static let heartbeatSeconds = 10

    private let open = Mutex<Int>(0)
    let service: RegistryService

    init(service: RegistryService) { self.service = service }

    var openStreams: Int { open.withLock { $0 } }

    private func acquire() -> Bool {
        open.withLock { count in
            guard count < Self.maxStreams else { return false }
            count += 1
            return true
        }
    }

    private func release() { open.withLock { $0 -= 1 } }

    func stream(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        guard let code = query.get("instrument"), await service.exchange.instruments[code] != nil else {
            return text("{\"code\":\"UNKNOWN_INSTRUMENT\",\"message\":\"instrument: name a listed instrument\"}\n", status: .notFound, contentType: "application/json")
        }
        var limit = Self.maxEvents
        if let events = query.get("events") {
            guard let n = Int(events), (1...Self.maxEvents).contains(n) else {
                return text("{\"code\":\"INVALID_INPUT\",\"message\":\"events: 1-\(Self.maxEvents)\"}\n", status: .badRequest, contentType: "application/json")
            }
            limit = n
        }
        let maxEvents = limit
        guard acquire() else {
            return text("{\"code\":\"STREAM_LIMIT\",\"message\":\"at most \(Self.maxStreams) market streams are open; retry later\"}\n",
                        status: .serviceUnavailable, contentType: "application/json")
        }
        let service = service
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            defer { release() }
            try await writer.write(ByteBuffer(string: "retry: \(Self.retryMilliseconds)\n\n"))
            let end = ContinuousClock.now + .seconds(Self.maxStreamSeconds)
            var last: String?
            var sent = 0
            var lastWrite = ContinuousClock.now
            // The loop wakes every poll interval, so a graceful shutdown ends it within one.
            while sent < maxEvents, ContinuousClock.now < end, !Task.isCancelled, !Task.isShuttingDownGracefully {
                if let snapshot = MarketStreamSnapshot.json(await service.exchange, code: code), snapshot != last {
                    sent += 1
                    try await writer.write(ByteBuffer(string: "event: market\nid: \(sent)\ndata: \(snapshot)\n\n"))
                    last = snapshot
                    lastWrite = .now
                    if sent >= maxEvents { break }
                } else if ContinuousClock.now - lastWrite >= .seconds(Self.heartbeatSeconds) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try await Task.sleep(for: Self.pollInterval)
            }
            try await writer.finish(nil)
        })
    }
}
