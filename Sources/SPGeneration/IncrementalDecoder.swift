// Incremental detokenization for streaming.

import SPTokenizers

/// Turns a growing list of ids into text pieces as soon as they are complete (the
/// text-generation-inference scheme): each step decodes a short window of recent ids twice — up to
/// the last emitted id and up to the newest — and emits the difference, unless it ends in U+FFFD
/// (an incomplete UTF-8 character, or a byte-fallback token waiting for its continuation bytes).
/// The window starts a few ids before the generated ones, so a SentencePiece word boundary at the
/// first new token keeps its space.
public struct IncrementalDecoder {
    let tokenizer: any TextTokenizer
    let skipSpecialTokens: Bool
    let cleanUp: Bool
    private(set) var ids: [Int]
    private var prefixOffset: Int
    private var readOffset: Int

    /// `context`: the ids before the first new one (the input); their text is never emitted.
    public init(tokenizer: any TextTokenizer, context: [Int], skipSpecialTokens: Bool = true,
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
