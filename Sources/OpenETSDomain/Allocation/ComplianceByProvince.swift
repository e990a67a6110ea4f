/// A compliance year's results per province and for the nation, from the surrender stage's
/// assessments alone (the public statistics without the allocation figures, which need the
/// facilities' data: `CycleStatistics`).
public enum ComplianceByProvince {
    public struct Row: Hashable, Codable, Sendable {
        /// A province code, or "CN" for the nation.
        public var scope: String
        public var entities: Int
        public var compliantEntities: Int
        public var obligationT: Int64
        public var surrenderedT: Int64
        public var shortfallT: Int64
        /// 100 × compliant / entities and 100 × surrendered / obligation, two decimals, or "-".
        public var rateByCount: String
        public var rateByVolume: String
    }

    /// One row per province (by code), then the nation ("CN").
    public static func rows(_ assessments: [ComplianceAssessment]) -> [Row] {
        var rows: [String: Row] = [:]
        for assessment in assessments {
            for scope in [assessment.province, "CN"] {
                var row = rows[scope] ?? Row(
                    scope: scope, entities: 0, compliantEntities: 0, obligationT: 0, surrenderedT: 0, shortfallT: 0, rateByCount: "-",
                    rateByVolume: "-")
                row.entities += 1
                row.compliantEntities += assessment.status == .compliant ? 1 : 0
                row.obligationT += assessment.obligationT
                row.surrenderedT += assessment.surrenderedT
                row.shortfallT += assessment.shortfallT
                rows[scope] = row
            }
        }
        var ordered = rows.values.filter { $0.scope != "CN" }.sorted { $0.scope < $1.scope }
        if let nation = rows["CN"] { ordered.append(nation) }
        for index in ordered.indices {
            ordered[index].rateByCount = CycleStatistics.percent(Int64(ordered[index].compliantEntities), Int64(ordered[index].entities))
            ordered[index].rateByVolume = CycleStatistics.percent(ordered[index].surrenderedT, ordered[index].obligationT)
        }
        return ordered
    }
}
