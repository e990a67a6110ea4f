extension AllocationPlan {
    /// The power-sector plans shipped with OpenETS, 2023 and 2024 (seed 003 table 2 and §2.2.3,
    /// §2.2.7; DOMAIN.md §5-6). A regulator's corrected plan replaces them as data.
    public static let seed: [AllocationPlan] = [power(2023), power(2024)]

    /// Every shipped plan: the power plans (`seed`); steel, cement and aluminium 2024
    /// (verified emissions, seed 003); one example per pilot-style plan type with made-up
    /// numbers (ids `example-…`). A plan published in the store replaces the shipped plan of
    /// its id (docs/allocation.md, "Plans in the store").
    public static let shipped: [AllocationPlan] = seed + ["steel", "cement", "aluminium"].map(industry2024) + examples

    private static func decimal(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(text) else { preconditionFailure("seed decimal '\(text)'") }
        return value
    }

    /// Benchmarks by year: electricity tCO2/MWh, heat tCO2/GJ [seed 003 table 2].
    private static func categories(_ year: Int) -> [UnitCategory] {
        let is2023 = year == 2023
        let coalHeat = decimal(is2023 ? "0.1038" : "0.1033")
        let coalHeatBalance = is2023 ? decimal("0.1041") : nil
        return [
            UnitCategory(
                id: "coal_gt300", name: "conventional coal, above 300 MW class", fuel: .coal,
                electricityBenchmark: decimal(is2023 ? "0.7950" : "0.7910"), heatBenchmark: coalHeat,
                electricityBalance: is2023 ? decimal("0.7982") : nil, heatBalance: coalHeatBalance,
                coolingCorrection: true, loadFactorCorrection: true),
            UnitCategory(
                id: "coal_le300", name: "conventional coal, 300 MW class and below", fuel: .coal,
                electricityBenchmark: decimal(is2023 ? "0.8090" : "0.8049"), heatBenchmark: coalHeat,
                electricityBalance: is2023 ? decimal("0.8155") : nil, heatBalance: coalHeatBalance,
                coolingCorrection: true, loadFactorCorrection: true),
            UnitCategory(
                id: "coal_unconventional", name: "unconventional coal (gangue, slurry, coal-water slurry, CFB)", fuel: .coal,
                electricityBenchmark: decimal(is2023 ? "0.8285" : "0.8244"), heatBenchmark: coalHeat,
                electricityBalance: is2023 ? decimal("0.8352") : nil, heatBalance: coalHeatBalance,
                coolingCorrection: true, loadFactorCorrection: false),
            UnitCategory(
                id: "gas", name: "gas", fuel: .gas,
                electricityBenchmark: decimal(is2023 ? "0.3305" : "0.3288"), heatBenchmark: decimal(is2023 ? "0.0536" : "0.0533"),
                electricityBalance: is2023 ? decimal("0.3239") : nil, heatBalance: is2023 ? decimal("0.0525") : nil,
                coolingCorrection: false, loadFactorCorrection: false),
        ]
    }

    /// The 2019-22 function of DOMAIN.md §5 [unverified]: F ≥ 0.85 → 1; 0.80-0.85 →
    /// 1 + 0.0014 × (85 − 100F); 0.75-0.80 → 1.007 + 0.0016 × (80 − 100F); < 0.75 → 1.015^(16 − 20F).
    private static let loadFactor = LoadFactorFunction(
        segments: [
            LoadSegment(from: .zero, to: decimal("0.75"), kind: .power, base: decimal("1.015"), exponentConstant: decimal("16"), exponentSlope: decimal("20")),
            LoadSegment(from: decimal("0.75"), to: decimal("0.80"), kind: .linear, constant: decimal("1.007"), coefficient: decimal("0.0016"), pivot: decimal("80")),
            LoadSegment(from: decimal("0.80"), to: decimal("0.85"), kind: .linear, constant: decimal("1"), coefficient: decimal("0.0014"), pivot: decimal("85")),
            LoadSegment(from: decimal("0.85"), to: nil, kind: .constant, constant: decimal("1")),
        ],
        verified: false,
        note: "[unverified] the 2019-22 plans' function (DOMAIN.md §5); seed 003 says only that coal units with a load factor below 65% get extra allowances in the current plans")

    private static func power(_ year: Int) -> AllocationPlan {
        let next = year + 1
        return AllocationPlan(
            id: "power-\(year)", version: 1, year: year, sector: "power", method: .outputBenchmark,
            source: "seed 003 (EDF/ICAP 2025) table 2, §2.2.3, §2.2.7; DOMAIN.md §5-6",
            categories: categories(year),
            electricityOutput: .generation,
            heatSupplyCorrection: false,
            airCoolingFactor: Factor(
                value: decimal("1.05"), verified: false, note: "[unverified] air-cooled units, value of the 2019-22 plans (DOMAIN.md §5)"),
            loadFactorCorrection: loadFactor,
            preAllocationRatio: decimal("0.70"),
            gasCap: true,
            coalFloorRatio: decimal("0.80"),
            borrowing: Borrowing(
                allowed: false, minGapRatio: decimal("0.10"), maxShareOfGap: decimal("0.50"),
                note: "cycle 2 (2021-22) only: gap >= 10% could borrow up to 50% of the gap [seed 003]"),
            carryOver: CarryOver(
                baseT: 10_000, netSoldMultiplier: decimal("1.5"),
                note: "net allowances sold over vintages 2019-2020 to 2024 (sold - bought) [seed 003]; "
                    + "the excess after the deadline is recorded per entity, its consequence [unverified]",
                excess: .record),
            offsets: Offsets(limitRatio: decimal("0.05"), legacyRegisteredBefore: "2017-03-14", legacyUsableUntil: "2024-12-31"),
            penalty: PenaltyRegime(
                kind: .priceMultiple, minMultiple: decimal("5"), maxMultiple: decimal("10"), deductShortfall: true,
                source: "Interim Regulations from 2024-05-01, from cycle 3 [seed 003 §2.2.7]"),
            deadlines: Deadlines(
                monthlyDataDays: 40, annualReport: "\(next)-03-31", verification: "\(next)-06-30", surrender: "\(next)-12-31",
                preAllocation: nil),
            notes: [
                "allowance = B_elec x generation x cooling x load-factor correction + B_heat x heat supplied [rule]",
                "generation, not supply, since the 2023-24 plans; heat-supply correction removed [rule]",
                "gas cap and coal floor (0.80) for cycles 3-4 [seed 003]",
                "pre-allocation deadline not in the sources",
            ])
    }
}
