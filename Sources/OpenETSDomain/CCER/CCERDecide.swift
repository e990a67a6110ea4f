/// The CCER workflow's rules. `decide` never changes state; it returns the events of an
/// accepted command or throws the first rule it breaks.
///
/// Checks run in a fixed order, so a command breaking several rules always gets the same code
/// (docs/ccer.md): field values and named limits; existence (methodology, project, period,
/// body); accreditation; ownership; stage; notice and dates; eligibility; uniqueness.
extension CCERState {
    public func decide(_ command: CCERCommand, at now: Timestamp, policy: CCERPolicy) throws(CCERError) -> [CCEREvent] {
        let rules = CCERRules(state: self, policy: policy, today: BeijingTime.date(now))
        switch command {
        case .addMethodology(let methodology):
            return try rules.addMethodology(methodology)
        case .accreditBody(let id, let name):
            return try rules.accreditBody(id, name)
        case .withdrawAccreditation(let id):
            return try rules.withdrawAccreditation(id)
        case .submitProject(let application, let covered):
            return try rules.submitProject(application, covered)
        case .comment(let project, let period, let author, let text, let user):
            return try rules.comment(project, period, author, text, user: user)
        case .recordValidation(let project, let body, let hash, let findings, let positive):
            return try rules.recordValidation(project, body, hash, findings, positive)
        case .applyForRegistration(let project, let owner):
            return try rules.applyForRegistration(project, owner)
        case .decideRegistration(let project, let approve, let reason):
            return try rules.decideRegistration(project, approve, reason)
        case .submitReductionReport(let project, let owner, let start, let end, let reported, let hash):
            return try rules.submitReductionReport(project, owner, start, end, reported, hash)
        case .recordVerification(let project, let period, let body, let hash, let findings, let verified):
            return try rules.recordVerification(project, period, body, hash, findings, verified)
        case .applyForReductionRegistration(let project, let period, let owner):
            return try rules.applyForReductionRegistration(project, period, owner)
        case .decideReductionRegistration(let project, let period, let approve, let reason):
            return try rules.decideReductionRegistration(project, period, approve, reason)
        case .issue(let project, let period):
            return try rules.issue(project, period)
        case .cancelForNeutrality:
            throw CCERError(.invalidArgument, "cancel_for_neutrality needs the registry: decide it with the registry state")
        }
    }
}

private struct CCERRules {
    let state: CCERState
    let policy: CCERPolicy
    let today: CivilDate
    var limits: CCERLimits { policy.limits }

    // MARK: regulator

    func addMethodology(_ m: Methodology) throws(CCERError) -> [CCEREvent] {
        guard Methodology.parse(code: m.code) != nil else {
            throw CCERError(.invalidArgument, "methodology code '\(m.code)' is not CCER-NN-NNN-VNN")
        }
        try name(m.name, "name")
        try name(m.nameEn, "name_en")
        try name(m.sector, "sector")
        try text(m.source, "source")
        guard !m.gases.isEmpty, Set(m.gases).count == m.gases.count else {
            throw CCERError(.invalidArgument, "gases: at least one, none twice")
        }
        let rule = m.creditingPeriod
        guard (1...100).contains(rule.maxYears), (rule.minYears ?? 1) >= 1, (rule.minYears ?? 1) <= rule.maxYears else {
            throw CCERError(.invalidArgument, "crediting period: 1 <= min_years <= max_years <= 100")
        }
        try text(rule.source, "crediting_period.source")
        guard !m.documents.isEmpty else { throw CCERError(.invalidArgument, "a methodology lists at least its own text") }
        try count(m.documents, limits.maxDocumentsPerMethodology, "maxDocumentsPerMethodology")
        for document in m.documents { try name(document, "document") }
        let fields: Set<String> = ["name", "sector", "gases", "crediting_period", "documents", "published_on"]
        guard m.unverified.allSatisfy(fields.contains), Set(m.unverified).count == m.unverified.count else {
            throw CCERError(.invalidArgument, "unverified lists field names among \(fields.sorted()), none twice")
        }
        guard state.methodologies[m.code] == nil else {
            throw CCERError(.duplicateMethodology, "methodology \(m.code) already exists")
        }
        guard state.methodologies.count < limits.maxMethodologies else {
            throw CCERError(.limitExceeded, "maxMethodologies is \(limits.maxMethodologies)")
        }
        return [.methodologyAdded(m)]
    }

    func accreditBody(_ id: ValidationBodyID, _ bodyName: String) throws(CCERError) -> [CCEREvent] {
        try symbol(id.rawValue, "body id")
        try name(bodyName, "body name")
        if let existing = state.bodies[id] {
            guard !existing.accredited else { throw CCERError(.duplicateBody, "body \(id) is already accredited") }
        } else if state.bodies.count >= limits.maxBodies {
            throw CCERError(.limitExceeded, "maxBodies is \(limits.maxBodies)")
        }
        return [.bodyAccredited(ValidationBody(id: id, name: bodyName, accredited: true, accreditedOn: today))]
    }

    func withdrawAccreditation(_ id: ValidationBodyID) throws(CCERError) -> [CCEREvent] {
        guard let body = state.bodies[id] else { throw CCERError(.unknownBody, "no body \(id)") }
        guard body.accredited else { throw CCERError(.notAccredited, "body \(id) is not accredited") }
        return [.accreditationWithdrawn(id: id, on: today)]
    }

    // MARK: project

    func submitProject(_ a: ProjectApplication, _ extraCovered: [String]) throws(CCERError) -> [CCEREvent] {
        try checkFields(a, extraCovered)
        guard state.projects.count < limits.maxProjects else {
            throw CCERError(.limitExceeded, "maxProjects is \(limits.maxProjects)")
        }
        guard let methodology = state.methodologies[a.methodology] else {
            throw CCERError(.unknownMethodology, "no methodology \(a.methodology)")
        }
        try checkEligibility(a, methodology, covered: policy.coveredFacilities + extraCovered)
        let nameKey = ProjectIdentity.normalise(a.name)
        let locationKey = ProjectIdentity.normalise(a.location)
        let warnings = try uniqueness(a, nameKey: nameKey, locationKey: locationKey)
        let ends = try policy.calendar.addWorkingDays(today, policy.designNoticeWorkingDays)
        let id = CCERProjectID("P\(zeroPadded(Int64(state.projectCount + 1), width: 6))")
        let project = CCERProject(
            id: id, application: a, nameKey: nameKey, locationKey: locationKey, submittedOn: today,
            designNotice: PublicNotice(opensOn: today, endsOn: ends), warnings: warnings)
        return [.projectSubmitted(project)]
    }

    private func checkFields(_ a: ProjectApplication, _ extraCovered: [String]) throws(CCERError) {
        try name(a.name, "name")
        guard !ProjectIdentity.normalise(a.name).isEmpty else {
            throw CCERError(.invalidArgument, "name has no letters or digits")
        }
        try symbol(a.owner.rawValue, "owner")
        guard (2...3).contains(a.province.utf8.count), a.province.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw CCERError(.invalidArgument, "province '\(a.province)' must be a 2-3 letter code such as SC or GD")
        }
        try name(a.location, "location")
        try name(a.type, "type")
        try tonnes(a.expectedAnnualReductionsT, "expected_annual_reductions_t", allowZero: false)
        try sha256(a.designDocumentSHA256, "design document SHA-256")
        if let host = a.hostFacility { try name(host, "host facility") }
        try count(a.otherRegistrations, limits.maxOtherRegistrations, "maxOtherRegistrations")
        for scheme in a.otherRegistrations { try name(scheme, "other registration") }
        try count(extraCovered, limits.maxCoveredFacilities, "maxCoveredFacilities")
    }

    /// The eligibility rules, each with its own code, in this order.
    private func checkEligibility(_ a: ProjectApplication, _ methodology: Methodology, covered: [String]) throws(CCERError) {
        guard a.constructionStart <= a.creditingStart, a.creditingStart <= a.creditingEnd else {
            throw CCERError(
                .datesOutOfOrder,
                "construction start \(a.constructionStart) <= crediting start \(a.creditingStart) <= crediting end \(a.creditingEnd) does not hold")
        }
        guard a.constructionStart > policy.constructionStartAfter else {
            throw CCERError(.constructionTooEarly, "construction started \(a.constructionStart), not after \(policy.constructionStartAfter)")
        }
        guard a.creditingStart > policy.reductionsAfter else {
            throw CCERError(.reductionsTooEarly, "crediting starts \(a.creditingStart); reductions count only after \(policy.reductionsAfter)")
        }
        let rule = methodology.creditingPeriod
        // A period of n years from S ends at the latest the day before S + n years.
        guard a.creditingEnd < Self.years(rule.maxYears, after: a.creditingStart) else {
            throw CCERError(.creditingPeriodInvalid, "\(methodology.code) allows a crediting period of at most \(rule.maxYears) years")
        }
        if let minimum = rule.minYears, a.creditingEnd.adding(days: 1) < Self.years(minimum, after: a.creditingStart) {
            throw CCERError(.creditingPeriodInvalid, "\(methodology.code) requires a crediting period of at least \(minimum) years")
        }
        if let host = a.hostFacility {
            let key = ProjectIdentity.normalise(host)
            if covered.contains(where: { ProjectIdentity.normalise($0) == key }) {
                throw CCERError(.coveredFacility, "the project sits in \(host), a facility covered by the national ETS")
            }
        }
        if let scheme = a.otherRegistrations.first {
            throw CCERError(.registeredElsewhere, "the project is registered under \(scheme): no double counting")
        }
    }

    /// Rejects an exact duplicate (same owner, normalised name and location as a live project);
    /// returns warnings for likely duplicates.
    private func uniqueness(_ a: ProjectApplication, nameKey: String, locationKey: String) throws(CCERError) -> [DuplicateWarning] {
        var warnings: [DuplicateWarning] = []
        let percent = policy.similarNamePercent
        for other in state.projectsInOrder {
            // Past the limit only the exact-duplicate rejection still needs checking.
            let full = warnings.count >= limits.maxDuplicateWarnings
            let sameOwner = other.application.owner == a.owner
            let sameName = other.nameKey == nameKey
            let sameLocation = other.locationKey == locationKey
            if sameOwner && sameName && sameLocation {
                guard other.stage == .rejected else {
                    throw CCERError(.duplicateProject, "\(other.id) has the same name, location and owner")
                }
                if !full {
                    warnings.append(DuplicateWarning(kind: .resubmission, other: other.id, message: "resubmits rejected project \(other.id)"))
                }
                continue
            }
            if full { continue }
            // Warnings need the same owner or the same name: test that before any edit distance.
            guard sameOwner || sameName, ProjectIdentity.similar(other.locationKey, locationKey, percent: percent) else { continue }
            if sameOwner && ProjectIdentity.similar(other.nameKey, nameKey, percent: percent) {
                warnings.append(DuplicateWarning(
                    kind: .similarProject, other: other.id,
                    message: "same owner, similar name and location as \(other.id) \(other.application.name)"))
            } else if !sameOwner && sameName {
                warnings.append(DuplicateWarning(
                    kind: .sameProjectOtherOwner, other: other.id,
                    message: "same name at a similar location as \(other.id), owned by \(other.application.owner)"))
            }
        }
        return warnings
    }

    func comment(_ id: CCERProjectID, _ number: Int?, _ author: String, _ body: String, user: String?) throws(CCERError) -> [CCEREvent] {
        try name(author, "author")
        try text(body, "comment")
        let project = try project(id)
        let notice = try number.map { n throws(CCERError) in try period(project, n).notice } ?? project.designNotice
        guard notice.isOpen(on: today) else {
            throw CCERError(.noticeClosed, "the notice ran \(notice.opensOn) to \(notice.endsOn)")
        }
        guard notice.comments.count < limits.maxCommentsPerNotice else {
            throw CCERError(.limitExceeded, "maxCommentsPerNotice is \(limits.maxCommentsPerNotice)")
        }
        // The cap is checked against the notice as the writer holds it, so comments of one user
        // sent at once are decided one after another and never pass it together.
        let own = notice.comments.lazy.filter { $0.signed(by: user, author: author) }.count
        guard own < limits.maxCommentsPerUserPerNotice else {
            throw CCERError(
                .commentLimitPerUser, "one user may make at most \(limits.maxCommentsPerUserPerNotice) comments on one notice (maxCommentsPerUserPerNotice)")
        }
        let comment = NoticeComment(number: notice.comments.count + 1, author: author, text: body, on: today, user: user)
        return [.commentRecorded(project: id, period: number, comment: comment)]
    }

    func recordValidation(
        _ id: CCERProjectID, _ bodyID: ValidationBodyID, _ hash: String, _ findings: [String], _ positive: Bool
    ) throws(CCERError) -> [CCEREvent] {
        try report(hash, findings, positive: positive)
        let project = try project(id)
        try accredited(bodyID)
        try stage(project, .designNotice)
        try ended(project.designNotice, "design document")
        let report = AssessmentReport(body: bodyID, reportSHA256: hash, findings: findings, positive: positive, verifiedT: nil, on: today)
        return [.validationRecorded(project: id, report: report)]
    }

    func applyForRegistration(_ id: CCERProjectID, _ owner: AccountID) throws(CCERError) -> [CCEREvent] {
        let project = try project(id)
        try owns(project, owner)
        try stage(project, .validated)
        let deadline = try policy.calendar.addWorkingDays(today, policy.registrationReviewWorkingDays)
        return [.registrationApplied(project: id, review: Review(appliedOn: today, deadline: deadline))]
    }

    func decideRegistration(_ id: CCERProjectID, _ approve: Bool, _ reason: String) throws(CCERError) -> [CCEREvent] {
        try text(reason, "reason")
        let project = try project(id)
        try stage(project, .registrationReview)
        return [.registrationDecided(project: id, review: try decided(project.registration!, approve, reason))]
    }

    // MARK: reductions

    func submitReductionReport(
        _ id: CCERProjectID, _ owner: AccountID, _ start: CivilDate, _ end: CivilDate, _ reportedT: Int64, _ hash: String
    ) throws(CCERError) -> [CCEREvent] {
        try tonnes(reportedT, "reported_t", allowZero: false)
        try sha256(hash, "reduction report SHA-256")
        let project = try project(id)
        try owns(project, owner)
        try stage(project, .registered)
        guard start <= end, end < today else {
            throw CCERError(.datesOutOfOrder, "a monitoring period \(start) to \(end) must start before it ends and end before today (\(today))")
        }
        guard start > policy.reductionsAfter else {
            throw CCERError(.reductionsTooEarly, "the period starts \(start); reductions count only after \(policy.reductionsAfter)")
        }
        let a = project.application
        guard start >= a.creditingStart, end <= a.creditingEnd else {
            throw CCERError(.outsideCreditingPeriod, "\(start) to \(end) is not within the crediting period \(a.creditingStart) to \(a.creditingEnd)")
        }
        let live = project.periods.filter { $0.stage != .rejected }
        if let busy = live.first(where: \.inProgress) {
            throw CCERError(.periodInProgress, "monitoring period \(busy.number) is still at \(busy.stage.rawValue)")
        }
        if let other = live.first(where: { start <= $0.end && end >= $0.start }) {
            throw CCERError(.periodOverlap, "overlaps monitoring period \(other.number) (\(other.start) to \(other.end))")
        }
        if let later = live.first(where: { $0.start > end }) {
            throw CCERError(.datesOutOfOrder, "monitoring periods are reported in order; period \(later.number) starts \(later.start)")
        }
        guard project.periods.count < limits.maxPeriodsPerProject else {
            throw CCERError(.limitExceeded, "maxPeriodsPerProject is \(limits.maxPeriodsPerProject)")
        }
        let ends = try policy.calendar.addWorkingDays(today, policy.reductionNoticeWorkingDays)
        let number = project.periods.count + 1
        let period = ReductionPeriod(
            number: number, start: start, end: end, reportedT: reportedT, reportSHA256: hash,
            notice: PublicNotice(opensOn: today, endsOn: ends),
            history: [StageEntry(stage: PeriodStage.reductionNotice.rawValue, on: today)])
        return [.reductionReportSubmitted(project: id, period: period)]
    }

    func recordVerification(
        _ id: CCERProjectID, _ number: Int, _ bodyID: ValidationBodyID, _ hash: String, _ findings: [String], _ verifiedT: Int64
    ) throws(CCERError) -> [CCEREvent] {
        try tonnes(verifiedT, "verified_t", allowZero: true)
        try report(hash, findings, positive: verifiedT > 0)
        let project = try project(id)
        let period = try period(project, number)
        try accredited(bodyID)
        try stage(period, .reductionNotice)
        try ended(period.notice, "reduction report")
        guard verifiedT <= period.reportedT else {
            throw CCERError(.quantityExceedsReported, "verified \(verifiedT) t is more than the \(period.reportedT) t reported")
        }
        let report = AssessmentReport(
            body: bodyID, reportSHA256: hash, findings: findings, positive: verifiedT > 0, verifiedT: verifiedT, on: today)
        return [.verificationRecorded(project: id, period: number, report: report)]
    }

    func applyForReductionRegistration(_ id: CCERProjectID, _ number: Int, _ owner: AccountID) throws(CCERError) -> [CCEREvent] {
        let project = try project(id)
        let period = try period(project, number)
        try owns(project, owner)
        try stage(period, .verified)
        let deadline = try policy.calendar.addWorkingDays(today, policy.reductionReviewWorkingDays)
        return [.reductionRegistrationApplied(project: id, period: number, review: Review(appliedOn: today, deadline: deadline))]
    }

    func decideReductionRegistration(_ id: CCERProjectID, _ number: Int, _ approve: Bool, _ reason: String) throws(CCERError)
        -> [CCEREvent]
    {
        try text(reason, "reason")
        let project = try project(id)
        let period = try period(project, number)
        try stage(period, .registrationReview)
        return [.reductionRegistrationDecided(project: id, period: number, review: try decided(period.registration!, approve, reason))]
    }

    func issue(_ id: CCERProjectID, _ number: Int) throws(CCERError) -> [CCEREvent] {
        let project = try project(id)
        let period = try period(project, number)
        try stage(period, .registered)
        let quantity = period.verification!.verifiedT!
        let order = IssuanceOrder(
            project: id, period: number, unitType: IssuanceOrder.unitTypeCode(project: id, period: number),
            label: CreditType.ccer.label, issuer: CreditType.ccer.issuer, vintageFrom: period.start.year, vintageTo: period.end.year,
            quantity: quantity, owner: project.application.owner, orderedOn: today)
        return [.issuanceOrdered(order)]
    }

    // MARK: shared checks

    private func project(_ id: CCERProjectID) throws(CCERError) -> CCERProject {
        guard let project = state.projects[id] else { throw CCERError(.unknownProject, "no project \(id)") }
        return project
    }

    private func period(_ project: CCERProject, _ number: Int) throws(CCERError) -> ReductionPeriod {
        guard number >= 1, number <= project.periods.count else {
            throw CCERError(.unknownPeriod, "project \(project.id) has no monitoring period \(number)")
        }
        return project.periods[number - 1]
    }

    private func accredited(_ id: ValidationBodyID) throws(CCERError) {
        guard let body = state.bodies[id] else { throw CCERError(.unknownBody, "no body \(id)") }
        guard body.accredited else { throw CCERError(.notAccredited, "body \(id) is not accredited") }
    }

    private func owns(_ project: CCERProject, _ owner: AccountID) throws(CCERError) {
        guard project.application.owner == owner else {
            throw CCERError(.notOwner, "\(owner) does not own project \(project.id)")
        }
    }

    private func stage(_ project: CCERProject, _ expected: ProjectStage) throws(CCERError) {
        guard project.stage == expected else {
            throw CCERError(.wrongStage, "project \(project.id) is at \(project.stage.rawValue), not \(expected.rawValue)")
        }
    }

    private func stage(_ period: ReductionPeriod, _ expected: PeriodStage) throws(CCERError) {
        guard period.stage == expected else {
            throw CCERError(.wrongStage, "monitoring period \(period.number) is at \(period.stage.rawValue), not \(expected.rawValue)")
        }
    }

    private func ended(_ notice: PublicNotice, _ what: String) throws(CCERError) {
        guard today > notice.endsOn else {
            throw CCERError(.noticeNotEnded, "the \(what) notice runs until \(notice.endsOn)")
        }
    }

    /// The review decided today, with the working days it came after the deadline.
    private func decided(_ open: Review, _ approve: Bool, _ reason: String) throws(CCERError) -> Review {
        var review = open
        review.decidedOn = today
        review.approved = approve
        review.reason = reason
        review.overdueWorkingDays = today > open.deadline ? try policy.calendar.workingDays(between: open.deadline, and: today) : 0
        return review
    }

    private func report(_ hash: String, _ findings: [String], positive: Bool) throws(CCERError) {
        try sha256(hash, "report SHA-256")
        try count(findings, limits.maxFindingsPerReport, "maxFindingsPerReport")
        for finding in findings { try text(finding, "finding") }
        guard positive || !findings.isEmpty else {
            throw CCERError(.invalidArgument, "a negative conclusion states its findings")
        }
    }

    /// Registry account ids and body ids: A-Z, 0-9 and '-', 1-32 bytes.
    private func symbol(_ value: String, _ field: String) throws(CCERError) {
        let ok = !value.isEmpty && value.utf8.count <= 32
            && value.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard ok else { throw CCERError(.invalidArgument, "\(field) '\(value)' must be 1-32 of A-Z, 0-9 and '-'") }
    }

    private func name(_ value: String, _ field: String) throws(CCERError) {
        try bounded(value, field, limits.maxNameLength, "maxNameLength")
    }

    private func text(_ value: String, _ field: String) throws(CCERError) {
        try bounded(value, field, limits.maxTextLength, "maxTextLength")
    }

    private func bounded(_ value: String, _ field: String, _ limit: Int, _ limitName: String) throws(CCERError) {
        guard !value.allSatisfy(\.isWhitespace) else { throw CCERError(.invalidArgument, "\(field) is empty") }
        guard value.unicodeScalars.count <= limit else { throw CCERError(.limitExceeded, "\(field) is longer than \(limitName) (\(limit))") }
    }

    private func count(_ values: [String], _ limit: Int, _ limitName: String) throws(CCERError) {
        guard values.count <= limit else { throw CCERError(.limitExceeded, "\(limitName) is \(limit)") }
    }

    private func tonnes(_ value: Int64, _ field: String, allowZero: Bool) throws(CCERError) {
        guard value > 0 || (allowZero && value == 0) else {
            throw CCERError(.invalidArgument, "\(field) must be \(allowZero ? "zero or more" : "a positive number of") tonnes")
        }
        guard value <= limits.maxQuantityT else { throw CCERError(.limitExceeded, "\(field) is over maxQuantityT (\(limits.maxQuantityT))") }
    }

    private func sha256(_ value: String, _ field: String) throws(CCERError) {
        guard value.utf8.count == 64, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw CCERError(.invalidArgument, "\(field) must be 64 lowercase hex digits")
        }
    }

    /// `date` plus `n` calendar years; 29 February becomes 28 February in a common year.
    static func years(_ n: Int, after date: CivilDate) -> CivilDate {
        let year = date.year + n
        return CivilDate(year: year, month: date.month, day: min(date.day, CivilDate.daysIn(month: date.month, year: year)))
    }
}
