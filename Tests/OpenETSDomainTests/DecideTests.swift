import OpenETSDomain
import Testing

@Suite("Registry rules in the pure core")
struct DecideTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_735_689_600_000)
    let policy = RegistryPolicy.defaults

    func apply(_ state: inout RegistryState, _ command: RegistryCommand) throws {
        var changes = ChangeSet()
        state.evolve(try state.decide(command, at: now, policy: policy), changes: &changes)
    }

    func market() throws -> RegistryState {
        var state = RegistryState()
        try apply(&state, .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        try apply(&state, .openAccount(type: .provincial, ownerID: "SC", ownerName: "SC", province: "SC", representatives: []))
        try apply(&state, .openAccount(type: .entity, ownerID: "E", ownerName: "E", province: "SC", representatives: []))
        try apply(&state, .defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try apply(&state, .issue(unit: "CEA24", quantity: 1_000, to: "CN-NATIONAL"))
        return state
    }

    @Test func accountNumbersAreAssignedInOrder() throws {
        var state = try market()
        try apply(&state, .openAccount(type: .entity, ownerID: "E2", ownerName: "E2", province: "SC", representatives: []))
        #expect(state.accounts["ENT-000002"]?.ownerID == "E2")
        #expect(state.accounts[.provincial("SC")]?.type == .provincial)
    }

    @Test func changeSetNamesExactlyTheTouchedKeys() throws {
        let state = try market()
        var changes = ChangeSet()
        var next = state
        next.evolve(try state.decide(.allocate(from: "CN-NATIONAL", to: .provincial("SC"), unit: "CEA24", quantity: 10), at: now, policy: policy), changes: &changes)
        #expect(changes.holdings == [HoldingKey(account: "CN-NATIONAL", unit: "CEA24"), HoldingKey(account: .provincial("SC"), unit: "CEA24")])
        #expect(changes.accounts.isEmpty && changes.cash.isEmpty)
    }

    @Test func invariantsCatchACorruptedState() throws {
        var state = try market()
        #expect(state.invariantViolations() == [])
        var holding = state.holding("CN-NATIONAL", "CEA24")
        holding.addFungible(1, tag: nil)
        state.holdings[HoldingKey(account: "CN-NATIONAL", unit: "CEA24")] = holding
        #expect(state.invariantViolations().contains { $0.contains("conservation broken for CEA24") })
    }

    @Test func replayRefusesEventsThatCannotApply() throws {
        let state = try market()
        let overdraw = RegistryEvent.unitsMoved(kind: .transfer, from: "CN-NATIONAL", to: "ENT-000001", unit: "CEA24", lot: Lot(quantity: 1_001, serials: []))
        #expect(state.problem(applying: overdraw) != nil)
        let fine = RegistryEvent.unitsMoved(kind: .transfer, from: "CN-NATIONAL", to: "ENT-000001", unit: "CEA24", lot: Lot(quantity: 1_000, serials: []))
        #expect(state.problem(applying: fine) == nil)
    }

    @Test func errorOrderIsStable() throws {
        let state = try market()
        // A zero quantity and unknown accounts: the field check comes first.
        let zero = #expect(throws: RegistryError.self) {
            try state.decide(.allocate(from: "X", to: "Y", unit: "CEA24", quantity: 0), at: now, policy: policy)
        }
        #expect(zero?.code == .invalidQuantity)
        // An unknown unit type and a wrong account pair: existence comes before account types.
        let unknown = #expect(throws: RegistryError.self) {
            try state.decide(.allocate(from: "CN-NATIONAL", to: "ENT-000001", unit: "CEA99", quantity: 5), at: now, policy: policy)
        }
        #expect(unknown?.code == .unknownUnitType)
    }
}
