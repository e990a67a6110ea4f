extension AllocationPlan {
    /// Named bounds on plan data: a plan outside them is rejected with `INVALID_PLAN`.
    public enum Limits {
        public static let maxCategories = 32
        public static let maxSegments = 16
        public static let maxNotes = 64
        public static let maxIdLength = 64
        /// Most decimals a plan factor, ratio or benchmark may carry (keeps products exact).
        public static let maxPlaces = 6
        public static let years = 2005...2100
        public static let maxElectricityBenchmark = ExactDecimal(2)  // tCO2/MWh
        public static let maxHeatBenchmark = ExactDecimal(1)  // tCO2/GJ
        /// Any correction factor (cooling, load factor) lies within these bounds.
        public static let minCorrection = ExactDecimal(mantissa: 5, scale: 1)
        public static let maxCorrection = ExactDecimal(2)
        public static let maxExponentTerm = ExactDecimal(50)
        public static let maxCarryOverBaseT: Int64 = 1_000_000_000
        public static let maxMultiplier = ExactDecimal(100)
        public static let maxFixedFineCNY = ExactDecimal(1_000_000_000)
        public static let maxMonthlyDataDays = 366
        public static let maxProducts = 64
        /// tCO2 per unit of a product's output.
        public static let maxProductBenchmark = ExactDecimal(100)
        public static let maxBaseYears = 10
        /// Control factor (historical emissions) and market adjustment factor (Hubei).
        public static let maxPlanFactor = ExactDecimal(2)
        /// A decline rate below this (a rate of 1 would allocate nothing).
        public static let maxDeclineRate = ExactDecimal(mantissa: 5, scale: 1)
        /// The reserve is at most this share of the total (pilots kept 5-10 %, seed 001 table 6).
        public static let maxReserveShare = ExactDecimal(mantissa: 5, scale: 1)
        public static let maxFloorPriceCNY = ExactDecimal(100_000)
    }

    /// Checks every plan rule; a shipped or loaded plan is used only after this passes.
    public func validate() throws(AllocationError) {
        func fail(_ message: String) -> AllocationError { AllocationError(.invalidPlan, "plan '\(id)': \(message)") }
        guard !id.isEmpty, id.utf8.count <= Limits.maxIdLength else { throw fail("id must be 1-\(Limits.maxIdLength) characters") }
        guard version >= 1 else { throw fail("version must be at least 1") }
        guard Limits.years.contains(year) else { throw fail("year \(year) outside \(Limits.years)") }
        guard notes.count <= Limits.maxNotes else { throw fail("at most \(Limits.maxNotes) notes") }
        let ratio = ExactDecimal.zero...ExactDecimal(1)
        if method == .outputBenchmark {
            try validateCategories(fail)
            try Self.check(airCoolingFactor.value, "air_cooling_factor", Limits.minCorrection...Limits.maxCorrection, fail)
            try loadFactorCorrection.validate(fail)
            if let coalFloorRatio { try Self.check(coalFloorRatio, "coal_floor_ratio", ratio, fail) }
        } else {
            // The gas cap and coal floor are power rules: another type never applies them.
            guard categories.isEmpty, !gasCap, coalFloorRatio == nil else {
                throw fail("categories, gas_cap and coal_floor_ratio belong to output_benchmark plans, not to \(method.rawValue)")
            }
        }
        try validateTypeParameters(fail)
        try validateSupply(fail)
        try Self.check(preAllocationRatio, "pre_allocation_ratio", ratio, fail)
        try Self.check(borrowing.minGapRatio, "borrowing.min_gap_ratio", ratio, fail)
        try Self.check(borrowing.maxShareOfGap, "borrowing.max_share_of_gap", ratio, fail)
        guard (0...Limits.maxCarryOverBaseT).contains(carryOver.baseT) else {
            throw fail("carry_over.base_t must be 0-\(Limits.maxCarryOverBaseT)")
        }
        try Self.check(carryOver.netSoldMultiplier, "carry_over.net_sold_multiplier", ExactDecimal.zero...Limits.maxMultiplier, fail)
        try Self.check(offsets.limitRatio, "offsets.limit_ratio", ratio, fail)
        for (name, date) in [
            ("offsets.legacy_registered_before", offsets.legacyRegisteredBefore), ("offsets.legacy_usable_until", offsets.legacyUsableUntil),
            ("deadlines.annual_report", deadlines.annualReport), ("deadlines.verification", deadlines.verification),
            ("deadlines.surrender", deadlines.surrender), ("deadlines.pre_allocation", deadlines.preAllocation ?? "2000-01-01"),
        ] where !AllocationArithmetic.isDate(date) {
            throw fail("\(name) '\(date)' is not a date YYYY-MM-DD")
        }
        guard (1...Limits.maxMonthlyDataDays).contains(deadlines.monthlyDataDays) else {
            throw fail("deadlines.monthly_data_days must be 1-\(Limits.maxMonthlyDataDays)")
        }
        try validatePenalty(fail)
    }

    private func validateCategories(_ fail: (String) -> AllocationError) throws(AllocationError) {
        guard !categories.isEmpty, categories.count <= Limits.maxCategories else {
            throw fail("1-\(Limits.maxCategories) unit categories")
        }
        var seen: Set<String> = []
        for category in categories {
            guard !category.id.isEmpty, seen.insert(category.id).inserted else {
                throw fail("category id '\(category.id)' is empty or repeated")
            }
            let at = "category \(category.id)"
            try Self.check(category.electricityBenchmark, "\(at) electricity_benchmark", ExactDecimal.zero...Limits.maxElectricityBenchmark, fail)
            try Self.check(category.heatBenchmark, "\(at) heat_benchmark", ExactDecimal.zero...Limits.maxHeatBenchmark, fail)
            if let balance = category.electricityBalance {
                try Self.check(balance, "\(at) electricity_balance", ExactDecimal.zero...Limits.maxElectricityBenchmark, fail)
            }
            if let balance = category.heatBalance { try Self.check(balance, "\(at) heat_balance", ExactDecimal.zero...Limits.maxHeatBenchmark, fail) }
        }
    }

    /// The parameters the plan type needs, and none that belong to another type.
    private func validateTypeParameters(_ fail: (String) -> AllocationError) throws(AllocationError) {
        let needsProducts = method == .intensityBenchmark || method == .benchmarkMarketAdjustment
        let present: [(String, Bool, Bool)] = [
            ("products", products != nil, needsProducts),
            ("base_years", baseYears != nil, method == .historicalEmissions),
            ("control_factor", controlFactor != nil, method == .historicalEmissions),
            ("decline_rate", declineRate != nil, method == .historicalIntensityDecline),
            ("market_adjustment_factor", marketAdjustmentFactor != nil, method == .benchmarkMarketAdjustment),
        ]
        for (name, given, needed) in present where given != needed {
            throw fail(needed ? "a \(method.rawValue) plan needs \(name)" : "\(name) is not a parameter of a \(method.rawValue) plan")
        }
        if let products {
            guard !products.isEmpty, products.count <= Limits.maxProducts else { throw fail("1-\(Limits.maxProducts) products") }
            var seen: Set<String> = []
            for product in products {
                guard !product.id.isEmpty, product.id.utf8.count <= Limits.maxIdLength, seen.insert(product.id).inserted else {
                    throw fail("product id '\(product.id)' is empty, too long or repeated")
                }
                try Self.check(product.benchmark, "product \(product.id) benchmark", ExactDecimal.zero...Limits.maxProductBenchmark, fail)
            }
        }
        if let baseYears {
            guard !baseYears.isEmpty, baseYears.count <= Limits.maxBaseYears, Set(baseYears).count == baseYears.count,
                baseYears.allSatisfy({ Limits.years.contains($0) && $0 < year })
            else { throw fail("base_years: 1-\(Limits.maxBaseYears) distinct years before \(year)") }
        }
        if let controlFactor { try Self.check(controlFactor.value, "control_factor", ExactDecimal.zero...Limits.maxPlanFactor, fail) }
        if let declineRate { try Self.check(declineRate.value, "decline_rate", ExactDecimal.zero...Limits.maxDeclineRate, fail) }
        if let marketAdjustmentFactor {
            try Self.check(marketAdjustmentFactor.value, "market_adjustment_factor", ExactDecimal.zero...Limits.maxPlanFactor, fail)
        }
    }

    /// The reserve share and the paid allocation, which is sold out of the reserve.
    private func validateSupply(_ fail: (String) -> AllocationError) throws(AllocationError) {
        if let reserveShare { try Self.check(reserveShare.value, "reserve_share", ExactDecimal.zero...Limits.maxReserveShare, fail) }
        guard let paidAllocation else { return }
        guard let reserve = reserveShare?.value else { throw fail("paid_allocation is sold out of the reserve: give reserve_share") }
        try Self.check(paidAllocation.share, "paid_allocation.share", ExactDecimal.zero...reserve, fail)
        guard paidAllocation.floorPrice > .zero, paidAllocation.floorPrice <= Limits.maxFloorPriceCNY,
            AllocationArithmetic.trimmed(paidAllocation.floorPrice).scale <= 2
        else { throw fail("paid_allocation.floor_price \(paidAllocation.floorPrice) must be 0.01-\(Limits.maxFloorPriceCNY) CNY with at most 2 decimals") }
    }

    private func validatePenalty(_ fail: (String) -> AllocationError) throws(AllocationError) {
        switch penalty.kind {
        case .fixedRange:
            guard let low = penalty.fixedMinCNY, let high = penalty.fixedMaxCNY else {
                throw fail("a fixed_range penalty needs fixed_min_cny and fixed_max_cny")
            }
            try Self.check(low, "penalty.fixed_min_cny", ExactDecimal.zero...Limits.maxFixedFineCNY, fail)
            try Self.check(high, "penalty.fixed_max_cny", low...Limits.maxFixedFineCNY, fail)
        case .priceMultiple:
            guard let low = penalty.minMultiple, let high = penalty.maxMultiple else {
                throw fail("a price_multiple penalty needs min_multiple and max_multiple")
            }
            try Self.check(low, "penalty.min_multiple", ExactDecimal.zero...Limits.maxMultiplier, fail)
            try Self.check(high, "penalty.max_multiple", low...Limits.maxMultiplier, fail)
        }
    }
}

extension AllocationPlan {
    /// A plan value: within its range and at most `Limits.maxPlaces` decimals (trailing zeros aside).
    static func check(
        _ value: ExactDecimal, _ name: String, _ range: ClosedRange<ExactDecimal>, _ fail: (String) -> AllocationError
    ) throws(AllocationError) {
        guard range.contains(value) else { throw fail("\(name) \(value) outside \(range.lowerBound)-\(range.upperBound)") }
        guard AllocationArithmetic.trimmed(value).scale <= AllocationPlan.Limits.maxPlaces else {
            throw fail("\(name) \(value) has more than \(AllocationPlan.Limits.maxPlaces) decimals")
        }
    }
}
