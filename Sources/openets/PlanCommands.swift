import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets plan`: allocation plans as versioned data in the store (docs/allocation.md,
/// "Plans in the store"): load a draft, review it, publish it.
struct PlanCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Allocation plans in the store: load (a draft), list, show, publish (docs/allocation.md).",
        subcommands: [PlanLoadCommand.self, PlanListCommand.self, PlanShowCommand.self, PlanPublishCommand.self])
}

/// Opens the plan service, runs `body`, prints its result (JSON or text); an `AllocationError`
/// prints `{"error":{"code","message"}}` and exits 2.
func withPlanService<T: Encodable>(
    _ location: StoreLocation, json: Bool, _ body: (AllocationPlanService) async throws -> T, text: (T) -> String
) async throws {
    do {
        let opened = try await Composition.openAllocationPlans(location)
        let result: T
        do {
            result = try await body(opened.service)
            try await opened.store.close()
        } catch {
            try? await opened.store.close()
            throw error
        }
        print(json ? jsonText(result) : text(result))
    } catch let error as AllocationError {
        print(jsonText(PlanFailure(error: error)))
        throw ExitCode(2)
    }
}

private struct PlanFailure: Encodable { var error: AllocationError }

/// A stored plan version as printed.
struct PlanVersionReport: Encodable {
    var id: String
    var version: Int
    var status: String
    var sha256: String
    var loadedBy: String?
    var loadedAt: String?
    var publishedBy: String?
    var publishedAt: String?
    var supersededAt: String?

    init(_ stored: StoredAllocationPlan) {
        id = stored.plan.id
        version = stored.plan.version
        status = stored.status.rawValue
        sha256 = stored.sha256
        loadedBy = stored.loadedBy
        loadedAt = stored.loadedAt.beijingMinute
        publishedBy = stored.publishedBy
        publishedAt = stored.publishedAt?.beijingMinute
        supersededAt = stored.supersededAt?.beijingMinute
    }

    /// A shipped plan no version of which is published in the store.
    init(shipped plan: AllocationPlan) {
        id = plan.id
        version = plan.version
        status = "shipped"
        sha256 = AllocationPlanCodec.sha256(plan)
    }

    enum CodingKeys: String, CodingKey {
        case id, version, status, sha256
        case loadedBy = "loaded_by"
        case loadedAt = "loaded_at"
        case publishedBy = "published_by"
        case publishedAt = "published_at"
        case supersededAt = "superseded_at"
    }

    var line: String {
        "\(id) v\(version) \(status) sha256 \(sha256.prefix(16))…"
            + (loadedBy.map { " loaded by \($0) \(loadedAt ?? "")" } ?? "")
            + (publishedBy.map { ", published by \($0) \(publishedAt ?? "")" } ?? "")
    }
}

struct PlanLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Validate a plan (JSON) and store it as a draft under its id's next version; print the changes against the published version.")

    @Option(help: "The plan JSON (as `openets plan show --json` prints a plan).") var file: String
    @Option(help: "Who loads it (recorded).") var by: String = ProcessInfo.processInfo.userName
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var stored: PlanVersionReport
        var comparedWith: Int?
        var changes: [AllocationPlanChange]

        enum CodingKeys: String, CodingKey {
            case stored, changes
            case comparedWith = "compared_with"
        }
    }

    func run() async throws {
        try await withPlanService(store.location, json: json, { service in
            let plan = try decodePlan(file)
            let result = try await service.load(plan, by: by)
            return Report(stored: PlanVersionReport(result.stored), comparedWith: result.comparedWith, changes: result.changes)
        }, text: { report in
            var lines = ["stored \(report.stored.line)"]
            if let version = report.comparedWith {
                lines.append(report.changes.isEmpty ? "  no change against published v\(version)" : "  changes against published v\(version):")
            } else {
                lines.append("  a new plan id: nothing published to compare with")
            }
            for change in report.changes { lines.append("    \(change.path): \(change.before ?? "-") → \(change.after ?? "-")") }
            lines.append("  publish with: openets plan publish --id \(report.stored.id) --version \(report.stored.version)")
            return lines.joined(separator: "\n")
        })
    }

    /// The plan file, or `INVALID_INPUT` naming where it is not a plan.
    func decodePlan(_ path: String) throws(AllocationError) -> AllocationPlan {
        let data = try CycleCalculatorIO.read(path)
        do {
            return try JSONDecoder().decode(AllocationPlan.self, from: data)
        } catch let error as DecodingError {
            throw AllocationError(.invalidInput, "\(path) is not a plan: \(CycleCalculatorIO.describe(error))")
        } catch {
            throw AllocationError(.invalidInput, "\(path) is not JSON: \(error.localizedDescription)")
        }
    }
}

struct PlanListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every plan id: the version in force (published, else shipped) and its stored versions.")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        var id: String
        var year: Int?
        var sector: String?
        var type: String?
        /// "store" (a published version) or "shipped".
        var inForce: String?
        var inForceVersion: Int?
        var versions: [PlanVersionReport]

        enum CodingKeys: String, CodingKey {
            case id, year, sector, type, versions
            case inForce = "in_force"
            case inForceVersion = "in_force_version"
        }
    }

    func run() async throws {
        try await withPlanService(store.location, json: json, { service in
            try await service.catalog().map { listing in
                let current = listing.current
                return Row(
                    id: listing.id, year: current?.year, sector: current?.sector, type: current?.method.rawValue,
                    inForce: current == nil ? nil : (listing.shipped == nil ? "store" : "shipped"), inForceVersion: current?.version,
                    versions: listing.versions.map(PlanVersionReport.init))
            }
        }, text: { rows in
            rows.map { row in
                let head = "\(row.id): \(row.sector ?? "?") \(row.year.map(String.init) ?? "?") \(row.type ?? "?"), in force: "
                    + (row.inForce.map { "v\(row.inForceVersion ?? 0) (\($0))" } ?? "none (no published version)")
                return ([head] + row.versions.map { "  " + $0.line }).joined(separator: "\n")
            }.joined(separator: "\n")
        })
    }
}

struct PlanShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One plan: the version in force (or --version N) with every parameter.")

    @Option(help: "Plan id.") var id: String
    @Option(help: "A stored version (default: the version in force).") var version: Int?
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var version: PlanVersionReport
        var plan: AllocationPlan
    }

    func run() async throws {
        try await withPlanService(store.location, json: json, { service in
            if let version {
                guard let stored = try await service.version(id: id, version: version) else {
                    throw AllocationError(.unknownPlan, "plan \(id) has no stored version \(version)")
                }
                return Report(version: PlanVersionReport(stored), plan: stored.plan)
            }
            let resolved = try await service.resolve(id: id)
            switch resolved.source {
            case .store:
                let stored = try await service.version(id: id, version: resolved.plan.version)!
                return Report(version: PlanVersionReport(stored), plan: resolved.plan)
            case .shipped:
                return Report(version: PlanVersionReport(shipped: resolved.plan), plan: resolved.plan)
            }
        }, text: { report in
            ([report.version.line] + PlanDescription.lines(report.plan)).joined(separator: "\n")
        })
    }
}

struct PlanPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a draft (default: the latest); the version published before becomes superseded. Published versions never change.")

    @Option(help: "Plan id.") var id: String
    @Option(help: "The draft version (default: the latest draft).") var version: Int?
    @Option(help: "Who publishes it (recorded).") var by: String = ProcessInfo.processInfo.userName
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await withPlanService(store.location, json: json, { service in
            PlanVersionReport(try await service.publish(id: id, version: version, by: by))
        }, text: { "published \($0.line)" })
    }
}

/// A plan's parameters as text lines (`openets plan show`, `openets calc plans`).
enum PlanDescription {
    static func lines(_ plan: AllocationPlan) -> [String] {
        var lines = ["\(plan.id) v\(plan.version): \(plan.sector) \(plan.year), type \(plan.method.rawValue), surrender by \(plan.deadlines.surrender)"]
        func mark(_ verified: Bool) -> String { verified ? "" : " [unverified]" }
        switch plan.method {
        case .outputBenchmark:
            for category in plan.categories {
                lines.append("  \(category.id): \(category.electricityBenchmark) tCO2/MWh, heat \(category.heatBenchmark) tCO2/GJ")
            }
            let unverified = plan.loadFactorCorrection.verified && plan.airCoolingFactor.verified ? "" : " [correction factors unverified]"
            lines.append(
                "  air cooling × \(plan.airCoolingFactor.value), load-factor function (\(plan.loadFactorCorrection.segments.count) segments)\(unverified)")
            lines.append("  gas cap \(plan.gasCap ? "on" : "off"); coal floor \(plan.coalFloorRatio?.description ?? "none") × verified")
        case .verifiedEmissions:
            lines.append("  final allocation = verified emissions")
        case .intensityBenchmark, .benchmarkMarketAdjustment:
            for product in plan.products ?? [] {
                lines.append("  \(product.id): \(product.benchmark) tCO2 per \(product.unit)\(mark(product.verified))")
            }
            if let factor = plan.marketAdjustmentFactor { lines.append("  market adjustment factor \(factor.value)\(mark(factor.verified))") }
        case .historicalEmissions:
            let years = (plan.baseYears ?? []).map(String.init).joined(separator: ", ")
            lines.append("  base years \(years); control factor \(plan.controlFactor.map { "\($0.value)\(mark($0.verified))" } ?? "?")")
        case .historicalIntensityDecline:
            lines.append("  decline rate \(plan.declineRate.map { "\($0.value)\(mark($0.verified))" } ?? "?")")
        }
        if let reserve = plan.reserveShare {
            lines.append("  reserve \(reserve.value) of the total\(mark(reserve.verified))")
        }
        if let paid = plan.paidAllocation {
            lines.append("  paid allocation \(paid.share) of the total by auction, floor \(paid.floorPrice) CNY/t\(mark(paid.verified))")
        }
        let penalty: String
        switch plan.penalty.kind {
        case .fixedRange: penalty = "fine \(plan.penalty.fixedMinCNY?.description ?? "?")-\(plan.penalty.fixedMaxCNY?.description ?? "?") CNY"
        case .priceMultiple: penalty = "\(plan.penalty.minMultiple?.description ?? "?")-\(plan.penalty.maxMultiple?.description ?? "?") × month-average price"
        }
        lines.append("  pre-allocation \(plan.preAllocationRatio) × previous verified")
        lines.append(
            "  offsets ≤ \(plan.offsets.limitRatio) of obligation; carry-over \(plan.carryOver.baseT) t + \(plan.carryOver.netSoldMultiplier) × net sold; borrowing \(plan.borrowing.allowed ? "allowed" : "not allowed"); penalty \(penalty)")
        return lines
    }
}
