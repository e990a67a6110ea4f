import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// Migration 19: a validation body's staff act for one CCER validation and verification body
/// (`users.ccer_body`, NULL for every other user), on SQLite and PostgreSQL.
@Suite("Access: users acting for a CCER validation body")
struct CCERBodyUserTests {
    @Test(arguments: Backend.all)
    func validationBodyStaffActForTheirBody(_ backend: Backend) async throws {
        let store = try await Composition.openStore(try backend.freshLocation())
        let now = SystemClock().now()
        try await DemoUsers.seed(store, at: now)
        // The demo validator acts for the demo's accredited body; no one else acts for a body.
        let validator = try #require(try await store.user("validator"))
        #expect(validator.role == .validationBody && validator.validationBody == DemoCCER.body.rawValue)
        #expect(validator.principal.validationBody == DemoCCER.body.rawValue && validator.principal.verifier == nil)
        for id in ["owner", "verifier", "e1", "registrar"] {
            #expect(try await store.user(id)?.validationBody == nil, "\(id)")
        }
        #expect(try await store.user("verifier")?.verifier == DemoMRV.verifier.rawValue)
        // A user saved again with another body, then with none: the column follows.
        var record = validator
        record.validationBody = "CEC-2"
        try await store.saveUser(record)
        #expect(try await store.user("validator")?.principal.validationBody == "CEC-2")
        record.validationBody = nil
        try await store.saveUser(record)
        #expect(try await store.user("validator")?.validationBody == nil)
        try await store.close()
    }
}
