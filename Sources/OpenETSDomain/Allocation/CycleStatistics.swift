/// The public statistics of a compliance year (issue 5 §8), pure so the web pages and the CLI
/// render the same figures:
///
///     compliance rate by count  = entities compliant / entities, in percent
///     compliance rate by volume = tonnes surrendered / tonnes of obligation, in percent
///     turnover rate             = allowances of the year's vintage traded / final allocation, in percent
///
/// Percentages are exact ratios rounded half up to 2 decimals ("95.83"); "-" when the
/// denominator is 0. Rows: one per province (with the plan's sector), then the nation ("CN").
public struct CycleStatistics: Hashable, Codable, Sendable {
    public struct Row: Hashable, Codable, Sendable {
        /// A province code or "CN".
        public var scope: String
        public var sector: String
        public var entities: Int
        public var compliantEntities: Int
        public var obligationT: Int64
        public var surrenderedT: Int64
        public var shortfallT: Int64
        public var preAllocationT: Int64
        /// nil unless every facility has its final allocation.
        public var finalAllocationT: Int64?
        public var complianceRateByCount: String
        public var complianceRateByVolume: String

        enum CodingKeys: String, CodingKey {
            case scope, sector, entities
            case compliantEntities = "compliant_entities"
            case obligationT = "obligation_t"
            case surrenderedT = "surrendered_t"
            case shortfallT = "shortfall_t"
            case preAllocationT = "pre_allocation_t"
            case finalAllocationT = "final_allocation_t"
            case complianceRateByCount = "compliance_rate_by_count"
            case complianceRateByVolume = "compliance_rate_by_volume"
        }
    }

    public var planID: String
    public var year: Int
    public var rows: [Row]
    public var tradedT: Int64
    public var turnoverRate: String

    enum CodingKeys: String, CodingKey {
        case year, rows
        case planID = "plan"
        case tradedT = "traded_t"
        case turnoverRate = "turnover_rate"
    }

    /// `assessments` from the surrender stage, `totals` from the allocation (final figures),
    /// `tradedT` the volume traded in the year's vintage.
    public static func compute(plan: AllocationPlan, year: Int, assessments: [ComplianceAssessment], totals: CycleTotals, tradedT: Int64)
        -> CycleStatistics
    {
        compute(planID: plan.id, sector: plan.sector, year: year, assessments: assessments, totals: totals, tradedT: tradedT)
    }

    /// The published statistics from the stored stages alone (no facilities file): the
    /// allocation per province is what the stages allocated — pre-allocation = moved + kept
    /// back for last year, final = pre-allocation + the true-up's due (before any debt).
    public static func fromStages(
        planID: String, sector: String, year: Int, preAllocation: CycleStagePlan, trueUp: CycleStagePlan?, surrender: CycleStagePlan,
        tradedT: Int64
    ) -> CycleStatistics {
        var kept: [AccountID: Int64] = [:]
        for deduction in preAllocation.deductions ?? [] { kept[deduction.entity, default: 0] += deduction.deductedT }
        var due: [AccountID: Int64] = [:]
        for entity in trueUp?.entities ?? [] { due[entity.entity, default: 0] += entity.dueT }
        var provinces: [String: CycleTotals.Figures] = [:]
        var nation = CycleTotals.Figures(finalT: trueUp == nil ? nil : 0)
        var entities: [CycleTotals.Row] = []
        for entity in preAllocation.entities {
            let preT = entity.movedT + (kept[entity.entity] ?? 0)
            let figures = CycleTotals.Figures(facilities: 0, preAllocationT: preT, finalT: trueUp == nil ? nil : preT + (due[entity.entity] ?? 0))
            entities.append(CycleTotals.Row(id: entity.entity.rawValue, province: entity.province, total: figures, categories: [:]))
            provinces[entity.province, default: CycleTotals.Figures(finalT: trueUp == nil ? nil : 0)].add(figures)
            nation.add(figures)
        }
        let totals = CycleTotals(
            planID: planID, year: year, sector: sector, entities: entities,
            provinces: provinces.keys.sorted().map { CycleTotals.Row(id: $0, province: $0, total: provinces[$0]!, categories: [:]) },
            nation: CycleTotals.Row(id: "CN", province: nil, total: nation, categories: [:]))
        return compute(planID: planID, sector: sector, year: year, assessments: surrender.compliance ?? [], totals: totals, tradedT: tradedT)
    }

    public static func compute(planID: String, sector: String, year: Int, assessments: [ComplianceAssessment], totals: CycleTotals, tradedT: Int64)
        -> CycleStatistics
    {
        var rows: [String: Row] = [:]
        func empty(_ scope: String) -> Row {
            Row(
                scope: scope, sector: sector, entities: 0, compliantEntities: 0, obligationT: 0, surrenderedT: 0, shortfallT: 0,
                preAllocationT: 0, finalAllocationT: 0, complianceRateByCount: "-", complianceRateByVolume: "-")
        }
        for assessment in assessments {
            for scope in [assessment.province, "CN"] {
                var row = rows[scope] ?? empty(scope)
                row.entities += 1
                row.compliantEntities += assessment.status == .compliant ? 1 : 0
                row.obligationT += assessment.obligationT
                row.surrenderedT += assessment.surrenderedT
                row.shortfallT += assessment.shortfallT
                rows[scope] = row
            }
        }
        for total in totals.provinces + [totals.nation] {
            var row = rows[total.id] ?? empty(total.id)
            row.preAllocationT = total.total.preAllocationT
            row.finalAllocationT = total.total.finalT
            rows[total.id] = row
        }
        var ordered = rows.values.filter { $0.scope != "CN" }.sorted { $0.scope < $1.scope }
        ordered.append(rows["CN"] ?? empty("CN"))
        for index in ordered.indices {
            ordered[index].complianceRateByCount = percent(Int64(ordered[index].compliantEntities), Int64(ordered[index].entities))
            ordered[index].complianceRateByVolume = percent(ordered[index].surrenderedT, ordered[index].obligationT)
        }
        let allocation = ordered.last!.finalAllocationT ?? 0
        return CycleStatistics(planID: planID, year: year, rows: ordered, tradedT: tradedT, turnoverRate: percent(tradedT, allocation))
    }

    /// 100 × part / whole, half up to 2 decimals; "-" for a zero whole.
    public static func percent(_ part: Int64, _ whole: Int64) -> String {
        guard whole > 0, part >= 0 else { return "-" }
        let hundredths = CompliancePenalties.roundedHalfUp(Int128(part) * 10_000, Int128(whole))
        let fraction = Int(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Allowances of `unit` traded on the exchange (all days of its daily records).
    public static func tradedT(exchange: ExchangeState, unit: UnitTypeCode) -> Int64 {
        exchange.history.filter { exchange.instruments[$0.instrument]?.unit == unit }.reduce(0) { $0 + $1.prices.volume }
    }

    /// The rows as CSV (header, then one line per row).
    public var csv: String {
        var lines = [
            "scope,sector,entities,compliant_entities,compliance_rate_by_count,obligation_t,surrendered_t,shortfall_t,"
                + "compliance_rate_by_volume,pre_allocation_t,final_allocation_t"
        ]
        for row in rows {
            lines.append(
                [row.scope, row.sector, String(row.entities), String(row.compliantEntities), row.complianceRateByCount,
                 String(row.obligationT), String(row.surrenderedT), String(row.shortfallT), row.complianceRateByVolume,
                 String(row.preAllocationT), row.finalAllocationT.map { String($0) } ?? ""].joined(separator: ","))
        }
        lines.append("traded_t,\(tradedT),turnover_rate,\(turnoverRate)")
        return lines.joined(separator: "\n") + "\n"
    }
}
