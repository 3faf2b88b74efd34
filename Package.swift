// swift-tools-version:6.1
import PackageDescription

// Numeric targets are compiled for x86-64-v3 (AVX2, FMA, F16C): without it Swift SIMD code is
// 2–30× slower (see docs/ARCHITECTURE.md). This is a root package, so unsafeFlags are allowed.
let fast: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]

let package = Package(
    name: "SoftPrompt",
    products: [
        .library(name: "SPJSON", targets: ["SPJSON"]),
        .library(name: "SPTensor", targets: ["SPTensor"]),
        .library(name: "SPFormats", targets: ["SPFormats"]),
        .library(name: "SPModels", targets: ["SPModels"]),
        .library(name: "SPPrompt", targets: ["SPPrompt"]),
        .library(name: "SPTuning", targets: ["SPTuning"]),
        .library(name: "SPChatTemplate", targets: ["SPChatTemplate"]),
        .library(name: "SPTokenizers", targets: ["SPTokenizers"]),
        .library(name: "SPGeneration", targets: ["SPGeneration"]),
        .library(name: "SPService", targets: ["SPService"]),
        .library(name: "SPEval", targets: ["SPEval"]),
        .library(name: "SPJobs", targets: ["SPJobs"]),
        .library(name: "SPServer", targets: ["SPServer"]),
        .library(name: "SPGRPC", targets: ["SPGRPC"]),
        .executable(name: "softprompt", targets: ["softprompt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // `softprompt serve` (SPServer). Traits off: no swift-configuration build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // gRPC half of `softprompt serve` (SPGRPC). The code generated from api/protos is committed
        // (scripts/generate_grpc.sh); no protoc plugin runs in the build.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        // TLS/mTLS for both servers (already in the graph through Hummingbird and the gRPC transport).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // NIOCore for SPServer's connection handler (already in the graph through Hummingbird).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // Training jobs in SQLite (SPJobs); needs libsqlite3-dev (scripts/setup.sh).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The one JSON value type, parser, path reader and writers (Foundation only).
        .target(name: "SPJSON"),
        // Loads OpenBLAS (libopenblas0, installed by scripts/setup.sh) with dlopen after choosing
        // its kernel set; see Sources/CBLAS/include/softprompt_blas.h.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(
            name: "SPTensor",
            dependencies: ["CBLAS", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: fast),
        .target(name: "SPFormats", dependencies: ["SPJSON", "SPTensor"], swiftSettings: fast),
        .target(name: "SPModels", dependencies: ["SPJSON", "SPTensor", "SPFormats"], swiftSettings: fast),
        // Saved prompts in every layout (caikit directory, PEFT adapter, `.pt`), the verbalizer and the
        // caikit vocabularies they carry: what training writes and generation reads.
        .target(
            name: "SPPrompt",
            dependencies: ["SPJSON", "SPTensor", "SPFormats", "SPModels", .product(name: "Yams", package: "Yams")],
            swiftSettings: fast),
        .target(
            name: "SPTuning",
            dependencies: ["SPJSON", "SPTensor", "SPModels", "SPTokenizers", "SPPrompt"],
            swiftSettings: fast),
        .target(
            name: "SPGeneration", dependencies: ["SPJSON", "SPTensor", "SPFormats", "SPModels", "SPTokenizers", "SPPrompt"],
            swiftSettings: fast),
        // Train and generate orchestration (base model store, tuning job, generation service): what
        // the CLI and a server call; the commands only parse flags, call it and print.
        .target(
            name: "SPService",
            dependencies: ["SPJSON", "SPTensor", "SPFormats", "SPModels", "SPChatTemplate", "SPTokenizers", "SPPrompt",
                           "SPTuning", "SPGeneration", "SPEval"],
            swiftSettings: fast),
        // Evaluation metrics (accuracy, exact match, Matthews correlation, ROUGE) and SVG charts; Foundation only.
        .target(name: "SPEval"),
        // Training jobs over SPService: the engine (submit, status, cancel, progress, resume after a
        // restart) and its SQLite store; plain Swift API for the HTTP and gRPC handlers.
        .target(
            name: "SPJobs",
            dependencies: ["SPJSON", "SPPrompt", "SPTuning", "SPService", .product(name: "GRDB", package: "GRDB.swift")]),
        // HTTP runtime (caikit's inference API) over SPService: `softprompt serve`.
        .target(
            name: "SPServer",
            dependencies: [
                "SPJSON", "SPPrompt", "SPGeneration", "SPService", "SPJobs", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: fast),
        // gRPC runtime (caikit's NlpService, InfoService, server reflection) over the same InferenceAPI
        // as the HTTP routes; Generated/ is protoc output from api/protos, committed.
        .target(
            name: "SPGRPC",
            dependencies: [
                "SPJSON", "SPPrompt", "SPGeneration", "SPServer", "SPJobs",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "softprompt",
            dependencies: [
                "SPJSON", "SPTensor", "SPModels", "SPPrompt", "SPTuning", "SPTokenizers", "SPGeneration",
                "SPService", "SPEval", "SPServer", "SPGRPC", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-attention", dependencies: ["SPTensor"], path: "Benchmarks/AttentionBench",
            swiftSettings: fast),
        // The Jinja interpreter behind HF chat templates (Foundation and SPJSON only).
        .target(name: "SPChatTemplate", dependencies: ["SPJSON"]),
        // Tokenizers depend on Foundation, SPJSON and SPChatTemplate only (never on SPTensor).
        .target(name: "SPTokenizers", dependencies: ["SPJSON", "SPChatTemplate"]),
        // Test-only helpers (one assertClose, committed-fixture lookup checked against
        // Tests/fixtures.sha256, the missing-file skip-or-fail policy); only test targets depend on it.
        .target(name: "SPTestSupport", path: "Tests/SPTestSupport"),
        .testTarget(name: "SPTestSupportTests", dependencies: ["SPTestSupport"]),
        .testTarget(name: "SPJSONTests", dependencies: ["SPJSON"]),
        // Fixtures are read in place from the source tree (SPTestSupport.FixtureRoot), not copied.
        .testTarget(name: "softpromptTests", dependencies: ["softprompt", "SPTestSupport"]),
        .testTarget(name: "SPEvalTests", dependencies: ["SPEval", "SPTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "SPServerTests",
            dependencies: ["SPServer", "SPGRPC", "SPService", "SPGeneration", "SPJSON",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: fast),
        .testTarget(name: "SPJobsTests",
                    dependencies: ["SPJobs", "SPService", "SPTuning", "SPPrompt", "SPJSON", "SPTestSupport"]),
        .testTarget(name: "SPServiceTests",
                    dependencies: ["SPService", "SPModels", "SPPrompt", "SPTuning", "SPGeneration", "SPEval", "SPJSON", "SPTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: fast),
        // Checks docs/ARCHITECTURE.md's dependency table against Package.swift and the imports.
        .testTarget(name: "ArchitectureTests"),
        .testTarget(
            name: "SPTokenizersTests",
            dependencies: ["SPTokenizers", "SPChatTemplate", "SPJSON", "SPTestSupport",
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            exclude: ["Fixtures"]),
        .testTarget(name: "SPTensorTests", dependencies: ["SPTensor", "SPTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: fast),
        .testTarget(name: "SPModelsTests", dependencies: ["SPModels", "SPJSON", "SPTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: fast),
        .testTarget(name: "SPTuningTests",
                    dependencies: ["SPTuning", "SPPrompt", "SPFormats", "SPModels", "SPTokenizers", "SPJSON", "SPTestSupport",
                                   .product(name: "Yams", package: "Yams")],
                    exclude: ["Fixtures"],
                    swiftSettings: fast),
        // -O: the SmolLM2 test hashes 540 MB of dequantized floats; unoptimized that takes minutes.
        .testTarget(name: "SPFormatsTests", dependencies: ["SPFormats", "SPJSON", "SPTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: fast + [.unsafeFlags(["-O"])]),
        .testTarget(name: "SPGenerationTests",
                    dependencies: ["SPGeneration", "SPModels", "SPTokenizers", "SPPrompt", "SPJSON", "SPTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: fast),
    ]
)
