import ArgumentParser
import Foundation
import OpenETSDomain

/// `openets calc allocation`: unit allocation under a plan (pre-allocation, formula, gas cap,
/// coal floor, true-up). JSON in (stdin or --input), JSON out.
struct AllocationCalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocation",
        abstract: "Unit allocation: pre-allocation, benchmark formula, gas cap / coal floor and true-up, whole tonnes rounded half up.",
        discussion: """
            Input: {"plan":"power-2024" or a plan object,"units":[{"id","category","generation_mwh","heat_supplied_gj",\
            "cooling","load_factor","previous_verified_t","verified_t"}]}. See docs/allocation.md.
            """)

    @Option(help: "Input JSON file (default: standard input).") var input: String?

    func run() async throws {
        try CycleCalculatorIO.run(input, AllocationCalculator.Input.self) { (request) throws(AllocationError) in
            try AllocationCalculator.calculate(request)
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

    func run() async throws {
        try CycleCalculatorIO.run(input, ComplianceCalculator.Input.self) { (request) throws(AllocationError) in
            try ComplianceCalculator.calculate(request)
        }
    }
}

/// `openets calc plans`: the shipped allocation plans.
struct PlansCalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans", abstract: "List the shipped allocation plans (--json: the whole plans, a template for a plan object).")

    @Flag(help: "Print the plans as JSON.") var json = false

    func run() async throws {
        if json {
            print(jsonText(AllocationPlan.seed))
            return
        }
        for plan in AllocationPlan.seed {
            let penalty: String
            switch plan.penalty.kind {
            case .fixedRange: penalty = "fine \(plan.penalty.fixedMinCNY?.description ?? "?")-\(plan.penalty.fixedMaxCNY?.description ?? "?") CNY"
            case .priceMultiple: penalty = "\(plan.penalty.minMultiple?.description ?? "?")-\(plan.penalty.maxMultiple?.description ?? "?") × month-average price"
            }
            print("\(plan.id) v\(plan.version): \(plan.sector) \(plan.year), \(plan.method.rawValue), surrender by \(plan.deadlines.surrender)")
            for category in plan.categories {
                print("  \(category.id): \(category.electricityBenchmark) tCO2/MWh, heat \(category.heatBenchmark) tCO2/GJ")
            }
            let unverified = plan.loadFactorCorrection.verified && plan.airCoolingFactor.verified ? "" : " [correction factors unverified]"
            print("  air cooling × \(plan.airCoolingFactor.value), load-factor function (\(plan.loadFactorCorrection.segments.count) segments)\(unverified)")
            print("  pre-allocation \(plan.preAllocationRatio) × previous verified; gas cap \(plan.gasCap ? "on" : "off"); coal floor \(plan.coalFloorRatio?.description ?? "none") × verified")
            print("  offsets ≤ \(plan.offsets.limitRatio) of obligation; carry-over \(plan.carryOver.baseT) t + \(plan.carryOver.netSoldMultiplier) × net sold; borrowing \(plan.borrowing.allowed ? "allowed" : "not allowed"); penalty \(penalty)")
        }
    }
}

/// Input, output and failure handling shared by the cycle calculators.
enum CycleCalculatorIO {
    /// Largest input accepted (bytes).
    static let maxInputBytes = 64 << 20

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
