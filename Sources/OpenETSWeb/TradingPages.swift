import OpenETSDomain

/// Login and the participant's trading screen. Every state-changing form carries the
/// session's CSRF token and a one-time nonce (the command's idempotency key: a form submitted
/// twice trades once).
public struct TradingPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// `next`: the page of this site to return to after logging in.
    /// `loginCSRF`: the pre-session token, also in the `openets_login` cookie (double submit).
    public func login(error: String?, user: String = "", next: String? = nil, loginCSRF: String = "") -> String {
        var body = ""
        if let error { body += "<p class=\"bad\" id=\"login-error\">\(escape(error))</p>" }
        body += """
            <form method="post" action="/login" class="stack" id="login-form"><input type="hidden" name="login_csrf" value="\(escape(loginCSRF))">\(next.map { "<input type=\"hidden\" name=\"next\" value=\"\(escape($0))\">" } ?? "")
            <label>\(t("用户名", "User")) <input name="user" id="user" autocomplete="username" value="\(escape(user))" required maxlength="64"></label>
            <label>\(t("密码", "Password")) <input name="password" id="password" type="password" autocomplete="current-password" required maxlength="256"></label>
            <label>\(t("动态口令（交易、资金类角色必填）", "One-time code (required for roles that move units or money)")) <input name="totp" id="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="6"></label>
            <button type="submit" id="login-submit">\(t("登录", "Log in"))</button>
            </form>
            """
        return Layout(language: language, path: "/login").page(title: t("登录", "Log in"), body)
    }

    public struct Context: Sendable {
        public var principal: Principal
        public var csrf: String
        public var nonce: @Sendable () -> String
        public var message: String?
        public var error: String?
        /// Whether the portals' head links the MRV policy page (`MRVPolicyPages.path`): the
        /// server has the page (an MRV platform) and its permission matrix lets the user read it.
        public var mrvPolicyLink: Bool

        public init(
            principal: Principal, csrf: String, nonce: @escaping @Sendable () -> String, message: String?, error: String?, mrvPolicyLink: Bool = false
        ) {
            self.principal = principal
            self.csrf = csrf
            self.nonce = nonce
            self.message = message
            self.error = error
            self.mrvPolicyLink = mrvPolicyLink
        }
    }

    func hidden(_ context: Context) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(context.csrf))\"><input type=\"hidden\" name=\"nonce\" value=\"\(escape(context.nonce()))\">"
    }

    public func trade(_ context: Context, registry: RegistryState, exchange: ExchangeState) -> String {
        let principal = context.principal
        guard let account = principal.account else { return Layout(language: language, path: "/trade").page(title: t("交易", "Trading"), "") }
        var body = "<div class=\"row\"><p id=\"who\">\(escape(principal.name)) · <code>\(escape(account.rawValue))</code> · \(escape(Strings(language).roleName(principal.role)))</p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form></div>"
        if principal.may(.mrvReport, for: account) {
            body += "<p><a href=\"/portal/entity\" id=\"portal-link\">" + t("履约与排放数据门户", "Compliance and emissions portal") + "</a></p>"
        }
        if principal.may(.ccerApply) {
            body += "<p><a href=\"/portal/owner\" id=\"owner-link\">" + t("CCER 项目业主门户", "CCER project owner portal") + "</a></p>"
        }
        if principal.may(.transferInitiate, for: account) || principal.may(.approveTransfer, for: account) {
            body += "<p><a href=\"/portal/transfers\" id=\"transfers-link\">" + t("划转（四眼复核）", "Transfers (four eyes)") + "</a></p>"
        }
        if principal.may(.blockQuote, for: account) {
            body += "<p><a href=\"/trade/block\" id=\"block-link\">" + t("大宗协议", "Block agreement") + "</a></p>"
        }
        if principal.may(.auctionBid, for: account) {
            body += "<p><a href=\"/trade/auctions\" id=\"auctions-link\">" + t("单向竞价", "One-way auctions") + "</a></p>"
        }
        if let message = context.message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { body += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        body += "<p class=\"muted\">" + (exchange.tradingDate.map { t("交易日 ", "Trading day ") + $0.description } ?? t("休市", "Market closed")) + "</p>"

        // Holdings and funds.
        body += "<h2>" + t("持仓", "Holdings") + "</h2>"
        let rows = registry.holdings.filter { $0.key.account == account }.sorted { $0.key < $1.key }.map { key, holding -> [String] in
            let frozen = holding.blocks.filter { $0.freeze.map { registry.freezes[$0] != nil } ?? false }.reduce(0) { $0 + $1.quantity }
            let locked = holding.total - holding.available - frozen
            return [escape(key.unit.rawValue), Format.grouped(holding.total), Format.grouped(holding.available), Format.grouped(locked), Format.grouped(frozen)]
        }
        body += table([t("品种", "Unit"), t("合计（吨）", "Total (t)"), t("可用", "Available"), t("挂单锁定", "Locked by orders"), t("冻结", "Frozen")], rows, numeric: [1, 2, 3, 4], id: "holdings")
        body += "<p id=\"funds\">" + t("资金 ", "Funds ") + Format.yuan(registry.cash(account)) + t(" 元，可用 ", " CNY, available ") + Format.yuan(registry.availableCash(account)) + "</p>"

        // Own open orders.
        body += "<h2>" + t("我的挂单", "My open orders") + "</h2>"
        let mine = exchange.orders.values.filter { $0.account == account }.sorted { $0.id < $1.id }
        body += table(
            [t("编号", "No."), t("品种", "Instrument"), t("方向", "Side"), t("价格", "Price"), t("剩余/数量", "Left / quantity"), ""],
            mine.map { order in
                ["\(order.id)", escape(order.instrument), sideName(order.side), Fen.text(order.price), "\(Format.grouped(order.remaining)) / \(Format.grouped(order.quantity))",
                 "<form method=\"post\" action=\"/trade/cancel\">\(hidden(context))<input type=\"hidden\" name=\"order\" value=\"\(order.id)\"><button class=\"cancel\" id=\"cancel-\(order.id)\">\(t("撤单", "Cancel"))</button></form>"]
            }, numeric: [0, 3, 4], id: "my-orders")

        // Place a listing or an order.
        let codes = exchange.instruments.keys.sorted()
        body += "<h2>" + t("挂牌 / 委托", "Post a listing or order") + "</h2>"
        body += "<form method=\"post\" action=\"/trade/place\" id=\"place-form\" class=\"row\">\(hidden(context))"
            + "<select name=\"instrument\" id=\"place-instrument\">" + codes.map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined() + "</select>"
            + "<select name=\"side\" id=\"place-side\"><option value=\"sell\">\(t("卖出", "Sell"))</option><option value=\"buy\">\(t("买入", "Buy"))</option></select>"
            + "<input name=\"price\" id=\"place-price\" placeholder=\"\(t("价格（元/吨）", "Price (CNY/t)"))\" inputmode=\"decimal\" required maxlength=\"12\">"
            + "<input name=\"quantity\" id=\"place-quantity\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"9\">"
            + "<button id=\"place-submit\">\(t("提交", "Submit"))</button></form>"

        // Surrender (entity initiators): units of vintages up to the compliance year.
        if principal.may(.surrender, for: account) {
            let units = registry.holdings.filter { $0.key.account == account && $0.value.available > 0 }.map(\.key.unit).sorted()
            body += "<h2>" + t("履约清缴", "Surrender for compliance") + "</h2>"
            body += "<form method=\"post\" action=\"/trade/surrender\" id=\"surrender-form\" class=\"row\">\(hidden(context))"
                + "<select name=\"unit\" id=\"surrender-unit\">" + units.map { "<option value=\"\(escape($0.rawValue))\">\(escape($0.rawValue))</option>" }.joined() + "</select>"
                + "<input name=\"quantity\" id=\"surrender-quantity\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"9\">"
                + "<input name=\"year\" id=\"surrender-year\" placeholder=\"\(t("履约年度", "Compliance year"))\" inputmode=\"numeric\" required maxlength=\"4\">"
                + "<button id=\"surrender-submit\">\(t("清缴", "Surrender"))</button></form>"
            let surrendered = registry.surrendered.filter { $0.key.account == account }.sorted { $0.key < $1.key }
            body += table([t("履约年度", "Year"), t("品种", "Unit"), t("已清缴（吨）", "Surrendered (t)")],
                          surrendered.map { ["\($0.key.complianceYear)", escape($0.key.unit.rawValue), Format.grouped($0.value)] }, numeric: [0, 2], id: "surrendered")
        }

        // The books: listings within the best five levels can be taken.
        for code in codes {
            guard let book = exchange.books[code], let instrument = exchange.instruments[code] else { continue }
            body += "<h2>\(escape(code)) " + t("五档挂牌", "best five levels") + "</h2>"
            var listingRows: [[String]] = []
            for side in [Side.sell, .buy] {
                let levels = Set(book.depth(side).map(\.price))
                let listings = exchange.orders.values.filter { $0.instrument == code && $0.side == side && levels.contains($0.price) }
                    .sorted { side == .sell ? ($0.price, $0.id) < ($1.price, $1.id) : ($1.price, $0.id) < ($0.price, $1.id) }
                for listing in listings {
                    let take: String
                    if listing.account == account || instrument.continuous {
                        take = ""
                    } else {
                        take = "<form method=\"post\" action=\"/trade/take\" class=\"row\">\(hidden(context))<input type=\"hidden\" name=\"order\" value=\"\(listing.id)\">"
                            + "<input name=\"quantity\" class=\"take-quantity\" id=\"take-quantity-\(listing.id)\" value=\"\(listing.remaining)\" inputmode=\"numeric\" maxlength=\"9\">"
                            + "<button class=\"take\" id=\"take-\(listing.id)\">\(side == .sell ? t("买入", "Buy") : t("卖出", "Sell"))</button></form>"
                    }
                    listingRows.append(["\(listing.id)", "<span class=\"\(side == .sell ? "down" : "up")\">\(sideName(side))</span>", Fen.text(listing.price), Format.grouped(listing.remaining), take])
                }
            }
            body += table([t("编号", "No."), t("方向", "Side"), t("价格", "Price"), t("数量（吨）", "Quantity (t)"), ""], listingRows, numeric: [0, 2, 3], id: "book-\(code)")
        }
        return Layout(language: language, path: "/trade").page(title: t("交易", "Trading"), body)
    }

    func sideName(_ side: Side) -> String { side == .sell ? t("卖", "sell") : t("买", "buy") }

    /// The exchange operator's page: the trading day (open, close) and the surveillance alerts
    /// with their evidence.
    public func surveillance(_ context: Context, exchange: ExchangeState, canOperate: Bool) -> String {
        var body = "<div class=\"row\"><p id=\"who\">\(escape(context.principal.name)) · \(escape(Strings(language).roleName(context.principal.role)))</p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form></div>"
        if let message = context.message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { body += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        body += "<p id=\"trading-day\">" + (exchange.tradingDate.map { t("交易日 ", "Trading day ") + $0.description + t(" 进行中", " open") } ?? t("休市", "Market closed")) + "</p>"
        if canOperate {
            if exchange.tradingDate == nil {
                body += "<form method=\"post\" action=\"/operator/open-day\" class=\"row\">\(hidden(context))<input name=\"date\" id=\"open-date\" placeholder=\"YYYY-MM-DD\" maxlength=\"10\"><button id=\"open-day\">\(t("开市", "Open the day"))</button></form>"
            } else {
                body += "<form method=\"post\" action=\"/operator/close-day\" class=\"row\">\(hidden(context))<button id=\"close-day\">\(t("收市（挂单失效、发布收盘价）", "Close the day (listings lapse, prices published)"))</button></form>"
            }
        }
        body += "<h2>" + t("异常交易监控", "Abnormal-trading alerts") + "</h2>"
        body += table(
            [t("时间", "Time"), t("规则", "Rule"), t("品种", "Instrument"), t("账户", "Accounts"), t("证据", "Evidence"), t("成交", "Deals")],
            exchange.alerts.reversed().prefix(200).map { a in
                [Format.beijingTime(a.raisedAt), escape(Strings(language).surveillanceRule(a.rule)), escape(a.instrument), escape(a.accounts.map(\.rawValue).joined(separator: ", ")),
                 escape(a.evidence), escape(a.deals.map(\.rawValue).joined(separator: ", "))]
            }, id: "alerts")
        return Layout(language: language, path: "/surveillance").page(title: t("交易监控", "Surveillance"), body)
    }
}
