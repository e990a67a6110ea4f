import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

@Suite("Trading locks on each database")
struct TradingLockTests {
    typealias F = Fixture

    @Test(arguments: Backend.all)
    func locksReserveSettleFromAndSurviveAReload(_ backend: Backend) async throws {
        let h = try await F.open(backend)
        // The owner offers 3,000 CCER serials; the investor bids with 1,000,000 fen.
        try await h.accept(.lock(lock: "LK-1", account: F.owner, asset: .units(F.ccer), quantity: 3_000, reference: "order 1"))
        try await h.accept(.lock(lock: "LK-2", account: F.investor, asset: .funds, quantity: 1_000_000, reference: "order 2"))
        #expect(await h.holding(F.owner, F.ccer).available == 7_000)
        // Locked units and funds cannot leave another way.
        try await h.reject(.transfer(from: F.owner, to: F.clearing, unit: F.ccer, quantity: 7_001), .unitsFrozen)
        try await h.reject(.withdrawFunds(account: F.investor, amountFen: 499_000_001, bankReference: "W"), .insufficientFunds)
        try await h.reject(.lock(lock: "LK-1", account: F.owner, asset: .units(F.ccer), quantity: 1, reference: "again"), .duplicateLock)
        try await h.reject(.lock(lock: "FRZ-9", account: F.owner, asset: .units(F.ccer), quantity: 1, reference: "x"), .invalidArgument)
        try await h.reject(.unlock(lock: "LK-9", quantity: 1), .unknownLock)
        try await h.reject(.unlock(lock: "LK-1", quantity: 3_001), .insufficientLocked)
        // A deal settles from both locks: the lowest locked serials move.
        try await h.reject(
            .settle(deal: "D-1", seller: F.owner, buyer: F.investor, unit: F.ccer, quantity: 1_000, amountFen: 300_000, fees: [],
                    sellerLock: "LK-2", buyerLock: "LK-2"), .lockMismatch)
        try await h.reject(
            .settle(deal: "D-1", seller: F.owner, buyer: F.investor, unit: F.ccer, quantity: 1_000, amountFen: 1_000_001, fees: [],
                    sellerLock: "LK-1", buyerLock: "LK-2"), .insufficientLocked)
        try await h.accept(
            .settle(deal: "D-1", seller: F.owner, buyer: F.investor, unit: F.ccer, quantity: 1_000, amountFen: 300_000,
                    fees: [FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 150)], sellerLock: "LK-1", buyerLock: "LK-2"))
        #expect(await h.holding(F.investor, F.ccer).blocks == [HeldBlock(first: 1, quantity: 1_000, freeze: nil)])
        var state = await h.service.state
        #expect(state.locks["LK-1"]?.quantity == 2_000 && state.locks["LK-2"]?.quantity == 1_000_000 - 300_150)
        // What is left returns when the order ends; a lock at zero is gone.
        try await h.accept(.unlock(lock: "LK-1", quantity: 2_000))
        state = await h.service.state
        #expect(state.locks["LK-1"] == nil && state.holding(F.owner, F.ccer).available == 9_000)
        let stored = try await h.store.loadState()
        #expect(stored == state)
        #expect(stored.lockedFen[F.investor] == 699_850)
        #expect(stored.invariantViolations() == [])
        let report = try await LedgerVerifier(store: h.store).verify()
        #expect(report.ok, "\(report.problems)")
        try await h.close()
    }
}
