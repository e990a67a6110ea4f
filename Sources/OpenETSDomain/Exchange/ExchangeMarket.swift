/// The trading system and the registry together, in memory: what the exchange service runs
/// and what the seeded simulation drives. `execute` decides an exchange command, executes its
/// registry commands in order (locks, settlements, unlocks) and applies the exchange events.
///
/// The exchange checks everything the registry will check (funds, units, locks, account
/// status) before it answers, so the registry commands of an accepted exchange command do not
/// fail. If one does, that is a defect: `execute` reports REGISTRY_REJECTED and the registry
/// may hold the earlier commands' effects; the durable service discards the batch and reloads.
public struct ExchangeMarket: Sendable {
    public var registry: RegistryState
    public var exchange: ExchangeState
    public var registryPolicy: RegistryPolicy
    public var policy: ExchangePolicy

    public init(registry: RegistryState, exchange: ExchangeState = ExchangeState(), registryPolicy: RegistryPolicy, policy: ExchangePolicy) {
        self.registry = registry
        self.exchange = exchange
        self.registryPolicy = registryPolicy
        self.policy = policy
    }

    public struct Outcome: Sendable {
        public var events: [ExchangeEvent]
        public var registryEvents: [[RegistryEvent]]
    }

    @discardableResult
    public mutating func execute(_ command: ExchangeCommand, at now: Timestamp) throws(ExchangeError) -> Outcome {
        let decision = try exchange.decide(command, at: now, registry: registry, policy: policy, registryPolicy: registryPolicy)
        var registryEvents: [[RegistryEvent]] = []
        for registryCommand in decision.registry {
            do {
                let events = try registry.decide(registryCommand, at: now, policy: registryPolicy)
                var changes = ChangeSet()
                registry.evolve(events, changes: &changes)
                registryEvents.append(events)
            } catch {
                throw ExchangeError(.registryRejected, "\(registryCommand.kind): \(error)")
            }
        }
        exchange.evolve(decision.events)
        return Outcome(events: decision.events, registryEvents: registryEvents)
    }

    /// Registry commands outside the exchange (deposits, allocations), for tests and simulations.
    public mutating func registryExecute(_ command: RegistryCommand, at now: Timestamp) throws(RegistryError) {
        let events = try registry.decide(command, at: now, policy: registryPolicy)
        var changes = ChangeSet()
        registry.evolve(events, changes: &changes)
    }

    /// Exchange-side invariants against the registry: every open order, quote, auction and bid
    /// has a live registry lock of exactly its reserved quantity, and no exchange lock is
    /// orphaned. Empty when sound.
    public func lockViolations() -> [String] {
        var expected: [FreezeID: Int64] = [:]
        for order in exchange.orders.values where order.locked > 0 { expected[order.lockID] = order.locked }
        for quote in exchange.quotes.values where quote.locked > 0 { expected[quote.lockID] = quote.locked }
        for auction in exchange.auctions.values where auction.status == .announced && auction.locked > 0 {
            expected[auction.lockID] = auction.locked
        }
        for bid in exchange.bids.values where bid.locked > 0 { expected[bid.lockID] = bid.locked }
        var problems: [String] = []
        for (id, quantity) in expected where registry.locks[id]?.quantity != quantity {
            problems.append("lock \(id): exchange reserves \(quantity), registry holds \(registry.locks[id]?.quantity ?? 0)")
        }
        for id in registry.locks.keys where expected[id] == nil && ExchangeState.isExchangeLock(id) {
            problems.append("registry lock \(id) has no open exchange order")
        }
        for order in exchange.orders.values {
            if order.remaining <= 0 { problems.append("open order \(order.id) has nothing left") }
            if exchange.books[order.instrument]?.order(order.id)?.remaining != order.remaining {
                problems.append("order \(order.id) is not in its book with \(order.remaining) t")
            }
        }
        let booked = exchange.books.values.reduce(0) { $0 + $1.orderCount }
        if booked != exchange.orders.count { problems.append("books hold \(booked) orders, \(exchange.orders.count) are open") }
        return problems.sorted()
    }
}
