import OpenETSDomain
import OpenETSWeb
import Testing

/// The city and MEE portal pages as text: pure functions of the MRV state.
@Suite("Regulator portal pages")
struct RegulatorPagesTests {
    static func state() -> MRVState {
        var mrv = MRVState()
        let entities = [
            MRVEntity(id: "A1", name: "<b>甲</b>", province: "SC", city: "成都", sector: .power),
            MRVEntity(id: "A2", name: "乙", province: "SC", city: "南充", sector: .power),
            MRVEntity(id: "B1", name: "丙", province: "GD", city: "广州", sector: .power),
        ]
        for entity in entities { mrv.entities[entity.id] = entity }
        func report(_ entity: MRVEntityID, _ status: ReportStatus, _ emissions: [String]?) {
            var r = PortalPagesTests.report(emissions ?? [], status: status)
            r.entity = entity
            if emissions == nil { r.verified = nil }
            mrv.reports[r.key] = r
        }
        report("A1", .approved, ["100.25", "0.75"])
        report("A2", .concluded, ["50"])
        report("B1", .approved, ["7.5"])
        return mrv
    }

    @Test func mrvTotalsArePerProvinceAndSectorThenTheNationExactly() {
        let rows = RegulatorPages.mrvTotals(Self.state(), year: 2023)
        #expect(rows.map(\.scope) == ["GD", "SC", "CN"])
        let sc = rows[1], cn = rows[2]
        #expect(sc.entities == 2 && sc.reports == 2 && sc.underReview == 1 && sc.approved == 1 && sc.approvedT.description == "101.00")
        #expect(cn.entities == 3 && cn.reports == 3 && cn.underReview == 1 && cn.approved == 2 && cn.approvedT == ExactDecimal("108.50")!)
        // Another year: the entities, no reports.
        #expect(RegulatorPages.mrvTotals(Self.state(), year: 2024).allSatisfy { $0.reports == 0 && $0.approvedT == .zero })
        let csv = RegulatorPages.mrvTotalsCSV(Self.state(), year: 2023)
        #expect(csv.hasPrefix("\u{FEFF}year,scope,sector,entities,reports,under_review,approved,approved_emissions_t\n"))
        #expect(csv.contains("2023,CN,power,3,3,1,2,108.50\n"))
    }

    @Test func theCityPageShowsOnlyItsCityEscaped() {
        let context = TradingPages.Context(
            principal: Principal(user: "c", name: "c", role: .city, account: nil, province: "SC", city: "成都"), csrf: "t", nonce: { "n" }, message: nil, error: nil)
        let html = RegulatorPages(language: .zh).city(context, mrv: Self.state(), province: "SC", city: "成都", year: 2023)
        #expect(html.contains("&lt;b&gt;甲&lt;/b&gt;") && !html.contains("<b>甲") && !html.contains("乙") && !html.contains("丙"))
        // Its report is approved: nothing awaits the city.
        #expect(html.contains("id=\"no-city-reviews\"") && !html.contains("city-approve-"))
        let nanchong = RegulatorPages(language: .en).city(context, mrv: Self.state(), province: "SC", city: "南充", year: 2023)
        #expect(nanchong.contains("city-approve-A2-2023") && nanchong.contains("city-return-A2-2023") && nanchong.contains("name=\"csrf\" value=\"t\""))
        #expect(RegulatorPages(language: .en).city(context, mrv: Self.state(), province: "SC", city: nil, year: 2023).contains("id=\"no-city\""))
    }
}
