/// The registry's rules. `decide` never changes state; it returns the events of an accepted
/// command or throws the first rule it breaks.
///
/// Checks run in a fixed order, so the error code of a command that breaks several rules is
/// stable (docs/registry.md lists it): field values and named limits; existence of accounts,
/// unit types, freezes and transfers; same-account; account types, unit kinds and vintages;
/// four-eyes and authorisation; account status; holdings and funds.
extension RegistryState {
    public func decide(
        _ command: RegistryCommand, at now: Timestamp, policy: RegistryPolicy
    ) throws(RegistryError) -> [RegistryEvent] {
        let rules = Rules(state: self, policy: policy, now: now)
        switch command {
        case .openAccount(let type, let ownerID, let ownerName, let province, let representatives):
            return try rules.openAccount(type, ownerID, ownerName, province, representatives)
        case .setAccountStatus(let account, let status, let reason):
            return try rules.setAccountStatus(account, status, reason)
        case .addRepresentative(let account, let representative):
            return try rules.addRepresentative(account, representative)
        case .removeRepresentative(let account, let representative):
            return try rules.removeRepresentative(account, representative)
        case .defineUnitType(let code, let kind, let label, let from, let to, let project, let issuer, let serialized):
            return try rules.defineUnitType(code, kind, label, from, to, project, issuer, serialized)
        case .issue(let unit, let quantity, let to):
            return try rules.issue(unit, quantity, to)
        case .allocate(let from, let to, let unit, let quantity):
            return try rules.allocate(from, to, unit, quantity)
        case .recall(let from, let to, let unit, let quantity):
            return try rules.recall(from, to, unit, quantity)
        case .transfer(let from, let to, let unit, let quantity):
            return try rules.transfer(from, to, unit, quantity)
        case .initiateTransfer(let from, let to, let unit, let quantity, let initiator):
            return try rules.initiateTransfer(from, to, unit, quantity, initiator)
        case .approveTransfer(let transfer, let approver):
            return try rules.approveTransfer(transfer, approver)
        case .rejectTransfer(let transfer, let by):
            return try rules.rejectTransfer(transfer, by)
        case .freeze(let account, let unit, let quantity, let reason):
            return try rules.freeze(account, unit, quantity, reason)
        case .unfreeze(let freeze):
            return try rules.endFreeze(freeze, enforce: false)
        case .enforcePledge(let freeze):
            return try rules.endFreeze(freeze, enforce: true)
        case .surrender(let account, let unit, let quantity, let year, let borrowing):
            return try rules.surrender(account, unit, quantity, year, borrowing: borrowing ?? false)
        case .cancel(let from, let unit, let quantity):
            return try rules.cancel(from, unit, quantity)
        case .voluntaryCancel(let account, let unit, let quantity, let beneficiary, let purpose):
            return try rules.voluntaryCancel(account, unit, quantity, beneficiary, purpose)
        case .deduct(let account, let unit, let quantity, let reason):
            return try rules.deduct(account, unit, quantity, reason)
        case .depositFunds(let account, let amount, let reference):
            return try rules.depositFunds(account, amount, reference)
        case .withdrawFunds(let account, let amount, let reference):
            return try rules.withdrawFunds(account, amount, reference)
        case .settle(let deal, let seller, let buyer, let unit, let quantity, let amount, let fees, let sellerLock, let buyerLock):
            return try rules.settle(deal, seller, buyer, unit, quantity, amount, fees, sellerLock, buyerLock)
        case .lock(let lock, let account, let asset, let quantity, let reference):
            return try rules.lock(lock, account, asset, quantity, reference)
        case .unlock(let lock, let quantity):
            return try rules.unlock(lock, quantity)
        }
    }
}

private struct Rules {
    let state: RegistryState
    let policy: RegistryPolicy
    let now: Timestamp

    // MARK: accounts

    func openAccount(
        _ type: AccountType, _ ownerID: String, _ ownerName: String, _ province: String?,
        _ representatives: [Representative]
    ) throws(RegistryError) -> [RegistryEvent] {
        try text(ownerID, "ownerID")
        try text(ownerName, "ownerName")
        if let province { try provinceCode(province) }
        if province == nil && (type == .provincial || type == .entity) {
            throw RegistryError(.invalidArgument, "a \(type.rawValue) account needs a province")
        }
        try checkRepresentatives(representatives, of: nil)
        let id: AccountID
        if let singleton = type.singletonID {
            id = singleton
        } else if type == .provincial, let province {
            id = .provincial(province)
        } else {
            let prefix = type.numberPrefix!
            let number = Int64(state.accounts.values.count { $0.type == type } + 1)
            id = AccountID("\(prefix)-\(zeroPadded(number, width: 6))")
        }
        guard state.accounts[id] == nil else { throw RegistryError(.duplicateAccount, "account \(id) already exists") }
        let account = Account(
            id: id, type: type, ownerID: ownerID, ownerName: ownerName, province: province, status: .open,
            representatives: representatives, openedAt: now)
        return [.accountOpened(account)]
    }

    func setAccountStatus(_ id: AccountID, _ status: AccountStatus, _ reason: String) throws(RegistryError)
        -> [RegistryEvent]
    {
        try text(reason, "reason")
        let account = try account(id)
        guard account.status != .closed else { throw RegistryError(.accountNotOpen, "account \(id) is closed for good") }
        guard account.status != status else {
            throw RegistryError(.invalidArgument, "account \(id) is already \(status.rawValue)")
        }
        if status == .closed {
            let holds = state.holdings.keys.contains { $0.account == id }
            guard !holds && state.cash(id) == 0 else {
                throw RegistryError(.accountNotEmpty, "account \(id) still holds units or funds")
            }
        }
        return [.accountStatusChanged(account: id, status: status, reason: reason)]
    }

    func addRepresentative(_ id: AccountID, _ representative: Representative) throws(RegistryError) -> [RegistryEvent] {
        let account = try account(id)
        try checkRepresentatives(account.representatives + [representative], of: id)
        try canReceive(account)
        return [.representativeAdded(account: id, representative: representative)]
    }

    func removeRepresentative(_ id: AccountID, _ representative: RepresentativeID) throws(RegistryError)
        -> [RegistryEvent]
    {
        let account = try account(id)
        guard account.representative(representative) != nil else {
            throw RegistryError(.unknownRepresentative, "\(representative) does not represent \(id)")
        }
        return [.representativeRemoved(account: id, representative: representative)]
    }

    func defineUnitType(
        _ code: UnitTypeCode, _ kind: UnitKind, _ label: String, _ vintageFrom: Int, _ vintageTo: Int,
        _ projectID: String?, _ issuer: String, _ serialized: Bool
    ) throws(RegistryError) -> [RegistryEvent] {
        try symbol(code.rawValue, "code", maxLength: 40)
        try symbol(label, "label", maxLength: 8)
        try symbol(issuer, "issuer", maxLength: 4)
        guard (2000...2100).contains(vintageFrom) && (vintageFrom...2100).contains(vintageTo) else {
            throw RegistryError(.invalidArgument, "vintage \(vintageFrom)-\(vintageTo) is not a range of years")
        }
        if kind.isCredit {
            guard let projectID else { throw RegistryError(.invalidArgument, "a credit unit type names its project") }
            try symbol(projectID, "projectID", maxLength: 32)
            guard serialized else { throw RegistryError(.invalidArgument, "credits are held as serial blocks") }
        } else if projectID != nil {
            throw RegistryError(.invalidArgument, "an allowance has no project")
        }
        guard state.unitTypes[code] == nil else {
            throw RegistryError(.duplicateUnitType, "unit type \(code) already exists")
        }
        let unitType = UnitType(
            code: code, kind: kind, label: label, vintageFrom: vintageFrom, vintageTo: vintageTo, projectID: projectID,
            issuer: issuer, serialized: serialized)
        return [.unitTypeDefined(unitType)]
    }

    // MARK: units

    func issue(_ code: UnitTypeCode, _ quantity: Int64, _ to: AccountID) throws(RegistryError) -> [RegistryEvent] {
        try self.quantity(quantity)
        let target = try account(to)
        let unit = try unitType(code)
        let allowed: [AccountType] = unit.kind.isCredit ? [.national, .projectOwner] : [.national]
        try type(target, allowed, "issuance target")
        try canReceive(target)
        let first = unit.issuedQuantity + 1
        let serials = unit.serialized ? [SerialRange(first: first, last: first + quantity - 1)] : []
        return [.unitsIssued(unit: code, to: to, lot: Lot(quantity: quantity, serials: serials))]
    }

    func allocate(_ from: AccountID, _ to: AccountID, _ code: UnitTypeCode, _ quantity: Int64) throws(RegistryError)
        -> [RegistryEvent]
    {
        try downOrUp(.allocation, from, to, code, quantity, pairs: [(.national, .provincial), (.provincial, .entity)])
    }

    func recall(_ from: AccountID, _ to: AccountID, _ code: UnitTypeCode, _ quantity: Int64) throws(RegistryError)
        -> [RegistryEvent]
    {
        try downOrUp(.recall, from, to, code, quantity, pairs: [(.provincial, .national), (.entity, .provincial)])
    }

    /// Allocation and recall: allowances along national ↔ provincial ↔ entity of that province.
    private func downOrUp(
        _ kind: MovementKind, _ fromID: AccountID, _ toID: AccountID, _ code: UnitTypeCode, _ quantity: Int64,
        pairs: [(AccountType, AccountType)]
    ) throws(RegistryError) -> [RegistryEvent] {
        try self.quantity(quantity)
        let (from, to) = try accountPair(fromID, toID)
        let unit = try unitType(code)
        guard pairs.contains(where: { $0.0 == from.type && $0.1 == to.type }) else {
            throw RegistryError(
                .accountTypeNotAllowed, "\(kind.rawValue) does not go from \(from.type.rawValue) to \(to.type.rawValue)")
        }
        if from.type != .national && to.type != .national && from.province != to.province {
            throw RegistryError(.accountTypeNotAllowed, "\(fromID) and \(toID) are in different provinces")
        }
        guard unit.kind == .allowance else {
            throw RegistryError(.unitKindNotAllowed, "only allowances are allocated or recalled")
        }
        try canSend(from)
        try canReceive(to)
        let lot = try take(fromID, unit, quantity)
        return [.unitsMoved(kind: kind, from: fromID, to: toID, unit: code, lot: lot)]
    }

    func transfer(_ fromID: AccountID, _ toID: AccountID, _ code: UnitTypeCode, _ quantity: Int64) throws(RegistryError)
        -> [RegistryEvent]
    {
        let (from, _, unit) = try transferShape(fromID, toID, code, quantity)
        guard !policy.fourEyesAccountTypes.contains(from.type) else {
            throw RegistryError(
                .approvalRequired, "transfers out of \(from.type.rawValue) accounts need an initiator and an approver")
        }
        try canSend(from)
        try canReceive(state.accounts[toID]!)
        let lot = try take(fromID, unit, quantity)
        return [.unitsMoved(kind: .transfer, from: fromID, to: toID, unit: code, lot: lot)]
    }

    func initiateTransfer(
        _ fromID: AccountID, _ toID: AccountID, _ code: UnitTypeCode, _ quantity: Int64, _ initiator: RepresentativeID
    ) throws(RegistryError) -> [RegistryEvent] {
        let (from, to, unit) = try transferShape(fromID, toID, code, quantity)
        guard from.representative(initiator)?.role == .initiator else {
            throw RegistryError(.notAuthorised, "\(initiator) is not an initiator of \(fromID)")
        }
        try canSend(from)
        try canReceive(to)
        _ = try take(fromID, unit, quantity)
        let id = TransferID("TRF-\(zeroPadded(Int64(state.transfers.count + 1), width: 8))")
        let pending = PendingTransfer(
            id: id, from: fromID, to: toID, unit: code, quantity: quantity, initiator: initiator, status: .pending,
            decidedBy: nil, initiatedAt: now)
        return [.transferInitiated(pending)]
    }

    func approveTransfer(_ id: TransferID, _ approver: RepresentativeID) throws(RegistryError) -> [RegistryEvent] {
        let pending = try pendingTransfer(id)
        guard approver != pending.initiator else {
            throw RegistryError(.selfApproval, "\(approver) initiated \(id) and cannot approve it")
        }
        let from = state.accounts[pending.from]!
        guard from.representative(approver)?.role == .approver else {
            throw RegistryError(.notAuthorised, "\(approver) is not an approver of \(pending.from)")
        }
        try canSend(from)
        try canReceive(state.accounts[pending.to]!)
        let lot = try take(pending.from, state.unitTypes[pending.unit]!, pending.quantity)
        return [
            .transferDecided(transfer: id, status: .executed, by: approver),
            .unitsMoved(kind: .transfer, from: pending.from, to: pending.to, unit: pending.unit, lot: lot),
        ]
    }

    func rejectTransfer(_ id: TransferID, _ by: RepresentativeID) throws(RegistryError) -> [RegistryEvent] {
        let pending = try pendingTransfer(id)
        guard state.accounts[pending.from]!.representative(by) != nil else {
            throw RegistryError(.notAuthorised, "\(by) does not represent \(pending.from)")
        }
        return [.transferDecided(transfer: id, status: .rejected, by: by)]
    }

    func freeze(_ accountID: AccountID, _ code: UnitTypeCode, _ quantity: Int64, _ reason: FreezeReason)
        throws(RegistryError) -> [RegistryEvent]
    {
        try self.quantity(quantity)
        try text(reason.reference, "reference")
        let account = try account(accountID)
        let unit = try unitType(code)
        if let pledgeeID = reason.pledgee {
            let pledgee = try self.account(pledgeeID)
            guard pledgeeID != accountID else { throw RegistryError(.sameAccount, "an account cannot pledge to itself") }
            try type(pledgee, AccountType.legalPersonHoldings, "pledgee")
        }
        try type(account, AccountType.legalPersonHoldings, "frozen account")
        try canReceive(account)
        let lot = try take(accountID, unit, quantity)
        let id = FreezeID("FRZ-\(zeroPadded(Int64(state.freezes.count + 1), width: 8))")
        let freeze = Freeze(
            id: id, account: accountID, unit: code, quantity: quantity, reason: reason, status: .active, createdAt: now)
        return [.unitsFrozen(freeze, lot: lot)]
    }

    func endFreeze(_ id: FreezeID, enforce: Bool) throws(RegistryError) -> [RegistryEvent] {
        guard let freeze = state.freezes[id] else { throw RegistryError(.unknownFreeze, "no freeze \(id)") }
        guard freeze.status == .active else {
            throw RegistryError(.freezeNotActive, "freeze \(id) is already \(freeze.status.rawValue)")
        }
        let holding = state.holding(freeze.account, freeze.unit)
        let serialized = state.unitTypes[freeze.unit]!.serialized
        let serials = serialized ? holding.blocks.filter { $0.freeze == id }.map(\.serials) : []
        let lot = Lot(quantity: freeze.quantity, serials: serials)
        guard enforce else { return [.freezeEnded(freeze: id, status: .released, lot: lot)] }
        guard let pledgee = freeze.reason.pledgee else {
            throw RegistryError(.notAPledge, "freeze \(id) is \(freeze.reason.kind), not a pledge")
        }
        try canReceive(try account(pledgee))
        return [
            .freezeEnded(freeze: id, status: .enforced, lot: lot),
            .unitsMoved(kind: .pledgeEnforcement, from: freeze.account, to: pledgee, unit: freeze.unit, lot: lot),
        ]
    }

    func surrender(_ accountID: AccountID, _ code: UnitTypeCode, _ quantity: Int64, _ year: Int, borrowing: Bool) throws(RegistryError)
        -> [RegistryEvent]
    {
        try self.quantity(quantity)
        guard (2000...2100).contains(year) else { throw RegistryError(.invalidArgument, "compliance year \(year)") }
        let entity = try account(accountID)
        let unit = try unitType(code)
        try type(entity, [.entity], "surrendering account")
        let provinceID = AccountID.provincial(entity.province!)
        let province = try account(provinceID)
        let compliance = try account(AccountType.compliance.singletonID!)
        if borrowing {
            // Borrowing takes from the next allocation only: a unit of vintage year + 1 exactly.
            guard unit.kind == .allowance, unit.vintageFrom == year + 1, unit.vintageTo == year + 1 else {
                throw RegistryError(
                    .borrowingNotNextVintage, "\(code) (vintage \(unit.vintageLabel)) is not an allowance of \(year + 1), the only vintage \(year) may borrow")
            }
        } else {
            guard unit.vintageFrom <= year else {
                throw RegistryError(.vintageNotEligible, "\(code) (vintage \(unit.vintageLabel)) cannot cover \(year)")
            }
        }
        try canSend(entity)
        try canReceive(province)
        try canReceive(compliance)
        let lot = try take(accountID, unit, quantity)
        return [
            .unitsMoved(kind: .surrender, from: accountID, to: provinceID, unit: code, lot: lot),
            .unitsMoved(kind: .surrender, from: provinceID, to: compliance.id, unit: code, lot: lot),
            .surrenderRecorded(key: SurrenderKey(account: accountID, complianceYear: year, unit: code), quantity: quantity),
        ]
    }

    func cancel(_ fromID: AccountID, _ code: UnitTypeCode, _ quantity: Int64) throws(RegistryError) -> [RegistryEvent] {
        try self.quantity(quantity)
        let from = try account(fromID)
        let unit = try unitType(code)
        let target = try account(AccountType.cancellation.singletonID!)
        try type(from, [.national, .compliance], "cancelling account")
        try canSend(from)
        let lot = try take(fromID, unit, quantity)
        return [.unitsMoved(kind: .cancellation, from: fromID, to: target.id, unit: code, lot: lot)]
    }

    func voluntaryCancel(
        _ accountID: AccountID, _ code: UnitTypeCode, _ quantity: Int64, _ beneficiary: String, _ purpose: String
    ) throws(RegistryError) -> [RegistryEvent] {
        try self.quantity(quantity)
        try text(beneficiary, "beneficiary")
        try text(purpose, "purpose")
        let account = try account(accountID)
        let unit = try unitType(code)
        let target = try self.account(AccountType.voluntaryCancellation.singletonID!)
        try type(account, AccountType.exchangeTraders, "cancelling account")
        try canSend(account)
        let lot = try take(accountID, unit, quantity)
        let number = CertificateNumber("VC-\(zeroPadded(Int64(state.certificates.count + 1), width: 8))")
        let certificate = CancellationCertificate(
            number: number, account: accountID, unit: code, lot: lot, beneficiary: beneficiary, purpose: purpose,
            issuedAt: now)
        return [
            .unitsMoved(kind: .voluntaryCancellation, from: accountID, to: target.id, unit: code, lot: lot),
            .certificateIssued(certificate),
        ]
    }

    func deduct(_ accountID: AccountID, _ code: UnitTypeCode, _ quantity: Int64, _ reason: String) throws(RegistryError)
        -> [RegistryEvent]
    {
        try self.quantity(quantity)
        try text(reason, "reason")
        let entity = try account(accountID)
        let unit = try unitType(code)
        let target = try account(AccountType.cancellation.singletonID!)
        try type(entity, [.entity], "penalised account")
        // A penalty deduction applies to blocked accounts too; closed ones hold nothing.
        let lot = try take(accountID, unit, quantity)
        return [.unitsMoved(kind: .deduction, from: accountID, to: target.id, unit: code, lot: lot)]
    }

    // MARK: funds

    func depositFunds(_ id: AccountID, _ amount: Int64, _ reference: String) throws(RegistryError) -> [RegistryEvent] {
        try self.amount(amount)
        try text(reference, "bankReference")
        let account = try fundsAccount(id)
        try canReceive(account)
        return [.fundsDeposited(account: id, amountFen: amount, bankReference: reference)]
    }

    func withdrawFunds(_ id: AccountID, _ amount: Int64, _ reference: String) throws(RegistryError) -> [RegistryEvent] {
        try self.amount(amount)
        try text(reference, "bankReference")
        let account = try fundsAccount(id)
        try canSend(account)
        guard state.availableCash(id) >= amount else {
            throw RegistryError(.insufficientFunds, "\(id) has \(state.availableCash(id)) fen available, needs \(amount)")
        }
        return [.fundsWithdrawn(account: id, amountFen: amount, bankReference: reference)]
    }

    func settle(
        _ deal: DealID, _ sellerID: AccountID, _ buyerID: AccountID, _ code: UnitTypeCode, _ quantity: Int64,
        _ amount: Int64, _ fees: [FeeLeg], _ sellerLockID: FreezeID?, _ buyerLockID: FreezeID?
    ) throws(RegistryError) -> [RegistryEvent] {
        try self.quantity(quantity)
        try self.amount(amount)
        try symbol(deal.rawValue, "deal", maxLength: 40)
        guard fees.count <= policy.maxFeeLegsPerSettlement else {
            throw RegistryError(.limitExceeded, "maxFeeLegsPerSettlement is \(policy.maxFeeLegsPerSettlement)")
        }
        for fee in fees { try self.amount(fee.amountFen) }
        guard state.settlements[deal] == nil else { throw RegistryError(.duplicateDeal, "deal \(deal) is settled") }
        let (seller, buyer) = try accountPair(sellerID, buyerID)
        let unit = try unitType(code)
        let sellerLock = try sellerLockID.map { id throws(RegistryError) in try lock(id, of: sellerID, .units(code)) }
        let buyerLock = try buyerLockID.map { id throws(RegistryError) in try lock(id, of: buyerID, .funds) }
        for fee in fees {
            let payee = try account(fee.payee)
            guard fee.payer == sellerID || fee.payer == buyerID else {
                throw RegistryError(.invalidArgument, "fee payer \(fee.payer) is not a party to \(deal)")
            }
            try type(payee, [.exchangeClearing], "fee account")
            try canReceive(payee)
        }
        // The regulator sells (paid allocation); it never buys.
        try type(seller, AccountType.exchangeTraders + AccountType.paidAllocationSellers, "selling party")
        try type(buyer, AccountType.exchangeTraders, "buying party")
        try canSend(seller)
        try canSend(buyer)
        var events: [RegistryEvent] = []
        let lot: Lot
        if let sellerLock {
            guard sellerLock.quantity >= quantity else {
                throw RegistryError(
                    .insufficientLocked, "lock \(sellerLock.id) holds \(sellerLock.quantity) \(code), the deal needs \(quantity)")
            }
            let serials = unit.serialized ? state.holding(sellerID, code).pickSerials(quantity, tag: sellerLock.id)! : []
            lot = Lot(quantity: quantity, serials: serials)
            events.append(.unlocked(lock: sellerLock.id, lot: lot))
        } else {
            lot = try take(sellerID, unit, quantity)
        }
        var net: [AccountID: Int64] = [buyerID: -amount, sellerID: amount]
        for fee in fees { net[fee.payer, default: 0] -= fee.amountFen }
        var available: [AccountID: Int64] = [buyerID: state.availableCash(buyerID), sellerID: state.availableCash(sellerID)]
        if let buyerLock {
            let pays = -net[buyerID]!
            guard buyerLock.quantity >= pays else {
                throw RegistryError(
                    .insufficientLocked, "lock \(buyerLock.id) holds \(buyerLock.quantity) fen, the buyer pays \(pays)")
            }
            available[buyerID]! += pays
            events.append(.unlocked(lock: buyerLock.id, lot: Lot(quantity: pays, serials: [])))
        }
        for party in [buyerID, sellerID] where available[party]! + net[party]! < 0 {
            throw RegistryError(.insufficientFunds, "\(party) has \(available[party]!) fen available, needs \(-net[party]!)")
        }
        events += [
            .unitsMoved(kind: .settlement, from: sellerID, to: buyerID, unit: code, lot: lot),
            .fundsMoved(kind: .payment, from: buyerID, to: sellerID, amountFen: amount, deal: deal),
        ]
        for fee in fees {
            events.append(.fundsMoved(kind: .fee, from: fee.payer, to: fee.payee, amountFen: fee.amountFen, deal: deal))
        }
        events.append(
            .dealSettled(
                Settlement(
                    deal: deal, seller: sellerID, buyer: buyerID, unit: code, quantity: quantity, amountFen: amount,
                    settledAt: now)))
        return events
    }

    // MARK: trading locks

    func lock(_ id: FreezeID, _ accountID: AccountID, _ asset: LockedAsset, _ quantity: Int64, _ reference: String)
        throws(RegistryError) -> [RegistryEvent]
    {
        switch asset {
        case .units: try self.quantity(quantity)
        case .funds: try amount(quantity)
        }
        try symbol(id.rawValue, "lock", maxLength: 40)
        try text(reference, "reference")
        guard !id.rawValue.hasPrefix("FRZ-") else {
            throw RegistryError(.invalidArgument, "lock ids starting with FRZ- are the registry's freeze numbers")
        }
        let account = try account(accountID)
        guard state.locks[id] == nil else { throw RegistryError(.duplicateLock, "lock \(id) exists") }
        switch asset {
        case .units: try type(account, AccountType.exchangeTraders + AccountType.paidAllocationSellers, "locking account")
        case .funds: try type(account, AccountType.exchangeTraders, "locking account")
        }
        try canSend(account)
        let lot: Lot
        switch asset {
        case .units(let code):
            lot = try take(accountID, try unitType(code), quantity)
        case .funds:
            guard state.availableCash(accountID) >= quantity else {
                throw RegistryError(
                    .insufficientFunds, "\(accountID) has \(state.availableCash(accountID)) fen available, needs \(quantity)")
            }
            lot = Lot(quantity: quantity, serials: [])
        }
        let lock = TradingLock(id: id, account: accountID, asset: asset, quantity: quantity, reference: reference, createdAt: now)
        return [.locked(lock, lot: lot)]
    }

    func unlock(_ id: FreezeID, _ quantity: Int64) throws(RegistryError) -> [RegistryEvent] {
        guard quantity > 0 else { throw RegistryError(.invalidQuantity, "quantity must be positive") }
        guard let lock = state.locks[id] else { throw RegistryError(.unknownLock, "no live lock \(id)") }
        guard lock.quantity >= quantity else {
            throw RegistryError(.insufficientLocked, "lock \(id) holds \(lock.quantity), cannot unlock \(quantity)")
        }
        var serials: [SerialRange] = []
        if let code = lock.asset.unit, state.unitTypes[code]!.serialized {
            serials = state.holding(lock.account, code).pickSerials(quantity, tag: id)!
        }
        return [.unlocked(lock: id, lot: Lot(quantity: quantity, serials: serials))]
    }

    private func lock(_ id: FreezeID, of account: AccountID, _ asset: LockedAsset) throws(RegistryError) -> TradingLock {
        guard let lock = state.locks[id] else { throw RegistryError(.unknownLock, "no live lock \(id)") }
        guard lock.account == account, lock.asset == asset else {
            throw RegistryError(.lockMismatch, "lock \(id) belongs to \(lock.account) and does not reserve what this deal needs")
        }
        return lock
    }

    // MARK: shared checks

    private func transferShape(_ fromID: AccountID, _ toID: AccountID, _ code: UnitTypeCode, _ quantity: Int64)
        throws(RegistryError) -> (Account, Account, UnitType)
    {
        try self.quantity(quantity)
        let (from, to) = try accountPair(fromID, toID)
        let unit = try unitType(code)
        try type(from, AccountType.participantHoldings, "transfer source")
        try type(to, AccountType.participantHoldings, "transfer target")
        return (from, to, unit)
    }

    private func accountPair(_ a: AccountID, _ b: AccountID) throws(RegistryError) -> (Account, Account) {
        let first = try account(a)
        let second = try account(b)
        guard a != b else { throw RegistryError(.sameAccount, "\(a) cannot send to itself") }
        return (first, second)
    }

    private func account(_ id: AccountID) throws(RegistryError) -> Account {
        guard let account = state.accounts[id] else { throw RegistryError(.unknownAccount, "no account \(id)") }
        return account
    }

    private func fundsAccount(_ id: AccountID) throws(RegistryError) -> Account {
        let account = try account(id)
        guard account.type.holdsFunds else {
            throw RegistryError(.accountTypeNotAllowed, "\(account.type.rawValue) accounts hold no funds")
        }
        return account
    }

    private func unitType(_ code: UnitTypeCode) throws(RegistryError) -> UnitType {
        guard let unit = state.unitTypes[code] else { throw RegistryError(.unknownUnitType, "no unit type \(code)") }
        return unit
    }

    private func pendingTransfer(_ id: TransferID) throws(RegistryError) -> PendingTransfer {
        guard let transfer = state.transfers[id] else { throw RegistryError(.unknownTransfer, "no transfer \(id)") }
        guard transfer.status == .pending else {
            throw RegistryError(.transferNotPending, "transfer \(id) is \(transfer.status.rawValue)")
        }
        return transfer
    }

    private func type(_ account: Account, _ allowed: [AccountType], _ role: String) throws(RegistryError) {
        guard allowed.contains(account.type) else {
            throw RegistryError(
                .accountTypeNotAllowed, "\(account.id) is a \(account.type.rawValue) account and cannot be the \(role)")
        }
    }

    private func canSend(_ account: Account) throws(RegistryError) {
        guard account.status == .open else {
            throw RegistryError(.accountNotOpen, "\(account.id) is \(account.status.rawValue); nothing leaves it")
        }
    }

    private func canReceive(_ account: Account) throws(RegistryError) {
        guard account.status != .closed else { throw RegistryError(.accountNotOpen, "\(account.id) is closed") }
    }

    /// The units a movement takes: free units only, lowest serials first.
    private func take(_ accountID: AccountID, _ unit: UnitType, _ quantity: Int64) throws(RegistryError) -> Lot {
        let holding = state.holding(accountID, unit.code)
        guard holding.total >= quantity else {
            throw RegistryError(.insufficientHolding, "\(accountID) holds \(holding.total) \(unit.code), needs \(quantity)")
        }
        guard holding.available >= quantity else {
            throw RegistryError(
                .unitsFrozen, "\(accountID) has \(holding.available) free \(unit.code) (the rest frozen), needs \(quantity)")
        }
        let serials = unit.serialized ? holding.pickSerials(quantity, tag: nil)! : []
        return Lot(quantity: quantity, serials: serials)
    }

    private func quantity(_ quantity: Int64) throws(RegistryError) {
        guard quantity > 0 else { throw RegistryError(.invalidQuantity, "quantity must be a positive whole number of tonnes") }
        guard quantity <= policy.maxQuantityPerCommand else {
            throw RegistryError(.limitExceeded, "maxQuantityPerCommand is \(policy.maxQuantityPerCommand) t")
        }
    }

    private func amount(_ amount: Int64) throws(RegistryError) {
        guard amount > 0 else { throw RegistryError(.invalidAmount, "amount must be a positive number of fen") }
        guard amount <= policy.maxAmountFenPerCommand else {
            throw RegistryError(.limitExceeded, "maxAmountFenPerCommand is \(policy.maxAmountFenPerCommand) fen")
        }
    }

    private func text(_ value: String, _ field: String) throws(RegistryError) {
        guard !value.allSatisfy(\.isWhitespace) else { throw RegistryError(.invalidArgument, "\(field) is empty") }
        guard value.unicodeScalars.count <= policy.maxTextLength else {
            throw RegistryError(.limitExceeded, "\(field) is longer than maxTextLength (\(policy.maxTextLength))")
        }
    }

    /// Codes and labels: uppercase ASCII letters, digits and '-'.
    private func symbol(_ value: String, _ field: String, maxLength: Int) throws(RegistryError) {
        let ok = !value.isEmpty && value.utf8.count <= maxLength
            && value.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard ok else {
            throw RegistryError(.invalidArgument, "\(field) '\(value)' must be 1-\(maxLength) of A-Z, 0-9 and '-'")
        }
    }

    private func provinceCode(_ value: String) throws(RegistryError) {
        guard (2...3).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw RegistryError(.invalidArgument, "province '\(value)' must be a 2-3 letter code such as SC or GD")
        }
    }

    /// The representatives of `account` (nil: a new account). A representative id is unique
    /// across the registry, not only within its account: the four-eyes rules identify an
    /// approver by its id, so an id shared by two accounts would let one account's approver
    /// act on the other's transfers.
    private func checkRepresentatives(_ representatives: [Representative], of account: AccountID?) throws(RegistryError) {
        guard representatives.count <= policy.maxRepresentativesPerAccount else {
            throw RegistryError(
                .limitExceeded, "maxRepresentativesPerAccount is \(policy.maxRepresentativesPerAccount)")
        }
        var seen: Set<RepresentativeID> = []
        for representative in representatives {
            try symbol(representative.id.rawValue, "representative id", maxLength: 32)
            try text(representative.name, "representative name")
            guard seen.insert(representative.id).inserted else {
                throw RegistryError(.duplicateRepresentative, "\(representative.id) is listed twice")
            }
        }
        guard !seen.isEmpty else { return }
        for other in state.accounts.values where other.id != account {
            if let taken = other.representatives.first(where: { seen.contains($0.id) }) {
                throw RegistryError(.duplicateRepresentative, "\(taken.id) represents account \(other.id) already")
            }
        }
    }
}
