import OpenETSDomain

/// What anyone checking a neutrality certificate learns: the serials, the quantity, the
/// beneficiary and purpose, and the journal entry (sequence number and hash) that cancelled them.
public struct CertificateCheckResult: Hashable, Codable, Sendable {
    public var code: String
    public var number: String
    public var beneficiary: String
    public var purpose: String
    public var subject: String
    public var account: String
    public var unit: String
    public var quantity: Int64
    public var serials: [SerialRange]
    /// The printed serial blocks (docs/serials.md), when the unit type is known.
    public var serialTexts: [String]
    public var cancelledOn: String
    public var entrySeq: Int64
    public var entryHash: String
    public var recordedAt: Int64

    enum CodingKeys: String, CodingKey {
        case code, number, beneficiary, purpose, subject, account, unit, quantity, serials
        case serialTexts = "serial_texts"
        case cancelledOn = "cancelled_on"
        case entrySeq = "entry_seq"
        case entryHash = "entry_hash"
        case recordedAt = "recorded_at"
    }
}

public enum CertificateCheckErrorCode: String, Codable, Sendable, CaseIterable {
    /// Not of the form VC-NNNNNNNN-<16 hex digits>.
    case malformedCode = "MALFORMED_CODE"
    /// No neutrality certificate with that number.
    case unknownCertificate = "UNKNOWN_CERTIFICATE"
    /// The certificate's journal entry is not in the journal.
    case entryMissing = "ENTRY_MISSING"
    /// The entry's content no longer matches its hash: it was edited.
    case entryAltered = "ENTRY_ALTERED"
    /// The code's hash part is not the entry's hash: a forged or mistyped code.
    case codeMismatch = "CODE_MISMATCH"
    /// The entry does not record this certificate (with the registry's cancellation of the same serials).
    case notInEntry = "NOT_IN_ENTRY"
}

public struct CertificateCheckError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: CertificateCheckErrorCode
    public var message: String

    public init(_ code: CertificateCheckErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Verification codes of carbon-neutrality certificates.
///
/// The code is `{certificate number}-{first 16 hex digits of the journal entry's hash}`, e.g.
/// `VC-00000001-3f2a9c1b7d4e5a6b`. The entry hash covers the entry's whole content and chains
/// to every earlier entry, so a code cannot be made up before the cancellation is journaled
/// and stops matching if the entry is edited. `check` is pure: give it the entry the
/// certificate names (`NeutralityCertificate.entrySeq`). The chain itself is checked by
/// `LedgerVerifier` (`openets registry verify`).
public enum NeutralityCertificateCheck {
    public static let hashDigits = 16

    public static func code(number: CertificateNumber, entryHash: String) -> String {
        "\(number.rawValue)-\(entryHash.prefix(hashDigits))"
    }

    /// The certificate number and hash prefix of a code; nil when malformed.
    public static func parse(_ code: String) -> (number: CertificateNumber, hashPrefix: String)? {
        let trimmed = code.trimmingWhitespace()
        guard trimmed.utf8.count <= 64, let dash = trimmed.lastIndex(of: "-") else { return nil }
        let number = String(trimmed[..<dash])
        let hex = trimmed[trimmed.index(after: dash)...].lowercased()
        guard number.hasPrefix("VC-"), number.count > 3, number.dropFirst(3).allSatisfy(\.isASCIIDigit),
            hex.count == hashDigits, hex.allSatisfy({ $0.isASCIIDigit || ("a"..."f").contains($0) })
        else { return nil }
        return (CertificateNumber(number), hex)
    }

    /// Checks `code` against the journal entry that should hold the certificate.
    public static func check(
        code: String, entry: JournalEntry, unitType: UnitType?, codec: LedgerCodec = LedgerCodec()
    ) -> Result<CertificateCheckResult, CertificateCheckError> {
        guard let (number, prefix) = parse(code) else {
            return .failure(CertificateCheckError(.malformedCode, "'\(code)' is not a verification code (VC-NNNNNNNN-16 hex digits)"))
        }
        guard entry.computedHash == entry.hash else {
            return .failure(CertificateCheckError(.entryAltered, "journal entry \(entry.seq) does not match its hash"))
        }
        guard entry.hash.hasPrefix(prefix) else {
            return .failure(CertificateCheckError(.codeMismatch, "the code does not match journal entry \(entry.seq)"))
        }
        guard let events = try? codec.ccerEvents(of: entry), let registry = try? codec.events(of: entry) else {
            return .failure(CertificateCheckError(.notInEntry, "journal entry \(entry.seq) is not a CCER entry"))
        }
        var found: NeutralityCertificate?
        for event in events {
            if case .neutralityCertified(let certificate) = event, certificate.number == number { found = certificate }
        }
        var cancelled: CancellationCertificate?
        for event in registry {
            if case .certificateIssued(let certificate) = event, certificate.number == number { cancelled = certificate }
        }
        guard let certificate = found, let cancelled, certificate.entrySeq == entry.seq,
            cancelled.lot.serials == certificate.serials, cancelled.lot.quantity == certificate.claim.quantity,
            cancelled.beneficiary == certificate.claim.beneficiary
        else {
            return .failure(CertificateCheckError(.notInEntry, "journal entry \(entry.seq) does not record certificate \(number)"))
        }
        let claim = certificate.claim
        return .success(
            CertificateCheckResult(
                code: Self.code(number: number, entryHash: entry.hash), number: number.rawValue, beneficiary: claim.beneficiary,
                purpose: claim.purpose.rawValue, subject: claim.subject, account: claim.account.rawValue, unit: claim.unit.rawValue,
                quantity: claim.quantity, serials: certificate.serials,
                serialTexts: unitType.map { type in certificate.serials.map(type.serialText) } ?? [],
                cancelledOn: certificate.on.description, entrySeq: entry.seq, entryHash: entry.hash,
                recordedAt: entry.recordedAt.millisecondsSinceEpoch))
    }
}

/// One step in a serial's life: a journal entry whose registry events moved, froze or
/// released a block containing it.
public struct SerialStep: Hashable, Codable, Sendable {
    public var seq: Int64
    public var kind: String
    public var event: String
    public var from: String?
    public var to: String?
    /// The block the serial travelled in at this step.
    public var block: SerialRange
    public var recordedAt: Int64

    enum CodingKeys: String, CodingKey {
        case seq, kind, event, from, to, block
        case recordedAt = "recorded_at"
    }
}

/// The whole history of one serial of a serialised unit type, from its issuance to wherever it
/// is now (a holding, a surrender, a cancellation): pure over journal entries in order.
public enum SerialHistory {
    public static func steps(unit: UnitTypeCode, serial: Int64, in entries: [JournalEntry], codec: LedgerCodec = LedgerCodec())
        throws -> [SerialStep]
    {
        var steps: [SerialStep] = []
        for entry in entries {
            for event in try codec.events(of: entry) {
                guard let (name, from, to, lot) = movement(event, unit: unit),
                    let block = lot.serials.first(where: { $0.first <= serial && serial <= $0.last })
                else { continue }
                steps.append(
                    SerialStep(
                        seq: entry.seq, kind: entry.kind, event: name, from: from?.rawValue, to: to?.rawValue, block: block,
                        recordedAt: entry.recordedAt.millisecondsSinceEpoch))
            }
        }
        return steps
    }

    /// The lot an event moves for `unit`, with a name and the accounts it leaves and reaches.
    static func movement(_ event: RegistryEvent, unit: UnitTypeCode) -> (String, AccountID?, AccountID?, Lot)? {
        switch event {
        case .unitsIssued(let code, let to, let lot) where code == unit:
            return ("issued", nil, to, lot)
        case .unitsMoved(let kind, let from, let to, let code, let lot) where code == unit:
            return (kind.rawValue, from, to, lot)
        case .unitsFrozen(let freeze, let lot) where freeze.unit == unit:
            return ("frozen:\(freeze.reason.kind)", freeze.account, nil, lot)
        case .locked(let lock, let lot) where lock.asset == .units(unit):
            return ("locked", lock.account, nil, lot)
        default:
            return nil
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
