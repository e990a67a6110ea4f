import OpenETSDomain
import Testing

/// Who may send which MRV command (`MRVPermissions.table`, `MRVState.authorize`).
@Suite("MRV permissions: command kind × role")
struct MRVPermissionTests {
    typealias W = MRVWorld

    /// One actor of each role, each in scope of entity 1 (四川/成都), unit U1 and the 2024
    /// report assigned to V1.
    static func actor(_ role: MRVRole) -> MRVActor {
        switch role {
        case .system: .system
        case .national: .national
        case .province: .province("四川")
        case .city: .city("成都")
        case .verifier: .verifier("V1")
        case .entity: .entity(W.entityID(1))
        }
    }

    /// A command of `kind` about entity 1 / U1 / its 2024 report. Reviews are at the sender's
    /// own level (city for roles without one), so that "allowed" is exactly "listed in the table".
    /// The switch is exhaustive: a new command kind does not compile here until it has a sample.
    static func sample(_ kind: MRVCommandKind, for role: MRVRole) -> MRVCommand {
        let e = W.entityID(1)
        let level: ReviewLevel =
            switch role {
            case .province: .province
            case .national: .national
            default: .city
            }
        switch kind {
        case .registerEntity: return .registerEntity(uscc: W.uscc(2), name: "川电二厂", province: "四川", city: "成都", sector: .power, group: nil)
        case .registerFacility: return .registerFacility(W.coalUnit("U9", entity: 1))
        case .registerVerifier: return .registerVerifier(Verifier(id: "V9", name: "核查九所"))
        case .declareConsultant: return .declareConsultant(entity: e, verifier: "V2", year: 2025)
        case .submitControlPlan:
            return .submitControlPlan(facility: "U1", items: [DataItemPlan(item: "coal.oxidation", source: .defaultValue, fallback: "default")])
        case .approveControlPlan: return .approveControlPlan(facility: "U1", version: 1)
        case .returnControlPlan: return .returnControlPlan(facility: "U1", version: 1, reasons: ["incomplete"])
        case .submitMonth: return .submitMonth(W.coalMonth("U1", 2025, 1))
        case .correctMonth: return .correctMonth(W.coalMonth("U1", 2024, 1, consumption: "1001"), reason: "meter")
        case .replaceEvidence:
            return .replaceEvidence(
                month: FacilityMonth(facility: "U1", year: 2024, month: 1), evidence: [EvidenceFile(name: "lab.pdf", sha256: W.hash(1))], reason: "scan")
        case .addEvidence:
            return .addEvidence(
                month: FacilityMonth(facility: "U1", year: 2024, month: 1), evidence: [EvidenceFile(name: "scan.pdf", sha256: W.hash(2))], reason: "scan")
        case .submitReport: return .submitReport(entity: e, year: 2024)
        case .resubmitReport: return .resubmitReport(entity: e, year: 2024, reason: "corrected")
        case .assignVerifier: return .assignVerifier(entity: e, year: 2024, verifier: "V1")
        case .recordFinding:
            return .recordFinding(entity: e, year: 2024, verifier: "V1", facility: "U1", month: 1, item: "coal.ncv", description: "d", requiredCorrection: "c")
        case .resolveFinding: return .resolveFinding(entity: e, year: 2024, finding: 1, response: "done")
        case .concludeVerification:
            return .concludeVerification(
                entity: e, year: 2024, verifier: "V1", facilities: [VerifiedFacility(facility: "U1", emissionsT: W.decimal("1"), output: W.decimal("1"))])
        case .approveReview: return .approveReview(entity: e, year: 2024, level: level)
        case .returnReview: return .returnReview(entity: e, year: 2024, level: level, reasons: ["r"])
        }
    }

    static func permitted(_ state: MRVState, _ command: MRVCommand, _ actor: MRVActor) -> MRVErrorCode? {
        do throws(MRVError) {
            try state.authorize(command, by: actor)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func everyCommandKindTimesEveryRoleFollowsTheTable() throws {
        let world = try W.inVerification()
        var allowed = 0
        var denied = 0
        for kind in MRVCommandKind.allCases {
            let rules = MRVPermissions.table[kind]
            #expect(rules != nil, "\(kind.rawValue) has no entry in MRVPermissions.table")
            #expect(rules?[.system] == .any, "the platform operator may send \(kind.rawValue)")
            for role in MRVRole.allCases {
                let command = Self.sample(kind, for: role)
                #expect(command.commandKind == kind && command.kind == kind.rawValue)
                let code = Self.permitted(world.state, command, Self.actor(role))
                if rules?[role] != nil {
                    allowed += 1
                    #expect(code == nil, "\(role.rawValue) should be allowed \(kind.rawValue)")
                } else {
                    denied += 1
                    #expect(code == .notPermitted, "\(role.rawValue) should be refused \(kind.rawValue)")
                }
            }
        }
        // 19 kinds × 6 roles; the table allows 19 (system) + 25 others.
        #expect(MRVCommandKind.allCases.count == 19 && MRVRole.allCases.count == 6)
        #expect(allowed == 44 && denied == 70, "allowed \(allowed), denied \(denied)")
    }

    @Test func scopesAreEnforced() throws {
        var world = try W.inVerification()
        try world.apply(.registerEntity(uscc: W.uscc(2), name: "粤电", province: "广东", city: "广州", sector: .power, group: nil))
        try world.apply(.registerFacility(W.coalUnit("G1", entity: 2)))
        let state = world.state
        let other = MRVActor.entity(W.entityID(2))
        // An entity only for its own facilities and reports.
        #expect(Self.permitted(state, Self.sample(.submitMonth, for: .entity), other) == .notPermitted)
        #expect(Self.permitted(state, Self.sample(.submitReport, for: .entity), other) == .notPermitted)
        #expect(Self.permitted(state, .submitMonth(W.coalMonth("G1", 2025, 1)), other) == nil)
        // An unknown facility cannot be placed in the entity's scope.
        #expect(Self.permitted(state, .submitMonth(W.coalMonth("NOPE", 2025, 1)), .entity(W.entityID(1))) == .notPermitted)
        // A province only for entities in it (and only registers entities in it).
        #expect(Self.permitted(state, Self.sample(.assignVerifier, for: .province), .province("广东")) == .notPermitted)
        #expect(Self.permitted(state, Self.sample(.registerEntity, for: .province), .province("广东")) == .notPermitted)
        #expect(Self.permitted(state, .registerFacility(W.coalUnit("G2", entity: 2)), .province("广东")) == nil)
        #expect(Self.permitted(state, .registerFacility(W.coalUnit("G2", entity: 2)), .province("四川")) == .notPermitted)
        // A verifier only for the report assigned to it, and only in its own name.
        #expect(Self.permitted(state, Self.sample(.recordFinding, for: .verifier), .verifier("V2")) == .notPermitted)
        let inV2Name = MRVCommand.recordFinding(
            entity: W.entityID(1), year: 2024, verifier: "V2", facility: "U1", month: 1, item: "i", description: "d", requiredCorrection: "c")
        #expect(Self.permitted(state, inV2Name, .verifier("V2")) == .notPermitted)
        #expect(Self.permitted(state, inV2Name, .verifier("V1")) == .notPermitted)
        // Reviews only at the sender's own stage, for entities in its city or province.
        let e = W.entityID(1)
        #expect(Self.permitted(state, .approveReview(entity: e, year: 2024, level: .city), .city("绵阳")) == .notPermitted)
        #expect(Self.permitted(state, .approveReview(entity: e, year: 2024, level: .province), .city("成都")) == .notPermitted)
        #expect(Self.permitted(state, .approveReview(entity: e, year: 2024, level: .province), .national) == .notPermitted)
        #expect(Self.permitted(state, .returnReview(entity: e, year: 2024, level: .national, reasons: ["r"]), .province("四川")) == .notPermitted)
        #expect(Self.permitted(state, .approveReview(entity: e, year: 2024, level: .province), .province("广东")) == .notPermitted)
        #expect(Self.permitted(state, .approveReview(entity: e, year: 2024, level: .province), .province("四川")) == nil)
    }

    @Test func decideByAnActorChecksPermissionFirstThenTheRules() throws {
        let world = try W.inVerification()
        let state = world.state
        let at = W.at(2025, 3, 10)
        // Refused before any rule: the same command from the entity gets its rule's code.
        let month = MRVCommand.submitMonth(W.coalMonth("U1", 2024, 1))
        do {
            _ = try state.decide(month, by: .verifier("V1"), at: at, policy: world.policy)
            Issue.record("expected MRV_NOT_PERMITTED")
        } catch {
            #expect(error.code == .notPermitted)
        }
        do {
            _ = try state.decide(month, by: .entity(W.entityID(1)), at: at, policy: world.policy)
            Issue.record("expected MONTH_ALREADY_SUBMITTED")
        } catch {
            #expect(error.code == .monthAlreadySubmitted)
        }
        // Allowed: the same events as the unchecked decide.
        let finding = Self.sample(.recordFinding, for: .verifier)
        #expect(try state.decide(finding, by: .verifier("V1"), at: at, policy: world.policy) == state.decide(finding, at: at, policy: world.policy))
    }

    @Test func actorsParseFromRoleAndScope() {
        for role in MRVRole.allCases {
            let actor = Self.actor(role)
            #expect(MRVActor(actor.description) == actor)
        }
        #expect(MRVActor("entity:91510100") == .entity(MRVEntityID("91510100")))
        #expect(MRVActor("province") == nil)
        #expect(MRVActor("province:") == nil)
        #expect(MRVActor("national:x") == nil)
        #expect(MRVActor("mayor:成都") == nil)
    }
}
