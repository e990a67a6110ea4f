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
    /// registry refusal throws `CycleStageRejected`.
    public func run(_ stage: CycleStage, plan: AllocationPlan, year: Int, facilities: [CycleFacility]) async throws -> CycleStageResult {
        if let record = try await store.stage(plan: plan.id, year: year, stage: stage), record.status == .done {
            return CycleStageResult(plan: record.plan, applied: 0, alreadyDone: true)
        }
        var preAllocated: [AccountID: Int64] = [:]
        if stage == .trueUp {
            guard let pre = try await store.stage(plan: plan.id, year: year, stage: .preAllocation), pre.status == .done else {
                throw AllocationError(.stageOrder, "the pre-allocation of \(plan.id) \(year) is not done")
            }
            for entity in pre.plan.entities where entity.movedT != 0 { preAllocated[entity.entity] = entity.movedT }
        }
        var record = try await store.stage(plan: plan.id, year: year, stage: stage)
        if record == nil {
            let state = await registry.state
            let policy = await registry.policy
            let planned: CycleStagePlan
            switch stage {
            case .preAllocation:
                planned = try CycleAllocation.preAllocation(plan: plan, year: year, facilities: facilities, registry: state, policy: policy)
            case .trueUp:
                planned = try CycleAllocation.trueUp(
                    plan: plan, year: year, facilities: facilities, registry: state, policy: policy, preAllocated: preAllocated)
            }
            record = try await store.savePlanned(CycleStageRecord(plan: planned, status: .planned, plannedAt: clock.now(), doneAt: nil))
        }
        let planned = record!.plan
        let outcomes = try await registry.submit(planned.steps.map { CommandRequest(idempotencyKey: $0.key, command: $0.command) })
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
        return CycleStageResult(plan: planned, applied: applied, alreadyDone: false)
    }

    /// Totals bottom-up for the facilities (final figures when their verified data is given).
    public func totals(plan: AllocationPlan, year: Int, facilities: [CycleFacility]) async throws -> CycleTotals {
        let state = await registry.state
        let final = !facilities.isEmpty && facilities.allSatisfy { $0.verifiedT != nil && $0.generationMWh != nil }
        let rows = try CycleAllocation.allocations(plan: plan, year: year, facilities: facilities, registry: state, final: final)
        return CycleAllocation.totals(plan: plan, year: year, allocations: rows)
    }

    public func debts(year: Int) async throws -> [CycleDebt] { try await store.debts(year: year) }
}
