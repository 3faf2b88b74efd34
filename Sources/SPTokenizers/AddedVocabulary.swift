import Foundation
import SPJSON

/// A token matched in raw (or normalized) text before the model runs (tokenizer.json
/// `added_tokens`).
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var singleWord = false
    public var lstrip = false
    public var rstrip = false
    public var normalized = true
    public var special = false
    /// `lstrip`/`rstrip` take only ASCII whitespace (C `isspace`), as llama.cpp's partition does.
    var asciiStrip = false

    public init(content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = true, special: Bool = false) {
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(_ c: JSONConfig) throws {
        content = try c.string("content")
        singleWord = try c.bool("single_word", default: false)
        lstrip = try c.bool("lstrip", default: false)
        rstrip = try c.bool("rstrip", default: false)
        normalized = try c.bool("normalized", default: true)
        special = try c.bool("special", default: false)
    }
}

/// The added tokens and their matching (tokenizers tokenizer/added_vocabulary.rs): leftmost-longest
/// matching of the non-normalized tokens in the raw text, then of the normalized ones in each
/// normalized piece, honoring `single_word`, `lstrip` and `rstrip`.
struct AddedVocabulary: Sendable {
    private(set) var tokens: [Int32: AddedToken] = [:]
    private var contentToId = ByteTable(capacity: 64)
    /// The normalized spelling of normalized tokens whose spelling changes (used by decode).
    private(set) var normalizedForm: [Int32: String] = [:]
    private(set) var specialContents = Set<[UInt8]>()
    private(set) var raw = TokenMatcher()
    private(set) var normalizedMatcher = TokenMatcher()

    var isEmpty: Bool { tokens.isEmpty }

    func id(of content: String) -> Int32? {
        let i = contentToId.find(content)
        return i < 0 ? nil : i
    }

    /// The spelling `decode` uses for an added id (its normalized form when it has one).
    func token(for id: Int32) -> String? {
        guard let t = tokens[id] else { return nil }
        return normalizedForm[id] ?? t.content
    }

    func isSpecial(_ token: String) -> Bool { specialContents.contains(Array(token.utf8)) }

    /// Adds tokens in order (tokenizers `add_tokens`): an existing vocabulary entry keeps its id,
    /// a new one gets the next free id.
    mutating func add(_ list: [AddedToken], model: any TokenizerModel, normalizer: (any Normalizer)?) {
        let vocabSize = Int32(model.vocabSize)
        var nextId: Int32
        if let maxId = tokens.keys.max() {
            nextId = (maxId >= vocabSize || vocabSize == 0) ? maxId + 1 : vocabSize
        } else {
            nextId = vocabSize
        }
        for token in list {
            if token.content.isEmpty { continue }
            if let id = id(of: token.content), tokens[id] == token { continue }
            let newId: Int32
            if let id = id(of: token.content) {
                newId = id
            } else if let m = model.tokenToId(token.content) {
                newId = Int32(m)
            } else {
                newId = nextId
                nextId += 1
            }
            if token.normalized, let n = normalizer {
                let normed = n.normalize(Array(token.content.utf8))
                if normed != Array(token.content.utf8) { normalizedForm[newId] = UTF8Text.string(normed) }
            }
            contentToId.insert(Array(token.content.utf8), newId)
            if token.special { specialContents.insert(Array(token.content.utf8)) }
            tokens[newId] = token
        }
        var rawPatterns: [([UInt8], Int32)] = []
        var normPatterns: [([UInt8], Int32)] = []
        for (id, t) in tokens.sorted(by: { $0.key < $1.key }) {
            if t.normalized {
                normPatterns.append((Array((normalizedForm[id] ?? t.content).utf8), id))
            } else {
                rawPatterns.append((Array(t.content.utf8), id))
            }
        }
        raw = TokenMatcher(rawPatterns)
        normalizedMatcher = TokenMatcher(normPatterns)
    }

    /// Splits `text` into pieces: added tokens (with ids) and normalized text pieces.
    func extractAndNormalize(_ text: [UInt8], normalizer: (any Normalizer)?) -> [Piece] {
        var pieces: [Piece] = []
        for (range, id) in findMatches(text, raw) {
            let bytes = Array(text[range])
            if let id {
                pieces.append(Piece(bytes: bytes, ids: [id], atOrigin: range.lowerBound == 0))
                continue
            }
            let normalizedBytes = normalizer?.normalize(bytes) ?? bytes
            let atOrigin = range.lowerBound == 0
            for (r2, id2) in findMatches(normalizedBytes, normalizedMatcher) {
                let sub = Array(normalizedBytes[r2])
                if sub.isEmpty { continue }
                pieces.append(Piece(bytes: sub, ids: id2.map { [$0] }, atOrigin: atOrigin && r2.lowerBound == 0))
            }
        }
        return pieces.filter { !$0.bytes.isEmpty }
    }

    /// tokenizers `find_matches`: (range, id or nil) covering `s`.
    func findMatches(_ s: [UInt8], _ matcher: TokenMatcher) -> [(Range<Int>, Int32?)] {
        if s.isEmpty { return [(0..<0, nil)] }
        if matcher.isEmpty { return [(0..<s.count, nil)] }
        var splits: [(Range<Int>, Int32?)] = []
        var startOffset = 0
        for (mStart, mEnd, id) in matcher.leftmostLongest(s) {
            var start = mStart, stop = mEnd
            guard let t = tokens[id] else { continue }
            if t.singleWord {
                let startSpace = start == 0 || !Self.endsWithWord(s, start)
                let stopSpace = stop == s.count || !Self.startsWithWord(s, stop)
                if !startSpace || !stopSpace { continue }
            }
            if t.lstrip {
                if t.asciiStrip {
                    while start > startOffset, Self.isASCIISpace(s[start - 1]) { start -= 1 }
                } else {
                    start = max(Self.leftmostSpaceAtEnd(s, start), startOffset)
                }
            }
            if t.rstrip {
                if t.asciiStrip {
                    while stop < s.count, Self.isASCIISpace(s[stop]) { stop += 1 }
                } else {
                    stop = Self.rightmostSpaceAtStart(s, stop)
                }
            }
            if startOffset < start { splits.append((startOffset..<start, nil)) }
            splits.append((start..<max(start, stop), id))
            startOffset = stop
        }
        if startOffset != s.count { splits.append((min(startOffset, s.count)..<s.count, nil)) }
        return splits
    }

    static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// The scalar that ends before byte `end`.
    private static func lastScalar(_ s: [UInt8], _ end: Int) -> (UInt32, Int)? {
        guard end > 0 else { return nil }
        var i = end - 1
        while i > 0 && s[i] & 0xC0 == 0x80 { i -= 1 }
        let u = s.withUnsafeBufferPointer { UTF8Text.decode($0, i).0 }
        return (u, i)
    }

    /// Rust regex `\w$` on s[..<end].
    static func endsWithWord(_ s: [UInt8], _ end: Int) -> Bool {
        guard let (u, _) = lastScalar(s, end) else { return false }
        return CharClass.is(u, CharClass.word)
    }

    /// Rust regex `^\w` on s[start...].
    static func startsWithWord(_ s: [UInt8], _ start: Int) -> Bool {
        guard start < s.count else { return false }
        let u = s.withUnsafeBufferPointer { UTF8Text.decode($0, start).0 }
        return CharClass.is(u, CharClass.word)
    }

    /// Start of the whitespace run (`\s*$`) that ends at `end`.
    static func leftmostSpaceAtEnd(_ s: [UInt8], _ end: Int) -> Int {
        var e = end
        while let (u, i) = lastScalar(s, e), CharClass.is(u, CharClass.space) { e = i }
        return e
    }

    /// End of the whitespace run (`^\s*`) that starts at `start`.
    static func rightmostSpaceAtStart(_ s: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < s.count {
            let (u, w) = s.withUnsafeBufferPointer { UTF8Text.decode($0, i) }
            if !CharClass.is(u, CharClass.space) { break }
            i += w
        }
        return i
    }
}

/// Leftmost-longest matching of a set of byte patterns (what daachorse's `LeftmostLongest`
/// automaton yields), by a trie walk from each candidate start.
struct TokenMatcher: Sendable {
    private var edges = PairTable(capacity: 16)
    private var terminal: [Int32] = [-1]
    private var firstBytes = [Bool](repeating: false, count: 256)
    private(set) var isEmpty = true

    init() {}

    init(_ patterns: [([UInt8], Int32)]) {
        edges = PairTable(capacity: patterns.count * 8 + 16)
        for (p, id) in patterns where !p.isEmpty {
            isEmpty = false
            firstBytes[Int(p[0])] = true
            var node = 0
            for b in p {
                let k = UInt64(node) << 8 | UInt64(b)
                if let c = edges.find(k) {
                    node = Int(c)
                } else {
                    terminal.append(-1)
                    edges.insert(k, UInt64(terminal.count - 1))
                    node = terminal.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = id }
        }
    }

    /// Non-overlapping (start, end, id) matches, leftmost first, longest at each start.
    func leftmostLongest(_ s: [UInt8]) -> [(Int, Int, Int32)] {
        var out: [(Int, Int, Int32)] = []
        var i = 0
        while i < s.count {
            if !firstBytes[Int(s[i])] { i += 1; continue }
            var node = 0, k = i
            var best: (Int, Int32)? = nil
            while k < s.count, let c = edges.find(UInt64(node) << 8 | UInt64(s[k])) {
                node = Int(c)
                k += 1
                if terminal[node] >= 0 { best = (k, terminal[node]) }
            }
            if let (end, id) = best {
                out.append((i, end, id))
                i = end
            } else {
                i += 1
            }
        }
        return out
    }
}
