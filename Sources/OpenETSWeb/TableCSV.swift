/// "A CSV download beside every table" (issue 7), for every table a page has, now and later:
/// a page's HTML gets a CSV link after each table that has none of its own, and the same page
/// asked with `?format=csv&table=N` answers its N-th table (0-based, in document order) as
/// CSV. The CSV is read back from the page's own markup, so it has the page's permission,
/// scope, rows and columns by construction; numbers lose their display grouping and units
/// (exact strings, no floating point): "1,234,567" → 1234567, "1.2345万吨" → 12345,
/// "3,000 t" → 3000, "1,234.56" → 1234.56. Tables with a dedicated CSV (machine column names,
/// every field) keep their own link. Pure functions of the HTML the page functions produce.
public enum TableCSV {
    /// The query item that asks a page for a table as CSV, and the one naming the table.
    public static let formatItem = "format"
    public static let tableItem = "table"

    /// The page language, from `<html lang="…">`.
    public static func language(of html: String) -> Language {
        html.contains("<html lang=\"en\"") ? .en : .zh
    }

    /// The HTML with a CSV link after every table that has no `class="csv"` paragraph right
    /// after it. `href(n)` is the link of the n-th table.
    public static func withLinks(_ html: String, href: (Int) -> String) -> String {
        let label = language(of: html) == .zh ? "下载 CSV" : "Download CSV"
        var out = ""
        var rest = Substring(html)
        var index = 0
        while let open = rest.firstRange(of: "<table") {
            guard let close = rest[open.upperBound...].firstRange(of: "</table>") else { break }
            out += rest[..<close.upperBound]
            rest = rest[close.upperBound...]
            let following = rest.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
            if !following.hasPrefix("<p class=\"csv\"") {
                out += "<p class=\"csv\"><a href=\"\(escape(href(index)))\" class=\"table-csv\">\(label)</a></p>"
            }
            index += 1
        }
        return out + rest
    }

    /// The n-th table of the page (0-based) as CSV: UTF-8 with a BOM, CRLF line ends, the
    /// header row first, fields quoted per RFC 4180. Nil when the page has no such table.
    public static func csv(_ html: String, table n: Int) -> String? {
        guard n >= 0 else { return nil }
        var rest = Substring(html)
        for _ in 0..<n {
            guard let open = rest.firstRange(of: "<table"), let close = rest[open.upperBound...].firstRange(of: "</table>") else { return nil }
            rest = rest[close.upperBound...]
        }
        guard let open = rest.firstRange(of: "<table"), let close = rest[open.upperBound...].firstRange(of: "</table>") else { return nil }
        let table = rest[open.upperBound..<close.lowerBound]
        var lines: [String] = []
        for row in elements(table, "tr") {
            var cells: [String] = []
            var cellRest = row
            // Header and data cells in their order.
            while let start = cellRest.firstRange(where: { ["<th>", "<th ", "<td>", "<td "].contains(String($0.prefix(4))) }) {
                let tag = String(cellRest[start].dropFirst().prefix(2))
                guard let end = cellRest[start.upperBound...].firstRange(of: "</\(tag)>") else { break }
                cells.append(plainNumber(text(cellRest[start.upperBound..<end.lowerBound])))
                cellRest = cellRest[end.upperBound...]
            }
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The contents of each `<name …>…</name>` in order (not nested).
    static func elements(_ html: Substring, _ name: String) -> [Substring] {
        var found: [Substring] = []
        var rest = html
        while let open = rest.firstRange(of: "<\(name)"), let close = rest[open.upperBound...].firstRange(of: "</\(name)>") {
            found.append(rest[open.upperBound..<close.lowerBound].drop { $0 != ">" }.dropFirst())
            rest = rest[close.upperBound...]
        }
        return found
    }

    /// A cell's text: forms (buttons, inputs) dropped, tags removed, entities decoded,
    /// white space collapsed.
    static func text(_ html: Substring) -> String {
        var source = html
        var withoutForms = ""
        while let open = source.firstRange(of: "<form") {
            withoutForms += source[..<open.lowerBound]
            guard let close = source[open.upperBound...].firstRange(of: "</form>") else { source = source[source.endIndex...]; break }
            source = source[close.upperBound...]
        }
        withoutForms += source
        var plain = ""
        var inTag = false
        for character in withoutForms {
            if character == "<" { inTag = true; plain.append(" "); continue }
            if character == ">" && inTag { inTag = false; continue }
            if !inTag { plain.append(character) }
        }
        return unescape(plain).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(10).firstIndex(of: ";") else { out.append("&"); rest = after; continue }
            let name = after[..<semi]
            let decoded: Character? = switch name {
            case "amp": "&"
            case "lt": "<"
            case "gt": ">"
            case "quot": "\""
            case "#39", "apos": "'"
            case "nbsp": " "
            default:
                name.hasPrefix("#") ? UInt32(name.dropFirst()).flatMap { Unicode.Scalar($0) }.map { Character($0) } : nil
            }
            if let decoded {
                out.append(decoded)
                rest = after[after.index(after: semi)...]
            } else {
                out.append("&")
                rest = after
            }
        }
        return out + rest
    }

    /// A displayed quantity as its exact number; anything else unchanged. Only cells that are
    /// a grouped number or carry a tonne unit are touched ("2025", "CEA24", dates stay).
    static func plainNumber(_ cell: String) -> String {
        var body = Substring(cell)
        var scale = 0
        var hadUnit = false
        for (suffix, shift) in [("万吨", 4), ("吨", 0), (" t", 0)] where body.hasSuffix(suffix) {
            body = body.dropLast(suffix.count)
            scale = shift
            hadUnit = true
            break
        }
        var sign = ""
        if let first = body.first, first == "-" || first == "+" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard !body.isEmpty, parts.count <= 2,
              parts[0].first?.isASCIIDigitCharacter == true,
              parts[0].allSatisfy({ $0.isASCIIDigitCharacter || $0 == "," }),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isASCIIDigitCharacter))
        else { return cell }
        guard hadUnit || parts[0].contains(",") else { return cell }
        // Grouping as the pages write it (1,234,567): a comma every three digits from the right,
        // so free text such as "1,2" or "2024,001" is left as it is.
        let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false)
        guard groups.count == 1 || (!groups[0].isEmpty && groups[0].count <= 3 && groups.dropFirst().allSatisfy { $0.count == 3 }) else { return cell }
        var whole = parts[0].filter { $0 != "," }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        // × 10^scale by moving the decimal point.
        for _ in 0..<scale {
            whole.append(fraction.isEmpty ? "0" : fraction.removeFirst())
        }
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        return sign + whole + (fraction.isEmpty ? "" : "." + fraction)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}

extension Substring {
    /// The range of the first `<…` at which `matches` holds for the rest of the text.
    fileprivate func firstRange(where matches: (Substring) -> Bool) -> Range<Index>? {
        var search = self[...]
        while let lt = search.firstIndex(of: "<") {
            let tail = self[lt...]
            if matches(tail), let gt = tail.firstIndex(of: ">") { return lt..<index(after: gt) }
            search = self[index(after: lt)...]
        }
        return nil
    }
}
