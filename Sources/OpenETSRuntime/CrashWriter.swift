import OpenETSApplication
import OpenETSDomain

/// Load for the crash test (`scripts/crash-test`): concurrent clients settle deals, move serial
/// blocks and allocate on the demo market, and post, take and cancel listings on its exchange
/// (in a simulated session, `clock`), and report each command only after the service
/// acknowledged it. The script kills the process at random moments and later checks that
/// every acknowledged command is in the journal, and `registry verify` checks that the books
/// rebuilt from the journal hold exactly the registry's locks.
public enum CrashWriter {
    /// The simulated trading day of the crash test.
    public static let day = CivilDate(year: 2025, month: 6, day: 3)

    /// Runs until killed (or `limit` commands per client), calling `acknowledge` with
    /// `ACK <idempotency key> <journal seq>` after each accepted command.
    public static func run(
        _ service: RegistryService, clock: MarketClock, runID: String, clients: Int, limit: Int = .max,
        acknowledge: @escaping @Sendable (String) -> Void
    ) async throws {
        clock.simulate(day, hour: 9, minute: 0)
        _ = try await DemoMarket.seed(service)
        try await DemoExchange.setUp(service)
        try await DemoExchange.openDay(service, day)
        clock.simulate(day, hour: 10, minute: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var n = 0
                    while n < limit {
                        n += 1
                        let key = "\(runID)-\(client)-\(n)"
                        if let exchangeCommand = await trade(client: client, n: n, service: service) {
                            let outcome = try await service.execute(ExchangeRequest(idempotencyKey: key, command: exchangeCommand))
                            if let receipt = outcome.receipt { acknowledge("ACK \(key) \(receipt.seq)") }
                            continue
                        }
                        let outcome = try await service.execute(CommandRequest(idempotencyKey: key, command: command(client: client, n: n, runID: runID)))
                        if let receipt = outcome.receipt { acknowledge("ACK \(key) \(receipt.seq)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Every third operation is a trade on CEA24: entity 3 lists, investor 2 takes the best
    /// listing, or entity 3 cancels its newest.
    static func trade(client: Int, n: Int, service: RegistryService) async -> ExchangeCommand? {
        guard (client + n) % 3 == 0 else { return nil }
        let seller: AccountID = "ENT-000003"
        switch (n / 3) % 4 {
        case 0, 1:
            return .placeOrder(account: seller, instrument: "CEA24", side: .sell, price: 9_600 + Int64((client * 11 + n) % 80), quantity: Int64(1 + (n * 7) % 200))
        case 2:
            // The best offer (lowest price, oldest first): always within the best five levels.
            let listings = await service.exchange.orders.values.filter { $0.account == seller }.sorted { ($0.price, $0.id) < ($1.price, $1.id) }
            guard let best = listings.first else { return nil }
            return .takeOrder(account: "INV-000002", order: best.id, quantity: min(best.remaining, Int64(1 + n % 50)))
        default:
            let listings = await service.exchange.orders.values.filter { $0.account == seller }.sorted { $0.id < $1.id }
            guard let newest = listings.last else { return nil }
            return .cancelOrder(account: seller, order: newest.id)
        }
    }

    static func command(client: Int, n: Int, runID: String) -> RegistryCommand {
        let deal = DealID("CRASH-\(runID.uppercased())-\(client)-\(n)")
        let quantity = Int64(1 + (client * 7 + n * 13) % 500)
        switch (client + n) % 5 {
        case 0:
            return .settle(deal: deal, seller: "ENT-000001", buyer: "ENT-000003", unit: "CEA23", quantity: quantity, amountFen: quantity * 9_749, fees: [FeeLeg(payer: "ENT-000003", payee: "EXC-000001", amountFen: 1 + quantity * 5)])
        case 1:
            return .settle(deal: deal, seller: "ENT-000003", buyer: "ENT-000001", unit: "CEA23", quantity: quantity, amountFen: quantity * 9_801, fees: [])
        case 2:
            return .transfer(from: "OWN-000001", to: "EXC-000001", unit: "CCER-P000001-2024", quantity: quantity)
        case 3:
            return .transfer(from: "EXC-000001", to: "OWN-000001", unit: "CCER-P000001-2024", quantity: quantity / 2 + 1)
        default:
            return .allocate(from: .provincial("SC"), to: "ENT-000002", unit: "CEA24", quantity: quantity)
        }
    }

    /// Checks `ACK` lines against the store: each key has its idempotency record and journal
    /// entry. Returns the number checked and the missing ones. Lines cut short by the kill are
    /// not acknowledgements and are skipped.
    public static func checkAcknowledgements(_ lines: [Substring], store: any LedgerStore) async throws -> (checked: Int, missing: [String]) {
        var bySeq: [Int64: String] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "ACK", let seq = Int64(parts[2]) else { continue }
            bySeq[seq] = String(parts[1])
        }
        var missing: [String] = []
        let head = try await store.head()
        var after: Int64 = 0
        var found: [Int64: String] = [:]
        while after < head.seq {
            let page = try await store.journal(after: after, limit: 5_000)
            guard let last = page.last else { break }
            for entry in page where bySeq[entry.seq] != nil { found[entry.seq] = entry.idempotencyKey }
            after = last.seq
        }
        for (seq, key) in bySeq.sorted(by: { $0.key < $1.key }) where found[seq] != key {
            missing.append("\(key) (entry #\(seq))")
        }
        return (bySeq.count, missing)
    }
}
