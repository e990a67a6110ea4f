import ArgumentParser
import Foundation
import OpenETSDomain

struct CalcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calc", abstract: "Calculators for checking rules by machine.", subcommands: [EmissionsCommand.self, AllocationCalcCommand.self, ComplianceCalcCommand.self, PlansCalcCommand.self, AuctionCalcCommand.self, ClosingPriceCalcCommand.self])
}

/// `openets calc emissions`: JSON in (stdin or --input), JSON out; decimals as strings.
struct EmissionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emissions",
        abstract: "Facility emissions: combustion (Σ FC × NCV × CC × OF × 44/12) and purchased electricity, exact, rounded half up to 0.01 t.")

    @Option(help: "Input JSON file (default: standard input).") var input: String?
    @Option(help: "MRV policy tables, a JSON list replacing the shipped seed tables.") var policy: String?
    /// Largest input accepted (bytes).
    static let maxInputBytes = 64 << 20

    func run() async throws {
        do {
            let data = try read(input)
            let request: EmissionCalculator.Input
            do {
                request = try JSONDecoder().decode(EmissionCalculator.Input.self, from: data)
            } catch {
                throw MRVError(.invalidInput, "input is not the calculator's JSON: \(error)")
            }
            let policies: [MRVPolicy]
            if let policy {
                do {
                    policies = try JSONDecoder().decode([MRVPolicy].self, from: try read(policy))
                } catch let error as MRVError {
                    throw error
                } catch {
                    throw MRVError(.invalidInput, "policy file is not a JSON list of MRV policy tables: \(error)")
                }
            } else {
                policies = MRVPolicy.seed
            }
            print(jsonText(try EmissionCalculator.calculate(request, policies: policies)))
        } catch let error as MRVError {
            struct Failure: Encodable { var error: MRVError }
            print(jsonText(Failure(error: error)))
            throw ExitCode(2)
        }
    }

    private func read(_ path: String?) throws -> Data {
        let data: Data
        do {
            data = try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
        } catch {
            throw MRVError(.invalidInput, "cannot read \(path ?? "standard input"): \(error.localizedDescription)")
        }
        guard data.count <= Self.maxInputBytes else {
            throw MRVError(.limitExceeded, "input larger than \(Self.maxInputBytes) bytes")
        }
        return data
    }
}
