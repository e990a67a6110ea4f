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
        ]
        guard let pair = names[kind] else { return kind }
        return pick(pair.0, pair.1)
    }
}
