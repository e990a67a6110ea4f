import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import OpenETSWeb

/// Carbon neutrality of an event: the public calculator, then for a logged-in participant the
/// purchase of the rounded-up tonnes from the best CCER listings (the exchange's take, one
/// command per listing) and the cancellation for neutrality (the CCER workflow's
/// `cancelForNeutrality`, one journal entry with its certificate). Forms go through the
/// trading screen's checks (`TradingRoutes.authorise`: session, CSRF, permission, nonce).
struct NeutralityRoutes: Sendable {
    let service: RegistryService
    let trading: TradingRoutes
    /// The calculator's factor table (versioned data; `openets ccer neutrality --factors FILE`
    /// takes another one on the command line).
    let factors: NeutralityFactors

    static let path = "/neutrality"

    func register(_ router: Router<AppRequestContext>) {
        router.get("/neutrality/calculator") { request, _ in calculatorPage(request) }
        router.get("/neutrality") { request, _ in try await offsetPage(request) }
        router.post("/neutrality/buy") { request, context in try await buy(request, context: context) }
        router.post("/neutrality/cancel") { request, context in try await cancel(request, context: context) }
    }

    /// GET /neutrality/calculator: the form, and with inputs the result (400 with the
    /// calculator's code when they are wrong).
    func calculatorPage(_ request: Request) -> Response {
        let language = pageLanguage(request)
        let query = Self.formQuery(request)
        let form = NeutralityPages.CalculatorForm { query[$0] }
        var result: Result<NeutralityCalculator.Output, CCERError>?
        if !form.isEmpty {
            do throws(CCERError) {
                result = .success(try NeutralityCalculator.calculate(try form.input(), factors: factors))
            } catch {
                result = .failure(error)
            }
        }
        var failed = false
        if case .some(.failure) = result { failed = true }
        return page(NeutralityPages(language: language).calculator(form, result: result, factors: factors), status: failed ? .badRequest : .ok)
    }

    /// GET /neutrality: the participant's buy-and-cancel page; to the login first (and back).
    func offsetPage(_ request: Request) async throws -> Response {
        guard let (_, session, principal) = try await trading.current(request) else {
            return trading.redirect("/login?next=" + trading.encode(request.uri.description))
        }
        guard principal.may(.viewOwnAccount, matrix: trading.access.matrix), principal.account != nil else {
            return text("forbidden: your role holds no account to buy and cancel from\n", status: .forbidden)
        }
        let query = Self.formQuery(request)
        func field(_ name: String) -> String? { query[name] }
        var certificate: CCERPages.CertificateView?
        let pages = CCERPages(language: trading.language(request))
        if let code = field("certificate"), case .success(let r) = try await service.checkCertificate(code: code) {
            certificate = CCERPages.CertificateView(
                code: r.code, number: r.number, beneficiary: r.beneficiary, purpose: NeutralityPurpose(rawValue: r.purpose).map(pages.purpose) ?? r.purpose,
                subject: r.subject, unit: r.unit, quantity: r.quantity, serialTexts: r.serialTexts, cancelledOn: r.cancelledOn, entrySeq: r.entrySeq,
                entryHash: r.entryHash)
        }
        func tonnes(_ name: String) -> Int64? { field(name).flatMap { Int64($0) }.flatMap { (1...NeutralityPurchase.maxQuantityT).contains($0) ? $0 : nil } }
        let view = NeutralityPages.OffsetView(
            quantity: tonnes("quantity"), cancelQuantity: tonnes("cancel") ?? tonnes("quantity"), unit: field("unit"), beneficiary: String((field("beneficiary") ?? "").prefix(NeutralityPages.CalculatorForm.maxFieldLength)),
            purpose: field("purpose").flatMap(NeutralityPurpose.init(rawValue:)) ?? .event, subject: String((field("subject") ?? "").prefix(NeutralityPages.CalculatorForm.maxFieldLength)),
            certificate: certificate)
        let context = TradingPages.Context(
            principal: principal, csrf: session.csrf, nonce: { UUID().uuidString.lowercased() }, message: field("ok"), error: field("error"),
            mrvPolicyLink: trading.mrvPolicyLink(principal))
        let html = NeutralityPages(language: trading.language(request)).offset(
            context, registry: await service.state, exchange: await service.exchange, policy: await service.exchangePolicy, view: view)
        return page(html)
    }

    /// The page again with the claim's fields kept, and the outcome. `quantity` shows a plan to
    /// buy; `cancel` prefills the cancellation.
    /// The page to return to, with the form's fields cut to the length the page itself shows
    /// (`NeutralityPages.CalculatorForm.maxFieldLength`), so a long field cannot make a
    /// `Location` header that browsers refuse.
    func back(_ fields: [String: String], extra: [(String, String)] = []) -> String {
        let limit = NeutralityPages.CalculatorForm.maxFieldLength
        let keep = ["unit", "beneficiary", "purpose", "subject"].compactMap { name in fields[name].map { (name, String($0.prefix(limit))) } }
        return Self.path + "?" + (keep + extra).map { "\($0.0)=\(trading.encode($0.1))" }.joined(separator: "&")
    }

    /// POST /neutrality/buy: takes exactly the confirmed plan (listing:price:tonnes steps),
    /// after checking all of it against the state now; a plan gone stale is refused whole.
    func buy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form: TradingRoutes.AuthorisedForm
        switch try await trading.authorise(request, .tradeTake, back: Self.path) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        let account = form.principal.account!
        let fields = form.fields
        guard let instrument = fields["instrument"], let steps = fields["plan"].flatMap(NeutralityPurchase.decode) else {
            return try await conclude("neutrality_buy", form, context, seq: nil, summary: "", error: ("INVALID_INPUT", "instrument and plan (listing:price:tonnes, at most \(NeutralityPurchase.maxSteps))"), back: back(fields, extra: fields["quantity"].map { [("quantity", $0)] } ?? []), audit: .writeHere)
        }
        let planned = steps.reduce(Int64(0)) { $0 + $1.quantity }
        let again = [("quantity", String(planned))]
        do throws(ExchangeError) {
            try NeutralityPurchase.recheck(
                steps, instrument: instrument, buyer: account, exchange: await service.exchange, registry: await service.state, policy: await service.exchangePolicy)
        } catch {
            return try await conclude("neutrality_buy", form, context, seq: nil, summary: "", error: (error.code.rawValue, error.message), back: back(fields, extra: again), audit: .writeHere)
        }
        let unit = await service.exchange.instruments[instrument]?.unit.rawValue ?? instrument
        var kept = fields
        kept["unit"] = unit
        var deals: [String] = []
        var taken = Int64(0)
        var lastSeq: Int64?
        for (index, step) in steps.enumerated() {
            let command = ExchangeCommand.takeOrder(account: account, order: step.order, quantity: step.quantity)
            // Each take is audited in its own transaction, as step i of n of the purchase.
            let outcome = try await service.execute(
                ExchangeRequest(idempotencyKey: "\(form.idempotencyKey)-\(index + 1)", command: command),
                audit: trading.auditNote("neutrality_buy", form, context, summary: "step \(index + 1) of \(steps.count): listing \(step.order), \(step.quantity) t"))
            if let error = outcome.error {
                // Each take is whole; what was taken before this one stays bought and is said so.
                let before = deals.isEmpty ? "nothing was bought" : "bought \(taken) t before it: " + deals.joined(separator: ", ")
                return try await conclude("neutrality_buy", form, context, seq: lastSeq, summary: "", error: (error.code.rawValue, "listing \(step.order): \(error.message); \(before)"),
                    back: back(kept, extra: [("quantity", String(planned - taken))] + (taken > 0 ? [("cancel", String(taken))] : [])), audit: .writtenWithCommand)
            }
            lastSeq = outcome.receipt?.seq
            for case .dealDone(let deal, _, _) in outcome.receipt?.events ?? [] { deals.append("\(deal.id.rawValue) \(deal.quantity) t @ \(Fen.text(deal.price))") }
            taken += step.quantity
        }
        return try await conclude(
            "neutrality_buy", form, context, seq: lastSeq, summary: "bought \(taken) t \(unit): " + deals.joined(separator: ", "), error: nil,
            back: back(kept, extra: [("cancel", String(taken))]), audit: .writtenWithCommand)
    }

    /// POST /neutrality/cancel: `cancelForNeutrality` from the participant's own account; on
    /// success the page shows the certificate and its public check link.
    func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form: TradingRoutes.AuthorisedForm
        switch try await trading.authorise(request, .neutralityCancel, back: Self.path) {
        case .granted(let granted): form = granted
        case .refused(let response): return response
        }
        let fields = form.fields
        guard let unit = fields["unit"], let quantity = fields["quantity"].flatMap({ Int64($0) }),
            let purpose = fields["purpose"].flatMap(NeutralityPurpose.init(rawValue:))
        else {
            return try await conclude("neutrality_cancel", form, context, seq: nil, summary: "", error: ("INVALID_INPUT", "unit, whole-tonne quantity and purpose (event, product, organisation)"), back: back(fields), audit: .writeHere)
        }
        let claim = NeutralityClaim(
            account: form.principal.account!, unit: UnitTypeCode(unit), quantity: quantity, beneficiary: fields["beneficiary"] ?? "", purpose: purpose,
            subject: fields["subject"] ?? "")
        let outcome = try await service.execute(
            CCERRequest(idempotencyKey: form.idempotencyKey, command: .cancelForNeutrality(claim)),
            audit: trading.auditNote("neutrality_cancel", form, context, summary: "\(quantity) t \(unit)"))
        switch outcome {
        case .rejected(let error):
            return try await conclude(
                "neutrality_cancel", form, context, seq: nil, summary: "", error: (error.code, error.message), back: back(fields, extra: [("cancel", String(quantity))]),
                audit: .writtenWithCommand)
        case .accepted(let receipt):
            let code = receipt.verificationCode ?? ""
            return try await conclude(
                "neutrality_cancel", form, context, seq: receipt.seq, summary: "\(quantity) t \(unit), certificate \(code)", error: nil,
                back: back(["unit": unit, "purpose": purpose.rawValue], extra: [("certificate", code)]), audit: .writtenWithCommand)
        }
    }

    private func conclude(
        _ kind: String, _ form: TradingRoutes.AuthorisedForm, _ context: AppRequestContext, seq: Int64?, summary: String, error: (code: String, message: String)?, back: String,
        audit: TradingRoutes.AuditLine
    ) async throws -> Response {
        try await trading.conclude(kind, form.principal, seq: seq, summary: summary, error: error, address: context.address, back: back, audit: audit)
    }

    /// The query string of a GET form as the browser sends it: `+` is a space, then
    /// percent-decoding (a typed "+" arrives as %2B). The first value of a name counts.
    static func formQuery(_ request: Request) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

}
