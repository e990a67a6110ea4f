import Foundation
import OpenAPIRuntime
import OpenETSAPI
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// The public CCER registry under the spec, at the paths and in the shapes the hand-written
/// JSON had (docs/ccer.md): the domain's own JSON, decoded into the spec's types (their named
/// fields are checked, the rest travels as additional properties).
extension APIHandler {
    func listCCERMethodologies(_ input: Operations.ListCCERMethodologies.Input) async throws -> Operations.ListCCERMethodologies.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let page = window.slice(await service.ccer.methodologies.values.sorted { $0.code < $1.code })
        return .ok(.init(body: .json(Schemas.CCERMethodologyPage(
            items: try page.items.map { try Self.convert($0, to: Schemas.CCERMethodology.self) }, total: page.total, nextOffset: page.next))))
    }

    func listCCERProjects(_ input: Operations.ListCCERProjects.Input) async throws -> Operations.ListCCERProjects.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let status = input.query.status
        let page = window.slice(await service.ccer.projectsInOrder.filter { status == nil || $0.publicStatus?.rawValue == status })
        return .ok(.init(body: .json(Schemas.CCERProjectPage(
            items: try page.items.map { try Self.convert($0, to: Schemas.CCERProject.self) }, total: page.total, nextOffset: page.next))))
    }

    func getCCERProject(_ input: Operations.GetCCERProject.Input) async throws -> Operations.GetCCERProject.Output {
        let id = input.path.projectId
        guard let project = await service.ccer.projects[CCERProjectID(id)] else {
            return .notFound(.init(body: .json(Self.error("UNKNOWN_PROJECT", "no project \(id)", ["project": id]))))
        }
        return .ok(.init(body: .json(try Self.convert(project, to: Schemas.CCERProject.self))))
    }

    func listCCERIssuances(_ input: Operations.ListCCERIssuances.Input) async throws -> Operations.ListCCERIssuances.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let rows = CCERPages.issuanceRows(await service.ccer, registry: await service.state)
        let page = window.slice(rows)
        return .ok(.init(body: .json(Schemas.CCERIssuancePage(
            items: try page.items.map { try Self.convert(IssuanceJSON(order: $0.order, serials: $0.serialText), to: Schemas.CCERIssuance.self) },
            total: page.total, nextOffset: page.next))))
    }

    func listCCERCancellations(_ input: Operations.ListCCERCancellations.Input) async throws -> Operations.ListCCERCancellations.Output {
        guard let window = PageWindow(limit: input.query.limit, offset: input.query.offset) else { return .badRequest(.init(body: .json(Self.badPage))) }
        let certificates = await service.ccer.certificates.values.sorted { $0.number < $1.number }
        let page = window.slice(certificates)
        // The verification code of each certificate on the page, from its journal entry's hash.
        var items: [Schemas.CCERCancellation] = []
        for certificate in page.items {
            let code = try await service.journalEntry(certificate.entrySeq).map {
                NeutralityCertificateCheck.code(number: certificate.number, entryHash: $0.hash)
            }
            items.append(try Self.convert(CancellationJSON(certificate: certificate, verificationCode: code), to: Schemas.CCERCancellation.self))
        }
        return .ok(.init(body: .json(Schemas.CCERCancellationPage(items: items, total: page.total, nextOffset: page.next))))
    }

    func checkCCERCertificate(_ input: Operations.CheckCCERCertificate.Input) async throws -> Operations.CheckCCERCertificate.Output {
        let code = input.path.code
        switch try await service.checkCertificate(code: code) {
        case .success(let result): return .ok(.init(body: .json(try Self.convert(result, to: Schemas.CCERCertificateCheck.self))))
        case .failure(let failure):
            let error = Self.error(failure.code.rawValue, failure.message, ["code": code])
            return failure.code == .malformedCode ? .badRequest(.init(body: .json(error))) : .notFound(.init(body: .json(error)))
        }
    }

    /// A domain value as the spec's type, through the domain's own JSON.
    static func convert<Value: Encodable, APIType: Decodable>(_ value: Value, to type: APIType.Type) throws -> APIType {
        try JSONDecoder().decode(APIType.self, from: JSONEncoder().encode(value))
    }
}
