import OpenETSDomain

/// Carbon neutrality of an event, from the footprint to the certificate: the public calculator
/// (attendees, travel, venue energy, hotel nights → tCO2e with each factor and its source), and
/// for a logged-in participant the page that buys the rounded-up tonnes from the best CCER
/// listings and cancels them for the event. Pure functions of the states, tested as text.
public struct NeutralityPages: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    // MARK: the calculator form

    /// The calculator's form as typed, so the page can show it back with the result.
    public struct CalculatorForm: Hashable, Sendable {
        /// Travel lines the form offers.
        public static let travelRows = 3
        /// Longest value accepted in one field (characters); the event name has the
        /// calculator's own `maxEventNameLength`.
        public static let maxFieldLength = 200

        public struct TravelRow: Hashable, Sendable {
            public var mode = ""
            public var distanceKm = ""
            public var travellers = ""
            public var roundTrip = false

            public init(mode: String = "", distanceKm: String = "", travellers: String = "", roundTrip: Bool = false) {
                self.mode = mode
                self.distanceKm = distanceKm
                self.travellers = travellers
                self.roundTrip = roundTrip
            }

            var isEmpty: Bool { distanceKm.isEmpty && travellers.isEmpty }
        }

        public var event = ""
        public var attendees = ""
        public var travel = Array(repeating: TravelRow(), count: CalculatorForm.travelRows)
        public var venueKWh = ""
        public var hotelRoomNights = ""

        public init() {}

        /// The form from query parameters: `event`, `attendees`, `mode1…3`, `km1…3`,
        /// `travellers1…3`, `round1…3` (checkbox), `kwh`, `nights`.
        public init(query: (String) -> String?) {
            func field(_ name: String) -> String { String((query(name) ?? "").trimmingSpaces.prefix(Self.maxFieldLength + 1)) }
            event = field("event")
            attendees = field("attendees")
            for index in 0..<Self.travelRows {
                let n = index + 1
                travel[index] = TravelRow(mode: field("mode\(n)"), distanceKm: field("km\(n)"), travellers: field("travellers\(n)"), roundTrip: !field("round\(n)").isEmpty)
            }
            venueKWh = field("kwh")
            hotelRoomNights = field("nights")
        }

        /// Nothing typed yet: the page shows the empty form and no result.
        public var isEmpty: Bool { attendees.isEmpty && venueKWh.isEmpty && hotelRoomNights.isEmpty && travel.allSatisfy(\.isEmpty) }

        /// The calculator's input. Whole numbers are checked here; everything else (missing
        /// fields, decimals, limits, unknown modes) by `NeutralityCalculator` with its codes.
        public func input() throws(CCERError) -> NeutralityCalculator.Input {
            var fields: [(String, String)] = [(attendees, "attendees"), (venueKWh, "venue_kwh"), (hotelRoomNights, "hotel_room_nights")]
            for (index, row) in travel.enumerated() {
                fields.append((row.distanceKm, "travel \(index + 1) distance_km"))
                fields.append((row.travellers, "travel \(index + 1) travellers"))
            }
            for (value, name) in fields where value.count > Self.maxFieldLength {
                throw CCERError(.limitExceeded, "\(name) is longer than \(Self.maxFieldLength) characters")
            }
            func whole(_ text: String, _ name: String) throws(CCERError) -> Int64? {
                guard !text.isEmpty else { return nil }
                guard let value = Int64(text) else { throw CCERError(.invalidArgument, "\(name) '\(text)' is not a whole number") }
                return value
            }
            var lines: [NeutralityCalculator.TravelInput] = []
            for (index, row) in travel.enumerated() where !row.isEmpty {
                lines.append(NeutralityCalculator.TravelInput(
                    mode: row.mode.isEmpty ? nil : row.mode, distanceKm: row.distanceKm.isEmpty ? nil : row.distanceKm,
                    travellers: try whole(row.travellers, "travel \(index + 1) travellers"), roundTrip: row.roundTrip))
            }
            return NeutralityCalculator.Input(
                event: event, attendees: try whole(attendees, "attendees"), travel: lines,
                venueKWh: venueKWh.isEmpty ? nil : venueKWh, hotelRoomNights: try whole(hotelRoomNights, "hotel_room_nights"))
        }
    }

    public func travelMode(_ mode: String) -> String {
        let names: [String: (String, String)] = [
            "air": ("飞机", "air"), "high_speed_rail": ("高铁", "high-speed rail"), "conventional_rail": ("普通铁路", "conventional rail"),
            "coach": ("长途客车", "coach"), "city_bus": ("城市公交", "city bus"), "metro": ("地铁", "metro"), "car": ("小汽车", "car"),
        ]
        guard let pair = names[mode] else { return mode }
        return t(pair.0, pair.1)
    }

    /// The public calculator: the form, the result with every factor and its source (or the
    /// error code and message), the link to buy and cancel the rounded-up tonnes, and the
    /// factor table.
    public func calculator(_ form: CalculatorForm, result: Result<NeutralityCalculator.Output, CCERError>?, factors: NeutralityFactors) -> String {
        var body = "<p>" + t("估算一次活动（会议、赛事、展会）的温室气体排放：参会者差旅、场馆用电、住宿。结果按吨向上取整，即需注销的核证减排量（CCER）数量。",
                             "Estimate the greenhouse gas emissions of an event (conference, race, fair): attendees' travel, venue electricity, hotel nights. The total rounded up to whole tonnes is the quantity of credits (CCER) to cancel.") + "</p>"
        body += calculatorForm(form, factors: factors)
        switch result {
        case .success(let output): body += resultSection(output, form: form)
        case .failure(let error): body += "<p class=\"bad\" id=\"calc-error\">\(escape(error.code.rawValue)): \(escape(error.message))</p>"
        case nil: break
        }
        body += "<h2>" + t("排放因子", "Emission factors") + " (v\(factors.version))</h2>"
        body += table(
            [t("因子", "Factor"), t("千克 CO2e / 单位", "kg CO2e per unit"), t("单位", "Unit"), t("来源", "Source"), t("已核实", "Verified")],
            factors.factors.sorted { $0.key < $1.key }.map { key, factor in
                ["<code>\(escape(key))</code>", escape(factor.kgPerUnit), escape(Strings(language).factorUnit(factor.unit)), escape(factor.source),
                 factor.verified ? t("是", "yes") : "<span class=\"bad\">" + t("否（占位值）", "no (placeholder)") + "</span>"]
            }, numeric: [1], id: "factors")
        body += "<p class=\"muted\">\(escape(factors.note))</p>"
        return Layout(language: language, path: "/neutrality/calculator").page(title: t("活动碳中和计算器", "Event carbon-neutrality calculator"), body)
    }

    private func calculatorForm(_ form: CalculatorForm, factors: NeutralityFactors) -> String {
        let modes = factors.factors.keys.filter { $0.hasPrefix("travel.") }.map { String($0.dropFirst("travel.".count)) }.sorted()
        func input(_ name: String, _ value: String, _ placeholder: String, numeric: Bool = true) -> String {
            "<input name=\"\(name)\" id=\"\(name)\" value=\"\(escape(value))\" placeholder=\"\(escape(placeholder))\"" + (numeric ? " inputmode=\"decimal\"" : "")
                + " maxlength=\"\(CalculatorForm.maxFieldLength)\">"
        }
        var html = "<form method=\"get\" action=\"/neutrality/calculator\" id=\"calculator-form\" class=\"stack\">"
        html += "<label>\(t("活动名称", "Event")) \(input("event", form.event, t("如：2025 成都马拉松", "e.g. Chengdu Marathon 2025"), numeric: false))</label>"
        html += "<label>\(t("参会人数", "Attendees")) \(input("attendees", form.attendees, "100"))</label>"
        html += "<h2>" + t("差旅（每位出行者的距离）", "Travel (distance per traveller)") + "</h2>"
        for (index, row) in form.travel.enumerated() {
            let n = index + 1
            html += "<div class=\"row\"><select name=\"mode\(n)\" id=\"mode\(n)\">"
                + modes.map { "<option value=\"\(escape($0))\"\($0 == row.mode ? " selected" : "")>\(escape(travelMode($0)))</option>" }.joined() + "</select>"
                + input("km\(n)", row.distanceKm, t("公里", "km")) + input("travellers\(n)", row.travellers, t("人数（默认全体）", "travellers (default: all)"))
                + "<label><input type=\"checkbox\" name=\"round\(n)\" id=\"round\(n)\" value=\"1\"\(row.roundTrip ? " checked" : "")> \(t("往返", "round trip"))</label></div>"
        }
        html += "<label>\(t("场馆用电（千瓦时）", "Venue electricity (kWh)")) \(input("kwh", form.venueKWh, "12345.6"))</label>"
        html += "<label>\(t("住宿（间夜）", "Hotel room-nights")) \(input("nights", form.hotelRoomNights, "150"))</label>"
        html += "<button type=\"submit\" id=\"calculate\">\(t("计算", "Calculate"))</button></form>"
        return html
    }

    private func resultSection(_ output: NeutralityCalculator.Output, form: CalculatorForm) -> String {
        var html = "<h2>" + t("计算结果", "Result") + "</h2>"
        html += table(
            [t("项目", "Item"), t("活动量", "Quantity"), t("因子", "Factor"), t("千克 CO2e / 单位", "kg CO2e per unit"), t("千克 CO2e", "kg CO2e"), t("来源", "Source")],
            output.lines.map { line in
                [escape(line.item), "\(escape(line.quantity)) \(escape(Strings(language).factorUnit(line.unit)))", "<code>\(escape(line.factorKey))</code>", escape(line.kgPerUnit),
                 escape(line.kgCO2e), escape(line.source) + (line.verified ? "" : " <span class=\"bad\">[\(t("未核实", "unverified"))]</span>")]
            }, numeric: [3, 4], id: "calc-lines")
        html += "<p id=\"calc-total\">" + t("合计 ", "Total ") + escape(output.totalKgCO2e) + t(" 千克 = ", " kg = ") + escape(output.totalTCO2e)
            + t(" 吨 CO2e；人均 ", " t CO2e; per attendee ") + escape(output.perAttendeeTCO2e) + t(" 吨", " t") + "</p>"
        html += "<p class=\"ok\">" + t("需注销（向上取整到整吨）：", "To cancel (rounded up to whole tonnes): ")
            + "<strong id=\"calc-cancel-quantity\">\(output.cancelQuantityT)</strong>" + t(" 吨", " t") + "</p>"
        if !output.unverified.isEmpty {
            html += "<p class=\"bad\" id=\"calc-unverified\">" + t("以下因子为未核实的占位值，结果仅供参考：", "These factors are unverified placeholders; the result is indicative only: ")
                + escape(output.unverified.joined(separator: ", ")) + "</p>"
        }
        let subject = output.event.isEmpty ? t("活动", "event") : output.event
        html += "<p><a id=\"offset-link\" href=\"/neutrality?quantity=\(output.cancelQuantityT)&amp;purpose=event&amp;subject=\(escape(percentEncoded(subject)))\">"
            + t("购买并注销 ", "Buy and cancel ") + "\(output.cancelQuantityT)" + t(" 吨 CCER，实现碳中和 →", " t of CCER for carbon neutrality →") + "</a> "
            + "<span class=\"muted\">" + t("（需登录交易账户）", "(log in with a trading account)") + "</span></p>"
        return html
    }

    // MARK: buy and cancel (logged in)

    /// What the buy-and-cancel page shows besides the states: the quantity asked (from the
    /// calculator or typed), the claim's fields to prefill, and a certificate just issued.
    public struct OffsetView: Sendable {
        /// Tonnes to plan a purchase for.
        public var quantity: Int64?
        /// Tonnes to prefill in the cancellation.
        public var cancelQuantity: Int64?
        public var unit: String?
        public var beneficiary: String
        public var purpose: NeutralityPurpose
        public var subject: String
        public var certificate: CCERPages.CertificateView?

        public init(
            quantity: Int64?, cancelQuantity: Int64? = nil, unit: String? = nil, beneficiary: String = "", purpose: NeutralityPurpose = .event, subject: String = "",
            certificate: CCERPages.CertificateView? = nil
        ) {
            self.quantity = quantity
            self.cancelQuantity = cancelQuantity
            self.unit = unit
            self.beneficiary = beneficiary
            self.purpose = purpose
            self.subject = subject
            self.certificate = certificate
        }
    }

    private func hidden(_ context: TradingPages.Context) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(context.csrf))\"><input type=\"hidden\" name=\"nonce\" value=\"\(escape(context.nonce()))\">"
    }

    /// The participant's page: credits held (with what was bought today), the plan to buy the
    /// tonnes from the best listings of each CCER listing instrument, the cancellation form,
    /// and the certificate once issued with its public check link.
    public func offset(
        _ context: TradingPages.Context, registry: RegistryState, exchange: ExchangeState, policy: ExchangePolicy, view: OffsetView
    ) -> String {
        let layout = Layout(language: language, path: "/neutrality")
        let title = t("购买并注销 CCER（碳中和）", "Buy and cancel CCER for carbon neutrality")
        guard let account = context.principal.account else { return layout.page(title: title, "") }
        var body = "<div class=\"row\"><p id=\"who\">\(escape(context.principal.name)) · <code>\(escape(account.rawValue))</code></p>"
            + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(hidden(context))<button id=\"logout\">\(t("退出", "Log out"))</button></form></div>"
        if let message = context.message { body += "<p class=\"ok\" id=\"message\">\(escape(message))</p>" }
        if let error = context.error { body += "<p class=\"bad\" id=\"error\">\(escape(localizedError(error, language)))</p>" }
        if let certificate = view.certificate { body += certificateBox(certificate) }
        body += "<p class=\"muted\" id=\"t-plus-one\">" + t(
            "当日买入的减排量自下一交易日起方可卖出（T+1）；注销不是卖出，登记系统即时注销账户持有的减排量，包括当日买入的部分。",
            "Units bought today may be sold from the next trading day (T+1). A cancellation is not a sale: the registry cancels units the account holds at once, including units bought today.") + "</p>"
        body += holdings(account, registry: registry, exchange: exchange)
        body += buySection(context, account: account, registry: registry, exchange: exchange, policy: policy, view: view)
        body += cancelSection(context, account: account, registry: registry, view: view)
        return layout.page(title: title, body)
    }

    /// Credits accepted for neutrality in the account.
    func neutralityHoldings(_ account: AccountID, _ registry: RegistryState) -> [(UnitTypeCode, Holding)] {
        registry.holdings.filter { $0.key.account == account && $0.value.total > 0 && NeutralityPurchase.acceptsNeutrality(registry.unitTypes[$0.key.unit]) }
            .map { ($0.key.unit, $0.value) }.sorted { $0.0 < $1.0 }
    }

    private func holdings(_ account: AccountID, registry: RegistryState, exchange: ExchangeState) -> String {
        var html = "<h2>" + t("持有的可用于碳中和的减排量", "Credits held that may be cancelled for neutrality") + "</h2>"
        html += table(
            [t("品种", "Unit"), t("合计（吨）", "Total (t)"), t("可用（可注销）", "Available (cancellable)"), t("其中今日买入（T+1 可卖）", "of which bought today (sellable T+1)")],
            neutralityHoldings(account, registry).map { unit, holding in
                [escape(unit.rawValue), Format.grouped(holding.total), Format.grouped(holding.available),
                 Format.grouped(exchange.boughtToday[HoldingKey(account: account, unit: unit), default: 0])]
            }, numeric: [1, 2, 3], id: "credits")
        html += "<p id=\"funds\">" + t("可用资金 ", "Free funds ") + Format.yuan(registry.availableCash(account)) + t(" 元", " CNY") + "</p>"
        return html
    }

    private func buySection(
        _ context: TradingPages.Context, account: AccountID, registry: RegistryState, exchange: ExchangeState, policy: ExchangePolicy, view: OffsetView
    ) -> String {
        var html = "<h2>" + t("第一步：从挂牌中买入", "Step 1: buy from the listings") + "</h2>"
        html += "<form method=\"get\" action=\"/neutrality\" class=\"row\" id=\"quantity-form\">"
            + "<label>\(t("数量（吨）", "Quantity (t)")) <input name=\"quantity\" id=\"quantity\" value=\"\(view.quantity.map { String($0) } ?? "")\" inputmode=\"numeric\" maxlength=\"9\"></label>"
            + "<input type=\"hidden\" name=\"purpose\" value=\"\(view.purpose.rawValue)\"><input type=\"hidden\" name=\"subject\" value=\"\(escape(view.subject))\">"
            + "<input type=\"hidden\" name=\"beneficiary\" value=\"\(escape(view.beneficiary))\">"
            + "<button id=\"plan\">\(t("查看买入方案", "Show the plan"))</button></form>"
        guard exchange.tradingDate != nil else {
            return html + "<p class=\"bad\" id=\"market-closed\">" + t("休市：交易时段内方可买入。已持有的减排量现在即可注销（第二步）。",
                                                                     "The market is closed: buy during a trading session. Credits already held can be cancelled now (step 2).") + "</p>"
        }
        guard let quantity = view.quantity else { return html }
        let instruments = NeutralityPurchase.instruments(exchange, registry)
        if instruments.isEmpty { html += "<p class=\"muted\">" + t("没有以挂牌协议交易的 CCER 品种。", "No CCER instrument trades by listing agreement.") + "</p>" }
        for instrument in instruments {
            guard let plan = NeutralityPurchase.plan(instrument: instrument.code, quantity: quantity, buyer: account, exchange: exchange, registry: registry, policy: policy)
            else { continue }
            html += "<h3>\(escape(instrument.code)) · \(escape(instrument.label))</h3>"
            html += table(
                [t("挂牌编号", "Listing"), t("价格（元/吨）", "Price (CNY/t)"), t("买入（吨）", "Buy (t)"), t("金额（元）", "Amount (CNY)")],
                plan.steps.map { ["\($0.order)", Fen.text($0.priceFen), Format.grouped($0.quantity), Format.yuan($0.amountFen)] },
                numeric: [0, 1, 2, 3], id: "plan-\(instrument.code)")
            html += "<p>" + t("含手续费合计 ", "Total with fees ") + Format.yuan(plan.totalFen) + t(" 元（手续费 ", " CNY (fees ") + Format.yuan(plan.feeFen) + t(" 元）", " CNY)") + "</p>"
            if !plan.complete {
                html += "<p class=\"bad\">" + t("最优五档内仅有 ", "Only ") + Format.grouped(plan.offeredT)
                    + t(" 吨可买，不足 ", " t on offer within the best five levels, less than ") + Format.grouped(quantity) + t(" 吨。", " t.") + "</p>"
            } else if plan.totalFen > registry.availableCash(account) {
                html += "<p class=\"bad\">" + t("可用资金不足。", "Not enough free funds.") + "</p>"
            } else {
                html += "<form method=\"post\" action=\"/neutrality/buy\" class=\"row\">\(hidden(context))"
                    + "<input type=\"hidden\" name=\"instrument\" value=\"\(escape(instrument.code))\">"
                    + "<input type=\"hidden\" name=\"plan\" value=\"\(escape(NeutralityPurchase.encode(plan.steps)))\">"
                    + "<input type=\"hidden\" name=\"purpose\" value=\"\(view.purpose.rawValue)\"><input type=\"hidden\" name=\"subject\" value=\"\(escape(view.subject))\">"
                    + "<input type=\"hidden\" name=\"beneficiary\" value=\"\(escape(view.beneficiary))\">"
                    + "<button class=\"buy\" id=\"buy-\(escape(instrument.code))\">" + t("买入 ", "Buy ") + Format.grouped(quantity) + t(" 吨，", " t for ")
                    + Format.yuan(plan.totalFen) + t(" 元", " CNY") + "</button></form>"
            }
        }
        return html
    }

    private func cancelSection(_ context: TradingPages.Context, account: AccountID, registry: RegistryState, view: OffsetView) -> String {
        let held = neutralityHoldings(account, registry).filter { $0.1.available > 0 }
        var html = "<h2>" + t("第二步：注销以实现碳中和", "Step 2: cancel for carbon neutrality") + "</h2>"
        guard !held.isEmpty else { return html + "<p class=\"muted\" id=\"nothing-to-cancel\">" + t("账户中没有可注销的减排量。", "The account holds no credits to cancel.") + "</p>" }
        let purposes = NeutralityPurpose.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == view.purpose ? " selected" : "")>\(escape(CCERPages(language: language).purpose($0)))</option>"
        }.joined()
        html += "<form method=\"post\" action=\"/neutrality/cancel\" id=\"cancel-form\" class=\"stack\">\(hidden(context))"
            + "<label>\(t("品种", "Unit")) <select name=\"unit\" id=\"cancel-unit\">"
            + held.map { unit, holding in
                "<option value=\"\(escape(unit.rawValue))\"\(unit.rawValue == view.unit ? " selected" : "")>\(escape(unit.rawValue)) (\(t("可用", "available")) \(Format.grouped(holding.available)))</option>"
            }.joined() + "</select></label>"
            + "<label>\(t("数量（吨）", "Quantity (t)")) <input name=\"quantity\" id=\"cancel-quantity\" value=\"\(view.cancelQuantity.map { String($0) } ?? "")\" inputmode=\"numeric\" required maxlength=\"9\"></label>"
            + "<label>\(t("受益方", "Beneficiary")) <input name=\"beneficiary\" id=\"beneficiary\" value=\"\(escape(view.beneficiary))\" required maxlength=\"200\"></label>"
            + "<label>\(t("用途", "Purpose")) <select name=\"purpose\" id=\"purpose\">\(purposes)</select></label>"
            + "<label>\(t("活动、产品或组织名称", "Event, product or organisation")) <input name=\"subject\" id=\"subject\" value=\"\(escape(view.subject))\" required maxlength=\"200\"></label>"
            + "<button id=\"cancel-submit\">\(t("注销并出具碳中和证明", "Cancel and issue the certificate"))</button></form>"
        return html
    }

    private func certificateBox(_ c: CCERPages.CertificateView) -> String {
        "<div id=\"certificate-issued\"><h2>" + t("碳中和证明", "Carbon-neutrality certificate") + " \(escape(c.number))</h2>"
            + "<p>\(escape(c.beneficiary)) · \(escape(c.purpose)) · \(escape(c.subject)) · \(Format.tonnes(c.quantity, language)) \(escape(c.unit)) · \(escape(c.cancelledOn))</p>"
            + "<p>" + c.serialTexts.map { "<code>\(escape($0))</code>" }.joined(separator: "<br>") + "</p>"
            + "<p>" + t("查验码 ", "Verification code ") + "<code id=\"verification-code\">\(escape(c.code))</code> · "
            + "<a id=\"certificate-link\" href=\"/ccer/certificates/\(escape(c.code))\">\(t("公开查验", "Check it publicly"))</a></p></div>"
    }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(Character(Unicode.Scalar(byte)))
        default:
            let hex = Array("0123456789ABCDEF")
            out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
        }
    }
    return out
}
