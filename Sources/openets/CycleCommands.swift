import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets cycle`: steps a year's allocation through the registry.
struct CycleCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "The compliance cycle in the registry: pre-allocation, true-up, reserve, paid-allocation auction, totals, surrender, penalties, status, statistics (docs/allocation.md).",
        subcommands: [
            CyclePreAllocateCommand.self, CycleTrueUpCommand.self, CycleReserveCommand.self, CycleAuctionCommand.self,
            CycleTotalsCommand.self, CycleComplyCommand.self,
            CyclePenaltiesCommand.self, CycleCarryOverCommand.self, CycleStatusCommand.self, CycleStatsCommand.self,
        ])
}

/// Options every `openets cycle` command takes.
struct CycleOptions: ParsableArguments {
    @Option(help: "Plan id: its published version in the store (openets plan list), else the shipped plan.") var plan: String
    @Option(help: "Compliance year (the plan's year).") var year: Int
    @Option(help: "Facilities JSON: {\"facilities\":[{\"id\",\"entity\",\"province\",\"category\",\"generation_mwh\",…,\"previous_verified_t\",\"verified_t\"}]}.")
    var input: String?
    @Flag(
        help: """
            Take the verified figures from the MRV platform's approved annual reports in the same store (docs/allocation.md):             every figure the platform has wins; --input, if given, names the facilities and fills what the platform lacks.
            """)
    var fromMRV = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    struct Input: Decodable {
        var facilities: [CycleFacility]?
    }

    /// The facilities, or an `AllocationError`.
    func load() throws(AllocationError) -> [CycleFacility] {
        guard let input else { return [] }
        let data = try CycleCalculatorIO.read(input)
        let decoded: Input
        do {
            decoded = try JSONDecoder().decode(Input.self, from: data)
        } catch let error as DecodingError {
            throw AllocationError(.invalidInput, "input is not the cycle's JSON: \(CycleCalculatorIO.describe(error))")
        } catch {
            throw AllocationError(.invalidInput, "input is not JSON: \(error.localizedDescription)")
        }
        guard let facilities = decoded.facilities else { throw AllocationError(.missingField, "facilities is missing") }
        return facilities
    }

    /// Loads the input, opens the cycle, runs `body`, prints its result; errors print
    /// `{"error":{"code","message"}}` and exit 2.
    func run<T: Encodable>(
        needsInput: Bool = true, needsVerified: Bool = true, _ body: (AllocationCycleService, AllocationPlan, [CycleFacility]) async throws -> T,
        text: (T) -> String
    ) async throws {
        do {
            if needsInput && input == nil && !fromMRV {
                throw AllocationError(.missingField, "--input (the facilities JSON) or --from-mrv is missing")
            }
            let file = try load()
            let opened = try await Composition.openAllocationCycle(store.location)
            let result: T
            do {
                // The published version in the store, else the shipped plan of that id.
                let plan = try await AllocationPlanService(store: opened.cycleStore, clock: SystemClock()).resolve(id: self.plan).plan
                var facilities = file
                if fromMRV && needsInput {
                    let mrv = try await Composition.openMRV(store.location, connectionID: 3)
                    do {
                        facilities = try await MRVVerifiedFigures(mrv: mrv.service, registry: opened.registry).facilities(
                            plan: plan, year: year, file: input == nil ? nil : file, needVerified: needsVerified)
                        try await mrv.store.close()
                    } catch {
                        try? await mrv.store.close()
                        throw error
                    }
                }
                result = try await body(opened.service, plan, facilities)
                try await opened.cycleStore.close()
                try await opened.store.close()
            } catch {
                try? await opened.cycleStore.close()
                try? await opened.store.close()
                throw error
            }
            print(json ? jsonText(result) : text(result))
        } catch let error as AllocationError {
            print(jsonText(CycleFailure(error: .init(code: error.code.rawValue, message: error.message))))
            throw ExitCode(2)
        } catch let error as CycleStageRejected {
            print(jsonText(CycleFailure(error: .init(code: error.error.code.rawValue, message: error.description))))
            throw ExitCode(2)
        } catch let error as CycleStageExchangeRejected {
            print(jsonText(CycleFailure(error: .init(code: error.error.code.rawValue, message: error.description))))
            throw ExitCode(2)
        }
    }
}

private struct CycleFailure: Encodable {
    struct Body: Encodable {
        var code: String
        var message: String
    }

    var error: Body
}

/// The printed result of a stage.
struct CycleStageReport: Encodable {
    var plan: String
    var year: Int
    var stage: String
    var unit: String
    var commands: Int
    var applied: Int
    var alreadyDone: Bool
    var entities: [CycleStagePlan.EntityMovement]
    var debts: [CycleDebt]
    /// The plan version the stage was worked out under (recorded with its commands).
    var planVersion: Int?

    init(_ result: CycleStageResult) {
        planVersion = result.plan.planVersion
        plan = result.plan.planID
        year = result.plan.year
        stage = result.plan.stage.rawValue
        unit = result.plan.unit.rawValue
        commands = result.plan.steps.count + (result.plan.exchangeSteps?.count ?? 0)
        applied = result.applied
        alreadyDone = result.alreadyDone
        entities = result.plan.entities
        debts = result.plan.debts
    }

    enum CodingKeys: String, CodingKey {
        case plan, year, stage, unit, commands, applied, entities, debts
        case alreadyDone = "already_done"
        case planVersion = "plan_version"
    }

    var text: String {
        var lines = [
            alreadyDone
                ? "\(stage) \(plan) v\(planVersion.map(String.init) ?? "?") \(year): already done, nothing submitted"
                : "\(stage) \(plan) v\(planVersion.map(String.init) ?? "?") \(year): \(commands) commands (\(applied) applied now) in \(unit)"
        ]
        let moved = entities.reduce(Int64(0)) { $0 + $1.movedT }
        lines.append("  \(entities.count) entities, net \(moved) t moved")
        for debt in debts { lines.append("  debt \(debt.entity): \(debt.quantityT) t (\(debt.settlement.rawValue))") }
        return lines.joined(separator: "\n")
    }
}

struct CyclePreAllocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pre-allocate",
        abstract: "Pre-allocation: plan ratio × previous verified emissions per facility, national → province → entity.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run(needsVerified: false, { service, plan, facilities in
            CycleStageReport(try await service.run(.preAllocation, plan: plan, year: options.year, facilities: facilities))
        }, text: \.text)
    }
}

struct CycleTrueUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "true-up",
        abstract: "True-up: final allocation (formula, gas cap, coal floor) − pre-allocation, allocated or recalled; uncovered recalls become debts.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run({ service, plan, facilities in
            CycleStageReport(try await service.run(.trueUp, plan: plan, year: options.year, facilities: facilities))
        }, text: \.text)
    }
}

/// The printed result of the reserve and auction stages, and the supply part of `cycle status`.
struct CycleSupplyReport: Encodable {
    struct Fill: Encodable {
        var bidder: String
        var quantity: Int64
        var price: String
    }

    var stage: CycleStageReport?
    var allocatedT: Int64?
    var reserveT: Int64?
    var auctionT: Int64?
    var floorPrice: String?
    var auctionID: Int64?
    /// `announced`, `cleared` or `cancelled` (the exchange's auction status).
    var auctionStatus: String?
    var clearingPrice: String?
    var soldT: Int64?
    var unsoldT: Int64?
    var fills: [Fill]?

    init(stage: CycleStageReport?, supply: AllocationSupply?, auction: CycleAuctionStatus?) {
        self.stage = stage
        allocatedT = supply?.allocatedT
        reserveT = supply?.reserveT
        auctionT = supply?.auctionT
        floorPrice = supply?.auctionFloorPrice.map { Fen.text(CycleSupply.fen($0)) }
        if let auction {
            auctionID = auction.auction.id
            auctionStatus = auction.auction.status.rawValue
            clearingPrice = auction.auction.result?.clearingPrice.map(Fen.text)
            soldT = auction.soldT
            unsoldT = auction.unsoldT
            fills = auction.auction.result?.fills.map { Fill(bidder: $0.bidder, quantity: $0.quantity, price: Fen.text($0.price)) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case stage, fills
        case allocatedT = "allocated_t"
        case reserveT = "reserve_t"
        case auctionT = "auction_t"
        case floorPrice = "floor_price"
        case auctionID = "auction_id"
        case auctionStatus = "auction_status"
        case clearingPrice = "clearing_price"
        case soldT = "sold_t"
        case unsoldT = "unsold_t"
    }

    var text: String {
        var lines = stage.map { [$0.text] } ?? []
        if let reserveT, let allocatedT {
            lines.append("  final allocation \(allocatedT) t, reserve \(reserveT) t, paid allocation \(auctionT ?? 0) t at ≥ \(floorPrice ?? "-") CNY/t")
        }
        if let auctionID, let auctionStatus {
            lines.append(
                "  auction \(auctionID) \(auctionStatus)" + (clearingPrice.map { " at \($0) CNY/t" } ?? "")
                    + ": sold \(soldT ?? 0) t, unsold \(unsoldT ?? 0) t (stays in the reserve)")
            for fill in fills ?? [] { lines.append("    \(fill.bidder): \(fill.quantity) t at \(fill.price)") }
        }
        return lines.joined(separator: "\n")
    }
}

struct CycleReserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve (after the true-up): issue the plan's reserve_t into the national account CN-NATIONAL, the national reserve.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run(needsInput: false, { service, plan, _ in
            let result = try await service.reserve(plan: plan, year: options.year)
            return CycleSupplyReport(stage: CycleStageReport(result), supply: result.plan.supply, auction: nil)
        }, text: \.text)
    }
}

struct CycleAuctionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auction",
        abstract: "Paid allocation (after the reserve): announce auction_t out of CN-NATIONAL as a one-way sell auction at the plan's floor; run again to see the result.")

    @OptionGroup var options: CycleOptions
    @Option(help: "Window opens (ISO-8601; no zone: Beijing time).") var opens: String?
    @Option(help: "Window closes (ISO-8601).") var closes: String?
    @Option(help: "Ceiling price CNY/t.") var ceiling: String?
    @Option(help: "Minimum bid, t.") var minBid: Int64 = 1
    @Option(help: "Cap per bidder, per mille of the volume (1000: no cap).") var maxSharePerMille: Int64 = 1000
    @Option(help: "uniform | pay_as_bid") var pricing: AuctionTerms.Pricing = .uniform

    func run() async throws {
        try await options.run(needsInput: false, { service, plan, _ in
            if let done = try await service.auctionStatus(plan: plan.id, year: options.year) {
                // A done stage: nothing is submitted; show what the exchange did with the auction.
                let result = try await service.auction(
                    plan: plan, year: options.year, terms: CycleSupply.Terms(opensAt: done.auction.opensAt, closesAt: done.auction.closesAt, ceilingPrice: done.auction.ceilingPrice))
                return CycleSupplyReport(stage: CycleStageReport(result), supply: result.plan.supply, auction: done)
            }
            guard let opens, let closes, let ceiling else {
                throw AllocationError(.missingField, "--opens, --closes and --ceiling are needed to announce the auction")
            }
            guard let opensAt = Timestamp(iso8601: opens), let closesAt = Timestamp(iso8601: closes) else {
                throw AllocationError(.invalidValue, "--opens and --closes must be ISO-8601 times")
            }
            guard let ceilingFen = Fen.parse(ceiling), ceilingFen > 0 else {
                throw AllocationError(.invalidValue, "--ceiling \(ceiling) is not a price in CNY with at most 2 decimals")
            }
            let terms = CycleSupply.Terms(
                opensAt: opensAt, closesAt: closesAt, ceilingPrice: ceilingFen, minBidQuantity: minBid, maxSharePerMille: maxSharePerMille,
                pricing: pricing)
            let result = try await service.auction(plan: plan, year: options.year, terms: terms)
            return CycleSupplyReport(
                stage: CycleStageReport(result), supply: result.plan.supply,
                auction: try await service.auctionStatus(plan: plan.id, year: options.year))
        }, text: \.text)
    }
}

struct CycleTotalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totals", abstract: "Allocation totals bottom-up: entity, province, nation, per unit category.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run(needsVerified: false, { service, plan, facilities in
            try await service.totals(plan: plan, year: options.year, facilities: facilities)
        }, text: { totals in
            func line(_ row: CycleTotals.Row) -> String {
                "\(row.id): \(row.total.facilities) facilities, pre-allocation \(row.total.preAllocationT) t"
                    + (row.total.finalT.map { ", final \($0) t" } ?? "")
            }
            return ([line(totals.nation)] + totals.provinces.map { "  " + line($0) }).joined(separator: "\n")
        })
    }
}

/// The printed result of the surrender stage: the stage and each entity's assessment.
struct CycleComplianceReport: Encodable {
    var stage: CycleStageReport
    var compliance: [ComplianceAssessment]

    var text: String {
        var lines = [stage.text]
        for a in compliance {
            lines.append(
                "  \(a.entity) \(a.province): obligation \(a.obligationT) t, surrendered \(a.surrenderedT) t (CCER \(a.ccerUsableT) t\(a.borrowedT.map { ", borrowed \($0) t" } ?? "")), "
                    + "\(a.status.rawValue)\(a.shortfallT > 0 ? " \(a.shortfallT) t" : ""), carry-over limit \(a.carryOverLimitT) t")
            for i in a.ineligible { lines.append("    not surrendered: \(i.unit) \(i.quantityT) t: \(i.reason)") }
        }
        return lines.joined(separator: "\n")
    }
}

struct CycleComplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "comply",
        abstract: "Compliance: obligation = verified (+ debts), surrender eligible CCER (≤5%) then CEA oldest first; status and shortfall per entity.")

    @OptionGroup var options: CycleOptions

    func run() async throws {
        try await options.run({ service, plan, facilities in
            let result = try await service.run(.surrender, plan: plan, year: options.year, facilities: facilities)
            return CycleComplianceReport(stage: CycleStageReport(result), compliance: result.plan.compliance ?? [])
        }, text: \.text)
    }
}

struct CyclePenaltiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "penalties",
        abstract: "Penalty notices for the shortfalls of a done surrender stage (--issue), or the notices; --pay records a payment.")

    @OptionGroup var options: CycleOptions
    @Flag(help: "Issue the notices (idempotent).") var issue = false
    @Option(help: "Date of issue YYYY-MM-DD (default: the day after the surrender deadline).") var issuedOn: String?
    @Option(help: "Multiple of the month's average price (price regime; default the plan's minimum).") var multiple: String?
    @Option(help: "Record that notice ID was paid.") var pay: String?

    func run() async throws {
        try await options.run(needsInput: false, { service, plan, _ in
            if let pay { return [try await service.markPaid(notice: pay, year: options.year)] }
            guard issue else { return try await service.notices(year: options.year) }
            guard plan.year == options.year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year)") }
            let deadline = CivilDate(plan.deadlines.surrender)!
            guard let date = issuedOn.map({ CivilDate($0) }) ?? deadline.adding(days: 1) else {
                throw AllocationError(.invalidValue, "--issued-on \(issuedOn ?? "") is not a date YYYY-MM-DD")
            }
            var factor: ExactDecimal?
            if let multiple {
                guard let parsed = ExactDecimal(multiple), !parsed.isNegative else {
                    throw AllocationError(.invalidValue, "--multiple \(multiple) is not a decimal")
                }
                factor = parsed
            }
            return try await service.issuePenalties(plan: plan, year: options.year, issuedOn: date, multiple: factor)
        }, text: { notices in
            notices.isEmpty ? "no penalty notices"
                : notices.map { n in
                    "\(n.id) \(n.entity) \(n.province): shortfall \(n.shortfallT) t, \(n.regime.rawValue)"
                        + (n.averagePriceFen.map { " at \(Fen.text($0)) CNY/t" } ?? "")
                        + ", fine \(Fen.text(n.amountFen)) CNY (range \(Fen.text(n.minFen))-\(Fen.text(n.maxFen))), deduct \(n.deductionT) t, \(n.status.rawValue)"
                }.joined(separator: "\n")
        })
    }
}

struct CycleCarryOverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carry-over",
        abstract: "After the surrender deadline: allowances of vintages up to the year held above 10,000 + 1.5 × net sold, per entity (recorded).")

    @OptionGroup var options: CycleOptions
    @Option(help: "The day it runs, YYYY-MM-DD, after the surrender deadline (default: today, Beijing time).") var today: String?

    func run() async throws {
        try await options.run(needsInput: false, { service, plan, _ in
            let day: CivilDate
            if let today {
                guard let parsed = CivilDate(today) else { throw AllocationError(.invalidValue, "--today \(today) is not a date YYYY-MM-DD") }
                day = parsed
            } else {
                day = BeijingTime.date(SystemClock().now())
            }
            guard plan.year == options.year else { throw AllocationError(.yearMismatch, "plan \(plan.id) is for \(plan.year)") }
            return try await service.enforceCarryOver(plan: plan, year: options.year, today: day).plan.carryOver ?? []
        }, text: { rows in
            rows.map { r in
                "\(r.entity) \(r.province): held \(r.heldT) t, net sold \(r.netSoldT) t, limit \(r.limitT) t, excess \(r.excessT) t (\(r.consequence.rawValue))"
            }.joined(separator: "\n")
        })
    }
}

struct CycleStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The year's timeline: stages with dates, each entity's state, reminders.")

    @OptionGroup var options: CycleOptions
    @Option(help: "The day to judge reminders on, YYYY-MM-DD (default: today, Beijing time).") var today: String?

    func run() async throws {
        try await options.run(needsInput: false, { service, plan, _ in
            let day: CivilDate
            if let today {
                guard let parsed = CivilDate(today) else { throw AllocationError(.invalidValue, "--today \(today) is not a date YYYY-MM-DD") }
                day = parsed
            } else {
                day = BeijingTime.date(SystemClock().now())
            }
            let supply = try await service.supply(plan: plan.id, year: options.year)
            return CycleStatusReport(
                timeline: try await service.timeline(plan: plan, year: options.year, today: day),
                supply: supply.supply == nil ? nil : CycleSupplyReport(stage: nil, supply: supply.supply, auction: supply.auction))
        }, text: { report in
            let t = report.timeline
            var lines = ["\(t.planID) \(t.year) on \(t.today)"]
            for s in t.stages {
                lines.append("  \(s.name.rawValue): due \(s.due?.description ?? "-")" + (s.done.map { $0 ? ", done" : ", not done" } ?? ""))
            }
            for e in t.entities { lines.append("  \(e.entity): \(e.state)" + (e.shortfallT.map { $0 > 0 ? " (\($0) t)" : "" } ?? "")) }
            for r in t.reminders { lines.append("  reminder \(r.entity) \(r.stage.rawValue): \(r.message)") }
            if let supply = report.supply { lines.append("  supply:\n" + supply.text) }
            return lines.joined(separator: "\n")
        })
    }
}

/// `cycle status`: the timeline's JSON, plus `supply` (reserve and paid allocation) when the
/// reserve stage is done.
struct CycleStatusReport: Encodable {
    var timeline: CycleTimeline
    var supply: CycleSupplyReport?

    enum CodingKeys: String, CodingKey { case supply }

    func encode(to encoder: any Encoder) throws {
        try timeline.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(supply, forKey: .supply)
    }
}

struct CycleStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Compliance rate by count and volume per province and nation, allocation totals, turnover rate.")

    @OptionGroup var options: CycleOptions
    @Flag(help: "Print CSV.") var csv = false

    func run() async throws {
        try await options.run({ service, plan, facilities in
            try await service.statistics(plan: plan, year: options.year, facilities: facilities)
        }, text: { stats in
            if csv { return stats.csv }
            var lines: [String] = []
            for r in stats.rows {
                lines.append(
                    "\(r.scope) \(r.sector): \(r.compliantEntities)/\(r.entities) compliant (\(r.complianceRateByCount)%), "
                        + "\(r.surrenderedT)/\(r.obligationT) t (\(r.complianceRateByVolume)%), final allocation \(r.finalAllocationT.map { String($0) } ?? "-") t")
            }
            lines.append("traded \(stats.tradedT) t, turnover rate \(stats.turnoverRate)%")
            return lines.joined(separator: "\n")
        })
    }
}

/// `openets bench cycle`: the allocation cycle at national scale on a fresh SQLite file
/// (register in BenchCommand's subcommands).
struct CycleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "Pre-allocation, true-up, compliance assessment and totals for a generated national power market on SQLite.")
    @Option(help: "Entities to generate (3-5 units each).") var entities: Int = 3_600
    @Option(help: "Random seed.") var seed: UInt64 = 20_250_601
    @Option(help: "SQLite file to create (default: a new temporary file).") var db: String?
    @Flag(help: "Print only the JSON result.") var json = false

    func validate() throws {
        guard (1...100_000 / 5).contains(entities) else { throw ValidationError("entities must be 1-20,000") }
    }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: a debug build; measure with `swift build -c release`\n".utf8))
        #endif
        let path = db ?? FileManager.default.temporaryDirectory.appendingPathComponent("openets-bench-cycle-\(UUID().uuidString).db").path
        guard !FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(path) exists: the benchmark needs a new file") }
        let r = try await CycleBenchmark.run(location: .sqlite(path: path), entities: entities, seed: seed)
        if db == nil {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        print("{\"entities\":\(r.entities),\"facilities\":\(r.facilities),\"seconds\":\(String(format: "%.3f", r.seconds))}")
        if !json {
            FileHandle.standardError.write(
                Data("  \(r.commands) registry commands; nation final \(r.nationFinalT) t; \(r.shortfallEntities) entities short\n".utf8))
        }
    }
}
