// Shared helpers for SPGeneration tests: the SPModels model fixtures (read in place from
// Tests/SPModelsTests/Fixtures), this target's fixtures, and a byte-level test tokenizer.

import Foundation
import SPGeneration
import SPModels
import SPTestSupport
import SPTokenizers
import Testing

enum Fixtures {
    static let modelFixtures = FixtureRoot(target: "SPModelsTests")
    static let ownFixtures = FixtureRoot(target: "SPGenerationTests")
    /// The 14 tiny causal-LM fixtures written by scripts/reference/model_goldens.py.
    static var models: URL { modelFixtures.url }
    /// This target's fixtures.
    static var own: URL { ownFixtures.url }
    /// How many tiny models Tests/SPModelsTests/Fixtures/index.json declares.
    static let modelCount = 14

    /// index.json's names, throwing naming the file when it is missing or malformed.
    static func index() throws -> [String] {
        guard let list = try modelFixtures.jsonObject("index.json")["models"] as? [[String: Any]] else {
            throw FixtureError.malformed(path: "Tests/SPModelsTests/Fixtures/index.json", reason: "no \"models\" list")
        }
        return list.compactMap { $0["name"] as? String }
    }

    /// For `@Test(arguments:)` (which cannot throw); a `fixturesArePresent` test checks `index()`.
    static var modelNames: [String] { (try? index()) ?? [] }

    /// A committed JSON fixture (it must exist and be declared in Tests/fixtures.sha256).
    static func json(_ url: URL) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: FixtureRoot.declared(url)))
        guard let d = obj as? [String: Any] else { throw GenerationError.model("\(url.path): not a JSON object") }
        return d
    }

    /// golden.json of a model fixture.
    static func golden(_ name: String) throws -> [String: Any] {
        try json(models.appendingPathComponent(name).appendingPathComponent("golden.json"))
    }

    nonisolated(unsafe) static var cache: [String: DecoderModel] = [:]
    static let lock = NSLock()

    /// The tiny model `name`, loaded once per process.
    static func model(_ name: String) throws -> DecoderModel {
        lock.lock(); defer { lock.unlock() }
        if let m = cache[name] { return m }
        _ = try modelFixtures.file("\(name)/model.safetensors")
        let m = try ModelLoader.load(directory: models.appendingPathComponent(name).path).decoderModel()
        cache[name] = m
        return m
    }
}

func ints(_ any: Any?) -> [Int32] {
    if let d = any as? [String: Any] { return ints(d["data"]) }
    guard let a = any as? [NSNumber] else { return [] }
    return a.map { Int32($0.intValue) }
}

/// A byte-level tokenizer for the tiny models: ids 0–255 are bytes, ids ≥ 256 are special tokens
/// `<|sN|>` (dropped by `skipSpecialTokens`). Decoding invalid UTF-8 gives U+FFFD, like byte-level BPE.
struct ByteTokenizer: TextTokenizer {
    var eosTokenId: Int?
    var bosTokenId: Int?
    var padTokenId: Int?

    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        let body = text.utf8.map(Int.init)
        return addSpecialTokens ? (bosTokenId.map { [$0] } ?? []) + body : body
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) throws -> String {
        var bytes: [UInt8] = [], out = ""
        for id in ids {
            if id < 256 {
                bytes.append(UInt8(id))
            } else if !skipSpecialTokens {
                out += String(decoding: bytes, as: UTF8.self) + "<|s\(id)|>"
                bytes = []
            }
        }
        return out + String(decoding: bytes, as: UTF8.self)
    }
}
