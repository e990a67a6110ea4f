import OpenETSDomain

/// Shared set-up of the MRV platform tests: a state driven through `decide`/`evolve`.
struct MRVWorld {
    var state = MRVState()
    var policy = MRVPolicyTables.seed

    static func at(_ year: Int, _ month: Int, _ day: Int, hour: Int = 10) -> Timestamp {
        BeijingTime.timestamp(CivilDate(year: year, month: month, day: day), hour: hour, minute: 0)
    }

    static func decimal(_ text: String) -> ExactDecimal { ExactDecimal(text)! }

    /// A valid unified social credit code numbered `n`.
    static func uscc(_ n: Int) -> String {
        let digits = String(n)
        let first17 = "91510100" + String(repeating: "0", count: 9 - digits.count) + digits
        return first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17)!)
    }

    static func entityID(_ n: Int) -> MRVEntityID { MRVEntityID(uscc(n)) }

    /// Applies a command; the events are returned for inspection.
    @discardableResult
    mutating func apply(_ command: MRVCommand, at: Timestamp = MRVWorld.at(2025, 1, 15)) throws(MRVError) -> [MRVEvent] {
        let events = try state.decide(command, at: at, policy: policy)
        state.evolve(events)
        return events
    }

    /// The error code `command` is rejected with (nil when accepted; the state is unchanged).
    func code(_ command: MRVCommand, at: Timestamp = MRVWorld.at(2025, 1, 15)) -> MRVErrorCode? {
        do {
            _ = try state.decide(command, at: at, policy: policy)
            return nil
        } catch {
            return error.code
        }
    }

    static func coalUnit(_ id: String, entity: Int, category: PowerUnitCategory = .coalGT300, fuels: [Fuel] = [.coal]) -> Facility {
        Facility(
            id: FacilityID(id), entity: entityID(entity), name: "Unit \(id)", kind: .power,
            power: PowerUnit(category: category, capacityMW: decimal("600"), cooling: .water), fuels: fuels)
    }

    /// A coal month: 1000 t at 20 GJ/t measured, carbon per heat default unless given,
    /// 2,400 MWh generated (heat rate 8.33 GJ/MWh, intensity 0.93 tCO2/MWh).
    static func coalMonth(
        _ facility: String, _ year: Int, _ month: Int, consumption: String = "1000", ncv: String? = "20", carbon: CarbonContent? = nil,
        generation: String = "2400", evidence: [EvidenceFile] = []
    ) -> MonthlyData {
        MonthlyData(
            facility: FacilityID(facility), year: year, month: month,
            fuels: [FuelLine(fuel: .coal, consumption: decimal(consumption), ncvGJPerUnit: ncv.map { TaggedValue.measured(decimal($0)) }, carbon: carbon)],
            production: Production(generationMWh: decimal(generation)), evidence: evidence)
    }

    static func hash(_ n: Int) -> String {
        let digits = String(n, radix: 16)
        return String(repeating: "0", count: 64 - digits.count) + digits
    }

    /// Entity 1 (power, Sichuan/Chengdu) with unit U1, verifiers V1 and V2.
    static func registered() throws(MRVError) -> MRVWorld {
        var world = MRVWorld()
        try world.apply(.registerEntity(uscc: uscc(1), name: "川电一厂", province: "四川", city: "成都", sector: .power, group: "川投"))
        try world.apply(.registerFacility(coalUnit("U1", entity: 1)))
        try world.apply(.registerVerifier(Verifier(id: "V1", name: "核查一所")))
        try world.apply(.registerVerifier(Verifier(id: "V2", name: "核查二所")))
        return world
    }

    /// `registered()` with all twelve months of `year` submitted on time.
    static func withYear(_ year: Int = 2024) throws(MRVError) -> MRVWorld {
        var world = try registered()
        for month in 1...12 {
            let end = MRVDeadlines.lastDay(year: year, month: month).adding(days: 5)
            try world.apply(.submitMonth(coalMonth("U1", year, month)), at: BeijingTime.timestamp(end, hour: 9, minute: 0))
        }
        return world
    }

    /// `withYear()` with the report submitted on 2025-03-01 and V1 assigned.
    static func inVerification() throws(MRVError) -> MRVWorld {
        var world = try withYear()
        try world.apply(.submitReport(entity: entityID(1), year: 2024), at: at(2025, 3, 1))
        try world.apply(.assignVerifier(entity: entityID(1), year: 2024, verifier: "V1"), at: at(2025, 3, 2))
        return world
    }

    var report: AnnualReport { state.reports[ReportKey(entity: MRVWorld.entityID(1), year: 2024)]! }
}

extension MonthlyData {
    /// The same month as a non-power facility's: output instead of generation.
    func withOutput(_ tonnes: String) -> MonthlyData {
        var data = self
        data.production = Production(outputT: ExactDecimal(tonnes)!)
        return data
    }
}
