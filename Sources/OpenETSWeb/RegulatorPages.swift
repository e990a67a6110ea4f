import OpenETSDomain

/// The regulators' portals (docs/portals.md): the city's (its entities, their reports, the
/// city-level review) and the MEE's (the national review, MRV totals per province and sector,
/// the published compliance statistics with the compliance-rate chart, allocation by province
/// as an SVG bar chart, the plans in force), with a CSV download beside every table. Pure
/// functions of the MRV state, the year's `CycleStatistics` and the plan catalogue; every form
/// carries the session's CSRF token and a one-time nonce (`TradingPages.hidden`).
public struct RegulatorPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    var portal: PortalPages { PortalPages(language: language) }

    func csvLink(_ href: String, id: String) -> String {
        "<p class=\"csv\"><a href=\"\(escape(href))\" id=\"\(id)\">\(t("下载 CSV", "Download CSV"))</a></p>"
    }

    func yearLinks(_ path: String, _ year: Int) -> String {
        "<p class=\"years\">" + [year - 1, year + 1].map { "<a href=\"\(path)?year=\($0)\">\($0)</a>" }.joined(separator: " · ") + "</p>"
    }

    /// The verified emissions of a report (sum over facilities; nil before a conclusion or on overflow).
    public static func verifiedT(_ report: AnnualReport) -> ExactDecimal? {
        guard let verified = report.verified else { return nil }
        var total = ExactDecimal.zero
        for facility in verified {
            guard let sum = try? total.adding(facility.emissionsT) else { return nil }
            total = sum
        }
        return total
    }

    func reviewTrail(_ report: AnnualReport) -> String {
        report.reviews.map { review in
            let level = switch review.level {
            case .city: t("市级", "city")
            case .province: t("省级", "province")
            case .national: t("国家", "national")
            }
            return "\(level) \(review.approved ? "✓" : t("退回", "returned")) \(Format.beijingTime(review.at).prefix(10))"
        }.joined(separator: "<br>")
    }

    /// Approve and return forms of one report at one review stage (`action` is the route).
    func reviewForms(_ context: TradingPages.Context, action: String, prefix: String, report: AnnualReport) -> String {
        let hidden = TradingPages(language: language).hidden
        let anchor = escape("\(report.entity.rawValue)-\(report.year)")
        func common() -> String {
            hidden(context) + "<input type=\"hidden\" name=\"entity\" value=\"\(escape(report.entity.rawValue))\"><input type=\"hidden\" name=\"year\" value=\"\(report.year)\">"
        }
        return "<form method=\"post\" action=\"\(action)\" class=\"row\">\(common())<input type=\"hidden\" name=\"decision\" value=\"approve\">"
            + "<button id=\"\(prefix)approve-\(anchor)\">\(t("审核通过", "Approve"))</button></form>"
            + "<form method=\"post\" action=\"\(action)\" class=\"row\">\(common())<input type=\"hidden\" name=\"decision\" value=\"return\">"
            + "<input name=\"reason\" id=\"\(prefix)reason-\(anchor)\" placeholder=\"\(t("退回理由（必填）", "Reason to return (required)"))\" maxlength=\"500\">"
            + "<button id=\"\(prefix)return-\(anchor)\">\(t("退回核查", "Return"))</button></form>"
    }

    // MARK: city

    /// The city's entities (the MRV platform's entities whose province and city are the user's).
    public static func cityEntities(_ mrv: MRVState, province: String, city: String) -> [MRVEntity] {
        mrv.entities.values.filter { $0.province == province && $0.city == city }.sorted { $0.id < $1.id }
    }

    /// `/portal/city?year=Y`: the city's entities, the reports awaiting its review (every year)
    /// with approve / return, and the reports of data year `year`.
    public func city(_ context: TradingPages.Context, mrv: MRVState, province: String?, city: String?, year: Int) -> String {
        let title = t("市级主管部门门户", "City portal")
        guard let province, let city else {
            return portal.frame(context, path: "/portal/city", title: title,
                                "<p class=\"bad\" id=\"no-city\">" + t("该用户未设置所属城市，无法审核。", "This user has no city: nothing to review.") + "</p>")
        }
        var html = "<p id=\"city\">" + t("城市 ", "City ") + "\(escape(city)) · " + t("省份 ", "province ") + "\(escape(province))</p>"
        let entities = Self.cityEntities(mrv, province: province, city: city)
        html += "<h2>" + t("辖区重点排放单位", "Entities of the city") + "</h2>"
        html += table([t("单位", "Entity"), t("信用代码", "Credit code"), t("行业", "Sector"), t("设施数", "Facilities")],
                      entities.map { [escape($0.name), "<code>\(escape($0.id.rawValue))</code>", escape(StatisticsStrings(language).sector($0.sector.rawValue)),
                                         "\(mrv.facilitiesByEntity[$0.id]?.count ?? 0)"] },
                      numeric: [3], id: "entities")
        html += csvLink("/portal/city/entities.csv", id: "entities-csv")

        let ids = Set(entities.map(\.id))
        let pending = mrv.reports.values.filter { ids.contains($0.entity) && $0.status == .concluded }.sorted { $0.key < $1.key }
        html += "<h2>" + t("待市级审核", "Awaiting the city's review") + "</h2>"
        html += table([t("单位", "Entity"), t("年度", "Year"), t("核查机构", "Verifier"), t("核查排放量（tCO2）", "Verified (tCO2)"), ""],
                      pending.map { r in
                          [escape(mrv.entities[r.entity]?.name ?? r.entity.rawValue), "\(r.year)", escape(r.verifier?.rawValue ?? "—"),
                           Self.verifiedT(r)?.description ?? "—", reviewForms(context, action: "/portal/city/review", prefix: "city-", report: r)]
                      }, numeric: [1, 3], id: "city-reviews")
        if pending.isEmpty { html += "<p class=\"muted\" id=\"no-city-reviews\">" + t("暂无待审核报告。", "No report awaits the city.") + "</p>" }

        html += "<h2>" + t("\(year) 年度报告", "Reports of \(year)") + "</h2>"
        html += yearLinks("/portal/city", year)
        html += table([t("单位", "Entity"), t("状态", "Status"), t("核查机构", "Verifier"), t("核查排放量（tCO2）", "Verified (tCO2)"), t("审核记录", "Reviews")],
                      entities.map { entity in
                          let report = mrv.reports[ReportKey(entity: entity.id, year: year)]
                          return [escape(entity.name), portal.reportStatus(report?.status), escape(report?.verifier?.rawValue ?? "—"),
                                  report.flatMap(Self.verifiedT)?.description ?? "—", report.map(reviewTrail) ?? ""]
                      }, numeric: [3], id: "reports")
        html += csvLink("/portal/city/reports.csv?year=\(year)", id: "reports-csv")
        return portal.frame(context, path: "/portal/city", title: title, html)
    }

    public static func cityEntitiesCSV(_ mrv: MRVState, province: String, city: String) -> String {
        var lines = ["\u{FEFF}entity,name,province,city,sector,facilities"]
        for e in cityEntities(mrv, province: province, city: city) {
            lines.append([csvField(e.id.rawValue), csvField(e.name), csvField(e.province), csvField(e.city), e.sector.rawValue,
                          String(mrv.facilitiesByEntity[e.id]?.count ?? 0)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every entity of the city and its report of `year` (status `not_submitted` without one).
    public static func cityReportsCSV(_ mrv: MRVState, province: String, city: String, year: Int) -> String {
        var lines = ["\u{FEFF}entity,name,year,status,verifier,verified_t"]
        for e in cityEntities(mrv, province: province, city: city) {
            let report = mrv.reports[ReportKey(entity: e.id, year: year)]
            lines.append([csvField(e.id.rawValue), csvField(e.name), String(year), report?.status.rawValue ?? "not_submitted",
                          csvField(report?.verifier?.rawValue ?? ""), report.flatMap(verifiedT)?.description ?? ""].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: MEE

    /// One plan in force for the MEE page (the server fills it from the plan catalogue).
    public struct PlanInForce: Sendable {
        public var id: String
        public var year: Int
        public var sector: String
        public var method: AllocationPlan.Method
        public var version: Int
        /// "published" or "shipped".
        public var status: String

        public init(id: String, year: Int, sector: String, method: AllocationPlan.Method, version: Int, status: String) {
            self.id = id
            self.year = year
            self.sector = sector
            self.method = method
            self.version = version
            self.status = status
        }
    }

    public struct MEEModel: Sendable {
        public var mrv: MRVState
        /// The data and compliance year shown.
        public var year: Int
        /// The year's published statistics, one per plan (empty before its surrender stage).
        public var statistics: [CycleStatistics]
        /// Plans in force whose year is `year`.
        public var plans: [PlanInForce]

        public init(mrv: MRVState, year: Int, statistics: [CycleStatistics], plans: [PlanInForce]) {
            self.mrv = mrv
            self.year = year
            self.statistics = statistics
            self.plans = plans
        }
    }

    /// MRV totals of a data year per province and sector, then the nation ("CN").
    public struct MRVTotals: Hashable, Sendable {
        public var scope: String
        public var sector: String
        public var entities: Int
        /// Reports of the year, in any status.
        public var reports: Int
        /// Concluded and awaiting a review (city, province or national).
        public var underReview: Int
        /// Approved at national level.
        public var approved: Int
        /// Verified emissions of the approved reports (exact).
        public var approvedT: ExactDecimal
    }

    /// Pure: the MRV platform's figures of `year` grouped by province and sector, sorted by
    /// province then sector, with the national rows last (one per sector).
    public static func mrvTotals(_ mrv: MRVState, year: Int) -> [MRVTotals] {
        var rows: [String: MRVTotals] = [:]
        func add(_ scope: String, _ entity: MRVEntity) {
            let key = scope + "\u{0}" + entity.sector.rawValue
            var row = rows[key] ?? MRVTotals(scope: scope, sector: entity.sector.rawValue, entities: 0, reports: 0, underReview: 0, approved: 0, approvedT: .zero)
            row.entities += 1
            if let report = mrv.reports[ReportKey(entity: entity.id, year: year)] {
                row.reports += 1
                switch report.status {
                case .concluded, .cityApproved, .provinceApproved: row.underReview += 1
                case .approved:
                    row.approved += 1
                    if let t = verifiedT(report), let sum = try? row.approvedT.adding(t) { row.approvedT = sum }
                case .submitted, .verifying: break
                }
            }
            rows[key] = row
        }
        for entity in mrv.entities.values {
            add(entity.province, entity)
            add("CN", entity)
        }
        return rows.values.sorted { a, b in
            (a.scope == "CN" ? 1 : 0, a.scope, a.sector) < (b.scope == "CN" ? 1 : 0, b.scope, b.sector)
        }
    }

    /// Reports approved by the province, awaiting the national review (every year).
    public static func awaitingNational(_ mrv: MRVState) -> [AnnualReport] {
        mrv.reports.values.filter { $0.status == .provinceApproved }.sorted { $0.key < $1.key }
    }

    /// `/portal/mee?year=Y`.
    public func mee(_ context: TradingPages.Context, _ model: MEEModel) -> String {
        let title = t("生态环境部门户", "MEE portal")
        let s = StatisticsStrings(language)
        let year = model.year
        let mrv = model.mrv
        var html = "<p class=\"muted\">" + t("全国碳排放权交易市场主管部门：国家审核、全国汇总、履约看板与分配方案。",
                                             "The national regulator: the national review, national totals, compliance dashboards and the allocation plans.")
            + " <a href=\"/surveillance\" id=\"surveillance-link\">" + t("市场监察", "Market surveillance") + "</a>"
            + " · <a href=\"/portal/ccer-regulator\" id=\"ccer-regulator-link\">" + t("CCER 主管（机构资质、方法学）", "CCER regulator (bodies, methodologies)") + "</a></p>"
        html += yearLinks("/portal/mee", year)

        // The national review stage.
        let pending = Self.awaitingNational(mrv)
        html += "<h2>" + t("待国家审核（省级已通过）", "Awaiting the national review (approved by the province)") + "</h2>"
        html += table([t("单位", "Entity"), t("省份", "Province"), t("城市", "City"), t("年度", "Year"), t("核查机构", "Verifier"),
                       t("核查排放量（tCO2）", "Verified (tCO2)"), t("审核记录", "Reviews"), ""],
                      pending.map { r in
                          let entity = mrv.entities[r.entity]
                          return [escape(entity?.name ?? r.entity.rawValue), escape(s.scope(entity?.province ?? "")), escape(entity?.city ?? ""), "\(r.year)",
                                  escape(r.verifier?.rawValue ?? "—"), Self.verifiedT(r)?.description ?? "—", reviewTrail(r),
                                  reviewForms(context, action: "/portal/mee/review", prefix: "national-", report: r)]
                      }, numeric: [3, 5], id: "national-reviews")
        // The CSV link right after its table (else TableCSV adds a second one), then the note.
        html += csvLink("/portal/mee/reviews.csv", id: "reviews-csv")
        if pending.isEmpty { html += "<p class=\"muted\" id=\"no-national-reviews\">" + t("暂无待国家审核的报告。", "No report awaits the national review.") + "</p>" }

        // MRV totals of the data year.
        html += "<h2>" + t("\(year) 年度排放数据汇总（按省份和行业）", "Emissions data \(year) by province and sector") + "</h2>"
        html += table([s.province, s.sectorHeader, s.entities, t("已提交报告", "Reports"), t("审核中", "Under review"), t("国家审核通过", "Approved"),
                       t("核定排放量（tCO2）", "Approved emissions (tCO2)")],
                      Self.mrvTotals(mrv, year: year).map { r in
                          [escape(s.scope(r.scope)), escape(s.sector(r.sector)), "\(r.entities)", "\(r.reports)", "\(r.underReview)", "\(r.approved)", r.approvedT.description]
                      }, numeric: [2, 3, 4, 5, 6], id: "mrv-totals")
        html += csvLink("/portal/mee/mrv-totals.csv?year=\(year)", id: "mrv-totals-csv")

        // Compliance and allocation: the year's published statistics.
        let rows = model.statistics.flatMap(\.rows)
        html += "<h2>" + t("\(year) 年度履约看板", "Compliance dashboard \(year)") + "</h2>"
        if rows.isEmpty {
            html += "<p class=\"muted\" id=\"no-statistics\">" + t("该年度尚未完成清缴，暂无履约统计与分配汇总。", "The year's surrender is not done: no compliance statistics or allocation totals yet.") + "</p>"
        } else {
            html += table(
                [s.province, s.sectorHeader, s.entities, s.compliant, s.rateByCount, s.obligation, s.surrendered, s.shortfall, s.rateByVolume],
                rows.map { r in
                    [escape(s.scope(r.scope)), escape(s.sector(r.sector)), String(r.entities), String(r.compliantEntities), percent(r.complianceRateByCount),
                     Format.grouped(r.obligationT), Format.grouped(r.surrenderedT), Format.grouped(r.shortfallT), percent(r.complianceRateByVolume)]
                }, numeric: [2, 3, 4, 5, 6, 7, 8], id: "compliance")
            html += csvLink("/portal/mee/compliance.csv?year=\(year)", id: "compliance-csv")
            html += ComplianceChart.svg(rows.filter { $0.scope != "CN" }, strings: s)
            html += "<h2>" + t("\(year) 年度配额分配（按省份）", "Allocation \(year) by province") + "</h2>"
            html += table([s.province, s.sectorHeader, s.preAllocationWithUnits, s.finalAllocationWithUnits],
                          rows.map { r in [escape(s.scope(r.scope)), escape(s.sector(r.sector)), Format.tonnes(r.preAllocationT, language), r.finalAllocationT.map { Format.tonnes($0, language) } ?? "—"] },
                          numeric: [2, 3], id: "allocation")
            html += csvLink("/portal/mee/allocation.csv?year=\(year)", id: "allocation-csv")
            html += AllocationChart.svg(rows.filter { $0.scope != "CN" }, strings: s, language: language)
            html += "<p class=\"muted\">\(escape(s.definitions)) <a href=\"/statistics/\(year)\">" + t("公开统计页", "Public statistics page") + "</a></p>"
        }

        // Plans in force.
        html += "<h2>" + t("\(year) 年度现行分配方案", "Allocation plans in force for \(year)") + "</h2>"
        let plans = AllocationPlanPages(language: language)
        html += table([t("方案", "Plan"), t("行业", "Sector"), t("分配方法", "Type"), t("现行版本", "In force")],
                      model.plans.map { p in
                          ["<a href=\"/allocation/plans/\(escape(p.id))\">\(escape(p.id))</a>", escape(s.sector(p.sector)), plans.type(p.method),
                           "v\(p.version) \(plans.status(p.status))"]
                      }, id: "plans")
        html += csvLink("/portal/mee/plans.csv?year=\(year)", id: "plans-csv")
        if model.plans.isEmpty { html += "<p class=\"muted\" id=\"no-plans\">" + t("该年度没有现行方案。", "No plan in force for this year.") + "</p>" }
        html += "<p><a href=\"/allocation/plans\" id=\"all-plans\">" + t("全部分配方案与版本", "Every allocation plan and version") + "</a></p>"
        return portal.frame(context, path: "/portal/mee", title: title, html)
    }

    func percent(_ rate: String) -> String { rate == "-" ? "—" : escape(rate) + "%" }

    public static func reviewsCSV(_ mrv: MRVState) -> String {
        var lines = ["\u{FEFF}entity,name,province,city,year,verifier,verified_t"]
        for r in awaitingNational(mrv) {
            let e = mrv.entities[r.entity]
            lines.append([csvField(r.entity.rawValue), csvField(e?.name ?? ""), csvField(e?.province ?? ""), csvField(e?.city ?? ""), String(r.year),
                          csvField(r.verifier?.rawValue ?? ""), verifiedT(r)?.description ?? ""].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func mrvTotalsCSV(_ mrv: MRVState, year: Int) -> String {
        var lines = ["\u{FEFF}year,scope,sector,entities,reports,under_review,approved,approved_emissions_t"]
        for r in mrvTotals(mrv, year: year) {
            lines.append([String(year), csvField(r.scope), csvField(r.sector), String(r.entities), String(r.reports), String(r.underReview), String(r.approved),
                          r.approvedT.description].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func plansCSV(_ plans: [PlanInForce]) -> String {
        var lines = ["\u{FEFF}plan,year,sector,method,version,status"]
        for p in plans {
            lines.append([csvField(p.id), String(p.year), csvField(p.sector), p.method.rawValue, String(p.version), p.status].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A server-rendered SVG bar chart of the allocation per province and sector: pre-allocation
/// and final allocation, widths proportional to the largest figure (integer arithmetic).
enum AllocationChart {
    static let barWidth: Int64 = 400

    /// Width of `value` against `largest` (0 when `largest` is 0), in whole units of `barWidth`.
    static func width(_ value: Int64, largest: Int64) -> Int64 {
        guard largest > 0, value > 0 else { return 0 }
        // value ≤ largest, so value × 400 stays far inside Int64 for any tonnage the registry holds.
        return value.multipliedReportingOverflow(by: barWidth).overflow ? barWidth : value * barWidth / largest
    }

    static func svg(_ rows: [CycleStatistics.Row], strings s: StatisticsStrings, language: Language) -> String {
        let left = 130, rowHeight = 44, top = 28
        let height = top + rows.count * rowHeight + 8
        let svgWidth = left + Int(barWidth) + 130
        let largest = rows.map { max($0.preAllocationT, $0.finalAllocationT ?? 0) }.max() ?? 0
        let caption = language == .zh ? "各省配额分配量（预分配与核定分配）" : "Allocation per province (pre-allocation and final)"
        var svg = "<figure><svg id=\"allocation-chart\" role=\"img\" aria-label=\"\(escape(caption))\" width=\"\(svgWidth)\" height=\"\(height)\" viewBox=\"0 0 \(svgWidth) \(height)\">"
        svg += "<rect x=\"\(left)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#9ca3af\"/><text x=\"\(left + 20)\" y=\"16\">\(escape(s.preAllocationWithUnits))</text>"
        svg += "<rect x=\"\(left + 200)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#1d4ed8\"/><text x=\"\(left + 220)\" y=\"16\">\(escape(s.finalAllocationWithUnits))</text>"
        for (index, row) in rows.enumerated() {
            let y = top + index * rowHeight
            svg += "<text x=\"0\" y=\"\(y + 18)\">\(escape(s.scope(row.scope))) \(escape(s.sector(row.sector)))</text>"
            for (offset, (value, color)) in [(Optional(row.preAllocationT), "#9ca3af"), (row.finalAllocationT, "#1d4ed8")].enumerated() {
                let by = y + offset * 18
                guard let value else {
                    svg += "<text x=\"\(left)\" y=\"\(by + 13)\">—</text>"
                    continue
                }
                let w = width(value, largest: largest)
                svg += "<rect class=\"bar\" x=\"\(left)\" y=\"\(by)\" width=\"\(w)\" height=\"16\" fill=\"\(color)\"><title>\(escape(Format.tonnes(value, language)))</title></rect>"
                svg += "<text x=\"\(Int64(left) + w + 6)\" y=\"\(by + 13)\">\(escape(Format.tonnes(value, language)))</text>"
            }
        }
        return svg + "</svg><figcaption class=\"muted\">\(escape(caption))</figcaption></figure>"
    }
}
