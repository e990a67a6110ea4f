/// Stable error codes: clients and tests match on `code`, never on the message.
public enum RegistryErrorCode: String, Codable, Sendable, CaseIterable {
    case invalidQuantity = "INVALID_QUANTITY"
    case invalidAmount = "INVALID_AMOUNT"
    case invalidArgument = "INVALID_ARGUMENT"
    case limitExceeded = "LIMIT_EXCEEDED"
    case unknownAccount = "UNKNOWN_ACCOUNT"
    case duplicateAccount = "DUPLICATE_ACCOUNT"
    case unknownUnitType = "UNKNOWN_UNIT_TYPE"
    case duplicateUnitType = "DUPLICATE_UNIT_TYPE"
    case unknownRepresentative = "UNKNOWN_REPRESENTATIVE"
    case duplicateRepresentative = "DUPLICATE_REPRESENTATIVE"
    case unknownTransfer = "UNKNOWN_TRANSFER"
    case unknownFreeze = "UNKNOWN_FREEZE"
    case duplicateDeal = "DUPLICATE_DEAL"
    case sameAccount = "SAME_ACCOUNT"
    case accountTypeNotAllowed = "ACCOUNT_TYPE_NOT_ALLOWED"
    case unitKindNotAllowed = "UNIT_KIND_NOT_ALLOWED"
    case vintageNotEligible = "VINTAGE_NOT_ELIGIBLE"
    /// A borrowing surrender hands in a unit that is not of the next vintage (year + 1) only.
    case borrowingNotNextVintage = "BORROWING_NOT_NEXT_VINTAGE"
    case approvalRequired = "APPROVAL_REQUIRED"
    case selfApproval = "SELF_APPROVAL"
    case notAuthorised = "NOT_AUTHORISED"
    case transferNotPending = "TRANSFER_NOT_PENDING"
    case freezeNotActive = "FREEZE_NOT_ACTIVE"
    case notAPledge = "NOT_A_PLEDGE"
    case accountNotOpen = "ACCOUNT_NOT_OPEN"
    case accountNotEmpty = "ACCOUNT_NOT_EMPTY"
    case insufficientHolding = "INSUFFICIENT_HOLDING"
    case unitsFrozen = "UNITS_FROZEN"
    case insufficientFunds = "INSUFFICIENT_FUNDS"
    case unknownLock = "UNKNOWN_LOCK"
    case duplicateLock = "DUPLICATE_LOCK"
    /// The lock belongs to another account or reserves another asset than the command needs.
    case lockMismatch = "LOCK_MISMATCH"
    /// The lock holds less than the command takes from it.
    case insufficientLocked = "INSUFFICIENT_LOCKED"
    /// Application layer: the idempotency key was used before with a different command.
    case idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
}

public struct RegistryError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: RegistryErrorCode
    public var message: String

    public init(_ code: RegistryErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
