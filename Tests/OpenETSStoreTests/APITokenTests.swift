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
