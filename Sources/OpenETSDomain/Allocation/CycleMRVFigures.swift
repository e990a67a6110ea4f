/// The verified figures of a compliance year read from the MRV platform's state instead of a
/// facilities file (`openets cycle … --from-mrv`, docs/allocation.md "Verified figures from the
/// MRV platform"). Pure: the MRV state and the registry state in, the cycle's facilities out.
///
/// - A figure counts only from an annual report the three-level review has **approved**
///   (status `approved`: the verifier concluded, then city, province and national approved).
///   A report still under verification or review has no verified figure yet.
/// - Per facility of year Y: `verified_t` = the verifier's emissions for the facility, half up
///   to whole tonnes; `generation_mwh` = the verifier's output (power units report MWh);
///   `heat_supplied_gj` = the approved report's heat supplied; `load_factor` = Σ generation /
///   (capacity × Σ operating hours) over the twelve months of the report [unverified reading
///   of 负荷率], half up to 4 decimals, left out when a month has no operating hours; the
///   category and cooling are the registered power unit's.
/// - `previous_verified_t` = the facility's verified emissions of Y − 1 when the platform has
///   an approved report of that year, else the file's value (the years before the platform).
/// - The entity account is the registry's `entity` account whose owner id is the MRV entity's
///   unified social credit code; its province is the account's.
/// - Which wins: every figure the platform has wins over the file. The file, when given,
///   names the facilities (else: every facility of the entities of the plan's sector) and
///   fills what the platform has no record of.
/// - A facility without a verified figure of Y (where `needVerified`) is `NO_VERIFIED_FIGURE`;
///   the error names every such facility with its entity account (the first
///   `maxNamedUnverified`, then how many more), so one answer lists all the reports the stage
///   still waits for.
/// - With a `province` (provincial or city staff: the figures of their province only), only
///   the facilities of that province's MRV entities are read, and only the registry's entity
///   accounts of those entities: nothing of another province decides the answer or is named
///   in an error. A facility of the file whose entity is of another province is read from
///   the file alone, as one the platform does not know.
public enum CycleMRVFigures {
    /// Facilities without a verified figure named in one `NO_VERIFIED_FIGURE` message.
    public static let maxNamedUnverified = 20

    public static func facilities(
        plan: AllocationPlan, year: Int, mrv: MRVState, registry: RegistryState, file: [CycleFacility]?, needVerified: Bool,
        province: String? = nil
    ) throws(AllocationError) -> [CycleFacility] {
        // The facilities whose entity is in scope (every one without a province).
        let inScope: (Facility) -> Bool = { facility in province == nil || mrv.entities[facility.entity]?.province == province }
        let owners = province.map { wanted in Set(mrv.entities.values.filter { $0.province == wanted }.map(\.id.rawValue)) }
        let accounts = try entityAccounts(registry, owners: owners)
        var ids: [String] = []
        if let file {
            for (index, facility) in file.enumerated() {
                guard let id = facility.id else { throw AllocationError(.missingField, "facilities[\(index)]: id is required") }
                ids.append(id)
            }
        } else {
            ids = mrv.facilities.values.filter { facility in
                mrv.entities[facility.entity]?.sector.rawValue == plan.sector && inScope(facility)
            }.map(\.id.rawValue).sorted()
            guard !ids.isEmpty else {
                let scoped = province.map { " in province \($0)" } ?? ""
                throw AllocationError(.noVerifiedFigure, "the MRV platform has no facility of sector \(plan.sector)\(scoped)")
            }
        }
        var result: [CycleFacility] = []
        var unverified: [String] = []
        for (index, id) in ids.enumerated() {
            var facility = file?[index] ?? CycleFacility(id: id, entity: nil, province: nil, category: nil, previousVerifiedT: nil)
            guard let registered = mrv.facilities[FacilityID(id)], inScope(registered) else {
                if needVerified { throw AllocationError(.noVerifiedFigure, "\(id): not a facility of the MRV platform") }
                result.append(facility)
                continue
            }
            let uscc = registered.entity.rawValue
            guard let account = accounts[uscc] else {
                throw AllocationError(.unknownAccount, "\(id): no registry entity account is held by MRV entity \(uscc)")
            }
            facility.entity = account.id.rawValue
            facility.province = account.province
            if let power = registered.power {
                facility.category = power.category.rawValue
                facility.cooling = power.cooling.rawValue
            }
            if let previous = verified(registered.id, year: year - 1, mrv: mrv) {
                facility.previousVerifiedT = try wholeTonnes(previous.emissionsT, id)
            }
            if needVerified {
                guard let figure = verified(registered.id, year: year, mrv: mrv) else {
                    unverified.append("\(id) (\(account.id.rawValue)): no verified figure for \(year) (\(reportState(registered, year: year, mrv: mrv)))")
                    continue
                }
                facility.verifiedT = try wholeTonnes(figure.emissionsT, id)
                // Output is generation only for power units (other kinds report tonnes of product).
                guard registered.power != nil else {
                    result.append(facility)
                    continue
                }
                facility.generationMWh = try places4(figure.output, id)
                let report = mrv.reports[ReportKey(entity: registered.entity, year: year)]!
                if let heat = report.facilities.first(where: { $0.facility == registered.id })?.heatSuppliedGJ {
                    facility.heatSuppliedGJ = try places4(heat, id)
                }
                if let power = registered.power, let load = try loadFactor(registered.id, capacity: power.capacityMW, year: year, mrv: mrv) {
                    facility.loadFactor = load
                }
            }
            result.append(facility)
        }
        guard unverified.isEmpty else {
            let more = unverified.count > maxNamedUnverified ? "; and \(unverified.count - maxNamedUnverified) more" : ""
            throw AllocationError(.noVerifiedFigure, unverified.prefix(maxNamedUnverified).joined(separator: "; ") + more)
        }
        return result
    }

    /// The verifier's figure for the facility in an approved report of `year`; nil when none.
    static func verified(_ facility: FacilityID, year: Int, mrv: MRVState) -> VerifiedFacility? {
        guard let entity = mrv.facilities[facility]?.entity, let report = mrv.reports[ReportKey(entity: entity, year: year)],
            report.status == .approved
        else { return nil }
        return report.verified?.first { $0.facility == facility }
    }

    static func reportState(_ facility: Facility, year: Int, mrv: MRVState) -> String {
        guard let report = mrv.reports[ReportKey(entity: facility.entity, year: year)] else { return "no annual report" }
        // A unit registered after its entity's report was approved has no figure in it.
        guard report.status != .approved else { return "not in the approved annual report" }
        return "annual report \(report.status.rawValue), not approved"
    }

    /// Σ generation / (capacity × Σ operating hours) of the year's twelve months, half up to 4
    /// decimals; nil when a month is missing or has no operating hours, or the hours sum to 0.
    static func loadFactor(_ facility: FacilityID, capacity: ExactDecimal, year: Int, mrv: MRVState) throws(AllocationError) -> String? {
        var generation = ExactDecimal.zero
        var hours = ExactDecimal.zero
        do {
            for month in 1...12 {
                guard let record = mrv.months[FacilityMonth(facility: facility, year: year, month: month)],
                    let monthHours = record.data.production.operatingHours
                else { return nil }
                generation = try generation.adding(record.data.production.generationMWh ?? .zero)
                hours = try hours.adding(monthHours)
            }
            let capacityHours = try capacity.multiplied(by: hours)
            guard capacityHours > .zero else { return nil }
            // generation / capacityHours = (g.m / 10^g.s) / (c.m / 10^c.s): scale both to one exponent.
            let common = max(generation.scale, capacityHours.scale)
            let numerator = try ExactDecimal(mantissa: scaled(generation, to: common), scale: 0)
            let denominator = try scaled(capacityHours, to: common)
            return try numerator.divided(by: denominator, roundingTo: 4).description
        } catch {
            throw AllocationError(.limitExceeded, "\(facility.rawValue): load factor too large to compute exactly")
        }
    }

    static func scaled(_ value: ExactDecimal, to scale: Int) throws(DecimalOverflow) -> Int128 {
        var mantissa = value.mantissa
        for _ in value.scale..<scale {
            let (product, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            if overflow { throw DecimalOverflow() }
            mantissa = product
        }
        return mantissa
    }

    static func wholeTonnes(_ value: ExactDecimal, _ id: String) throws(AllocationError) -> Int64 {
        guard let rounded = try? value.rounded(to: 0), let tonnes = Int64(exactly: rounded.mantissa) else {
            throw AllocationError(.limitExceeded, "\(id): verified emissions too large")
        }
        return tonnes
    }

    static func places4(_ value: ExactDecimal, _ id: String) throws(AllocationError) -> String {
        guard let rounded = try? value.rounded(to: min(value.scale, 4)) else {
            throw AllocationError(.limitExceeded, "\(id): verified output too large")
        }
        return rounded.description
    }

    /// MRV entity (unified social credit code) → its registry entity account; with `owners`,
    /// only the accounts those entities hold (the others are neither read nor named).
    static func entityAccounts(_ registry: RegistryState, owners: Set<String>? = nil) throws(AllocationError) -> [String: Account] {
        var accounts: [String: Account] = [:]
        for account in registry.accounts.values.sorted(by: { $0.id < $1.id })
        where account.type == .entity && owners.map({ $0.contains(account.ownerID) }) ?? true {
            guard accounts[account.ownerID] == nil else {
                throw AllocationError(.unknownAccount, "owner \(account.ownerID) holds more than one entity account")
            }
            accounts[account.ownerID] = account
        }
        return accounts
    }
}
