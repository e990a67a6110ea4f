/// The compliance step of a year (DOMAIN.md §6, issue 5 §5) as registry commands: each entity's
/// obligation, the surrender the `ComplianceCalculator` rules choose from its registry holdings,
/// its carry-over limit, its status and shortfall.
///
/// - obligation = Σ verified emissions of the entity's facilities + its true-up debts the plan
///   adds to the obligation (`add_to_obligation`).
/// - holdings: the entity's free units (frozen and locked units are not surrendered). Allowances
///   by vintage; CCER unit types only through `OffsetEligibility` on the CCER state: the unit
///   type must be a monitoring period of a project in the CCER registry, the credit type must be
///   accepted for ETS offsets, the project must not sit in a covered facility, and its
///   registration date decides the legacy rule. Any other credit (local credits, CCERs the CCER
///   state does not know, vintages after the year) is never surrendered.
/// - net sold = allowances the entity sent minus received in settled exchange deals and
///   registry transfers (`NetSales`), read from the journal, not an input.
///
/// Pure and deterministic: the same inputs give the same commands with keys
/// `cycle/{plan}/{year}/surrender/{entity}/{unit}`.
public enum CycleCompliance {
    /// Per entity, how it stands after the surrender stage.
    public static func surrender(
        plan: AllocationPlan, year: Int, facilities: [CycleFacility], debts: [CycleDebt], registry: RegistryState,
        ccer: CCERState, netSold: [AccountID: Int64], coveredFacilities: [String], policy: RegistryPolicy
    ) throws(AllocationError) -> CycleStagePlan {
        let unit = CycleAllocation.unitCode(year: year)
        let allocations = try CycleAllocation.allocations(plan: plan, year: year, facilities: facilities, registry: registry, final: false)
        var verified: [AccountID: (province: String, tonnes: Int64)] = [:]
        for (facility, allocation) in zip(facilities, allocations) {
            let tonnes = try AllocationArithmetic.tonnes(
                facility.verifiedT, "verified_t", at: allocation.id, max: AllocationCalculator.Limits.maxTonnes)
            verified[allocation.entity, default: (allocation.province, 0)].tonnes += tonnes
        }
        let eligibility = ccerEligibility(registry: registry, ccer: ccer, coveredFacilities: coveredFacilities)
        let held = freeHoldings(of: Set(verified.keys), registry: registry)
        let keys = CycleAllocation.KeyMaker(plan: plan.id, year: year, stage: .surrender)
        var steps: [CycleStep] = []
        var assessments: [ComplianceAssessment] = []
        var movements: [CycleStagePlan.EntityMovement] = []
        for entity in verified.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let (province, verifiedT) = verified[entity]!
            let obligationT = CycleAllocation.obligation(verifiedT: verifiedT, debts: debts, entity: entity, year: year)
            let debtT = obligationT - verifiedT
            let entityHeld = held[entity] ?? []
            let (holdings, ineligible) = classify(entityHeld, plan: plan, year: year, registry: registry, eligibility: eligibility)
            let input = ComplianceCalculator.EntityInput(
                id: entity.rawValue, obligationT: obligationT, holdings: holdings, netSoldT: netSold[entity] ?? 0, monthAveragePrice: "0")
            let result = try ComplianceCalculator.assess(input, plan: plan)
            let lines = split(result.surrender, held: entityHeld, ineligible: ineligible, registry: registry)
            for line in lines {
                steps.append(
                    CycleStep(
                        key: try keys.key("entity", entity.rawValue + "/" + line.unit.rawValue),
                        command: .surrender(
                            account: entity, unit: line.unit, quantity: line.quantityT, complianceYear: year,
                            borrowing: borrowed(line, year: year, registry: registry) ? true : nil)))
            }
            let surrenderedT = lines.reduce(0) { $0 + $1.quantityT }
            let borrowedT = lines.reduce(0) { $0 + (borrowed($1, year: year, registry: registry) ? $1.quantityT : 0) }
            assert(surrenderedT + result.shortfallT == obligationT)
            assessments.append(
                ComplianceAssessment(
                    entity: entity, province: province, verifiedT: verifiedT, debtT: debtT, obligationT: obligationT,
                    ccerUsableT: result.ccerUsableT, surrenderedT: surrenderedT, shortfallT: result.shortfallT,
                    netSoldT: netSold[entity] ?? 0, carryOverLimitT: result.carryOverLimitT, status: result.status,
                    surrender: lines, ineligible: ineligible, borrowedT: borrowedT > 0 ? borrowedT : nil))
            movements.append(.init(entity: entity, province: province, movedT: -surrenderedT, dueT: -obligationT, debtT: 0))
        }
        try CycleAllocation.checkQuantities(steps, policy: policy)
        return CycleStagePlan(
            planID: plan.id, year: year, stage: .surrender, unit: unit, steps: steps, debts: [], entities: movements,
            compliance: assessments)
    }

    /// Whether a surrender line borrows: an allowance of a vintage after the year (the stage
    /// only offers vintage year + 1, and only under a plan that allows borrowing).
    static func borrowed(_ line: ComplianceAssessment.Line, year: Int, registry: RegistryState) -> Bool {
        line.kind == "CEA" && registry.unitTypes[line.unit]!.vintageFrom > year
    }

    /// The calculator's holding lines from an entity's free units, and the credits never
    /// surrendered. Allowances of a vintage after the year are left out, except those of
    /// vintage year + 1 under a plan that allows borrowing: the calculator borrows from them
    /// within the plan's limits and the registry's `surrender(borrowing: true)` takes them.
    static func classify(
        _ held: [(UnitTypeCode, Int64)], plan: AllocationPlan, year: Int, registry: RegistryState,
        eligibility: [UnitTypeCode: OffsetEligibility.Assessment]
    ) -> ([ComplianceCalculator.HoldingInput], [ComplianceAssessment.Ineligible]) {
        var holdings: [ComplianceCalculator.HoldingInput] = []
        var ineligible: [ComplianceAssessment.Ineligible] = []
        for (code, quantity) in held {
            let type = registry.unitTypes[code]!
            switch type.kind {
            case .allowance:
                let borrowable = plan.borrowing.allowed && type.vintageFrom == year + 1 && type.vintageTo == year + 1
                if type.vintageFrom <= year || borrowable, let vintage = calculatorVintage(type) {
                    holdings.append(.init(type: "CEA", vintage: vintage, quantity: quantity))
                }
            case .ccer, .localCredit:
                if let reason = ineligibleReason(type, plan: plan, year: year, eligibility: eligibility[code]) {
                    ineligible.append(.init(unit: code, quantityT: quantity, reason: reason))
                } else {
                    holdings.append(eligibility[code]!.holding(quantity: quantity, vintage: calculatorVintage(type)))
                }
            }
        }
        return (holdings, ineligible)
    }

    /// The vintage the calculator orders by; nil (sorted first, as "") for a credit of a
    /// vintage outside the calculator's range.
    static func calculatorVintage(_ type: UnitType) -> String? {
        let range = ComplianceCalculator.Limits.vintageYears
        return range.contains(type.vintageFrom) && range.contains(type.vintageTo) ? type.vintageLabel : nil
    }

    /// The calculator merges holdings by type and vintage: split its lines back into unit
    /// types, in unit code order.
    static func split(
        _ surrender: [ComplianceCalculator.SurrenderLine], held: [(UnitTypeCode, Int64)], ineligible: [ComplianceAssessment.Ineligible],
        registry: RegistryState
    ) -> [ComplianceAssessment.Line] {
        var lines: [ComplianceAssessment.Line] = []
        for line in surrender {
            var left = line.quantity
            for (code, quantity) in held where left > 0 {
                let type = registry.unitTypes[code]!
                guard (line.type == "CEA") == (type.kind == .allowance), (calculatorVintage(type) ?? "") == line.vintage,
                    !ineligible.contains(where: { $0.unit == code })
                else { continue }
                let taken = min(left, quantity - (lines.first { $0.unit == code }?.quantityT ?? 0))
                guard taken > 0 else { continue }
                lines.append(.init(unit: code, kind: line.type, quantityT: taken))
                left -= taken
            }
            precondition(left == 0, "the calculator surrenders only what is held")
        }
        return lines
    }

    /// Why a credit unit type cannot offset this year's obligation, nil when it can.
    ///
    /// A legacy CCER (registered before `offsets.legacyRegisteredBefore`) whose use ended before
    /// the plan's surrender deadline is ineligible here, by the same test as the calculator's
    /// (`ComplianceCalculator.usableHoldings`): otherwise `split`, which maps the calculator's
    /// lines back to unit types by vintage, could hand in a legacy credit for tonnes only a newer
    /// credit of the same vintage may cover.
    public static func ineligibleReason(_ type: UnitType, plan: AllocationPlan, year: Int, eligibility: OffsetEligibility.Assessment?) -> String? {
        guard type.kind == .ccer, let eligibility else {
            return "\(type.code) is not a CCER issuance the CCER registry knows"
        }
        guard eligibility.eligible else { return eligibility.reasons.joined(separator: "; ") }
        guard type.vintageFrom <= year else { return "\(type.code) is of vintage \(type.vintageLabel), after \(year)" }
        let registered = eligibility.registeredOn.description
        if registered < plan.offsets.legacyRegisteredBefore, plan.deadlines.surrender > plan.offsets.legacyUsableUntil {
            return "\(type.code) was registered on \(registered), before \(plan.offsets.legacyRegisteredBefore): "
                + "usable only until \(plan.offsets.legacyUsableUntil), before this plan's deadline \(plan.deadlines.surrender)"
        }
        return nil
    }

    /// `OffsetEligibility` of every CCER issuance unit type of the CCER state's projects.
    public static func ccerEligibility(
        registry: RegistryState, ccer: CCERState, coveredFacilities: [String]
    ) -> [UnitTypeCode: OffsetEligibility.Assessment] {
        var result: [UnitTypeCode: OffsetEligibility.Assessment] = [:]
        for project in ccer.projects.values {
            for number in project.periods.indices.map({ $0 + 1 }) {
                let code = IssuanceOrder.unitTypeCode(project: project.id, period: number)
                guard registry.unitTypes[code] != nil,
                    let assessment = try? OffsetEligibility.assess(project, period: number, coveredFacilities: coveredFacilities)
                else { continue }
                result[code] = assessment
            }
        }
        return result
    }

    /// Free (not frozen, not locked) units per entity and unit type, sorted by unit type.
    static func freeHoldings(of entities: Set<AccountID>, registry: RegistryState) -> [AccountID: [(UnitTypeCode, Int64)]] {
        var result: [AccountID: [(UnitTypeCode, Int64)]] = [:]
        for (key, holding) in registry.holdings where entities.contains(key.account) {
            let available = holding.available
            if available > 0 { result[key.account, default: []].append((key.unit, available)) }
        }
        for key in result.keys { result[key]!.sort { $0.0.rawValue < $1.0.rawValue } }
        return result
    }
}

/// One entity's compliance for a year as the surrender stage records it.
public struct ComplianceAssessment: Hashable, Codable, Sendable {
    public struct Line: Hashable, Codable, Sendable {
        public var unit: UnitTypeCode
        /// "CEA" or "CCER".
        public var kind: String
        public var quantityT: Int64

        public init(unit: UnitTypeCode, kind: String, quantityT: Int64) {
            self.unit = unit
            self.kind = kind
            self.quantityT = quantityT
        }

        enum CodingKeys: String, CodingKey {
            case unit, kind
            case quantityT = "quantity_t"
        }
    }

    /// A credit holding that is never surrendered, and why.
    public struct Ineligible: Hashable, Codable, Sendable {
        public var unit: UnitTypeCode
        public var quantityT: Int64
        public var reason: String

        public init(unit: UnitTypeCode, quantityT: Int64, reason: String) {
            self.unit = unit
            self.quantityT = quantityT
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case unit, reason
            case quantityT = "quantity_t"
        }
    }

    public var entity: AccountID
    public var province: String
    public var verifiedT: Int64
    /// True-up debts added to the obligation.
    public var debtT: Int64
    public var obligationT: Int64
    public var ccerUsableT: Int64
    public var surrenderedT: Int64
    public var shortfallT: Int64
    public var netSoldT: Int64
    public var carryOverLimitT: Int64
    public var status: ComplianceCalculator.Status
    public var surrender: [Line]
    public var ineligible: [Ineligible]
    /// Allowances of vintage year + 1 surrendered by borrowing (included in `surrenderedT`);
    /// nil when nothing was borrowed (and in stages recorded before borrowing was applied).
    public var borrowedT: Int64?

    public init(
        entity: AccountID, province: String, verifiedT: Int64, debtT: Int64, obligationT: Int64, ccerUsableT: Int64, surrenderedT: Int64,
        shortfallT: Int64, netSoldT: Int64, carryOverLimitT: Int64, status: ComplianceCalculator.Status, surrender: [Line],
        ineligible: [Ineligible], borrowedT: Int64? = nil
    ) {
        self.entity = entity
        self.province = province
        self.verifiedT = verifiedT
        self.debtT = debtT
        self.obligationT = obligationT
        self.ccerUsableT = ccerUsableT
        self.surrenderedT = surrenderedT
        self.shortfallT = shortfallT
        self.netSoldT = netSoldT
        self.carryOverLimitT = carryOverLimitT
        self.status = status
        self.surrender = surrender
        self.ineligible = ineligible
        self.borrowedT = borrowedT
    }

    enum CodingKeys: String, CodingKey {
        case entity, province, status, surrender, ineligible
        case verifiedT = "verified_t"
        case debtT = "debt_t"
        case obligationT = "obligation_t"
        case ccerUsableT = "ccer_usable_t"
        case surrenderedT = "surrendered_t"
        case shortfallT = "shortfall_t"
        case netSoldT = "net_sold_t"
        case carryOverLimitT = "carry_over_limit_t"
        case borrowedT = "borrowed_t"
    }
}

/// Allowances an account sold minus bought: settled exchange deals (the registry's
/// `settlement` movements, seller → buyer) and registry transfers between accounts. Issuance,
/// allocation, recall and surrender are not sales.
public struct NetSales: Hashable, Sendable {
    public private(set) var netSoldT: [AccountID: Int64] = [:]

    public init() {}

    /// Adds the movements of allowance units among `events`; `isAllowance` names the unit types.
    public mutating func add(_ events: [RegistryEvent], isAllowance: (UnitTypeCode) -> Bool) {
        for event in events {
            guard case .unitsMoved(let kind, let from, let to, let unit, let lot) = event,
                kind == .settlement || kind == .transfer, isAllowance(unit)
            else { continue }
            netSoldT[from, default: 0] += lot.quantity
            netSoldT[to, default: 0] -= lot.quantity
        }
    }
}
