import OpenETSDomain
import Testing

@Suite("Exchange calculators: auction clearing, daily prices, prices and times")
struct ExchangeCalculatorTests {
    static let t0 = Timestamp(iso8601: "2025-06-03T10:00:00+08:00")!

    func bid(_ id: String, _ bidder: String, _ price: Int64, _ quantity: Int64, _ second: Int64) -> AuctionBid {
        AuctionBid(id: id, bidder: bidder, price: price, quantity: quantity,
                   time: Timestamp(millisecondsSinceEpoch: Self.t0.millisecondsSinceEpoch + second * 1_000))
    }

    func terms(_ quantity: Int64 = 1_000, pricing: AuctionTerms.Pricing = .uniform, tieBreak: AuctionTerms.TieBreak = .time,
               seed: UInt64 = 0, cap: String = "0.5", undersubscribed: Bool = false, reference: Int64? = nil,
               percent: String? = nil, side: Side = .sell) -> AuctionTerms {
        AuctionTerms(side: side, quantity: quantity, floorPrice: 4_500, ceilingPrice: 5_500, pricing: pricing, tieBreak: tieBreak,
                     seed: seed, minBidQuantity: 100, maxSharePerBidder: ExactDecimal(cap)!, cancelIfUndersubscribed: undersubscribed,
                     referencePrice: reference, cancelBelowReferencePercent: percent.map { ExactDecimal($0)! })
    }

    var bids: [AuctionBid] {
        [bid("A1", "A", 5_400, 400, 1), bid("B1", "B", 5_400, 300, 0), bid("A2", "A", 5_300, 300, 2),
         bid("C1", "C", 5_200, 500, 3), bid("D1", "D", 5_600, 100, 4), bid("E1", "E", 5_000, 50, 5)]
    }

    @Test func uniformPriceWithCapAndTimePriority() {
        let r = AuctionClearing.clear(terms(), bids: bids)
        // 54.00: B1 (earlier) then A1; A's cap 500 cuts its lower bid A2 to 100; C1 gets the last 200.
        #expect(r.status == .cleared && r.unsold == 0 && r.clearingPrice == 5_200)
        #expect(r.fills.map(\.id) == ["B1", "A1", "A2", "C1"] && r.fills.map(\.quantity) == [300, 400, 100, 200])
        #expect(r.fills.allSatisfy { $0.price == 5_200 })
        #expect(r.rejected.map(\.id) == ["D1", "E1"] && r.rejected.map(\.code) == [.bidOutsideRange, .bidBelowMinimum])
    }

    @Test func payAsBidPaysEachBidsPrice() {
        let r = AuctionClearing.clear(terms(pricing: .payAsBid), bids: bids)
        #expect(r.fills.map(\.price) == [5_400, 5_400, 5_300, 5_200] && r.clearingPrice == 5_200)
    }

    @Test func undersubscriptionCancelsOrLeavesUnsold() {
        let few = [bid("A", "A", 5_000, 300, 0), bid("B", "B", 4_900, 300, 1)]
        let cancelled = AuctionClearing.clear(terms(undersubscribed: true), bids: few)
        #expect(cancelled.status == .cancelled && cancelled.fills.isEmpty && cancelled.unsold == 1_000 && cancelled.clearingPrice == nil)
        let partial = AuctionClearing.clear(terms(undersubscribed: false), bids: few)
        #expect(partial.status == .cleared && partial.fills.map(\.quantity) == [300, 300] && partial.unsold == 400 && partial.clearingPrice == 4_900)
        let none = AuctionClearing.clear(terms(), bids: [])
        #expect(none.status == .cancelled && none.unsold == 1_000)
    }

    @Test func clearingFarBelowTheReferencePriceCancels() {
        // Reference 60.00, 10 %: the threshold is 54.00. A clearing price of exactly 54.00 stands.
        let at54 = [bid("A", "A", 5_400, 500, 0), bid("B", "B", 5_400, 500, 1)]
        #expect(AuctionClearing.clear(terms(reference: 6_000, percent: "10"), bids: at54).status == .cleared)
        let below = AuctionClearing.clear(terms(reference: 6_000, percent: "10"), bids: bids)
        #expect(below.status == .cancelled && below.reason.contains("below the reference"))
        // 13.5 %: threshold 51.90, so 52.00 stands.
        #expect(AuctionClearing.clear(terms(reference: 6_000, percent: "13.5"), bids: bids).status == .cleared)
    }

    @Test func randomTieBreakIsFixedBySeedAndNeverBeatsPrice() {
        let same = (0..<8).map { bid("T\($0)", "X\($0)", 5_000, 200, Int64($0)) } + [bid("HI", "H", 5_100, 200, 99)]
        let a = AuctionClearing.clear(terms(tieBreak: .random, seed: 42, cap: "1"), bids: same)
        let b = AuctionClearing.clear(terms(tieBreak: .random, seed: 42, cap: "1"), bids: same.reversed())
        #expect(a == b)
        #expect(a.fills.first?.id == "HI" && a.fills.count == 5)
        let orders = Set((1...20).map { seed in AuctionClearing.clear(terms(tieBreak: .random, seed: UInt64(seed), cap: "1"), bids: same).fills.map(\.id) })
        #expect(orders.count > 1, "different seeds should order ties differently")
    }

    @Test func aBuyAuctionTakesTheLowestOffersFirst() {
        let offers = [bid("S1", "S", 5_100, 300, 0), bid("S2", "T", 4_900, 300, 1), bid("S3", "U", 5_000, 300, 2)]
        let r = AuctionClearing.clear(terms(500, cap: "1", side: .buy), bids: offers)
        #expect(r.fills.map(\.id) == ["S2", "S3"] && r.fills.map(\.quantity) == [300, 200] && r.clearingPrice == 5_000)
    }

    @Test func capIsFlooredToWholeTonnes() {
        #expect(terms(1_001, cap: "0.5").capPerBidder == 500)
        #expect(terms(3, cap: "0.1").capPerBidder == 1)
    }

    // MARK: daily prices

    func trade(_ mode: TradeMode, _ price: Int64, _ quantity: Int64, _ minute: Int) -> PricedTrade {
        PricedTrade(mode: mode, price: price, quantity: quantity, time: BeijingTime.timestamp(CivilDate("2025-06-03")!, hour: 10, minute: minute))
    }

    @Test func closeIsTheListingVWAPAndCombinedAddsBlocks() {
        // Out of input order: the open is the earliest listing trade.
        let p = DailyPrices(previousClose: 4_900, trades: [trade(.listing, 5_000, 300, 5), trade(.block, 4_800, 100_000, 30), trade(.listing, 5_100, 100, 0)])
        #expect(p.open == 5_100 && p.high == 5_100 && p.low == 5_000)
        #expect(p.close == 5_025)  // (51.00 × 100 + 50.00 × 300) / 400
        #expect(p.combined == 4_801)  // 482,010,000 / 100,400 = 4,800.896… → 48.01
        #expect(p.volume == 100_400 && p.turnoverFen == 482_010_000)
    }

    @Test func averagesRoundHalfUpAndNoListingTradeKeepsThePreviousClose() {
        #expect(DailyPrices(previousClose: 4_900, trades: [trade(.listing, 5_000, 1, 0), trade(.listing, 5_001, 1, 1)]).close == 5_001)
        let blockOnly = DailyPrices(previousClose: 4_900, trades: [trade(.block, 4_500, 100_000, 0)])
        #expect(blockOnly.open == 4_900 && blockOnly.high == 4_900 && blockOnly.low == 4_900 && blockOnly.close == 4_900)
        #expect(blockOnly.combined == 4_500 && blockOnly.volume == 100_000)
        let nothing = DailyPrices(previousClose: 4_900, trades: [])
        #expect(nothing.combined == 4_900 && nothing.turnoverFen == 0)
    }

    @Test func bandsRoundHalfUp() {
        #expect(ExchangePolicy.band(previousClose: 5_175, percent: 10) == (4_658, 5_693))
        #expect(ExchangePolicy.band(previousClose: 9_749, percent: 30) == (6_824, 12_674))
    }

    // MARK: prices and times

    @Test func fenParsingAcceptsOnlyTickPrices() {
        #expect(Fen.parse("97.49") == 9_749 && Fen.parse("98") == 9_800 && Fen.parse("0.5") == 50 && Fen.parse("0") == 0)
        for bad in ["1.234", "-1", "1e3", ".5", "5.", "", "12,5", " 1", "1.2.3", "999999999999999999"] { #expect(Fen.parse(bad) == nil, "\(bad)") }
        #expect(Fen.text(9_749) == "97.49" && Fen.text(5) == "0.05" && Fen.text(-150) == "-1.50")
    }

    @Test func beijingTimeAndISO8601() {
        let day = CivilDate("2025-06-03")!
        #expect(day.weekday == 1 && CivilDate("2025-06-07")!.weekday == 5)
        #expect(CivilDate(daysSinceEpoch: day.daysSinceEpoch) == day && CivilDate("2024-02-30") == nil && CivilDate("2024-02-29") != nil)
        let ten = BeijingTime.timestamp(day, hour: 10, minute: 0)
        #expect(Timestamp(iso8601: "2025-06-03T10:00:00+08:00") == ten)
        #expect(Timestamp(iso8601: "2025-06-03T02:00:00Z") == ten)
        #expect(Timestamp(iso8601: "2025-06-03 10:00:00") == ten)
        #expect(Timestamp(iso8601: "2025-06-03T10:00:00.250+08:00")?.millisecondsSinceEpoch == ten.millisecondsSinceEpoch + 250)
        #expect(Timestamp(iso8601: "2025-06-03T10:00:00.1234567Z") != nil)
        #expect(Timestamp(iso8601: "2025-06-03T25:00:00Z") == nil && Timestamp(iso8601: "yesterday") == nil)
        #expect(BeijingTime.date(ten) == day && BeijingTime.minuteOfDay(ten) == 600)
        // Just after midnight Beijing time is still the previous day in UTC.
        let early = BeijingTime.timestamp(day, hour: 0, minute: 30)
        #expect(BeijingTime.date(early) == day && BeijingTime.minuteOfDay(early) == 30)
    }

    @Test func tradingCalendarSkipsWeekendsAndHolidays() {
        let policy = ExchangePolicy.standard
        #expect(policy.nextTradingDay(after: CivilDate("2025-05-30")!) == CivilDate("2025-06-03")!)  // Fri → (Dragon Boat Mon) → Tue
        #expect(policy.nextTradingDay(after: CivilDate("2025-09-30")!) == CivilDate("2025-10-09")!)  // National Day week
        #expect(!policy.isTradingDay(CivilDate("2026-02-17")!) && policy.isTradingDay(CivilDate("2026-02-24")!))
    }
}
