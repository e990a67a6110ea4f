import CSQLite
import OpenETSSQLStore

public struct SQLiteError: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var description: String { "SQLite error \(code): \(message)" }
}

/// The embedded database: one file, WAL journal, `synchronous=FULL` so that every commit is
/// on disk before it is acknowledged. One connection per `SQLiteDatabase` for writes and reads,
/// plus, once `read` is first called, a read-only one; other processes wait on SQLite's write
/// lock (`busy_timeout`).
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    // All access to `connection` goes through `lock`, to `reader` through `readerLock`.
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    /// A read-only connection for `read`, opened on first use: in WAL mode it reads the last
    /// commit while the writer's transaction is open, so reads (API tokens, sessions) do not
    /// wait for an fsync. Touched only under `readerLock`.
    private var reader: SQLiteConnection?
    private let readerLock = AsyncLock()
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let busyTimeoutMilliseconds: Int
    /// The longest wait for the write lock, in busy timeouts, however busy the others are.
    static let maxWaitFactor = 10

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, busyTimeoutMilliseconds: Int = 30_000) throws {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        connection = try SQLiteConnection(path: path)
        // The timeout first: switching to WAL itself waits for other connections' locks.
        connection.busyTimeoutMilliseconds = Int32(busyTimeoutMilliseconds)
        try connection.run("PRAGMA busy_timeout=\(busyTimeoutMilliseconds)")
        try connection.run("PRAGMA journal_mode=WAL")
        try connection.run("PRAGMA synchronous=FULL")
        // 64 MiB page cache (the default is 2 MiB): the journal and projections stay hot.
        try connection.run("PRAGMA cache_size=-65536")
        // Checkpoint the WAL every 16,384 pages (64 MiB) instead of 1,000: fewer, larger
        // checkpoints on the committing thread.
        try connection.run("PRAGMA wal_autocheckpoint=16384")
        try connection.run("PRAGMA foreign_keys=ON")
    }

    public func transaction<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock {
            try await beginImmediate()
            do {
                let value = try await body(connection)
                try connection.run("COMMIT")
                return value
            } catch {
                try? connection.run("ROLLBACK")
                throw error
            }
        }
    }

    /// Takes the database write lock without blocking a thread: another process's or
    /// connection's writer makes `BEGIN IMMEDIATE` fail at once with SQLITE_BUSY, and this
    /// task sleeps and retries (1-4 ms, jittered). A blocking busy handler would hold one of
    /// the few cooperative threads while the lock's holder may need one to finish.
    ///
    /// It gives up ("database is locked") only when no other writer has committed for
    /// `busyTimeoutMilliseconds` (`PRAGMA data_version` unchanged), not after that long in
    /// total: SQLite's lock is not fair, a writer that just committed usually takes it again
    /// before the sleepers wake, so under many writers one can wait behind thousands of
    /// commits. Waiting while others make progress is a queue; no progress is a stuck lock.
    /// Either way the wait ends after `maxWaitFactor` × the timeout (10 × 30 s), so a writer
    /// starved by others' steady commits fails instead of hanging its callers for ever.
    private func beginImmediate() async throws {
        let clock = ContinuousClock()
        let timeout = Duration.milliseconds(busyTimeoutMilliseconds)
        let cap = clock.now + timeout * Self.maxWaitFactor
        var deadline = clock.now + timeout
        var seenVersion: SQLValue?
        while true {
            do {
                try connection.withoutBusyWait { try connection.run("BEGIN IMMEDIATE") }
                return
            } catch let error as SQLiteError where error.code == SQLITE_BUSY {
                // A WAL read is rarely busy; when it is, "no change seen" is the safe reading.
                let version = try? await connection.withoutBusyWait { try await connection.query("PRAGMA data_version", []).first?.values.first }
                if let version, version != seenVersion {
                    if seenVersion != nil { deadline = min(clock.now + timeout, cap) }
                    seenVersion = version
                }
                guard clock.now < deadline else { throw error }
                try await Task.sleep(for: .microseconds(Int.random(in: 1_000...4_000)))
            }
        }
    }

    public func withExecutor<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock { try await body(connection) }
    }

    public func read<T>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        try await readerLock.withLock {
            if reader == nil {
                let opened = try SQLiteConnection(path: path, readOnly: true)
                // A WAL reader waits only while a checkpoint restarts the log: briefly.
                opened.busyTimeoutMilliseconds = 1_000
                try opened.run("PRAGMA busy_timeout=1000")
                try opened.run("PRAGMA cache_size=-16384")
                reader = opened
            }
            return try await body(reader!)
        }
    }

    public func close() async throws {
        try await readerLock.withLock {
            reader?.close()
            reader = nil
        }
        try await lock.withLock { connection.close() }
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

final class SQLiteConnection: SQLExecutor {
    private var handle: OpaquePointer?
    private var statements: [String: Prepared] = [:]

    /// A cached statement, and whether `$1, $2, …` are its parameters 1, 2, … (then binding
    /// needs no name lookup).
    private struct Prepared {
        var statement: OpaquePointer
        var positional: Bool
    }
    static let maxCachedStatements = 64

    init(path: String, readOnly: Bool = false) throws {
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            handle = nil
            throw SQLiteError(code: status, message: "\(path): \(message)")
        }
    }

    deinit { close() }

    func close() {
        for prepared in statements.values { sqlite3_finalize(prepared.statement) }
        statements = [:]
        if let handle { sqlite3_close(handle) }
        handle = nil
    }

    /// Runs `body` with SQLite's blocking busy handler off, restoring it afterwards.
    func withoutBusyWait<T>(_ body: () throws -> T) rethrows -> T {
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, busyTimeoutMilliseconds) }
        return try body()
    }

    func withoutBusyWait<T>(_ body: () async throws -> T) async rethrows -> T {
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, busyTimeoutMilliseconds) }
        return try await body()
    }

    var busyTimeoutMilliseconds: Int32 = 30_000

    /// Runs statements without parameters (pragmas, BEGIN, COMMIT, DDL).
    func run(_ sql: String) throws {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed") }
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw SQLiteError(code: status, message: "\(message) [\(sql.prefix(80))]")
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        let statement = try prepared(sql, binds)
        defer { sqlite3_reset(statement) }
        try step(statement, sql)
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let statement = try prepared(sql, binds)
        defer { sqlite3_reset(statement) }
        var rows: [SQLRow] = []
        while try step(statement, sql) {
            let count = sqlite3_column_count(statement)
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_NULL: values.append(.null)
                case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(statement, column)))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    if count > 0, let pointer = sqlite3_column_blob(statement, column) {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: count))))
                    } else {
                        values.append(.blob([]))
                    }
                default: values.append(.text(String(cString: sqlite3_column_text(statement, column))))
                }
            }
            rows.append(SQLRow(values))
        }
        return rows
    }

    /// One row per statement: the statement is looked up once, then bound, stepped and reset
    /// per row (a cache lookup hashes the whole SQL text).
    func executeRows(prefix: String, width: Int, suffix: String, rows: [[SQLValue]]) async throws {
        guard let first = rows.first else { return }
        let sql = prefix + placeholderTuples(rows: 1, width: width) + suffix
        let statement = try prepared(sql, first)
        defer { sqlite3_reset(statement) }
        try step(statement, sql)
        for row in rows.dropFirst() {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            try bind(statement, row, positional: true, sql)
            try step(statement, sql)
        }
    }

    @discardableResult
    private func step(_ statement: OpaquePointer, _ sql: String) throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status:
            throw SQLiteError(code: status, message: "\(String(cString: sqlite3_errmsg(handle))) [\(sql.prefix(120))]")
        }
    }

    private func prepared(_ sql: String, _ binds: [SQLValue]) throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed") }
        let prepared: Prepared
        if let cached = statements[sql] {
            prepared = cached
            sqlite3_clear_bindings(prepared.statement)
        } else {
            var fresh: OpaquePointer?
            let status = sqlite3_prepare_v2(handle, sql, -1, &fresh, nil)
            guard status == SQLITE_OK, let fresh else {
                throw SQLiteError(code: status, message: "\(String(cString: sqlite3_errmsg(handle))) [\(sql.prefix(120))]")
            }
            if statements.count >= Self.maxCachedStatements {
                for old in statements.values { sqlite3_finalize(old.statement) }
                statements = [:]
            }
            let count = sqlite3_bind_parameter_count(fresh)
            let positional = count == 0 || (1...count).allSatisfy { index in
                sqlite3_bind_parameter_name(fresh, index).map { String(cString: $0) } == "$\(index)"
            }
            prepared = Prepared(statement: fresh, positional: positional)
            statements[sql] = prepared
        }
        try bind(prepared.statement, binds, positional: prepared.positional, sql)
        return prepared.statement
    }

    private func bind(_ statement: OpaquePointer, _ binds: [SQLValue], positional: Bool, _ sql: String) throws {
        for (offset, value) in binds.enumerated() {
            let index = positional ? Int32(offset + 1) : sqlite3_bind_parameter_index(statement, "$\(offset + 1)")
            guard index > 0 else { throw SQLiteError(code: SQLITE_RANGE, message: "no $\(offset + 1) in [\(sql.prefix(80))]") }
            let status: Int32 =
                switch value {
                case .null: sqlite3_bind_null(statement, index)
                case .int(let int): sqlite3_bind_int64(statement, index, int)
                case .text(let text): bindText(statement, index, text)
                case .blob(let bytes):
                    // A zero-length blob (not NULL) when empty.
                    bytes.isEmpty
                        ? sqlite3_bind_zeroblob(statement, index, 0)
                        : bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32(bytes.count), transient) }
                }
            guard status == SQLITE_OK else { throw SQLiteError(code: status, message: "bind $\(offset + 1)") }
        }
    }

    /// Binds the string's own UTF-8 bytes (SQLite copies them), without a C-string copy first.
    private func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text(statement, index, $0, Int32(utf8.count), transient)
            }
        }
    }
}
