import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The allocation plans for review, read-only: `/allocation/plans` and
/// `/allocation/plans/{id}[?version=N]` (zh by default, `?lang=en`). Without a plan store the
/// pages show the shipped plans.
func addAllocationPlanRoutes(_ router: Router<AppRequestContext>, plans: AllocationPlanService?) {
    let routes = AllocationPlanRoutes(plans: plans)
    router.get("/allocation/plans") { request, _ in try await routes.list(request) }
    router.get("/allocation/plans/:id") { request, context in try await routes.plan(request, id: try context.parameters.require("id")) }
}

struct AllocationPlanRoutes: Sendable {
    let plans: AllocationPlanService?

    func list(_ request: Request) async throws -> Response {
        let language = pageLanguage(request)
        return page(AllocationPlanPages(language: language).list(try await rows()))
    }

    func plan(_ request: Request, id: String) async throws -> Response {
        let language = pageLanguage(request)
        let pages = AllocationPlanPages(language: language)
        let row = try await rows().first { $0.id == id }
        let wanted = request.uri.queryParameters.get("version").flatMap { Int(String($0)) }
        let stored = try await plans?.versions(id: id) ?? []
        if let row {
            if let wanted, let version = stored.first(where: { $0.plan.version == wanted }) {
                return page(pages.plan(version.plan, version: Self.version(version), versions: row.versions))
            }
            if wanted == nil, let current = row.current, let currentVersion = row.currentVersion {
                return page(pages.plan(current, version: currentVersion, versions: row.versions))
            }
            // Only drafts: the latest is shown for review.
            if wanted == nil, let latest = stored.last {
                return page(pages.plan(latest.plan, version: Self.version(latest), versions: row.versions))
            }
        }
        return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound)
    }

    func rows() async throws -> [AllocationPlanPages.Row] {
        let catalog: [AllocationPlanListing]
        if let plans {
            catalog = try await plans.catalog()
        } else {
            catalog = AllocationPlan.shipped.map { AllocationPlanListing(id: $0.id, versions: [], shipped: $0) }
        }
        return catalog.map { listing in
            let versions = listing.versions.map(Self.version)
            var currentVersion: AllocationPlanPages.Version?
            if let published = listing.versions.last(where: { $0.status == .published }) {
                currentVersion = Self.version(published)
            } else if let shipped = listing.shipped {
                currentVersion = AllocationPlanPages.Version(version: shipped.version, status: "shipped", sha256: AllocationPlanCodec.sha256(shipped))
            }
            return AllocationPlanPages.Row(id: listing.id, current: listing.current, currentVersion: currentVersion, versions: versions)
        }
    }

    static func version(_ stored: StoredAllocationPlan) -> AllocationPlanPages.Version {
        AllocationPlanPages.Version(
            version: stored.plan.version, status: stored.status.rawValue, sha256: stored.sha256, loadedBy: stored.loadedBy,
            loadedAt: stored.loadedAt.beijingMinute, publishedBy: stored.publishedBy, publishedAt: stored.publishedAt?.beijingMinute)
    }

}
