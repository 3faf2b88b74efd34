import Foundation
import SPJSON

/// SentencePiece's unigram model (tokenizers models/unigram `encode_optimized`): the Viterbi best
/// path over every vocabulary piece that starts at each character, unknown characters scored
/// `min_score - 10`, consecutive unknowns fused, byte fallback `<0xAB>` for pieces not in the
/// vocabulary.
final class UnigramModel: TokenizerModel {
    private let tokens: [String]
    private let scores: [Double]
    private let ids: ByteTable
    /// Trie edges: (node << 8 | byte) -> child node.
    private let edges: PairTable
    /// The token id that ends at each trie node, or -1.
    private let terminal: [Int32]
    private let unkId: Int?
    private let byteFallback: Bool
    private let minScore: Double
    private let cache = WordCache()

    init(_ c: JSONConfig) throws {
        let vc = try c.required("vocab")
        guard case .array(let items) = vc.value else { throw vc.mismatch("an array") }
        var tokens: [String] = []
        var scores: [Double] = []
        tokens.reserveCapacity(items.count)
        scores.reserveCapacity(items.count)
        for (index, value) in items.enumerated() {
            if case .array(let p) = value, p.count == 2, case .string(let t) = p[0] {
                switch p[1] {
                case .double(let d): tokens.append(t); scores.append(d); continue
                case .int(let i): tokens.append(t); scores.append(Double(i)); continue
                default: break
                }
            }
            throw TokenizerError.schema(path: "\(vc.path)[\(index)]", message: "expected [piece, score]")
        }
        let unk = try c.optional("unk_id").map { try $0.index() }
        if let u = unk {
            guard !tokens.isEmpty else { throw TokenizerError.schema(path: vc.path, message: "empty vocabulary with an unk_id") }
            guard u < tokens.count else {
                throw TokenizerError.schema(path: c.path(of: "unk_id"), message: "unk_id \(u) is outside the \(tokens.count)-entry vocabulary")
            }
        }
        self.tokens = tokens
        self.scores = scores
        unkId = unk
        byteFallback = try c.bool("byte_fallback", default: false)
        minScore = scores.min() ?? .infinity
        var table = ByteTable(capacity: tokens.count)
        var edges = PairTable(capacity: tokens.count * 4)
        var terminal: [Int32] = [-1]
        for (i, t) in tokens.enumerated() {
            let b = Array(t.utf8)
            table.insert(b, Int32(i))
            var node = 0
            for byte in b {
                let k = UInt64(node) << 8 | UInt64(byte)
                if let child = edges.find(k) {
                    node = Int(child)
                } else {
                    terminal.append(-1)
                    edges.insert(k, UInt64(terminal.count - 1))
                    node = terminal.count - 1
                }
            }
            terminal[node] = Int32(i)
        }
        ids = table
        self.edges = edges
        self.terminal = terminal
    }

    var vocabSize: Int { tokens.count }
    var spanStyle: SpanStyle { SpanStyle(byteFallbackSharesRun: true) }
    func tokenToId(_ token: String) -> Int? { let i = ids.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        if word.isEmpty { return }
        if let hit = cache.get(word) {
            out.append(contentsOf: hit)
            return
        }
        var result: [Int32] = []
        for piece in try bestPath(word) {
            let id = ids.find(piece)
            if id >= 0 { result.append(id); continue }
            if byteFallback {
                let byteIds = piece.map { ids.find(Array(String(format: "<0x%02X>", $0).utf8)) }
                if byteIds.allSatisfy({ $0 >= 0 }) {
                    result.append(contentsOf: byteIds)
                    continue
                }
            }
            guard let u = unkId else { throw TokenizerError.encoding("Unigram model has no unk_id for an unknown piece") }
            result.append(Int32(u))
        }
        if word.count < WordCache.maxWordBytes { cache.set(word, result) }
        out.append(contentsOf: result)
    }

    /// The pieces (as bytes) of the best segmentation.
    private func bestPath(_ s: [UInt8]) throws -> [[UInt8]] {
        let size = s.count
        let unkScore = minScore - 10.0
        var bestScore = [Double](repeating: 0, count: size + 1)
        var startsAt = [Int](repeating: -1, count: size + 1)
        var nodeId = [Int](repeating: 0, count: size + 1)
        var pos = 0
        while pos < size {
            let here = bestScore[pos]
            var hasSingle = false
            let mblen = min(UTF8Text.width(s[pos]), size - pos)
            var node = 0
            var k = pos
            while k < size, let child = edges.find(UInt64(node) << 8 | UInt64(s[k])) {
                node = Int(child)
                k += 1
                let id = Int(terminal[node])
                if id < 0 { continue }
                let candidate = scores[id] + here
                if startsAt[k] < 0 || candidate > bestScore[k] {
                    bestScore[k] = candidate
                    startsAt[k] = pos
                    nodeId[k] = id
                }
                if !hasSingle && k - pos == mblen { hasSingle = true }
            }
            if !hasSingle {
                let t = pos + mblen
                let candidate = unkScore + here
                if startsAt[t] < 0 || candidate > bestScore[t] {
                    guard let u = unkId else { throw TokenizerError.encoding("Unigram model has no unk_id for an unknown character") }
                    bestScore[t] = candidate
                    startsAt[t] = pos
                    nodeId[t] = u
                }
            }
            pos += mblen
        }
        var results: [[UInt8]] = []
        var fused: [[UInt8]] = []
        var end = size
        while end > 0 {
            let start = startsAt[end]
            guard start >= 0 else { throw TokenizerError.encoding("Unigram lattice has no path (bad vocabulary)") }
            let piece = Array(s[start..<end])
            if let u = unkId, nodeId[end] == u {
                fused.append(piece)
            } else {
                if !fused.isEmpty {
                    results.append(Array(fused.reversed().joined()))
                    fused = []
                }
                results.append(piece)
            }
            end = start
        }
        if !fused.isEmpty { results.append(Array(fused.reversed().joined())) }
        return results.reversed()
    }
}
