extension RegistryState {
    /// Why `event` cannot be applied to this state, or nil when it can.
    ///
    /// `evolve` trusts its events. The verifier replays a journal that may have been tampered
    /// with, so it asks this first and reports the entry instead of trapping.
    public func problem(applying event: RegistryEvent) -> String? {
        switch event {
        case .accountOpened(let account):
            return accounts[account.id] == nil ? nil : "account \(account.id) opened twice"
        case .accountStatusChanged(let id, _, _), .representativeAdded(let id, _), .representativeRemoved(let id, _):
            return accounts[id] == nil ? "unknown account \(id)" : nil
        case .unitTypeDefined(let unit):
            return unitTypes[unit.code] == nil ? nil : "unit type \(unit.code) defined twice"
        case .unitsIssued(let code, let to, let lot):
            guard let unit = unitTypes[code] else { return "unknown unit type \(code)" }
            guard accounts[to] != nil else { return "unknown account \(to)" }
            if unit.serialized && lot.serials != [SerialRange(first: unit.issuedQuantity + 1, last: unit.issuedQuantity + lot.quantity)] {
                return "issuance of \(code) does not continue its serials"
            }
            return lotProblem(lot, unit)
        case .unitsMoved(_, let from, let to, let code, let lot):
            guard accounts[to] != nil else { return "unknown account \(to)" }
            return holdsProblem(from, code, lot, tag: nil)
        case .transferInitiated(let transfer):
            return transfers[transfer.id] == nil ? nil : "transfer \(transfer.id) initiated twice"
        case .transferDecided(let id, _, _):
            return transfers[id]?.status == .pending ? nil : "transfer \(id) is not pending"
        case .unitsFrozen(let freeze, let lot):
            guard freezes[freeze.id] == nil else { return "freeze \(freeze.id) created twice" }
            return holdsProblem(freeze.account, freeze.unit, lot, tag: nil)
        case .freezeEnded(let id, _, let lot):
            guard let freeze = freezes[id], freeze.status == .active else { return "freeze \(id) is not active" }
            return holdsProblem(freeze.account, freeze.unit, lot, tag: id)
        case .surrenderRecorded(let key, _):
            return accounts[key.account] == nil ? "unknown account \(key.account)" : nil
        case .certificateIssued(let certificate):
            return certificates[certificate.number] == nil ? nil : "certificate \(certificate.number) issued twice"
        case .fundsDeposited(let account, let amount, _):
            return accounts[account] == nil || amount <= 0 ? "bad deposit to \(account)" : nil
        case .fundsWithdrawn(let account, let amount, _):
            return amount > 0 && cash(account) >= amount ? nil : "withdrawal of \(amount) fen exceeds \(account)'s funds"
        case .fundsMoved(_, let from, let to, let amount, _):
            guard accounts[to] != nil else { return "unknown account \(to)" }
            return amount > 0 && cash(from) >= amount ? nil : "payment of \(amount) fen exceeds \(from)'s funds"
        case .dealSettled(let settlement):
            return settlements[settlement.deal] == nil ? nil : "deal \(settlement.deal) settled twice"
        case .locked(let lock, let lot):
            guard locks[lock.id] == nil else { return "lock \(lock.id) created twice" }
            switch lock.asset {
            case .units(let unit):
                return holdsProblem(lock.account, unit, lot, tag: nil)
            case .funds:
                guard accounts[lock.account] != nil else { return "unknown account \(lock.account)" }
                return lot.quantity > 0 && availableCash(lock.account) >= lot.quantity
                    ? nil : "lock of \(lot.quantity) fen exceeds \(lock.account)'s available funds"
            }
        case .unlocked(let id, let lot):
            guard let lock = locks[id] else { return "lock \(id) is not live" }
            guard lot.quantity > 0, lot.quantity <= lock.quantity else { return "unlocking \(lot.quantity) from lock \(id)" }
            if case .units(let unit) = lock.asset { return holdsProblem(lock.account, unit, lot, tag: id) }
            return nil
        }
    }

    private func lotProblem(_ lot: Lot, _ unit: UnitType) -> String? {
        guard lot.quantity > 0 else { return "non-positive quantity" }
        if unit.serialized != !lot.serials.isEmpty { return "serials do not match unit type \(unit.code)" }
        if !lot.serials.isEmpty && lot.serials.reduce(0, { $0 + $1.count }) != lot.quantity {
            return "serial counts do not add up to the quantity"
        }
        for (a, b) in zip(lot.serials, lot.serials.dropFirst()) where b.first <= a.last {
            return "serial ranges overlap or are out of order"
        }
        return nil
    }

    private func holdsProblem(_ account: AccountID, _ code: UnitTypeCode, _ lot: Lot, tag: FreezeID?) -> String? {
        guard accounts[account] != nil else { return "unknown account \(account)" }
        guard let unit = unitTypes[code] else { return "unknown unit type \(code)" }
        if let problem = lotProblem(lot, unit) { return problem }
        let blocks = holding(account, code).blocks.filter { $0.freeze == tag }
        if lot.serials.isEmpty {
            let held = blocks.reduce(0) { $0 + $1.quantity }
            return held >= lot.quantity ? nil : "\(account) holds \(held) \(code), not \(lot.quantity)"
        }
        for range in lot.serials where !blocks.contains(where: { $0.first <= range.first && range.last <= $0.last }) {
            return "\(account) does not hold serials \(range.first)-\(range.last) of \(code)"
        }
        return nil
    }
}
