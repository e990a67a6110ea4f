import Foundation
@testable import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// The account-opening use cases on SQLite and PostgreSQL (migration 20), and TOTP codes that
/// log in once (migration 21).
@Suite("Account opening service, TOTP replay")
struct AccountOpeningServiceTests {
    static let uscc: String = {
        let first17 = "91420100MA4K12345"
        return first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
    }()
    static let scan: [UInt8] = Array("%PDF-1.4 licence scan".utf8)

    static func institution(_ user: String = "fund.a", documents: [(fileName: String, bytes: [UInt8])] = [("licence.pdf", scan)]) -> AccountOpeningService.Request {
        AccountOpeningService.Request(
            kind: .institution, ownerID: uscc, ownerName: "武汉示例投资基金", province: nil,
            users: [(ApplicantUser(userID: user, name: "赵六"), "a long password")], documents: documents)
    }

    static func entity(_ prefix: String = "wh") -> AccountOpeningService.Request {
        AccountOpeningService.Request(
            kind: .entity, ownerID: uscc, ownerName: "武汉示例电厂", province: "HB",
            users: [
                (ApplicantUser(userID: "\(prefix).init", name: "孙七", representative: .initiator), "initiator password"),
                (ApplicantUser(userID: "\(prefix).appr", name: "周八", representative: .approver), "approver password"),
            ],
            documents: [("licence.pdf", scan), ("id-card.jpg", Array("jpeg".utf8))])
    }

    static func code(_ result: Result<some Any, AccountOpeningError>) -> AccountOpeningError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    @Test(arguments: Backend.all)
    func applyReturnApprove(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let now = SystemClock().now()
        let submitted = try await opening.apply(Self.institution(), by: nil, at: now).get()
        let id = submitted.application.id
        #expect(submitted.application.status == .submitted && submitted.totpSecrets["fund.a"] != nil)
        #expect(submitted.application.form.documents == [
            IdentityDocument(fileName: "licence.pdf", sha256: sha256Hex(String(decoding: Self.scan, as: UTF8.self)), sizeBytes: Int64(Self.scan.count))])
        // Before the approval: no account, no user, so no login and no trading.
        #expect(await h.service.state.accounts.values.contains { $0.ownerID == Self.uscc } == false)
        #expect(try await h.store.user("fund.a") == nil)
        // The status needs the reference; the document's bytes are kept.
        #expect(try await opening.status(id: id, reference: submitted.reference)?.application.status == .submitted)
        #expect(try await opening.status(id: id, reference: "wrong") == nil)
        #expect(try await opening.document(application: id, sha256: submitted.application.form.documents[0].sha256) == Self.scan)
        #expect(try await opening.list(status: .submitted).map(\.application.id) == [id])

        // Returned for correction, corrected by the applicant, then approved.
        #expect(Self.code(try await opening.decide(id, .returnForCorrection(reason: " "), by: "ro", at: now)) == .reasonRequired)
        #expect(try await opening.decide(id, .returnForCorrection(reason: "scan unreadable"), by: "ro", at: now).get().status == .returned)
        #expect(Self.code(try await opening.decide(id, .approve, by: "ro", at: now)) == .applicationNotPending)
        let corrected = Self.institution(documents: [("licence-clear.pdf", Array("clear scan".utf8))])
        #expect(Self.code(try await opening.resubmit(id: id, reference: "wrong", corrected, at: now)) == .unknownApplication)
        // A document over the policy's limit on a resubmission: refused, nothing changes.
        let returned = try #require(try await h.store.application(id))
        let oversized = Self.institution(documents: [("huge.pdf", [UInt8](repeating: 1, count: Int(opening.policy.maxDocumentBytes) + 1))])
        #expect(Self.code(try await opening.resubmit(id: id, reference: submitted.reference, oversized, at: now)) == .documentTooLarge)
        #expect(try await h.store.application(id) == returned)
        #expect(try await opening.resubmit(id: id, reference: submitted.reference, corrected, at: now).get().status == .submitted)
        let approved = try await opening.decide(id, .approve, by: "ro", at: now).get()
        let account = try #require(approved.account)
        let opened = try #require(await h.service.state.accounts[account])
        #expect(opened.type == .investor && opened.ownerID == Self.uscc && opened.status == .open)
        let user = try #require(try await h.store.user("fund.a"))
        #expect(user.role == .investor && user.account == account && user.totpSecret == submitted.totpSecrets["fund.a"])
        // The applicant logs in with the password chosen and the authenticator's code.
        let access = AccessService(store: h.store)
        let login = try await access.login(
            user: "fund.a", password: "a long password", totp: TOTP.code(secret: user.totpSecret!, at: now), address: "t", at: now).get()
        #expect(login.principal.account == account && login.principal.may(.tradePlace, for: account))
        // Decided once: approving again opens nothing more.
        #expect(Self.code(try await opening.decide(id, .approve, by: "ro2", at: now)) == .applicationNotPending)
        #expect(await h.service.state.accounts.values.count { $0.ownerID == Self.uscc } == 1)
        #expect(try await opening.list(status: .approved).map(\.application.history.count) == [4])
        // One account per owner and kind: a second application is refused.
        #expect(Self.code(try await opening.apply(Self.institution("fund.b"), by: nil, at: now)) == .accountExists)
        try await h.close()
    }

    /// The approval marks the application before the registry opens the account, so a
    /// rejection racing it is refused; a registry refusal takes the mark off again.
    @Test(arguments: Backend.all)
    func aRejectionCannotOvertakeAnApproval(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let now = SystemClock().now()
        let submitted = try await opening.apply(Self.entity(), by: nil, at: now).get()
        let id = submitted.application.id
        // The approval's first step, as `approve` takes it (the registry step not yet run).
        let record = try #require(try await h.store.application(id))
        let marked = try await opening.changed(record, .beginApproval(by: "ro"), at: now).get()
        #expect(marked.version == record.version + 1 && marked.application.approvalStartedBy == "ro")
        #expect(Self.code(try await opening.decide(id, .reject(reason: "late"), by: "ro2", at: now)) == .approvalInProgress)
        #expect(Self.code(try await opening.decide(id, .returnForCorrection(reason: "late"), by: "ro2", at: now)) == .approvalInProgress)
        #expect(try await h.store.application(id)?.application.status == .submitted)
        #expect(await h.service.state.accounts.values.count { $0.ownerID == Self.uscc } == 0)
        // An approval begun on the old version (a second approval at once) is ordered behind it.
        #expect(Self.code(try await opening.changed(record, .beginApproval(by: "ro2"), at: now).map(\.application)) == .applicationChanged)
        // Approving again finishes: one account, the application approved and unmarked.
        let approved = try await opening.decide(id, .approve, by: "ro2", at: now).get()
        #expect(approved.status == .approved && approved.approvalStartedBy == nil && approved.account != nil)
        #expect(await h.service.state.accounts.values.count { $0.ownerID == Self.uscc } == 1)

        // A registry refusal after the mark: a representative id taken meanwhile (the users'
        // ids are free, so the checks before the mark pass). Nothing opens, the mark goes.
        var form = Self.entity("wh3")
        form.ownerID = "91420100MA4K12346" + String(UnifiedSocialCreditCode.checkCharacter(for: "91420100MA4K12346")!)
        let other = try await opening.apply(form, by: nil, at: now).get()
        let taken = AccountOpening.representativeID(other.application.form.users[0].userID)
        let holder = try #require(await h.service.state.accounts.values.first { $0.type == .entity }?.id)
        _ = try #require(try await h.service.execute(CommandRequest(
            idempotencyKey: "take-rep", command: .addRepresentative(account: holder, representative: Representative(id: taken, name: "x", role: .approver)))).receipt)
        let accounts = await h.service.state.accounts.count
        #expect(Self.code(try await opening.decide(other.application.id, .approve, by: "ro", at: now)) == .registryRejected)
        #expect(await h.service.state.accounts.count == accounts)
        #expect(try await h.store.application(other.application.id)?.application.approvalStartedBy == nil)
        #expect(try await opening.decide(other.application.id, .reject(reason: "duplicate"), by: "ro", at: now).get().status == .rejected)

        // A mark left by an approval that stopped before its registry step (a crash): it keeps
        // refusals out for `staleApprovalMarkMilliseconds`, then goes.
        func owner(_ first17: String) -> String { first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!) }
        var crashedForm = Self.entity("wh4")
        crashedForm.ownerID = owner("91420100MA4K12347")
        let crashed = try await opening.apply(crashedForm, by: nil, at: now).get()
        _ = try await opening.changed(try #require(try await h.store.application(crashed.application.id)), .beginApproval(by: "ro"), at: now).get()
        let soon = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 60_000)
        let later = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + AccountOpeningService.staleApprovalMarkMilliseconds + 1)
        #expect(Self.code(try await opening.decide(crashed.application.id, .reject(reason: "late"), by: "ro2", at: soon)) == .approvalInProgress)
        let refused = try await opening.decide(crashed.application.id, .reject(reason: "late"), by: "ro2", at: later).get()
        #expect(refused.status == .rejected && refused.approvalStartedBy == nil)

        // A marked application whose approval is then refused before the registry step (a user
        // id taken meanwhile) loses its mark too, so it can be refused at once.
        var takenForm = Self.entity("wh5")
        takenForm.ownerID = owner("91420100MA4K12348")
        let blocked = try await opening.apply(takenForm, by: nil, at: now).get()
        _ = try await opening.changed(try #require(try await h.store.application(blocked.application.id)), .beginApproval(by: "ro"), at: now).get()
        try await h.store.saveUser(UserRecord(
            id: "wh5.init", name: "someone", role: .investor, account: nil, province: nil, passwordHash: "x", totpSecret: nil, createdAt: now))
        #expect(Self.code(try await opening.decide(blocked.application.id, .approve, by: "ro2", at: soon)) == .userExists)
        #expect(try await h.store.application(blocked.application.id)?.application.approvalStartedBy == nil)
        #expect(try await opening.decide(blocked.application.id, .reject(reason: "taken"), by: "ro2", at: soon).get().status == .rejected)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func waitingApplicationsAreListedFirst(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let t0 = SystemClock().now()
        let t1 = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + 60_000)
        let waiting = try await opening.apply(Self.institution("fund.w"), by: nil, at: t0).get()
        let newer = try await opening.apply(Self.entity("late"), by: nil, at: t1).get()
        _ = try await opening.decide(newer.application.id, .reject(reason: "incomplete"), by: "ro", at: t1).get()
        // The older waiting one comes before the newer decided one.
        #expect(try await opening.list().map(\.application.id) == [waiting.application.id, newer.application.id])
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func entityUsers(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let now = SystemClock().now()
        let submitted = try await opening.apply(Self.entity(), by: "ro", at: now).get()
        // A second application of the same owner, waiting too.
        let second = try await opening.apply(Self.entity("wh2"), by: nil, at: now).get()
        // The operator who submitted it may not decide it.
        #expect(Self.code(try await opening.decide(submitted.application.id, .approve, by: "ro", at: now)) == .selfApproval)
        #expect(Self.code(try await opening.decide(submitted.application.id, .reject(reason: "mine"), by: "ro", at: now)) == .selfApproval)
        // An approval that failed after the registry opened the account (simulated: the
        // registry command under the approval's key, nothing else) finishes when retried.
        let partial = try #require(try await h.service.execute(CommandRequest(
            idempotencyKey: "account-opening-\(submitted.application.id)", command: AccountOpening.openAccountCommand(submitted.application.form))).receipt)
        // Meanwhile nobody may return or reject it: that would leave the opened account behind
        // a refused application. Nothing changes.
        #expect(Self.code(try await opening.decide(submitted.application.id, .reject(reason: "late"), by: "ro2", at: now)) == .approvalInProgress)
        #expect(Self.code(try await opening.decide(submitted.application.id, .returnForCorrection(reason: "late"), by: "ro2", at: now)) == .approvalInProgress)
        #expect(try await h.store.application(submitted.application.id)?.application.status == .submitted)
        let account = try #require(try await opening.decide(submitted.application.id, .approve, by: "ro2", at: now).get().account)
        // Once approved, a rejection is refused as for any decided application.
        #expect(Self.code(try await opening.decide(submitted.application.id, .reject(reason: "late"), by: "ro3", at: now)) == .applicationNotPending)
        #expect(partial.events.contains { if case .accountOpened(let opened) = $0 { opened.id == account } else { false } })
        #expect(await h.service.state.accounts.values.count { $0.ownerID == Self.uscc } == 1)
        // The other application of the same owner is refused at its approval: one account per owner and kind.
        #expect(Self.code(try await opening.decide(second.application.id, .approve, by: "ro2", at: now)) == .accountExists)
        #expect(await h.service.state.accounts.values.count { $0.ownerID == Self.uscc } == 1)
        let opened = try #require(await h.service.state.accounts[account])
        #expect(opened.type == .entity && opened.province == "HB" && opened.representatives.map(\.role) == [.initiator, .approver])
        let initiator = try await h.store.user("wh.init"), approver = try await h.store.user("wh.appr")
        #expect(initiator?.role == .entityInitiator && approver?.role == .entityApprover)
        #expect(try await h.store.user("wh.appr")?.account == account)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func badInputChangesNothing(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let small = AccountOpeningPolicy(version: 1, maxDocuments: 2, maxDocumentBytes: 32, maxTextChars: 200, maxUserIDBytes: 32)
        let opening = AccountOpeningService(store: h.store, registry: h.service, policy: small)
        let now = SystemClock().now()
        try await h.store.saveUser(UserRecord(
            id: "taken", name: "Taken", role: .investor, account: nil, province: nil, passwordHash: "-", totpSecret: nil, createdAt: now))
        #expect(Self.code(try await opening.apply(Self.institution(documents: [("big.pdf", [UInt8](repeating: 1, count: 33))]), by: nil, at: now)) == .documentTooLarge)
        #expect(Self.code(try await opening.apply(Self.institution(documents: []), by: nil, at: now)) == .missingDocument)
        var badCode = Self.institution()
        badCode.ownerID = "91420100MA4K123450"
        if UnifiedSocialCreditCode(badCode.ownerID) == nil {
            #expect(Self.code(try await opening.apply(badCode, by: nil, at: now)) == .usccInvalid)
        }
        var weak = Self.institution()
        weak.users[0].password = "short"
        #expect(Self.code(try await opening.apply(weak, by: nil, at: now)) == .passwordInvalid)
        #expect(Self.code(try await opening.apply(Self.institution("taken"), by: nil, at: now)) == .userExists)
        #expect(try await opening.list().isEmpty)
        // Decisions on nothing, or without a reason, change nothing.
        #expect(Self.code(try await opening.decide("AO-NONE", .approve, by: "ro", at: now)) == .unknownApplication)
        let submitted = try await opening.apply(Self.institution(), by: nil, at: now).get()
        #expect(Self.code(try await opening.decide(submitted.application.id, .reject(reason: ""), by: "ro", at: now)) == .reasonRequired)
        // A user created meanwhile blocks the approval before the registry opens anything.
        try await h.store.saveUser(UserRecord(
            id: "fund.a", name: "Squatter", role: .investor, account: nil, province: nil, passwordHash: "-", totpSecret: nil, createdAt: now))
        #expect(Self.code(try await opening.decide(submitted.application.id, .approve, by: "ro", at: now)) == .userExists)
        #expect(await h.service.state.accounts.values.contains { $0.ownerID == Self.uscc } == false)
        let record = try #require(try await opening.list().first)
        #expect(record.application.status == .submitted && record.version == 1)
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func totpCodeLogsInOnce(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        let access = AccessService(store: store)
        let e1 = try #require(DemoUsers.all.first { $0.id == "e1" })
        let code = try #require(TOTP.code(secret: e1.totpSecret!, at: now))
        #expect((try? await access.login(user: "e1", password: e1.password, totp: code, address: "a", at: now).get()) != nil)
        // The same code again (replayed, or a second login in the same step) is refused.
        #expect(failure(try await access.login(user: "e1", password: e1.password, totp: code, address: "a", at: now)) == .invalidCredentials)
        let later = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 30_000)
        // Still inside the window 30 s later, but used: refused; the next step's code logs in.
        #expect(failure(try await access.login(user: "e1", password: e1.password, totp: code, address: "a", at: later)) == .invalidCredentials)
        let next = try #require(TOTP.code(secret: e1.totpSecret!, at: later))
        #expect((try? await access.login(user: "e1", password: e1.password, totp: next, address: "a", at: later).get()) != nil)
        // Another user's steps are their own.
        let i1 = try #require(DemoUsers.all.first { $0.id == "i1" })
        #expect((try? await access.login(user: "i1", password: i1.password, totp: TOTP.code(secret: i1.totpSecret!, at: now), address: "b", at: now).get()) != nil)
        // The store's rule directly: only a later step is accepted.
        #expect(try await store.acceptTOTPStep(user: "x", step: 10))
        let again = try await store.acceptTOTPStep(user: "x", step: 10), earlier = try await store.acceptTOTPStep(user: "x", step: 9)
        #expect(!again && !earlier)
        #expect(try await store.acceptTOTPStep(user: "x", step: 11))
        try await store.close()
    }

    func failure(_ result: Result<AccessService.Login, LoginFailure>) -> LoginFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }
}
