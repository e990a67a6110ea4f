/// The MRV platform's records. `decide` (MRVDecide.swift) reads them; only `evolve` changes
/// them, so replaying the events rebuilds the state exactly.
public struct MRVState: Sendable, Equatable {
    public var entities: [MRVEntityID: MRVEntity] = [:]
    public var facilities: [FacilityID: Facility] = [:]
    /// Each entity's facilities in registration order.
    public var facilitiesByEntity: [MRVEntityID: [FacilityID]] = [:]
    public var verifiers: [VerifierID: Verifier] = [:]
    public var consultancies: Set<Consultancy> = []
    /// Every version of each facility's control plan, oldest first (version = index + 1).
    public var plans: [FacilityID: [ControlPlan]] = [:]
    public var months: [FacilityMonth: MonthRecord] = [:]
    public var reports: [ReportKey: AnnualReport] = [:]
    /// The grid company's latest generation figure per facility-month (rule A07).
    public var gridGeneration: [FacilityMonth: ExactDecimal] = [:]

    public init() {}

    /// A verifier the entity hired as consultant for a data year.
    public struct Consultancy: Hashable, Codable, Sendable {
        public var entity: MRVEntityID
        public var verifier: VerifierID
        public var year: Int

        public init(entity: MRVEntityID, verifier: VerifierID, year: Int) {
            self.entity = entity
            self.verifier = verifier
            self.year = year
        }
    }

    /// The facility's approved control plan in force, if any.
    public func approvedPlan(_ facility: FacilityID) -> ControlPlan? {
        plans[facility]?.last { $0.status == .approved }
    }
}

extension MRVState {
    public mutating func evolve(_ event: MRVEvent) {
        switch event {
        case .entityRegistered(let entity):
            entities[entity.id] = entity
        case .facilityRegistered(let facility):
            facilities[facility.id] = facility
            facilitiesByEntity[facility.entity, default: []].append(facility.id)
        case .verifierRegistered(let verifier):
            verifiers[verifier.id] = verifier
        case .consultantDeclared(let entity, let verifier, let year):
            consultancies.insert(Consultancy(entity: entity, verifier: verifier, year: year))
        case .controlPlanSubmitted(let plan):
            plans[plan.facility, default: []].append(plan)
        case .controlPlanApproved(let facility, let version, let superseded, let at):
            plans[facility]![version - 1].status = .approved
            plans[facility]![version - 1].decidedAt = at
            if let superseded { plans[facility]![superseded - 1].status = .superseded }
        case .controlPlanReturned(let facility, let version, let reasons, let at):
            plans[facility]![version - 1].status = .returned
            plans[facility]![version - 1].decidedAt = at
            plans[facility]![version - 1].reasons = reasons
        case .monthSubmitted(let data, let at, let late):
            months[data.key] = MonthRecord(data: data, submittedAt: at, late: late)
        case .monthCorrected(let data, let reason, let at):
            var record = months[data.key]!
            record.revisions.append(MonthRevision(kind: .correction, previous: record.data, reason: reason, at: at))
            record.data = data
            record.substitutions = []
            months[data.key] = record
        case .evidenceReplaced(let key, let evidence, let reason, let at):
            var record = months[key]!
            record.revisions.append(MonthRevision(kind: .evidence, previous: record.data, reason: reason, at: at))
            record.data.evidence = evidence
            months[key] = record
        case .reportSubmitted(let report):
            reports[report.key] = report
        case .verifierAssigned(let key, let verifier, _):
            reports[key]!.verifier = verifier
            reports[key]!.status = .verifying
        case .findingRecorded(let key, let finding):
            reports[key]!.findings.append(finding)
        case .findingResolved(let key, let number, let response, let at):
            reports[key]!.findings[number - 1].response = response
            reports[key]!.findings[number - 1].resolvedAt = at
        case .verificationConcluded(let key, let facilities, let at, let late):
            reports[key]!.verified = facilities
            reports[key]!.concludedAt = at
            reports[key]!.verificationLate = late
            reports[key]!.status = .concluded
        case .reportReviewed(let key, let review):
            reports[key]!.reviews.append(review)
            if review.approved {
                reports[key]!.status =
                    switch review.level {
                    case .city: .cityApproved
                    case .province: .provinceApproved
                    case .national: .approved
                    }
            } else {
                // Back to the verifier: the conclusion is withdrawn, the findings stay.
                reports[key]!.status = .verifying
                reports[key]!.verified = nil
                reports[key]!.concludedAt = nil
            }
        case .parametersDefaulted(let key, let substitutions):
            months[key]?.substitutions = substitutions
        case .gridGenerationImported(let rows, _):
            for row in rows { gridGeneration[FacilityMonth(facility: row.facility, year: row.year, month: row.month)] = row.generationMWh }
        }
    }

    /// The stored grid-company rows of a data year, in facility-month order.
    public func gridRows(year: Int) -> [GridGenerationRow] {
        gridGeneration.filter { $0.key.year == year }.sorted { $0.key < $1.key }.map {
            GridGenerationRow(facility: $0.key.facility, year: $0.key.year, month: $0.key.month, generationMWh: $0.value)
        }
    }

    public mutating func evolve(_ events: [MRVEvent]) {
        for event in events { evolve(event) }
    }
}

// MARK: deadlines of monthly data

/// Where a facility-month stands against its deadline (due `monthlyDueDays` natural days after
/// the month's last day; a deposit on the due date is on time).
public enum MonthStatus: Hashable, Sendable {
    /// The month is not over yet.
    case notEnded
    /// Over, not submitted, not yet due.
    case open(due: CivilDate)
    case onTime(submitted: CivilDate, due: CivilDate)
    case late(submitted: CivilDate, due: CivilDate, daysLate: Int)
    /// Not submitted and past due.
    case missing(due: CivilDate, daysOverdue: Int)

    public var isFlagged: Bool {
        switch self {
        case .late, .missing: true
        case .notEnded, .open, .onTime: false
        }
    }
}

public enum MRVDeadlines {
    public static func lastDay(year: Int, month: Int) -> CivilDate {
        CivilDate(year: year, month: month, day: CivilDate.daysIn(month: month, year: year))
    }

    /// The day monthly data is due: the month's last day plus `dueDays` natural days.
    public static func monthlyDue(year: Int, month: Int, dueDays: Int) -> CivilDate {
        lastDay(year: year, month: month).adding(days: dueDays)
    }

    /// Whole days from `a` to `b` (positive when `b` is later).
    public static func days(from a: CivilDate, to b: CivilDate) -> Int { Int(b.daysSinceEpoch - a.daysSinceEpoch) }
}

extension MRVState {
    /// Pure: the status of one facility-month as of a day (Beijing date).
    public func monthStatus(_ facility: FacilityID, year: Int, month: Int, asOf: CivilDate, policy: MRVPlatformPolicy) -> MonthStatus {
        precondition((1...12).contains(month))
        let due = MRVDeadlines.monthlyDue(year: year, month: month, dueDays: policy.monthlyDueDays)
        if let record = months[FacilityMonth(facility: facility, year: year, month: month)] {
            let submitted = BeijingTime.date(record.submittedAt)
            return submitted <= due
                ? .onTime(submitted: submitted, due: due)
                : .late(submitted: submitted, due: due, daysLate: MRVDeadlines.days(from: due, to: submitted))
        }
        guard asOf > MRVDeadlines.lastDay(year: year, month: month) else { return .notEnded }
        guard asOf > due else { return .open(due: due) }
        return .missing(due: due, daysOverdue: MRVDeadlines.days(from: due, to: asOf))
    }

    /// Every late or missing month of a data year, for the regulator's list.
    public func flaggedMonths(year: Int, asOf: CivilDate, policy: MRVPlatformPolicy) -> [(FacilityMonth, MonthStatus)] {
        var flagged: [(FacilityMonth, MonthStatus)] = []
        for facility in facilities.keys.sorted() {
            for month in 1...12 {
                let status = monthStatus(facility, year: year, month: month, asOf: asOf, policy: policy)
                if status.isFlagged { flagged.append((FacilityMonth(facility: facility, year: year, month: month), status)) }
            }
        }
        return flagged
    }
}

// MARK: the yearly key-emitter list

/// An entity on the key-emitter list (重点排放单位名录) of a data year.
public struct KeyEmitter: Hashable, Codable, Sendable {
    public var entity: MRVEntityID
    public var sector: MRVSector
    public var emissionsT: ExactDecimal
    /// true when the figure is the approved verified emissions, false when it is reported.
    public var verified: Bool
    /// The sector reports only (no compliance obligation that year).
    public var mrvOnly: Bool
}

extension MRVState {
    /// Entities whose emissions for `policy.year` reach the threshold (26,000 tCO2e): verified
    /// emissions once the report is approved at national level, reported emissions before.
    public func keyEmitters(policy: MRVPlatformPolicy) -> [KeyEmitter] {
        var list: [KeyEmitter] = []
        for (key, report) in reports.sorted(by: { $0.key < $1.key }) where key.year == policy.year {
            guard let entity = entities[key.entity] else { continue }
            let verified = report.status == .approved ? report.verified : nil
            let amounts = verified?.map(\.emissionsT) ?? report.facilities.map(\.totalT)
            var total = ExactDecimal.zero
            for amount in amounts { total = try! total.adding(amount) }  // at most 500 facilities of ≤ 10^10 t, 2 decimals
            guard total >= policy.keyEmitterThresholdT else { continue }
            list.append(
                KeyEmitter(
                    entity: key.entity, sector: entity.sector, emissionsT: total, verified: verified != nil,
                    mrvOnly: !policy.hasCompliance(entity.sector)))
        }
        return list
    }
}
