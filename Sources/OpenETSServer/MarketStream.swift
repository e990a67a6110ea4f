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
/// Limits: at most `maxStreams` open at a time (503 `STREAM_LIMIT` beyond) and at most
/// `perAddress` of them from one client address (`ServerConfiguration.marketStreamsPerAddress`,
/// 8 by default; IPv6 counted by its /64, `ClientAddressKey`; 429 `STREAM_LIMIT` beyond), so one
/// client cannot hold them all; each stream ends
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

    /// Open streams in all and per client address key.
    struct Open {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    /// Why a stream was not opened.
    enum Refusal {
        case full
        case address
    }

    private let open = Mutex<Open>(Open())
    let service: RegistryService
    /// Most streams open from one client address at a time.
    let perAddress: Int

    init(service: RegistryService, perAddress: Int = ServerConfiguration.defaultMarketStreamsPerAddress) {
        precondition(perAddress >= 1, "at least one market stream per address")
        self.service = service
        self.perAddress = perAddress
    }

    var openStreams: Int { open.withLock { $0.total } }

    private func acquire(_ address: String) -> Refusal? {
        open.withLock { open in
            guard open.total < Self.maxStreams else { return .full }
            guard open.byAddress[address, default: 0] < perAddress else { return .address }
            open.total += 1
            open.byAddress[address, default: 0] += 1
            return nil
        }
    }

    private func release(_ address: String) {
        open.withLock { open in
            open.total -= 1
            let left = open.byAddress[address, default: 1] - 1
            open.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// `address`: the client's key (`ClientAddressKey`).
    func stream(_ request: Request, address: String) async -> Response {
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
        switch acquire(address) {
        case .full:
            return text("{\"code\":\"STREAM_LIMIT\",\"message\":\"at most \(Self.maxStreams) market streams are open; retry later\"}\n",
                        status: .serviceUnavailable, contentType: "application/json")
        case .address:
            var refused = text(
                "{\"code\":\"STREAM_LIMIT\",\"message\":\"at most \(perAddress) market streams from one address; close one first\"}\n",
                status: .tooManyRequests, contentType: "application/json")
            refused.headers[.retryAfter] = String(Self.retryMilliseconds / 1000)
            return refused
        case nil: break
        }
        let service = service
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            defer { release(address) }
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
