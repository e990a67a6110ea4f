import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSServer
import Testing

/// The pledge operations of the REST API on the live server over the demo market (whose
/// ENT-000001 pledged 300,000 t CEA24 to the bank's INV-000002), on SQLite and, when
/// `OPENETS_TEST_POSTGRES_URL` is set, on PostgreSQL: an account reads its own pledges (the
/// pledgee those in its favour), the registry operator registers, releases and enforces them
/// (replays answer the first result and do nothing twice), every refusal carries the registry's
/// code and changes nothing, other roles and other accounts are refused.
@Suite("REST API: pledges")
struct APIPledgeTests {
    typealias Client = APIPermissionWalkTests.Client
    typealias Fetched = APIPermissionWalkTests.Fetched

    /// A demo market with its users, an API token per demo user and the cycle's store, served.
    struct World {
        var store: any LedgerStore
        var service: RegistryService
        var cycle: any AllocationCycleStore
        var location: StoreLocation
        var tokens: [String: String]
    }

    static func world(_ database: String, tag: String) async throws -> World {
        let location = try TestMarket.freshLocation(database, tag: tag)
        let (store, service, _) = try await TestMarket.openDemo(location)
        let cycle = try await Composition.openAllocationCycleStore(location, connectionID: 3)
        let tokens = try await TestMarket.tokens(store, DemoUsers.all.map(\.id))
        return World(store: store, service: service, cycle: cycle, location: location, tokens: tokens)
    }

    static func serve(_ world: World, _ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await PortalServerTests.run(
            ServerConfiguration(host: "127.0.0.1", port: 0), store: world.store, service: world.service, cycle: world.cycle
        ) { port in try await body(Client(port: port)) }
        try await world.cycle.close()
        try await world.store.close()
        TestMarket.remove(world.location)
    }

    static func items(_ fetched: Fetched) -> [[String: Any]] { fetched.json["items"] as? [[String: Any]] ?? [] }

    static func holding(_ service: RegistryService, _ account: AccountID, _ unit: UnitTypeCode) async -> (total: Int64, available: Int64) {
        let holding = await service.state.holdings[HoldingKey(account: account, unit: unit)]
        return (holding?.total ?? 0, holding?.available ?? 0)
    }

    @Test(arguments: TestMarket.databases)
    func pledgesReadRegisteredReleasedAndEnforced(_ database: String) async throws {
        let world = try await Self.world(database, tag: "apipledge")
        let service = world.service, tokens = world.tokens
        let demo = try #require(await service.state.pledges(holder: "ENT-000001").first)
        try await Self.serve(world) { api in
            let registrar = tokens["registrar"]!, e1 = tokens["e1"]!, bank = tokens["bank"]!
            // Reads: the holder its given pledges, the pledgee (the bank) those it holds.
            let given = try await api.call("GET", "/api/v1/registry/accounts/ENT-000001/pledges", token: e1)
            #expect(given.status == 200 && given.json["total"] as? Int == 1, "\(given.body)")
            let first = try #require(Self.items(given).first)
            #expect(first["freezeId"] as? String == demo.freeze.rawValue && first["holder"] as? String == "ENT-000001")
            #expect(first["pledgee"] as? String == "INV-000002" && first["quantityTonnes"] as? Int == 300_000 && first["status"] as? String == "active")
            let held = try await api.call("GET", "/api/v1/registry/accounts/INV-000002/pledges?party=pledgee", token: bank)
            #expect(held.status == 200 && Self.items(held).map { $0["freezeId"] as? String } == [demo.freeze.rawValue], "\(held.body)")
            let heldAsHolder = try await api.call("GET", "/api/v1/registry/accounts/INV-000002/pledges?party=holder", token: bank)
            #expect(heldAsHolder.status == 200 && heldAsHolder.json["total"] as? Int == 0)
            // Scope: another account's pledges are refused; roles without view_own_account too.
            for (token, account) in [(e1, "INV-000002"), (bank, "ENT-000001")] {
                let refused = try await api.call("GET", "/api/v1/registry/accounts/\(account)/pledges", token: token)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(refused.body)")
            }
            for user in ["registrar", "mee", "sc"] {
                let refused = try await api.call("GET", "/api/v1/registry/accounts/ENT-000001/pledges", token: tokens[user]!)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
            }
            #expect(try await api.call("GET", "/api/v1/registry/accounts/ENT-000001/pledges").status == 401)

            // Register: the registry operator freezes ENT-000001's units for the investor INV-000001.
            let before = await Self.holding(service, "ENT-000001", "CEA24")
            let request = #"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":1000,"pledgee":"INV-000001","contract":"API-PLEDGE-1"}"#
            let registered = try await api.call("POST", "/api/v1/registry/pledges", token: registrar, key: "pledge-1", body: request)
            #expect(registered.status == 201 && registered.json["replayed"] as? Bool == false, "\(registered.body)")
            let freeze = try #require(registered.json["freezeId"] as? String)
            var after = await Self.holding(service, "ENT-000001", "CEA24")
            #expect(after.total == before.total && after.available == before.available - 1000)
            let pledge = try #require(await service.state.freezes[FreezeID(freeze)])
            #expect(pledge.reason == .pledge(pledgee: "INV-000001", contract: "API-PLEDGE-1") && pledge.status == .active)
            // Replay: the same answer, nothing frozen twice; the key with another request is refused.
            let freezes = await service.state.freezes.count
            let replay = try await api.call("POST", "/api/v1/registry/pledges", token: registrar, key: "pledge-1", body: request)
            #expect(replay.status == 201 && replay.json["replayed"] as? Bool == true && replay.json["seq"] as? Int == registered.json["seq"] as? Int)
            let freezesAfterReplay = await service.state.freezes.count, holdingAfterReplay = await Self.holding(service, "ENT-000001", "CEA24")
            #expect(freezesAfterReplay == freezes && holdingAfterReplay == after)
            let other = request.replacingOccurrences(of: "1000", with: "1001")
            let reused = try await api.call("POST", "/api/v1/registry/pledges", token: registrar, key: "pledge-1", body: other)
            #expect(reused.status == 422 && reused.code == "IDEMPOTENCY_KEY_REUSED" && reused.body.contains("different command"), "\(reused.body)")
            // The investor reads the pledge in its favour.
            let investor = try await api.call("GET", "/api/v1/registry/accounts/INV-000001/pledges", token: tokens["i1"]!)
            #expect(Self.items(investor).map { $0["freezeId"] as? String } == [freeze])

            // Refusals: the registry's code, nothing changed.
            let head = await service.head.seq
            for (body, code) in [
                (#"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":5,"pledgee":"ENT-000001","contract":"C"}"#, "SAME_ACCOUNT"),
                (#"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":5,"pledgee":"NOPE-000001","contract":"C"}"#, "UNKNOWN_ACCOUNT"),
                (#"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":5,"pledgee":"CN-NATIONAL","contract":"C"}"#, "ACCOUNT_TYPE_NOT_ALLOWED"),
                (#"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":999999999,"pledgee":"INV-000001","contract":"C"}"#, "INSUFFICIENT_HOLDING"),
                (#"{"account":"ENT-000001","unit":"CEA24","quantityTonnes":0,"pledgee":"INV-000001","contract":"C"}"#, "INVALID_QUANTITY"),
                (#"{"account":"ENT-000001","unit":"NOPE","quantityTonnes":5,"pledgee":"INV-000001","contract":"C"}"#, "UNKNOWN_UNIT_TYPE"),
            ] {
                let refused = try await api.call("POST", "/api/v1/registry/pledges", token: registrar, key: "bad-\(code)", body: body)
                #expect(refused.status == 422 && refused.code == code, "\(code): \(refused.body)")
            }
            let headAfterRefusals = await service.head.seq, holdingAfterRefusals = await Self.holding(service, "ENT-000001", "CEA24")
            #expect(headAfterRefusals == head && holdingAfterRefusals == after)
            // Roles without registry_operate: 403, nothing runs.
            for user in ["e1", "bank", "i1", "mee", "operator"] {
                let refused = try await api.call("POST", "/api/v1/registry/pledges", token: tokens[user]!, key: "not-mine", body: request)
                #expect(refused.status == 403 && refused.code == "FORBIDDEN", "\(user): \(refused.body)")
                let release = try await api.call("POST", "/api/v1/registry/pledges/\(freeze)/release", token: tokens[user]!, key: "not-mine")
                #expect(release.status == 403, "\(user): \(release.body)")
                let enforce = try await api.call("POST", "/api/v1/registry/pledges/\(demo.freeze.rawValue)/enforce", token: tokens[user]!, key: "not-mine")
                #expect(enforce.status == 403, "\(user): \(enforce.body)")
            }
            #expect(await service.head.seq == head)

            // Release: the units are free again; a replay does nothing twice; a second release is refused.
            let released = try await api.call("POST", "/api/v1/registry/pledges/\(freeze)/release", token: registrar, key: "release-1")
            #expect(released.status == 200 && released.json["replayed"] as? Bool == false, "\(released.body)")
            after = await Self.holding(service, "ENT-000001", "CEA24")
            let releasedStatus = await service.state.freezes[FreezeID(freeze)]?.status
            #expect(after == before && releasedStatus == .released)
            let releaseReplay = try await api.call("POST", "/api/v1/registry/pledges/\(freeze)/release", token: registrar, key: "release-1")
            #expect(releaseReplay.status == 200 && releaseReplay.json["replayed"] as? Bool == true)
            let again = try await api.call("POST", "/api/v1/registry/pledges/\(freeze)/release", token: registrar, key: "release-2")
            #expect(again.status == 422 && again.code == "FREEZE_NOT_ACTIVE", "\(again.body)")
            let unknown = try await api.call("POST", "/api/v1/registry/pledges/FRZ-99999999/release", token: registrar, key: "release-3")
            #expect(unknown.status == 422 && unknown.code == "UNKNOWN_FREEZE", "\(unknown.body)")

            // A judicial freeze is not a pledge: neither released nor enforced here.
            let judicial = try await service.execute(CommandRequest(
                idempotencyKey: "judicial-1", command: .freeze(account: "ENT-000001", unit: "CEA24", quantity: 10, reason: .judicial(order: "(2025)川01执1号"))))
            guard case .accepted = judicial else { Issue.record("judicial freeze: \(judicial)"); return }
            let court = try #require(await service.state.freezes.values.first { $0.reason == .judicial(order: "(2025)川01执1号") })
            let headJudicial = await service.head.seq
            for verb in ["release", "enforce"] {
                let refused = try await api.call("POST", "/api/v1/registry/pledges/\(court.id.rawValue)/\(verb)", token: registrar, key: "court-\(verb)")
                #expect(refused.status == 422 && refused.code == "NOT_A_PLEDGE", "\(verb): \(refused.body)")
            }
            let headAfterCourt = await service.head.seq, courtStatus = await service.state.freezes[court.id]?.status
            #expect(headAfterCourt == headJudicial && courtStatus == .active)
            // The judicial freeze is not listed among the pledges.
            #expect(Self.items(try await api.call("GET", "/api/v1/registry/accounts/ENT-000001/pledges?party=holder", token: e1)).count == 2)

            // Enforce the demo pledge: its units move to the bank; a replay moves nothing more.
            let bankBefore = await Self.holding(service, "INV-000002", "CEA24")
            let entityBefore = await Self.holding(service, "ENT-000001", "CEA24")
            let enforced = try await api.call("POST", "/api/v1/registry/pledges/\(demo.freeze.rawValue)/enforce", token: registrar, key: "enforce-1")
            #expect(enforced.status == 200 && enforced.json["replayed"] as? Bool == false, "\(enforced.body)")
            #expect(await Self.holding(service, "INV-000002", "CEA24").total == bankBefore.total + 300_000)
            #expect(await Self.holding(service, "ENT-000001", "CEA24").total == entityBefore.total - 300_000)
            let enforceReplay = try await api.call("POST", "/api/v1/registry/pledges/\(demo.freeze.rawValue)/enforce", token: registrar, key: "enforce-1")
            #expect(enforceReplay.status == 200 && enforceReplay.json["replayed"] as? Bool == true)
            #expect(await Self.holding(service, "INV-000002", "CEA24").total == bankBefore.total + 300_000)
            let twice = try await api.call("POST", "/api/v1/registry/pledges/\(demo.freeze.rawValue)/enforce", token: registrar, key: "enforce-2")
            #expect(twice.status == 422 && twice.code == "FREEZE_NOT_ACTIVE", "\(twice.body)")
            let heldNow = try await api.call("GET", "/api/v1/registry/accounts/INV-000002/pledges", token: bank)
            #expect(Self.items(heldNow).first?["status"] as? String == "enforced")
            // A malformed key is 400 and runs nothing.
            let badKey = try await api.call("POST", "/api/v1/registry/pledges/\(freeze)/enforce", token: registrar, key: "bad key")
            #expect(badKey.status == 400)
        }
    }
}
