import ArgumentParser
import Foundation
import OpenETSDomain

/// `openets ccer`: the CCER voluntary market's data and calculators (rules in docs/ccer.md).
struct CCERCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ccer",
        abstract: "CCER voluntary market: methodologies, credit types, working days, neutrality calculator; the project workflow, issuance and neutrality cancellation through the registry.",
        subcommands: [
            Methodologies.self, CreditTypes.self, WorkingDays.self, Neutrality.self, Accredit.self, Submit.self, Comment.self,
            Validate.self, Register.self, Report.self, Verify.self, RegisterReductions.self, Issue.self, CancelForNeutrality.self,
            Certificate.self, SerialHistoryCommand.self, Projects.self, CCERPolicyCommand.self,
        ])

    /// Largest JSON input accepted (bytes).
    static let maxInputBytes = 1 << 20

    struct Methodologies: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "methodologies", abstract: "The published CCER methodologies, from data.")
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            var code: String
            var version: Int
            var name: String
            var name_en: String
            var sector_number: Int
            var sector: String
            var gases: [GreenhouseGas]
            var crediting_period: CreditingPeriodRule
            var documents: [String]
            var published_on: CivilDate
            var source: String
            var unverified: [String]
        }

        func run() throws {
            let rows = Methodology.seed.map { m in
                Row(
                    code: m.code, version: m.version, name: m.name, name_en: m.nameEn, sector_number: m.sectorNumber, sector: m.sector,
                    gases: m.gases, crediting_period: m.creditingPeriod, documents: m.documents, published_on: m.publishedOn,
                    source: m.source, unverified: m.unverified)
            }
            if json {
                struct Output: Encodable { var methodologies: [Row] }
                print(jsonText(Output(methodologies: rows)))
                return
            }
            for row in rows {
                let rule = row.crediting_period
                let years = rule.minYears.map { "\($0)-\(rule.maxYears)" } ?? "≤\(rule.maxYears)"
                let renewal = rule.renewable ? "renewable" : "not renewable"
                print("\(row.code)  v\(row.version)  \(row.name) / \(row.name_en)")
                let sector = row.sector_number < 10 ? "0\(row.sector_number)" : "\(row.sector_number)"
                print("    sector \(sector) \(row.sector); gases \(row.gases.map(\.rawValue).joined(separator: ", ")); published \(row.published_on)")
                print("    crediting period \(years) years, \(renewal)\(rule.verified ? "" : " [unverified]")")
            }
        }
    }

    struct CreditTypes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credit-types", abstract: "CCER and the local credits (CDCER, PHCER, FFCER): issuers and accepted uses.")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            if json {
                struct Output: Encodable { var credit_types: [CreditType] }
                print(jsonText(Output(credit_types: CreditType.seed)))
                return
            }
            for type in CreditType.seed {
                print("\(type.label)  issuer \(type.issuer)  \(type.name) / \(type.nameEn)")
                for rule in type.uses {
                    let places = rule.jurisdictions?.joined(separator: ", ") ?? "anywhere"
                    print("    \(rule.use.rawValue) (\(places))\(rule.verified ? "" : " [unverified]")")
                }
            }
        }
    }

    struct WorkingDays: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "working-days",
            abstract: "Working-day arithmetic on the CCER calendar: --add N (the N-th working day after --from) or --until DATE (working days in (from, until]).")
        @Option(help: "Start date, YYYY-MM-DD (not counted).") var from: String
        @Option(help: "Working days to add.") var add: Int?
        @Option(help: "End date, YYYY-MM-DD (counted).") var until: String?

        struct Output: Encodable {
            var from: CivilDate
            var working_days: Int
            var date: CivilDate
            var calendar_version: Int
        }

        func run() throws {
            try respond { () throws(CCERError) -> String in
                let calendar = CCERPolicy.standard.calendar
                let start = try date(from, "--from")
                switch (add, until) {
                case (let n?, nil):
                    let end = try calendar.addWorkingDays(start, n)
                    return jsonText(Output(from: start, working_days: n, date: end, calendar_version: calendar.version))
                case (nil, let text?):
                    let end = try date(text, "--until")
                    let n = try calendar.workingDays(between: start, and: end)
                    return jsonText(Output(from: start, working_days: n, date: end, calendar_version: calendar.version))
                default:
                    throw CCERError(.invalidArgument, "give exactly one of --add and --until")
                }
            }
        }

        private func date(_ text: String, _ option: String) throws(CCERError) -> CivilDate {
            guard let value = CivilDate(text) else { throw CCERError(.invalidArgument, "\(option) '\(text)' is not a date YYYY-MM-DD") }
            return value
        }
    }

    /// `openets ccer neutrality`: JSON in (stdin or --input), JSON out.
    struct Neutrality: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "neutrality",
            abstract: "Carbon footprint of an event (travel, venue electricity, hotel nights) and the whole tonnes to cancel.")
        @Option(help: "Input JSON file (default: standard input).") var input: String?
        @Option(help: "Factor table JSON replacing the shipped one (see docs/ccer.md).") var factors: String?

        func run() throws {
            try respond { () throws(CCERError) -> String in
                let request = try decode(NeutralityCalculator.Input.self, try read(input), "input is not the calculator's JSON")
                let table = try factors.map { path throws(CCERError) in
                    try decode(NeutralityFactors.self, try read(path), "factor file is not a factor table")
                } ?? .standard
                return jsonText(try NeutralityCalculator.calculate(request, factors: table))
            }
        }
    }
}

private struct ErrorOutput: Encodable { var error: CCERError }

/// Prints the body's JSON, or `{"error":{"code","message"}}` and exits 2.
private func respond(_ body: () throws(CCERError) -> String) throws {
    do {
        print(try body())
    } catch {
        print(jsonText(ErrorOutput(error: error)))
        throw ExitCode(2)
    }
}

private func read(_ path: String?) throws(CCERError) -> Data {
    let data: Data
    do {
        data = try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
    } catch {
        throw CCERError(.invalidArgument, "cannot read \(path ?? "standard input"): \(error.localizedDescription)")
    }
    guard data.count <= CCERCommandGroup.maxInputBytes else {
        throw CCERError(.limitExceeded, "input larger than \(CCERCommandGroup.maxInputBytes) bytes")
    }
    return data
}

private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws(CCERError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch {
        throw CCERError(.invalidArgument, "\(what): \(error)")
    }
}
