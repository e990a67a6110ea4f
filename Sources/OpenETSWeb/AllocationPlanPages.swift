import OpenETSDomain

/// The allocation plans for review (read-only): the list of plan ids with the version in force
/// and every stored version, and one plan version's parameters. Pure functions of the page
/// models below (the server fills them from the plan store); unverified values are marked.
public struct AllocationPlanPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// One stored version (or a shipped plan) as the pages show it.
    public struct Version: Sendable {
        public var version: Int
        /// "draft", "published", "superseded" or "shipped".
        public var status: String
        public var sha256: String
        public var loadedBy: String?
        public var loadedAt: String?
        public var publishedBy: String?
        public var publishedAt: String?

        public init(
            version: Int, status: String, sha256: String, loadedBy: String? = nil, loadedAt: String? = nil, publishedBy: String? = nil,
            publishedAt: String? = nil
        ) {
            self.version = version
            self.status = status
            self.sha256 = sha256
            self.loadedBy = loadedBy
            self.loadedAt = loadedAt
            self.publishedBy = publishedBy
            self.publishedAt = publishedAt
        }
    }

    /// A plan id: the plan in force (published, else shipped) and its stored versions.
    public struct Row: Sendable {
        public var id: String
        public var current: AllocationPlan?
        public var currentVersion: Version?
        public var versions: [Version]

        public init(id: String, current: AllocationPlan?, currentVersion: Version?, versions: [Version]) {
            self.id = id
            self.current = current
            self.currentVersion = currentVersion
            self.versions = versions
        }
    }

    func status(_ status: String) -> String {
        switch status {
        case "draft": t("草案", "draft")
        case "published": t("已发布", "published")
        case "superseded": t("已被取代", "superseded")
        case "shipped": t("随软件发布（未在库中发布）", "shipped (none published in the store)")
        default: escape(status)
        }
    }

    func type(_ method: AllocationPlan.Method) -> String {
        switch method {
        case .outputBenchmark: t("基于产出的基准线法", "output benchmark")
        case .verifiedEmissions: t("按核查排放量等量分配", "verified emissions")
        case .intensityBenchmark: t("碳排放强度基准线法", "intensity benchmark")
        case .historicalEmissions: t("历史排放法", "historical emissions")
        case .historicalIntensityDecline: t("历史强度下降法", "historical intensity decline")
        case .benchmarkMarketAdjustment: t("基准线 × 市场调节因子（湖北）", "benchmark × market adjustment factor (Hubei)")
        }
    }

    func unverified(_ verified: Bool) -> String { verified ? "" : " <span class=\"bad\">[\(t("未核实", "unverified"))]</span>" }

    public func list(_ rows: [Row]) -> String {
        let body = table(
            [t("方案", "Plan"), t("年度", "Year"), t("行业", "Sector"), t("分配方法", "Type"), t("现行版本", "In force"), t("库中版本", "Stored versions")],
            rows.map { row in
                let versions = row.versions.map { "v\($0.version) \(status($0.status))" }.joined(separator: "<br>")
                return [
                    "<a href=\"/allocation/plans/\(escape(row.id))\">\(escape(row.id))</a>", row.current.map { String($0.year) } ?? "-",
                    escape(row.current.map { Strings(language).sector($0.sector) } ?? "-"), row.current.map { type($0.method) } ?? "-",
                    row.currentVersion.map { "v\($0.version) \(status($0.status))" } ?? t("无（未发布）", "none (not published)"),
                    versions.isEmpty ? "-" : versions,
                ]
            }, id: "plans")
        let intro = t(
            "分配方案是按年度版本管理的数据：加载为草案，审核后发布；已发布的版本不再更改，新版本发布后旧版本被取代。",
            "Allocation plans are versioned data: loaded as a draft, reviewed, then published; a published version never changes, and publishing a new one supersedes it.")
        return Layout(language: language, path: "/allocation/plans").page(title: t("配额分配方案", "Allocation plans"), "<p>\(intro)</p>" + body)
    }

    /// One version of a plan with all its parameters.
    public func plan(_ plan: AllocationPlan, version: Version, versions: [Version]) -> String {
        let path = "/allocation/plans/\(plan.id)"
        var html = table(
            [t("项目", "Item"), t("内容", "Value")],
            [
                [t("方案", "Plan"), "<code>\(escape(plan.id))</code> v\(version.version)"],
                [t("状态", "Status"), status(version.status)],
                [t("年度 / 行业", "Year / sector"), "\(plan.year) / \(escape(Strings(language).sector(plan.sector)))"],
                [t("分配方法", "Type"), "\(type(plan.method)) <code>\(plan.method.rawValue)</code>"],
                [t("来源", "Source"), escape(plan.source)],
                ["SHA-256", "<code>\(escape(version.sha256))</code>"],
                [t("加载", "Loaded"), escape([version.loadedBy, version.loadedAt].compactMap { $0 }.joined(separator: " ")).ifEmpty("-")],
                [t("发布", "Published"), escape([version.publishedBy, version.publishedAt].compactMap { $0 }.joined(separator: " ")).ifEmpty("-")],
            ], id: "plan")
        html += "<h2>\(t("分配公式参数", "Formula parameters"))</h2>" + typeParameters(plan)
        html += "<h2>\(t("配额总量、储备与有偿分配", "Total, reserve and paid allocation"))</h2>" + supply(plan)
        html += "<h2>\(t("预分配与清缴", "Pre-allocation and compliance"))</h2>" + compliance(plan)
        html += "<h2>\(t("说明", "Notes"))</h2><ul>" + plan.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        html += "<h2>\(t("版本", "Versions"))</h2>" + table(
            [t("版本", "Version"), t("状态", "Status"), "SHA-256", t("加载", "Loaded"), t("发布", "Published")],
            versions.map { v in
                [
                    "<a href=\"\(escape(path))?version=\(v.version)\">v\(v.version)</a>", status(v.status), "<code>\(escape(String(v.sha256.prefix(16))))…</code>",
                    escape([v.loadedBy, v.loadedAt].compactMap { $0 }.joined(separator: " ")),
                    escape([v.publishedBy, v.publishedAt].compactMap { $0 }.joined(separator: " ")),
                ]
            }, id: "versions")
        return Layout(language: language, path: path).page(title: "\(t("分配方案", "Allocation plan")) \(plan.id)", html)
    }

    func typeParameters(_ plan: AllocationPlan) -> String {
        switch plan.method {
        case .outputBenchmark:
            let rows = plan.categories.map { c in
                [escape(c.id), escape(c.name), c.electricityBenchmark.description, c.heatBenchmark.description,
                 c.coolingCorrection ? t("是", "yes") : t("否", "no"), c.loadFactorCorrection ? t("是", "yes") : t("否", "no")]
            }
            return "<p>\(t("机组配额 = 供电基准值 × 发电量 × 冷却修正 × 负荷修正 + 供热基准值 × 供热量", "unit allowance = B_elec × generation × cooling × load-factor correction + B_heat × heat supplied"))</p>"
                + table(
                    [t("类别", "Category"), t("名称", "Name"), "tCO2/MWh", "tCO2/GJ", t("冷却修正", "Cooling"), t("负荷修正", "Load factor")], rows,
                    numeric: [2, 3], id: "categories")
                + "<p>\(t("空冷系数", "Air cooling factor")) \(plan.airCoolingFactor.value)\(unverified(plan.airCoolingFactor.verified)); "
                + "\(t("负荷系数修正函数", "load-factor function")) \(plan.loadFactorCorrection.segments.count) \(t("段", "segments"))\(unverified(plan.loadFactorCorrection.verified)); "
                + "\(t("燃气机组上限", "gas cap")) \(plan.gasCap ? t("是", "on") : t("否", "off")); "
                + "\(t("燃煤机组下限", "coal floor")) \(plan.coalFloorRatio?.description ?? "-")</p>"
        case .verifiedEmissions:
            return "<p>\(t("设施配额 = 经核查的排放量", "facility allocation = verified emissions"))</p>"
        case .intensityBenchmark, .benchmarkMarketAdjustment:
            let formula = plan.method == .intensityBenchmark
                ? t("设施配额 = Σ 产品基准值 × 产量", "facility allocation = Σ product benchmark × output")
                : t("设施配额 = Σ 产品基准值 × 产量 × 市场调节因子", "facility allocation = Σ product benchmark × output × market adjustment factor")
            var html = "<p>\(formula)</p>" + table(
                [t("产品", "Product"), t("名称", "Name"), t("基准值", "Benchmark"), t("单位", "Unit")],
                (plan.products ?? []).map { p in
                    [escape(p.id), escape(p.name), p.benchmark.description + unverified(p.verified), "tCO2 / " + escape(p.unit)]
                }, numeric: [2], id: "products")
            if let factor = plan.marketAdjustmentFactor {
                html += "<p>\(t("市场调节因子", "Market adjustment factor")) \(factor.value)\(unverified(factor.verified))</p>"
            }
            return html
        case .historicalEmissions:
            let years = (plan.baseYears ?? []).map(String.init).joined(separator: ", ")
            return "<p>\(t("设施配额 = 基期年均排放量 × 控排系数", "facility allocation = base-period average emissions × control factor"))</p>"
                + "<p>\(t("基期", "Base years")) \(years); \(t("控排系数", "control factor")) \(plan.controlFactor.map { "\($0.value)\(unverified($0.verified))" } ?? "-")</p>"
        case .historicalIntensityDecline:
            return "<p>\(t("设施配额 = 基期强度 × (1 − 下降率) × 当年产量", "facility allocation = base intensity × (1 − decline rate) × output"))</p>"
                + "<p>\(t("下降率", "Decline rate")) \(plan.declineRate.map { "\($0.value)\(unverified($0.verified))" } ?? "-")</p>"
        }
    }

    func supply(_ plan: AllocationPlan) -> String {
        guard let reserve = plan.reserveShare else { return "<p>\(t("无储备配额，全部免费分配。", "No reserve: everything is allocated free."))</p>" }
        var html = "<p>\(t("储备配额占总量", "Reserve share of the total")) \(reserve.value)\(unverified(reserve.verified))</p>"
        if let paid = plan.paidAllocation {
            html += "<p>\(t("有偿分配（单向竞价）占总量", "Paid allocation (one-way auction), share of the total")) \(paid.share), "
                + "\(t("底价", "floor price")) \(paid.floorPrice) \(t("元/吨", "CNY/t"))\(unverified(paid.verified))</p>"
        }
        return html
    }

    func compliance(_ plan: AllocationPlan) -> String {
        let d = plan.deadlines
        let penalty: String
        switch plan.penalty.kind {
        case .fixedRange: penalty = "\(plan.penalty.fixedMinCNY?.description ?? "?")–\(plan.penalty.fixedMaxCNY?.description ?? "?") \(t("元", "CNY"))"
        case .priceMultiple: penalty = "\(plan.penalty.minMultiple?.description ?? "?")–\(plan.penalty.maxMultiple?.description ?? "?") × \(t("清缴截止前一个月的平均成交价", "the month-average price before the deadline"))"
        }
        return table(
            [t("项目", "Item"), t("内容", "Value")],
            [
                [t("预分配比例（上年核查排放量）", "Pre-allocation ratio (previous verified)"), plan.preAllocationRatio.description],
                [t("CCER 抵销上限", "CCER offset limit"), plan.offsets.limitRatio.description],
                [t("结转上限", "Carry-over limit"), "\(plan.carryOver.baseT) t + \(plan.carryOver.netSoldMultiplier) × \(t("净卖出量", "net sold"))"],
                [t("预借", "Borrowing"), plan.borrowing.allowed ? t("允许", "allowed") : t("不允许", "not allowed")],
                [t("罚款", "Penalty"), escape(penalty)],
                [t("年度报告 / 核查 / 清缴截止", "Report / verification / surrender by"), "\(d.annualReport) / \(d.verification) / \(d.surrender)"],
            ], id: "compliance")
    }
}

extension String {
    fileprivate func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
