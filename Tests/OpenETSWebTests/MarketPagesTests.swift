import OpenETSDomain
import OpenETSWeb
import Testing

@Suite("Market pages")
struct MarketPagesTests {
    static let day1 = CivilDate(year: 2025, month: 6, day: 3)
    static let day2 = CivilDate(year: 2025, month: 6, day: 4)

    /// One closed day (a listing trade at 97.00 on a 96.50 previous close), then an open day
    /// with an offer at 97.50 (100 t of it traded) and a bid at 96.90.
    func market() -> ExchangeState {
        let t1 = BeijingTime.timestamp(Self.day1, hour: 10, minute: 0)
        let t2 = BeijingTime.timestamp(Self.day2, hour: 10, minute: 5)
        var x = ExchangeState()
        x.evolve(.instrumentListed(Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 9_650)))
        x.evolve(.dayOpened(Self.day1, limits: [PriceLimits(instrument: "CEA24", low: 8_685, high: 10_615)]))
        x.evolve(.dayClosed(Self.day1, records: [DayRecord(
            date: Self.day1, instrument: "CEA24", previousClose: 9_650,
            prices: DailyPrices(previousClose: 9_650, trades: [PricedTrade(mode: .listing, price: 9_700, quantity: 1_000, time: t1)]))]))
        x.evolve(.dayOpened(Self.day2, limits: [PriceLimits(instrument: "CEA24", low: 8_730, high: 10_670)]))
        x.evolve(.orderPlaced(Order(id: 1, account: "ENT-000001", instrument: "CEA24", side: .sell, price: 9_750, quantity: 500, remaining: 500, locked: 500, status: .open, placedAt: t2)))
        x.evolve(.orderRested(order: 1))
        x.evolve(.orderPlaced(Order(id: 2, account: "INV-000001", instrument: "CEA24", side: .buy, price: 9_690, quantity: 300, remaining: 300, locked: 2_907_300, status: .open, placedAt: t2)))
        x.evolve(.orderRested(order: 2))
        x.evolve(.dealDone(Deal(
            id: "DL-1", instrument: "CEA24", mode: .listing, seller: "ENT-000001", buyer: "INV-000002", price: 9_750, quantity: 100,
            amountFen: 975_000, sellerFeeFen: 0, buyerFeeFen: 0, maker: 1, taker: nil, takerSide: .buy, time: t2), consumedByMaker: 100, consumedByTaker: 0))
        return x
    }

    @Test func instrumentPageShowsTheFiveLevelBookTapeAndCandles() throws {
        let zh = try #require(MarketPages(language: .zh).instrument(market(), code: "CEA24"))
        // Offers green (down), bids red (up); what is left of the offer after the deal.
        #expect(zh.contains("<span class=\"down\">卖1</span></td><td class=\"num\"><span class=\"down\">97.50</span></td><td class=\"num\">400</td>"))
        #expect(zh.contains("<span class=\"up\">买1</span></td><td class=\"num\"><span class=\"up\">96.90</span></td><td class=\"num\">300</td>"))
        #expect(zh.contains("id=\"tape\"") && zh.contains("DL-1") && zh.contains("2025-06-04 10:05"))
        #expect(zh.contains("id=\"price-chart\"") && zh.contains("class=\"candle up\""))
        // A candle's hover text in the page's language (day 1: one trade at 97.00).
        #expect(zh.contains(" 开 97.00 高 97.00 低 97.00 收 97.00</title>"), "\(zh)")
        #expect(zh.contains("今日价格区间 87.30 – 106.70"))
        let en = try #require(MarketPages(language: .en).instrument(market(), code: "CEA24"))
        #expect(en.contains("Five-level book") && en.contains("Ask 5") && en.contains("Bid 5"))
        #expect(en.contains(" O 97.00 H 97.00 L 97.00 C 97.00</title>"))
        #expect(MarketPages(language: .en).instrument(market(), code: "NOPE") == nil)
    }

    @Test func overviewShowsChangeInChineseColours() {
        let html = MarketPages(language: .en).overview(market())
        // Last 97.50 against the previous close 97.00: +0.50, +0.52 % (half up), red.
        #expect(html.contains("<span class=\"up\">+0.50 (+0.52%)</span>"))
        #expect(html.contains("Trading day 2025-06-04"))
        #expect(MarketPages(language: .zh).change(9_600, 9_700) == "<span class=\"down\">-1.00 (-1.03%)</span>")
    }

    @Test func historyCSV() {
        #expect(MarketPages.historyCSV(market(), code: "CEA24") == """
            date,instrument,previous_close,open,high,low,close,combined,volume_t,turnover_cny
            2025-06-03,CEA24,96.50,97.00,97.00,97.00,97.00,97.00,1000,97000.00

            """)
    }
}
