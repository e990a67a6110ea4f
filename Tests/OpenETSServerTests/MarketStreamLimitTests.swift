import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OpenETSApplication
import OpenETSRuntime
import OpenETSServer
import Testing

/// The market stream's limits on the live server: on open streams (`MarketStreams.maxStreams`,
/// 64): 64 streams open, the 65th is refused with 503 STREAM_LIMIT, and once a client closes
/// one a new stream opens again within a bounded time; per client address
/// (`ServerConfiguration.marketStreamsPerAddress`, 8 by default): the 9th from one address is
/// refused with 429 STREAM_LIMIT, and one opens again once the client closes one.
@Suite("HTTP server: market stream limits")
struct MarketStreamLimitTests {
    /// A raw HTTP/1.1 connection (URLSession on Linux cannot hold 65 open event streams).
    final class Connection: @unchecked Sendable {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure("socket") }
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw Failure("connect") }
        }

        /// Sends a GET and reads until the head (and, for an error, its short body) arrived.
        func get(_ path: String) throws -> String {
            let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8)
            guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { throw Failure("send") }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failure("recv \(n) after \(received.count) bytes") }
                received += buffer[0..<n]
                let text = String(decoding: received, as: UTF8.self)
                // The head, and then either the stream's first line or the refusal's body.
                if let end = text.range(of: "\r\n\r\n"), text[end.upperBound...].contains("\n") { return text }
            }
        }

        func shut() { close(fd) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs blocking socket work off the cooperative pool.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func open(_ port: Int) async throws -> (Connection, String) {
        try await blocking {
            let connection = try Connection(port: port)
            return (connection, try connection.get("/market/stream?instrument=CEA24"))
        }
    }

    /// The server of `PortalServerTests.serve` with `perAddress` streams per client address.
    static func serve(_ world: PortalServerTests.World, perAddress: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.marketStreamsPerAddress = perAddress
        try await PortalServerTests.run(configuration, store: world.store, service: world.service, mrv: world.mrv, body)
        try await world.mrvStore.close()
        try await world.store.close()
        TestMarket.remove(.sqlite(path: world.path))
    }

    @Test func aNinthStreamFromOneAddressIsRefusedAndOneOpensAgainAfterItCloses() async throws {
        let world = try await PortalServerTests.world()
        let perAddress = ServerConfiguration.defaultMarketStreamsPerAddress
        #expect(perAddress == 8)
        try await PortalServerTests.serve(world) { port in
            var open: [Connection] = []
            defer { open.forEach { $0.shut() } }
            for index in 0..<perAddress {
                let (connection, head) = try await Self.open(port)
                open.append(connection)
                #expect(head.hasPrefix("HTTP/1.1 200"), "stream \(index + 1): \(head.prefix(200))")
            }
            let (refused, head) = try await Self.open(port)
            refused.shut()
            #expect(head.hasPrefix("HTTP/1.1 429") && head.contains("\"code\":\"STREAM_LIMIT\""), "the 9th: \(head.prefix(300))")
            open.removeFirst().shut()
            let deadline = ContinuousClock.now + .seconds(3 * 10 + 15)
            var reopened = false
            while ContinuousClock.now < deadline {
                let (connection, head) = try await Self.open(port)
                if head.hasPrefix("HTTP/1.1 200") {
                    open.append(connection)
                    reopened = true
                    break
                }
                connection.shut()
                #expect(head.hasPrefix("HTTP/1.1 429") && head.contains("STREAM_LIMIT"), "\(head.prefix(200))")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(reopened, "a stream opens again after the client closed one")
        }
    }

    @Test func the65thStreamIsRefusedAndOneOpensAgainAfterAClientCloses() async throws {
        let world = try await PortalServerTests.world()
        // Every stream comes from 127.0.0.1: the per-address limit is raised to the server's.
        try await Self.serve(world, perAddress: 64) { port in
            var open: [Connection] = []
            defer { open.forEach { $0.shut() } }
            for index in 0..<64 {
                let (connection, head) = try await Self.open(port)
                open.append(connection)
                #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("text/event-stream"), "stream \(index + 1): \(head.prefix(200))")
            }
            let (refused, head) = try await Self.open(port)
            refused.shut()
            #expect(head.hasPrefix("HTTP/1.1 503") && head.contains("\"code\":\"STREAM_LIMIT\""), "the 65th: \(head.prefix(300))")
            // A client goes away: its slot is free again within a bounded time.
            open.removeFirst().shut()
            let deadline = ContinuousClock.now + .seconds(3 * 10 + 15)
            var reopened = false
            while ContinuousClock.now < deadline {
                let (connection, head) = try await Self.open(port)
                if head.hasPrefix("HTTP/1.1 200") {
                    open.append(connection)
                    reopened = true
                    break
                }
                connection.shut()
                #expect(head.contains("STREAM_LIMIT"), "\(head.prefix(200))")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(reopened, "a stream opens again after a client closed one")
        }
    }

    /// A lower per-address limit set in the configuration (`openets serve
    /// --market-streams-per-address 2`) is the one enforced: the third stream from one address
    /// is refused with 429 STREAM_LIMIT naming 2, where the default would let it open.
    @Test func aLowerConfiguredPerAddressLimitIsEnforced() async throws {
        let world = try await PortalServerTests.world()
        try await Self.serve(world, perAddress: 2) { port in
            var open: [Connection] = []
            defer { open.forEach { $0.shut() } }
            for index in 0..<2 {
                let (connection, head) = try await Self.open(port)
                open.append(connection)
                #expect(head.hasPrefix("HTTP/1.1 200"), "stream \(index + 1): \(head.prefix(200))")
            }
            let (refused, head) = try await Self.open(port)
            refused.shut()
            #expect(head.hasPrefix("HTTP/1.1 429") && head.contains("\"code\":\"STREAM_LIMIT\"") && head.contains("at most 2 market streams"),
                "the 3rd: \(head.prefix(300))")
        }
    }

    /// The configured limits must be at least 1: 0 or less is named as the problem.
    @Test func limitsOfZeroOrLessAreNamed() {
        #expect(ServerConfiguration().problem == nil)
        var configuration = ServerConfiguration()
        #expect(configuration.marketStreamsPerAddress == 8 && configuration.maxConcurrentLargeBodies == 4 && configuration.idempotencyRetentionDays == 30)
        #expect(configuration.maxConcurrentEvidenceDownloads == 4)
        configuration.marketStreamsPerAddress = 0
        #expect(configuration.problem?.hasPrefix("marketStreamsPerAddress must be at least 1") == true)
        configuration = ServerConfiguration()
        configuration.maxConcurrentLargeBodies = -1
        #expect(configuration.problem?.hasPrefix("maxConcurrentLargeBodies must be at least 1") == true)
        configuration = ServerConfiguration()
        configuration.maxConcurrentEvidenceDownloads = 0
        #expect(configuration.problem?.hasPrefix("maxConcurrentEvidenceDownloads must be at least 1") == true)
        configuration = ServerConfiguration()
        configuration.idempotencyRetentionDays = 0
        #expect(configuration.problem?.hasPrefix("idempotencyRetentionDays must be at least 1") == true)
        configuration = ServerConfiguration()
        #expect(configuration.idleTimeoutSeconds == 60 && configuration.largeBodyReadSeconds == 600)
        for seconds in [0, 86_401, Int.max] {
            configuration = ServerConfiguration()
            configuration.idleTimeoutSeconds = seconds
            #expect(configuration.problem == "idleTimeoutSeconds must be 1-86400 (is \(seconds))")
            configuration = ServerConfiguration()
            configuration.largeBodyReadSeconds = seconds
            #expect(configuration.problem == "largeBodyReadSeconds must be 1-86400 (is \(seconds))")
        }
    }
}
