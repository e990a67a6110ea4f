import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// Pledges over the API (docs/registry.md, "Pledges"): an account reads the pledges it gave
/// and holds (`view_own_account`, own account: the pledgee bank reads the pledges in its
/// favour); the registry operator (`registry_operate`) registers a pledge (a freeze with
/// reason pledge naming the pledgee), releases it and enforces it, through
/// `RegistryService.execute` with an `AuditNote` like the other registry commands.
extension APIHandler {
    func listPledges(_ input: Operations.ListPledges.Input) async throws -> Operations.ListPledges.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = AccountID(input.path.accountId)
        if case .failure(let refusal) = try await reader(.viewOwnAccount, account: id) { return refusal.guarded() }
        let state = await service.state
        guard state.accounts[id] != nil else { return .notFound(.init(body: .json(Self.unknownAccount(id)))) }
        let pledges: [Pledge]
        switch input.query.party {
        case .holder: pledges = state.pledges(holder: id)
        case .pledgee: pledges = state.pledges(pledgee: id)
        case nil: pledges = (state.pledges(holder: id) + state.pledges(pledgee: id)).sorted { $0.freeze < $1.freeze }
        }
        let page = window.slice(pledges)
        return .ok(.init(body: .json(Schemas.PledgePage(
            items: page.items.map {
                Schemas.Pledge(
                    freezeId: $0.freeze.rawValue, holder: $0.holder.rawValue, pledgee: $0.pledgee.rawValue, unit: $0.unit.rawValue,
                    quantityTonnes: $0.quantity, contract: $0.contract, status: Self.pledgeStatus($0.status), createdAt: utc($0.createdAt),
                    serials: $0.serials.map { "\($0.first)-\($0.last)" })
            },
            total: page.total, nextOffset: page.next))))
    }

    func registerPledge(_ input: Operations.RegisterPledge.Input) async throws -> Operations.RegisterPledge.Output {
        let body: Schemas.PledgeRequest
        switch input.body { case .json(let json): body = json }
        return try await operatorCommand(.registryOperate, key: input.headers.idempotencyKey, account: AccountID(body.account)) { _ in
            .success(.registry(.freeze(
                account: AccountID(body.account), unit: UnitTypeCode(body.unit), quantity: body.quantityTonnes,
                reason: .pledge(pledgee: AccountID(body.pledgee), contract: body.contract))))
        } accepted: { .created(.init(body: .json($0))) }
    }

    func releasePledge(_ input: Operations.ReleasePledge.Input) async throws -> Operations.ReleasePledge.Output {
        let id = FreezeID(input.path.freezeId)
        return try await operatorCommand(.registryOperate, key: input.headers.idempotencyKey, account: await pledgeHolder(id)) { _ in
            // Only pledges are released here: a judicial or administrative freeze is not this operation's.
            if let freeze = await service.state.freezes[id], freeze.reason.pledgee == nil { return .rejected(Self.notAPledge(freeze)) }
            return .success(.registry(.unfreeze(freeze: id)))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    func enforcePledge(_ input: Operations.EnforcePledge.Input) async throws -> Operations.EnforcePledge.Output {
        let id = FreezeID(input.path.freezeId)
        return try await operatorCommand(.registryOperate, key: input.headers.idempotencyKey, account: await pledgeHolder(id)) { _ in
            .success(.registry(.enforcePledge(freeze: id)))
        } accepted: { .ok(.init(body: .json($0))) }
    }

    /// The account a freeze holds units in (the registry refuses an unknown freeze itself).
    func pledgeHolder(_ id: FreezeID) async -> AccountID {
        await service.state.freezes[id]?.account ?? AccountID("-")
    }

    /// What an operator's command builder answers: the command, a refusal before it (403), or a
    /// rejection the domain would give (422, nothing run).
    enum OperatorBuild {
        case success(Command)
        case refused(Refusal)
        case rejected(Schemas._Error)
    }

    /// A command of an operator role that acts for no account of its own (the registry
    /// operator): a live token whose role may do `action`, a well-formed Idempotency-Key, then
    /// the command through the registry's writer with its audit record (`execute`). `account`
    /// is the account the command is about (recorded in the caller for the audit only).
    func operatorCommand<O: CommandOutput>(
        _ action: Action, key: String, account: AccountID, _ build: (Caller) async throws -> OperatorBuild,
        accepted: (Schemas.CommandResult) -> O
    ) async throws -> O {
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): principal = found
        }
        guard let registryKey = Self.registryKey(principal, key) else {
            return Refusal.badRequest(Self.error(
                "INVALID_INPUT", "Idempotency-Key must be 1-\(Self.maxIdempotencyKeyBytes) printable ASCII characters")).output()
        }
        let caller = Caller(principal: principal, account: account, idempotencyKey: registryKey)
        switch try await build(caller) {
        case .refused(let refusal):
            try await access.audit(SystemClock().now(), principal.user, "api_" + action.rawValue, "refused", APIRequestInfo.address)
            return refusal.output()
        case .rejected(let error):
            try await access.audit(SystemClock().now(), principal.user, "api_" + action.rawValue, "rejected \(error.code)", APIRequestInfo.address)
            return .unprocessableContent(.init(body: .json(error)))
        case .success(let command):
            switch try await execute(command, caller) {
            case .accepted(let result): return accepted(result)
            case .rejected(let error): return .unprocessableContent(.init(body: .json(error)))
            }
        }
    }

    /// The registry's idempotency key of a client key, as `authorise` makes it
    /// (`api-<first 16 hex of SHA-256(user)>-<key>`); nil for a malformed key.
    static func registryKey(_ principal: Principal, _ key: String) -> String? {
        guard !key.isEmpty, key.utf8.count <= maxIdempotencyKeyBytes, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return "api-\(sha256Hex(principal.user).prefix(16))-\(key)"
    }

    static func notAPledge(_ freeze: Freeze) -> Schemas._Error {
        error(
            "NOT_A_PLEDGE", "freeze \(freeze.id.rawValue) is \(freeze.reason.kind), not a pledge",
            ["freeze": freeze.id.rawValue, "command": "unfreeze"])
    }

    static func pledgeStatus(_ status: FreezeStatus) -> Schemas.Pledge.StatusPayload {
        switch status {
        case .active: .active
        case .released: .released
        case .enforced: .enforced
        }
    }
}

extension Operations.ListPledges.Output: TokenGuardedOutput {}
extension Operations.RegisterPledge.Output: CommandOutput {}
extension Operations.ReleasePledge.Output: CommandOutput {}
extension Operations.EnforcePledge.Output: CommandOutput {}
