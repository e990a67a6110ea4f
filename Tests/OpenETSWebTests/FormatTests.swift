import OpenETSDomain
import OpenETSWeb
import Testing

@Suite("Formatting and pages")
struct FormatTests {
    @Test func tonnesInEachLanguage() {
        #expect(Format.tonnes(30_000_000, .zh) == "3,000万吨")
        #expect(Format.tonnes(12_345, .zh) == "1.2345万吨")
        #expect(Format.tonnes(6_500_000, .zh) == "650万吨")
        #expect(Format.tonnes(9_999, .zh) == "9,999吨")
        #expect(Format.tonnes(10_010, .zh) == "1.001万吨")
        #expect(Format.tonnes(30_000_000, .en) == "30,000,000 t")
        #expect(Format.tonnes(0, .en) == "0 t")
    }

    @Test func formErrorsAreExplainedInChinese() {
        let raw = "INVALID_QUANTITY: quantity must be a positive whole number of tonnes"
        #expect(localizedError(raw, .zh) == "数量不正确：须为正整数吨，且不超过可成交数量（INVALID_QUANTITY: quantity must be a positive whole number of tonnes）")
        #expect(localizedError(raw, .en) == raw)
        // A code without an explanation, or text that is no "CODE: message", is shown as it is.
        #expect(localizedError("SOME_NEW_CODE: why", .zh) == "SOME_NEW_CODE: why")
        #expect(localizedError("plain words", .zh) == "plain words")
    }

    @Test func moneyIsExact() {
        #expect(Format.yuan(123_456) == "1,234.56")
        #expect(Format.yuan(5) == "0.05")
        #expect(Format.yuan(-1_000_00) == "-1,000.00")
        #expect(Format.yuan(Int64.max) == "92,233,720,368,547,758.07")
    }

    @Test func beijingTime() {
        #expect(Format.beijingTime(Timestamp(millisecondsSinceEpoch: 0)) == "1970-01-01 08:00")
        #expect(Format.beijingTime(Timestamp(millisecondsSinceEpoch: 1_735_660_800_000)) == "2025-01-01 00:00")
        #expect(Format.beijingTime(Timestamp(millisecondsSinceEpoch: 1_709_164_800_000)) == "2024-02-29 08:00")
    }

    @Test func escapingAndCSV() {
        #expect(escape("<script>\"a\" & 'b'</script>") == "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;")
        #expect(csvField("plain") == "plain")
        #expect(csvField("a,b") == "\"a,b\"")
        #expect(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    @Test func pagesEscapeOwnerNamesAndSwitchLanguage() {
        var state = RegistryState()
        var changes = ChangeSet()
        state.evolve(.accountOpened(Account(id: "ENT-000001", type: .entity, ownerID: "X", ownerName: "<b>Evil</b> 电厂", province: "SC", status: .open, representatives: [], openedAt: Timestamp(millisecondsSinceEpoch: 0))), changes: &changes)
        let zh = RegistryPages(language: .zh).accounts(state)
        #expect(zh.contains("&lt;b&gt;Evil&lt;/b&gt; 电厂"))
        #expect(!zh.contains("<b>Evil</b>"))
        #expect(zh.contains("重点排放单位") && zh.contains("lang=\"zh-CN\"") && zh.contains("?lang=en"))
        let en = RegistryPages(language: .en).accounts(state)
        #expect(en.contains("Key emitting entity") && en.contains("?lang=zh"))
        #expect(RegistryPages.accountsCSV(state).contains("ENT-000001,entity,open,SC,X,<b>Evil</b> 电厂"))
    }

    @Test func unknownCertificateSaysNotFound() {
        let html = RegistryPages(language: .en).certificate(RegistryState(), number: "VC-404", entry: nil)
        #expect(html.contains("certificate-missing") && html.contains("VC-404"))
    }
}
