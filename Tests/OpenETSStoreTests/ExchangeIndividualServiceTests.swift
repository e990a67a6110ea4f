import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// An individual's account through the durable service: stored as `individual`, refused for
/// allowances under the standard policy with nothing written, and trading them once a published
/// policy version opens allowances to individuals (the registry settles with an individual buyer).
@Suite("Individuals through the durable service, on each database")
struct ExchangeIndividualServiceTests {
    typealias X = ExchangeServiceTests
    static let person: AccountID = "IND-000001"

    @Test(arguments: Backend.all)
    func anIndividualTradesOnlyWhatThePolicyOpens(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(X.day, hour: 9, minute: 0)
        var s = try await X.setUp(location, clock: clock)
        try await s.registry(.openAccount(type: .individual, ownerID: "110101199001011234", ownerName: "张三", province: nil, representatives: []))
        try await s.registry(.depositFunds(account: Self.person, amountFen: 10_000_000, bankReference: "IND-1"))
        #expect(try await s.exchange(.admitMember(account: Self.person, group: nil)).error == nil)
        #expect(try await s.store.loadState().accounts[Self.person]?.type == .individual)

        clock.set(X.day, hour: 10, minute: 0)
        let sell = try #require(try await s.exchange(.placeOrder(account: X.seller, instrument: "CEA24", side: .sell, price: 5_000, quantity: 100)).receipt)
        guard case .orderPlaced(let order) = sell.events[0] else { throw TestSetupError("no order") }
        let head = try await s.store.head()
        let stateBefore = await s.service.state
        let refused = try await s.exchange(.takeOrder(account: Self.person, order: order.id, quantity: 100))
        #expect(refused.error?.code == .accountNotAllowed)
        #expect(try await s.store.head() == head)
        #expect(await s.service.state == stateBefore)
        try await s.store.close()

        // A new policy version opens allowances to individuals; it governs the reopened service.
        var policy = ExchangePolicy.standard
        policy.version = 2
        policy.individualUnitKinds = [.ccer, .allowance]
        let (store, _) = try await Composition.openRegistry(location, clock: clock)
        _ = try await store.publishExchangePolicy(policy, effectiveFrom: "2025-06-03", note: "individuals may trade allowances")
        try await store.close()
        let (reopened, reopenedService) = try await Composition.openRegistry(location, clock: clock)
        let take = try await reopenedService.execute(ExchangeRequest(
            idempotencyKey: "take-individual", command: .takeOrder(account: Self.person, order: order.id, quantity: 100)))
        #expect(take.error == nil, "\(String(describing: take.error))")
        let state = try await reopened.loadState()
        #expect(state.holding(Self.person, "CEA24").total == 100)
        #expect(state.settlements.values.contains { $0.buyer == Self.person })
        #expect(state.invariantViolations() == [])
        let report = try await LedgerVerifier(store: reopened).verify()
        #expect(report.ok, "\(report.problems)")
        try await reopened.close()
    }
}
