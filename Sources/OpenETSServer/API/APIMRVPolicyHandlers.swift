import Foundation
import HTTPTypes
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The MRV platform's stored evidence bytes and its policy tables in the REST API, as
/// `openets mrv evidence get` and `openets mrv policy show|history|check|publish`: a month's
/// evidence file served after its bytes are re-hashed (same read scope as the month's evidence
/// list); the policy tables in force and their versions (public, as allocation plans are); a
/// check and the publication of a new version by the MEE (`mrv_policy`).
extension APIHandler {
    /// The largest body of `checkMRVPolicy` and `publishMRVPolicy`: a whole set of tables (the
    /// seed's six data years are about 30 KiB of JSON; a century of years fits).
    static let maxPolicyBodyBytes = 1 << 20

    // MARK: evidence bytes

    func getMRVEvidenceFile(_ input: Operations.GetMRVEvidenceFile.Input) async throws -> Operations.GetMRVEvidenceFile.Output {
        let facility = FacilityID(input.path.facilityId)
        let state: MRVState
        switch try await mrvFacilityReader(facility) {
        case .failure(.refused(let refusal)): return refusal.guarded()
        case .failure(.unavailable): return .serviceUnavailable(.init(body: .json(Self.unavailableMRV)))
        case .failure(.unknown(let error)): return .notFound(.init(body: .json(error)))
        case .success(let found): state = found.0
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let sha256 = input.path.sha256
        guard Self.isSHA256(sha256) else {
            return .badRequest(.init(body: .json(Self.error("INVALID_INPUT", "sha256: 64 lower-case hex digits required", ["field": "sha256"]))))
        }
        let key = FacilityMonth(facility: facility, year: Int(input.path.year), month: Int(input.path.month))
        guard let record = state.months[key] else {
            return .notFound(.init(body: .json(Self.error("MONTH_NOT_SUBMITTED", "\(key) has not been submitted", ["facility": facility.rawValue]))))
        }
        // The name the newest list gives the file; a file this month never listed is unknown
        // here, whether or not another month stored it.
        guard let file = record.evidenceHistory.reversed().lazy.flatMap(\.files).first(where: { $0.sha256 == sha256 }) else {
            return .notFound(.init(body: .json(Self.unknownEvidence(key, sha256))))
        }
        // The whole file is read and hashed: a place among the downloads served at once is
        // held until the answer is made (503 beyond them), so memory is bounded.
        guard evidenceDownloads.enter() else {
            return .serviceUnavailable(.init(body: .json(Self.error(
                "UNAVAILABLE", "\(evidenceDownloads.limit) evidence downloads are in progress; retry shortly", ["operation": "getMRVEvidenceFile"]))))
        }
        defer { evidenceDownloads.leave() }
        switch try await mrv.evidence(sha256) {
        case .failure(let error) where error.code == .evidenceTampered:
            return .conflict(.init(body: .json(Self.error(error.code.rawValue, error.message, ["sha256": sha256]))))
        case .failure:
            // Listed but no bytes stored (a deposit made before migration 9): `verify` names it.
            return .notFound(.init(body: .json(Self.unknownEvidence(key, sha256))))
        case .success(let blob):
            return .ok(.init(
                headers: .init(
                    contentDisposition: Self.attachment(file.name), xEvidenceSHA256: evidenceSHA256(blob.bytes), xEvidenceMediaType: blob.mediaType),
                body: .binary(HTTPBody(blob.bytes))))
        }
    }

    static func unknownEvidence(_ key: FacilityMonth, _ sha256: String) -> Schemas._Error {
        error("UNKNOWN_EVIDENCE", "\(key) lists no evidence file \(sha256)", ["facility": key.facility.rawValue, "sha256": sha256])
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// `attachment` with the file's name: `filename` in printable ASCII (other characters,
    /// quotes and backslashes as `_`) and `filename*` with the UTF-8 name percent-encoded (RFC 6266).
    static func attachment(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let encoded = name.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }

    // MARK: policy tables: reads

    func getMRVPolicy(_ input: Operations.GetMRVPolicy.Input) async throws -> Operations.GetMRVPolicy.Output {
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        try await mrv.refreshPolicy()
        var answer: Schemas.MRVPolicyInForce
        var tables: MRVPolicyTables
        switch input.query.version.map(Int.init) {
        case nil:
            let version = await mrv.policyVersion
            tables = await mrv.policy
            answer = Schemas.MRVPolicyInForce(version: version, tables: .init())
            if version > 0, let stored = try await mrv.publishedPolicy(version: version) {
                (answer.effectiveFrom, answer.publishedAt, answer.note) = (stored.effectiveFrom, utc(stored.publishedAt), stored.note)
            }
        case 0?:
            tables = .seed
            answer = Schemas.MRVPolicyInForce(version: 0, note: "shipped seed tables", tables: .init())
        case let wanted?:
            guard let stored = try await mrv.publishedPolicy(version: wanted) else {
                return .notFound(.init(body: .json(Self.error("UNKNOWN_POLICY_VERSION", "no MRV policy version \(wanted)", ["version": String(wanted)]))))
            }
            tables = try JSONDecoder().decode(MRVPolicyTables.self, from: Data(stored.body.utf8))
            answer = Schemas.MRVPolicyInForce(
                version: wanted, effectiveFrom: stored.effectiveFrom, publishedAt: utc(stored.publishedAt), note: stored.note, tables: .init())
        }
        if let year = input.query.year.map(Int.init) {
            let accounting = tables.accounting.filter { $0.year == year }, platform = tables.platform.filter { $0.year == year }
            guard !accounting.isEmpty, !platform.isEmpty else {
                return .notFound(.init(body: .json(Self.error(
                    "NO_POLICY_FOR_YEAR", "MRV policy version \(answer.version) has no tables for data year \(year)", ["year": String(year)]))))
            }
            tables = MRVPolicyTables(accounting: accounting, platform: platform)
            answer.year = year
        }
        answer.tables = try Self.policyDocument(tables)
        return .ok(.init(body: .json(answer)))
    }

    func listMRVPolicyVersions(_ input: Operations.ListMRVPolicyVersions.Input) async throws -> Operations.ListMRVPolicyVersions.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let versions = try await mrv.policyHeaders()
        let latest = versions.map(\.version).max()
        let page = window.slice(versions)
        return .ok(.init(body: .json(Schemas.MRVPolicyVersionPage(
            items: page.items.map { Self.policyVersion($0, inForce: $0.version == latest) }, total: page.total, nextOffset: page.next))))
    }

    /// A publication's answer: the version as stored, the changes against the tables it
    /// replaced (read under the MRV writer's lock).
    static func policyPublished(
        _ stored: StoredMRVPolicy, _ publication: MRVPolicyPublication, _ tables: MRVPolicyTables
    ) -> Operations.PublishMRVPolicy.Output {
        .created(.init(body: .json(Schemas.MRVPolicyPublished(
            version: policyVersion(stored.header, inForce: true), changes: MRVPolicyChanges.between(publication.previous, tables), replayed: false))))
    }

    static func policyVersion(_ stored: MRVPolicyHeader, inForce: Bool) -> Schemas.MRVPolicyVersion {
        Schemas.MRVPolicyVersion(
            version: stored.version, effectiveFrom: stored.effectiveFrom, publishedAt: utc(stored.publishedAt), note: stored.note, inForce: inForce)
    }

    /// A refused check or publication's `details`: INVALID_POLICY's problem under its field
    /// (`policyProblemDetails`), any other refusal the command only.
    /// The service words the date's field as the CLI's file does (`effective_from`); the API's
    /// body calls it `effectiveFrom`, and so does `details`.
    static func mrvRefusalDetails(_ command: String, _ error: MRVError) -> [String: String] {
        guard error.code == .invalidPolicy else { return ["command": command] }
        var details = policyProblemDetails(command, [error.message])
        if let date = details.removeValue(forKey: "effective_from") { details["effectiveFrom"] = date }
        return details
    }

    /// The tables as the spec's free-form document (the JSON `openets mrv policy show` prints).
    static func policyDocument(_ tables: MRVPolicyTables) throws -> Schemas.MRVPolicyDocument {
        try JSONDecoder().decode(Schemas.MRVPolicyDocument.self, from: try JSONEncoder().encode(tables))
    }

    /// The document as MRV policy tables, or INVALID_POLICY naming where it is not.
    static func policyTables(_ document: Schemas.MRVPolicyDocument) -> Result<MRVPolicyTables, MRVError> {
        do {
            return .success(try JSONDecoder().decode(MRVPolicyTables.self, from: try JSONEncoder().encode(document)))
        } catch {
            let why = (error as? DecodingError).map(describe) ?? "unreadable"
            return .failure(MRVError(.invalidPolicy, "tables are not MRV policy tables ({\"accounting\":[…],\"platform\":[…]}): \(why)"))
        }
    }

    // MARK: policy tables: check and publish (the MEE)

    func checkMRVPolicy(_ input: Operations.CheckMRVPolicy.Input) async throws -> Operations.CheckMRVPolicy.Output {
        let body: Schemas.MRVPolicyCheckRequest
        switch input.body { case .json(let json): body = json }
        switch try await principal(.mrvPolicy) {
        case .failure(let refusal): return refusal.output()
        case .success: break
        }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        let tables: MRVPolicyTables
        switch Self.policyTables(body.tables) {
        case .failure(let error): return .unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, Self.mrvRefusalDetails("mrv_policy_check", error)))))
        case .success(let found): tables = found
        }
        try await mrv.refreshPolicy()
        let (current, version) = (await mrv.policy, await mrv.policyVersion)
        var problem: MRVError?
        do throws(MRVError) { try tables.validate(replacing: current) } catch { problem = error }
        return .ok(.init(body: .json(Schemas.MRVPolicyCheck(
            ok: problem == nil, inForce: version, changes: MRVPolicyChanges.between(current, tables), code: problem?.code.rawValue,
            message: problem?.message))))
    }

    /// Stored Idempotency-Key (`idempotent`): a retry with the key and body answers the first
    /// answer. The publication and its audit line are one transaction of the MRV writer.
    func publishMRVPolicy(_ input: Operations.PublishMRVPolicy.Input) async throws -> Operations.PublishMRVPolicy.Output {
        let body: Schemas.MRVPolicyPublication
        switch input.body { case .json(let json): body = json }
        let user: Principal
        switch try await principal(.mrvPolicy) {
        case .failure(let refusal): return refusal.output()
        case .success(let found): user = found
        }
        if let refusal = Self.keyRefusal(input.headers.idempotencyKey) { return .badRequest(.init(body: .json(refusal))) }
        guard let mrv else { return .serviceUnavailable(.init(body: .json(Self.unavailableMRV))) }
        return try await idempotentInWrite(
            "publishMRVPolicy", user: user.user, key: input.headers.idempotencyKey, parameters: [],
            body: try StoredJSON.canonical(body), audit: "api_mrv_policy_publish"
        ) { ticket in
            let now = SystemClock().now()
            let audit = AuditNote(at: now, user: user.user, action: "api_mrv_policy_publish", address: APIRequestInfo.address, summary: body.note)
            let tables: MRVPolicyTables
            switch Self.policyTables(body.tables) {
            case .failure(let error):
                try await access.audit(now, user.user, audit.action, "rejected " + error.code.rawValue, APIRequestInfo.address)
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, Self.mrvRefusalDetails("mrv_policy_publish", error))))))
            case .success(let found): tables = found
            }
            let from = body.effectiveFrom ?? BeijingTime.date(now).description
            // The answer is made in the MRV writer's transaction, of the version as stored, and
            // committed there with the key.
            switch try await mrv.publishPolicy(tables, effectiveFrom: from, note: body.note, audit: audit, key: { stored, publication in
                try ticket.completion(Self.policyPublished(stored, publication, tables))
            }) {
            case .failure(let error):
                return .answer(.unprocessableContent(.init(body: .json(Self.error(error.code.rawValue, error.message, Self.mrvRefusalDetails("mrv_policy_publish", error))))))
            case .success(let publication):
                guard let stored = publication.stored else { preconditionFailure("the service answers the version it stored") }
                return .completedInWrite(Self.policyPublished(stored, publication, tables))
            }
        }
    }
}

/// The generated server writes a response header's string value percent-encoded (the
/// runtime's URI coding: `attachment%3B%20filename…`), which is no `Content-Disposition` a
/// browser or client reads. For the operations listed, the values of `headers` are given as
/// the handler made them: percent-decoded, which restores them exactly. The handlers make
/// them of printable ASCII only (no CR, LF or other control characters; `attachment`).
struct APIPlainHeaderMiddleware: ServerMiddleware {
    static let headers: [String: [HTTPField.Name]] = [
        "getMRVEvidenceFile": [.contentDisposition, HTTPField.Name("X-Evidence-SHA256")!, HTTPField.Name("X-Evidence-Media-Type")!]
    ]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @concurrent @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        for name in Self.headers[operationID] ?? [] {
            // A value that would not be printable ASCII stays as the runtime wrote it.
            guard let value = response.headerFields[name], let plain = value.removingPercentEncoding,
                plain.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
            else { continue }
            response.headerFields[name] = plain
        }
        return (response, responseBody)
    }
}

extension Operations.GetMRVEvidenceFile.Output: TokenGuardedOutput {}
extension Operations.CheckMRVPolicy.Output: CommandOutput {}
extension Operations.PublishMRVPolicy.Output: CommandOutput {}

extension Operations.PublishMRVPolicy.Output: StoredJSONOutput {
    static let storedStatus = 201
    var storedBody: Components.Schemas.MRVPolicyPublished? {
        guard case .created(let created) = self, case .json(let body) = created.body else { return nil }
        return body
    }
    static func answer(_ body: Components.Schemas.MRVPolicyPublished) -> Self { .created(.init(body: .json(body))) }
    static func replayed(_ body: Components.Schemas.MRVPolicyPublished) -> Components.Schemas.MRVPolicyPublished {
        var body = body
        body.replayed = true
        return body
    }
}
