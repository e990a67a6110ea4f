import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSServer
import Testing

/// `TableCSVMiddleware`'s bound on the page it reads (`maxPageBytes`), on a live server with a
/// small bound: a streamed page over it is refused with 413 PAGE_TOO_LARGE once the bound is
/// passed (the rest of the page is never produced); a page of known length over it passes
/// through untouched and unread (its CSV is 413); a page within it gets its CSV link.
@Suite("HTTP server: the CSV middleware's page bound")
struct TableCSVLimitTests {
    static let limit = 1024
    static let table = "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>"

    /// Counts the chunks the streamed page wrote (the middleware stops reading past the bound).
    final class Written: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks = 0
        func add() { lock.lock(); chunks += 1; lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return chunks }
    }

    @Test func aPageOverTheBoundIsNotCollected() async throws {
        let written = Written()
        let router = Router()
        router.add(middleware: TableCSVMiddleware(maxPageBytes: Self.limit))
        let html: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        // 100 chunks of 512 bytes, length unknown: the middleware may read only 2 of them.
        router.get("/streamed") { _, _ in
            Response(status: .ok, headers: html, body: ResponseBody { writer in
                for _ in 0..<100 {
                    written.add()
                    try await writer.write(ByteBuffer(string: Self.table + String(repeating: " ", count: 512 - Self.table.utf8.count)))
                }
                try await writer.finish(nil)
            })
        }
        router.get("/known") { _, _ in
            Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: Self.table + String(repeating: " ", count: 4 * Self.limit))))
        }
        router.get("/small") { _, _ in Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: Self.table))) }
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func get(_ path: String) async throws -> (Int, String) {
                let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
            }
            let streamed = try await get("/streamed")
            #expect(streamed.0 == 413 && streamed.1.hasPrefix("PAGE_TOO_LARGE"), "\(streamed)")
            #expect(written.count <= Self.limit / 512 + 1, "the page was read past the bound: \(written.count) chunks")
            let known = try await get("/known")
            #expect(known.0 == 200 && known.1.utf8.count == Self.table.utf8.count + 4 * Self.limit && !known.1.contains("format=csv"), "untouched")
            let knownCSV = try await get("/known?format=csv&table=0")
            #expect(knownCSV.0 == 413 && knownCSV.1.hasPrefix("PAGE_TOO_LARGE"))
            let small = try await get("/small")
            #expect(small.0 == 200 && small.1.contains("format=csv&amp;table=0"), "\(small.1)")
            let csv = try await get("/small?format=csv&table=0")
            #expect(csv.0 == 200 && csv.1.contains("a"), "\(csv)")
            group.cancelAll()
        }
    }
}
