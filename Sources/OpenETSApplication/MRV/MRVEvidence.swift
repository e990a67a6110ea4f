import Crypto
import Foundation

/// The SHA-256 of an evidence file's bytes, as the MRV platform records it (64 lower-case hex
/// digits): computed where the file is read, so the deposit names exactly that file.
public func evidenceSHA256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
