import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

@Suite("Pledges on each database")
struct PledgeTests {
    typealias F = Fixture

    /// The stored state (read back from the database) and the service's state list the same pledges.
    func listed(_ h: Harness, holder: AccountID) async throws -> [Pledge] {
        let stored = try await h.store.loadState().pledges(holder: holder)
        #expect(stored == (await h.service.state.pledges(holder: holder)))
        return stored
    }

    @Test(arguments: Backend.all)
    func pledgeListedFrozenEnforcedReleased(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        // The project owner pledges 1,000 CCERs (serials 1-1,000) to the investor acting as a bank.
        try await h.accept(.freeze(account: F.owner, unit: F.ccer, quantity: 1_000, reason: .pledge(pledgee: F.investor, contract: "PL-2025-1")))
        let active = try await listed(h, holder: F.owner)
        #expect(active == [Pledge(
            freeze: "FRZ-00000001", holder: F.owner, pledgee: F.investor, unit: F.ccer, quantity: 1_000, contract: "PL-2025-1",
            status: .active, createdAt: active.first?.createdAt ?? Timestamp(millisecondsSinceEpoch: 0),
            serials: [SerialRange(first: 1, last: 1_000)])])
        #expect(try await h.store.loadState().pledges(pledgee: F.investor) == active)
        #expect(try await h.store.loadState().pledges(pledgee: F.entityA).isEmpty)

        // The pledged units cannot be transferred (nor surrendered or cancelled): UNITS_FROZEN, nothing changes.
        try await h.reject(.transfer(from: F.owner, to: F.clearing, unit: F.ccer, quantity: 9_001), .unitsFrozen)
        try await h.reject(.voluntaryCancel(account: F.owner, unit: F.ccer, quantity: 10_000, beneficiary: "B", purpose: "P"), .unitsFrozen)
        // The free 9,000 still move.
        try await h.accept(.transfer(from: F.owner, to: F.clearing, unit: F.ccer, quantity: 9_000))

        // Enforcement: exactly the pledged serials go to the pledgee; the pledge is listed as enforced.
        try await h.accept(.enforcePledge(freeze: "FRZ-00000001"))
        #expect(await h.holding(F.investor, F.ccer).blocks == [HeldBlock(first: 1, quantity: 1_000, freeze: nil)])
        #expect(await h.holding(F.owner, F.ccer).total == 0)
        #expect(try await listed(h, holder: F.owner).map(\.status) == [.enforced])
        #expect(try await h.store.loadState().pledges(pledgee: F.investor).map(\.status) == [.enforced])
        try await h.reject(.unfreeze(freeze: "FRZ-00000001"), .freezeNotActive)

        // A second pledge (entity A's allowances to the investor), released: listed as released.
        try await h.accept(.freeze(account: F.entityA, unit: F.cea23, quantity: 5_000, reason: .pledge(pledgee: F.investor, contract: "PL-2025-2")))
        try await h.accept(.unfreeze(freeze: "FRZ-00000002"))
        #expect(try await listed(h, holder: F.entityA).map(\.status) == [.released])
        #expect(await h.holding(F.entityA, F.cea23).available == 100_000)
        let bank = try await h.store.loadState().pledges(pledgee: F.investor)
        #expect(bank.map(\.contract) == ["PL-2025-1", "PL-2025-2"] && bank.map(\.status) == [.enforced, .released])
        try await h.reject(.enforcePledge(freeze: "FRZ-00000002"), .freezeNotActive)

        let state = try await h.store.loadState()
        #expect(state.invariantViolations() == [])
        let report = try await LedgerVerifier(store: h.store).verify()
        #expect(report.ok, "\(report.problems)")
        try await h.close()
    }
}
