/// Everything the registry can be asked to do. Each command is atomic: it yields events, or a
/// `RegistryError` and no change at all. Quantities are whole tonnes; money is integer fen.
public enum RegistryCommand: Hashable, Codable, Sendable {
    // Accounts
    case openAccount(type: AccountType, ownerID: String, ownerName: String, province: String?, representatives: [Representative])
    case setAccountStatus(account: AccountID, status: AccountStatus, reason: String)
    case addRepresentative(account: AccountID, representative: Representative)
    case removeRepresentative(account: AccountID, representative: RepresentativeID)
    // Unit types
    case defineUnitType(
        code: UnitTypeCode, kind: UnitKind, label: String, vintageFrom: Int, vintageTo: Int, projectID: String?,
        issuer: String, serialized: Bool)
    // Units
    /// Creation of new units into the national account (or, for credits, a project owner's account).
    case issue(unit: UnitTypeCode, quantity: Int64, to: AccountID)
    /// National → provincial, or provincial → entity.
    case allocate(from: AccountID, to: AccountID, unit: UnitTypeCode, quantity: Int64)
    /// The reverse of an allocation (true-up): entity → provincial, or provincial → national.
    case recall(from: AccountID, to: AccountID, unit: UnitTypeCode, quantity: Int64)
    /// A direct transfer, for accounts outside four-eyes control.
    case transfer(from: AccountID, to: AccountID, unit: UnitTypeCode, quantity: Int64)
    case initiateTransfer(from: AccountID, to: AccountID, unit: UnitTypeCode, quantity: Int64, initiator: RepresentativeID)
    case approveTransfer(transfer: TransferID, approver: RepresentativeID)
    case rejectTransfer(transfer: TransferID, by: RepresentativeID)
    case freeze(account: AccountID, unit: UnitTypeCode, quantity: Int64, reason: FreezeReason)
    case unfreeze(freeze: FreezeID)
    /// Moves a pledge's frozen units to its pledgee.
    case enforcePledge(freeze: FreezeID)
    /// Entity → its provincial account → the national compliance account, recorded for the year.
    /// Units of a vintage after the year are refused, unless `borrowing` is true: then the unit
    /// must be of the next vintage exactly (year + 1), borrowed from the next allocation where
    /// the plan allows it. `borrowing` nil (the default) encodes nothing, so older commands keep
    /// their bodies and request hashes.
    case surrender(account: AccountID, unit: UnitTypeCode, quantity: Int64, complianceYear: Int, borrowing: Bool? = nil)
    /// MEE cancels units from the national or compliance account.
    case cancel(from: AccountID, unit: UnitTypeCode, quantity: Int64)
    case voluntaryCancel(account: AccountID, unit: UnitTypeCode, quantity: Int64, beneficiary: String, purpose: String)
    /// Penalty: units taken from an entity into the cancellation account.
    case deduct(account: AccountID, unit: UnitTypeCode, quantity: Int64, reason: String)
    // Funds
    case depositFunds(account: AccountID, amountFen: Int64, bankReference: String)
    case withdrawFunds(account: AccountID, amountFen: Int64, bankReference: String)
    /// Delivery versus payment: units seller → buyer, `amountFen` buyer → seller, and the fee
    /// legs, all or nothing. With `sellerLock` the units come from that trading lock; with
    /// `buyerLock` the buyer's payment and fees come from that lock's funds.
    case settle(
        deal: DealID, seller: AccountID, buyer: AccountID, unit: UnitTypeCode, quantity: Int64, amountFen: Int64,
        fees: [FeeLeg], sellerLock: FreezeID? = nil, buyerLock: FreezeID? = nil)
    // Trading locks (the exchange's reservations for open orders)
    /// Reserves free units (tonnes) or available funds (fen) of `account` under the id `lock`.
    case lock(lock: FreezeID, account: AccountID, asset: LockedAsset, quantity: Int64, reference: String)
    /// Returns `quantity` of a lock to the account's free units or available funds.
    case unlock(lock: FreezeID, quantity: Int64)

    /// Stable name used in the journal and in metrics.
    public var kind: String {
        switch self {
        case .openAccount: "open_account"
        case .setAccountStatus: "set_account_status"
        case .addRepresentative: "add_representative"
        case .removeRepresentative: "remove_representative"
        case .defineUnitType: "define_unit_type"
        case .issue: "issue"
        case .allocate: "allocate"
        case .recall: "recall"
        case .transfer: "transfer"
        case .initiateTransfer: "initiate_transfer"
        case .approveTransfer: "approve_transfer"
        case .rejectTransfer: "reject_transfer"
        case .freeze: "freeze"
        case .unfreeze: "unfreeze"
        case .enforcePledge: "enforce_pledge"
        case .surrender: "surrender"
        case .cancel: "cancel"
        case .voluntaryCancel: "voluntary_cancel"
        case .deduct: "deduct"
        case .depositFunds: "deposit_funds"
        case .withdrawFunds: "withdraw_funds"
        case .settle: "settle"
        case .lock: "lock"
        case .unlock: "unlock"
        }
    }
}
