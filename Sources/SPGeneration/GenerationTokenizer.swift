// What generation needs from a tokenizer, and incremental detokenization for streaming.

/// A tokenizer as seen by text generation (SPTokenizers' `Tokenizer` conforms through a small
/// adapter; tests use a byte-level one).
public protocol GenerationTokenizer: Sendable {
    /// Ids of `text`, like transformers `tokenizer(text, add_special_tokens=…)["input_ids"]`.
    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int]
    /// Text of `ids`, like transformers `tokenizer.decode(ids, skip_special_tokens=…,
    /// clean_up_tokenization_spaces=…)`. Bytes of an incomplete UTF-8 character decode to U+FFFD.
    func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) throws -> String
    /// `tokenizer.eos_token_id`.
    var eosTokenId: Int? { get }
    /// `tokenizer.bos_token_id`.
    var bosTokenId: Int? { get }
    /// `tokenizer.pad_token_id`.
    var padTokenId: Int? { get }
}

extension GenerationTokenizer {
    /// transformers `tokenizer(text, truncation=True, max_length=maxLength)["input_ids"]` with
    /// special tokens: the content is cut on the right so that content plus the template's special
    /// tokens fits (a trailing EOS survives). The special-token frame is found by comparing the
    /// encodings with and without special tokens, which is exact for template post-processors.
    public func encode(_ text: String, truncatingTo maxLength: Int) throws -> [Int] {
        let full = try encode(text, addSpecialTokens: true)
        guard full.count > maxLength else { return full }
        let plain = try encode(text, addSpecialTokens: false)
        guard full.count >= plain.count else { return Array(full.prefix(maxLength)) }
        for k in 0...(full.count - plain.count) where Array(full[k..<(k + plain.count)]) == plain {
            let prefix = full[..<k], suffix = full[(k + plain.count)...]
            let keep = max(0, maxLength - prefix.count - suffix.count)
            return Array((Array(prefix) + plain.prefix(keep) + Array(suffix)).prefix(maxLength))
        }
        return Array(full.prefix(maxLength))
    }
}

/// Turns a growing list of ids into text pieces as soon as they are complete (the
/// text-generation-inference scheme): each step decodes a short window of recent ids twice — up to
/// the last emitted id and up to the newest — and emits the difference, unless it ends in U+FFFD
/// (an incomplete UTF-8 character, or a byte-fallback token waiting for its continuation bytes).
/// The window starts a few ids before the generated ones, so a SentencePiece word boundary at the
/// first new token keeps its space.
public struct IncrementalDecoder {
    let tokenizer: any GenerationTokenizer
    let skipSpecialTokens: Bool
    let cleanUp: Bool
    private(set) var ids: [Int]
    private var prefixOffset: Int
    private var readOffset: Int

    /// `context`: the ids before the first new one (the input); their text is never emitted.
    public init(tokenizer: any GenerationTokenizer, context: [Int], skipSpecialTokens: Bool = true,
                cleanUpTokenizationSpaces: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
        cleanUp = cleanUpTokenizationSpaces
        ids = context
        prefixOffset = max(0, context.count - 5)
        readOffset = context.count
    }

    /// Adds one id and returns the text it completes ("" while a character is incomplete).
    public mutating func push(_ id: Int) throws -> String {
        ids.append(id)
        let prefix = try decode(prefixOffset, readOffset)
        let text = try decode(prefixOffset, ids.count)
        let p = prefix.unicodeScalars.count, n = text.unicodeScalars.count
        guard n > p, text.unicodeScalars.last != "\u{FFFD}" else { return "" }
        prefixOffset = readOffset
        readOffset = ids.count
        return String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(p)))
    }

    /// The text still held back (an incomplete character at the end), emitted as is.
    public mutating func flush() throws -> String {
        guard readOffset < ids.count else { return "" }
        let prefix = try decode(prefixOffset, readOffset)
        let text = try decode(prefixOffset, ids.count)
        prefixOffset = readOffset
        readOffset = ids.count
        let p = prefix.unicodeScalars.count
        guard text.unicodeScalars.count > p else { return "" }
        return String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(p)))
    }

    private func decode(_ a: Int, _ b: Int) throws -> String {
        guard a < b else { return "" }
        return try tokenizer.decode(Array(ids[a..<b]), skipSpecialTokens: skipSpecialTokens, cleanUpTokenizationSpaces: cleanUp)
    }
}
