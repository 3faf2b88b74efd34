// Shared helpers for SPGeneration tests: the SPModels model fixtures (read in place from
// Tests/SPModelsTests/Fixtures), this target's fixtures, and a byte-level test tokenizer.

import Foundation
import SPGeneration
import SPModels
import SPTokenizers
import Testing

enum Fixtures {
    /// Tests/ in the source tree.
    static var tests: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent() }
    /// The 14 tiny causal-LM fixtures written by scripts/reference/model_goldens.py.
    static var models: URL { tests.appendingPathComponent("SPModelsTests/Fixtures") }
    /// This target's fixtures.
    static var own: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static var modelNames: [String] {
        guard let data = try? Data(contentsOf: models.appendingPathComponent("index.json")),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = obj["models"] as? [[String: Any]] else { return [] }
        return list.compactMap { $0["name"] as? String }
    }

    static func json(_ url: URL) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
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
