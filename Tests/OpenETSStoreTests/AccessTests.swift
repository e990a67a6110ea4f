import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

@Suite("Access: passwords, one-time codes, sessions, permissions")
struct AccessTests {
    @Test func totpMatchesTheRFC6238Vectors() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890"; the last 6 of the 8 digits.
        let secret = TOTP.base32Encode(Array("12345678901234567890".utf8))
        #expect(secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        for (seconds, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")] as [(Int64, String)] {
            #expect(TOTP.code(secret: secret, at: Timestamp(millisecondsSinceEpoch: seconds * 1000)) == code)
        }
        let at = Timestamp(millisecondsSinceEpoch: 1_111_111_109_000)
        #expect(TOTP.verify("081804", secret: secret, at: at))
        // One step of drift either way is accepted, two are not.
        #expect(TOTP.verify("081804", secret: secret, at: Timestamp(millisecondsSinceEpoch: at.millisecondsSinceEpoch + 30_000)))
        #expect(!TOTP.verify("081804", secret: secret, at: Timestamp(millisecondsSinceEpoch: at.millisecondsSinceEpoch + 61_000)))
        #expect(!TOTP.verify("81804", secret: secret, at: at) && !TOTP.verify("08180a", secret: secret, at: at))
        #expect(TOTP.base32Decode(secret) == Array("12345678901234567890".utf8) && TOTP.base32Decode("not base32!") == nil)
    }

    @Test func passwordsAreScryptHashesWithTheirParameters() throws {
        let stored = try PasswordHasher.hash("correct horse")
        #expect(stored.hasPrefix("scrypt$16384$8$1$"))
        #expect(PasswordHasher.verify("correct horse", against: stored))
        #expect(!PasswordHasher.verify("correct horsE", against: stored))
        #expect(try PasswordHasher.hash("same") != (try PasswordHasher.hash("same")), "salted")
        #expect(!PasswordHasher.verify("x", against: "plain text") && !PasswordHasher.verify("x", against: "scrypt$1$1$1$$"))
    }

    @Test(arguments: Backend.all)
    func loginSessionsCSRFAndTheRateLimit(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        let access = AccessService(store: store)
        let e1 = try #require(DemoUsers.all.first { $0.id == "e1" })
        let code = TOTP.code(secret: e1.totpSecret!, at: now)!
        // A trader needs the second factor.
        #expect(failure(try await access.login(user: "e1", password: e1.password, totp: nil, address: "a", at: now)) == .invalidCredentials)
        let login = try await access.login(user: "e1", password: e1.password, totp: code, address: "a", at: now).get()
        #expect(login.principal.account == "ENT-000001" && login.principal.role == .entityInitiator)
        let (session, principal) = try #require(try await access.principal(token: login.token, at: now))
        #expect(principal == login.principal && AccessService.csrfMatches(session, login.session.csrf) && !AccessService.csrfMatches(session, "forged"))
        // The store keeps only the token's hash.
        #expect(try await store.session(tokenHash: login.token) == nil)
        // Sessions expire.
        let later = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + AccessService.sessionLifetimeMilliseconds + 1)
        #expect(try await access.principal(token: login.token, at: later) == nil)
        // A reader role needs no second factor.
        let sc = try #require(DemoUsers.all.first { $0.id == "sc" })
        #expect((try? await access.login(user: "sc", password: sc.password, totp: nil, address: "b", at: now).get()) != nil)
        // Verifier staff act for their MRV verifier (users.mrv_verifier, migration 17); others for none.
        #expect(try await store.user("verifier")?.principal.verifier == DemoMRV.verifier.rawValue)
        #expect(try await store.user("e1")?.verifier == nil)
        // Five failures for a user lock it out for the window, even with the right password.
        for _ in 0..<AccessService.maxFailures {
            #expect(failure(try await access.login(user: "i1", password: "wrong", totp: nil, address: "c\(UUID())", at: now)) == .invalidCredentials)
        }
        let i1 = try #require(DemoUsers.all.first { $0.id == "i1" })
        let refused = try await access.login(user: "i1", password: i1.password, totp: TOTP.code(secret: i1.totpSecret!, at: now), address: "d", at: now)
        #expect(failure(refused) == .rateLimited)
        // Attempts sent at once count as they arrive, not when their check ends: of 20 parallel
        // guesses for one user, at most maxFailures get their password checked.
        let guesses = try await withThrowingTaskGroup(of: LoginFailure?.self) { group in
            for n in 0..<20 {
                group.addTask { self.failure(try await access.login(user: "sc", password: "guess-\(n)", totp: nil, address: "p\(n)", at: now)) }
            }
            var all: [LoginFailure?] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(guesses.count { $0 == .invalidCredentials } == AccessService.maxFailures, "\(guesses)")
        #expect(guesses.count { $0 == .rateLimited } == 20 - AccessService.maxFailures)
        // The per-address limit counts by the key it is given (an IPv6 /64): failures for
        // different users from different addresses of one network add up.
        for n in 0..<AccessService.maxFailures {
            let outcome = try await access.login(
                user: "nobody-\(n)", password: "wrong", totp: nil, address: "2001:db8:7:7::\(n + 1)", addressKey: "2001:db8:7:7::/64", at: now)
            #expect(failure(outcome) == .invalidCredentials)
        }
        let sameNetwork = try await access.login(
            user: "nobody-x", password: "wrong", totp: nil, address: "2001:db8:7:7::99", addressKey: "2001:db8:7:7::/64", at: now)
        #expect(failure(sameNetwork) == .rateLimited)
        let otherNetwork = try await access.login(
            user: "nobody-y", password: "wrong", totp: nil, address: "2001:db8:7:8::1", addressKey: "2001:db8:7:8::/64", at: now)
        #expect(failure(otherNetwork) == .invalidCredentials)
        // A successful login takes its own count back: a user who logs in often is not locked out.
        let mee = try #require(DemoUsers.all.first { $0.id == "mee" })
        for step in 0..<(AccessService.maxFailures + 2) {
            let at = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(step) * 30_000)
            let code = mee.totpSecret.flatMap { TOTP.code(secret: $0, at: at) }
            #expect((try? await access.login(user: "mee", password: mee.password, totp: code, address: "m", at: at).get()) != nil, "login \(step)")
        }
        let audit = try await store.audit(limit: 100)
        #expect(audit.contains { $0.action == "login" && $0.user == "e1" } && audit.contains { $0.action == "login_refused" && $0.user == "i1" })
        try await store.close()
    }

    func failure(_ result: Result<AccessService.Login, LoginFailure>) -> LoginFailure? {
        if case .failure(let reason) = result { return reason }
        return nil
    }

    /// Every action × every role, and the scope rule: the matrix is the only source of truth.
    @Test func permissionMatrixCoversEveryActionAndRole() {
        let matrix = PermissionMatrix.standard
        var checked = 0
        for action in Action.allCases {
            for role in Role.allCases {
                let own: AccountID = "ENT-000001"
                let principal = Principal(user: "u", name: "u", role: role, account: own, province: "SC")
                #expect(principal.may(action, matrix: matrix) == matrix.permits(role, action))
                // Participants act only for their own account.
                let participant = [Role.entityInitiator, .entityApprover, .investor, .projectOwner, .pledgee].contains(role)
                #expect(principal.may(action, for: "ENT-000002", matrix: matrix) == (matrix.permits(role, action) && !participant))
                checked += 1
            }
        }
        #expect(checked == Action.allCases.count * Role.allCases.count)
        // Spot checks of the intent.
        #expect(matrix.permits(.investor, .tradePlace) && !matrix.permits(.province, .tradePlace) && !matrix.permits(.public, .tradeTake))
        #expect(matrix.permits(.exchangeOperator, .viewSurveillance) && !matrix.permits(.investor, .viewSurveillance))
        // The pledgee (bank) sees its own account (and the pledges in its favour), nothing more
        // (besides commenting on a public CCER notice, as anyone logged in): pledges are
        // registered, released and enforced by the registry operator.
        #expect(Action.allCases.filter { matrix.permits(.pledgee, $0) } == [.viewPublic, .viewOwnAccount, .ccerComment])
        // The CCER regulator is the MEE alone; every logged-in role may comment on a CCER notice.
        #expect(Role.allCases.filter { matrix.permits($0, .ccerRegulate) } == [.mee])
        // MRV verification bodies are registered by the MEE alone; entities also by provinces.
        #expect(Role.allCases.filter { matrix.permits($0, .mrvAccreditVerifier) } == [.mee])
        #expect(Role.allCases.filter { matrix.permits($0, .mrvRegister) } == [.mee, .province])
        #expect(Role.allCases.allSatisfy { matrix.permits($0, .ccerComment) })
        // The MRV policy tables are published by the MEE alone (version 6).
        #expect(Role.allCases.filter { matrix.permits($0, .mrvPolicy) } == [.mee] && matrix.version == 6)
        #expect(Role.pledgee.movesUnitsOrMoney && DemoUsers.all.contains { $0.role == .pledgee && $0.account != nil })
        for role in Role.allCases where role.movesUnitsOrMoney {
            for user in DemoUsers.all where user.role == role { #expect(user.totpSecret != nil, "\(user.id) moves units or money") }
        }
    }
}
