/// CSV export (issue 4 §9): facilities and monthly data in the import templates' columns, so an
/// exported file imports again unchanged. UTF-8 text with LF line ends; English or Chinese
/// headers (the first alias of each column); a field is quoted when it holds a comma, a
/// quote, a line break or leading or trailing white space. A template is an export of nothing.
///
/// What the monthly template cannot carry: an evidence file's data item, and a PFC or clinker
/// factor's source (given values import as measured).
extension MRVCSV {
    public static func facilityTemplate(chinese: Bool = false) -> String { exportFacilities([], chinese: chinese) }

    public static func monthlyTemplate(chinese: Bool = false) -> String { exportMonths([], chinese: chinese) }

    /// One row per facility, in the order given.
    public static func exportFacilities(_ facilities: [Facility], chinese: Bool = false) -> String {
        var out = line(FacilityCSVColumn.allCases.map { header($0, chinese) })
        for facility in facilities {
            let fields: [FacilityCSVColumn: String] = [
                .facilityID: facility.id.rawValue, .entityUSCC: facility.entity.rawValue, .name: facility.name, .kind: facility.kind.rawValue,
                .category: facility.power?.category.rawValue ?? "", .capacityMW: facility.power?.capacityMW.description ?? "",
                .cooling: facility.power?.cooling.rawValue ?? "", .fuels: facility.fuels.map(\.rawValue).joined(separator: ";"),
            ]
            out += line(FacilityCSVColumn.allCases.map { fields[$0] ?? "" })
        }
        return out
    }

    /// One row per fuel line (month-level values on the month's first row), plus rows without a
    /// fuel for a month with no fuel lines or more evidence files than fuel lines.
    public static func exportMonths(_ months: [MonthlyData], chinese: Bool = false) -> String {
        var out = line(MonthlyCSVColumn.allCases.map { header($0, chinese) })
        for data in months {
            let rows = max(1, data.fuels.count, data.evidence.count)
            for index in 0..<rows {
                var fields: [MonthlyCSVColumn: String] = [
                    .facilityID: data.facility.rawValue, .year: String(data.year), .month: String(data.month),
                ]
                if index < data.fuels.count { fuelFields(data.fuels[index], &fields) }
                if index == 0 { monthFields(data, &fields) }
                if index < data.evidence.count {
                    fields[.evidenceName] = data.evidence[index].name
                    fields[.evidenceSHA256] = data.evidence[index].sha256
                }
                out += line(MonthlyCSVColumn.allCases.map { fields[$0] ?? "" })
            }
        }
        return out
    }

    static func fuelFields(_ fuel: FuelLine, _ fields: inout [MonthlyCSVColumn: String]) {
        fields[.fuel] = fuel.fuel.rawValue
        fields[.consumption] = fuel.consumption.description
        fields[.unit] = fuel.unit
        tagged(fuel.ncvGJPerUnit, .ncv, .ncvSource, &fields)
        tagged(fuel.oxidation, .oxidation, .oxidationSource, &fields)
        if let carbon = fuel.carbon {
            tagged(carbon.value, .carbon, .carbonSource, &fields)
            fields[.carbonBasis] = carbon.basis.rawValue
            fields[.moistureAR] = carbon.moistureAsReceivedPercent?.description
            fields[.moistureAD] = carbon.moistureAirDriedPercent?.description
        }
    }

    static func monthFields(_ data: MonthlyData, _ fields: inout [MonthlyCSVColumn: String]) {
        let p = data.production
        fields[.generationMWh] = p.generationMWh?.description
        fields[.supplyMWh] = p.supplyMWh?.description
        fields[.heatSuppliedGJ] = p.heatSuppliedGJ?.description
        fields[.loadFactor] = p.loadFactor?.description
        fields[.operatingHours] = p.operatingHours?.description
        fields[.outputT] = p.outputT?.description
        fields[.purchasedMWh] = data.purchasedMWh?.description
        fields[.cf4] = data.pfc?.cf4KgPerT.value?.description
        fields[.c2f6] = data.pfc?.c2f6KgPerT.value?.description
        fields[.clinkerFactor] = data.process?.clinkerFactor?.value?.description
        let columns: [ProcessMaterial: MonthlyCSVColumn] = [.limestone: .limestoneT, .dolomite: .dolomiteT, .electrode: .electrodeT]
        for input in data.process?.inputs ?? [] { fields[columns[input.material]!] = input.quantityT.description }
    }

    /// A tagged value as the importer reads it back: value and source, both empty when absent.
    static func tagged(_ value: TaggedValue?, _ column: MonthlyCSVColumn, _ source: MonthlyCSVColumn, _ fields: inout [MonthlyCSVColumn: String]) {
        guard let value else { return }
        fields[column] = value.value?.description
        fields[source] = value.source.rawValue
    }

    static func header<Column: MRVCSVColumn>(_ column: Column, _ chinese: Bool) -> String {
        chinese ? column.aliases.first ?? column.name : column.name
    }

    /// A record with RFC 4180 quoting where the importer would otherwise read the field differently.
    static func line(_ fields: [String]) -> String {
        fields.map { field -> String in
            let needsQuotes =
                field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
                || field.first?.isWhitespace == true || field.last?.isWhitespace == true
            guard needsQuotes else { return field }
            var quoted = "\""
            for character in field { quoted += character == "\"" ? "\"\"" : String(character) }
            return quoted + "\""
        }.joined(separator: ",") + "\n"
    }
}
