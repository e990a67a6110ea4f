/// Everything the CCER workflow can be asked to do. A command yields events, or a `CCERError`
/// and no change. Dates come from the command's timestamp (Beijing date).
public enum CCERCommand: Hashable, Codable, Sendable {
    // Regulator
    case addMethodology(Methodology)
    case accreditBody(id: ValidationBodyID, name: String)
    case withdrawAccreditation(id: ValidationBodyID)
    // Project
    /// Submits a project and opens its design-document notice. `coveredFacilities` adds to the
    /// policy's list of ETS-covered facilities.
    case submitProject(ProjectApplication, coveredFacilities: [String])
    /// A public comment on the design notice (`period` nil) or a reduction notice. `user` is the
    /// commenter's login (web and API; nil from the operator's CLI), for the per-user cap.
    case comment(project: CCERProjectID, period: Int?, author: String, text: String, user: String? = nil)
    case recordValidation(project: CCERProjectID, body: ValidationBodyID, reportSHA256: String, findings: [String], positive: Bool)
    case applyForRegistration(project: CCERProjectID, owner: AccountID)
    case decideRegistration(project: CCERProjectID, approve: Bool, reason: String)
    // Reductions
    case submitReductionReport(
        project: CCERProjectID, owner: AccountID, start: CivilDate, end: CivilDate, reportedT: Int64, reportSHA256: String)
    /// `verifiedT` 0 records a negative verification.
    case recordVerification(
        project: CCERProjectID, period: Int, body: ValidationBodyID, reportSHA256: String, findings: [String], verifiedT: Int64)
    case applyForReductionRegistration(project: CCERProjectID, period: Int, owner: AccountID)
    case decideReductionRegistration(project: CCERProjectID, period: Int, approve: Bool, reason: String)
    /// Orders the issuance of a registered period's verified reductions.
    case issue(project: CCERProjectID, period: Int)
    // Uses
    /// Voluntary cancellation of credits for the carbon neutrality of an event, product or
    /// organisation: needs the registry (`decide(_:at:policy:registry:registryPolicy:entrySeq:)`).
    case cancelForNeutrality(NeutralityClaim)

    /// Stable name for journals and metrics.
    public var kind: String {
        switch self {
        case .addMethodology: "add_methodology"
        case .accreditBody: "accredit_body"
        case .withdrawAccreditation: "withdraw_accreditation"
        case .submitProject: "submit_project"
        case .comment: "comment"
        case .recordValidation: "record_validation"
        case .applyForRegistration: "apply_for_registration"
        case .decideRegistration: "decide_registration"
        case .submitReductionReport: "submit_reduction_report"
        case .recordVerification: "record_verification"
        case .applyForReductionRegistration: "apply_for_reduction_registration"
        case .decideReductionRegistration: "decide_reduction_registration"
        case .issue: "issue"
        case .cancelForNeutrality: "cancel_for_neutrality"
        }
    }
}

/// What happened. `CCERState.evolve` applies events without checks.
public enum CCEREvent: Hashable, Codable, Sendable {
    case methodologyAdded(Methodology)
    case bodyAccredited(ValidationBody)
    case accreditationWithdrawn(id: ValidationBodyID, on: CivilDate)
    /// The new project, its design notice and any duplicate warnings.
    case projectSubmitted(CCERProject)
    case commentRecorded(project: CCERProjectID, period: Int?, comment: NoticeComment)
    case validationRecorded(project: CCERProjectID, report: AssessmentReport)
    case registrationApplied(project: CCERProjectID, review: Review)
    case registrationDecided(project: CCERProjectID, review: Review)
    case reductionReportSubmitted(project: CCERProjectID, period: ReductionPeriod)
    case verificationRecorded(project: CCERProjectID, period: Int, report: AssessmentReport)
    case reductionRegistrationApplied(project: CCERProjectID, period: Int, review: Review)
    case reductionRegistrationDecided(project: CCERProjectID, period: Int, review: Review)
    /// The registry must now run `order.registryCommands`.
    case issuanceOrdered(IssuanceOrder)
    /// Credits cancelled for carbon neutrality; the registry's certificate completed with the claim.
    case neutralityCertified(NeutralityCertificate)
}
