import HTTPTypes
import Hummingbird
import OpenETSWeb

/// A CSV download beside every table (`TableCSV`): every page (a GET answered 200 with HTML)
/// gets a CSV link after each table without its own, and `?format=csv&table=N` on the same
/// page answers that table as CSV. The page's own handler answers the request first, so the
/// CSV has exactly the page's guard (login, permission, scope): a request the page refuses
/// is refused the same way, and `WebPermissions.routes` needs no entry of its own.
///
/// The page is read into memory to add the links, at most `maxPageBytes`: a page whose length
/// is known and over the bound is not read and passes through untouched (its CSV is 413
/// PAGE_TOO_LARGE); a streamed page (length unknown) is read until the bound is passed and
/// then refused with 413 PAGE_TOO_LARGE (what was read is dropped, the rest is not read).
public struct TableCSVMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The named bound of a page read to add its CSV links (bytes); pages are small.
    public static var defaultMaxPageBytes: Int { 8 * 1024 * 1024 }
    public var maxPageBytes: Int

    public init(maxPageBytes: Int = Self.defaultMaxPageBytes) {
        self.maxPageBytes = maxPageBytes
    }

    public func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard request.method == .get, response.status == .ok,
              response.headers[.contentType]?.hasPrefix("text/html") == true
        else { return response }
        let tooLarge = text("PAGE_TOO_LARGE: the page is over \(maxPageBytes) bytes (TableCSVMiddleware.maxPageBytes)\n", status: .contentTooLarge)
        if let length = response.body.contentLength, length > maxPageBytes {
            // Not read: the page as it is, or, for its CSV, the refusal.
            return request.uri.queryParameters.get(TableCSV.formatItem) == "csv" ? tooLarge : response
        }
        let collector = Collector(limit: maxPageBytes)
        do {
            try await response.body.write(collector)
        } catch is PageTooLarge {
            return tooLarge
        }
        let html = String(buffer: collector.box.buffer)
        let query = request.uri.queryParameters
        if query.get(TableCSV.formatItem) == "csv" {
            let path = request.uri.path
            guard let n = query.get(TableCSV.tableItem).flatMap({ Int($0) }), let csv = TableCSV.csv(html, table: n) else {
                return text("no such table on \(path)\n", status: .notFound)
            }
            let slug = path.split(separator: "/").joined(separator: "-")
            return text(csv, contentType: "text/csv; charset=utf-8", attachment: "\(slug.isEmpty ? "overview" : slug)-table-\(n).csv")
        }
        // The link keeps the page's query (year, number…) but not the language switch.
        let kept = (request.uri.query ?? "").split(separator: "&").filter {
            !$0.hasPrefix("lang=") && !$0.hasPrefix("\(TableCSV.formatItem)=") && !$0.hasPrefix("\(TableCSV.tableItem)=")
        }
        let base = request.uri.path + "?" + kept.map { $0 + "&" }.joined()
        let linked = TableCSV.withLinks(html) { "\(base)\(TableCSV.formatItem)=csv&\(TableCSV.tableItem)=\($0)" }
        var headers = response.headers
        headers[.contentLength] = nil
        return Response(status: response.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: linked)))
    }

    /// A page over the bound: collecting stopped.
    struct PageTooLarge: Error {}

    /// Collects a response body up to `limit` bytes; past it, throws `PageTooLarge` (the
    /// writing stops and nothing more is kept).
    struct Collector: ResponseBodyWriter {
        final class Box { var buffer = ByteBuffer() }
        let box = Box()
        let limit: Int
        func write(_ buffer: ByteBuffer) async throws {
            guard box.buffer.readableBytes + buffer.readableBytes <= limit else {
                box.buffer = ByteBuffer()
                throw PageTooLarge()
            }
            var buffer = buffer
            box.buffer.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
