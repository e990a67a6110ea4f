import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The compliance cycle's runs over the API, the same `AllocationCycleService` calls as
/// `openets cycle …` (docs/allocation.md): the MEE runs a plan's stages (`cycle_run`), the
/// provincial authority issues its province's penalty notices (`penalty_record`), the
/// regulators read the reserve and the paid-allocation auction (`view_province`), everyone the
/// published statistics of a plan (as `/statistics/{year}`).
///
/// The Idempotency-Key of a stage run or of penalty issuing is stored with its answer
/// (`APIHandler.idempotent`, migration 24); with a new key a done stage answers its stored
/// result (`replayed`), and notices already issued are kept.
///
/// The audit is written with the change: each registry or exchange command of a stage carries
/// an `AuditNote` into the writer's transaction, and the penalty notices their line into the
/// cycle store's, and the carry-over's record its line into the cycle store's transaction that
/// stores it. Only what changes nothing is audited on its own: a done stage answered again, a
/// stage with no command to submit, and a refusal before any command.
extension APIHandler {
    /// The cycle on the registry's clock, the one the exchange judges an auction's window by.
    func cycleService(_ cycle: any AllocationCycleStore) -> AllocationCycleService {
        AllocationCycleService(registry: service, store: cycle, clock: RegistryClock(registry: service))
    }

    func runCycleStage(_ input: Operations.RunCycleStage.Input) async throws -> Operations.RunCycleStage.Output {
        let request: Schemas.CycleStageRunRequest
        switch input.body { case .json(let json): request = json }
        let user: Principal
        switch try await principal(.cycleRun) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        let key = input.headers.idempotencyKey
        guard Self.registryKey(user, key) != nil else { return .badRequest(.init(body: .json(Self.badKey))) }
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        let stage = CycleStage(rawValue: input.path.stage.rawValue)!
        // The key is stored with the answer: a retry with it gets the first run's answer (its
        // `applied` count), another request under it 422 IDEMPOTENCY_KEY_REUSED. A new key on a
        // done stage answers the stored stage (`alreadyDone`, `applied` 0).
        return try await idempotent(
            "runCycleStage", user: user.user, key: key, parameters: [String(year), id, stage.rawValue],
            body: try StoredJSON.canonical(request), audit: "api_cycle_stage"
        ) {
            let now = SystemClock().now()
            let details = ["command": "cycle_stage", "plan": String(id.prefix(64)), "year": String(year), "stage": stage.rawValue]
            let what = "\(id.prefix(64)) \(year) \(stage.rawValue)"
            let note = AuditNote(at: now, user: user.user, action: "api_cycle_stage", address: APIRequestInfo.address, summary: what)
            var code = "", message = ""
            // A command the registry or the exchange refused has its line already (written with the refusal).
            var audited = false
            do {
                let plan = try await plans.resolve(id: id).plan
                guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
                let run = try await runStage(stage, plan: plan, year: year, request: request, cycle: cycle, audit: note)
                // The commands' lines were committed with them, the carry-over's with its record;
                // a run that submitted none gets its line here.
                if run.alreadyDone || (run.commands == 0 && stage != .carryOver) {
                    try await access.audit(now, user.user, "api_cycle_stage", "\(run.alreadyDone ? "replayed" : "accepted") \(what)", APIRequestInfo.address)
                }
                return .ok(.init(body: .json(run)))
            } catch let error as AllocationError {
                (code, message) = (error.code.rawValue, error.message)
            } catch let error as CycleStageRejected {
                (code, message, audited) = (error.error.code.rawValue, error.description, true)
            } catch let error as CycleStageExchangeRejected {
                (code, message, audited) = (error.error.code.rawValue, error.description, true)
            } catch is MRVPlatformMissing {
                return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
            }
            if !audited { try await access.audit(now, user.user, "api_cycle_stage", "rejected \(code)", APIRequestInfo.address) }
            return .unprocessableContent(.init(body: .json(Self.error(code, message, details))))
        }
    }

    /// The facilities of a stage or of the totals: the request's list, or (`source` `mrv`) the
    /// MRV platform's approved reports of the year (`MRVVerifiedFigures`, as `--from-mrv`
    /// without `--input`). Neither is `MISSING_FIELD`. Both (a stage or the totals) is the
    /// CLI's `--from-mrv --input` (the list names the facilities and fills what the platform
    /// lacks, every figure the platform has winning: `CycleMRVFigures`, the code the CLI
    /// runs). With a `province`, the platform's facilities of that province's entities only,
    /// read from those entities and their accounts alone (provincial and city staff's totals;
    /// the stages are the MEE's `cycle_run` and read the nation).
    func cycleFacilities(
        _ documents: [Schemas.CycleFacilityDocument]?, source: Schemas.CycleFiguresSource?, plan: AllocationPlan, year: Int,
        needVerified: Bool, province: String? = nil
    ) async throws -> [CycleFacility] {
        guard source == .mrv else {
            guard let documents else {
                throw AllocationError(.missingField, "facilities (the facilities JSON) or source \"mrv\" (the MRV platform's figures) is missing")
            }
            return try Self.facilities(documents)
        }
        let file = try documents.map(Self.facilities)
        guard let mrv else { throw MRVPlatformMissing() }
        return try await MRVVerifiedFigures(mrv: mrv, registry: service).facilities(
            plan: plan, year: year, file: file, needVerified: needVerified, province: province)
    }

    /// Runs one stage as its CLI command does; `AllocationError` for bad input.
    private func runStage(
        _ stage: CycleStage, plan: AllocationPlan, year: Int, request: Schemas.CycleStageRunRequest, cycle: any AllocationCycleStore,
        audit: AuditNote
    ) async throws -> Schemas.CycleStageRun {
        let service = cycleService(cycle)
        switch stage {
        case .preAllocation, .trueUp, .surrender:
            // The pre-allocation needs last year's figures only; the true-up and surrender this year's verified ones.
            // `source` `mrv` with `facilities` is the CLI's `--from-mrv --input`.
            let facilities = try await cycleFacilities(
                request.facilities, source: request.source, plan: plan, year: year, needVerified: stage != .preAllocation)
            let result = try await service.run(stage, plan: plan, year: year, facilities: facilities, audit: audit)
            var run = Self.stageRun(result.plan, applied: result.applied, alreadyDone: result.alreadyDone)
            if stage == .surrender { run.compliance = (result.plan.compliance ?? []).map(Self.assessment) }
            return run
        case .reserve:
            let result = try await service.reserve(plan: plan, year: year, audit: audit)
            var run = Self.stageRun(result.plan, applied: result.applied, alreadyDone: result.alreadyDone)
            run.supply = Self.supply(plan: plan.id, year: year, supply: result.plan.supply, auction: nil, shows: { _ in true })
            return run
        case .auction:
            let terms: CycleSupply.Terms
            if let done = try await service.auctionStatus(plan: plan.id, year: year) {
                // A done stage submits nothing; its terms are the exchange's record.
                terms = CycleSupply.Terms(opensAt: done.auction.opensAt, closesAt: done.auction.closesAt, ceilingPrice: done.auction.ceilingPrice)
            } else {
                guard let wanted = request.auction else {
                    throw AllocationError(.missingField, "auction (opensAt, closesAt, ceilingPriceFen) is needed to announce the auction")
                }
                terms = try Self.terms(wanted)
            }
            let result = try await service.auction(plan: plan, year: year, terms: terms, audit: audit)
            var run = Self.stageRun(result.plan, applied: result.applied, alreadyDone: result.alreadyDone)
            run.supply = Self.supply(
                plan: plan.id, year: year, supply: result.plan.supply, auction: try await service.auctionStatus(plan: plan.id, year: year),
                shows: { _ in true })
            return run
        case .carryOver:
            let day: CivilDate
            if let text = request.today {
                guard let parsed = CivilDate(text) else { throw AllocationError(.invalidValue, "today \(text.prefix(32)) is not a date YYYY-MM-DD") }
                day = parsed
            } else {
                day = BeijingTime.date(SystemClock().now())
            }
            // Run again, the stored record is returned (not recomputed): a retry.
            let stored = try await cycle.stage(plan: plan.id, year: year, stage: .carryOver) != nil
            // Stored with its line (`audit`) in one transaction; a stored record writes no line here.
            let record = try await service.enforceCarryOver(plan: plan, year: year, today: day, audit: audit)
            var run = Self.stageRun(record.plan, applied: 0, alreadyDone: stored)
            run.carryOver = (record.plan.carryOver ?? []).map {
                .init(
                    entity: $0.entity.rawValue, province: $0.province, heldTonnes: $0.heldT, netSoldTonnes: $0.netSoldT, limitTonnes: $0.limitT,
                    excessTonnes: $0.excessT, consequence: $0.consequence.rawValue)
            }
            return run
        }
    }

    func issuePenaltyNotices(_ input: Operations.IssuePenaltyNotices.Input) async throws -> Operations.IssuePenaltyNotices.Output {
        let request: Schemas.IssuePenaltyNoticesRequest
        switch input.body { case .json(let json): request = json }
        let user: Principal
        switch try await principal(.penaltyRecord) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        let key = input.headers.idempotencyKey
        guard Self.registryKey(user, key) != nil else { return .badRequest(.init(body: .json(Self.badKey))) }
        // The provincial authority issues its own province's notices; staff without a province none.
        let province: String?
        switch Self.readScope(user) {
        case .refused: return Self.forbidden(user, .penaltyRecord, "the user has no province").output()
        case .province(let code): province = code
        case .national: province = nil
        }
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        // The key is stored with the answer (a retry with it gets the first answer, its
        // `issued` count included); a new key answers the notices as they are.
        return try await idempotentInWrite(
            "issuePenaltyNotices", user: user.user, key: key, parameters: [String(year), id], body: try StoredJSON.canonical(request),
            audit: "api_penalty_issue"
        ) { ticket in
            let now = SystemClock().now()
            let details = ["command": "penalty_issue", "plan": String(id.prefix(64)), "year": String(year)]
            do {
                let plan = try await plans.resolve(id: id).plan
                guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
                guard let deadline = CivilDate(plan.deadlines.surrender) else {
                    throw AllocationError(.invalidPlan, "plan \(plan.id): surrender deadline \(plan.deadlines.surrender) is not a date")
                }
                guard let issuedOn = request.issuedOn.map({ CivilDate($0) }) ?? deadline.adding(days: 1) else {
                    throw AllocationError(.invalidValue, "issuedOn \(request.issuedOn?.prefix(32) ?? "") is not a date YYYY-MM-DD")
                }
                var multiple: ExactDecimal?
                if let text = request.multiple {
                    guard let parsed = ExactDecimal(text), !parsed.isNegative else { throw AllocationError(.invalidValue, "multiple \(text) is not a decimal") }
                    multiple = parsed
                }
                // The audit line is stored with the notices, in the cycle store's transaction, with
                // the count that transaction stored (a concurrent call's notices are not counted).
                let note = AuditNote(
                    at: now, user: user.user, action: "api_penalty_issue", address: APIRequestInfo.address,
                    summary: "\(id.prefix(64)) \(year) \(province ?? "CN")")
                // The key's answer is stored in that transaction too, made of what it left.
                let (notices, issued) = try await cycleService(cycle).issuePenaltiesCounted(
                    plan: plan, year: year, issuedOn: issuedOn, multiple: multiple, province: province, audit: note
                ) { try ticket.completion(Self.issued($0, $1)) }
                return .completedInWrite(Self.issued(notices, issued))
            } catch let error as AllocationError {
                try await access.audit(now, user.user, "api_penalty_issue", "rejected \(error.code.rawValue)", APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, details)))))
            }
        }
    }

    /// An issuance's answer: `replayed` when it issued nothing new of notices already there.
    static func issued(_ notices: [PenaltyNotice], _ issued: Int) -> Operations.IssuePenaltyNotices.Output {
        .ok(.init(body: .json(Schemas.PenaltyNoticesIssued(notices: notices.map(notice), issued: issued, replayed: issued == 0 && !notices.isEmpty))))
    }

    func getCycleSupply(_ input: Operations.GetCycleSupply.Input) async throws -> Operations.GetCycleSupply.Output {
        let principal: Principal
        switch try await self.principal(.viewProvince) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        let scope = Self.readScope(principal)
        guard scope != .refused else { return Self.forbidden(principal, .viewProvince, "the user has no province").guarded() }
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        do {
            let plan = try await plans.resolve(id: id).plan
            guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        } catch let error as AllocationError {
            return .notFound(.init(body: .json(Self.error(error.code.rawValue, error.message, ["plan": String(id.prefix(64)), "year": String(year)]))))
        }
        let found = try await cycleService(cycle).supply(plan: id, year: year)
        let accounts = await service.state.accounts
        // Provincial and city staff see the fills of their province's accounts only.
        let shows: (String) -> Bool = { bidder in scope == .national || scope == .province(accounts[AccountID(bidder)]?.province ?? "") }
        return .ok(.init(body: .json(Self.supply(plan: id, year: year, supply: found.supply, auction: found.auction, shows: shows))))
    }

    func computeCycleTotals(_ input: Operations.ComputeCycleTotals.Input) async throws -> Operations.ComputeCycleTotals.Output {
        let request: Schemas.CycleTotalsRequest
        switch input.body { case .json(let json): request = json }
        let principal: Principal
        switch try await self.principal(.viewProvince) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        // The MEE reads the nation, provincial and city staff their province; no province, nothing.
        let scope = Self.readScope(principal)
        guard scope != .refused else { return Self.forbidden(principal, .viewProvince, "the user has no province").guarded() }
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        do {
            let plan = try await plans.resolve(id: id).plan
            guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
            // As `openets cycle totals` (`--from-mrv --input` when both are given): no verified
            // figure is needed (without one a facility counts its pre-allocation).
            // Provincial and city staff's figures from the platform are read from their province's
            // entities alone: another province's fault (and its ids) is not theirs to see.
            var province: String?
            if case .province(let own) = scope { province = own }
            let facilities = try await cycleFacilities(
                request.facilities, source: request.source, plan: plan, year: year, needVerified: false, province: province)
            let totals = try await cycleService(cycle).totals(plan: plan, year: year, facilities: facilities)
            let provinces = totals.provinces.filter { scope == .national || scope == .province($0.id) }
            return .ok(.init(body: .json(Schemas.CycleTotals(
                plan: plan.id, year: year, sector: plan.sector, source: request.source ?? .facilities,
                nation: scope == .national ? Self.totalsRow(totals.nation) : nil, provinces: provinces.map(Self.totalsRow)))))
        } catch let error as AllocationError {
            return .unprocessableContent(.init(body: .json(Self.error(
                error.code.rawValue, error.message, ["command": "cycle_totals", "plan": String(id.prefix(64)), "year": String(year)]))))
        } catch is MRVPlatformMissing {
            return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        }
    }

    static func totalsRow(_ row: CycleTotals.Row) -> Schemas.CycleTotalsRow {
        func figures(_ f: CycleTotals.Figures) -> Schemas.CycleTotalsFigures {
            .init(facilities: f.facilities, preAllocationTonnes: f.preAllocationT, finalTonnes: f.finalT)
        }
        return .init(
            scope: row.id, total: figures(row.total),
            categories: row.categories.sorted { $0.key < $1.key }.map { .init(category: $0.key, figures: figures($0.value)) })
    }

    func getCycleStatistics(_ input: Operations.GetCycleStatistics.Input) async throws -> Operations.GetCycleStatistics.Output {
        guard let cycle, let plans else { return .serviceUnavailable(.init(body: .json(Self.unavailableCycle))) }
        let year = Int(input.path.year), id = input.path.planId
        let details = ["plan": String(id.prefix(64)), "year": String(year)]
        let plan: AllocationPlan
        do {
            plan = try await plans.resolve(id: id).plan
            guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        } catch let error as AllocationError {
            return .notFound(.init(body: .json(Self.error(error.code.rawValue, error.message, details))))
        }
        // The stored stages alone, as the public pages read them.
        guard let stats = try await cycleService(cycle).publishedStatistics(year: year, plans: [plan]).first(where: { $0.planID == id }) else {
            return .notFound(.init(body: .json(Self.error(
                AllocationErrorCode.stageOrder.rawValue, "the surrender stage of \(id) \(year) is not done: no statistics yet", details))))
        }
        return .ok(.init(body: .json(Schemas.CycleStatistics(
            plan: stats.planID, year: stats.year, sector: plan.sector,
            rows: stats.rows.map {
                .init(
                    scope: $0.scope, sector: $0.sector, entities: $0.entities, compliantEntities: $0.compliantEntities,
                    obligationTonnes: $0.obligationT, surrenderedTonnes: $0.surrenderedT, shortfallTonnes: $0.shortfallT,
                    preAllocationTonnes: $0.preAllocationT, finalAllocationTonnes: $0.finalAllocationT,
                    complianceRateByCount: $0.complianceRateByCount, complianceRateByVolume: $0.complianceRateByVolume)
            },
            tradedTonnes: stats.tradedT, turnoverRate: stats.turnoverRate))))
    }

    // MARK: mapping

    static let badKey = error("INVALID_INPUT", "Idempotency-Key must be 1-\(maxIdempotencyKeyBytes) printable ASCII characters")

    /// The facilities of the CLI's JSON, or `INVALID_INPUT` with where they are wrong.
    static func facilities(_ documents: [Schemas.CycleFacilityDocument]) throws(AllocationError) -> [CycleFacility] {
        do {
            return try JSONDecoder().decode([CycleFacility].self, from: try JSONEncoder().encode(documents))
        } catch {
            throw AllocationError(
                .invalidInput, "facilities are not the cycle's JSON: " + ((error as? DecodingError).map(describe) ?? "unreadable"))
        }
    }

    /// The auction's terms as `openets cycle auction` reads them; the domain checks the ranges.
    static func terms(_ terms: Schemas.CycleAuctionTerms) throws(AllocationError) -> CycleSupply.Terms {
        guard let opensAt = Timestamp(iso8601: terms.opensAt), let closesAt = Timestamp(iso8601: terms.closesAt) else {
            throw AllocationError(.invalidValue, "opensAt and closesAt must be ISO-8601 times")
        }
        guard terms.ceilingPriceFen > 0 else { throw AllocationError(.invalidValue, "ceilingPriceFen must be a positive price in fen") }
        return CycleSupply.Terms(
            opensAt: opensAt, closesAt: closesAt, ceilingPrice: terms.ceilingPriceFen, minBidQuantity: terms.minBidTonnes ?? 1,
            maxSharePerMille: terms.maxSharePerMille ?? 1000, pricing: terms.pricing == .payAsBid ? .payAsBid : .uniform)
    }

    static func stageRun(_ plan: CycleStagePlan, applied: Int, alreadyDone: Bool) -> Schemas.CycleStageRun {
        Schemas.CycleStageRun(
            plan: plan.planID, planVersion: plan.planVersion, year: plan.year,
            stage: Schemas.CycleStageRun.StagePayload(rawValue: plan.stage.rawValue)!, unit: plan.unit.rawValue,
            commands: plan.steps.count + (plan.exchangeSteps?.count ?? 0), applied: applied, alreadyDone: alreadyDone, replayed: alreadyDone,
            entities: plan.entities.map {
                .init(entity: $0.entity.rawValue, province: $0.province, movedTonnes: $0.movedT, dueTonnes: $0.dueT, debtTonnes: $0.debtT)
            },
            debts: plan.debts.map {
                .init(
                    entity: $0.entity.rawValue, year: $0.year, unit: $0.unit.rawValue, quantityTonnes: $0.quantityT, reason: $0.reason,
                    settlement: $0.settlement.rawValue)
            })
    }

    static func assessment(_ a: ComplianceAssessment) -> Schemas.CycleComplianceAssessment {
        Schemas.CycleComplianceAssessment(
            entity: a.entity.rawValue, province: a.province, verifiedTonnes: a.verifiedT, debtTonnes: a.debtT, obligationTonnes: a.obligationT,
            ccerUsableTonnes: a.ccerUsableT, surrenderedTonnes: a.surrenderedT, borrowedTonnes: a.borrowedT, shortfallTonnes: a.shortfallT,
            netSoldTonnes: a.netSoldT, carryOverLimitTonnes: a.carryOverLimitT,
            status: a.status == .compliant ? .compliant : .shortfall,
            surrender: a.surrender.map { .init(unit: $0.unit.rawValue, kind: $0.kind, quantityTonnes: $0.quantityT) },
            ineligible: a.ineligible.map { .init(unit: $0.unit.rawValue, quantityTonnes: $0.quantityT, reason: $0.reason) })
    }

    /// The reserve stage's supply and the auction as the exchange has it; `shows` filters the fills.
    static func supply(
        plan: String, year: Int, supply: AllocationSupply?, auction: CycleAuctionStatus?, shows: (String) -> Bool
    ) -> Schemas.CycleSupply {
        Schemas.CycleSupply(
            plan: plan, year: year, reserveIssued: supply != nil, allocatedTonnes: supply?.allocatedT, reserveTonnes: supply?.reserveT,
            totalTonnes: supply?.totalT, auctionTonnes: supply?.auctionT, floorPriceFen: supply?.auctionFloorPrice.map(CycleSupply.fen),
            auction: auction.map { status in
                Schemas.CycleAuctionState(
                    id: status.auction.id, status: Schemas.CycleAuctionState.StatusPayload(rawValue: status.auction.status.rawValue)!,
                    quantityTonnes: status.auction.quantity, clearingPriceFen: status.auction.result?.clearingPrice, soldTonnes: status.soldT,
                    unsoldTonnes: status.unsoldT, opensAt: utc(status.auction.opensAt), closesAt: utc(status.auction.closesAt),
                    fills: (status.auction.result?.fills ?? []).filter { shows($0.bidder) }.map {
                        .init(bidder: $0.bidder, quantityTonnes: $0.quantity, priceFen: $0.price)
                    })
            })
    }
}

/// The registry's own clock (the market's drill clock in a demo), as a `LedgerClock`.
struct RegistryClock: LedgerClock {
    let registry: RegistryService

    func now() -> Timestamp { registry.now() }
}

extension Operations.RunCycleStage.Output: CommandOutput {}
extension Operations.IssuePenaltyNotices.Output: CommandOutput {}
extension Operations.GetCycleSupply.Output: TokenGuardedOutput {}
extension Operations.ComputeCycleTotals.Output: TokenGuardedOutput {}

/// `source` `mrv` on a server that runs without the MRV platform (503 UNAVAILABLE).
struct MRVPlatformMissing: Error {}

extension Operations.RunCycleStage.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.CycleStageRun? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.CycleStageRun) -> Self { .ok(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.CycleStageRun) -> Components.Schemas.CycleStageRun {
        var body = body
        body.replayed = true
        return body
    }
}

extension Operations.IssuePenaltyNotices.Output: StoredJSONOutput {
    static let storedStatus = 200
    var storedBody: Components.Schemas.PenaltyNoticesIssued? {
        guard case .ok(let ok) = self, case .json(let body) = ok.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.PenaltyNoticesIssued) -> Self { .ok(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.PenaltyNoticesIssued) -> Components.Schemas.PenaltyNoticesIssued {
        var body = body
        body.replayed = true
        return body
    }
}
