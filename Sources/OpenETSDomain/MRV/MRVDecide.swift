/// The MRV platform's rules. `decide` never changes state; it returns the events of an accepted
/// command or throws the first rule it breaks.
///
/// Checks run in a fixed order, so the error code of a command that breaks several rules is
/// stable (docs/mrv.md): field values and named limits; existence of entities, facilities,
/// verifiers, plans, months, reports and findings; policy tables for the year; time (month or
/// year not over); state (duplicates, transitions, locks, conflicts); the data's values.
extension MRVState {
    public func decide(_ command: MRVCommand, at now: Timestamp, policy: MRVPolicyTables) throws(MRVError) -> [MRVEvent] {
        let rules = MRVRules(state: self, tables: policy, now: now)
        switch command {
        case .registerEntity(let uscc, let name, let province, let city, let sector, let group):
            return try rules.registerEntity(uscc, name, province, city, sector, group)
        case .registerFacility(let facility): return try rules.registerFacility(facility)
        case .registerVerifier(let verifier): return try rules.registerVerifier(verifier)
        case .declareConsultant(let entity, let verifier, let year): return try rules.declareConsultant(entity, verifier, year)
        case .submitControlPlan(let facility, let items): return try rules.submitControlPlan(facility, items)
        case .approveControlPlan(let facility, let version): return try rules.decidePlan(facility, version, reasons: nil)
        case .returnControlPlan(let facility, let version, let reasons): return try rules.decidePlan(facility, version, reasons: reasons)
        case .submitMonth(let data): return try rules.submitMonth(data)
        case .correctMonth(let data, let reason): return try rules.correctMonth(data, reason)
        case .replaceEvidence(let month, let evidence, let reason): return try rules.replaceEvidence(month, evidence, reason)
        case .addEvidence(let month, let evidence, let reason): return try rules.addEvidence(month, evidence, reason)
        case .submitReport(let entity, let year): return try rules.submitReport(entity, year, reason: nil)
        case .resubmitReport(let entity, let year, let reason): return try rules.submitReport(entity, year, reason: reason)
        case .assignVerifier(let entity, let year, let verifier): return try rules.assignVerifier(entity, year, verifier)
        case .recordFinding(let entity, let year, let verifier, let facility, let month, let item, let description, let correction):
            return try rules.recordFinding(entity, year, verifier, facility, month, item, description, correction)
        case .resolveFinding(let entity, let year, let finding, let response): return try rules.resolveFinding(entity, year, finding, response)
        case .concludeVerification(let entity, let year, let verifier, let facilities):
            return try rules.conclude(entity, year, verifier, facilities)
        case .approveReview(let entity, let year, let level): return try rules.review(entity, year, level, reasons: nil)
        case .returnReview(let entity, let year, let level, let reasons): return try rules.review(entity, year, level, reasons: reasons)
        }
    }
}

private struct MRVRules {
    let state: MRVState
    let tables: MRVPolicyTables
    let now: Timestamp
    /// Today in Beijing: deadlines and "month over" are judged on it.
    let today: CivilDate
    /// Limits of the latest table, for commands that name no data year.
    let limits: MRVLimits

    init(state: MRVState, tables: MRVPolicyTables, now: Timestamp) {
        self.state = state
        self.tables = tables
        self.now = now
        self.today = BeijingTime.date(now)
        self.limits = tables.current.limits
    }

    // MARK: registration

    func registerEntity(_ uscc: String, _ name: String, _ province: String, _ city: String, _ sector: MRVSector, _ group: String?)
        throws(MRVError) -> [MRVEvent]
    {
        guard let code = UnifiedSocialCreditCode(uscc) else {
            throw MRVError(.invalidUSCC, "'\(uscc)' is not a unified social credit code (18 characters, check character)")
        }
        try text(name, "name")
        try text(province, "province")
        try text(city, "city")
        if let group { try text(group, "group") }
        let id = MRVEntityID(code.value)
        guard state.entities[id] == nil else { throw MRVError(.duplicateEntity, "entity \(id) is registered") }
        return [.entityRegistered(MRVEntity(id: id, name: name, province: province, city: city, sector: sector, group: group))]
    }

    func registerFacility(_ facility: Facility) throws(MRVError) -> [MRVEvent] {
        try identifier(facility.id.rawValue, "facility id")
        try text(facility.name, "name")
        guard !facility.fuels.isEmpty, Set(facility.fuels).count == facility.fuels.count else {
            throw MRVError(.invalidValue, "\(facility.id): fuels must be listed, each once")
        }
        guard (facility.kind == .power) == (facility.power != nil) else {
            throw MRVError(.invalidValue, "\(facility.id): power units (and only they) give category, capacity and cooling")
        }
        if let power = facility.power {
            try MRVAccounting.amount(power.capacityMW, "capacity_mw", facility.id.rawValue, max: limits.maxCapacityMW, limits)
            guard power.capacityMW != .zero else { throw MRVError(.invalidValue, "\(facility.id): capacity_mw must be positive") }
            let fuel: Fuel = power.category == .gas ? .naturalGas : .coal
            guard facility.fuels.contains(fuel) else {
                throw MRVError(.invalidValue, "\(facility.id): a \(power.category.rawValue) unit burns \(fuel.rawValue)")
            }
        }
        guard state.entities[facility.entity] != nil else { throw MRVError(.unknownEntity, "no entity \(facility.entity)") }
        guard state.facilities[facility.id] == nil else { throw MRVError(.duplicateFacility, "facility \(facility.id) is registered") }
        guard state.facilitiesByEntity[facility.entity, default: []].count < limits.maxFacilitiesPerEntity else {
            throw MRVError(.limitExceeded, "at most \(limits.maxFacilitiesPerEntity) facilities per entity")
        }
        return [.facilityRegistered(facility)]
    }

    func registerVerifier(_ verifier: Verifier) throws(MRVError) -> [MRVEvent] {
        try identifier(verifier.id.rawValue, "verifier id")
        try text(verifier.name, "name")
        guard state.verifiers[verifier.id] == nil else { throw MRVError(.duplicateVerifier, "verifier \(verifier.id) is registered") }
        return [.verifierRegistered(verifier)]
    }

    func declareConsultant(_ entity: MRVEntityID, _ verifier: VerifierID, _ year: Int) throws(MRVError) -> [MRVEvent] {
        guard state.entities[entity] != nil else { throw MRVError(.unknownEntity, "no entity \(entity)") }
        guard state.verifiers[verifier] != nil else { throw MRVError(.unknownVerifier, "no verifier \(verifier)") }
        _ = try tables.platform(year)
        return [.consultantDeclared(entity: entity, verifier: verifier, year: year)]
    }

    // MARK: control plans

    func submitControlPlan(_ facility: FacilityID, _ items: [DataItemPlan]) throws(MRVError) -> [MRVEvent] {
        guard !items.isEmpty, items.count <= limits.maxPlanItems else {
            throw MRVError(.limitExceeded, "a control plan has 1-\(limits.maxPlanItems) data items")
        }
        var names: Set<String> = []
        for item in items {
            try text(item.item, "item")
            guard names.insert(item.item).inserted else { throw MRVError(.invalidValue, "data item \(item.item) is listed twice") }
            try text(item.fallback, "\(item.item): fallback")
            switch item.source {
            case .measured:
                guard let method = item.method, let meter = item.meter, let frequency = item.frequency else {
                    throw MRVError(.invalidValue, "\(item.item): a measured item names its method, meter and frequency")
                }
                try text(method, "\(item.item): method")
                try text(meter, "\(item.item): meter")
                try text(frequency, "\(item.item): frequency")
                if let lab = item.lab { try text(lab, "\(item.item): lab") }
            case .defaultValue, .calculated:
                guard item.meter == nil, item.lab == nil else {
                    throw MRVError(.invalidValue, "\(item.item): only measured items name a meter or laboratory")
                }
            }
        }
        guard state.facilities[facility] != nil else { throw MRVError(.unknownFacility, "no facility \(facility)") }
        let versions = state.plans[facility, default: []]
        guard versions.last?.status != .submitted else {
            throw MRVError(.planUnderReview, "\(facility): version \(versions.count) is under review")
        }
        let plan = ControlPlan(facility: facility, version: versions.count + 1, items: items, status: .submitted, submittedAt: now)
        return [.controlPlanSubmitted(plan)]
    }

    /// Approves (`reasons` nil) or returns a submitted version.
    func decidePlan(_ facility: FacilityID, _ version: Int, reasons: [String]?) throws(MRVError) -> [MRVEvent] {
        if let reasons { try self.reasons(reasons) }
        guard state.facilities[facility] != nil else { throw MRVError(.unknownFacility, "no facility \(facility)") }
        let versions = state.plans[facility, default: []]
        guard (1...max(versions.count, 1)).contains(version), !versions.isEmpty else {
            throw MRVError(.unknownPlan, "\(facility) has no control plan version \(version)")
        }
        guard versions[version - 1].status == .submitted else {
            throw MRVError(.invalidTransition, "\(facility) plan version \(version) is \(versions[version - 1].status.rawValue), not submitted")
        }
        guard let reasons else {
            let superseded = versions.last { $0.status == .approved }?.version
            return [.controlPlanApproved(facility: facility, version: version, superseded: superseded, at: now)]
        }
        return [.controlPlanReturned(facility: facility, version: version, reasons: reasons, at: now)]
    }

    // MARK: monthly data

    /// The facility, policy tables and checked figures of a month's data.
    func checkedMonth(_ data: MonthlyData) throws(MRVError) -> (Facility, MRVPlatformPolicy) {
        guard let facility = state.facilities[data.facility] else { throw MRVError(.unknownFacility, "no facility \(data.facility)") }
        guard (1...12).contains(data.month) else { throw MRVError(.invalidMonth, "\(data.key): month must be 1-12") }
        let platform = try tables.platform(data.year)
        let accounting = try tables.accounting(data.year)
        guard today > MRVDeadlines.lastDay(year: data.year, month: data.month) else {
            throw MRVError(.monthNotEnded, "\(data.key): the month is not over (today is \(today))")
        }
        _ = try MRVAccounting.validate(data, facility: facility, accounting: accounting, platform: platform)
        return (facility, platform)
    }

    func submitMonth(_ data: MonthlyData) throws(MRVError) -> [MRVEvent] {
        guard state.months[data.key] == nil else {
            throw MRVError(.monthAlreadySubmitted, "\(data.key) is submitted; send a correction to change it")
        }
        let (_, platform) = try checkedMonth(data)
        let due = MRVDeadlines.monthlyDue(year: data.year, month: data.month, dueDays: platform.monthlyDueDays)
        let (compliant, substitutions) = planCompliant(data)
        return [.monthSubmitted(compliant, at: now, late: today > due)]
            + (substitutions.isEmpty ? [] : [.parametersDefaulted(month: data.key, substitutions: substitutions)])
    }

    /// "Defaults applied where a value is not measured compliantly": a measured or calculated
    /// NCV, carbon content or oxidation rate of a fuel whose item (`coal.ncv`, `coal.carbon`,
    /// `coal.oxidation`) the facility's approved control plan takes as the default, or a
    /// measured carbon content whose plan item names no laboratory, is replaced by the year's
    /// default (listed in `defaults_used` like any default); the submitted value is kept in a
    /// `DefaultSubstitution`. Without an approved plan, or for items the plan does not name,
    /// values count as given.
    func planCompliant(_ data: MonthlyData) -> (MonthlyData, [DefaultSubstitution]) {
        guard let plan = state.approvedPlan(data.facility) else { return (data, []) }
        var planned: [String: DataItemPlan] = [:]
        for item in plan.items where planned[item.item] == nil { planned[item.item] = item }
        var result = data
        var substitutions: [DefaultSubstitution] = []
        func reason(_ item: String, _ value: TaggedValue?, needsLab: Bool) -> (TaggedValue, String)? {
            guard let value, value.value != nil, value.source != .defaultValue, let entry = planned[item] else { return nil }
            if entry.source == .defaultValue {
                return (value, "control plan v\(plan.version) takes the default for \(item); a \(value.source.rawValue) value is not compliant")
            }
            if needsLab, value.source == .measured, entry.source == .measured, !(entry.lab ?? "").contains(where: { !$0.isWhitespace }) {
                return (value, "control plan v\(plan.version) names no laboratory for \(item)")
            }
            return nil
        }
        for (index, line) in data.fuels.enumerated() {
            let fuel = line.fuel.rawValue
            if case let (value, why)? = reason("\(fuel).ncv", line.ncvGJPerUnit, needsLab: false) {
                substitutions.append(DefaultSubstitution(item: "\(fuel).ncv", submitted: value, reason: why))
                result.fuels[index].ncvGJPerUnit = .defaulted
            }
            if let carbon = line.carbon, case let (value, why)? = reason("\(fuel).carbon", carbon.value, needsLab: true) {
                substitutions.append(DefaultSubstitution(item: "\(fuel).carbon", submitted: value, reason: why))
                result.fuels[index].carbon = nil
            }
            if case let (value, why)? = reason("\(fuel).oxidation", line.oxidation, needsLab: false) {
                substitutions.append(DefaultSubstitution(item: "\(fuel).oxidation", submitted: value, reason: why))
                result.fuels[index].oxidation = .defaulted
            }
        }
        return (result, substitutions)
    }

    func correctMonth(_ data: MonthlyData, _ reason: String) throws(MRVError) -> [MRVEvent] {
        try self.reasons([reason])
        guard let record = state.months[data.key] else { throw MRVError(.monthNotSubmitted, "\(data.key) is not submitted") }
        let (facility, _) = try checkedMonth(data)
        try unlocked(facility.entity, data.year)
        let (compliant, substitutions) = planCompliant(data)
        guard record.data != compliant || record.substitutions != substitutions else {
            throw MRVError(.invalidValue, "\(data.key): the correction changes nothing")
        }
        return [.monthCorrected(compliant, reason: reason, at: now)]
            + (substitutions.isEmpty ? [] : [.parametersDefaulted(month: data.key, substitutions: substitutions)])
    }

    func replaceEvidence(_ key: FacilityMonth, _ evidence: [EvidenceFile], _ reason: String) throws(MRVError) -> [MRVEvent] {
        try self.reasons([reason])
        try MRVAccounting.checkEvidence(evidence, key.description, limits)
        guard !evidence.isEmpty else { throw MRVError(.invalidEvidence, "\(key): at least one evidence file") }
        guard let record = state.months[key] else { throw MRVError(.monthNotSubmitted, "\(key) is not submitted") }
        try unlocked(state.facilities[key.facility]!.entity, key.year)
        guard record.data.evidence != evidence else { throw MRVError(.invalidValue, "\(key): the evidence is unchanged") }
        return [.evidenceReplaced(month: key, evidence: evidence, reason: reason, at: now)]
    }

    /// The current list with `added` merged in: a file of the same name replaced where it is
    /// listed, the others appended in order; then the rules of `replaceEvidence` (limits, the
    /// month submitted and unlocked, a change). Adding files already listed as they are is
    /// INVALID_VALUE (the evidence is unchanged).
    func addEvidence(_ key: FacilityMonth, _ added: [EvidenceFile], _ reason: String) throws(MRVError) -> [MRVEvent] {
        try self.reasons([reason])
        guard !added.isEmpty else { throw MRVError(.invalidEvidence, "\(key): at least one evidence file to add") }
        try MRVAccounting.checkEvidence(added, key.description, limits)
        for (index, file) in added.enumerated() where added[..<index].contains(where: { $0.name == file.name }) {
            throw MRVError(.invalidEvidence, "\(key): \(file.name) is added twice")
        }
        guard let record = state.months[key] else { throw MRVError(.monthNotSubmitted, "\(key) is not submitted") }
        var merged = record.data.evidence.map { current in added.first { $0.name == current.name } ?? current }
        let listed = Set(merged.map(\.name))
        merged += added.filter { !listed.contains($0.name) }
        return try replaceEvidence(key, merged, reason)
    }

    /// Months may change until the verifier concludes (and again after a review return).
    func unlocked(_ entity: MRVEntityID, _ year: Int) throws(MRVError) {
        if let report = state.reports[ReportKey(entity: entity, year: year)], ![.submitted, .verifying].contains(report.status) {
            throw MRVError(.reportLocked, "the \(year) report of \(entity) is \(report.status.rawValue): its data can no longer change")
        }
    }

    // MARK: annual report

    /// First submission (`reason` nil) or a resubmission that re-assembles the report.
    func submitReport(_ entityID: MRVEntityID, _ year: Int, reason: String?) throws(MRVError) -> [MRVEvent] {
        if let reason { try reasons([reason]) }
        guard let entity = state.entities[entityID] else { throw MRVError(.unknownEntity, "no entity \(entityID)") }
        let platform = try tables.platform(year)
        let accounting = try tables.accounting(year)
        guard today.year > year else { throw MRVError(.yearNotEnded, "data year \(year) is not over (today is \(today))") }
        let key = ReportKey(entity: entityID, year: year)
        let existing = state.reports[key]
        if reason == nil, existing != nil {
            throw MRVError(.reportAlreadySubmitted, "the \(year) report of \(entityID) is submitted; resubmit it after corrections")
        }
        if reason != nil {
            guard existing != nil else { throw MRVError(.unknownReport, "no \(year) report of \(entityID)") }
            try unlocked(entityID, year)
        }
        let summaries = try assemble(entity, year, accounting, platform)
        if var report = existing {
            report.previousVersions.append(report.facilities)
            report.facilities = summaries
            report.version += 1
            return [.reportSubmitted(report)]
        }
        let deadline = platform.reportDeadline(entity.sector)
        let report = AnnualReport(
            entity: entityID, year: year, version: 1, status: .submitted, facilities: summaries, submittedAt: now, deadline: deadline,
            late: today > deadline, verificationDeadline: platform.verificationDeadline(entity.sector))
        return [.reportSubmitted(report)]
    }

    func assemble(_ entity: MRVEntity, _ year: Int, _ accounting: MRVPolicy, _ platform: MRVPlatformPolicy) throws(MRVError)
        -> [FacilityYearSummary]
    {
        let facilityIDs = state.facilitiesByEntity[entity.id, default: []]
        guard !facilityIDs.isEmpty else { throw MRVError(.noFacilities, "\(entity.id) has no facilities") }
        var missing: [String] = []
        for id in facilityIDs {
            for month in 1...12 where state.months[FacilityMonth(facility: id, year: year, month: month)] == nil {
                missing.append(FacilityMonth(facility: id, year: year, month: month).description)
            }
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(12).joined(separator: ", ")
            throw MRVError(.monthsMissing, "\(missing.count) facility-months are missing: \(shown)\(missing.count > 12 ? ", …" : "")")
        }
        var summaries: [FacilityYearSummary] = []
        for id in facilityIDs {
            let records = (1...12).map { state.months[FacilityMonth(facility: id, year: year, month: $0)]! }
            summaries.append(
                try MRVAccounting.summary(
                    state.facilities[id]!, months: records.map(\.data), corrections: records.reduce(0) { $0 + $1.corrections },
                    accounting: accounting, platform: platform))
        }
        return summaries
    }

    // MARK: verification

    func report(_ entity: MRVEntityID, _ year: Int) throws(MRVError) -> AnnualReport {
        guard let report = state.reports[ReportKey(entity: entity, year: year)] else {
            throw MRVError(.unknownReport, "no \(year) report of \(entity)")
        }
        return report
    }

    func assignVerifier(_ entity: MRVEntityID, _ year: Int, _ verifier: VerifierID) throws(MRVError) -> [MRVEvent] {
        let report = try self.report(entity, year)
        guard state.verifiers[verifier] != nil else { throw MRVError(.unknownVerifier, "no verifier \(verifier)") }
        let platform = try tables.platform(year)
        guard report.status == .submitted else {
            throw MRVError(.invalidTransition, "the \(year) report of \(entity) is \(report.status.rawValue), not awaiting a verifier")
        }
        for past in (year - platform.consultantCoolingOffYears)...year
        where state.consultancies.contains(MRVState.Consultancy(entity: entity, verifier: verifier, year: past)) {
            throw MRVError(.verifierConflict, "\(verifier) was \(entity)'s consultant for \(past)")
        }
        var running = 0
        while state.reports[ReportKey(entity: entity, year: year - running - 1)]?.verifier == verifier { running += 1 }
        guard running < platform.maxConsecutiveYearsSameVerifier else {
            throw MRVError(
                .verifierConflict, "\(verifier) verified \(entity) for the \(running) years before; at most \(platform.maxConsecutiveYearsSameVerifier) running")
        }
        return [.verifierAssigned(report: report.key, verifier: verifier, at: now)]
    }

    /// The report, in verification, with `verifier` assigned to it.
    func verifying(_ entity: MRVEntityID, _ year: Int, _ verifier: VerifierID?) throws(MRVError) -> AnnualReport {
        let report = try self.report(entity, year)
        guard report.status == .verifying else {
            throw MRVError(.invalidTransition, "the \(year) report of \(entity) is \(report.status.rawValue), not in verification")
        }
        if let verifier, report.verifier != verifier {
            throw MRVError(.notAssignedVerifier, "\(verifier) is not the verifier assigned to the \(year) report of \(entity)")
        }
        return report
    }

    func recordFinding(
        _ entity: MRVEntityID, _ year: Int, _ verifier: VerifierID, _ facility: FacilityID, _ month: Int?, _ item: String,
        _ description: String, _ correction: String
    ) throws(MRVError) -> [MRVEvent] {
        try text(item, "item")
        try text(description, "description")
        try text(correction, "required correction")
        if let month, !(1...12).contains(month) { throw MRVError(.invalidMonth, "month must be 1-12") }
        let report = try verifying(entity, year, verifier)
        guard report.facilities.contains(where: { $0.facility == facility }) else {
            throw MRVError(.unknownFacility, "\(facility) is not in the \(year) report of \(entity)")
        }
        guard report.findings.count < limits.maxFindingsPerReport else {
            throw MRVError(.limitExceeded, "at most \(limits.maxFindingsPerReport) findings per report")
        }
        let finding = Finding(
            number: report.findings.count + 1, facility: facility, month: month, item: item, description: description,
            requiredCorrection: correction, recordedAt: now)
        return [.findingRecorded(report: report.key, finding: finding)]
    }

    func resolveFinding(_ entity: MRVEntityID, _ year: Int, _ number: Int, _ response: String) throws(MRVError) -> [MRVEvent] {
        try text(response, "response")
        let report = try verifying(entity, year, nil)
        guard (1...max(report.findings.count, 1)).contains(number), !report.findings.isEmpty else {
            throw MRVError(.unknownFinding, "the \(year) report of \(entity) has no finding \(number)")
        }
        guard report.findings[number - 1].isOpen else { throw MRVError(.findingResolved, "finding \(number) is resolved") }
        return [.findingResolved(report: report.key, finding: number, response: response, at: now)]
    }

    func conclude(_ entity: MRVEntityID, _ year: Int, _ verifier: VerifierID, _ verified: [VerifiedFacility]) throws(MRVError)
        -> [MRVEvent]
    {
        for facility in verified {
            let at = facility.facility.rawValue
            try MRVAccounting.amount(facility.emissionsT, "verified emissions", at, max: limits.maxVerifiedEmissionsT, limits)
            guard MRVAccounting.places(facility.emissionsT) <= 2 else {
                throw MRVError(.invalidValue, "\(at): verified emissions have at most 2 decimals")
            }
            try MRVAccounting.amount(facility.output, "verified output", at, max: limits.maxVerifiedEmissionsT, limits)
        }
        let report = try verifying(entity, year, verifier)
        let open = report.findings.filter(\.isOpen).map(\.number)
        guard open.isEmpty else { throw MRVError(.openFindings, "findings \(open.map(String.init).joined(separator: ", ")) are open") }
        let expected = report.facilities.map(\.facility)
        guard verified.map(\.facility).sorted() == expected.sorted() else {
            throw MRVError(.invalidValue, "verify each facility of the report once: \(expected.map(\.rawValue).joined(separator: ", "))")
        }
        return [.verificationConcluded(report: report.key, facilities: verified, at: now, late: today > report.verificationDeadline)]
    }

    /// Approves (`reasons` nil) or returns at one level of the three-level review.
    func review(_ entity: MRVEntityID, _ year: Int, _ level: ReviewLevel, reasons: [String]?) throws(MRVError) -> [MRVEvent] {
        if let reasons { try self.reasons(reasons) }
        let report = try self.report(entity, year)
        let expected: ReviewLevel
        switch report.status {
        case .concluded: expected = .city
        case .cityApproved: expected = .province
        case .provinceApproved: expected = .national
        case .submitted, .verifying, .approved:
            throw MRVError(.invalidTransition, "the \(year) report of \(entity) is \(report.status.rawValue), not under review")
        }
        guard level == expected else {
            throw MRVError(.reviewOutOfOrder, "the \(year) report of \(entity) awaits the \(expected.rawValue) review, not \(level.rawValue)")
        }
        let record = ReviewRecord(level: level, approved: reasons == nil, reasons: reasons ?? [], at: now)
        return [.reportReviewed(report: report.key, review: record)]
    }

    // MARK: field checks

    func text(_ value: String, _ field: String) throws(MRVError) {
        guard value.contains(where: { !$0.isWhitespace }), value.unicodeScalars.count <= limits.maxTextLength else {
            throw MRVError(.invalidValue, "\(field): 1-\(limits.maxTextLength) characters, not blank")
        }
    }

    func identifier(_ value: String, _ field: String) throws(MRVError) {
        guard !value.isEmpty, value.utf8.count <= limits.maxIDLength,
            value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 || $0 == 46 })
        else { throw MRVError(.invalidValue, "\(field) '\(value)': 1-\(limits.maxIDLength) of A-Z a-z 0-9 - _ .") }
    }

    func reasons(_ reasons: [String]) throws(MRVError) {
        guard !reasons.isEmpty, reasons.contains(where: { $0.contains { !$0.isWhitespace } }) else {
            throw MRVError(.reasonRequired, "give a reason")
        }
        guard reasons.count <= limits.maxReasons else { throw MRVError(.limitExceeded, "at most \(limits.maxReasons) reasons") }
        for reason in reasons { try text(reason, "reason") }
    }
}
