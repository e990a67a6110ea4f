import OpenETSApplication
import OpenETSDomain

/// The demo market's trading system: the risk reserve fund account, three instruments (CEA23
/// and CEA24 in the listing agreement, the CCER block in continuous trading), every
/// participant admitted (the two Sichuan entities as one group), fees to the clearing account.
/// Idempotent: keys `demo-x-…`.
public enum DemoExchange {
    public static let reserveAccount: AccountID = "EXC-000002"
    public static let instruments: [Instrument] = [
        Instrument(code: "CEA23", unit: "CEA23", label: "CEA 2023", continuous: false, previousClose: 9_749),
        Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 9_650),
        Instrument(code: "CCER", unit: "CCER-P000001-2024", label: "CCER 川西林业 2024", continuous: true, previousClose: 6_000),
    ]
    public static let members: [(AccountID, String?)] = [
        ("ENT-000001", "川能集团 Chuanneng Group"), ("ENT-000002", "川能集团 Chuanneng Group"),
        ("ENT-000003", nil), ("ENT-000004", nil), ("INV-000001", nil), ("INV-000002", nil), ("OWN-000001", nil),
    ]

    /// Sets up the trading system on a seeded demo registry (DemoMarket.seed first).
    public static func setUp(_ service: RegistryService) async throws {
        if await service.state.accounts[reserveAccount] == nil {
            let outcome = try await service.execute(CommandRequest(idempotencyKey: "demo-x-reserve", command: .openAccount(
                type: .exchangeClearing, ownerID: "SEEE-RRF", ownerName: "风险准备金 Risk reserve fund", province: nil, representatives: [])))
            if let error = outcome.error { throw DemoExchangeError(step: "reserve account", message: "\(error)") }
        }
        var commands: [ExchangeCommand] = instruments.map { .listInstrument($0) }
        commands += members.map { .admitMember(account: $0.0, group: $0.1) }
        commands.append(.setFeeAccounts(clearing: "EXC-000001", reserve: reserveAccount))
        for (index, command) in commands.enumerated() {
            try await run(service, "demo-x-\(index + 1)", command)
        }
    }

    /// Opens `date` unless a day is already open; rejected only for a real error.
    public static func openDay(_ service: RegistryService, _ date: CivilDate) async throws {
        guard await service.exchange.tradingDate == nil else { return }
        try await run(service, "open-\(date)", .openDay(date))
    }

    @discardableResult
    static func run(_ service: RegistryService, _ key: String, _ command: ExchangeCommand) async throws -> ExchangeReceipt {
        let outcome = try await service.execute(ExchangeRequest(idempotencyKey: key, command: command))
        switch outcome {
        case .accepted(let receipt): return receipt
        case .rejected(let error): throw DemoExchangeError(step: "\(key) \(command.kind)", message: "\(error)")
        }
    }
}

public struct DemoExchangeError: Error, CustomStringConvertible {
    public var step: String
    public var message: String
    public var description: String { "demo exchange step \(step) was rejected: \(message)" }
}

extension DemoExchange {
    /// The whole demo: the registry market, the exchange set-up and `days` trading days of
    /// history ending before `today`, recorded at their simulated times (so the journal's times
    /// stay in order), then the system time again and today's trading day opened when it is
    /// one. On a database that already has the demo, nothing changes.
    public static func seedWithHistory(
        _ service: RegistryService, clock: MarketClock, today: CivilDate, days: Int = 10, policy: ExchangePolicy = .standard,
        drillStart: Timestamp? = nil
    ) async throws -> DemoMarket.Summary {
        var dates: [CivilDate] = []
        var date = today.adding(days: -1)
        while dates.count < days {
            if policy.isTradingDay(date) { dates.insert(date, at: 0) }
            date = date.adding(days: -1)
        }
        let fresh = await service.head.seq == 0
        // A fresh demo starts early enough for the CCER story (DemoCCER) to reach issuance before the history.
        let ccerCovered = await service.ccerPolicy.calendar.covers(DemoCCER.start(before: dates[0]))
        if fresh { clock.simulate(ccerCovered ? DemoCCER.start(before: dates[0]) : dates[0], hour: 8, minute: 30) }
        let summary = try await DemoMarket.seed(service)
        try await setUp(service)
        if fresh { try await DemoCCER.seed(service, clock: clock, before: dates[0]) }
        try await DemoNeutrality.setUp(service)
        let noHistory = await service.exchange.history.isEmpty
        if noHistory {
            var random = SplitMix64(seed: 2_024_12_31)
            for (index, day) in dates.enumerated() {
                try await tradingDay(service, clock: clock, day, index: index, random: &random)
            }
        }
        if let drillStart { clock.drill(from: drillStart) } else { clock.useSystemTime() }
        let exchange = await service.exchange
        if policy.isTradingDay(today), exchange.tradingDate == nil, (exchange.history.last?.date ?? dates[0]) < today {
            try await openDay(service, today)
        }
        if await service.exchange.tradingDate == today { try await DemoNeutrality.postListings(service) }
        return summary
    }

    /// One simulated day: listings taken in both directions on CEA23/CEA24, continuous CCER
    /// trading, a directed block deal every third day, a one-way auction on the fifth day.
    static func tradingDay(
        _ service: RegistryService, clock: MarketClock, _ day: CivilDate, index: Int, random: inout SplitMix64
    ) async throws {
        var n = 0
        func key() -> String {
            n += 1
            return "demo-h-\(day)-\(n)"
        }
        clock.simulate(day, hour: 9, minute: 0)
        try await openDay(service, day)
        if index == 4 {
            let auction = Auction(
                id: 0, applicant: "ENT-000003", instrument: "CEA24", side: .sell, quantity: 200_000,
                floorPrice: await previousClose(service, "CEA24") * 9 / 10, ceilingPrice: await previousClose(service, "CEA24") * 11 / 10,
                pricing: .uniform, tieBreak: .random, seed: 20_250_601, minBidQuantity: 10_000, maxSharePerMille: 500,
                cancelIfUndersubscribed: false, referencePrice: nil, cancelBelowReferencePercent: nil,
                opensAt: BeijingTime.timestamp(day, hour: 10, minute: 0), closesAt: BeijingTime.timestamp(day, hour: 10, minute: 30))
            try await run(service, key(), .announceAuction(auction))
        }
        let sellers: [AccountID] = ["ENT-000001", "ENT-000002", "ENT-000003", "ENT-000004"]
        let buyers: [AccountID] = ["INV-000001", "INV-000002", "ENT-000003"]
        for step in 0..<40 {
            let minute = step * 6
            let (hour, m) = minute < 120 ? (9 + (30 + minute) / 60, (30 + minute) % 60) : (13 + (minute - 120) / 60, (minute - 120) % 60)
            clock.simulate(day, hour: hour, minute: m)
            if index == 4, step == 6 {
                for (bidder, price, quantity) in [("INV-000001", 2, 80_000), ("INV-000002", 4, 120_000), ("ENT-000001", 1, 60_000)] as [(AccountID, Int64, Int64)] {
                    let close = await previousClose(service, "CEA24")
                    _ = try await attempt(service, key(), .bid(account: bidder, auction: await lastAuction(service), price: close + price * 10, quantity: quantity))
                }
            }
            if index == 4, step == 10 {
                try await run(service, key(), .clearAuction(auction: await lastAuction(service)))
            }
            let code = random.next() % 3 == 0 ? "CEA23" : "CEA24"
            let close = await previousClose(service, code)
            // A gentle drift: the day's centre moves with the day's index.
            let centre = close + Int64(index % 4 == 3 ? -1 : 1) * close / 200
            let price = centre + Int64(random.next() % 41) - 20
            let quantity = Int64(random.next() % 8 + 1) * 500
            // Post a listing, then (two times in three) someone takes the best listing of that side.
            let side: Side = random.next() % 2 == 0 ? .sell : .buy
            let owner = side == .sell ? sellers[Int(random.next() % 4)] : buyers[Int(random.next() % 2)]
            _ = try await attempt(service, key(), .placeOrder(account: owner, instrument: code, side: side, price: price, quantity: quantity))
            if random.next() % 3 != 0 {
                let taker = side == .sell ? buyers[Int(random.next() % 3)] : sellers[Int(random.next() % 4)]
                let best = await service.exchange.orders.values
                    .filter { $0.instrument == code && $0.side == side && $0.account != taker }
                    .sorted { side == .sell ? ($0.price, $0.id) < ($1.price, $1.id) : ($1.price, $0.id) < ($0.price, $1.id) }
                    .first
                if let best {
                    _ = try await attempt(service, key(), .takeOrder(account: taker, order: best.id, quantity: min(best.remaining, quantity)))
                }
            }
            if step % 4 == 0 {
                let ccer = await previousClose(service, "CCER")
                _ = try await attempt(service, key(), .placeOrder(account: "OWN-000001", instrument: "CCER", side: .sell, price: ccer + Int64(random.next() % 30), quantity: 300))
                _ = try await attempt(service, key(), .placeOrder(account: "INV-000001", instrument: "CCER", side: .buy, price: ccer + 25, quantity: 200))
            }
        }
        if index == 2 {
            // Two entities of one group trade with each other: the surveillance list shows it.
            clock.simulate(day, hour: 14, minute: 30)
            let close = await previousClose(service, "CEA24")
            if let placed = try await attempt(service, key(), .placeOrder(account: "ENT-000002", instrument: "CEA24", side: .sell, price: close - 40, quantity: 3_000)),
                case .orderPlaced(let order) = placed.events.first
            {
                _ = try await attempt(service, key(), .takeOrder(account: "ENT-000001", order: order.id, quantity: 3_000))
            }
        }
        if index % 3 == 2 {
            clock.simulate(day, hour: 13, minute: 45)
            let close = await previousClose(service, "CEA23")
            let quoted = try await run(service, key(), .quoteBlock(
                account: "ENT-000003", instrument: "CEA23", side: .sell, price: close - close / 50, quantity: 150_000, counterparties: ["INV-000002"]))
            if case .quotePosted(let quote) = quoted.events.first {
                clock.simulate(day, hour: 14, minute: 10)
                try await run(service, key(), .acceptBlock(account: "INV-000002", quote: quote.id))
            }
        }
        clock.simulate(day, hour: 15, minute: 5)
        try await run(service, key(), .closeDay)
    }

    /// A trading step of the simulated history: a rule rejection (say, the price band after a
    /// move) skips the step; anything else is an error.
    static func attempt(_ service: RegistryService, _ key: String, _ command: ExchangeCommand) async throws -> ExchangeReceipt? {
        try await service.execute(ExchangeRequest(idempotencyKey: key, command: command)).receipt
    }

    static func previousClose(_ service: RegistryService, _ code: String) async -> Int64 {
        await service.exchange.instruments[code]!.previousClose
    }

    static func lastAuction(_ service: RegistryService) async -> Int64 {
        await service.exchange.auctions.keys.max()!
    }
}
