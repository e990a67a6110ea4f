import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// Allocation plans over the API (docs/allocation.md, "Plans in the store"): the catalogue and
/// one plan's versions and parameters are public, as the `/allocation/plans` pages; loading a
/// draft and publishing it (`openets plan load` / `publish`) need `plan_manage` (the MEE).
/// The same `AllocationPlanService` as the CLI, on the cycle's store.
extension APIHandler {
    var plans: AllocationPlanService? { cycle.map { AllocationPlanService(store: $0, clock: SystemClock()) } }

    func listAllocationPlans(_ input: Operations.ListAllocationPlans.Input) async throws -> Operations.ListAllocationPlans.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        guard let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let page = window.slice(try await plans.catalog())
        return .ok(.init(body: .json(Schemas.AllocationPlanListingPage(
            items: page.items.map { listing in
                let current = listing.current
                let inForce = listing.versions.last { $0.status == .published }.map(Self.planVersion) ?? listing.shipped.map(Self.shippedVersion)
                return Schemas.AllocationPlanListing(
                    id: listing.id, year: current?.year, sector: current?.sector, method: current?.method.rawValue, inForce: inForce,
                    versions: listing.versions.map(Self.planVersion))
            },
            total: page.total, nextOffset: page.next))))
    }

    func getAllocationPlan(_ input: Operations.GetAllocationPlan.Input) async throws -> Operations.GetAllocationPlan.Output {
        guard let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let id = input.path.planId
        let listing = try await plans.catalog().first { $0.id == id }
        let versions = listing?.versions ?? []
        let answer: (version: Schemas.AllocationPlanVersion, body: String)?
        if let wanted = input.query.version.map(Int.init) {
            answer = versions.first { $0.plan.version == wanted }.map { (Self.planVersion($0), $0.body) }
        } else if let published = versions.last(where: { $0.status == .published }) {
            answer = (Self.planVersion(published), published.body)
        } else if let shipped = listing?.shipped {
            answer = (Self.shippedVersion(shipped), AllocationPlanCodec.body(shipped))
        } else {
            // Only drafts: the latest is shown for review, as the web page does.
            answer = versions.last.map { (Self.planVersion($0), $0.body) }
        }
        guard let answer else {
            return .notFound(.init(body: .json(Self.error(
                "UNKNOWN_PLAN", "no plan \(id)" + (input.query.version.map { " version \($0)" } ?? ""), ["plan": String(id.prefix(64))]))))
        }
        let plan = try JSONDecoder().decode(Schemas.AllocationPlanDocument.self, from: Data(answer.body.utf8))
        return .ok(.init(body: .json(Schemas.AllocationPlanDetail(
            id: id, version: answer.version, plan: plan, versions: versions.map(Self.planVersion)))))
    }

    /// Stored Idempotency-Key (`idempotent`): a retry with the key answers the first answer.
    func loadAllocationPlan(_ input: Operations.LoadAllocationPlan.Input) async throws -> Operations.LoadAllocationPlan.Output {
        let document: Schemas.AllocationPlanDocument
        switch input.body { case .json(let json): document = json }
        let user: Principal
        switch try await planManager(key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        guard let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        return try await idempotentInWrite(
            "loadAllocationPlan", user: user.user, key: input.headers.idempotencyKey, parameters: [],
            body: try StoredJSON.canonical(document), audit: "api_plan_load"
        ) { ticket in
            let now = SystemClock().now()
            let plan: AllocationPlan
            do {
                plan = try JSONDecoder().decode(AllocationPlan.self, from: try JSONEncoder().encode(document))
            } catch {
                let message = "the body is not a plan: " + ((error as? DecodingError).map(Self.describe) ?? "unreadable")
                try await access.audit(now, user.user, "api_plan_load", "rejected INVALID_INPUT", APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error("INVALID_INPUT", message, ["command": "plan_load"])))))
            }
            do {
                // The line `accepted <id> v<n>` and the key's answer commit with the draft, in the
                // plan store's transaction.
                let note = AuditNote(at: now, user: user.user, action: "api_plan_load", address: APIRequestInfo.address)
                let result = try await plans.load(plan, by: user.user, audit: note) { try ticket.completion(Self.loaded(plan.id, $0)) }
                return .completedInWrite(Self.loaded(plan.id, result))
            } catch let error as AllocationError {
                try await access.audit(now, user.user, "api_plan_load", "rejected \(error.code.rawValue)", APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, ["command": "plan_load"])))))
            }
        }
    }

    /// Stored Idempotency-Key (`idempotent`): a retry with the key answers the first answer.
    func publishAllocationPlan(_ input: Operations.PublishAllocationPlan.Input) async throws -> Operations.PublishAllocationPlan.Output {
        let body: Schemas.PublishPlanRequest
        switch input.body { case .json(let json): body = json }
        let user: Principal
        switch try await planManager(key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        guard let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let id = input.path.planId, version = Int(body.version)
        return try await idempotentInWrite(
            "publishAllocationPlan", user: user.user, key: input.headers.idempotencyKey, parameters: [id],
            body: try StoredJSON.canonical(body), audit: "api_plan_publish"
        ) { ticket in
            let now = SystemClock().now()
            do {
                // The line `accepted <id> v<n>` and the key's answer commit with the publication, in
                // the plan store's transaction.
                let note = AuditNote(at: now, user: user.user, action: "api_plan_publish", address: APIRequestInfo.address)
                let published = try await plans.publish(id: id, version: version, by: user.user, audit: note) {
                    try ticket.completion(Self.published(id, $0))
                }
                return .completedInWrite(Self.published(id, published))
            } catch let error as AllocationError {
                try await access.audit(now, user.user, "api_plan_publish", "rejected \(error.code.rawValue)", APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(
                    error.code.rawValue, error.message, ["command": "plan_publish", "plan": String(id.prefix(64))])))))
            }
        }
    }

    /// A load's answer (`replayed` false): what the key stores and the first request gets.
    static func loaded(_ id: String, _ result: AllocationPlanService.LoadResult) -> Operations.LoadAllocationPlan.Output {
        .created(.init(body: .json(Schemas.AllocationPlanLoaded(
            id: id, stored: planVersion(result.stored), replayed: false, comparedWith: result.comparedWith,
            changes: result.changes.map { .init(path: $0.path, before: $0.before, after: $0.after) }))))
    }

    /// A publication's answer (`replayed` false).
    static func published(_ id: String, _ version: StoredAllocationPlan) -> Operations.PublishAllocationPlan.Output {
        .ok(.init(body: .json(Schemas.AllocationPlanPublished(id: id, version: planVersion(version), replayed: false))))
    }

    /// The plan manager's checks: a live token whose role may `plan_manage` (the MEE), and a
    /// well-formed Idempotency-Key. Plans are the nation's: no account or province scope.
    func planManager(key: String) async throws -> Result<Principal, Refusal> {
        switch try await principal(.planManage) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found):
            if let refusal = Self.keyRefusal(key) { return .failure(.badRequest(refusal)) }
            return .success(found)
        }
    }

    static func planVersion(_ stored: StoredAllocationPlan) -> Schemas.AllocationPlanVersion {
        Schemas.AllocationPlanVersion(
            version: stored.plan.version, status: Schemas.AllocationPlanVersion.StatusPayload(rawValue: stored.status.rawValue)!,
            sha256: stored.sha256, loadedBy: stored.loadedBy, loadedAt: utc(stored.loadedAt), publishedBy: stored.publishedBy,
            publishedAt: stored.publishedAt.map(utc), supersededAt: stored.supersededAt.map(utc))
    }

    static func shippedVersion(_ plan: AllocationPlan) -> Schemas.AllocationPlanVersion {
        Schemas.AllocationPlanVersion(version: plan.version, status: .shipped, sha256: AllocationPlanCodec.sha256(plan))
    }

    /// Where a body is not a plan: the coding path and what is wrong there.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : "\(path): "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context))\(context.debugDescription)"
        @unknown default: return "unreadable"
        }
    }
}

extension Operations.LoadAllocationPlan.Output: CommandOutput {}
extension Operations.PublishAllocationPlan.Output: CommandOutput {}

/// The compliance cycle over the API: a plan's timeline for a year (`openets cycle status`)
/// and the penalty notices (`openets cycle penalties`), read by the regulators
/// (`view_province`: provincial and city staff see their province only); the provincial
/// authority records a payment (`penalty_record`, own province).
extension APIHandler {
    func getComplianceCycle(_ input: Operations.GetComplianceCycle.Input) async throws -> Operations.GetComplianceCycle.Output {
        let principal: Principal
        switch try await self.principal(.viewProvince) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        let today: CivilDate
        if let text = input.query.today {
            guard let parsed = CivilDate(text) else {
                return .badRequest(.init(body: .json(Self.error("INVALID_INPUT", "today must be a date YYYY-MM-DD", ["today": String(text.prefix(32))]))))
            }
            today = parsed
        } else {
            today = BeijingTime.date(SystemClock().now())
        }
        let timeline: CycleTimeline, version: Int
        do {
            let plan = try await plans.resolve(id: id).plan
            version = plan.version
            timeline = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock()).timeline(plan: plan, year: year, today: today)
        } catch let error as AllocationError {
            return .notFound(.init(body: .json(Self.error(error.code.rawValue, error.message, ["plan": String(id.prefix(64)), "year": String(year)]))))
        }
        let accounts = await service.state.accounts
        let scope = Self.readScope(principal)
        guard scope != .refused else { return Self.forbidden(principal, .viewProvince, "the user has no province").guarded() }
        let entities = timeline.entities.filter { scope == .national || scope == .province(accounts[$0.entity]?.province ?? "") }
        let shown = Set(entities.map(\.entity))
        return .ok(.init(body: .json(Schemas.ComplianceCycle(
            plan: timeline.planID, planVersion: version, year: timeline.year, today: timeline.today.description,
            stages: timeline.stages.map {
                .init(name: Schemas.ComplianceCycleStage.NamePayload(rawValue: $0.name.rawValue)!, due: $0.due?.description, done: $0.done)
            },
            entities: entities.map {
                .init(entity: $0.entity.rawValue, province: accounts[$0.entity]?.province, state: $0.state, shortfallTonnes: $0.shortfallT)
            },
            reminders: timeline.reminders.filter { shown.contains($0.entity) }.map {
                .init(entity: $0.entity.rawValue, stage: $0.stage.rawValue, message: $0.message)
            }))))
    }

    func listPenaltyNotices(_ input: Operations.ListPenaltyNotices.Input) async throws -> Operations.ListPenaltyNotices.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let principal: Principal
        switch try await self.principal(.viewProvince) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let cycle else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let scope = Self.readScope(principal)
        guard scope != .refused else { return Self.forbidden(principal, .viewProvince, "the user has no province").guarded() }
        let notices = try await cycle.notices(year: Int(input.path.year)).filter { scope == .national || scope == .province($0.province) }
        let page = window.slice(notices)
        return .ok(.init(body: .json(Schemas.PenaltyNoticePage(items: page.items.map(Self.notice), total: page.total, nextOffset: page.next))))
    }

    /// Stored Idempotency-Key (`idempotent`). A notice that does not exist and a notice of
    /// another province are one answer, 404 NOT_FOUND, as the scoped reads give: ids of other
    /// provinces are not revealed.
    func markPenaltyPaid(_ input: Operations.MarkPenaltyPaid.Input) async throws -> Operations.MarkPenaltyPaid.Output {
        let principal: Principal
        switch try await self.principal(.penaltyRecord) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): principal = found
        }
        let key = input.headers.idempotencyKey
        if let refusal = Self.keyRefusal(key) { return .badRequest(.init(body: .json(refusal))) }
        guard let cycle else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.noticeId
        let scope = Self.readScope(principal)
        guard scope != .refused else { return Self.forbidden(principal, .penaltyRecord, "the user has no province").output() }
        return try await idempotentInWrite(
            "markPenaltyPaid", user: principal.user, key: key, parameters: [String(year), id], body: "", audit: "api_penalty_paid"
        ) { ticket in
            let now = SystemClock().now()
            let details = ["notice": String(id.prefix(64)), "year": String(year), "command": "penalty_paid"]
            // Provincial staff see only their own province's notices: another's is not there.
            guard let notice = try await cycle.notices(year: year).first(where: { $0.id == id }),
                scope == .national || scope == .province(notice.province)
            else {
                try await access.audit(now, principal.user, "api_penalty_paid", "rejected NOT_FOUND", APIRequestInfo.address)
                return .answer(.notFound(.init(body: .json(Self.error("NOT_FOUND", "no penalty notice \(id) for \(year) in the caller's scope", details)))))
            }
            do {
                // The line (`accepted <id>`) is written in the transaction that marks the notice paid.
                // "Already paid" is decided by that write alone (it moves an issued notice only), so a
                // call that lost a race to a concurrent payment is answered as a later call is.
                let note = AuditNote(at: now, user: principal.user, action: "api_penalty_paid", address: APIRequestInfo.address, summary: id)
                // The key's answer (the notice as paid) commits with the payment too.
                let paid = try await AllocationCycleService(registry: service, store: cycle, clock: SystemClock())
                    .markPaid(notice: id, year: year, audit: note) { try ticket.completion(Self.paid($0, replayed: false)) }
                return .completedInWrite(Self.paid(paid, replayed: false))
            } catch let error as AllocationError {
                // Paid already (by an earlier or a concurrent request, or the CLI): nothing changed;
                // the notice as it is, `replayed`.
                if error.code == .noticeStatus, let current = try await cycle.notices(year: year).first(where: { $0.id == id }),
                    current.status == .paid
                {
                    // Nothing was written: the answer is stored after, as `idempotent` stores it.
                    try await access.audit(now, principal.user, "api_penalty_paid", "replayed \(id)", APIRequestInfo.address)
                    return .answer(Self.paid(current, replayed: true))
                }
                try await access.audit(now, principal.user, "api_penalty_paid", "rejected \(error.code.rawValue)", APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, details)))))
            }
        }
    }

    static func paid(_ notice: PenaltyNotice, replayed: Bool) -> Operations.MarkPenaltyPaid.Output {
        .ok(.init(body: .json(Schemas.PenaltyNoticePaid(notice: Self.notice(notice), replayed: replayed))))
    }

    static func notice(_ notice: PenaltyNotice) -> Schemas.PenaltyNotice {
        Schemas.PenaltyNotice(
            id: notice.id, plan: notice.planID, year: notice.year, entity: notice.entity.rawValue, province: notice.province,
            regime: notice.regime.rawValue, shortfallTonnes: notice.shortfallT, averagePriceFen: notice.averagePriceFen, minFen: notice.minFen,
            maxFen: notice.maxFen, amountFen: notice.amountFen, deductionTonnes: notice.deductionT,
            status: Schemas.PenaltyNotice.StatusPayload(rawValue: notice.status.rawValue)!, issuedOn: notice.issuedOn.description)
    }
}

extension Operations.GetComplianceCycle.Output: TokenGuardedOutput {}
extension Operations.ListPenaltyNotices.Output: TokenGuardedOutput {}
extension Operations.MarkPenaltyPaid.Output: CommandOutput {}
