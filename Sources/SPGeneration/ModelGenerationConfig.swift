// The ids transformers' `generate` takes from a model directory: `eos_token_id` (an int or a list)
// and `pad_token_id` from generation_config.json, falling back to config.json.

import Foundation
import SPFormats
import SPJSON

/// EOS and pad ids of a model directory, as `model.generation_config` holds them.
public struct ModelGenerationConfig: Sendable, Equatable {
    public var eosTokenIds: [Int]
    public var padTokenId: Int?

    public init(eosTokenIds: [Int] = [], padTokenId: Int? = nil) {
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
    }

    /// Reads `generation_config.json`, then `config.json` for what it lacks; empty when neither
    /// file has the keys (a GGUF model: use the tokenizer's ids).
    /// - Throws: ``GenerationError/badPromptDirectory(path:reason:hint:)`` for a malformed file.
    public static func load(directory: String) throws -> ModelGenerationConfig {
        var out = ModelGenerationConfig()
        for name in ["generation_config.json", "config.json"] {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                let c = try JSONConfig(contentsOf: path)
                if out.eosTokenIds.isEmpty {
                    if let list = try? c.intsIfPresent("eos_token_id") {
                        out.eosTokenIds = list
                    } else if let one = try c.intIfPresent("eos_token_id") {
                        out.eosTokenIds = [one]
                    }
                }
                if out.padTokenId == nil { out.padTokenId = try c.intIfPresent("pad_token_id") }
            } catch {
                throw GenerationError.badPromptDirectory(path: path, reason: "\(error)",
                                                         hint: "eos_token_id must be an integer or a list of integers")
            }
        }
        return out
    }
}
