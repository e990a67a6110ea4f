import OpenETSDomain

/// The MRV policy tables' page (`/portal/mrv-policy`): the version in force with its tables
/// (accounting parameters and the platform's rules, one column per data year) and every
/// published version; whoever may read the tables (`view_public`, as the API's getMRVPolicy)
/// sees it. The MEE (`mrv_policy`, as checkMRVPolicy and publishMRVPolicy) also gets the form:
/// the tables' JSON (the document `openets mrv policy show` prints), "check" (a dry run: the
/// changes against the version in force, or the refusal's code and reason) and "publish".
/// A pure function of its model.
public struct MRVPolicyPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    public static let path = "/portal/mrv-policy"

    /// One parameter: its path within a data year's table and its value in each year of
    /// `Model.years` (nil: that year's table has none).
    public struct Row: Hashable, Sendable {
        public var parameter: String
        public var values: [String?]

        public init(parameter: String, values: [String?]) {
            self.parameter = parameter
            self.values = values
        }
    }

    /// One published version (version 0, the shipped seed, is not stored and not listed).
    public struct Version: Hashable, Sendable {
        public var version: Int
        public var effectiveFrom: String
        /// Beijing time, to the minute.
        public var publishedAt: String
        public var note: String
        public var inForce: Bool

        public init(version: Int, effectiveFrom: String, publishedAt: String, note: String, inForce: Bool) {
            self.version = version
            self.effectiveFrom = effectiveFrom
            self.publishedAt = publishedAt
            self.note = note
            self.inForce = inForce
        }
    }

    /// A dry run's answer: the changes against the version in force, or why the tables could
    /// not be published (`code`, `message`).
    public struct Check: Hashable, Sendable {
        public var inForce: Int
        public var changes: [String]
        public var code: String?
        public var message: String?

        public init(inForce: Int, changes: [String], code: String?, message: String?) {
            self.inForce = inForce
            self.changes = changes
            self.code = code
            self.message = message
        }
    }

    public struct Model: Sendable {
        /// The version in force (0: the shipped seed).
        public var version: Int
        public var inForce: Version?
        public var years: [Int]
        public var accounting: [Row]
        public var platform: [Row]
        public var versions: [Version]
        /// The MEE: the check and publish form.
        public var mayPublish: Bool
        /// The form's text: the tables in force, or what was last checked.
        public var draft: String
        public var note: String
        public var effectiveFrom: String
        public var check: Check?
        /// The version whose tables the grid shows (`?version=N`; nil: the version in force).
        public var shown: Int?

        public init(
            version: Int, inForce: Version?, years: [Int], accounting: [Row], platform: [Row], versions: [Version], mayPublish: Bool, draft: String,
            note: String = "", effectiveFrom: String = "", check: Check? = nil
        ) {
            self.version = version
            self.inForce = inForce
            self.years = years
            self.accounting = accounting
            self.platform = platform
            self.versions = versions
            self.mayPublish = mayPublish
            self.draft = draft
            self.note = note
            self.effectiveFrom = effectiveFrom
            self.check = check
        }
    }

    /// The page's tables in document order, for their CSV links (`?format=csv&table=N`).
    static let tables = ["policy-versions", "policy-accounting", "policy-platform"]

    public func page(_ context: TradingPages.Context, _ model: Model) -> String {
        let portal = PortalPages(language: language)
        var html = "<p class=\"muted\">" + t(
            "碳排放核算与报告核查（MRV）参数表：各数据年度的燃料缺省值、电网排放因子、报送与核查期限、异常规则阈值和平台限值。由生态环境部发布版本，发布后全部 MRV 判定与计算使用现行版本。",
            "The MRV policy tables: per data year, fuel defaults, the grid emission factor, reporting and verification deadlines, anomaly thresholds and the platform's limits. The MEE publishes versions; every MRV decision and calculation uses the version in force.")
            + "</p>"
        html += "<h2>" + t("现行版本", "Version in force") + "</h2>"
        if let current = model.inForce {
            html += "<p id=\"policy-in-force\">v\(current.version) · " + t("生效日期 ", "effective from ") + escape(current.effectiveFrom)
                + " · " + t("发布于 ", "published ") + escape(current.publishedAt) + " · " + escape(current.note) + "</p>"
        } else {
            html += "<p id=\"policy-in-force\">v\(model.version) · " + t("随系统发布的初始参数表（尚未发布新版本）", "the shipped seed tables (no version published yet)") + "</p>"
        }
        html += "<h2>" + t("已发布版本", "Published versions") + "</h2>"
        html += table(
            [t("版本", "Version"), t("生效日期", "Effective from"), t("发布时间（北京时间）", "Published (Beijing)"), t("说明", "Note"), t("状态", "Status")],
            model.versions.reversed().map { v in
                ["<a href=\"\(Self.path)?version=\(v.version)\">v\(v.version)</a>", escape(v.effectiveFrom), escape(v.publishedAt), escape(v.note),
                 v.inForce ? t("现行", "in force") : t("已被取代", "superseded")]
            }, numeric: [0], id: Self.tables[0])
        html += csvLink(0, model)
        if model.versions.isEmpty {
            html += "<p class=\"muted\" id=\"no-policy-versions\">" + t("尚未发布版本：现行为初始参数表（v0）。", "No version published: the seed tables (v0) are in force.") + "</p>"
        }
        let years = model.years.map(String.init)
        if let shown = model.shown {
            html += "<p class=\"bad\" id=\"policy-shown\">" + t("以下为 v\(shown) 的参数表（非现行版本）。", "The tables below are v\(shown)'s (not the version in force).")
                + " <a href=\"\(Self.path)\">" + t("现行版本的参数表", "The tables in force") + "</a></p>"
        } else if model.version > 0 {
            html += "<p><a href=\"\(Self.path)?version=0\" id=\"policy-seed-link\">" + t("初始参数表（v0）", "The shipped seed tables (v0)") + "</a></p>"
        }
        html += "<h2>" + t("核算参数（按数据年度）", "Accounting parameters (by data year)") + "</h2>"
        html += grid(model.accounting, years: years, id: Self.tables[1]) + csvLink(1, model)
        html += "<h2>" + t("平台规则与限值（按数据年度）", "Platform rules and limits (by data year)") + "</h2>"
        html += grid(model.platform, years: years, id: Self.tables[2]) + csvLink(2, model)
        if model.mayPublish { html += form(context, model) }
        return portal.frame(context, path: Self.path, title: t("MRV 参数表", "MRV policy tables"), html)
    }

    func grid(_ rows: [Row], years: [String], id: String) -> String {
        table([t("参数", "Parameter")] + years, rows.map { row in
            ["<code>\(escape(row.parameter))</code>"] + row.values.map { $0.map(escape) ?? "—" }
        }, id: id)
    }

    /// The page's own link to its n-th table as CSV (the same link on the page a check answers).
    func csvLink(_ n: Int, _ model: Model) -> String {
        let version = model.shown.map { "version=\($0)&amp;" } ?? ""
        return "<p class=\"csv\"><a href=\"\(Self.path)?\(version)format=csv&amp;table=\(n)\" id=\"\(Self.tables[n])-csv\">\(t("下载 CSV", "Download CSV"))</a></p>"
    }

    /// The MEE's form: one text area, two buttons (check: a dry run; publish: the next version).
    func form(_ context: TradingPages.Context, _ model: Model) -> String {
        var html = "<h2>" + t("检查与发布新版本", "Check and publish a new version") + "</h2>"
        if let check = model.check {
            if let code = check.code {
                html += "<p class=\"bad\" id=\"check-refused\">" + t("检查未通过：", "Check refused: ") + "<code>\(escape(code))</code> "
                    + escape(check.message ?? "") + t("。未作任何更改。", ". Nothing was changed.") + "</p>"
            } else {
                html += "<p class=\"ok\" id=\"check-ok\">" + t("检查通过：可以发布。相对现行版本 v\(check.inForce) 的变更 \(check.changes.count) 项",
                                                            "Check passed: the tables may be published. \(check.changes.count) change(s) against v\(check.inForce), the version in force")
                    + "</p>"
            }
            if !check.changes.isEmpty {
                html += "<ol id=\"check-changes\">" + check.changes.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ol>"
            }
        }
        html += "<form method=\"post\" action=\"\(Self.path)/publish\" id=\"policy-form\" class=\"stack\">\(TradingPages(language: language).hidden(context))"
            + "<label>" + t("参数表 JSON（{\"accounting\":[…],\"platform\":[…]}，与 openets mrv policy show 输出相同；每个数据年度都须保留）",
                            "Tables as JSON ({\"accounting\":[…],\"platform\":[…]}, as openets mrv policy show prints them; every data year must stay)")
            + " <textarea name=\"tables\" id=\"policy-tables\" rows=\"24\" cols=\"100\" spellcheck=\"false\" required>\(escape(model.draft))</textarea></label>"
            + "<label>" + t("说明（发布时必填）", "Note (required to publish)") + " <input name=\"note\" id=\"policy-note\" value=\"\(escape(model.note))\"></label>"
            + "<label>" + t("生效日期（空为今日）", "Effective from (empty: today)") + " <input name=\"effective_from\" id=\"policy-effective-from\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" value=\"\(escape(model.effectiveFrom))\"></label>"
            + "<div class=\"row\"><button id=\"policy-check\" formaction=\"\(Self.path)/check\">" + t("检查（不保存）", "Check (stores nothing)") + "</button>"
            + "<button id=\"policy-publish\">" + t("发布新版本", "Publish a new version") + "</button></div></form>"
        return html
    }
}
