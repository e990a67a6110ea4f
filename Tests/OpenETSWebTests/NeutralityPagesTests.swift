import OpenETSDomain
import OpenETSWeb
import Testing

/// The calculator page as text: the form read back, the result with each factor's source, the
/// rounded-up quantity and the link to buy and cancel it, errors with their codes, user text
/// escaped.
@Suite("Neutrality calculator page")
struct NeutralityPagesTests {
    static func form(_ fields: [String: String]) -> NeutralityPages.CalculatorForm {
        NeutralityPages.CalculatorForm { fields[$0] }
    }

    static let example: [String: String] = [
        "event": "OpenETS 2025", "attendees": "100", "mode1": "air", "km1": "1000", "travellers1": "20", "round1": "1",
        "mode2": "high_speed_rail", "km2": " 500.5 ", "travellers2": "80", "round2": "on", "kwh": "12345.6", "nights": "150",
    ]

    @Test func theFormGivesTheCalculatorsInput() throws {
        let input = try Self.form(Self.example).input()
        #expect(input.attendees == 100 && input.venueKWh == "12345.6" && input.hotelRoomNights == 150 && input.event == "OpenETS 2025")
        #expect(input.travel == [
            .init(mode: "air", distanceKm: "1000", travellers: 20, roundTrip: true),
            .init(mode: "high_speed_rail", distanceKm: "500.5", travellers: 80, roundTrip: true),
        ])
        // The documented example: 22.94309568 t, 23 t to cancel.
        let output = try NeutralityCalculator.calculate(input)
        #expect(output.totalTCO2e == "22.94309568" && output.cancelQuantityT == 23)
        #expect(Self.form([:]).isEmpty && !Self.form(["kwh": "1"]).isEmpty)
        // An empty travel row is no line; a mode alone is a line the calculator refuses.
        #expect(try Self.form(["attendees": "3", "mode1": "air", "kwh": "1"]).input().travel == [])
        func code(_ fields: [String: String]) -> CCERErrorCode? {
            do throws(CCERError) {
                _ = try NeutralityCalculator.calculate(try Self.form(fields).input())
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(["attendees": "many", "kwh": "1"]) == .invalidArgument)
        #expect(code(["attendees": "2", "nights": "1.5"]) == .invalidArgument)
        #expect(code(["attendees": "2", "km1": "10", "mode1": "rocket"]) == .unknownTravelMode)
        #expect(code(["attendees": "2", "km1": "10"]) == .missingField)
        #expect(code(["kwh": "10"]) == .missingField)
        #expect(code(["attendees": "2", "kwh": String(repeating: "9", count: 201)]) == .limitExceeded)
        #expect(code(["attendees": "2", "kwh": "1", "event": String(repeating: "会", count: 201)]) == .limitExceeded)
    }

    @Test func resultShowsFactorsSourcesAndTheWayToBuyAndCancel() throws {
        let form = Self.form(Self.example.merging(["event": "<b>OpenETS</b> & 2025"]) { $1 })
        let output = try NeutralityCalculator.calculate(try form.input())
        let zh = NeutralityPages(language: .zh).calculator(form, result: .success(output), factors: .standard)
        #expect(zh.contains("活动碳中和计算器") && zh.contains("id=\"calc-cancel-quantity\">23<"))
        #expect(zh.contains("22,943.09568") == false && zh.contains("22943.09568"))
        #expect(zh.contains("national grid emission factor 0.5703") && zh.contains("[未核实]"))
        // Units in the page's language (the factors' sources are the tables' own words).
        #expect(zh.contains("150 间夜") && zh.contains(">间夜<") && !zh.contains(">room-night<"), "\(zh)")
        #expect(NeutralityPages(language: .en).calculator(form, result: .success(output), factors: .standard).contains("150 room-night"))
        #expect(zh.contains("&lt;b&gt;OpenETS&lt;/b&gt; &amp; 2025") && !zh.contains("<b>OpenETS"))
        // The link carries the quantity and the event, percent-encoded.
        #expect(zh.contains("href=\"/neutrality?quantity=23&amp;purpose=event&amp;subject=%3Cb%3EOpenETS%3C%2Fb%3E%20%26%202025\""))
        // The form is shown back as typed.
        #expect(zh.contains("<option value=\"high_speed_rail\" selected>高铁</option>") && zh.contains("id=\"round2\" value=\"1\" checked"))
        let en = NeutralityPages(language: .en).calculator(form, result: .success(output), factors: .standard)
        #expect(en.contains("To cancel (rounded up to whole tonnes)") && en.contains("[unverified]") && en.contains("high-speed rail"))
        let failed = NeutralityPages(language: .en).calculator(
            Self.form(["attendees": "2"]), result: .failure(CCERError(.missingField, "nothing to count")), factors: .standard)
        #expect(failed.contains("id=\"calc-error\">MISSING_FIELD: nothing to count") && !failed.contains("calc-lines"))
        // Every factor of the table with its source, also before any input.
        let blank = NeutralityPages(language: .zh).calculator(.init(), result: nil, factors: .standard)
        for key in NeutralityFactors.standard.factors.keys { #expect(blank.contains("<code>\(key)</code>"), "\(key)") }
    }
}
