// swift-tools-version:6.2
import PackageDescription

// Builds only the swift-openapi-generator CLI, kept out of the main package so that its
// dependencies (OpenAPIKit, Yams, ...) are not built on every build of OpenETS.
// scripts/openapi-generate and scripts/openapi-drift-check run it.
let package = Package(
    name: "openapi-generate",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
    ],
    targets: []
)
