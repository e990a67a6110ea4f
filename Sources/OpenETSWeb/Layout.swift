import OpenETSDomain

/// The frame of every page: header with navigation and the language switch, content, footer.
public struct Layout: Sendable {
    public let language: Language
    public let path: String

    public init(language: Language, path: String) {
        self.language = language
        self.path = path
    }

    public func page(title: String, _ body: String) -> String {
        let s = Strings(language)
        let other = language == .zh ? Language.en : .zh
        let switchLabel = language == .zh ? "English" : "中文"
        return """
            <!doctype html>
            <html lang="\(language.htmlLang)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · \(escape(s.siteName))</title>
            <link rel="stylesheet" href="/static/site.css">
            </head>
            <body>
            <header>
            <a class="brand" href="/">\(escape(s.siteName))</a>
            <nav><a href="/">\(s.overview)</a><a href="/market">\(language == .zh ? "行情" : "Market")</a><a href="/accounts">\(s.accounts)</a><a href="/ccer">CCER</a><a href="/neutrality/calculator">\(language == .zh ? "碳中和" : "Neutrality")</a><a href="/statistics">\(language == .zh ? "履约统计" : "Statistics")</a><a href="/certificates">\(s.certificateCheck)</a></nav>
            <a href="/trade" id="trade-link">\(language == .zh ? "交易" : "Trade")</a>
            <a class="lang" id="lang-switch" href="\(escape(path))?lang=\(other.rawValue)">\(switchLabel)</a>
            </header>
            <main>
            <h1>\(escape(title))</h1>
            \(body)
            </main>
            <footer>OpenETS</footer>
            </body>
            </html>
            """
    }
}

/// Rows of cells as an HTML table; cells are already-escaped HTML. Numeric columns align right.
func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = [], id: String? = nil) -> String {
    var html = "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>"
    for (index, header) in headers.enumerated() {
        html += "<th\(numeric.contains(index) ? " class=\"num\"" : "")>\(escape(header))</th>"
    }
    html += "</tr></thead><tbody>"
    for row in rows {
        html += "<tr>"
        for (index, cell) in row.enumerated() { html += "<td\(numeric.contains(index) ? " class=\"num\"" : "")>\(cell)</td>" }
        html += "</tr>"
    }
    return html + "</tbody></table>"
}

public enum SiteStyle {
    public static let css = """
        :root { --up: #d0021b; --down: #1a9c3e; --ink: #1d2433; --muted: #6b7280; --line: #e5e7eb; --accent: #b91c1c; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif; color: var(--ink); background: #f8f8f6; }
        header { display: flex; gap: 1.5rem; align-items: center; padding: .8rem 1.5rem; background: #7f1d1d; color: #fff; }
        header a { color: #fff; text-decoration: none; }
        header .brand { font-weight: 700; }
        header nav { display: flex; gap: 1rem; flex: 1; }
        main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1rem; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin: .5rem 0; }
        th, td { border-bottom: 1px solid var(--line); padding: .4rem .6rem; text-align: left; font-size: .92rem; }
        th { background: #f3f4f6; } .num { text-align: right; font-variant-numeric: tabular-nums; }
        code { font-size: .85rem; word-break: break-all; }
        .muted { color: var(--muted); } .ok { color: var(--down); font-weight: 600; } .bad { color: var(--up); font-weight: 600; }
        .csv { font-size: .85rem; }
        form input { padding: .4rem; width: 16rem; } form button { padding: .4rem .8rem; }
        footer { text-align: center; color: var(--muted); padding: 2rem; font-size: .8rem; }
        svg text { font-size: 12px; fill: var(--ink); }
        .up { color: var(--up); } .down { color: var(--down); }
        #book { max-width: 28rem; }
        form.inline { display: inline; } div.row { display: flex; gap: 1rem; align-items: center; } form.row { display: flex; gap: .4rem; align-items: center; margin: 0; }
        form.row input, form.row select { width: auto; max-width: 9rem; } form.stack label { display: block; margin: .6rem 0; }
        form.stack textarea { display: block; width: 100%; max-width: 40rem; } form.stack input { max-width: 100%; }
        td form.stack { min-width: 18rem; } td form.stack textarea, td form.stack input { width: 100%; }
        """
}
