import OpenETSDomain

public enum APITokenError: Error, Equatable, Sendable {
    case unknownUser(String)
    case invalidLabel
}

/// API tokens: a random 256-bit bearer token bound to a user. The store keeps only its
/// SHA-256; the token is shown once, when created. A request with the token acts as the user,
/// with the user's role and scope (the same permission matrix as the web).
extension AccessService {
    /// Longest label a token may carry (bytes).
    public static let maxTokenLabelBytes = 100
    /// Longest bearer token looked up (bytes); ours are 64 hex characters.
    public static let maxTokenBytes = 128

    public struct CreatedToken: Hashable, Sendable {
        /// The bearer token: shown once, never stored.
        public var token: String
        public var record: APITokenRecord
    }

    public func createAPIToken(user id: String, label: String, at now: Timestamp) async throws -> Result<CreatedToken, APITokenError> {
        guard label.utf8.count <= Self.maxTokenLabelBytes, !label.contains(where: \.isNewline) else { return .failure(.invalidLabel) }
        guard try await store.user(id) != nil else { return .failure(.unknownUser(id)) }
        let token = Self.randomToken()
        let record = APITokenRecord(
            id: "tok-" + String(Self.randomToken().prefix(16)), tokenHash: sha256Hex(token), user: id, label: label, createdAt: now,
            revokedAt: nil)
        try await store.saveAPIToken(record)
        try await audit(now, id, "api_token_created", record.id, "cli")
        return .success(CreatedToken(token: token, record: record))
    }

    /// Revokes a live token; false when there is none with this id.
    public func revokeAPIToken(id: String, at now: Timestamp) async throws -> Bool {
        guard id.utf8.count <= Self.maxTokenBytes else { return false }
        let revoked = try await store.revokeAPIToken(id: id, at: now)
        if revoked { try await audit(now, "-", "api_token_revoked", id, "cli") }
        return revoked
    }

    /// The principal behind a bearer token, if the token is live and its user exists.
    public func principal(apiToken token: String) async throws -> Principal? {
        guard !token.isEmpty, token.utf8.count <= Self.maxTokenBytes,
            let record = try await store.apiToken(hash: sha256Hex(token)), record.revokedAt == nil
        else { return nil }
        return try await store.user(record.user)?.principal
    }
}
