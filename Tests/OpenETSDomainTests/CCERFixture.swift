import OpenETSDomain
import Testing

/// A CCER state driven by commands on given Beijing dates, for the CCER tests.
struct CCERFixture {
    var state = CCERState()
    var policy = CCERPolicy.standard

    static let owner: AccountID = "OWN-000001"
    static let otherOwner: AccountID = "OWN-000002"
    static let body: ValidationBodyID = "CQC"
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)

    static func day(_ text: String) -> CivilDate { CivilDate(text)! }
    static func at(_ text: String) -> Timestamp { BeijingTime.timestamp(day(text), hour: 10, minute: 0) }

    /// An offshore wind farm: construction 2023, crediting 2024-01-01 to 2033-12-31 (10 years).
    static func application(
        name: String = "如东H5海上风电场", owner: AccountID = owner, location: String = "江苏省南通市如东县",
        methodology: String = "CCER-01-002-V01", construction: String = "2023-03-01", creditingStart: String = "2024-01-01",
        creditingEnd: String = "2033-12-31", host: String? = nil, elsewhere: [String] = []
    ) -> ProjectApplication {
        ProjectApplication(
            name: name, owner: owner, methodology: methodology, province: "JS", location: location, type: "offshore wind farm",
            constructionStart: day(construction), creditingStart: day(creditingStart), creditingEnd: day(creditingEnd),
            expectedAnnualReductionsT: 120_000, designDocumentSHA256: hashA, hostFacility: host, otherRegistrations: elsewhere)
    }

    init() {
        state.evolve(try! state.decide(.accreditBody(id: Self.body, name: "中国质量认证中心"), at: Self.at("2024-06-11"), policy: policy))
    }

    @discardableResult
    mutating func run(_ command: CCERCommand, on date: String) throws -> [CCEREvent] {
        let events = try state.decide(command, at: Self.at(date), policy: policy)
        state.evolve(events)
        return events
    }

    /// Expects `command` to be rejected with `code` on `date` and the state unchanged.
    func reject(_ command: CCERCommand, _ code: CCERErrorCode, on date: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let events = try state.decide(command, at: Self.at(date), policy: policy)
            Issue.record("expected \(code.rawValue), got \(events.count) events", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// Submits the default project on 2025-01-20 (notice ends 2025-02-21); returns its id.
    @discardableResult
    mutating func submit(_ application: ProjectApplication = application(), on date: String = "2025-01-20") throws -> CCERProjectID {
        let events = try run(.submitProject(application, coveredFacilities: []), on: date)
        guard case .projectSubmitted(let project) = events.first else { throw CCERError(.invalidArgument, "no project") }
        return project.id
    }

    /// A project taken to registration: validated 2025-02-24, applied 2025-02-24, registered 2025-03-10.
    mutating func registered() throws -> CCERProjectID {
        let id = try submit()
        try run(.recordValidation(project: id, body: Self.body, reportSHA256: Self.hashB, findings: [], positive: true), on: "2025-02-24")
        try run(.applyForRegistration(project: id, owner: Self.owner), on: "2025-02-24")
        try run(.decideRegistration(project: id, approve: true, reason: "complete"), on: "2025-03-10")
        return id
    }

    /// A registered project with its first monitoring period (2024) reported on 2025-04-01
    /// (notice ends 2025-04-29) for 10,000 t.
    mutating func reported() throws -> CCERProjectID {
        let id = try registered()
        try run(
            .submitReductionReport(
                project: id, owner: Self.owner, start: Self.day("2024-01-01"), end: Self.day("2024-12-31"), reportedT: 10_000,
                reportSHA256: Self.hashA), on: "2025-04-01")
        return id
    }

    func project(_ id: CCERProjectID) -> CCERProject { state.projects[id]! }
}
