import OpenETSDomain

/// The operators' portals and the entity's four-eyes page (docs/portals.md): the exchange
/// operator's (calendar and sessions, the trading day, one-way auctions, block quotes,
/// surveillance alerts), the registry operator's (accounts and their status, pending four-eyes
/// transfers, funds in and out as the settlement bank records them) and the entity
/// representatives' transfers (initiate; approve or reject). Pure functions of the registry and
/// exchange states; every form carries the session's CSRF token and a one-time nonce.
public struct OperatorPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// Most accounts shown on one page of the registry operator's list (`?offset=` pages on).
    public static let maxAccountRows = 100
    /// Most surveillance alerts shown (newest first), as on `/surveillance`.
    public static let maxAlertsShown = 200
    /// Most auctions shown (newest first).
    public static let maxAuctionsShown = 100
    /// Most pending transfers shown.
    public static let maxTransfersShown = 200

    func frame(_ context: TradingPages.Context, path: String, title: String, _ body: String) -> String {
        PortalPages(language: language).frame(context, path: path, title: title, body)
    }

    func hidden(_ context: TradingPages.Context) -> String { TradingPages(language: language).hidden(context) }

    func sideName(_ side: Side) -> String { side == .sell ? t("卖出", "sell") : t("买入", "buy") }

    func auctionStatus(_ status: AuctionStatus) -> String {
        switch status {
        case .announced: t("已公告", "announced")
        case .cleared: t("已出清", "cleared")
        case .cancelled: t("已取消", "cancelled")
        }
    }

    func transferStatus(_ status: TransferStatus) -> String {
        switch status {
        case .pending: t("待复核", "pending")
        case .executed: t("已执行", "executed")
        case .rejected: t("已拒绝", "rejected")
        }
    }

    // MARK: exchange operator

    public struct ExchangeModel: Sendable {
        public var exchange: ExchangeState
        public var policy: ExchangePolicy
        /// The market clock's now (the drill clock in a drill).
        public var now: Timestamp

        public init(exchange: ExchangeState, policy: ExchangePolicy, now: Timestamp) {
            self.exchange = exchange
            self.policy = policy
            self.now = now
        }
    }

    /// Default floor and ceiling of an auction: the previous close ∓ the listing band of the
    /// policy (±10 % in the standard policy), as the day's price limits are computed.
    public static func defaultAuctionBand(_ instrument: Instrument, _ policy: ExchangePolicy) -> (floor: Int64, ceiling: Int64) {
        let band = ExchangePolicy.band(previousClose: instrument.previousClose, percent: policy.listingBandPercent)
        return (band.low, band.high)
    }

    public func exchange(_ context: TradingPages.Context, _ model: ExchangeModel) -> String {
        let exchange = model.exchange, policy = model.policy
        let today = BeijingTime.date(model.now)
        let minute = BeijingTime.minuteOfDay(model.now)
        var body = ""

        // Calendar and sessions.
        body += "<h2>" + t("交易日历与交易时段", "Calendar and sessions") + "</h2>"
        body += "<p id=\"trading-day\">" + (exchange.tradingDate.map { t("交易日 ", "Trading day ") + $0.description + t(" 进行中", " open") } ?? t("休市", "Market closed"))
            + " · " + t("北京时间 ", "Beijing time ") + Format.beijingTime(model.now) + "</p>"
        let dayOpen = exchange.tradingDate == today
        func sessionRows(_ mode: String, _ windows: [SessionWindow]) -> [String] {
            let live = dayOpen && windows.contains { $0.contains(minute: minute) }
            return [mode, windows.map { SessionWindow.clock($0.start) + "–" + SessionWindow.clock($0.end) }.joined(separator: ", "),
                    live ? "<span class=\"ok\">" + t("交易中", "in session") + "</span>" : t("未在交易时段", "not in session")]
        }
        body += table([t("方式", "Mode"), t("时段", "Sessions"), t("当前", "Now")], [
            sessionRows(t("挂牌协议", "Listing agreement"), policy.listingSessions),
            sessionRows(t("大宗协议", "Block agreement"), policy.blockSessions),
        ], id: "sessions")
        var upcoming: [CivilDate] = []
        var day = today
        if !policy.isTradingDay(day) || exchange.history.last.map({ $0.date >= day }) ?? false { day = policy.nextTradingDay(after: day) }
        while upcoming.count < 5 {
            upcoming.append(day)
            day = policy.nextTradingDay(after: day)
        }
        body += "<p id=\"calendar\">" + t("今日 ", "Today ") + today.description + (policy.isTradingDay(today) ? t("（交易日）", " (trading day)") : t("（非交易日）", " (no trading)"))
            + " · " + t("后续交易日 ", "Next trading days ") + upcoming.map(\.description).joined(separator: ", ")
            + " · " + t("交易规则版本 ", "Policy version ") + "\(policy.version)</p>"
        if exchange.tradingDate == nil {
            let next = upcoming.first ?? today
            body += "<form method=\"post\" action=\"/portal/exchange/open-day\" class=\"row\" id=\"open-day-form\">\(hidden(context))"
                + "<input name=\"date\" id=\"open-date\" value=\"\(next.description)\" maxlength=\"10\"><button id=\"open-day\">\(t("开市", "Open the day"))</button></form>"
        } else {
            body += "<form method=\"post\" action=\"/portal/exchange/close-day\" class=\"row\" id=\"close-day-form\">\(hidden(context))"
                + "<button id=\"close-day\">\(t("收市（挂单失效、发布收盘价）", "Close the day (listings lapse, prices published)"))</button></form>"
        }

        // One-way auctions: announce, clear, the table with results.
        let instruments = exchange.instruments.values.sorted { $0.code < $1.code }
        body += "<h2>" + t("单向竞价", "One-way auctions") + "</h2>"
        body += table(
            [t("品种", "Instrument"), t("前收盘", "Previous close"), t("默认底价", "Default floor"), t("默认顶价", "Default ceiling")],
            instruments.map { i in
                let band = Self.defaultAuctionBand(i, policy)
                return [escape(i.code), Fen.text(i.previousClose), Fen.text(band.floor), Fen.text(band.ceiling)]
            }, numeric: [1, 2, 3], id: "auction-defaults")
        body += "<p class=\"muted\">" + t("底价、顶价留空即按前收盘价 ±\(policy.listingBandPercent)%；时间为北京时间，如 ", "Empty floor or ceiling: the previous close ±\(policy.listingBandPercent) %; times in Beijing time, e.g. ")
            + "<code>\(today.description) 13:00</code></p>"
        body += "<form method=\"post\" action=\"/portal/exchange/announce\" id=\"announce-form\" class=\"stack\">\(hidden(context))"
            + "<label>\(t("申报方账户", "Applicant account")) <input name=\"applicant\" id=\"announce-applicant\" required maxlength=\"40\"></label>"
            + "<label>\(t("品种", "Instrument")) <select name=\"instrument\" id=\"announce-instrument\">" + instruments.map { "<option value=\"\(escape($0.code))\">\(escape($0.code))</option>" }.joined() + "</select></label>"
            + "<label>\(t("申报方方向", "Applicant's side")) <select name=\"side\" id=\"announce-side\"><option value=\"sell\">\(t("卖出", "sell"))</option><option value=\"buy\">\(t("买入", "buy"))</option></select></label>"
            + "<label>\(t("数量（吨）", "Quantity (t)")) <input name=\"quantity\" id=\"announce-quantity\" inputmode=\"numeric\" required maxlength=\"12\"></label>"
            + "<label>\(t("底价（元/吨）", "Floor (CNY/t)")) <input name=\"floor\" id=\"announce-floor\" inputmode=\"decimal\" maxlength=\"12\"></label>"
            + "<label>\(t("顶价（元/吨）", "Ceiling (CNY/t)")) <input name=\"ceiling\" id=\"announce-ceiling\" inputmode=\"decimal\" maxlength=\"12\"></label>"
            + "<label>\(t("竞价开始", "Window opens")) <input name=\"opens\" id=\"announce-opens\" placeholder=\"YYYY-MM-DD HH:MM\" required maxlength=\"25\"></label>"
            + "<label>\(t("竞价结束", "Window closes")) <input name=\"closes\" id=\"announce-closes\" placeholder=\"YYYY-MM-DD HH:MM\" required maxlength=\"25\"></label>"
            + "<label>\(t("最小申报量（吨）", "Minimum bid (t)")) <input name=\"min_bid\" id=\"announce-min-bid\" value=\"1\" inputmode=\"numeric\" maxlength=\"12\"></label>"
            + "<label>\(t("单个竞买方上限（‰）", "Cap per bidder (‰ of the volume)")) <input name=\"cap_per_mille\" id=\"announce-cap\" value=\"1000\" inputmode=\"numeric\" maxlength=\"4\"></label>"
            + "<label>\(t("定价方式", "Pricing")) <select name=\"pricing\" id=\"announce-pricing\"><option value=\"uniform\">\(t("统一价格", "uniform"))</option><option value=\"pay_as_bid\">\(t("按申报价格", "pay as bid"))</option></select></label>"
            + "<label>\(t("同价排序", "Tie-break")) <select name=\"tie_break\" id=\"announce-tie-break\"><option value=\"time\">\(t("时间优先", "time"))</option><option value=\"random\">\(t("随机（公布种子）", "random (published seed)"))</option></select></label>"
            + "<label>\(t("随机种子", "Seed")) <input name=\"seed\" id=\"announce-seed\" value=\"0\" inputmode=\"numeric\" maxlength=\"20\"></label>"
            + "<button id=\"announce-submit\">\(t("发布竞价公告", "Announce"))</button></form>"
        let auctions = exchange.auctions.values.sorted { $0.id > $1.id }.prefix(Self.maxAuctionsShown)
        body += table(
            [t("编号", "No."), t("申报方", "Applicant"), t("品种", "Instrument"), t("方向", "Side"), t("数量（吨）", "Quantity (t)"), t("底价–顶价", "Floor–ceiling"),
             t("时间窗口", "Window"), t("规则", "Rules"), t("状态", "Status"), t("结果", "Result"), ""],
            auctions.map { a in
                let bids = exchange.bids.values.filter { $0.auction == a.id }.count
                var result = "—"
                if let r = a.result {
                    result = escape(Strings(language).auctionOutcome(r.reason)) + " · " + t("出清价 ", "clearing ") + (r.clearingPrice.map(Fen.text) ?? "—")
                        + " · " + t("成交 ", "filled ") + Format.grouped(r.fills.reduce(0) { $0 + $1.quantity }) + " · " + t("未成交 ", "unsold ") + Format.grouped(r.unsold)
                } else if a.status == .announced {
                    result = t("申报 ", "bids ") + "\(bids)"
                }
                var clear = ""
                if a.status == .announced {
                    clear = model.now >= a.closesAt
                        ? "<form method=\"post\" action=\"/portal/exchange/clear\">\(hidden(context))<input type=\"hidden\" name=\"auction\" value=\"\(a.id)\"><button id=\"clear-\(a.id)\">\(t("出清", "Clear"))</button></form>"
                        : t("窗口未结束", "window not over")
                    clear += "<form method=\"post\" action=\"/portal/exchange/cancel\" class=\"row\">\(hidden(context))<input type=\"hidden\" name=\"auction\" value=\"\(a.id)\">"
                        + "<input name=\"reason\" id=\"cancel-reason-\(a.id)\" placeholder=\"\(t("撤销原因", "Reason"))\" required maxlength=\"200\">"
                        + "<button id=\"cancel-\(a.id)\">\(t("撤销", "Withdraw"))</button></form>"
                }
                return ["\(a.id)", escape(a.applicant.rawValue), escape(a.instrument), sideName(a.side), Format.grouped(a.quantity),
                        Fen.text(a.floorPrice) + "–" + Fen.text(a.ceilingPrice), Format.beijingTime(a.opensAt) + " – " + Format.beijingTime(a.closesAt),
                        escape(Strings(language).auctionTerms(a.pricing, a.tieBreak, seed: a.seed)) + ", ≥\(Format.grouped(a.minBidQuantity)) t, ≤\(a.maxSharePerMille)‰",
                        "<span data-status=\"\(a.status.rawValue)\">\(auctionStatus(a.status))</span>", result, clear]
            }, numeric: [0, 4], id: "auctions")

        // Block quotes of the day (open ones).
        body += "<h2>" + t("今日大宗协议报价", "Block quotes of the day") + "</h2>"
        body += table(
            [t("编号", "No."), t("账户", "Account"), t("品种", "Instrument"), t("方向", "Side"), t("价格", "Price"), t("数量（吨）", "Quantity (t)"), t("对手方", "Counterparties"), t("时间", "Time")],
            exchange.quotes.values.sorted { $0.id < $1.id }.map { q in
                ["\(q.id)", escape(q.account.rawValue), escape(q.instrument), sideName(q.side), Fen.text(q.price), Format.grouped(q.quantity),
                 q.counterparties.isEmpty ? t("公开", "public") : escape(q.counterparties.map(\.rawValue).joined(separator: ", ")), Format.beijingTime(q.quotedAt)]
            }, numeric: [0, 4, 5], id: "block-quotes")

        // Surveillance alerts with their evidence.
        body += "<h2>" + t("异常交易监控", "Abnormal-trading alerts") + "</h2>"
        body += table(
            [t("时间", "Time"), t("规则", "Rule"), t("品种", "Instrument"), t("账户", "Accounts"), t("证据", "Evidence"), t("成交", "Deals")],
            exchange.alerts.reversed().prefix(Self.maxAlertsShown).map { a in
                [Format.beijingTime(a.raisedAt), escape(Strings(language).surveillanceRule(a.rule)), escape(a.instrument), escape(a.accounts.map(\.rawValue).joined(separator: ", ")),
                 escape(a.evidence), escape(a.deals.map(\.rawValue).joined(separator: ", "))]
            }, id: "alerts")
        return frame(context, path: "/portal/exchange", title: t("交易所运营", "Exchange operations"), body)
    }

    // MARK: registry operator

    public func registry(_ context: TradingPages.Context, _ registry: RegistryState, offset: Int) -> String {
        let s = Strings(language)
        var body = ""
        if context.principal.may(.ccerReview) {
            body += "<p><a href=\"/portal/ccer-review\" id=\"ccer-review-link\">" + t("CCER 登记审核", "CCER registration review") + "</a></p>"
        }
        let all = registry.accounts.values.sorted { $0.id < $1.id }
        let start = min(max(0, offset), all.count)
        let shown = all[start..<min(all.count, start + Self.maxAccountRows)]
        body += "<h2>" + t("账户", "Accounts") + "</h2>"
        body += "<p class=\"muted\" id=\"account-range\">" + (shown.isEmpty
            ? t("本页无账户，共 \(all.count) 个", "none on this page, \(all.count) in all")
            : t("第 \(start + 1)–\(start + shown.count) 个，共 \(all.count) 个", "\(start + 1)–\(start + shown.count) of \(all.count)"))
        if start > 0 { body += " · <a href=\"/portal/registry?offset=\(max(0, start - Self.maxAccountRows))\" id=\"accounts-previous\">" + t("上一页", "previous") + "</a>" }
        if start + shown.count < all.count { body += " · <a href=\"/portal/registry?offset=\(start + shown.count)\" id=\"accounts-next\">" + t("下一页", "next") + "</a>" }
        body += "</p>"
        body += table(
            [t("账户", "Account"), t("类型", "Type"), t("持有人", "Owner"), t("省份", "Province"), t("状态", "Status"), t("资金（元）", "Funds (CNY)")],
            shown.map { a in
                [escape(a.id.rawValue), escape(s.accountType(a.type)), escape(a.ownerName) + " <code>\(escape(a.ownerID))</code>", escape(a.province ?? "—"),
                 "<span id=\"status-\(escape(a.id.rawValue))\" data-status=\"\(a.status.rawValue)\">\(escape(s.accountStatus(a.status)))</span>", a.type.holdsFunds ? Format.yuan(registry.cash(a.id)) : "—"]
            }, numeric: [5], id: "accounts")

        body += "<h2>" + t("变更账户状态", "Set an account's status") + "</h2>"
        body += "<form method=\"post\" action=\"/portal/registry/status\" id=\"status-form\" class=\"row\">\(hidden(context))"
            + "<input name=\"account\" id=\"status-account\" placeholder=\"\(t("账户", "Account"))\" required maxlength=\"40\">"
            + "<select name=\"status\" id=\"status-value\"><option value=\"blocked\">\(t("限制（暂停）", "blocked (suspend)"))</option><option value=\"open\">\(t("恢复正常", "open (reactivate)"))</option><option value=\"closed\">\(t("关闭", "closed"))</option></select>"
            + "<input name=\"reason\" id=\"status-reason\" placeholder=\"\(t("原因（必填）", "Reason (required)"))\" required maxlength=\"200\">"
            + "<button id=\"status-submit\">\(t("提交", "Submit"))</button></form>"

        body += "<h2>" + t("待复核的划转（四眼原则）", "Pending four-eyes transfers") + "</h2>"
        body += pendingTable(registry, registry.transfers.values.filter { $0.status == .pending }, context: nil)

        body += "<h2>" + t("资金存入与提取（结算银行）", "Funds in and out (settlement bank)") + "</h2>"
        body += "<form method=\"post\" action=\"/portal/registry/funds\" id=\"funds-form\" class=\"row\">\(hidden(context))"
            + "<input name=\"account\" id=\"funds-account\" placeholder=\"\(t("账户", "Account"))\" required maxlength=\"40\">"
            + "<select name=\"direction\" id=\"funds-direction\"><option value=\"deposit\">\(t("存入", "deposit"))</option><option value=\"withdraw\">\(t("提取", "withdraw"))</option></select>"
            + "<input name=\"amount\" id=\"funds-amount\" placeholder=\"\(t("金额（元）", "Amount (CNY)"))\" inputmode=\"decimal\" required maxlength=\"16\">"
            + "<input name=\"bank_reference\" id=\"funds-reference\" placeholder=\"\(t("银行流水号", "Bank reference"))\" required maxlength=\"64\">"
            + "<button id=\"funds-submit\">\(t("记账", "Record"))</button></form>"
        body += "<p class=\"muted\" id=\"funds-totals\">" + t("累计存入 ", "Deposited in total ") + Format.yuan(registry.fundsDepositedFen) + t(" 元，累计提取 ", " CNY, withdrawn ") + Format.yuan(registry.fundsWithdrawnFen) + t(" 元", " CNY") + "</p>"
        return frame(context, path: "/portal/registry", title: t("注册登记运营", "Registry operations"), body)
    }

    /// Pending transfers; with a context, approve/reject buttons (the approver's page).
    func pendingTable(_ registry: RegistryState, _ transfers: [PendingTransfer], context: TradingPages.Context?) -> String {
        let rows = transfers.sorted { ($0.initiatedAt, $0.id.rawValue) < ($1.initiatedAt, $1.id.rawValue) }.prefix(Self.maxTransfersShown).map { p -> [String] in
            let initiator = registry.accounts[p.from]?.representative(p.initiator).map { "\($0.name) (\($0.id.rawValue))" } ?? p.initiator.rawValue
            var row = [escape(p.id.rawValue), escape(p.from.rawValue), escape(p.to.rawValue), escape(p.unit.rawValue), Format.grouped(p.quantity),
                       escape(initiator), Format.beijingTime(p.initiatedAt)]
            if let context {
                let id = escape(p.id.rawValue)
                row.append("<form method=\"post\" action=\"/portal/transfers/decide\" class=\"row\">\(hidden(context))<input type=\"hidden\" name=\"transfer\" value=\"\(id)\">"
                    + "<button name=\"decision\" value=\"approve\" id=\"approve-\(id)\">\(t("复核通过", "Approve"))</button>"
                    + "<button name=\"decision\" value=\"reject\" id=\"reject-\(id)\">\(t("拒绝", "Reject"))</button></form>")
            }
            return row
        }
        var headers = [t("编号", "No."), t("转出", "From"), t("转入", "To"), t("品种", "Unit"), t("数量（吨）", "Quantity (t)"), t("经办人", "Initiator"), t("发起时间", "Initiated")]
        if context != nil { headers.append("") }
        return table(headers, Array(rows), numeric: [4], id: "pending-transfers")
    }

    // MARK: entity representatives: four-eyes transfers

    public func transfers(_ context: TradingPages.Context, _ registry: RegistryState, canInitiate: Bool, canDecide: Bool) -> String {
        guard let account = context.principal.account else { return frame(context, path: "/portal/transfers", title: t("划转", "Transfers"), "") }
        var body = "<p id=\"account\"><code>\(escape(account.rawValue))</code> · " + t("划转须由经办人发起、复核人复核（四眼原则）。", "A transfer is initiated by the initiator and executed by an approver (four eyes).") + "</p>"
        if canInitiate {
            let units = registry.holdings.filter { $0.key.account == account && $0.value.available > 0 }.sorted { $0.key < $1.key }
            body += "<h2>" + t("发起划转", "Initiate a transfer") + "</h2>"
            body += table([t("品种", "Unit"), t("可用（吨）", "Available (t)")], units.map { [escape($0.key.unit.rawValue), Format.grouped($0.value.available)] }, numeric: [1], id: "available")
            body += "<form method=\"post\" action=\"/portal/transfers/initiate\" id=\"initiate-form\" class=\"row\">\(hidden(context))"
                + "<input name=\"to\" id=\"initiate-to\" placeholder=\"\(t("转入账户", "To account"))\" required maxlength=\"40\">"
                + "<select name=\"unit\" id=\"initiate-unit\">" + units.map { "<option value=\"\(escape($0.key.unit.rawValue))\">\(escape($0.key.unit.rawValue))</option>" }.joined() + "</select>"
                + "<input name=\"quantity\" id=\"initiate-quantity\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"12\">"
                + "<button id=\"initiate-submit\">\(t("发起", "Initiate"))</button></form>"
        }
        body += "<h2>" + t("待复核的划转", "Transfers awaiting approval") + "</h2>"
        body += pendingTable(registry, registry.transfers.values.filter { $0.status == .pending && $0.from == account }, context: canDecide ? context : nil)
        let decided = registry.transfers.values.filter { $0.status != .pending && $0.from == account }.sorted { $0.initiatedAt > $1.initiatedAt }.prefix(Self.maxTransfersShown)
        body += "<h2>" + t("已处理的划转", "Decided transfers") + "</h2>"
        body += table(
            [t("编号", "No."), t("转入", "To"), t("品种", "Unit"), t("数量（吨）", "Quantity (t)"), t("状态", "Status"), t("处理人", "Decided by")],
            decided.map { [escape($0.id.rawValue), escape($0.to.rawValue), escape($0.unit.rawValue), Format.grouped($0.quantity), "<span data-status=\"\($0.status.rawValue)\">\(transferStatus($0.status))</span>", escape($0.decidedBy?.rawValue ?? "—")] },
            numeric: [3], id: "decided-transfers")
        return frame(context, path: "/portal/transfers", title: t("划转（四眼复核）", "Transfers (four eyes)"), body)
    }
}
