import SPGeneration
import SPModels

#if canImport(SPTokenizers)
import Foundation
import SPTokenizers

/// SPTokenizers' tokenizer as the generator sees it.
struct TokenizerAdapter: GenerationTokenizer {
    let tokenizer: Tokenizer

    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        try tokenizer.encodeIds(text, addSpecialTokens: addSpecialTokens)
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
func loadTokenizer(_ location: ModelLocation) throws -> any GenerationTokenizer {
    switch location {
    case .directory(let d): return TokenizerAdapter(tokenizer: try Tokenizer(directory: URL(fileURLWithPath: d)))
    case .gguf(let p): return TokenizerAdapter(tokenizer: try Tokenizer(gguf: URL(fileURLWithPath: p)))
    }
}
#else
/// This build has no tokenizer library: text input needs SPTokenizers linked into `softprompt`.
func loadTokenizer(_ location: ModelLocation) throws -> any GenerationTokenizer {
    throw GenerationError.tokenizer("this build of softprompt has no tokenizer library (SPTokenizers); give token ids with --ids")
}
#endif
