import OpenETSDomain

/// How a web route (outside `/api/v1`, whose operations are in `APIPermissions.actions`) is
/// guarded. The handlers check it themselves; this table is the reviewable statement of
/// what each route needs, and `WebPermissionWalkTests` walks every route the router has ×
/// every role (and no session) against it, so a route missing here, or a handler that checks
/// something else, fails the test.
public enum WebGuard: Hashable, Sendable {
    /// Anyone, with or without a session: public pages, the login, health and metrics.
    case open
    /// Any logged-in user (logging out).
    case session
    /// A logged-in user whose role the permission matrix allows the action. State-changing
    /// forms also need the CSRF token, and participant actions the principal's own account.
    case action(Action)
}

public enum WebPermissions {
    /// "METHOD path" (paths as the router spells them, parameters in braces) → guard.
    public static let routes: [String: WebGuard] = {
        var routes: [String: WebGuard] = [:]
        for path in [
            "/", "/health", "/ready", "/metrics", "/static/site.css", "/static/market.js", "/login", "/openapi.yaml",
            "/accounts", "/accounts.csv", "/supply.csv", "/accounts/{id}", "/accounts/{id}/pledges.csv",
            "/certificates", "/certificates/{number}",
            "/market", "/market/stream", "/market/{code}", "/market/{code}/history.csv",
            "/statistics", "/statistics/{year}",
            "/allocation/plans", "/allocation/plans/{id}",
            "/ccer", "/ccer/projects/{id}", "/ccer/issuances", "/ccer/cancellations", "/ccer/certificates",
            "/ccer/certificates/{code}", "/ccer/methodologies.csv", "/ccer/projects.csv", "/ccer/issuances.csv",
            "/ccer/cancellations.csv",
            "/neutrality/calculator",
        ] {
            routes["GET " + path] = .open
        }
        // Every page also answers each of its tables as CSV (`?format=csv&table=N`, the links
        // beside the tables): the page's own route and guard, so no entry of its own here
        // (TableCSVMiddleware).
        for table in ["compliance", "allocation", "turnover"] { routes["GET /statistics/{year}/\(table).csv"] = .open }
        // Account opening (AccountOpeningRoutes): applying, the applicant's status page and the
        // correction of a returned application (with its secret reference) are public.
        for route in ["GET /accounts/apply", "POST /accounts/apply", "GET /accounts/apply/status", "POST /accounts/apply/status", "POST /accounts/apply/resubmit"] {
            routes[route] = .open
        }
        routes["POST /login"] = .open
        routes["POST /logout"] = .session
        let guarded: [(String, Action)] = [
            // Trading screen and forms (TradingRoutes); staff without one are sent to their portal.
            ("GET /trade", .viewOwnAccount),
            ("POST /trade/place", .tradePlace), ("POST /trade/take", .tradeTake), ("POST /trade/cancel", .tradeCancel),
            ("POST /trade/surrender", .surrender),
            // Block agreement and one-way auction screens (TradeBlockAuctionRoutes).
            ("GET /trade/block", .blockQuote), ("POST /trade/block/quote", .blockQuote), ("POST /trade/block/counter", .blockQuote),
            ("POST /trade/block/accept", .blockQuote), ("POST /trade/block/cancel", .blockQuote),
            ("GET /trade/auctions", .auctionBid), ("POST /trade/auction/bid", .auctionBid),
            ("GET /surveillance", .viewSurveillance),
            ("POST /operator/open-day", .exchangeOperate), ("POST /operator/close-day", .exchangeOperate),
            // Carbon neutrality (NeutralityRoutes).
            ("GET /neutrality", .viewOwnAccount), ("POST /neutrality/buy", .tradeTake), ("POST /neutrality/cancel", .neutralityCancel),
            // MRV portals (PortalRoutes).
            ("GET /portal/entity", .mrvReport), ("POST /portal/entity/month", .mrvReport), ("POST /portal/entity/csv", .mrvReport),
            ("POST /portal/entity/report", .mrvReport), ("POST /portal/entity/surrender", .surrender),
            ("GET /portal/verifier", .mrvVerify), ("POST /portal/verifier/finding", .mrvVerify), ("POST /portal/verifier/conclude", .mrvVerify),
            ("GET /portal/province", .mrvReview), ("POST /portal/province/assign", .mrvReview), ("POST /portal/province/review", .mrvReview),
            // Regulator portals (RegulatorRoutes).
            ("GET /portal/city", .mrvReviewCity), ("POST /portal/city/review", .mrvReviewCity),
            ("GET /portal/city/entities.csv", .mrvReviewCity), ("GET /portal/city/reports.csv", .mrvReviewCity),
            ("GET /portal/mee", .mrvReviewNational), ("POST /portal/mee/review", .mrvReviewNational),
            ("GET /portal/mee/reviews.csv", .mrvReviewNational), ("GET /portal/mee/mrv-totals.csv", .mrvReviewNational),
            ("GET /portal/mee/compliance.csv", .mrvReviewNational), ("GET /portal/mee/allocation.csv", .mrvReviewNational),
            ("GET /portal/mee/plans.csv", .mrvReviewNational),
            // CCER portals (CCERPortalRoutes).
            ("GET /portal/owner", .ccerApply), ("POST /portal/owner/submit", .ccerApply), ("POST /portal/owner/apply", .ccerApply),
            ("POST /portal/owner/report", .ccerApply), ("POST /portal/owner/apply-reductions", .ccerApply),
            ("GET /portal/validator", .ccerValidate), ("POST /portal/validator/validate", .ccerValidate),
            ("POST /portal/validator/verify", .ccerValidate),
            ("GET /portal/ccer-review", .ccerReview), ("POST /portal/ccer-review/decide", .ccerReview),
            ("POST /portal/ccer-review/issue", .ccerReview),
            // The CCER regulator's page (CCERRegulatorRoutes).
            ("GET /portal/ccer-regulator", .ccerRegulate), ("POST /portal/ccer-regulator/accredit", .ccerRegulate),
            ("POST /portal/ccer-regulator/withdraw", .ccerRegulate), ("POST /portal/ccer-regulator/methodology", .ccerRegulate),
            // The CCER rules' check and publication on the same page (CCERPolicyRoutes), as the
            // API's checkCCERPolicy/publishCCERPolicy.
            ("POST /portal/ccer-regulator/policy/check", .ccerRegulate), ("POST /portal/ccer-regulator/policy/publish", .ccerRegulate),
            // The MRV policy tables (MRVPolicyRoutes): read as the API's getMRVPolicy (public to
            // every role), checked and published by the MEE as checkMRVPolicy/publishMRVPolicy.
            ("GET /portal/mrv-policy", .viewPublic), ("POST /portal/mrv-policy/check", .mrvPolicy),
            ("POST /portal/mrv-policy/publish", .mrvPolicy),
            // Public comments during a CCER notice, on the public project page (CCERCommentRoutes).
            ("POST /ccer/projects/{id}/comment", .ccerComment),
            // Operators' portals and the four-eyes page (OperatorRoutes).
            ("GET /portal/exchange", .exchangeOperate), ("POST /portal/exchange/announce", .exchangeOperate),
            ("POST /portal/exchange/clear", .exchangeOperate), ("POST /portal/exchange/cancel", .exchangeOperate),
            ("POST /portal/exchange/open-day", .exchangeOperate), ("POST /portal/exchange/close-day", .exchangeOperate),
            ("GET /portal/registry", .registryOperate), ("POST /portal/registry/status", .registryOperate),
            ("POST /portal/registry/funds", .registryOperate),
            ("GET /portal/transfers", .viewOwnAccount), ("POST /portal/transfers/initiate", .transferInitiate),
            ("POST /portal/transfers/decide", .approveTransfer),
            // The registry operator's review of account applications (AccountOpeningRoutes).
            ("GET /accounts/review", .accountReview), ("GET /accounts/review/document", .accountReview),
            ("POST /accounts/review/decide", .accountReview),
        ]
        for (route, action) in guarded { routes[route] = .action(action) }
        return routes
    }()
}
