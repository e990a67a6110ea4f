import OpenETSDomain
import OpenETSWeb
import Testing

/// The operators' pages as text: pure functions of the state.
@Suite("Operator pages")
struct OperatorPagesTests {
    static func context() -> TradingPages.Context {
        TradingPages.Context(
            principal: Principal(user: "registrar", name: "Registrar", role: .registryOperator, account: nil, province: nil),
            csrf: "c", nonce: { "n" }, message: nil, error: nil)
    }

    static func registry(accounts: Int) -> RegistryState {
        var state = RegistryState()
        for n in 1...accounts {
            let digits = String(n)
            let id = AccountID("INV-" + String(repeating: "0", count: 6 - digits.count) + digits)
            state.accounts[id] = Account(
                id: id, type: .investor, ownerID: "OWNER-\(n)", ownerName: "Investor \(n)", province: nil, status: n % 7 == 0 ? .blocked : .open,
                representatives: [], openedAt: Timestamp(millisecondsSinceEpoch: 0))
        }
        return state
    }

    static func rows(_ html: String) -> Int {
        guard let table = html.firstRange(of: "<table id=\"accounts\">") else { return -1 }
        let rest = html[table.upperBound...]
        let body = rest[..<rest.firstRange(of: "</table>")!.lowerBound]
        return body.ranges(of: "<tr>").count - 1  // less the header row
    }

    @Test func accountsArePagedByTheNamedRowLimit() {
        let state = Self.registry(accounts: 250)
        let pages = OperatorPages(language: .en)
        let first = pages.registry(Self.context(), state, offset: 0)
        #expect(Self.rows(first) == OperatorPages.maxAccountRows)
        #expect(first.contains("1–100 of 250") && first.contains("href=\"/portal/registry?offset=100\" id=\"accounts-next\"") && !first.contains("accounts-previous"))
        #expect(first.contains("INV-000001") && !first.contains("INV-000101"))
        let last = pages.registry(Self.context(), state, offset: 200)
        #expect(Self.rows(last) == 50 && last.contains("201–250 of 250"))
        #expect(last.contains("href=\"/portal/registry?offset=100\" id=\"accounts-previous\"") && !last.contains("accounts-next"))
        #expect(last.contains("INV-000250") && !last.contains("INV-000200<"))
        // Past the end: none shown, and the way back.
        let beyond = pages.registry(Self.context(), state, offset: 900)
        #expect(Self.rows(beyond) == 0 && beyond.contains("none on this page, 250 in all") && beyond.contains("accounts-previous"))
        // Statuses in the page's language, the raw value kept for scripts.
        let zh = OperatorPages(language: .zh).registry(Self.context(), state, offset: 0)
        #expect(zh.contains("id=\"status-INV-000007\" data-status=\"blocked\">限制") && zh.contains("第 1–100 个，共 250 个"))
    }

    @Test func theAuctionDefaultsAreThePreviousCloseWithinTheListingBand() {
        let instrument = Instrument(code: "CEA24", unit: "CEA24", label: "CEA 2024", continuous: false, previousClose: 9_933)
        let band = OperatorPages.defaultAuctionBand(instrument, .standard)
        // 99.33 × 0.9 = 89.397 → 89.40; × 1.1 = 109.263 → 109.26 (half up to the fen).
        #expect(band.floor == 8_940 && band.ceiling == 10_926)
        var policy = ExchangePolicy.standard
        policy.listingBandPercent = 20
        #expect(OperatorPages.defaultAuctionBand(instrument, policy) == (7_946, 11_920))
    }
}
