import OpenETSApplication
import OpenETSDomain

/// The demo's carbon-neutrality market: the workflow-issued CCERs of the demo project
/// (`CCER-P000001-M01`, DemoCCER) traded by listing agreement, and on an open trading day the
/// owner's sell listings a buyer takes from the calculator's buy-and-cancel page (three price
/// levels, so a 23 t purchase takes two listings). Idempotent: keys `demo-n-…`.
public enum DemoNeutrality {
    public static let instrument = Instrument(
        code: "CCER-P000001-M01", unit: IssuanceOrder.unitTypeCode(project: "P000001", period: 1), label: "CCER 川西林业碳汇 挂牌 listing",
        continuous: false, previousClose: 6_000)
    /// The owner's listings of a trading day: price (fen/t) and tonnes.
    public static let listings: [(priceFen: Int64, quantity: Int64)] = [(6_000, 10), (6_050, 20), (6_100, 1_000)]

    /// Lists the instrument once the demo project's credits exist (after DemoCCER). Does
    /// nothing when they do not (a store whose calendar did not cover the CCER story).
    public static func setUp(_ service: RegistryService) async throws {
        guard await service.state.unitTypes[instrument.unit] != nil, await service.exchange.instruments[instrument.code] == nil else { return }
        try await DemoExchange.run(service, "demo-n-list", .listInstrument(instrument))
    }

    /// The owner's sell listings on the open trading day, once per day; skipped (nothing
    /// changes) outside a listing session or when no day is open.
    public static func postListings(_ service: RegistryService) async throws {
        let exchange = await service.exchange
        guard let day = exchange.tradingDate, exchange.instruments[instrument.code] != nil else { return }
        for (index, listing) in listings.enumerated() {
            _ = try await DemoExchange.attempt(
                service, "demo-n-\(day)-\(index + 1)",
                .placeOrder(account: DemoCCER.owner, instrument: instrument.code, side: .sell, price: listing.priceFen, quantity: listing.quantity))
        }
    }
}
