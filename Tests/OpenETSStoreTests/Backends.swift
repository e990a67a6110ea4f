import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime
import Testing

/// The databases every store test runs on: SQLite always; PostgreSQL when
/// `OPENETS_TEST_POSTGRES_URL` names a server (CI sets it; `OPENETS_REQUIRE_POSTGRES=1` makes
/// its absence an error instead of a skip). Each test gets a fresh SQLite file or a fresh
/// PostgreSQL schema.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["OPENETS_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    static var all: [Backend] {
        if postgresURL != nil { return [.sqlite, .postgres] }
        if ProcessInfo.processInfo.environment["OPENETS_REQUIRE_POSTGRES"] == "1" {
            // Keeps .postgres in the list so that its tests fail loudly.
            return [.sqlite, .postgres]
        }
        return [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A new, empty location for one test. Its name starts with the minute it was made
    /// (`t_<minutes since 1970>_<test>_<random>`), so `scripts/test` can sweep what earlier runs
    /// left behind (schemas and files older than `scripts/test`'s sweep age) without touching a
    /// run in progress; the test's name is cut to 32 characters so the whole stays within
    /// PostgreSQL's 63-byte identifiers.
    func freshLocation(_ name: String = #function) throws -> StoreLocation {
        let minute = Int(Date().timeIntervalSince1970 / 60)
        let test = name.prefix(while: { $0.isLetter || $0.isNumber }).prefix(32).lowercased()
        let tag = "\(minute)_\(test)_\(UInt32.random(in: 0...UInt32.max))"
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openets-tests")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return .sqlite(path: directory.appendingPathComponent("t_\(tag).db").path)
        case .postgres:
            guard let url = Backend.postgresURL else {
                throw TestSetupError("OPENETS_REQUIRE_POSTGRES=1 but OPENETS_TEST_POSTGRES_URL is not set")
            }
            return .postgres(url: url, schema: "t_\(tag)")
        }
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A clock that ticks one millisecond per reading, from 2025-01-01.
final class SteppingClock: LedgerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var next: Int64 = 1_735_689_600_000

    func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return Timestamp(millisecondsSinceEpoch: next)
    }
}

/// A registry on a fresh store, with helpers to run commands.
struct Harness {
    let location: StoreLocation
    let store: any LedgerStore
    let service: RegistryService
    private let keys = KeySource()

    static func open(_ backend: Backend, _ name: String = #function) async throws -> Harness {
        let location = try backend.freshLocation(name)
        return try await open(location)
    }

    static func open(_ location: StoreLocation, clock: any LedgerClock = SteppingClock()) async throws -> Harness {
        let (store, service) = try await Composition.openRegistry(location, clock: clock)
        return Harness(location: location, store: store, service: service)
    }

    func close() async throws { try await store.close() }

    /// Runs `command` with a fresh idempotency key.
    @discardableResult
    func run(_ command: RegistryCommand) async throws -> CommandOutcome {
        try await service.execute(CommandRequest(idempotencyKey: keys.next(), command: command))
    }

    /// Runs `command` and fails the test unless it is accepted.
    @discardableResult
    func accept(_ command: RegistryCommand, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Receipt {
        let outcome = try await run(command)
        guard let receipt = outcome.receipt else {
            Issue.record("expected \(command.kind) to be accepted, got \(outcome.error!)", sourceLocation: sourceLocation)
            throw TestSetupError("rejected")
        }
        return receipt
    }

    /// Runs `command`, expects `code`, and checks that nothing changed: neither the stored
    /// state, nor the in-memory state, nor the journal head.
    func reject(
        _ command: RegistryCommand, _ code: RegistryErrorCode, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let storedBefore = try await store.loadState()
        let memoryBefore = await service.state
        let headBefore = try await store.head()
        let outcome = try await run(command)
        #expect(outcome.error?.code == code, "\(command.kind): \(String(describing: outcome))", sourceLocation: sourceLocation)
        #expect(try await store.loadState() == storedBefore, "stored state changed", sourceLocation: sourceLocation)
        #expect(await service.state == memoryBefore, "in-memory state changed", sourceLocation: sourceLocation)
        #expect(try await store.head() == headBefore, "journal grew", sourceLocation: sourceLocation)
    }

    func holding(_ account: AccountID, _ unit: UnitTypeCode) async -> Holding {
        await service.state.holding(account, unit)
    }
}

final class KeySource: @unchecked Sendable {
    private let lock = NSLock()
    private var counter = 0
    private let prefix = UUID().uuidString.prefix(8)

    func next() -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return "k-\(prefix)-\(counter)"
    }
}

/// A small market: national and retirement accounts, province SC, two entities, an investor,
/// a project owner, a clearing account, CEA23, CEA24 and a CCER type.
enum Fixture {
    static let national: AccountID = "CN-NATIONAL"
    static let compliance: AccountID = "CN-COMPLIANCE"
    static let cancellation: AccountID = "CN-CANCELLATION"
    static let voluntary: AccountID = "CN-VOLUNTARY-CANCELLATION"
    static let sichuan = AccountID.provincial("SC")
    static let entityA: AccountID = "ENT-000001"
    static let entityB: AccountID = "ENT-000002"
    static let investor: AccountID = "INV-000001"
    static let owner: AccountID = "OWN-000001"
    static let clearing: AccountID = "EXC-000001"
    static let cea23: UnitTypeCode = "CEA23"
    static let cea24: UnitTypeCode = "CEA24"
    static let ccer: UnitTypeCode = "CCER-P000001-2024"

    static func reps(_ prefix: String) -> [Representative] {
        [
            Representative(id: RepresentativeID("\(prefix)-I"), name: "initiator \(prefix)", role: .initiator),
            Representative(id: RepresentativeID("\(prefix)-A"), name: "approver \(prefix)", role: .approver),
        ]
    }

    static func build(_ h: Harness) async throws {
        for type in [AccountType.national, .compliance, .cancellation, .voluntaryCancellation] {
            try await h.accept(.openAccount(type: type, ownerID: "MEE", ownerName: "MEE", province: nil, representatives: []))
        }
        try await h.accept(.openAccount(type: .provincial, ownerID: "EEB-SC", ownerName: "Sichuan EEB", province: "SC", representatives: []))
        try await h.accept(.openAccount(type: .entity, ownerID: "USCC-A", ownerName: "Entity A", province: "SC", representatives: reps("A")))
        try await h.accept(.openAccount(type: .entity, ownerID: "USCC-B", ownerName: "Entity B", province: "SC", representatives: reps("B")))
        try await h.accept(.openAccount(type: .investor, ownerID: "INV-1", ownerName: "Investor", province: nil, representatives: reps("V")))
        try await h.accept(.openAccount(type: .projectOwner, ownerID: "OWN-1", ownerName: "Owner", province: "SC", representatives: reps("O")))
        try await h.accept(.openAccount(type: .exchangeClearing, ownerID: "EXC", ownerName: "Clearing", province: nil, representatives: []))
        try await h.accept(.defineUnitType(code: cea23, kind: .allowance, label: "CEA", vintageFrom: 2023, vintageTo: 2023, projectID: nil, issuer: "CN", serialized: false))
        try await h.accept(.defineUnitType(code: cea24, kind: .allowance, label: "CEA", vintageFrom: 2024, vintageTo: 2024, projectID: nil, issuer: "CN", serialized: false))
        try await h.accept(.defineUnitType(code: ccer, kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P000001", issuer: "CN", serialized: true))
        try await h.accept(.issue(unit: cea23, quantity: 1_000_000, to: national))
        try await h.accept(.issue(unit: cea24, quantity: 1_000_000, to: national))
        try await h.accept(.issue(unit: ccer, quantity: 10_000, to: owner))
        try await h.accept(.allocate(from: national, to: sichuan, unit: cea23, quantity: 500_000))
        try await h.accept(.allocate(from: national, to: sichuan, unit: cea24, quantity: 500_000))
        try await h.accept(.allocate(from: sichuan, to: entityA, unit: cea23, quantity: 100_000))
        try await h.accept(.allocate(from: sichuan, to: entityB, unit: cea23, quantity: 100_000))
        try await h.accept(.allocate(from: sichuan, to: entityA, unit: cea24, quantity: 50_000))
        try await h.accept(.depositFunds(account: entityA, amountFen: 10_000_000_00, bankReference: "DEP-A"))
        try await h.accept(.depositFunds(account: investor, amountFen: 5_000_000_00, bankReference: "DEP-V"))
    }

    static func open(_ backend: Backend, _ name: String = #function) async throws -> Harness {
        let h = try await Harness.open(backend, name)
        try await build(h)
        return h
    }
}
