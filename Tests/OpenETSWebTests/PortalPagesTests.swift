import OpenETSDomain
import OpenETSWeb
import Testing

/// The portal pages and the market stream's snapshot as text: pure functions of the state.
@Suite("Portal pages and the market stream snapshot")
struct PortalPagesTests {
    static func report(_ emissions: [String], status: ReportStatus) -> AnnualReport {
        var report = AnnualReport(
            entity: "91510000MA6123456P", year: 2023, version: 1, status: status, facilities: [], submittedAt: Timestamp(millisecondsSinceEpoch: 0),
            deadline: CivilDate(year: 2024, month: 3, day: 31), late: false, verificationDeadline: CivilDate(year: 2024, month: 6, day: 30))
        report.verified = emissions.enumerated().map { VerifiedFacility(facility: FacilityID("F\($0.offset)"), emissionsT: ExactDecimal($0.element)!, output: .zero) }
        return report
    }

    @Test func theObligationIsTheApprovedVerifiedEmissionsRoundedUp() {
        #expect(PortalPages.obligationT(Self.report(["100.01", "1"], status: .approved)) == 102)
        #expect(PortalPages.obligationT(Self.report(["100.01", "0.99"], status: .approved)) == 101)
        #expect(PortalPages.obligationT(Self.report(["100.00", "1"], status: .approved)) == 101)
        // Not final before the national approval.
        #expect(PortalPages.obligationT(Self.report(["100"], status: .provinceApproved)) == nil)
        #expect(PortalPages.obligationT(nil) == nil)
    }

    @Test func theSnapshotCarriesTheBookAndTheTapeAsEscapedJSON() {
        var x = ExchangeState()
        let t = BeijingTime.timestamp(CivilDate(year: 2025, month: 6, day: 3), hour: 10, minute: 0)
        x.evolve(.instrumentListed(Instrument(code: "CEA24", unit: "CEA24", label: "CEA \"24\"", continuous: false, previousClose: 9_650)))
        x.evolve(.dayOpened(CivilDate(year: 2025, month: 6, day: 3), limits: [PriceLimits(instrument: "CEA24", low: 8_685, high: 10_615)]))
        x.evolve(.orderPlaced(Order(id: 1, account: "ENT-000001", instrument: "CEA24", side: .sell, price: 9_750, quantity: 1_500, remaining: 1_500, locked: 1_500, status: .open, placedAt: t)))
        x.evolve(.orderRested(order: 1))
        let json = MarketStreamSnapshot.json(x, code: "CEA24")
        #expect(json == "{\"instrument\":\"CEA24\",\"tradingDate\":\"2025-06-03\",\"asks\":[{\"price\":\"97.50\",\"quantity\":\"1,500\",\"orders\":1}],\"bids\":[],\"trades\":[]}")
        #expect(MarketStreamSnapshot.json(x, code: "NOPE") == nil)
    }

    @Test func theMarketPageSubscribesToTheStream() throws {
        var x = ExchangeState()
        x.evolve(.instrumentListed(Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 9_650)))
        x.evolve(.dayOpened(CivilDate(year: 2025, month: 6, day: 3), limits: [PriceLimits(instrument: "CEA24", low: 8_685, high: 10_615)]))
        let html = try #require(MarketPages(language: .en).instrument(x, code: "CEA24"))
        #expect(html.contains("<table id=\"book\" data-stream=\"/market/stream?instrument=CEA24\">") && html.contains("<script src=\"/static/market.js\" defer></script>"))
        #expect(html.contains("update live"))
    }
}
