import OpenETSDomain
import Testing

@Suite("Compliance by province")
struct ComplianceByProvinceTests {
    func assessment(_ entity: AccountID, _ province: String, obligation: Int64, surrendered: Int64) -> ComplianceAssessment {
        ComplianceAssessment(
            entity: entity, province: province, verifiedT: obligation, debtT: 0, obligationT: obligation, ccerUsableT: 0,
            surrenderedT: surrendered, shortfallT: obligation - surrendered, netSoldT: 0, carryOverLimitT: 0,
            status: surrendered >= obligation ? .compliant : .shortfall, surrender: [], ineligible: [])
    }

    @Test func rowsPerProvinceThenTheNationWithExactRates() {
        let rows = ComplianceByProvince.rows([
            assessment("ENT-3", "SC", obligation: 300, surrendered: 100),
            assessment("ENT-1", "GD", obligation: 1_000, surrendered: 1_000),
            assessment("ENT-2", "SC", obligation: 600, surrendered: 600),
        ])
        #expect(rows.map(\.scope) == ["GD", "SC", "CN"])
        #expect(rows[1].entities == 2 && rows[1].compliantEntities == 1 && rows[1].obligationT == 900 && rows[1].surrenderedT == 700)
        #expect(rows[1].shortfallT == 200 && rows[1].rateByCount == "50.00" && rows[1].rateByVolume == "77.78")
        #expect(rows[2].entities == 3 && rows[2].obligationT == 1_900 && rows[2].rateByCount == "66.67" && rows[2].rateByVolume == "89.47")
        #expect(ComplianceByProvince.rows([]).isEmpty)
    }
}
