import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Editing, deleting or inserting journal rows, or editing projection rows, makes verify fail
/// and name the first bad entry.
@Suite("Tamper detection")
struct TamperTests {
    /// A demo market; returns its location and journal head.
    private func demo(_ backend: Backend, _ name: String = #function) async throws -> (StoreLocation, JournalHead) {
        let h = try await Harness.open(backend, name)
        _ = try await DemoMarket.seed(h.service)
        let head = try await h.store.head()
        #expect(try await LedgerVerifier(store: h.store).verify().ok)
        try await h.close()
        return (h.location, head)
    }

    private func tamper(_ location: StoreLocation, _ statements: [(String, [SQLValue])]) async throws {
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            for (statement, binds) in statements { try await sql.execute(statement, binds) }
        }
        try await database.close()
    }

    private func verify(_ location: StoreLocation) async throws -> VerifyReport {
        let store = try await Composition.openStore(location)
        let report = try await LedgerVerifier(store: store).verify()
        try await store.close()
        return report
    }

    @Test(arguments: Backend.all)
    func editedEntryIsNamed(_ backend: Backend) async throws {
        let (location, _) = try await demo(backend)
        try await tamper(location, [("UPDATE journal SET body = replace(body, '30000000', '30000001') WHERE seq = 18", [])])
        let report = try await verify(location)
        #expect(!report.ok)
        #expect(report.firstBadEntry == 18, "\(report.problems)")
        #expect(report.problems.first?.contains("edited") == true)
    }

    /// An attacker who also recomputes the entry's hash is caught by the next entry's link, or
    /// earlier, by the entry's stored double-entry postings.
    @Test(arguments: Backend.all)
    func editedEntryWithRecomputedHash(_ backend: Backend) async throws {
        let (location, _) = try await demo(backend)
        try await rewrite(location, seq: 12, replacing: "Green Bank", with: "Grey Bank")
        let renamed = try await verify(location)
        #expect(!renamed.ok && renamed.firstBadEntry == 13, "entry 13 no longer chains: \(renamed.problems)")

        let (other, _) = try await demo(backend)
        try await rewrite(other, seq: 21, replacing: "14000000", with: "14000001")
        let moved = try await verify(other)
        #expect(!moved.ok && moved.firstBadEntry == 21, "postings of entry 21 differ: \(moved.problems)")
    }

    private func rewrite(_ location: StoreLocation, seq: Int64, replacing old: String, with new: String) async throws {
        let store = try await Composition.openStore(location)
        var entry = try #require(try await store.journal(after: seq - 1, limit: 1).first)
        try await store.close()
        #expect(entry.body.contains(old))
        entry.body = entry.body.replacingOccurrences(of: old, with: new)
        entry.hash = entry.computedHash
        try await tamper(location, [("UPDATE journal SET body = $1, hash = $2 WHERE seq = $3", [.text(entry.body), .text(entry.hash), .int(seq)])])
    }

    @Test(arguments: Backend.all)
    func deletedEntryIsNamed(_ backend: Backend) async throws {
        let (location, head) = try await demo(backend)
        try await tamper(location, [("DELETE FROM journal WHERE seq = 7", [])])
        #expect(try await verify(location).firstBadEntry == 7)
        try await tamper(location, [("DELETE FROM journal WHERE seq >= 7", [])])
        let truncated = try await verify(location)
        #expect(!truncated.ok && truncated.firstBadEntry == 7, "the head still records entry \(head.seq): \(truncated.problems)")
    }

    @Test(arguments: Backend.all)
    func insertedEntryIsNamed(_ backend: Backend) async throws {
        let (location, head) = try await demo(backend)
        // A well-formed forged entry appended after the head: deposits money from nowhere.
        let body = LedgerCodec().encode([RegistryEvent.fundsDeposited(account: "INV-000001", amountFen: 1_000_000, bankReference: "forged")])
        let forged = JournalEntry.sealed(after: head, recordedAt: Timestamp(millisecondsSinceEpoch: 1), kind: "deposit_funds", idempotencyKey: "forged", body: body)
        try await tamper(location, [(
            "INSERT INTO journal (seq, recorded_at, kind, idempotency_key, body, prev_hash, hash) VALUES ($1, 1, 'deposit_funds', 'forged', $2, $3, $4)",
            [.int(forged.seq), .text(forged.body), .text(forged.prevHash), .text(forged.hash)])])
        let report = try await verify(location)
        #expect(!report.ok)
        #expect(report.firstBadEntry == head.seq + 1, "\(report.problems)")
    }

    @Test(arguments: Backend.all)
    func editedProjectionIsFound(_ backend: Backend) async throws {
        let (location, _) = try await demo(backend)
        try await tamper(location, [("UPDATE holding_blocks SET quantity = quantity + 1000 WHERE account_id = 'ENT-000002' AND unit_type = 'CEA23'", [])])
        let report = try await verify(location)
        #expect(!report.ok)
        #expect(report.problems.contains { $0.contains("holding") && $0.contains("ENT-000002") }, "\(report.problems)")
    }
}
