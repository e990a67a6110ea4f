import OpenETSDomain
import Testing

@Suite("MRV CSV import: all rows or nothing")
struct MRVCSVTests {
    typealias W = MRVWorld
    static let now = MRVWorld.at(2025, 1, 20)

    func records(_ text: String) -> [[String]]? { try? MRVCSV.records(text) }

    func fault(_ text: String) -> MRVCSV.RowError? {
        do {
            _ = try MRVCSV.records(text)
            return nil
        } catch {
            return error.error
        }
    }

    @Test func quotedFieldsLineEndsAndByteOrderMark() {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,,3\n"
        #expect(records(text) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["1", "", "3"]])
        #expect(records("a,b\n1,2") == [["a", "b"], ["1", "2"]])  // no final line end
        #expect(records("设施编号,年份\nU1,2024\n") == [["设施编号", "年份"], ["U1", "2024"]])
        #expect(fault("a,b\n\"open,2\n")?.row == 2)
        #expect(fault("a,b\n\"open,2\n")?.code == .csvMalformed)
        #expect(fault("a,b\nx\"y,2\n")?.row == 2)
        #expect(fault("a,b\n\"x\"y,2\n")?.code == .csvMalformed)
        #expect(fault("a\n" + String(repeating: "x", count: MRVCSV.Limits.maxFieldBytes + 1))?.code == .csvMalformed)
    }

    @Test func facilitiesWithChineseHeadersAndValues() throws {
        let world = try MRVWorld.registered()
        let text = """
            设施编号,统一社会信用代码,设施名称,设施类型,机组类别,装机容量,冷却方式,燃料
            U2,\(W.uscc(1)),"2号机组, 东区",发电机组,coal_le300,300,空冷,煤;柴油
            G1,\(W.uscc(1)),燃机,power,燃气机组,460.5,water,natural_gas
            K1,\(W.uscc(1)),熟料线,水泥熟料,,,,煤
            """
        let result = MRVCSV.importFacilities(text, state: world.state, at: Self.now, policy: world.policy)
        let rows = try #require(result.rows)
        #expect(rows.map(\.id) == ["U2", "G1", "K1"])
        #expect(rows[0].name == "2号机组, 东区" && rows[0].power == PowerUnit(category: .coalLE300, capacityMW: W.decimal("300"), cooling: .air))
        #expect(rows[0].fuels == [.coal, .diesel] && rows[1].power?.category == .gas && rows[2].kind == .cementClinker)
    }

    @Test func oneBrokenFacilityRowImportsNothing() throws {
        let world = try MRVWorld.registered()
        let text = """
            facility_id,entity_uscc,name,kind,category,capacity_mw,cooling,fuels
            U2,\(W.uscc(1)),Unit 2,power,coal_gt300,600,water,coal
            U3,\(W.uscc(1)),Unit 3,power,coal_gt300,six hundred,water,coal
            U1,\(W.uscc(1)),Unit 1 again,power,coal_gt300,600,water,coal
            U4,\(W.uscc(9)),Unit 4,power,coal_gt300,600,water,coal
            K1,\(W.uscc(1)),Kiln,cement_clinker,coal_gt300,,,peat
            """
        let result = MRVCSV.importFacilities(text, state: world.state, at: Self.now, policy: world.policy)
        #expect(result.rows == nil)
        let errors = result.errors.map { "\($0.row)|\($0.column ?? "-")|\($0.code.rawValue)" }
        #expect(errors == [
            "3|capacity_mw|INVALID_VALUE", "4|facility_id|DUPLICATE_FACILITY", "5|entity_uscc|UNKNOWN_ENTITY", "6|fuels|UNKNOWN_FUEL",
            "6|category|INVALID_VALUE",
        ])
    }

    static let header = "facility_id,year,month,fuel,consumption,ncv_gj_per_unit,ncv_source,carbon_content,carbon_basis,carbon_source,oxidation,generation_mwh,purchased_mwh,evidence_name,evidence_sha256"

    @Test func monthlyDataRowsBecomeFacilityMonths() throws {
        var world = try MRVWorld.registered()
        try world.apply(.registerFacility(W.coalUnit("U2", entity: 1, fuels: [.coal, .diesel])))
        let text = """
            \(Self.header)
            U1,2024,11,coal,1000,20,measured,,,,,2400,,nov.pdf,\(W.hash(1))
            U1,2024,12,coal,1000,20,实测,0.55,收到基,实测,0.98,2400,5,dec.pdf,\(W.hash(2))
            U2,2024,12,coal,800,,default,,,,,2000,,,
            U2,2024,12,diesel,2,,,,,,,,,dec-diesel.pdf,\(W.hash(3))
            """
        let result = MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy)
        let months = try #require(result.rows, "\(result.errors)")
        #expect(months.map(\.key.description) == ["U1 2024-11", "U1 2024-12", "U2 2024-12"])
        #expect(months[1].fuels[0].carbon == CarbonContent(.measured(W.decimal("0.55")), basis: .perMassAsReceived))
        #expect(months[1].fuels[0].oxidation == .measured(W.decimal("0.98")) && months[1].purchasedMWh == W.decimal("5"))
        #expect(months[2].fuels.map(\.fuel) == [.coal, .diesel] && months[2].fuels[0].ncvGJPerUnit == .defaulted)
        #expect(months[2].evidence.map(\.name) == ["dec-diesel.pdf"] && months[2].production.generationMWh == W.decimal("2000"))
        // The imported months are accepted by decide exactly as validated.
        for month in months { try world.apply(.submitMonth(month), at: Self.now) }
        #expect(world.state.months.count == 3)
    }

    @Test func aCSVWithOneBrokenRowImportsNothingAndNamesTheRowAndColumn() throws {
        let world = try MRVWorld.registered()
        let text = """
            设施编号,年份,月份,燃料,消耗量,低位发热量,发电量
            U1,2024,10,coal,1000,20,2400
            U1,2024,11,coal,1O00,20,2400
            U1,2024,12,coal,1000,20,2400
            """
        let result = MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy)
        #expect(result.rows == nil)
        #expect(result.errors == [MRVCSV.RowError(row: 3, column: "消耗量", code: .invalidValue, message: "'1O00' is not a decimal number (digits, optional point, at most 12 decimals)")])
        guard case .rejected(_, let total) = result else { Issue.record("expected a rejection"); return }
        #expect(total == 1)
    }

    @Test func rowErrorsFromTheRulesNameTheirColumns() throws {
        var world = try MRVWorld.registered()
        try world.apply(.submitMonth(W.coalMonth("U1", 2024, 10)), at: Self.now)
        let text = """
            \(Self.header)
            U1,2024,10,coal,1000,20,,,,,,2400,,,
            U1,2024,11,coal,-5,20,,,,,,2400,,,
            U1,2025,1,coal,1000,20,,,,,,2400,,,
            U9,2024,12,coal,1000,20,,,,,,2400,,,
            U1,2024,12,natural_gas,10,,,,,,,2400,,,
            U1,2024,9,coal,1000,20,guess,,,,,2400,,,
            U1,2024,8,coal,1000,20,,,,,,2400,,x.pdf,XYZ
            U1,2024,7,coal,1000,20,,,,,,2400,,,
            U1,2024,7,coal,900,20,,,,,,2500,,,
            U1,2024,13,coal,1000,20,,,,,,2400,,,
            """
        let result = MRVCSV.importMonths(text, state: world.state, at: Self.now, policy: world.policy)
        #expect(result.rows == nil)
        let errors = result.errors.map { "\($0.row)|\($0.column ?? "-")|\($0.code.rawValue)" }
        #expect(errors == [
            "7|ncv_source|INVALID_VALUE", "8|evidence_sha256|INVALID_EVIDENCE", "10|fuel|DUPLICATE_MONTH", "10|generation_mwh|INVALID_VALUE",
            "11|month|INVALID_MONTH",
        ])
        // With the field errors fixed, the rules' rejections come back per facility-month.
        let ruled = """
            \(Self.header)
            U1,2024,10,coal,1000,20,,,,,,2400,,,
            U1,2024,11,coal,-5,20,,,,,,2400,,,
            U1,2025,1,coal,1000,20,,,,,,2400,,,
            U9,2024,12,coal,1000,20,,,,,,2400,,,
            U1,2024,12,natural_gas,10,,,,,,,2400,,,
            """
        let second = MRVCSV.importMonths(ruled, state: world.state, at: Self.now, policy: world.policy)
        let ruleErrors = second.errors.map { "\($0.row)|\($0.column ?? "-")|\($0.code.rawValue)" }
        #expect(ruleErrors == [
            "2|month|MONTH_ALREADY_SUBMITTED", "3|-|INVALID_VALUE", "4|year|NO_POLICY_FOR_YEAR", "5|facility_id|UNKNOWN_FACILITY",
            "6|fuel|FUEL_NOT_REGISTERED",
        ])
    }

    @Test func headersAreChecked() throws {
        let world = try MRVWorld.registered()
        let unknown = MRVCSV.importMonths("facility_id,year,month,colour\nU1,2024,1,red\n", state: world.state, at: Self.now, policy: world.policy)
        #expect(unknown.errors.map(\.code) == [.unknownColumn] && unknown.errors[0].column == "colour" && unknown.errors[0].row == 1)
        let missing = MRVCSV.importMonths("facility_id,year\nU1,2024\n", state: world.state, at: Self.now, policy: world.policy)
        #expect(missing.errors.map(\.code) == [.missingColumn] && missing.errors[0].column == "month")
        let twice = MRVCSV.importMonths("facility_id,year,月份,month\nU1,2024,1,1\n", state: world.state, at: Self.now, policy: world.policy)
        #expect(twice.errors.map(\.code) == [.csvMalformed])
        let ragged = MRVCSV.importMonths("facility_id,year,month\nU1,2024\n", state: world.state, at: Self.now, policy: world.policy)
        #expect(ragged.errors.map { "\($0.row)|\($0.code.rawValue)" } == ["2|CSV_MALFORMED"])
    }

    @Test func gridCompanyRows() throws {
        let world = try MRVWorld.registered()
        let good = MRVCSV.importGrid("设施编号,年份,月份,发电量\nU1,2024,4,2500\nU1,2024,5,2420.5\n", state: world.state)
        #expect(good.rows == [
            GridGenerationRow(facility: "U1", year: 2024, month: 4, generationMWh: W.decimal("2500")),
            GridGenerationRow(facility: "U1", year: 2024, month: 5, generationMWh: W.decimal("2420.5")),
        ])
        let bad = MRVCSV.importGrid("facility_id,year,month,generation_mwh\nU1,2024,4,2500\nU9,2024,4,1\nU1,2024,4,2\nU1,2024,5,-1\n", state: world.state)
        #expect(bad.rows == nil)
        #expect(bad.errors.map { "\($0.row)|\($0.column ?? "-")|\($0.code.rawValue)" } == [
            "3|facility_id|UNKNOWN_FACILITY", "4|month|DUPLICATE_MONTH", "5|generation_mwh|INVALID_VALUE",
        ])
    }
}
