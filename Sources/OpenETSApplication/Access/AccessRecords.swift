import Foundation
import OpenETSDomain

/// A user as stored: identity, role and scope, scrypt password hash, TOTP secret (base32) for
/// roles that move units or money.
public struct UserRecord: Hashable, Codable, Sendable {
    public var id: String
    public var name: String
    public var role: Role
    public var account: AccountID?
    public var province: String?
    public var passwordHash: String
    public var totpSecret: String?
    public var createdAt: Timestamp
    /// Verifier staff: the MRV verifier they act for (`users.mrv_verifier`, migration 17).
    public var verifier: String?
    /// Validation body staff: the CCER validation and verification body they act for
    /// (`users.ccer_body`, migration 19).
    public var validationBody: String?
    /// City staff: the city they review for, as the MRV platform names it (`users.city`,
    /// migration 18; NULL for every other user).
    public var city: String?

    public init(
        id: String, name: String, role: Role, account: AccountID?, province: String?, passwordHash: String, totpSecret: String?,
        createdAt: Timestamp, verifier: String? = nil, validationBody: String? = nil, city: String? = nil
    ) {
        self.verifier = verifier
        self.validationBody = validationBody
        self.city = city
        self.id = id
        self.name = name
        self.role = role
        self.account = account
        self.province = province
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
        self.createdAt = createdAt
    }

    public var principal: Principal {
        Principal(user: id, name: name, role: role, account: account, province: province, verifier: verifier, validationBody: validationBody, city: city)
    }
}

/// A web session: the SHA-256 of its cookie token (the token itself is never stored), its
/// CSRF token, and its expiry.
public struct SessionRecord: Hashable, Sendable {
    public var tokenHash: String
    public var user: String
    public var csrf: String
    public var expiresAt: Timestamp

    public init(tokenHash: String, user: String, csrf: String, expiresAt: Timestamp) {
        self.tokenHash = tokenHash
        self.user = user
        self.csrf = csrf
        self.expiresAt = expiresAt
    }
}

/// One line of the audit log: who did what, when, from where, and the outcome.
public struct AuditRecord: Hashable, Codable, Sendable {
    public var at: Timestamp
    public var user: String
    public var action: String
    public var detail: String
    public var address: String

    /// Every field is cleaned here, for every writer (the access service, the registry's and the
    /// MRV platform's transactions): NUL replaced, and cut to its named bound, so a stranger's
    /// input (a 16 KiB "user id" on a refused login) cannot make an audit line unbounded.
    public init(at: Timestamp, user: String, action: String, detail: String, address: String) {
        self.at = at
        self.user = Self.bounded(user, maxBytes: AccessService.maxUserIDBytes)
        self.action = Self.bounded(action, maxBytes: Self.maxShortFieldBytes)
        self.detail = Self.bounded(detail, maxBytes: Self.maxDetailBytes)
        self.address = Self.bounded(address, maxBytes: Self.maxShortFieldBytes)
    }

    /// Bounds of an audit line's fields (the user id's is the login form's, 64 bytes).
    public static let maxShortFieldBytes = 128
    public static let maxDetailBytes = 2_048

    /// NUL is not text to PostgreSQL: a user id typed by a stranger must not fail the write.
    static func withoutNUL(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    /// Without NUL, and at most `maxBytes` of UTF-8 (a character cut in two is replaced).
    static func bounded(_ text: String, maxBytes: Int) -> String {
        let clean = withoutNUL(text)
        return clean.utf8.count <= maxBytes ? clean : String(decoding: clean.utf8.prefix(maxBytes), as: UTF8.self)
    }
}

/// Users, sessions, API tokens and the audit log, in the same database as the ledger.
public protocol AccessStore: APITokenStore, AccountApplicationStore {
    func saveUser(_ user: UserRecord) async throws
    func user(_ id: String) async throws -> UserRecord?
    /// Inserts the session and its `audit` lines (the login's) in one transaction: a failed
    /// audit insert leaves no session.
    func saveSession(_ session: SessionRecord, audit: [AuditRecord]) async throws
    func session(tokenHash: String) async throws -> SessionRecord?
    func deleteSession(tokenHash: String) async throws
    /// Appends the records in one transaction, in order.
    func appendAudit(_ records: [AuditRecord]) async throws
    func audit(limit: Int) async throws -> [AuditRecord]
    /// Records `step` as the user's last accepted TOTP time step when it is later than the one
    /// recorded (migration 21), atomically; false when it is not: the code was used already.
    func acceptTOTPStep(user: String, step: Int64) async throws -> Bool
}

/// An API token as stored: the SHA-256 of the bearer token (the token itself is shown once,
/// when created), the user it acts as, and whether it was revoked. `id` is its public handle.
public struct APITokenRecord: Hashable, Codable, Sendable {
    public var id: String
    public var tokenHash: String
    public var user: String
    public var label: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?
    /// After this instant the token is refused (TOKEN_EXPIRED).
    public var expiresAt: Timestamp

    public init(id: String, tokenHash: String, user: String, label: String, createdAt: Timestamp, revokedAt: Timestamp?, expiresAt: Timestamp) {
        self.id = id
        self.tokenHash = tokenHash
        self.user = user
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}

/// API tokens (migration 12), in the same database as users and sessions.
public protocol APITokenStore: Sendable {
    func saveAPIToken(_ token: APITokenRecord) async throws
    func apiToken(hash: String) async throws -> APITokenRecord?
    /// The token with this hash and its user (nil when the user is gone), in one read.
    func apiTokenAndUser(hash: String) async throws -> (token: APITokenRecord, user: UserRecord?)?
    /// Marks the token revoked; false when there is no such live token.
    func revokeAPIToken(id: String, at: Timestamp) async throws -> Bool
    /// The tokens of one user (all users when nil), oldest first.
    func apiTokens(user: String?) async throws -> [APITokenRecord]
}
