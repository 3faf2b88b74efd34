import Foundation
import SPModels
import SPTokenizers

/// SPTokenizers' tokenizer as label construction (SPTuning) and the generator (SPGeneration) see it.
public struct TokenizerAdapter: TextTokenizer {
    /// The wrapped tokenizer.
    public let tokenizer: Tokenizer
    /// False for chat prompts: the template writes the special tokens itself, and transformers
    /// encodes its output with `add_special_tokens=False`.
    public var addsSpecialTokens = true

    /// Wraps `tokenizer`.
    public init(tokenizer: Tokenizer, addsSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.addsSpecialTokens = addsSpecialTokens
    }

    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        try tokenizer.encode(text, addSpecialTokens: addSpecialTokens && addsSpecialTokens).ids
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) throws -> String {
        try tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens, cleanUpTokenizationSpaces: cleanUpTokenizationSpaces)
    }

    public var eosTokenId: Int? { tokenizer.eosTokenId }
    public var bosTokenId: Int? { tokenizer.bosTokenId }
    public var padTokenId: Int? { tokenizer.padTokenId }
}

/// The tokenizer of a base model: `tokenizer.json` (+ `tokenizer_config.json`) of an HF directory,
/// or the `tokenizer.ggml.*` metadata of a GGUF file.
public func loadTokenizer(_ location: ModelLocation) throws -> Tokenizer {
    switch location {
    case .directory(let d): return try Tokenizer(directory: URL(fileURLWithPath: d))
    case .gguf(let p): return try Tokenizer(gguf: URL(fileURLWithPath: p))
    }
}
