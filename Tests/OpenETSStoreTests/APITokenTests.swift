import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

@Suite("Access: API tokens")
struct APITokenTests {
    @Test(arguments: Backend.all)
    func tokensAreStoredHashedActAsTheirUserAndCanBeRevoked(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        let access = AccessService(store: store)

        let created = try await access.createAPIToken(user: "e1", label: "bot", at: now).get()
        #expect(created.token.count == 64 && created.token.allSatisfy(\.isHexDigit) && created.record.id.hasPrefix("tok-"))
        // Only the SHA-256 is stored, never the token.
        #expect(created.record.tokenHash == sha256Hex(created.token))
        #expect(try await store.apiToken(hash: created.token) == nil)
        #expect(try await store.apiToken(hash: sha256Hex(created.token)) == created.record)
        // The token acts as its user, with the user's role and account.
        let principal = try #require(try await access.principal(apiToken: created.token))
        #expect(principal.user == "e1" && principal.role == .entityInitiator && principal.account == "ENT-000001")
        #expect(try await access.principal(apiToken: String(repeating: "0", count: 64)) == nil)
        #expect(try await access.principal(apiToken: "") == nil)
        #expect(try await access.principal(apiToken: String(repeating: "a", count: AccessService.maxTokenBytes + 1)) == nil)

        // Unknown users and bad labels are refused; nothing is stored.
        #expect(try await access.createAPIToken(user: "nobody", label: "", at: now) == .failure(.unknownUser("nobody")))
        #expect(try await access.createAPIToken(user: "e1", label: "two\nlines", at: now) == .failure(.invalidLabel))
        #expect(try await access.createAPIToken(user: "e1", label: String(repeating: "x", count: AccessService.maxTokenLabelBytes + 1), at: now)
            == .failure(.invalidLabel))
        let second = try await access.createAPIToken(user: "i1", label: "", at: now).get()
        // Same creation time: ordered by id.
        #expect(try await store.apiTokens(user: nil).map(\.id) == [created.record.id, second.record.id].sorted())
        #expect(try await store.apiTokens(user: "e1").map(\.id) == [created.record.id])

        // Revoked: no longer acts, listed with its time; a second revoke finds no live token.
        let later = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 1000)
        #expect(try await access.revokeAPIToken(id: created.record.id, at: later))
        #expect(try await access.principal(apiToken: created.token) == nil)
        #expect(try await store.apiTokens(user: "e1").first?.revokedAt == later)
        #expect(try await !access.revokeAPIToken(id: created.record.id, at: later))
        #expect(try await !access.revokeAPIToken(id: "tok-none", at: later))
        #expect(try await access.principal(apiToken: second.token)?.user == "i1")
        // Creating and revoking are audited.
        let audit = try await store.audit(limit: 10).map(\.action)
        #expect(audit.filter { $0 == "api_token_created" }.count == 2 && audit.contains("api_token_revoked"))
        try await store.close()
    }

    @Test(arguments: Backend.all)
    func aLiveTokensLookupIsKeptForTheCachesLifetimeOnly(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        func at(_ offset: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + offset) }
        try await DemoUsers.seed(store, at: now)
        let cache = APITokenCache(lifetimeMilliseconds: 1_000, capacity: 3)
        let access = AccessService(store: store, tokenCache: cache)
        // Another process (the CLI) revokes through its own service.
        let cli = AccessService(store: store)
        let e1 = try await access.createAPIToken(user: "e1", label: "", at: now).get()
        guard case .live(let principal) = try await access.lookUp(apiToken: e1.token, at: now) else {
            Issue.record("a new token is live")
            return
        }
        #expect(principal.user == "e1" && cache.count == 1)

        // Revoked elsewhere: acts from the cache until the lifetime is over, then is read again.
        #expect(try await cli.revokeAPIToken(id: e1.record.id, at: now))
        #expect(try await access.lookUp(apiToken: e1.token, at: at(999)) == .live(principal))
        #expect(try await access.lookUp(apiToken: e1.token, at: at(1_000)) == .invalid)
        // A clock gone back past the reading reads the store too: a token kept a moment ago
        // and revoked elsewhere since is invalid at once.
        let back = try await access.createAPIToken(user: "i1", label: "", at: now).get()
        #expect(try await access.principal(apiToken: back.token, at: now)?.user == "i1")
        #expect(try await cli.revokeAPIToken(id: back.record.id, at: now))
        #expect(try await access.lookUp(apiToken: back.token, at: at(1)) != .invalid, "kept")
        #expect(try await access.lookUp(apiToken: back.token, at: at(-1)) == .invalid)
        // Unknown and revoked tokens are never kept: random tokens cannot fill the cache.
        for _ in 0..<10 {
            let random = String((0..<64).map { _ in "0123456789abcdef".randomElement()! })
            #expect(try await access.lookUp(apiToken: random, at: now) == .invalid)
        }
        #expect(cache.count == 0)

        // Revoked through the same service: stops at once.
        let i1 = try await access.createAPIToken(user: "i1", label: "", at: now).get()
        #expect(try await access.principal(apiToken: i1.token, at: now)?.user == "i1")
        #expect(try await access.revokeAPIToken(id: i1.record.id, at: now))
        #expect(try await access.lookUp(apiToken: i1.token, at: now) == .invalid)

        // At most `capacity` tokens are kept; every one still acts.
        var tokens: [String] = []
        for user in ["e1", "i1", "mee", "e1"] {
            tokens.append(try await access.createAPIToken(user: user, label: "", at: now).get().token)
        }
        for token in tokens {
            #expect(try await access.principal(apiToken: token, at: now) != nil)
            #expect(cache.count <= 3)
        }

        // A kept token past its expiry answers expired at once, as the store would.
        let long = APITokenCache(lifetimeMilliseconds: 60_000)
        let expiring = AccessService(store: store, tokenCache: long)
        let day: Int64 = 86_400_000
        let soon = try await expiring.createAPIToken(user: "e1", label: "", at: at(30_000 - day), lifetimeDays: 1).get()
        #expect(try await expiring.principal(apiToken: soon.token, at: now)?.user == "e1" && long.count == 1)
        #expect(try await expiring.lookUp(apiToken: soon.token, at: at(30_000)) == .expired(at: at(30_000)))

        // Lifetime 0 (the default): nothing is kept, a revocation anywhere counts at once.
        let plain = AccessService(store: store)
        let last = try await plain.createAPIToken(user: "i1", label: "", at: now).get()
        #expect(try await plain.principal(apiToken: last.token, at: now)?.user == "i1" && plain.tokenCache.count == 0)
        #expect(try await cli.revokeAPIToken(id: last.record.id, at: now))
        #expect(try await plain.lookUp(apiToken: last.token, at: now) == .invalid)
        try await store.close()
    }

    @Test(arguments: Backend.all)
    func tokensExpireAfterTheirLifetime(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        let access = AccessService(store: store)
        let day: Int64 = 86_400_000
        // The default lifetime is named; the record carries its expiry, stored and read back.
        let standard = try await access.createAPIToken(user: "e1", label: "", at: now).get()
        #expect(standard.record.expiresAt.millisecondsSinceEpoch == now.millisecondsSinceEpoch + Int64(AccessService.defaultTokenLifetimeDays) * day)
        #expect(try await store.apiToken(hash: sha256Hex(standard.token))?.expiresAt == standard.record.expiresAt)
        let short = try await access.createAPIToken(user: "e1", label: "", at: now, lifetimeDays: 2).get()
        let expiry = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 2 * day)
        #expect(short.record.expiresAt == expiry)
        // Live until the instant of expiry, expired from it on (not the same as unknown).
        #expect(try await access.lookUp(apiToken: short.token, at: Timestamp(millisecondsSinceEpoch: expiry.millisecondsSinceEpoch - 1)) != .invalid)
        #expect(try await access.lookUp(apiToken: short.token, at: expiry) == .expired(at: expiry))
        #expect(try await access.principal(apiToken: short.token, at: expiry) == nil)
        #expect(try await access.lookUp(apiToken: String(repeating: "0", count: 64), at: now) == .invalid)
        // A revoked token is invalid whatever its expiry.
        _ = try await access.revokeAPIToken(id: short.record.id, at: now)
        #expect(try await access.lookUp(apiToken: short.token, at: expiry) == .invalid)
        // Lifetimes outside 1...max are refused; nothing is stored.
        let count = try await store.apiTokens(user: "e1").count
        for days in [0, -1, AccessService.maxTokenLifetimeDays + 1] {
            #expect(try await access.createAPIToken(user: "e1", label: "", at: now, lifetimeDays: days) == .failure(.invalidLifetime(days)))
        }
        #expect(try await store.apiTokens(user: "e1").count == count)
        try await store.close()
    }
}
