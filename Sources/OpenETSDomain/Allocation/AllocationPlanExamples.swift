extension AllocationPlan {
    private static func value(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(text) else { preconditionFailure("seed decimal '\(text)'") }
        return value
    }

    /// The national rules every plan of a year from 2024 shares: carry-over, offsets, penalty
    /// (seed 003 §2.2.7); borrowing not allowed.
    private static func nationalCompliance(_ carryOverNote: String) -> (Borrowing, CarryOver, Offsets, PenaltyRegime) {
        (
            Borrowing(allowed: false, minGapRatio: value("0.10"), maxShareOfGap: value("0.50"), note: "cycle 2 only [seed 003]"),
            CarryOver(baseT: 10_000, netSoldMultiplier: value("1.5"), note: carryOverNote),
            Offsets(limitRatio: value("0.05"), legacyRegisteredBefore: "2017-03-14", legacyUsableUntil: "2024-12-31"),
            PenaltyRegime(
                kind: .priceMultiple, minMultiple: value("5"), maxMultiple: value("10"), deductShortfall: true,
                source: "Interim Regulations from 2024-05-01 [seed 003 §2.2.7]")
        )
    }

    /// Steel, cement, aluminium 2024: the free allocation equals the verified 2024 emissions
    /// (seed 003, 三个新纳入行业的配额分配); report by 2025-06-30, verification by 2025-08-31,
    /// first surrender by the end of 2025 (seed 003).
    static func industry2024(_ sector: String) -> AllocationPlan {
        let (borrowing, carryOver, offsets, penalty) = nationalCompliance(
            "[unverified] for this sector: the power sector's rule (10,000 t + 1.5 x net sold) [seed 003]")
        return AllocationPlan(
            id: "\(sector)-2024", version: 1, year: 2024, sector: sector, method: .verifiedEmissions,
            source: "seed 003 (EDF/ICAP 2025): 2024 allocation = verified 2024 emissions; MRV deadlines; DOMAIN.md §3, §5-6",
            categories: [], electricityOutput: .generation, heatSupplyCorrection: false, airCoolingFactor: noCooling,
            loadFactorCorrection: noLoadCorrection,
            preAllocationRatio: .zero, gasCap: false, coalFloorRatio: nil,
            borrowing: borrowing, carryOver: carryOver, offsets: offsets, penalty: penalty,
            deadlines: Deadlines(monthlyDataDays: 40, annualReport: "2025-06-30", verification: "2025-08-31", surrender: "2025-12-31", preAllocation: nil),
            notes: [
                "final allocation = verified 2024 emissions of the facility [seed 003]",
                "[unverified] pre_allocation_ratio 0: the sources describe no pre-allocation for 2024; the whole allocation is issued at the true-up",
                "aluminium also covers CF4 and C2F6 [seed 003]: verified_t is the covered total in tCO2e",
            ])
    }

    /// One plan per pilot-style type (DOMAIN.md §5, seed 001 tables 6-8), every number made up.
    static let examples: [AllocationPlan] = [
        example(
            "example-intensity-2025", 2025, "cement", .intensityBenchmark, "intensity benchmark: benchmark per product x output, per product line",
            products: [
                ProductBenchmark(id: "clinker", name: "clinker", unit: "t clinker", benchmark: value("0.8500"), verified: false, note: "[unverified] made-up example"),
                ProductBenchmark(id: "cement", name: "cement grinding", unit: "t cement", benchmark: value("0.0250"), verified: false, note: "[unverified] made-up example"),
            ]),
        example(
            "example-historical-2024", 2024, "industry", .historicalEmissions, "historical emissions: base-period average x control factor",
            baseYears: [2021, 2022, 2023],
            controlFactor: Factor(value: value("0.98"), verified: false, note: "[unverified] made-up example")),
        example(
            "example-intensity-decline-2024", 2024, "paper", .historicalIntensityDecline,
            "historical intensity decline: base intensity x (1 - decline rate) x output",
            declineRate: Factor(value: value("0.02"), verified: false, note: "[unverified] made-up example")),
        example(
            "example-hubei-2024", 2024, "cement", .benchmarkMarketAdjustment,
            "Hubei-style: benchmark x output x market adjustment factor; 8 % reserve, 3 % sold by auction",
            products: [
                ProductBenchmark(id: "clinker", name: "clinker", unit: "t clinker", benchmark: value("0.8500"), verified: false, note: "[unverified] made-up example")
            ],
            marketAdjustmentFactor: Factor(value: value("0.9897"), verified: false, note: "[unverified] made-up example"),
            reserveShare: Factor(
                value: value("0.08"), verified: false,
                note: "[unverified] example; Hubei 2020 kept 0.22 of 2.57 100 Mt as reserve (seed 001 table 6)"),
            paidAllocation: PaidAllocation(
                share: value("0.03"), floorPrice: value("20.00"), verified: false,
                note: "[unverified] example; pilots sold about 5-10 % of the total (seed 001)")),
    ]

    private static func example(
        _ id: String, _ year: Int, _ sector: String, _ method: Method, _ formula: String, products: [ProductBenchmark]? = nil,
        baseYears: [Int]? = nil, controlFactor: Factor? = nil, declineRate: Factor? = nil, marketAdjustmentFactor: Factor? = nil,
        reserveShare: Factor? = nil, paidAllocation: PaidAllocation? = nil
    ) -> AllocationPlan {
        let (borrowing, carryOver, offsets, penalty) = nationalCompliance("[unverified] example: the national rule")
        let next = year + 1
        return AllocationPlan(
            id: id, version: 1, year: year, sector: sector, method: method,
            source: "EXAMPLE with made-up numbers [unverified]: a pilot-style plan type (DOMAIN.md §5, seed 001 tables 6-8)",
            categories: [], electricityOutput: .generation, heatSupplyCorrection: false, airCoolingFactor: noCooling,
            loadFactorCorrection: noLoadCorrection, preAllocationRatio: value("0.70"), gasCap: false, coalFloorRatio: nil,
            borrowing: borrowing, carryOver: carryOver, offsets: offsets, penalty: penalty,
            deadlines: Deadlines(
                monthlyDataDays: 40, annualReport: "\(next)-03-31", verification: "\(next)-06-30", surrender: "\(next)-12-31", preAllocation: nil),
            notes: ["EXAMPLE, not a published plan: every number is made up [unverified]", formula],
            products: products, baseYears: baseYears, controlFactor: controlFactor, declineRate: declineRate,
            marketAdjustmentFactor: marketAdjustmentFactor, reserveShare: reserveShare, paidAllocation: paidAllocation)
    }
}
