import Foundation
import SPJSON
import Testing

@testable import SPTokenizers

/// Parity on small tokenizers trained by the reference script, one per combination of pipeline
/// stages (normalizers, pre-tokenizers, models, post-processors, decoders, added-token flags,
/// truncation and padding).
@Suite struct MatrixParityTests {
    /// The variants tokenizer_goldens.py `matrix()` writes, each with 600 goldens (corpus lines),
    /// 60 random decodes, 100 pairs and 30 batches.
    static let variants = [
        "bert_cased", "bert_wordpiece", "bpe_spm_bytefallback", "bpe_spm_nofuse", "bpe_spm_unk", "bpe_suffix",
        "bytelevel_bloomsplit", "bytelevel_padmultiple", "bytelevel_roberta", "bytelevel_strip", "split_contiguous",
        "split_gpt2_pattern", "split_invert", "split_merged_next", "split_merged_prev", "split_removed",
        "unigram_bytefallback", "unigram_first", "unigram_never", "unigram_t5like", "wordlevel", "wordlevel_padded",
        "wordpiece_digits",
    ]
    static let casesPerVariant = 600 + 60 + 100 + 30
    /// Read once (a missing zip is an error naming it in every test).
    static let matrix = Result { try Fixtures.zip("matrix.zip") }

    @Test func matrixIsComplete() throws {
        let z = try Self.matrix.get()
        let found = Set(z.names.compactMap { $0.split(separator: "/").first.map(String.init) }).sorted()
        #expect(found == Self.variants, "matrix.zip variants \(found)")
        for v in Self.variants {
            for m in ["tokenizer.json", "goldens.jsonl", "random.jsonl", "pairs.jsonl", "batches.jsonl"] {
                _ = try z.data("\(v)/\(m)")
            }
        }
    }

    @Test("matrix parity", arguments: variants)
    func parity(variant: String) throws {
        let m = try Self.matrix.get()
        let tok = try Tokenizer(json: try JSONValue.parse(m.data("\(variant)/tokenizer.json")))
        var r = ParityReport()
        r.check(tok, goldens: try m.lines("\(variant)/goldens.jsonl"), corpus: Fixtures.corpus)
        r.checkRandom(tok, try m.lines("\(variant)/random.jsonl"))
        let corpus = Fixtures.corpus
        for g in try m.lines("\(variant)/pairs.jsonl") {
            guard case .int(let k)? = g["k"] else { r.fail("pair without an index: \(g)"); continue }
            let a = corpus[k], b = corpus[(k + 1) % corpus.count]
            r.checked += 1
            if g["err"] != nil {
                if (try? tok.encode(a, pair: b)) != nil { r.fail("pair \(k): reference fails, we succeed") }
                continue
            }
            guard let e = try? tok.encode(a, pair: b) else { r.fail("pair \(k): encode threw"); continue }
            if e.ids != g["i"]?.ints { r.fail("pair \(k): ids \(e.ids) != \(g["i"]?.ints ?? [])") }
            if e.typeIds != g["t"]?.ints { r.fail("pair \(k): type ids \(e.typeIds) != \(g["t"]?.ints ?? [])") }
        }
        for g in try m.lines("\(variant)/batches.jsonl") {
            guard case .int(let k)? = g["k"] else { r.fail("batch without an index: \(g)"); continue }
            let batch = (0..<4).map { corpus[(k + $0) % corpus.count] }
            r.checked += 1
            guard let encs = try? tok.encodeBatch(batch) else { r.fail("batch \(k): encode threw"); continue }
            if encs.map(\.ids) != g["i"]?.intLists { r.fail("batch \(k): ids \(encs.map(\.ids)) != \(g["i"]?.intLists ?? [])") }
            if encs.map(\.attentionMask) != g["m"]?.intLists { r.fail("batch \(k): attention masks differ") }
        }
        #expect(r.checked == Self.casesPerVariant, "matrix.zip \(variant): \(r.checked) cases, declared \(Self.casesPerVariant)")
        #expect(r.ok, "\(variant): \(r.failures.joined(separator: "\n"))")
    }
}
