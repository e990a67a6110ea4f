/// The two-step flow of a year's allocation as registry commands (DOMAIN.md §5):
///
/// - **pre-allocation**: per facility round(pre_allocation_ratio × previous verified), half up,
///   once per facility; an entity gets the sum of its facilities, a province the sum of its
///   entities. Commands: define the vintage's unit type if it does not exist; issue into the
///   national account what it lacks for the total; allocate national → province (one per
///   province); allocate province → entity (one per entity).
/// - **true-up**: per facility the calculator's final allocation (formula, gas cap, coal
///   floor); per entity due = Σ (final − pre). Recalls first: entity → province of what the
///   entity can cover with free units of the vintage, then province → national (one per
///   province); the rest of a negative due is a `CycleDebt`. Then the positive dues: issue what
///   the national account lacks, allocate national → province → entity.
///
/// Pure and deterministic: the same plan, year, facilities and registry state give the same
/// commands, in the same order, with keys derived from (plan, year, stage, account). Zero
/// movements are left out. Errors are `AllocationError`s and nothing is produced.
public enum CycleAllocation {
    public enum Limits {
        public static let maxFacilities = 100_000
        public static let maxIdLength = 128
        /// The registry's idempotency key limit (`CommandRequest.maxIdempotencyKeyLength`).
        public static let maxKeyLength = 128
    }

    public static let nationalAccount: AccountID = "CN-NATIONAL"

    /// The year's allowance unit type by the registry's naming: "CEA24" for 2024.
    public static func unitCode(year: Int) -> UnitTypeCode {
        let yy = year % 100
        return UnitTypeCode("CEA" + (yy < 10 ? "0" : "") + String(yy))
    }

    /// Per facility pre-allocation (and, with `final`, the final allocation), after checking
    /// the plan, the year, every facility and its accounts in `registry`.
    public static func allocations(
        plan: AllocationPlan, year: Int, facilities: [CycleFacility], registry: RegistryState, final: Bool
    ) throws(AllocationError) -> [CycleFacilityAllocation] {
        try plan.validate()
        try AllocationCalculator.requireComputable(plan)
        guard plan.year == year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year), not \(year)") }
        guard !facilities.isEmpty else { throw AllocationError(.missingField, "no facilities: a stage needs at least one") }
        guard facilities.count <= Limits.maxFacilities else {
            throw AllocationError(.limitExceeded, "at most \(Limits.maxFacilities) facilities per cycle")
        }
        guard let national = registry.accounts[nationalAccount], national.type == .national else {
            throw AllocationError(.unknownAccount, "the registry has no national account \(nationalAccount)")
        }
        guard national.status == .open else { throw AllocationError(.accountNotOpen, "\(nationalAccount) is \(national.status.rawValue)") }
        var seen: Set<String> = []
        var result: [CycleFacilityAllocation] = []
        result.reserveCapacity(facilities.count)
        for facility in facilities {
            let checked = try check(facility, plan: plan, registry: registry)
            guard seen.insert(checked.id).inserted else { throw AllocationError(.duplicateId, "facility id '\(checked.id)' is given twice") }
            var allocation = checked
            if final {
                let unit = try AllocationCalculator.allocate(facility.unitInput, plan: plan)
                assert(unit.preAllocationT == checked.preAllocationT, "one pre-allocation rule")
                allocation.finalT = unit.finalT
                allocation.rule = unit.rule
            }
            result.append(allocation)
        }
        return result
    }

    /// Fields, category and accounts of one facility; its pre-allocation.
    static func check(_ facility: CycleFacility, plan: AllocationPlan, registry: RegistryState) throws(AllocationError)
        -> CycleFacilityAllocation
    {
        guard let id = facility.id else { throw AllocationError(.missingField, "a facility has no id") }
        guard !id.isEmpty, id.utf8.count <= Limits.maxIdLength else {
            throw AllocationError(.invalidValue, "facility id '\(id)' must be 1-\(Limits.maxIdLength) characters")
        }
        guard let entityText = facility.entity, !entityText.isEmpty else { throw AllocationError(.missingField, "\(id): entity is missing") }
        guard let province = facility.province, !province.isEmpty else { throw AllocationError(.missingField, "\(id): province is missing") }
        // A power unit's category picks its benchmark; another type's is a label for the totals
        // (the plan's sector when absent).
        let categoryID: String
        if plan.method == .outputBenchmark {
            guard let given = facility.category else { throw AllocationError(.missingField, "\(id): category is missing") }
            guard plan.category(given) != nil else {
                throw AllocationError(.unknownCategory, "\(id): plan \(plan.id) has no category '\(given)'")
            }
            categoryID = given
        } else {
            categoryID = facility.category ?? plan.sector
            guard !categoryID.isEmpty, categoryID.utf8.count <= Limits.maxIdLength else {
                throw AllocationError(.invalidValue, "\(id): category '\(categoryID)' must be 1-\(Limits.maxIdLength) characters")
            }
        }
        let entity = AccountID(entityText)
        guard let account = registry.accounts[entity], account.type == .entity else {
            throw AllocationError(.unknownAccount, "\(id): \(entity) is not an entity account of the registry")
        }
        guard account.province == province else {
            throw AllocationError(.provinceMismatch, "\(id): \(entity) is in province \(account.province ?? "none"), not \(province)")
        }
        guard let provincial = registry.accounts[.provincial(province)], provincial.type == .provincial else {
            throw AllocationError(.unknownAccount, "\(id): the registry has no provincial account for \(province)")
        }
        // Allowances leave an entity (recall) and pass through its province: both must be open.
        for checked in [account, provincial] where checked.status != .open {
            throw AllocationError(.accountNotOpen, "\(id): \(checked.id) is \(checked.status.rawValue)")
        }
        let previousT = try AllocationArithmetic.tonnes(
            facility.previousVerifiedT, "previous_verified_t", at: id, max: AllocationCalculator.Limits.maxTonnes)
        let preT = try AllocationArithmetic.roundedTonnes(AllocationArithmetic.times(plan.preAllocationRatio, previousT))
        return CycleFacilityAllocation(
            id: id, entity: entity, province: province, category: categoryID, preAllocationT: preT, finalT: nil, rule: nil)
    }

    /// The pre-allocation stage.
    public static func preAllocation(
        plan: AllocationPlan, year: Int, facilities: [CycleFacility], registry: RegistryState, policy: RegistryPolicy,
        unit: UnitTypeCode? = nil, deductions owed: [AccountID: Int64] = [:], reservedT: Int64 = 0
    ) throws(AllocationError) -> CycleStagePlan {
        let unit = unit ?? unitCode(year: year)
        let allocations = try self.allocations(plan: plan, year: year, facilities: facilities, registry: registry, final: false)
        var keys = KeyMaker(plan: plan.id, year: year, stage: .preAllocation)
        var steps: [CycleStep] = []
        if let existing = registry.unitTypes[unit] {
            try requireVintage(existing, year: year)
        } else {
            steps.append(
                CycleStep(
                    key: try keys.key("define"),
                    command: .defineUnitType(
                        code: unit, kind: .allowance, label: "CEA", vintageFrom: year, vintageTo: year, projectID: nil,
                        issuer: "CN", serialized: false)))
        }
        var dues = try entityDues(allocations) { $0.preAllocationT }
        // Last year's deductions (debts kept for this year, shortfalls not corrected) are kept
        // back from the entity's pre-allocation, up to what it gets.
        var deductions: [CycleDeduction] = []
        for index in dues.indices {
            let owedT = owed[dues[index].entity] ?? 0
            guard owedT > 0 else { continue }
            let deductedT = min(owedT, dues[index].dueT)
            deductions.append(CycleDeduction(entity: dues[index].entity, owedT: owedT, deductedT: deductedT))
            dues[index].dueT -= deductedT
        }
        let positives = dues.filter { $0.dueT > 0 }
        steps += try allocationSteps(positives, unit: unit, keys: &keys, registry: registry, reservedT: reservedT, availableExtra: 0)
        try checkQuantities(steps, policy: policy)
        let movements = dues.map {
            CycleStagePlan.EntityMovement(entity: $0.entity, province: $0.province, movedT: $0.dueT, dueT: $0.dueT, debtT: 0)
        }
        return CycleStagePlan(
            planID: plan.id, year: year, stage: .preAllocation, unit: unit, steps: steps, debts: [], entities: movements,
            deductions: deductions.isEmpty ? nil : deductions)
    }

    /// The true-up stage, on the registry as it stands after the pre-allocation. With
    /// `preAllocated` (per entity, what the pre-allocation stage moved), the facilities'
    /// pre-allocations must add up to it for every entity (`PRE_ALLOCATION_MISMATCH`
    /// otherwise): the true-up corrects what was allocated, not what the input now implies.
    public static func trueUp(
        plan: AllocationPlan, year: Int, facilities: [CycleFacility], registry: RegistryState, policy: RegistryPolicy,
        unit: UnitTypeCode? = nil, preAllocated: [AccountID: Int64]? = nil, reservedT: Int64 = 0
    ) throws(AllocationError) -> CycleStagePlan {
        let unit = unit ?? unitCode(year: year)
        let allocations = try self.allocations(plan: plan, year: year, facilities: facilities, registry: registry, final: true)
        if let preAllocated {
            let recomputed = try entityDues(allocations) { $0.preAllocationT }
            let given = Dictionary(uniqueKeysWithValues: recomputed.map { ($0.entity, $0.dueT) })
            for entity in Set(given.keys).union(preAllocated.keys).sorted(by: { $0.rawValue < $1.rawValue })
            where given[entity] ?? 0 != preAllocated[entity] ?? 0 {
                throw AllocationError(
                    .preAllocationMismatch,
                    "\(entity): the facilities give a pre-allocation of \(given[entity] ?? 0) t, the pre-allocation stage allocated \(preAllocated[entity] ?? 0) t")
            }
        }
        guard let existing = registry.unitTypes[unit] else {
            throw AllocationError(.stageOrder, "unit type \(unit) does not exist: run the pre-allocation first")
        }
        try requireVintage(existing, year: year)
        var keys = KeyMaker(plan: plan.id, year: year, stage: .trueUp)
        let dues = try entityDues(allocations) { $0.finalT! - $0.preAllocationT }
        var steps: [CycleStep] = []
        var movements: [CycleStagePlan.EntityMovement] = []
        var debts: [CycleDebt] = []
        var recalledByProvince: [String: Int64] = [:]
        for due in dues {
            var moved = max(0, due.dueT)
            var debt: Int64 = 0
            if due.dueT < 0 {
                let owed = -due.dueT
                let recalled = min(owed, registry.holding(due.entity, unit).available)
                debt = owed - recalled
                moved = -recalled
                if recalled > 0 {
                    steps.append(
                        CycleStep(
                            key: try keys.key("recall", due.entity.rawValue),
                            command: .recall(from: due.entity, to: .provincial(due.province), unit: unit, quantity: recalled)))
                    recalledByProvince[due.province, default: 0] += recalled
                }
                if debt > 0 {
                    debts.append(
                        CycleDebt(
                            entity: due.entity, year: year, unit: unit, quantityT: debt,
                            reason: "true-up \(plan.id): recall of \(owed) t, \(recalled) t free \(unit) held",
                            settlement: plan.effectiveTrueUpDebt))
                }
            }
            movements.append(
                CycleStagePlan.EntityMovement(entity: due.entity, province: due.province, movedT: moved, dueT: due.dueT, debtT: debt))
        }
        var recalledTotal: Int64 = 0
        for (province, quantity) in recalledByProvince.sorted(by: { $0.key < $1.key }) {
            steps.append(
                CycleStep(
                    key: try keys.key("recall-province", province),
                    command: .recall(from: .provincial(province), to: nationalAccount, unit: unit, quantity: quantity)))
            recalledTotal += quantity
        }
        steps += try allocationSteps(
            dues.filter { $0.dueT > 0 }, unit: unit, keys: &keys, registry: registry, reservedT: reservedT,
            availableExtra: recalledTotal)
        try checkQuantities(steps, policy: policy)
        return CycleStagePlan(planID: plan.id, year: year, stage: .trueUp, unit: unit, steps: steps, debts: debts, entities: movements)
    }

    /// Issue (what the national account lacks), national → province, province → entity.
    /// `reservedT` of the national account's free units are reserves of done reserve stages
    /// (`CycleSupply.heldReserveT`) and are not handed out: available = max(0, free − reservedT)
    /// + `availableExtra` (what the stage recalls into the national account first).
    static func allocationSteps(
        _ dues: [EntityDue], unit: UnitTypeCode, keys: inout KeyMaker, registry: RegistryState, reservedT: Int64,
        availableExtra: Int64
    ) throws(AllocationError) -> [CycleStep] {
        var byProvince: [String: Int64] = [:]
        var total: Int64 = 0
        for due in dues {
            precondition(due.dueT > 0, "only positive dues are allocated")
            byProvince[due.province, default: 0] += due.dueT
            total += due.dueT
        }
        guard total > 0 else { return [] }
        var steps: [CycleStep] = []
        let available = max(0, registry.holding(nationalAccount, unit).available - max(0, reservedT)) + availableExtra
        if total > available {
            steps.append(CycleStep(key: try keys.key("issue"), command: .issue(unit: unit, quantity: total - available, to: nationalAccount)))
        }
        for (province, quantity) in byProvince.sorted(by: { $0.key < $1.key }) {
            steps.append(
                CycleStep(
                    key: try keys.key("province", province),
                    command: .allocate(from: nationalAccount, to: .provincial(province), unit: unit, quantity: quantity)))
        }
        for due in dues {
            steps.append(
                CycleStep(
                    key: try keys.key("entity", due.entity.rawValue),
                    command: .allocate(from: .provincial(due.province), to: due.entity, unit: unit, quantity: due.dueT)))
        }
        return steps
    }

    struct EntityDue {
        var entity: AccountID
        var province: String
        var dueT: Int64
    }

    /// Per entity, sorted by account, the sum of `value` over its facilities.
    static func entityDues(
        _ allocations: [CycleFacilityAllocation], _ value: (CycleFacilityAllocation) -> Int64
    ) throws(AllocationError) -> [EntityDue] {
        var dues: [AccountID: EntityDue] = [:]
        for allocation in allocations {
            let (sum, overflow) = (dues[allocation.entity]?.dueT ?? 0).addingReportingOverflow(value(allocation))
            guard !overflow else { throw AllocationError(.limitExceeded, "\(allocation.entity): the sum is too large") }
            dues[allocation.entity] = EntityDue(entity: allocation.entity, province: allocation.province, dueT: sum)
        }
        return dues.values.sorted { $0.entity.rawValue < $1.entity.rawValue }
    }

    static func requireVintage(_ unit: UnitType, year: Int) throws(AllocationError) {
        guard unit.kind == .allowance, unit.vintageFrom == year, unit.vintageTo == year else {
            throw AllocationError(.invalidValue, "unit type \(unit.code) is not an allowance of vintage \(year)")
        }
    }

    static func checkQuantities(_ steps: [CycleStep], policy: RegistryPolicy) throws(AllocationError) {
        for step in steps {
            switch step.command {
            case .issue(_, let quantity, _), .allocate(_, _, _, let quantity), .recall(_, _, _, let quantity):
                guard quantity <= policy.maxQuantityPerCommand else {
                    throw AllocationError(
                        .limitExceeded, "\(step.key): \(quantity) t is above the registry's \(policy.maxQuantityPerCommand) t per command")
                }
            default:
                break
            }
        }
    }

    /// `cycle/{plan}/{year}/{stage}/{step}[/{account}]`, at most `Limits.maxKeyLength` bytes.
    struct KeyMaker {
        let prefix: String

        init(plan: String, year: Int, stage: CycleStage) {
            prefix = "cycle/\(plan)/\(year)/\(stage.keyName)/"
        }

        func key(_ step: String, _ account: String? = nil) throws(AllocationError) -> String {
            let key = prefix + step + (account.map { "/" + $0 } ?? "")
            guard key.utf8.count <= Limits.maxKeyLength else {
                throw AllocationError(.invalidValue, "idempotency key '\(key)' is longer than \(Limits.maxKeyLength) bytes (plan id or account too long)")
            }
            return key
        }
    }
}

extension CycleAllocation {
    /// Totals bottom-up: entity = Σ facilities, province = Σ entities, nation = Σ provinces,
    /// each overall and per unit category.
    public static func totals(plan: AllocationPlan, year: Int, allocations: [CycleFacilityAllocation]) -> CycleTotals {
        var entities: [AccountID: CycleTotals.Row] = [:]
        for allocation in allocations {
            let figures = CycleTotals.Figures(facilities: 1, preAllocationT: allocation.preAllocationT, finalT: allocation.finalT)
            var row = entities[allocation.entity] ?? CycleTotals.Row(
                id: allocation.entity.rawValue, province: allocation.province, total: .init(), categories: [:])
            row.total.add(figures)
            row.categories[allocation.category, default: .init()].add(figures)
            entities[allocation.entity] = row
        }
        let entityRows = entities.values.sorted { $0.id < $1.id }
        var provinces: [String: CycleTotals.Row] = [:]
        for row in entityRows {
            let province = row.province!
            var sum = provinces[province] ?? CycleTotals.Row(id: province, province: province, total: .init(), categories: [:])
            sum.total.add(row.total)
            for (category, figures) in row.categories { sum.categories[category, default: .init()].add(figures) }
            provinces[province] = sum
        }
        let provinceRows = provinces.values.sorted { $0.id < $1.id }
        var nation = CycleTotals.Row(id: "CN", province: nil, total: .init(), categories: [:])
        for row in provinceRows {
            nation.total.add(row.total)
            for (category, figures) in row.categories { nation.categories[category, default: .init()].add(figures) }
        }
        return CycleTotals(planID: plan.id, year: year, sector: plan.sector, entities: entityRows, provinces: provinceRows, nation: nation)
    }

    /// The obligation of an entity for the compliance step: verified emissions plus its
    /// true-up debts that the plan adds to the obligation (`add_to_obligation`). Debts to be
    /// deducted next year are not part of it.
    public static func obligation(verifiedT: Int64, debts: [CycleDebt], entity: AccountID, year: Int) -> Int64 {
        verifiedT + debts.filter { $0.entity == entity && $0.year == year && $0.settlement == .addToObligation }
            .reduce(0) { $0 + $1.quantityT }
    }
}
