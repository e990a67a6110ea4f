/// Stable codes of the allocation and compliance calculators: a caller may branch on them,
/// so a code is never renamed or reused.
public enum AllocationErrorCode: String, Codable, Sendable, CaseIterable {
    /// Not the calculator's JSON (shape or types), or unreadable.
    case invalidInput = "INVALID_INPUT"
    /// `"plan": "…"` names no shipped plan.
    case unknownPlan = "UNKNOWN_PLAN"
    /// A plan object that breaks a plan rule (ranges, coverage of the load-factor function, dates).
    case invalidPlan = "INVALID_PLAN"
    /// A unit category the plan does not define.
    case unknownCategory = "UNKNOWN_CATEGORY"
    /// A cooling type other than "water" or "air".
    case unknownCooling = "UNKNOWN_COOLING"
    /// A holding type other than "CEA" or "CCER".
    case unknownUnitType = "UNKNOWN_UNIT_TYPE"
    /// A vintage that is not "YYYY" or "YYYY-YYYY".
    case invalidVintage = "INVALID_VINTAGE"
    /// A field the rule needs is absent.
    case missingField = "MISSING_FIELD"
    /// A quantity, price or amount below zero where none may be.
    case negativeValue = "NEGATIVE_VALUE"
    /// Not a decimal string, too many decimals, an empty id, a malformed date.
    case invalidValue = "INVALID_VALUE"
    /// Beyond a named plausibility limit (`AllocationCalculator.Limits`, `ComplianceCalculator.Limits`).
    case outOfRange = "OUT_OF_RANGE"
    /// An id given twice in one request.
    case duplicateId = "DUPLICATE_ID"
    /// Too many items in one request, or amounts too large to compute exactly.
    case limitExceeded = "LIMIT_EXCEEDED"
    /// Cycle: a facility's entity account or its province's account is not in the registry,
    /// or is not an entity / provincial account.
    case unknownAccount = "UNKNOWN_ACCOUNT"
    /// Cycle: a facility's province is not its entity account's province.
    case provinceMismatch = "PROVINCE_MISMATCH"
    /// Cycle: an entity, provincial or national account is blocked or closed.
    case accountNotOpen = "ACCOUNT_NOT_OPEN"
    /// Cycle: the year is not the plan's year.
    case yearMismatch = "YEAR_MISMATCH"
    /// Cycle: a stage asked for before the stage it needs (true-up before pre-allocation).
    case stageOrder = "STAGE_ORDER"
    /// Cycle: the true-up's facilities do not add up to what the pre-allocation allocated.
    case preAllocationMismatch = "PRE_ALLOCATION_MISMATCH"
    /// Compliance: a price-multiple penalty is due but the exchange has no allowance deal in
    /// the month before the surrender deadline.
    case noMonthPrice = "NO_MONTH_PRICE"
    /// Compliance: a penalty notice does not exist, or its status does not allow the change.
    case unknownNotice = "UNKNOWN_NOTICE"
    case noticeStatus = "NOTICE_STATUS"
    /// A product line the plan has no benchmark for.
    case unknownProduct = "UNKNOWN_PRODUCT"
    /// Plan store: the plan version's status does not allow the change (publishing a version
    /// that is not a draft, or a draft older than the published version).
    case planStatus = "PLAN_STATUS"
    /// Plan store: the loaded plan is the same as the latest stored version of its id.
    case planUnchanged = "PLAN_UNCHANGED"
    /// Cycle: the reserve stage for a plan without a `reserve_share`.
    case noReserve = "NO_RESERVE"
    /// Cycle: the auction stage for a plan without a `paid_allocation` (or with nothing to sell).
    case noPaidAllocation = "NO_PAID_ALLOCATION"
    /// Cycle: the exchange lists no instrument of the year's allowance unit type.
    case noInstrument = "NO_INSTRUMENT"
    /// Cycle (`--from-mrv`): a facility has no verified figure for the year on the MRV
    /// platform (no annual report, or one not yet approved by the three-level review).
    case noVerifiedFigure = "NO_VERIFIED_FIGURE"
    /// Cycle (API): no longer given. The API once refused the facilities as a list together
    /// with `source: mrv`; both is now the CLI's `--from-mrv --input`. Kept so the code is not
    /// reused for another meaning.
    case sourceConflict = "SOURCE_CONFLICT"
}

public struct AllocationError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: AllocationErrorCode
    public var message: String

    public init(_ code: AllocationErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Decimals travel as JSON strings ("0.7910"), never as JSON numbers (which decoders read
/// through binary floating point). The string keeps its scale.
extension ExactDecimal: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = ExactDecimal(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a decimal string (at most 12 decimals)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// `"plan": "power-2024"` (a shipped plan) or `"plan": {…}` (a whole plan object).
public enum PlanReference: Hashable, Codable, Sendable {
    case id(String)
    case plan(AllocationPlan)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(String.self) {
            self = .id(id)
        } else {
            self = .plan(try container.decode(AllocationPlan.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .id(let id): try container.encode(id)
        case .plan(let plan): try container.encode(plan)
        }
    }

    /// The plan this reference names, validated.
    public func resolve(in plans: [AllocationPlan]) throws(AllocationError) -> AllocationPlan {
        switch self {
        case .id(let id):
            guard let plan = plans.first(where: { $0.id == id }) else {
                let known = plans.map(\.id).joined(separator: ", ")
                throw AllocationError(.unknownPlan, "no allocation plan '\(id)' (shipped: \(known))")
            }
            try plan.validate()
            return plan
        case .plan(let plan):
            try plan.validate()
            return plan
        }
    }
}

/// Exact whole-tonne helpers for the calculators. Every rounding is named here.
enum AllocationArithmetic {
    /// `ratio × tonnes`, exact.
    static func times(_ ratio: ExactDecimal, _ tonnes: Int64) throws(AllocationError) -> ExactDecimal {
        do {
            return try ratio.multiplied(by: ExactDecimal(tonnes))
        } catch {
            throw AllocationError(.limitExceeded, "\(ratio) × \(tonnes) is too large to compute exactly")
        }
    }

    /// Rounded half up (away from zero on ties) to whole tonnes.
    static func roundedTonnes(_ value: ExactDecimal) throws(AllocationError) -> Int64 {
        do {
            let whole = try value.rounded(to: 0).mantissa
            guard let tonnes = Int64(exactly: whole) else { throw DecimalOverflow() }
            return tonnes
        } catch {
            throw AllocationError(.limitExceeded, "\(value) t is too large for whole tonnes")
        }
    }

    /// Rounded down to whole tonnes; only for values that are not negative.
    static func flooredTonnes(_ value: ExactDecimal) throws(AllocationError) -> Int64 {
        precondition(!value.isNegative, "floor is only used on non-negative amounts")
        guard let tonnes = Int64(exactly: value.mantissa / ExactDecimal.power(value.scale)) else {
            throw AllocationError(.limitExceeded, "\(value) t is too large for whole tonnes")
        }
        return tonnes
    }

    /// The same value with trailing fractional zeros dropped ("1.2500" → "1.25").
    static func trimmed(_ value: ExactDecimal) -> ExactDecimal {
        var mantissa = value.mantissa
        var scale = value.scale
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10
            scale -= 1
        }
        return ExactDecimal(mantissa: mantissa, scale: scale)
    }

    /// Parses a decimal string field: not negative, at most `places` decimals (trailing zeros
    /// aside), at most `max`.
    static func decimal(
        _ text: String, _ field: String, at: String, places: Int, max: ExactDecimal
    ) throws(AllocationError) -> ExactDecimal {
        guard let parsed = ExactDecimal(text) else {
            throw AllocationError(.invalidValue, "\(at): \(field) '\(text)' is not a decimal string (digits, optional point; no exponent)")
        }
        let value = trimmed(parsed)
        guard !value.isNegative else { throw AllocationError(.negativeValue, "\(at): \(field) \(text) is negative") }
        guard value.scale <= places else {
            throw AllocationError(.invalidValue, "\(at): \(field) \(text) has more than \(places) decimals")
        }
        guard value <= max else {
            throw AllocationError(.outOfRange, "\(at): \(field) \(text) is beyond the plausible maximum \(max)")
        }
        return value
    }

    /// A whole-tonne field: present, not negative, at most `max`.
    static func tonnes(_ value: Int64?, _ field: String, at: String, max: Int64) throws(AllocationError) -> Int64 {
        guard let value else { throw AllocationError(.missingField, "\(at): \(field) is missing") }
        guard value >= 0 else { throw AllocationError(.negativeValue, "\(at): \(field) \(value) is negative") }
        guard value <= max else {
            throw AllocationError(.outOfRange, "\(at): \(field) \(value) is beyond the plausible maximum \(max) t")
        }
        return value
    }

    /// "2024-12-31": a real calendar date in that exact form.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count == 4, parts[1].utf8.count == 2, parts[2].utf8.count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = month == 2 ? (leap ? 29 : 28) : ([4, 6, 9, 11].contains(month) ? 30 : 31)
        return (1...days).contains(day)
    }
}
