import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OpenETSApplication
import OpenETSServer
import Testing

/// The operations with large bodies (MRV evidence, 48 MiB; a cycle stage's facilities, 8 MiB)
/// read their body only for a live API token: a request announcing 40 MB without a token, or
/// with a made-up one, is answered 401 at once, before the body is sent. The evidence
/// operation's CSV keeps the spec's bound (15,000 characters) inside its large body.
@Suite("REST API: large bodies")
struct APILargeBodyTests {
    typealias Connection = MarketStreamLimitTests.Connection

    /// Sends a request head announcing `length` bytes and only the first byte of the body,
    /// then reads the answer's head and body (an error's short JSON) within `seconds`.
    static func announce(_ port: Int, _ path: String, length: Int, authorization: String?, seconds: Int = 15) async throws -> String {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: big-1\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        head += "Content-Length: \(length)\r\n\r\n{"
        return try await exchange(port, head, seconds: seconds) { text in
            guard let end = text.range(of: "\r\n\r\n"), text[end.upperBound...].contains("}") else { return nil }
            return text
        }
    }

    /// Sends `bytes` on a new connection and reads until `answer` makes something of what has
    /// come (nil: read on). A server still reading the announced body never answers: recv times
    /// out after `seconds` and this throws.
    static func exchange(_ port: Int, _ bytes: String, seconds: Int, answer: @escaping @Sendable (String) -> String?) async throws -> String {
        try await MarketStreamLimitTests.blocking {
            let connection = try Connection(port: port)
            defer { connection.shut() }
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let sent = Array(bytes.utf8)
            guard sent.withUnsafeBytes({ send(connection.fd, $0.baseAddress, $0.count, 0) }) == sent.count else {
                throw MarketStreamLimitTests.Failure("send")
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw MarketStreamLimitTests.Failure("no answer (recv \(n)) after \(received.count) bytes") }
                received += buffer[0..<n]
                if let done = answer(String(decoding: received, as: UTF8.self)) { return done }
            }
        }
    }

    @Test func largeBodiesAreReadOnlyForALiveToken() async throws {
        let world = try await APIMRVWorkflowTests.world("sqlite")
        let token = try #require(world.tokens["e1"])
        try await APIMRVWorkflowTests.serve(world) { api in
            for path in ["/api/v1/mrv/monthly-data/with-evidence", "/api/v1/compliance/2024/cycle/power-2024/stages/pre_allocation"] {
                for authorization in [nil, "Bearer made-up-token"] {
                    let answer = try await Self.announce(api.port, path, length: 40_000_000, authorization: authorization)
                    #expect(answer.hasPrefix("HTTP/1.1 401") && answer.contains("UNAUTHENTICATED"), "\(path) \(authorization ?? "no token"): \(answer.prefix(300))")
                }
            }
            // A live token whose role lacks the operation's action is 403 before the body too:
            // an investor can hold no place among the few (and a verifier none for a stage run).
            for (path, user, action) in [
                ("/api/v1/mrv/monthly-data/with-evidence", "i1", "mrv_submit"),
                ("/api/v1/compliance/2024/cycle/power-2024/stages/pre_allocation", "verifier", "cycle_run"),
            ] {
                let answer = try await Self.announce(api.port, path, length: 40_000_000, authorization: "Bearer \(try #require(world.tokens[user]))")
                #expect(answer.hasPrefix("HTTP/1.1 403") && answer.contains("FORBIDDEN") && answer.contains(action), "\(path) \(user): \(answer.prefix(300))")
            }
            // The CSV inside the evidence body keeps its own bound: 413, nothing stored.
            let head = await world.mrv.head
            let csv = String(repeating: "x", count: 15_001)
            let body = APIMRVWorkflowTests.json(["csv": csv, "files": [] as [Any]])
            let tooLong = try await api.call("POST", "/api/v1/mrv/monthly-data/with-evidence", token: token, key: "csv-long", body: body)
            #expect(tooLong.status == 413 && tooLong.code == "BODY_TOO_LARGE" && tooLong.body.contains("csv"), "\(tooLong.body)")
            #expect(await world.mrv.head == head)
        }
    }

    /// A lower limit on large bodies read at once, set in the configuration (`openets serve
    /// --max-concurrent-large-bodies 1`), is the one enforced: while one caller's large body is
    /// being read, a second large request is 503 UNAVAILABLE before its body is read.
    @Test func aLowerConfiguredLargeBodyLimitIsEnforced() async throws {
        let world = try await APIMRVWorkflowTests.world("sqlite")
        let token = try #require(world.tokens["e1"])
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.maxConcurrentLargeBodies = 1
        try await APIMRVWorkflowTests.serve(world, configuration: configuration) { api in
            let path = "/api/v1/mrv/monthly-data/with-evidence"
            // The holder announces 40 MB and sends one byte: its place is held while the server waits.
            let holder = try await MarketStreamLimitTests.blocking { () throws -> Connection in
                let connection = try Connection(port: api.port)
                let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: big-hold\r\n"
                    + "Authorization: Bearer \(token)\r\nContent-Length: 40000000\r\n\r\n{"
                let bytes = Array(head.utf8)
                guard bytes.withUnsafeBytes({ send(connection.fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
                    connection.shut()
                    throw MarketStreamLimitTests.Failure("send")
                }
                return connection
            }
            defer { holder.shut() }
            try await Task.sleep(for: .seconds(2))
            let answer = try await Self.announce(api.port, path, length: 40_000_000, authorization: "Bearer \(token)")
            #expect(answer.hasPrefix("HTTP/1.1 503") && answer.contains("UNAVAILABLE") && answer.contains("1 large requests are in progress"),
                "\(answer.prefix(300))")
        }
    }

    /// A caller sending a large body slowly, never silent long enough for the idle timeout,
    /// holds its place only until `largeBodyReadSeconds`: then 408 BODY_TIMEOUT, and the place
    /// is given back — the next large request is read (and, as slow, times out too) instead of
    /// 503 UNAVAILABLE.
    @Test func aSlowLargeBodyTimesOutAndGivesItsPlaceBack() async throws {
        let world = try await APIMRVWorkflowTests.world("sqlite")
        let token = try #require(world.tokens["e1"])
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.maxConcurrentLargeBodies = 1
        configuration.largeBodyReadSeconds = 6
        try await APIMRVWorkflowTests.serve(world, configuration: configuration) { api in
            let path = "/api/v1/mrv/monthly-data/with-evidence"
            let started = ContinuousClock.now
            // One byte every 200 ms: never idle, never done (40 MB announced).
            let holder = Task {
                try await MarketStreamLimitTests.blocking { () throws -> (answer: String, closed: Bool, ended: Bool) in
                    let connection = try Connection(port: api.port)
                    defer { connection.shut() }
                    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
                    setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: big-slow\r\n"
                        + "Authorization: Bearer \(token)\r\nContent-Length: 40000000\r\n\r\n{"
                    let bytes = Array(head.utf8)
                    guard bytes.withUnsafeBytes({ send(connection.fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
                        throw MarketStreamLimitTests.Failure("send")
                    }
                    var received: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var closed = false
                    for _ in 0..<600 {  // 120 s at most
                        let n = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
                        if n == 0 {  // the server closed its side
                            closed = true
                            break
                        }
                        if n > 0 {
                            received += buffer[0..<n]
                            continue
                        }
                        // Still trickling the body, also after the answer: the server closes its side anyway.
                        _ = send(connection.fd, " ", 1, Int32(MSG_NOSIGNAL))
                    }
                    // Still sending after the half close: the server ends the connection whole
                    // after its linger (a send fails, reset), well before 30 s.
                    var ended = false
                    for _ in 0..<150 where closed {
                        if send(connection.fd, " ", 1, Int32(MSG_NOSIGNAL)) < 0 {
                            ended = true
                            break
                        }
                        usleep(200_000)
                    }
                    return (String(decoding: received, as: UTF8.self), closed, ended)
                }
            }
            try await Task.sleep(for: .seconds(2))
            let refused = try await Self.announce(api.port, path, length: 40_000_000, authorization: "Bearer \(token)")
            #expect(refused.hasPrefix("HTTP/1.1 503") && refused.contains("UNAVAILABLE"), "\(refused.prefix(300))")
            let slow = try await holder.value
            let waited = started.duration(to: .now)
            #expect(slow.answer.hasPrefix("HTTP/1.1 408") && slow.answer.contains("BODY_TIMEOUT"), "\(slow.answer.prefix(300))")
            // The answer says the connection ends, and the server closes its side after it
            // although the client keeps sending (recv 0 before the client's own 120 s).
            #expect(slow.answer.lowercased().contains("\r\nconnection: close\r\n") && slow.closed, "\(slow.answer.prefix(300))")
            #expect(slow.ended, "the connection is closed whole after CloseAfterAnswerMiddleware.lingerSeconds, whatever the client sends")
            #expect(waited >= .seconds(6) && waited < .seconds(90), "\(waited)")
            // The place is free again: the next large request is read, not refused.
            let next = try await Self.announce(api.port, path, length: 40_000_000, authorization: "Bearer \(token)", seconds: 60)
            #expect(next.hasPrefix("HTTP/1.1 408") && next.contains("BODY_TIMEOUT"), "\(next.prefix(300))")
        }
    }

    /// A connection silent for `idleTimeoutSeconds` in the middle of a request is closed.
    @Test func aSilentConnectionIsClosedAfterTheIdleTimeout() async throws {
        let world = try await APIMRVWorkflowTests.world("sqlite")
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.idleTimeoutSeconds = 1
        try await APIMRVWorkflowTests.serve(world, configuration: configuration) { api in
            let outcome = try await MarketStreamLimitTests.blocking { () throws -> (Int, Duration) in
                let connection = try Connection(port: api.port)
                defer { connection.shut() }
                var timeout = timeval(tv_sec: 60, tv_usec: 0)
                setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let started = ContinuousClock.now
                let partial = Array("POST /api/v1/exchange/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{".utf8)
                _ = partial.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, 0) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var n = 1
                while n > 0 { n = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) } }
                return (n, started.duration(to: .now))
            }
            // recv 0: the server closed the connection (-1 would be this side's 60 s timeout).
            #expect(outcome.0 == 0 && outcome.1 < .seconds(30), "\(outcome)")
        }
    }
}
