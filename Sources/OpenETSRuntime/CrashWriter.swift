import OpenETSApplication
import OpenETSDomain

/// Load for the crash test (`scripts/crash-test`): concurrent clients settle deals, move serial
/// blocks and allocate on the demo market, and report each command only after the registry
/// acknowledged it. The script kills the process at random moments and later checks that
/// every acknowledged command is in the journal.
public enum CrashWriter {
    /// Runs until killed (or `limit` commands per client), calling `acknowledge` with
    /// `ACK <idempotency key> <journal seq>` after each accepted command.
    public static func run(
        _ service: RegistryService, runID: String, clients: Int, limit: Int = .max,
        acknowledge: @escaping @Sendable (String) -> Void
    ) async throws {
        _ = try await DemoMarket.seed(service)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var n = 0
                    while n < limit {
                        n += 1
                        let key = "\(runID)-\(client)-\(n)"
                        let outcome = try await service.execute(CommandRequest(idempotencyKey: key, command: command(client: client, n: n, runID: runID)))
                        if let receipt = outcome.receipt { acknowledge("ACK \(key) \(receipt.seq)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func command(client: Int, n: Int, runID: String) -> RegistryCommand {
        let deal = DealID("CRASH-\(runID)-\(client)-\(n)")
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
