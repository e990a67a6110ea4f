/// What a carbon-neutrality claim is about.
public enum NeutralityPurpose: String, Codable, Sendable, CaseIterable {
    case event
    case product
    case organisation
}

/// A request to cancel credits for the carbon neutrality of an event, product or organisation.
public struct NeutralityClaim: Hashable, Codable, Sendable {
    /// The holding account the credits are cancelled from.
    public var account: AccountID
    public var unit: UnitTypeCode
    public var quantity: Int64
    /// Who the neutrality is claimed for (a company, a conference organiser, a person).
    public var beneficiary: String
    public var purpose: NeutralityPurpose
    /// The event, product or organisation, e.g. "OpenETS 2025 conference".
    public var subject: String

    public init(
        account: AccountID, unit: UnitTypeCode, quantity: Int64, beneficiary: String, purpose: NeutralityPurpose, subject: String
    ) {
        self.account = account
        self.unit = unit
        self.quantity = quantity
        self.beneficiary = beneficiary
        self.purpose = purpose
        self.subject = subject
    }

    /// The purpose text on the registry's cancellation certificate: "event: OpenETS 2025".
    public var registryPurpose: String { "\(purpose.rawValue): \(subject)" }
}

/// The public record of a neutrality cancellation: the registry's certificate number and the
/// exact serials cancelled, with the journal entry that holds it. Its verification code is
/// derived from that entry's hash (see `NeutralityCertificateCheck` in the application layer).
public struct NeutralityCertificate: Hashable, Codable, Sendable {
    public var number: CertificateNumber
    public var claim: NeutralityClaim
    public var serials: [SerialRange]
    public var on: CivilDate
    /// The journal entry that cancelled the credits.
    public var entrySeq: Int64

    public init(number: CertificateNumber, claim: NeutralityClaim, serials: [SerialRange], on: CivilDate, entrySeq: Int64) {
        self.number = number
        self.claim = claim
        self.serials = serials
        self.on = on
        self.entrySeq = entrySeq
    }
}

/// Why a CCER command was refused: a CCER rule, or a registry rule of one of its registry
/// movements (issuance into the owner's account, the cancellation). Either way nothing changed.
public enum CCERRejection: Error, Hashable, Sendable, CustomStringConvertible {
    case ccer(CCERError)
    case registry(RegistryError)

    public var code: String {
        switch self {
        case .ccer(let error): error.code.rawValue
        case .registry(let error): error.code.rawValue
        }
    }

    public var message: String {
        switch self {
        case .ccer(let error): error.message
        case .registry(let error): error.message
        }
    }

    public var description: String { "\(code): \(message)" }
}

/// An accepted CCER command: its CCER events and the registry events of the movements it
/// implies, in the order they apply. The service journals both in one entry.
public struct CCERDecision: Hashable, Sendable {
    public var events: [CCEREvent]
    public var registry: [RegistryEvent]

    public init(events: [CCEREvent], registry: [RegistryEvent]) {
        self.events = events
        self.registry = registry
    }
}

extension CCERState {
    /// Decides a CCER command against the registry as well: the owner's account must exist
    /// for a submission; an issuance defines the period's serialised unit type and issues into
    /// the owner's account; a neutrality cancellation cancels from the holder's account and
    /// completes the registry's certificate. The registry commands are decided and applied on
    /// a copy, so a refusal anywhere leaves both states as they were.
    ///
    /// `entrySeq` is the journal sequence number the command will be recorded under.
    public func decide(
        _ command: CCERCommand, at now: Timestamp, policy: CCERPolicy, registry: RegistryState, registryPolicy: RegistryPolicy,
        entrySeq: Int64
    ) throws(CCERRejection) -> CCERDecision {
        switch command {
        case .submitProject(var application, let covered) where application.newOwner != nil:
            // A first-time owner: open (or find) its project-owner account in the same entry.
            let newOwner = application.newOwner!
            var opening: [RegistryEvent] = []
            if let existing = registry.accounts.values.first(where: { $0.type == .projectOwner && $0.ownerID == newOwner.ownerID }) {
                application.owner = existing.id
            } else {
                opening = try Self.run(
                    [.openAccount(type: .projectOwner, ownerID: newOwner.ownerID, ownerName: newOwner.ownerName, province: newOwner.province,
                                  representatives: newOwner.representatives)], on: registry, at: now, policy: registryPolicy)
                for event in opening { if case .accountOpened(let account) = event { application.owner = account.id } }
            }
            let events: [CCEREvent]
            do {
                events = try decide(.submitProject(application, coveredFacilities: covered), at: now, policy: policy)
            } catch {
                throw .ccer(error)
            }
            return CCERDecision(events: events, registry: opening)
        case .submitProject(let application, _):
            guard let account = registry.accounts[application.owner] else {
                throw .ccer(CCERError(.unknownAccount, "no registry account \(application.owner): open the project owner's account first, or give newOwner"))
            }
            guard account.status == .open else {
                throw .ccer(CCERError(.invalidArgument, "account \(application.owner) is \(account.status.rawValue)"))
            }
        case .cancelForNeutrality(let claim):
            return try cancelForNeutrality(claim, at: now, policy: policy, registry: registry, registryPolicy: registryPolicy, entrySeq: entrySeq)
        default:
            break
        }
        let events: [CCEREvent]
        do {
            events = try decide(command, at: now, policy: policy)
        } catch {
            throw .ccer(error)
        }
        var registryCommands: [RegistryCommand] = []
        for event in events {
            if case .issuanceOrdered(let order) = event { registryCommands += order.registryCommands }
        }
        let registryEvents = try Self.run(registryCommands, on: registry, at: now, policy: registryPolicy)
        return CCERDecision(events: events, registry: registryEvents)
    }

    private func cancelForNeutrality(
        _ claim: NeutralityClaim, at now: Timestamp, policy: CCERPolicy, registry: RegistryState, registryPolicy: RegistryPolicy,
        entrySeq: Int64
    ) throws(CCERRejection) -> CCERDecision {
        let limits = policy.limits
        for (value, field) in [(claim.beneficiary, "beneficiary"), (claim.subject, "subject")] {
            guard !value.allSatisfy(\.isWhitespace) else { throw .ccer(CCERError(.invalidArgument, "\(field) is empty")) }
            guard value.count <= limits.maxNameLength else {
                throw .ccer(CCERError(.limitExceeded, "\(field) is longer than maxNameLength (\(limits.maxNameLength))"))
            }
        }
        guard claim.quantity > 0 else { throw .ccer(CCERError(.invalidArgument, "quantity must be a positive whole number of tonnes")) }
        guard claim.quantity <= limits.maxQuantityT else {
            throw .ccer(CCERError(.limitExceeded, "quantity is over maxQuantityT (\(limits.maxQuantityT))"))
        }
        guard let unit = registry.unitTypes[claim.unit] else {
            throw .registry(RegistryError(.unknownUnitType, "no unit type \(claim.unit)"))
        }
        guard unit.kind.isCredit, let credit = CreditType.of(unit), credit.accepts(.voluntaryNeutrality) else {
            throw .ccer(CCERError(
                .notAcceptedForUse, "\(unit.code) (\(unit.label), issuer \(unit.issuer)) is not a credit type accepted for voluntary neutrality"))
        }
        let registryEvents = try Self.run(
            [
                .voluntaryCancel(
                    account: claim.account, unit: claim.unit, quantity: claim.quantity, beneficiary: claim.beneficiary,
                    purpose: claim.registryPurpose)
            ], on: registry, at: now, policy: registryPolicy)
        var issued: CancellationCertificate?
        for event in registryEvents {
            if case .certificateIssued(let certificate) = event { issued = certificate }
        }
        guard let issued else {
            throw .registry(RegistryError(.invalidArgument, "the registry issued no cancellation certificate"))
        }
        let certificate = NeutralityCertificate(
            number: issued.number, claim: claim, serials: issued.lot.serials, on: BeijingTime.date(now), entrySeq: entrySeq)
        return CCERDecision(events: [.neutralityCertified(certificate)], registry: registryEvents)
    }

    /// Decides and applies `commands` in order on a copy of the registry; all or nothing.
    static func run(
        _ commands: [RegistryCommand], on registry: RegistryState, at now: Timestamp, policy: RegistryPolicy
    ) throws(CCERRejection) -> [RegistryEvent] {
        guard !commands.isEmpty else { return [] }
        var probe = registry
        var ignored = ChangeSet()
        var events: [RegistryEvent] = []
        for command in commands {
            do {
                let produced = try probe.decide(command, at: now, policy: policy)
                probe.evolve(produced, changes: &ignored)
                events += produced
            } catch {
                throw .registry(error)
            }
        }
        return events
    }

    /// Why `event` cannot be applied to this state (it names a project, period or body that
    /// does not exist, or repeats one that does), or nil: the verifier's replay check.
    public func problem(applying event: CCEREvent) -> String? {
        func project(_ id: CCERProjectID) -> CCERProject? { projects[id] }
        func period(_ id: CCERProjectID, _ number: Int) -> String? {
            guard let p = projects[id] else { return "unknown project \(id)" }
            return number >= 1 && number <= p.periods.count ? nil : "project \(id) has no period \(number)"
        }
        switch event {
        case .methodologyAdded, .bodyAccredited:
            return nil
        case .accreditationWithdrawn(let id, _):
            return bodies[id] == nil ? "unknown body \(id)" : nil
        case .projectSubmitted(let p):
            return projects[p.id] != nil ? "project \(p.id) submitted twice" : nil
        case .commentRecorded(let id, let number, _):
            if let number { return period(id, number) }
            return project(id) == nil ? "unknown project \(id)" : nil
        case .validationRecorded(let id, _), .registrationApplied(let id, _):
            return project(id) == nil ? "unknown project \(id)" : nil
        case .registrationDecided(let id, let review):
            if review.decidedOn == nil { return "registration decided without a date" }
            return project(id) == nil ? "unknown project \(id)" : nil
        case .reductionReportSubmitted(let id, let p):
            guard let existing = project(id) else { return "unknown project \(id)" }
            return p.number == existing.periods.count + 1 ? nil : "period \(p.number) out of order"
        case .verificationRecorded(let id, let number, _), .reductionRegistrationApplied(let id, let number, _):
            return period(id, number)
        case .reductionRegistrationDecided(let id, let number, let review):
            return review.decidedOn == nil ? "registration decided without a date" : period(id, number)
        case .issuanceOrdered(let order):
            return period(order.project, order.period)
        case .neutralityCertified(let certificate):
            return certificates[certificate.number] != nil ? "certificate \(certificate.number) recorded twice" : nil
        }
    }
}
