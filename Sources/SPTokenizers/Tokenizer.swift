import Foundation

/// A HuggingFace-compatible tokenizer: normalizer → pre-tokenizer → model → post-processor, with
/// added tokens matched first and a decoder for the way back. It gives the same ids and decoded
/// text as the Python `tokenizers` library for the same `tokenizer.json`.
///
/// Immutable and `Sendable`: encode and decode may be called from any number of threads at once
/// (the per-word cache of the models is internally locked).
///
/// ```swift
/// let tok = try Tokenizer(tokenizerJSON: dir.appending(path: "tokenizer.json"),
///                         config: dir.appending(path: "tokenizer_config.json"))
/// let ids = try tok.encode("Hello world").ids
/// let text = try tok.decode(ids, skipSpecialTokens: true)
/// ```
public final class Tokenizer: Sendable {
    let normalizer: (any Normalizer)?
    let preTokenizer: (any PreTokenizer)?
    let model: any TokenizerModel
    let postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let added: AddedVocabulary
    /// Truncation applied by `encode` (from tokenizer.json, or set with `withTruncation`).
    public let truncation: Truncation?
    /// Padding applied by `encode` (fixed length) and `encodeBatch` (from tokenizer.json, or `withPadding`).
    public let padding: Padding?
    /// Fields of `tokenizer_config.json` (empty when none was given).
    public let config: TokenizerConfig
    let isBPE: Bool

    init(normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizerModel,
         postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken],
         truncation: Truncation?, padding: Padding?, config: TokenizerConfig) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        var added = AddedVocabulary()
        added.add(addedTokens, model: model, normalizer: normalizer)
        self.added = added
        self.truncation = truncation
        self.padding = padding
        self.config = config
        isBPE = model is BPEModel || model is LlamaSPMModel  // transformers builds a BPE model from a llama GGUF
    }

    private init(copying t: Tokenizer, truncation: Truncation?, padding: Padding?) {
        normalizer = t.normalizer
        preTokenizer = t.preTokenizer
        model = t.model
        postProcessor = t.postProcessor
        decoder = t.decoder
        added = t.added
        config = t.config
        isBPE = t.isBPE
        self.truncation = truncation
        self.padding = padding
    }

    /// The same tokenizer with other truncation settings (nil turns truncation off).
    public func withTruncation(_ t: Truncation?) -> Tokenizer { Tokenizer(copying: self, truncation: t, padding: padding) }

    /// The same tokenizer with other padding settings (nil turns padding off).
    public func withPadding(_ p: Padding?) -> Tokenizer { Tokenizer(copying: self, truncation: truncation, padding: p) }

    // MARK: Vocabulary

    /// The vocabulary size including added tokens (tokenizers `get_vocab_size(with_added_tokens=True)`).
    public var vocabSize: Int {
        let maxAdded = added.tokens.keys.max().map { Int($0) + 1 } ?? 0
        let extra = added.tokens.keys.filter { model.idToToken(Int($0)) == nil }.count
        return max(model.vocabSize + extra, maxAdded)
    }

    /// The id of a token (added tokens first, then the model's vocabulary).
    public func tokenToId(_ token: String) -> Int? {
        if let id = added.id(of: token) { return Int(id) }
        return model.tokenToId(token)
    }

    /// The spelling of an id (an added token's content, else the model's vocabulary entry).
    public func idToToken(_ id: Int) -> String? {
        guard id >= 0, id <= Int(Int32.max) else { return nil }
        return added.token(for: Int32(id)) ?? model.idToToken(id)
    }

    /// Whether `token` is an added token marked special (skipped by `decode(skipSpecialTokens:)`).
    public func isSpecialToken(_ token: String) -> Bool { added.isSpecial(token) }

    public var bosToken: String? { config.bosToken }
    public var eosToken: String? { config.eosToken }
    public var unkToken: String? { config.unkToken }
    public var padToken: String? { config.padToken }
    public var bosTokenId: Int? { config.bosToken.flatMap(tokenToId) }
    public var eosTokenId: Int? { config.eosToken.flatMap(tokenToId) }
    public var unkTokenId: Int? { config.unkToken.flatMap(tokenToId) }
    public var padTokenId: Int? { config.padToken.flatMap(tokenToId) }
    /// The chat template (Jinja source) from tokenizer_config.json or GGUF metadata.
    public var chatTemplate: String? { config.chatTemplate }

    // MARK: Encoding

    /// Encodes one text. `addSpecialTokens` runs the post-processor's template (BOS/EOS, CLS/SEP).
    /// `withOffsets` also fills `Encoding.offsets` (character spans, as tokenizers computes them).
    public func encode(_ text: String, addSpecialTokens: Bool = true, withOffsets: Bool = false) throws -> Encoding {
        try encode(text, pair: nil, addSpecialTokens: addSpecialTokens, withOffsets: withOffsets)
    }

    /// Encodes a text and an optional second text of a pair (offsets of the pair's tokens are
    /// spans of the pair's text).
    public func encode(_ text: String, pair: String?, addSpecialTokens: Bool = true, withOffsets: Bool = false) throws -> Encoding {
        var a = try withOffsets ? encodeSequenceWithOffsets(text, typeId: 0) : Encoding(ids: try encodeSequence(text), typeId: 0)
        var b = try pair.map { try withOffsets ? encodeSequenceWithOffsets($0, typeId: 1) : Encoding(ids: try encodeSequence($0), typeId: 1) }
        if let t = truncation {
            let n = postProcessor?.addedTokens(isPair: b != nil) ?? 0
            // The reference subtracts with wrap-around, so a max_length below the added count disables it.
            if !(addSpecialTokens && n > 0) {
                try t.apply(&a, &b, maxLength: t.maxLength)
            } else if t.maxLength >= n {
                try t.apply(&a, &b, maxLength: t.maxLength - n)
            }
        }
        var parts = [a] + (b.map { [$0] } ?? [])
        for i in parts.indices { parts[i].setTypeIds(i) }
        if let pp = postProcessor { parts = try pp.process(parts, addSpecialTokens: addSpecialTokens) }
        var out = Encoding(ids: [], typeIds: [], attentionMask: [], specialTokensMask: [], tokens: [])
        for p in parts { out.append(p) }
        if out.tokens.count != out.ids.count { out.tokens = out.ids.map { idToToken($0) ?? "" } }
        if !withOffsets { out.offsets = [] }
        if let p = padding {  // a batch of one, as the reference's post_process does
            var batch = [out]
            p.apply(&batch)
            out = batch[0]
        }
        if withOffsets && out.offsets.count != out.ids.count {  // a text without tokens, then padding
            out.offsets = [TokenSpan](repeating: TokenSpan(start: 0, end: 0), count: out.ids.count)
        }
        return out
    }

    /// Encodes texts and pads them together when padding is set (to the longest, or a fixed length).
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true) throws -> [Encoding] {
        var out = try texts.map { try encode($0, addSpecialTokens: addSpecialTokens) }
        padding?.apply(&out)
        return out
    }

    /// Just the ids of `text`.
    public func encodeIds(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
        try encode(text, addSpecialTokens: addSpecialTokens).ids
    }

    /// Added tokens, normalizer, pre-tokenizer and model for one sequence.
    func encodeSequence(_ text: String) throws -> [Int32] {
        var pieces = added.extractAndNormalize(Array(text.utf8), normalizer: normalizer)
        try preTokenizer?.preTokenize(&pieces)
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        for p in pieces {
            if let pid = p.ids { ids.append(contentsOf: pid) } else { try model.tokenize(p.bytes, into: &ids) }
        }
        return ids
    }

    // MARK: Decoding

    /// Decodes ids to text. Unknown ids are skipped. `skipSpecialTokens` drops added tokens marked
    /// special. `cleanUpTokenizationSpaces` (default: tokenizer_config.json's value, else false)
    /// applies transformers' clean-up, which transformers 5 skips for BPE models unless
    /// `clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output` is set.
    /// Throws only where the reference library fails too (`Strip` on a token that is too short).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false, cleanUpTokenizationSpaces: Bool? = nil) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let t = idToToken(id) else { continue }
            if skipSpecialTokens && added.isSpecial(t) { continue }
            tokens.append(t)
        }
        var text = try decoder.map { try $0.decodeChain(tokens).joined() } ?? tokens.joined(separator: " ")
        if cleanUpTokenizationSpaces ?? config.cleanUpTokenizationSpaces ?? false, !isBPE || config.cleanUpForBPE {
            text = TokenizerConfig.cleanUp(text)
        }
        return text
    }
}
