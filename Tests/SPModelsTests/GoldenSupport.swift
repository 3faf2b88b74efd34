// Loads the causal-LM goldens written by scripts/reference/model_goldens.py (see Fixtures/README.md).

import Foundation
import SPFormats
import SPModels
import SPTensor
import SPTestSupport
import Testing

/// One fixture directory: the tiny model and its golden.json.
struct ModelFixture {
    let name: String
    let dir: URL
    let golden: [String: Any]

    static let fixtures = FixtureRoot(target: "SPModelsTests")
    static var root: URL { fixtures.url }

    /// The tiny models index.json declares (14: see Fixtures/README.md).
    static let count = 14

    /// index.json's model names; throws naming the file when it is missing or malformed.
    static func index() throws -> [String] {
        guard let models = try fixtures.jsonObject("index.json")["models"] as? [[String: Any]] else {
            throw FixtureError.malformed(path: "Tests/SPModelsTests/Fixtures/index.json", reason: "no \"models\" list")
        }
        return models.compactMap { $0["name"] as? String }
    }

    /// For `@Test(arguments:)` (which cannot throw): empty when index.json is unusable, and then
    /// `ModelGoldenTests.fixturesArePresent` fails naming it.
    static let names: [String] = (try? index()) ?? []

    init(_ name: String) throws {
        self.name = name
        dir = try ModelFixture.fixtures.directory(name)
        for f in ["config.json", "model.safetensors", "peft_adapter/adapter_config.json",
                  "peft_adapter/adapter_model.safetensors"] {
            _ = try ModelFixture.fixtures.file("\(name)/\(f)")
        }
        golden = try ModelFixture.fixtures.jsonObject("\(name)/golden.json")
    }

    /// golden.json `cases`: exactly the two batches the README declares, `right_pad` then `left_pad`.
    func cases() throws -> [[String: Any]] {
        let c = golden["cases"] as? [[String: Any]] ?? []
        let names = c.map { $0["name"] as? String ?? "?" }
        guard names == ["right_pad", "left_pad"] else {
            throw FixtureError.malformed(path: "Tests/SPModelsTests/Fixtures/\(name)/golden.json",
                                         reason: "cases are \(names), expected [right_pad, left_pad]")
        }
        return c
    }

    func load(dtype: DType = .float32) throws -> DecoderModel {
        try ModelLoader.load(directory: dir.path, dtype: dtype).decoderModel()
    }
}

/// A golden value that is not what the fixture format says.
struct GoldenFormatError: Error, CustomStringConvertible {
    let description: String
}

/// `{"shape": [...], "data": [...]}` → (shape, floats); throws unless data has shape's product values.
func floats(_ any: Any?) throws -> (shape: [Int], data: [Float]) {
    guard let d = any as? [String: Any], let shape = d["shape"] as? [Int], let data = d["data"] as? [NSNumber],
          !shape.isEmpty, data.count == shape.reduce(1, *) else {
        throw GoldenFormatError(description: "golden tensor is not {shape, data} with shape.product values: \(String(describing: any).prefix(80))")
    }
    return (shape, data.map { Float($0.doubleValue) })
}

/// `{"shape", "data"}` of integers, or a plain list of them → Int32 (throws like `floats`).
func ints(_ any: Any?) throws -> [Int32] {
    if let list = any as? [NSNumber] { return list.map { Int32($0.intValue) } }
    guard let d = any as? [String: Any], let shape = d["shape"] as? [Int], let data = d["data"] as? [NSNumber],
          data.count == shape.reduce(1, *) else {
        throw GoldenFormatError(description: "golden ids are not {shape, data}: \(String(describing: any).prefix(80))")
    }
    return data.map { Int32($0.intValue) }
}

/// A golden scalar (NaN when absent, which fails every comparison).
func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }
