/// The CCER workflow's state: methodologies, accredited bodies, projects with their monitoring
/// periods. `decide` (CCERDecide.swift) reads it; only `evolve` changes it, so replaying the
/// events rebuilds it exactly.
public struct CCERState: Hashable, Codable, Sendable {
    public var methodologies: [String: Methodology] = [:]
    public var bodies: [ValidationBodyID: ValidationBody] = [:]
    public var projects: [CCERProjectID: CCERProject] = [:]
    /// Projects submitted so far: the next id is P{projectCount + 1}.
    public var projectCount: Int = 0
    /// Carbon-neutrality certificates by the registry's certificate number.
    public var certificates: [CertificateNumber: NeutralityCertificate] = [:]

    /// An empty state with the published methodologies.
    public init(methodologies: [Methodology] = Methodology.seed) {
        for methodology in methodologies { self.methodologies[methodology.code] = methodology }
    }

    public mutating func evolve(_ events: [CCEREvent]) {
        for event in events { evolve(event) }
    }

    public mutating func evolve(_ event: CCEREvent) {
        switch event {
        case .methodologyAdded(let methodology):
            methodologies[methodology.code] = methodology
        case .bodyAccredited(let body):
            bodies[body.id] = body
        case .accreditationWithdrawn(let id, let on):
            bodies[id]!.accredited = false
            bodies[id]!.withdrawnOn = on
        case .projectSubmitted(let project):
            projects[project.id] = project
            projectCount += 1
        case .commentRecorded(let id, let period, let comment):
            if let period {
                projects[id]!.periods[period - 1].notice.comments.append(comment)
            } else {
                projects[id]!.designNotice.comments.append(comment)
            }
        case .validationRecorded(let id, let report):
            projects[id]!.validation = report
            move(id, to: report.positive ? .validated : .rejected, on: report.on)
        case .registrationApplied(let id, let review):
            projects[id]!.registration = review
            move(id, to: .registrationReview, on: review.appliedOn)
        case .registrationDecided(let id, let review):
            projects[id]!.registration = review
            move(id, to: review.approved == true ? .registered : .rejected, on: review.decidedOn!)
        case .reductionReportSubmitted(let id, let period):
            projects[id]!.periods.append(period)
        case .verificationRecorded(let id, let number, let report):
            projects[id]!.periods[number - 1].verification = report
            move(id, number, to: report.positive ? .verified : .rejected, on: report.on)
        case .reductionRegistrationApplied(let id, let number, let review):
            projects[id]!.periods[number - 1].registration = review
            move(id, number, to: .registrationReview, on: review.appliedOn)
        case .reductionRegistrationDecided(let id, let number, let review):
            projects[id]!.periods[number - 1].registration = review
            move(id, number, to: review.approved == true ? .registered : .rejected, on: review.decidedOn!)
        case .issuanceOrdered(let order):
            projects[order.project]!.periods[order.period - 1].issuance = order
            move(order.project, order.period, to: .issued, on: order.orderedOn)
        case .neutralityCertified(let certificate):
            certificates[certificate.number] = certificate
        }
    }

    private mutating func move(_ id: CCERProjectID, to stage: ProjectStage, on date: CivilDate) {
        projects[id]!.stage = stage
        projects[id]!.history.append(StageEntry(stage: stage.rawValue, on: date))
    }

    private mutating func move(_ id: CCERProjectID, _ number: Int, to stage: PeriodStage, on date: CivilDate) {
        projects[id]!.periods[number - 1].stage = stage
        projects[id]!.periods[number - 1].history.append(StageEntry(stage: stage.rawValue, on: date))
    }
}

/// A registry review still open after its deadline.
public struct OverdueReview: Hashable, Codable, Sendable {
    public var project: CCERProjectID
    /// Nil for a project registration, else the monitoring period.
    public var period: Int?
    public var deadline: CivilDate
    /// Working days past the deadline as of the query date.
    public var overdueWorkingDays: Int

    public init(project: CCERProjectID, period: Int?, deadline: CivilDate, overdueWorkingDays: Int) {
        self.project = project
        self.period = period
        self.deadline = deadline
        self.overdueWorkingDays = overdueWorkingDays
    }
}

extension CCERState {
    /// Projects in submission order.
    public var projectsInOrder: [CCERProject] { projects.values.sorted { $0.id < $1.id } }

    /// Projects whose public status is `status`, in submission order.
    public func projects(withStatus status: PublicStatus) -> [CCERProject] {
        projectsInOrder.filter { $0.publicStatus == status }
    }

    /// Registry reviews still undecided on `date` with at least one working day past their
    /// deadline: the flag the regulator watches.
    public func overdueReviews(on date: CivilDate, calendar: WorkingDayCalendar) throws(CCERError) -> [OverdueReview] {
        var overdue: [OverdueReview] = []
        func check(_ project: CCERProjectID, _ period: Int?, _ review: Review?) throws(CCERError) {
            guard let review, review.deadline < date else { return }
            let late = try calendar.workingDays(between: review.deadline, and: date)
            if late > 0 {
                overdue.append(OverdueReview(project: project, period: period, deadline: review.deadline, overdueWorkingDays: late))
            }
        }
        for project in projectsInOrder {
            if project.stage == .registrationReview { try check(project.id, nil, project.registration) }
            for period in project.periods where period.stage == .registrationReview {
                try check(project.id, period.number, period.registration)
            }
        }
        return overdue
    }
}
