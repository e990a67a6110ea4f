import OpenETSServer
import Testing

/// The per-address limits' key (`ClientAddressKey`): IPv4 by address, IPv6 by its /64 prefix,
/// so the 2^64 addresses of one IPv6 network are one client.
@Suite("HTTP server: the client address key of the per-address limits")
struct ClientAddressKeyTests {
    @Test func ipv6IsKeyedByItsSlash64() {
        let a = ClientAddressKey.key(ipAddress: "2001:db8:1:2::1")
        #expect(a == "2001:db8:1:2::/64")
        // Another host of the same /64: the same key, however its interface id is chosen.
        #expect(ClientAddressKey.key(ipAddress: "2001:db8:1:2:ffff:eeee:dddd:cccc") == a)
        #expect(ClientAddressKey.key(ipAddress: "2001:0db8:0001:0002:0000:0000:0000:0002") == a)
        // The next /64: another client.
        #expect(ClientAddressKey.key(ipAddress: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(ClientAddressKey.key(ipAddress: "::1") == "0:0:0:0::/64")
    }

    @Test func ipv4IsKeyedByAddress() {
        #expect(ClientAddressKey.key(ipAddress: "192.0.2.7") == "192.0.2.7")
        #expect(ClientAddressKey.key(ipAddress: "192.0.2.8") == "192.0.2.8")
        // An IPv4 address mapped into IPv6 is that IPv4 address, not the /64 of all of IPv4.
        #expect(ClientAddressKey.key(ipAddress: "::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ClientAddressKey.key(ipAddress: "::ffff:192.0.2.8") == "192.0.2.8")
        #expect(ClientAddressKey.key(ipAddress: "not an address") == "-")
    }
}
