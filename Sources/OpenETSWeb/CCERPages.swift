import OpenETSDomain

/// The public CCER pages: methodologies, projects by public stage with their dates, one
/// project's record (notices, comments, reports, reviews, periods), issuances, neutrality
/// cancellations and the certificate check. Pure functions of the CCER and registry states,
/// tested as text; a CSV beside every table.
public struct CCERPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// A certificate check as the page shows it (the application layer's result, flattened).
    public struct CertificateView: Sendable {
        public var code: String
        public var number: String
        public var beneficiary: String
        public var purpose: String
        public var subject: String
        public var unit: String
        public var quantity: Int64
        public var serialTexts: [String]
        public var cancelledOn: String
        public var entrySeq: Int64
        public var entryHash: String

        public init(
            code: String, number: String, beneficiary: String, purpose: String, subject: String, unit: String, quantity: Int64,
            serialTexts: [String], cancelledOn: String, entrySeq: Int64, entryHash: String
        ) {
            self.code = code
            self.number = number
            self.beneficiary = beneficiary
            self.purpose = purpose
            self.subject = subject
            self.unit = unit
            self.quantity = quantity
            self.serialTexts = serialTexts
            self.cancelledOn = cancelledOn
            self.entrySeq = entrySeq
            self.entryHash = entryHash
        }
    }

    public func stage(_ stage: ProjectStage) -> String {
        switch stage {
        case .designNotice: t("设计文件公示", "design document notice")
        case .validated: t("已审定", "validated")
        case .registrationReview: t("登记审核中", "registration review")
        case .registered: t("已登记", "registered")
        case .rejected: t("未通过", "rejected")
        }
    }

    public func stage(_ stage: PeriodStage) -> String {
        switch stage {
        case .reductionNotice: t("减排量公示", "reduction report notice")
        case .verified: t("已核查", "verified")
        case .registrationReview: t("登记审核中", "registration review")
        case .registered: t("减排量已登记", "reductions registered")
        case .issued: t("已签发", "issued")
        case .rejected: t("未通过", "rejected")
        }
    }

    /// A history entry's stage (a project's or a monitoring period's, stored by its code) by
    /// its name; an unknown code as it is.
    func historyStage(_ code: String, period: Bool = false) -> String {
        if period, let stage = PeriodStage(rawValue: code) { return self.stage(stage) }
        if let stage = ProjectStage(rawValue: code) { return self.stage(stage) }
        if let stage = PeriodStage(rawValue: code) { return self.stage(stage) }
        return code
    }

    public func status(_ status: PublicStatus) -> String {
        switch status {
        case .projectInNotice: t("项目公示", "Projects in notice")
        case .projectRegistered: t("已登记项目", "Registered projects")
        case .reductionsInNotice: t("减排量公示", "Reductions in notice")
        case .reductionsRegistered: t("减排量已登记", "Reductions registered")
        case .issued: t("已签发", "Issued")
        }
    }

    public func purpose(_ purpose: NeutralityPurpose) -> String {
        switch purpose {
        case .event: t("活动", "event")
        case .product: t("产品", "product")
        case .organisation: t("组织", "organisation")
        }
    }

    private var nav: String {
        "<p id=\"ccer-nav\"><a href=\"/ccer\">\(t("项目", "Projects"))</a> · <a href=\"/ccer/issuances\">\(t("签发", "Issuances"))</a> · "
            + "<a href=\"/ccer/cancellations\">\(t("自愿注销", "Cancellations"))</a> · <a href=\"/ccer/certificates\">\(t("碳中和证明查验", "Certificate check"))</a> · "
            + "<a href=\"/neutrality/calculator\">\(t("活动碳中和计算器", "Event neutrality calculator"))</a></p>"
    }

    private func csvLink(_ path: String) -> String { "<p class=\"csv\"><a href=\"\(path)\">\(Strings(language).downloadCSV)</a></p>" }

    private func projectLink(_ id: CCERProjectID) -> String {
        "<a href=\"/ccer/projects/\(escape(id.rawValue))\">\(escape(id.rawValue))</a>"
    }

    private func dates(_ history: [StageEntry], period: Bool = false) -> String {
        history.map { "\(escape(historyStage($0.stage, period: period))) \($0.on)" }.joined(separator: "<br>")
    }

    // MARK: pages

    /// Methodologies and projects by public stage, each with its dates.
    public func overview(_ ccer: CCERState) -> String {
        var body = nav
        body += "<h2>\(t("方法学", "Methodologies"))</h2>"
        body += table(
            [t("编号", "Code"), t("名称", "Name"), t("领域", "Sector"), t("温室气体", "Gases"), t("发布", "Published")],
            ccer.methodologies.values.sorted { $0.code < $1.code }.map { m in
                [escape(m.code), escape(language == .zh ? m.name : m.nameEn), escape(Strings(language).ccerSector(m.sector)), escape(m.gases.map(\.rawValue).joined(separator: ", ")),
                 m.publishedOn.description]
            }, id: "methodologies")
        body += csvLink("/ccer/methodologies.csv")
        let groups: [PublicStatus] = [.projectInNotice, .projectRegistered, .reductionsInNotice, .reductionsRegistered, .issued]
        for group in groups {
            let projects = ccer.projects(withStatus: group)
            body += "<h2>\(status(group)) (\(projects.count))</h2>"
            body += table(
                [t("项目", "Project"), t("名称", "Name"), t("方法学", "Methodology"), t("省份", "Province"), t("阶段", "Stage"), t("公示期", "Notice"), t("日期", "Dates")],
                projects.map { p in
                    let latest = p.periods.last
                    let notice = latest?.notice ?? p.designNotice
                    return [projectLink(p.id), escape(p.application.name), escape(p.application.methodology), escape(p.application.province),
                            escape(latest.map { stage($0.stage) } ?? stage(p.stage)), "\(notice.opensOn) – \(notice.endsOn)",
                            [dates(p.history), dates(latest?.history ?? [], period: true)].filter { !$0.isEmpty }.joined(separator: "<br>")]
                }, id: "projects-\(group.rawValue)")
        }
        body += csvLink("/ccer/projects.csv")
        return Layout(language: language, path: "/ccer").page(title: t("温室气体自愿减排项目", "CCER projects"), body)
    }

    /// `comments`: the reader's comment forms under the open notices (CCERCommentPages.swift);
    /// nil shows none.
    public func project(_ ccer: CCERState, id: CCERProjectID, comments forms: CommentForms? = nil) -> String? {
        guard let p = ccer.projects[id] else { return nil }
        let a = p.application
        var body = nav + commentOutcome(forms)
        body += table(
            [t("名称", "Name"), t("业主账户", "Owner account"), t("方法学", "Methodology"), t("地点", "Location"), t("类型", "Type"),
             t("开工", "Construction"), t("计入期", "Crediting period"), t("预计年减排量", "Expected t/yr"), t("阶段", "Stage")],
            [[escape(a.name), escape(a.owner.rawValue), escape(a.methodology), escape("\(a.province) \(a.location)"), escape(Strings(language).projectType(a.type)),
              a.constructionStart.description, "\(a.creditingStart) – \(a.creditingEnd)", Format.tonnes(a.expectedAnnualReductionsT, language),
              escape(stage(p.stage))]], id: "project")
        body += "<p>\(t("设计文件", "Design document")) SHA-256: <code>\(escape(a.designDocumentSHA256))</code></p>"
        body += "<h2>\(t("阶段记录", "Stages"))</h2>"
        body += table([t("阶段", "Stage"), t("日期", "Date")], p.history.map { [escape(historyStage($0.stage)), $0.on.description] }, id: "history")
        body += "<h2>\(t("设计文件公示", "Design document notice")) \(p.designNotice.opensOn) – \(p.designNotice.endsOn)</h2>"
        body += comments(p.designNotice) + commentForm(p.id, period: nil, notice: p.designNotice, forms)
        if let v = p.validation {
            body += "<p>\(t("审定", "Validation")): \(escape(v.body.rawValue)) · \(v.on) · \(v.positive ? t("通过", "positive") : t("不通过", "negative"))"
                + (v.findings.isEmpty ? "" : " · " + escape(v.findings.joined(separator: "; "))) + "</p>"
        }
        if let r = p.registration { body += review(t("项目登记", "Project registration"), r) }
        body += "<h2>\(t("减排量", "Reductions"))</h2>"
        body += table(
            ["#", t("监测期", "Monitoring period"), t("申报", "Reported t"), t("核查", "Verified t"), t("阶段", "Stage"), t("公示期", "Notice"), t("日期", "Dates")],
            p.periods.map { period in
                ["\(period.number)", "\(period.start) – \(period.end)", Format.tonnes(period.reportedT, language),
                 period.verification?.verifiedT.map { Format.tonnes($0, language) } ?? "—", escape(stage(period.stage)),
                 "\(period.notice.opensOn) – \(period.notice.endsOn)", dates(period.history, period: true)]
            }, numeric: [0, 2, 3], id: "periods")
        for period in p.periods {
            let form = commentForm(p.id, period: period.number, notice: period.notice, forms)
            if !period.notice.comments.isEmpty || !form.isEmpty {
                body += "<h3>\(t("减排量公示意见", "Comments on reduction report")) #\(period.number)</h3>" + comments(period.notice) + form
            }
            if let r = period.registration { body += review(t("减排量登记", "Reduction registration") + " #\(period.number)", r) }
        }
        if !p.warnings.isEmpty {
            body += "<h2>\(t("疑似重复", "Possible duplicates"))</h2><ul>"
                + p.warnings.map { "<li>\(escape($0.kind.rawValue)): \(projectLink($0.other)) \(escape($0.message))</li>" }.joined() + "</ul>"
        }
        return Layout(language: language, path: "/ccer/projects/\(id.rawValue)").page(title: "\(id.rawValue) \(a.name)", body)
    }

    private func comments(_ notice: PublicNotice) -> String {
        if notice.comments.isEmpty { return "<p class=\"muted\">\(t("无公众意见", "No comments"))</p>" }
        return table(
            ["#", t("日期", "Date"), t("提出人", "Author"), t("意见", "Comment")],
            notice.comments.map { ["\($0.number)", $0.on.description, escape($0.author), escape($0.text)] }, numeric: [0])
    }

    private func review(_ title: String, _ r: Review) -> String {
        "<p>\(escape(title)): \(t("申请", "applied")) \(r.appliedOn) · \(t("期限", "deadline")) \(r.deadline)"
            + (r.decidedOn.map { " · \(t("决定", "decided")) \($0) · " + (r.approved == true ? t("同意", "approved") : t("不同意", "refused")) } ?? "")
            + (r.overdueWorkingDays > 0 ? " · <span class=\"bad\">\(t("逾期", "late")) \(r.overdueWorkingDays) \(t("个工作日", "working days"))</span>" : "")
            + "</p>"
    }

    public func issuances(_ ccer: CCERState, registry: RegistryState) -> String {
        let rows = Self.issuanceRows(ccer, registry: registry).map { row in
            [projectLink(row.order.project), "\(row.order.period)", escape(row.order.unitType.rawValue), Format.tonnes(row.order.quantity, language),
             escape(row.order.owner.rawValue), row.order.orderedOn.description, "<code>\(escape(row.serialText))</code>"]
        }
        let body = nav + table(
            [t("项目", "Project"), t("监测期", "Period"), t("品种", "Unit type"), t("签发量", "Quantity"), t("业主账户", "Owner"), t("日期", "Date"), t("序列号", "Serials")],
            rows, numeric: [1, 3], id: "issuances") + csvLink("/ccer/issuances.csv")
        return Layout(language: language, path: "/ccer/issuances").page(title: t("CCER 签发", "CCER issuances"), body)
    }

    /// `codes`: the verification code of each certificate (from its journal entry hash).
    public func cancellations(_ ccer: CCERState, registry: RegistryState, codes: [CertificateNumber: String]) -> String {
        let rows = ccer.certificates.values.sorted { $0.number < $1.number }.map { c in
            let unit = registry.unitTypes[c.claim.unit]
            let link = codes[c.number].map { "<a href=\"/ccer/certificates/\(escape($0))\">\(escape($0))</a>" } ?? escape(c.number.rawValue)
            return [link, c.on.description, escape(c.claim.beneficiary), escape(purpose(c.claim.purpose)) + " · " + escape(c.claim.subject),
                    Format.tonnes(c.claim.quantity, language),
                    c.serials.map { "<code>\(escape(unit?.serialText($0) ?? "\($0.first)-\($0.last)"))</code>" }.joined(separator: "<br>")]
        }
        let body = nav + table(
            [t("证明编号与查验码", "Certificate / verification code"), t("日期", "Date"), t("受益方", "Beneficiary"), t("用途", "Purpose"), t("数量", "Quantity"), t("序列号", "Serials")],
            rows, numeric: [4], id: "cancellations") + csvLink("/ccer/cancellations.csv")
        return Layout(language: language, path: "/ccer/cancellations").page(title: t("碳中和自愿注销", "Cancellations for carbon neutrality"), body)
    }

    /// The public certificate check. `result`: nil before a code is entered; otherwise the
    /// certificate or the reason it does not validate (error code and message).
    public func certificate(code: String?, result: Result<CertificateView, CertificateFailure>?) -> String {
        var body = nav + """
            <form method="get" action="/ccer/certificates"><label>\(t("查验码", "Verification code"))
            <input name="code" value="\(escape(code ?? ""))" placeholder="VC-00000001-0123456789abcdef"></label>
            <button type="submit">\(t("查验", "Check"))</button></form>
            """
        switch result {
        case .success(let c):
            body += "<p class=\"ok\" id=\"certificate-valid\">\(t("有效：该注销已记入登记簿，查验码与登记簿记录的哈希一致", "Valid: this cancellation is in the registry journal and the code matches the entry's hash"))</p>"
            body += table(
                [t("证明编号", "Certificate"), t("受益方", "Beneficiary"), t("用途", "Purpose"), t("品种", "Unit type"), t("数量", "Quantity"), t("序列号", "Serials"), t("注销日期", "Cancelled on")],
                [[escape(c.number), escape(c.beneficiary), escape(c.purpose) + " · " + escape(c.subject), escape(c.unit), Format.tonnes(c.quantity, language),
                  c.serialTexts.map { "<code>\(escape($0))</code>" }.joined(separator: "<br>"), escape(c.cancelledOn)]], id: "certificate")
            body += "<p>\(t("登记簿记录", "Journal entry")) #\(c.entrySeq): <code id=\"entry-hash\">\(escape(c.entryHash))</code></p>"
        case .failure(let failure):
            body += "<p class=\"bad\" id=\"certificate-invalid\">\(t("无效", "Not valid")) · \(escape(failure.code)): \(escape(failure.message))</p>"
        case nil:
            break
        }
        return Layout(language: language, path: "/ccer/certificates").page(title: t("碳中和证明查验", "Carbon-neutrality certificate check"), body)
    }

    public struct CertificateFailure: Error, Sendable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    // MARK: data shared by pages, CSV and JSON

    public struct IssuanceRow: Sendable {
        public var order: IssuanceOrder
        public var serialText: String
    }

    /// Issuances in project and period order; the serial block is the unit type's first `quantity`.
    public static func issuanceRows(_ ccer: CCERState, registry: RegistryState) -> [IssuanceRow] {
        ccer.projectsInOrder.flatMap { p in
            p.periods.compactMap { period -> IssuanceRow? in
                guard let order = period.issuance else { return nil }
                let text = registry.unitTypes[order.unitType].map { $0.serialText(SerialRange(first: 1, last: order.quantity)) } ?? ""
                return IssuanceRow(order: order, serialText: text)
            }
        }
    }

    // MARK: CSV (UTF-8 with BOM)

    private static func csv(_ header: String, _ rows: [[String]]) -> String {
        (["\u{FEFF}" + header] + rows.map { $0.map(csvField).joined(separator: ",") }).joined(separator: "\r\n") + "\r\n"
    }

    public static func methodologiesCSV(_ ccer: CCERState) -> String {
        csv("code,name,name_en,sector,gases,published_on,verified",
            ccer.methodologies.values.sorted { $0.code < $1.code }.map {
                [$0.code, $0.name, $0.nameEn, $0.sector, $0.gases.map(\.rawValue).joined(separator: " "), $0.publishedOn.description, $0.unverified.isEmpty ? "true" : "false"]
            })
    }

    public static func projectsCSV(_ ccer: CCERState) -> String {
        csv("project,name,owner,methodology,province,location,stage,public_status,submitted_on,notice_opens,notice_ends,registered_on,periods,issued_t",
            ccer.projectsInOrder.map { p in
                [p.id.rawValue, p.application.name, p.application.owner.rawValue, p.application.methodology, p.application.province, p.application.location,
                 p.stage.rawValue, p.publicStatus?.rawValue ?? "", p.submittedOn.description, p.designNotice.opensOn.description, p.designNotice.endsOn.description,
                 p.history.last { $0.stage == ProjectStage.registered.rawValue }?.on.description ?? "", "\(p.periods.count)",
                 "\(p.periods.reduce(Int64(0)) { $0 + ($1.issuance?.quantity ?? 0) })"]
            })
    }

    public static func issuancesCSV(_ ccer: CCERState, registry: RegistryState) -> String {
        csv("project,period,unit_type,quantity_t,vintage_from,vintage_to,owner,ordered_on,serials",
            issuanceRows(ccer, registry: registry).map { r in
                [r.order.project.rawValue, "\(r.order.period)", r.order.unitType.rawValue, "\(r.order.quantity)", "\(r.order.vintageFrom)", "\(r.order.vintageTo)",
                 r.order.owner.rawValue, r.order.orderedOn.description, r.serialText]
            })
    }

    public static func cancellationsCSV(_ ccer: CCERState, registry: RegistryState, codes: [CertificateNumber: String]) -> String {
        csv("certificate,verification_code,cancelled_on,beneficiary,purpose,subject,account,unit_type,quantity_t,serials,entry_seq",
            ccer.certificates.values.sorted { $0.number < $1.number }.map { c in
                let unit = registry.unitTypes[c.claim.unit]
                return [c.number.rawValue, codes[c.number] ?? "", c.on.description, c.claim.beneficiary, c.claim.purpose.rawValue, c.claim.subject,
                        c.claim.account.rawValue, c.claim.unit.rawValue, "\(c.claim.quantity)",
                        c.serials.map { unit?.serialText($0) ?? "\($0.first)-\($0.last)" }.joined(separator: " "), "\(c.entrySeq)"]
            })
    }
}
