import OpenETSDomain

/// The role portals (docs/portals.md): the entity's (holdings by vintage, obligation and gap,
/// monthly data by form or CSV, the annual report, surrender), the verifier's (assignments,
/// findings, conclusion) and the province's (its entities, their reports, anomaly warnings,
/// verifier assignment and the province-level review). Pure functions of the registry and MRV
/// states; every form carries the session's CSRF token and a one-time nonce (`TradingPages.hidden`).
public struct PortalPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// Largest CSV the entity portal's textarea takes (bytes of the form body, URL-encoded);
    /// the route enforces it (`PortalRoutes.maxCSVFormBytes`).
    public static let maxCSVFormBytes = 256 << 10

    func frame(_ context: TradingPages.Context, path: String, title: String, _ body: String) -> String {
        let trading = TradingPages(language: language)
        var head = "<div class=\"row\"><p id=\"who\">\(escape(context.principal.name)) · \(escape(Strings(language).roleName(context.principal.role)))</p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(trading.hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form>"
            + (context.mrvPolicyLink && path != MRVPolicyPages.path
                ? "<a href=\"\(MRVPolicyPages.path)\" id=\"mrv-policy-link\">\(t("MRV 参数表", "MRV policy tables"))</a>" : "")
            + "</div>"
        if let message = context.message { head += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { head += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        return Layout(language: language, path: path).page(title: title, head + body)
    }

    func reportStatus(_ status: ReportStatus?) -> String {
        guard let status else { return t("未提交", "not submitted") }
        switch status {
        case .submitted: return t("已提交，待指派核查机构", "submitted, awaiting a verifier")
        case .verifying: return t("核查中", "in verification")
        case .concluded: return t("核查完成，待市级审核", "verified, awaiting the city's review")
        case .cityApproved: return t("市级通过，待省级审核", "city approved, awaiting the province")
        case .provinceApproved: return t("省级通过，待国家审核", "province approved, awaiting the national review")
        case .approved: return t("国家审核通过（排放量确定）", "approved nationally (emissions final)")
        }
    }

    /// Verified emissions of an approved report, rounded up to whole tonnes (every started
    /// tonne needs a unit); nil when the report is not approved at national level.
    public static func obligationT(_ report: AnnualReport?) -> Int64? {
        guard let report, report.status == .approved, let verified = report.verified else { return nil }
        var total = ExactDecimal.zero
        for facility in verified {
            guard let sum = try? total.adding(facility.emissionsT) else { return nil }
            total = sum
        }
        var divisor: Int128 = 1
        for _ in 0..<total.scale { divisor *= 10 }
        let (whole, fraction) = total.mantissa.quotientAndRemainder(dividingBy: divisor)
        return Int64(whole) + (fraction > 0 ? 1 : 0)
    }

    // MARK: entity

    public struct EntityModel: Sendable {
        public var registry: RegistryState
        public var mrv: MRVState
        /// The MRV entity behind the principal's registry account (its owner's credit code), if registered.
        public var entity: MRVEntityID?
        /// The data year shown.
        public var year: Int
        public var today: CivilDate
        /// The platform policy of `year`, if the tables cover it (deadlines of the months).
        public var policy: MRVPlatformPolicy?

        public init(registry: RegistryState, mrv: MRVState, entity: MRVEntityID?, year: Int, today: CivilDate, policy: MRVPlatformPolicy?) {
            self.registry = registry
            self.mrv = mrv
            self.entity = entity
            self.year = year
            self.today = today
            self.policy = policy
        }
    }

    public func entity(_ context: TradingPages.Context, _ model: EntityModel) -> String {
        let trading = TradingPages(language: language)
        let hidden = { trading.hidden(context) }
        let title = t("重点排放单位门户", "Entity portal")
        guard let account = context.principal.account else { return frame(context, path: "/portal/entity", title: title, "") }
        let registry = model.registry
        var body = "<p class=\"muted\">" + t("账户 ", "Account ") + "<code>\(escape(account.rawValue))</code> · <a href=\"/trade\">" + t("交易", "Trading") + "</a></p>"

        // Holdings by vintage.
        body += "<h2>" + t("持有配额（按年度）", "Holdings by vintage") + "</h2>"
        let held = registry.holdings.filter { $0.key.account == account && $0.value.total > 0 }.sorted { $0.key < $1.key }
        body += table(
            [t("品种", "Unit"), t("年度", "Vintage"), t("合计（吨）", "Total (t)"), t("可用（吨）", "Available (t)")],
            held.map { key, holding in
                let type = registry.unitTypes[key.unit]
                let vintage = type.map { $0.vintageFrom == $0.vintageTo ? "\($0.vintageFrom)" : "\($0.vintageFrom)–\($0.vintageTo)" } ?? ""
                return [escape(key.unit.rawValue), vintage, Format.grouped(holding.total), Format.grouped(holding.available)]
            }, numeric: [2, 3], id: "vintages")

        guard let entityID = model.entity, let entity = model.mrv.entities[entityID] else {
            body += "<p class=\"bad\" id=\"no-mrv-entity\">" + t("本账户尚未对应 MRV 平台上的重点排放单位：无排放数据、无履约义务。", "This account has no entity on the MRV platform: no emissions data and no obligation.") + "</p>"
            return frame(context, path: "/portal/entity", title: title, body)
        }
        body += "<p id=\"entity\">\(escape(entity.name)) · <code>\(escape(entityID.rawValue))</code> · \(escape(entity.province)) \(escape(entity.city)) · \(escape(Strings(language).sector(entity.sector.rawValue)))</p>"

        // Obligation and gap per compliance year: from the approved MRV report.
        body += "<h2>" + t("履约义务与缺口", "Obligation and gap") + "</h2>"
        let reports = model.mrv.reports.filter { $0.key.entity == entityID }.sorted { $0.key.year > $1.key.year }
        let obligationRows = reports.map { key, report -> [String] in
            let surrendered = registry.surrendered.filter { $0.key.account == account && $0.key.complianceYear == key.year }.reduce(0) { $0 + $1.value }
            guard let obligation = Self.obligationT(report) else {
                return ["\(key.year)", reportStatus(report.status), "<span class=\"muted\">" + t("待核定", "not yet final") + "</span>", Format.grouped(surrendered), ""]
            }
            let gap = max(0, obligation - surrendered)
            return ["\(key.year)", reportStatus(report.status), Format.grouped(obligation), Format.grouped(surrendered),
                    gap > 0 ? "<span class=\"bad\">\(Format.grouped(gap))</span>" : "<span class=\"ok\">0</span>"]
        }
        body += table([t("年度", "Year"), t("报告状态", "Report"), t("应清缴（吨）", "Obligation (t)"), t("已清缴（吨）", "Surrendered (t)"), t("缺口（吨）", "Gap (t)")],
                      obligationRows, numeric: [2, 3, 4], id: "obligations")
        body += "<p class=\"muted\">" + t("应清缴量 = 国家审核通过的核查排放量（向上取整到吨）；分配周期的调整（如借用、上年欠缴）不在此处计入。",
                                          "Obligation = verified emissions approved nationally, rounded up to whole tonnes; adjustments of the allocation cycle (borrowing, last year's debts) are not included here.") + "</p>"

        // Surrender for a compliance year.
        let units = registry.holdings.filter { $0.key.account == account && $0.value.available > 0 }.map(\.key.unit).sorted()
        let dueYear = reports.first { Self.obligationT($0.value) != nil }?.key.year
        body += "<h2>" + t("履约清缴", "Surrender") + "</h2>"
        body += "<form method=\"post\" action=\"/portal/entity/surrender\" id=\"portal-surrender-form\" class=\"row\">\(hidden())"
            + "<select name=\"unit\" id=\"portal-surrender-unit\">" + units.map { "<option value=\"\(escape($0.rawValue))\">\(escape($0.rawValue))</option>" }.joined() + "</select>"
            + "<input name=\"quantity\" id=\"portal-surrender-quantity\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"9\">"
            + "<input name=\"year\" id=\"portal-surrender-year\" value=\"\(dueYear.map(String.init) ?? "")\" placeholder=\"\(t("履约年度", "Compliance year"))\" inputmode=\"numeric\" required maxlength=\"4\">"
            + "<button id=\"portal-surrender-submit\">\(t("清缴", "Surrender"))</button></form>"

        // Monthly data of the year.
        let year = model.year
        let facilities = model.mrv.facilitiesByEntity[entityID] ?? []
        body += "<h2>" + t("月度数据 \(year) 年", "Monthly data \(year)") + "</h2>"
        body += "<p>" + [year - 1, year + 1].map { "<a href=\"/portal/entity?year=\($0)\">\($0)</a>" }.joined(separator: " · ") + "</p>"
        var monthRows: [[String]] = []
        for facility in facilities {
            var cells = [escape(facility.rawValue)]
            for month in 1...12 {
                let submitted = model.mrv.months[FacilityMonth(facility: facility, year: year, month: month)]
                if let policy = model.policy {
                    switch model.mrv.monthStatus(facility, year: year, month: month, asOf: model.today, policy: policy) {
                    case .onTime: cells.append("<span class=\"ok\">✓</span>")
                    case .late: cells.append("<span class=\"bad\">" + t("迟", "late") + "</span>")
                    case .missing: cells.append("<span class=\"bad\">" + t("缺", "missing") + "</span>")
                    case .open: cells.append(t("待报", "open"))
                    case .notEnded: cells.append("—")
                    }
                } else {
                    cells.append(submitted == nil ? "—" : "✓")
                }
            }
            monthRows.append(cells)
        }
        body += table([t("设施", "Facility")] + (1...12).map { "\($0)" + t("月", "") }, monthRows, id: "months")
        if model.policy == nil {
            body += "<p class=\"bad\" id=\"no-policy\">" + t("\(year) 年的 MRV 政策表尚未发布，该年数据暂不能报送。", "The MRV policy tables do not cover \(year) yet: its data cannot be submitted.") + "</p>"
        }
        let fuels = Array(Set(facilities.flatMap { model.mrv.facilities[$0]?.fuels ?? [] })).sorted { $0.rawValue < $1.rawValue }
        body += "<h3>" + t("填报一个月", "Enter a month") + "</h3>"
        body += "<form method=\"post\" action=\"/portal/entity/month\" id=\"month-form\" class=\"stack\">\(hidden())"
            + "<label>\(t("设施", "Facility")) <select name=\"facility\" id=\"month-facility\">" + facilities.map { "<option value=\"\(escape($0.rawValue))\">\(escape($0.rawValue))</option>" }.joined() + "</select></label>"
            + "<label>\(t("年份", "Year")) <input name=\"year\" id=\"month-year\" value=\"\(year)\" inputmode=\"numeric\" maxlength=\"4\" required></label>"
            + "<label>\(t("月份", "Month")) <input name=\"month\" id=\"month-month\" inputmode=\"numeric\" maxlength=\"2\" required></label>"
            + "<label>\(t("燃料", "Fuel")) <select name=\"fuel\" id=\"month-fuel\">" + fuels.map { "<option value=\"\($0.rawValue)\">\(escape(Strings(language).fuel($0)))</option>" }.joined() + "</select></label>"
            + "<label>\(t("消耗量（吨或万标立方米）", "Consumption (t, or 10⁴ Nm³ of gas)")) <input name=\"consumption\" id=\"month-consumption\" inputmode=\"decimal\" maxlength=\"24\" required></label>"
            + "<label>\(t("低位发热量 GJ/单位（实测；留空用缺省值）", "Net calorific value, GJ per unit (measured; empty: the default)")) <input name=\"ncv\" id=\"month-ncv\" inputmode=\"decimal\" maxlength=\"24\"></label>"
            + "<label>\(t("发电量 MWh（发电机组）", "Generation, MWh (power units)")) <input name=\"generation_mwh\" id=\"month-generation\" inputmode=\"decimal\" maxlength=\"24\"></label>"
            + "<label>\(t("产量 吨（其他设施）", "Output, t (other facilities)")) <input name=\"output_t\" id=\"month-output\" inputmode=\"decimal\" maxlength=\"24\"></label>"
            + "<button id=\"month-submit\">\(t("报送", "Submit"))</button></form>"
        body += "<h3>" + t("上传 CSV（粘贴文件内容）", "Upload CSV (paste the file)") + "</h3>"
        body += "<p class=\"muted\">" + t("模板列见 docs/mrv.md 第 3 部分（中英文表头均可）；整份文件全部导入或全部不导入；表单最大 \(Self.maxCSVFormBytes >> 10) KiB（编码后）。",
                                          "Columns as in docs/mrv.md Part 3 (English or Chinese headers); the whole file is imported or none of it; at most \(Self.maxCSVFormBytes >> 10) KiB of form (encoded).") + "</p>"
        body += "<form method=\"post\" action=\"/portal/entity/csv\" id=\"csv-form\" class=\"stack\">\(hidden())"
            + "<textarea name=\"csv\" id=\"csv-text\" rows=\"6\" cols=\"100\" required>facility_id,year,month,fuel,consumption,ncv_gj_per_unit,generation_mwh\n</textarea>"
            + "<button id=\"csv-submit\">\(t("导入", "Import"))</button></form>"

        // The annual report of the year.
        body += "<h2>" + t("年度排放报告 \(year)", "Annual report \(year)") + "</h2>"
        let report = model.mrv.reports[ReportKey(entity: entityID, year: year)]
        body += "<p id=\"report-status\">\(reportStatus(report?.status))"
            + (report.map { r in " · " + t("版本 ", "version ") + "\(r.version)" + (r.verifier.map { " · " + t("核查机构 ", "verifier ") + escape($0.rawValue) } ?? "") } ?? "") + "</p>"
        if let report {
            body += table([t("设施", "Facility"), t("排放量（tCO2）", "Emissions (tCO2)"), t("发电量（MWh）", "Generation (MWh)")],
                          report.facilities.map { [escape($0.facility.rawValue), $0.totalT.description, $0.generationMWh.description] }, numeric: [1, 2], id: "report-facilities")
            if !report.findings.isEmpty {
                body += table([t("编号", "No."), t("不符合项", "Finding"), t("要求", "Required correction"), t("状态", "Status")],
                              report.findings.map { ["\($0.number)", escape($0.description), escape($0.requiredCorrection), $0.isOpen ? t("未关闭", "open") : t("已整改", "resolved")] },
                              id: "report-findings")
            }
        } else {
            body += "<form method=\"post\" action=\"/portal/entity/report\" id=\"report-form\" class=\"row\">\(hidden())<input type=\"hidden\" name=\"year\" value=\"\(year)\">"
                + "<button id=\"report-submit\">\(t("提交 \(year) 年度报告", "Submit the \(year) report"))</button></form>"
        }
        return frame(context, path: "/portal/entity", title: title, body)
    }

    // MARK: verifier

    public func verifier(_ context: TradingPages.Context, mrv: MRVState, verifier: VerifierID?) -> String {
        let title = t("核查机构门户", "Verifier portal")
        guard let verifier, let body = mrv.verifiers[verifier] else {
            return frame(context, path: "/portal/verifier", title: title,
                         "<p class=\"bad\" id=\"no-verifier\">" + t("该用户未对应 MRV 平台上的核查机构。", "This user acts for no verifier on the MRV platform.") + "</p>")
        }
        let hidden = { TradingPages(language: self.language).hidden(context) }
        var html = "<p id=\"verifier\">\(escape(body.name)) · <code>\(escape(verifier.rawValue))</code></p>"
        let assigned = mrv.reports.values.filter { $0.verifier == verifier }.sorted { ($0.status == .verifying ? 0 : 1, $0.key) < ($1.status == .verifying ? 0 : 1, $1.key) }
        html += "<h2>" + t("核查任务", "Assignments") + "</h2>"
        html += table([t("单位", "Entity"), t("年度", "Year"), t("状态", "Status"), t("截止", "Due"), t("不符合项", "Findings")],
                      assigned.map { r in
                          [escape(mrv.entities[r.entity]?.name ?? r.entity.rawValue), "\(r.year)", reportStatus(r.status), r.verificationDeadline.description,
                           "\(r.findings.filter(\.isOpen).count) / \(r.findings.count)"]
                      }, numeric: [1], id: "assignments")
        for report in assigned where report.status == .verifying {
            let anchor = "\(report.entity.rawValue)-\(report.year)"
            html += "<h2 id=\"task-\(escape(anchor))\">\(escape(mrv.entities[report.entity]?.name ?? report.entity.rawValue)) \(report.year)</h2>"
            html += table([t("设施", "Facility"), t("报告排放量（tCO2）", "Reported emissions (tCO2)"), t("发电量（MWh）/产量（吨）", "Generation (MWh) / output (t)")],
                          report.facilities.map { [escape($0.facility.rawValue), $0.totalT.description, ($0.generationMWh == .zero ? $0.outputT : $0.generationMWh).description] },
                          numeric: [1, 2])
            if !report.findings.isEmpty {
                html += table([t("编号", "No."), t("设施", "Facility"), t("项目", "Item"), t("描述", "Description"), t("状态", "Status")],
                              report.findings.map { ["\($0.number)", escape($0.facility.rawValue), escape($0.item), escape($0.description), $0.isOpen ? t("未关闭", "open") : t("已整改", "resolved")] },
                              id: "findings-\(escape(anchor))")
            }
            let common = "<input type=\"hidden\" name=\"entity\" value=\"\(escape(report.entity.rawValue))\"><input type=\"hidden\" name=\"year\" value=\"\(report.year)\">"
            html += "<h3>" + t("记录不符合项", "Record a finding") + "</h3>"
            html += "<form method=\"post\" action=\"/portal/verifier/finding\" class=\"stack\" id=\"finding-form-\(escape(anchor))\">\(hidden())\(common)"
                + "<label>\(t("设施", "Facility")) <select name=\"facility\">" + report.facilities.map { "<option value=\"\(escape($0.facility.rawValue))\">\(escape($0.facility.rawValue))</option>" }.joined() + "</select></label>"
                + "<label>\(t("月份（可空）", "Month (optional)")) <input name=\"month\" inputmode=\"numeric\" maxlength=\"2\"></label>"
                + "<label>\(t("数据项", "Data item")) <input name=\"item\" placeholder=\"coal.ncv\" maxlength=\"64\" required></label>"
                + "<label>\(t("描述", "Description")) <input name=\"description\" maxlength=\"500\" required></label>"
                + "<label>\(t("整改要求", "Required correction")) <input name=\"correction\" maxlength=\"500\" required></label>"
                + "<button class=\"finding-submit\">\(t("记录", "Record"))</button></form>"
            html += "<h3>" + t("核查结论", "Conclusion") + "</h3>"
            html += "<form method=\"post\" action=\"/portal/verifier/conclude\" class=\"stack\" id=\"conclude-form-\(escape(anchor))\">\(hidden())\(common)"
            for facility in report.facilities {
                let id = escape(facility.facility.rawValue)
                let output = facility.generationMWh == .zero ? facility.outputT : facility.generationMWh
                html += "<label>\(id) \(t("核查排放量 tCO2", "verified emissions, tCO2")) <input name=\"emissions.\(id)\" value=\"\(facility.totalT.description)\" inputmode=\"decimal\" maxlength=\"24\"></label>"
                    + "<label>\(id) \(t("核查产出", "verified output")) <input name=\"output.\(id)\" value=\"\(output.description)\" inputmode=\"decimal\" maxlength=\"24\"></label>"
            }
            html += "<button class=\"conclude-submit\" id=\"conclude-\(escape(anchor))\">\(t("提交核查结论", "Conclude the verification"))</button></form>"
        }
        return frame(context, path: "/portal/verifier", title: title, html)
    }

    // MARK: province

    public func province(_ context: TradingPages.Context, mrv: MRVState, province: String, year: Int, anomalies: [AnomalyFinding]) -> String {
        let title = t("省级主管部门门户", "Province portal")
        let hidden = { TradingPages(language: self.language).hidden(context) }
        var html = "<p id=\"province\">" + t("省份 ", "Province ") + "\(escape(province))</p>"
        let entities = mrv.entities.values.filter { $0.province == province }.sorted { $0.id < $1.id }
        html += "<h2>" + t("辖区重点排放单位", "Entities of the province") + "</h2>"
        html += table([t("单位", "Entity"), t("信用代码", "Credit code"), t("城市", "City"), t("行业", "Sector"), t("设施数", "Facilities")],
                      entities.map { [escape($0.name), "<code>\(escape($0.id.rawValue))</code>", escape($0.city), escape(Strings(language).sector($0.sector.rawValue)), "\(mrv.facilitiesByEntity[$0.id]?.count ?? 0)"] },
                      numeric: [4], id: "entities")
        html += "<h2>" + t("年度报告与审核", "Reports and reviews") + "</h2>"
        let inProvince = Set(entities.map(\.id))
        let reports = mrv.reports.values.filter { inProvince.contains($0.entity) }.sorted { ($1.year, $0.entity.rawValue) < ($0.year, $1.entity.rawValue) }
        let verifiers = mrv.verifiers.keys.sorted()
        var rows: [[String]] = []
        for report in reports {
            let common = "\(hidden())<input type=\"hidden\" name=\"entity\" value=\"\(escape(report.entity.rawValue))\"><input type=\"hidden\" name=\"year\" value=\"\(report.year)\">"
            let anchor = "\(report.entity.rawValue)-\(report.year)"
            var action = ""
            switch report.status {
            case .submitted:
                action = "<form method=\"post\" action=\"/portal/province/assign\" class=\"row\">\(common)<select name=\"verifier\">"
                    + verifiers.map { "<option value=\"\(escape($0.rawValue))\">\(escape($0.rawValue))</option>" }.joined()
                    + "</select><button id=\"assign-\(escape(anchor))\">\(t("指派核查机构", "Assign verifier"))</button></form>"
            case .cityApproved:
                action = "<form method=\"post\" action=\"/portal/province/review\" class=\"row\">\(common)<input type=\"hidden\" name=\"decision\" value=\"approve\">"
                    + "<button id=\"approve-\(escape(anchor))\">\(t("省级审核通过", "Approve (province)"))</button></form>"
                    + "<form method=\"post\" action=\"/portal/province/review\" class=\"row\">\(common)<input type=\"hidden\" name=\"decision\" value=\"return\">"
                    + "<input name=\"reason\" placeholder=\"\(t("退回理由", "Reason to return"))\" maxlength=\"500\"><button id=\"return-\(escape(anchor))\">\(t("退回核查", "Return"))</button></form>"
            default:
                break
            }
            let verifiedT = report.verified.map { v in v.map(\.emissionsT.description).joined(separator: " + ") } ?? "—"
            rows.append([escape(mrv.entities[report.entity]?.name ?? report.entity.rawValue), "\(report.year)", reportStatus(report.status),
                         escape(report.verifier?.rawValue ?? "—"), verifiedT, action])
        }
        html += table([t("单位", "Entity"), t("年度", "Year"), t("状态", "Status"), t("核查机构", "Verifier"), t("核查排放量（tCO2）", "Verified (tCO2)"), ""],
                      rows, numeric: [1], id: "reviews")
        html += "<h2>" + t("异常预警 \(year) 年", "Anomaly warnings \(year)") + "</h2>"
        html += "<p>" + [year - 1, year + 1].map { "<a href=\"/portal/province?year=\($0)\">\($0)</a>" }.joined(separator: " · ") + "</p>"
        html += table([t("规则", "Rule"), t("级别", "Severity"), t("设施", "Facility"), t("月份", "Month"), t("说明", "Explanation")],
                      anomalies.filter { $0.province == province }.prefix(Self.maxAnomaliesShown).map { a in
                          [escape(a.ruleID), "<span class=\"\(a.severity == .notice ? "muted" : "bad")\">\(escape(a.severity.rawValue))</span>", escape(a.facility.rawValue),
                           a.month.map(String.init) ?? "—", escape(language == .zh ? a.explanationZH : a.explanationEN)]
                      }, id: "anomalies")
        if !anomalies.contains(where: { $0.province == province }) {
            html += "<p class=\"muted\" id=\"no-anomalies\">" + t("本年度无异常预警（或该年度政策表未覆盖）。", "No warnings for this year (or the policy tables do not cover it).") + "</p>"
        }
        return frame(context, path: "/portal/province", title: title, html)
    }

    /// Most anomaly findings listed on the province page.
    public static let maxAnomaliesShown = 200
}
