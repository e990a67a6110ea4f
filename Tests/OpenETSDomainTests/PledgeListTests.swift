import OpenETSDomain
import Testing

@Suite("Pledges listed per holder and per pledgee")
struct PledgeListTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_735_689_600_000)
    let policy = RegistryPolicy.defaults
    let owner: AccountID = "OWN-000001"
    let bank: AccountID = "INV-000001"
    let otherBank: AccountID = "INV-000002"
    let ccer: UnitTypeCode = "CCER-P000001-M1"

    func apply(_ state: inout RegistryState, _ command: RegistryCommand) throws {
        var changes = ChangeSet()
        state.evolve(try state.decide(command, at: now, policy: policy), changes: &changes)
    }

    /// An owner holding 1,000 serialised CCERs, two banks.
    func market() throws -> RegistryState {
        var state = RegistryState()
        try apply(&state, .openAccount(type: .projectOwner, ownerID: "O", ownerName: "Owner", province: "SC", representatives: []))
        try apply(&state, .openAccount(type: .investor, ownerID: "B1", ownerName: "Bank 1", province: nil, representatives: []))
        try apply(&state, .openAccount(type: .investor, ownerID: "B2", ownerName: "Bank 2", province: nil, representatives: []))
        try apply(&state, .defineUnitType(code: ccer, kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P000001", issuer: "CN", serialized: true))
        try apply(&state, .issue(unit: ccer, quantity: 1_000, to: owner))
        return state
    }

    @Test func eachPartySeesItsPledgesWithStatusAndSerials() throws {
        var state = try market()
        try apply(&state, .freeze(account: owner, unit: ccer, quantity: 100, reason: .pledge(pledgee: bank, contract: "PL-1")))
        try apply(&state, .freeze(account: owner, unit: ccer, quantity: 200, reason: .pledge(pledgee: otherBank, contract: "PL-2")))
        try apply(&state, .freeze(account: owner, unit: ccer, quantity: 50, reason: .judicial(order: "court order")))
        try apply(&state, .freeze(account: owner, unit: ccer, quantity: 30, reason: .pledge(pledgee: bank, contract: "PL-3")))
        try apply(&state, .unfreeze(freeze: "FRZ-00000003"))

        let held = state.pledges(holder: owner)
        #expect(held.map(\.freeze) == ["FRZ-00000001", "FRZ-00000002", "FRZ-00000004"], "the judicial freeze is not a pledge")
        #expect(held.map(\.status) == [.active, .active, .active])
        #expect(held[0].serials == [SerialRange(first: 1, last: 100)])
        #expect(held[1].serials == [SerialRange(first: 101, last: 300)])
        #expect(held[2] == Pledge(
            freeze: "FRZ-00000004", holder: owner, pledgee: bank, unit: ccer, quantity: 30, contract: "PL-3", status: .active,
            createdAt: now, serials: [SerialRange(first: 351, last: 380)]))
        #expect(state.pledges(pledgee: bank).map(\.contract) == ["PL-1", "PL-3"])
        #expect(state.pledges(pledgee: otherBank).map(\.contract) == ["PL-2"])
        #expect(state.pledges(holder: bank).isEmpty && state.pledges(pledgee: owner).isEmpty)

        // Release one, enforce another: both stay listed, with their new status.
        try apply(&state, .unfreeze(freeze: "FRZ-00000001"))
        try apply(&state, .enforcePledge(freeze: "FRZ-00000002"))
        #expect(state.pledges(pledgee: bank).map(\.status) == [.released, .active])
        #expect(state.pledges(pledgee: bank).first?.serials == [], "a released pledge holds no serials")
        let enforced = state.pledges(pledgee: otherBank)
        #expect(enforced.map(\.status) == [.enforced] && enforced[0].quantity == 200)
        #expect(state.holding(otherBank, ccer).blocks == [HeldBlock(first: 101, quantity: 200, freeze: nil)])
        #expect(state.pledges(holder: owner).map(\.status) == [.released, .enforced, .active])
        #expect(state.pledges(.pledgee, bank) == state.pledges(pledgee: bank))
    }
}
