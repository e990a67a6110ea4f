/// Who may send which MRV command (docs/mrv.md, "Who may send which command"). Every command
/// is sent by an `MRVActor` (a role and its scope); `MRVPermissions.table` says, per command
/// kind, which roles may send it and under which scope rule. `MRVState.authorize` checks it,
/// and `decide(_:by:at:policy:)` calls it before any other rule, so a command sent by the wrong
/// actor is `MRV_NOT_PERMITTED` and changes nothing.

/// The stable kinds of MRV commands (journal kinds `mrv.<kind>`).
public enum MRVCommandKind: String, Codable, Sendable, CaseIterable {
    case registerEntity = "register_entity"
    case registerFacility = "register_facility"
    case registerVerifier = "register_verifier"
    case declareConsultant = "declare_consultant"
    case submitControlPlan = "submit_control_plan"
    case approveControlPlan = "approve_control_plan"
    case returnControlPlan = "return_control_plan"
    case submitMonth = "submit_month"
    case correctMonth = "correct_month"
    case replaceEvidence = "replace_evidence"
    case addEvidence = "add_evidence"
    case submitReport = "submit_report"
    case resubmitReport = "resubmit_report"
    case assignVerifier = "assign_verifier"
    case recordFinding = "record_finding"
    case resolveFinding = "resolve_finding"
    case concludeVerification = "conclude_verification"
    case approveReview = "approve_review"
    case returnReview = "return_review"
}

extension MRVCommand {
    public var commandKind: MRVCommandKind {
        switch self {
        case .registerEntity: .registerEntity
        case .registerFacility: .registerFacility
        case .registerVerifier: .registerVerifier
        case .declareConsultant: .declareConsultant
        case .submitControlPlan: .submitControlPlan
        case .approveControlPlan: .approveControlPlan
        case .returnControlPlan: .returnControlPlan
        case .submitMonth: .submitMonth
        case .correctMonth: .correctMonth
        case .replaceEvidence: .replaceEvidence
        case .addEvidence: .addEvidence
        case .submitReport: .submitReport
        case .resubmitReport: .resubmitReport
        case .assignVerifier: .assignVerifier
        case .recordFinding: .recordFinding
        case .resolveFinding: .resolveFinding
        case .concludeVerification: .concludeVerification
        case .approveReview: .approveReview
        case .returnReview: .returnReview
        }
    }
}

/// The roles of the MRV platform.
public enum MRVRole: String, Codable, Sendable, CaseIterable {
    /// The platform operator (scripts, migrations, tests): may send every command. The CLI's
    /// default actor, so existing scripts keep working.
    case system
    /// The Ministry of Ecology and Environment (national level).
    case national
    /// A provincial ecology and environment department.
    case province
    /// A city-level department.
    case city
    /// A verification body.
    case verifier
    /// The representative of a key-emitting entity.
    case entity
}

/// Who sends a command: a role and its scope (the province, city, verifier or entity it acts for).
public enum MRVActor: Hashable, Codable, Sendable, CustomStringConvertible {
    case system
    case national
    case province(String)
    case city(String)
    case verifier(VerifierID)
    case entity(MRVEntityID)

    public var role: MRVRole {
        switch self {
        case .system: .system
        case .national: .national
        case .province: .province
        case .city: .city
        case .verifier: .verifier
        case .entity: .entity
        }
    }

    /// `ROLE` (system, national) or `ROLE:SCOPE` (province:四川, city:成都, verifier:V1,
    /// entity:<unified social credit code>), as the CLI's `--as` takes it.
    public var description: String {
        switch self {
        case .system: "system"
        case .national: "national"
        case .province(let p): "province:\(p)"
        case .city(let c): "city:\(c)"
        case .verifier(let v): "verifier:\(v.rawValue)"
        case .entity(let e): "entity:\(e.rawValue)"
        }
    }

    /// Parses `description`'s form; nil when the role is unknown or the scope missing or extra.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let scope = parts.count == 2 ? parts[1] : nil
        switch (parts[0], scope) {
        case ("system", nil): self = .system
        case ("national", nil): self = .national
        case ("province", let s?) where !s.isEmpty: self = .province(s)
        case ("city", let s?) where !s.isEmpty: self = .city(s)
        case ("verifier", let s?) where !s.isEmpty: self = .verifier(VerifierID(s))
        case ("entity", let s?) where !s.isEmpty: self = .entity(MRVEntityID(s))
        default: return nil
        }
    }
}

/// How a role's scope must relate to the command's target.
public enum MRVScopeRule: String, Codable, Sendable {
    /// No scope (system, national).
    case any
    /// The entity itself: the command's entity (or its facility's entity) is the actor's.
    case ownEntity = "own_entity"
    /// The command's entity (or its facility's entity, or the entity being registered) is in
    /// the actor's province.
    case entityInProvince = "entity_in_province"
    /// The verifier named by the command is the actor, and it is the one assigned to the report.
    case assignedVerifier = "assigned_verifier"
    /// A review at the actor's own level (city, province, national), of an entity in its city
    /// or province.
    case ownReviewStage = "own_review_stage"
}

public enum MRVPermissions {
    /// Command kind → the roles that may send it and their scope rule. Data: one entry per
    /// kind (a kind without one is refused to every actor, and `MRVPermissionTests` fails).
    public static let table: [MRVCommandKind: [MRVRole: MRVScopeRule]] = [
        .registerEntity: [.system: .any, .national: .any, .province: .entityInProvince],
        .registerFacility: [.system: .any, .national: .any, .province: .entityInProvince],
        .registerVerifier: [.system: .any, .national: .any],
        .declareConsultant: [.system: .any, .entity: .ownEntity],
        .submitControlPlan: [.system: .any, .entity: .ownEntity],
        .approveControlPlan: [.system: .any, .province: .entityInProvince],
        .returnControlPlan: [.system: .any, .province: .entityInProvince],
        .submitMonth: [.system: .any, .entity: .ownEntity],
        .correctMonth: [.system: .any, .entity: .ownEntity],
        .replaceEvidence: [.system: .any, .entity: .ownEntity],
        .addEvidence: [.system: .any, .entity: .ownEntity],
        .submitReport: [.system: .any, .entity: .ownEntity],
        .resubmitReport: [.system: .any, .entity: .ownEntity],
        .assignVerifier: [.system: .any, .province: .entityInProvince],
        .recordFinding: [.system: .any, .verifier: .assignedVerifier],
        .resolveFinding: [.system: .any, .entity: .ownEntity],
        .concludeVerification: [.system: .any, .verifier: .assignedVerifier],
        .approveReview: [.system: .any, .national: .ownReviewStage, .province: .ownReviewStage, .city: .ownReviewStage],
        .returnReview: [.system: .any, .national: .ownReviewStage, .province: .ownReviewStage, .city: .ownReviewStage],
    ]

    /// Who may import a CSV file of the grid company's generation (rule A07): not an MRV
    /// command, so not in `table`.
    public static let gridImportRoles: Set<MRVRole> = [.system, .national]
}

extension MRVState {
    /// Checks that `actor` may send `command`: its role is listed for the command's kind and
    /// its scope covers the command's target. A target that does not exist (unknown facility,
    /// entity, report) cannot be placed in a scope: only roles whose rule is `any` get past this
    /// check for it (and then `decide` names what is unknown).
    public func authorize(_ command: MRVCommand, by actor: MRVActor) throws(MRVError) {
        let kind = command.commandKind
        guard let rule = MRVPermissions.table[kind]?[actor.role] else {
            throw MRVError(.notPermitted, "\(actor) may not send \(kind.rawValue)")
        }
        func deny(_ why: String) -> MRVError { MRVError(.notPermitted, "\(actor) may not send \(kind.rawValue): \(why)") }
        switch rule {
        case .any:
            return
        case .ownEntity:
            guard case .entity(let own) = actor else { throw deny("not an entity") }
            guard let target = entity(of: command) else { throw deny("unknown target") }
            guard target == own else { throw deny("\(target) is another entity") }
        case .entityInProvince:
            guard case .province(let province) = actor else { throw deny("not a province") }
            let targetProvince: String?
            if case .registerEntity(_, _, let p, _, _, _) = command {
                targetProvince = p
            } else {
                targetProvince = entity(of: command).flatMap { entities[$0]?.province }
            }
            guard let targetProvince else { throw deny("unknown target") }
            guard targetProvince == province else { throw deny("the entity is in \(targetProvince)") }
        case .assignedVerifier:
            guard case .verifier(let own) = actor else { throw deny("not a verifier") }
            let named: VerifierID
            let key: ReportKey
            switch command {
            case .recordFinding(let e, let y, let v, _, _, _, _, _): (named, key) = (v, ReportKey(entity: e, year: y))
            case .concludeVerification(let e, let y, let v, _): (named, key) = (v, ReportKey(entity: e, year: y))
            default: throw deny("not a verification command")
            }
            guard named == own else { throw deny("the command names verifier \(named)") }
            guard let report = reports[key] else { throw deny("unknown report") }
            guard report.verifier == own else { throw deny("the report of \(key.entity) \(key.year) is not assigned to it") }
        case .ownReviewStage:
            let level: ReviewLevel
            switch command {
            case .approveReview(_, _, let l), .returnReview(_, _, let l, _): level = l
            default: throw deny("not a review")
            }
            guard let target = entity(of: command).flatMap({ entities[$0] }) else { throw deny("unknown target") }
            switch (actor, level) {
            case (.national, .national): return
            case (.province(let p), .province):
                guard target.province == p else { throw deny("the entity is in \(target.province)") }
            case (.city(let c), .city):
                guard target.city == c else { throw deny("the entity is in \(target.city)") }
            default: throw deny("the review at \(level.rawValue) level is not its stage")
            }
        }
    }

    /// The entity a command concerns (directly, or through its facility), if it exists.
    func entity(of command: MRVCommand) -> MRVEntityID? {
        func known(_ e: MRVEntityID) -> MRVEntityID? { entities[e] != nil ? e : nil }
        func owner(_ f: FacilityID) -> MRVEntityID? { facilities[f]?.entity }
        switch command {
        case .registerEntity(let uscc, _, _, _, _, _): return MRVEntityID(uscc)
        case .registerFacility(let f): return known(f.entity)
        case .registerVerifier: return nil
        case .declareConsultant(let e, _, _): return known(e)
        case .submitControlPlan(let f, _), .approveControlPlan(let f, _), .returnControlPlan(let f, _, _): return owner(f)
        case .submitMonth(let data), .correctMonth(let data, _): return owner(data.facility)
        case .replaceEvidence(let month, _, _), .addEvidence(let month, _, _): return owner(month.facility)
        case .submitReport(let e, _), .resubmitReport(let e, _, _), .assignVerifier(let e, _, _), .recordFinding(let e, _, _, _, _, _, _, _),
            .resolveFinding(let e, _, _, _), .concludeVerification(let e, _, _, _), .approveReview(let e, _, _), .returnReview(let e, _, _, _):
            return known(e)
        }
    }

    /// `authorize`, then `decide`: the entry point for a command sent by an actor.
    public func decide(_ command: MRVCommand, by actor: MRVActor, at now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> [MRVEvent] {
        try authorize(command, by: actor)
        return try decide(command, at: now, policy: policy)
    }
}
