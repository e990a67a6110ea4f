import OpenETSDomain

/// The CCER rules on the regulator's page (`/portal/ccer-regulator`): the version in force (its
/// periods, eligibility dates, similarity threshold, covered facilities and limits), every
/// version, and the form to check (a dry run) and publish the next one as the JSON `openets
/// ccer policy show` prints, as the REST API's checkCCERPolicy and publishCCERPolicy. A pure
/// function of its model.
public struct CCERPolicyPanel: Sendable {
    public static let path = "/portal/ccer-regulator/policy"

    public struct Version: Hashable, Sendable {
        public var version: Int
        /// Nil for the built-in version 1.
        public var effectiveFrom: String?
        /// When it was published, Beijing time to the minute; nil for the built-in version 1
        /// and for versions stored before the time was recorded.
        public var publishedAt: String?
        public var note: String
        public var inForce: Bool

        public init(version: Int, effectiveFrom: String?, publishedAt: String? = nil, note: String, inForce: Bool) {
            self.version = version
            self.effectiveFrom = effectiveFrom
            self.publishedAt = publishedAt
            self.note = note
            self.inForce = inForce
        }
    }

    /// A dry run's answer: every problem (empty: the policy may be published), or why the
    /// text is no policy at all (`code`, `message`).
    public struct Check: Hashable, Sendable {
        public var problems: [String]
        public var code: String?
        public var message: String?

        public init(problems: [String], code: String?, message: String?) {
            self.problems = problems
            self.code = code
            self.message = message
        }
    }

    public var policy: CCERPolicy
    public var versions: [Version]
    /// The form's text: the policy in force, or what was last checked.
    public var draft: String
    public var note: String
    public var effectiveFrom: String
    public var check: Check?

    public init(policy: CCERPolicy, versions: [Version], draft: String, note: String = "", effectiveFrom: String = "", check: Check? = nil) {
        self.policy = policy
        self.versions = versions
        self.draft = draft
        self.note = note
        self.effectiveFrom = effectiveFrom
        self.check = check
    }
}

extension CCERPortalPages {
    func policySection(_ context: TradingPages.Context, _ panel: CCERPolicyPanel) -> String {
        let p = panel.policy, l = p.limits
        var html = "<h2>" + t("CCER 规则（现行版本）", "CCER rules (version in force)") + "</h2>"
        html += "<p id=\"ccer-policy-in-force\">v\(p.version) · " + escape(p.note) + "</p>"
        let rows: [(String, String)] = [
            (t("项目设计文件公示（工作日）", "Design document notice (working days)"), "\(p.designNoticeWorkingDays)"),
            (t("减排量公示（工作日）", "Reduction notice (working days)"), "\(p.reductionNoticeWorkingDays)"),
            (t("项目登记审核（工作日）", "Project registration review (working days)"), "\(p.registrationReviewWorkingDays)"),
            (t("减排量登记审核（工作日）", "Reduction registration review (working days)"), "\(p.reductionReviewWorkingDays)"),
            (t("开工日期须晚于", "Construction must start after"), p.constructionStartAfter.description),
            (t("减排量须产生于此日之后", "Reductions count after"), p.reductionsAfter.description),
            (t("名称相似阈值（%）", "Similar-name threshold (%)"), "\(p.similarNamePercent)"),
            (t("纳入全国碳市场的设施", "Facilities covered by the national ETS"), "\(p.coveredFacilities.count)"),
            (t("每项公示意见上限", "Comments per notice"), "\(l.maxCommentsPerNotice)"),
            (t("每人每项公示意见上限", "Comments per user per notice"), "\(l.maxCommentsPerUserPerNotice)"),
            (t("文本最长（字符）", "Longest text (characters)"), "\(l.maxTextLength)"),
        ]
        html += table([t("规则", "Rule"), t("值", "Value")], rows.map { [escape($0.0), escape($0.1)] }, numeric: [1], id: "ccer-policy")
        html += table(
            [t("版本", "Version"), t("生效日期", "Effective from"), t("发布时间（北京时间）", "Published (Beijing time)"), t("说明", "Note"), t("状态", "Status")],
            panel.versions.reversed().map { v in
                [
                    "v\(v.version)", escape(v.effectiveFrom ?? t("内置", "built in")), escape(v.publishedAt ?? "—"), escape(v.note),
                    v.inForce ? t("现行", "in force") : t("已被取代", "superseded"),
                ]
            }, numeric: [0], id: "ccer-policy-versions")
        html += "<h3>" + t("检查与发布新版本", "Check and publish a new version") + "</h3>"
        if let check = panel.check {
            if let code = check.code {
                html += "<p class=\"bad\" id=\"ccer-policy-check-refused\">" + t("检查未通过：", "Check refused: ") + "<code>\(escape(code))</code> "
                    + escape(check.message ?? "") + t("。未作任何更改。", ". Nothing was changed.") + "</p>"
            } else {
                html += "<p class=\"ok\" id=\"ccer-policy-check-ok\">" + t("检查通过：可以发布。", "Check passed: the policy may be published.") + "</p>"
            }
            if !check.problems.isEmpty {
                html += "<ol id=\"ccer-policy-problems\">" + check.problems.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ol>"
            }
        }
        html += "<form method=\"post\" action=\"\(CCERPolicyPanel.path)/publish\" id=\"ccer-policy-form\" class=\"stack\">\(TradingPages(language: language).hidden(context))"
            + "<label>" + t("规则 JSON（与 openets ccer policy show 输出相同）", "Rules as JSON (as openets ccer policy show prints them)")
            + " <textarea name=\"policy\" id=\"ccer-policy-text\" rows=\"24\" cols=\"100\" spellcheck=\"false\" required>\(escape(panel.draft))</textarea></label>"
            + "<label>" + t("说明（发布时必填）", "Note (required to publish)") + " <input name=\"note\" id=\"ccer-policy-note\" value=\"\(escape(panel.note))\"></label>"
            + "<label>" + t("生效日期（空为今日）", "Effective from (empty: today)")
            + " <input name=\"effective_from\" id=\"ccer-policy-effective-from\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" value=\"\(escape(panel.effectiveFrom))\"></label>"
            + "<div class=\"row\"><button id=\"ccer-policy-check\" formaction=\"\(CCERPolicyPanel.path)/check\">" + t("检查（不保存）", "Check (stores nothing)") + "</button>"
            + "<button id=\"ccer-policy-publish\">" + t("发布新版本", "Publish a new version") + "</button></div></form>"
        return html
    }
}
