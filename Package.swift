// swift-tools-version:6.0
import PackageDescription

// Numeric targets are compiled for x86-64-v3 (AVX2, FMA, F16C): without it Swift SIMD code is
// 2–30× slower (see docs/ARCHITECTURE.md). This is a root package, so unsafeFlags are allowed.
let fast: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]

let package = Package(
    name: "SoftPrompt",
    products: [
        .library(name: "SPTensor", targets: ["SPTensor"]),
        .library(name: "SPTokenizers", targets: ["SPTokenizers"]),
        .executable(name: "softprompt", targets: ["softprompt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "SPTensor",
            dependencies: ["CBLAS", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: fast),
        .executableTarget(
            name: "softprompt",
            dependencies: [
                "SPTensor",
                "SPTokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast),
        // Tokenizers depend on Foundation only (never on SPTensor).
        .target(name: "SPTokenizers"),
        .testTarget(
            name: "SPTokenizersTests",
            dependencies: ["SPTokenizers", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SPTensorTests", dependencies: ["SPTensor"], resources: [.copy("Fixtures")],
                    swiftSettings: fast),
    ]
)
