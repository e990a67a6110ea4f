import OpenETSDomain
import Testing

@Suite("Unified social credit code")
struct UnifiedSocialCreditCodeTests {
    /// Codes of well-known companies, published in their business registrations.
    @Test(arguments: ["91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100716105852F", "91110108551385082Q"])
    func publishedCodesValidate(_ code: String) {
        #expect(UnifiedSocialCreditCode(code)?.value == code)
    }

    @Test func wrongCheckCharacterLengthOrAlphabetFails() {
        #expect(UnifiedSocialCreditCode("91110000100001530C") == nil, "check character should be G")
        #expect(UnifiedSocialCreditCode("91110000100001530G") != nil)
        #expect(UnifiedSocialCreditCode("9144030019220382") == nil)
        #expect(UnifiedSocialCreditCode("91440300192203821I") == nil, "I is not in the alphabet")
        #expect(UnifiedSocialCreditCode("9144030019220382160") == nil)
        #expect(UnifiedSocialCreditCode.checkCharacter(for: "91510000MA6123456") == "P")
        #expect(UnifiedSocialCreditCode.checkCharacter(for: "91510000MA6O23456") == nil)
    }
}
