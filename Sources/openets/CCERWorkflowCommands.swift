import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets ccer submit|comment|validate|register|report|verify|register-reductions|issue|
/// cancel-for-neutrality|certificate|serial-history|projects`: the CCER workflow through the
/// registry's one writer (docs/ccer.md). Exit status 0 accepted, 3 rejected, 2 bad input.
enum CCERWorkflow {
    static func run(_ command: CCERCommand, _ options: MutationOptions) async throws {
        let key = options.idempotencyKey ?? UUID().uuidString.lowercased()
        let outcome = try await withRegistry(options.store.location) { _, service in
            try await service.execute(CCERRequest(idempotencyKey: key, command: command))
        }
        struct Output: Encodable {
            var status: String
            var idempotency_key: String
            var seq: Int64?
            var entry_hash: String?
            var replayed: Bool?
            var events: [CCEREvent]?
            var registry_events: [RegistryEvent]?
            var verification_code: String?
            var code: String?
            var message: String?
        }
        switch outcome {
        case .accepted(let receipt):
            if options.json {
                print(jsonText(Output(
                    status: "accepted", idempotency_key: key, seq: receipt.seq, entry_hash: receipt.entryHash, replayed: receipt.replayed,
                    events: receipt.events, registry_events: receipt.registryEvents, verification_code: receipt.verificationCode)))
            } else {
                print("accepted: journal entry #\(receipt.seq)\(receipt.replayed ? " (replayed: this key was used before)" : "")")
                for event in receipt.events { print("  " + summary(event)) }
                for event in receipt.registryEvents { print("  registry: " + describe(event)) }
                if let code = receipt.verificationCode { print("verification code: \(code)") }
            }
        case .rejected(let error):
            if options.json {
                print(jsonText(Output(status: "rejected", idempotency_key: key, code: error.code, message: error.message)))
            } else {
                FileHandle.standardError.write(Data("rejected: \(error.code): \(error.message)\n".utf8))
            }
            throw ExitCode(3)
        }
    }

    static func summary(_ event: CCEREvent) -> String {
        switch event {
        case .projectSubmitted(let p): "project \(p.id) submitted; notice \(p.designNotice.opensOn) – \(p.designNotice.endsOn)"
        case .commentRecorded(let id, let period, let c): "comment \(c.number) on \(id)\(period.map { " period \($0)" } ?? "")"
        case .validationRecorded(let id, let r): "validation of \(id): \(r.positive ? "positive" : "negative")"
        case .registrationApplied(let id, let r): "registration of \(id) applied; deadline \(r.deadline)"
        case .registrationDecided(let id, let r): "registration of \(id) \(r.approved == true ? "approved" : "refused")"
        case .reductionReportSubmitted(let id, let p): "period \(p.number) of \(id) reported: \(p.reportedT) t; notice ends \(p.notice.endsOn)"
        case .verificationRecorded(let id, let n, let r): "period \(n) of \(id) verified: \(r.verifiedT ?? 0) t"
        case .reductionRegistrationApplied(let id, let n, let r): "reductions of \(id) period \(n) applied; deadline \(r.deadline)"
        case .reductionRegistrationDecided(let id, let n, let r): "reductions of \(id) period \(n) \(r.approved == true ? "registered" : "refused")"
        case .issuanceOrdered(let o): "issued \(o.quantity) t of \(o.unitType) to \(o.owner)"
        case .neutralityCertified(let c): "certificate \(c.number): \(c.claim.quantity) t for \(c.claim.beneficiary) (\(c.claim.purpose.rawValue): \(c.claim.subject))"
        case .methodologyAdded(let m): "methodology \(m.code) added"
        case .bodyAccredited(let b): "body \(b.id) accredited"
        case .accreditationWithdrawn(let id, _): "body \(id) withdrawn"
        }
    }

    static func date(_ text: String) throws -> CivilDate {
        guard let date = CivilDate(text) else { throw ValidationError("'\(text)' is not a date (YYYY-MM-DD)") }
        return date
    }
}

extension CCERCommandGroup {
    struct Accredit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "accredit", abstract: "Accredit a validation and verification body (regulator).")
        @Option var id: String
        @Option var name: String
        @OptionGroup var options: MutationOptions
        func run() async throws { try await CCERWorkflow.run(.accreditBody(id: ValidationBodyID(id), name: name), options) }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "submit", abstract: "Submit a project (opens its design-document notice).")
        @Option var name: String
        @Option(help: "The owner's registry account (omit with --new-owner-id).") var owner: String = ""
        @Option(help: "A first-time owner's id (USCC): opens or reuses its project-owner account.") var newOwnerId: String?
        @Option(help: "The first-time owner's name.") var newOwnerName: String?
        @Option var methodology: String
        @Option var province: String
        @Option var location: String
        @Option var type: String
        @Option(help: "Construction start, YYYY-MM-DD.") var construction: String
        @Option(help: "Crediting period start.") var creditingStart: String
        @Option(help: "Crediting period end (inclusive).") var creditingEnd: String
        @Option(help: "Expected reductions, t CO2e per year.") var expectedT: Int64
        @Option(help: "SHA-256 of the design document.") var designSha256: String
        @Option(help: "Host facility, if any.") var host: String?
        @OptionGroup var options: MutationOptions
        func run() async throws {
            let application = ProjectApplication(
                name: name, owner: AccountID(owner), methodology: methodology, province: province, location: location, type: type,
                constructionStart: try CCERWorkflow.date(construction), creditingStart: try CCERWorkflow.date(creditingStart),
                creditingEnd: try CCERWorkflow.date(creditingEnd), expectedAnnualReductionsT: expectedT, designDocumentSHA256: designSha256,
                hostFacility: host,
                newOwner: try newOwnerId.map { id in
                    guard let name = newOwnerName else { throw ValidationError("--new-owner-id needs --new-owner-name") }
                    return NewOwnerAccount(ownerID: id, ownerName: name, province: province)
                })
            guard !owner.isEmpty || application.newOwner != nil else { throw ValidationError("give --owner or --new-owner-id") }
            try await CCERWorkflow.run(.submitProject(application, coveredFacilities: []), options)
        }
    }

    struct Comment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "comment", abstract: "Comment on a design or reduction notice.")
        @Option var project: String
        @Option(help: "Monitoring period (omit for the design notice).") var period: Int?
        @Option var author: String
        @Option var text: String
        @OptionGroup var options: MutationOptions
        func run() async throws {
            try await CCERWorkflow.run(.comment(project: CCERProjectID(project), period: period, author: author, text: text), options)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "validate", abstract: "Record a validation report (accredited body).")
        @Option var project: String
        @Option var body: String
        @Option var reportSha256: String
        @Option(help: "A finding (repeatable).") var finding: [String] = []
        @Flag(inversion: .prefixedNo, help: "Positive (default) or --no-positive.") var positive = true
        @OptionGroup var options: MutationOptions
        func run() async throws {
            try await CCERWorkflow.run(
                .recordValidation(project: CCERProjectID(project), body: ValidationBodyID(body), reportSHA256: reportSha256, findings: finding, positive: positive),
                options)
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register", abstract: "Apply for project registration (--owner), or decide it (--approve/--refuse, registry).")
        @Option var project: String
        @Option(help: "Apply as this owner account.") var owner: String?
        @Flag var approve = false
        @Flag var refuse = false
        @Option var reason: String = "reviewed"
        @OptionGroup var options: MutationOptions
        func run() async throws {
            let id = CCERProjectID(project)
            if let owner {
                try await CCERWorkflow.run(.applyForRegistration(project: id, owner: AccountID(owner)), options)
            } else {
                guard approve != refuse else { throw ValidationError("give --owner to apply, or one of --approve / --refuse to decide") }
                try await CCERWorkflow.run(.decideRegistration(project: id, approve: approve, reason: reason), options)
            }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "report", abstract: "Submit a reduction report for a monitoring period.")
        @Option var project: String
        @Option var owner: String
        @Option var start: String
        @Option var end: String
        @Option var reportedT: Int64
        @Option var reportSha256: String
        @OptionGroup var options: MutationOptions
        func run() async throws {
            try await CCERWorkflow.run(
                .submitReductionReport(
                    project: CCERProjectID(project), owner: AccountID(owner), start: try CCERWorkflow.date(start), end: try CCERWorkflow.date(end),
                    reportedT: reportedT, reportSHA256: reportSha256), options)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Record a verification report (0 t: negative).")
        @Option var project: String
        @Option var period: Int
        @Option var body: String
        @Option var reportSha256: String
        @Option var verifiedT: Int64
        @Option(help: "A finding (repeatable).") var finding: [String] = []
        @OptionGroup var options: MutationOptions
        func run() async throws {
            try await CCERWorkflow.run(
                .recordVerification(
                    project: CCERProjectID(project), period: period, body: ValidationBodyID(body), reportSHA256: reportSha256, findings: finding,
                    verifiedT: verifiedT), options)
        }
    }

    struct RegisterReductions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-reductions", abstract: "Apply for reduction registration (--owner), or decide it (--approve/--refuse).")
        @Option var project: String
        @Option var period: Int
        @Option var owner: String?
        @Flag var approve = false
        @Flag var refuse = false
        @Option var reason: String = "reviewed"
        @OptionGroup var options: MutationOptions
        func run() async throws {
            let id = CCERProjectID(project)
            if let owner {
                try await CCERWorkflow.run(.applyForReductionRegistration(project: id, period: period, owner: AccountID(owner)), options)
            } else {
                guard approve != refuse else { throw ValidationError("give --owner to apply, or one of --approve / --refuse to decide") }
                try await CCERWorkflow.run(.decideReductionRegistration(project: id, period: period, approve: approve, reason: reason), options)
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue", abstract: "Issue a registered period's reductions into the owner's account as serial blocks.")
        @Option var project: String
        @Option var period: Int
        @OptionGroup var options: MutationOptions
        func run() async throws { try await CCERWorkflow.run(.issue(project: CCERProjectID(project), period: period), options) }
    }

    struct CancelForNeutrality: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel-for-neutrality",
            abstract: "Cancel credits for the carbon neutrality of an event, product or organisation; prints the verification code.")
        @Option var account: String
        @Option var unit: String
        @Option(help: "Tonnes; e.g. the neutrality calculator's cancel_quantity_t.") var quantity: Int64
        @Option var beneficiary: String
        @Option(help: "event, product or organisation.") var purpose: String
        @Option(help: "The event, product or organisation.") var subject: String
        @OptionGroup var options: MutationOptions
        func run() async throws {
            guard let kind = NeutralityPurpose(rawValue: purpose) else { throw ValidationError("--purpose is event, product or organisation") }
            try await CCERWorkflow.run(
                .cancelForNeutrality(
                    NeutralityClaim(account: AccountID(account), unit: UnitTypeCode(unit), quantity: quantity, beneficiary: beneficiary, purpose: kind, subject: subject)),
                options)
        }
    }

    struct Certificate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certificate", abstract: "Check a neutrality certificate's verification code against the journal.")
        @Argument var code: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            let result = try await withRegistry(store.location) { _, service in try await service.checkCertificate(code: code) }
            switch result {
            case .success(let check):
                if json { print(jsonText(check)); return }
                print("valid: \(check.number), \(check.quantity) t \(check.unit) for \(check.beneficiary) (\(check.purpose): \(check.subject)) on \(check.cancelledOn)")
                for serial in check.serialTexts { print("  \(serial)") }
                print("journal entry #\(check.entrySeq) \(check.entryHash)")
            case .failure(let error):
                if json { print(jsonText(error)) } else { FileHandle.standardError.write(Data("not valid: \(error)\n".utf8)) }
                throw ExitCode(3)
            }
        }
    }

    struct SerialHistoryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serial-history", abstract: "Every journal entry that moved one serial, from issuance on (scans the journal).")
        @Option var unit: String
        @Option var serial: Int64
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            let steps = try await withRegistry(store.location) { ledger, _ in
                var steps: [SerialStep] = []
                var after: Int64 = 0
                while true {
                    let page = try await ledger.journal(after: after, limit: 5_000)
                    guard let last = page.last else { break }
                    steps += try SerialHistory.steps(unit: UnitTypeCode(unit), serial: serial, in: page)
                    after = last.seq
                }
                return steps
            }
            if json { print(jsonText(steps)); return }
            if steps.isEmpty { print("no entry moved serial \(serial) of \(unit)") }
            for step in steps {
                print("#\(step.seq) \(step.kind) \(step.event) \(step.from ?? "—") → \(step.to ?? "—") block \(step.block.first)-\(step.block.last)")
            }
        }
    }

    struct Projects: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "projects", abstract: "Projects with their stages and dates.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            let projects = try await withRegistry(store.location) { _, service in await service.ccer.projectsInOrder }
            if json { print(jsonText(projects)); return }
            for p in projects {
                print("\(p.id) \(p.application.name) [\(p.stage.rawValue)] \(p.history.map { "\($0.stage) \($0.on)" }.joined(separator: ", "))")
                for period in p.periods {
                    print("    period \(period.number) \(period.start)–\(period.end) [\(period.stage.rawValue)] \(period.history.map { "\($0.stage) \($0.on)" }.joined(separator: ", "))")
                }
            }
        }
    }
}
