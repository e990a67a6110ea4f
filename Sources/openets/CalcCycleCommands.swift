import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets calc allocation`: unit allocation under a plan (pre-allocation, formula, gas cap,
/// coal floor, true-up). JSON in (stdin or --input), JSON out.
struct AllocationCalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocation",
        abstract: "Unit allocation: pre-allocation, benchmark formula, gas cap / coal floor and true-up, whole tonnes rounded half up.",
        discussion: """
            Input: {"plan":"power-2024" or a plan object,"units":[{"id","category","generation_mwh","heat_supplied_gj",\
            "cooling","load_factor","previous_verified_t","verified_t"}]} for a power plan; other plan types take \
            "products":[{"product","output"}], "base_emissions_t":[…], "base_intensity" and "output" as their type needs. \
            See docs/allocation.md.
            """)

    @Option(help: "Input JSON file (default: standard input).") var input: String?
    @Option(help: "Resolve a plan id in this SQLite store first (its published version).") var db: String?
    @Option(help: "Resolve a plan id in this PostgreSQL store first (its published version).") var postgres: String?

    func run() async throws {
        let plans = try await CycleCalculatorIO.plans(db: db, postgres: postgres)
        try CycleCalculatorIO.run(input, AllocationCalculator.Input.self) { (request) throws(AllocationError) in
            try AllocationCalculator.calculate(request, plans: plans)
        }
    }
}

/// `openets calc compliance`: surrender, shortfall, carry-over limit and penalty range per entity.
struct ComplianceCalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Compliance: CCER offsets (≤5%, floored), surrender oldest vintage first, shortfall, carry-over limit, penalty range.",
        discussion: """
            Input: {"plan":"power-2024" or a plan object,"entities":[{"id","obligation_t","holdings":[{"type":"CEA",\
            "vintage","quantity"},{"type":"CCER","quantity","eligible"}],"net_sold_t","month_average_price"}]}. \
            See docs/allocation.md.
            """)

    @Option(help: "Input JSON file (default: standard input).") var input: String?
    @Option(help: "Resolve a plan id in this SQLite store first (its published version).") var db: String?
    @Option(help: "Resolve a plan id in this PostgreSQL store first (its published version).") var postgres: String?

    func run() async throws {
        let plans = try await CycleCalculatorIO.plans(db: db, postgres: postgres)
        try CycleCalculatorIO.run(input, ComplianceCalculator.Input.self) { (request) throws(AllocationError) in
            try ComplianceCalculator.calculate(request, plans: plans)
        }
    }
}

/// `openets calc plans`: the shipped allocation plans (the store's versions: `openets plan list`).
struct PlansCalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans", abstract: "List the shipped allocation plans (--json: the whole plans, a template for a plan object).")

    @Flag(help: "Print the plans as JSON.") var json = false

    func run() async throws {
        if json {
            print(jsonText(AllocationPlan.shipped))
            return
        }
        for plan in AllocationPlan.shipped { print(PlanDescription.lines(plan).joined(separator: "\n")) }
    }
}

/// Input, output and failure handling shared by the cycle calculators.
enum CycleCalculatorIO {
    /// Largest input accepted (bytes).
    static let maxInputBytes = 64 << 20

    /// The plans a calculator resolves ids in: without a store the shipped plans; with one,
    /// each id's published version in place of the shipped plan, and the store's other
    /// published plans.
    static func plans(db: String?, postgres: String?) async throws -> [AllocationPlan] {
        guard db != nil || postgres != nil else { return AllocationPlan.shipped }
        let location: StoreLocation = postgres.map { .postgres(url: $0, schema: nil) } ?? .sqlite(path: db!)
        let opened = try await Composition.openAllocationPlans(location)
        do {
            let current = try await opened.service.catalog().compactMap(\.current)
            try await opened.store.close()
            return current
        } catch {
            try? await opened.store.close()
            throw error
        }
    }

    static func run<Request: Decodable, Response: Encodable>(
        _ path: String?, _ type: Request.Type, _ calculate: (Request) throws(AllocationError) -> Response
    ) throws {
        do {
            let data = try read(path)
            let request: Request
            do {
                request = try JSONDecoder().decode(Request.self, from: data)
            } catch let error as DecodingError {
                throw AllocationError(.invalidInput, "input is not the calculator's JSON: \(describe(error))")
            } catch {
                throw AllocationError(.invalidInput, "input is not JSON: \(error.localizedDescription)")
            }
            print(jsonText(try calculate(request)))
        } catch let error as AllocationError {
            print(jsonText(AllocationFailure(error: error)))
            throw ExitCode(2)
        }
    }

    static func read(_ path: String?) throws(AllocationError) -> Data {
        let data: Data
        do {
            data = try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
        } catch {
            throw AllocationError(.invalidInput, "cannot read \(path ?? "standard input"): \(error.localizedDescription)")
        }
        guard data.count <= maxInputBytes else { throw AllocationError(.limitExceeded, "input larger than \(maxInputBytes) bytes") }
        return data
    }

    /// "at units[0].verified_t: expected Int64" rather than the decoder's debug dump.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.isEmpty ? "top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "at \(path(context.codingPath)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "at \(path(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "at \(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            return "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// `{"error":{"code":…,"message":…}}` of a rejected calculator input.
private struct AllocationFailure: Encodable { var error: AllocationError }
