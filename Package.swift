// swift-tools-version:6.0
import PackageDescription

// Numeric targets are compiled for x86-64-v3 (AVX2, FMA, F16C): without it Swift SIMD code is
// 2–30× slower (see docs/ARCHITECTURE.md). This is a root package, so unsafeFlags are allowed.
let fast: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]

let package = Package(
    name: "SoftPrompt",
    products: [
        .library(name: "SPTensor", targets: ["SPTensor"]),
        .library(name: "SPFormats", targets: ["SPFormats"]),
        .library(name: "SPModels", targets: ["SPModels"]),
        .library(name: "SPTuning", targets: ["SPTuning"]),
        .library(name: "SPTokenizers", targets: ["SPTokenizers"]),
        .library(name: "SPGeneration", targets: ["SPGeneration"]),
        .library(name: "SPService", targets: ["SPService"]),
        .library(name: "SPEval", targets: ["SPEval"]),
        .executable(name: "softprompt", targets: ["softprompt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // Loads OpenBLAS (libopenblas0, installed by scripts/setup.sh) with dlopen after choosing
        // its kernel set; see Sources/CBLAS/include/softprompt_blas.h.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(
            name: "SPTensor",
            dependencies: ["CBLAS", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: fast),
        .target(name: "SPFormats", dependencies: ["SPTensor"], swiftSettings: fast),
        .target(name: "SPModels", dependencies: ["SPTensor", "SPFormats"], swiftSettings: fast),
        .target(
            name: "SPTuning",
            dependencies: ["SPTensor", "SPFormats", "SPModels", "SPTokenizers", .product(name: "Yams", package: "Yams")],
            swiftSettings: fast),
        .target(
            name: "SPGeneration", dependencies: ["SPTensor", "SPFormats", "SPModels", "SPTokenizers", "SPTuning"],
            swiftSettings: fast),
        // Train and generate orchestration (base model store, tuning job, generation service): what
        // the CLI and a server call; the commands only parse flags, call it and print.
        .target(
            name: "SPService",
            dependencies: ["SPTensor", "SPFormats", "SPModels", "SPTokenizers", "SPTuning", "SPGeneration", "SPEval"],
            swiftSettings: fast),
        // Evaluation metrics (accuracy, exact match, Matthews correlation, ROUGE) and SVG charts; Foundation only.
        .target(name: "SPEval"),
        .executableTarget(
            name: "softprompt",
            dependencies: [
                "SPTensor", "SPModels", "SPTuning", "SPTokenizers", "SPGeneration", "SPService", "SPEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-attention", dependencies: ["SPTensor"], path: "Benchmarks/AttentionBench",
            swiftSettings: fast),
        // Tokenizers depend on Foundation only (never on SPTensor).
        .target(name: "SPTokenizers"),
        .testTarget(name: "softpromptTests", dependencies: ["softprompt"]),
        .testTarget(name: "SPEvalTests", dependencies: ["SPEval"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SPServiceTests", dependencies: ["SPService", "SPModels", "SPTuning", "SPGeneration", "SPEval"],
                    swiftSettings: fast),
        // Checks docs/ARCHITECTURE.md's dependency table against Package.swift and the imports.
        .testTarget(name: "ArchitectureTests"),
        .testTarget(
            name: "SPTokenizersTests",
            dependencies: ["SPTokenizers", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SPTensorTests", dependencies: ["SPTensor"], resources: [.copy("Fixtures")],
                    swiftSettings: fast),
        .testTarget(name: "SPModelsTests", dependencies: ["SPModels"], resources: [.copy("Fixtures")],
                    swiftSettings: fast),
        .testTarget(name: "SPTuningTests",
                    dependencies: ["SPTuning", "SPFormats", "SPModels", "SPTokenizers", .product(name: "Yams", package: "Yams")],
                    resources: [.copy("Fixtures")],
                    swiftSettings: fast),
        // -O: the SmolLM2 test hashes 540 MB of dequantized floats; unoptimized that takes minutes.
        .testTarget(name: "SPFormatsTests", dependencies: ["SPFormats"], resources: [.copy("Fixtures")],
                    swiftSettings: fast + [.unsafeFlags(["-O"])]),
        .testTarget(name: "SPGenerationTests", dependencies: ["SPGeneration", "SPModels", "SPTokenizers", "SPTuning"],
                    resources: [.copy("Fixtures")], swiftSettings: fast),
    ]
)
