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
                .replacing("<table id=\"book\">", with: "<table id=\"book\" data-stream=\"/market/stream?instrument=\(escape(percentEncoded(code)))\">")
            body += "<p class=\"muted\" id=\"live\">" + t("五档与成交明细实时更新（服务器推送事件）。", "The book and the tape update live (server-sent events).") + "</p>"
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
        body += "<script src=\"/static/market.js\" defer></script>"
        return Layout(language: language, path: "/market/\(code)").page(title: "\(code) " + t("行情", "market"), body)
    }

    /// An instrument code in a query string: unreserved characters kept, every other byte %XX.
    func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) { out.append(c) } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
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
        func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }
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
            svg += "<rect class=\"candle \(up ? "up" : "down")\" x=\"\(x - bodyWidth / 2)\" y=\"\(bodyTop)\" width=\"\(bodyWidth)\" height=\"\(max(1, bodyBottom - bodyTop))\" fill=\"\(colour)\"><title>\(day.date) \(t("开", "O")) \(Fen.text(p.open)) \(t("高", "H")) \(Fen.text(p.high)) \(t("低", "L")) \(Fen.text(p.low)) \(t("收", "C")) \(Fen.text(p.close))</title></rect>"
            let barHeight = Int(p.volume * Int64(volumeHeight) / maxVolume)
            svg += "<rect x=\"\(x - bodyWidth / 2)\" y=\"\(priceHeight + gap + volumeHeight - barHeight)\" width=\"\(bodyWidth)\" height=\"\(barHeight)\" fill=\"\(colour)\" opacity=\"0.5\"/>"
        }
        let baseline = priceHeight + gap + volumeHeight + 16
        svg += "<text x=\"\(left)\" y=\"\(baseline)\">\(days.first!.date)</text><text x=\"\(width - 90)\" y=\"\(baseline)\">\(days.last!.date)</text>"
        return svg + "</svg><figcaption class=\"muted\">\(escape(caption))</figcaption></figure>"
    }
}

/// Live market data (docs/portals.md, "Live market data"): one instrument's five-level book and
/// the end of its tape as a JSON object, sent as a server-sent event whenever it changes. Prices
/// and quantities are preformatted text (exact, as on the page); the page's script only puts
/// them in place.
public enum MarketStreamSnapshot {
    /// Deals of the tape in one snapshot (the newest).
    public static let tapeLength = 20

    public static func json(_ exchange: ExchangeState, code: String) -> String? {
        guard let instrument = exchange.instruments[code] else { return nil }
        let history = exchange.history.filter { $0.instrument == code }
        let reference = exchange.tradingDate == nil ? (history.last?.previousClose ?? instrument.previousClose) : instrument.previousClose
        func level(_ l: DepthLevel) -> String {
            "{\"price\":\"\(Fen.text(l.price))\",\"quantity\":\"\(Format.grouped(l.quantity))\",\"orders\":\(l.orders)}"
        }
        let book = exchange.books[code]
        let asks = book?.depth(.sell) ?? [], bids = book?.depth(.buy) ?? []
        let tape = exchange.todayDeals.filter { $0.instrument == code }.suffix(tapeLength).reversed().map { deal in
            "{\"id\":\(jsonString(deal.id.rawValue)),\"time\":\(jsonString(Format.beijingTime(deal.time))),\"mode\":\"\(deal.mode.rawValue)\","
                + "\"price\":\"\(Fen.text(deal.price))\",\"quantity\":\"\(Format.grouped(deal.quantity))\","
                + "\"direction\":\"\(deal.price > reference ? "up" : deal.price < reference ? "down" : "")\"}"
        }
        return "{\"instrument\":\(jsonString(code)),\"tradingDate\":\(exchange.tradingDate.map { jsonString($0.description) } ?? "null"),"
            + "\"asks\":[\(asks.map(level).joined(separator: ","))],\"bids\":[\(bids.map(level).joined(separator: ","))],"
            + "\"trades\":[\(tape.joined(separator: ","))]}"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The market page's script: subscribes to the stream named by `#book[data-stream]` and
    /// rewrites the book's and the tape's rows (no framework, no build step).
    public static let script = """
        (function () {
          var book = document.getElementById('book');
          if (!book || !window.EventSource) return;
          var zh = document.documentElement.lang.indexOf('zh') === 0;
          var source = new EventSource(book.getAttribute('data-stream'));
          function cell(row, text, cls, num) {
            var td = document.createElement('td');
            if (num) td.className = 'num';
            if (cls) { var span = document.createElement('span'); span.className = cls; span.textContent = text; td.appendChild(span); }
            else td.textContent = text;
            row.appendChild(td);
          }
          function level(body, label, cls, l) {
            var tr = document.createElement('tr');
            cell(tr, label, cls, false);
            if (l) { cell(tr, l.price, cls, true); cell(tr, l.quantity, '', true); cell(tr, String(l.orders), '', true); }
            else { cell(tr, '—', '', true); cell(tr, '', '', true); cell(tr, '', '', true); }
            body.appendChild(tr);
          }
          source.addEventListener('market', function (event) {
            var data = JSON.parse(event.data);
            var body = book.tBodies[0];
            body.textContent = '';
            for (var i = 4; i >= 0; i--) level(body, (zh ? '卖' : 'Ask ') + (i + 1), 'down', data.asks[i]);
            for (var j = 0; j < 5; j++) level(body, (zh ? '买' : 'Bid ') + (j + 1), 'up', data.bids[j]);
            var tape = document.getElementById('tape');
            if (tape) {
              var rows = tape.tBodies[0];
              rows.textContent = '';
              data.trades.forEach(function (d) {
                var tr = document.createElement('tr');
                cell(tr, d.time, '', false); cell(tr, d.id, '', false);
                cell(tr, d.mode === 'listing' ? (zh ? '挂牌' : 'listing') : d.mode === 'block' ? (zh ? '大宗' : 'block') : (zh ? '竞价' : 'auction'), '', false);
                cell(tr, d.price, d.direction, true); cell(tr, d.quantity, '', true);
                rows.appendChild(tr);
              });
            }
            book.setAttribute('data-updated', String(Date.now()));
          });
        })();
        """
}
