import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets account apply|list|decide`: the account-opening workflow from the command line
/// (docs/security.md, "Account opening"), through `AccountOpeningService` as the web and the API.
struct AccountCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Account opening: apply, list applications, decide (the registry operator).",
        subcommands: [Apply.self, List.self, Decide.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply for a registry account. Passwords come from OPENETS_PASSWORD_1 and OPENETS_PASSWORD_2 (not the command line).")
        @OptionGroup var store: StoreOptions
        @Option(help: "entity, institution or individual.") var kind: String
        @Option(help: "Unified social credit code, or the resident ID number of an individual.") var ownerId: String
        @Option(help: "The applicant's name.") var ownerName: String
        @Option(help: "Province code (entities).") var province: String?
        @Option(help: ArgumentHelp("A user, ID:NAME: an investor's one user; an entity's initiator then approver.", valueName: "ID:NAME"))
        var user: [String] = []
        @Option(help: ArgumentHelp("An identity document's file.", valueName: "PATH")) var document: [String] = []

        func run() async throws {
            guard let kind = ApplicantKind(rawValue: kind) else { throw ValidationError("--kind: entity, institution or individual") }
            var users: [(user: ApplicantUser, password: String)] = []
            for (index, text) in user.enumerated() {
                let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--user ID:NAME") }
                let representative: RepresentativeRole? = kind == .entity ? (index == 0 ? .initiator : .approver) : nil
                let password = ProcessInfo.processInfo.environment["OPENETS_PASSWORD_\(index + 1)"] ?? ""
                users.append((ApplicantUser(userID: parts[0], name: parts[1], representative: representative), password))
            }
            var documents: [(fileName: String, bytes: [UInt8])] = []
            for path in document {
                let url = URL(fileURLWithPath: path)
                documents.append((url.lastPathComponent, Array(try Data(contentsOf: url))))
            }
            let request = AccountOpeningService.Request(
                kind: kind, ownerID: ownerId, ownerName: ownerName, province: province, users: users, documents: documents)
            let outcome = try await withRegistry(store.location) { store, service in
                let now = SystemClock().now()
                // Audited as the web's and the API's applications: the acceptance with the
                // application, in its transaction; a refusal (nothing written) alone.
                let outcome = try await AccountOpeningService(store: store, registry: service).apply(request, by: nil, at: now, audit: {
                    AuditRecord(at: now, user: "applicant", action: "account.apply", detail: "accepted \($0.id)", address: "cli")
                })
                if case .failure(let error) = outcome {
                    try await AccessService(store: store).audit(now, "applicant", "account.apply", "rejected \(error.code.rawValue)", "cli")
                }
                return outcome
            }
            switch outcome {
            case .failure(let error):
                FileHandle.standardError.write(Data("rejected: \(error.code.rawValue): \(error.message)\n".utf8))
                throw ExitCode(3)
            case .success(let submitted):
                print("application \(submitted.application.id) submitted")
                print("reference (shown once): \(submitted.reference)")
                for (user, secret) in submitted.totpSecrets.sorted(by: { $0.key < $1.key }) { print("TOTP secret of \(user): \(secret)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applications, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "submitted, returned, approved or rejected.") var status: String?

        func run() async throws {
            let status = try status.map { text in
                guard let value = AccountApplicationStatus(rawValue: text) else { throw ValidationError("--status: submitted, returned, approved or rejected") }
                return value
            }
            let records = try await withRegistry(store.location) { store, service in
                try await AccountOpeningService(store: store, registry: service).list(status: status)
            }
            for record in records {
                let a = record.application
                let documents = a.form.documents.map { "\($0.fileName) sha256:\($0.sha256) \($0.sizeBytes) B" }.joined(separator: "; ")
                print("\(a.id)  \(a.status.rawValue)  \(a.form.kind.rawValue)  \(a.form.ownerID)  \(a.form.ownerName)  \(a.account?.rawValue ?? "-")  [\(documents)]")
            }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve, return or reject an application as a registry operator.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The application's id.") var id: String
        @Option(help: "approve, return or reject.") var decision: String
        @Option(help: "Why (required to return or reject).") var reason: String = ""
        @Option(help: "The registry operator's user id (must hold account_review).") var by: String

        func run() async throws {
            let choice: AccountOpeningService.Decision
            switch decision {
            case "approve": choice = .approve
            case "return": choice = .returnForCorrection(reason: reason)
            case "reject": choice = .reject(reason: reason)
            default: throw ValidationError("--decision: approve, return or reject")
            }
            // nil: the user may not review applications.
            let outcome = try await withRegistry(store.location) { store, service -> Result<AccountApplication, AccountOpeningError>? in
                guard let reviewer = try await store.user(by), reviewer.principal.may(.accountReview) else { return nil }
                let now = SystemClock().now()
                let action = "account.\(decision)"
                // The decision's line is inserted with it; a refusal (nothing written) is audited alone.
                let outcome = try await AccountOpeningService(store: store, registry: service).decide(id, choice, by: by, at: now, audit: {
                    AuditRecord(at: now, user: by, action: action, detail: "accepted \($0.id) \($0.status.rawValue)", address: "cli")
                })
                if case .failure(let error) = outcome {
                    try await AccessService(store: store).audit(now, by, action, "rejected \(error.code.rawValue)", "cli")
                }
                return outcome
            }
            switch outcome {
            case nil:
                FileHandle.standardError.write(Data("rejected: FORBIDDEN: \(by) may not \(Action.accountReview.rawValue)\n".utf8))
                throw ExitCode(3)
            case .failure(let error):
                FileHandle.standardError.write(Data("rejected: \(error.code.rawValue): \(error.message)\n".utf8))
                throw ExitCode(3)
            case .success(let application):
                print("\(application.id) \(application.status.rawValue)" + (application.account.map { ", account \($0.rawValue)" } ?? ""))
            }
        }
    }
}
