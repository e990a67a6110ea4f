import NIOCore

/// The key a per-address limit counts a client under: an IPv4 address as it is; an IPv6
/// address by its /64 prefix (one subscriber's network: a host given a /64 has 2^64 addresses,
/// so counting each would give it unlimited keys); an IPv4 address mapped into IPv6
/// (`::ffff:a.b.c.d`) as that IPv4 address. Anything else (a Unix socket, none) is "-".
public enum ClientAddressKey {
    /// The key of an address written as text (`192.0.2.7`, `2001:db8::1`); "-" when it is not one.
    public static func key(ipAddress: String) -> String {
        key(try? SocketAddress(ipAddress: ipAddress, port: 0))
    }

    public static func key(_ address: SocketAddress?) -> String {
        switch address {
        case .v4:
            return address?.ipAddress ?? "-"
        case .v6(let v6):
            // The 16 address bytes of the sockaddr_in6, at offset 8 on Linux and Darwin alike
            // (after family and port, 4 bytes, and the flow information, 4 bytes).
            let raw = withUnsafeBytes(of: v6.address) { Array($0) }
            guard raw.count >= 24 else { return "-" }
            let bytes = Array(raw[8..<24])
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes[12..<16].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 8, by: 2).map { i -> String in
                let value = Int(bytes[i]) << 8 | Int(bytes[i + 1])
                return String(value, radix: 16)
            }
            return groups.joined(separator: ":") + "::/64"
        default:
            return "-"
        }
    }
}
