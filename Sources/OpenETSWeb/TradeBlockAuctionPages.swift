import OpenETSDomain

/// The participant's block agreement and one-way auction screens (linked from `/trade`).
/// Pure functions of the registry and exchange state; every form carries the CSRF token and a
/// one-time nonce (`TradingPages.hidden`).
extension TradingPages {
    /// GET /trade/block: the open block quotes the account may see (public ones, ones directed
    /// to it, its own), each with the quote it answers (the negotiation chain the state keeps:
    /// open quotes only), forms to post, counter, accept and cancel, and today's block deals.
    public func block(_ context: Context, registry: RegistryState, exchange: ExchangeState, policy: ExchangePolicy) -> String {
        guard let account = context.principal.account else { return Layout(language: language, path: "/trade/block").page(title: t("大宗协议", "Block agreement"), "") }
        var body = header(context, account, exchange)
        body += "<p class=\"muted\" id=\"block-rules\">"
            + t("大宗协议：单笔不少于 ", "Block agreement: at least ") + Format.grouped(policy.blockMinQuantity)
            + t(" 吨；价格在前收盘价 ±", " t per quote; price within ±") + "\(policy.blockBandPercent) %"
            + t("；交易时段 ", " of the previous close; sessions ")
            + policy.blockSessions.map { SessionWindow.clock($0.start) + "–" + SessionWindow.clock($0.end) }.joined(separator: ", ")
            + t("（北京时间）。定向报价仅被指定账户看到与接受。", " (Beijing time). A directed quote is seen and accepted only by the accounts it names.") + "</p>"

        // Price limits per instrument.
        let codes = exchange.instruments.keys.sorted()
        body += table(
            [t("品种", "Instrument"), t("前收盘价", "Previous close"), t("大宗价格下限", "Block low"), t("大宗价格上限", "Block high")],
            codes.compactMap { code in
                guard let instrument = exchange.instruments[code] else { return nil }
                let band = ExchangePolicy.band(previousClose: instrument.previousClose, percent: policy.blockBandPercent)
                return [escape(code), Fen.text(instrument.previousClose), Fen.text(band.low), Fen.text(band.high)]
            }, numeric: [1, 2, 3], id: "block-limits")

        // Open quotes the account may see.
        body += "<h2>" + t("可见的大宗报价", "Block quotes you can see") + "</h2>"
        let visible = exchange.quotes.values.filter { $0.account == account || $0.counterparties.isEmpty || $0.counterparties.contains(account) }
            .sorted { $0.id < $1.id }
        body += table(
            [t("编号", "No."), t("品种", "Instrument"), t("方向", "Side"), t("价格", "Price"), t("数量（吨）", "Quantity (t)"),
             t("报价方", "From"), t("对象", "To"), t("回应", "Answers"), t("时间", "Time"), ""],
            visible.map { quote in
                let to = quote.counterparties.isEmpty ? t("公开", "public") : escape(quote.counterparties.map(\.rawValue).joined(separator: ", "))
                let answers = quote.parent.map { parent in "#\(parent)" + (exchange.quotes[parent].map { " (\(Fen.text($0.price)) × \(Format.grouped($0.quantity)))" } ?? "") } ?? ""
                let actions: String
                if quote.account == account {
                    actions = "<form method=\"post\" action=\"/trade/block/cancel\">\(hidden(context))<input type=\"hidden\" name=\"quote\" value=\"\(quote.id)\">"
                        + "<button class=\"cancel\" id=\"cancel-quote-\(quote.id)\">\(t("撤销", "Cancel"))</button></form>"
                } else {
                    actions = "<form method=\"post\" action=\"/trade/block/accept\" class=\"inline\">\(hidden(context))<input type=\"hidden\" name=\"quote\" value=\"\(quote.id)\">"
                        + "<button id=\"accept-quote-\(quote.id)\">\(quote.side == .sell ? t("确认买入", "Accept (buy)") : t("确认卖出", "Accept (sell)"))</button></form>"
                        + "<form method=\"post\" action=\"/trade/block/counter\" class=\"row\">\(hidden(context))<input type=\"hidden\" name=\"quote\" value=\"\(quote.id)\">"
                        + "<input name=\"price\" id=\"counter-price-\(quote.id)\" value=\"\(Fen.text(quote.price))\" inputmode=\"decimal\" required maxlength=\"12\">"
                        + "<input name=\"quantity\" id=\"counter-quantity-\(quote.id)\" value=\"\(quote.quantity)\" inputmode=\"numeric\" required maxlength=\"9\">"
                        + "<button id=\"counter-quote-\(quote.id)\">\(t("还价", "Counter"))</button></form>"
                }
                return ["\(quote.id)", escape(quote.instrument), sideName(quote.side), Fen.text(quote.price), Format.grouped(quote.quantity),
                        escape(quote.account.rawValue), to, answers, Format.beijingTime(quote.quotedAt), actions]
            }, numeric: [0, 3, 4], id: "block-quotes")

        // Post a quote: public, or directed to named accounts.
        body += "<h2>" + t("发起大宗报价", "Post a block quote") + "</h2>"
        body += "<form method=\"post\" action=\"/trade/block/quote\" id=\"quote-form\" class=\"row\">\(hidden(context))"
            + "<select name=\"instrument\" id=\"quote-instrument\">" + codes.map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined() + "</select>"
            + "<select name=\"side\" id=\"quote-side\"><option value=\"sell\">\(t("卖出", "Sell"))</option><option value=\"buy\">\(t("买入", "Buy"))</option></select>"
            + "<input name=\"price\" id=\"quote-price\" placeholder=\"\(t("价格（元/吨）", "Price (CNY/t)"))\" inputmode=\"decimal\" required maxlength=\"12\">"
            + "<input name=\"quantity\" id=\"quote-quantity\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"9\">"
            + "<input name=\"counterparties\" id=\"quote-counterparties\" placeholder=\"\(t("定向账户（逗号分隔，空为公开）", "Directed to accounts (comma-separated; empty = public)"))\" maxlength=\"400\">"
            + "<button id=\"quote-submit\">\(t("报价", "Quote"))</button></form>"

        // Today's block deals of the account.
        body += "<h2>" + t("今日大宗成交", "Today's block deals") + "</h2>"
        let deals = exchange.todayDeals.filter { $0.mode == .block && ($0.seller == account || $0.buyer == account) }
        body += table(
            [t("成交号", "Deal"), t("品种", "Instrument"), t("卖方", "Seller"), t("买方", "Buyer"), t("价格", "Price"), t("数量（吨）", "Quantity (t)"), t("时间", "Time")],
            deals.map { [escape($0.id.rawValue), escape($0.instrument), escape($0.seller.rawValue), escape($0.buyer.rawValue), Fen.text($0.price), Format.grouped($0.quantity), Format.beijingTime($0.time)] },
            numeric: [4, 5], id: "block-deals")
        return Layout(language: language, path: "/trade/block").page(title: t("大宗协议", "Block agreement"), body)
    }

    /// GET /trade/auctions: the announced and ended one-way auctions with their terms and
    /// results, a bid form on each auction whose window is open at `now`, and the account's bids.
    public func auctions(_ context: Context, exchange: ExchangeState, now: Timestamp) -> String {
        guard let account = context.principal.account else { return Layout(language: language, path: "/trade/auctions").page(title: t("单向竞价", "One-way auctions"), "") }
        var body = header(context, account, exchange)
        body += "<h2>" + t("单向竞价公告", "Announced auctions") + "</h2>"
        let all = exchange.auctions.values.sorted { $0.id > $1.id }
        body += table(
            [t("编号", "No."), t("申报方", "Applicant"), t("品种", "Instrument"), t("方向", "Side"), t("数量（吨）", "Quantity (t)"),
             t("底价", "Floor"), t("顶价", "Ceiling"), t("窗口", "Window"), t("最小申报（吨）", "Min bid (t)"), t("单户上限", "Cap per bidder"),
             t("状态 / 结果", "Status / result"), ""],
            all.map { auction in
                let open = auction.status == .announced && now >= auction.opensAt && now < auction.closesAt
                let status: String
                switch auction.status {
                case .announced:
                    status = open ? t("接受申报", "taking bids") : (now < auction.opensAt ? t("未开始", "not yet open") : t("窗口已结束，待出清", "window over, awaiting clearing"))
                case .cleared, .cancelled:
                    let result = auction.result
                    status = (auction.status == .cleared ? t("已出清", "cleared") : t("已取消", "cancelled"))
                        + (result?.clearingPrice.map { " · " + t("出清价 ", "price ") + Fen.text($0) } ?? "")
                        + (result.map { " · " + t("未成交 ", "unsold ") + Format.grouped($0.unsold) + " t · " + escape(Strings(language).auctionOutcome($0.reason)) } ?? "")
                }
                let cap = auction.quantity * auction.maxSharePerMille / 1_000
                var bid = ""
                if open, auction.applicant != account {
                    bid = "<form method=\"post\" action=\"/trade/auction/bid\" class=\"row\">\(hidden(context))<input type=\"hidden\" name=\"auction\" value=\"\(auction.id)\">"
                        + "<input name=\"price\" id=\"bid-price-\(auction.id)\" placeholder=\"\(t("价格（元/吨）", "Price (CNY/t)"))\" inputmode=\"decimal\" required maxlength=\"12\">"
                        + "<input name=\"quantity\" id=\"bid-quantity-\(auction.id)\" placeholder=\"\(t("数量（吨）", "Quantity (t)"))\" inputmode=\"numeric\" required maxlength=\"9\">"
                        + "<button id=\"bid-\(auction.id)\">\(auction.side == .sell ? t("申购", "Bid to buy") : t("申卖", "Offer to sell"))</button></form>"
                }
                return ["\(auction.id)", escape(auction.applicant.rawValue), escape(auction.instrument), sideName(auction.side), Format.grouped(auction.quantity),
                        Fen.text(auction.floorPrice), Fen.text(auction.ceilingPrice),
                        Format.beijingTime(auction.opensAt) + " – " + Format.beijingTime(auction.closesAt),
                        Format.grouped(auction.minBidQuantity), "\(auction.maxSharePerMille / 10).\(auction.maxSharePerMille % 10) % (\(Format.grouped(cap)) t)",
                        status, bid]
            }, numeric: [0, 4, 5, 6, 8], id: "auctions")

        // The account's bids: open ones (locked until clearing), then fills of ended auctions.
        body += "<h2>" + t("我的申报", "My bids") + "</h2>"
        let open = exchange.bids.values.filter { $0.account == account }.sorted { $0.id < $1.id }
        body += table(
            [t("申报号", "Bid"), t("竞价", "Auction"), t("价格", "Price"), t("数量（吨）", "Quantity (t)"), t("时间", "Time")],
            open.map { ["\($0.id)", "\($0.auction)", Fen.text($0.price), Format.grouped($0.quantity), Format.beijingTime($0.placedAt)] },
            numeric: [0, 1, 2, 3], id: "my-bids")
        let fills = all.flatMap { auction in (auction.result?.fills ?? []).filter { $0.bidder == account.rawValue }.map { (auction.id, $0) } }
        body += "<h2>" + t("我的中标", "My fills") + "</h2>"
        body += table(
            [t("竞价", "Auction"), t("申报号", "Bid"), t("价格", "Price"), t("数量（吨）", "Quantity (t)")],
            fills.map { ["\($0.0)", escape($0.1.id), Fen.text($0.1.price), Format.grouped($0.1.quantity)] },
            numeric: [0, 2, 3], id: "my-fills")
        return Layout(language: language, path: "/trade/auctions").page(title: t("单向竞价", "One-way auctions"), body)
    }

    /// Who is logged in, the way back to `/trade`, the outcome of the last form and the trading day.
    func header(_ context: Context, _ account: AccountID, _ exchange: ExchangeState) -> String {
        var body = "<div class=\"row\"><p id=\"who\">\(escape(context.principal.name)) · <code>\(escape(account.rawValue))</code> · \(escape(Strings(language).roleName(context.principal.role)))</p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form></div>"
        body += "<p><a href=\"/trade\" id=\"trade-link\">" + t("← 交易", "← Trading") + "</a></p>"
        if let message = context.message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { body += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        body += "<p class=\"muted\">" + (exchange.tradingDate.map { t("交易日 ", "Trading day ") + $0.description } ?? t("休市", "Market closed")) + "</p>"
        return body
    }
}
