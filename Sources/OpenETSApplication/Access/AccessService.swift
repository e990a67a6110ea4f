import Crypto
import Foundation
import OpenETSDomain
import Synchronization

public enum LoginFailure: Error, Equatable, Sendable {
    /// Unknown user, wrong password or wrong second factor: one answer for all, so the form
    /// does not reveal which.
    case invalidCredentials
    /// Too many failures for this user or address; try again after the window.
    case rateLimited
}

/// Logins, sessions, CSRF tokens, the login rate limit and the audit log.
///
/// - Passwords: scrypt (`PasswordHasher`). Roles that move units or money need a TOTP code.
/// - Sessions: a random 256-bit token in an HttpOnly cookie; the store keeps its SHA-256.
///   Each session has its own CSRF token, which every state-changing form must echo.
/// - Rate limit: at most `maxFailures` failed logins per user and per address within
///   `failureWindow`; further attempts are refused without checking the password.
public final class AccessService: Sendable {
    public static let sessionLifetimeMilliseconds: Int64 = 8 * 3_600_000
    public static let maxFailures = 5
    public static let failureWindowMilliseconds: Int64 = 5 * 60_000
    /// Named limits on the fields of the login form.
    public static let maxUserIDBytes = 64

    public let store: any AccessStore
    public let matrix: PermissionMatrix
    private let failures = Mutex<[String: [Int64]]>([:])
    private let auditLog: AuditWriter

    /// Live API tokens' lookups kept for a short time (`APITokenCache`); keeps nothing unless
    /// given a lifetime (the server's API gives `ServerConfiguration.apiTokenCacheMilliseconds`).
    public let tokenCache: APITokenCache

    public init(store: any AccessStore, matrix: PermissionMatrix = .standard, tokenCache: APITokenCache = APITokenCache()) {
        self.store = store
        self.matrix = matrix
        self.auditLog = AuditWriter(store: store)
        self.tokenCache = tokenCache
    }

    public struct Login: Sendable {
        public var token: String
        public var session: SessionRecord
        public var principal: Principal
    }

    /// `addressKey` keys the per-address limit (an IPv6 client by its /64, so that the
    /// addresses of one network are one key); `address` is what the audit log records.
    public func login(
        user id: String, password: String, totp: String?, address: String, addressKey: String? = nil, at now: Timestamp
    ) async throws -> Result<Login, LoginFailure> {
        guard id.utf8.count <= Self.maxUserIDBytes, password.utf8.count <= PasswordHasher.maxPasswordBytes else {
            return .failure(.invalidCredentials)
        }
        let keys = ["user:\(id)", "address:\(addressKey ?? address)"]
        // The attempt counts as a failure from before the password is checked, so that many
        // attempts sent at once cannot all pass the limit while their checks are in flight;
        // a successful login takes its count back.
        guard admit(keys, now) else {
            try await audit(now, id, "login_refused", "rate limited", address)
            return .failure(.rateLimited)
        }
        let user = try await store.user(id)
        // An unknown user costs the same scrypt as a known one: the answer's timing does not
        // tell which user ids exist.
        let passwordMatches = PasswordHasher.verify(password, against: user?.passwordHash ?? Self.unknownUserHash)
        guard let user, passwordMatches, try await secondFactorAccepted(user, totp, now) else {
            try await audit(now, id, "login_failed", "invalid credentials", address)
            return .failure(.invalidCredentials)
        }
        takeBack(keys, now)
        let token = Self.randomToken()
        let session = SessionRecord(
            tokenHash: sha256Hex(token), user: user.id, csrf: Self.randomToken(),
            expiresAt: Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Self.sessionLifetimeMilliseconds))
        // The session and its login line commit together (a refused login, which writes
        // nothing else, has its line written alone above).
        try await store.saveSession(
            session, audit: [AuditRecord(at: now, user: id, action: "login", detail: "role \(user.role.rawValue)", address: address)])
        return .success(Login(token: token, session: session, principal: user.principal))
    }

    /// The TOTP code of a role that moves units or money: it matches a step of the window and
    /// that step is later than the user's last accepted one (a code logs in once: replay of an
    /// observed code is refused). Checked after the password, so a stranger cannot use up steps.
    private func secondFactorAccepted(_ user: UserRecord, _ totp: String?, _ now: Timestamp) async throws -> Bool {
        guard user.role.movesUnitsOrMoney else { return true }
        guard let secret = user.totpSecret, let step = TOTP.matchingStep(totp ?? "", secret: secret, at: now) else { return false }
        return try await store.acceptTOTPStep(user: user.id, step: step)
    }

    /// The session and principal behind a cookie token, if it is live.
    public func principal(token: String, at now: Timestamp) async throws -> (SessionRecord, Principal)? {
        guard token.utf8.count <= 128, let session = try await store.session(tokenHash: sha256Hex(token)) else { return nil }
        guard session.expiresAt > now else {
            try await store.deleteSession(tokenHash: session.tokenHash)
            return nil
        }
        guard let user = try await store.user(session.user) else { return nil }
        return (session, user.principal)
    }

    public func logout(token: String, principal: Principal, address: String, at now: Timestamp) async throws {
        try await store.deleteSession(tokenHash: sha256Hex(token))
        try await audit(now, principal.user, "logout", "", address)
    }

    /// Appends a line to the audit log and returns once it is durable. Concurrent calls share
    /// a transaction (`AuditWriter`).
    public func audit(_ at: Timestamp, _ user: String, _ action: String, _ detail: String, _ address: String) async throws {
        try await auditLog.append(AuditRecord(at: at, user: user, action: action, detail: detail, address: address))
    }

    /// A CSRF check in constant time.
    public static func csrfMatches(_ session: SessionRecord, _ submitted: String?) -> Bool {
        guard let submitted else { return false }
        return constantTimeEqual(Array(session.csrf.utf8), Array(submitted.utf8))
    }

    /// A new random 256-bit token in hex (the login form's pre-session CSRF token).
    public static func newToken() -> String { randomToken() }

    /// Whether two tokens are equal, compared in constant time; false when either is empty.
    public static func tokensMatch(_ a: String, _ b: String) -> Bool {
        !a.isEmpty && !b.isEmpty && constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    static func randomToken() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// A scrypt hash of no one's password (random), verified against for an unknown user id.
    static let unknownUserHash: String = (try? PasswordHasher.hash(randomToken())) ?? "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    /// Admits a login attempt unless a key has `maxFailures` failures (or attempts in flight)
    /// within the window; an admitted attempt is counted at once, in the same critical section.
    private func admit(_ keys: [String], _ now: Timestamp) -> Bool {
        failures.withLock { table in
            let window = now.millisecondsSinceEpoch - Self.failureWindowMilliseconds
            guard !keys.contains(where: { key in (table[key] ?? []).count { $0 > window } >= Self.maxFailures }) else { return false }
            if table.count >= Self.maxTrackedKeys {
                table = table.filter { $0.value.contains { $0 > window } }
                if table.count >= Self.maxTrackedKeys { table.removeAll() }
            }
            for key in keys {
                table[key] = (table[key] ?? []).filter { $0 > window } + [now.millisecondsSinceEpoch]
            }
            return true
        }
    }

    /// Takes back the count of an attempt that logged in.
    private func takeBack(_ keys: [String], _ now: Timestamp) {
        failures.withLock { table in
            for key in keys {
                guard var times = table[key], let index = times.lastIndex(of: now.millisecondsSinceEpoch) else { continue }
                times.remove(at: index)
                table[key] = times.isEmpty ? nil : times
            }
        }
    }

    /// Most keys the failure table keeps; beyond it, expired entries are dropped first.
    static let maxTrackedKeys = 100_000
}

/// Group commit for the audit log: records appended while a transaction is in flight wait and
/// go together in the next one (at most `maxBatch`), so a busy server writes one transaction —
/// one fsync — for many requests instead of one each. Every caller returns only after its
/// record is committed. When a batch's transaction fails, its records are written again one
/// by one, so only the callers whose own record cannot be written get the error.
actor AuditWriter {
    /// Most records in one transaction.
    static let maxBatch = 1_000

    private let store: any AccessStore
    private var pending: [(record: AuditRecord, done: CheckedContinuation<Void, any Error>)] = []
    private var writing = false

    init(store: any AccessStore) {
        self.store = store
    }

    func append(_ record: AuditRecord) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            pending.append((record, done))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            do {
                try await store.appendAudit(batch.map(\.record))
                for item in batch { item.done.resume() }
            } catch where batch.count > 1 {
                for item in batch {
                    do {
                        try await store.appendAudit([item.record])
                        item.done.resume()
                    } catch {
                        item.done.resume(throwing: error)
                    }
                }
            } catch {
                for item in batch { item.done.resume(throwing: error) }
            }
        }
        writing = false
    }
}
