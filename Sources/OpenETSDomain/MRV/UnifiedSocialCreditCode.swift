/// The unified social credit code (统一社会信用代码, GB 32100-2015) that identifies a legal
/// person: 18 characters from `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z); the last is a check
/// character computed from the first 17.
public struct UnifiedSocialCreditCode: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Validates length, alphabet and check character; nil if any fails.
    public init?(_ text: String) {
        guard text.utf8.count == 18, let expected = Self.checkCharacter(for: String(text.dropLast())),
            text.last == expected
        else { return nil }
        value = text
    }

    /// The check character the first 17 characters call for, or nil if they are malformed.
    public static func checkCharacter(for first17: String) -> Character? {
        let bytes = Array(first17.utf8)
        guard bytes.count == 17 else { return nil }
        var sum = 0
        for (index, byte) in bytes.enumerated() {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            sum += digit * weights[index]
        }
        return Character(UnicodeScalar(alphabet[(31 - sum % 31) % 31]))
    }

    public var description: String { value }
}
