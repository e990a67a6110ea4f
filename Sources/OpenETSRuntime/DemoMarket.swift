import OpenETSApplication
import OpenETSDomain

/// A small market for trying things out and for later issues to show: the national and
/// retirement accounts, Sichuan and Guangdong, power entities and investors, two CEA vintages,
/// a CCER project block, funds, a four-eyes transfer, a pledge, a settled deal, a surrender and
/// a voluntary cancellation.
public enum DemoMarket {
    public struct Summary: Sendable, Codable {
        public var accounts: Int
        public var unitTypes: [String]
        public var journalEntries: Int64
        public var supply: [UnitSupply]
    }

    public static func seed(_ service: RegistryService) async throws -> Summary {
        var runner = DemoRunner(service: service)
        let national = AccountID("CN-NATIONAL")
        for type in [AccountType.national, .compliance, .cancellation, .voluntaryCancellation] {
            try await runner.run(.openAccount(type: type, ownerID: "MEE", ownerName: "生态环境部 Ministry of Ecology and Environment", province: nil, representatives: []))
        }
        for (province, name) in [("SC", "四川省生态环境厅 Sichuan EEB"), ("GD", "广东省生态环境厅 Guangdong EEB")] {
            try await runner.run(.openAccount(type: .provincial, ownerID: "EEB-\(province)", ownerName: name, province: province, representatives: []))
        }
        let entities: [(uscc: String, name: String, province: String)] = [
            ("91510000MA6123456P", "川能发电有限公司 Chuanneng Power", "SC"),
            ("91510100MA62345678", "嘉陵江热电有限公司 Jialingjiang Thermal", "SC"),
            ("91440000MA5345678X", "粤海电力股份有限公司 Yuehai Power", "GD"),
            ("91440300MA5456789Q", "珠江燃气发电有限公司 Pearl River Gas Power", "GD"),
        ]
        for (index, entity) in entities.enumerated() {
            try await runner.run(.openAccount(
                type: .entity, ownerID: entity.uscc, ownerName: entity.name, province: entity.province,
                representatives: representatives(prefix: "E\(index + 1)")))
        }
        for (index, name) in ["碳源投资有限公司 Tanyuan Investment", "绿色银行 Green Bank"].enumerated() {
            try await runner.run(.openAccount(
                type: .investor, ownerID: ["91110000MA01ABCDEX", "91110000MA02ABCDEG"][index], ownerName: name, province: nil,
                representatives: representatives(prefix: "I\(index + 1)")))
        }
        try await runner.run(.openAccount(type: .projectOwner, ownerID: "91510000MA6PR0J00L", ownerName: "川西林业碳汇 West Sichuan Forestry", province: "SC", representatives: representatives(prefix: "P1")))
        try await runner.run(.openAccount(type: .exchangeClearing, ownerID: "SEEE", ownerName: "上海环境能源交易所 SEEE clearing", province: nil, representatives: []))

        try await runner.run(.defineUnitType(code: "CEA23", kind: .allowance, label: "CEA", vintageFrom: 2023, vintageTo: 2023, projectID: nil, issuer: "CN", serialized: false))
        try await runner.run(.defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try await runner.run(.defineUnitType(code: "CCER-P000001-2024", kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P000001", issuer: "CN", serialized: true))

        try await runner.run(.issue(unit: "CEA23", quantity: 30_000_000, to: national))
        try await runner.run(.issue(unit: "CEA24", quantity: 32_000_000, to: national))
        try await runner.run(.issue(unit: "CCER-P000001-2024", quantity: 250_000, to: "OWN-000001"))
        for (province, share) in [("SC", 14_000_000), ("GD", 16_000_000)] {
            try await runner.run(.allocate(from: national, to: .provincial(province), unit: "CEA23", quantity: Int64(share)))
            try await runner.run(.allocate(from: national, to: .provincial(province), unit: "CEA24", quantity: Int64(share)))
        }
        let perEntity: [(AccountID, String, Int64)] = [
            ("ENT-000001", "SC", 6_500_000), ("ENT-000002", "SC", 4_200_000),
            ("ENT-000003", "GD", 9_800_000), ("ENT-000004", "GD", 2_100_000),
        ]
        for (entity, province, quantity) in perEntity {
            try await runner.run(.allocate(from: .provincial(province), to: entity, unit: "CEA23", quantity: quantity))
            try await runner.run(.allocate(from: .provincial(province), to: entity, unit: "CEA24", quantity: quantity * 7 / 10))
        }
        for (account, fen) in [("ENT-000001", 500_000_000_00), ("ENT-000003", 800_000_000_00), ("INV-000001", 200_000_000_00), ("INV-000002", 900_000_000_00)] as [(AccountID, Int64)] {
            try await runner.run(.depositFunds(account: account, amountFen: fen, bankReference: "DEMO-DEP-\(account)"))
        }
        // A four-eyes transfer: entity 3 sells nothing yet, it moves 50,000 t to investor 1.
        let initiated = try await runner.run(.initiateTransfer(from: "ENT-000003", to: "INV-000001", unit: "CEA23", quantity: 50_000, initiator: "E3-INIT"))
        if case .transferInitiated(let transfer) = initiated.events.first {
            try await runner.run(.approveTransfer(transfer: transfer.id, approver: "E3-APPR"))
        }
        // A deal settled delivery-versus-payment at 97.49 CNY/t with a 0.05% fee each side.
        let amount: Int64 = 20_000 * 9_749
        try await runner.run(.settle(
            deal: "DEAL-DEMO-000001", seller: "ENT-000002", buyer: "INV-000001", unit: "CEA23", quantity: 20_000,
            amountFen: amount,
            fees: [FeeLeg(payer: "ENT-000002", payee: "EXC-000001", amountFen: amount / 2_000), FeeLeg(payer: "INV-000001", payee: "EXC-000001", amountFen: amount / 2_000)]))
        try await runner.run(.transfer(from: "OWN-000001", to: "INV-000002", unit: "CCER-P000001-2024", quantity: 60_000))
        try await runner.run(.freeze(account: "ENT-000001", unit: "CEA24", quantity: 300_000, reason: .pledge(pledgee: "INV-000002", contract: "绿色银行质押合同 GB-PLEDGE-2025-017")))
        try await runner.run(.surrender(account: "ENT-000004", unit: "CEA23", quantity: 1_900_000, complianceYear: 2023))
        try await runner.run(.voluntaryCancel(account: "INV-000002", unit: "CCER-P000001-2024", quantity: 1_200, beneficiary: "成都马拉松组委会 Chengdu Marathon", purpose: "2025 成都马拉松碳中和 carbon-neutral marathon"))
        let state = await service.state
        return Summary(
            accounts: state.accounts.count, unitTypes: state.unitTypes.keys.map(\.rawValue).sorted(),
            journalEntries: await service.head.seq, supply: state.supply())
    }

    private static func representatives(prefix: String) -> [Representative] {
        [
            Representative(id: RepresentativeID("\(prefix)-INIT"), name: "\(prefix) 经办人 initiator", role: .initiator),
            Representative(id: RepresentativeID("\(prefix)-APPR"), name: "\(prefix) 复核人 approver", role: .approver),
        ]
    }
}

private struct DemoRunner {
    let service: RegistryService
    var step = 0

    @discardableResult
    mutating func run(_ command: RegistryCommand) async throws -> Receipt {
        step += 1
        // Fixed keys: running the demo twice on one database changes nothing the second time.
        let outcome = try await service.execute(CommandRequest(idempotencyKey: "demo-\(step)", command: command))
        switch outcome {
        case .accepted(let receipt): return receipt
        case .rejected(let error): throw DemoError(step: step, command: command.kind, error: error)
        }
    }
}

public struct DemoError: Error, CustomStringConvertible {
    public var step: Int
    public var command: String
    public var error: RegistryError
    public var description: String { "demo step \(step) (\(command)) was rejected: \(error)" }
}
