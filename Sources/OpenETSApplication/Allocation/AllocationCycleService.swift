import OpenETSDomain

/// What running a stage did.
public struct CycleStageResult: Hashable, Sendable {
    public var plan: CycleStagePlan
    /// Commands the registry applied in this run (not replays of an earlier run).
    public var applied: Int
    /// The stage was already done: nothing was submitted.
    public var alreadyDone: Bool
}

/// The registry refused a command of a stage: the stage stays `planned` and can be run again
/// (the commands already applied are replayed by their idempotency keys).
public struct CycleStageRejected: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var error: RegistryError

    public var description: String { "\(key): \(error.code.rawValue): \(error.message)" }
}

/// The exchange refused a command of a stage (the auction stage's announcement): the stage
/// stays `planned` and can be run again.
public struct CycleStageExchangeRejected: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var error: ExchangeError

    public var description: String { "\(key): \(error.code.rawValue): \(error.message)" }
}

/// The paid-allocation auction of a done auction stage as the exchange has it: what was put
/// up, and once cleared what was sold to whom at what price; the unsold units stay in the
/// reserve (the national account).
public struct CycleAuctionStatus: Hashable, Sendable {
    public var auction: Auction
    public var soldT: Int64 { auction.result.map { $0.fills.reduce(0) { $0 + $1.quantity } } ?? 0 }
    public var unsoldT: Int64 { auction.result?.unsold ?? auction.quantity }
}

/// Runs the stages of a year's allocation (pre-allocation, true-up) through the registry.
///
/// A stage runs in three steps, each durable:
/// 1. its commands are worked out from the registry's committed state (`CycleAllocation`)
///    and stored as `planned` (migration 8), or the stored plan of an earlier, interrupted
///    run is taken as it is;
/// 2. the commands go to `RegistryService` with their keys (group commit);
/// 3. when every command is accepted, the stage is marked `done` and its debts recorded, in
///    one transaction.
///
/// A crash between 2 and 3 is safe: the next run submits the same stored commands, which the
/// registry replays by key. A done stage is never run again (`alreadyDone`). The stored plan
/// is what makes the retry exact: a recall depends on the holdings when it was planned,
/// which the first run has since changed.
public struct AllocationCycleService: Sendable {
    public let registry: RegistryService
    public let store: any AllocationCycleStore
    public let clock: any LedgerClock

    public init(registry: RegistryService, store: any AllocationCycleStore, clock: any LedgerClock) {
        self.registry = registry
        self.store = store
        self.clock = clock
    }

    /// Runs `stage`. Bad input throws an `AllocationError` (nothing stored or moved); a
    /// registry refusal throws `CycleStageRejected`. With `audit`, every registry command of
    /// the stage carries its audit line into the command's own transaction (`notes`).
    public func run(
        _ stage: CycleStage, plan: AllocationPlan, year: Int, facilities: [CycleFacility], audit: AuditNote? = nil
    ) async throws -> CycleStageResult {
        switch stage {
        case .reserve: return try await reserve(plan: plan, year: year, audit: audit)
        case .auction: throw AllocationError(.missingField, "the auction stage needs its terms (window and ceiling)")
        case .carryOver: throw AllocationError(.invalidInput, "the carry-over stage takes no facilities: it is run by enforceCarryOver")
        default: break
        }
        if let record = try await store.stage(plan: plan.id, year: year, stage: stage), record.status == .done {
            // A run stopped between `markDone` and settling last year's notices finishes here.
            try await settleDeductedNotices(record.plan, year: year)
            return CycleStageResult(plan: record.plan, applied: 0, alreadyDone: true)
        }
        var preAllocated: [AccountID: Int64] = [:]
        if stage == .trueUp {
            guard let pre = try await store.stage(plan: plan.id, year: year, stage: .preAllocation), pre.status == .done else {
                throw AllocationError(.stageOrder, "the pre-allocation of \(plan.id) \(year) is not done")
            }
            // What the facilities pre-allocate: what was moved plus what was kept back for last year.
            for entity in pre.plan.entities where entity.movedT != 0 { preAllocated[entity.entity] = entity.movedT }
            for deduction in pre.plan.deductions ?? [] where deduction.deductedT > 0 {
                preAllocated[deduction.entity, default: 0] += deduction.deductedT
            }
        }
        if stage == .surrender {
            guard let trueUp = try await store.stage(plan: plan.id, year: year, stage: .trueUp), trueUp.status == .done else {
                throw AllocationError(.stageOrder, "the true-up of \(plan.id) \(year) is not done")
            }
        }
        var record = try await store.stage(plan: plan.id, year: year, stage: stage)
        if record == nil {
            let state = await registry.state
            let policy = await registry.policy
            var planned: CycleStagePlan
            switch stage {
            case .preAllocation:
                let owed = CompliancePenalties.deductions(
                    debts: try await store.debts(year: year - 1), notices: try await store.notices(year: year - 1))
                planned = try CycleAllocation.preAllocation(
                    plan: plan, year: year, facilities: facilities, registry: state, policy: policy, deductions: owed,
                    reservedT: try await heldReserveT(unit: CycleAllocation.unitCode(year: year)))
            case .trueUp:
                planned = try CycleAllocation.trueUp(
                    plan: plan, year: year, facilities: facilities, registry: state, policy: policy, preAllocated: preAllocated,
                    reservedT: try await heldReserveT(unit: CycleAllocation.unitCode(year: year)))
            case .reserve, .auction:
                preconditionFailure("handled by reserve(plan:year:) and auction(plan:year:terms:)")
            case .surrender:
                let netSold = try await netSales()
                planned = try CycleCompliance.surrender(
                    plan: plan, year: year, facilities: facilities, debts: try await store.debts(year: year), registry: state,
                    ccer: await registry.ccer, netSold: netSold, coveredFacilities: facilities.compactMap(\.id), policy: policy)
            case .carryOver:
                preconditionFailure("refused above")
            }
            // The plan version is recorded with the commands: a re-run submits these, whatever
            // version is published by then.
            planned.planVersion = plan.version
            planned.planSHA256 = AllocationPlanCodec.sha256(plan)
            record = try await store.savePlanned(CycleStageRecord(plan: planned, status: .planned, plannedAt: clock.now(), doneAt: nil))
        }
        let planned = record!.plan
        let outcomes = try await registry.submit(
            planned.steps.map { CommandRequest(idempotencyKey: $0.key, command: $0.command) }, audits: Self.notes(audit, planned.steps))
        var applied = 0
        for (step, outcome) in zip(planned.steps, outcomes) {
            switch outcome {
            case .accepted(let receipt):
                if !receipt.replayed { applied += 1 }
            case .rejected(let error):
                throw CycleStageRejected(key: step.key, error: error)
            }
        }
        try await store.markDone(plan: plan.id, year: year, stage: stage, debts: planned.debts, at: clock.now())
        try await settleDeductedNotices(planned, year: year)
        return CycleStageResult(plan: planned, applied: applied, alreadyDone: false)
    }

    /// The reserve stage (after the true-up): issues the plan's `reserve_t`, worked out from the
    /// year's final allocation, into the national account. Stored, submitted and marked done
    /// like the other stages; a done stage submits nothing.
    public func reserve(plan: AllocationPlan, year: Int, audit: AuditNote? = nil) async throws -> CycleStageResult {
        try await runSupply(.reserve, plan: plan, year: year, audit: audit) {
            guard let pre = try await store.stage(plan: plan.id, year: year, stage: .preAllocation), pre.status == .done,
                let trueUp = try await store.stage(plan: plan.id, year: year, stage: .trueUp), trueUp.status == .done
            else { throw AllocationError(.stageOrder, "the true-up of \(plan.id) \(year) is not done") }
            let allocated = try CycleSupply.allocatedT(preAllocation: pre.plan, trueUp: trueUp.plan)
            return try CycleSupply.reserve(
                plan: plan, year: year, allocatedT: allocated, registry: await registry.state, policy: await registry.policy)
        }
    }

    /// The auction stage (after the reserve): announces the paid allocation as a one-way SELL
    /// auction of the national account on the exchange, through the same `ExchangeRequest`
    /// path as `openets exchange announce`. The exchange's own `clearAuction` clears it;
    /// `auctionStatus` then shows what was sold.
    public func auction(plan: AllocationPlan, year: Int, terms: CycleSupply.Terms, audit: AuditNote? = nil) async throws -> CycleStageResult {
        try await runSupply(.auction, plan: plan, year: year, audit: audit) {
            guard let reserve = try await store.stage(plan: plan.id, year: year, stage: .reserve), reserve.status == .done else {
                throw AllocationError(.stageOrder, "the reserve of \(plan.id) \(year) is not issued")
            }
            return try CycleSupply.auction(
                plan: plan, year: year, reserve: reserve.plan, terms: terms, now: clock.now(), exchange: await registry.exchange,
                policy: await registry.exchangePolicy, registry: await registry.state)
        }
    }

    /// The reserves of `unit` that done reserve stages (of every plan) still hold free in the
    /// national account (`CycleSupply.heldReserveT`, each stage's auction read from the exchange
    /// by the id its auction stage recorded). The pre-allocation and true-up keep them back.
    public func heldReserveT(unit: UnitTypeCode) async throws -> Int64 {
        let exchange = await registry.exchange
        var held: Int64 = 0
        for reserve in try await store.doneStages(.reserve) where reserve.plan.unit == unit {
            var auction: Auction?
            if let stage = try await store.stage(plan: reserve.plan.planID, year: reserve.plan.year, stage: .auction),
                stage.status == .done, let id = stage.plan.auctionID
            {
                auction = exchange.auctions[id]
            }
            held += CycleSupply.heldReserveT(reserve: reserve.plan, auction: auction)
        }
        return held
    }

    /// The paid-allocation auction of a done auction stage, as the exchange has it now (nil
    /// when the stage is not done).
    public func auctionStatus(plan: String, year: Int) async throws -> CycleAuctionStatus? {
        guard let record = try await store.stage(plan: plan, year: year, stage: .auction), record.status == .done,
            let id = record.plan.auctionID, let auction = await registry.exchange.auctions[id]
        else { return nil }
        return CycleAuctionStatus(auction: auction)
    }

    /// The reserve stage's supply (nil before it is done) and the auction as the exchange has it.
    public func supply(plan: String, year: Int) async throws -> (supply: AllocationSupply?, auction: CycleAuctionStatus?) {
        guard let reserve = try await store.stage(plan: plan, year: year, stage: .reserve), reserve.status == .done else { return (nil, nil) }
        return (reserve.plan.supply, try await auctionStatus(plan: plan, year: year))
    }

    private func runSupply(
        _ stage: CycleStage, plan: AllocationPlan, year: Int, audit: AuditNote?, make: () async throws -> CycleStagePlan
    ) async throws -> CycleStageResult {
        if let record = try await store.stage(plan: plan.id, year: year, stage: stage), record.status == .done {
            return CycleStageResult(plan: record.plan, applied: 0, alreadyDone: true)
        }
        var record = try await store.stage(plan: plan.id, year: year, stage: stage)
        if record == nil {
            var planned = try await make()
            planned.planVersion = plan.version
            planned.planSHA256 = AllocationPlanCodec.sha256(plan)
            record = try await store.savePlanned(CycleStageRecord(plan: planned, status: .planned, plannedAt: clock.now(), doneAt: nil))
        }
        var planned = record!.plan
        var applied = 0
        let outcomes = try await registry.submit(
            planned.steps.map { CommandRequest(idempotencyKey: $0.key, command: $0.command) }, audits: Self.notes(audit, planned.steps))
        for (step, outcome) in zip(planned.steps, outcomes) {
            switch outcome {
            case .accepted(let receipt): if !receipt.replayed { applied += 1 }
            case .rejected(let error): throw CycleStageRejected(key: step.key, error: error)
            }
        }
        let exchangeSteps = planned.exchangeSteps ?? []
        for (step, note) in zip(exchangeSteps, Self.notes(audit, exchangeSteps)) {
            switch try await registry.execute(ExchangeRequest(idempotencyKey: step.key, command: step.command), audit: note) {
            case .accepted(let receipt):
                if !receipt.replayed { applied += 1 }
                for case .auctionAnnounced(let auction) in receipt.events { planned.auctionID = auction.id }
            case .rejected(let error):
                throw CycleStageExchangeRejected(key: step.key, error: error)
            }
        }
        try await store.markDone(plan: plan.id, year: year, stage: stage, debts: [], body: planned, at: clock.now())
        return CycleStageResult(plan: planned, applied: applied, alreadyDone: false)
    }

    /// Runs `stage` on the facilities a figures source gives (`MRVVerifiedFigures`: the MRV
    /// platform's approved reports; `file`, when given, names the facilities and fills what the
    /// platform has no record of). The true-up and surrender need each facility's verified
    /// figure (`NO_VERIFIED_FIGURE` otherwise; nothing is stored or moved).
    public func run(
        _ stage: CycleStage, plan: AllocationPlan, year: Int, from source: any VerifiedFiguresSource, file: [CycleFacility]? = nil,
        audit: AuditNote? = nil
    ) async throws -> CycleStageResult {
        let facilities = try await source.facilities(plan: plan, year: year, file: file, needVerified: stage != .preAllocation)
        return try await run(stage, plan: plan, year: year, facilities: facilities, audit: audit)
    }

    /// One audit note per command of a stage, `audit`'s summary followed by the command's
    /// place and key (`power-2024 2024 pre_allocation 3/6 <key>`): each command's line is
    /// written in the transaction that commits the command (the writer may split a stage's
    /// commands over several batches). Without `audit`, one nil per step.
    static func notes<Step>(_ audit: AuditNote?, _ steps: [Step], key: (Step) -> String) -> [AuditNote?] {
        guard let audit else { return steps.map { _ in nil } }
        return steps.enumerated().map { index, step in
            AuditNote(
                at: audit.at, user: audit.user, action: audit.action, address: audit.address,
                summary: "\(audit.summary) \(index + 1)/\(steps.count) \(key(step))")
        }
    }

    static func notes(_ audit: AuditNote?, _ steps: [CycleStep]) -> [AuditNote?] { notes(audit, steps) { $0.key } }
    static func notes(_ audit: AuditNote?, _ steps: [CycleExchangeStep]) -> [AuditNote?] { notes(audit, steps) { $0.key } }

    /// Carry-over after the surrender deadline (`CycleCarryOver`): each entity assessed by the
    /// year's surrender stage, its allowances of vintages up to the year against its limit
    /// (net sales recomputed now). Stored as stage `carry_over`, done at once (it moves
    /// nothing); run again it returns the stored record. With `audit`, the record's line
    /// (`accepted <summary>`; `replayed <summary>` when another run stored it meanwhile) is
    /// written in the transaction that stores it; a record found stored writes no line.
    public func enforceCarryOver(plan: AllocationPlan, year: Int, today: CivilDate, audit: AuditNote? = nil) async throws -> CycleStageRecord {
        if let record = try await store.stage(plan: plan.id, year: year, stage: .carryOver) { return record }
        guard let surrender = try await store.stage(plan: plan.id, year: year, stage: .surrender), surrender.status == .done else {
            throw AllocationError(.stageOrder, "the surrender stage of \(plan.id) \(year) is not done")
        }
        var planned = try CycleCarryOver.assess(
            plan: plan, year: year, surrendered: surrender.plan.compliance ?? [], registry: await registry.state, netSold: try await netSales(),
            today: today)
        // The plan version it was assessed under, as the other stages record theirs.
        planned.planVersion = plan.version
        planned.planSHA256 = AllocationPlanCodec.sha256(plan)
        let now = clock.now()
        return try await store.saveDone(CycleStageRecord(plan: planned, status: .done, plannedAt: now, doneAt: now), audit: audit)
    }

    /// Years with a done surrender stage, for the public statistics pages.
    public func publishedYears() async throws -> [Int] {
        Array(Set(try await store.doneStages(.surrender).map(\.plan.year))).sorted()
    }

    /// The public statistics of a year from the stored stages alone, one per plan (sector)
    /// whose surrender stage is done, sorted by plan id. `plans` give the sector of a plan id
    /// (an unknown id shows sector "-").
    public func publishedStatistics(year: Int, plans: [AllocationPlan] = AllocationPlan.seed) async throws -> [CycleStatistics] {
        let exchange = await registry.exchange
        var result: [CycleStatistics] = []
        for surrender in try await store.doneStages(.surrender) where surrender.plan.year == year {
            let id = surrender.plan.planID
            guard let pre = try await store.stage(plan: id, year: year, stage: .preAllocation) else { continue }
            let trueUp = try await store.stage(plan: id, year: year, stage: .trueUp)
            result.append(
                CycleStatistics.fromStages(
                    planID: id, sector: plans.first { $0.id == id }?.sector ?? "-", year: year, preAllocation: pre.plan,
                    trueUp: trueUp?.status == .done ? trueUp?.plan : nil, surrender: surrender.plan,
                    tradedT: CycleStatistics.tradedT(exchange: exchange, unit: CycleAllocation.unitCode(year: year))))
        }
        return result
    }

    /// Last year's notices whose whole deduction a done pre-allocation kept back are settled
    /// (`issued` → `deducted`). Idempotent, and run again by every later call of a done stage,
    /// so a crash after `markDone` cannot leave them `issued`.
    private func settleDeductedNotices(_ planned: CycleStagePlan, year: Int) async throws {
        for deduction in planned.deductions ?? [] where deduction.deductedT == deduction.owedT {
            for notice in try await store.notices(year: year - 1) where notice.entity == deduction.entity && notice.status == .issued {
                // Every plan's notice of the entity: the deduction summed them all (`CompliancePenalties.deductions`).
                _ = try await store.setNoticeStatus(id: notice.id, from: .issued, to: .deducted, at: clock.now())
            }
        }
    }

    /// Allowances sold − bought per account, from the settled deals and transfers in the journal.
    public func netSales() async throws -> [AccountID: Int64] {
        let state = await registry.state
        let head = await registry.head.seq
        let codec = LedgerCodec()
        var sales = NetSales()
        var after: Int64 = 0
        while after < head {
            let entries = try await registry.store.journal(after: after, limit: 5_000)
            guard let last = entries.last else { break }
            for entry in entries where entry.seq <= head {
                sales.add(try codec.events(of: entry)) { state.unitTypes[$0]?.kind == .allowance }
            }
            after = last.seq
        }
        return sales.netSoldT
    }

    /// Issues the penalty notices of a done surrender stage: one per entity with a shortfall,
    /// under the plan's regime (the price regime averages the exchange's allowance deals of
    /// the month before the deadline). Idempotent: a notice already issued is kept as it is.
    /// With `province`, only that province's entities are issued (and returned): the
    /// provincial authority issues its own notices (the API's issuePenaltyNotices). With
    /// `audit`, one line (`accepted <summary>: N issued`, or `replayed …: 0 issued` when every
    /// notice was issued before) is written in the transaction that stores the notices, N
    /// counted in that transaction.
    public func issuePenalties(
        plan: AllocationPlan, year: Int, issuedOn: CivilDate, multiple: ExactDecimal? = nil, province: String? = nil,
        audit: AuditNote? = nil
    ) async throws -> [PenaltyNotice] {
        try await issuePenaltiesCounted(
            plan: plan, year: year, issuedOn: issuedOn, multiple: multiple, province: province, audit: audit
        ).notices
    }

    /// As `issuePenalties`, with `issued`: how many of the notices this call stored (the
    /// store's count, from the transaction that stored them and wrote the audit line). The
    /// notices are the plan's (and province's) as that transaction leaves them; with `key`, the
    /// API's Idempotency-Key is completed there with the answer `key` makes of the two.
    public func issuePenaltiesCounted(
        plan: AllocationPlan, year: Int, issuedOn: CivilDate, multiple: ExactDecimal? = nil, province: String? = nil,
        audit: AuditNote? = nil, key: ((_ notices: [PenaltyNotice], _ issued: Int) throws -> IdempotencyCompletion)? = nil
    ) async throws -> (notices: [PenaltyNotice], issued: Int) {
        guard let surrender = try await store.stage(plan: plan.id, year: year, stage: .surrender), surrender.status == .done else {
            throw AllocationError(.stageOrder, "the surrender stage of \(plan.id) \(year) is not done")
        }
        guard let deadline = CivilDate(plan.deadlines.surrender) else {
            throw AllocationError(.invalidPlan, "plan \(plan.id): surrender deadline \(plan.deadlines.surrender) is not a date")
        }
        // The month's price and the shortfall are final only after the deadline.
        guard issuedOn > deadline else {
            throw AllocationError(.stageOrder, "penalty notices are issued after the surrender deadline \(deadline), not on \(issuedOn)")
        }
        let average = CompliancePenalties.averagePriceFen(
            exchange: await registry.exchange, registry: await registry.state, window: CompliancePenalties.priceWindow(deadline: deadline))
        let assessments = (surrender.plan.compliance ?? []).filter { province == nil || $0.province == province }
        let notices = try CompliancePenalties.notices(
            plan: plan, assessments: assessments, averagePriceFen: average, multiple: multiple, issuedOn: issuedOn)
        let ours: ([PenaltyNotice]) -> [PenaltyNotice] = { $0.filter { $0.planID == plan.id && (province == nil || $0.province == province) } }
        let saved = try await store.saveNotices(
            notices, year: year, at: clock.now(), audit: audit, key: key.map { key in { issued, yearNotices in try key(ours(yearNotices), issued) } })
        return (ours(saved.yearNotices), saved.issued)
    }

    public func notices(year: Int) async throws -> [PenaltyNotice] { try await store.notices(year: year) }

    /// Records that an issued notice was paid. With `audit`, its line (`accepted <summary>`)
    /// is written in the transaction that marks the notice paid: a failed line leaves it issued.
    /// With `key`, the API's Idempotency-Key is completed in that transaction with the answer
    /// `key` makes of the notice as paid.
    public func markPaid(
        notice id: String, year: Int, audit: AuditNote? = nil, key: ((PenaltyNotice) throws -> IdempotencyCompletion)? = nil
    ) async throws -> PenaltyNotice {
        guard var paid = try await store.notices(year: year).first(where: { $0.id == id }) else {
            throw AllocationError(.unknownNotice, "no penalty notice \(id) for \(year)")
        }
        // The notice as the write leaves it: only its status moves.
        paid.status = .paid
        let line = audit?.record(stored: true)
        guard try await store.setNoticeStatus(id: id, from: .issued, to: .paid, at: clock.now(), audit: line, key: try key?(paid)) else {
            throw AllocationError(.noticeStatus, "penalty notice \(id) is not issued (already paid or deducted)")
        }
        return paid
    }

    /// The year's timeline, each entity's state and the reminders on `today`.
    public func timeline(plan: AllocationPlan, year: Int, today: CivilDate) async throws -> CycleTimeline {
        guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        var done: [CycleStage: CycleStagePlan] = [:]
        for stage in CycleStage.allCases {
            if let record = try await store.stage(plan: plan.id, year: year, stage: stage), record.status == .done { done[stage] = record.plan }
        }
        return CycleTimeline.build(plan: plan, today: today, done: done, notices: try await store.notices(year: year))
    }

    /// The year's public statistics: compliance rates by count and volume per province and the
    /// nation, allocation totals, turnover of the year's vintage.
    public func statistics(plan: AllocationPlan, year: Int, facilities: [CycleFacility]) async throws -> CycleStatistics {
        guard let surrender = try await store.stage(plan: plan.id, year: year, stage: .surrender), surrender.status == .done else {
            throw AllocationError(.stageOrder, "the surrender stage of \(plan.id) \(year) is not done")
        }
        let totals = try await self.totals(plan: plan, year: year, facilities: facilities)
        let traded = CycleStatistics.tradedT(exchange: await registry.exchange, unit: CycleAllocation.unitCode(year: year))
        return CycleStatistics.compute(plan: plan, year: year, assessments: surrender.plan.compliance ?? [], totals: totals, tradedT: traded)
    }

    /// Totals bottom-up for the facilities (final figures when their verified data is given).
    public func totals(plan: AllocationPlan, year: Int, facilities: [CycleFacility]) async throws -> CycleTotals {
        let state = await registry.state
        let final = !facilities.isEmpty && facilities.allSatisfy { $0.hasFinalData(for: plan) }
        let rows = try CycleAllocation.allocations(plan: plan, year: year, facilities: facilities, registry: state, final: final)
        return CycleAllocation.totals(plan: plan, year: year, allocations: rows)
    }

    public func debts(year: Int) async throws -> [CycleDebt] { try await store.debts(year: year) }
}
