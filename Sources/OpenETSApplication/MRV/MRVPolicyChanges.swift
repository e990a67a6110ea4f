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
    /// The version as stored (its publication time and note), when the service made it.
    public var stored: StoredMRVPolicy?

    public init(version: Int, previous: MRVPolicyTables, stored: StoredMRVPolicy? = nil) {
        self.version = version
        self.previous = previous
        self.stored = stored
    }
}

/// The MRV policy tables as a grid for reading (the web page of the tables): for each list
/// (`accounting`, `platform`), each data year's leaf values by their path within that year's
/// table (`fuels.coal.ncvGJPerUnit`, `reportDeadlines.power`), the same paths
/// `MRVPolicyChanges` names after `accounting[YEAR].`. A list of plain values is one leaf (its
/// values joined by ", "); an absent optional value has no path in that year.
public enum MRVPolicyGrid {
    /// Data year → path → value as text (decimals as written, no floating point).
    public typealias Years = [Int: [String: String]]

    public static func of(_ tables: MRVPolicyTables) -> (accounting: Years, platform: Years) {
        let document = MRVPolicyChanges.object(tables) as? [String: Any] ?? [:]
        return (years(document["accounting"]), years(document["platform"]))
    }

    static func years(_ list: Any?) -> Years {
        var years: Years = [:]
        for case let table as [String: Any] in list as? [Any] ?? [] {
            guard let year = (table["year"] as? NSNumber)?.intValue else { continue }
            var values: [String: String] = [:]
            for (key, value) in table where key != "year" { leaves(value, path: key, into: &values) }
            years[year] = values
        }
        return years
    }

    static func leaves(_ value: Any, path: String, into values: inout [String: String]) {
        switch value {
        case let object as [String: Any]:
            for (key, inner) in object { leaves(inner, path: "\(path).\(key)", into: &values) }
        case let list as [Any] where list.contains(where: { $0 is [String: Any] || $0 is [Any] }):
            for (index, inner) in list.enumerated() { leaves(inner, path: "\(path)[\(index)]", into: &values) }
        case let list as [Any]:
            values[path] = list.map(text).joined(separator: ", ")
        default:
            values[path] = text(value)
        }
    }

    static func text(_ value: Any) -> String {
        if value is NSNull { return "∅" }
        if let string = value as? String { return string }
        return "\(value)"
    }
}
