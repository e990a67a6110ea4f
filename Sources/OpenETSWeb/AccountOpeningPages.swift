import OpenETSDomain

/// Account opening (docs/security.md, "Account opening"): the public application form, the
/// page shown once after submitting (id, secret reference, TOTP secrets), the status page
/// (id + reference), and the registry operator's review page. Pure functions of their models.
public struct AccountOpeningPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// File inputs on the form (the policy's `maxDocuments` bounds them too).
    public static let documentInputs = 2

    func kindName(_ kind: ApplicantKind) -> String {
        switch kind {
        case .entity: t("重点排放单位", "Key emitting entity")
        case .institution: t("机构投资者", "Institutional investor")
        case .individual: t("个人投资者", "Individual investor")
        }
    }

    public func statusName(_ status: AccountApplicationStatus) -> String {
        switch status {
        case .submitted: t("已提交，待审核", "submitted, awaiting review")
        case .returned: t("退回补正", "returned for correction")
        case .approved: t("已批准，账户已开立", "approved, account open")
        case .rejected: t("已驳回", "rejected")
        }
    }

    func frame(_ path: String, _ title: String, _ body: String) -> String {
        Layout(language: language, path: path).page(title: title, body)
    }

    // MARK: applicant

    /// The application form (multipart: the identity documents are files).
    public func apply(error: String?, policy: AccountOpeningPolicy = .standard) -> String {
        var body = "<p>" + t(
            "重点排放单位、机构或个人投资者在此申请开立注册登记账户。注册登记机构审核身份证明文件并批准后，账户方可交易。",
            "Key emitting entities and institutional or individual investors apply here for a registry account. The account can trade once the registry operator has reviewed the identity documents and approved.") + "</p>"
        if let error { body += "<p class=\"bad\" id=\"error\">\(escape(error))</p>" }
        let kinds = ApplicantKind.allCases.map { "<option value=\"\($0.rawValue)\">\(escape(kindName($0)))</option>" }.joined()
        body += """
            <form method="post" action="/accounts/apply" enctype="multipart/form-data" class="stack" id="apply-form">
            <label>\(t("申请人类别", "Applicant")) <select name="kind" id="kind">\(kinds)</select></label>
            <label>\(t("统一社会信用代码 / 居民身份证号码", "Unified social credit code / resident ID number")) <input name="owner_id" id="owner-id" required maxlength="18"></label>
            <label>\(t("名称 / 姓名", "Name")) <input name="owner_name" id="owner-name" required maxlength="\(policy.maxTextChars)"></label>
            <label>\(t("省份代码（重点排放单位必填，如 SC）", "Province code (entities; e.g. SC)")) <input name="province" id="province" maxlength="3"></label>
            <fieldset><legend>\(t("用户（投资者）或经办人（重点排放单位）", "User (investor) or initiator (entity)"))</legend>
            <label>\(t("用户名", "User id")) <input name="user1_id" id="user1-id" required maxlength="\(policy.maxUserIDBytes)"></label>
            <label>\(t("姓名", "Name")) <input name="user1_name" id="user1-name" required maxlength="\(policy.maxTextChars)"></label>
            <label>\(t("密码", "Password")) <input name="user1_password" id="user1-password" type="password" autocomplete="new-password" required maxlength="256"></label>
            </fieldset>
            <fieldset><legend>\(t("复核人（仅重点排放单位，须为另一人）", "Approver (entities only; another person)"))</legend>
            <label>\(t("用户名", "User id")) <input name="user2_id" id="user2-id" maxlength="\(policy.maxUserIDBytes)"></label>
            <label>\(t("姓名", "Name")) <input name="user2_name" id="user2-name" maxlength="\(policy.maxTextChars)"></label>
            <label>\(t("密码", "Password")) <input name="user2_password" id="user2-password" type="password" autocomplete="new-password" maxlength="256"></label>
            </fieldset>
            <fieldset><legend>\(t("身份证明文件（营业执照、身份证件等，每个至多", "Identity documents (business licence, ID card…; each at most")) \(policy.maxDocumentBytes / 1024) KiB）</legend>
            \((1...Self.documentInputs).map { "<input type=\"file\" name=\"document\(Int($0))\" id=\"document\($0)\">" }.joined(separator: "\n"))
            </fieldset>
            <button type="submit" id="apply-submit">\(t("提交申请", "Submit the application"))</button>
            </form>
            <p><a href="/accounts/apply/status" id="status-link">\(t("查询申请状态", "Check an application's status"))</a></p>
            """
        return frame("/accounts/apply", t("申请开立账户", "Apply for an account"), body)
    }

    /// Shown once after submitting: the reference and the TOTP secrets are not shown again.
    public func submitted(_ application: AccountApplication, reference: String, totpSecrets: [String: String]) -> String {
        var body = "<p class=\"ok\" id=\"message\">" + t("申请已提交。", "The application is submitted.") + "</p>"
        body += "<table id=\"submitted\"><tbody>"
        body += "<tr><th>\(t("申请编号", "Application"))</th><td><code id=\"application-id\">\(escape(application.id))</code></td></tr>"
        body += "<tr><th>\(t("查询凭证（仅显示一次，请妥善保存）", "Reference (shown once: keep it)"))</th><td><code id=\"reference\">\(escape(reference))</code></td></tr>"
        for user in application.form.users {
            body += "<tr><th>\(t("动态口令密钥", "TOTP secret")) <code>\(escape(user.userID))</code></th><td><code class=\"totp-secret\" data-user=\"\(escape(user.userID))\">\(escape(totpSecrets[user.userID] ?? ""))</code></td></tr>"
        }
        body += "</tbody></table><p>" + t(
            "请将动态口令密钥录入身份验证器应用；账户获批后用该口令登录。",
            "Enter the TOTP secret in an authenticator app; log in with its codes once the account is approved.") + "</p>"
        body += "<p><a href=\"/accounts/apply/status\">\(t("查询申请状态", "Check the status"))</a></p>"
        return frame("/accounts/apply", t("申请已提交", "Application submitted"), body)
    }

    /// The status form, and the application when the id and reference matched; for a returned
    /// application, the form to correct it (`reference`: the one the applicant just gave).
    public func status(_ application: AccountApplication?, asked: Bool, reference: String? = nil, message: String? = nil, error: String? = nil) -> String {
        var body = """
            <form method="post" action="/accounts/apply/status" class="stack" id="status-form">
            <label>\(t("申请编号", "Application")) <input name="id" id="status-id" required maxlength="64"></label>
            <label>\(t("查询凭证", "Reference")) <input name="reference" id="status-reference" required maxlength="128" autocomplete="off"></label>
            <button type="submit" id="status-submit">\(t("查询", "Look up"))</button>
            </form>
            """
        if application == nil, let error { body += "<p class=\"bad\" id=\"resubmit-error\">\(escape(error))</p>" }
        if asked && application == nil {
            body += "<p class=\"bad\" id=\"error\">" + t("没有与该编号和凭证相符的申请。", "No application matches this id and reference.") + "</p>"
        }
        if let application {
            body += "<table id=\"application\"><tbody>"
            body += "<tr><th>\(t("申请编号", "Application"))</th><td><code>\(escape(application.id))</code></td></tr>"
            body += "<tr><th>\(t("状态", "Status"))</th><td id=\"application-status\" data-status=\"\(application.status.rawValue)\">\(escape(statusName(application.status)))</td></tr>"
            if let account = application.account {
                body += "<tr><th>\(t("账户", "Account"))</th><td><a id=\"application-account\" href=\"/accounts/\(escape(account.rawValue))\">\(escape(account.rawValue))</a></td></tr>"
            }
            body += "</tbody></table>" + history(application)
            if let message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
            if let error { body += "<p class=\"bad\" id=\"resubmit-error\">\(escape(error))</p>" }
            if application.status == .returned, let reference { body += resubmitForm(application, reference: reference) }
        }
        return frame("/accounts/apply/status", t("申请状态", "Application status"), body)
    }

    /// Correcting a returned application (multipart: the documents again). The kind and the
    /// users' ids stay as first submitted (and their passwords and TOTP secrets); the identity,
    /// the users' names and the documents are sent again, filled in with what was submitted.
    public func resubmitForm(_ application: AccountApplication, reference: String, policy: AccountOpeningPolicy = .standard) -> String {
        let form = application.form
        var users = ""
        for (index, user) in form.users.enumerated() {
            users += "<label>\(t("用户", "User")) <code>\(escape(user.userID))</code> \(t("姓名", "name")) "
                + "<input name=\"user\(index + 1)_name\" id=\"resubmit-user\(index + 1)-name\" required maxlength=\"\(policy.maxTextChars)\" value=\"\(escape(user.name))\"></label>"
        }
        let province = form.kind == .entity
            ? "<label>\(t("省份代码", "Province code")) <input name=\"province\" id=\"resubmit-province\" maxlength=\"3\" value=\"\(escape(form.province ?? ""))\"></label>" : ""
        return """
            <h2>\(t("补正后重新提交", "Correct and resubmit"))</h2>
            <form method="post" action="/accounts/apply/resubmit" enctype="multipart/form-data" class="stack" id="resubmit-form">
            <input type="hidden" name="id" value="\(escape(application.id))">
            <input type="hidden" name="reference" value="\(escape(reference))">
            <label>\(t("统一社会信用代码 / 居民身份证号码", "Unified social credit code / resident ID number")) <input name="owner_id" id="resubmit-owner-id" required maxlength="18" value="\(escape(form.ownerID))"></label>
            <label>\(t("名称 / 姓名", "Name")) <input name="owner_name" id="resubmit-owner-name" required maxlength="\(policy.maxTextChars)" value="\(escape(form.ownerName))"></label>
            \(province)
            \(users)
            <fieldset><legend>\(t("身份证明文件（重新上传，替换原文件；每个至多", "Identity documents (upload again; they replace the earlier ones; each at most")) \(policy.maxDocumentBytes / 1024) KiB）</legend>
            \((1...Self.documentInputs).map { "<input type=\"file\" name=\"document\($0)\" id=\"resubmit-document\($0)\">" }.joined(separator: "\n"))
            </fieldset>
            <button type="submit" id="resubmit-submit">\(t("重新提交", "Resubmit"))</button>
            </form>
            """
    }

    func history(_ application: AccountApplication) -> String {
        var rows = ""
        for step in application.history {
            rows += "<tr><td>\(escape(Format.beijingTime(step.at)))</td><td>\(escape(step.by))</td><td>\(escape(statusName(step.status)))</td><td>\(escape(step.reason ?? ""))</td></tr>"
        }
        return "<table class=\"history\"><thead><tr><th>\(t("时间", "Time"))</th><th>\(t("操作人", "By"))</th><th>\(t("状态", "Status"))</th><th>\(t("理由", "Reason"))</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    // MARK: registry operator

    /// The review page: every application (waiting ones first), its documents' hashes with a
    /// download link, and for waiting ones the approve / return / reject forms.
    public func review(_ context: TradingPages.Context, _ applications: [AccountApplication]) -> String {
        let trading = TradingPages(language: language)
        var body = "<div class=\"row\"><p id=\"who\">\(escape(context.principal.name)) · \(escape(Strings(language).roleName(context.principal.role)))</p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(trading.hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form></div>"
        if let message = context.message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { body += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        let ordered = applications.filter { $0.status.isPending } + applications.filter { !$0.status.isPending }
        if ordered.isEmpty { body += "<p id=\"no-applications\">\(t("暂无开户申请。", "No account applications."))</p>" }
        for application in ordered {
            body += card(context, application, trading)
        }
        return frame("/accounts/review", t("开户申请审核", "Account applications"), body)
    }

    func card(_ context: TradingPages.Context, _ application: AccountApplication, _ trading: TradingPages) -> String {
        let form = application.form
        var html = "<section class=\"application\" id=\"application-\(escape(application.id))\" data-status=\"\(application.status.rawValue)\">"
        html += "<h2><code>\(escape(application.id))</code> · \(escape(form.ownerName)) · \(escape(kindName(form.kind)))</h2>"
        html += "<p>\(t("证件号码", "Identifier")) <code>\(escape(form.ownerID))</code>" + (form.province.map { " · \(t("省份", "Province")) \(escape($0))" } ?? "")
            + " · \(t("状态", "Status")) <span class=\"status\">\(escape(statusName(application.status)))</span>"
            + (application.account.map { " · <a href=\"/accounts/\(escape($0.rawValue))\">\(escape($0.rawValue))</a>" } ?? "") + "</p>"
        html += "<p>\(t("用户", "Users")): " + form.users.map { "<code>\(escape($0.userID))</code> \(escape($0.name)) (\(escape(Strings(language).roleName($0.role))))" }.joined(separator: ", ") + "</p>"
        html += "<table class=\"documents\"><thead><tr><th>\(t("文件", "File"))</th><th>SHA-256</th><th>\(t("字节", "Bytes"))</th></tr></thead><tbody>"
        for document in form.documents {
            let link = "/accounts/review/document?application=\(escape(application.id))&amp;sha256=\(escape(document.sha256))"
            html += "<tr><td><a href=\"\(link)\">\(escape(document.fileName))</a></td><td><code class=\"sha256\">\(escape(document.sha256))</code></td><td>\(document.sizeBytes)</td></tr>"
        }
        html += "</tbody></table>" + history(application)
        if application.status.isPending {
            let hidden = trading.hidden(context) + "<input type=\"hidden\" name=\"application\" value=\"\(escape(application.id))\">"
            html += """
                <form method="post" action="/accounts/review/decide" class="inline"><input type="hidden" name="decision" value="approve">\(hidden)<button class="approve">\(t("批准开户", "Approve"))</button></form>
                <form method="post" action="/accounts/review/decide" class="stack">\(hidden)
                <label>\(t("理由（退回或驳回时必填）", "Reason (required to return or reject)")) <input name="reason" class="reason" maxlength="200"></label>
                <button name="decision" value="return" class="return">\(t("退回补正", "Return for correction"))</button>
                <button name="decision" value="reject" class="reject">\(t("驳回", "Reject"))</button>
                </form>
                """
        }
        return html + "</section>"
    }
}
