import Foundation
import SPJSON

/// Byte-pair encoding (tokenizers models/bpe): merges applied lowest rank first, leftmost
/// first among equals, over a linked list of symbols with a binary heap; unknown characters go to
/// byte-fallback tokens `<0xAB>` or to `unk_token` (fused when `fuse_unk`). Dropout is not applied:
/// encoding is deterministic, as the reference is with `dropout: null`.
final class BPEModel: TokenizerModel {
    let vocab: ByteTable
    let reverse: [Int32: String]
    /// (left id << 32 | right id) -> (rank << 32 | new id)
    let merges: PairTable
    let unkToken: String?
    let prefix: [UInt8]?
    let suffix: [UInt8]?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// The id of `<0xAB>` for each byte, or -1.
    let byteIds: [Int32]
    private let cache = WordCache()

    init(vocab: ByteTable, reverse: [Int32: String], merges: [([UInt8], [UInt8])], unkToken: String?,
         prefix: [UInt8]?, suffix: [UInt8]?, fuseUnk: Bool, byteFallback: Bool, ignoreMerges: Bool,
         path: String) throws {
        self.vocab = vocab
        self.reverse = reverse
        self.unkToken = unkToken
        // An empty prefix or suffix changes nothing; nil keeps the fast path.
        self.prefix = (prefix?.isEmpty ?? true) ? nil : prefix
        self.suffix = (suffix?.isEmpty ?? true) ? nil : suffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var table = PairTable(capacity: merges.count)
        let plen = prefix?.count ?? 0
        for (rank, (a, b)) in merges.enumerated() {
            let ia = vocab.find(a), ib = vocab.find(b)
            guard ia >= 0 else { throw Self.badMerge(path, rank, "token \"\(UTF8Text.string(a))\" is not in the vocabulary") }
            guard ib >= 0 else { throw Self.badMerge(path, rank, "token \"\(UTF8Text.string(b))\" is not in the vocabulary") }
            guard b.count >= plen else { throw Self.badMerge(path, rank, "right part is shorter than continuing_subword_prefix") }
            let merged = a + b[plen...]
            let m = vocab.find(merged)
            guard m >= 0 else {
                throw Self.badMerge(path, rank, "merged token \"\(UTF8Text.string(merged))\" is not in the vocabulary")
            }
            table.insert(UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib)), UInt64(rank) << 32 | UInt64(UInt32(m)))
        }
        self.merges = table
        var bytes = [Int32](repeating: -1, count: 256)
        for b in 0..<256 { bytes[b] = vocab.find(Array(String(format: "<0x%02X>", b).utf8)) }
        byteIds = bytes
    }

    private static func badMerge(_ path: String, _ rank: Int, _ why: String) -> TokenizerError {
        .schema(path: "\(path).merges[\(rank)]", message: "bad merge: \(why)")
    }

    convenience init(_ c: JSONConfig) throws {
        let (vocab, reverse) = try ModelFactory.vocabulary(try c.required("vocab"))
        let mc = try c.required("merges")
        var merges: [([UInt8], [UInt8])] = []
        guard case .array(let items) = mc.value else { throw mc.mismatch("an array") }
        merges.reserveCapacity(items.count)
        for (index, value) in items.enumerated() {
            // Built lazily: only an error needs the path.
            var item: JSONConfig { JSONConfig(value, path: "\(mc.path)[\(index)]") }
            switch value {
            case .string(let line):
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.schema(path: item.path, message: "bad merge \"\(line)\" (HINT: a merge line is two tokens separated by one space)")
                }
                merges.append((Array(parts[0].utf8), Array(parts[1].utf8)))
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw TokenizerError.schema(path: item.path, message: "bad merge: expected [\"left\", \"right\"]")
                }
                merges.append((Array(a.utf8), Array(b.utf8)))
            default:
                throw TokenizerError.schema(path: item.path, message: "bad merge: expected a string or a pair of strings")
            }
        }
        if let d = try c.optional("dropout") {
            let p = try d.double()
            guard (0...1).contains(p) else { throw TokenizerError.schema(path: d.path, message: "dropout must be in [0, 1], found \(p)") }
        }
        try self.init(
            vocab: vocab, reverse: reverse, merges: merges, unkToken: try c.stringIfPresent("unk_token"),
            prefix: try c.stringIfPresent("continuing_subword_prefix").map { Array($0.utf8) },
            suffix: try c.stringIfPresent("end_of_word_suffix").map { Array($0.utf8) },
            fuseUnk: try c.bool("fuse_unk", default: false), byteFallback: try c.bool("byte_fallback", default: false),
            ignoreMerges: try c.bool("ignore_merges", default: false), path: c.path)
    }

    var vocabSize: Int { vocab.count }
    var spanStyle: SpanStyle { SpanStyle(prefix: prefix ?? [], suffix: suffix ?? []) }
    func tokenToId(_ token: String) -> Int? { let i = vocab.find(token); return i < 0 ? nil : Int(i) }
    func idToToken(_ id: Int) -> String? { reverse[Int32(truncatingIfNeeded: id)] }

    func tokenize(_ word: [UInt8], into out: inout [Int32]) throws {
        if word.isEmpty { return }
        if ignoreMerges {
            let id = vocab.find(word)
            if id >= 0 { out.append(id); return }
        }
        if let hit = cache.get(word) {
            out.append(contentsOf: hit)
            return
        }
        var word2 = try initialSymbols(word)
        word2.mergeAll(merges)
        let ids = word2.result
        if word.count < WordCache.maxWordBytes { cache.set(word, ids) }
        out.append(contentsOf: ids)
    }

    private func unkId() throws -> Int32 {
        let u = unkToken.map { vocab.find($0) } ?? -1
        guard u >= 0 else { throw TokenizerError.encoding("BPE unk_token \"\(unkToken ?? "")\" is not in the vocabulary") }
        return u
    }

    /// One symbol per character (tokenizers `merge_word` before `merge_all`).
    private func initialSymbols(_ w: [UInt8]) throws -> BPEWord {
        var word = BPEWord(capacity: w.count)
        var unk: (id: Int32, len: Int)? = nil
        var i = 0
        while i < w.count {
            let width = min(UTF8Text.width(w[i]), w.count - i)
            let end = i + width
            let isFirst = i == 0, isLast = end == w.count
            var id: Int32
            var s: [UInt8]? = nil
            if (prefix != nil && !isFirst) || (suffix != nil && isLast) {
                var t = (!isFirst ? prefix : nil) ?? []
                t.append(contentsOf: w[i..<end])
                if isLast, let sf = suffix { t.append(contentsOf: sf) }
                s = t
                id = vocab.find(t)
            } else {
                id = w.withUnsafeBufferPointer { vocab.find($0.baseAddress! + i, width) }
            }
            if id >= 0 {
                if let u = unk {
                    word.add(u.id, u.len)
                    unk = nil
                }
                word.add(id, width)
            } else {
                if byteFallback {
                    let bytes = s ?? Array(w[i..<end])
                    if bytes.allSatisfy({ byteIds[Int($0)] >= 0 }) {
                        for b in bytes { word.add(byteIds[Int(b)], 1) }
                        i = end
                        continue
                    }
                }
                if unkToken != nil {
                    if let u = unk {
                        if fuseUnk {
                            unk = (u.id, u.len + width)
                        } else {
                            word.add(u.id, u.len)
                            unk = (try unkId(), width)
                        }
                    } else {
                        unk = (try unkId(), width)
                    }
                }
            }
            i = end
        }
        if let u = unk { word.add(u.id, u.len) }
        return word
    }
}
