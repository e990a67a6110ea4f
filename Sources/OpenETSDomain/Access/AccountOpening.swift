/// Account opening as a workflow (issue 7): a key emitting entity or an investor (an
/// institution, or an individual) applies with identity documents; the registry operator
/// reviews the application and approves it, returns it for correction or rejects it. Only an
/// approved application opens a registry account (`RegistryCommand.openAccount`), so before
/// the approval the applicant has no account and cannot trade.
///
///     submitted ──return──▶ returned ──resubmit──▶ submitted
///         │                    │
///         ├──approve──▶ approved (the account's id)
///         └──reject───▶ rejected        (returned ──reject──▶ rejected)
///
/// An approval has two steps in two stores (the registry opens the account, then the
/// application records it): `beginApproval` marks the application first, and a marked
/// application can only be approved (or, after a registry refusal, `abandonApproval` unmarks
/// it), so a concurrent return or rejection cannot leave an open account behind a refused
/// application.
///
/// `decide` is pure: a command and the current application give events or an
/// `AccountOpeningError`, never half a change.

/// Who applies: the kind decides the registry account type and the users created.
public enum ApplicantKind: String, Codable, Sendable, CaseIterable {
    /// A key emitting entity (unified social credit code, province, an initiator and an approver).
    case entity
    /// A legal person investing (unified social credit code, one user).
    case institution
    /// A natural person (resident ID number, one user).
    case individual

    /// The registry account an approval opens.
    public var accountType: AccountType {
        switch self {
        case .entity: .entity
        case .institution: .investor
        case .individual: .individual
        }
    }
}

/// An identity document as the application records it: the file's name, the SHA-256 of its
/// bytes (lower-case hex) and its size. The bytes themselves are kept by the store beside the
/// application (docs/security.md); the hash is what the operator's review shows and what
/// ties the stored bytes to the application.
public struct IdentityDocument: Hashable, Codable, Sendable {
    public var fileName: String
    public var sha256: String
    public var sizeBytes: Int64

    public init(fileName: String, sha256: String, sizeBytes: Int64) {
        self.fileName = fileName
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
    }
}

/// A login the approval creates: the entity's initiator and approver (`representative`), or
/// the investor's one user (`representative` nil).
public struct ApplicantUser: Hashable, Codable, Sendable {
    public var userID: String
    public var name: String
    public var representative: RepresentativeRole?

    public init(userID: String, name: String, representative: RepresentativeRole? = nil) {
        self.userID = userID
        self.name = name
        self.representative = representative
    }

    /// The user's role once the account is open.
    public var role: Role {
        switch representative {
        case .initiator: .entityInitiator
        case .approver: .entityApprover
        case nil: .investor
        }
    }
}

/// What the applicant states: identity, province (entities), users and documents.
public struct AccountApplicationForm: Hashable, Codable, Sendable {
    public var kind: ApplicantKind
    /// Unified social credit code (entity, institution) or resident ID number (individual).
    public var ownerID: String
    public var ownerName: String
    public var province: String?
    public var users: [ApplicantUser]
    public var documents: [IdentityDocument]

    public init(kind: ApplicantKind, ownerID: String, ownerName: String, province: String?, users: [ApplicantUser], documents: [IdentityDocument]) {
        self.kind = kind
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.province = province
        self.users = users
        self.documents = documents
    }
}

public enum AccountApplicationStatus: String, Codable, Sendable, CaseIterable {
    case submitted
    case returned
    case approved
    case rejected

    /// Waiting for the operator.
    public var isPending: Bool { self == .submitted }
}

/// One step of the application's history: who, when, what and why.
public struct AccountApplicationStep: Hashable, Codable, Sendable {
    public var at: Timestamp
    public var by: String
    public var status: AccountApplicationStatus
    public var reason: String?

    public init(at: Timestamp, by: String, status: AccountApplicationStatus, reason: String?) {
        self.at = at
        self.by = by
        self.status = status
        self.reason = reason
    }
}

public struct AccountApplication: Hashable, Codable, Sendable {
    public var id: String
    public var form: AccountApplicationForm
    public var status: AccountApplicationStatus
    /// The logged-in user who submitted it, nil for an anonymous applicant: that user may
    /// not decide it.
    public var submittedBy: String?
    /// The registry account opened by the approval.
    public var account: AccountID?
    public var history: [AccountApplicationStep]
    /// The reviewer whose approval is under way (`beginApproval`): the registry account may be
    /// opening, so until the approval finishes (or is abandoned after a registry refusal) the
    /// application can only be approved, not returned or rejected. Nil otherwise (and in
    /// applications stored before the field existed).
    public var approvalStartedBy: String?
    /// When that approval began (a mark left by a crash before the registry step can be
    /// cleared once it is old: `AccountOpeningService.staleApprovalMarkMilliseconds`).
    public var approvalStartedAt: Timestamp?

    public init(
        id: String, form: AccountApplicationForm, status: AccountApplicationStatus, submittedBy: String?, account: AccountID?,
        history: [AccountApplicationStep], approvalStartedBy: String? = nil, approvalStartedAt: Timestamp? = nil
    ) {
        self.id = id
        self.form = form
        self.status = status
        self.submittedBy = submittedBy
        self.account = account
        self.history = history
        self.approvalStartedBy = approvalStartedBy
        self.approvalStartedAt = approvalStartedAt
    }
}

/// The named limits of the workflow, as data (a regulator changes them without code).
public struct AccountOpeningPolicy: Hashable, Codable, Sendable {
    public var version: Int
    /// Identity documents per application: at least one, at most this.
    public var maxDocuments: Int
    /// Largest identity document (bytes).
    public var maxDocumentBytes: Int64
    /// Longest file name, owner name, user name and reason (characters).
    public var maxTextChars: Int
    /// Longest user id (bytes; letters, digits, '.', '_', '-').
    public var maxUserIDBytes: Int

    public init(version: Int, maxDocuments: Int, maxDocumentBytes: Int64, maxTextChars: Int, maxUserIDBytes: Int) {
        self.version = version
        self.maxDocuments = maxDocuments
        self.maxDocumentBytes = maxDocumentBytes
        self.maxTextChars = maxTextChars
        self.maxUserIDBytes = maxUserIDBytes
    }

    /// User ids up to 32 bytes: an entity's users become its registry representatives, whose
    /// ids the registry bounds at 32 (`representativeID`).
    public static let standard = AccountOpeningPolicy(version: 1, maxDocuments: 4, maxDocumentBytes: 2 << 20, maxTextChars: 200, maxUserIDBytes: 32)
}

public struct AccountOpeningError: Error, Hashable, Sendable {
    public enum Code: String, Codable, Sendable, CaseIterable {
        case invalidInput = "INVALID_INPUT"
        case usccInvalid = "USCC_INVALID"
        case idNumberInvalid = "ID_NUMBER_INVALID"
        case provinceRequired = "PROVINCE_REQUIRED"
        case usersInvalid = "USERS_INVALID"
        case missingDocument = "MISSING_DOCUMENT"
        case tooManyDocuments = "TOO_MANY_DOCUMENTS"
        case documentTooLarge = "DOCUMENT_TOO_LARGE"
        case documentInvalid = "DOCUMENT_INVALID"
        case applicationNotPending = "APPLICATION_NOT_PENDING"
        case applicationNotReturned = "APPLICATION_NOT_RETURNED"
        case reasonRequired = "REASON_REQUIRED"
        case selfApproval = "SELF_APPROVAL"
        case unknownApplication = "UNKNOWN_APPLICATION"
        case userExists = "USER_EXISTS"
        case applicationChanged = "APPLICATION_CHANGED"
        case passwordInvalid = "PASSWORD_INVALID"
        case registryRejected = "REGISTRY_REJECTED"
        /// The owner holds an account of this kind already (one per owner and kind).
        case accountExists = "ACCOUNT_EXISTS"
        /// A return or rejection of an application whose approval has begun (its registry
        /// account may be open already; the approval may not have finished): approve again to finish.
        case approvalInProgress = "APPROVAL_IN_PROGRESS"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

public enum AccountOpeningCommand: Hashable, Codable, Sendable {
    case submit(id: String, form: AccountApplicationForm, by: String?)
    /// The applicant corrects a returned application.
    case resubmit(form: AccountApplicationForm)
    case returnForCorrection(by: String, reason: String)
    /// An approval's first step, before the registry opens the account: from now on the
    /// application can only be approved (a concurrent return or rejection is refused, so no
    /// open account ends up behind a refused application).
    case beginApproval(by: String)
    /// The registry refused to open the account (nothing was opened): the approval is off and
    /// the application may be returned or rejected again.
    case abandonApproval
    /// `account`: the registry account the approval opened.
    case approve(by: String, account: AccountID)
    case reject(by: String, reason: String)

    public var kind: String {
        switch self {
        case .submit: "submit"
        case .resubmit: "resubmit"
        case .returnForCorrection: "return"
        case .beginApproval: "begin_approval"
        case .abandonApproval: "abandon_approval"
        case .approve: "approve"
        case .reject: "reject"
        }
    }
}

public enum AccountOpeningEvent: Hashable, Codable, Sendable {
    case submitted(AccountApplication)
    case resubmitted(form: AccountApplicationForm, at: Timestamp)
    case returned(by: String, reason: String, at: Timestamp)
    case approvalStarted(by: String, at: Timestamp)
    case approvalAbandoned(at: Timestamp)
    case approved(by: String, account: AccountID, at: Timestamp)
    case rejected(by: String, reason: String, at: Timestamp)
}

public enum AccountOpening {
    /// The events of `command` on `current` (nil: no application yet), or the reason it is refused.
    public static func decide(
        _ current: AccountApplication?, _ command: AccountOpeningCommand, at now: Timestamp, policy: AccountOpeningPolicy = .standard
    ) throws(AccountOpeningError) -> [AccountOpeningEvent] {
        switch command {
        case .submit(let id, let form, let by):
            guard current == nil else { throw AccountOpeningError(.invalidInput, "application \(id) exists") }
            guard !id.isEmpty, id.utf8.count <= 64 else { throw AccountOpeningError(.invalidInput, "application id") }
            try validate(form, policy)
            let application = AccountApplication(
                id: id, form: form, status: .submitted, submittedBy: by, account: nil,
                history: [AccountApplicationStep(at: now, by: by ?? "applicant", status: .submitted, reason: nil)])
            return [.submitted(application)]
        case .resubmit(let form):
            let application = try existing(current)
            guard application.status == .returned else {
                throw AccountOpeningError(.applicationNotReturned, "application \(application.id) is \(application.status.rawValue), not returned for correction")
            }
            guard form.kind == application.form.kind else { throw AccountOpeningError(.invalidInput, "the applicant kind cannot change") }
            try validate(form, policy)
            return [.resubmitted(form: form, at: now)]
        case .returnForCorrection(let by, let reason):
            try notApproving(try pending(current))
            return [.returned(by: by, reason: try self.reason(reason, policy), at: now)]
        case .beginApproval(let by):
            let application = try pending(current)
            try mayDecide(application, by)
            return [.approvalStarted(by: by, at: now)]
        case .abandonApproval:
            let application = try pending(current)
            guard application.approvalStartedBy != nil else {
                throw AccountOpeningError(.invalidInput, "no approval of application \(application.id) is under way")
            }
            return [.approvalAbandoned(at: now)]
        case .approve(let by, let account):
            let application = try pending(current)
            try mayDecide(application, by)
            guard !account.rawValue.isEmpty else { throw AccountOpeningError(.invalidInput, "the opened account's id") }
            return [.approved(by: by, account: account, at: now)]
        case .reject(let by, let reason):
            let application = try existing(current)
            guard application.status == .submitted || application.status == .returned else {
                throw AccountOpeningError(.applicationNotPending, "application \(application.id) is already \(application.status.rawValue)")
            }
            try notApproving(application)
            try mayDecide(application, by)
            return [.rejected(by: by, reason: try self.reason(reason, policy), at: now)]
        }
    }

    /// Whether `by` may approve the application now (checked before the registry opens the
    /// account, and again by `decide(.approve)`).
    public static func checkApproval(_ current: AccountApplication?, by: String) throws(AccountOpeningError) {
        try mayDecide(try pending(current), by)
    }

    public static func evolve(_ current: AccountApplication?, _ event: AccountOpeningEvent) -> AccountApplication? {
        if case .submitted(let application) = event { return application }
        guard var application = current else { return nil }
        switch event {
        case .submitted: break
        case .resubmitted(let form, let at):
            application.form = form
            application.status = .submitted
            application.history.append(AccountApplicationStep(at: at, by: "applicant", status: .submitted, reason: nil))
        case .returned(let by, let reason, let at):
            application.status = .returned
            application.history.append(AccountApplicationStep(at: at, by: by, status: .returned, reason: reason))
        case .approvalStarted(let by, let at):
            application.approvalStartedBy = by
            application.approvalStartedAt = at
        case .approvalAbandoned:
            application.approvalStartedBy = nil
            application.approvalStartedAt = nil
        case .approved(let by, let account, let at):
            application.status = .approved
            application.account = account
            application.approvalStartedBy = nil
            application.approvalStartedAt = nil
            application.history.append(AccountApplicationStep(at: at, by: by, status: .approved, reason: nil))
        case .rejected(let by, let reason, let at):
            application.status = .rejected
            application.history.append(AccountApplicationStep(at: at, by: by, status: .rejected, reason: reason))
        }
        return application
    }

    /// The registry command an approval runs.
    public static func openAccountCommand(_ form: AccountApplicationForm) -> RegistryCommand {
        let representatives = form.users.compactMap { user in
            user.representative.map { Representative(id: representativeID(user.userID), name: user.name, role: $0) }
        }
        return .openAccount(
            type: form.kind.accountType, ownerID: form.ownerID, ownerName: form.ownerName,
            province: form.kind == .entity ? form.province : nil, representatives: representatives)
    }

    /// The registry representative id of an entity's user: the user id in capitals, '.' and '_'
    /// as '-' (the registry's alphabet: A-Z, 0-9, '-'). Two users of one application must map
    /// to different ids.
    public static func representativeID(_ userID: String) -> RepresentativeID {
        RepresentativeID(String(userID.uppercased().map { $0 == "." || $0 == "_" ? "-" : $0 }))
    }

    // MARK: rules

    static func existing(_ current: AccountApplication?) throws(AccountOpeningError) -> AccountApplication {
        guard let current else { throw AccountOpeningError(.unknownApplication, "no such application") }
        return current
    }

    static func pending(_ current: AccountApplication?) throws(AccountOpeningError) -> AccountApplication {
        let application = try existing(current)
        guard application.status.isPending else {
            throw AccountOpeningError(.applicationNotPending, "application \(application.id) is \(application.status.rawValue), not waiting for review")
        }
        return application
    }

    /// An approval under way finishes (or is abandoned) before anything else is decided.
    static func notApproving(_ application: AccountApplication) throws(AccountOpeningError) {
        if let reviewer = application.approvalStartedBy {
            throw AccountOpeningError(
                .approvalInProgress, "\(reviewer) has begun approving application \(application.id); approve again to finish it")
        }
    }

    /// Four eyes: the user who submitted an application (or is one of its users) does not decide it.
    static func mayDecide(_ application: AccountApplication, _ by: String) throws(AccountOpeningError) {
        guard !by.isEmpty else { throw AccountOpeningError(.invalidInput, "the deciding operator") }
        guard application.submittedBy != by, !application.form.users.contains(where: { $0.userID == by }) else {
            throw AccountOpeningError(.selfApproval, "\(by) submitted application \(application.id) and may not decide it")
        }
    }

    static func reason(_ text: String, _ policy: AccountOpeningPolicy) throws(AccountOpeningError) -> String {
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else { throw AccountOpeningError(.reasonRequired, "a reason is required") }
        guard trimmed.unicodeScalars.count <= policy.maxTextChars else { throw AccountOpeningError(.invalidInput, "the reason is over \(policy.maxTextChars) characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw AccountOpeningError(.invalidInput, "the reason contains control characters")
        }
        return trimmed
    }

    static func validate(_ form: AccountApplicationForm, _ policy: AccountOpeningPolicy) throws(AccountOpeningError) {
        try text(form.ownerName, "owner name", policy)
        switch form.kind {
        case .entity, .institution:
            guard UnifiedSocialCreditCode(form.ownerID) != nil else {
                throw AccountOpeningError(.usccInvalid, "'\(form.ownerID.prefix(40))' is not a valid unified social credit code")
            }
        case .individual:
            guard ResidentIDNumber.isValid(form.ownerID) else {
                throw AccountOpeningError(.idNumberInvalid, "'\(form.ownerID.prefix(40))' is not a valid resident ID number")
            }
        }
        if form.kind == .entity {
            guard let province = form.province, (2...3).contains(province.utf8.count), province.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
                throw AccountOpeningError(.provinceRequired, "an entity names its province (a 2-3 letter code such as SC)")
            }
        }
        try users(form, policy)
        try documents(form.documents, policy)
    }

    static func users(_ form: AccountApplicationForm, _ policy: AccountOpeningPolicy) throws(AccountOpeningError) {
        let expected: [RepresentativeRole?] = form.kind == .entity ? [.initiator, .approver] : [nil]
        guard form.users.map(\.representative) == expected else {
            let what = form.kind == .entity ? "an entity names an initiator and an approver, in that order" : "an investor names one user"
            throw AccountOpeningError(.usersInvalid, what)
        }
        guard Set(form.users.map { representativeID($0.userID) }).count == form.users.count else {
            throw AccountOpeningError(.usersInvalid, "the users' ids differ (four eyes: two people)")
        }
        for user in form.users {
            guard !user.userID.isEmpty, user.userID.utf8.count <= policy.maxUserIDBytes,
                user.userID.utf8.allSatisfy({ isIDByte($0) })
            else {
                throw AccountOpeningError(
                    .usersInvalid, "user id '\(user.userID.prefix(70))': 1-\(policy.maxUserIDBytes) letters, digits, '.', '_' or '-'")
            }
            try text(user.name, "user name", policy)
        }
    }

    static func documents(_ documents: [IdentityDocument], _ policy: AccountOpeningPolicy) throws(AccountOpeningError) {
        guard !documents.isEmpty else { throw AccountOpeningError(.missingDocument, "at least one identity document is required") }
        guard documents.count <= policy.maxDocuments else {
            throw AccountOpeningError(.tooManyDocuments, "at most \(policy.maxDocuments) documents (maxDocuments)")
        }
        var seen: Set<String> = []
        for document in documents {
            try text(document.fileName, "file name", policy)
            guard !document.fileName.contains("/"), !document.fileName.contains("\\") else {
                throw AccountOpeningError(.documentInvalid, "a file name, not a path: '\(document.fileName.prefix(70))'")
            }
            guard document.sizeBytes > 0 else { throw AccountOpeningError(.missingDocument, "\(document.fileName) is empty") }
            guard document.sizeBytes <= policy.maxDocumentBytes else {
                throw AccountOpeningError(
                    .documentTooLarge, "\(document.fileName) has \(document.sizeBytes) bytes; at most \(policy.maxDocumentBytes) (maxDocumentBytes)")
            }
            guard document.sha256.utf8.count == 64, document.sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                throw AccountOpeningError(.documentInvalid, "\(document.fileName): sha256 is 64 lower-case hex digits")
            }
            guard seen.insert(document.sha256).inserted else { throw AccountOpeningError(.documentInvalid, "\(document.fileName) is attached twice") }
        }
    }

    static func text(_ value: String, _ field: String, _ policy: AccountOpeningPolicy) throws(AccountOpeningError) {
        guard !value.trimmingWhitespace.isEmpty else { throw AccountOpeningError(.invalidInput, "\(field) is empty") }
        guard value.unicodeScalars.count <= policy.maxTextChars else { throw AccountOpeningError(.invalidInput, "\(field) is over \(policy.maxTextChars) characters") }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw AccountOpeningError(.invalidInput, "\(field) contains control characters")
        }
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 46 || byte == 95 || byte == 45
    }
}

/// The 18-character resident identity card number (GB 11643-1999): 17 digits and an ISO 7064
/// MOD 11-2 check character (0-9 or X).
public enum ResidentIDNumber {
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checks = Array("10X98765432")

    public static func checkCharacter(for first17: String) -> Character? {
        let digits = first17.utf8.map { Int($0) - 48 }
        guard digits.count == 17, digits.allSatisfy({ (0...9).contains($0) }) else { return nil }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checks[sum % 11]
    }

    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 18, let check = checkCharacter(for: String(text.prefix(17))) else { return false }
        return text.last == check
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
