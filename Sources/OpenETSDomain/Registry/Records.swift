/// Why units are frozen. A pledge names its pledgee, who may enforce it.
public enum FreezeReason: Hashable, Codable, Sendable {
    case pledge(pledgee: AccountID, contract: String)
    case judicial(order: String)
    case administrative(decision: String)

    public var kind: String {
        switch self {
        case .pledge: "pledge"
        case .judicial: "judicial"
        case .administrative: "administrative"
        }
    }

    public var pledgee: AccountID? {
        if case .pledge(let pledgee, _) = self { return pledgee }
        return nil
    }

    public var reference: String {
        switch self {
        case .pledge(_, let contract): contract
        case .judicial(let order): order
        case .administrative(let decision): decision
        }
    }
}

public enum FreezeStatus: String, Codable, Sendable {
    case active
    case released
    /// A pledge whose units went to the pledgee.
    case enforced
}

public struct Freeze: Hashable, Codable, Sendable {
    public var id: FreezeID
    public var account: AccountID
    public var unit: UnitTypeCode
    public var quantity: Int64
    public var reason: FreezeReason
    public var status: FreezeStatus
    public var createdAt: Timestamp

    public init(
        id: FreezeID, account: AccountID, unit: UnitTypeCode, quantity: Int64, reason: FreezeReason,
        status: FreezeStatus, createdAt: Timestamp
    ) {
        self.id = id
        self.account = account
        self.unit = unit
        self.quantity = quantity
        self.reason = reason
        self.status = status
        self.createdAt = createdAt
    }
}

public enum TransferStatus: String, Codable, Sendable {
    case pending
    case executed
    case rejected
}

/// A four-eyes transfer: initiated by one representative, executed when another approves.
public struct PendingTransfer: Hashable, Codable, Sendable {
    public var id: TransferID
    public var from: AccountID
    public var to: AccountID
    public var unit: UnitTypeCode
    public var quantity: Int64
    public var initiator: RepresentativeID
    public var status: TransferStatus
    /// The approver (executed) or the representative who rejected it.
    public var decidedBy: RepresentativeID?
    public var initiatedAt: Timestamp

    public init(
        id: TransferID, from: AccountID, to: AccountID, unit: UnitTypeCode, quantity: Int64,
        initiator: RepresentativeID, status: TransferStatus, decidedBy: RepresentativeID?, initiatedAt: Timestamp
    ) {
        self.id = id
        self.from = from
        self.to = to
        self.unit = unit
        self.quantity = quantity
        self.initiator = initiator
        self.status = status
        self.decidedBy = decidedBy
        self.initiatedAt = initiatedAt
    }
}

/// The public record of a voluntary cancellation (carbon neutrality).
public struct CancellationCertificate: Hashable, Codable, Sendable {
    public var number: CertificateNumber
    public var account: AccountID
    public var unit: UnitTypeCode
    public var lot: Lot
    public var beneficiary: String
    public var purpose: String
    public var issuedAt: Timestamp

    public init(
        number: CertificateNumber, account: AccountID, unit: UnitTypeCode, lot: Lot, beneficiary: String,
        purpose: String, issuedAt: Timestamp
    ) {
        self.number = number
        self.account = account
        self.unit = unit
        self.lot = lot
        self.beneficiary = beneficiary
        self.purpose = purpose
        self.issuedAt = issuedAt
    }
}

/// Units surrendered by one entity for one compliance year, per unit type.
public struct SurrenderKey: Hashable, Codable, Sendable, Comparable {
    public var account: AccountID
    public var complianceYear: Int
    public var unit: UnitTypeCode

    public init(account: AccountID, complianceYear: Int, unit: UnitTypeCode) {
        self.account = account
        self.complianceYear = complianceYear
        self.unit = unit
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.account, lhs.complianceYear, lhs.unit) < (rhs.account, rhs.complianceYear, rhs.unit)
    }
}

/// A fee leg of a settlement: the payer pays the fee account (exchange clearing).
public struct FeeLeg: Hashable, Codable, Sendable {
    public var payer: AccountID
    public var payee: AccountID
    public var amountFen: Int64

    public init(payer: AccountID, payee: AccountID, amountFen: Int64) {
        self.payer = payer
        self.payee = payee
        self.amountFen = amountFen
    }
}

/// What a trading lock reserves: units of one type, or settlement funds (fen).
public enum LockedAsset: Hashable, Codable, Sendable {
    case units(UnitTypeCode)
    case funds

    public var unit: UnitTypeCode? {
        if case .units(let code) = self { return code }
        return nil
    }
}

/// A reservation made by the exchange for an open order: the seller's units or the buyer's
/// funds, unusable for anything but that order until unlocked or consumed by its settlement.
///
/// Only live locks are kept: a lock whose quantity reaches zero is removed. Locked units are
/// the holding blocks tagged with the lock's id; locked funds are counted in
/// `RegistryState.lockedFen`. The caller (the exchange) names the lock, so that its own state
/// and the registry agree on ids without a round trip.
public struct TradingLock: Hashable, Codable, Sendable {
    public var id: FreezeID
    public var account: AccountID
    public var asset: LockedAsset
    /// Remaining tonnes (units) or fen (funds).
    public var quantity: Int64
    /// The exchange's reference, e.g. the order id.
    public var reference: String
    public var createdAt: Timestamp

    public init(id: FreezeID, account: AccountID, asset: LockedAsset, quantity: Int64, reference: String, createdAt: Timestamp) {
        self.id = id
        self.account = account
        self.asset = asset
        self.quantity = quantity
        self.reference = reference
        self.createdAt = createdAt
    }
}
