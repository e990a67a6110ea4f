import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The registry's and the exchange's operations beyond order entry: an account's statement
/// and transfers, four-eyes transfers, surrender, block agreement and one-way auctions. Each
/// goes through `RegistryService` like the CLI and the web.
extension APIHandler {
    /// Most journal entries an account statement reads (newest first); `total` counts at most these.
    static let maxStatementEntries = 10_000

    // MARK: registry

    func listAccountJournal(_ input: Operations.ListAccountJournal.Input) async throws -> Operations.ListAccountJournal.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = AccountID(input.path.accountId)
        if case .failure(let refusal) = try await reader(.viewOwnAccount, account: id) { return refusal.guarded() }
        guard await service.state.accounts[id] != nil else { return .notFound(.init(body: .json(Self.unknownAccount(id)))) }
        let entries = try await store.history(account: id, limit: Self.maxStatementEntries)
        let page = window.slice(entries)
        return .ok(.init(body: .json(Schemas.JournalEntryPage(
            items: page.items.map { .init(seq: $0.seq, recordedAt: utc($0.recordedAt), kind: $0.kind, hash: $0.hash) },
            total: page.total, nextOffset: page.next))))
    }

    func listAccountTransfers(_ input: Operations.ListAccountTransfers.Input) async throws -> Operations.ListAccountTransfers.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = AccountID(input.path.accountId)
        if case .failure(let refusal) = try await reader(.viewOwnAccount, account: id) { return refusal.guarded() }
        let state = await service.state
        guard state.accounts[id] != nil else { return .notFound(.init(body: .json(Self.unknownAccount(id)))) }
        let transfers = state.transfers.values.filter { $0.from == id || $0.to == id }.sorted { $0.id.rawValue > $1.id.rawValue }
        let page = window.slice(transfers)
        return .ok(.init(body: .json(Schemas.TransferPage(
            items: page.items.map {
                Schemas.Transfer(
                    id: $0.id.rawValue, from: $0.from.rawValue, to: $0.to.rawValue, unit: $0.unit.rawValue, quantityTonnes: $0.quantity,
                    initiator: $0.initiator.rawValue, status: Self.transferStatus($0.status), decidedBy: $0.decidedBy?.rawValue,
                    initiatedAt: utc($0.initiatedAt))
            },
            total: page.total, nextOffset: page.next))))
    }

    func initiateTransfer(_ input: Operations.InitiateTransfer.Input) async throws -> Operations.InitiateTransfer.Output {
        let body: Schemas.TransferRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.transferInitiate, key: input.headers.idempotencyKey) { caller in
            guard let initiator = await representative(of: caller, .initiator) else {
                return .failure(Self.forbidden(caller.principal, .transferInitiate, "account \(caller.account.rawValue) has no initiator representative"))
            }
            return .success(.registry(.initiateTransfer(
                from: caller.account, to: AccountID(body.to), unit: UnitTypeCode(body.unit), quantity: body.quantityTonnes, initiator: initiator)))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func approveTransfer(_ input: Operations.ApproveTransfer.Input) async throws -> Operations.ApproveTransfer.Output {
        try await command(.approveTransfer, key: input.headers.idempotencyKey) { caller in
            switch try await decider(caller, transfer: TransferID(input.path.transferId)) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let approver): return .success(.registry(.approveTransfer(transfer: TransferID(input.path.transferId), approver: approver)))
            }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func rejectTransfer(_ input: Operations.RejectTransfer.Input) async throws -> Operations.RejectTransfer.Output {
        try await command(.approveTransfer, key: input.headers.idempotencyKey) { caller in
            switch try await decider(caller, transfer: TransferID(input.path.transferId)) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let approver): return .success(.registry(.rejectTransfer(transfer: TransferID(input.path.transferId), by: approver)))
            }
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func surrender(_ input: Operations.Surrender.Input) async throws -> Operations.Surrender.Output {
        let body: Schemas.SurrenderRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.surrender, key: input.headers.idempotencyKey) { caller in
            .success(.registry(.surrender(
                account: caller.account, unit: UnitTypeCode(body.unit), quantity: body.quantityTonnes, complianceYear: Int(body.complianceYear))))
        } accepted: { .created(.init(body: .json($0))) }
    }

    /// The representative of the caller's account in `role` (the user acts as its account's
    /// representative of that role; the registry checks four-eyes between representatives).
    func representative(of caller: Caller, _ role: RepresentativeRole) async -> RepresentativeID? {
        await service.state.accounts[caller.account]?.representatives.first { $0.role == role }?.id
    }

    /// The approver deciding a transfer: the caller's account's approver, and only for
    /// transfers out of that account (403 otherwise). An unknown transfer is the registry's to refuse.
    func decider(_ caller: Caller, transfer id: TransferID) async throws -> Result<RepresentativeID, Refusal> {
        if let transfer = await service.state.transfers[id], transfer.from != caller.account {
            return .failure(Self.forbidden(caller.principal, .approveTransfer, "transfer \(id.rawValue) is not out of \(caller.account.rawValue)"))
        }
        guard let approver = await representative(of: caller, .approver) else {
            return .failure(Self.forbidden(caller.principal, .approveTransfer, "account \(caller.account.rawValue) has no approver representative"))
        }
        return .success(approver)
    }

    // MARK: exchange: block agreement and one-way auctions

    func listBlockQuotes(_ input: Operations.ListBlockQuotes.Input) async throws -> Operations.ListBlockQuotes.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let principal: Principal
        switch try await self.principal(.viewOwnAccount) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let own = principal.account else { return Self.forbidden(principal, .viewOwnAccount, "the user acts for no account").guarded() }
        let quotes = await service.exchange.quotes.values
            .filter { $0.status == .open && ($0.account == own || $0.counterparties.isEmpty || $0.counterparties.contains(own)) }
            .sorted { $0.id < $1.id }
        let page = window.slice(quotes)
        return .ok(.init(body: .json(Schemas.BlockQuotePage(
            items: page.items.map {
                Schemas.BlockQuote(
                    id: $0.id, account: $0.account.rawValue, instrument: $0.instrument, side: Self.side($0.side), priceFen: $0.price,
                    quantityTonnes: $0.quantity, counterparties: $0.counterparties.map(\.rawValue), parent: $0.parent,
                    status: Self.quoteStatus($0.status), quotedAt: utc($0.quotedAt))
            },
            total: page.total, nextOffset: page.next))))
    }

    func quoteBlock(_ input: Operations.QuoteBlock.Input) async throws -> Operations.QuoteBlock.Output {
        let body: Schemas.BlockQuoteRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.blockQuote, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.quoteBlock(
                account: caller.account, instrument: body.instrument, side: Self.side(body.side), price: body.priceFen,
                quantity: body.quantityTonnes, counterparties: (body.counterparties ?? []).map { AccountID($0) })))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func counterBlock(_ input: Operations.CounterBlock.Input) async throws -> Operations.CounterBlock.Output {
        let body: Schemas.CounterRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.blockQuote, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.counterBlock(account: caller.account, quote: input.path.quoteId, price: body.priceFen, quantity: body.quantityTonnes)))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func acceptBlock(_ input: Operations.AcceptBlock.Input) async throws -> Operations.AcceptBlock.Output {
        try await command(.blockQuote, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.acceptBlock(account: caller.account, quote: input.path.quoteId)))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func listAuctions(_ input: Operations.ListAuctions.Input) async throws -> Operations.ListAuctions.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let auctions = await service.exchange.auctions.values.sorted { $0.id < $1.id }
        let page = window.slice(auctions)
        return .ok(.init(body: .json(Schemas.AuctionPage(
            items: page.items.map {
                Schemas.Auction(
                    id: $0.id, applicant: $0.applicant.rawValue, instrument: $0.instrument, side: Self.side($0.side), quantityTonnes: $0.quantity,
                    floorPriceFen: $0.floorPrice, ceilingPriceFen: $0.ceilingPrice, minBidTonnes: $0.minBidQuantity, opensAt: utc($0.opensAt),
                    closesAt: utc($0.closesAt), status: Self.auctionStatus($0.status))
            },
            total: page.total, nextOffset: page.next))))
    }

    func placeBid(_ input: Operations.PlaceBid.Input) async throws -> Operations.PlaceBid.Output {
        let body: Schemas.BidRequest
        switch input.body { case .json(let json): body = json }
        return try await command(.auctionBid, key: input.headers.idempotencyKey) { caller in
            .success(.exchange(.bid(account: caller.account, auction: input.path.auctionId, price: body.priceFen, quantity: body.quantityTonnes)))
        } accepted: { .created(.init(body: .json($0))) }
    }
}

extension APIHandler {
    static func unknownAccount(_ id: AccountID) -> Schemas._Error {
        error("UNKNOWN_ACCOUNT", "no account \(id.rawValue)", ["account": id.rawValue])
    }

    static func transferStatus(_ status: TransferStatus) -> Schemas.Transfer.StatusPayload {
        switch status {
        case .pending: .pending
        case .executed: .executed
        case .rejected: .rejected
        }
    }

    static func quoteStatus(_ status: QuoteStatus) -> Schemas.BlockQuote.StatusPayload {
        switch status {
        case .open: .open
        case .accepted: .accepted
        case .cancelled: .cancelled
        case .lapsed: .lapsed
        case .superseded: .superseded
        }
    }

    static func auctionStatus(_ status: AuctionStatus) -> Schemas.Auction.StatusPayload {
        switch status {
        case .announced: .announced
        case .cleared: .cleared
        case .cancelled: .cancelled
        }
    }

    static func side(_ side: Schemas.Side) -> Side { side == .buy ? .buy : .sell }
}
