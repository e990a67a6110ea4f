import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets mrv …`: the MRV management platform over its durable service (its own journal in
/// the same database as the registry). State-changing commands take `--idempotency-key`;
/// accepted exits 0, rejected exits 3 with the error code and message (JSON with `--json`).
struct MRVCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mrv",
        abstract: "The MRV platform: entities, facilities, control plans, monthly data, reports, verification, anomalies.",
        subcommands: [
            MRVRegisterEntity.self, MRVRegisterFacility.self, MRVRegisterVerifier.self, MRVDeclareConsultant.self,
            MRVSubmitPlan.self, MRVDecidePlan.self, MRVImport.self, MRVSubmitMonth.self, MRVCorrectMonth.self,
            MRVCompute.self, MRVSubmitReport.self, MRVShowReport.self, MRVAssignVerifier.self, MRVRecordFinding.self,
            MRVResolveFinding.self, MRVConclude.self, MRVReview.self, MRVAnomaliesCommand.self, MRVRanking.self,
            MRVExport.self, MRVKeyEmitters.self, MRVVerify.self, MRVRaw.self, MRVPolicyCommand.self, MRVFlaggedMonths.self,
            MRVReplaceEvidence.self, MRVEvidenceCommand.self,
        ])
}

struct MRVMutationOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: "Idempotency key: a retry with the same key returns the first result (default: a new UUID).")
    var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false
    @Option(
        name: .customLong("as"),
        help: "Who sends the command, ROLE or ROLE:SCOPE: system (the default: the platform operator, allowed everything), national, province:NAME, city:NAME, verifier:ID, entity:USCC.")
    var actorText: String = "system"

    var key: String { idempotencyKey ?? UUID().uuidString.lowercased() }

    func actor() throws -> MRVActor {
        guard let actor = MRVActor(actorText) else {
            throw ValidationError("--as \(actorText): expected system, national, province:NAME, city:NAME, verifier:ID or entity:USCC")
        }
        return actor
    }
}

struct MRVReadOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
}

/// Opens the MRV service, runs `body`, and closes the store either way.
func withMRV<T>(_ location: StoreLocation, _ body: (MRVService) async throws -> T) async throws -> T {
    let (store, service) = try await Composition.openMRV(location)
    do {
        let value = try await body(service)
        try await store.close()
        return value
    } catch {
        try? await store.close()
        throw error
    }
}

struct MRVOutcomeJSON: Encodable {
    var status: String
    var idempotencyKey: String
    var seq: Int64?
    var replayed: Bool?
    var events: [MRVEvent]?
    var code: String?
    var message: String?
    var rowErrors: [MRVCSV.RowError]?
    var totalErrors: Int?
}

func report(_ outcome: MRVOutcome, key: String, json: Bool) throws {
    switch outcome {
    case .accepted(let receipt):
        if json {
            print(jsonText(MRVOutcomeJSON(status: "accepted", idempotencyKey: key, seq: receipt.seq, replayed: receipt.replayed, events: receipt.events)))
        } else {
            print("accepted: MRV journal entry #\(receipt.seq), \(receipt.events.count) event(s)\(receipt.replayed ? " (replayed: this key was used before)" : "")")
        }
    case .rejected(let error):
        if json {
            print(jsonText(MRVOutcomeJSON(status: "rejected", idempotencyKey: key, code: error.code.rawValue, message: error.message)))
        } else {
            FileHandle.standardError.write(Data("rejected: \(error.code.rawValue): \(error.message)\n".utf8))
        }
        throw ExitCode(3)
    case .rejectedRows(let errors, let total):
        if json {
            print(jsonText(MRVOutcomeJSON(status: "rejected", idempotencyKey: key, code: "CSV_REJECTED", message: "\(total) error(s); nothing imported", rowErrors: errors, totalErrors: total)))
        } else {
            FileHandle.standardError.write(Data("rejected: \(total) error(s); nothing imported\n".utf8))
            for error in errors { FileHandle.standardError.write(Data("  \(error)\n".utf8)) }
        }
        throw ExitCode(3)
    }
}

func submitMRV(_ command: MRVCommand, _ options: MRVMutationOptions, files: [EvidenceUpload] = []) async throws {
    let key = options.key
    let actor = try options.actor()
    let outcome = try await withMRV(options.store.location) {
        try await $0.execute(MRVRequest(idempotencyKey: key, command: command, actor: actor), files: files)
    }
    try report(outcome, key: key, json: options.json)
}

/// A domain error from a read (unknown year, …): printed like a rejection, exit 3.
func failMRV(_ error: MRVError, json: Bool) throws -> Never {
    try failCommand(error.code.rawValue, error.message, json: json)
}

/// A refusal printed with its stable code (`{"error":{"code","message"}}` with `--json`, a
/// line on stderr otherwise), exit 3.
func failCommand(_ code: String, _ message: String, json: Bool) throws -> Never {
    if json {
        print(jsonText(["error": ["code": code, "message": message]]))
    } else {
        FileHandle.standardError.write(Data("error: \(code): \(message)\n".utf8))
    }
    throw ExitCode(3)
}

func readJSON<T: Decodable>(_ type: T.Type, path: String) throws -> T {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch {
        throw ValidationError("\(path): not the expected JSON: \(error)")
    }
}

func readText(_ path: String) throws -> String {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
    guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path) is not UTF-8 text") }
    return text
}

func decimalArgument(_ text: String, _ name: String) throws -> ExactDecimal {
    guard let value = ExactDecimal(text) else { throw ValidationError("\(name): '\(text)' is not a decimal number") }
    return value
}

extension MRVSector: ExpressibleByArgument {}
extension FacilityKind: ExpressibleByArgument {}
extension PowerUnitCategory: ExpressibleByArgument {}
extension Cooling: ExpressibleByArgument {}
extension ReviewLevel: ExpressibleByArgument {}
extension AnomalyRule: ExpressibleByArgument {}

// MARK: registration

struct MRVRegisterEntity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register-entity", abstract: "Register a legal person by its unified social credit code.")
    @OptionGroup var options: MRVMutationOptions
    @Option var uscc: String
    @Option var name: String
    @Option var province: String
    @Option var city: String
    @Option var sector: MRVSector
    @Option var group: String?

    func run() async throws {
        try await submitMRV(.registerEntity(uscc: uscc, name: name, province: province, city: city, sector: sector, group: group), options)
    }
}

struct MRVRegisterFacility: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register-facility", abstract: "Register a facility (power units give category, capacity and cooling).")
    @OptionGroup var options: MRVMutationOptions
    @Option var id: String
    @Option(help: "The entity's unified social credit code.") var entity: String
    @Option var name: String
    @Option var kind: FacilityKind
    @Option(help: "Fuels, comma-separated: coal, natural_gas, fuel_oil, diesel.") var fuels: String
    @Option var category: PowerUnitCategory?
    @Option var capacityMW: String?
    @Option var cooling: Cooling?

    func run() async throws {
        var list: [Fuel] = []
        for part in fuels.split(separator: ",") {
            guard let fuel = Fuel(rawValue: String(part)) else { throw ValidationError("unknown fuel '\(part)'") }
            list.append(fuel)
        }
        var power: PowerUnit?
        if let category, let capacityMW, let cooling {
            power = PowerUnit(category: category, capacityMW: try decimalArgument(capacityMW, "--capacity-mw"), cooling: cooling)
        }
        let facility = Facility(id: FacilityID(id), entity: MRVEntityID(entity), name: name, kind: kind, power: power, fuels: list)
        try await submitMRV(.registerFacility(facility), options)
    }
}

struct MRVRegisterVerifier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register-verifier", abstract: "Register a verification body.")
    @OptionGroup var options: MRVMutationOptions
    @Option var id: String
    @Option var name: String

    func run() async throws { try await submitMRV(.registerVerifier(Verifier(id: VerifierID(id), name: name)), options) }
}

struct MRVDeclareConsultant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "declare-consultant", abstract: "The entity declares a verifier it hired as consultant for a year.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var verifier: String
    @Option var year: Int

    func run() async throws {
        try await submitMRV(.declareConsultant(entity: MRVEntityID(entity), verifier: VerifierID(verifier), year: year), options)
    }
}

// MARK: control plans

struct MRVSubmitPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit-plan", abstract: "Submit a new version of a facility's data-quality control plan (JSON list of data items).")
    @OptionGroup var options: MRVMutationOptions
    @Option var facility: String
    @Option(help: "JSON file (or - for stdin): [{\"item\",\"source\",\"method\",\"meter\",\"frequency\",\"lab\",\"fallback\"}].") var input: String

    func run() async throws {
        let items = try readJSON([DataItemPlan].self, path: input)
        try await submitMRV(.submitControlPlan(facility: FacilityID(facility), items: items), options)
    }
}

struct MRVDecidePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide-plan", abstract: "Province: approve a submitted plan version, or return it with --return-reason.")
    @OptionGroup var options: MRVMutationOptions
    @Option var facility: String
    @Option var version: Int
    @Option(help: "Return the plan with this reason (repeatable).") var returnReason: [String] = []

    func run() async throws {
        let command: MRVCommand =
            returnReason.isEmpty
            ? .approveControlPlan(facility: FacilityID(facility), version: version)
            : .returnControlPlan(facility: FacilityID(facility), version: version, reasons: returnReason)
        try await submitMRV(command, options)
    }
}

// MARK: monthly data

struct MRVImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a CSV file of facilities or monthly data: every row, or nothing with every row's errors.")
    enum Kind: String, ExpressibleByArgument { case facilities, months, grid }
    @OptionGroup var options: MRVMutationOptions
    @Argument(help: "facilities, months, or grid (the grid company's generation: facility_id, year, month, generation_mwh; kept for rule A07)") var kind: Kind
    @Argument(help: "CSV file (UTF-8; English or Chinese headers), or - for stdin.") var file: String
    @Option(help: "months: the bytes of an evidence file the rows name (evidence_sha256), PATH (repeatable); a file no row names is refused.")
    var evidenceFile: [String] = []

    func run() async throws {
        let text = try readText(file)
        let key = options.idempotencyKey ?? UUID().uuidString.lowercased()
        let actor = try options.actor()
        let files = try evidenceUploads(evidenceFile)
        guard files.isEmpty || kind == .months else { throw ValidationError("--evidence-file goes with months only") }
        let outcome = try await withMRV(options.store.location) { service in
            switch kind {
            case .facilities: try await service.importFacilities(csv: text, idempotencyKey: key, actor: actor)
            case .months: try await service.importMonths(csv: text, idempotencyKey: key, files: files, actor: actor)
            case .grid: try await service.importGrid(csv: text, idempotencyKey: key, actor: actor)
            }
        }
        try report(outcome, key: key, json: options.json)
    }
}

struct MRVSubmitMonth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit-month", abstract: "Deposit a facility's month (JSON MonthlyData).")
    @OptionGroup var options: MRVMutationOptions
    @Option(help: "JSON file or - for stdin.") var input: String

    @Option(help: "An evidence file to deposit with the month, PATH or PATH=DATA_ITEM (repeatable): its bytes are stored and their SHA-256 recorded.")
    var evidence: [String] = []

    func run() async throws {
        let data = try readJSON(MonthlyData.self, path: input)
        try await submitMRV(.submitMonth(data), options, files: try evidenceUploads(evidence))
    }
}

struct MRVCorrectMonth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "correct-month", abstract: "Correct a submitted month (JSON MonthlyData); the previous version is kept.")
    @OptionGroup var options: MRVMutationOptions
    @Option(help: "JSON file or - for stdin.") var input: String
    @Option var reason: String

    @Option(help: "An evidence file, PATH or PATH=DATA_ITEM (repeatable): its bytes are stored and their SHA-256 recorded.") var evidence: [String] = []

    func run() async throws {
        let data = try readJSON(MonthlyData.self, path: input)
        try await submitMRV(.correctMonth(data, reason: reason), options, files: try evidenceUploads(evidence))
    }
}

struct MRVCompute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute", abstract: "Compute a facility's emissions for a year from its submitted months (combustion, electricity, PFCs, process).")
    @OptionGroup var options: MRVReadOptions
    @Option var facility: String
    @Option var year: Int

    func run() async throws {
        let result: Result<FacilityYearSummary, MRVError> = try await withMRV(options.store.location) { service in
            do throws(MRVError) {
                return .success(try await service.facilityYear(FacilityID(facility), year: year))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let s):
            if options.json { print(jsonText(s)); return }
            print("\(s.facility) \(year): combustion \(s.combustionT) t, electricity \(s.electricityT) t, PFC \(s.pfcT) t, process \(s.processT) t, total \(s.totalT) tCO2e")
            print("  output \(s.outputT) t, generation \(s.generationMWh) MWh; \(s.defaultsUsed.count) default(s) used")
        }
    }
}

/// Evidence files named on the command line (PATH or PATH=DATA_ITEM): name and SHA-256 of the bytes read.
/// Evidence files to upload, from `PATH` or `PATH=DATA_ITEM`: the file's name, bytes, and a
/// media type from its extension (the service hashes the bytes).
func evidenceUploads(_ specs: [String], mediaType: String? = nil, claimedSHA256: String? = nil) throws -> [EvidenceUpload] {
    try specs.map { spec in
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let url = URL(fileURLWithPath: parts[0])
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ValidationError("evidence file \(parts[0]) cannot be read") }
        return EvidenceUpload(
            name: url.lastPathComponent, mediaType: mediaType ?? mediaTypeGuess(url.pathExtension), item: parts.count == 2 ? parts[1] : nil,
            claimedSHA256: claimedSHA256, bytes: [UInt8](data))
    }
}

func mediaTypeGuess(_ pathExtension: String) -> String {
    switch pathExtension.lowercased() {
    case "pdf": "application/pdf"
    case "png": "image/png"
    case "jpg", "jpeg": "image/jpeg"
    case "csv": "text/csv"
    case "txt": "text/plain"
    case "json": "application/json"
    case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    default: "application/octet-stream"
    }
}

struct MRVReplaceEvidence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace-evidence", abstract: "Replace a submitted month's evidence files (SHA-256 of each file recorded); the previous list is kept.")
    @OptionGroup var options: MRVMutationOptions
    @Option var facility: String
    @Option var year: Int
    @Option var month: Int
    @Option(help: "An evidence file, PATH or PATH=DATA_ITEM (repeatable); its bytes are stored and their SHA-256 recorded.") var file: [String]
    @Option var reason: String

    func run() async throws {
        try await submitMRV(
            .replaceEvidence(month: FacilityMonth(facility: FacilityID(facility), year: year, month: month), evidence: [], reason: reason), options,
            files: try evidenceUploads(file))
    }
}

struct MRVFlaggedMonths: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flagged-months", abstract: "The late and missing monthly deposits of a data year (due 40 natural days after the month ends).")
    @OptionGroup var options: MRVReadOptions
    @Option var year: Int
    @Option(help: "As of this Beijing date, YYYY-MM-DD (default: today).") var asOf: String?

    struct Row: Encodable {
        var facility: String
        var month: Int
        var status: String
        var due: String
        var submitted: String?
        var days: Int
    }

    func run() async throws {
        let date: CivilDate
        if let asOf {
            guard let parsed = CivilDate(asOf) else { throw ValidationError("--as-of: expected YYYY-MM-DD") }
            date = parsed
        } else {
            date = BeijingTime.date(SystemClock().now())
        }
        let result: Result<[(FacilityMonth, MonthStatus)], MRVError> = try await withMRV(options.store.location) { service in
            do throws(MRVError) {
                let policy = try await service.policy.platform(year)
                return .success(await service.state.flaggedMonths(year: year, asOf: date, policy: policy))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let flagged):
            let rows = flagged.compactMap { key, status -> Row? in
                switch status {
                case .late(let submitted, let due, let days):
                    Row(facility: key.facility.rawValue, month: key.month, status: "late", due: due.description, submitted: submitted.description, days: days)
                case .missing(let due, let days):
                    Row(facility: key.facility.rawValue, month: key.month, status: "missing", due: due.description, submitted: nil, days: days)
                default: nil
                }
            }
            if options.json { print(jsonText(rows)); return }
            for r in rows {
                print("\(r.facility) \(year)-\(r.month < 10 ? "0" : "")\(r.month) \(r.status): due \(r.due)\(r.submitted.map { ", submitted " + $0 } ?? ""), \(r.days) day(s)")
            }
            print("\(rows.count) flagged month(s)")
        }
    }
}

// MARK: reports and verification

struct MRVSubmitReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit-report", abstract: "Submit (or with --reason resubmit) an entity's annual report.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option(help: "Resubmit after corrections, with this reason.") var reason: String?

    func run() async throws {
        let id = MRVEntityID(entity)
        try await submitMRV(reason.map { .resubmitReport(entity: id, year: year, reason: $0) } ?? .submitReport(entity: id, year: year), options)
    }
}

struct MRVShowReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Show an entity's annual report, its verification and review.")
    @OptionGroup var options: MRVReadOptions
    @Option var entity: String
    @Option var year: Int

    func run() async throws {
        let report = try await withMRV(options.store.location) { await $0.state.reports[ReportKey(entity: MRVEntityID(entity), year: year)] }
        guard let report else { try failMRV(MRVError(.unknownReport, "no \(year) report of \(entity)"), json: options.json) }
        if options.json { print(jsonText(report)); return }
        print("\(report.entity) \(report.year) v\(report.version): \(report.status.rawValue); deadline \(report.deadline)\(report.late ? " (late)" : "")")
        for f in report.facilities { print("  \(f.facility): total \(f.totalT) tCO2e (combustion \(f.combustionT), electricity \(f.electricityT), PFC \(f.pfcT), process \(f.processT))") }
        if let verifier = report.verifier { print("  verifier \(verifier); \(report.findings.count) finding(s), \(report.findings.filter(\.isOpen).count) open") }
        for v in report.verified ?? [] { print("  verified \(v.facility): \(v.emissionsT) tCO2e, output \(v.output)") }
        for r in report.reviews { print("  review \(r.level.rawValue): \(r.approved ? "approved" : "returned: " + r.reasons.joined(separator: "; "))") }
    }
}

struct MRVAssignVerifier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign-verifier", abstract: "Province: assign a verifier to a submitted report.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option var verifier: String

    func run() async throws {
        try await submitMRV(.assignVerifier(entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier)), options)
    }
}

struct MRVRecordFinding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "record-finding", abstract: "Verifier: record a non-conformity.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option var verifier: String
    @Option var facility: String
    @Option var month: Int?
    @Option var item: String
    @Option(name: .customLong("description")) var text: String
    @Option var correction: String

    func run() async throws {
        try await submitMRV(
            .recordFinding(
                entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier), facility: FacilityID(facility), month: month, item: item,
                description: text, requiredCorrection: correction), options)
    }
}

struct MRVResolveFinding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve-finding", abstract: "Entity: answer a finding once corrected.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option var finding: Int
    @Option var response: String

    func run() async throws {
        try await submitMRV(.resolveFinding(entity: MRVEntityID(entity), year: year, finding: finding, response: response), options)
    }
}

struct MRVConclude: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conclude", abstract: "Verifier: conclude verified emissions and output per facility.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option var verifier: String
    @Option(help: "FACILITY=EMISSIONS_T:OUTPUT, once per facility of the report (repeatable).") var facility: [String]

    func run() async throws {
        var verified: [VerifiedFacility] = []
        for text in facility {
            let parts = text.split(separator: "=", maxSplits: 1)
            let figures = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard parts.count == 2, figures.count == 2 else { throw ValidationError("--facility \(text): expected FACILITY=EMISSIONS:OUTPUT") }
            verified.append(
                VerifiedFacility(
                    facility: FacilityID(String(parts[0])), emissionsT: try decimalArgument(String(figures[0]), "emissions"),
                    output: try decimalArgument(String(figures[1]), "output")))
        }
        try await submitMRV(.concludeVerification(entity: MRVEntityID(entity), year: year, verifier: VerifierID(verifier), facilities: verified), options)
    }
}

struct MRVReview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "City, province or national review: approve, or return with --return-reason.")
    @OptionGroup var options: MRVMutationOptions
    @Option var entity: String
    @Option var year: Int
    @Option var level: ReviewLevel
    @Option(help: "Return the report with this reason (repeatable).") var returnReason: [String] = []

    func run() async throws {
        let id = MRVEntityID(entity)
        try await submitMRV(
            returnReason.isEmpty
                ? .approveReview(entity: id, year: year, level: level) : .returnReview(entity: id, year: year, level: level, reasons: returnReason),
            options)
    }
}

// MARK: the regulator's lists

struct MRVAnomaliesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "anomalies", abstract: "The anomaly list of a data year, filterable by province, sector and rule.")
    @OptionGroup var options: MRVReadOptions
    @Option var year: Int
    @Option var province: String?
    @Option var sector: MRVSector?
    @Option var rule: AnomalyRule?
    @Option(help: "The grid company's generation CSV (facility_id, year, month, generation_mwh) for rule A07, instead of the rows stored by `mrv import grid`.") var grid: String?

    func run() async throws {
        let gridText = try grid.map(readText)
        let result: Result<[AnomalyFinding], MRVError> = try await withMRV(options.store.location) { service in
            var rows: [GridGenerationRow]?
            if let gridText {
                switch MRVCSV.importGrid(gridText, state: await service.state, limits: await service.policy.current.limits) {
                case .imported(let imported): rows = imported
                case .rejected(let errors, _):
                    return .failure(MRVError(errors.first?.code ?? .invalidInput, "grid file: " + errors.prefix(5).map(\.description).joined(separator: "; ")))
                }
            }
            do throws(MRVError) {
                return .success(try await service.anomalies(year: year, grid: rows))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let all):
            let findings = MRVAnomalies.filter(all, province: province, sector: sector, rule: rule)
            if options.json { print(jsonText(findings)); return }
            for f in findings {
                print("\(f.ruleID) \(f.severity.rawValue) \(f.facility) \(f.year)\(f.month.map { "-\($0 < 10 ? "0" : "")\($0)" } ?? "") \(f.province): \(f.explanationZH)")
            }
            print("\(findings.count) finding(s)")
        }
    }
}

struct MRVRanking: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ranking", abstract: "The published verifier ranking of a data year.")
    @OptionGroup var options: MRVReadOptions
    @Option var year: Int
    @Option(help: "As of this Beijing date, YYYY-MM-DD (default: today).") var asOf: String?

    func run() async throws {
        let date: CivilDate
        if let asOf {
            guard let parsed = CivilDate(asOf) else { throw ValidationError("--as-of: expected YYYY-MM-DD") }
            date = parsed
        } else {
            date = BeijingTime.date(SystemClock().now())
        }
        let result: Result<[VerifierRating], MRVError> = try await withMRV(options.store.location) { service in
            do throws(MRVError) {
                return .success(try await service.verifierRanking(year: year, asOf: date))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let ranking):
            if options.json { print(jsonText(ranking)); return }
            for r in ranking {
                print("\(r.rank). \(r.verifier) \(r.name): \(r.score) (quality \(r.quality), compliance \(r.compliance), timeliness \(r.timeliness); \(r.reports) report(s), \(r.errors) error(s))")
            }
        }
    }
}

struct MRVKeyEmitters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key-emitters", abstract: "The key-emitter list of a data year (26,000 tCO2e).")
    @OptionGroup var options: MRVReadOptions
    @Option var year: Int

    func run() async throws {
        let result: Result<[KeyEmitter], MRVError> = try await withMRV(options.store.location) { service in
            do throws(MRVError) {
                let policy = try await service.policy.platform(year)
                return .success(await service.state.keyEmitters(policy: policy))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error): try failMRV(error, json: options.json)
        case .success(let list):
            if options.json { print(jsonText(list)); return }
            for e in list { print("\(e.entity) \(e.sector.rawValue) \(e.emissionsT) tCO2e \(e.verified ? "verified" : "reported")\(e.mrvOnly ? " (MRV only)" : "")") }
        }
    }
}

struct MRVExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "CSV of facilities or monthly data (the import templates; --template for the header only).")
    enum Kind: String, ExpressibleByArgument { case facilities, months }
    @OptionGroup var store: StoreOptions
    @Argument(help: "facilities or months") var kind: Kind
    @Option(help: "Monthly data of this year only.") var year: Int?
    @Flag(help: "Chinese column headers.") var chinese = false
    @Flag(help: "Only the header row (an empty template).") var template = false

    func run() async throws {
        if template {
            print(kind == .facilities ? MRVCSV.facilityTemplate(chinese: chinese) : MRVCSV.monthlyTemplate(chinese: chinese), terminator: "")
            return
        }
        let state = try await withMRV(store.location) { await $0.state }
        switch kind {
        case .facilities:
            let ordered = state.facilitiesByEntity.keys.sorted().flatMap { state.facilitiesByEntity[$0]!.map { state.facilities[$0]! } }
            print(MRVCSV.exportFacilities(ordered, chinese: chinese), terminator: "")
        case .months:
            let months = state.months.filter { year == nil || $0.key.year == year }.sorted { $0.key < $1.key }.map(\.value.data)
            print(MRVCSV.exportMonths(months, chinese: chinese), terminator: "")
        }
    }
}

struct MRVVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the MRV journal's hash chain and replay it.")
    @OptionGroup var options: MRVReadOptions

    struct Output: Encodable {
        var ok: Bool
        var entries: Int
        var headSeq: Int64
        var headHash: String
        var problems: [String]
    }

    func run() async throws {
        let v = try await withMRV(options.store.location) { try await $0.verify() }
        if options.json {
            print(jsonText(Output(ok: v.ok, entries: v.entries, headSeq: v.head.seq, headHash: v.head.hash, problems: v.problems)))
        } else {
            print(v.ok ? "MRV journal OK: \(v.entries) entries, head #\(v.head.seq) \(v.head.hash)" : "MRV journal FAILED:")
            for problem in v.problems { print("  " + problem) }
        }
        if !v.ok { throw ExitCode(4) }
    }
}

struct MRVRaw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command", abstract: "Send any MRV command as JSON (the MRVCommand encoding), e.g. {\"replaceEvidence\":{…}}.")
    @OptionGroup var options: MRVMutationOptions
    @Option(help: "JSON file or - for stdin.") var input: String

    func run() async throws { try await submitMRV(try readJSON(MRVCommand.self, path: input), options) }
}
