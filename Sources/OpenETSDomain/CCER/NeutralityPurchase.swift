/// Buying credits to cancel for carbon neutrality: which sell listings a buyer takes for
/// `quantity` t on one listing-agreement instrument, and what they cost. Cheapest first (price,
/// then listing number), only listings in the best five sell levels (the listing agreement lets
/// a taker pick only there), never the buyer's own. Pure: the web flow shows the plan, the
/// buyer confirms exactly that plan, and `recheck` compares it with the state of the moment
/// before anything is taken, so a stale plan is refused whole instead of half bought.
public enum NeutralityPurchase {
    /// Most listings one purchase takes (each is one exchange command).
    public static let maxSteps = 20
    /// Most tonnes one purchase asks for: one listing order is under 100,000 t.
    public static let maxQuantityT: Int64 = 1_000_000
    /// Highest price a plan step may name (fen/t): the exchange's highest previous close.
    public static let maxPriceFen: Int64 = 10_000_000

    /// One listing to take: its number, price (fen/t) and the tonnes taken from it.
    public struct Step: Hashable, Codable, Sendable {
        public var order: Int64
        public var priceFen: Int64
        public var quantity: Int64

        public init(order: Int64, priceFen: Int64, quantity: Int64) {
            self.order = order
            self.priceFen = priceFen
            self.quantity = quantity
        }

        public var amountFen: Int64 { priceFen * quantity }
    }

    public struct Plan: Hashable, Sendable {
        public var instrument: String
        public var unit: UnitTypeCode
        /// Tonnes asked for.
        public var quantity: Int64
        public var steps: [Step]
        /// Price × quantity of every step plus the buyer's listing fee of each deal.
        public var totalFen: Int64
        public var feeFen: Int64

        /// Tonnes the steps take: equal to `quantity` when the offer covers it.
        public var offeredT: Int64 { steps.reduce(0) { $0 + $1.quantity } }
        public var complete: Bool { offeredT == quantity }
    }

    /// The listing-agreement instruments whose unit type is a credit accepted for voluntary
    /// neutrality (CCER and the local credits), by code.
    public static func instruments(_ exchange: ExchangeState, _ registry: RegistryState) -> [Instrument] {
        exchange.instruments.values.filter { !$0.continuous && acceptsNeutrality(registry.unitTypes[$0.unit]) }.sorted { $0.code < $1.code }
    }

    /// Whether a unit type is a credit accepted for voluntary neutrality (the rule
    /// `cancelForNeutrality` applies).
    public static func acceptsNeutrality(_ unit: UnitType?) -> Bool {
        guard let unit, unit.kind.isCredit, let credit = CreditType.of(unit) else { return false }
        return credit.accepts(.voluntaryNeutrality)
    }

    /// The cheapest plan for `quantity` t of `instrument` (nil: no such listing instrument or
    /// no open book). The plan may cover less than asked (`complete` is false) when the best
    /// five levels hold less, or when more than `maxSteps` listings would be needed.
    public static func plan(
        instrument code: String, quantity: Int64, buyer: AccountID, exchange: ExchangeState, registry: RegistryState, policy: ExchangePolicy
    ) -> Plan? {
        guard let instrument = exchange.instruments[code], !instrument.continuous, let book = exchange.books[code], quantity > 0 else { return nil }
        let levels = Set(book.depth(.sell).map(\.price))
        let listings = exchange.orders.values
            .filter { $0.instrument == code && $0.side == .sell && $0.account != buyer && levels.contains($0.price) && book.contains($0.id) }
            .sorted { ($0.price, $0.id) < ($1.price, $1.id) }
        var steps: [Step] = []
        var left = quantity
        for listing in listings where left > 0 && steps.count < maxSteps {
            let take = min(left, listing.remaining)
            steps.append(Step(order: listing.id, priceFen: listing.price, quantity: take))
            left -= take
        }
        let fee = steps.reduce(Int64(0)) { $0 + policy.fee(.listing, amountFen: $1.amountFen) }
        let total = steps.reduce(fee) { $0 + $1.amountFen }
        return Plan(instrument: code, unit: instrument.unit, quantity: quantity, steps: steps, totalFen: total, feeFen: fee)
    }

    /// Checks a confirmed plan against the state now, before any of it is taken: every listing
    /// is still open on the instrument, in the best five levels, at the same price, with at
    /// least the tonnes the step takes; the buyer's free funds pay for all of it. The first
    /// difference is the error; nothing is taken.
    public static func recheck(
        _ steps: [Step], instrument code: String, buyer: AccountID, exchange: ExchangeState, registry: RegistryState, policy: ExchangePolicy
    ) throws(ExchangeError) {
        guard !steps.isEmpty else { throw ExchangeError(.invalidInput, "the plan takes no listing") }
        guard steps.count <= maxSteps else { throw ExchangeError(.limitExceeded, "a purchase takes at most maxSteps (\(maxSteps)) listings") }
        guard let instrument = exchange.instruments[code] else { throw ExchangeError(.unknownInstrument, "no instrument \(code)") }
        guard !instrument.continuous else { throw ExchangeError(.modeNotEnabled, "\(code) trades continuously; there are no listings to take") }
        guard acceptsNeutrality(registry.unitTypes[instrument.unit]) else {
            throw ExchangeError(.invalidInput, "\(code) is not a credit accepted for voluntary neutrality")
        }
        guard let book = exchange.books[code] else { throw ExchangeError(.marketClosed, "no trading day is open") }
        guard Set(steps.map(\.order)).count == steps.count else { throw ExchangeError(.invalidInput, "the plan names a listing twice") }
        var total = Int64(0), tonnes = Int64(0)
        for step in steps {
            guard step.quantity > 0, step.priceFen > 0 else { throw ExchangeError(.invalidQuantity, "listing \(step.order): quantity and price must be positive") }
            guard let listing = exchange.orders[step.order], listing.instrument == code, listing.side == .sell, let rank = book.rank(of: step.order) else {
                throw ExchangeError(.unknownOrder, "listing \(step.order) is no longer open; reload the page for a new plan")
            }
            guard listing.account != buyer else { throw ExchangeError(.ownOrder, "listing \(step.order) is your own") }
            guard listing.price == step.priceFen else {
                throw ExchangeError(.invalidPrice, "listing \(step.order) is at \(Fen.text(listing.price)), not \(Fen.text(step.priceFen))")
            }
            guard listing.remaining >= step.quantity else {
                throw ExchangeError(.invalidQuantity, "listing \(step.order) has \(listing.remaining) t left, the plan takes \(step.quantity); reload the page for a new plan")
            }
            guard rank < OrderBook.bestLevels else { throw ExchangeError(.notInBestLevels, "listing \(step.order) is no longer in the best five levels; reload the page for a new plan") }
            tonnes += step.quantity
            guard tonnes <= maxQuantityT else { throw ExchangeError(.limitExceeded, "a purchase buys at most maxQuantityT (\(maxQuantityT)) t") }
            total += step.amountFen + policy.fee(.listing, amountFen: step.amountFen)
        }
        let free = registry.availableCash(buyer)
        guard total <= free else {
            throw ExchangeError(.insufficientFunds, "the plan costs \(Fen.text(total)) CNY with fees; \(buyer) has \(Fen.text(free)) CNY free")
        }
    }

    /// The plan as one form field: `order:price:quantity` steps joined by commas.
    public static func encode(_ steps: [Step]) -> String {
        steps.map { "\($0.order):\($0.priceFen):\($0.quantity)" }.joined(separator: ",")
    }

    /// The steps of a form field, nil when malformed or longer than `maxSteps`.
    public static func decode(_ text: String) -> [Step]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.isEmpty, parts.count <= maxSteps else { return nil }
        var steps: [Step] = []
        for part in parts {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let order = Int64(fields[0]), let price = Int64(fields[1]), let quantity = Int64(fields[2]),
                order > 0, price > 0, price <= maxPriceFen, quantity > 0, quantity <= maxQuantityT
            else { return nil }
            steps.append(Step(order: order, priceFen: price, quantity: quantity))
        }
        return steps
    }
}
