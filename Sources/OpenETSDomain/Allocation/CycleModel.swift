/// The two-step allocation flow into the registry: the inputs (facilities) and the outputs
/// (registry commands with their idempotency keys, recorded debts, totals). Pure data; the
/// rules are in `CycleAllocation`.

/// A facility (power unit) of one entity for one compliance year: the calculator's unit input,
/// plus the entity account that receives its allowances and the entity's province.
public struct CycleFacility: Hashable, Codable, Sendable {
    public var id: String?
    /// The entity's registry account (`ENT-…`).
    public var entity: String?
    /// Two-letter province code; must be the entity account's province.
    public var province: String?
    public var category: String?
    public var generationMWh: String?
    public var heatSuppliedGJ: String?
    public var cooling: String?
    public var loadFactor: String?
    /// Verified emissions of the previous year (basis of the pre-allocation).
    public var previousVerifiedT: Int64?
    /// Verified emissions of this year (needed for the true-up only).
    public var verifiedT: Int64?
    /// The other plan types' inputs (`AllocationCalculator.UnitInput`).
    public var products: [AllocationCalculator.ProductOutput]?
    public var baseEmissionsT: [Int64]?
    public var baseIntensity: String?
    public var output: String?

    public init(
        id: String?, entity: String?, province: String?, category: String?, generationMWh: String? = nil,
        heatSuppliedGJ: String? = nil, cooling: String? = nil, loadFactor: String? = nil, previousVerifiedT: Int64?,
        verifiedT: Int64? = nil, products: [AllocationCalculator.ProductOutput]? = nil, baseEmissionsT: [Int64]? = nil,
        baseIntensity: String? = nil, output: String? = nil
    ) {
        self.products = products
        self.baseEmissionsT = baseEmissionsT
        self.baseIntensity = baseIntensity
        self.output = output
        self.id = id
        self.entity = entity
        self.province = province
        self.category = category
        self.generationMWh = generationMWh
        self.heatSuppliedGJ = heatSuppliedGJ
        self.cooling = cooling
        self.loadFactor = loadFactor
        self.previousVerifiedT = previousVerifiedT
        self.verifiedT = verifiedT
    }

    enum CodingKeys: String, CodingKey {
        case id, entity, province, category, cooling, products, output
        case baseEmissionsT = "base_emissions_t"
        case baseIntensity = "base_intensity"
        case generationMWh = "generation_mwh"
        case heatSuppliedGJ = "heat_supplied_gj"
        case loadFactor = "load_factor"
        case previousVerifiedT = "previous_verified_t"
        case verifiedT = "verified_t"
    }

    var unitInput: AllocationCalculator.UnitInput {
        AllocationCalculator.UnitInput(
            id: id, category: category, generationMWh: generationMWh, heatSuppliedGJ: heatSuppliedGJ, cooling: cooling,
            loadFactor: loadFactor, previousVerifiedT: previousVerifiedT, verifiedT: verifiedT, products: products,
            baseEmissionsT: baseEmissionsT, baseIntensity: baseIntensity, output: output)
    }

    /// Whether the facility carries what the plan type's final allocation needs (the totals
    /// give final figures only then).
    public func hasFinalData(for plan: AllocationPlan) -> Bool {
        switch plan.method {
        case .outputBenchmark: verifiedT != nil && generationMWh != nil
        case .verifiedEmissions: verifiedT != nil
        case .intensityBenchmark, .benchmarkMarketAdjustment: products?.isEmpty == false
        case .historicalEmissions: baseEmissionsT != nil
        case .historicalIntensityDecline: baseIntensity != nil && output != nil
        }
    }
}

/// The two registry stages of a year's allocation.
public enum CycleStage: String, Codable, Sendable, CaseIterable {
    case preAllocation = "pre_allocation"
    case trueUp = "true_up"
    /// Compliance assessment and the surrender of each entity's units (`CycleCompliance`).
    case surrender = "surrender"
    /// The plan's reserve issued into the national account after the true-up (`CycleSupply`).
    case reserve = "reserve"
    /// The paid allocation announced as a one-way sell auction on the exchange (`CycleSupply`).
    case auction = "auction"
    /// After the surrender deadline: each entity's allowances of vintages up to the year held
    /// above its carry-over limit (`CycleCarryOver`). Moves nothing under the `record` rule.
    case carryOver = "carry_over"

    /// Short form used in idempotency keys.
    var keyName: String {
        switch self {
        case .preAllocation: "pre"
        case .trueUp: "trueup"
        case .surrender: "surrender"
        case .reserve: "reserve"
        case .auction: "auction"
        case .carryOver: "carryover"
        }
    }
}

/// One registry command of a stage with the idempotency key that makes its retry a no-op.
/// Keys are `cycle/{plan}/{year}/{stage}/{step}[/{account}]`.
public struct CycleStep: Hashable, Codable, Sendable {
    public var key: String
    public var command: RegistryCommand

    public init(key: String, command: RegistryCommand) {
        self.key = key
        self.command = command
    }
}

/// One exchange command of a stage with its idempotency key.
public struct CycleExchangeStep: Hashable, Codable, Sendable {
    public var key: String
    public var command: ExchangeCommand

    public init(key: String, command: ExchangeCommand) {
        self.key = key
        self.command = command
    }
}

/// What an entity owes after a true-up recall it could not cover with free units of the
/// vintage. The compliance step adds it to the obligation, or it is deducted from next year's
/// allocation, as the plan's `true_up_debt` says.
public struct CycleDebt: Hashable, Codable, Sendable {
    public var entity: AccountID
    public var year: Int
    public var unit: UnitTypeCode
    public var quantityT: Int64
    public var reason: String
    public var settlement: AllocationPlan.TrueUpDebt

    public init(entity: AccountID, year: Int, unit: UnitTypeCode, quantityT: Int64, reason: String, settlement: AllocationPlan.TrueUpDebt) {
        self.entity = entity
        self.year = year
        self.unit = unit
        self.quantityT = quantityT
        self.reason = reason
        self.settlement = settlement
    }

    enum CodingKeys: String, CodingKey {
        case entity, year, unit, reason, settlement
        case quantityT = "quantity_t"
    }
}

/// One facility's figures: the pre-allocation, and after verification the final allocation
/// (nil before the true-up data is in).
public struct CycleFacilityAllocation: Hashable, Codable, Sendable {
    public var id: String
    public var entity: AccountID
    public var province: String
    public var category: String
    public var preAllocationT: Int64
    public var finalT: Int64?
    public var rule: AllocationCalculator.Rule?

    enum CodingKeys: String, CodingKey {
        case id, entity, province, category, rule
        case preAllocationT = "pre_allocation_t"
        case finalT = "final_t"
    }
}

/// A stage worked out: the commands in the order they run, and the debts it records.
public struct CycleStagePlan: Hashable, Codable, Sendable {
    public var planID: String
    public var year: Int
    public var stage: CycleStage
    public var unit: UnitTypeCode
    public var steps: [CycleStep]
    public var debts: [CycleDebt]
    /// Per entity: the quantity the stage moves to it (positive) or recalls (negative), and
    /// its debt; every entity of the input appears, sorted by account.
    public var entities: [EntityMovement]
    /// The surrender stage: each entity's compliance assessment, sorted by account.
    public var compliance: [ComplianceAssessment]?
    /// The pre-allocation: what was deducted per entity for last year's debts and unsurrendered
    /// shortfalls (`CycleDeduction`), sorted by entity.
    public var deductions: [CycleDeduction]?
    /// The plan version the stage was worked out under and the SHA-256 of its canonical JSON
    /// (nil in stages stored before plans were versioned in the store).
    public var planVersion: Int?
    public var planSHA256: String?
    /// The reserve and auction stages: the plan's supply worked out from the year's final
    /// allocation (Σ of the true-up's final figures).
    public var supply: AllocationSupply?
    /// The auction stage: exchange commands (admit the national account as a member if it is
    /// not, announce the auction), run in order after `steps`.
    public var exchangeSteps: [CycleExchangeStep]?
    /// The auction stage: the exchange's id of the announced auction (set when it is done).
    public var auctionID: Int64?
    /// The carry-over stage: each entity's holdings against its limit, sorted by account.
    public var carryOver: [CarryOverAssessment]?

    public struct EntityMovement: Hashable, Codable, Sendable {
        public var entity: AccountID
        public var province: String
        /// Allocated (> 0) or recalled (< 0) by this stage.
        public var movedT: Int64
        /// For the true-up: final − pre-allocation (before any debt).
        public var dueT: Int64
        public var debtT: Int64

        enum CodingKeys: String, CodingKey {
            case entity, province
            case movedT = "moved_t"
            case dueT = "due_t"
            case debtT = "debt_t"
        }
    }

    enum CodingKeys: String, CodingKey {
        case year, stage, unit, steps, debts, entities, compliance, deductions, supply
        case planID = "plan"
        case exchangeSteps = "exchange_steps"
        case auctionID = "auction_id"
        case planVersion = "plan_version"
        case planSHA256 = "plan_sha256"
        case carryOver = "carry_over"
    }
}

/// Allocation totals, bottom-up: an entity is the sum of its facilities, a province the sum
/// of its entities, the nation the sum of the provinces, each also per unit category.
public struct CycleTotals: Hashable, Codable, Sendable {
    public struct Figures: Hashable, Codable, Sendable {
        public var facilities: Int
        public var preAllocationT: Int64
        /// nil unless every facility counted has its final allocation.
        public var finalT: Int64?

        public init(facilities: Int = 0, preAllocationT: Int64 = 0, finalT: Int64? = 0) {
            self.facilities = facilities
            self.preAllocationT = preAllocationT
            self.finalT = finalT
        }

        mutating func add(_ other: Figures) {
            facilities += other.facilities
            preAllocationT += other.preAllocationT
            finalT = finalT.flatMap { mine in other.finalT.map { mine + $0 } }
        }

        enum CodingKeys: String, CodingKey {
            case facilities
            case preAllocationT = "pre_allocation_t"
            case finalT = "final_t"
        }
    }

    public struct Row: Hashable, Codable, Sendable {
        /// An entity account, a province code, or "CN".
        public var id: String
        public var province: String?
        public var total: Figures
        /// Per unit category, sorted by category id.
        public var categories: [String: Figures]
    }

    public var planID: String
    public var year: Int
    public var sector: String
    public var entities: [Row]
    public var provinces: [Row]
    public var nation: Row

    enum CodingKeys: String, CodingKey {
        case year, sector, entities, provinces, nation
        case planID = "plan"
    }
}
