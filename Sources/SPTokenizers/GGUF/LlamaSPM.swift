/// llama.cpp's SentencePiece tokenizer (`llm_tokenizer_spm_session`, llama-vocab.cpp 0.3.36):
/// start from UTF-8 characters, repeatedly merge the adjacent pair whose concatenation is a
/// vocabulary token with the highest score (ties: the leftmost), then resegment every symbol
/// that is not a token through the merge that made it, and spell what is left as `<0xAB>` bytes.
struct LlamaSPMModel: TokenizerModel {
    let vocab: ByteTable
    let reverse: [Int32: String]
    /// `tokenizer.ggml.scores`, as llama.cpp's float.
    let scores: [Float]
    let byteIds: [Int32]

    init(vocab: ByteTable, reverse: [Int32: String], scores: [Float]) {
        self.vocab = vocab
        self.reverse = reverse
        self.scores = scores
        let hex = Array("0123456789ABCDEF".utf8)
        byteIds = (0..<256).map { b in
            let id = vocab.find([0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E])
            return id >= 0 ? id : vocab.find([UInt8(b)])  // llama.cpp falls back to the byte itself
        }
    }

    var vocabSize: Int { vocab.count }
    var spanStyle: SpanStyle { SpanStyle() }
    func tokenToId(_ token: String) -> Int? { let i = vocab.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { reverse[Int32(truncatingIfNeeded: id)] }

    private struct Symbol { var start: Int; var n: Int; var prev: Int; var next: Int }
    private struct Bigram { let left: Int; let right: Int; let score: Float; let size: Int }

    /// llama.cpp's queue order: higher score first, then the smaller left index.
    private static func before(_ a: Bigram, _ b: Bigram) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        var offs = 0
        while offs < word.count {
            let n = min(UTF8Text.width(word[offs]), word.count - offs)
            symbols.append(Symbol(start: offs, n: n, prev: symbols.count - 1, next: offs + n == word.count ? -1 : symbols.count + 1))
            offs += n
        }
        var heap = Heap<Bigram>(before: Self.before)
        var revMerge: [[UInt8]: (Int, Int)] = [:]
        func tryAdd(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let text = Array(word[symbols[left].start..<(symbols[left].start + symbols[left].n + symbols[right].n)])
            let id = vocab.find(text)
            guard id >= 0, Int(id) < scores.count else { return }
            heap.push(Bigram(left: left, right: right, score: scores[Int(id)], size: text.count))
            revMerge[text] = (left, right)
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
        func resegment(_ s: Symbol, depth: Int) throws {
            let text = Array(word[s.start..<(s.start + s.n)])
            let id = vocab.find(text)
            if id >= 0 { out.append(id); return }
            if depth < word.count, let (a, b) = revMerge[text] {
                try resegment(symbols[a], depth: depth + 1)
                try resegment(symbols[b], depth: depth + 1)
                return
            }
            for byte in text {
                let bid = byteIds[Int(byte)]
                guard bid >= 0 else {
                    throw TokenizerError.encoding("byte 0x\(String(byte, radix: 16)) has no <0x..> token in the GGUF vocabulary (llama.cpp aborts here)")
                }
                out.append(bid)
            }
        }
        var i = symbols.isEmpty ? -1 : 0
        while i != -1 {
            try resegment(symbols[i], depth: 0)
            i = symbols[i].next
        }
    }
}

/// A binary heap ordered by `before` (the first element is the one `before` ranks first).
struct Heap<T> {
    private var items: [T] = []
    let before: (T, T) -> Bool

    init(before: @escaping (T, T) -> Bool) { self.before = before }

    mutating func push(_ x: T) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !before(items[i], items[p]) { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> T? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && before(items[l], items[m]) { m = l }
            if r < items.count && before(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}

/// llama.cpp's SPM text handling: each run of text (between special tokens) is one word; a run
/// at the start or right after a special token gets a leading space when `add_space_prefix` is
/// set; every space becomes "▁" (`llama_escape_whitespace`).
struct LlamaSPMPreTokenizer: PreTokenizer {
    let addSpacePrefix: Bool

    func preTokenize(_ pieces: inout [Piece]) {
        for i in pieces.indices where pieces[i].ids == nil {
            if addSpacePrefix && (i == 0 || pieces[i - 1].ids != nil) {
                pieces[i].bytes.insert(0x20, at: 0)
                if let a = pieces[i].align?.first { pieces[i].align!.insert(a, at: 0) }
            }
            guard pieces[i].bytes.contains(0x20) else { continue }
            var out: [UInt8] = []
            var al: [UInt64] = []
            for (k, b) in pieces[i].bytes.enumerated() {
                let n = b == 0x20 ? 3 : 1
                if b == 0x20 { out += [0xE2, 0x96, 0x81] } else { out.append(b) }
                if let a = pieces[i].align { al += repeatElement(a[k], count: n) }
            }
            pieces[i].bytes = out
            if pieces[i].align != nil { pieces[i].align = al }
        }
    }
}
