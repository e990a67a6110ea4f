import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSWeb

struct RegistryCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "The registry: accounts, units, funds, the journal.",
        subcommands: [
            Accounts.self, OpenAccount.self, AddRepresentative.self, RemoveRepresentative.self, SetStatus.self,
            DefineUnit.self, Issue.self, Allocate.self, Recall.self, Transfer.self, Approve.self, Reject.self,
            Freeze.self, Unfreeze.self, EnforcePledge.self, Surrender.self, Cancel.self, VoluntaryCancel.self,
            Deduct.self, Deposit.self, Withdraw.self, Settle.self, Submit.self,
            Balances.self, Pledges.self, History.self, Verify.self, Head.self,
        ])
}

/// Options every state-changing registry command takes.
struct MutationOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: "Idempotency key: a retry with the same key returns the first result (default: a new UUID).")
    var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false
}

/// Runs one command and prints its outcome. Exit status 0 accepted, 3 rejected.
func submit(_ command: RegistryCommand, _ options: MutationOptions) async throws {
    let key = options.idempotencyKey ?? UUID().uuidString.lowercased()
    let outcome = try await withRegistry(options.store.location) { _, service in
        try await service.execute(CommandRequest(idempotencyKey: key, command: command))
    }
    report(outcome, key: key, json: options.json)
    if outcome.error != nil { throw ExitCode(3) }
}

struct OutcomeJSON: Encodable {
    var status: String
    var idempotencyKey: String
    var seq: Int64?
    var replayed: Bool?
    var events: [RegistryEvent]?
    var code: String?
    var message: String?
}

func report(_ outcome: CommandOutcome, key: String, json: Bool) {
    switch outcome {
    case .accepted(let receipt):
        if json {
            print(jsonText(OutcomeJSON(status: "accepted", idempotencyKey: key, seq: receipt.seq, replayed: receipt.replayed, events: receipt.events)))
        } else {
            print("accepted: journal entry #\(receipt.seq)\(receipt.replayed ? " (replayed: this key was used before)" : "")")
            for event in receipt.events { print("  " + describe(event)) }
        }
    case .rejected(let error):
        if json {
            print(jsonText(OutcomeJSON(status: "rejected", idempotencyKey: key, code: error.code.rawValue, message: error.message)))
        } else {
            FileHandle.standardError.write(Data("rejected: \(error.code.rawValue): \(error.message)\n".utf8))
        }
    }
}

func describe(_ event: RegistryEvent) -> String {
    switch event {
    case .accountOpened(let a): "account opened: \(a.id) (\(a.type.rawValue)) \(a.ownerName)"
    case .accountStatusChanged(let id, let status, let reason): "account \(id) is now \(status.rawValue): \(reason)"
    case .representativeAdded(let id, let r): "representative \(r.id) (\(r.role.rawValue)) added to \(id)"
    case .representativeRemoved(let id, let r): "representative \(r) removed from \(id)"
    case .unitTypeDefined(let u): "unit type defined: \(u.code) (\(u.kind.rawValue), vintage \(u.vintageLabel))"
    case .unitsIssued(let unit, let to, let lot): "issued \(lot.quantity) \(unit) into \(to)\(serials(lot))"
    case .unitsMoved(let kind, let from, let to, let unit, let lot): "\(kind.rawValue): \(lot.quantity) \(unit) \(from) → \(to)\(serials(lot))"
    case .transferInitiated(let t): "transfer \(t.id) initiated by \(t.initiator): \(t.quantity) \(t.unit) \(t.from) → \(t.to), awaiting approval"
    case .transferDecided(let id, let status, let by): "transfer \(id) \(status.rawValue) by \(by)"
    case .unitsFrozen(let f, _): "frozen \(f.quantity) \(f.unit) in \(f.account) as \(f.id) (\(f.reason.kind): \(f.reason.reference))"
    case .freezeEnded(let id, let status, let lot): "freeze \(id) \(status.rawValue): \(lot.quantity) units released"
    case .surrenderRecorded(let key, let quantity): "surrender recorded: \(key.account) \(quantity) \(key.unit) for \(key.complianceYear)"
    case .certificateIssued(let c): "certificate \(c.number): \(c.lot.quantity) \(c.unit) cancelled for \(c.beneficiary)"
    case .fundsDeposited(let id, let fen, _): "deposited \(formatFen(fen)) CNY into \(id)"
    case .fundsWithdrawn(let id, let fen, _): "withdrew \(formatFen(fen)) CNY from \(id)"
    case .fundsMoved(let kind, let from, let to, let fen, let deal): "\(kind.rawValue) \(formatFen(fen)) CNY \(from) → \(to) (deal \(deal))"
    case .dealSettled(let s): "deal \(s.deal) settled: \(s.quantity) \(s.unit) for \(formatFen(s.amountFen)) CNY"
    case .locked(let lock, let lot):
        lock.asset == .funds
            ? "locked \(formatFen(lot.quantity)) CNY of \(lock.account) as \(lock.id) (\(lock.reference))"
            : "locked \(lot.quantity) \(lock.asset.unit!) of \(lock.account) as \(lock.id) (\(lock.reference))\(serials(lot))"
    case .unlocked(let id, let lot): "lock \(id): \(lot.quantity) released or used\(serials(lot))"
    }
}

private func serials(_ lot: Lot) -> String {
    lot.serials.isEmpty ? "" : " serials " + lot.serials.map { "\($0.first)-\($0.last)" }.joined(separator: ",")
}

/// Fen as yuan, exactly (shared with the web pages).
func formatFen(_ fen: Int64) -> String { Format.yuan(fen) }

// MARK: accounts

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List accounts.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only accounts of this type.") var type: AccountType?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let state = try await withStore(store.location) { try await $0.loadState() }
        let accounts = state.accounts.values.filter { type == nil || $0.type == type }.sorted { $0.id < $1.id }
        if json { print(jsonText(accounts)); return }
        for a in accounts {
            let reps = a.representatives.map { "\($0.id)/\($0.role.rawValue)" }.joined(separator: " ")
            print("\(a.id.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)) \(a.type.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(a.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(a.province ?? "--")  \(a.ownerName)  \(reps)")
        }
    }
}

extension AccountType: ExpressibleByArgument {}
extension AccountStatus: ExpressibleByArgument {}
extension UnitKind: ExpressibleByArgument {}

/// `ID:NAME:ROLE`, e.g. `E1-INIT:Zhang San:initiator`.
func parseRepresentative(_ text: String) throws -> Representative {
    let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
    guard parts.count == 3, let role = RepresentativeRole(rawValue: parts[2]) else {
        throw ValidationError("representative must be ID:NAME:ROLE with ROLE initiator or approver, got '\(text)'")
    }
    return Representative(id: RepresentativeID(parts[0]), name: parts[1], role: role)
}

struct OpenAccount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open an account (the registry assigns its number).")
    @Option var type: AccountType
    @Option(help: "Unified social credit code or other owner identifier.") var ownerId: String
    @Option var ownerName: String
    @Option(help: "Province code, e.g. SC, GD (provincial and entity accounts).") var province: String?
    @Option(name: .customLong("rep"), help: "Representative ID:NAME:ROLE (repeatable).") var reps: [String] = []
    @OptionGroup var options: MutationOptions

    func run() async throws {
        try await submit(.openAccount(type: type, ownerID: ownerId, ownerName: ownerName, province: province, representatives: try reps.map(parseRepresentative)), options)
    }
}

struct AddRepresentative: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Authorise a representative (initiator or approver).")
    @Option var account: String
    @Option(name: .customLong("rep"), help: "ID:NAME:ROLE") var rep: String
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.addRepresentative(account: AccountID(account), representative: try parseRepresentative(rep)), options)
    }
}

struct RemoveRepresentative: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a representative's authority.")
    @Option var account: String
    @Option var representative: String
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.removeRepresentative(account: AccountID(account), representative: RepresentativeID(representative)), options)
    }
}

struct SetStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-status", abstract: "Block, reopen or close an account.")
    @Option var account: String
    @Option var status: AccountStatus
    @Option var reason: String
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.setAccountStatus(account: AccountID(account), status: status, reason: reason), options)
    }
}

// MARK: units

struct DefineUnit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Define a unit type (CEA vintage, CCER block, local credit).")
    @Option(help: "Code, e.g. CEA24 or CCER-P000123-2024.") var code: String
    @Option var kind: UnitKind
    @Option(help: "Product label in serials: CEA, CCER, CDCER, ...") var label: String
    @Option(help: "First vintage year.") var vintage: Int
    @Option(help: "Last vintage year (default: the first).") var vintageTo: Int?
    @Option var project: String?
    @Option var issuer: String = "CN"
    @Flag(help: "Units carry serial numbers (always for credits).") var serialized = false
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.defineUnitType(code: UnitTypeCode(code), kind: kind, label: label, vintageFrom: vintage, vintageTo: vintageTo ?? vintage, projectID: project, issuer: issuer, serialized: serialized || kind.isCredit), options)
    }
}

struct Issue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create units in the national account (credits: a project owner's).")
    @Option var unit: String
    @Option var quantity: Int64
    @Option var to: String = "CN-NATIONAL"
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.issue(unit: UnitTypeCode(unit), quantity: quantity, to: AccountID(to)), options) }
}

struct Movement: ParsableArguments {
    @Option var from: String
    @Option var to: String
    @Option var unit: String
    @Option(help: "Whole tonnes.") var quantity: Int64
}

struct Allocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Allocate allowances national → provincial → entity.")
    @OptionGroup var movement: Movement
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.allocate(from: AccountID(movement.from), to: AccountID(movement.to), unit: UnitTypeCode(movement.unit), quantity: movement.quantity), options)
    }
}

struct Recall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Recall allowances entity → provincial → national (true-up).")
    @OptionGroup var movement: Movement
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(.recall(from: AccountID(movement.from), to: AccountID(movement.to), unit: UnitTypeCode(movement.unit), quantity: movement.quantity), options)
    }
}

struct Transfer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transfer units. From entity and investor accounts give --initiator: the transfer waits for `approve`.")
    @OptionGroup var movement: Movement
    @Option(help: "Initiating representative (four-eyes accounts).") var initiator: String?
    @OptionGroup var options: MutationOptions
    func run() async throws {
        let from = AccountID(movement.from), to = AccountID(movement.to), unit = UnitTypeCode(movement.unit)
        if let initiator {
            try await submit(.initiateTransfer(from: from, to: to, unit: unit, quantity: movement.quantity, initiator: RepresentativeID(initiator)), options)
        } else {
            try await submit(.transfer(from: from, to: to, unit: unit, quantity: movement.quantity), options)
        }
    }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve (and execute) a pending four-eyes transfer.")
    @Option var transfer: String
    @Option var approver: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.approveTransfer(transfer: TransferID(transfer), approver: RepresentativeID(approver)), options) }
}

struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject or withdraw a pending transfer.")
    @Option var transfer: String
    @Option var by: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.rejectTransfer(transfer: TransferID(transfer), by: RepresentativeID(by)), options) }
}

struct Freeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze units: pledge (naming a pledgee), judicial or administrative.")
    @Option var account: String
    @Option var unit: String
    @Option var quantity: Int64
    @Option(help: "pledge, judicial or administrative") var reason: String
    @Option(help: "Contract, court order or decision reference.") var reference: String
    @Option(help: "Pledgee account (pledge only).") var pledgee: String?
    @OptionGroup var options: MutationOptions
    func run() async throws {
        let why: FreezeReason
        switch reason {
        case "pledge":
            guard let pledgee else { throw ValidationError("a pledge names its --pledgee") }
            why = .pledge(pledgee: AccountID(pledgee), contract: reference)
        case "judicial": why = .judicial(order: reference)
        case "administrative": why = .administrative(decision: reference)
        default: throw ValidationError("--reason must be pledge, judicial or administrative")
        }
        try await submit(.freeze(account: AccountID(account), unit: UnitTypeCode(unit), quantity: quantity, reason: why), options)
    }
}

struct Unfreeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Release a freeze.")
    @Option var freeze: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.unfreeze(freeze: FreezeID(freeze)), options) }
}

struct EnforcePledge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enforce-pledge", abstract: "Transfer a pledge's units to its pledgee.")
    @Option var freeze: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.enforcePledge(freeze: FreezeID(freeze)), options) }
}

struct Surrender: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Surrender units for a compliance year (entity → province → national compliance account).")
    @Option var account: String
    @Option var unit: String
    @Option var quantity: Int64
    @Option var year: Int
    @Flag(help: "Borrow: the unit is of the next vintage (year + 1), where the plan allows borrowing.") var borrowing = false
    @OptionGroup var options: MutationOptions
    func run() async throws {
        try await submit(
            .surrender(account: AccountID(account), unit: UnitTypeCode(unit), quantity: quantity, complianceYear: year, borrowing: borrowing ? true : nil),
            options)
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel units from the national or compliance account.")
    @Option var from: String = "CN-COMPLIANCE"
    @Option var unit: String
    @Option var quantity: Int64
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.cancel(from: AccountID(from), unit: UnitTypeCode(unit), quantity: quantity), options) }
}

struct VoluntaryCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel units voluntarily (carbon neutrality); issues a public certificate.")
    @Option var account: String
    @Option var unit: String
    @Option var quantity: Int64
    @Option var beneficiary: String
    @Option var purpose: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.voluntaryCancel(account: AccountID(account), unit: UnitTypeCode(unit), quantity: quantity, beneficiary: beneficiary, purpose: purpose), options) }
}

struct Deduct: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Deduct units from an entity as a penalty.")
    @Option var account: String
    @Option var unit: String
    @Option var quantity: Int64
    @Option var reason: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.deduct(account: AccountID(account), unit: UnitTypeCode(unit), quantity: quantity, reason: reason), options) }
}

struct Deposit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record funds arriving from the settlement bank.")
    @Option var account: String
    @Option(help: "Amount in fen (1 CNY = 100 fen).") var amountFen: Int64
    @Option var reference: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.depositFunds(account: AccountID(account), amountFen: amountFen, bankReference: reference), options) }
}

struct Withdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pay funds out to the settlement bank.")
    @Option var account: String
    @Option(help: "Amount in fen.") var amountFen: Int64
    @Option var reference: String
    @OptionGroup var options: MutationOptions
    func run() async throws { try await submit(.withdrawFunds(account: AccountID(account), amountFen: amountFen, bankReference: reference), options) }
}

struct Settle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Settle a deal delivery-versus-payment: units and funds move together or not at all.")
    @Option var deal: String
    @Option var seller: String
    @Option var buyer: String
    @Option var unit: String
    @Option var quantity: Int64
    @Option(help: "Deal amount in fen.") var amountFen: Int64
    @Option(name: .customLong("fee"), help: "PAYER:PAYEE:FEN (repeatable).") var fees: [String] = []
    @OptionGroup var options: MutationOptions
    func run() async throws {
        let legs = try fees.map { text -> FeeLeg in
            let parts = text.split(separator: ":").map(String.init)
            guard parts.count == 3, let fen = Int64(parts[2]) else { throw ValidationError("--fee must be PAYER:PAYEE:FEN") }
            return FeeLeg(payer: AccountID(parts[0]), payee: AccountID(parts[1]), amountFen: fen)
        }
        try await submit(.settle(deal: DealID(deal), seller: AccountID(seller), buyer: AccountID(buyer), unit: UnitTypeCode(unit), quantity: quantity, amountFen: amountFen, fees: legs), options)
    }
}

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a JSON array of {\"idempotencyKey\", \"command\"} requests as one batch.")
    @Option(help: "File with the requests ('-' for standard input).") var file: String
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        let requests = try JSONDecoder().decode([CommandRequest].self, from: data)
        let outcomes = try await withRegistry(store.location) { _, service in try await service.submit(requests) }
        for (request, outcome) in zip(requests, outcomes) { report(outcome, key: request.idempotencyKey, json: json) }
        if outcomes.contains(where: { $0.error != nil }) { throw ExitCode(3) }
    }
}

// MARK: reading

struct BalanceRow: Encodable {
    var account: String
    var unit: String
    var total: Int64
    var available: Int64
    var frozen: Int64
    var serialBlocks: [String]?
}

struct Balances: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Holdings (by unit type, with frozen units) and funds.")
    @OptionGroup var store: StoreOptions
    @Option(help: "One account only.") var account: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let state = try await withStore(store.location) { try await $0.loadState() }
        let keys = state.holdings.keys.filter { account == nil || $0.account.rawValue == account }.sorted()
        let rows = keys.map { key -> BalanceRow in
            let holding = state.holdings[key]!
            let unit = state.unitTypes[key.unit]!
            return BalanceRow(
                account: key.account.rawValue, unit: key.unit.rawValue, total: holding.total, available: holding.available,
                frozen: holding.total - holding.available,
                serialBlocks: unit.serialized ? holding.blocks.map { unit.serialText($0.serials) + ($0.freeze.map { " [\($0)]" } ?? "") } : nil)
        }
        let cash = state.cashFen.filter { account == nil || $0.key.rawValue == account }.sorted { $0.key < $1.key }
        if json {
            struct Output: Encodable { var holdings: [BalanceRow]; var fundsFen: [String: Int64] }
            print(jsonText(Output(holdings: rows, fundsFen: Dictionary(uniqueKeysWithValues: cash.map { ($0.key.rawValue, $0.value) }))))
            return
        }
        for row in rows {
            print("\(row.account.padding(toLength: 26, withPad: " ", startingAt: 0)) \(row.unit.padding(toLength: 20, withPad: " ", startingAt: 0)) total \(row.total) t, available \(row.available) t, frozen \(row.frozen) t")
            for block in row.serialBlocks ?? [] { print("    \(block)") }
        }
        for (id, fen) in cash { print("\(id.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)) funds \(formatFen(fen)) CNY") }
    }
}

struct PledgeRow: Encodable {
    var freeze: String
    var holder: String
    var pledgee: String
    var unit: String
    var quantity: Int64
    var contract: String
    var status: String
    var createdAt: Int64
    var serialBlocks: [String]
}

struct Pledges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pledges (active, released, enforced) of one holder or one pledgee, oldest first.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The account that pledged the units.") var holder: String?
    @Option(help: "The pledgee (bank) named in the pledges.") var pledgee: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (holder == nil) != (pledgee == nil) else { throw ValidationError("give exactly one of --holder and --pledgee") }
    }

    func run() async throws {
        let state = try await withStore(store.location) { try await $0.loadState() }
        let pledges = holder.map { state.pledges(holder: AccountID($0)) } ?? state.pledges(pledgee: AccountID(pledgee!))
        let rows = pledges.map { p in
            PledgeRow(
                freeze: p.freeze.rawValue, holder: p.holder.rawValue, pledgee: p.pledgee.rawValue, unit: p.unit.rawValue,
                quantity: p.quantity, contract: p.contract, status: p.status.rawValue, createdAt: p.createdAt.millisecondsSinceEpoch,
                serialBlocks: p.serials.map { state.unitTypes[p.unit]!.serialText($0) })
        }
        if json { print(jsonText(rows)); return }
        if rows.isEmpty { print("no pledges"); return }
        for row in rows {
            print("\(row.freeze) \(row.status.padding(toLength: 8, withPad: " ", startingAt: 0)) \(row.holder) → \(row.pledgee) \(row.unit) \(row.quantity) t contract \(row.contract)")
            for block in row.serialBlocks { print("    \(block)") }
        }
    }
}

struct EntryJSON: Encodable {
    var seq: Int64
    var recordedAt: Int64
    var kind: String
    var idempotencyKey: String
    var hash: String
    var events: [RegistryEvent]
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Journal entries touching an account (or the latest entries), newest first.")
    @OptionGroup var store: StoreOptions
    @Option var account: String?
    @Option(help: "At most this many entries (max 10000).") var limit: Int = 50
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1...10000") }
        let codec = LedgerCodec()
        let entries = try await withStore(store.location) { store -> [JournalEntry] in
            if let account { return try await store.history(account: AccountID(account), limit: limit) }
            let head = try await store.head()
            return try await store.journal(after: max(0, head.seq - Int64(limit)), limit: limit).reversed()
        }
        let rows = try entries.map { EntryJSON(seq: $0.seq, recordedAt: $0.recordedAt.millisecondsSinceEpoch, kind: $0.kind, idempotencyKey: $0.idempotencyKey, hash: $0.hash, events: try codec.events(of: $0)) }
        if json { print(jsonText(rows)); return }
        for row in rows {
            let when = Date(timeIntervalSince1970: TimeInterval(row.recordedAt) / 1000).ISO8601Format()
            print("#\(row.seq) \(when) \(row.kind) \(row.hash.prefix(12))…")
            for event in row.events { print("    " + describe(event)) }
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the hash chain, double entry, projections and conservation. Exit 1 on any problem.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let report = try await withStore(store.location) { try await LedgerVerifier(store: $0).verify() }
        if json {
            print(jsonText(report))
        } else if report.ok {
            print("OK: \(report.entries) journal entries, chain intact to head \(report.headHash.prefix(16))…; projections match; conservation holds")
            for s in report.supply { print("  \(s.unit): issued \(s.issued) - cancelled \(s.cancelled) = held \(s.held)") }
        } else {
            print("FAILED" + (report.firstBadEntry.map { ": first bad journal entry #\($0)" } ?? ""))
            for problem in report.problems { print("  " + problem) }
        }
        if !report.ok { throw ExitCode(1) }
    }
}

struct Head: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the journal head (sequence and hash) for external anchoring.")
    @OptionGroup var store: StoreOptions
    func run() async throws {
        let head = try await withStore(store.location) { try await $0.head() }
        print("\(head.seq) \(head.hash)")
    }
}
