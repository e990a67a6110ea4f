import Crypto
import Foundation
import OpenETSDomain

/// The canonical JSON of a plan (sorted keys, decimals as strings) and its SHA-256: what the
/// store keeps and what a stage records as the plan it ran on.
public enum AllocationPlanCodec {
    public static func body(_ plan: AllocationPlan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field of a plan encodes; a failure is a programming error.
        return String(decoding: try! encoder.encode(plan), as: UTF8.self)
    }

    public static func sha256(_ body: String) -> String {
        SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ plan: AllocationPlan) -> String { sha256(body(plan)) }

    /// The leaves of a plan's JSON by path ("categories[0].electricity_benchmark" → "0.7910").
    static func leaves(_ plan: AllocationPlan) -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ value: JSONLeafValue, _ path: String) {
            switch value {
            case .object(let object):
                for (key, inner) in object { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
            case .array(let array):
                if array.isEmpty { result[path] = "[]" }
                for (index, inner) in array.enumerated() { walk(inner, "\(path)[\(index)]") }
            case .scalar(let text):
                result[path] = text
            }
        }
        // The body is JSON this process just encoded.
        walk(try! JSONDecoder().decode(JSONLeafValue.self, from: Data(body(plan).utf8)), "")
        return result
    }
}

/// Any JSON value, scalars kept as JSON spells them (a plan has no floating-point numbers).
indirect enum JSONLeafValue: Decodable {
    case object([String: JSONLeafValue])
    case array([JSONLeafValue])
    case scalar(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .scalar("null")
        } else if let value = try? container.decode(Bool.self) {
            self = .scalar(value ? "true" : "false")
        } else if let value = try? container.decode(Int64.self) {
            self = .scalar(String(value))
        } else if let value = try? container.decode(String.self) {
            self = .scalar(value)
        } else if let value = try? container.decode([JSONLeafValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONLeafValue].self))
        }
    }
}

/// One parameter that differs between two versions of a plan.
public struct AllocationPlanChange: Hashable, Codable, Sendable {
    public var path: String
    public var before: String?
    public var after: String?

    public init(path: String, before: String?, after: String?) {
        self.path = path
        self.before = before
        self.after = after
    }
}

/// A plan as the cycle and the calculators use it: the published version in the store, or
/// the shipped plan of that id while none is published.
public struct ResolvedAllocationPlan: Hashable, Sendable {
    public enum Source: String, Codable, Sendable {
        case store
        case shipped
    }

    public var plan: AllocationPlan
    public var source: Source
    public var sha256: String
}

/// Loads, reviews and publishes allocation plans as versioned data (issue 5 §1):
///
/// - `load`: a plan is validated (`INVALID_PLAN` with the broken rule otherwise) and stored as
///   a **draft** under the next version of its id (after every stored version and the shipped
///   plan's); the result lists the parameters that differ from the published version.
///   Loading the same parameters as the latest version again is `PLAN_UNCHANGED`.
/// - `publish`: a draft becomes **published**; the version published before it becomes
///   **superseded**, in one transaction. A published or superseded version never changes;
///   an older draft than the published version cannot be published (`PLAN_STATUS`).
/// - `resolve`: the published version of an id, else the shipped plan (the shipped plans are
///   the fallback, not rows: a store without plans runs on them).
public struct AllocationPlanService: Sendable {
    public let store: any AllocationPlanStore
    public let clock: any LedgerClock
    public let shipped: [AllocationPlan]

    public init(store: any AllocationPlanStore, clock: any LedgerClock, shipped: [AllocationPlan] = AllocationPlan.shipped) {
        self.store = store
        self.clock = clock
        self.shipped = shipped
    }

    public enum Limits {
        public static let maxByLength = 64
        /// Stored versions of one plan id.
        public static let maxVersions = 1_000
    }

    public struct LoadResult: Hashable, Sendable {
        public var stored: StoredAllocationPlan
        /// The version the changes are against: the published one (stored or shipped); nil
        /// for a plan id seen for the first time.
        public var comparedWith: Int?
        public var changes: [AllocationPlanChange]
    }

    /// With `audit`, the line `accepted <id> v<version>` is written in the transaction that
    /// stores the draft; a refusal stores nothing and writes no line (the caller audits it).
    /// With `key`, the API's Idempotency-Key is completed with the answer `key` makes of the
    /// result in that transaction too (the draft, its line and its key commit together).
    public func load(
        _ plan: AllocationPlan, by: String, audit: AuditNote? = nil, key: ((LoadResult) throws -> IdempotencyCompletion)? = nil
    ) async throws -> LoadResult {
        try Self.checkBy(by)
        try plan.validate()
        try AllocationCalculator.requireComputable(plan)
        let versions = try await store.planVersions(id: plan.id)
        guard versions.count < Limits.maxVersions else {
            throw AllocationError(.limitExceeded, "plan \(plan.id) has \(Limits.maxVersions) versions already")
        }
        let shippedPlan = shipped.first { $0.id == plan.id }
        let latest = versions.last?.plan ?? shippedPlan
        if let latest, Self.sameParameters(latest, plan) {
            throw AllocationError(.planUnchanged, "plan \(plan.id): the same parameters as version \(latest.version)")
        }
        var draft = plan
        draft.version = max(versions.last?.plan.version ?? 0, shippedPlan?.version ?? 0) + 1
        let body = AllocationPlanCodec.body(draft)
        let stored = StoredAllocationPlan(
            plan: draft, status: .draft, body: body, sha256: AllocationPlanCodec.sha256(body), loadedBy: by, loadedAt: clock.now())
        let line = audit?.record(detail: "accepted \(plan.id) v\(draft.version)", accepted: true)
        let published = Self.published(versions)?.plan ?? (versions.contains { $0.status == .superseded } ? nil : shippedPlan)
        let result = LoadResult(stored: stored, comparedWith: published?.version, changes: published.map { Self.changes(from: $0, to: draft) } ?? [])
        guard try await store.insertPlanDraft(stored, audit: line, key: try key?(result)) else {
            throw AllocationError(.planStatus, "plan \(plan.id) version \(draft.version) was stored by another load meanwhile: load again")
        }
        return result
    }

    /// Publishes `version` of `id` (default: its latest draft). With `audit`, the line
    /// `accepted <id> v<version>` is written in the transaction that publishes it; with `key`,
    /// the Idempotency-Key's completion (the answer `key` makes of the published version) too.
    public func publish(
        id: String, version: Int?, by: String, audit: AuditNote? = nil, key: ((StoredAllocationPlan) throws -> IdempotencyCompletion)? = nil
    ) async throws -> StoredAllocationPlan {
        try Self.checkBy(by)
        let versions = try await store.planVersions(id: id)
        guard !versions.isEmpty else { throw AllocationError(.unknownPlan, "no stored plan \(id): load it first (openets plan load)") }
        let target: StoredAllocationPlan
        if let version {
            guard let found = versions.first(where: { $0.plan.version == version }) else {
                throw AllocationError(.unknownPlan, "plan \(id) has no version \(version) (stored: \(versions.map { String($0.plan.version) }.joined(separator: ", ")))")
            }
            target = found
        } else {
            guard let draft = versions.last(where: { $0.status == .draft }) else {
                throw AllocationError(.planStatus, "plan \(id) has no draft to publish")
            }
            target = draft
        }
        guard target.status == .draft else {
            throw AllocationError(.planStatus, "plan \(id) version \(target.plan.version) is \(target.status.rawValue): only a draft is published")
        }
        if let current = Self.published(versions), current.plan.version > target.plan.version {
            throw AllocationError(
                .planStatus, "plan \(id) version \(target.plan.version) is older than the published version \(current.plan.version)")
        }
        let line = audit?.record(detail: "accepted \(id) v\(target.plan.version)", accepted: true)
        // The version as the publishing transaction leaves it (the answer its key stores).
        var published = target
        published.status = .published
        published.publishedBy = by
        published.publishedAt = clock.now()
        guard try await store.publishPlan(
            id: id, version: target.plan.version, by: by, at: published.publishedAt!, audit: line, key: try key?(published))
        else {
            throw AllocationError(.planStatus, "plan \(id) version \(target.plan.version) is no longer a draft")
        }
        return published
    }

    /// The plan the cycle and the calculators run on: the published version, else shipped.
    public func resolve(id: String) async throws -> ResolvedAllocationPlan {
        if let published = Self.published(try await store.planVersions(id: id)) {
            try published.plan.validate()
            return ResolvedAllocationPlan(plan: published.plan, source: .store, sha256: published.sha256)
        }
        let plan = try PlanReference.id(id).resolve(in: shipped)
        return ResolvedAllocationPlan(plan: plan, source: .shipped, sha256: AllocationPlanCodec.sha256(plan))
    }

    /// One version of a plan: stored, or (version 1 of a shipped id not in the store) shipped.
    public func version(id: String, version: Int) async throws -> StoredAllocationPlan? {
        try await store.planVersions(id: id).first { $0.plan.version == version }
    }

    public func versions(id: String) async throws -> [StoredAllocationPlan] { try await store.planVersions(id: id) }

    /// Every plan id with its versions: stored ones, and shipped plans (as `nil` rows) whose
    /// id has no published version in the store.
    public func catalog() async throws -> [AllocationPlanListing] {
        let stored = Dictionary(grouping: try await store.allPlanVersions(), by: \.plan.id)
        var ids = Set(stored.keys)
        for plan in shipped { ids.insert(plan.id) }
        return ids.sorted().map { id in
            let versions = stored[id] ?? []
            let shippedPlan = Self.published(versions) == nil ? shipped.first { $0.id == id } : nil
            return AllocationPlanListing(id: id, versions: versions, shipped: shippedPlan)
        }
    }

    static func published(_ versions: [StoredAllocationPlan]) -> StoredAllocationPlan? { versions.last { $0.status == .published } }

    /// The same parameters, whatever the version number.
    static func sameParameters(_ a: AllocationPlan, _ b: AllocationPlan) -> Bool {
        var b = b
        b.version = a.version
        return AllocationPlanCodec.body(a) == AllocationPlanCodec.body(b)
    }

    public static func changes(from old: AllocationPlan, to new: AllocationPlan) -> [AllocationPlanChange] {
        let before = AllocationPlanCodec.leaves(old)
        let after = AllocationPlanCodec.leaves(new)
        return Set(before.keys).union(after.keys).filter { $0 != "version" && before[$0] != after[$0] }.sorted()
            .map { AllocationPlanChange(path: $0, before: before[$0], after: after[$0]) }
    }

    static func checkBy(_ by: String) throws(AllocationError) {
        guard !by.isEmpty, by.utf8.count <= Limits.maxByLength else {
            throw AllocationError(.invalidValue, "who loads or publishes a plan: 1-\(Limits.maxByLength) characters")
        }
    }
}

/// A plan id in the catalog: its stored versions, and the shipped plan it runs on while no
/// version is published.
public struct AllocationPlanListing: Hashable, Sendable {
    public var id: String
    public var versions: [StoredAllocationPlan]
    public var shipped: AllocationPlan?

    public init(id: String, versions: [StoredAllocationPlan], shipped: AllocationPlan?) {
        self.id = id
        self.versions = versions
        self.shipped = shipped
    }

    /// The plan in force: the published version, else the shipped plan.
    public var current: AllocationPlan? { versions.last { $0.status == .published }?.plan ?? shipped }
}

extension Timestamp {
    /// "2026-11-21T15:04+08:00": the minute in Beijing time, for who-and-when records.
    public var beijingMinute: String {
        let minute = BeijingTime.minuteOfDay(self)
        let hh = minute / 60, mm = minute % 60
        return "\(BeijingTime.date(self))T\(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)+08:00"
    }
}
