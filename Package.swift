// swift-tools-version:6.1
import PackageDescription

// Strict settings for our own targets: Swift 6 language mode, no implicit existentials,
// imports only visible where declared. Release builds skip the dynamic exclusivity checks
// (~10 % of the durable order path's CPU, docs/benchmarks.md); debug builds and so every
// test run keep them.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "OpenETS",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "openets", targets: ["openets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The REST API: runtime of the code generated from openapi.yaml, and its Hummingbird
        // transport. The generator itself lives in tools/openapi-generate (not built here).
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        // Pure domain core: no package dependencies, no I/O, no Foundation.
        .target(name: "OpenETSDomain", swiftSettings: strict),
        // Use cases and ports (store, clock). Hashing and JSON live here.
        .target(
            name: "OpenETSApplication",
            dependencies: [
                "OpenETSDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for password hashes.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The shared SQL store: migrations, projection tables, journal; one code path for both databases.
        .target(name: "OpenETSSQLStore", dependencies: ["OpenETSApplication", "OpenETSDomain"], swiftSettings: strict),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "OpenETSSQLite",
            dependencies: ["OpenETSSQLStore", "CSQLite"],
            swiftSettings: strict
        ),
        .target(
            name: "OpenETSPostgres",
            dependencies: [
                "OpenETSSQLStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Composition root, demo market, benchmarks and crash-test writer: shared by CLI and tests.
        .target(
            name: "OpenETSRuntime",
            dependencies: ["OpenETSDomain", "OpenETSApplication", "OpenETSSQLStore", "OpenETSSQLite", "OpenETSPostgres"],
            swiftSettings: strict
        ),
        // Web pages: pure renderers (state → HTML/CSV/SVG), zh and en. No server dependency.
        .target(name: "OpenETSWeb", dependencies: ["OpenETSDomain"], swiftSettings: strict),
        // The REST API's types and server stubs, generated from openapi.yaml by
        // scripts/openapi-generate and committed (scripts/openapi-drift-check keeps them in step).
        // Generated code: no strict settings.
        .target(
            name: "OpenETSAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // HTTP server (Hummingbird 2): routes, middleware, metrics; buildApplication is its composition.
        .target(
            name: "OpenETSServer",
            dependencies: [
                "OpenETSDomain", "OpenETSApplication", "OpenETSWeb", "OpenETSAPI",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "openets",
            dependencies: [
                "OpenETSDomain", "OpenETSApplication", "OpenETSRuntime", "OpenETSServer", "OpenETSWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "OpenETSDomainTests", dependencies: ["OpenETSDomain"], swiftSettings: strict),
        .testTarget(name: "OpenETSWebTests", dependencies: ["OpenETSDomain", "OpenETSWeb"], swiftSettings: strict),
        .testTarget(
            name: "OpenETSServerTests",
            dependencies: [
                "OpenETSDomain", "OpenETSApplication", "OpenETSRuntime", "OpenETSServer",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OpenETSStoreTests",
            dependencies: ["OpenETSDomain", "OpenETSApplication", "OpenETSSQLStore", "OpenETSRuntime"],
            swiftSettings: strict
        ),
    ]
)
