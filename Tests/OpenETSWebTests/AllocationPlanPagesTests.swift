import OpenETSDomain
import OpenETSWeb
import Testing

/// The plan review pages as text: zh by default, en on request; every type's parameters;
/// unverified values marked; ids escaped.
@Suite("Allocation plan pages")
struct AllocationPlanPagesTests {
    static func plan(_ id: String) -> AllocationPlan { AllocationPlan.shipped.first { $0.id == id }! }

    static let published = AllocationPlanPages.Version(
        version: 2, status: "published", sha256: String(repeating: "ab", count: 32), loadedBy: "mee-a", loadedAt: "2026-11-21T10:00+08:00",
        publishedBy: "mee-b", publishedAt: "2026-11-21T11:00+08:00")

    @Test func theListShowsTheVersionInForceAndEveryStoredVersion() {
        let rows = [
            AllocationPlanPages.Row(
                id: "power-2024", current: Self.plan("power-2024"), currentVersion: Self.published,
                versions: [Self.published, .init(version: 3, status: "draft", sha256: "cd")]),
            AllocationPlanPages.Row(
                id: "steel-2024", current: Self.plan("steel-2024"), currentVersion: .init(version: 1, status: "shipped", sha256: "ef"), versions: []),
            AllocationPlanPages.Row(id: "<x>", current: nil, currentVersion: nil, versions: [.init(version: 1, status: "draft", sha256: "00")]),
        ]
        let zh = AllocationPlanPages(language: .zh).list(rows)
        #expect(zh.contains("配额分配方案") && zh.contains("v2 已发布") && zh.contains("v3 草案") && zh.contains("按核查排放量等量分配"))
        #expect(zh.contains("随软件发布") && zh.contains("&lt;x&gt;") && !zh.contains("<x>"))
        let en = AllocationPlanPages(language: .en).list(rows)
        #expect(en.contains("Allocation plans") && en.contains("v2 published") && en.contains("verified emissions") && en.contains("none (not published)"))
    }

    @Test func aPlanShowsItsTypesParametersAndMarksUnverifiedValues() {
        let power = AllocationPlanPages(language: .en).plan(Self.plan("power-2024"), version: Self.published, versions: [Self.published])
        #expect(power.contains("0.7910") && power.contains("coal_gt300") && power.contains("[unverified]") && power.contains("mee-b 2026-11-21T11:00+08:00"))
        #expect(power.contains("No reserve"))
        let hubei = AllocationPlanPages(language: .zh).plan(
            Self.plan("example-hubei-2024"), version: .init(version: 1, status: "shipped", sha256: "ef"), versions: [])
        #expect(hubei.contains("市场调节因子") && hubei.contains("0.9897") && hubei.contains("[未核实]"))
        #expect(hubei.contains("储备配额占总量 0.08") && hubei.contains("底价 20.00 元/吨"))
        let historical = AllocationPlanPages(language: .en).plan(
            Self.plan("example-historical-2024"), version: .init(version: 1, status: "shipped", sha256: "ef"), versions: [])
        #expect(historical.contains("2021, 2022, 2023") && historical.contains("control factor 0.98"))
        let decline = AllocationPlanPages(language: .en).plan(
            Self.plan("example-intensity-decline-2024"), version: .init(version: 1, status: "shipped", sha256: "ef"), versions: [])
        #expect(decline.contains("Decline rate 0.02"))
    }
}
