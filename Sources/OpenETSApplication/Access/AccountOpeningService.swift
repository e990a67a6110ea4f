import Crypto
import Foundation
import OpenETSDomain

/// A login the approval will create, as stored with the application: the scrypt hash of the
/// password the applicant chose and the TOTP secret shown to the applicant once, at submission.
public struct ApplicantCredential: Hashable, Codable, Sendable {
    public var userID: String
    public var passwordHash: String
    public var totpSecret: String

    public init(userID: String, passwordHash: String, totpSecret: String) {
        self.userID = userID
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
    }
}

/// An application as stored (migration 20): the domain's application, the SHA-256 of the
/// applicant's secret reference (the reference itself is shown once), the credentials of the
/// users to create, and a version for compare-and-set updates.
public struct AccountApplicationRecord: Hashable, Sendable {
    public var application: AccountApplication
    public var referenceHash: String
    public var credentials: [ApplicantCredential]
    public var submittedAt: Timestamp
    public var updatedAt: Timestamp
    public var version: Int64

    public init(
        application: AccountApplication, referenceHash: String, credentials: [ApplicantCredential], submittedAt: Timestamp,
        updatedAt: Timestamp, version: Int64
    ) {
        self.application = application
        self.referenceHash = referenceHash
        self.credentials = credentials
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// An identity document's bytes, keyed by the application and the bytes' SHA-256.
public struct StoredDocument: Hashable, Sendable {
    public var document: IdentityDocument
    public var bytes: [UInt8]

    public init(document: IdentityDocument, bytes: [UInt8]) {
        self.document = document
        self.bytes = bytes
    }
}

/// Account applications and their documents (migration 20).
public protocol AccountApplicationStore: Sendable {
    /// Inserts a new application (version 1), its documents and its `audit` lines in one
    /// transaction (a failed audit insert stores no application).
    func insertApplication(_ record: AccountApplicationRecord, documents: [StoredDocument], audit: [AuditRecord]) async throws
    func application(_ id: String) async throws -> AccountApplicationRecord?
    /// Newest first, at most `limit`; all statuses when `status` is nil.
    func applications(status: AccountApplicationStatus?, limit: Int) async throws -> [AccountApplicationRecord]
    /// Replaces the application when its stored version is still `expectedVersion` (the record
    /// is written with version + 1), adds `documents` and saves `users`, all in one
    /// transaction; false (and nothing written) when someone changed it meanwhile. With
    /// `key`, the API's Idempotency-Key is completed in that transaction too
    /// (`IdempotencyKeyNotHeld`, nothing written, when the key is not in progress with it).
    /// The `audit` lines are inserted in that transaction too: a failed insert writes nothing.
    func updateApplication(
        _ record: AccountApplicationRecord, expectedVersion: Int64, documents: [StoredDocument], users: [UserRecord],
        key: IdempotencyCompletion?, audit: [AuditRecord]
    ) async throws -> Bool
    func applicationDocument(application: String, sha256: String) async throws -> [UInt8]?
}

extension AccountApplicationStore {
    public func insertApplication(_ record: AccountApplicationRecord, documents: [StoredDocument]) async throws {
        try await insertApplication(record, documents: documents, audit: [])
    }

    public func updateApplication(
        _ record: AccountApplicationRecord, expectedVersion: Int64, documents: [StoredDocument], users: [UserRecord]
    ) async throws -> Bool {
        try await updateApplication(record, expectedVersion: expectedVersion, documents: documents, users: users, key: nil, audit: [])
    }
}

/// The answer an API Idempotency-Key stores, made of the application as a decision or a
/// resubmission writes it (completed in that write's transaction).
public typealias ApplicationKeyCompletion = (AccountApplication) throws -> IdempotencyCompletion

/// The audit line of an application's write, made of the application as written (its id, its
/// new status): inserted in that write's transaction, so the change and its line commit
/// together or not at all. A refusal that writes nothing is audited by its caller, alone.
public typealias ApplicationAudit = (AccountApplication) -> AuditRecord

/// The account-opening workflow's use cases: apply, read the status with the secret
/// reference, correct a returned application, list for the registry operator, and decide
/// (approve, return for correction, reject). Approval opens the registry account through
/// `RegistryService` (idempotency key `account-opening-<id>`, so an approval retried after a
/// failure opens the account once) and then, in one transaction, marks the application
/// approved and creates its users for the new account.
public final class AccountOpeningService: Sendable {
    /// Shortest password an applicant may choose (characters).
    public static let minPasswordChars = 10
    /// Most applications a list returns.
    public static let maxListed = 500

    public let store: any LedgerStore
    public let registry: RegistryService
    public let policy: AccountOpeningPolicy

    public init(store: any LedgerStore, registry: RegistryService, policy: AccountOpeningPolicy = .standard) {
        self.store = store
        self.registry = registry
        self.policy = policy
    }

    /// What an applicant sends: the form's identity, each user with the password chosen, and
    /// the documents' names and bytes (the service computes hashes and sizes).
    public struct Request: Sendable {
        public var kind: ApplicantKind
        public var ownerID: String
        public var ownerName: String
        public var province: String?
        public var users: [(user: ApplicantUser, password: String)]
        public var documents: [(fileName: String, bytes: [UInt8])]

        public init(
            kind: ApplicantKind, ownerID: String, ownerName: String, province: String?, users: [(user: ApplicantUser, password: String)],
            documents: [(fileName: String, bytes: [UInt8])]
        ) {
            self.kind = kind
            self.ownerID = ownerID
            self.ownerName = ownerName
            self.province = province
            self.users = users
            self.documents = documents
        }
    }

    /// What the applicant is told once: the id, the secret reference for the status page, and
    /// each user's TOTP secret for an authenticator app.
    public struct Submitted: Sendable {
        public var application: AccountApplication
        public var reference: String
        public var totpSecrets: [String: String]
    }

    public enum Decision: Sendable, Equatable {
        case approve
        case returnForCorrection(reason: String)
        case reject(reason: String)
    }

    /// With `audit`, the acceptance's line is inserted with the application, in its transaction.
    public func apply(
        _ request: Request, by submitter: String?, at now: Timestamp, audit: ApplicationAudit? = nil
    ) async throws -> Result<Submitted, AccountOpeningError> {
        guard request.documents.allSatisfy({ Int64($0.bytes.count) <= policy.maxDocumentBytes }) else {
            let big = request.documents.first { Int64($0.bytes.count) > policy.maxDocumentBytes }!
            return .failure(AccountOpeningError(
                .documentTooLarge, "\(big.fileName) has \(big.bytes.count) bytes; at most \(policy.maxDocumentBytes) (maxDocumentBytes)"))
        }
        let stored = Self.documents(request.documents)
        let form = AccountApplicationForm(
            kind: request.kind, ownerID: request.ownerID, ownerName: request.ownerName, province: request.province,
            users: request.users.map(\.user), documents: stored.map(\.document))
        let id = "AO-" + String(AccessService.randomToken().prefix(16)).uppercased()
        let events: [AccountOpeningEvent]
        do {
            events = try AccountOpening.decide(nil, .submit(id: id, form: form, by: submitter), at: now, policy: policy)
        } catch {
            return .failure(error)
        }
        if let refused = try await accountRefused(form) { return .failure(refused) }
        if let refused = try await credentialsRefused(request.users) { return .failure(refused) }
        var credentials: [ApplicantCredential] = []
        var secrets: [String: String] = [:]
        for (user, password) in request.users {
            let secret = TOTP.newSecret()
            credentials.append(ApplicantCredential(userID: user.userID, passwordHash: try PasswordHasher.hash(password), totpSecret: secret))
            secrets[user.userID] = secret
        }
        let application = events.reduce(nil) { AccountOpening.evolve($0, $1) }!
        let reference = AccessService.randomToken()
        try await store.insertApplication(
            AccountApplicationRecord(
                application: application, referenceHash: sha256Hex(reference), credentials: credentials, submittedAt: now, updatedAt: now,
                version: 1),
            documents: stored, audit: audit.map { [$0(application)] } ?? [])
        return .success(Submitted(application: application, reference: reference, totpSecrets: secrets))
    }

    /// The application, for the holder of its reference; nil for an unknown id or a wrong
    /// reference alike (one answer, so ids cannot be probed).
    public func status(id: String, reference: String) async throws -> AccountApplicationRecord? {
        guard Self.plausibleID(id), reference.utf8.count <= 128, let record = try await store.application(id) else { return nil }
        return constantTimeEqual(Array(record.referenceHash.utf8), Array(sha256Hex(reference).utf8)) ? record : nil
    }

    /// The applicant corrects a returned application (new form and documents; the users'
    /// passwords and TOTP secrets stay as chosen at the first submission).
    /// With `key`, the API's Idempotency-Key is completed in the transaction that writes it;
    /// with `audit`, its line is inserted there too.
    public func resubmit(
        id: String, reference: String, _ request: Request, at now: Timestamp, key: ApplicationKeyCompletion? = nil,
        audit: ApplicationAudit? = nil
    ) async throws -> Result<AccountApplication, AccountOpeningError> {
        guard let record = try await status(id: id, reference: reference) else {
            return .failure(AccountOpeningError(.unknownApplication, "no application \(id.prefix(64)) with this reference"))
        }
        guard request.users.map(\.user.userID) == record.application.form.users.map(\.userID) else {
            return .failure(AccountOpeningError(.usersInvalid, "the users of a returned application stay as first submitted"))
        }
        if let big = request.documents.first(where: { Int64($0.bytes.count) > policy.maxDocumentBytes }) {
            return .failure(AccountOpeningError(
                .documentTooLarge, "\(big.fileName) has \(big.bytes.count) bytes; at most \(policy.maxDocumentBytes) (maxDocumentBytes)"))
        }
        let stored = Self.documents(request.documents)
        let form = AccountApplicationForm(
            kind: request.kind, ownerID: request.ownerID, ownerName: request.ownerName, province: request.province,
            users: request.users.map(\.user), documents: stored.map(\.document))
        return try await change(record, .resubmit(form: form), at: now, documents: stored, key: key, audit: audit)
    }

    public func list(status: AccountApplicationStatus? = nil) async throws -> [AccountApplicationRecord] {
        try await store.applications(status: status, limit: Self.maxListed)
    }

    public func document(application: String, sha256: String) async throws -> [UInt8]? {
        guard Self.plausibleID(application), Self.plausibleID(sha256) else { return nil }
        return try await store.applicationDocument(application: application, sha256: sha256)
    }

    /// An id worth looking up: 1-64 printable ASCII characters (a NUL, say, never reaches the database).
    static func plausibleID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The registry operator's decision (the caller has checked the `account_review` permission).
    /// With `key`, the API's Idempotency-Key is completed in the transaction that writes the
    /// decision (an approval's last step, with the users), and so is the `audit` line. The
    /// approval's intermediate writes (its mark, the mark's removal) carry no line of their own.
    public func decide(
        _ id: String, _ decision: Decision, by reviewer: String, at now: Timestamp, key: ApplicationKeyCompletion? = nil,
        audit: ApplicationAudit? = nil
    ) async throws -> Result<AccountApplication, AccountOpeningError> {
        guard Self.plausibleID(id), var record = try await store.application(id) else {
            return .failure(AccountOpeningError(.unknownApplication, "no application \(id.prefix(64))"))
        }
        if decision != .approve, record.application.status == .submitted || record.application.status == .returned,
            let opened = try await approvalOpened(record.application.id)
        {
            // The approval's first step (the registry account) committed and its second did
            // not: returning or rejecting now would leave an open account behind a refused
            // application. Only approving again (which replays the registry command) finishes it.
            return .failure(AccountOpeningError(
                .approvalInProgress,
                "an approval of \(record.application.id) has opened registry entry #\(opened) already; approve again to finish it"))
        }
        if decision != .approve, record.application.approvalStartedBy != nil,
            now.millisecondsSinceEpoch - (record.application.approvalStartedAt?.millisecondsSinceEpoch ?? 0) > Self.staleApprovalMarkMilliseconds
        {
            // A mark left by an approval that stopped before its registry step (nothing was
            // opened: checked just above) and is long past any wait of that step: it goes, and
            // the return or rejection is decided on the unmarked application.
            switch try await changed(record, .abandonApproval, at: now) {
            case .failure(let error): return .failure(error)
            case .success(let unmarked): record = unmarked
            }
        }
        switch decision {
        case .returnForCorrection(let reason):
            return try await change(record, .returnForCorrection(by: reviewer, reason: reason), at: now, key: key, audit: audit)
        case .reject(let reason): return try await change(record, .reject(by: reviewer, reason: reason), at: now, key: key, audit: audit)
        case .approve: return try await approve(record, by: reviewer, at: now, key: key, audit: audit)
        }
    }

    /// How long an approval's mark keeps a return or rejection out when nothing was opened
    /// under it (10 minutes: beyond the registry writer's longest wait for its lock, 5 minutes),
    /// so that a mark left by a crash before the registry step does not bar refusing for ever.
    public static let staleApprovalMarkMilliseconds: Int64 = 10 * 60_000

    func approve(
        _ record: AccountApplicationRecord, by reviewer: String, at now: Timestamp, key: ApplicationKeyCompletion? = nil,
        audit: ApplicationAudit? = nil
    ) async throws -> Result<AccountApplication, AccountOpeningError> {
        let application = record.application
        do {
            try AccountOpening.checkApproval(application, by: reviewer)
        } catch {
            return .failure(error)
        }
        // Users created meanwhile (by another approval or an administrator) block the approval
        // before the registry opens anything; a mark an earlier attempt left goes with it.
        if let refused = try await credentialsRefused(application.form.users.map { ($0, "") }, checkPasswords: false) {
            try await unmarkIfNothingOpened(record, at: now)
            return .failure(refused)
        }
        if let refused = try await accountRefused(application.form, openedBy: application.id) {
            try await unmarkIfNothingOpened(record, at: now)
            return .failure(refused)
        }
        // First step: mark the application (a new version), so that a return or rejection
        // racing this approval is refused from now on (APPROVAL_IN_PROGRESS) instead of
        // leaving the account opened below behind a refused application. Two approvals at once
        // are ordered here too: the second is APPLICATION_CHANGED.
        let claimed: AccountApplicationRecord
        switch try await changed(record, .beginApproval(by: reviewer), at: now) {
        case .failure(let error): return .failure(error)
        case .success(let next): claimed = next
        }
        let command = AccountOpening.openAccountCommand(application.form)
        let account: AccountID
        let outcome: CommandOutcome
        do {
            outcome = try await registry.execute(CommandRequest(idempotencyKey: Self.registryKey(application.id), command: command))
        } catch {
            // The registry step failed (a lost connection, a stuck lock): unless it committed
            // after all, the mark goes, so the application can still be refused.
            try? await unmarkIfNothingOpened(claimed, at: now)
            throw error
        }
        switch outcome {
        case .rejected(let error):
            // Nothing was opened under the approval's key: the mark goes (unless another
            // approval has taken over meanwhile), and the application may be refused again.
            _ = try await changed(claimed, .abandonApproval, at: now)
            return .failure(AccountOpeningError(.registryRejected, "the registry refused to open the account: \(error.code.rawValue): \(error.message)"))
        case .accepted(let receipt):
            guard let opened = receipt.events.lazy.compactMap({ if case .accountOpened(let a) = $0 { a.id } else { nil } }).first else {
                return .failure(AccountOpeningError(.registryRejected, "the registry opened no account"))
            }
            account = opened
        }
        let users = application.form.users.compactMap { user -> UserRecord? in
            guard let credential = record.credentials.first(where: { $0.userID == user.userID }) else { return nil }
            return UserRecord(
                id: user.userID, name: user.name, role: user.role, account: account, province: application.form.province,
                passwordHash: credential.passwordHash, totpSecret: credential.totpSecret, createdAt: now)
        }
        return try await change(claimed, .approve(by: reviewer, account: account), at: now, users: users, key: key, audit: audit)
    }

    /// Decides `command` on the record and writes the result if nobody changed it meanwhile.
    func change(
        _ record: AccountApplicationRecord, _ command: AccountOpeningCommand, at now: Timestamp, documents: [StoredDocument] = [],
        users: [UserRecord] = [], key: ApplicationKeyCompletion? = nil, audit: ApplicationAudit? = nil
    ) async throws -> Result<AccountApplication, AccountOpeningError> {
        try await changed(record, command, at: now, documents: documents, users: users, key: key, audit: audit).map(\.application)
    }

    /// `change`, answering the record as written (its new version).
    func changed(
        _ record: AccountApplicationRecord, _ command: AccountOpeningCommand, at now: Timestamp, documents: [StoredDocument] = [],
        users: [UserRecord] = [], key: ApplicationKeyCompletion? = nil, audit: ApplicationAudit? = nil
    ) async throws -> Result<AccountApplicationRecord, AccountOpeningError> {
        let events: [AccountOpeningEvent]
        do {
            events = try AccountOpening.decide(record.application, command, at: now, policy: policy)
        } catch {
            return .failure(error)
        }
        var next = record
        next.application = events.reduce(record.application) { AccountOpening.evolve($0, $1)! }
        next.updatedAt = now
        next.version = record.version + 1
        guard try await store.updateApplication(
            next, expectedVersion: record.version, documents: documents, users: users, key: try key?(next.application),
            audit: audit.map { [$0(next.application)] } ?? [])
        else {
            return .failure(AccountOpeningError(.applicationChanged, "application \(record.application.id) changed meanwhile; reload and decide again"))
        }
        return .success(next)
    }

    /// Takes an approval's mark off the application when no registry entry was committed under
    /// the approval's key (a mark with an account behind it stays: approving again finishes).
    func unmarkIfNothingOpened(_ record: AccountApplicationRecord, at now: Timestamp) async throws {
        guard record.application.approvalStartedBy != nil, try await approvalOpened(record.application.id) == nil else { return }
        _ = try await changed(record, .abandonApproval, at: now)
    }

    /// The journal entry of the registry command an approval of `application` committed, if
    /// any (read under the registry's write lock, as any idempotency check).
    func approvalOpened(_ application: String) async throws -> Int64? {
        let key = Self.registryKey(application)
        return try await registry.store.write { tx in try await tx.idempotencyRecords([key])[key]?.seq }
    }

    /// The registry idempotency key of an application's approval.
    static func registryKey(_ application: String) -> String { "account-opening-\(application)" }

    /// ACCOUNT_EXISTS when the owner holds an open or blocked account of the kind already: one
    /// account per owner and kind. At an approval (`openedBy`), an account that this very
    /// application's approval opened (its journal entry carries the approval's key: an
    /// approval retried after a failure) does not count.
    func accountRefused(_ form: AccountApplicationForm, openedBy application: String? = nil) async throws -> AccountOpeningError? {
        let type = form.kind.accountType
        let existing = await registry.state.accounts.values.filter { $0.type == type && $0.ownerID == form.ownerID && $0.status != .closed }
        for account in existing.sorted(by: { $0.id < $1.id }) {
            if let application, try await store.history(account: account.id, limit: Self.maxOpeningLookBack).last?.idempotencyKey == Self.registryKey(application) {
                continue
            }
            return AccountOpeningError(.accountExists, "\(form.ownerID) holds \(type.rawValue) account \(account.id.rawValue) already")
        }
        return nil
    }

    /// Most journal entries read back to find the entry that opened an account.
    static let maxOpeningLookBack = 10_000

    /// USER_EXISTS for a user id taken already; PASSWORD_INVALID for a password out of bounds.
    func credentialsRefused(_ users: [(user: ApplicantUser, password: String)], checkPasswords: Bool = true) async throws -> AccountOpeningError? {
        for (user, password) in users {
            if checkPasswords {
                guard password.count >= Self.minPasswordChars, password.utf8.count <= PasswordHasher.maxPasswordBytes else {
                    return AccountOpeningError(
                        .passwordInvalid, "\(user.userID): a password of \(Self.minPasswordChars)-\(PasswordHasher.maxPasswordBytes) characters")
                }
            }
            if try await store.user(user.userID) != nil {
                return AccountOpeningError(.userExists, "user id \(user.userID) is taken; choose another")
            }
        }
        return nil
    }

    public static func documents(_ files: [(fileName: String, bytes: [UInt8])]) -> [StoredDocument] {
        files.map { file in
            StoredDocument(
                document: IdentityDocument(
                    fileName: file.fileName, sha256: SHA256.hash(data: file.bytes).map { String(format: "%02x", $0) }.joined(),
                    sizeBytes: Int64(file.bytes.count)),
                bytes: file.bytes)
        }
    }
}
