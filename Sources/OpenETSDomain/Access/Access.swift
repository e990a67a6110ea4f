/// Who may do what. Roles are the market's user kinds; every principal acts within a scope
/// (an account for participants, a province for provincial and city staff, everything for the
/// national roles). The permission matrix is data: a regulator reviews and changes it without
/// code, and a test walks every action × role.
public enum Role: String, Codable, Sendable, CaseIterable {
    case mee
    case province
    case city
    /// An entity's representative who initiates (and trades).
    case entityInitiator = "entity_initiator"
    /// An entity's representative who approves four-eyes transfers.
    case entityApprover = "entity_approver"
    case verifier
    case exchangeOperator = "exchange_operator"
    case registryOperator = "registry_operator"
    case projectOwner = "project_owner"
    case validationBody = "validation_body"
    case investor
    case pledgee
    case `public`

    /// Roles that move units or money: they must log in with a second factor (TOTP).
    public var movesUnitsOrMoney: Bool {
        switch self {
        case .entityInitiator, .entityApprover, .investor, .projectOwner, .pledgee, .exchangeOperator, .registryOperator, .mee: true
        default: false
        }
    }
}

/// What a request asks to do.
public enum Action: String, Codable, Sendable, CaseIterable {
    case viewPublic = "view_public"
    case viewOwnAccount = "view_own_account"
    case tradePlace = "trade_place"
    case tradeTake = "trade_take"
    case tradeCancel = "trade_cancel"
    case blockQuote = "block_quote"
    case auctionBid = "auction_bid"
    case exchangeOperate = "exchange_operate"
    case viewSurveillance = "view_surveillance"
    case registryOperate = "registry_operate"
    case surrender
    /// Cancel own credits voluntarily for carbon neutrality (a certificate with a public check).
    case neutralityCancel = "neutrality_cancel"
    case approveTransfer = "approve_transfer"
    case viewProvince = "view_province"
    /// Initiate a four-eyes transfer out of the own account (an approver executes it).
    case transferInitiate = "transfer_initiate"
    /// Submit the own entity's MRV data (monthly data).
    case mrvSubmit = "mrv_submit"
    /// Read an entity's MRV submissions and report status (own entity; own province for regulators).
    case mrvView = "mrv_view"
    /// Read an entity's compliance obligation and status (own account; own province for regulators).
    case viewCompliance = "view_compliance"
    /// The entity portal's MRV work: monthly data, CSV upload, the annual report (docs/portals.md).
    case mrvReport = "mrv_report"
    /// The verifier portal: findings and the conclusion of assigned reports.
    case mrvVerify = "mrv_verify"
    /// The province portal: assign verifiers, review reports of its province.
    case mrvReview = "mrv_review"
    /// The city portal: the city-level review of its city's reports (docs/portals.md).
    case mrvReviewCity = "mrv_review_city"
    /// The MEE portal: national totals, dashboards, plans in force and the national review.
    case mrvReviewNational = "mrv_review_national"
    /// The project owner portal: submit CCER projects, apply for registration, report reductions
    /// and apply for their registration, for the own registry account (docs/portals.md).
    case ccerApply = "ccer_apply"
    /// The validation body portal: record validations and verifications as the own body.
    case ccerValidate = "ccer_validate"
    /// The CCER review page: decide project and reduction registrations, order issuance (registry).
    case ccerReview = "ccer_review"
    /// Review account applications: approve (opens the registry account), return for
    /// correction, reject (docs/security.md, "Account opening").
    case accountReview = "account_review"
    /// Load an allocation plan as a draft and publish a version (the MEE sets the national
    /// plans; docs/allocation.md, "Plans in the store"; the API's loadAllocationPlan and
    /// publishAllocationPlan, as `openets plan load` / `publish`).
    case planManage = "plan_manage"
    /// Issue the penalty notices of the own province's shortfalls and record that one was paid
    /// (the provincial authority imposes the fines; `openets cycle penalties --issue` / `--pay`,
    /// the API's issuePenaltyNotices and markPenaltyPaid).
    case penaltyRecord = "penalty_record"
    /// Run a stage of a plan's compliance year through the registry: pre-allocation, true-up,
    /// reserve, auction, surrender, carry-over (the MEE runs the national cycle; `openets cycle
    /// pre-allocate` … `carry-over`, the API's runCycleStage).
    case cycleRun = "cycle_run"
    /// Register MRV entities and their facilities (province staff for their province, the MEE)
    /// over the API, as `openets mrv register-entity|register-facility --as province:…|national`.
    case mrvRegister = "mrv_register"
    /// Register (accredit) an MRV verification body on the platform: the national level only,
    /// as the MRV platform's own table says (`openets mrv register-verifier --as national`; the
    /// API's registerMRVVerifier). Its own action so that a province is refused 403 at the door
    /// rather than by the MRV platform.
    case mrvAccreditVerifier = "mrv_accredit_verifier"
    /// The CCER regulator (the MEE): publish methodologies, accredit validation and
    /// verification bodies and withdraw their accreditation (docs/ccer.md; the API's
    /// publishCCERMethodology, accreditCCERBody, withdrawCCERAccreditation).
    case ccerRegulate = "ccer_regulate"
    /// Comment on a CCER project's public notice (design document or reduction report) while
    /// it runs: any logged-in user, the public included (公示: the public comments), signed
    /// with the user's name; a visitor without a session or token may read the comments only.
    case ccerComment = "ccer_comment"
    /// Check and publish the MRV policy tables (the MEE sets the accounting parameters and the
    /// platform's rules per data year; docs/mrv.md Part 8; the API's checkMRVPolicy and
    /// publishMRVPolicy, as `openets mrv policy check` / `publish`). Reading them is public.
    case mrvPolicy = "mrv_policy"
}

/// The permission matrix: for each action, the roles allowed. Scope (own account, own
/// province) is checked separately against the principal.
public struct PermissionMatrix: Hashable, Codable, Sendable {
    public var version: Int
    public var allowed: [Action: Set<Role>]

    public init(version: Int, allowed: [Action: Set<Role>]) {
        self.version = version
        self.allowed = allowed
    }

    public func permits(_ role: Role, _ action: Action) -> Bool { allowed[action]?.contains(role) ?? false }

    public static let standard: PermissionMatrix = {
        let traders: Set<Role> = [.entityInitiator, .investor, .projectOwner]
        var all = Set(Role.allCases)
        all.remove(.public)
        return PermissionMatrix(version: 6, allowed: [
            .viewPublic: Set(Role.allCases),
            .viewOwnAccount: traders.union([.entityApprover, .pledgee]),
            .tradePlace: traders,
            .tradeTake: traders,
            .tradeCancel: traders,
            .blockQuote: traders,
            .auctionBid: traders,
            .exchangeOperate: [.exchangeOperator],
            .viewSurveillance: [.exchangeOperator, .mee],
            .registryOperate: [.registryOperator],
            .surrender: [.entityInitiator],
            .neutralityCancel: traders,
            .approveTransfer: [.entityApprover],
            .viewProvince: [.province, .city, .mee],
            .transferInitiate: traders,
            .mrvSubmit: [.entityInitiator],
            .mrvView: [.entityInitiator, .entityApprover, .province, .city, .mee],
            .viewCompliance: [.entityInitiator, .entityApprover, .province, .city, .mee, .registryOperator],
            .mrvReport: [.entityInitiator],
            .mrvVerify: [.verifier],
            .mrvReview: [.province],
            .mrvReviewCity: [.city],
            .mrvReviewNational: [.mee],
            .ccerApply: [.projectOwner],
            .ccerValidate: [.validationBody],
            .ccerReview: [.registryOperator],
            .accountReview: [.registryOperator],
            .planManage: [.mee],
            .penaltyRecord: [.province],
            .cycleRun: [.mee],
            .mrvRegister: [.province, .mee],
            .mrvAccreditVerifier: [.mee],
            .ccerRegulate: [.mee],
            .ccerComment: Set(Role.allCases),
            .mrvPolicy: [.mee],
        ])
    }()
}

/// A logged-in user as the rules see it.
public struct Principal: Hashable, Codable, Sendable {
    public var user: String
    public var name: String
    public var role: Role
    /// The registry account a participant acts for.
    public var account: AccountID?
    /// The province of provincial and city staff.
    public var province: String?
    /// The MRV verification body a verifier's staff act for (its `VerifierID` on the MRV platform).
    public var verifier: String?
    /// The CCER validation and verification body a validation body's staff act for (its `ValidationBodyID`).
    public var validationBody: String?
    /// The city of city staff, as the MRV platform names it (`MRVEntity.city`, e.g. 成都).
    public var city: String?

    public init(
        user: String, name: String, role: Role, account: AccountID?, province: String?, verifier: String? = nil, validationBody: String? = nil,
        city: String? = nil
    ) {
        self.validationBody = validationBody
        self.user = user
        self.name = name
        self.role = role
        self.account = account
        self.province = province
        self.verifier = verifier
        self.city = city
    }

    /// Whether the principal may do `action` for `account` (nil: not about one account).
    public func may(_ action: Action, for account: AccountID? = nil, matrix: PermissionMatrix = .standard) -> Bool {
        guard matrix.permits(role, action) else { return false }
        guard let account else { return true }
        switch role {
        case .entityInitiator, .entityApprover, .investor, .projectOwner, .pledgee: return self.account == account
        default: return true
        }
    }
}
