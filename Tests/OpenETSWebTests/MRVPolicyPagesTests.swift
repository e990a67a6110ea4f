import OpenETSDomain
import OpenETSWeb
import Testing

/// The MRV policy tables' page as a pure function of its model: the grid by data year, the
/// versions, the MEE's form only for the MEE, a check's code or changes, text escaped.
@Suite("MRV policy tables page")
struct MRVPolicyPagesTests {
    static func model(mayPublish: Bool, check: MRVPolicyPages.Check? = nil) -> MRVPolicyPages.Model {
        MRVPolicyPages.Model(
            version: 1,
            inForce: .init(version: 1, effectiveFrom: "2025-06-01", publishedAt: "2025-06-01 09:30", note: "<b>grid</b> corrected", inForce: true),
            years: [2022, 2023],
            accounting: [.init(parameter: "gridFactorTPerMWh", values: ["0.6", nil])],
            platform: [.init(parameter: "monthlyDueDays", values: ["40", "40"])],
            versions: [.init(version: 1, effectiveFrom: "2025-06-01", publishedAt: "2025-06-01 09:30", note: "<b>grid</b> corrected", inForce: true)],
            mayPublish: mayPublish, draft: "{\"accounting\":[]}", check: check)
    }

    static func context(_ role: Role) -> TradingPages.Context {
        TradingPages.Context(
            principal: Principal(user: "u", name: "U", role: role, account: nil, province: nil), csrf: "tok", nonce: { "n" }, message: nil, error: nil)
    }

    @Test func everyoneReadsTheGridOnlyTheMEEGetsTheForm() {
        let read = MRVPolicyPages(language: .zh).page(Self.context(.province), Self.model(mayPublish: false))
        #expect(read.contains("<td><code>gridFactorTPerMWh</code></td><td>0.6</td><td>—</td>"), "absent in 2023: a dash")
        #expect(read.contains("<th>2022</th><th>2023</th>") && read.contains("id=\"policy-in-force\">v1"))
        #expect(read.contains("&lt;b&gt;grid&lt;/b&gt;") && !read.contains("<b>grid</b>"), "the note escaped")
        #expect(!read.contains("id=\"policy-form\"") && read.contains("现行版本"))
        #expect(read.contains("/portal/mrv-policy?format=csv&amp;table=2"), "each table links its CSV")

        let mee = MRVPolicyPages(language: .en).page(Self.context(.mee), Self.model(mayPublish: true))
        #expect(mee.contains("id=\"policy-form\"") && mee.contains("formaction=\"/portal/mrv-policy/check\"") && mee.contains("name=\"csrf\" value=\"tok\""))
        #expect(mee.contains("{&quot;accounting&quot;:[]}</textarea>") && mee.contains("Version in force"))
    }

    @Test func aCheckShowsItsCodeOrItsChanges() {
        let refused = MRVPolicyPages(language: .zh).page(Self.context(.mee), Self.model(
            mayPublish: true, check: .init(inForce: 1, changes: [], code: "INVALID_POLICY", message: "platform[2019]: missing")))
        #expect(refused.contains("id=\"check-refused\"") && refused.contains("<code>INVALID_POLICY</code> platform[2019]: missing") && !refused.contains("id=\"check-ok\""))
        let passed = MRVPolicyPages(language: .en).page(Self.context(.mee), Self.model(
            mayPublish: true, check: .init(inForce: 1, changes: ["accounting[2022].gridFactorTPerMWh: \"0.6\" → \"0.61\""], code: nil, message: nil)))
        #expect(passed.contains("id=\"check-ok\"") && passed.contains("1 change(s) against v1"))
        #expect(passed.contains("<li><code>accounting[2022].gridFactorTPerMWh: &quot;0.6&quot; → &quot;0.61&quot;</code></li>"))
    }
}
