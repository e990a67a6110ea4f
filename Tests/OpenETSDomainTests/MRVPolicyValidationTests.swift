import Foundation
import OpenETSDomain
import Testing

/// The MRV policy tables as a regulator's JSON file: the seed round-trips, and a file that is
/// not a complete, consistent set is refused with INVALID_POLICY naming the field.
@Suite("MRV policy tables as data: JSON and validation")
struct MRVPolicyValidationTests {
    func code(_ tables: MRVPolicyTables) -> (MRVErrorCode, String)? {
        do {
            try tables.validate()
            return nil
        } catch {
            return (error.code, error.message)
        }
    }

    @Test func theSeedIsValidAndRoundTripsThroughJSON() throws {
        #expect(code(.seed) == nil)
        let data = try JSONEncoder().encode(MRVPolicyTables.seed)
        let text = String(decoding: data, as: UTF8.self)
        // Decimals travel as strings, keyed dictionaries as objects (a file a person can edit).
        #expect(text.contains(#""gridFactorTPerMWh":"0.5703""#) && text.contains(#""coal_gt300":{"#))
        #expect(try JSONDecoder().decode(MRVPolicyTables.self, from: data) == .seed)
    }

    @Test func limitsPublishedBeforeMaxEvidenceBytesDecodeWithItsDefault() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MRVLimits.defaults)) as! [String: Any]
        #expect(json["maxEvidenceBytes"] as? Int == 32 * 1024 * 1024)
        json["maxEvidenceBytes"] = nil
        let old = try JSONDecoder().decode(MRVLimits.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.maxEvidenceBytes == nil && old.evidenceByteLimit == MRVLimits.defaultMaxEvidenceBytes)
        var tables = MRVPolicyTables.seed
        for i in tables.platform.indices { tables.platform[i].limits = old }
        #expect(code(tables) == nil)
    }

    @Test func eachFaultNamesItsField() throws {
        func expectFault(_ path: String, sourceLocation: SourceLocation = #_sourceLocation, _ change: (inout MRVPolicyTables) throws -> Void) rethrows {
            var tables = MRVPolicyTables.seed
            try change(&tables)
            let fault = code(tables)
            #expect(fault?.0 == .invalidPolicy && fault?.1.hasPrefix(path) == true, "\(String(describing: fault))", sourceLocation: sourceLocation)
        }
        let i2024 = MRVPolicyTables.seed.platform.firstIndex { $0.year == 2024 }!
        let a2022 = MRVPolicyTables.seed.accounting.firstIndex { $0.year == 2022 }!
        expectFault("accounting[2022].fuels.coal.carbonPerGJ") { $0.accounting[a2022].fuels[.coal]!.carbonPerGJ = "0.3" }
        expectFault("accounting[2022].fuels.diesel") { $0.accounting[a2022].fuels[.diesel] = nil }
        expectFault("accounting[2022].gridFactorTPerMWh") { $0.accounting[a2022].gridFactorTPerMWh = "0,57" }
        expectFault("accounting[2022].fuels.natural_gas.oxidation") { $0.accounting[a2022].fuels[.naturalGas]!.oxidation = "1.01" }
        expectFault("accounting") { $0.accounting.append($0.accounting[0]) }
        expectFault("tables") { $0.accounting.removeLast() }
        expectFault("platform[2024].monthlyDueDays") { $0.platform[i2024].monthlyDueDays = 0 }
        try expectFault("platform[2024].verificationDeadlines.paper") {
            $0.platform[i2024].verificationDeadlines[.paper] = try JSONDecoder().decode(MonthDay.self, from: Data(#"{"month":2,"day":30}"#.utf8))
        }
        expectFault("platform[2024].reportDeadlines.aviation") { $0.platform[i2024].reportDeadlines[.aviation] = nil }
        try expectFault("platform[2024].anomaly.heatRateGJPerMWh.gas") {
            $0.platform[i2024].anomaly.heatRateGJPerMWh[.gas] = try JSONDecoder().decode(PlausibleRange.self, from: Data(#"{"low":"9","high":"5"}"#.utf8))
        }
        expectFault("platform[2024].anomaly.severities.copied_month") { $0.platform[i2024].anomaly.severities[.copiedMonth] = nil }
        expectFault("platform[2024].anomaly.gridTolerance") { $0.platform[i2024].anomaly.gridTolerance = ExactDecimal(2) }
        expectFault("platform[2024].rating") { $0.platform[i2024].rating.qualityWeight = ExactDecimal("0.6")! }
        expectFault("platform[2024].process.clinkerFactorDefault") { $0.platform[i2024].process.clinkerFactorDefault = ExactDecimal(2) }
        expectFault("platform[2024].process.materialFactors.electrode") { $0.platform[i2024].process.materialFactors[.electrode] = nil }
        expectFault("platform[2024].limits.maxParameterPlaces") { $0.platform[i2024].limits.maxParameterPlaces = 12 }
        expectFault("platform[2024].limits.maxMonthlyConsumption") { $0.platform[i2024].limits.maxMonthlyConsumption = ExactDecimal(-1) }
        expectFault("platform[2024].limits.maxEvidenceBytes") { $0.platform[i2024].limits.maxEvidenceBytes = 0 }
        expectFault("platform[2024].limits.maxEvidenceBytes") { $0.platform[i2024].limits.maxEvidenceBytes = MRVLimits.maxEvidenceBytesCeiling + 1 }
        expectFault("platform[2024].keyEmitterThresholdT") { $0.platform[i2024].keyEmitterThresholdT = .zero }
    }

    @Test func aNewVersionMayCorrectAYearButNotDropIt() throws {
        var corrected = MRVPolicyTables.seed
        corrected.platform[0].monthlyDueDays = 45
        #expect(throws: Never.self) { try corrected.validate(replacing: .seed) }
        var dropped = MRVPolicyTables.seed
        dropped.accounting.removeFirst()
        dropped.platform.removeFirst()
        #expect(code(dropped) == nil)
        #expect(throws: MRVError(.invalidPolicy, "platform[2019]: the data year would be dropped")) { try dropped.validate(replacing: .seed) }
        // A later year may be added.
        var added = MRVPolicyTables.seed
        var p2025 = added.platform.last!
        p2025.year = 2025
        var a2025 = added.accounting.last!
        a2025.year = 2025
        added.platform.append(p2025)
        added.accounting.append(a2025)
        #expect(throws: Never.self) { try added.validate(replacing: .seed) }
    }
}
