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

/// Every web route the router has (outside `/api/v1`, which `APIPermissionWalkTests` walks) ×
/// every role, and without a session, against `WebPermissions.routes` and the permission
/// matrix, on the live server over the demo market:
/// - a route missing from the table (or listed but not routed) fails the test;
/// - open routes never refuse (no 403, no trip to the login);
/// - guarded routes send a visitor without a session to the login, refuse (403) a role the
///   matrix does not allow, and let an allowed role through: a page answers (200, or its own
///   404 for a sample that does not exist), a form
///   without its CSRF token is refused (403) and with the token but without its one-time key
///   comes back with `INVALID_INPUT` (so the walk changes nothing).
@Suite("Web: permission walk over every route × role")
struct WebPermissionWalkTests {
    typealias Client = NeutralityServerTests.Client

    /// Values for the routes' parameters.
    static let samples = [
        "{id}": "ENT-000001", "{number}": "NC-0000", "{code}": "CEA24", "{year}": "2024",
    ]
    static let overrides = [
        "GET /allocation/plans/{id}": "/allocation/plans/power-2024",
        "GET /ccer/projects/{id}": "/ccer/projects/P000001",
        "GET /ccer/certificates/{code}": "/ccer/certificates/X",
        "GET /market/stream": "/market/stream?instrument=CEA24&events=1",
    ]

    static func concretePath(_ route: String) -> String {
        if let path = overrides[route] { return path }
        var path = String(route.split(separator: " ", maxSplits: 1)[1])
        for (parameter, value) in samples { path = path.replacingOccurrences(of: parameter, with: value) }
        return path
    }

    @Test func everyRouteTimesEveryRoleIsAllowedOrDeniedAsTheTableSays() async throws {
        let world = try await PortalServerTests.world()
        let routed = Set(
            buildRouter(ServerConfiguration(), store: world.store, service: world.service, mrv: world.mrv).routes
                .map { "\($0.method.rawValue) \($0.path.description)" }
                .filter { !$0.contains(" /api/v1/") })
        let listed = Set(WebPermissions.routes.keys)
        #expect(routed.subtracting(listed).sorted() == [], "routes without a guard in WebPermissions.routes")
        #expect(listed.subtracting(routed).sorted() == [], "guards of routes the router does not have")

        try await PortalServerTests.serve(world) { port in
            var clients: [(name: String, role: Role?, client: Client, csrf: String)] = [("no session", nil, PortalServerTests.client(port), "")]
            for role in Role.allCases where role != .public {
                let user = try #require(DemoUsers.all.first { $0.role == role }, "a demo user of role \(role)")
                let client = try await PortalServerTests.login(port, user.id)
                let token = try #require(client.cookie?.split(separator: "=", maxSplits: 1).last.map(String.init))
                let session = try #require(try await world.store.session(tokenHash: sha256Hex(token)))
                clients.append((user.id, role, client, session.csrf))
            }
            // Logging out ends the session: walked last. Logging in is AccessTests' (a walk of
            // failed logins would trip the login rate limit).
            var checked = 0
            for route in routed.sorted().filter({ $0 != "POST /logout" }) + ["POST /logout"] where route != "POST /login" {
                let method = String(route.split(separator: " ")[0])
                let path = Self.concretePath(route)
                let guardOf = try #require(WebPermissions.routes[route])
                for (name, role, client, csrf) in clients {
                    let what = "\(route) as \(name)"
                    let form: [(String, String)]? = method == "POST" ? [("csrf", csrf)] : nil
                    let answer = try await client.send(method, path, form: form)
                    checked += 1
                    let toLogin = answer.status == 303 && (answer.location ?? "").hasPrefix("/login")
                    switch guardOf {
                    case .open:
                        #expect(answer.status != 403 && !toLogin, "\(what): \(answer.status) \(answer.location ?? "")")
                    case .session:
                        #expect(role == nil ? toLogin : (answer.status == 303 && !toLogin), "\(what): \(answer.status)")
                    case .action(let action):
                        guard let role else {
                            #expect(toLogin, "\(what): \(answer.status) \(answer.location ?? "")")
                            continue
                        }
                        let user = try #require(DemoUsers.all.first { $0.id == name })
                        let principal = Principal(user: name, name: name, role: role, account: user.account, province: user.province)
                        if principal.may(action, for: user.account) {
                            if method == "GET" {
                                // Through the guard: the page, or its own answer to the sample (a document not found).
                                #expect(answer.status == 200 || (answer.status != 403 && !toLogin && answer.status < 500), "\(what): \(answer.status) \(answer.location ?? "")")
                            } else {
                                let error = NeutralityServerTests.query(answer.location)["error"] ?? ""
                                #expect(answer.status == 303 && error.hasPrefix("INVALID_INPUT"), "\(what): \(answer.status) \(answer.location ?? "")")
                                let forged = try await client.send(method, path, form: [("csrf", "forged")])
                                #expect(forged.status == 403, "\(what) with a forged CSRF token: \(forged.status)")
                            }
                        } else if route == "GET /trade", answer.status == 303 {
                            // Staff without a trading screen are sent to their own portal.
                            #expect((answer.location ?? "").hasPrefix("/portal/"), "\(what): \(answer.location ?? "")")
                        } else {
                            #expect(answer.status == 403, "\(what): \(answer.status) \(answer.location ?? "")")
                        }
                    }
                }
            }
            print("web permission walk: \(routed.count) routes × \(clients.count) principals = \(checked) requests")
            #expect(checked == (routed.count - 1) * clients.count)
        }
    }

    /// State-changing form posts are limited per user (`ServerConfiguration.formRateLimit`):
    /// beyond it 429 RATE_LIMITED, and the post does not act; another user is not affected;
    /// a refused post (forged CSRF token) does not count.
    @Test func formPostsAreRateLimitedPerUser() async throws {
        let world = try await PortalServerTests.world()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.formRateLimit = APIRateLimit(calls: 2, windowSeconds: 60)
        try await PortalServerTests.run(configuration, store: world.store, service: world.service, mrv: world.mrv) { port in
            let e1 = try await PortalServerTests.login(port, "e1")
            let csrf = try await PortalServerTests.csrf(e1, "/trade")
            #expect(try await e1.send("POST", "/trade/cancel", form: [("csrf", "forged"), ("order", "1")]).status == 403)
            for _ in 0..<2 {
                let answer = try await e1.send("POST", "/trade/cancel", form: PortalServerTests.form(csrf, [("order", "999999")]))
                #expect(answer.status == 303, "within the limit: the exchange's answer")
            }
            let head = await world.service.head
            let limited = try await e1.send("POST", "/trade/place", form: PortalServerTests.form(csrf, [
                ("instrument", "CEA24"), ("side", "sell"), ("price", "90.00"), ("quantity", "1"),
            ]))
            #expect(limited.status == 429 && limited.body.hasPrefix("RATE_LIMITED"), "\(limited.status) \(limited.body)")
            #expect(await world.service.head == head, "the limited post did not act")
            let i1 = try await PortalServerTests.login(port, "i1")
            let i1CSRF = try await PortalServerTests.csrf(i1, "/trade")
            #expect(try await i1.send("POST", "/trade/cancel", form: PortalServerTests.form(i1CSRF, [("order", "999999")])).status == 303)
        }
        try await world.mrvStore.close()
        try await world.store.close()
        TestMarket.remove(.sqlite(path: world.path))
    }
}
