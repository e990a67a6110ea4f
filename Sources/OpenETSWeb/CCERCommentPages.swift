import OpenETSDomain

/// The comment forms of the public CCER project page: under each notice still open (the design
/// document's, a reduction report's; 20 working days), a logged-in user allowed `ccer_comment`
/// gets a form, a visitor a link to the login. Pure functions of their input, like the pages.
extension CCERPages {
    /// Who reads the project page, for its comment forms.
    public struct CommentForms: Sendable {
        /// The session's form context (CSRF token, one-time keys, the last outcome); nil for a
        /// visitor without a session.
        public var context: TradingPages.Context?
        /// Whether the user may comment (the permission matrix's `ccer_comment`).
        public var allowed: Bool
        /// Today (Beijing): a notice takes comments from its first to its last day.
        public var today: CivilDate
        /// The CCER policy's longest comment, in characters (`CCERLimits.maxTextLength`).
        public var maxTextLength: Int
        /// The CCER policy's most comments of one user on one notice
        /// (`CCERLimits.maxCommentsPerUserPerNotice`), named when the user reached it.
        public var maxCommentsPerUser: Int

        public init(
            context: TradingPages.Context?, allowed: Bool, today: CivilDate, maxTextLength: Int,
            maxCommentsPerUser: Int = CCERLimits.defaultMaxCommentsPerUserPerNotice
        ) {
            self.context = context
            self.allowed = allowed
            self.today = today
            self.maxTextLength = maxTextLength
            self.maxCommentsPerUser = maxCommentsPerUser
        }
    }

    /// The outcome of the user's last comment (from the redirect back to the page).
    func commentOutcome(_ forms: CommentForms?) -> String {
        guard let context = forms?.context else { return "" }
        var html = ""
        if let message = context.message { html += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        guard let error = context.error else { return html }
        if error.hasPrefix(CCERErrorCode.commentLimitPerUser.rawValue) {
            // The per-user cap said in the reader's language; others may still comment.
            let n = forms?.maxCommentsPerUser ?? CCERLimits.defaultMaxCommentsPerUserPerNotice
            html += "<p class=\"bad\" id=\"error\">"
                + t("您在此次公示中的意见已达每人 \(n) 条的上限，不能再提交；其他人仍可提出意见。",
                    "You have made the most comments one user may make on this notice (\(n)); others may still comment.")
                + " (\(CCERErrorCode.commentLimitPerUser.rawValue))</p>"
        } else {
            html += "<p class=\"bad\" id=\"error\">\(escape(error))</p>"
        }
        return html
    }

    /// The form (or the login link) under a notice while it is open; nothing once it closed.
    func commentForm(_ project: CCERProjectID, period: Int?, notice: PublicNotice, _ forms: CommentForms?) -> String {
        guard let forms, notice.isOpen(on: forms.today) else { return "" }
        let path = "/ccer/projects/\(project.rawValue)"
        let formID = period.map { "comment-period-\($0)" } ?? "comment-design"
        guard let context = forms.context else {
            return "<p class=\"muted\" id=\"\(formID)-login\"><a href=\"/login?next=\(escape(path))\">\(t("登录", "Log in"))</a>"
                + t("后可在公示期内（至 \(notice.endsOn)）提出意见。", " to comment while the notice runs (until \(notice.endsOn)).") + "</p>"
        }
        guard forms.allowed else { return "" }
        let periodField = period.map { "<input type=\"hidden\" name=\"period\" value=\"\($0)\">" } ?? ""
        return "<form method=\"post\" action=\"\(escape(path))/comment\" id=\"\(formID)\">"
            + TradingPages(language: language).hidden(context) + periodField
            + "<label>\(t("公众意见", "Public comment")) <textarea name=\"text\" rows=\"3\" maxlength=\"\(forms.maxTextLength)\" required></textarea></label> "
            + "<button>\(t("提交意见", "Submit comment"))</button>"
            + "<p class=\"muted\">\(t("公示期至 \(notice.endsOn)；署名：", "The notice runs until \(notice.endsOn); signed: "))\(escape(context.principal.name))</p>"
            + "</form>"
    }
}
