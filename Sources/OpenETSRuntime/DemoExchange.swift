import OpenETSApplication
import OpenETSDomain

/// The demo market's trading system: the risk reserve fund account, three instruments (CEA23
/// and CEA24 in the listing agreement, the CCER block in continuous trading), every
/// participant admitted (the two Sichuan entities as one group), fees to the clearing account.
/// Idempotent: keys `demo-x-…`.
public enum DemoExchange {
    public static let reserveAccount: AccountID = "EXC-000002"
    public static let instruments: [Instrument] = [
        Instrument(code: "CEA23", unit: "CEA23", label: "CEA 2023", continuous: false, previousClose: 9_749),
        Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 9_650),
        Instrument(code: "CCER", unit: "CCER-P000001-2024", label: "CCER 川西林业 2024", continuous: true, previousClose: 6_000),
    ]
    public static let members: [(AccountID, String?)] = [
        ("ENT-000001", "川能集团 Chuanneng Group"), ("ENT-000002", "川能集团 Chuanneng Group"),
        ("ENT-000003", nil), ("ENT-000004", nil), ("INV-000001", nil), ("INV-000002", nil), ("OWN-000001", nil),
    ]

    /// Sets up the trading system on a seeded demo registry (DemoMarket.seed first).
    public static func setUp(_ service: RegistryService) async throws {
        if await service.state.accounts[reserveAccount] == nil {
            let outcome = try await service.execute(CommandRequest(idempotencyKey: "demo-x-reserve", command: .openAccount(
                type: .exchangeClearing, ownerID: "SEEE-RRF", ownerName: "风险准备金 Risk reserve fund", province: nil, representatives: [])))
            if let error = outcome.error { throw DemoExchangeError(step: "reserve account", message: "\(error)") }
        }
        var commands: [ExchangeCommand] = instruments.map { .listInstrument($0) }
        commands += members.map { .admitMember(account: $0.0, group: $0.1) }
        commands.append(.setFeeAccounts(clearing: "EXC-000001", reserve: reserveAccount))
        for (index, command) in commands.enumerated() {
            try await run(service, "demo-x-\(index + 1)", command)
        }
    }

    /// Opens `date` unless a day is already open; rejected only for a real error.
    public static func openDay(_ service: RegistryService, _ date: CivilDate) async throws {
        guard await service.exchange.tradingDate == nil else { return }
        try await run(service, "open-\(date)", .openDay(date))
    }

    @discardableResult
    static func run(_ service: RegistryService, _ key: String, _ command: ExchangeCommand) async throws -> ExchangeReceipt {
        let outcome = try await service.execute(ExchangeRequest(idempotencyKey: key, command: command))
        switch outcome {
        case .accepted(let receipt): return receipt
        case .rejected(let error): throw DemoExchangeError(step: "\(key) \(command.kind)", message: "\(error)")
        }
    }
}

public struct DemoExchangeError: Error, CustomStringConvertible {
    public var step: String
    public var message: String
    public var description: String { "demo exchange step \(step) was rejected: \(message)" }
}
