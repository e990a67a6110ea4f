import OpenETSApplication
import OpenETSDomain
import Testing

/// Every rejected command names its error code and changes nothing: not the stored
/// projection, not the in-memory state, not the journal.
@Suite("Bad input is rejected with a stable code and changes nothing")
struct BadInputTests {
    typealias F = Fixture

    @Test(arguments: Backend.all)
    func unknownAccountAndUnitType(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        try await h.reject(.allocate(from: F.sichuan, to: "ENT-999999", unit: F.cea23, quantity: 1), .unknownAccount)
        try await h.reject(.allocate(from: "NOPE", to: F.entityA, unit: F.cea23, quantity: 1), .unknownAccount)
        try await h.reject(.allocate(from: F.sichuan, to: F.entityA, unit: "CEA99", quantity: 1), .unknownUnitType)
        try await h.reject(.depositFunds(account: "INV-000404", amountFen: 100, bankReference: "x"), .unknownAccount)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func insufficientHoldingAndFunds(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        try await h.reject(.allocate(from: F.sichuan, to: F.entityA, unit: F.cea23, quantity: 300_001), .insufficientHolding)
        try await h.reject(.surrender(account: F.entityB, unit: F.cea23, quantity: 100_001, complianceYear: 2023), .insufficientHolding)
        try await h.reject(.withdrawFunds(account: F.investor, amountFen: 5_000_000_01, bankReference: "W"), .insufficientFunds)
        // DvP: the buyer cannot pay, so neither units nor funds move.
        try await h.reject(
            .settle(deal: "D1", seller: F.entityB, buyer: F.investor, unit: F.cea23, quantity: 10_000, amountFen: 5_000_000_01, fees: []),
            .insufficientFunds)
        // The buyer can pay the price but not the fee on top.
        try await h.reject(
            .settle(deal: "D2", seller: F.entityB, buyer: F.investor, unit: F.cea23, quantity: 10_000, amountFen: 5_000_000_00,
                    fees: [FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 1)]),
            .insufficientFunds)
        // The seller lacks the units: the payment does not happen either.
        try await h.reject(
            .settle(deal: "D3", seller: F.entityB, buyer: F.investor, unit: F.cea24, quantity: 1, amountFen: 100, fees: []),
            .insufficientHolding)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func frozenUnits(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        try await h.accept(.freeze(account: F.entityA, unit: F.cea23, quantity: 60_000, reason: .judicial(order: "(2025) 川01执123号")))
        try await h.reject(.surrender(account: F.entityA, unit: F.cea23, quantity: 40_001, complianceYear: 2023), .unitsFrozen)
        try await h.reject(.recall(from: F.entityA, to: F.sichuan, unit: F.cea23, quantity: 50_000), .unitsFrozen)
        try await h.reject(.deduct(account: F.entityA, unit: F.cea23, quantity: 40_001, reason: "penalty"), .unitsFrozen)
        // 40,000 are still free.
        try await h.accept(.surrender(account: F.entityA, unit: F.cea23, quantity: 40_000, complianceYear: 2023))
        try await h.reject(.enforcePledge(freeze: "FRZ-00000001"), .notAPledge)
        try await h.reject(.unfreeze(freeze: "FRZ-00000009"), .unknownFreeze)
        try await h.accept(.unfreeze(freeze: "FRZ-00000001"))
        try await h.reject(.unfreeze(freeze: "FRZ-00000001"), .freezeNotActive)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func wrongVintage(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        // CEA24 cannot cover 2023 emissions.
        try await h.reject(.surrender(account: F.entityA, unit: F.cea24, quantity: 1, complianceYear: 2023), .vintageNotEligible)
        try await h.accept(.surrender(account: F.entityA, unit: F.cea24, quantity: 1, complianceYear: 2024))
        try await h.close()
    }

    /// A borrowing surrender takes an allowance of year + 1 exactly; without `borrowing` (nil
    /// or false) year + 1 stays refused as before.
    @Test(arguments: Backend.all)
    func borrowingOnlyFromTheNextVintage(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        try await h.reject(.surrender(account: F.entityA, unit: F.cea24, quantity: 1, complianceYear: 2022, borrowing: true), .borrowingNotNextVintage)
        try await h.reject(.surrender(account: F.entityA, unit: F.cea23, quantity: 1, complianceYear: 2023, borrowing: true), .borrowingNotNextVintage)
        try await h.reject(.surrender(account: F.entityA, unit: F.ccer, quantity: 1, complianceYear: 2023, borrowing: true), .borrowingNotNextVintage)
        try await h.reject(.surrender(account: F.entityA, unit: F.cea24, quantity: 1, complianceYear: 2023, borrowing: false), .vintageNotEligible)
        try await h.reject(.surrender(account: F.entityA, unit: F.cea24, quantity: 1, complianceYear: 2023), .vintageNotEligible)
        try await h.reject(.surrender(account: F.entityA, unit: F.cea24, quantity: 50_001, complianceYear: 2023, borrowing: true), .insufficientHolding)
        try await h.accept(.surrender(account: F.entityA, unit: F.cea24, quantity: 1_000, complianceYear: 2023, borrowing: true))
        #expect(await h.service.state.surrendered[SurrenderKey(account: F.entityA, complianceYear: 2023, unit: F.cea24)] == 1_000)
        #expect(try await h.store.loadState().surrendered[SurrenderKey(account: F.entityA, complianceYear: 2023, unit: F.cea24)] == 1_000)
        #expect(await h.holding(F.entityA, F.cea24).total == 49_000)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func zeroNegativeAndOverLimit(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let policy = await h.service.policy
        for quantity: Int64 in [0, -1, .min] {
            try await h.reject(.allocate(from: F.sichuan, to: F.entityA, unit: F.cea23, quantity: quantity), .invalidQuantity)
            try await h.reject(.issue(unit: F.cea23, quantity: quantity, to: F.national), .invalidQuantity)
        }
        try await h.reject(.depositFunds(account: F.entityA, amountFen: 0, bankReference: "x"), .invalidAmount)
        try await h.reject(.depositFunds(account: F.entityA, amountFen: -5, bankReference: "x"), .invalidAmount)
        try await h.reject(.issue(unit: F.cea23, quantity: policy.maxQuantityPerCommand + 1, to: F.national), .limitExceeded)
        try await h.reject(
            .depositFunds(account: F.entityA, amountFen: policy.maxAmountFenPerCommand + 1, bankReference: "x"), .limitExceeded)
        try await h.reject(
            .voluntaryCancel(account: F.owner, unit: F.ccer, quantity: 1, beneficiary: String(repeating: "碳", count: policy.maxTextLength + 1), purpose: "p"),
            .limitExceeded)
        let tooManyFees = (0...policy.maxFeeLegsPerSettlement).map { _ in FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 1) }
        try await h.reject(
            .settle(deal: "D9", seller: F.entityA, buyer: F.investor, unit: F.cea23, quantity: 1, amountFen: 100, fees: tooManyFees),
            .limitExceeded)
        let tooManyReps = (0...policy.maxRepresentativesPerAccount).map {
            Representative(id: RepresentativeID("R\($0)"), name: "rep", role: .initiator)
        }
        try await h.reject(.openAccount(type: .investor, ownerID: "X", ownerName: "X", province: nil, representatives: tooManyReps), .limitExceeded)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func fourEyes(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        // Missing approval: a direct transfer out of an entity account.
        try await h.reject(.transfer(from: F.entityA, to: F.investor, unit: F.cea23, quantity: 10), .approvalRequired)
        // Only initiators initiate; only approvers approve; never one's own.
        try await h.reject(.initiateTransfer(from: F.entityA, to: F.investor, unit: F.cea23, quantity: 10, initiator: "A-A"), .notAuthorised)
        try await h.reject(.initiateTransfer(from: F.entityA, to: F.investor, unit: F.cea23, quantity: 10, initiator: "B-I"), .notAuthorised)
        let initiated = try await h.accept(.initiateTransfer(from: F.entityA, to: F.investor, unit: F.cea23, quantity: 10, initiator: "A-I"))
        guard case .transferInitiated(let pending) = initiated.events.first else { throw TestSetupError("no transfer") }
        #expect(await h.holding(F.investor, F.cea23).total == 0, "nothing moves before approval")
        try await h.reject(.approveTransfer(transfer: pending.id, approver: "A-I"), .selfApproval)
        try await h.reject(.approveTransfer(transfer: pending.id, approver: "B-A"), .notAuthorised)
        try await h.reject(.approveTransfer(transfer: "TRF-99999999", approver: "A-A"), .unknownTransfer)
        try await h.accept(.approveTransfer(transfer: pending.id, approver: "A-A"))
        #expect(await h.holding(F.investor, F.cea23).total == 10)
        try await h.reject(.approveTransfer(transfer: pending.id, approver: "A-A"), .transferNotPending)
        try await h.reject(.rejectTransfer(transfer: pending.id, by: "A-A"), .transferNotPending)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func replayedIdempotencyKeyWithDifferentBody(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let first = CommandRequest(idempotencyKey: "same-key", command: .depositFunds(account: F.entityA, amountFen: 100, bankReference: "R1"))
        #expect(try await h.service.execute(first).receipt != nil)
        let stateBefore = try await h.store.loadState()
        let headBefore = try await h.store.head()
        let other = CommandRequest(idempotencyKey: "same-key", command: .depositFunds(account: F.entityA, amountFen: 101, bankReference: "R1"))
        #expect(try await h.service.execute(other).error?.code == .idempotencyKeyReused)
        #expect(try await h.store.loadState() == stateBefore)
        #expect(try await h.store.head() == headBefore)
        // An empty key, or one past the limit, is rejected too.
        let empty = CommandRequest(idempotencyKey: "", command: first.command)
        #expect(try await h.service.execute(empty).error?.code == .invalidArgument)
        let long = CommandRequest(idempotencyKey: String(repeating: "k", count: CommandRequest.maxIdempotencyKeyLength + 1), command: first.command)
        #expect(try await h.service.execute(long).error?.code == .invalidArgument)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func accountRulesAndStatus(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        try await h.reject(.allocate(from: F.national, to: F.entityA, unit: F.cea23, quantity: 1), .accountTypeNotAllowed)
        try await h.reject(.allocate(from: F.sichuan, to: F.sichuan, unit: F.cea23, quantity: 1), .sameAccount)
        try await h.reject(.allocate(from: F.national, to: F.sichuan, unit: F.ccer, quantity: 1), .unitKindNotAllowed)
        try await h.reject(.issue(unit: F.cea23, quantity: 1, to: F.owner), .accountTypeNotAllowed)
        try await h.reject(.cancel(from: F.entityA, unit: F.cea23, quantity: 1), .accountTypeNotAllowed)
        try await h.reject(.depositFunds(account: F.compliance, amountFen: 1, bankReference: "x"), .accountTypeNotAllowed)
        try await h.reject(.openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []), .duplicateAccount)
        try await h.reject(.openAccount(type: .entity, ownerID: "U", ownerName: "E", province: "sichuan", representatives: []), .invalidArgument)
        try await h.reject(.openAccount(type: .entity, ownerID: "U", ownerName: "E", province: nil, representatives: []), .invalidArgument)
        try await h.reject(.openAccount(type: .entity, ownerID: "  ", ownerName: "E", province: "SC", representatives: []), .invalidArgument)
        try await h.reject(.defineUnitType(code: F.cea23, kind: .allowance, label: "CEA", vintageFrom: 2023, vintageTo: 2023, projectID: nil, issuer: "CN", serialized: false), .duplicateUnitType)
        try await h.reject(.defineUnitType(code: "cea25", kind: .allowance, label: "CEA", vintageFrom: 2025, vintageTo: 2025, projectID: nil, issuer: "CN", serialized: false), .invalidArgument)
        try await h.reject(.defineUnitType(code: "CCER-X", kind: .ccer, label: "CCER", vintageFrom: 2025, vintageTo: 2025, projectID: nil, issuer: "CN", serialized: true), .invalidArgument)
        try await h.reject(.addRepresentative(account: F.entityA, representative: Representative(id: "A-I", name: "again", role: .approver)), .duplicateRepresentative)
        // A representative id is unique across accounts: entity A's approver id may not appear
        // on another account (it would approve that account's transfers).
        try await h.reject(.addRepresentative(account: F.entityB, representative: Representative(id: "A-A", name: "twin", role: .approver)), .duplicateRepresentative)
        try await h.reject(
            .openAccount(type: .entity, ownerID: "USCC-T", ownerName: "Twin", province: "SC", representatives: [Representative(id: "A-A", name: "twin", role: .approver)]),
            .duplicateRepresentative)
        try await h.reject(.removeRepresentative(account: F.entityA, representative: "Z-Z"), .unknownRepresentative)
        // Blocked: nothing leaves, allocation still arrives; closed: only when empty, and for good.
        try await h.accept(.setAccountStatus(account: F.entityB, status: .blocked, reason: "investigation"))
        try await h.reject(.surrender(account: F.entityB, unit: F.cea23, quantity: 1, complianceYear: 2023), .accountNotOpen)
        try await h.accept(.allocate(from: F.sichuan, to: F.entityB, unit: F.cea24, quantity: 5))
        try await h.reject(.setAccountStatus(account: F.entityB, status: .closed, reason: "merger"), .accountNotEmpty)
        try await h.reject(.setAccountStatus(account: F.entityB, status: .blocked, reason: "again"), .invalidArgument)
        try await h.accept(.setAccountStatus(account: F.clearing, status: .closed, reason: "replaced"))
        try await h.reject(.setAccountStatus(account: F.clearing, status: .open, reason: "reopen"), .accountNotOpen)
        try await h.reject(
            .settle(deal: "D5", seller: F.entityA, buyer: F.investor, unit: F.cea23, quantity: 1, amountFen: 100, fees: [FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 1)]),
            .accountNotOpen)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func duplicateDeal(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let settle = RegistryCommand.settle(deal: "DEAL-1", seller: F.entityA, buyer: F.investor, unit: F.cea23, quantity: 100, amountFen: 9_749_00, fees: [FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 487)])
        try await h.accept(settle)
        #expect(await h.holding(F.investor, F.cea23).total == 100)
        #expect(await h.service.state.cash(F.investor) == 5_000_000_00 - 9_749_00 - 487)
        #expect(await h.service.state.cash(F.entityA) == 10_000_000_00 + 9_749_00)
        #expect(await h.service.state.cash(F.clearing) == 487)
        try await h.reject(settle, .duplicateDeal)
        try await h.close()
    }

    /// A registry policy with a limit below 1 is refused at publication and nothing is stored
    /// (a batch size of 0 would stall the writer).
    @Test(arguments: Backend.all)
    func unusablePolicyIsNotPublished(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let before = try await h.store.policy()
        var policy = before
        policy.maxCommandsPerBatch = 0
        policy.maxTextLength = -5
        #expect(policy.problems().count == 2, "\(policy.problems())")
        await #expect(throws: PolicyRejected.self) { _ = try await h.store.publishPolicy(policy, effectiveFrom: "2025-01-01", note: "bad") }
        #expect(try await h.store.policy() == before)
        policy = before
        policy.fourEyesAccountTypes = [.entity, .entity]
        #expect(policy.problems() == ["fourEyesAccountTypes lists a type twice"])
        #expect(RegistryPolicy.defaults.problems().isEmpty)
        try await h.close()
    }
}
