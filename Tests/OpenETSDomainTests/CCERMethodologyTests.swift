import OpenETSDomain
import Testing

@Suite("CCER methodologies as data")
struct CCERMethodologyTests {
    typealias F = CCERFixture

    @Test func theSixPublishedMethodologies() {
        let codes = Methodology.seed.map(\.code)
        #expect(codes == ["CCER-14-001-V01", "CCER-01-001-V01", "CCER-01-002-V01", "CCER-14-002-V01", "CCER-10-001-V01", "CCER-07-001-V01"])
        for methodology in Methodology.seed {
            #expect(methodology.version == 1)
            #expect(methodology.sectorNumber == Methodology.parse(code: methodology.code)?.sector)
            #expect(methodology.documents.first?.contains(methodology.code) == true)
            // Crediting rules are not in DOMAIN.md or the seeds: marked.
            #expect(methodology.creditingPeriod.verified == false)
            #expect(methodology.unverified.contains("crediting_period"))
        }
        let methane = Methodology.seed[4]
        #expect(methane.gases == [.ch4, .co2] && methane.sectorNumber == 10)
        #expect(Methodology.seed[0].creditingPeriod.minYears == 20 && Methodology.seed[2].creditingPeriod.maxYears == 10)
        #expect(CCERState().methodologies.count == 6)
    }

    @Test func codesParse() {
        let afforestation = Methodology.parse(code: "CCER-14-001-V01")
        #expect(afforestation?.sector == 14 && afforestation?.number == 1 && afforestation?.version == 1)
        let later = Methodology.parse(code: "CCER-01-002-V12")
        #expect(later?.sector == 1 && later?.number == 2 && later?.version == 12)
        for bad in ["CCER-01-001V01", "CCER-1-001-V01", "CCER-01-001-V00", "VCS-01-001-V01", "CCER-01-001-01", "CCER-01-001-V01-X"] {
            #expect(Methodology.parse(code: bad) == nil, "\(bad)")
        }
    }

    static func newMethodology(_ code: String = "CCER-03-001-V01") -> Methodology {
        Methodology(
            code: code, name: "示例方法学", nameEn: "Example", sector: "energy demand", gases: [.co2],
            creditingPeriod: CreditingPeriodRule(minYears: nil, maxYears: 10, renewable: false, verified: false, source: "test"),
            documents: ["示例方法学 (\(code))"], publishedOn: CivilDate("2025-06-01")!, source: "test", unverified: ["crediting_period"])
    }

    @Test func aRegulatorAddsAMethodology() throws {
        var f = F()
        let events = try f.run(.addMethodology(Self.newMethodology()), on: "2025-06-02")
        #expect(events == [.methodologyAdded(Self.newMethodology())])
        #expect(f.state.methodologies["CCER-03-001-V01"]?.nameEn == "Example")
        // A project may now use it.
        try f.submit(F.application(methodology: "CCER-03-001-V01"), on: "2025-06-03")
    }

    @Test func badMethodologiesAreRejected() {
        let f = F()
        f.reject(.addMethodology(Self.newMethodology("CCER-01-002-V01")), .duplicateMethodology, on: "2025-06-02")
        f.reject(.addMethodology(Self.newMethodology("CCER-3-001-V01")), .invalidArgument, on: "2025-06-02")
        var noGas = Self.newMethodology()
        noGas.gases = []
        f.reject(.addMethodology(noGas), .invalidArgument, on: "2025-06-02")
        var badPeriod = Self.newMethodology()
        badPeriod.creditingPeriod.minYears = 11
        f.reject(.addMethodology(badPeriod), .invalidArgument, on: "2025-06-02")
        var noDocuments = Self.newMethodology()
        noDocuments.documents = []
        f.reject(.addMethodology(noDocuments), .invalidArgument, on: "2025-06-02")
        var tooMany = Self.newMethodology()
        tooMany.documents = Array(repeating: "doc", count: CCERLimits.defaults.maxDocumentsPerMethodology + 1)
        f.reject(.addMethodology(tooMany), .limitExceeded, on: "2025-06-02")
        var unknownField = Self.newMethodology()
        unknownField.unverified = ["colour"]
        f.reject(.addMethodology(unknownField), .invalidArgument, on: "2025-06-02")
    }

    @Test func accreditation() throws {
        var f = F()
        f.reject(.accreditBody(id: F.body, name: "again"), .duplicateBody, on: "2025-01-02")
        f.reject(.accreditBody(id: "cqc", name: "lower case"), .invalidArgument, on: "2025-01-02")
        f.reject(.withdrawAccreditation(id: "NOBODY"), .unknownBody, on: "2025-01-02")
        try f.run(.withdrawAccreditation(id: F.body), on: "2025-01-02")
        #expect(f.state.bodies[F.body]?.accredited == false && f.state.bodies[F.body]?.withdrawnOn == CivilDate("2025-01-02"))
        f.reject(.withdrawAccreditation(id: F.body), .notAccredited, on: "2025-01-03")
        try f.run(.accreditBody(id: F.body, name: "中国质量认证中心"), on: "2025-01-06")
        #expect(f.state.bodies[F.body]?.accredited == true)
    }
}
