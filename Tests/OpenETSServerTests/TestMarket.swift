import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// What the server suites share to set a market up: the databases to run on, a fresh database
/// for one test, the demo market opened in it, API tokens, and removing a SQLite database after.
///
/// Every database is named `t_<minutes since 1970>_<tag>_<random>`, as `Backend.freshLocation`
/// names the store tests' (SQLite files in `$TMPDIR/openets-tests`), so `scripts/test` sweeps
/// what a failed or interrupted run left behind, and a run in progress elsewhere keeps its own.
enum TestMarket {
    /// SQLite always; PostgreSQL too when a server is named (`OPENETS_REQUIRE_POSTGRES=1`
    /// without one is an error, as in the store tests).
    static var databases: [String] {
        let url = ProcessInfo.processInfo.environment["OPENETS_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty && ProcessInfo.processInfo.environment["OPENETS_REQUIRE_POSTGRES"] != "1" ? ["sqlite"] : ["sqlite", "postgres"]
    }

    /// A database no other test uses: a PostgreSQL schema for `"postgres"`, else a SQLite file.
    /// `tag` (lower-case letters, digits, `_`) says which suite made it.
    static func freshLocation(_ database: String = "sqlite", tag: String) throws -> StoreLocation {
        let name = "t_\(Int(Date().timeIntervalSince1970 / 60))_\(tag)_\(UInt32.random(in: 0...UInt32.max))"
        guard database == "postgres" else { return .sqlite(path: try sqlitePath(name)) }
        let url = try #require(
            ProcessInfo.processInfo.environment["OPENETS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 },
            "OPENETS_REQUIRE_POSTGRES=1 but OPENETS_TEST_POSTGRES_URL is not set")
        return .postgres(url: url, schema: name)
    }

    /// The path of a fresh SQLite database (`freshLocation` for the SQLite-only suites).
    static func freshSQLitePath(tag: String) throws -> String {
        guard case .sqlite(let path) = try freshLocation(tag: tag) else { preconditionFailure("a SQLite location") }
        return path
    }

    private static func sqlitePath(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openets-tests")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("\(name).db").path
    }

    /// The demo market's day in the server tests, a Tuesday.
    static let today = CivilDate(year: 2025, month: 6, day: 3)

    /// The demo market at `location`: `days` of history, the market clock on `today` from
    /// 08:00 and its drill clock from `drillHour:drillMinute` (Beijing), and the demo users.
    static func openDemo(
        _ location: StoreLocation, days: Int = 2, drillHour: Int = 10, drillMinute: Int = 0
    ) async throws -> (store: any LedgerStore, service: RegistryService, clock: MarketClock) {
        let clock = MarketClock(today, hour: 8, minute: 0)
        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        _ = try await DemoExchange.seedWithHistory(
            service, clock: clock, today: today, days: days, drillStart: BeijingTime.timestamp(today, hour: drillHour, minute: drillMinute))
        try await DemoUsers.seed(store, at: SystemClock().now())
        return (store, service, clock)
    }

    /// A live API token for each of `users`, by user id.
    static func tokens(_ store: any LedgerStore, _ users: [String], label: String = "test") async throws -> [String: String] {
        let access = AccessService(store: store)
        var tokens: [String: String] = [:]
        for user in users {
            tokens[user] = try await access.createAPIToken(user: user, label: label, at: SystemClock().now()).get().token
        }
        return tokens
    }

    /// Removes a SQLite database with its WAL files; a PostgreSQL schema stays for a look after
    /// a failure, until `scripts/test` sweeps it.
    static func remove(_ location: StoreLocation) {
        guard case .sqlite(let path) = location else { return }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
