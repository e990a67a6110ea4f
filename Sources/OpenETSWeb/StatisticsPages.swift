import OpenETSDomain

/// The public statistics of the compliance cycle (issue 5 §8): per year, compliance by
/// province and sector (rates by entity count and by volume, obligation, surrendered,
/// shortfall), allocation totals by province, the turnover rate, a bar chart of the compliance
/// rates per province, and a CSV download beside each table. Pure functions of the
/// `CycleStatistics` of the year (one per plan, i.e. per sector).
public struct StatisticsPages: Sendable {
    public let language: Language
    let s: StatisticsStrings

    public init(language: Language) {
        self.language = language
        self.s = StatisticsStrings(language)
    }

    /// `/statistics`: the years with published statistics.
    public func index(years: [Int]) -> String {
        var body = "<p>\(escape(s.intro))</p>"
        body += years.isEmpty
            ? "<p class=\"muted\">\(escape(s.noYears))</p>"
            : "<ul id=\"years\">" + years.sorted(by: >).map { "<li><a href=\"/statistics/\($0)\">\(escape(s.yearTitle($0)))</a></li>" }.joined() + "</ul>"
        return Layout(language: language, path: "/statistics").page(title: s.title, body)
    }

    /// `/statistics/{year}`.
    public func year(_ year: Int, _ statistics: [CycleStatistics]) -> String {
        let path = "/statistics/\(year)"
        guard !statistics.isEmpty else {
            return Layout(language: language, path: path).page(title: s.yearTitle(year), "<p class=\"muted\">\(escape(s.noYears))</p>")
        }
        let rows = statistics.flatMap(\.rows)
        var body = "<h2>\(escape(s.complianceTitle))</h2>"
        body += table(
            [s.province, s.sectorHeader, s.entities, s.compliant, s.rateByCount, s.obligation, s.surrendered, s.shortfall, s.rateByVolume],
            rows.map { r in
                [escape(s.scope(r.scope)), escape(s.sector(r.sector)), String(r.entities), String(r.compliantEntities),
                 percentCell(r.complianceRateByCount), Format.grouped(r.obligationT), Format.grouped(r.surrenderedT),
                 Format.grouped(r.shortfallT), percentCell(r.complianceRateByVolume)]
            }, numeric: [2, 3, 4, 5, 6, 7, 8], id: "compliance")
        body += "<p class=\"csv\"><a href=\"\(path)/compliance.csv\">\(escape(s.downloadCSV))</a></p>"
        body += ComplianceChart.svg(rows.filter { $0.scope != "CN" }, strings: s)
        body += "<h2>\(escape(s.allocationTitle))</h2>"
        body += table(
            [s.province, s.sectorHeader, s.preAllocation, s.finalAllocation],
            rows.map { r in
                [escape(s.scope(r.scope)), escape(s.sector(r.sector)), Format.grouped(r.preAllocationT),
                 r.finalAllocationT.map(Format.grouped) ?? "—"]
            }, numeric: [2, 3], id: "allocation")
        body += "<p class=\"csv\"><a href=\"\(path)/allocation.csv\">\(escape(s.downloadCSV))</a></p>"
        let turnover = Self.turnover(statistics)
        body += "<h2>\(escape(s.turnoverTitle))</h2>"
        body += table(
            [s.unit, s.traded, s.finalAllocation, s.turnoverRate],
            [[escape(CycleAllocation.unitCode(year: year).rawValue), Format.grouped(turnover.tradedT), Format.grouped(turnover.allocationT),
              percentCell(turnover.rate)]],
            numeric: [1, 2, 3], id: "turnover")
        body += "<p class=\"csv\"><a href=\"\(path)/turnover.csv\">\(escape(s.downloadCSV))</a></p>"
        body += "<p class=\"muted\">\(escape(s.definitions))</p>"
        return Layout(language: language, path: path).page(title: s.yearTitle(year), body)
    }

    private func percentCell(_ rate: String) -> String { rate == "-" ? "—" : escape(rate) + "%" }

    /// The year's turnover: tonnes of the year's vintage traded / the national final
    /// allocation of every plan (sector) of the year.
    public static func turnover(_ statistics: [CycleStatistics]) -> (tradedT: Int64, allocationT: Int64, rate: String) {
        let traded = statistics.first?.tradedT ?? 0
        let allocation = statistics.compactMap { $0.rows.last?.finalAllocationT }.reduce(0, +)
        return (traded, allocation, CycleStatistics.percent(traded, allocation))
    }

    // MARK: CSV (UTF-8 with a byte-order mark so spreadsheet programs read it as UTF-8; stable column names)

    public static func complianceCSV(_ statistics: [CycleStatistics]) -> String {
        var lines = [
            "\u{FEFF}year,plan,scope,sector,entities,compliant_entities,compliance_rate_by_count,obligation_t,surrendered_t,shortfall_t,"
                + "compliance_rate_by_volume"
        ]
        for stats in statistics {
            for r in stats.rows {
                lines.append(
                    [String(stats.year), csvField(stats.planID), csvField(r.scope), csvField(r.sector), String(r.entities),
                     String(r.compliantEntities), r.complianceRateByCount, String(r.obligationT), String(r.surrenderedT),
                     String(r.shortfallT), r.complianceRateByVolume].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func allocationCSV(_ statistics: [CycleStatistics]) -> String {
        var lines = ["\u{FEFF}year,plan,scope,sector,pre_allocation_t,final_allocation_t"]
        for stats in statistics {
            for r in stats.rows {
                lines.append(
                    [String(stats.year), csvField(stats.planID), csvField(r.scope), csvField(r.sector), String(r.preAllocationT),
                     r.finalAllocationT.map { String($0) } ?? ""].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func turnoverCSV(year: Int, _ statistics: [CycleStatistics]) -> String {
        let t = turnover(statistics)
        return "\u{FEFF}year,unit,traded_t,final_allocation_t,turnover_rate\n"
            + "\(year),\(CycleAllocation.unitCode(year: year).rawValue),\(t.tradedT),\(t.allocationT),\(t.rate)\n"
    }
}

/// A server-rendered SVG bar chart: per province and sector, the compliance rate by entity
/// count and by volume (0-100 %), exact widths from the rates' hundredths.
enum ComplianceChart {
    static let barWidth: Int64 = 400

    static func svg(_ rows: [CycleStatistics.Row], strings s: StatisticsStrings) -> String {
        let left = 110, rowHeight = 44, top = 28
        let height = top + rows.count * rowHeight + 8
        let width = left + Int(barWidth) + 70
        var svg = "<figure><svg id=\"compliance-chart\" role=\"img\" aria-label=\"\(escape(s.chartCaption))\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<rect x=\"\(left)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#b91c1c\"/><text x=\"\(left + 20)\" y=\"16\">\(escape(s.rateByCount))</text>"
        svg += "<rect x=\"\(left + 200)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#9ca3af\"/><text x=\"\(left + 220)\" y=\"16\">\(escape(s.rateByVolume))</text>"
        for (index, row) in rows.enumerated() {
            let y = top + index * rowHeight
            svg += "<text x=\"0\" y=\"\(y + 18)\">\(escape(s.scope(row.scope))) \(escape(s.sector(row.sector)))</text>"
            for (offset, (rate, color)) in [(row.complianceRateByCount, "#b91c1c"), (row.complianceRateByVolume, "#9ca3af")].enumerated() {
                let hundredths = Self.hundredths(rate)
                let w = hundredths * barWidth / 10_000
                let by = y + offset * 18
                svg += "<rect class=\"bar\" x=\"\(left)\" y=\"\(by)\" width=\"\(w)\" height=\"16\" fill=\"\(color)\"><title>\(escape(rate))%</title></rect>"
                svg += "<text x=\"\(Int64(left) + w + 6)\" y=\"\(by + 13)\">\(rate == "-" ? "—" : escape(rate) + "%")</text>"
            }
        }
        return svg + "</svg><figcaption class=\"muted\">\(escape(s.chartCaption))</figcaption></figure>"
    }

    /// "95.83" → 9583; "-" or anything else → 0.
    static func hundredths(_ rate: String) -> Int64 {
        let parts = rate.split(separator: ".")
        guard parts.count == 2, let whole = Int64(parts[0]), let fraction = Int64(parts[1]), parts[1].count == 2 else { return 0 }
        return min(10_000, whole * 100 + fraction)
    }
}

struct StatisticsStrings: Sendable {
    let language: Language

    init(_ language: Language) { self.language = language }

    private func pick(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    var title: String { pick("履约统计", "Compliance statistics") }
    func yearTitle(_ year: Int) -> String { pick("\(year) 年度履约统计", "Compliance statistics \(year)") }
    var intro: String {
        pick("各履约年度按省份和行业公布的履约率、配额分配总量与换手率。", "Per compliance year: compliance rates by province and sector, allocation totals and the turnover rate.")
    }
    var noYears: String { pick("尚无已完成清缴的履约年度。", "No compliance year has completed its surrender yet.") }
    var complianceTitle: String { pick("履约情况（按省份和行业）", "Compliance by province and sector") }
    var allocationTitle: String { pick("配额分配总量（按省份）", "Allocation totals by province") }
    var turnoverTitle: String { pick("换手率", "Turnover rate") }
    var province: String { pick("省份", "Province") }
    var sectorHeader: String { pick("行业", "Sector") }
    var entities: String { pick("重点排放单位数", "Entities") }
    var compliant: String { pick("完成履约单位数", "Compliant") }
    var rateByCount: String { pick("履约率（按单位数）", "Compliance rate (by count)") }
    var rateByVolume: String { pick("履约率（按配额量）", "Compliance rate (by volume)") }
    var obligation: String { pick("应清缴量（吨）", "Obligation (t)") }
    var surrendered: String { pick("已清缴量（吨）", "Surrendered (t)") }
    var shortfall: String { pick("未清缴量（吨）", "Shortfall (t)") }
    var preAllocation: String { pick("预分配量（吨）", "Pre-allocation (t)") }
    var finalAllocation: String { pick("核定分配量（吨）", "Final allocation (t)") }
    /// The same headers for cells that carry their unit (`Format.tonnes`: 60.2万吨, 602,000 t).
    var preAllocationWithUnits: String { pick("预分配量", "Pre-allocation") }
    var finalAllocationWithUnits: String { pick("核定分配量", "Final allocation") }
    var unit: String { pick("配额品种", "Allowance") }
    var traded: String { pick("成交量（吨）", "Traded (t)") }
    var turnoverRate: String { pick("换手率", "Turnover rate") }
    var downloadCSV: String { pick("下载 CSV", "Download CSV") }
    var chartCaption: String { pick("各省履约率（按单位数与按配额量）", "Compliance rate per province (by count and by volume)") }
    var definitions: String {
        pick(
            "履约率（按单位数）= 完成履约单位数 ÷ 单位数；履约率（按配额量）= 已清缴量 ÷ 应清缴量；换手率 = 该年度配额在交易所的成交量 ÷ 全国核定分配量。百分比四舍五入至两位小数。",
            "Rate by count = compliant entities ÷ entities; rate by volume = surrendered ÷ obligation; turnover = tonnes of the year's allowances traded on the exchange ÷ national final allocation. Percentages rounded half up to 2 decimals.")
    }

    func scope(_ scope: String) -> String {
        let names: [String: (String, String)] = [
            "CN": ("全国", "Nation"), "SC": ("四川", "Sichuan"), "GD": ("广东", "Guangdong"), "BJ": ("北京", "Beijing"),
            "SH": ("上海", "Shanghai"), "HB": ("湖北", "Hubei"), "TJ": ("天津", "Tianjin"), "CQ": ("重庆", "Chongqing"),
            "FJ": ("福建", "Fujian"), "SD": ("山东", "Shandong"), "JS": ("江苏", "Jiangsu"), "ZJ": ("浙江", "Zhejiang"),
        ]
        guard let pair = names[scope] else { return scope }
        return pick(pair.0, pair.1) + (scope == "CN" ? "" : " (\(scope))")
    }

    func sector(_ sector: String) -> String { Strings(language).sector(sector) }
}
