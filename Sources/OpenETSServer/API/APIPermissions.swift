import OpenETSDomain

/// Which action of the permission matrix (`PermissionMatrix`, docs/security.md) each operation
/// of openapi.yaml needs, as data: the handlers check exactly this action, and the permission
/// walk (APIPermissionWalkTests) sends every operation with a token of every role and expects
/// 403 exactly where the matrix denies the role this action. An operation missing here fails
/// that test.
public enum APIPermissions {
    public static let actions: [String: Action] = [
        // market data and registry reads: public
        "listInstruments": .viewPublic,
        "getOrderBook": .viewPublic,
        "listTrades": .viewPublic,
        "listDailyPrices": .viewPublic,
        "listAccounts": .viewPublic,
        "getAccountHoldings": .viewPublic,
        "listAuctions": .viewPublic,
        "listCCERMethodologies": .viewPublic,
        "listCCERProjects": .viewPublic,
        "getCCERProject": .viewPublic,
        "listCCERIssuances": .viewPublic,
        "listCCERCancellations": .viewPublic,
        "checkCCERCertificate": .viewPublic,
        // CCER workflow: the project owner for its own account and projects, the validation
        // body as its own body, the registry's review, a participant's neutrality cancellation
        "submitCCERProject": .ccerApply,
        "applyCCERRegistration": .ccerApply,
        "submitCCERReductionReport": .ccerApply,
        "applyCCERReductionRegistration": .ccerApply,
        "recordCCERValidation": .ccerValidate,
        "recordCCERVerification": .ccerValidate,
        "decideCCERRegistration": .ccerReview,
        "decideCCERReductionRegistration": .ccerReview,
        "issueCCERCredits": .ccerReview,
        "cancelCCERForNeutrality": .neutralityCancel,
        // CCER regulator and notice comments: the MEE publishes methodologies and accredits
        // bodies (or withdraws their accreditation); anyone logged in comments on a notice while
        // it runs; the lists of bodies and comments are public
        "publishCCERMethodology": .ccerRegulate,
        "accreditCCERBody": .ccerRegulate,
        "withdrawCCERAccreditation": .ccerRegulate,
        "listCCERBodies": .viewPublic,
        "commentOnCCERNotice": .ccerComment,
        "listCCERNoticeComments": .viewPublic,
        // the CCER rules (periods, limits, calendar, covered facilities): public to read, as the
        // CCER registry; the regulator checks and publishes them (ccer_regulate)
        "getCCERPolicy": .viewPublic,
        "listCCERPolicyVersions": .viewPublic,
        "checkCCERPolicy": .ccerRegulate,
        "publishCCERPolicy": .ccerRegulate,
        "listComplianceByProvince": .viewPublic,
        // an account's own records (a participant, for its own account)
        "listAccountJournal": .viewOwnAccount,
        "listAccountTransfers": .viewOwnAccount,
        "listBlockQuotes": .viewOwnAccount,
        // commands for the token's own account
        "placeOrder": .tradePlace,
        "takeOrder": .tradeTake,
        "cancelOrder": .tradeCancel,
        "quoteBlock": .blockQuote,
        "counterBlock": .blockQuote,
        "acceptBlock": .blockQuote,
        "placeBid": .auctionBid,
        "initiateTransfer": .transferInitiate,
        "approveTransfer": .approveTransfer,
        "rejectTransfer": .approveTransfer,
        "surrender": .surrender,
        "submitMonthlyData": .mrvSubmit,
        // regulators' and entities' reads, scoped
        "listMRVMonths": .mrvView,
        "listMRVReports": .mrvView,
        // MRV workflow: the web portals' actions (entity mrv_report, verifier mrv_verify,
        // province mrv_review); reviewMRVReport checks the action of its level (city
        // mrv_review_city, province mrv_review, national mrv_review_national): the walk's
        // sample asks for the province level
        "getMRVReport": .mrvView,
        "submitMRVReport": .mrvReport,
        "resubmitMRVReport": .mrvReport,
        "correctMRVMonth": .mrvReport,
        "resolveMRVFinding": .mrvReport,
        "assignMRVVerifier": .mrvReview,
        "recordMRVFinding": .mrvVerify,
        "concludeMRVVerification": .mrvVerify,
        "listVerifierAssignments": .mrvVerify,
        "reviewMRVReport": .mrvReview,
        // MRV registration, control plans, evidence and consultant declarations: province staff
        // and the MEE register entities and facilities (mrv_register), the MEE alone verification
        // bodies (mrv_accredit_verifier: a province is 403, as the MRV platform would refuse it), the entity submits control plans and deposits evidence (mrv_submit) and
        // declares consultants (mrv_report), the province decides control plans (mrv_review);
        // reads as the other MRV reads (mrv_view, scoped)
        "registerMRVEntity": .mrvRegister,
        "registerMRVFacility": .mrvRegister,
        "registerMRVVerifier": .mrvAccreditVerifier,
        "listMRVEntities": .mrvView,
        "listMRVFacilities": .mrvView,
        "listMRVVerifiers": .mrvView,
        "submitControlPlan": .mrvSubmit,
        "decideControlPlan": .mrvReview,
        "getControlPlan": .mrvView,
        "listControlPlans": .mrvView,
        "depositMRVEvidence": .mrvSubmit,
        "submitMonthlyDataWithEvidence": .mrvSubmit,
        "listMRVEvidence": .mrvView,
        "declareConsultant": .mrvReport,
        "listConsultantDeclarations": .mrvView,
        // an evidence file's bytes: the evidence list's read scope; the MRV policy tables:
        // public to read (as allocation plans), the MEE checks and publishes (mrv_policy)
        "getMRVEvidenceFile": .mrvView,
        "getMRVPolicy": .viewPublic,
        "listMRVPolicyVersions": .viewPublic,
        "checkMRVPolicy": .mrvPolicy,
        "publishMRVPolicy": .mrvPolicy,
        "getEntityCompliance": .viewCompliance,
        // allocation plans, the compliance cycle and pledges: plans are public to read, the MEE
        // loads and publishes; an account reads its own pledges (the pledgee those in its
        // favour); the registry operator registers, releases and enforces them
        "listAllocationPlans": .viewPublic,
        "getAllocationPlan": .viewPublic,
        "loadAllocationPlan": .planManage,
        "publishAllocationPlan": .planManage,
        "getComplianceCycle": .viewProvince,
        "listPenaltyNotices": .viewProvince,
        "markPenaltyPaid": .penaltyRecord,
        // the compliance cycle's runs: the MEE runs a plan's stages, the province issues its
        // notices; the supply and the totals before the surrender are the regulators' (the
        // province's staff their province's), the statistics public (as /statistics)
        "runCycleStage": .cycleRun,
        "issuePenaltyNotices": .penaltyRecord,
        "getCycleSupply": .viewProvince,
        "computeCycleTotals": .viewProvince,
        "getCycleStatistics": .viewPublic,
        "listPledges": .viewOwnAccount,
        "registerPledge": .registryOperate,
        "releasePledge": .registryOperate,
        "enforcePledge": .registryOperate,
        // account opening: anyone applies and reads the status with the secret reference;
        // the registry operator lists and decides
        "applyForAccount": .viewPublic,
        "getAccountApplication": .viewPublic,
        "listAccountApplications": .accountReview,
        "decideAccountApplication": .accountReview,
        // account application resubmission (issue 7): public, the secret reference identifies the applicant
        "resubmitAccountApplication": .viewPublic,
    ]
}
