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
        "getEntityCompliance": .viewCompliance,
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
