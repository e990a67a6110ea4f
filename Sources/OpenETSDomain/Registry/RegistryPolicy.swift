/// Registry limits and rules that a regulator can change without a release. The application
/// loads the version in force from the `registry_policy` table; these defaults seed version 1.
public struct RegistryPolicy: Hashable, Codable, Sendable {
    /// Largest quantity (t) one command may issue, move, freeze or cancel.
    public var maxQuantityPerCommand: Int64
    /// Largest amount (fen) one command may deposit, withdraw or settle.
    public var maxAmountFenPerCommand: Int64
    public var maxRepresentativesPerAccount: Int
    /// Longest name, reference, beneficiary or purpose text, in characters.
    public var maxTextLength: Int
    public var maxFeeLegsPerSettlement: Int
    /// Most commands the ledger writer commits in one transaction.
    public var maxCommandsPerBatch: Int
    /// Transfers out of these account types need an initiator and a different approver.
    public var fourEyesAccountTypes: [AccountType]

    public init(
        maxQuantityPerCommand: Int64, maxAmountFenPerCommand: Int64, maxRepresentativesPerAccount: Int,
        maxTextLength: Int, maxFeeLegsPerSettlement: Int, maxCommandsPerBatch: Int, fourEyesAccountTypes: [AccountType]
    ) {
        self.maxQuantityPerCommand = maxQuantityPerCommand
        self.maxAmountFenPerCommand = maxAmountFenPerCommand
        self.maxRepresentativesPerAccount = maxRepresentativesPerAccount
        self.maxTextLength = maxTextLength
        self.maxFeeLegsPerSettlement = maxFeeLegsPerSettlement
        self.maxCommandsPerBatch = maxCommandsPerBatch
        self.fourEyesAccountTypes = fourEyesAccountTypes
    }

    /// What makes this policy unusable, one sentence each; empty when it can be published.
    /// Every limit must be at least 1: a batch size of 0 would stall the writer, and a limit of
    /// 0 on quantities, amounts or text would refuse every command.
    public func problems() -> [String] {
        let limits: [(String, Int64)] = [
            ("maxQuantityPerCommand", maxQuantityPerCommand), ("maxAmountFenPerCommand", maxAmountFenPerCommand),
            ("maxRepresentativesPerAccount", Int64(maxRepresentativesPerAccount)), ("maxTextLength", Int64(maxTextLength)),
            ("maxFeeLegsPerSettlement", Int64(maxFeeLegsPerSettlement)), ("maxCommandsPerBatch", Int64(maxCommandsPerBatch)),
        ]
        var problems = limits.filter { $0.1 < 1 }.map { "\($0.0) must be at least 1 (is \($0.1))" }
        if Set(fourEyesAccountTypes).count != fourEyesAccountTypes.count { problems.append("fourEyesAccountTypes lists a type twice") }
        return problems
    }

    public static let defaults = RegistryPolicy(
        maxQuantityPerCommand: 10_000_000_000,
        maxAmountFenPerCommand: 1_000_000_000_000_000,
        maxRepresentativesPerAccount: 20,
        maxTextLength: 200,
        maxFeeLegsPerSettlement: 8,
        maxCommandsPerBatch: 1_000,
        fourEyesAccountTypes: [.entity, .investor]
    )
}
