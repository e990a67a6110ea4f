import OpenETSDomain

/// The public market pages: the instruments with their prices, and per instrument the
/// five-level book, the trade tape, the daily prices with a candlestick chart and a CSV.
/// Chinese market colours: red for up, green for down (bids red, offers green in the book).
public struct MarketPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// Most deals on the tape.
    public static let tapeLength = 50

    public func overview(_ exchange: ExchangeState) -> String {
        var body = "<p id=\"trading-day\">" + (exchange.tradingDate.map { t("交易日 ", "Trading day ") + $0.description } ?? t("休市", "Market closed"))
            + (exchange.history.last.map { " · " + t("最近收盘 ", "last close ") + $0.date.description } ?? "") + "</p>"
        let rows = exchange.instruments.values.sorted { $0.code < $1.code }.map { instrument -> [String] in
            let closedDay = exchange.history.last { $0.instrument == instrument.code }
            let last: Int64, reference: Int64, volume: Int64
            if exchange.tradingDate == nil {
                // Between days: the last close against that day's previous close.
                (last, reference, volume) = (instrument.previousClose, closedDay?.previousClose ?? instrument.previousClose, closedDay?.prices.volume ?? 0)
            } else {
                let today = exchange.todayDeals.filter { $0.instrument == instrument.code }
                (last, reference, volume) = (today.last?.price ?? instrument.previousClose, instrument.previousClose, today.reduce(0) { $0 + $1.quantity })
            }
            return [
                "<a href=\"/market/\(escape(instrument.code))\">\(escape(instrument.code))</a>", escape(instrument.label),
                instrument.continuous ? t("连续竞价", "continuous") : t("挂牌协议", "listing"),
                Fen.text(last), change(last, reference), Format.tonnes(volume, language),
            ]
        }
        body += table([t("代码", "Code"), t("名称", "Name"), t("方式", "Mode"), t("最新/收盘", "Last / close"), t("涨跌", "Change"), t("成交量", "Volume")],
                      rows, numeric: [3, 4, 5], id: "instruments")
        body += "<p class=\"muted\">" + t("收盘价为当日挂牌协议成交的成交量加权平均价；无成交时为前收盘价。价格单位：元/吨。",
                                          "The close is the volume-weighted average price of the day's listing trades; with none, the previous close. Prices in CNY per tonne.") + "</p>"
        return Layout(language: language, path: "/market").page(title: t("行情", "Market"), body)
    }

    /// "+1.23 (+1.26%)" in red, "-0.50 (-0.51%)" in green, flat in the normal colour.
    public func change(_ price: Int64, _ reference: Int64) -> String {
        let delta = price - reference
        let basis = reference > 0 ? Int64(Fen.divideHalfUp(Int128(delta) * 10_000, Int128(reference))) : 0
        let text = "\(delta > 0 ? "+" : "")\(Fen.text(delta)) (\(basis > 0 ? "+" : "")\(Fen.text(basis))%)"
        return delta > 0 ? "<span class=\"up\">\(text)</span>" : delta < 0 ? "<span class=\"down\">\(text)</span>" : text
    }

    public func instrument(_ exchange: ExchangeState, code: String) -> String? {
        guard let instrument = exchange.instruments[code] else { return nil }
        let history = exchange.history.filter { $0.instrument == code }
        var body = "<p>\(escape(instrument.label)) · \(escape(instrument.unit.rawValue)) · "
            + (instrument.continuous ? t("连续竞价", "continuous trading") : t("挂牌协议", "listing agreement"))
            + " · " + t("前收盘 ", "previous close ") + Fen.text(instrument.previousClose) + "</p>"
        body += PriceChart.svg(history, caption: t("日K线（红涨绿跌）与成交量", "Daily candles (red up, green down) and volume"), language: language)
        body += "<h2>" + t("五档行情", "Five-level book") + "</h2>"
        if let book = exchange.books[code] {
            let asks = book.depth(.sell)
            let bids = book.depth(.buy)
            var rows: [[String]] = []
            for level in (0..<5).reversed() {
                let ask = level < asks.count ? asks[level] : nil
                rows.append(["<span class=\"down\">" + t("卖", "Ask ") + "\(level + 1)</span>",
                             ask.map { "<span class=\"down\">\(Fen.text($0.price))</span>" } ?? "—", ask.map { Format.grouped($0.quantity) } ?? "", ask.map { String($0.orders) } ?? ""])
            }
            for level in 0..<5 {
                let bid = level < bids.count ? bids[level] : nil
                rows.append(["<span class=\"up\">" + t("买", "Bid ") + "\(level + 1)</span>",
                             bid.map { "<span class=\"up\">\(Fen.text($0.price))</span>" } ?? "—", bid.map { Format.grouped($0.quantity) } ?? "", bid.map { String($0.orders) } ?? ""])
            }
            body += table(["", t("价格", "Price"), t("数量（吨）", "Quantity (t)"), t("笔数", "Orders")], rows, numeric: [1, 2, 3], id: "book")
            body += "<p class=\"muted\">" + t("今日价格区间 ", "Today's limits ") + "\(Fen.text(book.lowPrice)) – \(Fen.text(book.highPrice))</p>"
        } else {
            body += "<p class=\"muted\">" + t("休市：无挂单。", "Market closed: no orders.") + "</p>"
        }
        body += "<h2>" + t("成交明细", "Trade tape") + "</h2>"
        let tape = exchange.todayDeals.filter { $0.instrument == code }.suffix(Self.tapeLength).reversed()
        // Between days the tape is the last day's: colour it against that day's previous close.
        let reference = exchange.tradingDate == nil ? (history.last?.previousClose ?? instrument.previousClose) : instrument.previousClose
        body += table(
            [t("时间", "Time"), t("成交号", "Deal"), t("方式", "Mode"), t("价格", "Price"), t("数量（吨）", "Quantity (t)")],
            tape.map { deal in
                [Format.beijingTime(deal.time), escape(deal.id.rawValue), modeName(deal.mode),
                 "<span class=\"\(deal.price > reference ? "up" : deal.price < reference ? "down" : "")\">\(Fen.text(deal.price))</span>",
                 Format.grouped(deal.quantity)]
            }, numeric: [3, 4], id: "tape")
        body += "<h2>" + t("历史行情", "Daily prices") + "</h2>"
        body += table(
            [t("日期", "Date"), t("开盘", "Open"), t("最高", "High"), t("最低", "Low"), t("收盘", "Close"), t("涨跌", "Change"), t("综合价", "Combined"), t("成交量", "Volume"), t("成交额（元）", "Turnover (CNY)")],
            history.reversed().map { r in
                let p = r.prices
                return [r.date.description, Fen.text(p.open), Fen.text(p.high), Fen.text(p.low), Fen.text(p.close), change(p.close, r.previousClose),
                        Fen.text(p.combined), Format.tonnes(p.volume, language), Format.yuan(p.turnoverFen)]
            }, numeric: [1, 2, 3, 4, 5, 6, 7, 8], id: "history")
        body += "<p class=\"csv\"><a href=\"/market/\(escape(code))/history.csv\">" + t("下载 CSV", "Download CSV") + "</a></p>"
        return Layout(language: language, path: "/market/\(code)").page(title: "\(code) " + t("行情", "market"), body)
    }

    func modeName(_ mode: TradeMode) -> String {
        switch mode {
        case .listing: t("挂牌", "listing")
        case .block: t("大宗", "block")
        case .auction: t("竞价", "auction")
        }
    }

    /// Daily prices of one instrument, prices in yuan with two decimals.
    public static func historyCSV(_ exchange: ExchangeState, code: String) -> String {
        var lines = ["date,instrument,previous_close,open,high,low,close,combined,volume_t,turnover_cny"]
        for r in exchange.history where r.instrument == code {
            let p = r.prices
            lines.append([r.date.description, csvField(code), Fen.text(r.previousClose), Fen.text(p.open), Fen.text(p.high), Fen.text(p.low),
                          Fen.text(p.close), Fen.text(p.combined), String(p.volume), Fen.text(p.turnoverFen)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Server-rendered candlestick chart with volume bars (no JavaScript).
public enum PriceChart {
    public static func svg(_ history: [DayRecord], caption: String, language: Language) -> String {
        let days = Array(history.suffix(60))
        guard !days.isEmpty else { return "" }
        let width = 720, priceHeight = 220, volumeHeight = 60, left = 60, gap = 20
        let high = days.map(\.prices.high).max()!, low = days.map(\.prices.low).min()!
        // A tenth of the range above and below, at least 0.10 CNY: a flat history still has a height.
        let pad = max((high - low) / 10, 10)
        let top = high + pad, bottom = max(0, low - pad)
        let maxVolume = max(days.map(\.prices.volume).max()!, 1)
        // Pixel positions in integer arithmetic: the chart draws, it does not compute amounts.
        let plotWidth = width - left - 10
        let step = plotWidth / days.count
        func y(_ price: Int64) -> Int { 10 + Int((top - price) * Int64(priceHeight - 20) / (top - bottom)) }
        var svg = "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" id=\"price-chart\" viewBox=\"0 0 \(width) \(priceHeight + gap + volumeHeight + 20)\" width=\"100%\"><title>\(escape(caption))</title>"
        svg += "<text x=\"4\" y=\"\(y(top) + 10)\">\(Fen.text(top))</text><text x=\"4\" y=\"\(y(bottom))\">\(Fen.text(bottom))</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(priceHeight)\" x2=\"\(width - 10)\" y2=\"\(priceHeight)\" stroke=\"#e5e7eb\"/>"
        for (index, day) in days.enumerated() {
            let p = day.prices
            let x = left + (2 * index + 1) * plotWidth / (2 * days.count)
            let up = p.close >= p.open
            let colour = up ? "#d0021b" : "#1a9c3e"
            let bodyTop = y(max(p.open, p.close)), bodyBottom = y(min(p.open, p.close))
            let bodyWidth = max(2, step * 3 / 5)
            svg += "<line x1=\"\(x)\" y1=\"\(y(p.high))\" x2=\"\(x)\" y2=\"\(y(p.low))\" stroke=\"\(colour)\"/>"
            svg += "<rect class=\"candle \(up ? "up" : "down")\" x=\"\(x - bodyWidth / 2)\" y=\"\(bodyTop)\" width=\"\(bodyWidth)\" height=\"\(max(1, bodyBottom - bodyTop))\" fill=\"\(colour)\"><title>\(day.date) O \(Fen.text(p.open)) H \(Fen.text(p.high)) L \(Fen.text(p.low)) C \(Fen.text(p.close))</title></rect>"
            let barHeight = Int(p.volume * Int64(volumeHeight) / maxVolume)
            svg += "<rect x=\"\(x - bodyWidth / 2)\" y=\"\(priceHeight + gap + volumeHeight - barHeight)\" width=\"\(bodyWidth)\" height=\"\(barHeight)\" fill=\"\(colour)\" opacity=\"0.5\"/>"
        }
        let baseline = priceHeight + gap + volumeHeight + 16
        svg += "<text x=\"\(left)\" y=\"\(baseline)\">\(days.first!.date)</text><text x=\"\(width - 90)\" y=\"\(baseline)\">\(days.last!.date)</text>"
        return svg + "</svg><figcaption class=\"muted\">\(escape(caption))</figcaption></figure>"
    }
}
