import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Migration 13: postings as one row per entry, SQLite's key-ordered tables WITHOUT ROWID.
/// Databases written before it must keep reading and verifying.
@Suite("Storage migrations")
struct MigrationTests {
    /// Numbers are unique and in order in the list (a merge that gives two migrations one
    /// number would otherwise only show at start-up, as a key violation).
    @Test func migrationNumbersAreUniqueAndIncreasing() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count, "\(versions)")
    }

    /// Entries written before migration 13 have one `journal_postings` row per posting; verify
    /// reads them beside the new rows and still catches an edited one.
    @Test(arguments: Backend.all)
    func legacyPostingRowsStillVerify(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let location = h.location
        _ = try await DemoMarket.seed(h.service)
        let total = try await h.store.postings(after: 0, through: Int64.max)
        try await h.close()
        // The first ten entries with postings are rewritten the way the code before migration 13 stored them.
        let cut = try #require(total.keys.sorted().dropFirst(9).first)
        let legacy = total.filter { $0.key <= cut }
        #expect(legacy.count == 10 && legacy.count < total.count)
        var statements: [(String, [SQLValue])] = [("DELETE FROM journal_posting_sets WHERE seq <= $1", [.int(cut)])]
        for (seq, postings) in legacy {
            for (line, p) in postings.enumerated() {
                statements.append((
                    "INSERT INTO journal_postings (seq, line, account_id, asset, amount) VALUES ($1, $2, $3, $4, $5)",
                    [.int(seq), .int(Int64(line)), .text(p.account), .text(p.asset), .int(p.amount)]))
            }
        }
        try await run(location, statements)
        let reopened = try await Composition.openStore(location)
        #expect(try await reopened.postings(after: 0, through: Int64.max) == total)
        #expect(try await LedgerVerifier(store: reopened).verify().ok)
        try await reopened.close()

        let edited = try #require(legacy.keys.min())
        try await run(location, [("UPDATE journal_postings SET amount = amount + 1 WHERE seq = $1 AND line = 0", [.int(edited)])])
        let tampered = try await Composition.openStore(location)
        let report = try await LedgerVerifier(store: tampered).verify()
        try await tampered.close()
        #expect(!report.ok && report.firstBadEntry == edited, "\(report.problems)")
    }

    /// A SQLite file migrated before 13 keeps its rows when the tables are rebuilt.
    @Test func sqliteTablesAreRebuiltWithoutRowIDKeepingRows() async throws {
        let location = try Backend.sqlite.freshLocation()
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            try await sql.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", [])
            for migration in Migrations.all where migration.version < 13 {
                for statement in migration.sqliteStatements ?? migration.statements { try await sql.execute(statement, []) }
                try await sql.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)",
                    [.int(Int64(migration.version)), .text(migration.name)])
            }
            try await sql.execute("INSERT INTO journal VALUES (1, 0, 'registry.openAccount', 'k-1', '[]', 'p', 'h')", [])
            try await sql.execute("INSERT INTO idempotency VALUES ('k-1', 'h', 1)", [])
            try await sql.execute("INSERT INTO journal_accounts VALUES ('ENT-000001', 1)", [])
            try await sql.execute("INSERT INTO holding_blocks VALUES ('ENT-000001', 'CEA24', 0, '', 500)", [])
            try await sql.execute("INSERT INTO cash_balances VALUES ('ENT-000001', 700)", [])
            try await sql.execute("INSERT INTO trading_locks VALUES ('XO-1', 'ENT-000001', 'units', 'CEA24', 5, 'order 1', 0)", [])
            try await sql.execute("INSERT INTO settlements VALUES ('D-1', 'ENT-000001', 'INV-000001', 'CEA24', 5, 500, 0)", [])
        }
        try await database.close()

        let store = try await Composition.openStore(location)  // applies 13 and later
        try await store.close()
        let check = try await Composition.openDatabase(location, connectionID: 9)
        let tables = ["journal", "idempotency", "journal_accounts", "holding_blocks", "cash_balances", "trading_locks", "settlements"]
        for table in tables {
            let rows = try await check.withExecutor { sql in
                try await sql.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1", [.text(table)])
            }
            #expect(try rows.first?.text(0).hasSuffix("WITHOUT ROWID") == (table != "journal"), "\(table)")
            let count = try await check.withExecutor { sql in try await sql.query("SELECT COUNT(*) FROM \(table)", []) }
            #expect(try count.first?.int(0) == 1, "\(table) kept its row")
        }
        let journal = try await check.withExecutor { sql in
            try await sql.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal'", [])
        }
        #expect(try journal.first?.text(0).contains("seq INTEGER PRIMARY KEY") == true)
        let index = try await check.withExecutor { sql in
            try await sql.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'holding_blocks_serial'", [])
        }
        #expect(index.count == 1, "the serial index is created again")
        try await check.close()
    }

    private func run(_ location: StoreLocation, _ statements: [(String, [SQLValue])]) async throws {
        let database = try await Composition.openDatabase(location, connectionID: 9)
        try await database.transaction { sql in
            for (statement, binds) in statements { try await sql.execute(statement, binds) }
        }
        try await database.close()
    }
}
