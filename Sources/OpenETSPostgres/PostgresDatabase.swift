import Foundation
import Logging
import OpenETSSQLStore
import PostgresNIO

/// Connection settings from a `postgres://user:password@host:port/database` URL.
public struct PostgresSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Tables live in this schema (created if missing); tests give each run its own.
    public var schema: String?

    public init(url: String, schema: String? = nil) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else { throw PostgresSettingsError(url: url, reason: nil) }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user ?? "postgres"
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        if let schema {
            // Interpolated into SQL as an identifier: letters, digits and '_' only.
            let valid = (1...63).contains(schema.utf8.count) && schema.utf8.first.map { !(48...57).contains($0) } == true
                && schema.utf8.allSatisfy { (97...122).contains($0) || (65...90).contains($0) || (48...57).contains($0) || $0 == 95 }
            guard valid else { throw PostgresSettingsError(url: url, reason: "schema '\(schema)' must be 1-63 of a-z, A-Z, 0-9, _ and not start with a digit") }
        }
        self.schema = schema
    }
}

public struct PostgresSettingsError: Error, CustomStringConvertible {
    public var url: String
    public var reason: String?
    public var description: String { reason ?? "not a postgres://user[:password]@host[:port]/database URL: \(url)" }
}

/// PostgreSQL through postgres-nio. One connection per `PostgresDatabase`; writers in other
/// connections or processes queue on the journal head row lock (`SELECT … FOR UPDATE`).
/// Durability is the server's: `synchronous_commit` on (the default) flushes the WAL at COMMIT.
public final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
    /// Most parameters in one statement (the protocol allows 65,535).
    public static let maxBindsPerStatement = 30_000
    public static let maxRowsPerStatement = 1_000

    private let connection: PostgresConnection
    private let executor: PostgresExecutor
    private let lock = AsyncLock()
    public let dialect = SQLDialect.postgres

    public static func connect(_ settings: PostgresSettings, id: Int = 1) async throws -> PostgresDatabase {
        let configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: .disable)
        let logger = Logger(label: "openets.postgres")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        let database = PostgresDatabase(connection: connection, logger: logger)
        if let schema = settings.schema {
            try await database.executor.execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"", [])
            try await database.executor.execute("SET search_path TO \"\(schema)\"", [])
        }
        return database
    }

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.executor = PostgresExecutor(connection: connection, logger: logger)
    }

    public func transaction<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock {
            try await executor.execute("BEGIN", [])
            do {
                let value = try await body(executor)
                try await executor.execute("COMMIT", [])
                return value
            } catch {
                try? await executor.execute("ROLLBACK", [])
                throw error
            }
        }
    }

    public func withExecutor<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock { try await body(executor) }
    }

    public func close() async throws {
        try await lock.withLock { try await connection.close() }
    }
}

struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings(binds)), logger: logger)
        for try await _ in rows {}
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings(binds)), logger: logger)
        var result: [SQLRow] = []
        for try await row in rows {
            var values: [SQLValue] = []
            for cell in row {
                if cell.bytes == nil {
                    values.append(.null)
                } else {
                    switch cell.dataType {
                    case .int8, .int4, .int2: values.append(.int(try cell.decode(Int64.self)))
                    case .bytea: values.append(.blob(Array(try cell.decode(ByteBuffer.self).readableBytesView)))
                    default: values.append(.text(try cell.decode(String.self)))
                    }
                }
            }
            result.append(SQLRow(values))
        }
        return result
    }

    func executeRows(prefix: String, width: Int, suffix: String, rows: [[SQLValue]]) async throws {
        let perStatement = max(1, min(PostgresDatabase.maxRowsPerStatement, PostgresDatabase.maxBindsPerStatement / width))
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            start += chunk.count
            let sql = prefix + placeholderTuples(rows: chunk.count, width: width) + suffix
            try await execute(sql, chunk.flatMap { $0 })
        }
    }

    private func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .int(let int): bindings.append(int)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }
}
