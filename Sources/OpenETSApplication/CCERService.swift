import OpenETSDomain

/// A CCER command with the idempotency key that makes retries safe.
public struct CCERRequest: Hashable, Codable, Sendable {
    public var idempotencyKey: String
    public var command: CCERCommand
    /// The request as the client sent it, when the command holds a value the server filled in
    /// (the day of a methodology published without `publishedOn`): the idempotency key is bound
    /// to this text instead of the command, so a retry on a later day is the same request and
    /// replays the first answer. Nil: the key is bound to the command.
    public var sentAs: String?

    public init(idempotencyKey: String, command: CCERCommand, sentAs: String? = nil) {
        self.idempotencyKey = idempotencyKey
        self.command = command
        self.sentAs = sentAs
    }

    /// What the idempotency key is bound to: the SHA-256 of the command, or of the request as
    /// sent (a prefix of its own, so the two never give the same text).
    public func requestHash(_ codec: LedgerCodec = LedgerCodec()) -> String {
        if let sentAs { return sha256Hex("ccer-sent\n" + command.kind + "\n" + sentAs) }
        return sha256Hex("ccer\n" + codec.encode(command))
    }
}

/// Proof that a CCER command was applied: its journal entry (sequence number and hash), the
/// CCER events and the registry events of its movements (issuance, cancellation).
public struct CCERReceipt: Hashable, Sendable {
    public var seq: Int64
    public var events: [CCEREvent]
    public var registryEvents: [RegistryEvent]
    /// The entry's hash: the root of a neutrality certificate's verification code.
    public var entryHash: String?
    public var replayed: Bool

    /// The neutrality certificate this command produced, if any.
    public var certificate: NeutralityCertificate? {
        for event in events { if case .neutralityCertified(let certificate) = event { return certificate } }
        return nil
    }

    /// The certificate's public verification code, once the entry hash is known.
    public var verificationCode: String? {
        guard let certificate, let entryHash else { return nil }
        return NeutralityCertificateCheck.code(number: certificate.number, entryHash: entryHash)
    }
}

public enum CCEROutcome: Hashable, Sendable {
    case accepted(CCERReceipt)
    case rejected(CCERRejection)

    public var receipt: CCERReceipt? {
        if case .accepted(let receipt) = self { return receipt }
        return nil
    }

    public var error: CCERRejection? {
        if case .rejected(let error) = self { return error }
        return nil
    }
}

/// The body of a CCER journal entry (kind `ccer.<command kind>`): the CCER events and the
/// registry events of the movements that went with them (defining the period's unit type and
/// issuing it; a neutrality cancellation), in the order they were applied.
public struct CCEREntryBody: Codable, Sendable {
    public var ccer: [CCEREvent]
    public var registry: [RegistryEvent]

    public init(ccer: [CCEREvent], registry: [RegistryEvent]) {
        self.ccer = ccer
        self.registry = registry
    }

    public static let kindPrefix = "ccer."
    public static func isCCER(_ kind: String) -> Bool { kind.hasPrefix(kindPrefix) }

    /// Unit types `CCER-P{6 digits}-M{digits}` are the CCER workflow's issuances: a registry
    /// command from outside may not define or issue them, or the registry and the CCER
    /// records would disagree (and the workflow's issuance would be blocked).
    public static func reservedReason(_ command: RegistryCommand) -> String? {
        switch command {
        case .defineUnitType(let code, _, _, _, _, _, _, _), .issue(let code, _, _):
            return isIssuanceCode(code) ? "unit type \(code) belongs to the CCER workflow (openets ccer issue)" : nil
        default:
            return nil
        }
    }

    static func isIssuanceCode(_ code: UnitTypeCode) -> Bool {
        let text = Array(code.rawValue.utf8)
        let prefix = Array("CCER-P".utf8)
        guard text.count >= prefix.count + 6 + 3, Array(text[..<prefix.count]) == prefix else { return false }
        let digits = text[prefix.count..<prefix.count + 6]
        let rest = text[(prefix.count + 6)...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        return digits.allSatisfy(isDigit) && rest.starts(with: Array("-M".utf8)) && rest.count > 2 && rest.dropFirst(2).allSatisfy(isDigit)
    }
}

/// The CCER state rebuilt from the CCER entries up to `last`.
func replayCCER(store: any LedgerStore, through last: Int64, codec: LedgerCodec) async throws -> CCERState {
    var ccer = CCERState()
    var after: Int64 = 0
    while true {
        let entries = try await store.ccerJournal(after: after, through: last, limit: 5_000)
        guard let final = entries.last else { break }
        for entry in entries { ccer.evolve(try codec.ccerEvents(of: entry)) }
        after = final.seq
    }
    return ccer
}

extension RegistryService {
    /// Runs a CCER command through the one writer: its CCER events and registry movements form
    /// one journal entry (kind `ccer.…`) in one transaction. The receipt carries the entry hash.
    /// With `audit`, its audit record (and outcome) is written in the command's own transaction.
    public nonisolated func execute(_ request: CCERRequest, audit: AuditNote? = nil) async throws -> CCEROutcome {
        try await submit([request], audits: [audit])[0]
    }

    /// Queues CCER requests in order and waits for all of them (group commit, as registry
    /// requests). `audits`, when given, has one note (or nil) per request.
    public nonisolated func submit(_ requests: [CCERRequest], audits: [AuditNote?] = []) async throws -> [CCEROutcome] {
        let codec = LedgerCodec()
        let tickets = requests.indices.map {
            Ticket(
                operation: .ccer(requests[$0]), requestHash: requests[$0].requestHash(codec),
                audit: $0 < audits.count ? audits[$0] : nil)
        }
        var outcomes: [CCEROutcome] = []
        for outcome in try await enqueue(tickets) {
            guard case .ccer(var ccerOutcome) = outcome else { preconditionFailure("a CCER ticket got another outcome") }
            if case .accepted(var receipt) = ccerOutcome, receipt.entryHash == nil {
                receipt.entryHash = try await journalEntry(receipt.seq)?.hash
                ccerOutcome = .accepted(receipt)
            }
            outcomes.append(ccerOutcome)
        }
        return outcomes
    }

    /// One journal entry by its sequence number.
    public nonisolated func journalEntry(_ seq: Int64) async throws -> JournalEntry? {
        guard seq >= 1 else { return nil }
        return try await store.journal(after: seq - 1, limit: 1).first { $0.seq == seq }
    }

    /// Checks a certificate's verification code against the journal (public certificate page).
    public nonisolated func checkCertificate(code: String) async throws -> Result<CertificateCheckResult, CertificateCheckError> {
        guard let parsed = NeutralityCertificateCheck.parse(code) else {
            return .failure(CertificateCheckError(.malformedCode, "'\(code)' is not a verification code (VC-NNNNNNNN-hex12)"))
        }
        guard let certificate = await ccer.certificates[parsed.number] else {
            return .failure(CertificateCheckError(.unknownCertificate, "no neutrality certificate \(parsed.number)"))
        }
        guard let entry = try await journalEntry(certificate.entrySeq) else {
            return .failure(CertificateCheckError(.entryMissing, "journal entry \(certificate.entrySeq) is missing"))
        }
        let registry = await state
        return NeutralityCertificateCheck.check(code: code, entry: entry, unitType: registry.unitTypes[certificate.claim.unit])
    }
}
