/// One emission factor: kg CO2e per unit of activity, with where it comes from.
public struct EmissionFactor: Hashable, Codable, Sendable {
    /// kg CO2e per `unit`, a decimal string.
    public var kgPerUnit: String
    public var unit: String
    public var source: String
    public var verified: Bool

    public init(kgPerUnit: String, unit: String, source: String, verified: Bool) {
        self.kgPerUnit = kgPerUnit
        self.unit = unit
        self.source = source
        self.verified = verified
    }

    enum CodingKeys: String, CodingKey {
        case unit, source, verified
        case kgPerUnit = "kg_per_unit"
    }
}

/// The factors of the event calculator as data, versioned. Keys: `travel.{mode}`,
/// `electricity.grid`, `hotel.room_night`. A regulator or platform replaces the table
/// (`openets ccer neutrality --factors FILE`) without a release.
public struct NeutralityFactors: Hashable, Codable, Sendable {
    public var version: Int
    public var note: String
    public var factors: [String: EmissionFactor]

    public init(version: Int, note: String, factors: [String: EmissionFactor]) {
        self.version = version
        self.note = note
        self.factors = factors
    }

    static func travel(_ kg: String, _ what: String) -> EmissionFactor {
        EmissionFactor(
            kgPerUnit: kg, unit: "passenger-km",
            source: "[unverified] placeholder of the usual order of magnitude for \(what); replace with a sourced table", verified: false)
    }

    /// Version 1. Only the grid factor is sourced; travel and hotel factors are [unverified]
    /// placeholders, kept round on purpose so nobody mistakes them for published values.
    public static let standard = NeutralityFactors(
        version: 1,
        note: "grid factor: DOMAIN.md §4 [rule]; travel and hotel factors [unverified] placeholders",
        factors: [
            "electricity.grid": EmissionFactor(
                kgPerUnit: "0.5703", unit: "kWh",
                source: "national grid emission factor 0.5703 tCO2/MWh for 2022 data (MEE; DOMAIN.md §4 [rule]; MRVPolicy seed)",
                verified: true),
            "hotel.room_night": EmissionFactor(
                kgPerUnit: "50", unit: "room-night",
                source: "[unverified] placeholder for one hotel room-night in China; replace with a sourced value", verified: false),
            "travel.air": travel("0.15", "economy air travel without radiative forcing"),
            "travel.high_speed_rail": travel("0.03", "electric high-speed rail"),
            "travel.conventional_rail": travel("0.04", "conventional rail"),
            "travel.coach": travel("0.03", "long-distance coach"),
            "travel.city_bus": travel("0.08", "city bus"),
            "travel.metro": travel("0.04", "metro"),
            "travel.car": travel("0.17", "a petrol car with one occupant"),
        ])
}

/// Carbon footprint of an event for its neutralisation: travel by mode and distance, venue
/// electricity and hotel nights, times the factors; exact decimals throughout. The quantity to
/// cancel is the total rounded UP to whole tonnes, so the cancellation always covers it.
///
///     travel_kg   = Σ distance_km × travellers × (2 if round_trip) × factor(travel.{mode})
///     venue_kg    = venue_kwh × factor(electricity.grid)
///     hotel_kg    = hotel_room_nights × factor(hotel.room_night)
///     total_t     = (travel_kg + venue_kg + hotel_kg) / 1000                (exact)
///     cancel_t    = ceiling(total_t)
///     per_attendee_t = total_t / attendees, half up to 3 decimals (display only)
public enum NeutralityCalculator {
    public struct TravelInput: Hashable, Codable, Sendable {
        public var mode: String?
        /// Distance per traveller, km, decimal string: one way, or there and back with `round_trip`.
        public var distanceKm: String?
        /// Default: every attendee.
        public var travellers: Int64?
        /// Doubles the distance. Default false: the distance is all that was travelled.
        public var roundTrip: Bool?

        public init(mode: String?, distanceKm: String?, travellers: Int64? = nil, roundTrip: Bool? = nil) {
            self.mode = mode
            self.distanceKm = distanceKm
            self.travellers = travellers
            self.roundTrip = roundTrip
        }

        enum CodingKeys: String, CodingKey {
            case mode, travellers
            case distanceKm = "distance_km"
            case roundTrip = "round_trip"
        }
    }

    public struct Input: Hashable, Codable, Sendable {
        public var event: String?
        public var attendees: Int64?
        public var travel: [TravelInput]?
        /// Venue electricity, kWh, decimal string.
        public var venueKWh: String?
        public var hotelRoomNights: Int64?

        public init(event: String?, attendees: Int64?, travel: [TravelInput]? = nil, venueKWh: String? = nil, hotelRoomNights: Int64? = nil) {
            self.event = event
            self.attendees = attendees
            self.travel = travel
            self.venueKWh = venueKWh
            self.hotelRoomNights = hotelRoomNights
        }

        enum CodingKeys: String, CodingKey {
            case event, attendees, travel
            case venueKWh = "venue_kwh"
            case hotelRoomNights = "hotel_room_nights"
        }
    }

    public struct Line: Hashable, Codable, Sendable {
        public var item: String
        public var quantity: String
        public var unit: String
        public var factorKey: String
        public var kgPerUnit: String
        public var kgCO2e: String
        public var source: String
        public var verified: Bool

        enum CodingKeys: String, CodingKey {
            case item, quantity, unit, source, verified
            case factorKey = "factor"
            case kgPerUnit = "kg_per_unit"
            case kgCO2e = "kg_co2e"
        }
    }

    public struct Output: Hashable, Codable, Sendable {
        public var event: String
        public var attendees: Int64
        public var lines: [Line]
        public var totalKgCO2e: String
        public var totalTCO2e: String
        public var perAttendeeTCO2e: String
        /// Whole tonnes to buy and cancel voluntarily: the total rounded up.
        public var cancelQuantityT: Int64
        public var factorsVersion: Int
        /// Factor keys used that are [unverified].
        public var unverified: [String]

        enum CodingKeys: String, CodingKey {
            case event, attendees, lines, unverified
            case totalKgCO2e = "total_kg_co2e"
            case totalTCO2e = "total_t_co2e"
            case perAttendeeTCO2e = "per_attendee_t_co2e"
            case cancelQuantityT = "cancel_quantity_t"
            case factorsVersion = "factors_version"
        }
    }

    public enum Limits {
        public static let maxAttendees: Int64 = 10_000_000
        public static let maxTravelLines = 1_000
        /// Per traveller and line, km (about once round the Earth, there and back).
        public static let maxDistanceKm = ExactDecimal(100_000)
        public static let maxVenueKWh = ExactDecimal(10_000_000_000)
        public static let maxHotelRoomNights: Int64 = 100_000_000
        public static let maxEventNameLength = 200
    }

    public static func calculate(_ input: Input, factors: NeutralityFactors = .standard) throws(CCERError) -> Output {
        let event = input.event ?? ""
        guard event.count <= Limits.maxEventNameLength else {
            throw CCERError(.limitExceeded, "event name is longer than maxEventNameLength (\(Limits.maxEventNameLength))")
        }
        guard let attendees = input.attendees else { throw CCERError(.missingField, "attendees is missing") }
        guard attendees > 0, attendees <= Limits.maxAttendees else {
            throw CCERError(.invalidArgument, "attendees must be 1-\(Limits.maxAttendees)")
        }
        let travel = input.travel ?? []
        guard travel.count <= Limits.maxTravelLines else {
            throw CCERError(.limitExceeded, "at most maxTravelLines (\(Limits.maxTravelLines)) travel lines")
        }
        var lines: [(line: Line, kg: ExactDecimal)] = []
        for (index, leg) in travel.enumerated() {
            lines.append(try travelLine(leg, index: index + 1, attendees: attendees, factors: factors))
        }
        if let text = input.venueKWh {
            let kwh = try decimal(text, "venue_kwh", max: Limits.maxVenueKWh)
            lines.append(try line("venue electricity", kwh, "electricity.grid", factors))
        }
        if let nights = input.hotelRoomNights {
            guard nights >= 0, nights <= Limits.maxHotelRoomNights else {
                throw CCERError(.invalidArgument, "hotel_room_nights must be 0-\(Limits.maxHotelRoomNights)")
            }
            lines.append(try line("hotel", ExactDecimal(nights), "hotel.room_night", factors))
        }
        guard !lines.isEmpty else {
            throw CCERError(.missingField, "nothing to count: give travel, venue_kwh or hotel_room_nights")
        }
        return try total(event, attendees, lines, factors)
    }

    private static func travelLine(
        _ leg: TravelInput, index: Int, attendees: Int64, factors: NeutralityFactors
    ) throws(CCERError) -> (line: Line, kg: ExactDecimal) {
        guard let mode = leg.mode else { throw CCERError(.missingField, "travel \(index): mode is missing") }
        guard let text = leg.distanceKm else { throw CCERError(.missingField, "travel \(index): distance_km is missing") }
        let key = "travel.\(mode)"
        guard factors.factors[key] != nil else {
            let known = factors.factors.keys.filter { $0.hasPrefix("travel.") }.map { String($0.dropFirst(7)) }.sorted()
            throw CCERError(.unknownTravelMode, "travel \(index): mode '\(mode)' is not one of \(known.joined(separator: ", "))")
        }
        let distance = try decimal(text, "travel \(index) distance_km", max: Limits.maxDistanceKm)
        let travellers = leg.travellers ?? attendees
        guard travellers >= 1, travellers <= Limits.maxAttendees else {
            throw CCERError(.invalidArgument, "travel \(index): travellers must be 1-\(Limits.maxAttendees)")
        }
        let trips: Int64 = leg.roundTrip == true ? 2 : 1
        let passengerKm = try exact { () throws(DecimalOverflow) in try distance.multiplied(by: ExactDecimal(travellers * trips)) }
        return try line("travel \(index) \(mode)", passengerKm, key, factors)
    }

    private static func line(
        _ item: String, _ quantity: ExactDecimal, _ key: String, _ factors: NeutralityFactors
    ) throws(CCERError) -> (line: Line, kg: ExactDecimal) {
        guard let factor = factors.factors[key] else { throw CCERError(.unknownFactor, "the factor table v\(factors.version) has no \(key)") }
        guard let perUnit = ExactDecimal(factor.kgPerUnit), !perUnit.isNegative else {
            throw CCERError(.invalidArgument, "factor \(key) '\(factor.kgPerUnit)' is not a non-negative decimal")
        }
        let kg = try exact { () throws(DecimalOverflow) in try quantity.multiplied(by: perUnit) }
        let line = Line(
            item: item, quantity: trimmed(quantity).description, unit: factor.unit, factorKey: key, kgPerUnit: factor.kgPerUnit,
            kgCO2e: trimmed(kg).description, source: factor.source, verified: factor.verified)
        return (line, kg)
    }

    private static func total(
        _ event: String, _ attendees: Int64, _ lines: [(line: Line, kg: ExactDecimal)], _ factors: NeutralityFactors
    ) throws(CCERError) -> Output {
        var kg = ExactDecimal.zero
        for value in lines.map(\.kg) {
            kg = try exact { () throws(DecimalOverflow) in try kg.adding(value) }
        }
        guard kg.scale + 3 <= ExactDecimal.maxScale else { throw CCERError(.limitExceeded, "too many decimal places to convert to tonnes") }
        let tonnes = ExactDecimal(mantissa: kg.mantissa, scale: kg.scale + 3)
        let cancel = ceiling(tonnes)
        guard cancel <= Int128(Int64.max) else { throw CCERError(.limitExceeded, "the total is too large") }
        let perAttendee = try exact { () throws(DecimalOverflow) in try tonnes.divided(by: Int128(attendees), roundingTo: 3) }
        let unverified = Set(lines.filter { !$0.line.verified }.map(\.line.factorKey)).sorted()
        return Output(
            event: event, attendees: attendees, lines: lines.map(\.line), totalKgCO2e: trimmed(kg).description,
            totalTCO2e: trimmed(tonnes).description, perAttendeeTCO2e: perAttendee.description, cancelQuantityT: Int64(cancel),
            factorsVersion: factors.version, unverified: unverified)
    }

    /// The smallest integer not below a non-negative decimal.
    static func ceiling(_ value: ExactDecimal) -> Int128 {
        precondition(!value.isNegative)
        let unit = ExactDecimal.power(value.scale)
        let (quotient, remainder) = value.mantissa.quotientAndRemainder(dividingBy: unit)
        return remainder > 0 ? quotient + 1 : quotient
    }

    /// The same value without trailing fractional zeros ("12.500" → "12.5").
    static func trimmed(_ value: ExactDecimal) -> ExactDecimal {
        var mantissa = value.mantissa
        var scale = value.scale
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10
            scale -= 1
        }
        return ExactDecimal(mantissa: mantissa, scale: scale)
    }

    private static func decimal(_ text: String, _ field: String, max: ExactDecimal) throws(CCERError) -> ExactDecimal {
        guard let value = ExactDecimal(text), !value.isNegative else {
            throw CCERError(.invalidArgument, "\(field) '\(text)' is not a non-negative decimal (at most \(ExactDecimal.maxParsedScale) decimals)")
        }
        guard value <= max else { throw CCERError(.limitExceeded, "\(field) is over \(max)") }
        return value
    }

    private static func exact<T>(_ body: () throws(DecimalOverflow) -> T) throws(CCERError) -> T {
        do {
            return try body()
        } catch {
            throw CCERError(.limitExceeded, "the numbers are too large to compute exactly")
        }
    }
}
