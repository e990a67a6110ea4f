import Foundation
import OpenETSDomain

/// What a set of MRV policy tables changes against another, as `path: old → new` lines
/// (`accounting[2022].gridFactorTPerMWh: "0.5703" → "0.6"`): what `openets mrv policy check`
/// and `publish` print and the API's checkMRVPolicy and publishMRVPolicy answer.
public enum MRVPolicyChanges {
    /// Every leaf value that differs, in a stable order (keys sorted, tables by data year).
    public static func between(_ old: MRVPolicyTables, _ new: MRVPolicyTables) -> [String] {
        differences(object(old), object(new))
    }

    static func object(_ tables: MRVPolicyTables) -> Any? {
        // Encoding plain Codable tables cannot fail.
        try? JSONSerialization.jsonObject(with: try! JSONEncoder().encode(tables))
    }

    /// The leaf values that differ between two JSON documents, as `path: old → new`.
    public static func differences(_ old: Any?, _ new: Any?, path: String = "") -> [String] {
        switch (old, new) {
        case (let a as [String: Any], let b as [String: Any]):
            return Set(a.keys).union(b.keys).sorted().flatMap { differences(a[$0], b[$0], path: path.isEmpty ? $0 : "\(path).\($0)") }
        case (let a as [Any], let b as [Any]):
            // Tables are lists by data year: name the year instead of the index where there is one.
            return (0..<max(a.count, b.count)).flatMap { i -> [String] in
                let left = i < a.count ? a[i] : nil
                let right = i < b.count ? b[i] : nil
                let year = ((right ?? left) as? [String: Any])?["year"].map { "\($0)" }
                return differences(left, right, path: "\(path)[\(year ?? String(i))]")
            }
        default:
            let (a, b) = (describe(old), describe(new))
            return a == b ? [] : ["\(path): \(a) → \(b)"]
        }
    }

    static func describe(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "∅" }
        if let text = value as? String { return "\"\(text)\"" }
        if value is [Any] || value is [String: Any], let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}

/// A published MRV policy version (`MRVService.publishPolicy`): its number and the tables it
/// replaced, read in the publication's transaction (so its changes are exactly this version's).
public struct MRVPolicyPublication: Hashable, Sendable {
    public var version: Int
    /// The tables in force when the version was stored, which it was checked against.
    public var previous: MRVPolicyTables

    public init(version: Int, previous: MRVPolicyTables) {
        self.version = version
        self.previous = previous
    }
}
