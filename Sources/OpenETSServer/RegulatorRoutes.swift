import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The regulators' portals (docs/portals.md): `/portal/city` (web action `mrv_review_city`,
/// MRV actor `city:<the user's city>`) and `/portal/mee` (`mrv_review_national`, MRV actor
/// `national`), their review forms and the CSV downloads beside their tables. Forms go through
/// `PortalRoutes.withForm` (session, CSRF token, permission, one-time key) and then through
/// `MRVService` as the principal's MRV actor, so `MRVPermissions` checks the scope again; the
/// outcome is audited (`mrv.approve_review` / `mrv.return_review`).
func addRegulatorPortalRoutes(_ router: Router<AppRequestContext>, _ routes: RegulatorRoutes) {
    router.get("/portal/city") { request, _ in try await routes.cityPage(request) }
    router.post("/portal/city/review") { request, context in try await routes.cityReview(request, context: context) }
    for table in ["entities", "reports"] {
        router.get("/portal/city/\(table).csv") { request, _ in try await routes.cityCSV(request, table: table) }
    }
    router.get("/portal/mee") { request, _ in try await routes.meePage(request) }
    router.post("/portal/mee/review") { request, context in try await routes.nationalReview(request, context: context) }
    for table in RegulatorRoutes.meeTables {
        router.get("/portal/mee/\(table).csv") { request, _ in try await routes.meeCSV(request, table: table) }
    }
}

struct RegulatorRoutes: Sendable {
    let portal: PortalRoutes
    /// The plan catalogue (nil: the shipped plans are in force).
    let plans: AllocationPlanService?
    /// The allocation cycle's stages, for the published statistics (nil: none published).
    let cycle: (any AllocationCycleStore)?

    static let meeTables = ["reviews", "mrv-totals", "compliance", "allocation", "plans"]

    var trading: TradingRoutes { portal.trading }
    var mrv: MRVService { portal.mrv }

    /// `?year=Y` (2000-2100), else the year before today on the MRV clock.
    func year(_ request: Request) -> Int {
        request.uri.queryParameters.get("year").flatMap { Int($0) }.flatMap { (2000...2100).contains($0) ? $0 : nil } ?? mrv.today().year - 1
    }

    // MARK: city

    func cityPage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .mrvReviewCity, path: "/portal/city")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        return page(RegulatorPages(language: trading.language(request)).city(
            portal.context(request, session, principal), mrv: await mrv.state, province: principal.province, city: principal.city, year: year(request)))
    }

    func cityCSV(_ request: Request, table: String) async throws -> Response {
        let gate = try await portal.viewer(request, .mrvReviewCity, path: "/portal/city")
        guard case .granted(_, let principal) = gate else { return gate.response! }
        guard let province = principal.province, let city = principal.city else { return text("this user has no city\n", status: .notFound) }
        let state = await mrv.state
        let body = table == "entities"
            ? RegulatorPages.cityEntitiesCSV(state, province: province, city: city)
            : RegulatorPages.cityReportsCSV(state, province: province, city: city, year: year(request))
        return text(body, contentType: "text/csv; charset=utf-8", attachment: "city-\(table).csv")
    }

    /// POST /portal/city/review: approve or return (with a reason) at level `city`.
    func cityReview(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await review(request, context: context, action: .mrvReviewCity, back: "/portal/city", level: .city) { principal in
            principal.city.map { MRVActor.city($0) }
        }
    }

    // MARK: MEE

    func meePage(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .mrvReviewNational, path: "/portal/mee")
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        let model = try await meeModel(year(request))
        return page(RegulatorPages(language: trading.language(request)).mee(portal.context(request, session, principal), model))
    }

    func meeCSV(_ request: Request, table: String) async throws -> Response {
        let gate = try await portal.viewer(request, .mrvReviewNational, path: "/portal/mee")
        guard case .granted = gate else { return gate.response! }
        let year = year(request)
        let model = try await meeModel(year)
        let body = switch table {
        case "reviews": RegulatorPages.reviewsCSV(model.mrv)
        case "mrv-totals": RegulatorPages.mrvTotalsCSV(model.mrv, year: year)
        case "compliance": StatisticsPages.complianceCSV(model.statistics)
        case "allocation": StatisticsPages.allocationCSV(model.statistics)
        default: RegulatorPages.plansCSV(model.plans)
        }
        return text(body, contentType: "text/csv; charset=utf-8", attachment: "mee-\(year)-\(table).csv")
    }

    /// POST /portal/mee/review: approve or return (with a reason) at level `national`.
    func nationalReview(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await review(request, context: context, action: .mrvReviewNational, back: "/portal/mee", level: .national) { _ in .national }
    }

    func meeModel(_ year: Int) async throws -> RegulatorPages.MEEModel {
        let statistics: [CycleStatistics]
        if let cycle {
            statistics = try await AllocationCycleService(registry: portal.service, store: cycle, clock: SystemClock()).publishedStatistics(year: year)
        } else {
            statistics = []
        }
        let catalog = try await plans?.catalog() ?? AllocationPlan.shipped.map { AllocationPlanListing(id: $0.id, versions: [], shipped: $0) }
        let inForce = catalog.compactMap { listing -> RegulatorPages.PlanInForce? in
            guard let plan = listing.current, plan.year == year else { return nil }
            let published = listing.versions.last { $0.status == .published } != nil
            return RegulatorPages.PlanInForce(
                id: listing.id, year: plan.year, sector: plan.sector, method: plan.method, version: plan.version, status: published ? "published" : "shipped")
        }
        return RegulatorPages.MEEModel(mrv: await mrv.state, year: year, statistics: statistics, plans: inForce)
    }

    // MARK: shared

    /// A review decision at `level` sent as the principal's MRV actor (nil: the user has no
    /// scope for it, refused as bad input). The year must be a number and the decision
    /// `approve` or `return`; the reason (for a return) is checked by the MRV platform.
    func review(
        _ request: Request, context: AppRequestContext, action: Action, back: String, level: ReviewLevel,
        actor: @escaping @Sendable (Principal) -> MRVActor?
    ) async throws -> Response {
        try await portal.withForm(request, action, back: back) { form in
            guard let mrvActor = actor(form.principal) else { return portal.badInput(back, "this user has no city") }
            let f = form.fields
            guard let entity = f["entity"], !entity.isEmpty, let year = f["year"].flatMap({ Int($0) }), let decision = f["decision"],
                ["approve", "return"].contains(decision)
            else { return portal.badInput(back, "entity, year and decision (approve or return)") }
            let command: MRVCommand = decision == "approve"
                ? .approveReview(entity: MRVEntityID(entity), year: year, level: level)
                : .returnReview(entity: MRVEntityID(entity), year: year, level: level, reasons: [f["reason"] ?? ""])
            let summary = "\(entity) \(year) \(level.rawValue) \(decision)"
            let outcome = try await mrv.execute(
                MRVRequest(idempotencyKey: form.idempotencyKey, command: command, actor: mrvActor),
                audit: trading.auditNote("mrv." + command.kind, form, context, summary: summary))
            return try await portal.conclude("mrv." + command.kind, form, outcome, summary: summary, context: context, back: back, audit: .writtenWithCommand)
        }
    }
}
