import Foundation
import SPJSON

/// What `tokenizer_config.json` adds to a tokenizer: the named special tokens, the chat template
/// and decoding defaults. Only these fields are read; the rest of the file is ignored.
public struct TokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var unkToken: String?
    public var padToken: String?
    /// `sep_token`, `cls_token`, `mask_token`: passed to chat templates like the others.
    public var sepToken: String?
    public var clsToken: String?
    public var maskToken: String?
    /// The Jinja chat template, kept as text (a named list keeps its `default` entry).
    public var chatTemplate: String?
    /// transformers' default for `clean_up_tokenization_spaces` in decode.
    public var cleanUpTokenizationSpaces: Bool?
    /// transformers 5 skips the clean-up for BPE models unless this is set.
    public var cleanUpForBPE = false
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    public var modelMaxLength: Int?
    public var paddingSide: String?
    public var truncationSide: String?

    public init() {}

    /// Reads the fields from a parsed `tokenizer_config.json`.
    public init(json: JSONValue) throws {
        try TokenizerError.reading { try self.read(JSONConfig(json, file: "tokenizer_config.json")) }
    }

    private mutating func read(_ c: JSONConfig) throws {
        _ = try c.pairs()
        func token(_ key: String) throws -> String? {
            guard let v = try c.optional(key) else { return nil }
            if case .string(let s) = v.value { return s }
            return try v.string("content")  // {"content": …, "__type": "AddedToken"}
        }
        bosToken = try token("bos_token")
        eosToken = try token("eos_token")
        unkToken = try token("unk_token")
        padToken = try token("pad_token")
        sepToken = try token("sep_token")
        clsToken = try token("cls_token")
        maskToken = try token("mask_token")
        if let t = try c.optional("chat_template") {
            if case .string(let s) = t.value {
                chatTemplate = s
            } else {
                let named = try t.array()
                let pick = try named.first { try $0.string("name") == "default" } ?? named.first
                chatTemplate = try pick?.string("template")
            }
        }
        cleanUpTokenizationSpaces = try c.boolIfPresent("clean_up_tokenization_spaces")
        cleanUpForBPE = try c.bool("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", default: false)
        addBosToken = try c.boolIfPresent("add_bos_token")
        addEosToken = try c.boolIfPresent("add_eos_token")
        if let m = try c.optional("model_max_length") {
            if case .int(let i) = m.value { modelMaxLength = i }  // huge sentinels are written as floats
        }
        paddingSide = try c.stringIfPresent("padding_side")
        truncationSide = try c.stringIfPresent("truncation_side")
    }

    /// transformers' `clean_up_tokenization` (tokenization_utils_base.py, 5.23).
    static func cleanUp(_ s: String) -> String {
        var b = Array(s.utf8)
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            b = ReplaceNormalizer.replace(b, LiteralPattern(needle: Array(from.utf8)), Array(to.utf8))
        }
        return UTF8Text.string(b)
    }
}
