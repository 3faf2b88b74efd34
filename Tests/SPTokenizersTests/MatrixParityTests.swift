import Foundation
import SPJSON
import Testing

@testable import SPTokenizers

/// Parity on small tokenizers trained by the reference script, one per combination of pipeline
/// stages (normalizers, pre-tokenizers, models, post-processors, decoders, added-token flags,
/// truncation and padding).
@Suite struct MatrixParityTests {
    static let members: [String: Data] = (try? Fixtures.zip("matrix.zip")) ?? [:]
    static let variants: [String] = Set(members.keys.compactMap { $0.split(separator: "/").first.map(String.init) }).sorted()

    @Test func matrixIsComplete() {
        #expect(Self.variants.count >= 20)
    }

    @Test("matrix parity", arguments: variants)
    func parity(variant: String) throws {
        let m = Self.members
        let tok = try Tokenizer(json: try JSONValue.parse(m["\(variant)/tokenizer.json"]!))
        var r = ParityReport()
        r.check(tok, goldens: try Fixtures.lines(m["\(variant)/goldens.jsonl"]), corpus: Fixtures.corpus)
        r.checkRandom(tok, try Fixtures.lines(m["\(variant)/random.jsonl"]))
        let corpus = Fixtures.corpus
        for g in try Fixtures.lines(m["\(variant)/pairs.jsonl"]) {
            guard case .int(let k) = g["k"]! else { continue }
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
        for g in try Fixtures.lines(m["\(variant)/batches.jsonl"]) {
            guard case .int(let k) = g["k"]! else { continue }
            let batch = (0..<4).map { corpus[(k + $0) % corpus.count] }
            r.checked += 1
            guard let encs = try? tok.encodeBatch(batch) else { r.fail("batch \(k): encode threw"); continue }
            if encs.map(\.ids) != g["i"]?.intLists { r.fail("batch \(k): ids \(encs.map(\.ids)) != \(g["i"]?.intLists ?? [])") }
            if encs.map(\.attentionMask) != g["m"]?.intLists { r.fail("batch \(k): attention masks differ") }
        }
        #expect(r.checked >= 600)
        #expect(r.ok, "\(variant): \(r.failures.joined(separator: "\n"))")
    }
}
