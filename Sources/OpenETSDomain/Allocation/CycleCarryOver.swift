/// Carry-over enforcement (issue 5 §5, DOMAIN.md §6): after the surrender deadline an entity
/// may keep at most `carry_over.base_t` + floor(`net_sold_multiplier` × max(0, net sold))
/// allowances of vintages up to the compliance year (10,000 t + 1.5 × net sold under the seed
/// plans, seed 003). Net sold is recomputed when the stage runs (sales after the surrender
/// count). Held = every allowance of a vintage ≤ the year in the account, free, frozen or
/// locked. The excess above the limit is recorded per entity; what becomes of it is the plan's
/// `carry_over.excess` (`record` only, [unverified]: the sources do not say).
public struct CarryOverAssessment: Hashable, Codable, Sendable {
    public var entity: AccountID
    public var province: String
    /// Allowances of vintages up to the year held after the deadline.
    public var heldT: Int64
    public var netSoldT: Int64
    public var limitT: Int64
    /// max(0, held − limit).
    public var excessT: Int64
    public var consequence: AllocationPlan.CarryOver.Excess

    public init(
        entity: AccountID, province: String, heldT: Int64, netSoldT: Int64, limitT: Int64, excessT: Int64,
        consequence: AllocationPlan.CarryOver.Excess
    ) {
        self.entity = entity
        self.province = province
        self.heldT = heldT
        self.netSoldT = netSoldT
        self.limitT = limitT
        self.excessT = excessT
        self.consequence = consequence
    }

    enum CodingKeys: String, CodingKey {
        case entity, province, consequence
        case heldT = "held_t"
        case netSoldT = "net_sold_t"
        case limitT = "limit_t"
        case excessT = "excess_t"
    }
}

public enum CycleCarryOver {
    /// The carry-over stage for the entities assessed by the year's surrender stage. Refused
    /// (`STAGE_ORDER`) on or before the surrender deadline.
    public static func assess(
        plan: AllocationPlan, year: Int, surrendered: [ComplianceAssessment], registry: RegistryState, netSold: [AccountID: Int64],
        today: CivilDate
    ) throws(AllocationError) -> CycleStagePlan {
        guard let deadline = CivilDate(plan.deadlines.surrender) else {
            throw AllocationError(.invalidPlan, "plan \(plan.id): surrender deadline \(plan.deadlines.surrender) is not a date")
        }
        guard today > deadline else {
            throw AllocationError(.stageOrder, "carry-over is enforced after the surrender deadline \(deadline), not on \(today)")
        }
        let consequence = plan.carryOver.excess ?? .record
        var assessments: [CarryOverAssessment] = []
        for entity in surrendered.sorted(by: { $0.entity < $1.entity }) {
            let heldT = heldUpToYear(entity.entity, year: year, registry: registry)
            let netSoldT = netSold[entity.entity] ?? 0
            let limitT = try plan.carryOver.limitT(netSoldT: netSoldT)
            assessments.append(
                CarryOverAssessment(
                    entity: entity.entity, province: entity.province, heldT: heldT, netSoldT: netSoldT, limitT: limitT,
                    excessT: max(0, heldT - limitT), consequence: consequence))
        }
        return CycleStagePlan(
            planID: plan.id, year: year, stage: .carryOver, unit: CycleAllocation.unitCode(year: year), steps: [], debts: [],
            entities: [], carryOver: assessments)
    }

    /// Every allowance of a vintage up to `year` the account holds (free, frozen or locked).
    static func heldUpToYear(_ account: AccountID, year: Int, registry: RegistryState) -> Int64 {
        var total: Int64 = 0
        for (key, holding) in registry.holdings where key.account == account {
            guard let type = registry.unitTypes[key.unit], type.kind == .allowance, type.vintageTo <= year else { continue }
            total += holding.total
        }
        return total
    }
}
