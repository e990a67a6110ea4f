import OpenETSDomain
@testable import OpenETSWeb
import Testing

@Suite("A page's tables as CSV")
struct TableCSVTests {
    static let page = """
        <!doctype html><html lang="en"><body>
        <table id="a"><thead><tr><th>Unit</th><th class="num">Total (t)</th><th>Note</th></tr></thead><tbody>
        <tr><td><code>CEA24</code></td><td class="num">1,234,567</td><td>a &quot;b&quot;, c &amp; d</td></tr>
        <tr><td>CCER</td><td class="num">1.2345万吨</td><td><form method="post"><button>Approve</button></form>ok</td></tr>
        </tbody></table>
        <p class="csv"><a href="/own.csv">Download CSV</a></p>
        <table><tr><td>2025</td><td>-3,000 t</td><td>1,234.56</td><td>+0.05</td></tr></table>
        </body></html>
        """

    @Test func aTableIsItsHeaderAndRowsWithExactNumbersAndRFC4180Quoting() throws {
        let csv = try #require(TableCSV.csv(Self.page, table: 0))
        #expect(csv == "\u{FEFF}Unit,Total (t),Note\r\nCEA24,1234567,\"a \"\"b\"\", c & d\"\r\nCCER,12345,ok\r\n")
        #expect(TableCSV.csv(Self.page, table: 1) == "\u{FEFF}2025,-3000,1234.56,+0.05\r\n")
        #expect(TableCSV.csv(Self.page, table: 2) == nil)
        #expect(TableCSV.csv(Self.page, table: -1) == nil)
    }

    @Test func displayedQuantitiesBecomeExactNumbers() {
        #expect(TableCSV.plainNumber("3,000万吨") == "30000000")
        #expect(TableCSV.plainNumber("1.001万吨") == "10010")
        #expect(TableCSV.plainNumber("0.5万吨") == "5000")
        #expect(TableCSV.plainNumber("9,999吨") == "9999")
        #expect(TableCSV.plainNumber("12 t") == "12")
        // Free text that only looks like a number is left alone: grouping must be by threes.
        for unchanged in ["2025", "CEA24", "2025-06-03", "58.20", "—", "", "1,2a", "95.0%", "1,2", "2024,001", "12,34,567"] {
            #expect(TableCSV.plainNumber(unchanged) == unchanged)
        }
    }

    /// Text a user typed cannot become a spreadsheet formula in any CSV (`csvField`); signed
    /// numbers stay numbers.
    @Test func formulasAreNeutralised() {
        #expect(csvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(csvField("+1+cmd") == "'+1+cmd" && csvField("-x") == "'-x" && csvField("\tx") == "'\tx")
        for number in ["-3000", "+0.05", "-", "0", "1234.56", "CEA24"] { #expect(csvField(number) == number) }
    }

    @Test func onlyTablesWithoutTheirOwnCSVGetALink() {
        let linked = TableCSV.withLinks(Self.page) { "/p?format=csv&table=\($0)" }
        #expect(linked.ranges(of: "class=\"csv\"").count == 2, "the first keeps its own, the second gets one")
        #expect(linked.contains("<p class=\"csv\"><a href=\"/p?format=csv&amp;table=1\" class=\"table-csv\">Download CSV</a></p>"))
        #expect(!linked.contains("table=0"))
        #expect(TableCSV.withLinks(Self.page.replacing("lang=\"en\"", with: "lang=\"zh-CN\"")) { "\($0)" }.contains("下载 CSV"))
    }
}
