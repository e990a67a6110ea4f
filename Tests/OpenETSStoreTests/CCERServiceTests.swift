import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// The CCER voluntary market through the durable service, on each database: a project from
/// submission to issuance as serial blocks, sold on the exchange, part surrendered as an ETS
/// offset, part cancelled for carbon neutrality with a certificate that validates; no serial
/// counted twice, the totals reconcile, and bad input changes nothing.
@Suite("CCER through the durable service, on each database")
struct CCERServiceTests {
    static let owner: AccountID = "OWN-000001"
    static let entity: AccountID = "ENT-000001"
    static let organiser: AccountID = "INV-000001"
    static let bank: AccountID = "INV-000002"
    static let body: ValidationBodyID = "CQC"
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)
    static let unit = IssuanceOrder.unitTypeCode(project: "P000001", period: 1)
    static let tradingDay = CivilDate(year: 2025, month: 6, day: 3)

    static func day(_ text: String) -> CivilDate { CivilDate(text)! }

    struct Session {
        var store: any LedgerStore
        var service: RegistryService
        let clock: MarketClock
        var keys = 0

        mutating func on(_ date: String, hour: Int = 10) { clock.set(CCERServiceTests.day(date), hour: hour, minute: 0) }

        mutating func registry(_ command: RegistryCommand) async throws -> CommandOutcome {
            keys += 1
            return try await service.execute(CommandRequest(idempotencyKey: "r-\(keys)", command: command))
        }

        mutating func mustRegistry(_ command: RegistryCommand, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let outcome = try await registry(command)
            if let error = outcome.error {
                Issue.record("\(command.kind): \(error)", sourceLocation: sourceLocation)
                throw TestSetupError("\(command.kind): \(error)")
            }
        }

        mutating func ccer(_ command: CCERCommand, key: String? = nil) async throws -> CCEROutcome {
            keys += 1
            return try await service.execute(CCERRequest(idempotencyKey: key ?? "c-\(keys)", command: command))
        }

        @discardableResult
        mutating func mustCCER(_ command: CCERCommand, key: String? = nil, sourceLocation: SourceLocation = #_sourceLocation)
            async throws -> CCERReceipt
        {
            let outcome = try await ccer(command, key: key)
            guard let receipt = outcome.receipt else {
                Issue.record("\(command.kind): \(outcome.error!)", sourceLocation: sourceLocation)
                throw TestSetupError("\(command.kind) rejected")
            }
            return receipt
        }

        mutating func exchange(_ command: ExchangeCommand) async throws -> ExchangeReceipt {
            keys += 1
            let outcome = try await service.execute(ExchangeRequest(idempotencyKey: "x-\(keys)", command: command))
            guard let receipt = outcome.receipt else { throw TestSetupError("\(command.kind): \(outcome.error!)") }
            return receipt
        }

        /// Runs `command`, expects `code`, and checks that nothing changed anywhere.
        mutating func rejectCCER(_ command: CCERCommand, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let head = try await store.head()
            let stored = try await store.loadState()
            let registry = await service.state
            let ccer = await service.ccer
            let outcome = try await self.ccer(command)
            #expect(outcome.error?.code == code, "\(command.kind): \(String(describing: outcome))", sourceLocation: sourceLocation)
            #expect((outcome.error?.message.isEmpty ?? true) == false, sourceLocation: sourceLocation)
            #expect(try await store.head() == head, "journal grew", sourceLocation: sourceLocation)
            #expect(try await store.loadState() == stored, "stored state changed", sourceLocation: sourceLocation)
            #expect(await service.state == registry, "registry changed", sourceLocation: sourceLocation)
            #expect(await service.ccer == ccer, "CCER state changed", sourceLocation: sourceLocation)
        }
    }

    static func open(_ location: StoreLocation, clock: MarketClock) async throws -> Session {
        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        return Session(store: store, service: service, clock: clock)
    }

    /// Accounts of the story: MEE's, province GD, an ETS entity, the project owner, an event
    /// organiser (buys for neutrality), a bank (pledgee) and the exchange's two accounts.
    static func accounts(_ s: inout Session) async throws {
        s.on("2024-06-11")
        for type in [AccountType.national, .compliance, .cancellation, .voluntaryCancellation] {
            try await s.mustRegistry(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        try await s.mustRegistry(.openAccount(type: .provincial, ownerID: "GD", ownerName: "GD", province: "GD", representatives: []))
        try await s.mustRegistry(.openAccount(type: .entity, ownerID: "E1", ownerName: "广东某电厂", province: "GD", representatives: []))
        try await s.mustRegistry(.openAccount(type: .projectOwner, ownerID: "O1", ownerName: "如东海上风电公司", province: "JS", representatives: []))
        try await s.mustRegistry(.openAccount(type: .investor, ownerID: "I1", ownerName: "会务公司", province: nil, representatives: []))
        try await s.mustRegistry(.openAccount(type: .investor, ownerID: "B1", ownerName: "某银行", province: nil, representatives: []))
        try await s.mustRegistry(.openAccount(type: .exchangeClearing, ownerID: "X", ownerName: "X", province: nil, representatives: []))
        try await s.mustRegistry(.openAccount(type: .exchangeClearing, ownerID: "R", ownerName: "R", province: nil, representatives: []))
        try await s.mustRegistry(.depositFunds(account: entity, amountFen: 100_000_000, bankReference: "E"))
        try await s.mustRegistry(.depositFunds(account: organiser, amountFen: 1_000_000, bankReference: "I"))
    }

    static func application(methodology: String = "CCER-01-002-V01") -> ProjectApplication {
        ProjectApplication(
            name: "如东H5海上风电场", owner: owner, methodology: methodology, province: "JS", location: "江苏省南通市如东县",
            type: "offshore wind farm", constructionStart: day("2023-03-01"), creditingStart: day("2024-01-01"),
            creditingEnd: day("2033-12-31"), expectedAnnualReductionsT: 120_000, designDocumentSHA256: hashA)
    }

    /// The whole workflow to issuance; returns the issuance receipt.
    static func issue(_ s: inout Session) async throws -> CCERReceipt {
        try await s.mustCCER(.accreditBody(id: body, name: "中国质量认证中心"))
        s.on("2025-01-20")
        let submitted = try await s.mustCCER(.submitProject(application(), coveredFacilities: []))
        #expect(submitted.registryEvents.isEmpty)
        s.on("2025-01-22")
        try await s.mustCCER(.comment(project: "P000001", period: nil, author: "公众", text: "请公开风机数量"))
        s.on("2025-02-24")
        try await s.mustCCER(.recordValidation(project: "P000001", body: body, reportSHA256: hashB, findings: [], positive: true))
        try await s.mustCCER(.applyForRegistration(project: "P000001", owner: owner))
        s.on("2025-03-10")
        try await s.mustCCER(.decideRegistration(project: "P000001", approve: true, reason: "complete"))
        s.on("2025-04-01")
        try await s.mustCCER(
            .submitReductionReport(
                project: "P000001", owner: owner, start: day("2024-01-01"), end: day("2024-12-31"), reportedT: 10_000,
                reportSHA256: hashA))
        s.on("2025-04-30")
        try await s.mustCCER(
            .recordVerification(project: "P000001", period: 1, body: body, reportSHA256: hashB, findings: ["rounded down"], verifiedT: 9_000))
        try await s.mustCCER(.applyForReductionRegistration(project: "P000001", period: 1, owner: owner))
        s.on("2025-05-12")
        try await s.mustCCER(.decideReductionRegistration(project: "P000001", period: 1, approve: true, reason: "complete"))
        s.on("2025-05-13")
        return try await s.mustCCER(.issue(project: "P000001", period: 1), key: "issue-P000001-1")
    }

    @Test(arguments: Backend.all)
    func projectToIssuanceToTradeToOffsetAndNeutrality(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.tradingDay, hour: 9, minute: 0)
        var s = try await Self.open(location, clock: clock)
        try await Self.accounts(&s)
        let issued = try await Self.issue(&s)

        // Issuance: one entry, kind ccer.issue, with the unit type and the serial block to the owner.
        let issueEntry = try #require(try await s.service.journalEntry(issued.seq))
        #expect(issueEntry.kind == "ccer.issue")
        #expect(issued.entryHash == issueEntry.hash)
        #expect(issued.registryEvents.count == 2)
        guard case .unitsIssued(let issuedUnit, let to, let lot) = issued.registryEvents[1] else {
            throw TestSetupError("no issuance")
        }
        #expect(issuedUnit == Self.unit && to == Self.owner && lot.serials == [SerialRange(first: 1, last: 9_000)])
        let unitType = try #require(await s.service.state.unitTypes[Self.unit])
        #expect(unitType.serialText(lot.serials[0]) == "CN-CCER-P000001-2024-000000000001-000000009000")
        let project = try #require(await s.service.ccer.projects["P000001"])
        #expect(project.periods[0].stage == .issued && project.designNotice.comments.count == 1)
        #expect(project.history.map(\.stage) == ["design_notice", "validated", "registration_review", "registered"])
        // A retry of the issuance issues nothing more.
        let retry = try await s.mustCCER(.issue(project: "P000001", period: 1), key: "issue-P000001-1")
        #expect(retry.replayed && retry.seq == issued.seq && retry.entryHash == issueEntry.hash)
        #expect(await s.service.state.holding(Self.owner, Self.unit).total == 9_000)

        // Sold on the exchange (listing mode): the owner lists 5,023 t; the entity takes 5,000,
        // the event organiser the calculator's 23.
        let neutrality = try NeutralityCalculator.calculate(
            NeutralityCalculator.Input(
                event: "OpenETS 2025", attendees: 100,
                travel: [
                    .init(mode: "air", distanceKm: "1000", travellers: 20, roundTrip: true),
                    .init(mode: "high_speed_rail", distanceKm: "500.5", travellers: 80, roundTrip: true),
                ], venueKWh: "12345.6", hotelRoomNights: 150), factors: .standard)
        #expect(neutrality.cancelQuantityT == 23)
        let cancelT = neutrality.cancelQuantityT
        s.on("2025-06-03", hour: 9)
        for command: ExchangeCommand in [
            .listInstrument(Instrument(code: "CCER", unit: Self.unit, label: "CCER P000001 2024", continuous: false, previousClose: 8_000)),
            .admitMember(account: Self.owner, group: nil),
            .admitMember(account: Self.entity, group: nil),
            .admitMember(account: Self.organiser, group: nil),
            .setFeeAccounts(clearing: "EXC-000001", reserve: "EXC-000002"),
            .openDay(Self.tradingDay),
        ] {
            _ = try await s.exchange(command)
        }
        s.on("2025-06-03", hour: 10)
        let listing = try await s.exchange(
            .placeOrder(account: Self.owner, instrument: "CCER", side: .sell, price: 8_000, quantity: 5_000 + cancelT))
        guard case .orderPlaced(let order) = listing.events[0] else { throw TestSetupError("no listing") }
        _ = try await s.exchange(.takeOrder(account: Self.entity, order: order.id, quantity: 5_000))
        _ = try await s.exchange(.takeOrder(account: Self.organiser, order: order.id, quantity: cancelT))
        #expect(await s.service.state.holding(Self.entity, Self.unit).total == 5_000)
        #expect(await s.service.state.holding(Self.organiser, Self.unit).total == cancelT)

        // Part surrendered as an ETS offset: eligibility from the CCER record.
        let assessment = try OffsetEligibility.assess(try #require(await s.service.ccer.projects["P000001"]), period: 1, coveredFacilities: [])
        #expect(assessment.eligible && assessment.registeredOn == Self.day("2025-05-12"))
        try await s.mustRegistry(.surrender(account: Self.entity, unit: Self.unit, quantity: 2_000, complianceYear: 2024))

        // Part cancelled for carbon neutrality, with certificates that validate publicly.
        s.on("2025-06-04", hour: 10)
        let organisation = try await s.mustCCER(
            .cancelForNeutrality(
                NeutralityClaim(account: Self.entity, unit: Self.unit, quantity: 1_000, beneficiary: "广东某电厂", purpose: .organisation, subject: "2024 年度运营")))
        let event = try await s.mustCCER(
            .cancelForNeutrality(
                NeutralityClaim(account: Self.organiser, unit: Self.unit, quantity: cancelT, beneficiary: "OpenETS 会务组", purpose: .event, subject: "OpenETS 2025")))
        #expect(try await s.service.journalEntry(event.seq)?.kind == "ccer.cancel_for_neutrality")
        let code = try #require(event.verificationCode)
        let check = try await s.service.checkCertificate(code: code).get()
        #expect(check.beneficiary == "OpenETS 会务组" && check.quantity == cancelT && check.purpose == "event")
        #expect(check.serials == [SerialRange(first: 5_001, last: 5_000 + cancelT)])
        #expect(check.serialTexts == ["CN-CCER-P000001-2024-000000005001-000000005023"])
        #expect(check.entrySeq == event.seq && check.entryHash == event.entryHash)
        let orgCheck = try await s.service.checkCertificate(code: try #require(organisation.verificationCode)).get()
        #expect(orgCheck.serials == [SerialRange(first: 2_001, last: 3_000)])
        // A code with another hash, or for another certificate, does not validate.
        let forged = String(code.dropLast(1)) + (code.last == "0" ? "1" : "0")
        #expect(try await s.service.checkCertificate(code: forged).failureCode == .codeMismatch)
        #expect(try await s.service.checkCertificate(code: "VC-00000099-0123456789abcdef").failureCode == .unknownCertificate)
        #expect(try await s.service.checkCertificate(code: "nonsense").failureCode == .malformedCode)
        // An edited entry no longer matches its hash; re-sealed, it no longer matches the code.
        var tampered = try #require(try await s.service.journalEntry(event.seq))
        tampered.body = tampered.body.replacingOccurrences(of: "OpenETS 会务组", with: "Someone else")
        #expect(NeutralityCertificateCheck.check(code: code, entry: tampered, unitType: unitType).failureCode == .entryAltered)
        tampered.hash = tampered.computedHash
        #expect(NeutralityCertificateCheck.check(code: code, entry: tampered, unitType: unitType).failureCode == .codeMismatch)

        // No serial counted twice: the unit type's blocks tile 1…9,000 exactly once.
        let registry = await s.service.state
        #expect(registry.invariantViolations() == [])
        var blocks: [(AccountID, HeldBlock)] = []
        for (key, holding) in registry.holdings where key.unit == Self.unit {
            blocks += holding.blocks.map { (key.account, $0) }
        }
        blocks.sort { $0.1.first < $1.1.first }
        var next: Int64 = 1
        for (_, block) in blocks {
            #expect(block.first == next)
            next = block.last + 1
        }
        #expect(next == 9_001)
        // Totals reconcile: issued = held + surrendered + cancelled.
        func total(_ account: AccountID) -> Int64 { registry.holding(account, Self.unit).total }
        let held = total(Self.owner) + total(Self.entity) + total(Self.organiser)
        let surrendered = total("CN-COMPLIANCE")
        let cancelled = total("CN-VOLUNTARY-CANCELLATION")
        #expect(held == 3_977 + 2_000 + 0 && surrendered == 2_000 && cancelled == 1_000 + cancelT)
        #expect(unitType.issuedQuantity == held + surrendered + cancelled)

        // One serial's whole history, from issuance to its final cancellation.
        let entries = try await s.store.journal(after: 0, limit: 10_000)
        let history = try SerialHistory.steps(unit: Self.unit, serial: 2_500, in: entries)
        #expect(history.map(\.event) == ["issued", "locked", "settlement", "voluntary_cancellation"])
        #expect(history.first?.to == Self.owner.rawValue && history.last?.to == "CN-VOLUNTARY-CANCELLATION")
        #expect(history.last?.seq == organisation.seq)
        let surrenderedHistory = try SerialHistory.steps(unit: Self.unit, serial: 1, in: entries)
        #expect(surrenderedHistory.map(\.event) == ["issued", "locked", "settlement", "surrender", "surrender"])

        // Reopen: the CCER state is rebuilt from the journal; the verifier agrees.
        let ccerBefore = await s.service.ccer
        let registryBefore = await s.service.state
        try await s.store.close()
        var t = try await Self.open(location, clock: clock)
        #expect(await t.service.ccer == ccerBefore)
        #expect(await t.service.state == registryBefore)
        let report = try await LedgerVerifier(store: t.store).verify()
        #expect(report.ok, "\(report.problems)")
        #expect(try await t.service.checkCertificate(code: code).get() == check)
        t.keys = 10_000
        try await t.store.close()
    }

    @Test(arguments: Backend.all)
    func badInputGetsClearErrorsAndChangesNothing(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.tradingDay, hour: 9, minute: 0)
        var s = try await Self.open(location, clock: clock)
        try await Self.accounts(&s)
        _ = try await Self.issue(&s)

        // The workflow's unit types cannot be defined or issued by registry commands from outside.
        for command: RegistryCommand in [
            .defineUnitType(code: "CCER-P000002-M01", kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P000002", issuer: "CN", serialized: true),
            .issue(unit: Self.unit, quantity: 1, to: Self.owner),
        ] {
            let head = try await s.store.head()
            let outcome = try await s.registry(command)
            #expect(outcome.error?.code == .invalidArgument && outcome.error?.message.contains("CCER workflow") == true, "\(command.kind)")
            #expect(try await s.store.head() == head)
        }
        // Unknown methodology; an owner without a registry account.
        try await s.rejectCCER(.submitProject(Self.application(methodology: "CCER-99-999-V01"), coveredFacilities: []), "UNKNOWN_METHODOLOGY")
        var stranger = Self.application()
        stranger.owner = "OWN-000099"
        stranger.name = "另一个风电场"
        try await s.rejectCCER(.submitProject(stranger, coveredFacilities: []), "UNKNOWN_ACCOUNT")
        // A first-time owner gets a project-owner account in the same entry; a second project
        // of the same owner reuses it; a refused submission opens nothing.
        var newcomer = Self.application()
        newcomer.name = "海南红树林营造"
        newcomer.methodology = "CCER-14-002-V01"
        newcomer.creditingEnd = Self.day("2053-12-31")
        newcomer.owner = ""
        newcomer.newOwner = NewOwnerAccount(ownerID: "91460000MA5T000001", ownerName: "海南蓝碳公司", province: "HI")
        var refused = newcomer
        refused.methodology = "CCER-99-999-V01"
        try await s.rejectCCER(.submitProject(refused, coveredFacilities: []), "UNKNOWN_METHODOLOGY")
        s.on("2025-06-04")
        let opened = try await s.mustCCER(.submitProject(newcomer, coveredFacilities: []))
        guard case .accountOpened(let account) = opened.registryEvents.first else { throw TestSetupError("no account opened") }
        #expect(account.type == .projectOwner && account.ownerID == "91460000MA5T000001")
        #expect(await s.service.ccer.projects["P000002"]?.application.owner == account.id)
        newcomer.name = "海南红树林营造二期"
        let again = try await s.mustCCER(.submitProject(newcomer, coveredFacilities: []))
        #expect(again.registryEvents.isEmpty)
        #expect(await s.service.ccer.projects["P000003"]?.application.owner == account.id)
        // Dates out of order: a monitoring period ending before it starts.
        s.on("2025-06-04")
        try await s.rejectCCER(
            .submitReductionReport(
                project: "P000001", owner: Self.owner, start: Self.day("2025-03-31"), end: Self.day("2025-01-01"), reportedT: 100,
                reportSHA256: Self.hashA), "DATES_OUT_OF_ORDER")
        // Issuing the same period twice.
        try await s.rejectCCER(.issue(project: "P000001", period: 1), "WRONG_STAGE")
        // Cancelling more than held.
        try await s.rejectCCER(
            .cancelForNeutrality(NeutralityClaim(account: Self.owner, unit: Self.unit, quantity: 9_001, beneficiary: "X", purpose: .product, subject: "Y")),
            "INSUFFICIENT_HOLDING")
        // Allowances are not credits for neutrality; empty beneficiary.
        try await s.mustRegistry(.defineUnitType(code: "CEA24", kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try await s.rejectCCER(
            .cancelForNeutrality(NeutralityClaim(account: Self.owner, unit: "CEA24", quantity: 1, beneficiary: "X", purpose: .product, subject: "Y")),
            "NOT_ACCEPTED_FOR_USE")
        try await s.rejectCCER(
            .cancelForNeutrality(NeutralityClaim(account: Self.owner, unit: Self.unit, quantity: 1, beneficiary: " ", purpose: .product, subject: "Y")),
            "INVALID_ARGUMENT")

        // Pledged units: the owner pledges 8,500 t to the bank; they cannot be transferred,
        // cancelled or sold, and nothing changes.
        try await s.mustRegistry(.freeze(account: Self.owner, unit: Self.unit, quantity: 8_500, reason: .pledge(pledgee: Self.bank, contract: "PLG-1")))
        let head = try await s.store.head()
        let state = await s.service.state
        let transfer = try await s.registry(.transfer(from: Self.owner, to: Self.entity, unit: Self.unit, quantity: 600))
        #expect(transfer.error?.code == .unitsFrozen, "\(String(describing: transfer))")
        try await s.rejectCCER(
            .cancelForNeutrality(NeutralityClaim(account: Self.owner, unit: Self.unit, quantity: 600, beneficiary: "X", purpose: .product, subject: "Y")),
            "UNITS_FROZEN")
        #expect(try await s.store.head() == head)
        #expect(await s.service.state == state)
        // The free 500 can still be cancelled; the certificate names the lowest free serials.
        let free = try await s.mustCCER(
            .cancelForNeutrality(NeutralityClaim(account: Self.owner, unit: Self.unit, quantity: 500, beneficiary: "X", purpose: .product, subject: "Y")))
        #expect(free.certificate?.serials == [SerialRange(first: 8_501, last: 9_000)])
        // An idempotency key reused for another command.
        let reused = try await s.ccer(.comment(project: "P000001", period: nil, author: "a", text: "b"), key: "issue-P000001-1")
        #expect(reused.error?.code == "IDEMPOTENCY_KEY_REUSED")
        try await s.store.close()
    }
}

extension CCERServiceTests {
    /// The CCER rules are data: a published version is what a reopened service decides with.
    @Test(arguments: Backend.all)
    func publishedPolicyVersionGovernsTheWorkflow(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.tradingDay, hour: 9, minute: 0)
        var s = try await Self.open(location, clock: clock)
        #expect(await s.service.ccerPolicy == .standard)
        var shorter = CCERPolicy.standard
        shorter.designNoticeWorkingDays = 10
        shorter.note = "test: a 10-working-day design notice"
        #expect(try await s.store.publishCCERPolicy(shorter, effectiveFrom: "2025-01-01", note: shorter.note, at: SystemClock().now(), audit: nil) == 2)
        try await s.store.close()
        s = try await Self.open(location, clock: clock)
        let reopened = await s.service.ccerPolicy
        #expect(reopened.version == 2 && reopened.designNoticeWorkingDays == 10 && reopened.note == shorter.note)
        try await Self.accounts(&s)
        s.on("2025-01-20")
        let receipt = try await s.mustCCER(.submitProject(Self.application(), coveredFacilities: []))
        guard case .projectSubmitted(let project) = receipt.events.first else { throw TestSetupError("no project") }
        // Ten working days after Mon 2025-01-20 is Sat 2025-02-08, a make-up working day (Spring Festival 01-28…02-04; 01-26 worked).
        #expect(project.designNotice.endsOn == Self.day("2025-02-08"), "\(project.designNotice.endsOn)")
        try await s.store.close()
    }
}

extension CCERServiceTests {
    /// Two writers (processes) on one store: each catches up on the other's CCER entries
    /// under the head lock before deciding.
    @Test(arguments: Backend.all)
    func aSecondWriterCatchesUpOnCCEREntries(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let clock = MarketClock(Self.tradingDay, hour: 9, minute: 0)
        var a = try await Self.open(location, clock: clock)
        try await Self.accounts(&a)
        var b = try await Self.open(location, clock: clock)
        b.keys = 5_000
        a.on("2025-01-20")
        try await a.mustCCER(.submitProject(Self.application(), coveredFacilities: []))
        #expect(await b.service.ccer.projects.isEmpty)
        b.on("2025-01-21")
        let comment = try await b.mustCCER(.comment(project: "P000001", period: nil, author: "B", text: "from the second writer"))
        #expect(comment.seq == (try await a.store.head()).seq)
        #expect(await b.service.ccer.projects["P000001"]?.designNotice.comments.count == 1)
        let report = try await LedgerVerifier(store: b.store).verify()
        #expect(report.ok, "\(report.problems)")
        try await a.store.close()
        try await b.store.close()
    }
}

extension Result where Failure == CertificateCheckError {
    var failureCode: CertificateCheckErrorCode? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
