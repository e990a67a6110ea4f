import Foundation
@testable import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// Account applications (apply, return, resubmit, reject, an approval's last write with its
/// users) and logins (the session) are stored with their audit line in one transaction, on each
/// database: when the audit insert fails (`AuditRefusingDatabase`) nothing of the change is
/// stored; when it succeeds the change and exactly its line are read back.
@Suite("Audit lines of account opening and logins, written with the change")
struct AuditInTransactionAccountOpeningTests {
    static func line(_ action: String, _ now: Timestamp, user: String = "applicant", detail: @escaping (AccountApplication) -> String) -> ApplicationAudit {
        { AuditRecord(at: now, user: user, action: action, detail: detail($0), address: "10.0.0.7") }
    }

    /// The lines of `action`, oldest first (the log reads newest first).
    static func lines(_ store: any LedgerStore, _ action: String) async throws -> [AuditRecord] {
        try await store.audit(limit: 10_000).filter { $0.action == action }.reversed()
    }

    @Test(arguments: Backend.all)
    func applicationsCommitWithTheirLines(_ backend: Backend) async throws {
        let h = try await Harness.open(backend)
        let refusingStore = SQLLedgerStore(database: AuditRefusingDatabase(inner: try await Composition.openDatabase(h.location, connectionID: 4)))
        let opening = AccountOpeningService(store: h.store, registry: h.service)
        let refusing = AccountOpeningService(store: refusingStore, registry: h.service)
        let now = SystemClock().now()
        let before = try await h.store.audit(limit: 10_000).count
        let apply = Self.line("t_apply", now) { "accepted \($0.id)" }

        // Apply: the audit insert fails, so no application is stored either.
        await #expect(throws: AuditRefused.self) { _ = try await refusing.apply(AccountOpeningServiceTests.institution(), by: nil, at: now, audit: apply) }
        #expect(try await opening.list().isEmpty)
        #expect(try await h.store.audit(limit: 10_000).count == before)
        let submitted = try await opening.apply(AccountOpeningServiceTests.institution(), by: nil, at: now, audit: apply).get()
        let id = submitted.application.id
        #expect(try await opening.list().map(\.application.id) == [id])
        #expect(try await Self.lines(h.store, "t_apply")
            == [AuditRecord(at: now, user: "applicant", action: "t_apply", detail: "accepted \(id)", address: "10.0.0.7")])

        // Return for correction: refused line, the application stays submitted (version 1).
        let decided = Self.line("t_decide", now, user: "ro") { "accepted \($0.id) \($0.status.rawValue)" }
        await #expect(throws: AuditRefused.self) {
            _ = try await refusing.decide(id, .returnForCorrection(reason: "scan unreadable"), by: "ro", at: now, audit: decided)
        }
        #expect(try await h.store.application(id).map { [$0.application.status.rawValue, "\($0.version)"] } == ["submitted", "1"])
        #expect(try await opening.decide(id, .returnForCorrection(reason: "scan unreadable"), by: "ro", at: now, audit: decided).get().status == .returned)

        // Resubmit: the corrected documents are not stored without the line.
        let resubmit = Self.line("t_resubmit", now) { "accepted \($0.id)" }
        let corrected = AccountOpeningServiceTests.institution(documents: [("licence-2.pdf", Array("%PDF-1.4 readable scan".utf8))])
        await #expect(throws: AuditRefused.self) { _ = try await refusing.resubmit(id: id, reference: submitted.reference, corrected, at: now, audit: resubmit) }
        let returned = try #require(try await h.store.application(id))
        #expect(returned.application.status == .returned && returned.application.form.documents.map(\.fileName) == ["licence.pdf"])
        #expect(try await opening.document(application: id, sha256: AccountOpeningService.documents(corrected.documents)[0].document.sha256) == nil)
        #expect(try await opening.resubmit(id: id, reference: submitted.reference, corrected, at: now, audit: resubmit).get().status == .submitted)
        #expect(try await Self.lines(h.store, "t_resubmit").map(\.detail) == ["accepted \(id)"])

        // Approve: the registry opens the account, but the last write (approved, the users)
        // fails with its line: the application is not approved and no user exists. Approving
        // again finishes it, with one line.
        await #expect(throws: AuditRefused.self) { _ = try await refusing.decide(id, .approve, by: "ro", at: now, audit: decided) }
        #expect(try await h.store.application(id)?.application.status == .submitted)
        #expect(try await h.store.user("fund.a") == nil)
        let approved = try await opening.decide(id, .approve, by: "ro", at: now, audit: decided).get()
        #expect(approved.status == .approved)
        #expect(try await h.store.user("fund.a")?.account == approved.account)
        #expect(try await Self.lines(h.store, "t_decide").map(\.detail) == ["accepted \(id) returned", "accepted \(id) approved"])

        // Reject (an entity's application: the owner holds its investor account now): nothing changes without the line.
        let other = try await opening.apply(AccountOpeningServiceTests.entity(), by: nil, at: now).get().application.id
        await #expect(throws: AuditRefused.self) { _ = try await refusing.decide(other, .reject(reason: "forged"), by: "ro", at: now, audit: decided) }
        #expect(try await h.store.application(other)?.application.status == .submitted)
        #expect(try await opening.decide(other, .reject(reason: "forged"), by: "ro", at: now, audit: decided).get().status == .rejected)
        #expect(try await Self.lines(h.store, "t_decide").last?.detail == "accepted \(other) rejected")
        // A refusal writes nothing, so the service writes no line for it (its caller does).
        #expect(AccountOpeningServiceTests.code(try await opening.decide(other, .approve, by: "ro", at: now, audit: decided)) == .applicationNotPending)
        #expect(try await Self.lines(h.store, "t_decide").count == 3)
        #expect(try await h.store.audit(limit: 10_000).count == before + 5)

        try await refusingStore.close()
        try await h.close()
    }

    @Test(arguments: Backend.all)
    func aSessionCommitsWithItsLoginLine(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let store = try await Composition.openStore(location)
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        let sc = try #require(DemoUsers.all.first { $0.id == "sc" })
        let database = try await Composition.openDatabase(location, connectionID: 4)
        let refusingStore = SQLLedgerStore(database: AuditRefusingDatabase(inner: database))
        func sessions() async throws -> Int64 {
            try await database.withExecutor { sql in try await sql.query("SELECT COUNT(*) FROM sessions", []).first?.int(0) ?? -1 }
        }
        let before = try await store.audit(limit: 10_000).count

        // The login line's insert fails: no session is stored.
        await #expect(throws: AuditRefused.self) {
            _ = try await AccessService(store: refusingStore).login(user: "sc", password: sc.password, totp: nil, address: "10.0.0.9", at: now)
        }
        #expect(try await sessions() == 0)
        #expect(try await store.audit(limit: 10_000).count == before)

        // With its line: the session and exactly one `login` line.
        let access = AccessService(store: store)
        let login = try await access.login(user: "sc", password: sc.password, totp: nil, address: "10.0.0.9", at: now).get()
        #expect(try await store.session(tokenHash: login.session.tokenHash) == login.session)
        #expect(try await sessions() == 1)
        #expect(try await Self.lines(store, "login")
            == [AuditRecord(at: now, user: "sc", action: "login", detail: "role \(login.principal.role.rawValue)", address: "10.0.0.9")])
        // A failed login stores no session and keeps a line of its own.
        _ = try await access.login(user: "sc", password: "wrong password", totp: nil, address: "10.0.0.9", at: now)
        #expect(try await sessions() == 1)
        #expect(try await Self.lines(store, "login_failed").map(\.detail) == ["invalid credentials"])
        #expect(try await store.audit(limit: 10_000).count == before + 2)

        try await refusingStore.close()
        try await store.close()
    }
}
