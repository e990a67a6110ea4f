import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

@Suite("Registry flows on each database")
struct RegistryFlowTests {
    typealias F = Fixture

    @Test(arguments: Backend.all)
    func serialBlocksSplitAndNeverDuplicate(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        // The owner holds serials 1-10000. A partial transfer splits the block, lowest first.
        try await h.accept(.transfer(from: F.owner, to: F.clearing, unit: F.ccer, quantity: 2_500))
        #expect(await h.holding(F.clearing, F.ccer).blocks.map(\.serials) == [SerialRange(first: 1, last: 2_500)])
        #expect(await h.holding(F.owner, F.ccer).blocks.map(\.serials) == [SerialRange(first: 2_501, last: 10_000)])
        // Freezing part of the owner's block splits it again; frozen serials keep their place.
        try await h.accept(.freeze(account: F.owner, unit: F.ccer, quantity: 1_000, reason: .pledge(pledgee: F.investor, contract: "PL-1")))
        let owner = await h.holding(F.owner, F.ccer)
        #expect(owner.blocks == [
            HeldBlock(first: 2_501, quantity: 1_000, freeze: "FRZ-00000001"),
            HeldBlock(first: 3_501, quantity: 6_500, freeze: nil),
        ])
        // Coming back, serials merge with their neighbours.
        try await h.accept(.transfer(from: F.clearing, to: F.owner, unit: F.ccer, quantity: 2_500))
        #expect(await h.holding(F.owner, F.ccer).blocks.first == HeldBlock(first: 1, quantity: 2_500, freeze: nil))
        // Enforcement moves exactly the pledged serials to the pledgee.
        try await h.accept(.enforcePledge(freeze: "FRZ-00000001"))
        #expect(await h.holding(F.investor, F.ccer).blocks == [HeldBlock(first: 2_501, quantity: 1_000, freeze: nil)])
        #expect(await h.service.state.freezes["FRZ-00000001"]?.status == .enforced)
        // Voluntary cancellation: a certificate naming the serials.
        let receipt = try await h.accept(.voluntaryCancel(account: F.investor, unit: F.ccer, quantity: 400, beneficiary: "成都马拉松", purpose: "碳中和"))
        guard case .certificateIssued(let certificate) = receipt.events.last else { throw TestSetupError("no certificate") }
        #expect(certificate.number == "VC-00000001")
        #expect(certificate.lot.serials == [SerialRange(first: 2_501, last: 2_900)])
        let state = try await h.store.loadState()
        #expect(state.invariantViolations() == [])
        #expect(state == (await h.service.state))
        let report = try await LedgerVerifier(store: h.store).verify()
        #expect(report.ok, "\(report.problems)")
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func surrenderGoesThroughTheProvinceToCompliance(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let receipt = try await h.accept(.surrender(account: F.entityA, unit: F.cea23, quantity: 70_000, complianceYear: 2023))
        #expect(receipt.events == [
            .unitsMoved(kind: .surrender, from: F.entityA, to: F.sichuan, unit: F.cea23, lot: Lot(quantity: 70_000, serials: [])),
            .unitsMoved(kind: .surrender, from: F.sichuan, to: F.compliance, unit: F.cea23, lot: Lot(quantity: 70_000, serials: [])),
            .surrenderRecorded(key: SurrenderKey(account: F.entityA, complianceYear: 2023, unit: F.cea23), quantity: 70_000),
        ])
        try await h.accept(.cancel(from: F.compliance, unit: F.cea23, quantity: 70_000))
        let state = try await h.store.loadState()
        #expect(state.surrendered[SurrenderKey(account: F.entityA, complianceYear: 2023, unit: F.cea23)] == 70_000)
        #expect(state.supply().first { $0.unit == F.cea23 } == UnitSupply(unit: F.cea23, issued: 1_000_000, cancelled: 70_000, held: 930_000))
        #expect(state.holding(F.sichuan, F.cea23).total == 300_000, "the province passes units through")
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func retriesReturnTheFirstResultEvenAfterRestart(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let request = CommandRequest(idempotencyKey: "retry-me", command: .allocate(from: F.sichuan, to: F.entityB, unit: F.cea24, quantity: 7))
        let first = try #require(try await h.service.execute(request).receipt)
        #expect(!first.replayed)
        let second = try #require(try await h.service.execute(request).receipt)
        #expect(second.replayed && second.seq == first.seq && second.events == first.events)
        // Within one batch, and after reopening the store, the same.
        let batch = try await h.service.submit([request, request])
        #expect(batch.allSatisfy { $0.receipt?.seq == first.seq && $0.receipt?.replayed == true })
        try await h.close()
        let reopened = try await Harness.open(h.location)
        let third = try #require(try await reopened.service.execute(request).receipt)
        #expect(third.replayed && third.seq == first.seq && third.events == first.events)
        #expect(await reopened.holding(F.entityB, F.cea24).total == 7)
        try await reopened.close()
    }

    @Test(arguments: Backend.all)
    func aBatchCommitsAcceptedCommandsAndSkipsRejectedOnes(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        let head = try await h.store.head()
        let outcomes = try await h.service.submit([
            CommandRequest(idempotencyKey: "b1", command: .allocate(from: F.sichuan, to: F.entityB, unit: F.cea24, quantity: 10)),
            CommandRequest(idempotencyKey: "b2", command: .allocate(from: F.sichuan, to: F.entityB, unit: F.cea24, quantity: 0)),
            CommandRequest(idempotencyKey: "b3", command: .recall(from: F.entityB, to: F.sichuan, unit: F.cea24, quantity: 11)),
            CommandRequest(idempotencyKey: "b4", command: .recall(from: F.entityB, to: F.sichuan, unit: F.cea24, quantity: 10)),
        ])
        #expect(outcomes.map { $0.error?.code } == [nil, .invalidQuantity, .insufficientHolding, nil])
        #expect(try await h.store.head().seq == head.seq + 2)
        #expect(try await LedgerVerifier(store: h.store).verify().ok)
        try await h.close()
    }
}

@Suite("Demo market")
struct DemoMarketTests {
    @Test func legalPersonsHaveValidCreditCodesAndTheDemoIsIdempotent() async throws {
        let h = try await Harness.open(.sqlite)
        let first = try await DemoMarket.seed(h.service)
        let second = try await DemoMarket.seed(h.service)
        #expect(first.journalEntries == second.journalEntries, "a second run replays, it adds nothing")
        let state = await h.service.state
        let legalPersons = state.accounts.values.filter { [.entity, .investor, .projectOwner].contains($0.type) }
        #expect(legalPersons.count == 7)
        for account in legalPersons {
            #expect(UnifiedSocialCreditCode(account.ownerID) != nil, "\(account.id) \(account.ownerID)")
        }
        #expect(try await LedgerVerifier(store: h.store).verify().ok)
        try await h.close()
    }
}

@Suite("Store locations")
struct StoreLocationTests {
    @Test func aSchemaNameThatIsNotAPlainIdentifierIsRejectedBeforeConnecting() async {
        for schema in ["x\"; DROP SCHEMA public CASCADE; --", "1abc", "", "a b"] {
            await #expect(throws: (any Error).self) {
                _ = try await Composition.openStore(.postgres(url: "postgres://nobody@127.0.0.1:1/none", schema: schema))
            }
            do {
                _ = try await Composition.openStore(.postgres(url: "postgres://nobody@127.0.0.1:1/none", schema: schema))
            } catch {
                #expect(String(describing: error).contains("schema"), "\(error)")
            }
        }
    }
}
