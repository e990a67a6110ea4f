import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The MRV platform (monthly data, an entity's submissions and reports) and the allocation
/// cycle's compliance results. MRV commands go through `MRVService` like `openets mrv`, sent by
/// the token's entity (its registry account's owner id is its MRV entity id), so the MRV
/// platform's own permission table applies as well.
extension APIHandler {
    static let unavailableMRV = error("UNAVAILABLE", "this server runs without the MRV platform", ["part": "mrv"])
    static let unavailableCycle = error("UNAVAILABLE", "this server runs without the allocation cycle's records", ["part": "cycle"])

    // MARK: MRV

    func submitMonthlyData(_ input: Operations.SubmitMonthlyData.Input) async throws -> Operations.SubmitMonthlyData.Output {
        let body: Schemas.MonthlyDataUpload
        switch input.body { case .json(let json): body = json }
        let caller: Caller
        switch try await authorise(.mrvSubmit, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        guard let owner = await service.state.accounts[caller.account]?.ownerID else {
            return Self.forbidden(caller.principal, .mrvSubmit, "the user's account is unknown").output()
        }
        // Audited in the import's own transaction, with its outcome.
        let outcome = try await mrv.importMonths(
            csv: body.csv, idempotencyKey: caller.idempotencyKey, actor: .entity(MRVEntityID(owner)),
            audit: AuditNote(at: SystemClock().now(), user: caller.principal.user, action: "api_mrv_import_months", address: APIRequestInfo.address))
        switch outcome {
        case .accepted(let receipt):
            var months: [String] = []
            for event in receipt.events {
                if case .monthSubmitted(let data, _, _) = event {
                    months.append("\(data.facility.rawValue)/\(data.year)-\(data.month < 10 ? "0" : "")\(data.month)")
                }
            }
            return .created(.init(body: .json(Schemas.MRVResult(seq: receipt.seq, replayed: receipt.replayed, months: months))))
        case .rejected(let error):
            return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["command": "import_months"]))))
        case .rejectedRows(let errors, let total):
            let first = errors.first
            var details = ["command": "import_months", "badRows": String(errors.count), "rows": String(total)]
            if let first {
                details["row"] = String(first.row)
                if let column = first.column { details["column"] = column }
            }
            return .unprocessableContent(.init(body: .json(Self.error(
                first?.code.rawValue ?? "INVALID_INPUT", first.map { "row \($0.row): \($0.message)" } ?? "the CSV has bad rows", details))))
        }
    }

    func listMRVMonths(_ input: Operations.ListMRVMonths.Input) async throws -> Operations.ListMRVMonths.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = MRVEntityID(input.path.entityId)
        let state: MRVState
        switch try await mrvReader(id) {
        case .refused(let refusal): return refusal.guarded()
        case .unavailable: return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .unknown: return .notFound(.init(body: .json(Self.unknownEntity(id))))
        case .granted(let found): state = found
        }
        let facilities = Set(state.facilitiesByEntity[id] ?? [])
        let year = input.query.year.map(Int.init)
        let months = state.months.filter { facilities.contains($0.key.facility) && (year == nil || $0.key.year == year) }.sorted { $0.key < $1.key }
        let page = window.slice(months)
        return .ok(.init(body: .json(Schemas.MRVMonthPage(
            items: page.items.map {
                Schemas.MRVMonth(
                    facility: $0.key.facility.rawValue, year: $0.key.year, month: $0.key.month, submittedAt: utc($0.value.submittedAt),
                    late: $0.value.late, corrections: $0.value.corrections)
            },
            total: page.total, nextOffset: page.next))))
    }

    func listMRVReports(_ input: Operations.ListMRVReports.Input) async throws -> Operations.ListMRVReports.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = MRVEntityID(input.path.entityId)
        let state: MRVState
        switch try await mrvReader(id) {
        case .refused(let refusal): return refusal.guarded()
        case .unavailable: return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .unknown: return .notFound(.init(body: .json(Self.unknownEntity(id))))
        case .granted(let found): state = found
        }
        let reports = state.reports.values.filter { $0.entity == id }.sorted { $0.year < $1.year }
        let page = window.slice(reports)
        return .ok(.init(body: .json(Schemas.MRVReportPage(
            items: page.items.map {
                Schemas.MRVReport(
                    entity: $0.entity.rawValue, year: $0.year, version: $0.version, status: Self.reportStatus($0.status),
                    submittedAt: utc($0.submittedAt), deadline: $0.deadline.description, late: $0.late, verifier: $0.verifier?.rawValue,
                    verificationDeadline: $0.verificationDeadline.description)
            },
            total: page.total, nextOffset: page.next))))
    }

    enum MRVRead {
        case granted(MRVState)
        case refused(Refusal)
        case unavailable
        case unknown
    }

    /// A read about one MRV entity: the role may `mrv_view`; a participant reads only its own
    /// entity (its account's owner id), provincial staff only entities of their province, city
    /// staff only those of their city; staff without their province (or city) read nothing.
    func mrvReader(_ id: MRVEntityID) async throws -> MRVRead {
        let principal: Principal
        switch try await self.principal(.mrvView) {
        case .failure(let refusal): return .refused(refusal)
        case .success(let found): principal = found
        }
        if let account = principal.account {
            let owner = await service.state.accounts[account]?.ownerID
            guard owner == id.rawValue else { return .refused(Self.forbidden(principal, .mrvView, "entity \(id.rawValue) is not the caller's")) }
        }
        guard let mrv else { return .unavailable }
        let state = await mrv.state
        guard let entity = state.entities[id] else { return .unknown }
        if principal.account == nil {
            switch principal.role {
            case .province:
                guard let province = principal.province, entity.province == province else {
                    return .refused(Self.forbidden(principal, .mrvView, "entity \(id.rawValue) is in \(entity.province)"))
                }
            case .city:
                guard let province = principal.province, let city = principal.city, entity.province == province, entity.city == city else {
                    return .refused(Self.forbidden(principal, .mrvView, "entity \(id.rawValue) is in \(entity.province) \(entity.city)"))
                }
            default:
                break
            }
        }
        return .granted(state)
    }

    /// Where a non-participant reader may read: provincial and city staff their own province
    /// (refused when the user has none recorded: fail closed), national roles everywhere.
    /// Participants are scoped by their account, not here.
    enum ReadScope: Equatable {
        case national
        case province(String)
        case refused
    }

    static func readScope(_ principal: Principal) -> ReadScope {
        switch principal.role {
        // Provincial and city staff are held to their province even if a user of theirs were
        // ever bound to an account (no path makes one today).
        case .province, .city: return principal.province.map(ReadScope.province) ?? .refused
        default: return .national
        }
    }

    static func unknownEntity(_ id: MRVEntityID) -> Schemas._Error {
        error("UNKNOWN_ENTITY", "no MRV entity \(id.rawValue)", ["entity": id.rawValue])
    }

    static func reportStatus(_ status: ReportStatus) -> Schemas.MRVReport.StatusPayload {
        switch status {
        case .submitted: .submitted
        case .verifying: .verifying
        case .concluded: .concluded
        case .cityApproved: .cityApproved
        case .provinceApproved: .provinceApproved
        case .approved: .approved
        }
    }

    // MARK: compliance

    /// The assessments of every done surrender stage of `year` (one per sector plan, whether a
    /// shipped or a published plan), each with its plan id, in plan order; nil when none is done.
    /// An entity under two sector plans has two assessments (two obligations).
    func assessments(year: Int, cycle: any AllocationCycleStore) async throws -> [(plan: String, assessment: ComplianceAssessment)]? {
        let stages = try await cycle.doneStages(.surrender).filter { $0.plan.year == year }.sorted { $0.plan.planID < $1.plan.planID }
        guard !stages.isEmpty else { return nil }
        return stages.flatMap { stage in (stage.plan.compliance ?? []).map { (stage.plan.planID, $0) } }
    }

    static func notAssessed(_ year: Int) -> Schemas._Error {
        error("NOT_ASSESSED", "the surrender stage of \(year) is not done", ["year": String(year)])
    }

    func listComplianceByProvince(_ input: Operations.ListComplianceByProvince.Input) async throws -> Operations.ListComplianceByProvince.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        guard let cycle else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year)
        guard let found = try await assessments(year: year, cycle: cycle) else { return .notFound(.init(body: .json(Self.notAssessed(year)))) }
        let page = window.slice(ComplianceByProvince.rows(found.map(\.assessment)))
        return .ok(.init(body: .json(Schemas.ComplianceRowPage(
            items: page.items.map {
                Schemas.ComplianceRow(
                    scope: $0.scope, entities: $0.entities, compliantEntities: $0.compliantEntities, obligationTonnes: $0.obligationT,
                    surrenderedTonnes: $0.surrenderedT, shortfallTonnes: $0.shortfallT, complianceRateByCount: $0.rateByCount,
                    complianceRateByVolume: $0.rateByVolume)
            },
            total: page.total, nextOffset: page.next))))
    }

    func getEntityCompliance(_ input: Operations.GetEntityCompliance.Input) async throws -> Operations.GetEntityCompliance.Output {
        let id = AccountID(input.path.accountId)
        let principal: Principal
        switch try await reader(.viewCompliance, account: id) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let cycle else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year)
        guard let found = try await assessments(year: year, cycle: cycle) else { return .notFound(.init(body: .json(Self.notAssessed(year)))) }
        // The first plan (by id) that assessed the entity; `plan` names that plan.
        guard let (plan, assessment) = found.first(where: { $0.assessment.entity == id }) else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_ACCOUNT", "no assessment of \(id.rawValue) in \(year)", ["account": id.rawValue]))))
        }
        switch Self.readScope(principal) {
        case .national: break
        case .province(let province) where province == assessment.province: break
        case .province, .refused:
            return Self.forbidden(principal, .viewCompliance, "account \(id.rawValue) is in \(assessment.province)").guarded()
        }
        return .ok(.init(body: .json(Schemas.EntityCompliance(
            entity: assessment.entity.rawValue, province: assessment.province, year: year, plan: plan, verifiedTonnes: assessment.verifiedT,
            debtTonnes: assessment.debtT, obligationTonnes: assessment.obligationT, ccerUsableTonnes: assessment.ccerUsableT,
            surrenderedTonnes: assessment.surrenderedT, shortfallTonnes: assessment.shortfallT, status: assessment.status.rawValue))))
    }
}
