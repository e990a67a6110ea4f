import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets mrv policy …`: the MRV policy tables as versioned data in the database
/// (`mrv_policy`). A regulator writes the tables in force to a file (`show`), edits it, checks
/// it against the tables in force (`check`: what would change), and publishes it as the next
/// version (`publish`); `history` lists the versions. Until one is published the shipped seed
/// tables (version 0) apply.
struct MRVPolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "The MRV policy tables (accounting and platform, per data year): show, check, publish, history.",
        subcommands: [MRVPolicyShow.self, MRVPolicyCheck.self, MRVPolicyPublish.self, MRVPolicyHistory.self])
}

func readPolicyFile(_ path: String) throws(MRVError) -> MRVPolicyTables {
    let data: Data
    do { data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw MRVError(.invalidInput, "\(path) cannot be read: \(error)")
    }
    do {
        return try JSONDecoder().decode(MRVPolicyTables.self, from: data)
    } catch {
        throw MRVError(.invalidPolicy, "\(path) is not MRV policy tables ({\"accounting\":[…],\"platform\":[…]}): \(error)")
    }
}

func prettyPolicyJSON(_ tables: MRVPolicyTables) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(tables), as: UTF8.self)
}

struct MRVPolicyShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the policy tables in force (or --version N) as the JSON `publish --file` takes.")
    @OptionGroup var store: StoreOptions
    @Option(help: "A published version instead of the one in force (0: the shipped seed tables).") var version: Int?

    func run() async throws {
        let (tables, number, note) = try await withMRV(store.location) { service -> (MRVPolicyTables?, Int, String) in
            guard let version else { return (await service.policy, await service.policyVersion, "") }
            if version == 0 { return (.seed, 0, "shipped seed tables") }
            guard let stored = try await service.publishedPolicy(version: version) else { return (nil, version, "") }
            return (try JSONDecoder().decode(MRVPolicyTables.self, from: Data(stored.body.utf8)), version, stored.note)
        }
        guard let tables else { try failMRV(MRVError(.invalidPolicy, "no MRV policy version \(number)"), json: true) }
        FileHandle.standardError.write(Data("MRV policy version \(number)\(number == 0 ? " (shipped seed tables)" : "")\(note.isEmpty ? "" : ": " + note)\n".utf8))
        print(prettyPolicyJSON(tables))
    }
}

struct MRVPolicyCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check a policy file without publishing it, and list every value it changes against the tables in force.")
    @OptionGroup var options: MRVReadOptions
    @Option(help: "JSON file (or - for stdin), the shape `show` prints.") var file: String

    struct Output: Encodable {
        var ok: Bool
        var inForce: Int
        var changes: [String]
        var code: String?
        var message: String?
    }

    func run() async throws {
        let tables: MRVPolicyTables
        do { tables = try readPolicyFile(file) } catch { try failMRV(error, json: options.json) }
        let (current, version) = try await withMRV(options.store.location) { (await $0.policy, await $0.policyVersion) }
        let changes = MRVPolicyChanges.between(current, tables)
        var problem: MRVError?
        do throws(MRVError) { try tables.validate(replacing: current) } catch { problem = error }
        if options.json {
            print(jsonText(Output(ok: problem == nil, inForce: version, changes: changes, code: problem?.code.rawValue, message: problem?.message)))
        } else {
            print("against version \(version) in force: \(changes.count) change(s)")
            for change in changes { print("  " + change) }
            if let problem { FileHandle.standardError.write(Data("rejected: \(problem.code.rawValue): \(problem.message)\n".utf8)) }
        }
        if problem != nil { throw ExitCode(3) }
    }
}

struct MRVPolicyPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish a policy file as the next version; from then on every MRV decision and read uses it.")
    @OptionGroup var options: MRVReadOptions
    @Option(help: "JSON file (or - for stdin), the shape `show` prints.") var file: String
    @Option(help: "Beijing date the version is in force from, YYYY-MM-DD (recorded; default today).") var effectiveFrom: String?
    @Option(help: "Why this version (required).") var note: String
    @Option(help: "Who publishes it (recorded in the audit log).") var by: String = ProcessInfo.processInfo.userName

    /// The audit action, the same as the web form's and the API's publication.
    static let auditAction = "mrv.policy_publish"

    func run() async throws {
        let tables: MRVPolicyTables
        let now = SystemClock().now()
        do { tables = try readPolicyFile(file) } catch {
            // Refused before the MRV writer runs: the refusal's line alone, as the writer's own refusals are audited.
            // A store that cannot be opened does not hide the refusal itself.
            try? await withStore(options.store.location) {
                try await AccessService(store: $0).audit(now, by, Self.auditAction, "rejected \(error.code.rawValue)", "cli")
            }
            try failMRV(error, json: options.json)
        }
        let from = effectiveFrom ?? BeijingTime.date(now).description
        // Audited in the publication's own transaction (MRV writer): `accepted vN` or `rejected CODE`.
        let audit = AuditNote(at: now, user: by, action: Self.auditAction, address: "cli", summary: "in force from \(from)")
        let result = try await withMRV(options.store.location) { service in
            try await service.publishPolicy(tables, effectiveFrom: from, note: note, audit: audit)
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let publication):
            // Against the tables it replaced, read in its transaction (another publisher's included).
            let version = publication.version
            let changes = MRVPolicyChanges.between(publication.previous, tables)
            if options.json {
                print(jsonText(["status": "published", "version": "\(version)", "changes": "\(changes.count)"]))
            } else {
                print("published MRV policy version \(version), in force from \(from): \(changes.count) change(s)")
                for change in changes { print("  " + change) }
            }
        }
    }
}

struct MRVPolicyHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Every published policy version.")
    @OptionGroup var options: MRVReadOptions

    struct Row: Encodable {
        var version: Int
        var effectiveFrom: String
        var publishedAt: Int64
        var note: String
    }

    func run() async throws {
        let versions = try await withMRV(options.store.location) { try await $0.policyHeaders() }
        let rows = versions.map { Row(version: $0.version, effectiveFrom: $0.effectiveFrom, publishedAt: $0.publishedAt.millisecondsSinceEpoch, note: $0.note) }
        if options.json { print(jsonText(rows)); return }
        if rows.isEmpty { print("no version published: the shipped seed tables (version 0) apply") }
        for r in rows { print("v\(r.version) in force from \(r.effectiveFrom): \(r.note)") }
    }
}
