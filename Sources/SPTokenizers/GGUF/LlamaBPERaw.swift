import Foundation

/// llama.cpp's BPE session for the types that run on raw UTF-8 (`byte_encode = false`: gemma4,
/// sarvam-moe, whitespace; llama-vocab.cpp 0.3.36 `llm_tokenizer_bpe_session::tokenize`): a
/// word starts as its UTF-8 characters; the adjacent pair with the lowest merge rank merges
/// first (ties: the leftmost); a final symbol that is not a token is spelled as `<0xAB>` byte
/// tokens, and a byte without one is dropped, as llama.cpp drops it. A word of several
/// characters with a space in it (only the whitespace type leaves spaces unescaped) is refused:
/// llama.cpp aborts on it.
struct LlamaBPERawModel: TokenizerModel {
    let vocab: ByteTable
    let reverse: [Int32: String]
    /// (left, right) → rank; the first of duplicate merges wins (`bpe_ranks.emplace`).
    let ranks: [Pair: Int32]
    let byteIds: [Int32]
    let ignoreMerges: Bool
    /// Gemma 4: a word of newlines that is a token stays whole (llama.cpp PR 21343).
    let wholeNewlines: Bool

    struct Pair: Hashable {
        let left: [UInt8]
        let right: [UInt8]
    }

    /// `merges` as the file spells them: "left right", split at the first space after the
    /// first byte (llama.cpp's `word.find(' ', 1)`); a line with none is ignored.
    init(vocab: ByteTable, reverse: [Int32: String], merges: [String], ignoreMerges: Bool, wholeNewlines: Bool) {
        self.vocab = vocab
        self.reverse = reverse
        self.ignoreMerges = ignoreMerges
        self.wholeNewlines = wholeNewlines
        var ranks: [Pair: Int32] = [:]
        ranks.reserveCapacity(merges.count)
        for (i, line) in merges.enumerated() {
            let b = Array(line.utf8)
            guard b.count > 1, let sp = b[1...].firstIndex(of: 0x20) else { continue }
            let key = Pair(left: Array(b[..<sp]), right: Array(b[(sp + 1)...]))
            if ranks[key] == nil { ranks[key] = Int32(i) }
        }
        self.ranks = ranks
        let hex = Array("0123456789ABCDEF".utf8)
        byteIds = (0..<256).map { b in vocab.find([0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]) }
    }

    var vocabSize: Int { vocab.count }
    var spanStyle: SpanStyle { SpanStyle() }
    func tokenToId(_ token: String) -> Int? { let i = vocab.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { reverse[Int32(truncatingIfNeeded: id)] }

    private struct Symbol { var start: Int; var n: Int; var prev: Int; var next: Int }
    private struct Bigram { let left: Int; let right: Int; let rank: Int32; let size: Int }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        if word.isEmpty { return }
        var symbols: [Symbol] = []
        let whole = (ignoreMerges && vocab.find(word) >= 0)
            || (wholeNewlines && word.allSatisfy { $0 == 0x0A } && vocab.find(word) >= 0)
        if whole {
            symbols.append(Symbol(start: 0, n: word.count, prev: -1, next: -1))
        } else {
            symbols.reserveCapacity(word.count)
            var offs = 0
            while offs < word.count {
                let n = min(UTF8Text.width(word[offs]), word.count - offs)
                symbols.append(Symbol(start: offs, n: n, prev: symbols.count - 1,
                                      next: offs + n == word.count ? -1 : symbols.count + 1))
                offs += n
            }
        }
        var heap = Heap<Bigram>(before: { $0.rank < $1.rank || ($0.rank == $1.rank && $0.left < $1.left) })
        func tryAdd(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[left], r = symbols[right]
            let key = Pair(left: Array(word[l.start..<(l.start + l.n)]), right: Array(word[r.start..<(r.start + r.n)]))
            guard let rank = ranks[key] else { return }
            heap.push(Bigram(left: left, right: right, rank: rank, size: l.n + r.n))
        }
        // llama.cpp asserts that no merge candidate holds a space (find_bpe_rank) and aborts:
        // only the whitespace type leaves spaces unescaped, in its runs of whitespace.
        if symbols.count > 1 && word.contains(0x20) {
            throw TokenizerError.encoding(
                "a run of whitespace with a space in it (\(word.count) bytes) cannot be encoded by a raw-UTF-8 BPE vocabulary: "
                    + "llama.cpp aborts on it (GGML_ASSERT in find_bpe_rank); separate words by single spaces")
        }
        for i in symbols.indices.dropFirst() { tryAdd(i - 1, i) }
        while let b = heap.pop() {
            let l = symbols[b.left], r = symbols[b.right]
            if l.n == 0 || r.n == 0 || l.n + r.n != b.size { continue }
            symbols[b.left].n += r.n
            symbols[b.right].n = 0
            symbols[b.left].next = r.next
            if r.next >= 0 { symbols[r.next].prev = b.left }
            tryAdd(symbols[b.left].prev, b.left)
            tryAdd(b.left, symbols[b.left].next)
        }
        for s in symbols where s.n > 0 {
            let text = word[s.start..<(s.start + s.n)]
            let id = vocab.find(Array(text))
            if id >= 0 {
                out.append(id)
                continue
            }
            for byte in text where byteIds[Int(byte)] >= 0 { out.append(byteIds[Int(byte)]) }
        }
    }
}
