/// A value bound to, or read from, a SQL statement. Both databases see the same four types;
/// `blob` is a BLOB column on SQLite and BYTEA on PostgreSQL (migration 9 gives each its type).
public enum SQLValue: Hashable, Sendable {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .int(let value) = self { value } else { nil } }
    public var text: String? { if case .text(let value) = self { value } else { nil } }
    public var blob: [UInt8]? { if case .blob(let value) = self { value } else { nil } }
}

extension SQLValue {
    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int64) { self = .int(value) }
    public init(_ value: Int) { self = .int(Int64(value)) }
}

public struct SQLRow: Sendable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public func int(_ index: Int) throws -> Int64 {
        guard let value = values[index].int else { throw SQLStoreError.unexpectedValue(column: index, values[index]) }
        return value
    }

    public func text(_ index: Int) throws -> String {
        guard let value = values[index].text else { throw SQLStoreError.unexpectedValue(column: index, values[index]) }
        return value
    }

    public func blob(_ index: Int) throws -> [UInt8] {
        guard let value = values[index].blob else { throw SQLStoreError.unexpectedValue(column: index, values[index]) }
        return value
    }

    public func optionalText(_ index: Int) throws -> String? {
        values[index] == .null ? nil : try text(index)
    }
}

public enum SQLStoreError: Error, CustomStringConvertible {
    case unexpectedValue(column: Int, SQLValue)
    case corrupt(String)

    public var description: String {
        switch self {
        case .unexpectedValue(let column, let value): "unexpected value \(value) in column \(column)"
        case .corrupt(let what): "corrupt row: \(what)"
        }
    }
}

/// Runs statements. Placeholders are `$1`, `$2`, ... in both dialects.
public protocol SQLExecutor {
    func execute(_ sql: String, _ binds: [SQLValue]) async throws
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
    /// Runs `prefix (row) [, (row)...] suffix` for every row: each `(row)` is a tuple of
    /// `width` placeholders. The adapter picks how many rows go in one statement (SQLite: one,
    /// reusing the prepared statement; PostgreSQL: many, to save round trips).
    func executeRows(prefix: String, width: Int, suffix: String, rows: [[SQLValue]]) async throws
}

public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// A database connection as the shared store needs it.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// One transaction. For `.sqlite` it starts with `BEGIN IMMEDIATE` (the write lock).
    func transaction<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T
    /// Statements outside an explicit transaction, for reads.
    func withExecutor<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T
    /// Reads only, of committed data: where the database allows, on a connection of their own,
    /// so that they do not queue behind a write transaction waiting for its fsync.
    func read<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T
    func close() async throws
}

extension SQLDatabase {
    public func read<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await withExecutor(body)
    }
}

/// Tuples `($1,$2),($3,$4)` for `rows` rows of `width` placeholders starting at `$start`.
public func placeholderTuples(rows: Int, width: Int, start: Int = 1) -> String {
    var parts: [String] = []
    parts.reserveCapacity(rows)
    var next = start
    for _ in 0..<rows {
        var tuple: [String] = []
        for _ in 0..<width {
            tuple.append("$\(next)")
            next += 1
        }
        parts.append("(" + tuple.joined(separator: ",") + ")")
    }
    return parts.joined(separator: ",")
}

/// A FIFO lock that may be held across suspension points.
public actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    nonisolated public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        await lock()
        do {
            let value = try await body()
            await unlock()
            return value
        } catch {
            await unlock()
            throw error
        }
    }
}
