import Crypto
import Foundation
import OpenETSDomain
import _CryptoExtras

/// Passwords are stored as scrypt hashes: `scrypt$N$r$p$<salt base64>$<hash base64>`.
/// The cost parameters are named here and travel with each hash, so raising them later keeps
/// old hashes verifiable.
public enum PasswordHasher {
    /// scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, ~50 ms on this machine).
    public static let cost = 1 << 14
    public static let blockSize = 8
    public static let parallelism = 1
    public static let saltBytes = 16
    public static let hashBytes = 32
    /// Longest password accepted (bytes): a bound on the work one request can cause.
    public static let maxPasswordBytes = 256

    public static func hash(_ password: String, salt: [UInt8]? = nil) throws -> String {
        let salt = salt ?? (0..<saltBytes).map { _ in UInt8.random(in: 0...255) }
        let key = try derive(password, salt: salt, cost: cost, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(cost)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            n <= 1 << 20, r <= 32, p <= 16, let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
            password.utf8.count <= maxPasswordBytes,
            let key = try? derive(password, salt: Array(salt), cost: n, blockSize: r, parallelism: p)
        else { return false }
        return constantTimeEqual(key, Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: hashBytes, rounds: cost, blockSize: blockSize,
            parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

/// Time-based one-time passwords (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits, secrets in
/// base32 (what authenticator apps take). One step either side is accepted for clock drift.
public enum TOTP {
    public static let step: Int64 = 30
    public static let digits = 6
    public static let window: Int64 = 1

    public static func code(secret: String, at time: Timestamp) -> String? {
        guard let key = base32Decode(secret), !key.isEmpty else { return nil }
        return code(key: key, counter: time.millisecondsSinceEpoch / 1000 / step)
    }

    public static func verify(_ code: String, secret: String, at time: Timestamp) -> Bool {
        matchingStep(code, secret: secret, at: time) != nil
    }

    /// The time step (counter) whose code `code` is, within the window; nil when none. The
    /// login records it so that a code, once accepted, never logs in again.
    public static func matchingStep(_ code: String, secret: String, at time: Timestamp) -> Int64? {
        guard code.count == digits, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber), let key = base32Decode(secret) else { return nil }
        let counter = time.millisecondsSinceEpoch / 1000 / step
        return (-window...window).map { counter + $0 }.first { candidate in
            constantTimeEqual(Array(self.code(key: key, counter: candidate).utf8), Array(code.utf8))
        }
    }

    static func code(key: [UInt8], counter: Int64) -> String {
        var big = UInt64(bitPattern: counter).bigEndian
        let message = withUnsafeBytes(of: &big) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let text = String(value % 1_000_000)
        return String(repeating: "0", count: digits - text.count) + text
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func base32Encode(_ bytes: [UInt8]) -> String {
        var bits = 0, value = 0
        var output: [UInt8] = []
        for byte in bytes {
            value = (value << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(value >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(value << (5 - bits)) & 31]) }
        return String(decoding: output, as: UTF8.self)
    }

    public static func base32Decode(_ text: String) -> [UInt8]? {
        var bits = 0, value = 0
        var output: [UInt8] = []
        for char in text.uppercased().utf8 where char != UInt8(ascii: "=") && char != UInt8(ascii: " ") {
            guard let index = alphabet.firstIndex(of: char) else { return nil }
            value = (value << 5) | index
            bits += 5
            if bits >= 8 {
                output.append(UInt8((value >> (bits - 8)) & 0xff))
                bits -= 8
            }
            value &= 0xffff
        }
        return output
    }

    /// A new random 160-bit secret.
    public static func newSecret() -> String { base32Encode((0..<20).map { _ in UInt8.random(in: 0...255) }) }
}
