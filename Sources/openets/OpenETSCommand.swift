import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

@main
struct OpenETSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openets",
        abstract: "OpenETS: registry, trading and MRV for a national carbon emissions trading system.",
        subcommands: [ServeCommand.self, RegistryCommandGroup.self, ExchangeCommandGroup.self, CCERCommandGroup.self, MRVCommandGroup.self, CycleCommandGroup.self, PlanCommandGroup.self, AccessCommandGroup.self, AccountCommandGroup.self, TOTPCommand.self, CalcCommand.self, DemoCommand.self, MigrateCommand.self, BenchCommand.self])
}

/// `--db PATH` (SQLite, default ./openets.db) or `--postgres URL`.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite database file (the default store).")
    var db: String = StoreLocation.defaultSQLitePath

    @Option(help: "PostgreSQL URL, postgres://user:password@host:port/database. Overrides --db.")
    var postgres: String?

    @Option(help: "PostgreSQL schema to use (default: the search path's).")
    var schema: String?

    var location: StoreLocation {
        if let postgres { return .postgres(url: postgres, schema: schema) }
        return .sqlite(path: db)
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Create a small demo market (idempotent: running it twice changes nothing).")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let clock = MarketClock()
        let summary = try await withRegistry(store.location, clock: clock) { ledger, service in
            let summary = try await DemoExchange.seedWithHistory(service, clock: clock, today: BeijingTime.date(SystemClock().now()))
            let cycle = try await Composition.openAllocationCycleStore(store.location, connectionID: 2)
            do {
                try await DemoCycle.seed(service, store: cycle, clock: clock)
                try await cycle.close()
            } catch {
                try? await cycle.close()
                throw error
            }
            try await DemoUsers.seed(ledger, at: SystemClock().now())
            try await DemoMRV.seed(store.location)
            return summary
        }
        if json {
            print(jsonText(summary))
        } else {
            print("Demo market ready in \(store.location): \(summary.accounts) accounts, \(summary.journalEntries) journal entries.")
            print("Unit types: \(summary.unitTypes.joined(separator: ", "))")
            for supply in summary.supply {
                print("  \(supply.unit): issued \(supply.issued) t, cancelled \(supply.cancelled) t, held \(supply.held) t")
            }
            print("Try: openets registry balances, openets registry verify (with the same --db or --postgres)")
            print(DemoUsers.listing())
        }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let ledger = try await Composition.openStore(store.location)
        try await ledger.close()
        print("migrated \(store.location)")
    }
}

func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// Opens the store and the registry service, runs `body`, and closes the store either way.
func withRegistry<T>(
    _ location: StoreLocation, clock: any LedgerClock = SystemClock(), _ body: (any LedgerStore, RegistryService) async throws -> T
) async throws -> T {
    let (store, service) = try await Composition.openRegistry(location, clock: clock)
    do {
        let value = try await body(store, service)
        try await store.close()
        return value
    } catch {
        try? await store.close()
        throw error
    }
}

func withStore<T>(_ location: StoreLocation, _ body: (any LedgerStore) async throws -> T) async throws -> T {
    let store = try await Composition.openStore(location)
    do {
        let value = try await body(store)
        try await store.close()
        return value
    } catch {
        try? await store.close()
        throw error
    }
}

struct TOTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "totp", abstract: "Print the current one-time code of a TOTP secret (demo users).")
    @Option(help: "Base32 secret.") var secret: String

    func run() throws {
        guard let code = TOTP.code(secret: secret, at: SystemClock().now()) else { throw ValidationError("not a base32 secret") }
        print(code)
    }
}
