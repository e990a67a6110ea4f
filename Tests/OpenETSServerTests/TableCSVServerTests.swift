import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// "A CSV download beside every table" (issue 7), on the live server over the demo market and
/// MRV history: every page (every GET route of `WebPermissions.routes` answering HTML) for
/// every role that may see it, in both languages, has a CSV link right after each of its
/// tables, and each link answers CSV whose header row is the table's header. A table added
/// later without a CSV fails here.
@Suite("Web: a CSV beside every table")
struct TableCSVServerTests {
    typealias Client = NeutralityServerTests.Client

    /// Every `<table` followed by its CSV link; the hrefs of the links, in table order.
    static func csvLinks(_ html: String) -> (tables: Int, links: [String], missing: [String], columns: [Int]) {
        var tables = 0
        var links: [String] = []
        var columns: [Int] = []
        var missing: [String] = []
        var rest = Substring(html)
        while let open = rest.range(of: "<table") {
            tables += 1
            guard let close = rest[open.upperBound...].range(of: "</table>") else { missing.append("unclosed table"); break }
            let tag = rest[open.lowerBound...].prefix { $0 != ">" }
            // The cells of the table's first row.
            let firstRow = rest[open.lowerBound..<close.lowerBound].components(separatedBy: "</tr>").first ?? ""
            columns.append(["<th>", "<th ", "<td>", "<td "].reduce(0) { $0 + firstRow.components(separatedBy: $1).count - 1 })
            rest = rest[close.upperBound...]
            let following = rest.drop { $0.isWhitespace }
            guard following.hasPrefix("<p class=\"csv\"><a href=\""), let end = following.dropFirst(24).firstIndex(of: "\"") else {
                missing.append(String(tag))
                continue
            }
            links.append(String(following.dropFirst(24)[..<end]).replacingOccurrences(of: "&amp;", with: "&"))
        }
        return (tables, links, missing, columns)
    }

    /// The fields of one CSV line (RFC 4180 quoting).
    static func fields(_ line: String) -> Int {
        var count = 1, quoted = false
        for character in line {
            if character == "\"" { quoted.toggle() } else if character == ",", !quoted { count += 1 }
        }
        return count
    }

    @Test func everyTableOfEveryPageHasACSVBesideIt() async throws {
        let world = try await PortalServerTests.world()
        try await PortalServerTests.serve(world) { port in
            var clients: [(name: String, client: Client)] = [("no session", PortalServerTests.client(port))]
            for role in Role.allCases where role != .public {
                let user = try #require(DemoUsers.all.first { $0.role == role })
                clients.append((user.id, try await PortalServerTests.login(port, user.id)))
            }
            let skipped: Set<String> = ["GET /market/stream", "GET /metrics", "GET /health", "GET /ready", "GET /openapi.yaml"]
            let pages = WebPermissions.routes.keys.filter { $0.hasPrefix("GET ") && !$0.hasSuffix(".csv") && !$0.contains("/static/") && !skipped.contains($0) }.sorted()
            var tablesSeen = 0
            var generic = 0
            for route in pages {
                for (name, client) in clients {
                    for language in ["zh", "en"] {
                        let path = WebPermissionWalkTests.concretePath(route)
                        let page = try await client.get(path + (path.contains("?") ? "&" : "?") + "lang=\(language)")
                        guard page.status == 200, page.body.hasPrefix("<!doctype html>") else { continue }
                        let found = Self.csvLinks(page.body)
                        #expect(found.missing.isEmpty, "\(route) as \(name) (\(language)): tables without a CSV link: \(found.missing)")
                        tablesSeen += found.tables
                        if found.links.contains(where: { $0.contains("format=csv") }) {
                            #expect(page.body.contains(language == "zh" ? "下载 CSV" : "Download CSV"), "\(route) as \(name): the link's label in \(language)")
                        }
                        // Every link answers CSV (checked once per page and role, in Chinese).
                        guard language == "zh" else { continue }
                        for (index, link) in found.links.enumerated() {
                            let csv = try await client.get(link)
                            #expect(csv.status == 200 && !csv.body.hasPrefix("<!doctype"), "\(route) as \(name): \(link) → \(csv.status) \(csv.body.prefix(80))")
                            guard link.contains("format=csv") else { continue }
                            #expect(csv.body.hasPrefix("\u{FEFF}"), "\(link): UTF-8 with a BOM")
                            generic += 1
                            #expect(link.contains("table=\(index)"), "\(link): the table's own index")
                            // The first row has the table's columns.
                            let header = csv.body.dropFirst().split(separator: "\r\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                            #expect(Self.fields(header) == found.columns[index], "\(link): \(header) has not the table's \(found.columns[index]) columns")
                        }
                    }
                }
            }
            print("CSV beside every table: \(pages.count) pages × \(clients.count) principals × 2 languages, \(tablesSeen) tables, \(generic) table CSVs fetched")
            #expect(tablesSeen > 100 && generic > 50)
        }
    }

    /// The table CSV has the page's guard: no session → the login; a role the page refuses → 403.
    @Test func aTableCSVHasItsPagesGuard() async throws {
        let world = try await PortalServerTests.world()
        try await PortalServerTests.serve(world) { port in
            let anonymous = try await PortalServerTests.client(port).get("/portal/exchange?format=csv&table=0")
            #expect(anonymous.status == 303 && (anonymous.location ?? "").hasPrefix("/login"), "\(anonymous.status)")
            let e1 = try await PortalServerTests.login(port, "e1")
            #expect(try await e1.get("/portal/exchange?format=csv&table=0").status == 403)
            let operatorUser = try #require(DemoUsers.all.first { $0.role == .exchangeOperator })
            let op = try await PortalServerTests.login(port, operatorUser.id)
            let csv = try await op.get("/portal/exchange?format=csv&table=0")
            #expect(csv.status == 200 && csv.body.hasPrefix("\u{FEFF}"), "\(csv.status)")
            #expect(try await op.get("/portal/exchange?format=csv&table=999").status == 404)
            // The holdings of e1's own account: exact tonnes, no grouping.
            let holdings = try await e1.get("/trade?format=csv&table=0")
            #expect(holdings.status == 200, "\(holdings.status)")
            let rows = holdings.body.dropFirst().split(separator: "\r\n").map { $0.split(separator: ",") }
            #expect(rows.count >= 2 && rows.allSatisfy { $0.count == rows[0].count }, "\(holdings.body)")
            // Every quantity a plain integer (no grouping, no unit), so no field was quoted.
            #expect(!holdings.body.contains("\"") && rows.dropFirst().allSatisfy { $0.dropFirst().allSatisfy { Int64($0) != nil } }, "\(holdings.body)")
        }
    }
}
