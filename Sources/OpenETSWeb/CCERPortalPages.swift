import OpenETSDomain

/// The CCER portals (docs/portals.md): the project owner's (its projects with their stages,
/// notices and comments; submit a project, apply for registration, report a monitoring
/// period, apply for its registration; its CCER holdings), the validation body's (projects
/// and periods awaiting a validation or verification, the reports it recorded) and the
/// registry's review page (decide registrations, order issuance). Pure functions of the CCER
/// and registry states; every form carries the session's CSRF token and a one-time nonce.
public struct CCERPortalPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    var names: CCERPages { CCERPages(language: language) }

    func projectLink(_ id: CCERProjectID) -> String {
        "<a href=\"/ccer/projects/\(escape(id.rawValue))\">\(escape(id.rawValue))</a>"
    }

    func notice(_ n: PublicNotice, today: CivilDate) -> String {
        "\(n.opensOn) – \(n.endsOn)" + (today > n.endsOn ? " <span class=\"muted\">" + t("已结束", "ended") + "</span>" : " <span class=\"ok\">" + t("公示中", "open") + "</span>")
    }

    func report(_ r: AssessmentReport?) -> String {
        guard let r else { return "—" }
        let result = r.positive ? "<span class=\"ok\">" + t("通过", "positive") + "</span>" : "<span class=\"bad\">" + t("不通过", "negative") + "</span>"
        return "\(escape(r.body.rawValue)) · \(result) · \(r.on)" + (r.verifiedT.map { " · " + Format.grouped($0) + t(" 吨", " t") } ?? "")
    }

    func review(_ r: Review?) -> String {
        guard let r else { return "—" }
        var text = t("申请 ", "applied ") + "\(r.appliedOn) · " + t("期限 ", "deadline ") + "\(r.deadline)"
        if let decided = r.decidedOn {
            text += " · " + (r.approved == true ? t("批准 ", "approved ") : t("驳回 ", "refused ")) + "\(decided)"
            if let reason = r.reason { text += " (\(escape(reason)))" }
            if r.overdueWorkingDays > 0 { text += " <span class=\"bad\">" + t("逾期 \(r.overdueWorkingDays) 个工作日", "\(r.overdueWorkingDays) working days late") + "</span>" }
        }
        return text
    }

    /// A document given as text (its SHA-256 is computed by the server) or as a SHA-256.
    func documentFields(_ name: String, _ label: String, id: String) -> String {
        "<label>\(label) " + t("（文本，服务器计算其 SHA-256）", "(text; the server computes its SHA-256)")
            + " <textarea name=\"\(name)_text\" id=\"\(id)-text\" rows=\"3\" cols=\"80\"></textarea></label>"
            + "<label>" + t("或其 SHA-256（64 位十六进制）", "or its SHA-256 (64 hex digits)")
            + " <input name=\"\(name)_sha256\" id=\"\(id)-sha256\" maxlength=\"64\" size=\"66\"></label>"
    }

    // MARK: project owner

    public func owner(_ context: TradingPages.Context, ccer: CCERState, registry: RegistryState, today: CivilDate) -> String {
        let portal = PortalPages(language: language)
        let title = t("项目业主门户", "Project owner portal")
        guard let account = context.principal.account else { return portal.frame(context, path: "/portal/owner", title: title, "") }
        let hidden = { TradingPages(language: self.language).hidden(context) }
        var html = "<p class=\"muted\" id=\"owner-account\">" + t("账户 ", "Account ") + "<code>\(escape(account.rawValue))</code> · " + t("今日 ", "today ") + "\(today) · "
            + "<a href=\"/ccer\">" + t("公开的 CCER 登记簿", "Public CCER registry") + "</a></p>"
        let mine = ccer.projectsInOrder.filter { $0.application.owner == account }

        html += "<h2>" + t("我的项目", "My projects") + "</h2>"
        html += table(
            [t("项目", "Project"), t("名称", "Name"), t("方法学", "Methodology"), t("阶段", "Stage"), t("设计文件公示", "Design notice"), t("审定", "Validation"),
             t("登记审核", "Registration review"), ""],
            mine.map { p in
                var action = ""
                if p.stage == .validated {
                    action = "<form method=\"post\" action=\"/portal/owner/apply\" class=\"row\">\(hidden())<input type=\"hidden\" name=\"project\" value=\"\(escape(p.id.rawValue))\">"
                        + "<button id=\"apply-\(escape(p.id.rawValue))\">\(t("申请项目登记", "Apply for registration"))</button></form>"
                }
                return [projectLink(p.id), escape(p.application.name), escape(p.application.methodology), "<span class=\"stage\">\(names.stage(p.stage))</span>",
                        notice(p.designNotice, today: today), report(p.validation), review(p.registration), action]
            }, id: "owner-projects")
        if mine.isEmpty { html += "<p class=\"muted\" id=\"no-projects\">" + t("尚无项目。", "No projects yet.") + "</p>" }

        // Public-notice comments on its projects' design and reduction notices.
        var comments: [[String]] = []
        for p in mine {
            for c in p.designNotice.comments { comments.append([projectLink(p.id), t("设计文件", "design"), "\(c.number)", escape(c.author), escape(c.text), "\(c.on)"]) }
            for period in p.periods {
                for c in period.notice.comments {
                    comments.append([projectLink(p.id), t("监测期 ", "period ") + "\(period.number)", "\(c.number)", escape(c.author), escape(c.text), "\(c.on)"])
                }
            }
        }
        html += "<h2>" + t("公示意见", "Public-notice comments") + "</h2>"
        html += table([t("项目", "Project"), t("公示", "Notice"), t("编号", "No."), t("提出人", "Author"), t("意见", "Comment"), t("日期", "Date")], comments, id: "owner-comments")

        // Monitoring periods.
        var periods: [[String]] = []
        for p in mine {
            for period in p.periods {
                var action = ""
                if period.stage == .verified {
                    action = "<form method=\"post\" action=\"/portal/owner/apply-reductions\" class=\"row\">\(hidden())"
                        + "<input type=\"hidden\" name=\"project\" value=\"\(escape(p.id.rawValue))\"><input type=\"hidden\" name=\"period\" value=\"\(period.number)\">"
                        + "<button id=\"apply-reductions-\(escape(p.id.rawValue))-\(period.number)\">\(t("申请减排量登记", "Apply for reduction registration"))</button></form>"
                }
                periods.append([projectLink(p.id), "\(period.number)", "\(period.start) – \(period.end)", Format.grouped(period.reportedT), names.stage(period.stage),
                                notice(period.notice, today: today), report(period.verification), review(period.registration), action])
            }
        }
        html += "<h2>" + t("减排量（监测期）", "Reductions (monitoring periods)") + "</h2>"
        html += table([t("项目", "Project"), t("监测期", "Period"), t("起止", "Dates"), t("申报量（吨）", "Reported (t)"), t("阶段", "Stage"), t("公示", "Notice"),
                       t("核查", "Verification"), t("登记审核", "Registration review"), ""], periods, numeric: [1, 3], id: "owner-periods")

        // Its CCER holdings.
        let held = registry.holdings.filter { $0.key.account == account && $0.value.total > 0 && registry.unitTypes[$0.key.unit]?.kind == .ccer }.sorted { $0.key < $1.key }
        html += "<h2>" + t("持有的 CCER", "CCER holdings") + "</h2>"
        html += table([t("品种", "Unit"), t("项目", "Project"), t("年度", "Vintage"), t("合计（吨）", "Total (t)"), t("可用（吨）", "Available (t)")],
                      held.map { key, holding in
                          let type = registry.unitTypes[key.unit]
                          let vintage = type.map { $0.vintageFrom == $0.vintageTo ? "\($0.vintageFrom)" : "\($0.vintageFrom)–\($0.vintageTo)" } ?? ""
                          return [escape(key.unit.rawValue), escape(type?.projectID ?? ""), vintage, Format.grouped(holding.total), Format.grouped(holding.available)]
                      }, numeric: [3, 4], id: "ccer-holdings")

        // Report a monitoring period of a registered project.
        let registered = mine.filter { $0.stage == .registered }
        html += "<h2>" + t("提交减排量报告", "Submit a reduction report") + "</h2>"
        if registered.isEmpty {
            html += "<p class=\"muted\">" + t("项目登记后才能提交减排量报告。", "A project must be registered before its reductions are reported.") + "</p>"
        } else {
            html += "<form method=\"post\" action=\"/portal/owner/report\" id=\"report-form\" class=\"stack\">\(hidden())"
                + "<label>\(t("项目", "Project")) <select name=\"project\" id=\"report-project\">"
                + registered.map { "<option value=\"\(escape($0.id.rawValue))\">\(escape($0.id.rawValue)) \(escape($0.application.name))</option>" }.joined() + "</select></label>"
                + "<label>\(t("监测期开始", "Period start")) <input name=\"start\" id=\"report-start\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" required></label>"
                + "<label>\(t("监测期结束", "Period end")) <input name=\"end\" id=\"report-end\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" required></label>"
                + "<label>\(t("申报减排量（吨 CO2e）", "Reported reductions (t CO2e)")) <input name=\"reported_t\" id=\"report-tonnes\" inputmode=\"numeric\" maxlength=\"12\" required></label>"
                + documentFields("report", t("减排量核算报告", "Reduction report"), id: "report-doc")
                + "<button id=\"report-submit\">\(t("提交并公示", "Submit for public notice"))</button></form>"
        }

        // Submit a project: the facts the CLI asks for.
        html += "<h2>" + t("提交新项目", "Submit a project") + "</h2>"
        let methodologies = ccer.methodologies.values.sorted { $0.code < $1.code }
        let province = registry.accounts[account]?.province ?? ""
        html += "<form method=\"post\" action=\"/portal/owner/submit\" id=\"submit-project-form\" class=\"stack\">\(hidden())"
            + "<label>\(t("项目名称", "Project name")) <input name=\"name\" id=\"project-name\" maxlength=\"200\" required></label>"
            + "<label>\(t("方法学", "Methodology")) <select name=\"methodology\" id=\"project-methodology\">"
            + methodologies.map { "<option value=\"\(escape($0.code))\">\(escape($0.code)) \(escape(language == .zh ? $0.name : $0.nameEn))</option>" }.joined() + "</select></label>"
            + "<label>\(t("省份代码", "Province code")) <input name=\"province\" id=\"project-province\" value=\"\(escape(province))\" maxlength=\"3\" required></label>"
            + "<label>\(t("地点", "Location")) <input name=\"location\" id=\"project-location\" maxlength=\"200\" required></label>"
            + "<label>\(t("项目类型", "Project type")) <input name=\"type\" id=\"project-type\" maxlength=\"100\" required></label>"
            + "<label>\(t("开工日期", "Construction start")) <input name=\"construction\" id=\"project-construction\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" required></label>"
            + "<label>\(t("计入期开始", "Crediting period start")) <input name=\"crediting_start\" id=\"project-crediting-start\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" required></label>"
            + "<label>\(t("计入期结束（含）", "Crediting period end (inclusive)")) <input name=\"crediting_end\" id=\"project-crediting-end\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\" required></label>"
            + "<label>\(t("预计年减排量（吨 CO2e）", "Expected reductions (t CO2e a year)")) <input name=\"expected_t\" id=\"project-expected\" inputmode=\"numeric\" maxlength=\"12\" required></label>"
            + "<label>\(t("所在设施（如有）", "Host facility (if any)")) <input name=\"host\" id=\"project-host\" maxlength=\"100\"></label>"
            + documentFields("design", t("项目设计文件", "Project design document"), id: "project-design")
            + "<button id=\"submit-project\">\(t("提交并公示", "Submit for public notice"))</button></form>"
        return portal.frame(context, path: "/portal/owner", title: title, html)
    }

    // MARK: validation body

    public func validator(_ context: TradingPages.Context, ccer: CCERState, body: ValidationBodyID?, today: CivilDate) -> String {
        let portal = PortalPages(language: language)
        let title = t("审定与核查机构门户", "Validation body portal")
        guard let body, let record = ccer.bodies[body] else {
            return portal.frame(context, path: "/portal/validator", title: title,
                                "<p class=\"bad\" id=\"no-body\">" + t("该用户未对应已备案的审定与核查机构。", "This user acts for no CCER validation and verification body.") + "</p>")
        }
        let hidden = { TradingPages(language: self.language).hidden(context) }
        var html = "<p id=\"body\">\(escape(record.name)) · <code>\(escape(body.rawValue))</code> · " + t("今日 ", "today ") + "\(today)</p>"
        if !record.accredited {
            html += "<p class=\"bad\" id=\"withdrawn\">" + t("资质已于 \(record.withdrawnOn.map { "\($0)" } ?? "") 撤销：不能再出具审定或核查报告。",
                                                          "Accreditation withdrawn on \(record.withdrawnOn.map { "\($0)" } ?? ""): no more validation or verification reports.") + "</p>"
        }
        func reportFields(_ anchor: String) -> String {
            documentFields("report", t("报告", "Report"), id: "report-\(anchor)")
                + "<label>\(t("发现（每行一条；不通过时必填）", "Findings (one a line; required when negative)")) <textarea name=\"findings\" id=\"findings-\(anchor)\" rows=\"2\" cols=\"80\"></textarea></label>"
        }

        html += "<h2>" + t("待审定项目", "Projects awaiting validation") + "</h2>"
        let awaiting = ccer.projectsInOrder.filter { $0.stage == .designNotice }
        html += table(
            [t("项目", "Project"), t("名称", "Name"), t("业主", "Owner"), t("方法学", "Methodology"), t("公示", "Notice"), t("意见", "Comments"), ""],
            awaiting.map { p in
                let id = escape(p.id.rawValue)
                var action = "<span class=\"muted\">" + t("公示期满后审定", "validate after the notice") + "</span>"
                if today > p.designNotice.endsOn {
                    action = "<form method=\"post\" action=\"/portal/validator/validate\" class=\"stack\" id=\"validate-form-\(id)\">\(hidden())"
                        + "<input type=\"hidden\" name=\"project\" value=\"\(id)\">" + reportFields(id)
                        + "<label>\(t("结论", "Conclusion")) <select name=\"conclusion\" id=\"conclusion-\(id)\"><option value=\"positive\">\(t("通过", "positive"))</option>"
                        + "<option value=\"negative\">\(t("不通过", "negative"))</option></select></label>"
                        + "<button id=\"validate-\(id)\">\(t("提交审定报告", "Record the validation"))</button></form>"
                }
                return [projectLink(p.id), escape(p.application.name), escape(p.application.owner.rawValue), escape(p.application.methodology),
                        notice(p.designNotice, today: today), "\(p.designNotice.comments.count)", action]
            }, numeric: [5], id: "awaiting-validation")

        html += "<h2>" + t("待核查减排量", "Reductions awaiting verification") + "</h2>"
        var periods: [[String]] = []
        for p in ccer.projectsInOrder {
            for period in p.periods where period.stage == .reductionNotice {
                let anchor = "\(escape(p.id.rawValue))-\(period.number)"
                var action = "<span class=\"muted\">" + t("公示期满后核查", "verify after the notice") + "</span>"
                if today > period.notice.endsOn {
                    action = "<form method=\"post\" action=\"/portal/validator/verify\" class=\"stack\" id=\"verify-form-\(anchor)\">\(hidden())"
                        + "<input type=\"hidden\" name=\"project\" value=\"\(escape(p.id.rawValue))\"><input type=\"hidden\" name=\"period\" value=\"\(period.number)\">"
                        + reportFields(anchor)
                        + "<label>\(t("核查减排量（吨；0 为不通过）", "Verified reductions (t; 0 is negative)")) <input name=\"verified_t\" id=\"verified-\(anchor)\" value=\"\(period.reportedT)\" inputmode=\"numeric\" maxlength=\"12\" required></label>"
                        + "<button id=\"verify-\(anchor)\">\(t("提交核查报告", "Record the verification"))</button></form>"
                }
                periods.append([projectLink(p.id), "\(period.number)", "\(period.start) – \(period.end)", Format.grouped(period.reportedT), notice(period.notice, today: today), action])
            }
        }
        html += table([t("项目", "Project"), t("监测期", "Period"), t("起止", "Dates"), t("申报量（吨）", "Reported (t)"), t("公示", "Notice"), ""],
                      periods, numeric: [1, 3], id: "awaiting-verification")

        html += "<h2>" + t("本机构出具的报告", "Reports of this body") + "</h2>"
        var mine: [[String]] = []
        for p in ccer.projectsInOrder {
            if let v = p.validation, v.body == body { mine.append([projectLink(p.id), "—", t("审定", "validation"), report(v), escape(v.reportSHA256.prefix(16) + "…")]) }
            for period in p.periods {
                if let v = period.verification, v.body == body {
                    mine.append([projectLink(p.id), "\(period.number)", t("核查", "verification"), report(v), escape(v.reportSHA256.prefix(16) + "…")])
                }
            }
        }
        html += table([t("项目", "Project"), t("监测期", "Period"), t("类型", "Kind"), t("结论", "Result"), "SHA-256"], mine, id: "body-reports")
        return portal.frame(context, path: "/portal/validator", title: title, html)
    }

    // MARK: registry review

    public func review(_ context: TradingPages.Context, ccer: CCERState, today: CivilDate) -> String {
        let portal = PortalPages(language: language)
        let title = t("CCER 登记审核", "CCER registration review")
        let hidden = { TradingPages(language: self.language).hidden(context) }
        func decide(_ project: CCERProjectID, _ period: Int?) -> String {
            let anchor = escape(project.rawValue) + (period.map { "-\($0)" } ?? "")
            let common = "\(hidden())<input type=\"hidden\" name=\"project\" value=\"\(escape(project.rawValue))\">"
                + (period.map { "<input type=\"hidden\" name=\"period\" value=\"\($0)\">" } ?? "")
            return "<form method=\"post\" action=\"/portal/ccer-review/decide\" class=\"row\">\(common)<input type=\"hidden\" name=\"decision\" value=\"approve\">"
                + "<input name=\"reason\" value=\"\(t("材料齐全", "complete"))\" maxlength=\"500\"><button id=\"approve-\(anchor)\">\(t("批准登记", "Approve"))</button></form>"
                + "<form method=\"post\" action=\"/portal/ccer-review/decide\" class=\"row\">\(common)<input type=\"hidden\" name=\"decision\" value=\"refuse\">"
                + "<input name=\"reason\" placeholder=\"\(t("驳回理由", "Reason to refuse"))\" maxlength=\"500\" required><button id=\"refuse-\(anchor)\">\(t("驳回", "Refuse"))</button></form>"
        }
        var html = "<p class=\"muted\">" + t("今日 ", "today ") + "\(today)</p>"
        html += "<h2>" + t("项目登记申请", "Project registration applications") + "</h2>"
        html += table([t("项目", "Project"), t("名称", "Name"), t("业主", "Owner"), t("审定", "Validation"), t("登记审核", "Review"), ""],
                      ccer.projectsInOrder.filter { $0.stage == .registrationReview }.map { p in
                          [projectLink(p.id), escape(p.application.name), escape(p.application.owner.rawValue), report(p.validation), review(p.registration),
                           decide(p.id, nil)]
                      }, id: "registration-reviews")
        var reductions: [[String]] = []
        var issuable: [[String]] = []
        for p in ccer.projectsInOrder {
            for period in p.periods {
                if period.stage == .registrationReview {
                    reductions.append([projectLink(p.id), "\(period.number)", "\(period.start) – \(period.end)", report(period.verification), review(period.registration),
                                       decide(p.id, period.number)])
                }
                if period.stage == .registered, let verified = period.verification?.verifiedT {
                    let anchor = "\(escape(p.id.rawValue))-\(period.number)"
                    issuable.append([projectLink(p.id), "\(period.number)", escape(p.application.owner.rawValue), Format.grouped(verified),
                                     "<form method=\"post\" action=\"/portal/ccer-review/issue\" class=\"row\">\(hidden())"
                                        + "<input type=\"hidden\" name=\"project\" value=\"\(escape(p.id.rawValue))\"><input type=\"hidden\" name=\"period\" value=\"\(period.number)\">"
                                        + "<button id=\"issue-\(anchor)\">\(t("签发", "Issue"))</button></form>"])
                }
            }
        }
        html += "<h2>" + t("减排量登记申请", "Reduction registration applications") + "</h2>"
        html += table([t("项目", "Project"), t("监测期", "Period"), t("起止", "Dates"), t("核查", "Verification"), t("登记审核", "Review"), ""], reductions,
                      numeric: [1], id: "reduction-reviews")
        html += "<h2>" + t("待签发", "Awaiting issuance") + "</h2>"
        html += table([t("项目", "Project"), t("监测期", "Period"), t("业主账户", "Owner account"), t("核查减排量（吨）", "Verified (t)"), ""], issuable,
                      numeric: [1, 3], id: "awaiting-issuance")
        return portal.frame(context, path: "/portal/ccer-review", title: title, html)
    }
}
