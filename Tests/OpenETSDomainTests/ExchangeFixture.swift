import OpenETSDomain
import Testing

/// A small market for exchange tests: three entities (two in one group), an investor, the
/// clearing and risk reserve accounts, CEA24 (listing agreement, previous close 50.00) and a
/// continuous CCER instrument (previous close 30.00). Trading day 2025-06-03, a Tuesday.
struct ExchangeFixture {
    static let e1: AccountID = "ENT-000001"
    static let e2: AccountID = "ENT-000002"
    static let e3: AccountID = "ENT-000003"
    static let investor: AccountID = "INV-000001"
    static let clearing: AccountID = "EXC-000001"
    static let reserve: AccountID = "EXC-000002"
    static let day = CivilDate(year: 2025, month: 6, day: 3)
    static let units: Int64 = 500_000
    static let fundsFen: Int64 = 10_000_000_000  // 100 million yuan

    var market: ExchangeMarket

    init(policy: ExchangePolicy = .standard) throws {
        let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        market = ExchangeMarket(registry: RegistryState(), registryPolicy: .defaults, policy: policy)
        let setup: [RegistryCommand] = [
            .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []),
            .openAccount(type: .provincial, ownerID: "GD", ownerName: "GD", province: "GD", representatives: []),
            .openAccount(type: .entity, ownerID: "E1", ownerName: "Power One", province: "GD", representatives: []),
            .openAccount(type: .entity, ownerID: "E2", ownerName: "Power Two", province: "GD", representatives: []),
            .openAccount(type: .entity, ownerID: "E3", ownerName: "Power Three", province: "GD", representatives: []),
            .openAccount(type: .investor, ownerID: "I1", ownerName: "Investor", province: nil, representatives: []),
            .openAccount(type: .exchangeClearing, ownerID: "X", ownerName: "Exchange", province: nil, representatives: []),
            .openAccount(type: .exchangeClearing, ownerID: "X", ownerName: "Risk reserve fund", province: nil, representatives: []),
            .openAccount(type: .projectOwner, ownerID: "P1", ownerName: "Wind farm", province: "GD", representatives: []),
            .defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false),
            .defineUnitType(code: "CCER-P1", kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P1", issuer: "CN", serialized: true),
            .issue(unit: "CEA24", quantity: 3 * Self.units, to: "CN-NATIONAL"),
            .allocate(from: "CN-NATIONAL", to: .provincial("GD"), unit: "CEA24", quantity: 3 * Self.units),
            .issue(unit: "CCER-P1", quantity: 200_000, to: "OWN-000001"),
        ]
        for command in setup { try market.registryExecute(command, at: t0) }
        for entity in [Self.e1, Self.e2, Self.e3] {
            try market.registryExecute(.allocate(from: .provincial("GD"), to: entity, unit: "CEA24", quantity: Self.units), at: t0)
        }
        for account in [Self.e1, Self.e2, Self.e3, Self.investor, "OWN-000001"] as [AccountID] {
            try market.registryExecute(.depositFunds(account: account, amountFen: Self.fundsFen, bankReference: "seed"), at: t0)
        }
        let listing: [ExchangeCommand] = [
            .listInstrument(Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 5_000)),
            .listInstrument(Instrument(code: "CCER", unit: "CCER-P1", label: "CCER", continuous: true, previousClose: 3_000)),
            .admitMember(account: Self.e1, group: "G1"),
            .admitMember(account: Self.e2, group: "G1"),
            .admitMember(account: Self.e3, group: nil),
            .admitMember(account: Self.investor, group: nil),
            .admitMember(account: "OWN-000001", group: nil),
            .setFeeAccounts(clearing: Self.clearing, reserve: Self.reserve),
            .openDay(Self.day),
        ]
        for command in listing { try market.execute(command, at: t0) }
    }

    static func at(_ hour: Int, _ minute: Int, on date: CivilDate = day) -> Timestamp {
        BeijingTime.timestamp(date, hour: hour, minute: minute)
    }

    @discardableResult
    mutating func run(_ command: ExchangeCommand, at time: Timestamp = at(10, 0)) throws -> ExchangeMarket.Outcome {
        try market.execute(command, at: time)
    }

    /// Runs a command that must be rejected with `code`, and checks that nothing changed.
    mutating func reject(_ command: ExchangeCommand, _ code: ExchangeErrorCode, at time: Timestamp = at(10, 0),
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let registryBefore = market.registry
        let ordersBefore = market.exchange.orders
        let dealsBefore = market.exchange.dealCount
        do {
            try market.execute(command, at: time)
            Issue.record("\(command.kind) was accepted; expected \(code.rawValue)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(market.registry == registryBefore, sourceLocation: sourceLocation)
        #expect(market.exchange.orders == ordersBefore && market.exchange.dealCount == dealsBefore, sourceLocation: sourceLocation)
    }

    func free(_ account: AccountID, _ unit: UnitTypeCode = "CEA24") -> Int64 { market.registry.holding(account, unit).available }
    func total(_ account: AccountID, _ unit: UnitTypeCode = "CEA24") -> Int64 { market.registry.holding(account, unit).total }
    func cash(_ account: AccountID) -> Int64 { market.registry.cash(account) }
    func availableCash(_ account: AccountID) -> Int64 { market.registry.availableCash(account) }

    func placedOrder(_ outcome: ExchangeMarket.Outcome) -> Int64 {
        for event in outcome.events { if case .orderPlaced(let order) = event { return order.id } }
        return -1
    }

    func deals(_ outcome: ExchangeMarket.Outcome) -> [Deal] {
        outcome.events.compactMap { if case .dealDone(let deal, _, _) = $0 { return deal } else { return nil } }
    }

    func sound() -> [String] { market.registry.invariantViolations() + market.lockViolations() }
}
