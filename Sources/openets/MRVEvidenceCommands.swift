import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain

/// `openets mrv evidence put|get|history`: a month's evidence files, their stored bytes and
/// the history of its evidence list.
struct MRVEvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Evidence files of a month: deposit (put), retrieve by SHA-256 (get), history.",
        subcommands: [MRVEvidencePut.self, MRVEvidenceGet.self, MRVEvidenceHistory.self])
}

struct MRVEvidencePut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Deposit evidence files for a submitted month: added to its list (a file of the same name is replaced); the bytes are stored, the previous list kept.")
    @OptionGroup var options: MRVMutationOptions
    @Option var facility: String
    @Option(help: "Data year.") var year: Int
    @Option var month: Int
    @Option(help: "PATH or PATH=DATA_ITEM (repeatable).") var file: [String]
    @Option(help: "Media type of the files (default: from the extension).") var mediaType: String?
    @Option(help: "The SHA-256 the sender expects (one file only): refused when the bytes hash otherwise.") var sha256: String?
    @Option var reason: String = "evidence deposited"

    func run() async throws {
        guard sha256 == nil || file.count == 1 else { throw ValidationError("--sha256 goes with one --file") }
        let uploads = try evidenceUploads(file, mediaType: mediaType, claimedSHA256: sha256)
        let key = FacilityMonth(facility: FacilityID(facility), year: year, month: month)
        let idempotencyKey = options.key
        let actor = try options.actor()
        // Added to the month's list as it is when the MRV writer decides (add_evidence), so a
        // concurrent deposit is not overwritten and a retry replays.
        let outcome = try await withMRV(options.store.location) { service in
            try await service.execute(
                MRVRequest(idempotencyKey: idempotencyKey, command: .addEvidence(month: key, evidence: [], reason: reason), actor: actor),
                files: uploads)
        }
        try report(outcome, key: idempotencyKey, json: options.json)
    }
}

struct MRVEvidenceGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Write a stored evidence file's bytes, after checking they still hash to their SHA-256 (EVIDENCE_TAMPERED otherwise).")
    @OptionGroup var options: MRVReadOptions
    @Argument(help: "The file's SHA-256.") var sha256: String
    @Option(help: "Write the bytes here (- for stdout).") var out: String

    struct Output: Encodable {
        var sha256: String
        var size: Int
        var mediaType: String
        var storedAt: Int64
        var storedSeq: Int64
        var out: String
    }

    func run() async throws {
        let result = try await withMRV(options.store.location) { try await $0.evidence(sha256) }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let blob):
            if out == "-" {
                FileHandle.standardOutput.write(Data(blob.bytes))
                return
            }
            try Data(blob.bytes).write(to: URL(fileURLWithPath: out))
            if options.json {
                print(jsonText(Output(sha256: blob.sha256, size: blob.size, mediaType: blob.mediaType, storedAt: blob.storedAt.millisecondsSinceEpoch, storedSeq: blob.storedSeq, out: out)))
            } else {
                print("\(blob.sha256): \(blob.size) bytes, \(blob.mediaType), deposited by MRV journal entry #\(blob.storedSeq) → \(out)")
            }
        }
    }
}

struct MRVEvidenceHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Every evidence list a submitted month has had, oldest first (replaced files stay retrievable).")
    @OptionGroup var options: MRVReadOptions
    @Option var facility: String
    @Option(help: "Data year.") var year: Int
    @Option var month: Int

    func run() async throws {
        let key = FacilityMonth(facility: FacilityID(facility), year: year, month: month)
        let result = try await withMRV(options.store.location) { await $0.evidenceHistory(key) }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let versions):
            if options.json { print(jsonText(versions)); return }
            for v in versions {
                let change = v.change.map { "\($0.rawValue): \(v.reason ?? "")" } ?? "deposit"
                print("v\(v.version) from \(BeijingTime.date(v.from)) (\(change))")
                for f in v.files { print("  \(f.sha256) \(f.name)\(f.item.map { " [\($0)]" } ?? "")") }
            }
        }
    }
}
