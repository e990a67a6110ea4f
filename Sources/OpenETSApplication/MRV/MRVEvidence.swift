import Crypto
import Foundation
import OpenETSDomain

/// The SHA-256 of an evidence file's bytes, as the MRV platform records it (64 lower-case hex
/// digits): computed where the file is read, so the deposit names exactly that file.
public func evidenceSHA256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

public func evidenceSHA256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// An evidence file sent with a deposit (`submit_month`, `correct_month`, `replace_evidence`,
/// or a CSV file of months): its bytes, and what the caller says about them. The service
/// computes the SHA-256 from the bytes and records that; `claimedSHA256`, when given, must be
/// it (`EVIDENCE_HASH_MISMATCH`). A command that does not list a file of this name gets it added
/// with the computed hash and `item`.
public struct EvidenceUpload: Hashable, Sendable {
    public var name: String
    public var mediaType: String
    public var item: String?
    public var claimedSHA256: String?
    public var bytes: [UInt8]

    public init(name: String, mediaType: String = "application/octet-stream", item: String? = nil, claimedSHA256: String? = nil, bytes: [UInt8]) {
        self.name = name
        self.mediaType = mediaType
        self.item = item
        self.claimedSHA256 = claimedSHA256
        self.bytes = bytes
    }

    /// `type/subtype` of 3–127 printable ASCII characters without spaces.
    static func validMediaType(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (3...127).contains(bytes.count), bytes.allSatisfy({ $0 > 32 && $0 < 127 }) else { return false }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
    }
}

/// An upload with its computed hash.
struct HashedUpload {
    var upload: EvidenceUpload
    var sha256: String
}

extension MRVService {
    /// Checks and hashes the uploads, and lists each in the command when it names no file of
    /// that name. Errors are the caller's: no database is read.
    static func attach(_ uploads: [EvidenceUpload], to command: MRVCommand) -> Result<(MRVCommand, [HashedUpload]), MRVError> {
        guard !uploads.isEmpty else { return .success((command, [])) }
        let hashed: [HashedUpload]
        switch hash(uploads) {
        case .failure(let error): return .failure(error)
        case .success(let h): hashed = h
        }
        func listed(_ files: [EvidenceFile]) -> [EvidenceFile] {
            var files = files
            for h in hashed where !files.contains(where: { $0.name == h.upload.name }) {
                files.append(EvidenceFile(name: h.upload.name, sha256: h.sha256, item: h.upload.item))
            }
            return files
        }
        switch command {
        case .submitMonth(var data):
            data.evidence = listed(data.evidence)
            return .success((.submitMonth(data), hashed))
        case .correctMonth(var data, let reason):
            data.evidence = listed(data.evidence)
            return .success((.correctMonth(data, reason: reason), hashed))
        case .replaceEvidence(let month, let evidence, let reason):
            return .success((.replaceEvidence(month: month, evidence: listed(evidence), reason: reason), hashed))
        case .addEvidence(let month, let evidence, let reason):
            return .success((.addEvidence(month: month, evidence: listed(evidence), reason: reason), hashed))
        default:
            return .failure(MRVError(.invalidEvidence, "\(command.kind) deposits no evidence files"))
        }
    }

    /// Checks each upload's name and media type and hashes its bytes.
    static func hash(_ uploads: [EvidenceUpload]) -> Result<[HashedUpload], MRVError> {
        var hashed: [HashedUpload] = []
        for upload in uploads {
            guard !upload.name.isEmpty else { return .failure(MRVError(.invalidEvidence, "an evidence file needs a name")) }
            guard EvidenceUpload.validMediaType(upload.mediaType) else {
                return .failure(MRVError(.invalidEvidence, "\(upload.name): media type '\(upload.mediaType)' is not type/subtype"))
            }
            // The policy's limit is checked in the deposit's transaction; nothing above the
            // ceiling any policy may set is hashed at all.
            guard upload.bytes.count <= MRVLimits.maxEvidenceBytesCeiling else {
                return .failure(MRVError(.limitExceeded, "\(upload.name): \(upload.bytes.count) bytes, more than any evidence limit"))
            }
            let sha = evidenceSHA256(upload.bytes)
            if let claimed = upload.claimedSHA256, claimed != sha {
                return .failure(MRVError(.evidenceHashMismatch, "\(upload.name): the claimed SHA-256 \(claimed) is not the hash of the bytes sent (\(sha))"))
            }
            hashed.append(HashedUpload(upload: upload, sha256: sha))
        }
        return .success(hashed)
    }

    /// The evidence files `events` list for their months, with their data year and whether the
    /// month had never listed them before (in `state`, or earlier in `events`).
    static func depositedEvidence(_ events: [MRVEvent], before state: MRVState) -> [(year: Int, file: EvidenceFile, new: Bool)] {
        var known: [FacilityMonth: Set<String>] = [:]
        var result: [(Int, EvidenceFile, Bool)] = []
        func deposit(_ key: FacilityMonth, _ files: [EvidenceFile]) {
            if known[key] == nil { known[key] = Set((state.months[key]?.allEvidence ?? []).map(\.sha256)) }
            for file in files { result.append((key.year, file, known[key]!.insert(file.sha256).inserted)) }
        }
        for event in events {
            switch event {
            case .monthSubmitted(let data, _, _), .monthCorrected(let data, _, _): deposit(data.key, data.evidence)
            case .evidenceReplaced(let key, let files, _, _): deposit(key, files)
            default: break
            }
        }
        return result
    }

    /// The bytes the deposit needs: every file a month lists for the first time has its bytes
    /// sent now or stored before (`EVIDENCE_MISSING`; `EVIDENCE_HASH_MISMATCH` when a file of
    /// that name was sent with other bytes). Every file sent must be listed by the deposit and
    /// be within the data year's `maxEvidenceBytes`. Returns the blobs to store (their
    /// `storedSeq` is set by the caller), or the first fault.
    static func blobsToStore(
        _ events: [MRVEvent], before state: MRVState, uploads: [HashedUpload], policy: MRVPolicyTables, at now: Timestamp,
        stored: (String) async throws -> Bool
    ) async throws -> Result<[EvidenceBlob], MRVError> {
        var blobs: [EvidenceBlob] = []
        var used = Set<String>()
        for (year, file, new) in depositedEvidence(events, before: state) {
            if let upload = uploads.first(where: { $0.sha256 == file.sha256 }) {
                let limit = ((try? policy.platform(year))?.limits ?? policy.current.limits).evidenceByteLimit
                guard upload.upload.bytes.count <= limit else {
                    return .failure(
                        MRVError(.limitExceeded, "\(file.name): \(upload.upload.bytes.count) bytes; evidence files are at most \(limit) bytes (maxEvidenceBytes)"))
                }
                if used.insert(file.sha256).inserted {
                    blobs.append(
                        EvidenceBlob(
                            sha256: file.sha256, size: upload.upload.bytes.count, mediaType: upload.upload.mediaType, storedAt: now, storedSeq: 0,
                            bytes: upload.upload.bytes))
                }
            } else if !new {
                continue
            } else if try await stored(file.sha256) {
                continue
            } else if let named = uploads.first(where: { $0.upload.name == file.name }) {
                return .failure(MRVError(.evidenceHashMismatch, "\(file.name): listed as \(file.sha256), but the bytes sent hash to \(named.sha256)"))
            } else {
                return .failure(MRVError(.evidenceMissing, "\(file.name) (\(file.sha256)): no bytes sent and none stored under that hash"))
            }
        }
        if let unused = uploads.first(where: { !used.contains($0.sha256) }) {
            return .failure(MRVError(.invalidEvidence, "\(unused.upload.name): sent, but not listed by this deposit"))
        }
        return .success(blobs)
    }

    /// An evidence file's bytes by SHA-256, checked: they must still hash to their key and have
    /// the stored size (`EVIDENCE_TAMPERED`); `UNKNOWN_EVIDENCE` when nothing is stored under it.
    public func evidence(_ sha256: String) async throws -> Result<EvidenceBlob, MRVError> {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return .failure(MRVError(.invalidEvidence, "'\(sha256)' is not 64 lower-case hex digits"))
        }
        guard let blob = try await store.evidenceBlob(sha256) else { return .failure(MRVError(.unknownEvidence, "no evidence file \(sha256)")) }
        if let fault = Self.blobFault(blob) { return .failure(MRVError(.evidenceTampered, fault)) }
        return .success(blob)
    }

    static func blobFault(_ blob: EvidenceBlob) -> String? {
        let actual = evidenceSHA256(blob.bytes)
        if actual != blob.sha256 { return "evidence \(blob.sha256): its stored bytes hash to \(actual)" }
        if blob.size != blob.bytes.count { return "evidence \(blob.sha256): stored size \(blob.size), \(blob.bytes.count) bytes stored" }
        return nil
    }

    /// The evidence history of a submitted month (`MONTH_NOT_SUBMITTED` otherwise).
    public func evidenceHistory(_ month: FacilityMonth) -> Result<[EvidenceVersion], MRVError> {
        guard let record = state.months[month] else { return .failure(MRVError(.monthNotSubmitted, "\(month) has not been submitted")) }
        return .success(record.evidenceHistory)
    }

    /// `verify`'s evidence part: every stored blob hashes to its key, and every file the
    /// months have ever listed (`state`, replayed) has its bytes stored.
    func verifyEvidence(_ replayed: MRVState) async throws -> [String] {
        var problems: [String] = []
        let keys = try await store.evidenceBlobKeys()
        for key in keys {
            guard let blob = try await store.evidenceBlob(key) else { continue }
            if let fault = Self.blobFault(blob) { problems.append(fault) }
        }
        let stored = Set(keys)
        for (month, record) in replayed.months.sorted(by: { $0.key < $1.key }) {
            for file in record.allEvidence where !stored.contains(file.sha256) {
                problems.append("\(month): evidence \(file.name) (\(file.sha256)) has no stored bytes")
            }
        }
        return problems
    }
}
