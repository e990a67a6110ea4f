/// The kinds of registry account. Singleton kinds (national, compliance, cancellation,
/// voluntary cancellation) have well-known numbers; provincial accounts are one per province;
/// the rest are numbered by the registry as they open (`ENT-000001`, `INV-000001`, ...).
public enum AccountType: String, Codable, Sendable, CaseIterable {
    /// MEE's national allowance account: issuance lands here; allocation starts here.
    case national
    /// A provincial EEB's account: allocation and surrender pass through it.
    case provincial
    /// A key emitting entity's holding account.
    case entity
    case investor
    /// A natural person's holding account. An individual trades on the exchange only the unit
    /// kinds its policy opens to individuals (`ExchangePolicy.individualUnitKinds`); it takes
    /// no part in pledges or four-eyes transfers between companies.
    case individual
    case projectOwner = "project_owner"
    /// The exchange's clearing account: fees and the risk reserve fund.
    case exchangeClearing = "exchange_clearing"
    /// The national compliance account: surrendered units wait here for cancellation.
    case compliance
    /// Retirement: units cancelled by MEE or deducted as a penalty.
    case cancellation
    /// Retirement: units cancelled voluntarily (carbon neutrality), each with a certificate.
    case voluntaryCancellation = "voluntary_cancellation"

    /// Units that reach these accounts never leave: they count as cancelled.
    public var isRetirement: Bool { self == .cancellation || self == .voluntaryCancellation }

    /// Accounts that are one per registry, with a fixed number.
    public var singletonID: AccountID? {
        switch self {
        case .national: "CN-NATIONAL"
        case .compliance: "CN-COMPLIANCE"
        case .cancellation: "CN-CANCELLATION"
        case .voluntaryCancellation: "CN-VOLUNTARY-CANCELLATION"
        default: nil
        }
    }

    /// Prefix of registry-assigned numbers for the numbered kinds.
    var numberPrefix: String? {
        switch self {
        case .entity: "ENT"
        case .investor: "INV"
        case .individual: "IND"
        case .projectOwner: "OWN"
        case .exchangeClearing: "EXC"
        default: nil
        }
    }

    /// Accounts that hold settlement funds (fen) beside units. The national and provincial
    /// accounts receive the proceeds of paid allocation and withdraw them to the treasury.
    public var holdsFunds: Bool {
        switch self {
        case .entity, .investor, .individual, .projectOwner, .exchangeClearing, .national, .provincial: true
        default: false
        }
    }

    /// Accounts that participants hold and transfer between.
    public static let participantHoldings: [AccountType] = [.entity, .investor, .projectOwner, .exchangeClearing]
    /// Participants' holdings owned by legal persons: they pledge, trade and cancel voluntarily.
    public static let legalPersonHoldings: [AccountType] = [.entity, .investor, .projectOwner]
    /// Accounts that buy and sell on the exchange (settle deals, lock units and funds) and
    /// cancel voluntarily: the legal persons' holdings and individuals. Which unit kinds an
    /// individual may trade is the exchange's policy, checked there.
    public static let exchangeTraders: [AccountType] = legalPersonHoldings + [.individual]
    /// The regulator's allowance accounts: they sell allowances for paid allocation through
    /// the exchange's one-way auction (units only: they lock units and receive the proceeds).
    public static let paidAllocationSellers: [AccountType] = [.national, .provincial]
}

extension AccountID {
    public static func provincial(_ province: String) -> AccountID { AccountID("CN-PROVINCE-\(province)") }
}

public enum AccountStatus: String, Codable, Sendable, CaseIterable {
    case open
    /// No units or funds leave; units may still arrive (allocation, recall target).
    case blocked
    /// Nothing moves in or out. Only an empty account can close.
    case closed
}

public enum RepresentativeRole: String, Codable, Sendable, CaseIterable {
    case initiator
    case approver
}

public struct Representative: Hashable, Codable, Sendable {
    public var id: RepresentativeID
    public var name: String
    public var role: RepresentativeRole

    public init(id: RepresentativeID, name: String, role: RepresentativeRole) {
        self.id = id
        self.name = name
        self.role = role
    }
}

public struct Account: Hashable, Codable, Sendable {
    public var id: AccountID
    public var type: AccountType
    /// The owner's identifier: unified social credit code, institution code or ID document number.
    public var ownerID: String
    public var ownerName: String
    /// Two-letter province code (e.g. "SC", "GD") for provincial and entity accounts.
    public var province: String?
    public var status: AccountStatus
    public var representatives: [Representative]
    public var openedAt: Timestamp

    public init(
        id: AccountID, type: AccountType, ownerID: String, ownerName: String, province: String?,
        status: AccountStatus, representatives: [Representative], openedAt: Timestamp
    ) {
        self.id = id
        self.type = type
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.province = province
        self.status = status
        self.representatives = representatives
        self.openedAt = openedAt
    }

    public func representative(_ id: RepresentativeID) -> Representative? {
        representatives.first { $0.id == id }
    }
}
