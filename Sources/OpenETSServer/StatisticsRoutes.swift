import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The public statistics of the compliance cycle (issue 5 §8): `/statistics`, the years;
/// `/statistics/{year}`, the page; `/statistics/{year}/compliance.csv`, `allocation.csv`,
/// `turnover.csv`. Read from the cycle's stored stages (`AllocationCycleService.publishedStatistics`);
/// without a cycle store the pages say no year is published.
func addStatisticsRoutes(_ router: Router<AppRequestContext>, service: RegistryService, cycle: (any AllocationCycleStore)?) {
    let cycleService = cycle.map { AllocationCycleService(registry: service, store: $0, clock: SystemClock()) }

    @Sendable func statistics(_ text: String) async throws -> (Int, [CycleStatistics])? {
        guard let year = Int(text), (2005...2100).contains(year) else { return nil }
        return (year, try await cycleService?.publishedStatistics(year: year) ?? [])
    }

    router.get("/statistics") { request, _ -> Response in
        let language = pageLanguage(request)
        let years = try await cycleService?.publishedYears() ?? []
        return page(StatisticsPages(language: language).index(years: years))
    }
    router.get("/statistics/:year") { request, context -> Response in
        let language = pageLanguage(request)
        guard let found = try await statistics(try context.parameters.require("year")) else {
            return page(RegistryPages(language: language).notFound(path: request.uri.path), status: .notFound)
        }
        let (year, stats) = found
        return page(StatisticsPages(language: language).year(year, stats), status: stats.isEmpty ? .notFound : .ok)
    }
    for table in ["compliance", "allocation", "turnover"] {
        router.get("/statistics/:year/\(table).csv") { _, context -> Response in
            guard let found = try await statistics(try context.parameters.require("year")), !found.1.isEmpty else {
                return text("no published statistics\n", status: .notFound)
            }
            let (year, stats) = found
            let body = switch table {
            case "compliance": StatisticsPages.complianceCSV(stats)
            case "allocation": StatisticsPages.allocationCSV(stats)
            default: StatisticsPages.turnoverCSV(year: year, stats)
            }
            return text(body, contentType: "text/csv; charset=utf-8", attachment: "statistics-\(year)-\(table).csv")
        }
    }
}

/// The page language, and whether the request chose it explicitly (then a cookie keeps it).
