import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain

/// The CCER regulator's commands and the public comments during a CCER notice, under the spec
/// (docs/ccer.md, docs/api.md). The regulator (`ccer_regulate`, the MEE) publishes
/// methodologies, accredits validation and verification bodies and withdraws their
/// accreditation, as `openets ccer accredit` does; anyone logged in (`ccer_comment`, every
/// role, the public included) comments on a project's design-document or reduction notice while
/// it runs, signed with the user's name. Each command runs through the registry's one writer
/// as a `CCERRequest` with its audit line (`api_ccer_<kind>`) in the same transaction
/// (`ccerCommand`, APICCERWorkflowHandlers.swift); a refusal is 422 with the CCER rules' own
/// code and changes nothing. The lists of bodies and comments are public.
extension APIHandler {
    // MARK: regulator

    func publishCCERMethodology(_ input: Operations.PublishCCERMethodology.Input) async throws -> Operations.PublishCCERMethodology.Output {
        let body: Schemas.CCERMethodologyPublication
        switch input.body { case .json(let json): body = json }
        // The key is bound to the publication as sent: without `publishedOn` the server fills in
        // today, which must not enter the hash, or a retry on a later day would be refused as a
        // reuse instead of replaying the first answer (with the first day).
        return try await ccerCommand(.ccerRegulate, key: input.headers.idempotencyKey, actsFor: .nobody, sentAs: LedgerCodec().encode(body)) { _ in
            let published: CivilDate
            if let text = body.publishedOn {
                guard let date = CivilDate(text) else { return .failure(Self.invalidCCERInput("publishedOn must be a date (YYYY-MM-DD)")) }
                published = date
            } else {
                published = BeijingTime.date(service.now())
            }
            let period = body.creditingPeriod
            // The regulator's own values: verified, none marked unverified.
            let methodology = Methodology(
                code: body.code, name: body.name, nameEn: body.nameEn, sector: body.sector,
                gases: body.gases.compactMap { GreenhouseGas(rawValue: $0.rawValue) },
                creditingPeriod: CreditingPeriodRule(
                    minYears: period.minYears.map(Int.init), maxYears: Int(period.maxYears), renewable: period.renewable, verified: true,
                    source: body.source),
                documents: body.documents, publishedOn: published, source: body.source, unverified: [])
            return .success(.addMethodology(methodology))
        } receipt: { _, receipt in
            guard let methodology = receipt.events.compactMap({ if case .methodologyAdded(let m) = $0 { m } else { nil } }).first else {
                preconditionFailure("an accepted add_methodology without its event")
            }
            return .created(.init(body: .json(Schemas.CCERMethodologyResult(
                seq: receipt.seq, replayed: receipt.replayed, methodology: try Self.convert(methodology, to: Schemas.CCERMethodology.self)))))
        }
    }

    func accreditCCERBody(_ input: Operations.AccreditCCERBody.Input) async throws -> Operations.AccreditCCERBody.Output {
        let body: Schemas.CCERAccreditationRequest
        switch input.body { case .json(let json): body = json }
        return try await ccerCommand(.ccerRegulate, key: input.headers.idempotencyKey, actsFor: .nobody) { _ in
            .success(.accreditBody(id: ValidationBodyID(body.id), name: body.name))
        } receipt: { _, receipt in
            let recorded = await bodyResult(receipt)
            return .created(.init(body: .json(Schemas.CCERBodyResult(seq: receipt.seq, replayed: receipt.replayed, body: recorded))))
        }
    }

    func withdrawCCERAccreditation(_ input: Operations.WithdrawCCERAccreditation.Input) async throws -> Operations.WithdrawCCERAccreditation.Output {
        let id = ValidationBodyID(input.path.bodyId)
        return try await ccerCommand(.ccerRegulate, key: input.headers.idempotencyKey, actsFor: .nobody) { _ in
            .success(.withdrawAccreditation(id: id))
        } receipt: { _, receipt in
            let recorded = await bodyResult(receipt)
            return .ok(.init(body: .json(Schemas.CCERBodyResult(seq: receipt.seq, replayed: receipt.replayed, body: recorded))))
        }
    }

    /// The body as the command recorded it: the accreditation's body, or the withdrawn body
    /// (its name and latest accreditation from the state) with the withdrawal's date.
    private func bodyResult(_ receipt: CCERReceipt) async -> Schemas.CCERBody {
        for event in receipt.events {
            switch event {
            case .bodyAccredited(let body): return Self.apiBody(body)
            case .accreditationWithdrawn(let id, let on):
                var body = await service.ccer.bodies[id] ?? ValidationBody(id: id, name: id.rawValue, accredited: false, accreditedOn: on)
                body.accredited = false
                body.withdrawnOn = on
                return Self.apiBody(body)
            default: continue
            }
        }
        preconditionFailure("an accepted accreditation command without its event")
    }

    static func apiBody(_ body: ValidationBody) -> Schemas.CCERBody {
        Schemas.CCERBody(
            id: body.id.rawValue, name: body.name, accredited: body.accredited, accreditedOn: body.accreditedOn.description,
            withdrawnOn: body.withdrawnOn?.description)
    }

    func listCCERBodies(_ input: Operations.ListCCERBodies.Input) async throws -> Operations.ListCCERBodies.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let accredited = input.query.accredited
        let bodies = await service.ccer.bodies.values.filter { accredited == nil || $0.accredited == accredited }.sorted { $0.id.rawValue < $1.id.rawValue }
        let page = window.slice(bodies)
        return .ok(.init(body: .json(Schemas.CCERBodyPage(items: page.items.map(Self.apiBody), total: page.total, nextOffset: page.next))))
    }

    // MARK: public comments

    func commentOnCCERNotice(_ input: Operations.CommentOnCCERNotice.Input) async throws -> Operations.CommentOnCCERNotice.Output {
        let body: Schemas.CCERCommentRequest
        switch input.body { case .json(let json): body = json }
        let project = CCERProjectID(input.path.projectId)
        return try await ccerCommand(.ccerComment, key: input.headers.idempotencyKey, actsFor: .nobody) { caller in
            // The author is the token's user, by name (the audit line keeps the user id).
            .success(.comment(project: project, period: body.period.map(Int.init), author: caller.principal.name, text: body.text, user: caller.principal.user))
        } receipt: { _, receipt in
            guard let comment = receipt.events.lazy.compactMap({ event -> Schemas.CCERNoticeComment? in
                if case .commentRecorded(let id, let period, let comment) = event { return Self.apiComment(id, period, comment) }
                return nil
            }).first else { preconditionFailure("an accepted comment without its event") }
            return .created(.init(body: .json(Schemas.CCERCommentResult(seq: receipt.seq, replayed: receipt.replayed, comment: comment))))
        }
    }

    func listCCERNoticeComments(_ input: Operations.ListCCERNoticeComments.Input) async throws -> Operations.ListCCERNoticeComments.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let id = input.path.projectId
        guard let project = await service.ccer.projects[CCERProjectID(id)] else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_PROJECT", "no project \(id)", ["project": id]))))
        }
        var comments: [Schemas.CCERNoticeComment] = []
        if let wanted = input.query.period.map(Int.init) {
            guard let period = project.periods.first(where: { $0.number == wanted }) else {
                return .notFound(.init(body: .json(Self.error("UNKNOWN_PERIOD", "project \(id) has no period \(wanted)", ["project": id, "period": String(wanted)]))))
            }
            comments = period.notice.comments.map { Self.apiComment(project.id, wanted, $0) }
        } else {
            comments = project.designNotice.comments.map { Self.apiComment(project.id, nil, $0) }
            for period in project.periods { comments += period.notice.comments.map { Self.apiComment(project.id, period.number, $0) } }
        }
        let page = window.slice(comments)
        return .ok(.init(body: .json(Schemas.CCERNoticeCommentPage(items: Array(page.items), total: page.total, nextOffset: page.next))))
    }

    static func apiComment(_ project: CCERProjectID, _ period: Int?, _ comment: NoticeComment) -> Schemas.CCERNoticeComment {
        Schemas.CCERNoticeComment(
            project: project.rawValue, period: period.map { Int32($0) }, number: comment.number, author: comment.author, text: comment.text,
            on: comment.on.description)
    }
}

extension Operations.PublishCCERMethodology.Output: CommandOutput {}
extension Operations.AccreditCCERBody.Output: CommandOutput {}
extension Operations.WithdrawCCERAccreditation.Output: CommandOutput {}
extension Operations.CommentOnCCERNotice.Output: CommandOutput {}
