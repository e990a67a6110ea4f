import OpenETSDomain
import Testing

/// The account-opening workflow's state machine: every transition and every refusal.
@Suite("Account opening workflow")
struct AccountOpeningTests {
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
    static let uscc: String = {
        let first17 = "91510100MA61234567".prefix(17)
        return String(first17) + String(UnifiedSocialCreditCode.checkCharacter(for: String(first17))!)
    }()
    static let idNumber = "11010519491231002X"
    static let document = IdentityDocument(fileName: "licence.pdf", sha256: String(repeating: "ab", count: 32), sizeBytes: 1_234)

    static func entityForm() -> AccountApplicationForm {
        AccountApplicationForm(
            kind: .entity, ownerID: uscc, ownerName: "成都示例热电有限公司", province: "SC",
            users: [ApplicantUser(userID: "cd.init", name: "张三", representative: .initiator), ApplicantUser(userID: "cd.appr", name: "李四", representative: .approver)],
            documents: [document])
    }

    static func individualForm() -> AccountApplicationForm {
        AccountApplicationForm(
            kind: .individual, ownerID: idNumber, ownerName: "王五", province: nil, users: [ApplicantUser(userID: "wang5", name: "王五")],
            documents: [document])
    }

    static func run(_ current: AccountApplication?, _ command: AccountOpeningCommand, at: Int64 = 0) throws(AccountOpeningError) -> AccountApplication {
        let events = try AccountOpening.decide(current, command, at: Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + at))
        return events.reduce(current) { AccountOpening.evolve($0, $1) }!
    }

    /// The code a refused step throws; nil when it is accepted.
    static func code(_ body: () throws -> Void) -> AccountOpeningError.Code? {
        do {
            try body()
            return nil
        } catch let error as AccountOpeningError {
            return error.code
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    /// An approval under way (its registry account may be opening) can only be approved:
    /// a return or a rejection is APPROVAL_IN_PROGRESS until it finishes or is abandoned.
    @Test func anApprovalUnderWayCanOnlyBeApproved() throws {
        let submitted = try Self.run(nil, .submit(id: "AO-7", form: Self.entityForm(), by: "ro"))
        // Four eyes hold for the first step too.
        #expect(Self.code { _ = try Self.run(submitted, .beginApproval(by: "ro")) } == .selfApproval)
        #expect(Self.code { _ = try Self.run(submitted, .abandonApproval) } == .invalidInput)
        let approving = try Self.run(submitted, .beginApproval(by: "ro2"), at: 1)
        #expect(approving.status == .submitted && approving.approvalStartedBy == "ro2" && approving.history.count == 1)
        #expect(Self.code { _ = try Self.run(approving, .reject(by: "ro3", reason: "late")) } == .approvalInProgress)
        #expect(Self.code { _ = try Self.run(approving, .returnForCorrection(by: "ro3", reason: "late")) } == .approvalInProgress)
        // Another reviewer may take the approval over (a retry after a crash) and finish it.
        let retaken = try Self.run(approving, .beginApproval(by: "ro3"), at: 2)
        #expect(retaken.approvalStartedBy == "ro3")
        let approved = try Self.run(retaken, .approve(by: "ro3", account: "ENT-000011"), at: 3)
        #expect(approved.status == .approved && approved.approvalStartedBy == nil && approved.account == "ENT-000011")
        // Abandoned (the registry refused the account): refusable again.
        let abandoned = try Self.run(approving, .abandonApproval, at: 4)
        #expect(abandoned.approvalStartedBy == nil && abandoned.status == .submitted)
        #expect(try Self.run(abandoned, .reject(by: "ro3", reason: "late"), at: 5).status == .rejected)
    }

    @Test func submitReturnResubmitApprove() throws {
        var application = try Self.run(nil, .submit(id: "AO-1", form: Self.entityForm(), by: nil))
        #expect(application.status == .submitted && application.account == nil && application.history.count == 1)
        application = try Self.run(application, .returnForCorrection(by: "ro", reason: "  licence scan unreadable "), at: 1)
        #expect(application.status == .returned && application.history.last?.reason == "licence scan unreadable")
        var corrected = Self.entityForm()
        corrected.documents = [IdentityDocument(fileName: "licence-2.pdf", sha256: String(repeating: "cd", count: 32), sizeBytes: 99)]
        application = try Self.run(application, .resubmit(form: corrected), at: 2)
        #expect(application.status == .submitted && application.form.documents.first?.fileName == "licence-2.pdf")
        application = try Self.run(application, .approve(by: "ro", account: "ENT-000009"), at: 3)
        #expect(application.status == .approved && application.account == "ENT-000009")
        #expect(application.history.map(\.status) == [.submitted, .returned, .submitted, .approved])
        // Decided: nothing more.
        #expect(Self.code { _ = try Self.run(application, .approve(by: "ro", account: "ENT-000010")) } == .applicationNotPending)
        #expect(Self.code { _ = try Self.run(application, .reject(by: "ro", reason: "x")) } == .applicationNotPending)
        #expect(Self.code { _ = try Self.run(application, .returnForCorrection(by: "ro", reason: "x")) } == .applicationNotPending)
        #expect(Self.code { _ = try Self.run(application, .resubmit(form: corrected)) } == .applicationNotReturned)
    }

    @Test func rejectFromSubmittedOrReturnedNeedsAReason() throws {
        let submitted = try Self.run(nil, .submit(id: "AO-2", form: Self.individualForm(), by: nil))
        #expect(Self.code { _ = try Self.run(submitted, .reject(by: "ro", reason: "   ")) } == .reasonRequired)
        #expect(Self.code { _ = try Self.run(submitted, .returnForCorrection(by: "ro", reason: "")) } == .reasonRequired)
        let rejected = try Self.run(submitted, .reject(by: "ro", reason: "identity not proven"))
        #expect(rejected.status == .rejected && rejected.account == nil)
        let returned = try Self.run(submitted, .returnForCorrection(by: "ro", reason: "scan"))
        #expect(try Self.run(returned, .reject(by: "ro", reason: "no answer")).status == .rejected)
        // A returned application is not waiting for the operator: approve and return refuse.
        #expect(Self.code { _ = try Self.run(returned, .approve(by: "ro", account: "IND-000001")) } == .applicationNotPending)
        #expect(Self.code { _ = try Self.run(returned, .returnForCorrection(by: "ro", reason: "again")) } == .applicationNotPending)
        #expect(Self.code { _ = try Self.run(submitted, .resubmit(form: Self.individualForm())) } == .applicationNotReturned)
        #expect(Self.code { _ = try Self.run(nil, .approve(by: "ro", account: "X")) } == .unknownApplication)
        #expect(Self.code { _ = try Self.run(submitted, .submit(id: "AO-2", form: Self.individualForm(), by: nil)) } == .invalidInput)
    }

    @Test func theSubmitterMayNotDecide() throws {
        let submitted = try Self.run(nil, .submit(id: "AO-3", form: Self.entityForm(), by: "ro1"))
        #expect(submitted.submittedBy == "ro1")
        #expect(Self.code { _ = try Self.run(submitted, .approve(by: "ro1", account: "ENT-000001")) } == .selfApproval)
        #expect(Self.code { try AccountOpening.checkApproval(submitted, by: "ro1") } == .selfApproval)
        #expect(Self.code { _ = try Self.run(submitted, .reject(by: "ro1", reason: "x")) } == .selfApproval)
        // Nor one of the application's own users.
        #expect(Self.code { _ = try Self.run(submitted, .approve(by: "cd.init", account: "ENT-000001")) } == .selfApproval)
        #expect(try Self.run(submitted, .approve(by: "ro2", account: "ENT-000001")).status == .approved)
    }

    @Test func formsAreValidated() {
        func refused(_ change: (inout AccountApplicationForm) -> Void, _ base: AccountApplicationForm = Self.entityForm()) -> AccountOpeningError.Code? {
            var form = base
            change(&form)
            return Self.code { _ = try Self.run(nil, .submit(id: "AO-9", form: form, by: nil)) }
        }
        #expect(refused { _ in } == nil)
        #expect(refused({ _ in }, Self.individualForm()) == nil)
        #expect(refused { $0.ownerID = String(Self.uscc.prefix(17)) + (Self.uscc.hasSuffix("0") ? "1" : "0") } == .usccInvalid)
        #expect(refused { $0.ownerID = "not a code" } == .usccInvalid)
        #expect(refused({ $0.ownerID = "110105194912310021" }, Self.individualForm()) == .idNumberInvalid)
        #expect(refused({ $0.ownerID = Self.uscc }, Self.individualForm()) == .idNumberInvalid)
        #expect(refused { $0.province = nil } == .provinceRequired)
        #expect(refused { $0.province = "sc" } == .provinceRequired)
        #expect(refused { $0.ownerName = " " } == .invalidInput)
        #expect(refused { $0.ownerName = String(repeating: "名", count: 201) } == .invalidInput)
        #expect(refused { $0.users.removeLast() } == .usersInvalid)
        #expect(refused { $0.users[1].userID = "cd.init" } == .usersInvalid)
        #expect(refused { $0.users[1].userID = "CD_init" } == .usersInvalid, "the same representative id")
        #expect(refused { $0.users[1].userID = String(repeating: "a", count: 33) } == .usersInvalid)
        #expect(refused { $0.users[0].userID = "bad id!" } == .usersInvalid)
        #expect(refused { $0.users.reverse() } == .usersInvalid)
        #expect(refused({ $0.users.append(ApplicantUser(userID: "two", name: "Two")) }, Self.individualForm()) == .usersInvalid)
        #expect(refused { $0.documents = [] } == .missingDocument)
        #expect(refused { $0.documents[0].sizeBytes = 0 } == .missingDocument)
        #expect(refused { $0.documents[0].sizeBytes = AccountOpeningPolicy.standard.maxDocumentBytes + 1 } == .documentTooLarge)
        #expect(refused { $0.documents[0].sizeBytes = AccountOpeningPolicy.standard.maxDocumentBytes } == nil)
        #expect(refused { $0.documents[0].sha256 = "ABC" } == .documentInvalid)
        #expect(refused { $0.documents[0].fileName = "../etc/passwd" } == .documentInvalid)
        #expect(refused { $0.documents.append($0.documents[0]) } == .documentInvalid)
        #expect(refused { form in
            form.documents = (0...AccountOpeningPolicy.standard.maxDocuments).map {
                IdentityDocument(fileName: "d\($0)", sha256: String(repeating: String($0 % 10), count: 64), sizeBytes: 1)
            }
        } == .tooManyDocuments)
        // A returned application keeps its kind.
        let returned = try? Self.run(try? Self.run(nil, .submit(id: "AO-8", form: Self.entityForm(), by: nil)), .returnForCorrection(by: "ro", reason: "r"))
        #expect(Self.code { _ = try Self.run(returned, .resubmit(form: Self.individualForm())) } == .invalidInput)
    }

    @Test func approvalOpensTheKindsAccount() {
        guard case .openAccount(let type, let owner, _, let province, let representatives) = AccountOpening.openAccountCommand(Self.entityForm()) else {
            Issue.record("not openAccount")
            return
        }
        #expect(type == .entity && owner == Self.uscc && province == "SC")
        #expect(representatives.map(\.role) == [.initiator, .approver] && representatives.map(\.id) == ["CD-INIT", "CD-APPR"])
        guard case .openAccount(let individual, _, _, let none, let nobody) = AccountOpening.openAccountCommand(Self.individualForm()) else { return }
        #expect(individual == .individual && none == nil && nobody.isEmpty)
        #expect(ApplicantKind.institution.accountType == .investor)
        #expect(Self.entityForm().users.map(\.role) == [.entityInitiator, .entityApprover] && Self.individualForm().users[0].role == .investor)
        #expect(ResidentIDNumber.isValid(Self.idNumber) && !ResidentIDNumber.isValid("11010519491231002Y"))
    }
}
