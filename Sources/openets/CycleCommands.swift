import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets cycle`: steps a year's allocation through the registry.
struct CycleCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle", abstract: "The allocation cycle in the registry: pre-allocation, true-up, totals (docs/allocation.md).",
        subcommands: [CyclePreAllocateCommand.self, CycleTrueUpCommand.self, CycleTotalsCommand.self])
}

/// Options every `openets cycle` command takes.
struct CycleOptions: ParsableArguments {
    @Option(help: "Plan id (a shipped plan: openets calc plans).") var plan: String
    @Option(help: "Compliance year (the plan's year).") var year: Int
    @Option(help: "Facilities JSON: {\"facilities\":[{\"id\",\"entity\",\"province\",\"category\",\"generation_mwh\",…,\"previous_verified_t\",\"verified_t\"}]}.")
    var input: String
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    struct Input: Decodable {
        var facilities: [CycleFacility]?
    }

    /// The plan and facilities, or an `AllocationError`.
    func load() throws(AllocationError) -> (AllocationPlan, [CycleFacility]) {
        let resolved = try PlanReference.id(self.plan).resolve(in: AllocationPlan.seed)
        let data = try CycleCalculatorIO.read(input)
        let decoded: Input
        do {
            decoded = try JSONDecoder().decode(Input.self, from: data)
        } catch let error as DecodingError {
            throw AllocationError(.invalidInput, "input is not the cycle's JSON: \(CycleCalculatorIO.describe(error))")
        } catch {
            throw AllocationError(.invalidInput, "input is not JSON: \(error.localizedDescription)")
        }
        guard let facilities = decoded.facilities else { throw AllocationError(.missingField, "facilities is missing") }
        return (resolved, facilities)
    }

    /// Loads the input, opens the cycle, runs `body`, prints its result; errors print
    /// `{"error":{"code","message"}}` and exit 2.
    func run<T: Encodable>(
        _ body: (AllocationCycleService, AllocationPlan, [CycleFacility]) async throws -> T, text: (T) -> String
    ) async throws {
        do {
            let (plan, facilities) = try load()
            let opened = try await Composition.openAllocationCycle(store.location)
            let result: T
            do {
                result = try await body(opened.service, plan, facilities)
                try await opened.cycleStore.close()
                try await opened.store.close()
            } catch {
                try? await opened.cycleStore.close()
                try? await opened.store.close()
                throw error
            }
            print(json ? jsonText(result) : text(result))
        } catch let error as AllocationError {
            print(jsonText(CycleFailure(error: .init(code: error.code.rawValue, message: error.message))))
            throw ExitCode(2)
        } catch let error as CycleStageRejected {
            print(jsonText(CycleFailure(error: .init(code: error.error.code.rawValue, message: error.description))))
            throw ExitCode(2)
        }
    }
}

private struct CycleFailure: Encodable {
    struct Body: Encodable {
        var code: String
        var message: String
    }

    var error: Body
}

/// The printed result of a stage.
struct CycleStageReport: Encodable {
    var plan: String
    var year: Int
    var stage: String
    var unit: String
    var commands: Int
    var applied: Int
    var alreadyDone: Bool
    var entities: [CycleStagePlan.EntityMovement]
    var debts: [CycleDebt]

    init(_ result: CycleStageResult) {
        plan = result.plan.planID
        year = result.plan.year
        stage = result.plan.stage.rawValue
        unit = result.plan.unit.rawValue
        commands = result.plan.steps.count
        applied = result.applied
        alreadyDone = result.alreadyDone
        entities = result.plan.entities
        debts = result.plan.debts
    }

    enum CodingKeys: String, CodingKey {
        case plan, year, stage, unit, commands, applied, entities, debts
        case alreadyDone = "already_done"
    }

    var text: String {
        var lines = [
            alreadyDone
                ? "\(stage) \(plan) \(year): already done, nothing submitted"
                : "\(stage) \(plan) \(year): \(commands) commands (\(applied) applied now) in \(unit)"
        ]
        let moved = entities.reduce(Int64(0)) { $0 + $1.movedT }
        lines.append("  \(entities.count) entities, net \(moved) t moved")
        for debt in debts { lines.append("  debt \(debt.entity): \(debt.quantityT) t (\(debt.settlement.rawValue))") }
        return lines.joined(separator: "\n")
    }
}

struct CyclePreAllocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pre-allocate",
        abstract: "Pre-allocation: plan ratio × previous verified emissions per facility, national → province → entity.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run({ service, plan, facilities in
            CycleStageReport(try await service.run(.preAllocation, plan: plan, year: options.year, facilities: facilities))
        }, text: \.text)
    }
}

struct CycleTrueUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "true-up",
        abstract: "True-up: final allocation (formula, gas cap, coal floor) − pre-allocation, allocated or recalled; uncovered recalls become debts.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run({ service, plan, facilities in
            CycleStageReport(try await service.run(.trueUp, plan: plan, year: options.year, facilities: facilities))
        }, text: \.text)
    }
}

struct CycleTotalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totals", abstract: "Allocation totals bottom-up: entity, province, nation, per unit category.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run({ service, plan, facilities in
            try await service.totals(plan: plan, year: options.year, facilities: facilities)
        }, text: { totals in
            func line(_ row: CycleTotals.Row) -> String {
                "\(row.id): \(row.total.facilities) facilities, pre-allocation \(row.total.preAllocationT) t"
                    + (row.total.finalT.map { ", final \($0) t" } ?? "")
            }
            return ([line(totals.nation)] + totals.provinces.map { "  " + line($0) }).joined(separator: "\n")
        })
    }
}

/// `openets bench cycle`: the allocation cycle at national scale on a fresh SQLite file
/// (register in BenchCommand's subcommands).
struct CycleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "Pre-allocation, true-up, compliance assessment and totals for a generated national power market on SQLite.")
    @Option(help: "Entities to generate (3-5 units each).") var entities: Int = 3_600
    @Option(help: "Random seed.") var seed: UInt64 = 20_250_601
    @Option(help: "SQLite file to create (default: a new temporary file).") var db: String?
    @Flag(help: "Print only the JSON result.") var json = false

    func validate() throws {
        guard (1...100_000 / 5).contains(entities) else { throw ValidationError("entities must be 1-20,000") }
    }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; measure with `swift build -c release`\n".utf8))
        #endif
        let path = db ?? FileManager.default.temporaryDirectory.appendingPathComponent("openets-bench-cycle-\(UUID().uuidString).db").path
        guard !FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(path) exists: the benchmark needs a new file") }
        let r = try await CycleBenchmark.run(location: .sqlite(path: path), entities: entities, seed: seed)
        if db == nil {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        print("{\"entities\":\(r.entities),\"facilities\":\(r.facilities),\"seconds\":\(String(format: "%.3f", r.seconds))}")
        if !json {
            FileHandle.standardError.write(
                Data("  \(r.commands) registry commands; nation final \(r.nationFinalT) t; \(r.shortfallEntities) entities short\n".utf8))
        }
    }
}
