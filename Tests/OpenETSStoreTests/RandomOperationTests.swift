import Foundation
import OpenETSApplication
import OpenETSDomain
import Testing

/// Seeded random operations against the registry on each database, checked command by command
/// against an independent model that tracks only quantities and funds.
///
/// Environment: `OPENETS_RANDOM_OPS` (default 20,000; CI 100,000; the documented long run
/// 1,000,000) and `OPENETS_SEED` (default: random). The seed is printed; setting it replays.
@Suite("Random operations against an independent model")
struct RandomOperationTests {
    static var operations: Int { Int(ProcessInfo.processInfo.environment["OPENETS_RANDOM_OPS"] ?? "") ?? 20_000 }
    /// One seed per test process, shared by the backends.
    static let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["OPENETS_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
    static let batchSize = 50

    @Test(arguments: Backend.all)
    func randomOperations(_ backend: Backend) async throws {
        let seed = Self.seed
        let count = Self.operations
        print("random registry test: backend=\(backend.rawValue) seed=\(seed) operations=\(count) (replay with OPENETS_SEED=\(seed) OPENETS_RANDOM_OPS=\(count))")
        let h = try await Harness.open(backend)
        var model = Model(policy: await h.service.policy)
        var generator = Generator(rng: SplitMix64(seed: seed))
        var step = 0
        var sent = 0
        var accepted = 0
        var codes: [String: Int] = [:]
        func check(_ requests: [CommandRequest]) async throws {
            let outcomes = try await h.service.submit(requests)
            for (request, outcome) in zip(requests, outcomes) {
                step += 1
                let expected = model.apply(request)
                codes[expected?.rawValue ?? "ACCEPTED", default: 0] += 1
                if expected == nil { accepted += 1 }
                guard outcome.error?.code == expected else {
                    Issue.record("seed \(seed) step \(step): \(request.command) expected \(expected?.rawValue ?? "accepted"), got \(String(describing: outcome))")
                    throw TestSetupError("diverged from the model at step \(step)")
                }
            }
            try await model.compare(with: h.service.state, seed: seed, step: step)
        }
        try await check(generator.setup())
        while sent < count {
            let n = min(Self.batchSize, count - sent)
            try await check((0..<n).map { _ in generator.next(model) })
            sent += n
            if (sent / Self.batchSize) % 100 == 0 {
                let problems = await h.service.state.invariantViolations()
                #expect(problems == [], "seed \(seed) step \(step): \(problems)")
            }
        }
        let stored = try await h.store.loadState()
        #expect(stored == (await h.service.state), "projection tables equal the in-memory state")
        #expect(stored.invariantViolations() == [], "seed \(seed)")
        let report = try await LedgerVerifier(store: h.store).verify()
        #expect(report.ok, "seed \(seed): \(report.problems)")
        #expect(report.entries == Int64(accepted) - Int64(model.replays), "one journal entry per accepted, non-replayed command")
        print("random registry test: backend=\(backend.rawValue) seed=\(seed) accepted=\(accepted) outcomes=\(codes.sorted { $0.key < $1.key })")
        // Both outcomes must be exercised for the test to mean anything.
        #expect(accepted > count / 5 && accepted < count * 9 / 10)
        try await h.close()
    }
}

private let N: AccountID = "CN-NATIONAL", C: AccountID = "CN-COMPLIANCE", X: AccountID = "CN-CANCELLATION", V: AccountID = "CN-VOLUNTARY-CANCELLATION"
private let P1 = AccountID.provincial("SC"), P2 = AccountID.provincial("GD")
private let entities: [AccountID] = ["ENT-000001", "ENT-000002", "ENT-000003", "ENT-000004"]
private let investors: [AccountID] = ["INV-000001", "INV-000002"]
private let O: AccountID = "OWN-000001", K: AccountID = "EXC-000001"
private let allAccounts: [AccountID] = [N, C, X, V, P1, P2] + entities + investors + [O, K]
private let units: [UnitTypeCode] = ["CEA23", "CEA24", "CCER-P1-2024", "CDCER-P9-2022"]

private func reps(_ account: AccountID) -> [Representative] {
    [
        Representative(id: RepresentativeID("\(account)-I"), name: "initiator", role: .initiator),
        Representative(id: RepresentativeID("\(account)-A"), name: "approver", role: .approver),
    ]
}

/// The model: quantities per account and unit (free and frozen), funds, statuses, freezes and
/// pending transfers. It knows the rules and their order, nothing about serials or storage.
struct Model {
    struct ModelFreeze { var account: AccountID; var unit: UnitTypeCode; var quantity: Int64; var pledgee: AccountID?; var active: Bool }
    struct ModelTransfer { var from: AccountID; var to: AccountID; var unit: UnitTypeCode; var quantity: Int64; var initiator: RepresentativeID; var pending: Bool }

    let policy: RegistryPolicy
    var types: [AccountID: AccountType] = [:]
    var provinces: [AccountID: String] = [:]
    var status: [AccountID: AccountStatus] = [:]
    var unitKinds: [UnitTypeCode: (kind: UnitKind, vintage: Int)] = [:]
    var free: [HoldingKey: Int64] = [:]
    var freezes: [ModelFreeze] = []
    var transfers: [ModelTransfer] = []
    var cash: [AccountID: Int64] = [:]
    var deals: Set<DealID> = []
    var keys: [String: RegistryCommand] = [:]
    var replays = 0

    init(policy: RegistryPolicy) { self.policy = policy }

    var frozenTotals: [HoldingKey: Int64] = [:]

    func frozen(_ a: AccountID, _ u: UnitTypeCode) -> Int64 { frozenTotals[HoldingKey(account: a, unit: u)] ?? 0 }
    func available(_ a: AccountID, _ u: UnitTypeCode) -> Int64 { free[HoldingKey(account: a, unit: u)] ?? 0 }

    mutating func apply(_ request: CommandRequest) -> RegistryErrorCode? {
        if let earlier = keys[request.idempotencyKey] {
            if earlier != request.command { return .idempotencyKeyReused }
            replays += 1
            return nil
        }
        let error = decide(request.command)
        if error == nil { keys[request.idempotencyKey] = request.command }
        return error
    }

    private mutating func decide(_ command: RegistryCommand) -> RegistryErrorCode? {
        switch command {
        case .openAccount(let type, _, _, let province, _):
            let id = type.singletonID ?? (type == .provincial ? .provincial(province!) : AccountID("\(["entity": "ENT", "investor": "INV", "project_owner": "OWN", "exchange_clearing": "EXC"][type.rawValue]!)-\(String(format: "%06d", types.values.filter { $0 == type }.count + 1))"))
            if types[id] != nil { return .duplicateAccount }
            types[id] = type
            provinces[id] = province
            status[id] = .open
        case .defineUnitType(let code, let kind, _, let from, _, _, _, _):
            if unitKinds[code] != nil { return .duplicateUnitType }
            unitKinds[code] = (kind, from)
        case .setAccountStatus(let a, let s, _):
            guard types[a] != nil else { return .unknownAccount }
            if status[a] == s { return .invalidArgument }
            status[a] = s
        case .issue(let u, let q, let to):
            if let e = quantity(q) ?? exists(to) ?? unit(u) { return e }
            let allowed: [AccountType] = unitKinds[u]!.kind.isCredit ? [.national, .projectOwner] : [.national]
            if !allowed.contains(types[to]!) { return .accountTypeNotAllowed }
            move(nil, to, u, q)
        case .allocate(let from, let to, let u, let q):
            return downOrUp(from, to, u, q, pairs: [(.national, .provincial), (.provincial, .entity)])
        case .recall(let from, let to, let u, let q):
            return downOrUp(from, to, u, q, pairs: [(.provincial, .national), (.entity, .provincial)])
        case .transfer(let from, let to, let u, let q):
            if let e = transferShape(from, to, u, q) { return e }
            if policy.fourEyesAccountTypes.contains(types[from]!) { return .approvalRequired }
            if let e = canSend(from) ?? take(from, u, q) { return e }
            move(from, to, u, q)
        case .initiateTransfer(let from, let to, let u, let q, let initiator):
            if let e = transferShape(from, to, u, q) { return e }
            if initiator != RepresentativeID("\(from)-I") { return .notAuthorised }
            if let e = canSend(from) ?? take(from, u, q) { return e }
            transfers.append(ModelTransfer(from: from, to: to, unit: u, quantity: q, initiator: initiator, pending: true))
        case .approveTransfer(let id, let approver):
            guard let index = transferIndex(id) else { return .unknownTransfer }
            let t = transfers[index]
            if !t.pending { return .transferNotPending }
            if approver == t.initiator { return .selfApproval }
            if approver != RepresentativeID("\(t.from)-A") { return .notAuthorised }
            if let e = canSend(t.from) ?? take(t.from, t.unit, t.quantity) { return e }
            transfers[index].pending = false
            move(t.from, t.to, t.unit, t.quantity)
        case .rejectTransfer(let id, let by):
            guard let index = transferIndex(id) else { return .unknownTransfer }
            if !transfers[index].pending { return .transferNotPending }
            if ![RepresentativeID("\(transfers[index].from)-I"), RepresentativeID("\(transfers[index].from)-A")].contains(by) { return .notAuthorised }
            transfers[index].pending = false
        case .freeze(let a, let u, let q, let reason):
            if let e = quantity(q) ?? exists(a) ?? unit(u) { return e }
            if let pledgee = reason.pledgee {
                if let e = exists(pledgee) { return e }
                if pledgee == a { return .sameAccount }
                if ![.entity, .investor, .projectOwner].contains(types[pledgee]!) { return .accountTypeNotAllowed }
            }
            if ![.entity, .investor, .projectOwner].contains(types[a]!) { return .accountTypeNotAllowed }
            if let e = take(a, u, q) { return e }
            free[HoldingKey(account: a, unit: u)]! -= q
            freezes.append(ModelFreeze(account: a, unit: u, quantity: q, pledgee: reason.pledgee, active: true))
            frozenTotals[HoldingKey(account: a, unit: u), default: 0] += q
        case .unfreeze(let id), .enforcePledge(let id):
            guard let index = freezeIndex(id) else { return .unknownFreeze }
            let f = freezes[index]
            if !f.active { return .freezeNotActive }
            var target = f.account
            if case .enforcePledge = command {
                guard let pledgee = f.pledgee else { return .notAPledge }
                target = pledgee
            }
            freezes[index].active = false
            frozenTotals[HoldingKey(account: f.account, unit: f.unit)]! -= f.quantity
            free[HoldingKey(account: target, unit: f.unit), default: 0] += f.quantity
        case .surrender(let a, let u, let q, let year, _):  // the generator never borrows
            if let e = quantity(q) ?? exists(a) ?? unit(u) { return e }
            if types[a] != .entity { return .accountTypeNotAllowed }
            if unitKinds[u]!.vintage > year { return .vintageNotEligible }
            if let e = canSend(a) ?? take(a, u, q) { return e }
            move(a, C, u, q)
        case .cancel(let from, let u, let q):
            if let e = quantity(q) ?? exists(from) ?? unit(u) { return e }
            if ![.national, .compliance].contains(types[from]!) { return .accountTypeNotAllowed }
            if let e = canSend(from) ?? take(from, u, q) { return e }
            move(from, X, u, q)
        case .voluntaryCancel(let a, let u, let q, _, _):
            if let e = quantity(q) ?? exists(a) ?? unit(u) { return e }
            if ![.entity, .investor, .projectOwner].contains(types[a]!) { return .accountTypeNotAllowed }
            if let e = canSend(a) ?? take(a, u, q) { return e }
            move(a, V, u, q)
        case .deduct(let a, let u, let q, _):
            if let e = quantity(q) ?? exists(a) ?? unit(u) { return e }
            if types[a] != .entity { return .accountTypeNotAllowed }
            if let e = take(a, u, q) { return e }
            move(a, X, u, q)
        case .depositFunds(let a, let amount, _):
            if let e = self.amount(amount) ?? exists(a) { return e }
            if !types[a]!.holdsFunds { return .accountTypeNotAllowed }
            cash[a, default: 0] += amount
        case .withdrawFunds(let a, let amount, _):
            if let e = self.amount(amount) ?? exists(a) { return e }
            if !types[a]!.holdsFunds { return .accountTypeNotAllowed }
            if let e = canSend(a) { return e }
            if cash[a, default: 0] < amount { return .insufficientFunds }
            cash[a]! -= amount
        case .settle(let deal, let s, let b, let u, let q, let amount, let fees, _, _):
            if let e = quantity(q) ?? self.amount(amount) { return e }
            if fees.count > policy.maxFeeLegsPerSettlement { return .limitExceeded }
            for fee in fees { if let e = self.amount(fee.amountFen) { return e } }
            if deals.contains(deal) { return .duplicateDeal }
            if let e = exists(s) ?? exists(b) { return e }
            if s == b { return .sameAccount }
            if let e = unit(u) { return e }
            for fee in fees {
                if let e = exists(fee.payee) { return e }
                if fee.payer != s && fee.payer != b { return .invalidArgument }
                if types[fee.payee] != .exchangeClearing { return .accountTypeNotAllowed }
            }
            // The regulator's accounts may sell (paid allocation); buyers are legal persons.
            if ![.entity, .investor, .projectOwner, .national, .provincial].contains(types[s]!) { return .accountTypeNotAllowed }
            if ![.entity, .investor, .projectOwner].contains(types[b]!) { return .accountTypeNotAllowed }
            if let e = canSend(s) ?? canSend(b) ?? take(s, u, q) { return e }
            var net: [AccountID: Int64] = [b: -amount, s: amount]
            for fee in fees { net[fee.payer, default: 0] -= fee.amountFen }
            if cash[b, default: 0] + net[b]! < 0 || cash[s, default: 0] + net[s]! < 0 { return .insufficientFunds }
            move(s, b, u, q)
            for (account, delta) in net { cash[account, default: 0] += delta }
            for fee in fees { cash[fee.payee, default: 0] += fee.amountFen }
            deals.insert(deal)
        default:
            fatalError("the generator does not make \(command.kind)")
        }
        return nil
    }

    private func quantity(_ q: Int64) -> RegistryErrorCode? {
        q <= 0 ? .invalidQuantity : q > policy.maxQuantityPerCommand ? .limitExceeded : nil
    }
    private func amount(_ a: Int64) -> RegistryErrorCode? {
        a <= 0 ? .invalidAmount : a > policy.maxAmountFenPerCommand ? .limitExceeded : nil
    }
    private func exists(_ a: AccountID) -> RegistryErrorCode? { types[a] == nil ? .unknownAccount : nil }
    private func unit(_ u: UnitTypeCode) -> RegistryErrorCode? { unitKinds[u] == nil ? .unknownUnitType : nil }
    private func canSend(_ a: AccountID) -> RegistryErrorCode? { status[a] == .open ? nil : .accountNotOpen }
    private func take(_ a: AccountID, _ u: UnitTypeCode, _ q: Int64) -> RegistryErrorCode? {
        let free = available(a, u)
        if free + frozen(a, u) < q { return .insufficientHolding }
        return free < q ? .unitsFrozen : nil
    }
    private func transferIndex(_ id: TransferID) -> Int? {
        guard id.rawValue.hasPrefix("TRF-"), let n = Int(id.rawValue.dropFirst(4)), n >= 1, n <= transfers.count else { return nil }
        return n - 1
    }
    private func freezeIndex(_ id: FreezeID) -> Int? {
        guard id.rawValue.hasPrefix("FRZ-"), let n = Int(id.rawValue.dropFirst(4)), n >= 1, n <= freezes.count else { return nil }
        return n - 1
    }

    private mutating func downOrUp(_ from: AccountID, _ to: AccountID, _ u: UnitTypeCode, _ q: Int64, pairs: [(AccountType, AccountType)]) -> RegistryErrorCode? {
        if let e = quantity(q) ?? exists(from) ?? exists(to) { return e }
        if from == to { return .sameAccount }
        if let e = unit(u) { return e }
        guard pairs.contains(where: { $0.0 == types[from]! && $0.1 == types[to]! }) else { return .accountTypeNotAllowed }
        if types[from] != .national && types[to] != .national && provinces[from] != provinces[to] { return .accountTypeNotAllowed }
        if unitKinds[u]!.kind != .allowance { return .unitKindNotAllowed }
        if let e = canSend(from) ?? take(from, u, q) { return e }
        move(from, to, u, q)
        return nil
    }

    private func transferShape(_ from: AccountID, _ to: AccountID, _ u: UnitTypeCode, _ q: Int64) -> RegistryErrorCode? {
        if let e = quantity(q) ?? exists(from) ?? exists(to) { return e }
        if from == to { return .sameAccount }
        if let e = unit(u) { return e }
        let participants: [AccountType] = [.entity, .investor, .projectOwner, .exchangeClearing]
        if !participants.contains(types[from]!) || !participants.contains(types[to]!) { return .accountTypeNotAllowed }
        return nil
    }

    private mutating func move(_ from: AccountID?, _ to: AccountID, _ u: UnitTypeCode, _ q: Int64) {
        if let from { free[HoldingKey(account: from, unit: u)]! -= q }
        free[HoldingKey(account: to, unit: u), default: 0] += q
    }

    /// Every account's free and frozen quantity of every unit, and its funds, must agree.
    func compare(with state: RegistryState, seed: UInt64, step: Int) throws {
        for account in allAccounts {
            for u in units {
                let holding = state.holding(account, u)
                let expectedFree = available(account, u)
                let expectedFrozen = frozen(account, u)
                guard holding.available == expectedFree && holding.total - holding.available == expectedFrozen else {
                    Issue.record("seed \(seed) step \(step): \(account) \(u) holds \(holding.available)+\(holding.total - holding.available) frozen, model \(expectedFree)+\(expectedFrozen)")
                    throw TestSetupError("holdings diverged")
                }
            }
            guard state.cash(account) == cash[account, default: 0] else {
                Issue.record("seed \(seed) step \(step): \(account) funds \(state.cash(account)), model \(cash[account, default: 0])")
                throw TestSetupError("funds diverged")
            }
        }
    }
}

/// Random commands, mostly plausible, some deliberately bad.
struct Generator {
    var rng: SplitMix64
    var counter = 0
    var history: [CommandRequest] = []

    mutating func key() -> String {
        counter += 1
        return "r-\(counter)"
    }

    mutating func setup() -> [CommandRequest] {
        var commands: [RegistryCommand] = []
        for type in [AccountType.national, .compliance, .cancellation, .voluntaryCancellation] {
            commands.append(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        for p in ["SC", "GD"] { commands.append(.openAccount(type: .provincial, ownerID: p, ownerName: p, province: p, representatives: [])) }
        for (i, e) in entities.enumerated() {
            commands.append(.openAccount(type: .entity, ownerID: "E\(i)", ownerName: "Entity \(i)", province: i < 2 ? "SC" : "GD", representatives: reps(e)))
        }
        for (i, v) in investors.enumerated() {
            commands.append(.openAccount(type: .investor, ownerID: "I\(i)", ownerName: "Investor \(i)", province: nil, representatives: reps(v)))
        }
        commands.append(.openAccount(type: .projectOwner, ownerID: "O", ownerName: "Owner", province: "SC", representatives: reps(O)))
        commands.append(.openAccount(type: .exchangeClearing, ownerID: "K", ownerName: "Clearing", province: nil, representatives: []))
        commands.append(.defineUnitType(code: units[0], kind: .allowance, label: "CEA", vintageFrom: 2023, vintageTo: 2023, projectID: nil, issuer: "CN", serialized: false))
        commands.append(.defineUnitType(code: units[1], kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        commands.append(.defineUnitType(code: units[2], kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P1", issuer: "CN", serialized: true))
        commands.append(.defineUnitType(code: units[3], kind: .localCredit, label: "CDCER", vintageFrom: 2022, vintageTo: 2022, projectID: "P9", issuer: "CD", serialized: true))
        return commands.map { CommandRequest(idempotencyKey: key(), command: $0) }
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    /// Usually 1-2,000 t; sometimes zero, negative, over the limit, or a large bite.
    mutating func quantity(_ policy: RegistryPolicy) -> Int64 {
        switch int(1...100) {
        case 1: return 0
        case 2: return -Int64(int(1...10))
        case 3: return policy.maxQuantityPerCommand + 1
        case 4...12: return Int64(int(2_000...60_000))
        default: return Int64(int(1...2_000))
        }
    }

    mutating func account() -> AccountID { chance(2) ? "ENT-999999" : pick(allAccounts) }
    mutating func participant() -> AccountID { chance(2) ? pick([N, P1]) : pick(entities + investors + [O, K]) }
    mutating func unit() -> UnitTypeCode { chance(2) ? "CEA99" : pick(units) }

    mutating func next(_ model: Model) -> CommandRequest {
        // Retries: the same request again (replay), or its key with another command.
        if !history.isEmpty && chance(2) {
            let earlier = pick(history)
            if chance(50) { return earlier }
            return CommandRequest(idempotencyKey: earlier.idempotencyKey, command: command(model))
        }
        let request = CommandRequest(idempotencyKey: key(), command: command(model))
        if history.count < 500 { history.append(request) } else { history[int(0...499)] = request }
        return request
    }

    mutating func command(_ model: Model) -> RegistryCommand {
        let policy = model.policy
        switch int(1...100) {
        case 1...6:
            let u = unit()
            let credit = model.unitKinds[u]?.kind.isCredit == true
            return .issue(unit: u, quantity: quantity(policy) * 10, to: chance(90) ? (credit ? O : N) : pick([N, O, P1]))
        case 7...20:
            let down = chance(70)
            let province = pick([P1, P2])
            let entity = chance(85) ? entities[province == P1 ? int(0...1) : int(2...3)] : pick(entities)
            if down {
                return chance(40)
                    ? .allocate(from: chance(95) ? N : pick(entities), to: province, unit: unit(), quantity: quantity(policy) * 5)
                    : .allocate(from: province, to: chance(95) ? entity : account(), unit: unit(), quantity: quantity(policy))
            }
            return chance(50)
                ? .recall(from: entity, to: province, unit: unit(), quantity: quantity(policy))
                : .recall(from: province, to: chance(95) ? N : account(), unit: unit(), quantity: quantity(policy))
        case 21...27:
            return .transfer(from: participant(), to: participant(), unit: unit(), quantity: quantity(policy))
        case 28...40:
            let from = pick(entities + investors)
            let initiator = chance(90) ? RepresentativeID("\(from)-I") : RepresentativeID("\(pick(entities))-A")
            return .initiateTransfer(from: from, to: participant(), unit: unit(), quantity: quantity(policy), initiator: initiator)
        case 41...50:
            let n = model.transfers.count
            let id = TransferID("TRF-\(String(format: "%08d", chance(95) && n > 0 ? max(1, n - int(0...3)) : n + 1))")
            let from = n > 0 ? model.transfers[max(0, n - 1)].from : entities[0]
            if chance(15) { return .rejectTransfer(transfer: id, by: RepresentativeID("\(chance(80) ? from : K)-A")) }
            let approver: RepresentativeID = switch int(1...10) {
            case 1: RepresentativeID("\(from)-I")
            case 2: RepresentativeID("\(pick(investors))-A")
            default: RepresentativeID("\(from)-A")
            }
            return .approveTransfer(transfer: id, approver: approver)
        case 51...56:
            let reason: FreezeReason = chance(60) ? .pledge(pledgee: chance(90) ? pick(investors + entities) : pick([N, O]), contract: "PL") : .judicial(order: "J")
            return .freeze(account: participant(), unit: unit(), quantity: quantity(policy), reason: reason)
        case 57...61:
            let id = FreezeID("FRZ-\(String(format: "%08d", max(1, model.freezes.count - int(0...4))))")
            return chance(50) ? .unfreeze(freeze: id) : .enforcePledge(freeze: id)
        case 62...68:
            return .surrender(account: chance(90) ? pick(entities) : participant(), unit: unit(), quantity: quantity(policy), complianceYear: pick([2023, 2024]))
        case 69...71:
            return .cancel(from: chance(90) ? pick([C, N]) : participant(), unit: unit(), quantity: quantity(policy))
        case 72...75:
            return .voluntaryCancel(account: participant(), unit: unit(), quantity: quantity(policy), beneficiary: "B", purpose: "P")
        case 76...77:
            return .deduct(account: chance(90) ? pick(entities) : participant(), unit: unit(), quantity: quantity(policy), reason: "penalty")
        case 78...84:
            return .depositFunds(account: participant(), amountFen: chance(3) ? 0 : Int64(int(1...50_000_000)), bankReference: "D")
        case 85...87:
            return .withdrawFunds(account: participant(), amountFen: Int64(int(1...30_000_000)), bankReference: "W")
        case 88...97:
            let q = quantity(policy)
            let price = Int64(int(4_000...12_000))
            let seller = participant(), buyer = participant()
            let amount = q > 0 && q < 1_000_000 ? q * price : Int64(int(1...1_000))
            let fee = FeeLeg(payer: chance(95) ? buyer : K, payee: chance(95) ? K : seller, amountFen: max(1, amount / 2_000))
            let deal = DealID("D-\(chance(3) ? max(1, counter - 5) : counter)")
            return .settle(deal: deal, seller: seller, buyer: buyer, unit: unit(), quantity: q, amountFen: amount, fees: chance(80) ? [fee] : [])
        default:
            // Reopen blocked accounts more often than blocking open ones.
            let blocked = (entities + investors).filter { model.status[$0] == .blocked }
            let a = !blocked.isEmpty && chance(70) ? pick(blocked) : pick(entities + investors)
            return .setAccountStatus(account: a, status: model.status[a] == .open ? .blocked : .open, reason: "review")
        }
    }
}
