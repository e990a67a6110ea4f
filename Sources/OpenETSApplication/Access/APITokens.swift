import OpenETSDomain

public enum APITokenError: Error, Equatable, Sendable {
    case unknownUser(String)
    case invalidLabel
    /// The lifetime is outside 1...maxTokenLifetimeDays days.
    case invalidLifetime(Int)
}

/// What a bearer token resolves to.
public enum APITokenLookup: Hashable, Sendable {
    case live(Principal)
    /// Known and not revoked, but past its expiry.
    case expired(at: Timestamp)
    /// Unknown, revoked, or its user is gone.
    case invalid
}

/// A bearer token as a request presented it, hashed once: the token cache, the store and the
/// API's rate limiter are all keyed by its SHA-256, so one request computes it once.
public struct PresentedAPIToken: Hashable, Sendable {
    /// SHA-256 of the token as presented (hex); for one that cannot be a token,
    /// `implausibleHash` (it is never hashed: no work for an oversized header).
    public let hash: String
    /// Whether it could be a token at all: 1 to `AccessService.maxTokenBytes` bytes. One that
    /// cannot is never looked up.
    public let plausible: Bool

    /// The key of every implausible token (one rate-limit bucket for them all; never a hex digest).
    public static let implausibleHash = "-"

    public init(_ token: String) {
        plausible = !token.isEmpty && token.utf8.count <= AccessService.maxTokenBytes
        hash = plausible ? sha256Hex(token) : Self.implausibleHash
    }
}

/// API tokens: a random 256-bit bearer token bound to a user. The store keeps only its
/// SHA-256; the token is shown once, when created. A request with the token acts as the user,
/// with the user's role and scope (the same permission matrix as the web).
extension AccessService {
    /// Longest label a token may carry (bytes).
    public static let maxTokenLabelBytes = 100
    /// Longest bearer token looked up (bytes); ours are 64 hex characters.
    public static let maxTokenBytes = 128
    /// A token's lifetime when `--expires-in` is not given (days).
    public static let defaultTokenLifetimeDays = 90
    /// The longest lifetime a token may be given (days).
    public static let maxTokenLifetimeDays = 366
    static let dayMilliseconds: Int64 = 86_400_000

    public struct CreatedToken: Hashable, Sendable {
        /// The bearer token: shown once, never stored.
        public var token: String
        public var record: APITokenRecord
    }

    public func createAPIToken(
        user id: String, label: String, at now: Timestamp, lifetimeDays: Int = AccessService.defaultTokenLifetimeDays
    ) async throws -> Result<CreatedToken, APITokenError> {
        guard label.utf8.count <= Self.maxTokenLabelBytes, !label.contains(where: \.isNewline) else { return .failure(.invalidLabel) }
        guard (1...Self.maxTokenLifetimeDays).contains(lifetimeDays) else { return .failure(.invalidLifetime(lifetimeDays)) }
        guard try await store.user(id) != nil else { return .failure(.unknownUser(id)) }
        let token = Self.randomToken()
        let record = APITokenRecord(
            id: "tok-" + String(Self.randomToken().prefix(16)), tokenHash: sha256Hex(token), user: id, label: label, createdAt: now,
            revokedAt: nil, expiresAt: Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(lifetimeDays) * Self.dayMilliseconds))
        try await store.saveAPIToken(record)
        try await audit(now, id, "api_token_created", record.id, "cli")
        return .success(CreatedToken(token: token, record: record))
    }

    /// Revokes a live token; false when there is none with this id.
    public func revokeAPIToken(id: String, at now: Timestamp) async throws -> Bool {
        guard id.utf8.count <= Self.maxTokenBytes else { return false }
        let revoked = try await store.revokeAPIToken(id: id, at: now)
        if revoked {
            // The cache knows tokens by hash, not id: forget them all, so the revoked one stops at once.
            tokenCache.forgetAll()
            try await audit(now, "-", "api_token_revoked", id, "cli")
        }
        return revoked
    }

    /// The principal behind a bearer token, if the token is live at `now` and its user exists.
    public func principal(apiToken token: String, at now: Timestamp) async throws -> Principal? {
        if case .live(let principal) = try await lookUp(apiToken: token, at: now) { return principal }
        return nil
    }

    /// The principal behind a bearer token live now (the system clock).
    public func principal(apiToken token: String) async throws -> Principal? {
        try await principal(apiToken: token, at: SystemClock().now())
    }

    /// What a bearer token is at `now`: live (its user), expired, or invalid. A live token's
    /// lookup may come from `tokenCache` (read at most its lifetime ago).
    public func lookUp(apiToken token: String, at now: Timestamp) async throws -> APITokenLookup {
        try await lookUp(PresentedAPIToken(token), at: now)
    }

    /// `lookUp(apiToken:at:)` for a token whose hash the caller has computed already.
    public func lookUp(_ presented: PresentedAPIToken, at now: Timestamp) async throws -> APITokenLookup {
        guard presented.plausible else { return .invalid }
        let hash = presented.hash
        if let kept = tokenCache.lookUp(hash: hash, at: now) { return kept }
        guard let found = try await store.apiTokenAndUser(hash: hash), found.token.revokedAt == nil else { return .invalid }
        guard now < found.token.expiresAt else { return .expired(at: found.token.expiresAt) }
        guard let principal = found.user?.principal else { return .invalid }
        tokenCache.keep(hash: hash, principal: principal, expiresAt: found.token.expiresAt, at: now)
        return .live(principal)
    }
}
