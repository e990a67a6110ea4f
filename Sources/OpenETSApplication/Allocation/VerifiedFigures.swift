import OpenETSDomain

/// Where the cycle's verified figures come from: per facility of a year, the verified
/// emissions and output (generation, heat). The facilities file (`openets cycle --input`) is
/// one source; the MRV platform (`MRVVerifiedFigures`) the other.
public protocol VerifiedFiguresSource: Sendable {
    /// The cycle's facilities of `year`. With `needVerified`, a facility without a verified
    /// figure is refused (`NO_VERIFIED_FIGURE`).
    func facilities(plan: AllocationPlan, year: Int, file: [CycleFacility]?, needVerified: Bool) async throws -> [CycleFacility]
}

/// The MRV platform's approved annual reports as the cycle's verified figures
/// (`CycleMRVFigures`): the MRV service's state and the registry's accounts (an MRV entity's
/// unified social credit code is its entity account's owner id).
public struct MRVVerifiedFigures: VerifiedFiguresSource {
    public let mrv: MRVService
    public let registry: RegistryService

    public init(mrv: MRVService, registry: RegistryService) {
        self.mrv = mrv
        self.registry = registry
    }

    public func facilities(plan: AllocationPlan, year: Int, file: [CycleFacility]?, needVerified: Bool) async throws -> [CycleFacility] {
        try await facilities(plan: plan, year: year, file: file, needVerified: needVerified, province: nil)
    }

    /// The facilities as above; with a `province`, those of its MRV entities only, read from
    /// the province's entities and accounts alone (provincial and city staff's reads).
    public func facilities(
        plan: AllocationPlan, year: Int, file: [CycleFacility]?, needVerified: Bool, province: String?
    ) async throws -> [CycleFacility] {
        try CycleMRVFigures.facilities(
            plan: plan, year: year, mrv: await mrv.state, registry: await registry.state, file: file, needVerified: needVerified,
            province: province)
    }
}
