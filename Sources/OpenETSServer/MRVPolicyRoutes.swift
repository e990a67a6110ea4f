import Foundation
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The MRV policy tables on the web (`/portal/mrv-policy`, docs/mrv.md Part 8): read by every
/// role the matrix lets read them through the API (`view_public`, as getMRVPolicy and
/// listMRVPolicyVersions), checked and published by the MEE (`mrv_policy`, as checkMRVPolicy
/// and publishMRVPolicy). Both forms go through `PortalRoutes.withForm` (session, CSRF token,
/// permission, one-time key). The check is a dry run (nothing stored, not audited, as the
/// API's). The publication is `MRVService.publishPolicy` with its audit note, so the version and
/// its audit line (`mrv.policy_publish`, `accepted vN` / `rejected CODE`) are one transaction
/// of the MRV writer, as the API's; its one-time key is stored as the API's Idempotency-Keys
/// are (`APIIdempotencyStore`), so a form sent twice publishes once.
struct MRVPolicyRoutes: Sendable {
    let portal: PortalRoutes
    let keys: any APIIdempotencyStore
    let retentionDays: Int
    let takeoverSeconds: Int

    static let back = MRVPolicyPages.path
    static let auditAction = "mrv.policy_publish"
    /// The operation the form's keys are stored under (apart from the API's `publishMRVPolicy`).
    static let keyOperation = "web.publishMRVPolicy"
    /// Largest form body: the API's largest tables (`APIHandler.maxPolicyBodyBytes`),
    /// URL-encoded (a JSON punctuation byte takes 3).
    static let maxFormBytes = 3 * APIHandler.maxPolicyBodyBytes + TradingRoutes.maxFormBytes

    var mrv: MRVService { portal.mrv }
    var trading: TradingRoutes { portal.trading }

    // MARK: page

    func page(_ request: Request) async throws -> Response {
        let gate = try await portal.viewer(request, .viewPublic, path: Self.back)
        guard case .granted(let session, let principal) = gate else { return gate.response! }
        var model = try await model(principal)
        if let asked = request.uri.queryParameters.get("version") {
            guard let wanted = Int(asked), let tables = try await Self.tables(version: wanted, mrv) else {
                return text("UNKNOWN_POLICY_VERSION: no MRV policy version \(asked)\n", status: .notFound)
            }
            Self.show(tables, in: &model)
            model.shown = wanted == model.version ? nil : wanted
        }
        return OpenETSServer.page(MRVPolicyPages(language: trading.language(request)).page(portal.context(request, session, principal), model))
    }

    /// The version in force, its tables as a grid by data year, every published version (their
    /// headers only: no tables read); the form's text is the tables in force (what `openets mrv
    /// policy show` prints).
    func model(_ principal: Principal) async throws -> MRVPolicyPages.Model {
        try await mrv.refreshPolicy()
        let (version, tables) = (await mrv.policyVersion, await mrv.policy)
        let versions = try await mrv.policyHeaders().map { Self.version($0, inForce: $0.version == version) }
        var model = MRVPolicyPages.Model(
            version: version, inForce: versions.last { $0.version == version }, years: [], accounting: [], platform: [], versions: versions,
            mayPublish: principal.may(.mrvPolicy, matrix: trading.access.matrix), draft: try Self.document(tables))
        Self.show(tables, in: &model)
        return model
    }

    /// The model's grid: `tables` by data year.
    static func show(_ tables: MRVPolicyTables, in model: inout MRVPolicyPages.Model) {
        let grid = MRVPolicyGrid.of(tables)
        model.years = Set(grid.accounting.keys).union(grid.platform.keys).sorted()
        (model.accounting, model.platform) = (rows(grid.accounting, years: model.years), rows(grid.platform, years: model.years))
    }

    /// A version's tables: 0 the shipped seed, else a published one (nil: none such).
    static func tables(version: Int, _ mrv: MRVService) async throws -> MRVPolicyTables? {
        if version == 0 { return .seed }
        guard let stored = try await mrv.publishedPolicy(version: version) else { return nil }
        return try JSONDecoder().decode(MRVPolicyTables.self, from: Data(stored.body.utf8))
    }

    static func version(_ stored: MRVPolicyHeader, inForce: Bool) -> MRVPolicyPages.Version {
        MRVPolicyPages.Version(
            version: stored.version, effectiveFrom: stored.effectiveFrom, publishedAt: stored.publishedAt.beijingMinute, note: stored.note, inForce: inForce)
    }

    /// One row per parameter path found in any year, sorted; a year without it: nil.
    static func rows(_ grid: MRVPolicyGrid.Years, years: [Int]) -> [MRVPolicyPages.Row] {
        Set(grid.values.flatMap(\.keys)).sorted().map { path in MRVPolicyPages.Row(parameter: path, values: years.map { grid[$0]?[path] }) }
    }

    /// The tables as the JSON the CLI's `show` prints and `publish --file` takes.
    static func document(_ tables: MRVPolicyTables) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(tables), as: UTF8.self)
    }

    /// The form's text as MRV policy tables, or INVALID_POLICY saying where it is not.
    static func tables(_ text: String) -> Result<MRVPolicyTables, MRVError> {
        guard text.utf8.count <= APIHandler.maxPolicyBodyBytes else {
            return .failure(MRVError(.invalidPolicy, "tables: at most \(APIHandler.maxPolicyBodyBytes) bytes of JSON"))
        }
        do {
            return .success(try JSONDecoder().decode(MRVPolicyTables.self, from: Data(text.utf8)))
        } catch {
            let why = (error as? DecodingError).map(APIHandler.describe) ?? "not JSON"
            return .failure(MRVError(.invalidPolicy, "tables are not MRV policy tables ({\"accounting\":[…],\"platform\":[…]}): \(why)"))
        }
    }

    // MARK: check (a dry run)

    /// POST /portal/mrv-policy/check: `tables`. Answers the page itself (200) with the changes
    /// against the version in force, or the refusal's code and reason, and the text kept in the
    /// form; stores nothing.
    func check(_ request: Request) async throws -> Response {
        try await portal.withForm(request, .mrvPolicy, back: Self.back, maxBytes: Self.maxFormBytes) { form in
            let text = form.fields["tables"] ?? ""
            var model = try await model(form.principal)
            (model.draft, model.note, model.effectiveFrom) = (text, form.fields["note"] ?? "", form.fields["effective_from"] ?? "")
            switch Self.tables(text) {
            case .failure(let error):
                model.check = MRVPolicyPages.Check(inForce: model.version, changes: [], code: error.code.rawValue, message: error.message)
            case .success(let tables):
                let current = await mrv.policy
                var problem: MRVError?
                do throws(MRVError) { try tables.validate(replacing: current) } catch { problem = error }
                model.check = MRVPolicyPages.Check(
                    inForce: model.version, changes: MRVPolicyChanges.between(current, tables), code: problem?.code.rawValue, message: problem?.message)
            }
            let context = TradingPages.Context(
                principal: form.principal, csrf: form.fields["csrf"] ?? "", nonce: { UUID().uuidString.lowercased() }, message: nil, error: nil,
                mrvPolicyLink: trading.mrvPolicyLink(form.principal))
            return OpenETSServer.page(MRVPolicyPages(language: trading.language(request)).page(context, model))
        }
    }

    // MARK: publish

    /// POST /portal/mrv-policy/publish: `tables`, `note`, `effective_from` (empty: today,
    /// Beijing). The next version, or the refusal's code and reason with nothing stored.
    func publish(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await portal.withForm(request, .mrvPolicy, back: Self.back, maxBytes: Self.maxFormBytes) { form in
            let text = form.fields["tables"] ?? "", note = form.fields["note"] ?? ""
            let typed = (form.fields["effective_from"] ?? "").trimmingCharacters(in: .whitespaces)
            let from = typed.isEmpty ? BeijingTime.date(SystemClock().now()).description : typed
            return try await publisher.publish(
                form, context, note: note, effectiveFrom: typed, body: text, reused: "this form was sent before with other tables; nothing was done",
                read: { Self.tables(text).mapError { PolicyFormPublisher.Refusal(code: $0.code.rawValue, message: $0.message) } },
                write: { tables, audit, key in
                    // The form's key is completed with the version in the MRV writer's transaction.
                    switch try await mrv.publishPolicy(tables, effectiveFrom: from, note: note, audit: audit, key: { stored, _ in key(stored.version) }) {
                    case .failure(let error): return .failure(.init(code: error.code.rawValue, message: error.message))
                    case .success(let publication):
                        let changes = MRVPolicyChanges.between(publication.previous, tables).count
                        return .success("\(Self.auditAction): v\(publication.version), \(changes) change(s)")
                    }
                })
        }
    }

    var publisher: PolicyFormPublisher {
        PolicyFormPublisher(
            trading: trading, keys: keys, retentionDays: retentionDays, takeoverSeconds: takeoverSeconds, keyOperation: Self.keyOperation, auditAction: Self.auditAction, back: Self.back)
    }
}

func addMRVPolicyRoutes(_ router: Router<AppRequestContext>, _ routes: MRVPolicyRoutes) {
    router.get("/portal/mrv-policy") { request, _ in try await routes.page(request) }
    router.post("/portal/mrv-policy/check") { request, _ in try await routes.check(request) }
    router.post("/portal/mrv-policy/publish") { request, context in try await routes.publish(request, context: context) }
}
