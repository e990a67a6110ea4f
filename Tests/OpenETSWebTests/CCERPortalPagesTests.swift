import OpenETSDomain
import OpenETSWeb
import Testing

/// The CCER portals as pure functions of the CCER and registry states (`CCERPagesTests.states`:
/// P000001 issued to OWN-000001 with a hostile comment, P000002 in notice with a hostile name).
@Suite("CCER portal pages")
struct CCERPortalPagesTests {
    static func context(_ role: Role, account: AccountID? = nil, body: String? = nil) -> TradingPages.Context {
        TradingPages.Context(
            principal: Principal(user: "u", name: "U", role: role, account: account, province: nil, validationBody: body), csrf: "tok", nonce: { "n" },
            message: nil, error: nil)
    }

    @Test func ownerSeesItsProjectsCommentsPeriodsAndHoldings() throws {
        let (ccer, registry) = try CCERPagesTests.states()
        let zh = CCERPortalPages(language: .zh).owner(Self.context(.projectOwner, account: "OWN-000001"), ccer: ccer, registry: registry, today: CivilDate("2025-06-05")!)
        #expect(zh.contains("项目业主门户") && zh.contains("id=\"owner-projects\"") && zh.contains("/ccer/projects/P000001"))
        // User text is escaped: the hostile comment and project name.
        #expect(!zh.contains("<b>风机数量?</b>") && zh.contains("&lt;b&gt;") && !zh.contains("<script>x</script>"))
        #expect(zh.contains("id=\"owner-periods\"") && zh.contains("id=\"ccer-holdings\"") && zh.contains("CCER-P000001-M01"))
        // Every form carries the CSRF token and a nonce; the report form lists registered projects only.
        #expect(zh.contains("name=\"csrf\" value=\"tok\"") && zh.contains("id=\"submit-project-form\"") && zh.contains("id=\"report-form\""))
        let start = try #require(zh.firstRange(of: "id=\"report-project\"")).upperBound
        let end = try #require(zh[start...].firstRange(of: "</select>")).lowerBound
        let options = zh[start..<end]
        #expect(options.contains("value=\"P000001\"") && !options.contains("value=\"P000002\""))
        // Another owner sees none of them.
        let other = CCERPortalPages(language: .en).owner(Self.context(.projectOwner, account: "OWN-000009"), ccer: ccer, registry: registry, today: CivilDate("2025-06-05")!)
        #expect(other.contains("Project owner portal") && other.contains("id=\"no-projects\"") && !other.contains("/ccer/projects/P000001"))
    }

    @Test func validatorGetsAFormOnlyOnceTheNoticeHasEnded() throws {
        let (ccer, _) = try CCERPagesTests.states()
        let p2 = try #require(ccer.projects["P000002"])
        let pages = CCERPortalPages(language: .zh)
        let during = pages.validator(Self.context(.validationBody, body: "CQC"), ccer: ccer, body: "CQC", today: p2.designNotice.endsOn)
        #expect(during.contains("id=\"awaiting-validation\"") && during.contains("P000002") && !during.contains("id=\"validate-P000002\""))
        let after = pages.validator(Self.context(.validationBody, body: "CQC"), ccer: ccer, body: "CQC", today: p2.designNotice.endsOn.adding(days: 1))
        #expect(after.contains("id=\"validate-P000002\"") && after.contains("id=\"body-reports\""))
        let none = CCERPortalPages(language: .en).validator(Self.context(.validationBody), ccer: ccer, body: nil, today: p2.designNotice.endsOn)
        #expect(none.contains("id=\"no-body\"") && !none.contains("awaiting-validation"))
    }
}
