import Foundation
import SPGeneration
import SPModels
import SPTokenizers
import SPTuning

/// SPTokenizers' tokenizer as label construction (SPTuning) and the generator (SPGeneration) see it.
struct TokenizerAdapter: GenerationTokenizer, TextTokenizer {
    let tokenizer: Tokenizer
    /// False for chat prompts: the template writes the special tokens itself, and transformers
    /// encodes its output with `add_special_tokens=False`.
    var addsSpecialTokens = true

    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        try tokenizer.encode(text, addSpecialTokens: addSpecialTokens && addsSpecialTokens).ids
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) throws -> String {
        try tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens, cleanUpTokenizationSpaces: cleanUpTokenizationSpaces)
    }

    var eosTokenId: Int? { tokenizer.eosTokenId }
    var bosTokenId: Int? { tokenizer.bosTokenId }
    var padTokenId: Int? { tokenizer.padTokenId }
}

/// The tokenizer of a base model: `tokenizer.json` (+ `tokenizer_config.json`) of an HF directory,
/// or the `tokenizer.ggml.*` metadata of a GGUF file.
func loadTokenizer(_ location: ModelLocation) throws -> Tokenizer {
    switch location {
    case .directory(let d): return try Tokenizer(directory: URL(fileURLWithPath: d))
    case .gguf(let p): return try Tokenizer(gguf: URL(fileURLWithPath: p))
    }
}
