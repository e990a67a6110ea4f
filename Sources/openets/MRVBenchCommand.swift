import ArgumentParser
import Foundation
import OpenETSDomain
import OpenETSRuntime

/// `openets bench mrv`: the MRV platform's throughput in process (register in BenchCommand's subcommands).
struct MRVBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mrv",
        abstract: "MRV throughput in process: validate, compute emissions and run every anomaly rule over generated facility-months.")
    @Option(help: "Entities to generate.") var entities: Int = 3_600
    @Option(help: "Facilities per entity (12 months each).") var facilities: Int = 4
    @Option(help: "Random seed (printed; the same seed generates the same data).") var seed: UInt64 = 20_250_401
    @Flag(help: "Print only the JSON result.") var json = false

    func validate() throws {
        guard entities > 0, facilities > 0, entities * facilities <= 1_000_000 else {
            throw ValidationError("entities and facilities must be positive, at most 1,000,000 facilities in all")
        }
    }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; measure with `swift build -c release`\n".utf8))
        #endif
        let r = try MRVBenchmark.run(entities: entities, facilitiesPerEntity: facilities, seed: seed)
        print("{\"facility_months\":\(r.facilityMonths),\"seconds\":\(String(format: "%.3f", r.seconds)),\"rows_per_s\":\(r.rowsPerSecond)}")
        if !json {
            let log = { (line: String) in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
            log("seed \(seed): \(entities) entities × \(facilities) facilities × 12 months generated in \(String(format: "%.2f", r.generationSeconds)) s (not timed)")
            log("emissions Σ \(r.totalEmissionsT) tCO2e; \(r.findings) anomaly findings: \(r.findingsByRule.sorted { $0.key.id < $1.key.id }.map { "\($0.key.id)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
