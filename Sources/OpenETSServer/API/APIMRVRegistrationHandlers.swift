import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The MRV platform's records around the annual workflow, in the REST API: registration of
/// entities, facilities and verification bodies (province staff for their province, the MEE),
/// the facilities' data-quality control plans (the entity submits a version, the province
/// approves or returns it), a month's evidence files (the entity deposits them in base64; the
/// bytes are kept under their SHA-256) and the entity's consultant declarations. Every command
/// goes through `MRVService` as the token's MRV actor, like `openets mrv … --as`, so the MRV
/// platform's own permission table applies as well; the API first checks the operation's
/// action (`APIPermissions.actions`) and the caller's scope (its own entity, an entity of its
/// province or city): 403 otherwise.
extension APIHandler {
    /// The largest request body of `depositMRVEvidence` and `submitMonthlyDataWithEvidence`: its files in base64 (4 bytes per 3)
    /// and the fields. Enough for one file of the seed policy's `maxEvidenceBytes` (32 MiB) in
    /// base64; each file is held to the data year's `maxEvidenceBytes` by the MRV platform (422
    /// LIMIT_EXCEEDED), the whole body to this (413 BODY_TOO_LARGE, `APIErrorMiddleware`).
    static let maxEvidenceBodyBytes = 48 << 20
    /// Largest CSV of `submitMonthlyDataWithEvidence` (the spec's `maxLength`).
    static let maxMonthCSVCharacters = 15_000

    /// The MRV platform's refusal of a command, as the spec's error (its code, `details.command`
    /// the command's kind).
    struct MRVRejection: Error {
        var body: Schemas._Error
    }

    /// The outcome of one MRV command sent for the API: its receipt, or the refusal.
    func sendMRV(
        _ mrv: MRVService, _ command: MRVCommand, _ caller: MRVCaller, files: [EvidenceUpload] = [], summary: String
    ) async throws -> Result<MRVReceipt, MRVRejection> {
        // Audited in the MRV command's own transaction, with its outcome.
        let outcome = try await mrv.execute(
            MRVRequest(idempotencyKey: caller.idempotencyKey, command: command, actor: caller.actor), files: files,
            audit: AuditNote(at: SystemClock().now(), user: caller.principal.user, action: "api_mrv_" + command.kind, address: APIRequestInfo.address, summary: summary))
        switch outcome {
        case .accepted(let receipt): return .success(receipt)
        case .rejected(let error): return .failure(MRVRejection(body: Self.error(error.code.rawValue, error.message, ["command": command.kind])))
        case .rejectedRows(let errors, _):
            // Not produced by a single command; answered as a rejection all the same.
            return .failure(MRVRejection(body: Self.error(errors.first?.code.rawValue ?? "INVALID_INPUT", "rejected", ["command": command.kind])))
        }
    }

    /// The MRV actor of registration staff: province staff as their province (none recorded:
    /// 403, fail closed), the MEE as the national level.
    func mrvRegistrar(_ action: Action, key: String) async throws -> Result<MRVCaller, MRVRefusal> {
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): principal = found
        }
        let registryKey: String
        switch Self.mrvKey(principal, key) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): registryKey = found
        }
        guard mrv != nil else { return .failure(.unavailable) }
        let actor: MRVActor
        switch principal.role {
        case .province:
            guard let province = principal.province else { return .failure(.refused(Self.forbidden(principal, action, "the user has no province recorded"))) }
            actor = .province(province)
        case .mee: actor = .national
        default: return .failure(.refused(Self.forbidden(principal, action, "the role registers nothing on the MRV platform")))
        }
        return .success(MRVCaller(principal: principal, actor: actor, idempotencyKey: registryKey))
    }

    /// The checks of a command about one facility: the action, the key, the MRV platform, the
    /// facility (404 UNKNOWN_FACILITY), then the caller's scope over its entity (`mrvScope`).
    func mrvFacilityCaller(_ action: Action, key: String, facility id: FacilityID) async throws -> Result<(MRVCaller, Facility), MRVRefusal> {
        let principal: Principal
        switch try await self.principal(action) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): principal = found
        }
        let registryKey: String
        switch Self.mrvKey(principal, key) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success(let found): registryKey = found
        }
        guard let mrv else { return .failure(.unavailable) }
        guard let facility = await mrv.state.facilities[id] else { return .failure(.unknown(Self.unknownFacility(id))) }
        switch try await mrvScope(principal, action, entity: facility.entity, year: nil) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let actor): return .success((MRVCaller(principal: principal, actor: actor, idempotencyKey: registryKey), facility))
        }
    }

    /// A read about one facility: `mrv_view`, the facility (404), then `mrvReader`'s scope over its entity.
    func mrvFacilityReader(_ id: FacilityID) async throws -> Result<(MRVState, Facility), MRVRefusal> {
        switch try await principal(.mrvView) {
        case .failure(let refusal): return .failure(.refused(refusal))
        case .success: break
        }
        guard let mrv else { return .failure(.unavailable) }
        guard let facility = await mrv.state.facilities[id] else { return .failure(.unknown(Self.unknownFacility(id))) }
        switch try await mrvReader(facility.entity) {
        case .refused(let refusal): return .failure(.refused(refusal))
        case .unavailable: return .failure(.unavailable)
        case .unknown: return .failure(.unknown(Self.unknownEntity(facility.entity)))
        case .granted(let state): return .success((state, facility))
        }
    }

    /// Which entities a reader of lists sees: a participant its own entity (its account's owner
    /// id), province staff their province's, city staff their city's (staff without one
    /// recorded: none), national roles every one.
    func mrvListScope(_ principal: Principal) async -> (MRVEntity) -> Bool {
        if let account = principal.account {
            let owner = await service.state.accounts[account]?.ownerID
            return { $0.id.rawValue == owner }
        }
        switch principal.role {
        case .province:
            guard let province = principal.province else { return { _ in false } }
            return { $0.province == province }
        case .city:
            guard let province = principal.province, let city = principal.city else { return { _ in false } }
            return { $0.province == province && $0.city == city }
        default:
            return { _ in true }
        }
    }

    static func unknownFacility(_ id: FacilityID) -> Schemas._Error {
        error("UNKNOWN_FACILITY", "no MRV facility \(id.rawValue)", ["facility": id.rawValue])
    }

    static func rejected<O: CommandOutput>(_ error: Schemas._Error) -> O { .unprocessableContent(.init(body: .json(error))) }

    // MARK: registration

    func registerMRVEntity(_ input: Operations.RegisterMRVEntity.Input) async throws -> Operations.RegisterMRVEntity.Output {
        let body: Schemas.MRVEntityRegistration
        switch input.body { case .json(let json): body = json }
        let caller: MRVCaller
        switch try await mrvRegistrar(.mrvRegister, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.registrationOutput()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        if case .province(let province) = caller.actor, body.province != province {
            return Self.forbidden(caller.principal, .mrvRegister, "the entity would be in \(body.province), not \(province)").output()
        }
        let sector = MRVSector(rawValue: body.sector.rawValue)!
        let command = MRVCommand.registerEntity(uscc: body.uscc, name: body.name, province: body.province, city: body.city, sector: sector, group: body.group)
        switch try await sendMRV(mrv, command, caller, summary: body.uscc) {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            var id = body.uscc
            for case .entityRegistered(let entity) in receipt.events { id = entity.id.rawValue }
            return .created(.init(body: .json(Schemas.MRVRegistrationResult(seq: receipt.seq, replayed: receipt.replayed, id: id))))
        }
    }

    func registerMRVFacility(_ input: Operations.RegisterMRVFacility.Input) async throws -> Operations.RegisterMRVFacility.Output {
        let body: Schemas.MRVFacilityRegistration
        switch input.body { case .json(let json): body = json }
        let caller: MRVCaller
        switch try await mrvRegistrar(.mrvRegister, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.registrationOutput()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let entityID = MRVEntityID(body.entity)
        guard let entity = await mrv.state.entities[entityID] else {
            return Self.rejected(Self.error("UNKNOWN_ENTITY", "no MRV entity \(body.entity)", ["command": "register_facility", "entity": body.entity]))
        }
        if case .province(let province) = caller.actor, entity.province != province {
            return Self.forbidden(caller.principal, .mrvRegister, "entity \(body.entity) is in \(entity.province)").output()
        }
        var power: PowerUnit?
        if let unit = body.power {
            guard let capacity = ExactDecimal(unit.capacityMW) else {
                return .badRequest(.init(body: .json(Self.error("INVALID_INPUT", "power.capacityMW: '\(unit.capacityMW.prefix(40))' is not a decimal number", ["field": "power.capacityMW"]))))
            }
            power = PowerUnit(
                category: PowerUnitCategory(rawValue: unit.category.rawValue)!, capacityMW: capacity, cooling: Cooling(rawValue: unit.cooling.rawValue)!)
        }
        let facility = Facility(
            id: FacilityID(body.id), entity: entityID, name: body.name, kind: FacilityKind(rawValue: body.kind.rawValue)!, power: power,
            fuels: body.fuels.map { Fuel(rawValue: $0.rawValue)! })
        switch try await sendMRV(mrv, .registerFacility(facility), caller, summary: "\(body.id) \(body.entity)") {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            return .created(.init(body: .json(Schemas.MRVRegistrationResult(seq: receipt.seq, replayed: receipt.replayed, id: body.id))))
        }
    }

    func registerMRVVerifier(_ input: Operations.RegisterMRVVerifier.Input) async throws -> Operations.RegisterMRVVerifier.Output {
        let body: Schemas.MRVVerifierRegistration
        switch input.body { case .json(let json): body = json }
        let caller: MRVCaller
        // Only the national level registers verification bodies (`mrv_accredit_verifier`, the
        // MEE; MRVPermissions says the same): a province is 403 FORBIDDEN here, before the platform.
        switch try await mrvRegistrar(.mrvAccreditVerifier, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.registrationOutput()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        switch try await sendMRV(mrv, .registerVerifier(Verifier(id: VerifierID(body.id), name: body.name)), caller, summary: body.id) {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            return .created(.init(body: .json(Schemas.MRVRegistrationResult(seq: receipt.seq, replayed: receipt.replayed, id: body.id))))
        }
    }

    func listMRVEntities(_ input: Operations.ListMRVEntities.Input) async throws -> Operations.ListMRVEntities.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let principal: Principal
        switch try await self.principal(.mrvView) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let visible = await mrvListScope(principal)
        let entities = await mrv.state.entities.values.filter(visible).sorted { $0.id.rawValue < $1.id.rawValue }
        let page = window.slice(entities)
        return .ok(.init(body: .json(Schemas.MRVEntityPage(
            items: page.items.map {
                Schemas.MRVEntityRecord(
                    id: $0.id.rawValue, name: $0.name, province: $0.province, city: $0.city,
                    sector: Schemas.MRVEntityRecord.SectorPayload(rawValue: $0.sector.rawValue)!, group: $0.group)
            },
            total: page.total, nextOffset: page.next))))
    }

    func listMRVFacilities(_ input: Operations.ListMRVFacilities.Input) async throws -> Operations.ListMRVFacilities.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = MRVEntityID(input.path.entityId)
        let state: MRVState
        switch try await mrvReader(id) {
        case .refused(let refusal): return refusal.guarded()
        case .unavailable: return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .unknown: return .notFound(.init(body: .json(Self.unknownEntity(id))))
        case .granted(let found): state = found
        }
        let facilities = (state.facilitiesByEntity[id] ?? []).compactMap { state.facilities[$0] }
        let page = window.slice(facilities)
        return .ok(.init(body: .json(Schemas.MRVFacilityPage(items: page.items.map(Self.facilityRecord), total: page.total, nextOffset: page.next))))
    }

    func listMRVVerifiers(_ input: Operations.ListMRVVerifiers.Input) async throws -> Operations.ListMRVVerifiers.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        switch try await principal(.mrvView) {
        case .failure(let refusal): return refusal.guarded()
        case .success: break
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let verifiers = await mrv.state.verifiers.values.sorted { $0.id.rawValue < $1.id.rawValue }
        let page = window.slice(verifiers)
        return .ok(.init(body: .json(Schemas.MRVVerifierPage(
            items: page.items.map { Schemas.MRVVerifierRecord(id: $0.id.rawValue, name: $0.name) }, total: page.total, nextOffset: page.next))))
    }

    // MARK: control plans

    func submitControlPlan(_ input: Operations.SubmitControlPlan.Input) async throws -> Operations.SubmitControlPlan.Output {
        let body: Schemas.MRVControlPlanRequest
        switch input.body { case .json(let json): body = json }
        let caller: MRVCaller
        switch try await mrvFacilityCaller(.mrvSubmit, key: input.headers.idempotencyKey, facility: FacilityID(input.path.facilityId)) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found.0
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let facility = FacilityID(input.path.facilityId)
        let items = body.items.map {
            DataItemPlan(
                item: $0.item, source: ValueSource(rawValue: $0.source.rawValue)!, method: $0.method, meter: $0.meter, frequency: $0.frequency,
                lab: $0.lab, fallback: $0.fallback)
        }
        switch try await sendMRV(mrv, .submitControlPlan(facility: facility, items: items), caller, summary: facility.rawValue) {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            var version = 0
            for case .controlPlanSubmitted(let plan) in receipt.events { version = plan.version }
            guard let result = await controlPlanResult(receipt, facility: facility, version: version) else {
                return Self.rejected(Self.error("UNKNOWN_PLAN", "\(facility.rawValue) has no control plan version \(version)", ["command": "submit_control_plan"]))
            }
            return .created(.init(body: .json(result)))
        }
    }

    func decideControlPlan(_ input: Operations.DecideControlPlan.Input) async throws -> Operations.DecideControlPlan.Output {
        let body: Schemas.MRVControlPlanDecision
        switch input.body { case .json(let json): body = json }
        let caller: MRVCaller
        switch try await mrvFacilityCaller(.mrvReview, key: input.headers.idempotencyKey, facility: FacilityID(input.path.facilityId)) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found.0
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let facility = FacilityID(input.path.facilityId), version = Int(input.path.version)
        let command: MRVCommand =
            switch body.decision {
            case .approve: .approveControlPlan(facility: facility, version: version)
            case ._return: .returnControlPlan(facility: facility, version: version, reasons: body.reasons ?? [])
            }
        switch try await sendMRV(mrv, command, caller, summary: "\(facility.rawValue) v\(version)") {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            guard let result = await controlPlanResult(receipt, facility: facility, version: version) else {
                return Self.rejected(Self.error("UNKNOWN_PLAN", "\(facility.rawValue) has no control plan version \(version)", ["command": command.kind]))
            }
            return .ok(.init(body: .json(result)))
        }
    }

    func controlPlanResult(_ receipt: MRVReceipt, facility: FacilityID, version: Int) async -> Schemas.MRVControlPlanResult? {
        guard let mrv else { return nil }
        let state = await mrv.state
        guard let owner = state.facilities[facility]?.entity, let plans = state.plans[facility], (1...plans.count).contains(version) else { return nil }
        return Schemas.MRVControlPlanResult(seq: receipt.seq, replayed: receipt.replayed, plan: Self.controlPlan(plans[version - 1], entity: owner))
    }

    func getControlPlan(_ input: Operations.GetControlPlan.Input) async throws -> Operations.GetControlPlan.Output {
        let id = FacilityID(input.path.facilityId), version = Int(input.path.version)
        let found: (state: MRVState, facility: Facility)
        switch try await mrvFacilityReader(id) {
        case .failure(.refused(let refusal)): return refusal.guarded()
        case .failure(.unavailable): return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .failure(.unknown(let error)): return .notFound(.init(body: .json(error)))
        case .success(let read): found = read
        }
        let (state, facility) = found
        let plans = state.plans[id] ?? []
        guard version >= 1, version <= plans.count else {
            return .notFound(.init(body: .json(Self.error(
                "UNKNOWN_PLAN", "\(id.rawValue) has no control plan version \(version)", ["facility": id.rawValue, "version": String(version)]))))
        }
        return .ok(.init(body: .json(Self.controlPlan(plans[version - 1], entity: facility.entity))))
    }

    func listControlPlans(_ input: Operations.ListControlPlans.Input) async throws -> Operations.ListControlPlans.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let principal: Principal
        switch try await self.principal(.mrvView) {
        case .failure(let refusal): return refusal.guarded()
        case .success(let found): principal = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let visible = await mrvListScope(principal)
        let state = await mrv.state
        let status = input.query.status.map { PlanStatus(rawValue: $0.rawValue)! }
        var plans: [(entity: MRVEntityID, plan: ControlPlan)] = []
        for (facility, versions) in state.plans.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let owner = state.facilities[facility]?.entity, let entity = state.entities[owner], visible(entity) else { continue }
            for plan in versions where status == nil || plan.status == status { plans.append((owner, plan)) }
        }
        let page = window.slice(plans)
        return .ok(.init(body: .json(Schemas.MRVControlPlanPage(
            items: page.items.map { Self.controlPlan($0.plan, entity: $0.entity) }, total: page.total, nextOffset: page.next))))
    }

    // MARK: evidence

    /// The files in base64 become uploads; the MRV platform adds them to the month's list as it
    /// is inside its writer's transaction (`add_evidence`: a file of the same name replaced), or
    /// with `replaceAll` replaces the whole list (`replace_evidence`), as `openets mrv evidence
    /// put`. It hashes, checks and stores the bytes. The command names only the files sent, so
    /// concurrent deposits for one month all stay listed, and a retry with the same key and
    /// body is the same request even after other deposits: it answers the first answer again
    /// (the history as it was after the first deposit, `replayed` true).
    func depositMRVEvidence(_ input: Operations.DepositMRVEvidence.Input) async throws -> Operations.DepositMRVEvidence.Output {
        let body: Schemas.MRVEvidenceDeposit
        switch input.body { case .json(let json): body = json }
        let facility = FacilityID(input.path.facilityId)
        let caller: MRVCaller
        switch try await mrvFacilityCaller(.mrvSubmit, key: input.headers.idempotencyKey, facility: facility) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found.0
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        var uploads: [EvidenceUpload] = []
        for (index, file) in body.files.enumerated() {
            guard let bytes = Data(base64Encoded: file.contentBase64) else {
                return .badRequest(.init(body: .json(Self.error(
                    "INVALID_INPUT", "files[\(index)]: contentBase64 is not base64", ["field": "files.\(index).contentBase64"]))))
            }
            uploads.append(EvidenceUpload(name: file.name, mediaType: file.mediaType, item: file.item, claimedSHA256: file.sha256, bytes: [UInt8](bytes)))
        }
        let key = FacilityMonth(facility: facility, year: Int(input.path.year), month: Int(input.path.month))
        let reason = body.reason ?? "evidence deposited"
        let command: MRVCommand =
            body.replaceAll == true
            ? .replaceEvidence(month: key, evidence: [], reason: reason) : .addEvidence(month: key, evidence: [], reason: reason)
        switch try await sendMRV(mrv, command, caller, files: uploads, summary: key.description) {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            guard let record = await mrv.state.months[key], let history = Self.evidenceHistory(key, record: record, upTo: receipt) else {
                return Self.rejected(Self.error("MONTH_NOT_SUBMITTED", "\(key) has not been submitted", ["command": command.kind]))
            }
            return .ok(.init(body: .json(Schemas.MRVEvidenceResult(seq: receipt.seq, replayed: receipt.replayed, evidence: history))))
        }
    }

    /// The month's evidence history as the deposit of `receipt` left it: its versions up to the
    /// one that deposit made (later deposits are not part of its answer, so a replay answers
    /// as the first time); nil when the receipt made no version of this month.
    static func evidenceHistory(_ key: FacilityMonth, record: MonthRecord, upTo receipt: MRVReceipt) -> Schemas.MRVEvidenceHistory? {
        var made: (files: [EvidenceFile], reason: String, at: Timestamp)?
        for case .evidenceReplaced(let month, let files, let reason, let at) in receipt.events where month == key { made = (files, reason, at) }
        guard let made else { return nil }
        let versions = record.evidenceHistory
        guard let last = versions.firstIndex(where: { $0.change == .evidence && $0.from == made.at && $0.reason == made.reason && $0.files == made.files })
        else { return nil }
        return evidenceHistory(key, current: made.files, versions: Array(versions[...last]))
    }

    /// The monthly CSV with the bytes of the evidence files its rows name: one `import_months`
    /// entry through `MRVService.importMonths(csv:files:)` as the token's entity, as `openets mrv
    /// import months --evidence-file`.
    func submitMonthlyDataWithEvidence(_ input: Operations.SubmitMonthlyDataWithEvidence.Input) async throws
        -> Operations.SubmitMonthlyDataWithEvidence.Output
    {
        let body: Schemas.MRVMonthDeposit
        switch input.body { case .json(let json): body = json }
        let caller: Caller
        switch try await authorise(.mrvSubmit, key: input.headers.idempotencyKey) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        // The spec's bound on the CSV (as `submitMonthlyData`'s, whose 16 KiB body holds it):
        // the 48 MiB body is for the files, not for rows parsed under the MRV writer's lock.
        guard body.csv.unicodeScalars.count <= Self.maxMonthCSVCharacters else {
            return .contentTooLarge(.init(body: .json(Self.error(
                "BODY_TOO_LARGE", "csv is over \(Self.maxMonthCSVCharacters) characters", ["field": "csv", "maxLength": String(Self.maxMonthCSVCharacters)]))))
        }
        guard let owner = await service.state.accounts[caller.account]?.ownerID else {
            return Self.forbidden(caller.principal, .mrvSubmit, "the user's account is unknown").output()
        }
        var uploads: [EvidenceUpload] = []
        for (index, file) in body.files.enumerated() {
            guard let bytes = Data(base64Encoded: file.contentBase64) else {
                return .badRequest(.init(body: .json(Self.error(
                    "INVALID_INPUT", "files[\(index)]: contentBase64 is not base64", ["field": "files.\(index).contentBase64"]))))
            }
            uploads.append(EvidenceUpload(name: file.name, mediaType: file.mediaType, item: file.item, claimedSHA256: file.sha256, bytes: [UInt8](bytes)))
        }
        // Audited in the import's own transaction, with its outcome.
        let outcome = try await mrv.importMonths(
            csv: body.csv, idempotencyKey: caller.idempotencyKey, files: uploads, actor: .entity(MRVEntityID(owner)),
            audit: AuditNote(at: SystemClock().now(), user: caller.principal.user, action: "api_mrv_import_months", address: APIRequestInfo.address,
                summary: "\(uploads.count) evidence files"))
        switch outcome {
        case .accepted(let receipt):
            var months: [String] = []
            for case .monthSubmitted(let data, _, _) in receipt.events {
                months.append("\(data.facility.rawValue)/\(data.year)-\(data.month < 10 ? "0" : "")\(data.month)")
            }
            return .created(.init(body: .json(Schemas.MRVResult(seq: receipt.seq, replayed: receipt.replayed, months: months))))
        case .rejected(let error):
            return Self.rejected(Self.error(error.code.rawValue, error.message, ["command": "import_months"]))
        case .rejectedRows(let errors, let total):
            let first = errors.first
            var details = ["command": "import_months", "badRows": String(errors.count), "rows": String(total)]
            if let first {
                details["row"] = String(first.row)
                if let column = first.column { details["column"] = column }
            }
            return Self.rejected(Self.error(first?.code.rawValue ?? "INVALID_INPUT", first.map { "row \($0.row): \($0.message)" } ?? "the CSV has bad rows", details))
        }
    }

    func listMRVEvidence(_ input: Operations.ListMRVEvidence.Input) async throws -> Operations.ListMRVEvidence.Output {
        let facility = FacilityID(input.path.facilityId)
        let state: MRVState
        switch try await mrvFacilityReader(facility) {
        case .failure(.refused(let refusal)): return refusal.guarded()
        case .failure(.unavailable): return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .failure(.unknown(let error)): return .notFound(.init(body: .json(error)))
        case .success(let found): state = found.0
        }
        let key = FacilityMonth(facility: facility, year: Int(input.path.year), month: Int(input.path.month))
        guard let record = state.months[key] else {
            return .notFound(.init(body: .json(Self.error("MONTH_NOT_SUBMITTED", "\(key) has not been submitted", ["facility": facility.rawValue]))))
        }
        return .ok(.init(body: .json(Self.evidenceHistory(key, current: record.data.evidence, versions: record.evidenceHistory))))
    }

    // MARK: consultant declarations

    func declareConsultant(_ input: Operations.DeclareConsultant.Input) async throws -> Operations.DeclareConsultant.Output {
        let body: Schemas.MRVConsultantDeclaration
        switch input.body { case .json(let json): body = json }
        let id = MRVEntityID(input.path.entityId)
        let caller: MRVCaller
        switch try await mrvCaller(.mrvReport, key: input.headers.idempotencyKey, entity: id, year: Int(body.year)) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): caller = found
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let command = MRVCommand.declareConsultant(entity: id, verifier: VerifierID(body.verifier), year: Int(body.year))
        switch try await sendMRV(mrv, command, caller, summary: "\(id.rawValue) \(body.verifier) \(body.year)") {
        case .failure(let rejection): return Self.rejected(rejection.body)
        case .success(let receipt):
            return .created(.init(body: .json(Schemas.MRVConsultantResult(
                seq: receipt.seq, replayed: receipt.replayed,
                declaration: Schemas.MRVConsultancy(entity: id.rawValue, verifier: body.verifier, year: Int(body.year))))))
        }
    }

    func listConsultantDeclarations(_ input: Operations.ListConsultantDeclarations.Input) async throws -> Operations.ListConsultantDeclarations.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = MRVEntityID(input.path.entityId)
        let state: MRVState
        switch try await mrvReader(id) {
        case .refused(let refusal): return refusal.guarded()
        case .unavailable: return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .unknown: return .notFound(.init(body: .json(Self.unknownEntity(id))))
        case .granted(let found): state = found
        }
        let declared = state.consultancies.filter { $0.entity == id }.sorted { ($0.year, $0.verifier.rawValue) < ($1.year, $1.verifier.rawValue) }
        let page = window.slice(declared)
        return .ok(.init(body: .json(Schemas.MRVConsultancyPage(
            items: page.items.map { Schemas.MRVConsultancy(entity: $0.entity.rawValue, verifier: $0.verifier.rawValue, year: $0.year) },
            total: page.total, nextOffset: page.next))))
    }

    // MARK: mapping

    static func facilityRecord(_ facility: Facility) -> Schemas.MRVFacilityRecord {
        Schemas.MRVFacilityRecord(
            id: facility.id.rawValue, entity: facility.entity.rawValue, name: facility.name,
            kind: Schemas.MRVFacilityRecord.KindPayload(rawValue: facility.kind.rawValue)!,
            fuels: facility.fuels.map { Schemas.MRVFacilityRecord.FuelsPayloadPayload(rawValue: $0.rawValue)! },
            power: facility.power.map {
                Schemas.MRVPowerUnit(
                    category: Schemas.MRVPowerUnit.CategoryPayload(rawValue: $0.category.rawValue)!, capacityMW: $0.capacityMW.description,
                    cooling: Schemas.MRVPowerUnit.CoolingPayload(rawValue: $0.cooling.rawValue)!)
            })
    }

    static func controlPlan(_ plan: ControlPlan, entity: MRVEntityID) -> Schemas.MRVControlPlan {
        Schemas.MRVControlPlan(
            facility: plan.facility.rawValue, entity: entity.rawValue, version: plan.version,
            status: Schemas.MRVControlPlan.StatusPayload(rawValue: plan.status.rawValue)!,
            items: plan.items.map {
                Schemas.MRVDataItemPlan(
                    item: $0.item, source: Schemas.MRVDataItemPlan.SourcePayload(rawValue: $0.source.rawValue)!, method: $0.method, meter: $0.meter,
                    frequency: $0.frequency, lab: $0.lab, fallback: $0.fallback)
            },
            submittedAt: utc(plan.submittedAt), decidedAt: plan.decidedAt.map(utc), reasons: plan.reasons)
    }

    static func evidenceFile(_ file: EvidenceFile) -> Schemas.MRVEvidenceFile {
        Schemas.MRVEvidenceFile(name: file.name, sha256: file.sha256, item: file.item)
    }

    static func evidenceHistory(_ key: FacilityMonth, current: [EvidenceFile], versions: [EvidenceVersion]) -> Schemas.MRVEvidenceHistory {
        Schemas.MRVEvidenceHistory(
            facility: key.facility.rawValue, year: key.year, month: key.month, current: current.map(evidenceFile),
            versions: versions.map {
                Schemas.MRVEvidenceVersion(
                    version: $0.version, from: utc($0.from), change: $0.change.map { Schemas.MRVEvidenceVersion.ChangePayload(rawValue: $0.rawValue)! },
                    reason: $0.reason, files: $0.files.map(evidenceFile))
            })
    }
}

extension APIHandler.MRVRefusal {
    /// The answer of a registration command, which names no entity in its path (no 404).
    func registrationOutput<O: MRVRegistrationOutput>() -> O {
        switch self {
        case .refused(let refusal): refusal.output()
        case .unknown(let error): .unprocessableContent(.init(body: .json(error)))
        case .unavailable: .serviceUnavailable(.init(body: .json(APIHandler.unavailableMRV)))
        }
    }
}

/// A registration command's answers: besides those of every command, 503 (no MRV platform).
protocol MRVRegistrationOutput: CommandOutput {
    static func serviceUnavailable(_ response: Components.Responses.Unavailable) -> Self
}

extension Operations.RegisterMRVEntity.Output: MRVRegistrationOutput {}
extension Operations.RegisterMRVFacility.Output: MRVRegistrationOutput {}
extension Operations.RegisterMRVVerifier.Output: MRVRegistrationOutput {}
extension Operations.SubmitControlPlan.Output: MRVWorkflowOutput {}
extension Operations.DecideControlPlan.Output: MRVWorkflowOutput {}
extension Operations.DepositMRVEvidence.Output: MRVWorkflowOutput {}
extension Operations.DeclareConsultant.Output: MRVWorkflowOutput {}
extension Operations.SubmitMonthlyDataWithEvidence.Output: CommandOutput {}
extension Operations.ListMRVEntities.Output: TokenGuardedOutput {}
extension Operations.ListMRVFacilities.Output: TokenGuardedOutput {}
extension Operations.ListMRVVerifiers.Output: TokenGuardedOutput {}
extension Operations.ListControlPlans.Output: TokenGuardedOutput {}
extension Operations.GetControlPlan.Output: TokenGuardedOutput {}
extension Operations.ListMRVEvidence.Output: TokenGuardedOutput {}
extension Operations.ListConsultantDeclarations.Output: TokenGuardedOutput {}
