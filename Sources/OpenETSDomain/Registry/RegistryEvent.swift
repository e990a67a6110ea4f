public enum MovementKind: String, Codable, Sendable, CaseIterable {
    case allocation, recall, transfer, surrender, cancellation
    case voluntaryCancellation = "voluntary_cancellation"
    case deduction, settlement
    case pledgeEnforcement = "pledge_enforcement"
}

public enum FundsMovementKind: String, Codable, Sendable {
    case payment
    case fee
}

/// What happened. Events are facts: `RegistryState.evolve` applies them without re-checking
/// rules, so replaying the journal rebuilds the state exactly.
public enum RegistryEvent: Hashable, Codable, Sendable {
    case accountOpened(Account)
    case accountStatusChanged(account: AccountID, status: AccountStatus, reason: String)
    case representativeAdded(account: AccountID, representative: Representative)
    case representativeRemoved(account: AccountID, representative: RepresentativeID)
    case unitTypeDefined(UnitType)
    case unitsIssued(unit: UnitTypeCode, to: AccountID, lot: Lot)
    case unitsMoved(kind: MovementKind, from: AccountID, to: AccountID, unit: UnitTypeCode, lot: Lot)
    case transferInitiated(PendingTransfer)
    case transferDecided(transfer: TransferID, status: TransferStatus, by: RepresentativeID)
    case unitsFrozen(Freeze, lot: Lot)
    /// The freeze's units become available again (released, or about to be enforced).
    case freezeEnded(freeze: FreezeID, status: FreezeStatus, lot: Lot)
    case surrenderRecorded(key: SurrenderKey, quantity: Int64)
    case certificateIssued(CancellationCertificate)
    case fundsDeposited(account: AccountID, amountFen: Int64, bankReference: String)
    case fundsWithdrawn(account: AccountID, amountFen: Int64, bankReference: String)
    case fundsMoved(kind: FundsMovementKind, from: AccountID, to: AccountID, amountFen: Int64, deal: DealID)
    case dealSettled(Settlement)
    /// Units move from free to the lock's tag (units), or funds become locked (funds).
    case locked(TradingLock, lot: Lot)
    /// Part or all of a lock returns to free units or available funds; a lock at zero is gone.
    case unlocked(lock: FreezeID, lot: Lot)
}

public struct Settlement: Hashable, Codable, Sendable {
    public var deal: DealID
    public var seller: AccountID
    public var buyer: AccountID
    public var unit: UnitTypeCode
    public var quantity: Int64
    public var amountFen: Int64
    public var settledAt: Timestamp

    public init(
        deal: DealID, seller: AccountID, buyer: AccountID, unit: UnitTypeCode, quantity: Int64, amountFen: Int64,
        settledAt: Timestamp
    ) {
        self.deal = deal
        self.seller = seller
        self.buyer = buyer
        self.unit = unit
        self.quantity = quantity
        self.amountFen = amountFen
        self.settledAt = settledAt
    }
}

/// One line of the double-entry journal. Every entry's postings sum to zero per asset:
/// issuance is balanced by the `@ISSUANCE` contra account, deposits and withdrawals by `@BANK`.
public struct Posting: Hashable, Codable, Sendable {
    public static let issuanceAccount = "@ISSUANCE"
    public static let bankAccount = "@BANK"
    /// Asset name of settlement funds (fen).
    public static let cashAsset = "CNY_FEN"

    public var account: String
    /// A unit type code, or `CNY_FEN`.
    public var asset: String
    public var amount: Int64

    public init(account: String, asset: String, amount: Int64) {
        self.account = account
        self.asset = asset
        self.amount = amount
    }
}

extension RegistryEvent {
    public var postings: [Posting] {
        switch self {
        case .unitsIssued(let unit, let to, let lot):
            [
                Posting(account: Posting.issuanceAccount, asset: unit.rawValue, amount: -lot.quantity),
                Posting(account: to.rawValue, asset: unit.rawValue, amount: lot.quantity),
            ]
        case .unitsMoved(_, let from, let to, let unit, let lot):
            [
                Posting(account: from.rawValue, asset: unit.rawValue, amount: -lot.quantity),
                Posting(account: to.rawValue, asset: unit.rawValue, amount: lot.quantity),
            ]
        case .fundsDeposited(let account, let amount, _):
            [
                Posting(account: Posting.bankAccount, asset: Posting.cashAsset, amount: -amount),
                Posting(account: account.rawValue, asset: Posting.cashAsset, amount: amount),
            ]
        case .fundsWithdrawn(let account, let amount, _):
            [
                Posting(account: account.rawValue, asset: Posting.cashAsset, amount: -amount),
                Posting(account: Posting.bankAccount, asset: Posting.cashAsset, amount: amount),
            ]
        case .fundsMoved(_, let from, let to, let amount, _):
            [
                Posting(account: from.rawValue, asset: Posting.cashAsset, amount: -amount),
                Posting(account: to.rawValue, asset: Posting.cashAsset, amount: amount),
            ]
        default:
            []
        }
    }

    /// Real accounts whose history shows this event.
    public var accounts: [AccountID] {
        switch self {
        case .accountOpened(let account): [account.id]
        case .accountStatusChanged(let account, _, _), .representativeAdded(let account, _),
            .representativeRemoved(let account, _):
            [account]
        case .unitTypeDefined: []
        case .unitsIssued(_, let to, _): [to]
        case .unitsMoved(_, let from, let to, _, _): [from, to]
        case .transferInitiated(let transfer): [transfer.from, transfer.to]
        case .transferDecided: []
        case .unitsFrozen(let freeze, _): [freeze.account]
        case .freezeEnded: []
        case .surrenderRecorded(let key, _): [key.account]
        case .certificateIssued(let certificate): [certificate.account]
        case .fundsDeposited(let account, _, _), .fundsWithdrawn(let account, _, _): [account]
        case .fundsMoved(_, let from, let to, _, _): [from, to]
        case .dealSettled(let settlement): [settlement.seller, settlement.buyer]
        case .locked(let lock, _): [lock.account]
        case .unlocked: []
        }
    }
}
