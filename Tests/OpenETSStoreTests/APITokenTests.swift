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
}
