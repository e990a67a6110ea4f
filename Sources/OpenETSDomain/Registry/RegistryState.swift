/// The whole registry: accounts, unit types, holdings, funds and the records that other parts
/// read (freezes, four-eyes transfers, certificates, surrenders, settlements).
///
/// `decide` (RegistryDecide.swift) checks a command against this state and returns events;
/// `evolve` applies events. Only `evolve` changes state, and it never fails: a rejected
/// command therefore changes nothing, and replaying the journal rebuilds the state.
public struct RegistryState: Hashable, Sendable {
    public var accounts: [AccountID: Account] = [:]
    public var unitTypes: [UnitTypeCode: UnitType] = [:]
    /// Only non-empty holdings are kept.
    public var holdings: [HoldingKey: Holding] = [:]
    /// Only non-zero balances are kept.
    public var cashFen: [AccountID: Int64] = [:]
    public var freezes: [FreezeID: Freeze] = [:]
    public var transfers: [TransferID: PendingTransfer] = [:]
    public var certificates: [CertificateNumber: CancellationCertificate] = [:]
    public var surrendered: [SurrenderKey: Int64] = [:]
    public var settlements: LayeredMap<DealID, Settlement> = [:]
    /// Live trading locks (units and funds); see `TradingLock`.
    public var locks: [FreezeID: TradingLock] = [:]
    /// Funds under trading locks per account (non-zero only); part of `cashFen`, not spendable.
    public var lockedFen: [AccountID: Int64] = [:]
    /// Funds that entered from and left to the banks, for the funds conservation check.
    public var fundsDepositedFen: Int64 = 0
    public var fundsWithdrawnFen: Int64 = 0

    public init() {}

    public func holding(_ account: AccountID, _ unit: UnitTypeCode) -> Holding {
        holdings[HoldingKey(account: account, unit: unit)] ?? Holding()
    }

    public func cash(_ account: AccountID) -> Int64 { cashFen[account] ?? 0 }

    /// Cash that is not under a trading lock.
    public func availableCash(_ account: AccountID) -> Int64 { cash(account) - (lockedFen[account] ?? 0) }
}

/// The keys an `evolve` touched, so a store writes only what changed.
public struct ChangeSet: Sendable {
    public var accounts: Set<AccountID> = []
    public var unitTypes: Set<UnitTypeCode> = []
    public var holdings: Set<HoldingKey> = []
    public var cash: Set<AccountID> = []
    public var freezes: Set<FreezeID> = []
    public var transfers: Set<TransferID> = []
    public var certificates: Set<CertificateNumber> = []
    public var surrendered: Set<SurrenderKey> = []
    public var settlements: Set<DealID> = []
    public var locks: Set<FreezeID> = []
    public var totals = false

    public init() {}
}

extension RegistryState {
    public mutating func evolve(_ event: RegistryEvent, changes: inout ChangeSet) {
        switch event {
        case .accountOpened(let account):
            accounts[account.id] = account
            changes.accounts.insert(account.id)
        case .accountStatusChanged(let id, let status, _):
            accounts[id]!.status = status
            changes.accounts.insert(id)
        case .representativeAdded(let id, let representative):
            accounts[id]!.representatives.append(representative)
            changes.accounts.insert(id)
        case .representativeRemoved(let id, let representative):
            accounts[id]!.representatives.removeAll { $0.id == representative }
            changes.accounts.insert(id)
        case .unitTypeDefined(let unitType):
            unitTypes[unitType.code] = unitType
            changes.unitTypes.insert(unitType.code)
        case .unitsIssued(let unit, let to, let lot):
            unitTypes[unit]!.issuedQuantity += lot.quantity
            changes.unitTypes.insert(unit)
            updateHolding(to, unit, &changes) { $0.add(lot, tag: nil) }
        case .unitsMoved(_, let from, let to, let unit, let lot):
            updateHolding(from, unit, &changes) { $0.remove(lot, tag: nil) }
            updateHolding(to, unit, &changes) { $0.add(lot, tag: nil) }
        case .transferInitiated(let transfer):
            transfers[transfer.id] = transfer
            changes.transfers.insert(transfer.id)
        case .transferDecided(let id, let status, let by):
            transfers[id]!.status = status
            transfers[id]!.decidedBy = by
            changes.transfers.insert(id)
        case .unitsFrozen(let freeze, let lot):
            freezes[freeze.id] = freeze
            changes.freezes.insert(freeze.id)
            updateHolding(freeze.account, freeze.unit, &changes) {
                $0.remove(lot, tag: nil)
                $0.add(lot, tag: freeze.id)
            }
        case .freezeEnded(let id, let status, let lot):
            let freeze = freezes[id]!
            freezes[id]!.status = status
            changes.freezes.insert(id)
            updateHolding(freeze.account, freeze.unit, &changes) {
                $0.remove(lot, tag: id)
                $0.add(lot, tag: nil)
            }
        case .surrenderRecorded(let key, let quantity):
            surrendered[key, default: 0] += quantity
            changes.surrendered.insert(key)
        case .certificateIssued(let certificate):
            certificates[certificate.number] = certificate
            changes.certificates.insert(certificate.number)
        case .fundsDeposited(let account, let amount, _):
            addCash(account, amount, &changes)
            fundsDepositedFen += amount
            changes.totals = true
        case .fundsWithdrawn(let account, let amount, _):
            addCash(account, -amount, &changes)
            fundsWithdrawnFen += amount
            changes.totals = true
        case .fundsMoved(_, let from, let to, let amount, _):
            addCash(from, -amount, &changes)
            addCash(to, amount, &changes)
        case .dealSettled(let settlement):
            settlements[settlement.deal] = settlement
            changes.settlements.insert(settlement.deal)
        case .locked(let lock, let lot):
            locks[lock.id] = lock
            changes.locks.insert(lock.id)
            switch lock.asset {
            case .units(let unit):
                updateHolding(lock.account, unit, &changes) {
                    $0.remove(lot, tag: nil)
                    $0.add(lot, tag: lock.id)
                }
            case .funds:
                lockedFen[lock.account, default: 0] += lot.quantity
            }
        case .unlocked(let id, let lot):
            let lock = locks[id]!
            let remaining = lock.quantity - lot.quantity
            precondition(remaining >= 0, "unlocking more than lock \(id) holds (event does not match state)")
            locks[id] = remaining == 0 ? nil : TradingLock(
                id: id, account: lock.account, asset: lock.asset, quantity: remaining, reference: lock.reference,
                createdAt: lock.createdAt)
            changes.locks.insert(id)
            switch lock.asset {
            case .units(let unit):
                updateHolding(lock.account, unit, &changes) {
                    $0.remove(lot, tag: id)
                    $0.add(lot, tag: nil)
                }
            case .funds:
                let left = lockedFen[lock.account]! - lot.quantity
                lockedFen[lock.account] = left == 0 ? nil : left
            }
        }
    }

    public mutating func evolve(_ events: [RegistryEvent], changes: inout ChangeSet) {
        for event in events { evolve(event, changes: &changes) }
    }

    private mutating func updateHolding(
        _ account: AccountID, _ unit: UnitTypeCode, _ changes: inout ChangeSet, _ body: (inout Holding) -> Void
    ) {
        let key = HoldingKey(account: account, unit: unit)
        var holding = holdings.removeValue(forKey: key) ?? Holding()
        body(&holding)
        if !holding.isEmpty { holdings[key] = holding }
        changes.holdings.insert(key)
    }

    private mutating func addCash(_ account: AccountID, _ delta: Int64, _ changes: inout ChangeSet) {
        let balance = cash(account) + delta
        precondition(balance >= 0, "negative cash balance for \(account) (event does not match state)")
        cashFen[account] = balance == 0 ? nil : balance
        changes.cash.insert(account)
    }
}
