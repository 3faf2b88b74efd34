// swift-tools-version:6.0
// libFuzzer harnesses for the SPFormats header parsers, the SPTuning config and data readers and the server's request decoder (see README.md). Not part of the main build.
import PackageDescription

// libFuzzer supplies `main`; the harness only defines LLVMFuzzerTestOneInput.
let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "FormatsFuzz",
    dependencies: [.package(name: "SoftPrompt", path: "../..")],
    targets: [
        .executableTarget(name: "FuzzSafetensorsHeader",
                          dependencies: [.product(name: "SPFormats", package: "SoftPrompt"),
                                         .product(name: "SPJSON", package: "SoftPrompt")], swiftSettings: harness),
        .executableTarget(name: "FuzzGGUFHeader",
                          dependencies: [.product(name: "SPFormats", package: "SoftPrompt")], swiftSettings: harness),
        .executableTarget(name: "FuzzTorchPickle",
                          dependencies: [.product(name: "SPFormats", package: "SoftPrompt")], swiftSettings: harness),
        .executableTarget(name: "FuzzConfig",
                          dependencies: [.product(name: "SPTuning", package: "SoftPrompt"),
                                         .product(name: "SPPrompt", package: "SoftPrompt"),
                                         .product(name: "SPJSON", package: "SoftPrompt")], swiftSettings: harness),
        .executableTarget(name: "FuzzTaskRequest",
                          dependencies: [.product(name: "SPServer", package: "SoftPrompt"),
                                         .product(name: "SPGeneration", package: "SoftPrompt"),
                                         .product(name: "SPJSON", package: "SoftPrompt")], swiftSettings: harness),
        .executableTarget(name: "FuzzDataReaders",
                          dependencies: [.product(name: "SPTuning", package: "SoftPrompt")], swiftSettings: harness),
    ]
)
