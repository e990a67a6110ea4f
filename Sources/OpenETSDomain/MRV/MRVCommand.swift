/// Everything the MRV platform can be asked to do. A command is accepted whole (its events) or
/// rejected with an `MRVError` and no change. Who may send it (entity, province, city,
/// national, verifier) is `MRVPermissions.table`, checked by `decide(_:by:at:policy:)`.
public enum MRVCommand: Hashable, Codable, Sendable {
    // Registration (province)
    /// `uscc` is validated (GB 32100-2015 check character) and becomes the entity's id.
    case registerEntity(uscc: String, name: String, province: String, city: String, sector: MRVSector, group: String?)
    case registerFacility(Facility)
    case registerVerifier(Verifier)
    /// The entity declares a verifier it hired as consultant for a data year (conflict rule).
    case declareConsultant(entity: MRVEntityID, verifier: VerifierID, year: Int)
    // Data-quality control plans
    /// Entity: a new version of a facility's plan.
    case submitControlPlan(facility: FacilityID, items: [DataItemPlan])
    /// Province.
    case approveControlPlan(facility: FacilityID, version: Int)
    /// Province: back to the entity, with reasons.
    case returnControlPlan(facility: FacilityID, version: Int, reasons: [String])
    // Monthly data (entity)
    /// The month's deposit; a month is submitted once.
    case submitMonth(MonthlyData)
    /// Replaces a submitted month's data; the previous version is kept.
    case correctMonth(MonthlyData, reason: String)
    /// Replaces a submitted month's evidence files; the previous list is kept.
    case replaceEvidence(month: FacilityMonth, evidence: [EvidenceFile], reason: String)
    /// Adds files to a submitted month's current evidence list, decided against the list as it
    /// is when the command is decided (a listed file of the same name is replaced in place);
    /// journaled as `evidenceReplaced` with the merged list, the previous list kept. Unlike
    /// `replaceEvidence` it names only the files it adds, so two deposits for one month never
    /// overwrite each other and a retry is the same request after another deposit.
    case addEvidence(month: FacilityMonth, evidence: [EvidenceFile], reason: String)
    // Annual report (entity)
    /// Assembles the year from every facility's twelve months (with corrections).
    case submitReport(entity: MRVEntityID, year: Int)
    /// Re-assembles a submitted report after corrections, before the verifier concludes.
    case resubmitReport(entity: MRVEntityID, year: Int, reason: String)
    // Verification
    /// Province.
    case assignVerifier(entity: MRVEntityID, year: Int, verifier: VerifierID)
    /// Verifier: a non-conformity.
    case recordFinding(
        entity: MRVEntityID, year: Int, verifier: VerifierID, facility: FacilityID, month: Int?, item: String, description: String,
        requiredCorrection: String)
    /// Entity: the finding is corrected (the correction itself is a `correctMonth`).
    case resolveFinding(entity: MRVEntityID, year: Int, finding: Int, response: String)
    /// Verifier: verified emissions and output per facility.
    case concludeVerification(entity: MRVEntityID, year: Int, verifier: VerifierID, facilities: [VerifiedFacility])
    // Review (city → province → national)
    case approveReview(entity: MRVEntityID, year: Int, level: ReviewLevel)
    /// Back to the verification stage, with reasons.
    case returnReview(entity: MRVEntityID, year: Int, level: ReviewLevel, reasons: [String])

    /// Stable name for journals and metrics (`MRVCommandKind`).
    public var kind: String { commandKind.rawValue }
}

/// What happened on the MRV platform. `MRVState.evolve` applies events without checks.
public enum MRVEvent: Hashable, Codable, Sendable {
    case entityRegistered(MRVEntity)
    case facilityRegistered(Facility)
    case verifierRegistered(Verifier)
    case consultantDeclared(entity: MRVEntityID, verifier: VerifierID, year: Int)
    case controlPlanSubmitted(ControlPlan)
    /// `superseded`: the previously approved version, if any.
    case controlPlanApproved(facility: FacilityID, version: Int, superseded: Int?, at: Timestamp)
    case controlPlanReturned(facility: FacilityID, version: Int, reasons: [String], at: Timestamp)
    case monthSubmitted(MonthlyData, at: Timestamp, late: Bool)
    case monthCorrected(MonthlyData, reason: String, at: Timestamp)
    case evidenceReplaced(month: FacilityMonth, evidence: [EvidenceFile], reason: String, at: Timestamp)
    /// A first submission, or a resubmission (`report.version` > 1) that replaces the summaries.
    case reportSubmitted(AnnualReport)
    case verifierAssigned(report: ReportKey, verifier: VerifierID, at: Timestamp)
    case findingRecorded(report: ReportKey, finding: Finding)
    case findingResolved(report: ReportKey, finding: Int, response: String, at: Timestamp)
    case verificationConcluded(report: ReportKey, facilities: [VerifiedFacility], at: Timestamp, late: Bool)
    case reportReviewed(report: ReportKey, review: ReviewRecord)
    /// The grid company's monthly generation (a CSV file, `MRVCSV.importGrid`): each row
    /// replaces an earlier figure for the same facility-month; the journal keeps the history.
    case gridGenerationImported(rows: [GridGenerationRow], at: Timestamp)
    /// Follows `monthSubmitted` / `monthCorrected` (whose data already carries the defaults)
    /// when parameters were not measured compliantly: the values the entity gave, and why.
    case parametersDefaulted(month: FacilityMonth, substitutions: [DefaultSubstitution])
}
