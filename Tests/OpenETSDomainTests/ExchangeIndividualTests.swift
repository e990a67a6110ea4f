import Foundation
import OpenETSDomain
import Testing

/// Individuals (natural persons' accounts) trade only the unit kinds the exchange policy opens
/// to them: CCER in the standard policy, never allowances unless a policy says so.
@Suite("Individuals on the exchange")
struct ExchangeIndividualTests {
    typealias F = ExchangeFixture
    static let person: AccountID = "IND-000001"
    static let owner: AccountID = "OWN-000001"

    /// The fixture market plus one individual with 1 million yuan, admitted as a member.
    func market(_ policy: ExchangePolicy) throws -> ExchangeFixture {
        var f = try ExchangeFixture(policy: policy)
        let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        try f.market.registryExecute(
            .openAccount(type: .individual, ownerID: "110101199001011234", ownerName: "张三", province: nil, representatives: []), at: t0)
        try f.market.registryExecute(
            .openAccount(type: .voluntaryCancellation, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []), at: t0)
        try f.market.registryExecute(.depositFunds(account: Self.person, amountFen: 100_000_000, bankReference: "IND-DEP"), at: t0)
        try f.run(.admitMember(account: Self.person, group: nil))
        return f
    }

    func policy(individuals: [UnitKind]?) -> ExchangePolicy {
        var policy = ExchangePolicy.standard
        policy.individualUnitKinds = individuals
        return policy
    }

    @Test func anIndividualBuysAndSellsCCERWhenConfigured() throws {
        #expect(ExchangePolicy.standard.individualsMayTrade(.ccer) && !ExchangePolicy.standard.individualsMayTrade(.allowance))
        var f = try market(.standard)
        #expect(f.market.exchange.members[Self.person]?.type == .individual)
        _ = try f.run(.placeOrder(account: Self.owner, instrument: "CCER", side: .sell, price: 3_000, quantity: 100))
        let deals = f.deals(try f.run(.placeOrder(account: Self.person, instrument: "CCER", side: .buy, price: 3_000, quantity: 100)))
        #expect(deals.map(\.quantity) == [100])
        #expect(f.total(Self.person, "CCER-P1") == 100)
        // Selling passes the individuals' check and meets the T+1 rule like anyone's.
        f.reject(.placeOrder(account: Self.person, instrument: "CCER", side: .sell, price: 3_000, quantity: 10), .tPlusOne)
        // An individual may cancel CCERs voluntarily (personal carbon neutrality).
        try f.market.registryExecute(
            .voluntaryCancel(account: Self.person, unit: "CCER-P1", quantity: 10, beneficiary: "张三", purpose: "个人碳中和"),
            at: F.at(10, 5))
        #expect(f.total(Self.person, "CCER-P1") == 90)
        #expect(f.sound() == [])
    }

    @Test func anIndividualCannotTradeAllowances() throws {
        var f = try market(.standard)
        f.reject(.placeOrder(account: Self.person, instrument: "CEA24", side: .buy, price: 5_000, quantity: 10), .accountNotAllowed)
        let listing = f.placedOrder(try f.run(.placeOrder(account: F.e1, instrument: "CEA24", side: .sell, price: 5_000, quantity: 10)))
        f.reject(.takeOrder(account: Self.person, order: listing, quantity: 10), .accountNotAllowed)
        f.reject(
            .quoteBlock(account: Self.person, instrument: "CEA24", side: .buy, price: 5_000, quantity: 100_000, counterparties: []),
            .accountNotAllowed, at: F.at(13, 30))
        #expect(f.total(Self.person, "CEA24") == 0 && f.availableCash(Self.person) == 100_000_000)
    }

    @Test func anIndividualCannotTradeCCERWhenNotConfigured() throws {
        for closed in [nil, []] as [[UnitKind]?] {
            var f = try market(policy(individuals: closed))
            _ = try f.run(.placeOrder(account: Self.owner, instrument: "CCER", side: .sell, price: 3_000, quantity: 100))
            f.reject(.placeOrder(account: Self.person, instrument: "CCER", side: .buy, price: 3_000, quantity: 100), .accountNotAllowed)
            // Companies are not affected by the individuals' list.
            let deals = f.deals(try f.run(.placeOrder(account: F.investor, instrument: "CCER", side: .buy, price: 3_000, quantity: 100)))
            #expect(deals.map(\.quantity) == [100])
        }
        // A policy may open allowances to individuals too.
        var f = try market(policy(individuals: [.ccer, .allowance]))
        _ = try f.run(.placeOrder(account: Self.person, instrument: "CEA24", side: .buy, price: 5_000, quantity: 10))
    }

    @Test func aPolicyStoredWithoutTheFieldStillDecodesAsClosed() throws {
        let json = try JSONEncoder().encode(ExchangePolicy.standard)
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["individualUnitKinds"] as? [String] == ["ccer"])
        object.removeValue(forKey: "individualUnitKinds")
        let old = try JSONDecoder().decode(ExchangePolicy.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.individualUnitKinds == nil && !old.individualsMayTrade(.ccer))
        var expected = ExchangePolicy.standard
        expected.individualUnitKinds = nil
        #expect(old == expected)
    }

    @Test func anIndividualIsNotAPledgeParty() throws {
        var f = try market(.standard)
        let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        let before = f.market.registry
        do {
            try f.market.registryExecute(
                .freeze(account: Self.owner, unit: "CCER-P1", quantity: 1, reason: .pledge(pledgee: Self.person, contract: "PL")), at: t0)
            Issue.record("a pledge to an individual was accepted")
        } catch {
            #expect(error.code == .accountTypeNotAllowed)
        }
        #expect(f.market.registry == before)
    }
}
