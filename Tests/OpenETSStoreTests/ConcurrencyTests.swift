import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// Many writers, each with its own connection and its own in-memory registry (as separate
/// processes would have), hammer the same few accounts. Writers serialise on the journal head
/// row, so no unit or fen is spent twice: every account's final holding equals its opening
/// holding plus what the accepted receipts moved in, minus what they moved out.
@Suite("Concurrent writers")
struct ConcurrencyTests {
    static let clients = 16
    static let commandsPerClient = Int(ProcessInfo.processInfo.environment["OPENETS_CONCURRENCY_COMMANDS"] ?? "") ?? 120
    /// Retries of a command whose writer timed out on the lock (same idempotency key).
    static let maxRetries = 5

    @Test(arguments: Backend.all)
    func sixteenWritersNeverDoubleSpend(_ backend: Backend) async throws {
        typealias F = Fixture
        let setup = try await F.open(backend)
        let location = setup.location
        let opening = await setup.service.state
        let openingHead = try await setup.store.head()
        try await setup.close()

        let retries = Counter()
        let results = try await withThrowingTaskGroup(of: [CommandOutcome].self) { group in
            for client in 0..<Self.clients {
                group.addTask {
                    let (store, service) = try await Composition.openRegistry(location, clock: SteppingClock())
                    var rng = SplitMix64(seed: UInt64(client + 1))
                    var outcomes: [CommandOutcome] = []
                    for n in 0..<Self.commandsPerClient {
                        let command = Self.contended(&rng, client: client, n: n)
                        let request = CommandRequest(idempotencyKey: "c\(client)-\(n)", command: command)
                        // A writer that waited too long for the database's write lock gets an
                        // error, not an outcome: nothing was acknowledged, and a client retries
                        // with the same key (exactly once either way). On a loaded machine the
                        // lock's holder can stall that long (16 writers in one test process
                        // share two cores with the other suites).
                        var attempt = 0
                        while true {
                            do {
                                outcomes.append(try await service.execute(request))
                                break
                            } catch where "\(error)".contains("database is locked") && attempt < Self.maxRetries {
                                attempt += 1
                                retries.add(1)
                            }
                        }
                    }
                    try await store.close()
                    return outcomes
                }
            }
            var all: [CommandOutcome] = []
            for try await outcomes in group { all += outcomes }
            return all
        }

        let receipts = results.compactMap(\.receipt)
        let rejected = results.compactMap(\.error)
        #expect(receipts.count + rejected.count == Self.clients * Self.commandsPerClient)
        #expect(receipts.count > 100, "enough commands got through")
        #expect(rejected.contains { $0.code == .insufficientHolding || $0.code == .insufficientFunds }, "the accounts ran dry under contention")
        #expect(rejected.allSatisfy { [.insufficientHolding, .insufficientFunds].contains($0.code) }, "\(Set(rejected.map(\.code)))")

        // Every accepted command has its own journal entry; together they fill the journal.
        let seqs = receipts.map(\.seq).sorted()
        #expect(Set(seqs).count == seqs.count, "no two commands share a journal entry")
        let (store, _) = try await Composition.openRegistry(location)
        let head = try await store.head()
        #expect(seqs == Array((openingHead.seq + 1)...head.seq))

        // Replaying only the accepted receipts on the opening state gives the final state.
        var expected = opening
        var ignored = ChangeSet()
        for receipt in receipts.sorted(by: { $0.seq < $1.seq }) {
            for event in receipt.events {
                #expect(expected.problem(applying: event) == nil)
                expected.evolve(event, changes: &ignored)
            }
        }
        let final = try await store.loadState()
        #expect(final.holdings == expected.holdings)
        #expect(final.cashFen == expected.cashFen)
        #expect(final.invariantViolations() == [])
        let report = try await LedgerVerifier(store: store).verify()
        #expect(report.ok, "\(report.problems)")
        print("concurrency: backend=\(backend.rawValue) clients=\(Self.clients) accepted=\(receipts.count) rejected=\(rejected.count) lock-timeout retries=\(retries.value)")
        try await store.close()
    }

    /// Commands on the same hot accounts, sized so that the accounts keep running dry.
    static func contended(_ rng: inout SplitMix64, client: Int, n: Int) -> RegistryCommand {
        typealias F = Fixture
        let deal = DealID("C\(client)-\(n)")
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return .transfer(from: F.owner, to: F.clearing, unit: F.ccer, quantity: 900)
        case 1: return .transfer(from: F.clearing, to: F.owner, unit: F.ccer, quantity: 700)
        case 2: return .settle(deal: deal, seller: F.entityA, buyer: F.investor, unit: F.cea23, quantity: 6_000, amountFen: 6_000 * 9_000, fees: [FeeLeg(payer: F.investor, payee: F.clearing, amountFen: 27_000)])
        case 3: return .settle(deal: deal, seller: F.investor, buyer: F.entityA, unit: F.cea23, quantity: 5_000, amountFen: 5_000 * 9_100, fees: [])
        case 4: return .withdrawFunds(account: F.investor, amountFen: 20_000_000, bankReference: "W-\(client)-\(n)")
        default: return .surrender(account: F.entityA, unit: F.cea23, quantity: 3_000, complianceYear: 2023)
        }
    }
}

/// A count shared by the writer tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ n: Int) { lock.lock(); count += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
