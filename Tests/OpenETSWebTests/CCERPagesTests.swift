import OpenETSDomain
import OpenETSWeb
import Testing

/// The public CCER pages as text: zh by default, en on request, a CSV beside every table,
/// dates of every stage, and user text escaped.
@Suite("CCER public pages")
struct CCERPagesTests {
    static func at(_ text: String) -> Timestamp { BeijingTime.timestamp(CivilDate(text)!, hour: 10, minute: 0) }

    /// One project issued (9,000 t to OWN-000001) and one submitted with a hostile name; one
    /// neutrality certificate of 23 t.
    static func states() throws -> (CCERState, RegistryState) {
        var registry = RegistryState()
        var ignored = ChangeSet()
        func run(_ command: RegistryCommand) throws {
            registry.evolve(try registry.decide(command, at: at("2024-06-01"), policy: .defaults), changes: &ignored)
        }
        try run(.openAccount(type: .voluntaryCancellation, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        try run(.openAccount(type: .projectOwner, ownerID: "O1", ownerName: "Owner", province: "JS", representatives: []))
        var ccer = CCERState()
        let policy = CCERPolicy.standard
        func step(_ command: CCERCommand, _ date: String) throws {
            let decision = try ccer.decide(command, at: at(date), policy: policy, registry: registry, registryPolicy: .defaults, entrySeq: 42)
            registry.evolve(decision.registry, changes: &ignored)
            ccer.evolve(decision.events)
        }
        let owner: AccountID = "OWN-000001"
        let hash = String(repeating: "a", count: 64)
        func application(_ name: String) -> ProjectApplication {
            ProjectApplication(
                name: name, owner: owner, methodology: "CCER-01-002-V01", province: "JS", location: "如东县 \(name)", type: "offshore wind",
                constructionStart: CivilDate("2023-03-01")!, creditingStart: CivilDate("2024-01-01")!, creditingEnd: CivilDate("2033-12-31")!,
                expectedAnnualReductionsT: 120_000, designDocumentSHA256: hash)
        }
        try step(.accreditBody(id: "CQC", name: "中国质量认证中心"), "2024-06-11")
        try step(.submitProject(application("如东H5海上风电场"), coveredFacilities: []), "2025-01-20")
        try step(.comment(project: "P000001", period: nil, author: "公众", text: "<b>风机数量?</b>"), "2025-01-22")
        try step(.recordValidation(project: "P000001", body: "CQC", reportSHA256: hash, findings: [], positive: true), "2025-02-24")
        try step(.applyForRegistration(project: "P000001", owner: owner), "2025-02-24")
        try step(.decideRegistration(project: "P000001", approve: true, reason: "ok"), "2025-03-10")
        try step(.submitReductionReport(project: "P000001", owner: owner, start: CivilDate("2024-01-01")!, end: CivilDate("2024-12-31")!, reportedT: 10_000, reportSHA256: hash), "2025-04-01")
        try step(.recordVerification(project: "P000001", period: 1, body: "CQC", reportSHA256: hash, findings: [], verifiedT: 9_000), "2025-04-30")
        try step(.applyForReductionRegistration(project: "P000001", period: 1, owner: owner), "2025-04-30")
        try step(.decideReductionRegistration(project: "P000001", period: 1, approve: true, reason: "ok"), "2025-05-12")
        try step(.issue(project: "P000001", period: 1), "2025-05-13")
        try step(.cancelForNeutrality(NeutralityClaim(account: owner, unit: "CCER-P000001-M01", quantity: 23, beneficiary: "OpenETS 会务组", purpose: .event, subject: "OpenETS 2025")), "2025-06-04")
        try step(.submitProject(application("<script>x</script>"), coveredFacilities: []), "2025-06-04")
        return (ccer, registry)
    }

    @Test func overviewListsMethodologiesAndProjectsByStageWithDates() throws {
        let (ccer, _) = try Self.states()
        let zh = CCERPages(language: .zh).overview(ccer)
        #expect(zh.contains("温室气体自愿减排项目") && zh.contains("CCER-14-001-V01") && zh.contains("造林碳汇"))
        // Sectoral scopes by their Chinese names, in English as the methodologies give them.
        #expect(zh.contains("林业和其他碳汇类型") && !zh.contains("afforestation and reforestation"))
        #expect(CCERPages(language: .en).overview(ccer).contains("afforestation and reforestation"))
        // P000001 is in the "issued" group with its dates; P000002 in notice.
        let issued = try #require(zh.firstRange(of: "id=\"projects-issued\""))
        #expect(zh[issued.lowerBound...].contains("P000001"))
        // The stages by their names: the project's registration, then its period's issuance.
        #expect(zh.contains("已登记 2025-03-10") && zh.contains("已签发 2025-05-13") && !zh.contains("registered 2025"), "\(zh)")
        #expect(CCERPages(language: .en).overview(ccer).contains("registered 2025-03-10"))
        let notice = try #require(zh.firstRange(of: "id=\"projects-project_in_notice\""))
        #expect(zh[notice.lowerBound..<issued.lowerBound].contains("P000002"))
        #expect(zh.contains("/ccer/methodologies.csv") && zh.contains("/ccer/projects.csv"))
        #expect(!zh.contains("<script>x</script>") && zh.contains("&lt;script&gt;"))
        let en = CCERPages(language: .en).overview(ccer)
        #expect(en.contains("CCER projects") && en.contains("Methodologies") && !en.contains("造林碳汇"))
        #expect(en.contains("Issued (1)") && en.contains("Projects in notice (1)"))
    }

    @Test func projectPageShowsNoticesCommentsReviewsAndPeriods() throws {
        let (ccer, _) = try Self.states()
        let html = try #require(CCERPages(language: .zh).project(ccer, id: "P000001"))
        #expect(html.contains("如东H5海上风电场") && html.contains("2025-01-20 – 2025-02-21"))
        #expect(html.contains("&lt;b&gt;风机数量?&lt;/b&gt;") && !html.contains("<b>风机"))
        #expect(html.contains("2024-01-01 – 2024-12-31") && html.contains("9,000") && html.contains("已签发"))
        #expect(CCERPages(language: .zh).project(ccer, id: "P000099") == nil)
    }

    @Test func issuancesAndCancellationsWithCSV() throws {
        let (ccer, registry) = try Self.states()
        let issuances = CCERPages(language: .en).issuances(ccer, registry: registry)
        #expect(issuances.contains("CN-CCER-P000001-2024-000000000001-000000009000") && issuances.contains("/ccer/issuances.csv"))
        let csv = CCERPages.issuancesCSV(ccer, registry: registry)
        #expect(csv.hasPrefix("\u{FEFF}project,period,unit_type,quantity_t"))
        #expect(csv.contains("P000001,1,CCER-P000001-M01,9000,2024,2024,OWN-000001,2025-05-13,CN-CCER-P000001-2024-000000000001-000000009000"))
        let codes: [CertificateNumber: String] = ["VC-00000001": "VC-00000001-0123456789abcdef"]
        let cancellations = CCERPages(language: .zh).cancellations(ccer, registry: registry, codes: codes)
        #expect(cancellations.contains("/ccer/certificates/VC-00000001-0123456789abcdef") && cancellations.contains("OpenETS 会务组"))
        #expect(cancellations.contains("CN-CCER-P000001-2024-000000000001-000000000023") && cancellations.contains("活动"))
        let cancellationsCSV = CCERPages.cancellationsCSV(ccer, registry: registry, codes: codes)
        #expect(cancellationsCSV.contains("VC-00000001,VC-00000001-0123456789abcdef,2025-06-04,OpenETS 会务组,event,OpenETS 2025,OWN-000001,CCER-P000001-M01,23,"))
        #expect(CCERPages.methodologiesCSV(ccer).split(separator: "\r\n").count == 7)
        #expect(CCERPages.projectsCSV(ccer).contains("P000001,如东H5海上风电场,OWN-000001,CCER-01-002-V01,JS"))
    }

    @Test func certificateCheckPage() {
        let view = CCERPages.CertificateView(
            code: "VC-00000001-0123456789abcdef", number: "VC-00000001", beneficiary: "OpenETS 会务组", purpose: "活动", subject: "OpenETS 2025",
            unit: "CCER-P000001-M01", quantity: 23, serialTexts: ["CN-CCER-P000001-2024-000000000001-000000000023"], cancelledOn: "2025-06-04",
            entrySeq: 42, entryHash: String(repeating: "c", count: 64))
        let valid = CCERPages(language: .zh).certificate(code: view.code, result: .success(view))
        #expect(valid.contains("id=\"certificate-valid\"") && valid.contains(String(repeating: "c", count: 64)) && valid.contains("#42"))
        let invalid = CCERPages(language: .en).certificate(code: "<x>", result: .failure(.init(code: "CODE_MISMATCH", message: "no")))
        #expect(invalid.contains("id=\"certificate-invalid\"") && invalid.contains("CODE_MISMATCH") && invalid.contains("&lt;x&gt;"))
        let empty = CCERPages(language: .zh).certificate(code: nil, result: nil)
        #expect(!empty.contains("certificate-valid") && !empty.contains("certificate-invalid") && empty.contains("碳中和证明查验"))
    }
}
