/// A plan's JSON. The plan type is `"type"` (an older plan object's `"method"` is read too;
/// both given and different is an error); absent, the type is `output_benchmark`. The power
/// fields (categories, output basis, cooling and load-factor corrections, gas cap, coal floor)
/// belong to `output_benchmark` plans only: another type that carries one is refused rather
/// than the field ignored, and is written without them.
extension AllocationPlan {
    /// Fields only an `output_benchmark` plan has.
    static let powerOnlyKeys: [CodingKeys] = [
        .categories, .electricityOutput, .heatSupplyCorrection, .airCoolingFactor, .loadFactorCorrection, .gasCap, .coalFloorRatio,
    ]

    /// The neutral corrections a plan of another type carries in memory (never used, never written).
    static let noCooling = Factor(value: ExactDecimal(1), verified: true, note: "not used by this plan type")
    static let noLoadCorrection = LoadFactorFunction(
        segments: [LoadSegment(from: .zero, to: nil, kind: .constant, constant: ExactDecimal(1))], verified: true,
        note: "not used by this plan type")

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(Method.self, forKey: .type)
        let legacy = try c.decodeIfPresent(Method.self, forKey: .method)
        if let type, let legacy, type != legacy {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "type \(type.rawValue) and method \(legacy.rawValue) disagree (give \"type\" only)")
        }
        let method = type ?? legacy ?? .outputBenchmark
        if method != .outputBenchmark {
            for key in Self.powerOnlyKeys where c.contains(key) {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(key.stringValue) belongs to output_benchmark plans, not to type \(method.rawValue)")
            }
        }
        let power = method == .outputBenchmark
        self.init(
            id: try c.decode(String.self, forKey: .id), version: try c.decode(Int.self, forKey: .version),
            year: try c.decode(Int.self, forKey: .year), sector: try c.decode(String.self, forKey: .sector), method: method,
            source: try c.decode(String.self, forKey: .source),
            categories: power ? try c.decode([UnitCategory].self, forKey: .categories) : [],
            electricityOutput: power ? try c.decode(ElectricityOutput.self, forKey: .electricityOutput) : .generation,
            heatSupplyCorrection: power ? try c.decode(Bool.self, forKey: .heatSupplyCorrection) : false,
            airCoolingFactor: power ? try c.decode(Factor.self, forKey: .airCoolingFactor) : Self.noCooling,
            loadFactorCorrection: power ? try c.decode(LoadFactorFunction.self, forKey: .loadFactorCorrection) : Self.noLoadCorrection,
            preAllocationRatio: try c.decode(ExactDecimal.self, forKey: .preAllocationRatio),
            gasCap: power ? try c.decode(Bool.self, forKey: .gasCap) : false,
            coalFloorRatio: power ? try c.decodeIfPresent(ExactDecimal.self, forKey: .coalFloorRatio) : nil,
            borrowing: try c.decode(Borrowing.self, forKey: .borrowing), carryOver: try c.decode(CarryOver.self, forKey: .carryOver),
            offsets: try c.decode(Offsets.self, forKey: .offsets), penalty: try c.decode(PenaltyRegime.self, forKey: .penalty),
            deadlines: try c.decode(Deadlines.self, forKey: .deadlines), notes: try c.decode([String].self, forKey: .notes),
            trueUpDebt: try c.decodeIfPresent(TrueUpDebt.self, forKey: .trueUpDebt),
            products: try c.decodeIfPresent([ProductBenchmark].self, forKey: .products),
            baseYears: try c.decodeIfPresent([Int].self, forKey: .baseYears),
            controlFactor: try c.decodeIfPresent(Factor.self, forKey: .controlFactor),
            declineRate: try c.decodeIfPresent(Factor.self, forKey: .declineRate),
            marketAdjustmentFactor: try c.decodeIfPresent(Factor.self, forKey: .marketAdjustmentFactor),
            reserveShare: try c.decodeIfPresent(Factor.self, forKey: .reserveShare),
            paidAllocation: try c.decodeIfPresent(PaidAllocation.self, forKey: .paidAllocation))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(version, forKey: .version)
        try c.encode(year, forKey: .year)
        try c.encode(sector, forKey: .sector)
        try c.encode(method, forKey: .type)
        try c.encode(source, forKey: .source)
        if method == .outputBenchmark {
            try c.encode(categories, forKey: .categories)
            try c.encode(electricityOutput, forKey: .electricityOutput)
            try c.encode(heatSupplyCorrection, forKey: .heatSupplyCorrection)
            try c.encode(airCoolingFactor, forKey: .airCoolingFactor)
            try c.encode(loadFactorCorrection, forKey: .loadFactorCorrection)
            try c.encode(gasCap, forKey: .gasCap)
            try c.encodeIfPresent(coalFloorRatio, forKey: .coalFloorRatio)
        }
        try c.encode(preAllocationRatio, forKey: .preAllocationRatio)
        try c.encode(borrowing, forKey: .borrowing)
        try c.encode(carryOver, forKey: .carryOver)
        try c.encode(offsets, forKey: .offsets)
        try c.encode(penalty, forKey: .penalty)
        try c.encode(deadlines, forKey: .deadlines)
        try c.encode(notes, forKey: .notes)
        try c.encodeIfPresent(trueUpDebt, forKey: .trueUpDebt)
        try c.encodeIfPresent(products, forKey: .products)
        try c.encodeIfPresent(baseYears, forKey: .baseYears)
        try c.encodeIfPresent(controlFactor, forKey: .controlFactor)
        try c.encodeIfPresent(declineRate, forKey: .declineRate)
        try c.encodeIfPresent(marketAdjustmentFactor, forKey: .marketAdjustmentFactor)
        try c.encodeIfPresent(reserveShare, forKey: .reserveShare)
        try c.encodeIfPresent(paidAllocation, forKey: .paidAllocation)
    }
}
