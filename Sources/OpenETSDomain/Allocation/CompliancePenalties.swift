/// A penalty notice for an entity's unsurrendered shortfall (DOMAIN.md §6, issue 5 §6): a
/// record with its amounts (integer fen), the regime it was computed under and its status.
///
/// - `issued`: the fine is due and the shortfall not corrected;
/// - `paid`: the fine was paid (recorded by the regulator);
/// - `deducted`: the shortfall was deducted from the next year's pre-allocation (plans with
///   `deduct_shortfall`), applied by that year's pre-allocation stage.
public struct PenaltyNotice: Hashable, Codable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case issued, paid, deducted
    }

    /// `PN-{year}-{plan}-{entity}`: one notice per plan, entity and compliance year (notices
    /// stored before migration 15 keep `PN-{year}-{entity}`).
    public var id: String
    public var planID: String
    public var year: Int
    public var entity: AccountID
    public var province: String
    public var regime: AllocationPlan.PenaltyRegime.Kind
    public var shortfallT: Int64
    /// price_multiple: the average allowance price of the month before the deadline, fen per
    /// tonne (rounded half up to whole fen); nil under a fixed range.
    public var averagePriceFen: Int64?
    /// The fine's legal range and the amount set, fen.
    public var minFen: Int64
    public var maxFen: Int64
    public var amountFen: Int64
    /// Tonnes to deduct from next year's allocation when not corrected (0 when the plan does not deduct).
    public var deductionT: Int64
    public var status: Status
    public var issuedOn: CivilDate

    public init(
        id: String, planID: String, year: Int, entity: AccountID, province: String, regime: AllocationPlan.PenaltyRegime.Kind,
        shortfallT: Int64, averagePriceFen: Int64?, minFen: Int64, maxFen: Int64, amountFen: Int64, deductionT: Int64,
        status: Status, issuedOn: CivilDate
    ) {
        self.id = id
        self.planID = planID
        self.year = year
        self.entity = entity
        self.province = province
        self.regime = regime
        self.shortfallT = shortfallT
        self.averagePriceFen = averagePriceFen
        self.minFen = minFen
        self.maxFen = maxFen
        self.amountFen = amountFen
        self.deductionT = deductionT
        self.status = status
        self.issuedOn = issuedOn
    }

    enum CodingKeys: String, CodingKey {
        case id, year, entity, province, regime, status
        case planID = "plan"
        case shortfallT = "shortfall_t"
        case averagePriceFen = "average_price_fen"
        case minFen = "min_fen"
        case maxFen = "max_fen"
        case amountFen = "amount_fen"
        case deductionT = "deduction_t"
        case issuedOn = "issued_on"
    }
}

/// The penalty rules, pure.
///
///     fixed_range:     min = fixed_min_cny, max = fixed_max_cny (per entity, whatever the shortfall)
///     price_multiple:  average = round_half_up(Σ turnover_fen / Σ volume_t) over the allowance deals
///                      of the month before the deadline (whole fen per tonne)
///                      min = min_multiple × average × shortfall, max = max_multiple × average × shortfall,
///                      each rounded half up to whole fen once, at the end
///     amount:          the multiple (or fixed fine) the regulator sets, within [min, max]; the minimum by default
///     deduction_t:     the shortfall when the plan's `deduct_shortfall`, else 0
public enum CompliancePenalties {
    /// A notice's id: `PN-{year}-{plan}-{entity}` (migration 15; earlier notices keep `PN-{year}-{entity}`).
    public static func noticeID(plan: String, year: Int, entity: AccountID) -> String {
        "PN-\(year)-\(plan)-\(entity.rawValue)"
    }

    /// The window of "the month before the deadline": the days after the same day one month
    /// earlier, up to and including the deadline (deadline 2025-12-31 → 2025-12-01…2025-12-31;
    /// 2025-03-15 → 2025-02-16…2025-03-15). An interpretation of 清缴时限前1个月 [unverified].
    public static func priceWindow(deadline: CivilDate) -> ClosedRange<CivilDate> {
        let (year, month) = deadline.month == 1 ? (deadline.year - 1, 12) : (deadline.year, deadline.month - 1)
        let before = CivilDate(year: year, month: month, day: min(deadline.day, CivilDate.daysIn(month: month, year: year)))
        return before.adding(days: 1)...deadline
    }

    /// Average allowance price over the window from the exchange's daily records (which sum
    /// the day's deals): Σ turnover / Σ volume, half up to whole fen; nil without deals.
    public static func averagePriceFen(exchange: ExchangeState, registry: RegistryState, window: ClosedRange<CivilDate>) -> Int64? {
        var turnover: Int128 = 0
        var volume: Int128 = 0
        for day in exchange.history where window.contains(day.date) {
            guard let instrument = exchange.instruments[day.instrument],
                registry.unitTypes[instrument.unit]?.kind == .allowance
            else { continue }
            turnover += Int128(day.prices.turnoverFen)
            volume += Int128(day.prices.volume)
        }
        guard volume > 0 else { return nil }
        return Int64(roundedHalfUp(turnover, volume))
    }

    /// Notices for the entities with a shortfall, sorted by entity. `multiple` sets the
    /// amount within the range (price regime); nil takes the minimum.
    public static func notices(
        plan: AllocationPlan, assessments: [ComplianceAssessment], averagePriceFen: Int64?, multiple: ExactDecimal? = nil,
        issuedOn: CivilDate
    ) throws(AllocationError) -> [PenaltyNotice] {
        let regime = plan.penalty
        if let multiple, regime.kind == .priceMultiple, !(regime.minMultiple! <= multiple && multiple <= regime.maxMultiple!) {
            throw AllocationError(.outOfRange, "multiple \(multiple) is outside the plan's \(regime.minMultiple!)-\(regime.maxMultiple!)")
        }
        var result: [PenaltyNotice] = []
        for assessment in assessments.sorted(by: { $0.entity.rawValue < $1.entity.rawValue }) where assessment.shortfallT > 0 {
            let minFen: Int64
            let maxFen: Int64
            let amountFen: Int64
            var price: Int64?
            switch regime.kind {
            case .fixedRange:
                minFen = try fen(regime.fixedMinCNY!)
                maxFen = try fen(regime.fixedMaxCNY!)
                amountFen = minFen
            case .priceMultiple:
                guard let averagePriceFen else {
                    throw AllocationError(.noMonthPrice, "no allowance deal in the month before \(plan.deadlines.surrender): no price to fine \(assessment.entity)")
                }
                price = averagePriceFen
                minFen = try fine(regime.minMultiple!, averagePriceFen, assessment.shortfallT)
                maxFen = try fine(regime.maxMultiple!, averagePriceFen, assessment.shortfallT)
                amountFen = try fine(multiple ?? regime.minMultiple!, averagePriceFen, assessment.shortfallT)
            }
            result.append(
                PenaltyNotice(
                    id: noticeID(plan: plan.id, year: plan.year, entity: assessment.entity), planID: plan.id, year: plan.year, entity: assessment.entity,
                    province: assessment.province, regime: regime.kind, shortfallT: assessment.shortfallT, averagePriceFen: price,
                    minFen: minFen, maxFen: maxFen, amountFen: amountFen, deductionT: regime.deductShortfall ? assessment.shortfallT : 0,
                    status: .issued, issuedOn: issuedOn))
        }
        return result
    }

    /// multiple × price_fen × shortfall, half up to whole fen.
    static func fine(_ multiple: ExactDecimal, _ priceFen: Int64, _ shortfallT: Int64) throws(AllocationError) -> Int64 {
        do {
            let exact = try multiple.multiplied(by: ExactDecimal(priceFen)).multiplied(by: ExactDecimal(shortfallT))
            guard let whole = Int64(exactly: try exact.rounded(to: 0).mantissa) else { throw DecimalOverflow() }
            return whole
        } catch {
            throw AllocationError(.limitExceeded, "the fine for \(shortfallT) t at \(priceFen) fen is too large")
        }
    }

    static func fen(_ cny: ExactDecimal) throws(AllocationError) -> Int64 {
        do {
            let value = try cny.multiplied(by: ExactDecimal(100)).rounded(to: 0)
            guard let whole = Int64(exactly: value.mantissa) else { throw DecimalOverflow() }
            return whole
        } catch {
            throw AllocationError(.limitExceeded, "\(cny) CNY is too large")
        }
    }

    /// The exchange's one rounding rule for averages: half up.
    static func roundedHalfUp(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        precondition(numerator >= 0 && denominator > 0)
        return Fen.divideHalfUp(numerator, denominator)
    }

    /// What each entity owes the next year's allocation: debts the plan deducts next year
    /// (`deduct_next_year`) and the deduction of notices still `issued`.
    public static func deductions(debts: [CycleDebt], notices: [PenaltyNotice]) -> [AccountID: Int64] {
        var owed: [AccountID: Int64] = [:]
        for debt in debts where debt.settlement == .deductNextYear { owed[debt.entity, default: 0] += debt.quantityT }
        for notice in notices where notice.status == .issued && notice.deductionT > 0 {
            owed[notice.entity, default: 0] += notice.deductionT
        }
        return owed
    }
}

/// What a pre-allocation deducted from an entity for the previous year.
public struct CycleDeduction: Hashable, Codable, Sendable {
    public var entity: AccountID
    /// What the entity owed from the previous year.
    public var owedT: Int64
    /// What this pre-allocation kept back (≤ owed and ≤ the entity's pre-allocation).
    public var deductedT: Int64

    public init(entity: AccountID, owedT: Int64, deductedT: Int64) {
        self.entity = entity
        self.owedT = owedT
        self.deductedT = deductedT
    }

    enum CodingKeys: String, CodingKey {
        case entity
        case owedT = "owed_t"
        case deductedT = "deducted_t"
    }
}
