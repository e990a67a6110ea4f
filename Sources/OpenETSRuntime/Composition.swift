import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSPostgres
import OpenETSSQLStore
import OpenETSSQLite

/// Where the registry lives. SQLite (embedded, the default) or PostgreSQL (production).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String, schema: String?)

    public static let defaultSQLitePath = "./openets.db"

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url, let schema): "postgres:\(redacted(url))" + (schema.map { " schema \($0)" } ?? "")
        }
    }
}

private func redacted(_ url: String) -> String {
    guard var components = URLComponents(string: url), components.password != nil else { return url }
    components.password = "***"
    return components.string ?? url
}

/// The composition root shared by the CLI, the benchmarks and the tests: opens and migrates
/// the store, then the registry service on top of it.
public enum Composition {
    public static func openStore(_ location: StoreLocation, connectionID: Int = 1) async throws -> any LedgerStore {
        let store: any LedgerStore
        switch location {
        case .sqlite(let path):
            store = SQLLedgerStore(database: try SQLiteDatabase(path: path))
        case .postgres(let url, let schema):
            let settings = try PostgresSettings(url: url, schema: schema)
            store = SQLLedgerStore(database: try await PostgresDatabase.connect(settings, id: connectionID))
        }
        do {
            try await store.migrate()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    public static func openRegistry(
        _ location: StoreLocation, clock: any LedgerClock = SystemClock()
    ) async throws -> (store: any LedgerStore, service: RegistryService) {
        let store = try await openStore(location)
        do {
            return (store, try await RegistryService.open(store: store, clock: clock))
        } catch {
            try? await store.close()
            throw error
        }
    }
}

extension Composition {
    /// The MRV platform on its own connection to the same database: migrates (migration 5 holds
    /// its journal), then rebuilds the state by replaying the MRV journal. MRV posts nothing
    /// into the registry, so it does not go through `RegistryService`.
    public static func openMRV(
        _ location: StoreLocation, clock: any LedgerClock = SystemClock(), policy: MRVPolicyTables? = nil, connectionID: Int = 1
    ) async throws -> (store: any MRVStore, service: MRVService) {
        let store: any MRVStore
        switch location {
        case .sqlite(let path):
            store = SQLMRVStore(database: try SQLiteDatabase(path: path))
        case .postgres(let url, let schema):
            store = SQLMRVStore(database: try await PostgresDatabase.connect(try PostgresSettings(url: url, schema: schema), id: connectionID))
        }
        do {
            try await store.migrate()
            return (store, try await MRVService.open(store: store, clock: clock, policy: policy))
        } catch {
            try? await store.close()
            throw error
        }
    }
}

extension Composition {
    /// The raw database behind a location, for tamper tests and the benchmark baseline.
    public static func openDatabase(_ location: StoreLocation, connectionID: Int = 1) async throws -> any SQLDatabase {
        switch location {
        case .sqlite(let path):
            return try SQLiteDatabase(path: path)
        case .postgres(let url, let schema):
            return try await PostgresDatabase.connect(try PostgresSettings(url: url, schema: schema), id: connectionID)
        }
    }
}

extension Composition {
    /// The allocation cycle: the registry (as `openRegistry`) and the cycle's records
    /// (migration 8) on a second connection to the same database.
    public static func openAllocationCycle(
        _ location: StoreLocation, clock: any LedgerClock = SystemClock()
    ) async throws -> (store: any LedgerStore, registry: RegistryService, cycleStore: any AllocationCycleStore, service: AllocationCycleService) {
        let (store, registry) = try await openRegistry(location, clock: clock)
        do {
            let cycleStore = try await openAllocationCycleStore(location, connectionID: 2)
            return (store, registry, cycleStore, AllocationCycleService(registry: registry, store: cycleStore, clock: clock))
        } catch {
            try? await store.close()
            throw error
        }
    }
}

extension Composition {
    /// The allocation plans alone (migration 14): migrates, then the plan service on the
    /// cycle's store, without the registry.
    public static func openAllocationPlans(
        _ location: StoreLocation, clock: any LedgerClock = SystemClock(), connectionID: Int = 1
    ) async throws -> (store: any AllocationCycleStore, service: AllocationPlanService) {
        let store = try await openAllocationCycleStore(location, connectionID: connectionID)
        do {
            try await store.migrate()
            return (store, AllocationPlanService(store: store, clock: clock))
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The allocation cycle's records alone (the store must be migrated, e.g. by `openRegistry`).
    public static func openAllocationCycleStore(_ location: StoreLocation, connectionID: Int) async throws -> any AllocationCycleStore {
        switch location {
        case .sqlite(let path):
            return SQLAllocationCycleStore(database: try SQLiteDatabase(path: path))
        case .postgres(let url, let schema):
            return SQLAllocationCycleStore(
                database: try await PostgresDatabase.connect(try PostgresSettings(url: url, schema: schema), id: connectionID))
        }
    }
}
