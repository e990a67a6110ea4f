import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets ccer policy show|publish`: the CCER rules as versioned data (`ccer_policy`): notice
/// and review periods, eligibility dates, the working-day calendar, the named limits (the
/// per-user comment cap among them). A regulator prints the policy in force (`show`), edits
/// it, and publishes it as the next version (`publish`, checked by `CCERPolicy.problems()`:
/// refused with INVALID_POLICY and every problem named, nothing stored). The built-in policy is
/// version 1. Every process reads the policy in force when it opens the registry, and every
/// batch of CCER commands reads the newest version under the journal head lock: a running
/// server decides its next CCER command under a version published here, as under one published
/// through it (publishCCERPolicy, `/portal/ccer-regulator`).
struct CCERPolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "The CCER rules as data (periods, eligibility dates, calendar, limits): show, publish.",
        subcommands: [CCERPolicyShow.self, CCERPolicyPublish.self])
}

struct CCERPolicyShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the CCER policy in force as the JSON `publish --file` takes (its version on stderr).")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let policy = try await withStore(store.location) { try await $0.ccerPolicy() }
        FileHandle.standardError.write(Data("CCER policy version \(policy.version): \(policy.note)\n".utf8))
        print(jsonText(policy))
    }
}

struct CCERPolicyPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish a CCER policy file as the next version (exit 3 with INVALID_POLICY and nothing stored when it breaks its constraints).")
    @OptionGroup var store: StoreOptions
    @Option(help: "JSON file (or - for stdin), the shape `show` prints.") var file: String
    @Option(help: "Beijing date the version is in force from, YYYY-MM-DD (recorded; default today).") var effectiveFrom: String?
    @Option(help: "Why this version (required; it becomes the policy's note).") var note: String
    @Option(help: "Who publishes it (recorded in the audit log).") var by: String = ProcessInfo.processInfo.userName
    @Flag(help: "Print JSON.") var json = false

    static let auditAction = "ccer.policy_publish"

    func run() async throws {
        let now = SystemClock().now()
        let from = effectiveFrom ?? BeijingTime.date(now).description
        let policy: CCERPolicy
        switch readPolicy(from: from) {
        case .success(let read): policy = read
        case .failure(let refusal):
            // Refused before the store is written: the refusal's line alone (nothing else to join).
            // A store that cannot be opened does not hide the refusal itself.
            try? await withStore(store.location) { try await AccessService(store: $0).audit(now, by, Self.auditAction, "rejected \(refusal.code)", "cli") }
            try fail(refusal.code, refusal.message)
        }
        let audit = AuditNote(at: now, user: by, action: Self.auditAction, address: "cli", summary: "in force from \(from)")
        // Audited in the publication's own transaction (`accepted vN: in force from …`).
        let version = try await withStore(store.location) { try await $0.publishCCERPolicy(policy, effectiveFrom: from, note: note, at: now, audit: audit) }
        if json {
            print(jsonText(["status": "published", "version": "\(version)", "effectiveFrom": from]))
        } else {
            print("published CCER policy version \(version), in force from \(from) (a running server decides its next CCER command under it)")
        }
    }

    func fail(_ code: String, _ message: String) throws -> Never { try failCommand(code, message, json: json) }

    struct Refusal: Error {
        var code: String
        var message: String
    }

    /// The file as the policy to publish, or why not: too large, not a policy, a bad date, or
    /// the problems `CCERPolicy.problems()` finds. Every refusal is audited by `run`.
    func readPolicy(from: String) -> Result<CCERPolicy, Refusal> {
        let data: Data
        do { data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            return .failure(Refusal(code: CCERErrorCode.invalidArgument.rawValue, message: "\(file) cannot be read: \(error)"))
        }
        guard data.count <= CCERCommandGroup.maxInputBytes else {
            return .failure(Refusal(code: "LIMIT_EXCEEDED", message: "\(file) is over \(CCERCommandGroup.maxInputBytes) bytes"))
        }
        var policy: CCERPolicy
        do { policy = try JSONDecoder().decode(CCERPolicy.self, from: data) } catch {
            return .failure(Refusal(
                code: CCERErrorCode.invalidPolicy.rawValue, message: "\(file) is not a CCER policy (the JSON `openets ccer policy show` prints): \(error)"))
        }
        policy.note = note
        guard CivilDate(from) != nil else {
            return .failure(Refusal(code: CCERErrorCode.invalidArgument.rawValue, message: "--effective-from \(from) is not a date YYYY-MM-DD"))
        }
        let problems = policy.problems()
        guard problems.isEmpty else { return .failure(Refusal(code: CCERErrorCode.invalidPolicy.rawValue, message: problems.joined(separator: "; "))) }
        return .success(policy)
    }
}
