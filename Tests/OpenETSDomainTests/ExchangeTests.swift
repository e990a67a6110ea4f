import OpenETSDomain
import Testing

typealias F = ExchangeFixture

@Suite("Trading rules: listing agreement, continuous trading, block, auction, day cycle")
struct ExchangeTests {
    // MARK: listing agreement

    @Test func listingLocksUnitsAndATakerSettlesAtTheListingPrice() throws {
        var f = try F()
        let placed = try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_012, quantity: 1_000))
        let id = f.placedOrder(placed)
        #expect(f.free(F.e1) == F.units - 1_000 && f.total(F.e1) == F.units)
        let taken = try f.run(.takeOrder(account: F.investor, order: id, quantity: 400), at: F.at(10, 5))
        let deal = try #require(f.deals(taken).first)
        #expect(deal.price == 5_012 && deal.quantity == 400 && deal.amountFen == 2_004_800)
        // Fee 5 bp per side, half up: 2,004,800 × 5 / 10,000 = 1,002.4 → 1,002 fen; 20 % to the reserve fund.
        #expect(deal.buyerFeeFen == 1_002 && deal.sellerFeeFen == 1_002)
        #expect(f.total(F.investor) == 400)
        #expect(f.cash(F.investor) == F.fundsFen - 2_004_800 - 1_002)
        #expect(f.cash(F.e1) == F.fundsFen + 2_004_800 - 1_002)
        #expect(f.cash(F.clearing) == 2 * 802 && f.cash(F.reserve) == 2 * 200)
        #expect(f.market.exchange.orders[id]?.remaining == 600)
        #expect(f.market.registry.locks[FreezeID("XO-\(id)")]?.quantity == 600)
        #expect(f.sound() == [])
    }

    @Test func aBuyListingLocksAmountFeeAndBufferAndReleasesTheRest() throws {
        var f = try F()
        let id = f.placedOrder(try f.run(.placeOrder(account: F.investor, instrument: "CEA24", side: .buy, price: 5_000, quantity: 3)))
        // 3 t × 50.00 = 15,000 fen; fee 7.5 → 8; buffer 3 fen.
        #expect(f.market.registry.lockedFen[F.investor] == 15_011)
        try f.run(.takeOrder(account: F.e3, order: id, quantity: 1))
        try f.run(.takeOrder(account: F.e3, order: id, quantity: 2))
        // Fills: 5,000 + fee 3 (2.5 → 3), then 10,000 + fee 5; the 3 fen left is unlocked.
        #expect(f.market.registry.lockedFen[F.investor] == nil)
        #expect(f.cash(F.investor) == F.fundsFen - 15_000 - 8)
        #expect(f.market.exchange.orders[id] == nil)
        #expect(f.sound() == [])
    }

    @Test func theListingAgreementRejectsWhatItMust() throws {
        var f = try F()
        // Band: 50.00 ± 10 % = 45.00 … 55.00, both ends allowed.
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_501, quantity: 1), .priceOutOfBand)
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 4_499, quantity: 1), .priceOutOfBand)
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_500, quantity: 1))
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 4_500, quantity: 1))
        // Size: under 100,000 t.
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 100_000), .sizeNotAllowed)
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 99_999))
        // Sessions 9:30-11:30 and 13:00-15:00 Beijing time.
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .outsideSession, at: F.at(9, 29))
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .outsideSession, at: F.at(11, 30))
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .outsideSession, at: F.at(15, 0))
        // The refusal says when the session is open, not only the time it was tried at.
        do {
            try f.market.execute(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), at: F.at(7, 5))
            Issue.record("accepted at 7:05")
        } catch {
            #expect(error.message == "the listing session is closed at 7:05 (open 9:30-11:30, 13:00-15:00, Beijing time)", "\(error.message)")
        }
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), at: F.at(9, 30))
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), at: F.at(14, 59))
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .marketClosed,
                 at: F.at(10, 0, on: CivilDate(year: 2025, month: 6, day: 4)))
        // Funds and units.
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: F.units), .sizeNotAllowed)
        f.reject(.placeOrder(account: "ENT-009999", instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .unknownAccount)
        f.reject(.placeOrder(account: F.investor, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .insufficientUnits)
        try f.market.registryExecute(
            .withdrawFunds(account: F.investor, amountFen: F.fundsFen - 5_003, bankReference: "out"), at: F.at(10, 0))
        // 1 t at 50.00 needs 5,000 + fee 3 + buffer 1 fen.
        f.reject(.placeOrder(account: F.investor, instrument: "CEA24", side: .buy, price: 5_000, quantity: 1), .insufficientFunds)
        f.reject(.placeOrder(account: F.e1, instrument: "CEA99", side: .sell, price: 5_000, quantity: 1), .unknownInstrument)
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 0, quantity: 1), .invalidPrice)
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 0), .invalidQuantity)
        #expect(f.sound() == [])
    }

    @Test func takersPickWithinTheBestFiveLevelsOnly() throws {
        var f = try F()
        var ids: [Int64] = []
        for price in [5_001, 5_002, 5_003, 5_004, 5_005, 5_006] as [Int64] {
            ids.append(f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: price, quantity: 10))))
        }
        f.reject(.takeOrder(account: F.investor, order: ids[5], quantity: 1), .notInBestLevels)
        try f.run(.takeOrder(account: F.investor, order: ids[4], quantity: 1))
        f.reject(.takeOrder(account: F.e1, order: ids[0], quantity: 1), .ownOrder)
        f.reject(.takeOrder(account: F.investor, order: ids[0], quantity: 11), .invalidQuantity)
        f.reject(.takeOrder(account: F.investor, order: 999, quantity: 1), .unknownOrder)
        // Take the best level whole: the sixth listing moves into the best five.
        try f.run(.takeOrder(account: F.investor, order: ids[0], quantity: 10))
        try f.run(.takeOrder(account: F.investor, order: ids[5], quantity: 1))
        let depth = f.market.exchange.books["CEA24"]!.depth(.sell)
        #expect(depth.map(\.price) == [5_002, 5_003, 5_004, 5_005, 5_006])
        #expect(depth.map(\.quantity) == [10, 10, 10, 9, 9])
        #expect(f.sound() == [])
    }

    @Test func boughtUnitsSellFromTheNextTradingDay() throws {
        var f = try F()
        let id = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 100)))
        try f.run(.takeOrder(account: F.investor, order: id, quantity: 100))
        f.reject(.placeOrder(account: F.investor, instrument: "CEA24", side: .sell, price: 5_000, quantity: 1), .tPlusOne)
        // Proceeds are usable the same day (T+0): e1 buys back with them.
        try f.run(.closeDay, at: F.at(15, 30))
        // 2025-06-04 is the next trading day.
        try f.run(.openDay(CivilDate(year: 2025, month: 6, day: 4)), at: F.at(9, 0, on: CivilDate(year: 2025, month: 6, day: 4)))
        try f.run(.placeOrder(account: F.investor, instrument: "CEA24", side: .sell, price: 5_000, quantity: 100),
                  at: F.at(10, 0, on: CivilDate(year: 2025, month: 6, day: 4)))
        #expect(f.sound() == [])
    }

    @Test func positionLimitsApplyPerAccountClass() throws {
        var policy = ExchangePolicy.standard
        policy.positionLimits = ["investor": 150]
        var f = try F(policy: policy)
        try f.run(.placeOrder(account: F.investor, instrument: "CEA24", side: .buy, price: 5_000, quantity: 100))
        f.reject(.placeOrder(account: F.investor, instrument: "CEA24", side: .buy, price: 5_000, quantity: 51), .positionLimit)
        try f.run(.placeOrder(account: F.investor, instrument: "CEA24", side: .buy, price: 5_000, quantity: 50))
        // Entities have no limit in this policy.
        try f.run(.placeOrder(account: F.e3, instrument: "CEA24", side: .buy, price: 5_000, quantity: 99_999))
    }

    @Test func cancellingUnlocksAndDayEndLapsesEverything() throws {
        var f = try F()
        let sell = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_100, quantity: 500)))
        _ = try f.run(.placeOrder(account: F.e2, instrument: "CEA24", side: .buy, price: 4_900, quantity: 500))
        f.reject(.cancelOrder(account: F.e2, order: sell), .notOwner)
        try f.run(.cancelOrder(account: F.e1, order: sell))
        #expect(f.free(F.e1) == F.units)
        #expect(f.market.registry.lockedFen[F.e2] != nil)
        try f.run(.closeDay, at: F.at(15, 30))
        #expect(f.market.registry.locks.isEmpty && f.market.registry.lockedFen.isEmpty)
        #expect(f.market.exchange.orders.isEmpty)
        f.reject(.openDay(CivilDate(year: 2025, month: 6, day: 7)), .notTradingDay)  // a Saturday
        f.reject(.openDay(CivilDate(year: 2025, month: 10, day: 1)), .notTradingDay)  // National Day
        #expect(f.sound() == [])
    }

    @Test func closingPriceIsTheVolumeWeightedListingAverageAndSetsTomorrowsBand() throws {
        var f = try F()
        for (price, quantity) in [(5_100, 100), (5_200, 300)] as [(Int64, Int64)] {
            let id = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: price, quantity: quantity)))
            try f.run(.takeOrder(account: F.e3, order: id, quantity: quantity), at: F.at(10, 1))
        }
        let closed = try f.run(.closeDay, at: F.at(15, 30))
        guard case .dayClosed(_, let records) = closed.events.last else { Issue.record("no day close"); return }
        let cea = try #require(records.first { $0.instrument == "CEA24" })
        // (51.00 × 100 + 52.00 × 300) / 400 = 51.75
        #expect(cea.prices.close == 5_175 && cea.prices.open == 5_100 && cea.prices.high == 5_200 && cea.prices.low == 5_100)
        #expect(cea.prices.volume == 400 && cea.prices.turnoverFen == 2_070_000)
        // No trade in CCER: everything equals the previous close.
        let ccer = try #require(records.first { $0.instrument == "CCER" })
        #expect(ccer.prices.open == 3_000 && ccer.prices.close == 3_000 && ccer.prices.volume == 0)
        let next = CivilDate(year: 2025, month: 6, day: 4)
        try f.run(.openDay(next), at: F.at(9, 0, on: next))
        let book = f.market.exchange.books["CEA24"]!
        // 51.75 × 0.9 = 46.575 → 46.58; × 1.1 = 56.925 → 56.93 (half up).
        #expect(book.lowPrice == 4_658 && book.highPrice == 5_693)
    }

    // MARK: continuous trading

    @Test func continuousTradingMatchesPriceTimeAtTheMakersPrice() throws {
        var f = try F()
        let owner: AccountID = "OWN-000001"
        let a = f.placedOrder(try f.run(.placeOrder(account: owner, instrument: "CCER", side: .sell, price: 3_010, quantity: 100)))
        let b = f.placedOrder(try f.run(.placeOrder(account: owner, instrument: "CCER", side: .sell, price: 3_000, quantity: 50)))
        let deals = f.deals(try f.run(.placeOrder(account: F.investor, instrument: "CCER", side: .buy, price: 3_020, quantity: 120)))
        #expect(deals.map(\.maker) == [b, a] && deals.map(\.price) == [3_000, 3_010] && deals.map(\.quantity) == [50, 70])
        #expect(f.market.exchange.orders[b] == nil && f.market.exchange.orders[a]?.remaining == 30)
        // Serial-block units moved with the deals.
        #expect(f.total(F.investor, "CCER-P1") == 120)
        // A buy below the best offer rests; the owner cannot hit its own bid.
        let rest = f.placedOrder(try f.run(.placeOrder(account: F.investor, instrument: "CCER", side: .buy, price: 2_990, quantity: 10)))
        #expect(f.market.exchange.books["CCER"]!.bestBidPrice == 2_990 && f.market.exchange.orders[rest] != nil)
        f.reject(.placeOrder(account: F.investor, instrument: "CCER", side: .sell, price: 2_990, quantity: 1), .tPlusOne)
        f.reject(.takeOrder(account: F.e1, order: a, quantity: 1), .modeNotEnabled)
        #expect(f.sound() == [])
    }

    // MARK: block agreement

    @Test func blockQuotesNegotiateByCounterOfferAndSettleWhenBothConfirm() throws {
        var f = try F()
        f.reject(.quoteBlock(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 100_000, counterparties: []),
                 .outsideSession, at: F.at(10, 0))
        let t = F.at(13, 30)
        f.reject(.quoteBlock(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 99_999, counterparties: []), .sizeNotAllowed, at: t)
        // ±30 %: 35.00 … 65.00.
        f.reject(.quoteBlock(account: F.e1, instrument: "CEA24", side: .sell, price: 6_501, quantity: 100_000, counterparties: []), .priceOutOfBand, at: t)
        let quoted = try f.run(.quoteBlock(account: F.e1, instrument: "CEA24", side: .sell, price: 6_500, quantity: 200_000, counterparties: [F.e3]), at: t)
        guard case .quotePosted(let quote) = quoted.events[0] else { Issue.record("no quote"); return }
        f.reject(.acceptBlock(account: F.investor, quote: quote.id), .notCounterparty, at: t)
        let countered = try f.run(.counterBlock(account: F.e3, quote: quote.id, price: 6_000, quantity: 200_000), at: t)
        guard case .quotePosted(let counter) = countered.events[0] else { Issue.record("no counter"); return }
        #expect(counter.side == .buy && counter.counterparties == [F.e1] && counter.parent == quote.id)
        let accepted = try f.run(.acceptBlock(account: F.e1, quote: counter.id), at: F.at(13, 40))
        let deal = try #require(f.deals(accepted).first)
        #expect(deal.mode == .block && deal.price == 6_000 && deal.quantity == 200_000 && deal.seller == F.e1 && deal.buyer == F.e3)
        #expect(f.market.exchange.quotes.isEmpty && f.market.registry.locks.isEmpty)
        #expect(f.total(F.e3) == F.units + 200_000 && f.total(F.e1) == F.units - 200_000)
        #expect(f.sound() == [])
    }

    // MARK: one-way auction

    @Test func aOneWayAuctionLocksBidsClearsAndSettles() throws {
        var f = try F()
        let announce = Auction(
            id: 0, applicant: F.e1, instrument: "CEA24", side: .sell, quantity: 1_000, floorPrice: 4_500, ceilingPrice: 5_500,
            pricing: .uniform, tieBreak: .time, seed: 7, minBidQuantity: 100, maxSharePerMille: 600,
            cancelIfUndersubscribed: false, referencePrice: nil, cancelBelowReferencePercent: nil,
            opensAt: F.at(10, 0), closesAt: F.at(10, 30))
        let announced = try f.run(.announceAuction(announce), at: F.at(9, 0))
        guard case .auctionAnnounced(let auction) = announced.events[0] else { Issue.record("no auction"); return }
        #expect(f.free(F.e1) == F.units - 1_000)
        f.reject(.bid(account: F.e3, auction: auction.id, price: 5_000, quantity: 100), .auctionNotOpen, at: F.at(9, 59))
        f.reject(.bid(account: F.e3, auction: auction.id, price: 5_501, quantity: 100), .bidOutsideRange, at: F.at(10, 1))
        f.reject(.bid(account: F.e3, auction: auction.id, price: 5_000, quantity: 99), .bidBelowMinimum, at: F.at(10, 1))
        try f.run(.bid(account: F.e3, auction: auction.id, price: 5_200, quantity: 500), at: F.at(10, 1))
        try f.run(.bid(account: F.e3, auction: auction.id, price: 5_100, quantity: 300), at: F.at(10, 2))
        try f.run(.bid(account: F.investor, auction: auction.id, price: 5_000, quantity: 400), at: F.at(10, 3))
        f.reject(.clearAuction(auction: auction.id), .auctionNotClosed, at: F.at(10, 29))
        let cleared = try f.run(.clearAuction(auction: auction.id), at: F.at(10, 30))
        // Cap 600 t per bidder: e3 gets 500 + 100; the investor gets 400; uniform price 50.00.
        #expect(f.deals(cleared).map(\.quantity) == [500, 100, 400])
        #expect(f.deals(cleared).allSatisfy { $0.price == 5_000 && $0.mode == .auction })
        #expect(f.total(F.e3) == F.units + 600 && f.total(F.investor) == 400)
        #expect(f.market.registry.locks.isEmpty)
        #expect(f.market.exchange.auctions[auction.id]?.status == .cleared)
        #expect(f.sound() == [])
    }

    @Test func theRegulatorSellsAllowancesByPaidAllocationAuctionOnly() throws {
        var f = try F()
        let national: AccountID = "CN-NATIONAL"
        try f.market.registryExecute(.issue(unit: "CEA24", quantity: 10_000, to: national), at: F.at(8, 0))
        try f.run(.admitMember(account: national, group: nil), at: F.at(8, 1))
        let terms = Auction(
            id: 0, applicant: national, instrument: "CEA24", side: .sell, quantity: 1_000, floorPrice: 4_500, ceilingPrice: 5_500,
            pricing: .payAsBid, tieBreak: .time, seed: 3, minBidQuantity: 100, maxSharePerMille: 1000, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: F.at(10, 0), closesAt: F.at(10, 30))
        // The regulator neither trades on the books nor buys by auction.
        f.reject(.placeOrder(account: national, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10), .accountNotAllowed)
        var buying = terms
        buying.side = .buy
        f.reject(.announceAuction(buying), .accountNotAllowed, at: F.at(9, 0))
        guard case .auctionAnnounced(let auction) = try f.run(.announceAuction(terms), at: F.at(9, 0)).events[0] else { return }
        #expect(f.free(national) == 9_000)
        f.reject(.bid(account: national, auction: auction.id, price: 5_000, quantity: 100), .accountNotAllowed, at: F.at(10, 1))
        try f.run(.bid(account: F.e3, auction: auction.id, price: 5_200, quantity: 600), at: F.at(10, 1))
        try f.run(.bid(account: F.investor, auction: auction.id, price: 5_000, quantity: 300), at: F.at(10, 2))
        let cleared = try f.run(.clearAuction(auction: auction.id), at: F.at(10, 31))
        #expect(f.deals(cleared).map(\.quantity) == [600, 300])
        // Pay as bid: 600 × 52.00 + 300 × 50.00 = 46,200.00 CNY to the national account, less its fee.
        let proceeds: Int64 = 600 * 5_200 + 300 * 5_000
        let fees = f.deals(cleared).map(\.sellerFeeFen).reduce(0, +)
        #expect(f.cash(national) == proceeds - fees)
        #expect(f.total(national) == 9_100 && f.total(F.e3) == F.units + 600 && f.total(F.investor) == 300)
        #expect(f.market.registry.locks.isEmpty && f.sound() == [])
        // The proceeds go to the treasury.
        try f.market.registryExecute(.withdrawFunds(account: national, amountFen: proceeds - fees, bankReference: "treasury"), at: F.at(11, 0))
        #expect(f.cash(national) == 0 && f.sound() == [])
    }

    @Test func theOperatorWithdrawsAnAnnouncedAuctionAndEveryLockIsReleased() throws {
        var f = try F()
        let terms = Auction(
            id: 0, applicant: F.e1, instrument: "CEA24", side: .sell, quantity: 1_000, floorPrice: 4_500, ceilingPrice: 5_500,
            pricing: .uniform, tieBreak: .time, seed: 1, minBidQuantity: 100, maxSharePerMille: 1000, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: F.at(10, 0), closesAt: F.at(10, 30))
        guard case .auctionAnnounced(let auction) = try f.run(.announceAuction(terms), at: F.at(9, 0)).events[0] else { return }
        try f.run(.bid(account: F.e3, auction: auction.id, price: 5_200, quantity: 600), at: F.at(10, 1))
        let cashBefore = f.cash(F.e3)
        f.reject(.cancelAuction(auction: auction.id, reason: ""), .invalidInput, at: F.at(10, 5))
        f.reject(.cancelAuction(auction: 999, reason: "typo"), .unknownAuction, at: F.at(10, 5))
        try f.run(.cancelAuction(auction: auction.id, reason: "announcement error"), at: F.at(10, 5))
        #expect(f.market.exchange.auctions[auction.id]?.status == .cancelled)
        #expect(f.market.exchange.auctions[auction.id]?.result?.reason.contains("announcement error") == true)
        #expect(f.market.registry.locks.isEmpty && f.free(F.e1) == F.units && f.availableCash(F.e3) == cashBefore)
        #expect(f.market.exchange.bids.isEmpty && f.sound() == [])
        f.reject(.cancelAuction(auction: auction.id, reason: "again"), .auctionNotOpen, at: F.at(10, 6))
        f.reject(.clearAuction(auction: auction.id), .auctionNotOpen, at: F.at(10, 31))
    }

    // MARK: surveillance

    @Test func surveillanceFlagsGroupTradesWashRoundTripsAndPlaceAndCancel() throws {
        var policy = ExchangePolicy.standard
        policy.placeCancelAlertCount = 3
        var f = try F(policy: policy)
        let a = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        try f.run(.takeOrder(account: F.e2, order: a, quantity: 10))
        // e1 and e3 (no group): e1 sells to e3, then e3 sells the same quantity back.
        let c = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        try f.run(.takeOrder(account: F.e3, order: c, quantity: 10))
        let d = f.placedOrder(try f.run(.placeOrder(account: F.e3, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        try f.run(.takeOrder(account: F.e1, order: d, quantity: 10))
        for _ in 0..<3 {
            let id = f.placedOrder(try f.run(.placeOrder(account: F.e3, instrument: "CEA24", side: .sell, price: 5_400, quantity: 1)))
            try f.run(.cancelOrder(account: F.e3, order: id))
        }
        let rules = f.market.exchange.alerts.map(\.rule)
        #expect(rules.filter { $0 == .sameGroup }.count == 1)
        #expect(rules.filter { $0 == .washRoundTrip }.count == 1)
        #expect(rules.filter { $0 == .placeAndCancel }.count == 1)
        #expect(!rules.contains(.selfTrade))
    }

    // MARK: replay guard

    @Test func replayRefusesExchangeEventsThatCannotApply() throws {
        var f = try F()
        let id = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        let x = f.market.exchange
        #expect(x.problem(applying: .orderRested(order: id)) != nil, "already in its book")
        #expect(x.problem(applying: .orderEnded(order: 999, status: .cancelled, released: 0)) != nil)
        #expect(x.problem(applying: .orderEnded(order: id, status: .cancelled, released: 10)) == nil)
        let tooBig = Deal(id: "DL-X", instrument: "CEA24", mode: .listing, seller: F.e1, buyer: F.investor, price: 5_000, quantity: 11,
                          amountFen: 55_000, sellerFeeFen: 0, buyerFeeFen: 0, maker: id, taker: nil, takerSide: .buy, time: F.at(10, 0))
        #expect(x.problem(applying: .dealDone(tooBig, consumedByMaker: 11, consumedByTaker: 0)) != nil)
        var fits = tooBig
        fits.quantity = 10
        #expect(x.problem(applying: .dealDone(fits, consumedByMaker: 10, consumedByTaker: 0)) == nil)
        #expect(x.problem(applying: .quoteEnded(quote: 5, status: .cancelled, released: 0)) != nil)
    }

    // MARK: counterparties that are no longer open

    @Test func aBlockedCounterpartyCannotBeTradedWith() throws {
        var f = try F()
        let listing = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        let owner: AccountID = "OWN-000001"
        _ = f.placedOrder(try f.run(.placeOrder(account: owner, instrument: "CCER", side: .sell, price: 3_000, quantity: 10)))
        try f.market.registryExecute(.setAccountStatus(account: F.e1, status: .blocked, reason: "judicial"), at: F.at(10, 1))
        try f.market.registryExecute(.setAccountStatus(account: owner, status: .blocked, reason: "judicial"), at: F.at(10, 1))
        f.reject(.takeOrder(account: F.investor, order: listing, quantity: 1), .accountNotAllowed)
        f.reject(.placeOrder(account: F.investor, instrument: "CCER", side: .buy, price: 3_000, quantity: 1), .accountNotAllowed)
        // An order that does not reach the blocked maker is fine; the blocked orders lapse at the close.
        try f.run(.placeOrder(account: F.investor, instrument: "CCER", side: .buy, price: 2_990, quantity: 1))
        try f.run(.closeDay, at: F.at(15, 30))
        #expect(f.market.exchange.orders.isEmpty && f.sound() == [])
    }

    @Test func auctionsClearOnATradingDayAndLeaveBlockedBiddersOut() throws {
        var f = try F()
        let terms = Auction(
            id: 0, applicant: F.e1, instrument: "CEA24", side: .sell, quantity: 1_000, floorPrice: 4_500, ceilingPrice: 5_500,
            pricing: .uniform, tieBreak: .time, seed: 1, minBidQuantity: 100, maxSharePerMille: 1000, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: F.at(10, 0), closesAt: F.at(10, 30))
        guard case .auctionAnnounced(let auction) = try f.run(.announceAuction(terms), at: F.at(9, 0)).events[0] else { return }
        try f.run(.bid(account: F.e3, auction: auction.id, price: 5_200, quantity: 600), at: F.at(10, 1))
        try f.run(.bid(account: F.investor, auction: auction.id, price: 5_100, quantity: 600), at: F.at(10, 2))
        try f.market.registryExecute(.setAccountStatus(account: F.e3, status: .blocked, reason: "administrative"), at: F.at(10, 3))
        let cleared = try f.run(.clearAuction(auction: auction.id), at: F.at(10, 31))
        #expect(f.deals(cleared).map(\.buyer) == [F.investor] && f.deals(cleared).map(\.quantity) == [600])
        #expect(f.market.registry.locks.isEmpty && f.sound() == [])
        // Between days no auction clears: its deals would miss the day's prices.
        try f.run(.closeDay, at: F.at(15, 30))
        guard case .auctionAnnounced(let later) = try f.run(.announceAuction(Auction(
            id: 0, applicant: F.e1, instrument: "CEA24", side: .sell, quantity: 100, floorPrice: 4_500, ceilingPrice: 5_500,
            pricing: .uniform, tieBreak: .time, seed: 1, minBidQuantity: 1, maxSharePerMille: 1000, cancelIfUndersubscribed: false,
            referencePrice: nil, cancelBelowReferencePercent: nil, opensAt: F.at(16, 0), closesAt: F.at(16, 30))), at: F.at(15, 40)).events[0] else { return }
        f.reject(.clearAuction(auction: later.id), .marketClosed, at: F.at(16, 31))
    }

    @Test func ordersOverTheRegistrysLimitsAreRefusedByTheExchange() throws {
        var f = try F()
        f.market.registryPolicy.maxQuantityPerCommand = 500
        f.reject(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 501), .limitExceeded)
        try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 500))
        f.reject(.listInstrument(Instrument(code: "HUGE", unit: "CEA24", label: "x", continuous: false, previousClose: 10_000_001)), .invalidPrice)
    }
}
