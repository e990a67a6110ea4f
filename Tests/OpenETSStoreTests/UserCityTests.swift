import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import OpenETSSQLStore
import Testing

/// `users.city` (migration 18): city staff review for one city (docs/portals.md, the city
/// portal); the column is NULL for every other user.
@Suite("Access: the city of city staff")
struct UserCityTests {
    @Test(arguments: Backend.all)
    func theCityRoundTripsAndIsNullForOthers(_ backend: Backend) async throws {
        let location = try backend.freshLocation()
        let store = try await Composition.openStore(location)
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        // The demo city user reviews for Chengdu, as the MRV platform names it.
        let chengdu = try #require(try await store.user("chengdu"))
        #expect(chengdu.role == .city && chengdu.city == DemoMRV.city && chengdu.city == "成都" && chengdu.province == "SC")
        #expect(chengdu.principal.city == "成都")
        for other in ["sc", "e1", "mee", "verifier"] { #expect(try await store.user(other)?.city == nil, "\(other)") }
        // A login carries it into the principal.
        let access = AccessService(store: store)
        let user = try #require(DemoUsers.all.first { $0.id == "chengdu" })
        let login = try await access.login(user: "chengdu", password: user.password, totp: nil, address: "t", at: now).get()
        #expect(login.principal.city == "成都" && login.principal.role == .city)
        // Saved again with another city: the new one is read back.
        var moved = chengdu
        moved.city = "绵阳"
        try await store.saveUser(moved)
        #expect(try await store.user("chengdu")?.city == "绵阳")
        try await store.close()
        // The column is nullable: NULL, not '', for users without a city.
        let database = try await Composition.openDatabase(location, connectionID: 5)
        let rows = try await database.read { sql in
            try await sql.query("SELECT id FROM users WHERE city IS NULL ORDER BY id", [])
        }
        let ids = try rows.map { try $0.text(0) }
        #expect(ids.count == DemoUsers.all.count - 1 && !ids.contains("chengdu") && ids.contains("sc"))
        try await database.close()
    }
}
