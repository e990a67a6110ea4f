extension AllocationPlan.LoadFactorFunction {
    /// A `power` segment's factor is irrational in general (1.015^1.6), so it is the one value
    /// rounded before the final figure: half up to this many decimals, from an 18-decimal
    /// fixed-point evaluation (error below 10^-16). Every other factor is exact.
    public static let powerPlaces = 10

    /// The correction factor at load factor `load` (0 ≤ F), from the segment holding F.
    public func factor(at load: ExactDecimal) throws(AllocationError) -> ExactDecimal {
        guard let segment = segments.first(where: { $0.from <= load && ($0.to.map { load < $0 } ?? true) }) else {
            throw AllocationError(.invalidPlan, "the load-factor function has no segment for F = \(load)")
        }
        let value: ExactDecimal
        do {
            switch (segment.kind, segment.constant, segment.coefficient, segment.pivot) {
            case (.constant, let constant?, _, _):
                value = constant
            case (.linear, let constant?, let coefficient?, let pivot?):
                // constant + coefficient × (pivot − 100 × F)
                let distance = try pivot.adding(ExactDecimal(-100).multiplied(by: load))
                value = try constant.adding(coefficient.multiplied(by: distance))
            case (.power, _, _, _):
                // base ^ (exponent_constant − exponent_slope × F)
                guard let base = segment.base, let constant = segment.exponentConstant, let slope = segment.exponentSlope else {
                    throw AllocationError(.invalidPlan, "the power segment from \(segment.from) lacks base or exponent terms")
                }
                let exponent = try constant.adding(ExactDecimal(mantissa: -slope.mantissa, scale: slope.scale).multiplied(by: load))
                value = try AllocationFixedPoint.power(base, exponent).rounded(to: Self.powerPlaces)
            default:
                throw AllocationError(.invalidPlan, "the \(segment.kind.rawValue) segment from \(segment.from) lacks its terms")
            }
        } catch let error as AllocationError {
            throw error
        } catch {
            throw AllocationError(.limitExceeded, "the load-factor correction at F = \(load) is too large to compute exactly")
        }
        let bounds = AllocationPlan.Limits.minCorrection...AllocationPlan.Limits.maxCorrection
        guard bounds.contains(value) else {
            throw AllocationError(.invalidPlan, "the load-factor correction at F = \(load) is \(value), outside \(bounds.lowerBound)-\(bounds.upperBound)")
        }
        return AllocationArithmetic.trimmed(value)
    }

    /// Segments cover F ≥ 0 in order, without gaps or overlaps, each with its kind's fields.
    func validate(_ fail: (String) -> AllocationError) throws(AllocationError) {
        guard !segments.isEmpty, segments.count <= AllocationPlan.Limits.maxSegments else {
            throw fail("the load-factor function needs 1-\(AllocationPlan.Limits.maxSegments) segments")
        }
        let ordered = segments.sorted { $0.from < $1.from }
        guard ordered[0].from == .zero else { throw fail("the load-factor function must start at F = 0") }
        for (index, segment) in ordered.enumerated() {
            let at = "load-factor segment from \(segment.from)"
            if index + 1 < ordered.count {
                guard let to = segment.to, to == ordered[index + 1].from else {
                    throw fail("\(at) must end where the next one starts (\(ordered[index + 1].from))")
                }
            } else if segment.to != nil {
                throw fail("the last load-factor segment must have no upper bound")
            }
            let term = ExactDecimal(-1000)...ExactDecimal(1000)
            switch segment.kind {
            case .constant:
                guard let constant = segment.constant else { throw fail("\(at): a constant segment needs constant") }
                try AllocationPlan.check(constant, "\(at) constant", AllocationPlan.Limits.minCorrection...AllocationPlan.Limits.maxCorrection, fail)
            case .linear:
                guard let constant = segment.constant, let coefficient = segment.coefficient, let pivot = segment.pivot else {
                    throw fail("\(at): a linear segment needs constant, coefficient and pivot")
                }
                try AllocationPlan.check(constant, "\(at) constant", term, fail)
                try AllocationPlan.check(coefficient, "\(at) coefficient", term, fail)
                try AllocationPlan.check(pivot, "\(at) pivot", term, fail)
            case .power:
                guard let base = segment.base, let constant = segment.exponentConstant, let slope = segment.exponentSlope else {
                    throw fail("\(at): a power segment needs base, exponent_constant and exponent_slope")
                }
                try AllocationPlan.check(base, "\(at) base", AllocationPlan.Limits.minCorrection...AllocationPlan.Limits.maxCorrection, fail)
                let exponentTerm = ExactDecimal(-50)...AllocationPlan.Limits.maxExponentTerm
                try AllocationPlan.check(constant, "\(at) exponent_constant", exponentTerm, fail)
                try AllocationPlan.check(slope, "\(at) exponent_slope", exponentTerm, fail)
            }
        }
    }
}

/// base^exponent on 18-decimal fixed point (Int128): exp(exponent × ln(base)), by series that
/// stop when a term vanishes. Deterministic integer arithmetic; no floating point.
enum AllocationFixedPoint {
    static let one: Int128 = 1_000_000_000_000_000_000

    /// Inputs: base in [0.5, 2], |exponent| ≤ 110 with at most 18 decimals. Results far from
    /// [0.37, 2.72] are not computed (they are outside any plausible correction anyway).
    static func power(_ base: ExactDecimal, _ exponent: ExactDecimal) throws(DecimalOverflow) -> ExactDecimal {
        precondition(base.scale <= 18 && exponent.scale <= 18 && base.mantissa > 0)
        let z = try fixed(exponent).multipliedReportingOverflow(by: logarithm(fixed(base)))
        guard !z.overflow else { throw DecimalOverflow() }
        let product = z.partialValue / one
        guard product.magnitude <= one.magnitude else { throw DecimalOverflow() }
        return ExactDecimal(mantissa: exponential(product), scale: 18)
    }

    static func fixed(_ value: ExactDecimal) throws(DecimalOverflow) -> Int128 { try value.mantissa(at: 18) }

    /// ln(x) = 2 atanh((x − 1)/(x + 1)), x in [0.5, 2] so |y| ≤ 1/3.
    static func logarithm(_ x: Int128) -> Int128 {
        precondition(x >= one / 2 && x <= 2 * one)
        let y = (x - one) * one / (x + one)
        let ySquared = y * y / one
        var term = y
        var sum = y
        var k: Int128 = 3
        while term != 0 {
            term = term * ySquared / one
            sum += term / k
            k += 2
        }
        return 2 * sum
    }

    /// e^z for |z| ≤ 1 by its Taylor series.
    static func exponential(_ z: Int128) -> Int128 {
        precondition(z.magnitude <= one.magnitude)
        var term = one
        var sum = one
        var k: Int128 = 1
        while term != 0 {
            term = term * z / one / k
            sum += term
            k += 1
        }
        return sum
    }
}
