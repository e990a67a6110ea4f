public enum CCERProjectTag {}
public enum ValidationBodyTag {}
/// "P000001": assigned in submission order.
public typealias CCERProjectID = Identifier<CCERProjectTag>
public typealias ValidationBodyID = Identifier<ValidationBodyTag>

/// What a project owner submits: the project design document's key facts and its hash.
public struct ProjectApplication: Hashable, Codable, Sendable {
    public var name: String
    /// The owner's registry account (project_owner): issuance lands here.
    public var owner: AccountID
    public var methodology: String
    /// Two- or three-letter province code, as in registry accounts ("SC", "GD").
    public var province: String
    /// County, town or site, free text.
    public var location: String
    /// Project type as the design document states it ("offshore wind farm").
    public var type: String
    /// Start of construction (开工建设).
    public var constructionStart: CivilDate
    /// Crediting period, inclusive at both ends.
    public var creditingStart: CivilDate
    public var creditingEnd: CivilDate
    /// Expected yearly reductions from the design document (t CO2e per year).
    public var expectedAnnualReductionsT: Int64
    /// SHA-256 of the project design document, 64 lowercase hex digits.
    public var designDocumentSHA256: String
    /// The facility the project sits in (id or name), nil for a stand-alone site. Checked
    /// against the ETS-covered facilities.
    public var hostFacility: String?
    /// Other crediting schemes the project is registered under (CDM, VCS, GS, …): uniqueness
    /// requires none.
    public var otherRegistrations: [String]
    /// An owner without a registry account yet: the submission opens a project-owner account
    /// for it (or reuses the one already open for the same owner id) and `owner` becomes that
    /// account. Nil: `owner` must be an open account.
    public var newOwner: NewOwnerAccount?

    public init(
        name: String, owner: AccountID, methodology: String, province: String, location: String, type: String,
        constructionStart: CivilDate, creditingStart: CivilDate, creditingEnd: CivilDate, expectedAnnualReductionsT: Int64,
        designDocumentSHA256: String, hostFacility: String? = nil, otherRegistrations: [String] = [], newOwner: NewOwnerAccount? = nil
    ) {
        self.name = name
        self.owner = owner
        self.methodology = methodology
        self.province = province
        self.location = location
        self.type = type
        self.constructionStart = constructionStart
        self.creditingStart = creditingStart
        self.creditingEnd = creditingEnd
        self.expectedAnnualReductionsT = expectedAnnualReductionsT
        self.designDocumentSHA256 = designDocumentSHA256
        self.hostFacility = hostFacility
        self.otherRegistrations = otherRegistrations
        self.newOwner = newOwner
    }
}

/// The registry account a first-time project owner gets at submission.
public struct NewOwnerAccount: Hashable, Codable, Sendable {
    /// Unified social credit code (or other owner id) of the legal person.
    public var ownerID: String
    public var ownerName: String
    public var province: String
    public var representatives: [Representative]

    public init(ownerID: String, ownerName: String, province: String, representatives: [Representative] = []) {
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.province = province
        self.representatives = representatives
    }
}

/// Where a project is in the workflow. Every stage is public with its date (`history`).
public enum ProjectStage: String, Codable, Sendable, CaseIterable {
    /// Design document in public notice; then waiting for the validation report.
    case designNotice = "design_notice"
    /// A positive validation report is recorded; the owner may apply for registration.
    case validated
    /// The registry reviews the registration (deadline in `registration`).
    case registrationReview = "registration_review"
    case registered
    /// Negative validation or registration refused: final.
    case rejected
}

/// Where a monitoring period's reductions are.
public enum PeriodStage: String, Codable, Sendable, CaseIterable {
    /// Reduction report in public notice; then waiting for the verification report.
    case reductionNotice = "reduction_notice"
    case verified
    case registrationReview = "registration_review"
    /// Reductions registered; waiting for issuance.
    case registered
    case issued
    /// Negative verification or registration refused: final.
    case rejected
}

/// The stages the public sees [DOMAIN.md §8].
public enum PublicStatus: String, Codable, Sendable {
    case projectInNotice = "project_in_notice"
    case projectRegistered = "project_registered"
    case reductionsInNotice = "reductions_in_notice"
    case reductionsRegistered = "reductions_registered"
    case issued
}

/// A public notice, open from `opensOn` through `endsOn` inclusive (the `n`-th working day
/// after the day it opened).
public struct PublicNotice: Hashable, Codable, Sendable {
    public var opensOn: CivilDate
    public var endsOn: CivilDate
    public var comments: [NoticeComment]

    public init(opensOn: CivilDate, endsOn: CivilDate, comments: [NoticeComment] = []) {
        self.opensOn = opensOn
        self.endsOn = endsOn
        self.comments = comments
    }

    public func isOpen(on date: CivilDate) -> Bool { date >= opensOn && date <= endsOn }
}

public struct NoticeComment: Hashable, Codable, Sendable {
    /// 1, 2, … within its notice.
    public var number: Int
    public var author: String
    public var text: String
    public var on: CivilDate
    /// The login of the user who commented (web and API), counted against
    /// `CCERLimits.maxCommentsPerUserPerNotice`; nil for a comment entered by an operator
    /// (`openets ccer comment`, the demo), counted by its author's name. Not shown publicly.
    public var user: String?

    public init(number: Int, author: String, text: String, on: CivilDate, user: String? = nil) {
        self.number = number
        self.author = author
        self.text = text
        self.on = on
        self.user = user
    }

    /// Whether this comment counts against the same signer's cap: the same login, or, for
    /// comments without one, the same author name.
    public func signed(by user: String?, author: String) -> Bool {
        if let user { return self.user == user }
        return self.user == nil && self.author == author
    }
}

/// A validation (审定) or verification (核查) report of an accredited body.
public struct AssessmentReport: Hashable, Codable, Sendable {
    public var body: ValidationBodyID
    public var reportSHA256: String
    public var findings: [String]
    public var positive: Bool
    /// Verification only: the verified reductions (t); 0 for a negative verification.
    public var verifiedT: Int64?
    public var on: CivilDate

    public init(body: ValidationBodyID, reportSHA256: String, findings: [String], positive: Bool, verifiedT: Int64?, on: CivilDate) {
        self.body = body
        self.reportSHA256 = reportSHA256
        self.findings = findings
        self.positive = positive
        self.verifiedT = verifiedT
        self.on = on
    }
}

/// A registry review with its deadline: overdue when decided (or still open) after it.
public struct Review: Hashable, Codable, Sendable {
    public var appliedOn: CivilDate
    public var deadline: CivilDate
    public var decidedOn: CivilDate?
    public var approved: Bool?
    public var reason: String?
    /// Working days the decision came after the deadline (0 when on time).
    public var overdueWorkingDays: Int

    public init(appliedOn: CivilDate, deadline: CivilDate) {
        self.appliedOn = appliedOn
        self.deadline = deadline
        self.overdueWorkingDays = 0
    }
}

/// One monitoring period of a registered project, from its reduction report to issuance.
public struct ReductionPeriod: Hashable, Codable, Sendable {
    /// 1, 2, … within the project.
    public var number: Int
    public var start: CivilDate
    public var end: CivilDate
    public var reportedT: Int64
    public var reportSHA256: String
    public var stage: PeriodStage
    public var notice: PublicNotice
    public var verification: AssessmentReport?
    public var registration: Review?
    public var issuance: IssuanceOrder?
    public var history: [StageEntry]

    public init(
        number: Int, start: CivilDate, end: CivilDate, reportedT: Int64, reportSHA256: String, notice: PublicNotice,
        history: [StageEntry]
    ) {
        self.number = number
        self.start = start
        self.end = end
        self.reportedT = reportedT
        self.reportSHA256 = reportSHA256
        self.stage = .reductionNotice
        self.notice = notice
        self.history = history
    }

    /// Still between report and issuance (not issued, not rejected).
    public var inProgress: Bool { stage != .issued && stage != .rejected }
}

/// A stage and the day it was reached.
public struct StageEntry: Hashable, Codable, Sendable {
    public var stage: String
    public var on: CivilDate

    public init(stage: String, on: CivilDate) {
        self.stage = stage
        self.on = on
    }
}

/// A likely duplicate found at submission: recorded on the project, not a rejection.
public struct DuplicateWarning: Hashable, Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Same owner, similar location and similar (not equal) name.
        case similarProject = "similar_project"
        /// Same name at a similar location under another owner.
        case sameProjectOtherOwner = "same_project_other_owner"
        /// Same owner, name and location as a rejected project.
        case resubmission
    }

    public var kind: Kind
    public var other: CCERProjectID
    public var message: String

    public init(kind: Kind, other: CCERProjectID, message: String) {
        self.kind = kind
        self.other = other
        self.message = message
    }
}

/// What the registry must issue for a monitoring period: the service layer submits
/// `registryCommands` (define the serialised unit type, then issue into the owner's account).
/// The CCER core never calls the registry itself.
public struct IssuanceOrder: Hashable, Codable, Sendable {
    public var project: CCERProjectID
    public var period: Int
    /// `CCER-{project}-M{period}`, e.g. CCER-P000001-M01.
    public var unitType: UnitTypeCode
    public var label: String
    public var issuer: String
    public var vintageFrom: Int
    public var vintageTo: Int
    public var quantity: Int64
    public var owner: AccountID
    public var orderedOn: CivilDate

    public init(
        project: CCERProjectID, period: Int, unitType: UnitTypeCode, label: String, issuer: String, vintageFrom: Int,
        vintageTo: Int, quantity: Int64, owner: AccountID, orderedOn: CivilDate
    ) {
        self.project = project
        self.period = period
        self.unitType = unitType
        self.label = label
        self.issuer = issuer
        self.vintageFrom = vintageFrom
        self.vintageTo = vintageTo
        self.quantity = quantity
        self.owner = owner
        self.orderedOn = orderedOn
    }

    public static func unitTypeCode(project: CCERProjectID, period: Int) -> UnitTypeCode {
        UnitTypeCode("CCER-\(project.rawValue)-M\(zeroPadded(Int64(period), width: 2))")
    }

    /// The registry commands, in order: a serialised CCER unit type for this project and
    /// period, then the issuance of `quantity` into the owner's account.
    public var registryCommands: [RegistryCommand] {
        [
            .defineUnitType(
                code: unitType, kind: .ccer, label: label, vintageFrom: vintageFrom, vintageTo: vintageTo,
                projectID: project.rawValue, issuer: issuer, serialized: true),
            .issue(unit: unitType, quantity: quantity, to: owner),
        ]
    }
}

/// A project and everything that happened to it: the public record.
public struct CCERProject: Hashable, Codable, Sendable {
    public var id: CCERProjectID
    public var application: ProjectApplication
    /// Normalised name and location (see `ProjectIdentity`), for the uniqueness check.
    public var nameKey: String
    public var locationKey: String
    public var stage: ProjectStage
    public var submittedOn: CivilDate
    public var designNotice: PublicNotice
    public var validation: AssessmentReport?
    public var registration: Review?
    public var periods: [ReductionPeriod]
    public var warnings: [DuplicateWarning]
    public var history: [StageEntry]

    public init(
        id: CCERProjectID, application: ProjectApplication, nameKey: String, locationKey: String, submittedOn: CivilDate,
        designNotice: PublicNotice, warnings: [DuplicateWarning]
    ) {
        self.id = id
        self.application = application
        self.nameKey = nameKey
        self.locationKey = locationKey
        self.stage = .designNotice
        self.submittedOn = submittedOn
        self.designNotice = designNotice
        self.periods = []
        self.warnings = warnings
        self.history = [StageEntry(stage: ProjectStage.designNotice.rawValue, on: submittedOn)]
    }

    /// The public list the project appears in [DOMAIN.md §8]: a project is "in notice" from its
    /// notice until registration; a registered one shows its latest live monitoring period
    /// ("in notice" from the report until the reductions are registered). Nil when rejected.
    public var publicStatus: PublicStatus? {
        switch stage {
        case .designNotice, .validated, .registrationReview: return .projectInNotice
        case .rejected: return nil
        case .registered:
            guard let last = periods.last(where: { $0.stage != .rejected }) else { return .projectRegistered }
            switch last.stage {
            case .reductionNotice, .verified, .registrationReview: return .reductionsInNotice
            case .registered: return .reductionsRegistered
            case .issued: return .issued
            case .rejected: return .projectRegistered
            }
        }
    }
}

/// A validation and verification body (审定与核查机构). Only accredited bodies may report.
public struct ValidationBody: Hashable, Codable, Sendable {
    public var id: ValidationBodyID
    public var name: String
    public var accredited: Bool
    public var accreditedOn: CivilDate
    public var withdrawnOn: CivilDate?

    public init(id: ValidationBodyID, name: String, accredited: Bool, accreditedOn: CivilDate, withdrawnOn: CivilDate? = nil) {
        self.id = id
        self.name = name
        self.accredited = accredited
        self.accreditedOn = accreditedOn
        self.withdrawnOn = withdrawnOn
    }
}
