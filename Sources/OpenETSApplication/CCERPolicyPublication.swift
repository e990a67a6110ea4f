import OpenETSDomain

/// A published version of the CCER rules as stored (`ccer_policy`): the built-in
/// `CCERPolicy.standard` is version 1 and is not stored.
public struct StoredCCERPolicy: Hashable, Sendable {
    public var version: Int
    /// Beijing date (YYYY-MM-DD) the version was published as in force from.
    public var effectiveFrom: String
    public var note: String
    public var policy: CCERPolicy
    /// When it was published (the server's market clock, the CLI's system clock); nil for a
    /// version stored before migration 26 recorded it.
    public var publishedAt: Timestamp?

    public init(version: Int, effectiveFrom: String, note: String, policy: CCERPolicy, publishedAt: Timestamp? = nil) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.note = note
        self.policy = policy
        self.publishedAt = publishedAt
    }
}

/// A published version of the CCER rules without the rules themselves: what a list shows.
public struct CCERPolicyHeader: Hashable, Sendable {
    public var version: Int
    public var effectiveFrom: String
    public var note: String
    /// When it was published; nil for a version stored before migration 26 recorded it.
    public var publishedAt: Timestamp?

    public init(version: Int, effectiveFrom: String, note: String, publishedAt: Timestamp? = nil) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.note = note
        self.publishedAt = publishedAt
    }
}

extension RegistryService {
    /// Every reason `policy` (with `note`) may not be published from `effectiveFrom`, as
    /// "field: why" lines (`CCERPolicy.problems()` and the date); empty: none.
    public nonisolated static func publicationProblems(_ policy: CCERPolicy, effectiveFrom: String, note: String) -> [String] {
        var policy = policy
        policy.note = note
        var problems = policy.problems()
        if CivilDate(effectiveFrom) == nil { problems.append("effectiveFrom: '\(effectiveFrom)' is not a date YYYY-MM-DD") }
        return problems
    }

    /// Publishes `policy` as the next version of the CCER rules (`note` becomes its note):
    /// checked whole (`publicationProblems`: INVALID_POLICY naming every problem, nothing
    /// stored), then stored under the journal head lock, with the audit line (`accepted vN` or
    /// `rejected INVALID_POLICY`) in the same transaction. From then on every CCER command this
    /// service decides uses it: the next one, not only after a restart (a batch reads the newest
    /// stored version under the same lock, so none commits after the publication under the
    /// version before it). With `key`, the API's Idempotency-Key is
    /// completed with the answer for the stored version in the same transaction. The version
    /// is recorded as published `at` (default: now on the service's clock).
    public func publishCCERPolicy(
        _ policy: CCERPolicy, effectiveFrom: String, note: String, at: Timestamp? = nil, audit: AuditNote? = nil,
        key: ((_ version: Int) throws -> IdempotencyCompletion)? = nil
    ) async throws -> Result<Int, CCERError> {
        let at = at ?? now()
        var policy = policy
        policy.note = note
        let problems = Self.publicationProblems(policy, effectiveFrom: effectiveFrom, note: note)
        let toStore = policy
        let result: Result<Int, CCERError> = try await store.write { tx in
            _ = try await tx.lockHead()
            let result: Result<Int, CCERError> =
                problems.isEmpty
                ? .success(try await tx.publishCCERPolicy(toStore, effectiveFrom: effectiveFrom, note: note, at: at))
                : .failure(CCERError(.invalidPolicy, problems.joined(separator: "; ")))
            if let audit {
                switch result {
                case .success(let version): try await tx.appendAudit([audit.record(detail: "accepted v\(version)", accepted: true)])
                case .failure(let error): try await tx.appendAudit([audit.record(detail: "rejected " + error.code.rawValue, accepted: false)])
                }
            }
            if case .success(let version) = result, let key { try await tx.completeIdempotencyKey(try key(version)) }
            return result
        }
        if case .success(let version) = result {
            policy.version = version
            adopt(policy)
        }
        return result
    }

    /// Takes a version another process published (`openets ccer policy publish`) since this
    /// service last read or published one, for the reads of the policy (its commands read it
    /// themselves, under the head lock). Reads only the newest version's number unless it is above the one in force, so a
    /// public read of the policy costs one small query.
    public func refreshCCERPolicy() async throws {
        guard try await store.latestCCERPolicyVersion() > ccerPolicy.version else { return }
        adopt(try await store.ccerPolicy())
    }

    /// Every published version without its rules, oldest first (the built-in version 1 not
    /// among them).
    public nonisolated func ccerPolicyVersions() async throws -> [CCERPolicyHeader] { try await store.ccerPolicyVersions() }

    /// One published version with its rules; nil for an unknown one (or the built-in 1).
    public nonisolated func ccerPolicy(version: Int) async throws -> StoredCCERPolicy? { try await store.ccerPolicy(version: version) }

    /// Versions only move forward: two publications finishing out of order leave the later one.
    func adopt(_ policy: CCERPolicy) {
        if policy.version > ccerPolicy.version { ccerPolicy = policy }
    }
}
