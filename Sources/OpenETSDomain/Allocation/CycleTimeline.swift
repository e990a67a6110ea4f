/// A compliance year's timeline (issue 5 §7): the stages with their dates from the plan, which
/// are done, each entity's current state, and reminders for what is overdue on `today`.
///
/// Dates: monthly data of December due `monthly_data_days` after 31 December; annual report,
/// verification and surrender from the plan's deadlines; pre-allocation from the plan when set;
/// true-up due on the surrender deadline at the latest (the plan has no date for it);
/// trading runs until the surrender deadline; penalties follow the surrender deadline.
/// The MRV stages (monthly data, report, verification) are shown with their dates; their
/// per-entity progress lives in the MRV platform and is not read here.
public struct CycleTimeline: Hashable, Codable, Sendable {
    public enum StageName: String, Codable, Sendable, CaseIterable {
        case preAllocation = "pre_allocation"
        case monthlyData = "monthly_data"
        case annualReport = "annual_report"
        case verification
        case trueUp = "true_up"
        case trading
        case surrender
        case penalties
    }

    public struct Stage: Hashable, Codable, Sendable {
        public var name: StageName
        public var due: CivilDate?
        /// true / false for the cycle's own stages; nil for the MRV stages and trading.
        public var done: Bool?
    }

    public struct EntityState: Hashable, Codable, Sendable {
        public var entity: AccountID
        /// `pre_allocated`, `trued_up`, `compliant`, `shortfall`, `penalty_issued`, `penalty_paid`, `penalty_deducted`.
        public var state: String
        public var shortfallT: Int64?

        enum CodingKeys: String, CodingKey {
            case entity, state
            case shortfallT = "shortfall_t"
        }
    }

    public struct Reminder: Hashable, Codable, Sendable {
        public var entity: AccountID
        public var stage: StageName
        public var message: String
    }

    public var planID: String
    public var year: Int
    public var today: CivilDate
    public var stages: [Stage]
    public var entities: [EntityState]
    public var reminders: [Reminder]

    enum CodingKeys: String, CodingKey {
        case year, today, stages, entities, reminders
        case planID = "plan"
    }

    /// `stages` are the stored stage plans that are done; `notices` the year's penalty notices
    /// (those of other plans are left out).
    public static func build(
        plan: AllocationPlan, today: CivilDate, done: [CycleStage: CycleStagePlan], notices: [PenaltyNotice]
    ) -> CycleTimeline {
        let surrenderDue = CivilDate(plan.deadlines.surrender)
        let notices = notices.filter { $0.planID == plan.id }
        let noticed = Set(notices.map(\.entity))
        // Penalties are done when the surrender is and every shortfall has its notice.
        var penaltiesDone = false
        if let surrender = done[.surrender] {
            penaltiesDone = (surrender.compliance ?? []).allSatisfy { $0.shortfallT == 0 || noticed.contains($0.entity) }
        }
        let stages = [
            Stage(name: .preAllocation, due: plan.deadlines.preAllocation.flatMap(CivilDate.init), done: done[.preAllocation] != nil),
            Stage(name: .monthlyData, due: CivilDate(year: plan.year, month: 12, day: 31).adding(days: plan.deadlines.monthlyDataDays), done: nil),
            Stage(name: .annualReport, due: CivilDate(plan.deadlines.annualReport), done: nil),
            Stage(name: .verification, due: CivilDate(plan.deadlines.verification), done: nil),
            Stage(name: .trueUp, due: surrenderDue, done: done[.trueUp] != nil),
            Stage(name: .trading, due: surrenderDue, done: nil),
            Stage(name: .surrender, due: surrenderDue, done: done[.surrender] != nil),
            Stage(name: .penalties, due: surrenderDue?.adding(days: 1), done: penaltiesDone),
        ]
        let noticeBy = Dictionary(notices.map { ($0.entity, $0) }, uniquingKeysWith: { first, _ in first })
        var states: [AccountID: EntityState] = [:]
        for entity in done[.preAllocation]?.entities ?? [] { states[entity.entity] = EntityState(entity: entity.entity, state: "pre_allocated") }
        for entity in done[.trueUp]?.entities ?? [] { states[entity.entity] = EntityState(entity: entity.entity, state: "trued_up") }
        for assessment in done[.surrender]?.compliance ?? [] {
            var state = EntityState(entity: assessment.entity, state: assessment.status.rawValue, shortfallT: assessment.shortfallT)
            if let notice = noticeBy[assessment.entity] {
                state.state = "penalty_" + notice.status.rawValue
            }
            states[assessment.entity] = state
        }
        var reminders: [Reminder] = []
        let overdue = { (date: CivilDate?) in date.map { today > $0 } ?? false }
        for entity in states.values.sorted(by: { $0.entity.rawValue < $1.entity.rawValue }) {
            switch entity.state {
            case "pre_allocated" where overdue(surrenderDue):
                reminders.append(Reminder(entity: entity.entity, stage: .trueUp, message: "true-up not done by the surrender deadline \(plan.deadlines.surrender)"))
            case "pre_allocated", "trued_up":
                if overdue(surrenderDue) {
                    reminders.append(Reminder(entity: entity.entity, stage: .surrender, message: "no surrender recorded; the deadline was \(plan.deadlines.surrender)"))
                }
            case "shortfall":
                reminders.append(Reminder(entity: entity.entity, stage: .penalties, message: "shortfall of \(entity.shortfallT ?? 0) t without a penalty notice"))
            case "penalty_issued":
                reminders.append(Reminder(entity: entity.entity, stage: .penalties, message: "penalty notice \(noticeBy[entity.entity]?.id ?? "") issued, not paid or deducted"))
            default:
                break
            }
        }
        return CycleTimeline(
            planID: plan.id, year: plan.year, today: today, stages: stages,
            entities: states.values.sorted { $0.entity.rawValue < $1.entity.rawValue }, reminders: reminders)
    }
}
