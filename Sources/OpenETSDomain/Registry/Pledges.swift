/// A pledge as its two parties see it: the holder who pledged the units and the pledgee
/// (a bank) named in the freeze. Judicial and administrative freezes are not pledges and are
/// never listed here.
public struct Pledge: Hashable, Codable, Sendable {
    public var freeze: FreezeID
    public var holder: AccountID
    public var pledgee: AccountID
    public var unit: UnitTypeCode
    public var quantity: Int64
    public var contract: String
    /// `active` (units frozen in the holder's account), `released` (units free again) or
    /// `enforced` (units moved to the pledgee).
    public var status: FreezeStatus
    public var createdAt: Timestamp
    /// The serials still under the pledge: filled for an active pledge of a serialised unit
    /// type; empty otherwise (a released or enforced pledge's serials are in its journal entry).
    public var serials: [SerialRange]

    public init(
        freeze: FreezeID, holder: AccountID, pledgee: AccountID, unit: UnitTypeCode, quantity: Int64, contract: String,
        status: FreezeStatus, createdAt: Timestamp, serials: [SerialRange]
    ) {
        self.freeze = freeze
        self.holder = holder
        self.pledgee = pledgee
        self.unit = unit
        self.quantity = quantity
        self.contract = contract
        self.status = status
        self.createdAt = createdAt
        self.serials = serials
    }
}

extension RegistryState {
    /// Which side of a pledge an account is on.
    public enum PledgeParty: String, Sendable, CaseIterable {
        case holder
        case pledgee
    }

    /// Every pledge (active, released and enforced) in which `account` is the holder or the
    /// pledgee, oldest first (by freeze number). A pure read: the state is not changed.
    public func pledges(_ party: PledgeParty, _ account: AccountID) -> [Pledge] {
        freezes.values.compactMap { freeze -> Pledge? in
            guard case .pledge(let pledgee, let contract) = freeze.reason else { return nil }
            switch party {
            case .holder: guard freeze.account == account else { return nil }
            case .pledgee: guard pledgee == account else { return nil }
            }
            return Pledge(
                freeze: freeze.id, holder: freeze.account, pledgee: pledgee, unit: freeze.unit, quantity: freeze.quantity,
                contract: contract, status: freeze.status, createdAt: freeze.createdAt, serials: pledgedSerials(freeze))
        }
        .sorted { $0.freeze < $1.freeze }
    }

    public func pledges(holder: AccountID) -> [Pledge] { pledges(.holder, holder) }
    public func pledges(pledgee: AccountID) -> [Pledge] { pledges(.pledgee, pledgee) }

    private func pledgedSerials(_ freeze: Freeze) -> [SerialRange] {
        guard freeze.status == .active, unitTypes[freeze.unit]?.serialized == true else { return [] }
        return holding(freeze.account, freeze.unit).blocks.filter { $0.freeze == freeze.id }.map(\.serials)
    }
}
