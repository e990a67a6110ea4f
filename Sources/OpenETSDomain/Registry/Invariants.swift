/// Supply of one unit type: `issued - cancelled == held`, where cancelled units are those in
/// the cancellation and voluntary cancellation accounts.
public struct UnitSupply: Hashable, Codable, Sendable {
    public var unit: UnitTypeCode
    public var issued: Int64
    public var cancelled: Int64
    public var held: Int64

    public init(unit: UnitTypeCode, issued: Int64, cancelled: Int64, held: Int64) {
        self.unit = unit
        self.issued = issued
        self.cancelled = cancelled
        self.held = held
    }
}

extension RegistryState {
    public func supply() -> [UnitSupply] {
        var cancelled: [UnitTypeCode: Int64] = [:]
        var held: [UnitTypeCode: Int64] = [:]
        for (key, holding) in holdings {
            if accounts[key.account]?.type.isRetirement == true {
                cancelled[key.unit, default: 0] += holding.total
            } else {
                held[key.unit, default: 0] += holding.total
            }
        }
        return unitTypes.keys.sorted().map { code in
            UnitSupply(
                unit: code, issued: unitTypes[code]!.issuedQuantity, cancelled: cancelled[code] ?? 0,
                held: held[code] ?? 0)
        }
    }

    /// Every broken invariant, in words; empty when the registry is sound.
    ///
    /// Conservation per unit type, no negative or empty block, every serial of a serialised
    /// type in exactly one place, freezes matching frozen units, funds conservation.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for supply in supply() where supply.issued - supply.cancelled != supply.held {
            problems.append(
                "conservation broken for \(supply.unit): issued \(supply.issued) - cancelled \(supply.cancelled) != held \(supply.held)")
        }
        var serialBlocks: [UnitTypeCode: [HeldBlock]] = [:]
        for (key, holding) in holdings {
            guard accounts[key.account] != nil else { problems.append("holding of unknown account \(key.account)"); continue }
            guard let unit = unitTypes[key.unit] else { problems.append("holding of unknown unit \(key.unit)"); continue }
            if holding.isEmpty { problems.append("empty holding kept for \(key.account) \(key.unit)") }
            for block in holding.blocks {
                if block.quantity <= 0 { problems.append("non-positive block in \(key.account) \(key.unit)") }
                if unit.serialized != (block.first >= 1) {
                    problems.append("block of \(key.unit) in \(key.account) has serial start \(block.first)")
                }
            }
            if unit.serialized { serialBlocks[key.unit, default: []] += holding.blocks }
        }
        for (code, blocks) in serialBlocks {
            var next: Int64 = 1
            for block in blocks.sorted(by: { $0.first < $1.first }) {
                if block.first < next {
                    problems.append("serial \(code) #\(block.first) is held in two places")
                } else if block.first > next {
                    problems.append("serials \(code) #\(next)-\(block.first - 1) are held nowhere")
                }
                next = max(next, block.last + 1)
            }
        }
        for freeze in freezes.values {
            let frozen = holding(freeze.account, freeze.unit).quantity(frozenBy: freeze.id)
            let expected = freeze.status == .active ? freeze.quantity : 0
            if frozen != expected {
                problems.append("freeze \(freeze.id) should hold \(expected) but \(frozen) units carry it")
            }
        }
        var fundsLocked: [AccountID: Int64] = [:]
        for lock in locks.values {
            if lock.quantity <= 0 { problems.append("lock \(lock.id) kept with quantity \(lock.quantity)") }
            switch lock.asset {
            case .units(let unit):
                let tagged = holding(lock.account, unit).quantity(frozenBy: lock.id)
                if tagged != lock.quantity {
                    problems.append("lock \(lock.id) should hold \(lock.quantity) but \(tagged) units carry it")
                }
            case .funds:
                fundsLocked[lock.account, default: 0] += lock.quantity
            }
        }
        if fundsLocked != lockedFen { problems.append("locked funds per account do not add up to the funds locks") }
        for (account, locked) in lockedFen where locked > cash(account) {
            problems.append("\(account) has \(locked) fen locked but holds \(cash(account))")
        }
        for (key, holding) in holdings {
            for block in holding.blocks {
                if let tag = block.freeze, freezes[tag] == nil, locks[tag] == nil {
                    problems.append("units of \(key.account) \(key.unit) carry unknown tag \(tag)")
                }
            }
        }
        if cashFen.values.contains(where: { $0 < 0 }) { problems.append("negative cash balance") }
        let cashTotal = cashFen.values.reduce(0, +)
        if cashTotal != fundsDepositedFen - fundsWithdrawnFen {
            problems.append(
                "funds conservation broken: deposited \(fundsDepositedFen) - withdrawn \(fundsWithdrawnFen) != held \(cashTotal)")
        }
        return problems
    }
}
