import OpenETSApplication
import OpenETSDomain

/// The demo's CCER story, so the public CCER pages show something: the demo owner's forestry
/// carbon-sink project (OWN-000001, 川西林业碳汇) taken from submission to issuance on the
/// working-day calendar, one comment on its notice, and one cancellation for carbon neutrality
/// with its certificate; a second project (P000002) whose notice has ended, awaiting a
/// validation, and a third (P000003) still in notice. It runs on simulated days that end before
/// the demo's trading history begins.
public enum DemoCCER {
    public static let owner: AccountID = "OWN-000001"
    public static let body: ValidationBodyID = "CQC"
    /// Calendar days before the first history day at which the demo market starts when CCER is seeded.
    public static let leadDays = 130

    /// Where the demo starts on a fresh store: early enough for the workflow's notices and reviews.
    public static func start(before firstTradingDay: CivilDate) -> CivilDate { firstTradingDay.adding(days: -leadDays) }

    public struct Summary: Sendable {
        public var projects: Int
        public var issuedT: Int64
        public var verificationCode: String?
    }

    /// Seeds the story on the days from `start(before:)` up to `firstTradingDay` (exclusive).
    /// Returns nil, changing nothing, when the working-day calendar does not cover those days.
    /// Idempotent: fixed keys, so a second run replays.
    @discardableResult
    public static func seed(_ service: RegistryService, clock: MarketClock, before firstTradingDay: CivilDate) async throws -> Summary? {
        let policy = await service.ccerPolicy
        let calendar = policy.calendar
        let begin = start(before: firstTradingDay)
        guard calendar.covers(begin), calendar.covers(firstTradingDay) else { return nil }
        // The working days of each step.
        let d0 = try calendar.addWorkingDays(begin, 1)
        let d1 = try calendar.addWorkingDays(d0, policy.designNoticeWorkingDays + 1)
        let d2 = try calendar.addWorkingDays(d1, 5)
        let d3 = try calendar.addWorkingDays(d2, 1)
        let d4 = try calendar.addWorkingDays(d3, policy.reductionNoticeWorkingDays + 1)
        let d5 = try calendar.addWorkingDays(d4, 5)
        let d6 = try calendar.addWorkingDays(d5, 1)
        guard d6 < firstTradingDay else { return nil }
        let periodEnd = CivilDate(year: d3.year - 1, month: 12, day: 31)
        let periodStart = CivilDate(year: d3.year - 1, month: 1, day: 1)
        let creditingStart = CivilDate(year: periodStart.year, month: 1, day: 1)
        let creditingEnd = CivilDate(year: periodStart.year + 29, month: 12, day: 31)
        let design = sha256Hex("demo project design document")
        let report = sha256Hex("demo validation and verification reports")

        var n = 0
        var last: CCERReceipt?
        func run(_ command: CCERCommand, on day: CivilDate) async throws {
            n += 1
            clock.simulate(day, hour: 10, minute: n)
            let outcome = try await service.execute(CCERRequest(idempotencyKey: "demo-ccer-\(n)", command: command))
            guard let receipt = outcome.receipt else { throw DemoError.rejected("\(command.kind): \(outcome.error!)") }
            last = receipt
        }
        let project: CCERProjectID = "P000001"
        try await run(.accreditBody(id: body, name: "中国质量认证中心 China Quality Certification Centre"), on: d0)
        try await run(
            .submitProject(
                ProjectApplication(
                    name: "川西林业碳汇造林项目 West Sichuan afforestation", owner: owner, methodology: "CCER-14-001-V01", province: "SC",
                    location: "四川省阿坝州理县", type: "afforestation", constructionStart: CivilDate(year: 2023, month: 3, day: 1),
                    creditingStart: creditingStart, creditingEnd: creditingEnd, expectedAnnualReductionsT: 20_000, designDocumentSHA256: design),
                coveredFacilities: []), on: d0)
        try await run(.comment(project: project, period: nil, author: "理县村民代表", text: "造林地块是否占用基本农田？"), on: d0)
        try await run(.recordValidation(project: project, body: body, reportSHA256: report, findings: ["地块核实无误"], positive: true), on: d1)
        try await run(.applyForRegistration(project: project, owner: owner), on: d1)
        try await run(.decideRegistration(project: project, approve: true, reason: "材料齐全"), on: d2)
        try await run(
            .submitReductionReport(project: project, owner: owner, start: periodStart, end: periodEnd, reportedT: 21_000, reportSHA256: report), on: d3)
        // A second project whose design notice has ended: it awaits a validation (the validation
        // body portal, docs/portals.md).
        try await run(
            .submitProject(
                ProjectApplication(
                    name: "会理光热电站 Huili solar thermal", owner: owner, methodology: "CCER-01-001-V01", province: "SC", location: "四川省凉山州会理市",
                    type: "grid solar thermal", constructionStart: CivilDate(year: 2024, month: 3, day: 1), creditingStart: CivilDate(year: 2025, month: 1, day: 1),
                    creditingEnd: CivilDate(year: 2034, month: 12, day: 31), expectedAnnualReductionsT: 60_000, designDocumentSHA256: sha256Hex("demo solar huili")),
                coveredFacilities: []), on: d3)
        try await run(.recordVerification(project: project, period: 1, body: body, reportSHA256: report, findings: [], verifiedT: 20_000), on: d4)
        try await run(.applyForReductionRegistration(project: project, period: 1, owner: owner), on: d4)
        try await run(.decideReductionRegistration(project: project, period: 1, approve: true, reason: "核查无误"), on: d5)
        try await run(.issue(project: project, period: 1), on: d6)
        let unit = IssuanceOrder.unitTypeCode(project: project, period: 1)
        try await run(
            .cancelForNeutrality(
                NeutralityClaim(account: owner, unit: unit, quantity: 23, beneficiary: "四川生态论坛组委会 Sichuan Ecology Forum", purpose: .event, subject: "四川生态论坛 Sichuan Ecology Forum")),
            on: d6)
        let code = last?.verificationCode
        // A third project, still in its design-document notice.
        try await run(
            .submitProject(
                ProjectApplication(
                    name: "理塘光热电站 Litang solar thermal", owner: owner, methodology: "CCER-01-001-V01", province: "SC", location: "四川省甘孜州理塘县",
                    type: "grid solar thermal", constructionStart: CivilDate(year: 2024, month: 5, day: 1), creditingStart: CivilDate(year: 2025, month: 1, day: 1),
                    creditingEnd: CivilDate(year: 2034, month: 12, day: 31), expectedAnnualReductionsT: 80_000, designDocumentSHA256: sha256Hex("demo solar")),
                coveredFacilities: []), on: max(d6, firstTradingDay.adding(days: -3)))
        return Summary(projects: 3, issuedT: 20_000, verificationCode: code)
    }

    enum DemoError: Error, CustomStringConvertible {
        case rejected(String)
        var description: String {
            switch self {
            case .rejected(let reason): "the demo's CCER story was rejected: \(reason)"
            }
        }
    }
}
