import Foundation
import OpenETSDomain
import Testing

@Suite("CCER workflow: every transition, valid and invalid")
struct CCERWorkflowTests {
    typealias F = CCERFixture

    // MARK: design notice

    @Test func commentsAreRecordedWhileTheNoticeIsOpen() throws {
        var f = F()
        let id = try f.submit()
        try f.run(.comment(project: id, period: nil, author: "张三", text: "风机基础施工始于何时？"), on: "2025-01-20")
        try f.run(.comment(project: id, period: nil, author: "李四", text: "请公开基准线数据"), on: "2025-02-21")  // the last day
        #expect(f.project(id).designNotice.comments.map(\.number) == [1, 2])
        #expect(f.project(id).designNotice.comments[1] == NoticeComment(number: 2, author: "李四", text: "请公开基准线数据", on: F.day("2025-02-21")))
        f.reject(.comment(project: id, period: nil, author: "王五", text: "too late"), .noticeClosed, on: "2025-02-22")
        f.reject(.comment(project: id, period: nil, author: "王五", text: " "), .invalidArgument, on: "2025-02-10")
        f.reject(.comment(project: "P999999", period: nil, author: "王五", text: "?"), .unknownProject, on: "2025-02-10")
        f.reject(.comment(project: id, period: 1, author: "王五", text: "?"), .unknownPeriod, on: "2025-02-10")
        f.policy.limits.maxCommentsPerNotice = 2
        f.reject(.comment(project: id, period: nil, author: "王五", text: "one more"), .limitExceeded, on: "2025-02-10")
    }

    /// One user cannot fill a notice: at `maxCommentsPerUserPerNotice` (20 by default) the user's
    /// next comment is COMMENT_LIMIT_PER_USER, counted by login (whatever name it signs with),
    /// per notice; other users, and the operator's comments without a login, still comment.
    @Test func oneUserMakesAtMostTheCapOfCommentsOnANotice() throws {
        #expect(CCERLimits.defaults.maxCommentsPerUserPerNotice == 20)
        var f = F()
        f.policy.limits.maxCommentsPerUserPerNotice = 2
        let id = try f.submit()
        try f.run(.comment(project: id, period: nil, author: "张三", text: "一", user: "u1"), on: "2025-01-21")
        try f.run(.comment(project: id, period: nil, author: "张三 Zhang", text: "二", user: "u1"), on: "2025-01-22")
        f.reject(.comment(project: id, period: nil, author: "另一个名字", text: "三", user: "u1"), .commentLimitPerUser, on: "2025-01-23")
        #expect(f.project(id).designNotice.comments.count == 2)
        // Another login with the same name, and comments entered without a login, are not u1's.
        try f.run(.comment(project: id, period: nil, author: "张三", text: "他人", user: "u2"), on: "2025-01-23")
        try f.run(.comment(project: id, period: nil, author: "张三", text: "操作员录入 1"), on: "2025-01-23")
        try f.run(.comment(project: id, period: nil, author: "张三", text: "操作员录入 2"), on: "2025-01-23")
        f.reject(.comment(project: id, period: nil, author: "张三", text: "操作员录入 3"), .commentLimitPerUser, on: "2025-01-23")
        let comments = f.project(id).designNotice.comments
        #expect(comments.map(\.user) == ["u1", "u1", "u2", nil, nil] && comments.map(\.number) == [1, 2, 3, 4, 5])
        // The notice's own cap still comes first when it is reached.
        f.policy.limits.maxCommentsPerNotice = 5
        f.reject(.comment(project: id, period: nil, author: "李四", text: "满", user: "u3"), .limitExceeded, on: "2025-01-24")
    }

    /// A policy stored before the per-user cap existed reads with the default (20).
    @Test func aStoredPolicyWithoutThePerUserCapReadsTheDefault() throws {
        var limits = CCERLimits.defaults
        limits.maxCommentsPerUserPerNotice = 7
        let encoded = try JSONEncoder().encode(limits)
        #expect(try JSONDecoder().decode(CCERLimits.self, from: encoded).maxCommentsPerUserPerNotice == 7)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object.removeValue(forKey: "maxCommentsPerUserPerNotice")
        let older = try JSONSerialization.data(withJSONObject: object)
        let read = try JSONDecoder().decode(CCERLimits.self, from: older)
        #expect(read.maxCommentsPerUserPerNotice == 20 && read.maxCommentsPerNotice == limits.maxCommentsPerNotice)
    }

    // MARK: validation

    @Test func validationWaitsForTheNoticeAndAnAccreditedBody() throws {
        var f = F()
        let id = try f.submit()
        let validation = CCERCommand.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: ["ok"], positive: true)
        f.reject(validation, .noticeNotEnded, on: "2025-02-21")
        f.reject(.recordValidation(project: id, body: "NOBODY", reportSHA256: F.hashB, findings: [], positive: true), .unknownBody, on: "2025-02-24")
        f.reject(.recordValidation(project: id, body: F.body, reportSHA256: "x", findings: [], positive: true), .invalidArgument, on: "2025-02-24")
        f.reject(.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: [], positive: false), .invalidArgument, on: "2025-02-24")
        var withdrawn = f
        try withdrawn.run(.withdrawAccreditation(id: F.body), on: "2025-02-24")
        withdrawn.reject(validation, .notAccredited, on: "2025-02-24")

        try f.run(validation, on: "2025-02-24")
        let project = f.project(id)
        #expect(project.stage == .validated && project.validation?.findings == ["ok"] && project.validation?.on == F.day("2025-02-24"))
        #expect(project.history.map(\.stage) == ["design_notice", "validated"])
        f.reject(validation, .wrongStage, on: "2025-02-25")
    }

    @Test func aNegativeValidationRejectsTheProject() throws {
        var f = F()
        let id = try f.submit()
        try f.run(.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: ["not additional"], positive: false), on: "2025-02-24")
        #expect(f.project(id).stage == .rejected)
        f.reject(.applyForRegistration(project: id, owner: F.owner), .wrongStage, on: "2025-02-25")
    }

    // MARK: registration

    @Test func registrationHasAFifteenWorkingDayReview() throws {
        var f = F()
        let id = try f.submit()
        f.reject(.applyForRegistration(project: id, owner: F.owner), .wrongStage, on: "2025-02-24")
        f.reject(.decideRegistration(project: id, approve: true, reason: "ok"), .wrongStage, on: "2025-02-24")
        try f.run(.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: [], positive: true), on: "2025-02-24")
        f.reject(.applyForRegistration(project: id, owner: F.otherOwner), .notOwner, on: "2025-02-24")
        try f.run(.applyForRegistration(project: id, owner: F.owner), on: "2025-02-24")
        // 25-28 Feb (4), 3-7 Mar (9), 10-14 Mar (14), 17 Mar (15).
        #expect(f.project(id).registration == Review(appliedOn: F.day("2025-02-24"), deadline: F.day("2025-03-17")))
        #expect(f.project(id).stage == .registrationReview && f.project(id).publicStatus == .projectInNotice)
        f.reject(.applyForRegistration(project: id, owner: F.owner), .wrongStage, on: "2025-02-25")
        f.reject(.decideRegistration(project: id, approve: true, reason: ""), .invalidArgument, on: "2025-03-10")

        try f.run(.decideRegistration(project: id, approve: true, reason: "complete"), on: "2025-03-17")
        let review = try #require(f.project(id).registration)
        #expect(review.approved == true && review.decidedOn == F.day("2025-03-17") && review.overdueWorkingDays == 0)
        #expect(f.project(id).stage == .registered && f.project(id).publicStatus == .projectRegistered)
        #expect(f.project(id).history.map(\.stage) == ["design_notice", "validated", "registration_review", "registered"])
        f.reject(.decideRegistration(project: id, approve: true, reason: "again"), .wrongStage, on: "2025-03-18")
    }

    @Test func aLateReviewIsFlagged() throws {
        var f = F()
        let id = try f.submit()
        try f.run(.recordValidation(project: id, body: F.body, reportSHA256: F.hashB, findings: [], positive: true), on: "2025-02-24")
        try f.run(.applyForRegistration(project: id, owner: F.owner), on: "2025-02-24")
        #expect(try f.state.overdueReviews(on: F.day("2025-03-17"), calendar: f.policy.calendar) == [])
        #expect(
            try f.state.overdueReviews(on: F.day("2025-03-18"), calendar: f.policy.calendar)
                == [OverdueReview(project: id, period: nil, deadline: F.day("2025-03-17"), overdueWorkingDays: 1)])
        try f.run(.decideRegistration(project: id, approve: false, reason: "monitoring plan incomplete"), on: "2025-03-19")
        let review = try #require(f.project(id).registration)
        #expect(review.approved == false && review.overdueWorkingDays == 2)
        #expect(f.project(id).stage == .rejected)
        #expect(try f.state.overdueReviews(on: F.day("2025-03-19"), calendar: f.policy.calendar) == [])
    }

    // MARK: reduction report

    @Test func aReductionReportOpensItsNotice() throws {
        var f = F()
        let id = try f.reported()
        let period = f.project(id).periods[0]
        #expect(period.number == 1 && period.stage == .reductionNotice && period.reportedT == 10_000)
        // 2-3 Apr (2), 4 Apr Qingming, 7-25 Apr (17), Sun 27 Apr make-up (18), 28-29 Apr (20).
        #expect(period.notice == PublicNotice(opensOn: F.day("2025-04-01"), endsOn: F.day("2025-04-29")))
        #expect(f.project(id).publicStatus == .reductionsInNotice)
        try f.run(.comment(project: id, period: 1, author: "赵六", text: "核算是否扣除了厂用电？"), on: "2025-04-29")
        #expect(f.project(id).periods[0].notice.comments.count == 1 && f.project(id).designNotice.comments.isEmpty)
        f.reject(.comment(project: id, period: 1, author: "赵六", text: "late"), .noticeClosed, on: "2025-04-30")
    }

    @Test func reductionReportsAreChecked() throws {
        var f = F()
        let notRegistered = try f.submit(F.application(name: "另一个风电场", location: "福建省莆田市"))
        func report(_ id: CCERProjectID, _ start: String, _ end: String, owner: AccountID = F.owner, t: Int64 = 10_000) -> CCERCommand {
            .submitReductionReport(project: id, owner: owner, start: F.day(start), end: F.day(end), reportedT: t, reportSHA256: F.hashA)
        }
        f.reject(report(notRegistered, "2024-01-01", "2024-12-31"), .wrongStage, on: "2025-04-01")
        let id = try f.registered()
        f.reject(report(id, "2024-01-01", "2024-12-31", owner: F.otherOwner), .notOwner, on: "2025-04-01")
        f.reject(report(id, "2024-12-31", "2024-01-01"), .datesOutOfOrder, on: "2025-04-01")
        f.reject(report(id, "2025-01-01", "2025-04-01"), .datesOutOfOrder, on: "2025-04-01")  // must end before today
        f.reject(report(id, "2020-01-01", "2020-12-31"), .reductionsTooEarly, on: "2025-04-01")
        f.reject(report(id, "2023-06-01", "2023-12-31"), .outsideCreditingPeriod, on: "2025-04-01")
        f.reject(report(id, "2024-01-01", "2024-12-31", t: 0), .invalidArgument, on: "2025-04-01")
        f.reject(report(id, "2024-01-01", "2024-12-31", t: 2_000_000_000), .limitExceeded, on: "2025-04-01")
        f.reject(report(id, "2024-01-01", "2024-12-31"), .calendarNotCovered, on: "2027-04-01")
        try f.run(report(id, "2024-01-01", "2024-12-31"), on: "2025-04-01")
        f.reject(report(id, "2025-01-01", "2025-03-31"), .periodInProgress, on: "2025-04-02")
    }

    // MARK: verification

    @Test func verificationWaitsForTheNoticeAndCannotExceedTheReport() throws {
        var f = F()
        let id = try f.reported()
        func verify(_ t: Int64, findings: [String] = [], body: ValidationBodyID = F.body) -> CCERCommand {
            .recordVerification(project: id, period: 1, body: body, reportSHA256: F.hashB, findings: findings, verifiedT: t)
        }
        f.reject(verify(9_000), .noticeNotEnded, on: "2025-04-29")
        f.reject(verify(10_001), .quantityExceedsReported, on: "2025-04-30")
        f.reject(verify(-1), .invalidArgument, on: "2025-04-30")
        f.reject(verify(0), .invalidArgument, on: "2025-04-30")  // negative without findings
        f.reject(verify(9_000, body: "NOBODY"), .unknownBody, on: "2025-04-30")
        f.reject(.recordVerification(project: id, period: 2, body: F.body, reportSHA256: F.hashB, findings: [], verifiedT: 1), .unknownPeriod, on: "2025-04-30")
        f.reject(.applyForReductionRegistration(project: id, period: 1, owner: F.owner), .wrongStage, on: "2025-04-30")
        try f.run(verify(9_000, findings: ["meter 3 recalibrated: 1,000 t excluded"]), on: "2025-04-30")
        let period = f.project(id).periods[0]
        #expect(period.stage == .verified && period.verification?.verifiedT == 9_000 && period.verification?.positive == true)
        f.reject(verify(9_000), .wrongStage, on: "2025-05-06")
    }

    @Test func aNegativeVerificationRejectsThePeriodAndTheSpanMayBeReportedAgain() throws {
        var f = F()
        let id = try f.reported()
        try f.run(.recordVerification(project: id, period: 1, body: F.body, reportSHA256: F.hashB, findings: ["no monitoring data"], verifiedT: 0), on: "2025-04-30")
        #expect(f.project(id).periods[0].stage == .rejected)
        #expect(f.project(id).publicStatus == .projectRegistered)
        f.reject(.issue(project: id, period: 1), .wrongStage, on: "2025-05-06")
        try f.run(
            .submitReductionReport(project: id, owner: F.owner, start: F.day("2024-01-01"), end: F.day("2024-12-31"), reportedT: 8_000, reportSHA256: F.hashB),
            on: "2025-05-06")
        #expect(f.project(id).periods.map(\.stage) == [.rejected, .reductionNotice])
    }

    // MARK: reduction registration and issuance

    /// Verified 9,000 t on 2025-04-30, applied the same day (deadline 2025-05-26).
    func verifiedAndApplied(_ f: inout CCERFixture) throws -> CCERProjectID {
        let id = try f.reported()
        try f.run(.recordVerification(project: id, period: 1, body: F.body, reportSHA256: F.hashB, findings: [], verifiedT: 9_000), on: "2025-04-30")
        f.reject(.applyForReductionRegistration(project: id, period: 1, owner: F.otherOwner), .notOwner, on: "2025-04-30")
        try f.run(.applyForReductionRegistration(project: id, period: 1, owner: F.owner), on: "2025-04-30")
        return id
    }

    @Test func reductionRegistrationHasItsReviewDeadline() throws {
        var f = F()
        let id = try verifiedAndApplied(&f)
        // 1-5 May off (Thu, Fri, weekend, Mon), 6-9 May (4), 12-23 May (14), 26 May (15).
        #expect(f.project(id).periods[0].registration == Review(appliedOn: F.day("2025-04-30"), deadline: F.day("2025-05-26")))
        f.reject(.issue(project: id, period: 1), .wrongStage, on: "2025-05-06")
        f.reject(.applyForReductionRegistration(project: id, period: 1, owner: F.owner), .wrongStage, on: "2025-05-06")
        #expect(try f.state.overdueReviews(on: F.day("2025-05-28"), calendar: f.policy.calendar).map(\.overdueWorkingDays) == [2])
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "consistent with the verification"), on: "2025-05-28")
        let review = try #require(f.project(id).periods[0].registration)
        #expect(review.approved == true && review.overdueWorkingDays == 2)
        #expect(f.project(id).periods[0].stage == .registered && f.project(id).publicStatus == .reductionsRegistered)
        f.reject(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "again"), .wrongStage, on: "2025-05-29")
    }

    @Test func aRefusedReductionRegistrationEndsThePeriod() throws {
        var f = F()
        let id = try verifiedAndApplied(&f)
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: false, reason: "double counted with a green certificate"), on: "2025-05-20")
        #expect(f.project(id).periods[0].stage == .rejected && f.project(id).periods[0].registration?.overdueWorkingDays == 0)
        f.reject(.issue(project: id, period: 1), .wrongStage, on: "2025-05-21")
    }

    @Test func issuanceOrdersTheRegistryToIssueSerialisedCCERsToTheOwner() throws {
        var f = F()
        let id = try verifiedAndApplied(&f)
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "ok"), on: "2025-05-20")
        f.reject(.issue(project: id, period: 2), .unknownPeriod, on: "2025-05-21")
        let events = try f.run(.issue(project: id, period: 1), on: "2025-05-21")
        let order = IssuanceOrder(
            project: id, period: 1, unitType: "CCER-P000001-M01", label: "CCER", issuer: "CN", vintageFrom: 2024, vintageTo: 2024,
            quantity: 9_000, owner: F.owner, orderedOn: F.day("2025-05-21"))
        #expect(events == [.issuanceOrdered(order)])
        #expect(f.project(id).periods[0].stage == .issued && f.project(id).publicStatus == .issued)
        #expect(f.project(id).periods[0].history.map(\.stage) == ["reduction_notice", "verified", "registration_review", "registered", "issued"])
        #expect(f.state.projects(withStatus: .issued).map(\.id) == [id])
        f.reject(.issue(project: id, period: 1), .wrongStage, on: "2025-05-22")

        // The service layer hands the order to the registry: the units arrive as one serial block.
        var registry = RegistryState()
        var changes = ChangeSet()
        let now = F.at("2025-05-21")
        let setup: [RegistryCommand] = [
            .openAccount(type: .national, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []),
            .openAccount(type: .projectOwner, ownerID: "91320000MA1XXXXXXX", ownerName: "如东海上风电有限公司", province: "JS", representatives: []),
        ]
        for command in setup + order.registryCommands {
            registry.evolve(try registry.decide(command, at: now, policy: .defaults), changes: &changes)
        }
        let holding = registry.holding(F.owner, order.unitType)
        #expect(holding.total == 9_000 && holding.blocks.map(\.serials) == [SerialRange(first: 1, last: 9_000)])
        #expect(registry.unitTypes[order.unitType]?.serialText(SerialRange(first: 1, last: 9_000)) == "CN-CCER-P000001-2024-000000000001-000000009000")
    }

    @Test func laterPeriodsFollowInOrderWithoutOverlap() throws {
        var f = F()
        let id = try verifiedAndApplied(&f)
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "ok"), on: "2025-05-20")
        try f.run(.issue(project: id, period: 1), on: "2025-05-21")
        func report(_ start: String, _ end: String) -> CCERCommand {
            .submitReductionReport(project: id, owner: F.owner, start: F.day(start), end: F.day(end), reportedT: 100, reportSHA256: F.hashA)
        }
        f.reject(report("2024-12-01", "2025-03-31"), .periodOverlap, on: "2025-06-03")
        f.reject(report("2024-01-01", "2024-01-31"), .periodOverlap, on: "2025-06-03")
        var limited = f
        limited.policy.limits.maxPeriodsPerProject = 1
        limited.reject(report("2025-01-01", "2025-03-31"), .limitExceeded, on: "2025-06-03")
        try f.run(report("2025-01-01", "2025-03-31"), on: "2025-06-03")
        #expect(f.project(id).periods.map(\.number) == [1, 2])
        #expect(f.project(id).publicStatus == .reductionsInNotice)
    }

    @Test func periodsAreReportedInDateOrder() throws {
        var f = F()
        let id = try f.registered()
        try f.run(
            .submitReductionReport(project: id, owner: F.owner, start: F.day("2024-07-01"), end: F.day("2024-12-31"), reportedT: 500, reportSHA256: F.hashA),
            on: "2025-04-01")
        try f.run(.recordVerification(project: id, period: 1, body: F.body, reportSHA256: F.hashB, findings: [], verifiedT: 500), on: "2025-04-30")
        try f.run(.applyForReductionRegistration(project: id, period: 1, owner: F.owner), on: "2025-04-30")
        try f.run(.decideReductionRegistration(project: id, period: 1, approve: true, reason: "ok"), on: "2025-05-06")
        try f.run(.issue(project: id, period: 1), on: "2025-05-06")
        f.reject(
            .submitReductionReport(project: id, owner: F.owner, start: F.day("2024-01-01"), end: F.day("2024-06-30"), reportedT: 500, reportSHA256: F.hashA),
            .datesOutOfOrder, on: "2025-05-07")
    }

    @Test func replayingTheEventsRebuildsTheState() throws {
        var f = F()
        var log: [CCEREvent] = try f.run(.accreditBody(id: "CEC", name: "中环联合认证中心"), on: "2025-01-02")
        let id = try f.submit()
        log += [.projectSubmitted(f.project(id))]
        log += try f.run(.recordValidation(project: id, body: "CEC", reportSHA256: F.hashB, findings: [], positive: true), on: "2025-02-24")
        log += try f.run(.applyForRegistration(project: id, owner: F.owner), on: "2025-02-24")
        var replayed = CCERState()
        replayed.evolve(try replayed.decide(.accreditBody(id: F.body, name: "中国质量认证中心"), at: F.at("2024-06-11"), policy: f.policy))
        replayed.evolve(log)
        #expect(replayed == f.state)
    }
}
