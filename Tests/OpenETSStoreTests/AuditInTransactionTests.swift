import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// A command given with an `AuditNote` is audited in its own transaction, with its outcome;
/// meanwhile the access service writes its own audit records on another connection. On
/// PostgreSQL the two writers run concurrently, so the ids must not collide (migration 23).
@Suite("Audit records written with the command they record")
struct AuditInTransactionTests {
    @Test(arguments: Backend.all)
    func commandsAndTheirAuditLinesCommitTogether(_ backend: Backend) async throws {
        let h = try await Fixture.open(backend)
        let accessStore = try await Composition.openStore(h.location)
        let access = AccessService(store: accessStore)
        let before = try await h.store.audit(limit: 10_000).count
        let rounds = 40
        let now = SystemClock().now()

        async let commands: [CommandOutcome] = withThrowingTaskGroup(of: (Int, CommandOutcome).self) { group in
            for n in 0..<rounds {
                group.addTask {
                    // Every fourth deposit is of nothing: rejected, and audited as rejected.
                    let outcome = try await h.service.execute(
                        CommandRequest(
                            idempotencyKey: "audit-\(n)",
                            command: .depositFunds(account: Fixture.investor, amountFen: n % 4 == 3 ? 0 : 100, bankReference: "AUDIT-\(n)")),
                        audit: AuditNote(at: now, user: "u\(n)", action: "test_transfer", address: "127.0.0.\(n % 200)"))
                    return (n, outcome)
                }
            }
            var outcomes = [CommandOutcome?](repeating: nil, count: rounds)
            for try await (n, outcome) in group { outcomes[n] = outcome }
            return outcomes.map { $0! }
        }
        async let others: Void = withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<rounds {
                group.addTask { try await access.audit(now, "other\(n)", "test_other", "-", "127.0.0.1") }
            }
            try await group.waitForAll()
        }
        let outcomes = try await commands
        try await others

        let audit = try await h.store.audit(limit: 10_000)
        #expect(audit.count == before + 2 * rounds)
        for (n, outcome) in outcomes.enumerated() {
            let line = try #require(audit.first { $0.user == "u\(n)" && $0.action == "test_transfer" })
            switch outcome {
            case .accepted(let receipt): #expect(line.detail == "accepted #\(receipt.seq)")
            case .rejected(let error): #expect(line.detail == "rejected \(error.code.rawValue)" && n % 4 == 3)
            }
            #expect(line.address == "127.0.0.\(n % 200)")
        }
        #expect(audit.filter { $0.action == "test_other" }.count == rounds)

        // The same key again: replayed, and audited as replayed with the first entry's number.
        let first = try #require(outcomes[0].receipt)
        let replay = try await h.service.execute(
            CommandRequest(idempotencyKey: "audit-0", command: .depositFunds(account: Fixture.investor, amountFen: 100, bankReference: "AUDIT-0")),
            audit: AuditNote(at: now, user: "again\u{0}", action: "test_transfer", address: "::1"))
        #expect(replay.receipt?.replayed == true)
        let again = try #require(try await h.store.audit(limit: 1).first)
        #expect(again.detail == "replayed #\(first.seq)" && again.user == "again\u{FFFD}", "NUL replaced (PostgreSQL refuses it)")

        // A note's summary (what was asked, as a web form words it) follows an acceptance, not a refusal.
        let asked = String(repeating: "x", count: AuditNote.maxSummaryChars + 50)
        let deposited = try #require(try await h.service.execute(
            CommandRequest(idempotencyKey: "audit-summary", command: .depositFunds(account: Fixture.investor, amountFen: 100, bankReference: "AUDIT-S")),
            audit: AuditNote(at: now, user: "web", action: "deposit", address: "::1", summary: asked)).receipt)
        #expect(try await h.store.audit(limit: 1).first?.detail == "accepted #\(deposited.seq): " + asked.prefix(AuditNote.maxSummaryChars))
        _ = try await h.service.execute(
            CommandRequest(idempotencyKey: "audit-summary-0", command: .depositFunds(account: Fixture.investor, amountFen: 0, bankReference: "AUDIT-S0")),
            audit: AuditNote(at: now, user: "web", action: "deposit", address: "::1", summary: "0.00 CNY"))
        #expect(try await h.store.audit(limit: 1).first?.detail.hasPrefix("rejected ") == true)
        try await accessStore.close()
        try await h.close()
    }
}
