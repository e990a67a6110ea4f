import OpenETSApplication
import OpenETSDomain

/// Writes the changed keys of a transaction into the projection tables.
struct StateWriter {
    let sql: any SQLExecutor
    let codec: LedgerCodec
    let before: RegistryState
    let state: RegistryState
    let changes: ChangeSet

    func write() async throws {
        try await upsert(
            "accounts", ["id", "type", "status", "owner_id", "owner_name", "province", "opened_at", "representatives"],
            key: ["id"],
            changes.accounts.sorted().map { id in
                let a = state.accounts[id]!
                return [.text(a.id.rawValue), .text(a.type.rawValue), .text(a.status.rawValue), .text(a.ownerID),
                        .text(a.ownerName), SQLValue(a.province), .int(a.openedAt.millisecondsSinceEpoch),
                        .text(codec.encode(a.representatives))]
            })
        try await upsert(
            "unit_types",
            ["code", "kind", "label", "vintage_from", "vintage_to", "project_id", "issuer", "serialized", "issued_quantity"],
            key: ["code"],
            changes.unitTypes.sorted().map { code in
                let u = state.unitTypes[code]!
                return [.text(u.code.rawValue), .text(u.kind.rawValue), .text(u.label), SQLValue(u.vintageFrom),
                        SQLValue(u.vintageTo), SQLValue(u.projectID), .text(u.issuer), .int(u.serialized ? 1 : 0),
                        .int(u.issuedQuantity)]
            })
        try await writeHoldings()
        // Zero balances are not kept: a balance that fell to zero is deleted, the others upserted.
        let cashKeys = changes.cash.sorted()
        // Only rows that exist are deleted: a balance that appeared and vanished in the same
        // batch has none.
        try await delete(
            "cash_balances", ["account_id"],
            cashKeys.filter { state.cashFen[$0] == nil && before.cashFen[$0] != nil }.map { [.text($0.rawValue)] })
        try await upsert(
            "cash_balances", ["account_id", "balance_fen"], key: ["account_id"],
            cashKeys.compactMap { id in state.cashFen[id].map { [.text(id.rawValue), .int($0)] } })
        try await upsert(
            "freezes",
            ["id", "account_id", "unit_type", "quantity", "reason_kind", "pledgee", "reference", "status", "created_at"],
            key: ["id"],
            changes.freezes.sorted().map { id in
                let f = state.freezes[id]!
                return [.text(f.id.rawValue), .text(f.account.rawValue), .text(f.unit.rawValue), .int(f.quantity),
                        .text(f.reason.kind), SQLValue(f.reason.pledgee?.rawValue), .text(f.reason.reference),
                        .text(f.status.rawValue), .int(f.createdAt.millisecondsSinceEpoch)]
            })
        try await upsert(
            "transfers",
            ["id", "from_account", "to_account", "unit_type", "quantity", "initiator", "status", "decided_by", "initiated_at"],
            key: ["id"],
            changes.transfers.sorted().map { id in
                let t = state.transfers[id]!
                return [.text(t.id.rawValue), .text(t.from.rawValue), .text(t.to.rawValue), .text(t.unit.rawValue),
                        .int(t.quantity), .text(t.initiator.rawValue), .text(t.status.rawValue),
                        SQLValue(t.decidedBy?.rawValue), .int(t.initiatedAt.millisecondsSinceEpoch)]
            })
        try await upsert(
            "certificates",
            ["number", "account_id", "unit_type", "quantity", "serials", "beneficiary", "purpose", "issued_at"],
            key: ["number"],
            changes.certificates.sorted().map { number in
                let c = state.certificates[number]!
                return [.text(c.number.rawValue), .text(c.account.rawValue), .text(c.unit.rawValue), .int(c.lot.quantity),
                        .text(codec.encode(c.lot.serials)), .text(c.beneficiary), .text(c.purpose),
                        .int(c.issuedAt.millisecondsSinceEpoch)]
            })
        try await upsert(
            "surrenders", ["account_id", "compliance_year", "unit_type", "quantity"],
            key: ["account_id", "compliance_year", "unit_type"],
            changes.surrendered.sorted().map { key in
                [.text(key.account.rawValue), SQLValue(key.complianceYear), .text(key.unit.rawValue),
                 .int(state.surrendered[key]!)]
            })
        try await upsert(
            "settlements", ["deal_id", "seller", "buyer", "unit_type", "quantity", "amount_fen", "settled_at"],
            key: ["deal_id"],
            changes.settlements.sorted().map { deal in
                let s = state.settlements[deal]!
                return [.text(s.deal.rawValue), .text(s.seller.rawValue), .text(s.buyer.rawValue), .text(s.unit.rawValue),
                        .int(s.quantity), .int(s.amountFen), .int(s.settledAt.millisecondsSinceEpoch)]
            })
        // Ended locks are deleted, new and changed ones upserted. A lock taken and released in
        // the same batch (an order that filled at once) never had a row.
        let lockKeys = changes.locks.sorted()
        try await delete(
            "trading_locks", ["id"], lockKeys.filter { state.locks[$0] == nil && before.locks[$0] != nil }.map { [.text($0.rawValue)] })
        try await upsert(
            "trading_locks", ["id", "account_id", "asset_kind", "unit_type", "quantity", "reference", "created_at"], key: ["id"],
            lockKeys.compactMap { id in
                state.locks[id].map { l in
                    [.text(l.id.rawValue), .text(l.account.rawValue), .text(l.asset.unit == nil ? "funds" : "units"),
                     .text(l.asset.unit?.rawValue ?? ""), .int(l.quantity), .text(l.reference),
                     .int(l.createdAt.millisecondsSinceEpoch)]
                }
            })
        if changes.totals {
            try await upsert(
                "registry_totals", ["name", "value"], key: ["name"],
                [[.text("funds_deposited_fen"), .int(state.fundsDepositedFen)],
                 [.text("funds_withdrawn_fen"), .int(state.fundsWithdrawnFen)]])
        }
    }

    /// A changed holding is written as a difference: blocks that vanished are deleted, blocks
    /// that appeared or changed are upserted. All deletes go first, so a serial block moving
    /// between accounts never meets itself in the unique serial index.
    private func writeHoldings() async throws {
        struct BlockKey: Hashable { var first: Int64; var freeze: String }
        var deletes: [[SQLValue]] = []
        var upserts: [[SQLValue]] = []
        for key in changes.holdings.sorted() {
            var old: [BlockKey: Int64] = [:]
            for block in before.holdings[key]?.blocks ?? [] {
                old[BlockKey(first: block.first, freeze: block.freeze?.rawValue ?? "")] = block.quantity
            }
            let account = SQLValue.text(key.account.rawValue), unit = SQLValue.text(key.unit.rawValue)
            for block in state.holdings[key]?.blocks ?? [] {
                let blockKey = BlockKey(first: block.first, freeze: block.freeze?.rawValue ?? "")
                if old.removeValue(forKey: blockKey) != block.quantity {
                    upserts.append([account, unit, .int(block.first), .text(blockKey.freeze), .int(block.quantity)])
                }
            }
            for gone in old.keys.sorted(by: { ($0.first, $0.freeze) < ($1.first, $1.freeze) }) {
                deletes.append([account, unit, .int(gone.first), .text(gone.freeze)])
            }
        }
        try await delete("holding_blocks", ["account_id", "unit_type", "serial_first", "freeze_id"], deletes)
        try await upsert(
            "holding_blocks", ["account_id", "unit_type", "serial_first", "freeze_id", "quantity"],
            key: ["account_id", "unit_type", "serial_first", "freeze_id"], upserts)
    }

    private func upsert(_ table: String, _ columns: [String], key: [String], _ rows: [[SQLValue]]) async throws {
        guard !rows.isEmpty else { return }
        let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try await sql.executeRows(
            prefix: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ", width: columns.count,
            suffix: " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(updates)", rows: rows)
    }

    private func delete(_ table: String, _ columns: [String], _ keys: [[SQLValue]]) async throws {
        guard !keys.isEmpty else { return }
        try await sql.executeRows(
            prefix: "DELETE FROM \(table) WHERE (\(columns.joined(separator: ", "))) IN (VALUES ", width: columns.count,
            suffix: ")", rows: keys)
    }
}

/// Reads the projection tables into a `RegistryState`.
struct StateReader {
    let sql: any SQLExecutor
    let codec: LedgerCodec

    func read() async throws -> RegistryState {
        var state = RegistryState()
        for row in try await sql.query(
            "SELECT id, type, status, owner_id, owner_name, province, opened_at, representatives FROM accounts", [])
        {
            let account = Account(
                id: AccountID(try row.text(0)), type: try parse(AccountType.self, row.text(1)),
                ownerID: try row.text(3), ownerName: try row.text(4), province: try row.optionalText(5),
                status: try parse(AccountStatus.self, row.text(2)),
                representatives: try codec.decode([Representative].self, from: row.text(7)),
                openedAt: Timestamp(millisecondsSinceEpoch: try row.int(6)))
            state.accounts[account.id] = account
        }
        for row in try await sql.query(
            "SELECT code, kind, label, vintage_from, vintage_to, project_id, issuer, serialized, issued_quantity FROM unit_types",
            [])
        {
            let unit = UnitType(
                code: UnitTypeCode(try row.text(0)), kind: try parse(UnitKind.self, row.text(1)), label: try row.text(2),
                vintageFrom: Int(try row.int(3)), vintageTo: Int(try row.int(4)), projectID: try row.optionalText(5),
                issuer: try row.text(6), serialized: try row.int(7) == 1, issuedQuantity: try row.int(8))
            state.unitTypes[unit.code] = unit
        }
        var blocks: [HoldingKey: [HeldBlock]] = [:]
        for row in try await sql.query(
            "SELECT account_id, unit_type, serial_first, freeze_id, quantity FROM holding_blocks ORDER BY account_id, unit_type, serial_first, freeze_id",
            [])
        {
            let key = HoldingKey(account: AccountID(try row.text(0)), unit: UnitTypeCode(try row.text(1)))
            let tag = try row.text(3)
            blocks[key, default: []].append(
                HeldBlock(first: try row.int(2), quantity: try row.int(4), freeze: tag.isEmpty ? nil : FreezeID(tag)))
        }
        state.holdings = blocks.mapValues(Holding.init(canonicalBlocks:))
        for row in try await sql.query("SELECT account_id, balance_fen FROM cash_balances", []) {
            state.cashFen[AccountID(try row.text(0))] = try row.int(1)
        }
        for row in try await sql.query(
            "SELECT id, account_id, unit_type, quantity, reason_kind, pledgee, reference, status, created_at FROM freezes", [])
        {
            let reference = try row.text(6)
            let reason: FreezeReason =
                switch try row.text(4) {
                case "pledge": .pledge(pledgee: AccountID(try row.text(5)), contract: reference)
                case "judicial": .judicial(order: reference)
                case "administrative": .administrative(decision: reference)
                case let other: throw SQLStoreError.corrupt("freeze reason \(other)")
                }
            let freeze = Freeze(
                id: FreezeID(try row.text(0)), account: AccountID(try row.text(1)), unit: UnitTypeCode(try row.text(2)),
                quantity: try row.int(3), reason: reason, status: try parse(FreezeStatus.self, row.text(7)),
                createdAt: Timestamp(millisecondsSinceEpoch: try row.int(8)))
            state.freezes[freeze.id] = freeze
        }
        for row in try await sql.query(
            "SELECT id, from_account, to_account, unit_type, quantity, initiator, status, decided_by, initiated_at FROM transfers",
            [])
        {
            let transfer = PendingTransfer(
                id: TransferID(try row.text(0)), from: AccountID(try row.text(1)), to: AccountID(try row.text(2)),
                unit: UnitTypeCode(try row.text(3)), quantity: try row.int(4), initiator: RepresentativeID(try row.text(5)),
                status: try parse(TransferStatus.self, row.text(6)),
                decidedBy: try row.optionalText(7).map { RepresentativeID($0) },
                initiatedAt: Timestamp(millisecondsSinceEpoch: try row.int(8)))
            state.transfers[transfer.id] = transfer
        }
        for row in try await sql.query(
            "SELECT number, account_id, unit_type, quantity, serials, beneficiary, purpose, issued_at FROM certificates", [])
        {
            let certificate = CancellationCertificate(
                number: CertificateNumber(try row.text(0)), account: AccountID(try row.text(1)),
                unit: UnitTypeCode(try row.text(2)),
                lot: Lot(quantity: try row.int(3), serials: try codec.decode([SerialRange].self, from: row.text(4))),
                beneficiary: try row.text(5), purpose: try row.text(6),
                issuedAt: Timestamp(millisecondsSinceEpoch: try row.int(7)))
            state.certificates[certificate.number] = certificate
        }
        for row in try await sql.query("SELECT account_id, compliance_year, unit_type, quantity FROM surrenders", []) {
            let key = SurrenderKey(
                account: AccountID(try row.text(0)), complianceYear: Int(try row.int(1)), unit: UnitTypeCode(try row.text(2)))
            state.surrendered[key] = try row.int(3)
        }
        // Collected in a Dictionary first: inserting one by one into the layered map would merge
        // its layers all the way up.
        var settlements: [DealID: Settlement] = [:]
        for row in try await sql.query(
            "SELECT deal_id, seller, buyer, unit_type, quantity, amount_fen, settled_at FROM settlements", [])
        {
            let settlement = Settlement(
                deal: DealID(try row.text(0)), seller: AccountID(try row.text(1)), buyer: AccountID(try row.text(2)),
                unit: UnitTypeCode(try row.text(3)), quantity: try row.int(4), amountFen: try row.int(5),
                settledAt: Timestamp(millisecondsSinceEpoch: try row.int(6)))
            settlements[settlement.deal] = settlement
        }
        state.settlements = LayeredMap(settlements)
        for row in try await sql.query(
            "SELECT id, account_id, asset_kind, unit_type, quantity, reference, created_at FROM trading_locks", [])
        {
            let asset: LockedAsset =
                switch try row.text(2) {
                case "units": .units(UnitTypeCode(try row.text(3)))
                case "funds": .funds
                case let other: throw SQLStoreError.corrupt("lock asset \(other)")
                }
            let lock = TradingLock(
                id: FreezeID(try row.text(0)), account: AccountID(try row.text(1)), asset: asset, quantity: try row.int(4),
                reference: try row.text(5), createdAt: Timestamp(millisecondsSinceEpoch: try row.int(6)))
            state.locks[lock.id] = lock
            if asset == .funds { state.lockedFen[lock.account, default: 0] += lock.quantity }
        }
        for row in try await sql.query("SELECT name, value FROM registry_totals", []) {
            switch try row.text(0) {
            case "funds_deposited_fen": state.fundsDepositedFen = try row.int(1)
            case "funds_withdrawn_fen": state.fundsWithdrawnFen = try row.int(1)
            default: break
            }
        }
        return state
    }

    private func parse<T: RawRepresentable>(_ type: T.Type, _ raw: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else { throw SQLStoreError.corrupt("\(T.self) '\(raw)'") }
        return value
    }
}
