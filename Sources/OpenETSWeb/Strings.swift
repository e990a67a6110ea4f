import OpenETSDomain

/// Every user-visible string, in Chinese and English.
public struct Strings: Sendable {
    public let language: Language

    public init(_ language: Language) { self.language = language }

    private func pick(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    var siteName: String { pick("全国碳排放权注册登记系统", "National Carbon Emissions Registry") }
    var overview: String { pick("总览", "Overview") }
    var accounts: String { pick("账户", "Accounts") }
    var certificateCheck: String { pick("注销证明查验", "Certificate check") }
    var supplyTitle: String { pick("各品种总量", "Supply by unit type") }
    var unitType: String { pick("品种", "Unit type") }
    var issued: String { pick("已签发", "Issued") }
    var cancelled: String { pick("已注销", "Cancelled") }
    var held: String { pick("持有", "Held") }
    var accountsByType: String { pick("账户类型", "Accounts by type") }
    var count: String { pick("数量", "Count") }
    var journalHead: String { pick("登记簿链头（可公开核对）", "Journal head (publish to anchor)") }
    var entries: String { pick("条记录", "entries") }
    var recentEntries: String { pick("最近登记记录", "Recent journal entries") }
    var time: String { pick("时间（北京时间）", "Time (Beijing)") }
    var operation: String { pick("业务", "Operation") }
    var account: String { pick("账户", "Account") }
    var type: String { pick("类型", "Type") }
    var status: String { pick("状态", "Status") }
    var province: String { pick("省份", "Province") }
    var owner: String { pick("持有人", "Owner") }
    var holdings: String { pick("持有量", "Holdings") }
    var total: String { pick("总量", "Total") }
    var available: String { pick("可用", "Available") }
    var frozen: String { pick("冻结", "Frozen") }
    var serials: String { pick("序列号区段", "Serial blocks") }
    var funds: String { pick("资金余额（元）", "Funds (CNY)") }
    var history: String { pick("账户记录", "Account history") }
    var downloadCSV: String { pick("下载 CSV", "Download CSV") }
    var notFound: String { pick("未找到", "Not found") }
    var certificateNumber: String { pick("证明编号", "Certificate number") }
    var check: String { pick("查验", "Check") }
    var beneficiary: String { pick("受益方", "Beneficiary") }
    var purpose: String { pick("用途", "Purpose") }
    var quantity: String { pick("数量", "Quantity") }
    var issuedAt: String { pick("注销时间", "Cancelled at") }
    var valid: String { pick("有效：该注销已记入登记簿", "Valid: this cancellation is recorded in the registry") }
    var journalEntry: String { pick("登记簿记录", "Journal entry") }
    var representatives: String { pick("授权代表", "Representatives") }
    var none: String { pick("无", "none") }
    var pledgesGiven: String { pick("出质（本账户为出质人）", "Pledges given (this account is the holder)") }
    var pledgesTaken: String { pick("质权（本账户为质权人）", "Pledges held (this account is the pledgee)") }
    var pledge: String { pick("质押编号", "Pledge") }
    var pledgor: String { pick("出质人", "Holder") }
    var pledgee: String { pick("质权人", "Pledgee") }
    var contract: String { pick("质押合同", "Contract") }
    var pledgedAt: String { pick("登记时间", "Registered at") }
    func pledgeStatus(_ status: FreezeStatus) -> String {
        switch status {
        case .active: pick("有效（冻结中）", "active (frozen)")
        case .released: pick("已解除", "released")
        case .enforced: pick("已处置（划转质权人）", "enforced (moved to the pledgee)")
        }
    }
    var chartCaption: String { pick("签发量中持有与注销的构成", "Issued units: held and cancelled") }

    func accountType(_ type: AccountType) -> String {
        switch type {
        case .national: pick("国家账户", "National (MEE)")
        case .provincial: pick("省级账户", "Provincial")
        case .entity: pick("重点排放单位", "Key emitting entity")
        case .investor: pick("投资机构", "Investor")
        case .individual: pick("个人投资者", "Individual")
        case .projectOwner: pick("项目业主", "CCER project owner")
        case .exchangeClearing: pick("交易所结算账户", "Exchange clearing")
        case .compliance: pick("国家履约账户", "National compliance")
        case .cancellation: pick("注销账户", "Cancellation")
        case .voluntaryCancellation: pick("自愿注销账户", "Voluntary cancellation")
        }
    }

    func accountStatus(_ status: AccountStatus) -> String {
        switch status {
        case .open: pick("正常", "open")
        case .blocked: pick("限制", "blocked")
        case .closed: pick("已关闭", "closed")
        }
    }

    func role(_ role: RepresentativeRole) -> String {
        role == .initiator ? pick("经办", "initiator") : pick("复核", "approver")
    }

    /// A sector code of the allocation plans and the MRV entities (`power`, `cement`…) by its
    /// name; an unknown code as it is.
    public func sector(_ sector: String) -> String {
        let names: [String: (String, String)] = [
            "power": ("发电", "power"), "steel": ("钢铁", "steel"), "cement": ("水泥", "cement"), "aluminium": ("铝冶炼", "aluminium"),
            "paper": ("造纸", "paper"), "industry": ("工业", "industry"), "petrochemical": ("石化", "petrochemical"),
            "chemical": ("化工", "chemical"), "aviation": ("民航", "aviation"), "building_materials": ("建材", "building materials"),
            "non_ferrous": ("有色金属", "non-ferrous metals"),
        ]
        guard let pair = names[sector] else { return sector }
        return pick(pair.0, pair.1)
    }

    /// A user's role by its name.
    public func roleName(_ role: Role) -> String {
        switch role {
        case .mee: pick("生态环境部", "MEE")
        case .province: pick("省级生态环境主管部门", "provincial authority")
        case .city: pick("市级生态环境主管部门", "city authority")
        case .entityInitiator: pick("重点排放单位（经办）", "emitting entity (initiator)")
        case .entityApprover: pick("重点排放单位（复核）", "emitting entity (approver)")
        case .verifier: pick("核查技术服务机构", "verifier")
        case .exchangeOperator: pick("交易机构", "exchange operator")
        case .registryOperator: pick("注册登记机构", "registry operator")
        case .projectOwner: pick("CCER 项目业主", "CCER project owner")
        case .validationBody: pick("审定与核查机构", "validation and verification body")
        case .investor: pick("投资者", "investor")
        case .pledgee: pick("质权人", "pledgee")
        case .public: pick("公众", "public")
        }
    }

    /// A CCER methodology's sectoral scope (as the methodologies name it in English) by its
    /// Chinese name [seed 003 §5.2]; another text as it is.
    public func ccerSector(_ sector: String) -> String {
        let names = [
            "energy industries": "能源产业", "transport": "交通运输", "fugitive emissions from fuels": "燃料的逸散排放",
            "afforestation and reforestation": "林业和其他碳汇类型",
        ]
        return language == .zh ? names[sector] ?? sector : sector
    }

    /// A CCER project's type as the demo projects give it; another text (an owner's own words)
    /// as it is.
    public func projectType(_ type: String) -> String {
        let names = ["afforestation": "造林", "grid solar thermal": "并网光热发电", "offshore wind": "海上风电", "mangrove": "红树林营造"]
        return language == .zh ? names[type] ?? type : type
    }

    /// A neutrality factor's unit (as the factor tables give it) in the page's language.
    public func factorUnit(_ unit: String) -> String {
        let names = ["passenger-km": "人公里", "room-night": "间夜", "kWh": "千瓦时"]
        return language == .zh ? names[unit] ?? unit : unit
    }

    /// A surveillance rule by its name.
    public func surveillanceRule(_ rule: SurveillanceAlert.Rule) -> String {
        switch rule {
        case .selfTrade: pick("自成交", "self-trade")
        case .sameGroup: pick("同一集团内成交", "same group")
        case .washRoundTrip: pick("对倒交易", "wash round trip")
        case .placeAndCancel: pick("频繁申报撤单", "place and cancel")
        case .closeMoving: pick("影响收盘价", "moving the close")
        case .largeHolder: pick("大额持仓", "large holder")
        }
    }

    /// An auction's pricing and tie-break, as the operator set them.
    public func auctionTerms(_ pricing: AuctionTerms.Pricing, _ tieBreak: AuctionTerms.TieBreak, seed: UInt64) -> String {
        let price = pricing == .uniform ? pick("统一价格", "uniform price") : pick("按申报价格", "pay as bid")
        let tie = tieBreak == .time ? pick("时间优先", "time priority") : pick("随机（种子 \(seed)）", "random (seed \(seed))")
        return price + pick("，", ", ") + tie
    }

    /// An auction's outcome as the clearing words it ("fully sold", "no valid bids"…); words
    /// with figures in them (an undersubscription, a cancellation's reason) as they are.
    public func auctionOutcome(_ reason: String) -> String {
        switch reason {
        case "fully sold": pick("全部成交", "fully sold")
        case "partly sold": pick("部分成交", "partly sold")
        case "no valid bids": pick("无有效申报", "no valid bids")
        default: reason
        }
    }

    /// A fuel of the monthly data by its name.
    public func fuel(_ fuel: Fuel) -> String {
        switch fuel {
        case .coal: pick("燃煤", "coal")
        case .naturalGas: pick("天然气", "natural gas")
        case .fuelOil: pick("燃料油", "fuel oil")
        case .diesel: pick("柴油", "diesel")
        }
    }

    func operationName(_ kind: String) -> String {
        let names: [String: (String, String)] = [
            "open_account": ("开立账户", "open account"), "set_account_status": ("账户状态变更", "account status"),
            "add_representative": ("新增授权代表", "add representative"), "remove_representative": ("撤销授权代表", "remove representative"),
            "define_unit_type": ("新增品种", "define unit type"), "issue": ("签发", "issue"), "allocate": ("分配", "allocate"),
            "recall": ("收回", "recall"), "transfer": ("划转", "transfer"), "initiate_transfer": ("发起划转", "initiate transfer"),
            "approve_transfer": ("复核划转", "approve transfer"), "reject_transfer": ("拒绝划转", "reject transfer"),
            "freeze": ("冻结", "freeze"), "unfreeze": ("解冻", "unfreeze"), "enforce_pledge": ("质押处置", "enforce pledge"),
            "surrender": ("清缴", "surrender"), "cancel": ("注销", "cancel"), "voluntary_cancel": ("自愿注销", "voluntary cancel"),
            "deduct": ("扣减", "deduct"), "deposit_funds": ("资金入金", "deposit"), "withdraw_funds": ("资金出金", "withdraw"),
            "settle": ("交收", "settle"),
            // The exchange's commands (journal kind `exchange.…`) and the CCER registry's (`ccer.…`).
            "exchange.place_order": ("挂牌申报", "listing order"), "exchange.take_order": ("摘牌", "take listing"),
            "exchange.cancel_order": ("撤单", "cancel order"), "exchange.quote_block": ("大宗协议报价", "block quote"),
            "exchange.counter_block": ("大宗协议还价", "block counter-offer"), "exchange.accept_block": ("大宗协议成交", "block deal"),
            "exchange.cancel_quote": ("撤销大宗报价", "cancel block quote"), "exchange.announce_auction": ("发布单向竞价", "announce auction"),
            "exchange.bid": ("竞价申报", "auction bid"), "exchange.clear_auction": ("单向竞价成交", "auction clearing"),
            "exchange.cancel_auction": ("撤销单向竞价", "cancel auction"), "exchange.open_day": ("开市", "open trading day"),
            "exchange.close_day": ("闭市", "close trading day"), "exchange.list_instrument": ("上市交易品种", "list instrument"),
            "exchange.admit_member": ("交易会员准入", "admit member"), "exchange.set_fee_accounts": ("设置费用账户", "fee accounts"),
            "ccer.issue": ("CCER 登记签发", "CCER issuance"), "ccer.cancel_for_neutrality": ("碳中和注销", "cancel for carbon neutrality"),
            "ccer.submit_project": ("项目公示申请", "submit project"), "ccer.comment": ("公示意见", "public comment"),
            "ccer.record_validation": ("审定结论", "validation"), "ccer.apply_for_registration": ("项目登记申请", "apply for registration"),
            "ccer.decide_registration": ("项目登记决定", "registration decision"),
            "ccer.submit_reduction_report": ("减排量公示申请", "submit reduction report"),
            "ccer.record_verification": ("核查结论", "verification"),
            "ccer.apply_for_reduction_registration": ("减排量登记申请", "apply for reduction registration"),
            "ccer.decide_reduction_registration": ("减排量登记决定", "reduction registration decision"),
            "ccer.add_methodology": ("发布方法学", "add methodology"), "ccer.accredit_body": ("审定与核查机构备案", "accredit body"),
            "ccer.withdraw_accreditation": ("撤销机构备案", "withdraw accreditation"),
        ]
        guard let pair = names[kind] else { return kind }
        return pick(pair.0, pair.1)
    }
}

/// A form's refusal ("CODE: message", as the server redirects with it) for a page in
/// `language`: in Chinese, what the code means first, then the code and the server's own
/// words (which name the field or value); in English, as it is. Codes without a Chinese
/// explanation are shown as they are in both.
public func localizedError(_ raw: String, _ language: Language) -> String {
    guard language == .zh, let colon = raw.firstIndex(of: ":") else { return raw }
    guard let zh = formErrorExplanations[String(raw[..<colon])] else { return raw }
    return "\(zh)（\(raw)）"
}

/// The Chinese explanation of the codes a web form meets most (trading, transfers, surrender,
/// monthly data, the CCER forms).
let formErrorExplanations: [String: String] = [
    "INVALID_INPUT": "填写内容不完整或格式不正确，请检查各栏",
    "INVALID_QUANTITY": "数量不正确：须为正整数吨，且不超过可成交数量",
    "INVALID_PRICE": "价格不正确",
    "INVALID_AMOUNT": "金额须为正数",
    "INVALID_VALUE": "数值不正确",
    "INVALID_MONTH": "月份须为 1 至 12",
    "OUTSIDE_SESSION": "不在交易时段内",
    "MARKET_CLOSED": "今日未开市",
    "NOT_TRADING_DAY": "非交易日",
    "PRICE_OUT_OF_BAND": "价格超出当日涨跌幅限制",
    "SIZE_NOT_ALLOWED": "申报数量不符合该交易方式的要求",
    "INSUFFICIENT_FUNDS": "可用资金不足",
    "INSUFFICIENT_UNITS": "可用数量不足",
    "INSUFFICIENT_HOLDING": "可用持有量不足",
    "UNITS_FROZEN": "部分已被冻结",
    "T_PLUS_ONE": "当日买入的产品次一交易日起方可卖出",
    "POSITION_LIMIT": "超过持仓限额",
    "OWN_ORDER": "不能与本账户自己的申报、报价或竞价成交",
    "NOT_OWNER": "不是本账户的申报",
    "UNKNOWN_ORDER": "申报不存在或已成交、已撤销",
    "UNKNOWN_INSTRUMENT": "交易品种不存在",
    "UNKNOWN_ACCOUNT": "账户不存在",
    "ACCOUNT_NOT_OPEN": "账户未处于正常状态",
    "ACCOUNT_NOT_ALLOWED": "该账户不能参与此项交易",
    "LIMIT_EXCEEDED": "超过系统限额",
    "SAME_ACCOUNT": "转出与转入账户不能相同",
    "SELF_APPROVAL": "不能复核自己发起或提交的事项",
    "APPROVAL_REQUIRED": "需经复核人复核",
    "VINTAGE_NOT_ELIGIBLE": "该年度配额不能用于本年度清缴",
    "BID_OUTSIDE_RANGE": "竞价申报价格超出竞价区间",
    "BID_BELOW_MINIMUM": "竞价申报数量低于最低申报量",
    "BID_OVER_CAP": "申报数量超过本次竞价的总量",
    "AUCTION_NOT_OPEN": "竞价未在进行中",
    "QUOTE_NOT_OPEN": "报价已失效",
    "MONTH_NOT_ENDED": "该月尚未结束",
    "MONTH_ALREADY_SUBMITTED": "该月数据已提交",
    "MONTHS_MISSING": "尚有月份未提交数据",
    "REPORT_ALREADY_SUBMITTED": "年度报告已提交",
    "UNKNOWN_FUEL": "燃料品种不存在",
    "FUEL_NOT_REGISTERED": "该燃料未在监测计划中登记",
    "CSV_REJECTED": "CSV 文件有错误，未导入任何数据",
    "CSV_MALFORMED": "CSV 文件格式不正确",
    "RATE_LIMITED": "操作过于频繁，请稍后再试",
    "IDEMPOTENCY_KEY_REUSED": "该表单已提交过",
    "IDEMPOTENCY_IN_PROGRESS": "该表单的上一次提交尚未完成",
    "FORBIDDEN": "无权进行此项操作",
    "INVALID_POLICY": "政策参数不正确",
]
