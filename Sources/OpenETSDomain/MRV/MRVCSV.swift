/// CSV import of facilities, monthly data and grid-company generation: pure functions from
/// UTF-8 text to rows. Headers may be English or Chinese (别名); values too where they are
/// codes (kinds, categories, sources). Every row and column is checked, then every row is
/// decided against a scratch copy of the state exactly as the commands would be; a file with
/// any error imports nothing and reports every error it found (up to `maxReportedErrors`).
public enum MRVCSV {
    public enum Limits {
        public static let maxFileBytes = 32 * 1024 * 1024
        /// Data rows, the header not counted.
        public static let maxRows = 200_000
        public static let maxColumns = 64
        public static let maxFieldBytes = 1_000
        public static let maxReportedErrors = 1_000
    }

    /// One fault: the row (the header is row 1; rows are records, so a quoted line break does
    /// not start a new row), the column as named in the file's header, the code and a message.
    public struct RowError: Hashable, Codable, Sendable, CustomStringConvertible {
        public var row: Int
        public var column: String?
        public var code: MRVErrorCode
        public var message: String

        public init(row: Int, column: String?, code: MRVErrorCode, message: String) {
            self.row = row
            self.column = column
            self.code = code
            self.message = message
        }

        public var description: String { "row \(row)\(column.map { ", column \($0)" } ?? ""): \(code.rawValue): \(message)" }
    }

    /// All rows, or all errors (and how many there were in total); never part of a file.
    public enum ImportResult<Row: Sendable>: Sendable {
        case imported([Row])
        case rejected([RowError], total: Int)

        public var rows: [Row]? {
            if case .imported(let rows) = self { return rows }
            return nil
        }

        public var errors: [RowError] {
            if case .rejected(let errors, _) = self { return errors }
            return []
        }
    }

    // MARK: parsing (RFC 4180)

    /// Records of a CSV text: comma-separated, fields optionally in double quotes (a quote
    /// inside is doubled), lines ending in LF or CRLF, a leading byte-order mark ignored, blank
    /// lines skipped. Throws the first structural fault with its row.
    public static func records(_ text: String) throws(MRVCSVFault) -> [[String]] {
        var bytes = Array(text.utf8)
        guard bytes.count <= Limits.maxFileBytes else {
            throw MRVCSVFault(RowError(row: 1, column: nil, code: .limitExceeded, message: "the file is larger than \(Limits.maxFileBytes) bytes"))
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var parser = Parser()
        var i = 0
        while i < bytes.count {
            i = try parser.step(bytes, i)
        }
        return try parser.finish()
    }

    struct Parser {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var closed = false

        var row: Int { records.count + 1 }

        func fault(_ message: String) -> MRVCSVFault { MRVCSVFault(RowError(row: row, column: nil, code: .csvMalformed, message: message)) }

        mutating func step(_ bytes: [UInt8], _ i: Int) throws(MRVCSVFault) -> Int {
            let byte = bytes[i]
            if inQuotes {
                if byte == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 {
                        try append(0x22)
                        return i + 2
                    }
                    inQuotes = false
                    closed = true
                } else {
                    try append(byte)
                }
                return i + 1
            }
            switch byte {
            case 0x2C: try endField()
            case 0x0D:
                try endRecord()
                return i + 1 < bytes.count && bytes[i + 1] == 0x0A ? i + 2 : i + 1
            case 0x0A: try endRecord()
            case 0x22:
                guard field.isEmpty && !quoted else { throw fault("a double quote inside an unquoted field (quote the field and double the quote)") }
                quoted = true
                inQuotes = true
            default:
                guard !closed else { throw fault("text after a closing quote") }
                try append(byte)
            }
            return i + 1
        }

        mutating func append(_ byte: UInt8) throws(MRVCSVFault) {
            guard field.count < Limits.maxFieldBytes else { throw fault("a field is longer than \(Limits.maxFieldBytes) bytes") }
            field.append(byte)
        }

        mutating func endField() throws(MRVCSVFault) {
            guard record.count < Limits.maxColumns else { throw fault("more than \(Limits.maxColumns) columns") }
            record.append(String(decoding: field, as: UTF8.self))
            field = []
            quoted = false
            closed = false
        }

        mutating func endRecord() throws(MRVCSVFault) {
            let blank = record.isEmpty && field.isEmpty && !quoted
            try endField()
            if !blank {
                guard records.count <= Limits.maxRows else { throw fault("more than \(Limits.maxRows) rows") }
                records.append(record)
            }
            record = []
        }

        mutating func finish() throws(MRVCSVFault) -> [[String]] {
            guard !inQuotes else { throw fault("a quoted field is not closed") }
            if !record.isEmpty || !field.isEmpty || quoted { try endRecord() }
            return records
        }
    }

    // MARK: tables with named columns

    /// A header row resolved to columns (English names or Chinese aliases, case-insensitive,
    /// spaces ignored at both ends).
    struct Table<Column: MRVCSVColumn> {
        var header: [String]
        var index: [Column: Int] = [:]
        var rows: [[String]]

        init(_ records: [[String]], errors: inout Collector) {
            header = records.first ?? []
            rows = Array(records.dropFirst())
            var names: [String: Column] = [:]
            for column in Column.allCases {
                names[column.name] = column
                for alias in column.aliases { names[alias] = column }
            }
            for (position, raw) in header.enumerated() {
                let name = MRVCSV.trimmed(raw).lowercased()
                guard let column = names[name] else {
                    errors.add(1, raw, .unknownColumn, "unknown column '\(raw)'")
                    continue
                }
                guard index[column] == nil else {
                    errors.add(1, raw, .csvMalformed, "column \(column.name) appears twice")
                    continue
                }
                index[column] = position
            }
            for column in Column.allCases where column.required && index[column] == nil {
                errors.add(1, column.name, .missingColumn, "missing column \(column.name) (\(column.aliases.first ?? column.name))")
            }
            for (offset, row) in rows.enumerated() where row.count != header.count {
                errors.add(offset + 2, nil, .csvMalformed, "\(row.count) fields, the header has \(header.count)")
            }
        }

        /// The trimmed field, nil when the column is absent or the field empty.
        func text(_ row: Int, _ column: Column) -> String? {
            guard let position = index[column], position < rows[row].count else { return nil }
            let value = MRVCSV.trimmed(rows[row][position])
            return value.isEmpty ? nil : value
        }

        /// The column as the file names it.
        func name(_ column: Column) -> String { index[column].map { header[$0] } ?? column.name }
    }

    struct Collector {
        var list: [RowError] = []
        var total = 0

        mutating func add(_ row: Int, _ column: String?, _ code: MRVErrorCode, _ message: String) {
            total += 1
            if list.count < Limits.maxReportedErrors { list.append(RowError(row: row, column: column, code: code, message: message)) }
        }
    }

    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    /// Reads one row's typed fields, recording each fault with its row and column.
    struct Reader<Column: MRVCSVColumn> {
        let table: Table<Column>
        let index: Int
        var errors: Collector

        var row: Int { index + 2 }

        mutating func fail(_ column: Column?, _ code: MRVErrorCode, _ message: String) {
            errors.add(row, column.map(table.name), code, message)
        }

        mutating func required(_ column: Column) -> String? {
            guard let text = table.text(index, column) else {
                fail(column, .invalidValue, "\(column.name) is required")
                return nil
            }
            return text
        }

        mutating func decimal(_ column: Column) -> ExactDecimal? {
            guard let text = table.text(index, column) else { return nil }
            guard let value = ExactDecimal(text) else {
                fail(column, .invalidValue, "'\(text)' is not a decimal number (digits, optional point, at most 12 decimals)")
                return nil
            }
            return value
        }

        mutating func integer(_ column: Column, _ range: ClosedRange<Int>) -> Int? {
            guard let text = required(column) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                fail(column, column.name == "month" ? .invalidMonth : .invalidValue, "'\(text)' is not a whole number in \(range)")
                return nil
            }
            return value
        }

        mutating func code<T>(_ column: Column, _ codes: [String: T], required: Bool = true) -> T? {
            guard let text = required ? self.required(column) : table.text(index, column) else { return nil }
            guard let value = codes[text.lowercased()] else {
                fail(column, .invalidValue, "'\(text)' is not one of \(codes.keys.sorted().joined(separator: ", "))")
                return nil
            }
            return value
        }
    }

    static let fuels: [String: Fuel] = {
        var codes: [String: Fuel] = [:]
        for fuel in Fuel.allCases { codes[fuel.rawValue] = fuel }
        codes["煤"] = .coal
        codes["燃煤"] = .coal
        codes["天然气"] = .naturalGas
        codes["燃料油"] = .fuelOil
        codes["柴油"] = .diesel
        return codes
    }()

    static let sources: [String: ValueSource] = [
        "measured": .measured, "default": .defaultValue, "calculated": .calculated, "实测": .measured, "缺省": .defaultValue,
        "默认": .defaultValue, "计算": .calculated,
    ]

    /// Turns `decide`'s rejection of a row into a row error, naming the column the code points at.
    static func columnName<Column: MRVCSVColumn>(_ table: Table<Column>, _ code: MRVErrorCode) -> String? {
        let names: [MRVErrorCode: String] = [
            .unknownEntity: "entity_uscc", .duplicateFacility: "facility_id", .unknownFacility: "facility_id", .invalidMonth: "month",
            .monthNotEnded: "month", .monthAlreadySubmitted: "month", .noPolicyForYear: "year", .wrongUnit: "unit",
            .fuelNotRegistered: "fuel", .unknownFuel: "fuel",
        ]
        guard let name = names[code], let column = Column.allCases.first(where: { $0.name == name }) else { return nil }
        return table.name(column)
    }
}

/// A structural CSV fault (the whole file is unreadable past it).
public struct MRVCSVFault: Error, Sendable {
    public var error: MRVCSV.RowError

    public init(_ error: MRVCSV.RowError) { self.error = error }
}

/// A column of an import template.
public protocol MRVCSVColumn: Hashable, CaseIterable, Sendable {
    /// The English header.
    var name: String { get }
    /// Accepted alternatives (Chinese headers), lower-case.
    var aliases: [String] { get }
    var required: Bool { get }
}

// MARK: facilities

public enum FacilityCSVColumn: String, MRVCSVColumn {
    case facilityID = "facility_id"
    case entityUSCC = "entity_uscc"
    case name
    case kind
    case category
    case capacityMW = "capacity_mw"
    case cooling
    case fuels

    public var name: String { rawValue }

    public var aliases: [String] {
        switch self {
        case .facilityID: ["设施编号", "机组编号"]
        case .entityUSCC: ["统一社会信用代码"]
        case .name: ["设施名称", "名称"]
        case .kind: ["设施类型"]
        case .category: ["机组类别"]
        case .capacityMW: ["装机容量", "装机容量(mw)"]
        case .cooling: ["冷却方式"]
        case .fuels: ["燃料", "燃料类型"]
        }
    }

    public var required: Bool { [.facilityID, .entityUSCC, .name, .kind, .fuels].contains(self) }
}

extension MRVCSV {
    static let kinds: [String: FacilityKind] = {
        var codes: [String: FacilityKind] = [:]
        for kind in FacilityKind.allCases { codes[kind.rawValue] = kind }
        codes["发电机组"] = .power
        codes["水泥熟料"] = .cementClinker
        codes["钢铁"] = .steel
        codes["电解铝"] = .aluminium
        return codes
    }()

    static let categories: [String: PowerUnitCategory] = {
        var codes: [String: PowerUnitCategory] = [:]
        for category in PowerUnitCategory.allCases { codes[category.rawValue] = category }
        codes["300mw等级以上常规燃煤机组"] = .coalGT300
        codes["300mw等级及以下常规燃煤机组"] = .coalLE300
        codes["燃煤矸石、煤泥、水煤浆等非常规燃煤机组"] = .coalUnconventional
        codes["非常规燃煤机组"] = .coalUnconventional
        codes["燃气机组"] = .gas
        return codes
    }()

    static let coolings: [String: Cooling] = ["water": .water, "air": .air, "水冷": .water, "空冷": .air]

    /// Facilities, one per row; fuels separated by `;` (or `；`, `、`).
    public static func importFacilities(_ text: String, state: MRVState, at now: Timestamp, policy: MRVPolicyTables) -> ImportResult<Facility> {
        let records: [[String]]
        do { records = try self.records(text) } catch { return .rejected([error.error], total: 1) }
        var errors = Collector()
        let table = Table<FacilityCSVColumn>(records, errors: &errors)
        guard errors.total == 0 else { return .rejected(errors.list, total: errors.total) }
        var scratch = state
        var facilities: [Facility] = []
        for index in table.rows.indices {
            var reader = Reader(table: table, index: index, errors: errors)
            let facility = readFacility(&reader)
            errors = reader.errors
            guard let facility else { continue }
            do {
                scratch.evolve(try scratch.decide(.registerFacility(facility), at: now, policy: policy))
                facilities.append(facility)
            } catch {
                errors.add(reader.row, columnName(table, error.code), error.code, error.message)
            }
        }
        return errors.total == 0 ? .imported(facilities) : .rejected(errors.list, total: errors.total)
    }

    static func readFacility(_ r: inout Reader<FacilityCSVColumn>) -> Facility? {
        let before = r.errors.total
        let id = r.required(.facilityID)
        let uscc = r.required(.entityUSCC)
        let name = r.required(.name)
        let kind = r.code(.kind, kinds)
        var fuelList: [Fuel] = []
        if let text = r.required(.fuels) {
            let parts = text.split(whereSeparator: { $0 == ";" || $0 == "；" || $0 == "、" }).map { trimmed(String($0)) }
            for part in parts {
                guard let fuel = fuels[part.lowercased()] else {
                    r.fail(.fuels, .unknownFuel, "unknown fuel '\(part)' (coal, natural_gas, fuel_oil, diesel)")
                    continue
                }
                fuelList.append(fuel)
            }
        }
        var power: PowerUnit?
        if kind == .power {
            let category = r.code(.category, categories)
            let capacity = r.decimal(.capacityMW)
            if capacity == nil && r.table.text(r.index, .capacityMW) == nil { r.fail(.capacityMW, .invalidValue, "capacity_mw is required") }
            let cooling = r.code(.cooling, coolings)
            if let category, let capacity, let cooling { power = PowerUnit(category: category, capacityMW: capacity, cooling: cooling) }
        } else if kind != nil {
            for column in [FacilityCSVColumn.category, .capacityMW, .cooling] where r.table.text(r.index, column) != nil {
                r.fail(column, .invalidValue, "only power units give \(column.name)")
            }
        }
        guard r.errors.total == before, let id, let uscc, let name, let kind else { return nil }
        return Facility(id: FacilityID(id), entity: MRVEntityID(uscc), name: name, kind: kind, power: power, fuels: fuelList)
    }
}

// MARK: monthly data

public enum MonthlyCSVColumn: String, MRVCSVColumn {
    case facilityID = "facility_id"
    case year
    case month
    case fuel
    case consumption
    case unit
    case ncv = "ncv_gj_per_unit"
    case ncvSource = "ncv_source"
    case carbon = "carbon_content"
    case carbonBasis = "carbon_basis"
    case carbonSource = "carbon_source"
    case moistureAR = "moisture_ar_percent"
    case moistureAD = "moisture_ad_percent"
    case oxidation
    case oxidationSource = "oxidation_source"
    case generationMWh = "generation_mwh"
    case supplyMWh = "supply_mwh"
    case heatSuppliedGJ = "heat_supplied_gj"
    case loadFactor = "load_factor"
    case operatingHours = "operating_hours"
    case outputT = "output_t"
    case purchasedMWh = "purchased_mwh"
    case cf4 = "cf4_kg_per_t"
    case c2f6 = "c2f6_kg_per_t"
    case clinkerFactor = "clinker_factor"
    case limestoneT = "limestone_t"
    case dolomiteT = "dolomite_t"
    case electrodeT = "electrode_t"
    case evidenceName = "evidence_name"
    case evidenceSHA256 = "evidence_sha256"

    public var name: String { rawValue }

    public var aliases: [String] {
        switch self {
        case .facilityID: ["设施编号", "机组编号"]
        case .year: ["年份", "年度"]
        case .month: ["月份"]
        case .fuel: ["燃料", "燃料品种"]
        case .consumption: ["消耗量", "燃料消耗量"]
        case .unit: ["单位", "计量单位"]
        case .ncv: ["低位发热量"]
        case .ncvSource: ["低位发热量来源"]
        case .carbon: ["含碳量", "元素碳含量"]
        case .carbonBasis: ["含碳量基准"]
        case .carbonSource: ["含碳量来源"]
        case .moistureAR: ["收到基水分", "全水分"]
        case .moistureAD: ["空干基水分", "空气干燥基水分"]
        case .oxidation: ["碳氧化率"]
        case .oxidationSource: ["碳氧化率来源"]
        case .generationMWh: ["发电量"]
        case .supplyMWh: ["供电量"]
        case .heatSuppliedGJ: ["供热量"]
        case .loadFactor: ["负荷率", "负荷(出力)系数"]
        case .operatingHours: ["运行小时数"]
        case .outputT: ["产量", "产品产量"]
        case .purchasedMWh: ["外购电量", "购入电量"]
        case .cf4: ["cf4排放因子"]
        case .c2f6: ["c2f6排放因子"]
        case .clinkerFactor: ["熟料排放因子"]
        case .limestoneT: ["石灰石消耗量", "石灰石"]
        case .dolomiteT: ["白云石消耗量", "白云石"]
        case .electrodeT: ["电极消耗量", "电极"]
        case .evidenceName: ["证据文件名", "存证文件名"]
        case .evidenceSHA256: ["证据文件哈希", "存证哈希"]
        }
    }

    public var required: Bool { [.facilityID, .year, .month].contains(self) }

    /// Columns that describe the facility-month as a whole: given once, or equal on every row.
    var monthLevel: Bool {
        [
            .generationMWh, .supplyMWh, .heatSuppliedGJ, .loadFactor, .operatingHours, .outputT, .purchasedMWh, .cf4, .c2f6, .clinkerFactor,
            .limestoneT, .dolomiteT, .electrodeT,
        ].contains(self)
    }
}

extension MRVCSV {
    static let bases: [String: CarbonBasis] = {
        var codes: [String: CarbonBasis] = [:]
        for basis in CarbonBasis.allCases { codes[basis.rawValue] = basis }
        codes["单位热值"] = .perHeat
        codes["收到基"] = .perMassAsReceived
        codes["空干基"] = .perMassAirDried
        codes["干燥基"] = .perMassDry
        return codes
    }()

    /// The months of a monthly CSV file, parsed and checked row by row but not decided
    /// (a correction replaces a submitted month: `correct_month` decides it, not `submit_month`).
    public static func parseMonths(_ text: String) -> ImportResult<MonthlyData> {
        switch parseMonthRows(text) {
        case .failure(let rejected): return .rejected(rejected.errors, total: rejected.total)
        case .success(let parsed): return .imported(parsed.order.map { parsed.months[$0]! })
        }
    }

    struct ParsedMonths {
        var table: Table<MonthlyCSVColumn>
        var months: [FacilityMonth: MonthlyData]
        var order: [FacilityMonth]
        var firstRow: [FacilityMonth: Int]
    }

    struct RejectedRows: Error {
        var errors: [RowError]
        var total: Int
    }

    static func parseMonthRows(_ text: String) -> Result<ParsedMonths, RejectedRows> {
        let records: [[String]]
        do { records = try self.records(text) } catch { return .failure(RejectedRows(errors: [error.error], total: 1)) }
        var errors = Collector()
        let table = Table<MonthlyCSVColumn>(records, errors: &errors)
        guard errors.total == 0 else { return .failure(RejectedRows(errors: errors.list, total: errors.total)) }
        var months: [FacilityMonth: MonthlyData] = [:]
        var order: [FacilityMonth] = []
        var firstRow: [FacilityMonth: Int] = [:]
        var monthLevel: [FacilityMonth: [MonthlyCSVColumn: (value: String, row: Int)]] = [:]
        var fuelsSeen: Set<String> = []
        for index in table.rows.indices {
            var reader = Reader(table: table, index: index, errors: errors)
            let before = reader.errors.total
            let parsed = readMonthRow(&reader)
            guard let parsed, reader.errors.total == before else {
                errors = reader.errors
                continue
            }
            let (key, line, evidence) = parsed
            if let line, !fuelsSeen.insert("\(key) \(line.fuel.rawValue)").inserted {
                reader.fail(.fuel, .duplicateMonth, "\(key) \(line.fuel.rawValue) is given on an earlier row")
            }
            for column in MonthlyCSVColumn.allCases where column.monthLevel {
                guard let value = table.text(index, column) else { continue }
                if let earlier = monthLevel[key]?[column], earlier.value != value {
                    reader.fail(column, .invalidValue, "'\(value)' differs from '\(earlier.value)' on row \(earlier.row) for \(key)")
                }
                monthLevel[key, default: [:]][column] = (value, reader.row)
            }
            errors = reader.errors
            if months[key] == nil {
                months[key] = MonthlyData(facility: key.facility, year: key.year, month: key.month, fuels: [])
                order.append(key)
                firstRow[key] = reader.row
            }
            if let line { months[key]!.fuels.append(line) }
            if let evidence { months[key]!.evidence.append(evidence) }
            applyMonthLevel(&months[key]!, table, index)
        }
        guard errors.total == 0 else { return .failure(RejectedRows(errors: errors.list, total: errors.total)) }
        return .success(ParsedMonths(table: table, months: months, order: order, firstRow: firstRow))
    }

    /// Monthly data, one row per facility, month and fuel (a row without a fuel carries only
    /// production data). Month-level columns (production, purchased electricity, PFC factors)
    /// may be given on any row of the facility-month, and must agree where repeated. Each row
    /// may name one evidence file. A parameter without a source is measured when given and the
    /// default when empty.
    public static func importMonths(_ text: String, state: MRVState, at now: Timestamp, policy: MRVPolicyTables) -> ImportResult<MonthlyData> {
        let parsed: ParsedMonths
        switch parseMonthRows(text) {
        case .failure(let rejected): return .rejected(rejected.errors, total: rejected.total)
        case .success(let found): parsed = found
        }
        var errors = Collector()
        let (table, months, order, firstRow) = (parsed.table, parsed.months, parsed.order, parsed.firstRow)
        var scratch = state
        var imported: [MonthlyData] = []
        for key in order {
            do {
                scratch.evolve(try scratch.decide(.submitMonth(months[key]!), at: now, policy: policy))
                imported.append(months[key]!)
            } catch {
                errors.add(firstRow[key]!, columnName(table, error.code), error.code, error.message)
            }
        }
        return errors.total == 0 ? .imported(imported) : .rejected(errors.list, total: errors.total)
    }

    static func readMonthRow(_ r: inout Reader<MonthlyCSVColumn>) -> (FacilityMonth, FuelLine?, EvidenceFile?)? {
        let id = r.required(.facilityID)
        let year = r.integer(.year, 2000...2100)
        let month = r.integer(.month, 1...12)
        var line: FuelLine?
        if let fuel = r.code(.fuel, fuels, required: false) {
            let consumption = r.decimal(.consumption)
            if consumption == nil && r.table.text(r.index, .consumption) == nil { r.fail(.consumption, .invalidValue, "consumption is required") }
            let unit = r.table.text(r.index, .unit)
            let ncv = tagged(&r, .ncv, .ncvSource)
            let oxidation = tagged(&r, .oxidation, .oxidationSource)
            var carbon: CarbonContent?
            if let value = tagged(&r, .carbon, .carbonSource) {
                let basis = r.code(.carbonBasis, bases, required: false) ?? .perHeat
                carbon = CarbonContent(
                    value, basis: basis, moistureAsReceivedPercent: r.decimal(.moistureAR), moistureAirDriedPercent: r.decimal(.moistureAD))
            }
            if let consumption { line = FuelLine(fuel: fuel, consumption: consumption, unit: unit, ncvGJPerUnit: ncv, carbon: carbon, oxidation: oxidation) }
        } else {
            for column in [MonthlyCSVColumn.consumption, .ncv, .carbon, .oxidation] where r.table.text(r.index, column) != nil {
                r.fail(column, .invalidValue, "\(column.name) needs a fuel on the same row")
            }
        }
        var evidence: EvidenceFile?
        if let hash = r.table.text(r.index, .evidenceSHA256) {
            evidence = EvidenceFile(name: r.table.text(r.index, .evidenceName) ?? hash, sha256: hash)
            if hash.utf8.count != 64 || !hash.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
                r.fail(.evidenceSHA256, .invalidEvidence, "sha256 must be 64 lower-case hex digits")
            }
        }
        for column in MonthlyCSVColumn.allCases where column.monthLevel { _ = r.decimal(column) }
        guard let id, let year, let month else { return nil }
        return (FacilityMonth(facility: FacilityID(id), year: year, month: month), line, evidence)
    }

    /// A value column with its source column: no source means measured when a value is given
    /// and the default when not.
    static func tagged(_ r: inout Reader<MonthlyCSVColumn>, _ value: MonthlyCSVColumn, _ source: MonthlyCSVColumn) -> TaggedValue? {
        let number = r.decimal(value)
        guard let tag = r.code(source, sources, required: false) else {
            return number.map { TaggedValue($0, .measured) }
        }
        return TaggedValue(number, tag)
    }

    static func applyMonthLevel(_ data: inout MonthlyData, _ table: Table<MonthlyCSVColumn>, _ index: Int) {
        func value(_ column: MonthlyCSVColumn) -> ExactDecimal? { table.text(index, column).flatMap { ExactDecimal($0) } }
        data.production.generationMWh = value(.generationMWh) ?? data.production.generationMWh
        data.production.supplyMWh = value(.supplyMWh) ?? data.production.supplyMWh
        data.production.heatSuppliedGJ = value(.heatSuppliedGJ) ?? data.production.heatSuppliedGJ
        data.production.loadFactor = value(.loadFactor) ?? data.production.loadFactor
        data.production.operatingHours = value(.operatingHours) ?? data.production.operatingHours
        data.production.outputT = value(.outputT) ?? data.production.outputT
        data.purchasedMWh = value(.purchasedMWh) ?? data.purchasedMWh
        let cf4 = value(.cf4), c2f6 = value(.c2f6)
        if cf4 != nil || c2f6 != nil {
            data.pfc = PFCData(
                cf4KgPerT: cf4.map { TaggedValue($0, .measured) } ?? data.pfc?.cf4KgPerT ?? .defaulted,
                c2f6KgPerT: c2f6.map { TaggedValue($0, .measured) } ?? data.pfc?.c2f6KgPerT ?? .defaulted)
        }
        if let factor = value(.clinkerFactor) {
            data.process = data.process ?? ProcessData()
            data.process!.clinkerFactor = TaggedValue(factor, .measured)
        }
        for (column, material) in [(MonthlyCSVColumn.limestoneT, ProcessMaterial.limestone), (.dolomiteT, .dolomite), (.electrodeT, .electrode)] {
            guard let quantity = value(column) else { continue }
            data.process = data.process ?? ProcessData()
            if let at = data.process!.inputs.firstIndex(where: { $0.material == material }) {
                data.process!.inputs[at].quantityT = quantity
            } else {
                data.process!.inputs.append(ProcessInput(material: material, quantityT: quantity))
            }
        }
    }
}

// MARK: grid-company generation

public enum GridCSVColumn: String, MRVCSVColumn {
    case facilityID = "facility_id"
    case year
    case month
    case generationMWh = "generation_mwh"

    public var name: String { rawValue }

    public var aliases: [String] {
        switch self {
        case .facilityID: ["设施编号", "机组编号"]
        case .year: ["年份", "年度"]
        case .month: ["月份"]
        case .generationMWh: ["发电量", "上网电量"]
        }
    }

    public var required: Bool { true }
}

extension MRVCSV {
    /// The grid company's monthly generation per registered facility, one row each.
    /// A figure above `limits.maxMonthlyGenerationMWh` is absurd (`INVALID_VALUE`).
    public static func importGrid(_ text: String, state: MRVState, limits: MRVLimits = .defaults) -> ImportResult<GridGenerationRow> {
        let records: [[String]]
        do { records = try self.records(text) } catch { return .rejected([error.error], total: 1) }
        var errors = Collector()
        let table = Table<GridCSVColumn>(records, errors: &errors)
        guard errors.total == 0 else { return .rejected(errors.list, total: errors.total) }
        var rows: [GridGenerationRow] = []
        var seen: Set<FacilityMonth> = []
        for index in table.rows.indices {
            var r = Reader(table: table, index: index, errors: errors)
            let before = r.errors.total
            let id = r.required(.facilityID)
            let year = r.integer(.year, 2000...2100)
            let month = r.integer(.month, 1...12)
            let generation = r.decimal(.generationMWh)
            if generation == nil && table.text(index, .generationMWh) == nil { r.fail(.generationMWh, .invalidValue, "generation_mwh is required") }
            if let generation, generation.isNegative { r.fail(.generationMWh, .invalidValue, "generation_mwh is negative") }
            if let generation, generation > limits.maxMonthlyGenerationMWh {
                r.fail(.generationMWh, .invalidValue, "generation_mwh \(generation) is above \(limits.maxMonthlyGenerationMWh) MWh a month")
            }
            if let id, state.facilities[FacilityID(id)] == nil { r.fail(.facilityID, .unknownFacility, "no facility \(id)") }
            if let id, let year, let month, !seen.insert(FacilityMonth(facility: FacilityID(id), year: year, month: month)).inserted {
                r.fail(.month, .duplicateMonth, "\(id) \(year)-\(month) is given on an earlier row")
            }
            if r.errors.total == before, let id, let year, let month, let generation {
                rows.append(GridGenerationRow(facility: FacilityID(id), year: year, month: month, generationMWh: generation))
            }
            errors = r.errors
        }
        return errors.total == 0 ? .imported(rows) : .rejected(errors.list, total: errors.total)
    }
}
