import OpenETSDomain
import Synchronization

/// Live API tokens' lookups kept for a short time (docs/security.md, "API tokens"), so that an
/// API call does not read its token and the token's user from the database every time: that
/// read, on the one read-only connection every call shares, was the largest single part of
/// order entry's latency under load (docs/benchmarks.md, "HTTP load").
///
/// - Only a live token is kept, under its SHA-256, with its user as read and its expiry. An
///   unknown, revoked or expired token is read from the store each time, so random tokens
///   never fill the cache.
/// - An entry is used for `lifetimeMilliseconds` after it was read, then read again. A token
///   revoked by another process (`openets access token revoke`), or a user changed there,
///   therefore stops acting, or acts with its new role, within that time; a token revoked
///   through an `AccessService` holding this cache stops at once (`revokeAPIToken` empties
///   it; the server's AccessServices share one, `buildRouter`).
/// - An entry past its token's expiry answers `.expired` at once, as the store would.
/// - At most `capacity` tokens are kept; when full, stale entries go first, then all.
/// - A lifetime of 0 keeps nothing: every call reads the store.
public final class APITokenCache: Sendable {
    /// How long a server keeps a live token's lookup by default (milliseconds).
    public static let defaultLifetimeMilliseconds: Int64 = 1_000
    /// The longest lifetime a server may be given (milliseconds): a revocation by the CLI must
    /// take effect within a minute whatever the setting.
    public static let maxLifetimeMilliseconds: Int64 = 60_000
    /// Most tokens kept at once.
    public static let defaultCapacity = 10_000

    public let lifetimeMilliseconds: Int64
    public let capacity: Int

    struct Entry {
        var principal: Principal
        var expiresAt: Timestamp
        /// When the store was read (milliseconds since the epoch, the lookup's clock).
        var readAt: Int64
    }
    private let entries = Mutex<[String: Entry]>([:])

    /// `lifetimeMilliseconds` 0 (the default) keeps nothing.
    public init(lifetimeMilliseconds: Int64 = 0, capacity: Int = APITokenCache.defaultCapacity) {
        precondition((0...Self.maxLifetimeMilliseconds).contains(lifetimeMilliseconds), "token cache lifetime out of range")
        precondition(capacity >= 1, "token cache capacity at least 1")
        self.lifetimeMilliseconds = lifetimeMilliseconds
        self.capacity = capacity
    }

    /// Tokens kept now (tests).
    public var count: Int { entries.withLock { $0.count } }

    /// The kept lookup of a token by its hash at `now`; nil when none is kept or it is older
    /// than the lifetime (or the clock went back past its reading): read the store.
    func lookUp(hash: String, at now: Timestamp) -> APITokenLookup? {
        guard lifetimeMilliseconds > 0 else { return nil }
        return entries.withLock { entries -> APITokenLookup? in
            guard let entry = entries[hash] else { return nil }
            guard fresh(entry, at: now.millisecondsSinceEpoch) else {
                entries[hash] = nil
                return nil
            }
            return now < entry.expiresAt ? .live(entry.principal) : .expired(at: entry.expiresAt)
        }
    }

    /// Keeps a live token's lookup, read from the store at `now`.
    func keep(hash: String, principal: Principal, expiresAt: Timestamp, at now: Timestamp) {
        guard lifetimeMilliseconds > 0 else { return }
        let at = now.millisecondsSinceEpoch
        entries.withLock { entries in
            if entries[hash] == nil, entries.count >= capacity {
                entries = entries.filter { fresh($0.value, at: at) }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[hash] = Entry(principal: principal, expiresAt: expiresAt, readAt: at)
        }
    }

    /// Forgets every kept lookup: the next call of each token reads the store.
    public func forgetAll() {
        entries.withLock { $0.removeAll() }
    }

    private func fresh(_ entry: Entry, at now: Int64) -> Bool {
        now >= entry.readAt && now - entry.readAt < lifetimeMilliseconds
    }
}
