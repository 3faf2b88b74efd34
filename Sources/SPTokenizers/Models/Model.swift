import Foundation
import SPJSON

/// The model turns one pre-tokenized word into ids (tokenizer.json `model`).
protocol TokenizerModel: Sendable {
    /// Appends the ids of `word` (UTF-8) to `out`.
    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws
    func tokenToId(_ token: String) -> Int?
    func idToToken(_ id: Int) -> String?
    /// The number of entries in the model's vocabulary (without added tokens).
    var vocabSize: Int { get }
    /// How token spellings map back onto the word (for offsets).
    var spanStyle: SpanStyle { get }
}

extension TokenizerModel {
    var spanStyle: SpanStyle { SpanStyle() }
}

/// Builds models from tokenizer.json, switching on `type` (inferred from the fields of files
/// that predate the tag, as the reference does).
enum ModelFactory {
    static func make(_ c: JSONConfig) throws -> any TokenizerModel {
        var type = try c.stringIfPresent("type")
        if type == nil {
            if try c.optional("merges") != nil {
                type = "BPE"
            } else if try c.optional("max_input_chars_per_word") != nil {
                type = "WordPiece"
            } else if case .array = try c.required("vocab").value {
                type = "Unigram"
            } else {
                type = "WordLevel"
            }
        }
        switch type! {
        case "BPE": return try BPEModel(c)
        case "Unigram": return try UnigramModel(c)
        case "WordPiece": return try WordPieceModel(c)
        case "WordLevel": return try WordLevelModel(c)
        case let t: throw TokenizerError.unknownType(component: "model", type: t, path: c.path)
        }
    }

    /// Reads a `{token: id}` vocabulary object.
    static func vocabulary(_ c: JSONConfig) throws -> (ByteTable, [Int32: String]) {
        let pairs = try c.pairs()
        var table = ByteTable(capacity: pairs.count)
        for (token, v) in pairs {
            // The path string is only built for an error (vocabularies have 10^5 entries).
            guard case .int(let id) = v, id >= 0, id <= Int(Int32.max) else {
                _ = try JSONConfig(v, path: "\(c.path)[\"\(token)\"]").index()
                throw TokenizerError.schema(path: "\(c.path)[\"\(token)\"]", message: "expected a non-negative id")
            }
            table.insert(Array(token.utf8), Int32(id))
        }
        // id -> token from the final map (a repeated key keeps its last id, as a Rust HashMap does).
        var reverse: [Int32: String] = [:]
        reverse.reserveCapacity(table.count)
        table.forEach { reverse[$1] = UTF8Text.string($0) }
        return (table, reverse)
    }
}

/// Greedy longest-match-first subwords with a continuation prefix (BERT's WordPiece).
struct WordPieceModel: TokenizerModel {
    let vocab: ByteTable
    let reverse: [Int32: String]
    let unkToken: String
    let prefix: [UInt8]
    let maxChars: Int

    init(_ c: JSONConfig) throws {
        (vocab, reverse) = try ModelFactory.vocabulary(try c.required("vocab"))
        unkToken = try c.stringIfPresent("unk_token") ?? "[UNK]"
        prefix = Array((try c.stringIfPresent("continuing_subword_prefix") ?? "##").utf8)
        maxChars = try c.intIfPresent("max_input_chars_per_word") ?? 100
    }

    var vocabSize: Int { vocab.count }
    var spanStyle: SpanStyle { SpanStyle(prefix: prefix) }
    func tokenToId(_ token: String) -> Int? { let i = vocab.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { reverse[Int32(truncatingIfNeeded: id)] }

    private func unk() throws -> Int32 {
        let i = vocab.find(unkToken)
        guard i >= 0 else { throw TokenizerError.encoding("WordPiece unk_token \"\(unkToken)\" is not in the vocabulary") }
        return i
    }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        var chars = 0
        for b in word where b & 0xC0 != 0x80 { chars += 1 }
        if chars > maxChars { out.append(try unk()); return }
        var subs: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32 = -1
            while start < end {
                var sub = start > 0 ? prefix : []
                sub.append(contentsOf: word[start..<end])
                let id = vocab.find(sub)
                if id >= 0 {
                    found = id
                    break
                }
                end -= 1
                while end > start && word[end] & 0xC0 == 0x80 { end -= 1 }  // back one character
            }
            if found < 0 {
                out.append(try unk())
                return
            }
            subs.append(found)
            start = end
        }
        out.append(contentsOf: subs)
    }
}

/// Whole-word lookup with an unknown token (WordLevel).
struct WordLevelModel: TokenizerModel {
    let vocab: ByteTable
    let reverse: [Int32: String]
    let unkToken: String

    init(_ c: JSONConfig) throws {
        (vocab, reverse) = try ModelFactory.vocabulary(try c.required("vocab"))
        unkToken = try c.stringIfPresent("unk_token") ?? "<unk>"
    }

    var vocabSize: Int { vocab.count }
    func tokenToId(_ token: String) -> Int? { let i = vocab.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { reverse[Int32(truncatingIfNeeded: id)] }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        let id = vocab.find(word)
        if id >= 0 { out.append(id); return }
        let u = vocab.find(unkToken)
        guard u >= 0 else { throw TokenizerError.encoding("WordLevel has no unk_token \"\(unkToken)\" for an unknown word") }
        out.append(u)
    }
}

/// A bounded, thread-safe cache from a word's bytes to its ids. The results never depend on it.
final class WordCache: @unchecked Sendable {
    // All mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var table = ByteTable(capacity: 4096)
    private var values: [[Int32]] = []
    private let capacity: Int
    /// Words at least this long are not cached (as the reference's MAX_LENGTH).
    static let maxWordBytes = 256

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    func get(_ word: [UInt8]) -> [Int32]? {
        word.withUnsafeBufferPointer { p in
            lock.lock()
            defer { lock.unlock() }
            let i = table.find(p.baseAddress ?? UnsafePointer(bitPattern: 1)!, p.count)
            return i >= 0 ? values[Int(i)] : nil
        }
    }

    func set(_ word: [UInt8], _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if values.count >= capacity {
            table = ByteTable(capacity: 4096)
            values.removeAll(keepingCapacity: true)
        }
        table.insert(word, Int32(values.count))
        values.append(ids)
    }
}
