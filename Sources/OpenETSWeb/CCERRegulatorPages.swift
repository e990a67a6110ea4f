import OpenETSDomain

/// The CCER regulator's page (`/portal/ccer-regulator`, action `ccer_regulate`, the MEE): the
/// validation and verification bodies with their accreditation (accredit, withdraw) and the
/// methodologies (publish one); with `policy`, the CCER rules in force and the form to check and
/// publish the next version (CCERPolicyPanel.swift). A pure function of the CCER state, like the other portals.
extension CCERPortalPages {
    public func regulator(_ context: TradingPages.Context, ccer: CCERState, today: CivilDate, maxDocuments: Int, policy: CCERPolicyPanel? = nil) -> String {
        let portal = PortalPages(language: language)
        let hidden = { TradingPages(language: self.language).hidden(context) }
        var html = "<p class=\"muted\">" + t("温室气体自愿减排交易主管部门：审定与核查机构资质与方法学。今日 ", "The CCER regulator: accreditation of validation and verification bodies, and methodologies. Today ")
            + "\(today) · <a href=\"/ccer\">" + t("公开的 CCER 登记簿", "Public CCER registry") + "</a></p>"

        html += "<h2>" + t("审定与核查机构", "Validation and verification bodies") + "</h2>"
        html += table(
            [t("编号", "Id"), t("名称", "Name"), t("资质", "Accreditation"), t("备案日期", "Accredited on"), t("撤销日期", "Withdrawn on"), ""],
            ccer.bodies.values.sorted { $0.id.rawValue < $1.id.rawValue }.map { body in
                let action = body.accredited
                    ? "<form method=\"post\" action=\"/portal/ccer-regulator/withdraw\" class=\"row\">\(hidden())<input type=\"hidden\" name=\"body\" value=\"\(escape(body.id.rawValue))\">"
                        + "<button id=\"withdraw-\(escape(body.id.rawValue))\">\(t("撤销资质", "Withdraw accreditation"))</button></form>"
                    : ""
                return [escape(body.id.rawValue), escape(body.name), body.accredited ? t("有效", "accredited") : t("已撤销", "withdrawn"),
                        body.accreditedOn.description, body.withdrawnOn?.description ?? "—", action]
            }, id: "regulator-bodies")
        html += "<form method=\"post\" action=\"/portal/ccer-regulator/accredit\" id=\"accredit-form\" class=\"stack\">\(hidden())"
            + "<label>\(t("机构编号（A-Z、0-9、-）", "Body id (A-Z, 0-9, -)")) <input name=\"id\" id=\"accredit-id\" maxlength=\"32\" required></label>"
            + "<label>\(t("机构名称", "Body name")) <input name=\"name\" id=\"accredit-name\" maxlength=\"200\" required></label>"
            + "<button id=\"accredit\">\(t("备案（授予资质）", "Accredit"))</button></form>"

        html += "<h2>" + t("方法学", "Methodologies") + "</h2>"
        html += table(
            [t("编号", "Code"), t("名称", "Name"), t("领域", "Sector"), t("温室气体", "Gases"), t("计入期（年）", "Crediting period (years)"), t("发布", "Published")],
            ccer.methodologies.values.sorted { $0.code < $1.code }.map { m in
                let rule = m.creditingPeriod
                return [escape(m.code), escape(language == .zh ? m.name : m.nameEn), escape(Strings(language).ccerSector(m.sector)), escape(m.gases.map(\.rawValue).joined(separator: ", ")),
                        "\(rule.minYears.map { "\($0)–" } ?? "≤")\(rule.maxYears)\(rule.renewable ? t("，可更新", ", renewable") : "")", m.publishedOn.description]
            }, id: "regulator-methodologies")
        let gases = GreenhouseGas.allCases.map {
            "<label class=\"inline\"><input type=\"checkbox\" name=\"gas_\($0.rawValue)\" id=\"gas-\($0.rawValue)\"> \($0.rawValue)</label>"
        }.joined(separator: " ")
        html += "<h3>" + t("发布方法学", "Publish a methodology") + "</h3>"
            + "<form method=\"post\" action=\"/portal/ccer-regulator/methodology\" id=\"methodology-form\" class=\"stack\">\(hidden())"
            + "<label>\(t("编号", "Code")) <input name=\"code\" id=\"methodology-code\" placeholder=\"CCER-NN-NNN-VNN\" maxlength=\"15\" required></label>"
            + "<label>\(t("名称（中文）", "Title (Chinese)")) <input name=\"name\" id=\"methodology-name\" maxlength=\"200\" required></label>"
            + "<label>\(t("名称（英文）", "Title (English)")) <input name=\"name_en\" id=\"methodology-name-en\" maxlength=\"200\" required></label>"
            + "<label>\(t("领域", "Sector")) <input name=\"sector\" id=\"methodology-sector\" maxlength=\"200\" required></label>"
            + "<fieldset><legend>\(t("温室气体", "Gases"))</legend>\(gases)</fieldset>"
            + "<label>\(t("计入期最短（年，可空）", "Shortest crediting period (years, optional)")) <input name=\"min_years\" id=\"methodology-min\" inputmode=\"numeric\" maxlength=\"3\"></label>"
            + "<label>\(t("计入期最长（年）", "Longest crediting period (years)")) <input name=\"max_years\" id=\"methodology-max\" inputmode=\"numeric\" maxlength=\"3\" required></label>"
            + "<label class=\"inline\"><input type=\"checkbox\" name=\"renewable\" id=\"methodology-renewable\"> \(t("计入期可更新", "Crediting period renewable"))</label>"
            + "<label>\(t("文件（每行一个，方法学文本在先；至多 \(maxDocuments) 个）", "Documents (one a line, the methodology's text first; at most \(maxDocuments))")) <textarea name=\"documents\" id=\"methodology-documents\" rows=\"3\" cols=\"80\" required></textarea></label>"
            + "<label>\(t("发布日期（空为今日）", "Published on (empty: today)")) <input name=\"published_on\" id=\"methodology-published\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\"></label>"
            + "<label>\(t("来源（公告）", "Source (the announcement)")) <input name=\"source\" id=\"methodology-source\" maxlength=\"2000\" required></label>"
            + "<button id=\"publish-methodology\">\(t("发布", "Publish"))</button></form>"
        if let policy { html += policySection(context, policy) }
        return portal.frame(context, path: "/portal/ccer-regulator", title: t("CCER 主管部门", "CCER regulator"), html)
    }
}
