/// A facility's final allocation under the plan types other than `output_benchmark` (which is
/// `AllocationCalculator.formulaValue` with its gas cap and coal floor). Exact decimals; the
/// value is rounded half up to whole tonnes once, on the facility's full value:
///
///     verified_emissions            final = verified_t
///     intensity_benchmark           final = round(Σ_products benchmark_p × output_p)
///     historical_emissions          final = round(Σ base_emissions_t × control_factor / number of base years)
///     historical_intensity_decline  final = round(base_intensity × (1 − decline_rate) × output)
///     benchmark_market_adjustment   final = round(Σ_products benchmark_p × output_p × market_adjustment_factor)
public enum AllocationFormula {
    public enum Limits {
        /// A facility-year's output of one product (t, MWh, GJ or the product's unit).
        public static let maxOutput = ExactDecimal(1_000_000_000)
        /// Decimals accepted in an output.
        public static let maxOutputPlaces = 4
        /// tCO2 per unit of output of a facility's base period.
        public static let maxBaseIntensity = ExactDecimal(100)
        public static let maxBaseIntensityPlaces = 6
    }

    /// The rounded final allocation of `unit` under a validated plan of a type other than
    /// `output_benchmark`.
    static func finalT(_ unit: AllocationCalculator.UnitInput, id: String, plan: AllocationPlan) throws(AllocationError) -> Int64 {
        let maxT = AllocationCalculator.Limits.maxTonnes
        switch plan.method {
        case .outputBenchmark:
            preconditionFailure("output_benchmark is AllocationCalculator.formulaValue")
        case .verifiedEmissions:
            return try AllocationArithmetic.tonnes(unit.verifiedT, "verified_t", at: id, max: maxT)
        case .intensityBenchmark:
            return try AllocationArithmetic.roundedTonnes(productSum(unit, id: id, plan: plan))
        case .benchmarkMarketAdjustment:
            let factor = plan.marketAdjustmentFactor!.value
            return try AllocationArithmetic.roundedTonnes(product(productSum(unit, id: id, plan: plan), factor, id))
        case .historicalEmissions:
            let years = plan.baseYears!
            guard let base = unit.baseEmissionsT else { throw AllocationError(.missingField, "\(id): base_emissions_t is missing") }
            guard base.count == years.count else {
                throw AllocationError(
                    .invalidValue, "\(id): base_emissions_t has \(base.count) figures, the plan's base period \(years) has \(years.count)")
            }
            var sum: Int64 = 0
            for (index, tonnes) in base.enumerated() {
                sum += try AllocationArithmetic.tonnes(tonnes, "base_emissions_t[\(index)]", at: id, max: maxT)
            }
            let scaled = try product(ExactDecimal(sum), plan.controlFactor!.value, id)
            do {
                return try AllocationArithmetic.roundedTonnes(scaled.divided(by: Int128(years.count), roundingTo: 0))
            } catch {
                throw AllocationError(.limitExceeded, "\(id): the amounts are too large to compute exactly")
            }
        case .historicalIntensityDecline:
            guard let intensityText = unit.baseIntensity else { throw AllocationError(.missingField, "\(id): base_intensity is missing") }
            let intensity = try AllocationArithmetic.decimal(
                intensityText, "base_intensity", at: id, places: Limits.maxBaseIntensityPlaces, max: Limits.maxBaseIntensity)
            guard let outputText = unit.output else { throw AllocationError(.missingField, "\(id): output is missing") }
            let output = try AllocationArithmetic.decimal(outputText, "output", at: id, places: Limits.maxOutputPlaces, max: Limits.maxOutput)
            let rate = plan.declineRate!.value
            let kept = try sum(ExactDecimal(1), ExactDecimal(mantissa: -rate.mantissa, scale: rate.scale), id)
            return try AllocationArithmetic.roundedTonnes(product(product(intensity, AllocationArithmetic.trimmed(kept), id), output, id))
        }
    }

    /// Σ benchmark × output over the facility's product lines (each product at most once).
    static func productSum(_ unit: AllocationCalculator.UnitInput, id: String, plan: AllocationPlan) throws(AllocationError) -> ExactDecimal {
        guard let lines = unit.products, !lines.isEmpty else {
            throw AllocationError(.missingField, "\(id): products (product lines with their output) is missing")
        }
        guard lines.count <= AllocationPlan.Limits.maxProducts else {
            throw AllocationError(.limitExceeded, "\(id): at most \(AllocationPlan.Limits.maxProducts) product lines")
        }
        var seen: Set<String> = []
        var total = ExactDecimal.zero
        for line in lines {
            guard let productID = line.product else { throw AllocationError(.missingField, "\(id): a product line has no product") }
            guard let benchmark = plan.product(productID) else {
                let known = (plan.products ?? []).map(\.id).joined(separator: ", ")
                throw AllocationError(.unknownProduct, "\(id): plan \(plan.id) has no product '\(productID)' (\(known))")
            }
            guard seen.insert(productID).inserted else { throw AllocationError(.duplicateId, "\(id): product '\(productID)' is given twice") }
            guard let outputText = line.output else { throw AllocationError(.missingField, "\(id): \(productID) output is missing") }
            let output = try AllocationArithmetic.decimal(
                outputText, "\(productID) output", at: id, places: Limits.maxOutputPlaces, max: Limits.maxOutput)
            total = try sum(total, product(AllocationArithmetic.trimmed(benchmark.benchmark), output, id), id)
        }
        return total
    }

    static func product(_ a: ExactDecimal, _ b: ExactDecimal, _ id: String) throws(AllocationError) -> ExactDecimal {
        do { return try a.multiplied(by: b) } catch { throw AllocationError(.limitExceeded, "\(id): the amounts are too large to compute exactly") }
    }

    static func sum(_ a: ExactDecimal, _ b: ExactDecimal, _ id: String) throws(AllocationError) -> ExactDecimal {
        do { return try a.adding(b) } catch { throw AllocationError(.limitExceeded, "\(id): the amounts are too large to compute exactly") }
    }
}

/// What a plan with a reserve puts beside its free allocation: the total is the free
/// allocation plus the reserve, the reserve is `reserve_share` of the total, and the paid
/// allocation (`paid_allocation.share` of the total) is sold out of the reserve in the
/// exchange's one-way auction:
///
///     reserve_t = round(allocated_t × s / (1 − s))      (so reserve_t ≈ s × total_t)
///     total_t   = allocated_t + reserve_t
///     auction_t = round(paid_share × total_t)           (never above reserve_t)
///
/// Rounded half up, once each. The auction itself is announced on the exchange by the
/// regulator (`AllocationSupply.auctionTerms`); the reserve is not issued by the cycle yet.
public struct AllocationSupply: Hashable, Codable, Sendable {
    public var allocatedT: Int64
    public var reserveT: Int64
    public var totalT: Int64
    public var auctionT: Int64
    /// CNY/t, 2 decimals; nil without a paid allocation.
    public var auctionFloorPrice: ExactDecimal?

    public init(allocatedT: Int64, reserveT: Int64, totalT: Int64, auctionT: Int64, auctionFloorPrice: ExactDecimal?) {
        self.allocatedT = allocatedT
        self.reserveT = reserveT
        self.totalT = totalT
        self.auctionT = auctionT
        self.auctionFloorPrice = auctionFloorPrice
    }

    enum CodingKeys: String, CodingKey {
        case allocatedT = "allocated_t"
        case reserveT = "reserve_t"
        case totalT = "total_t"
        case auctionT = "auction_t"
        case auctionFloorPrice = "auction_floor_price"
    }

    /// nil for a plan without a reserve share.
    public static func compute(plan: AllocationPlan, allocatedT: Int64) throws(AllocationError) -> AllocationSupply? {
        guard let share = plan.reserveShare.map({ AllocationArithmetic.trimmed($0.value) }) else { return nil }
        precondition(allocatedT >= 0 && share < ExactDecimal(1), "a validated plan and a non-negative allocation")
        let denominator = ExactDecimal.power(share.scale) - share.mantissa  // (1 − s) × 10^scale
        let reserve: ExactDecimal
        do {
            reserve = try ExactDecimal(allocatedT).multiplied(by: ExactDecimal(mantissa: share.mantissa, scale: 0))
                .divided(by: denominator, roundingTo: 0)
        } catch {
            throw AllocationError(.limitExceeded, "the reserve of \(allocatedT) t is too large to compute exactly")
        }
        let reserveT = try AllocationArithmetic.roundedTonnes(reserve)
        let (totalT, overflow) = allocatedT.addingReportingOverflow(reserveT)
        guard !overflow else { throw AllocationError(.limitExceeded, "the plan's total is too large") }
        var auctionT: Int64 = 0
        if let paid = plan.paidAllocation {
            auctionT = try AllocationArithmetic.roundedTonnes(AllocationArithmetic.times(paid.share, totalT))
            // paid share ≤ reserve share: round(p × total) never exceeds round(s × total) ≈ reserve.
            auctionT = min(auctionT, reserveT)
        }
        return AllocationSupply(
            allocatedT: allocatedT, reserveT: reserveT, totalT: totalT, auctionT: auctionT, auctionFloorPrice: plan.paidAllocation?.floorPrice)
    }
}
