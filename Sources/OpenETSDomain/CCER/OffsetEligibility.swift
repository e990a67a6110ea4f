/// Whether credits may offset surrender in the national ETS, computed from the project record:
/// what `ComplianceCalculator` takes as a CCER holding's `eligible` and `registered_on`.
///
/// - eligible: the credit type is accepted for national ETS offsets (CCER only) and the project
///   does not sit in a facility covered by the ETS *now* (coverage grows: a project outside the
///   ETS at registration may be inside it after steel, cement and aluminium joined in 2024).
/// - registered_on: the day the reductions were registered (备案). The compliance calculator
///   applies the legacy rule from it: CCERs registered before the plan's cut-off (2017-03-14)
///   are usable only while the surrender deadline is on or before 2024-12-31 [seed 003].
public enum OffsetEligibility {
    public struct Assessment: Hashable, Codable, Sendable {
        public var eligible: Bool
        public var registeredOn: CivilDate
        /// Why not, when not eligible.
        public var reasons: [String]

        public init(eligible: Bool, registeredOn: CivilDate, reasons: [String]) {
            self.eligible = eligible
            self.registeredOn = registeredOn
            self.reasons = reasons
        }

        enum CodingKeys: String, CodingKey {
            case eligible, reasons
            case registeredOn = "registered_on"
        }

        /// The holding line the compliance calculator reads.
        public func holding(quantity: Int64, vintage: String? = nil) -> ComplianceCalculator.HoldingInput {
            ComplianceCalculator.HoldingInput(
                type: "CCER", vintage: vintage, quantity: quantity, eligible: eligible, registeredOn: registeredOn.description)
        }
    }

    /// A monitoring period of a project from the CCER workflow; its reductions must be registered.
    public static func assess(_ project: CCERProject, period number: Int, coveredFacilities: [String]) throws(CCERError) -> Assessment {
        guard number >= 1, number <= project.periods.count else {
            throw CCERError(.unknownPeriod, "project \(project.id) has no monitoring period \(number)")
        }
        let period = project.periods[number - 1]
        guard period.stage == .registered || period.stage == .issued, let registeredOn = period.registration?.decidedOn else {
            throw CCERError(.wrongStage, "monitoring period \(number) of \(project.id) is at \(period.stage.rawValue): its reductions are not registered")
        }
        return assess(
            creditType: .ccer, hostFacility: project.application.hostFacility, registeredOn: registeredOn,
            coveredFacilities: coveredFacilities)
    }

    /// Any credit by its type, host facility and registration date: also for credits registered
    /// before this workflow existed (legacy CCERs imported with their filing date).
    public static func assess(
        creditType: CreditType, hostFacility: String?, registeredOn: CivilDate, coveredFacilities: [String]
    ) -> Assessment {
        var reasons: [String] = []
        if !creditType.accepts(.nationalETSOffset) {
            reasons.append("\(creditType.label) is not accepted for national ETS offsets")
        }
        if let host = hostFacility {
            let key = ProjectIdentity.normalise(host)
            if coveredFacilities.contains(where: { ProjectIdentity.normalise($0) == key }) {
                reasons.append("the project sits in \(host), a facility covered by the national ETS")
            }
        }
        return Assessment(eligible: reasons.isEmpty, registeredOn: registeredOn, reasons: reasons)
    }
}
