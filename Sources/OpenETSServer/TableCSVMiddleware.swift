import HTTPTypes
import Hummingbird
import OpenETSWeb

/// A CSV download beside every table (`TableCSV`): every page (a GET answered 200 with HTML)
/// gets a CSV link after each table without its own, and `?format=csv&table=N` on the same
/// page answers that table as CSV. The page's own handler answers the request first, so the
/// CSV has exactly the page's guard (login, permission, scope): a request the page refuses
/// is refused the same way, and `WebPermissions.routes` needs no entry of its own.
struct TableCSVMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Pages are small; a larger HTML body is passed through untouched.
    static var maxPageBytes: Int { 8 * 1024 * 1024 }

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard request.method == .get, response.status == .ok,
              response.headers[.contentType]?.hasPrefix("text/html") == true
        else { return response }
        let collector = Collector()
        try await response.body.write(collector)
        guard collector.box.buffer.readableBytes <= Self.maxPageBytes else {
            return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: collector.box.buffer))
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

    /// Collects a response body (pages are written in one buffer).
    struct Collector: ResponseBodyWriter {
        final class Box { var buffer = ByteBuffer() }
        let box = Box()
        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            box.buffer.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
