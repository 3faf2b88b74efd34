import Foundation
import SPJSON
import SPTestSupport
import Testing

@testable import SPTokenizers

/// Token offsets identical to the Python `tokenizers` library (`Encoding.offsets`, characters)
/// on the corpus for every tokenizer.json family and every matrix variant
/// (scripts/reference/offset_goldens.py → Fixtures/offsets.zip).
@Suite struct OffsetParityTests {
    static let offsets = Result { try Fixtures.zip("offsets.zip") }

    /// Compares `withOffsets` encodings with golden rows ({"o": flat offsets} or {"err": …}).
    static func check(_ tok: Tokenizer, rows: [JSONValue], texts: (Int) -> (String, String?)) -> ParityReport {
        var r = ParityReport()
        for (row, g) in rows.enumerated() {
            let k = g["k"].flatMap { if case .int(let i) = $0 { return i } else { return nil } } ?? row
            let (a, b) = texts(k)
            r.checked += 1
            // Every line, the ones where Unicode normalization reorders combining marks across
            // characters (matrix lines 375, 1115, 1625) included: nothing is refused.
            let enc = try? tok.encode(a, pair: b, withOffsets: true)
            if g["err"] != nil {
                if enc != nil { r.fail("line \(k): reference fails but we encode") }
                continue
            }
            guard let enc else { r.fail("line \(k): encode threw for \"\(ParityReport.show(a))\""); continue }
            let got = enc.offsets.flatMap { [$0.start, $0.end] }
            let want = g["o"]?.ints ?? []
            if got != want {
                let i = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                r.fail("line \(k) \"\(ParityReport.show(String(a.prefix(60))))\": offsets differ at token \(i / 2) "
                    + "(\(enc.tokens.dropFirst(i / 2).prefix(3))): \(got.dropFirst(i).prefix(8)) != \(want.dropFirst(i).prefix(8))")
            }
            if let plain = try? tok.encode(a, pair: b), plain.ids != enc.ids { r.fail("line \(k): ids change with offsets on") }
        }
        return r
    }

    @Test("tokenizer.json families", arguments: FamilyParityTests.committed)
    func family(_ name: String) throws {
        let z = try Fixtures.zip("families/\(name).zip")
        let tok = try Tokenizer(json: try JSONValue.parse(z.data("tokenizer.json")),
                                config: try TokenizerConfig(json: try JSONValue.parse(z.data("tokenizer_config.json"))))
        let rows = try Self.offsets.get().lines("\(name).jsonl")
        let r = Self.check(tok, rows: rows) { (Fixtures.corpus[$0], nil) }
        #expect(r.checked == Fixtures.corpusLines)
        #expect(r.ok, "\(name): \(r.failures.joined(separator: "\n"))")
    }

    @Test("T5 (Precompiled + Metaspace + Unigram)", .requires(.tokenizer("t5/tokenizer.json")))
    func t5() throws {
        let dir = try Fixtures.cached("t5/tokenizer.json").require().deletingLastPathComponent()
        let tok = try Tokenizer(directory: dir)
        let r = Self.check(tok, rows: try Self.offsets.get().lines("t5.jsonl")) { (Fixtures.corpus[$0], nil) }
        #expect(r.checked == Fixtures.corpusLines)
        #expect(r.ok, "t5: \(r.failures.joined(separator: "\n"))")
    }

    static let variants: [String] = {
        guard let z = try? Fixtures.zip("matrix.zip") else { return [] }
        return z.names.filter { $0.hasSuffix("/tokenizer.json") }.map { String($0.dropLast("/tokenizer.json".count)) }.sorted()
    }()

    @Test("matrix variants: singles and pairs", arguments: variants)
    func matrix(_ name: String) throws {
        let m = try Fixtures.zip("matrix.zip")
        let tok = try Tokenizer(json: try JSONValue.parse(m.data("\(name)/tokenizer.json")))
        let c = Fixtures.corpus
        let single = Self.check(tok, rows: try Self.offsets.get().lines("matrix/\(name).jsonl")) { (c[$0], nil) }
        #expect(single.checked == 600)
        #expect(single.ok, "\(name): \(single.failures.joined(separator: "\n"))")
        let pairs = Self.check(tok, rows: try Self.offsets.get().lines("matrix/\(name).pairs.jsonl")) { (c[$0], c[($0 + 1) % c.count]) }
        #expect(pairs.checked == 100)
        #expect(pairs.ok, "\(name) pairs: \(pairs.failures.joined(separator: "\n"))")
    }

    @Test func offsetsAreOptIn() throws {
        let z = try Fixtures.zip("families/gpt2.zip")
        let tok = try Tokenizer(json: try JSONValue.parse(z.data("tokenizer.json")))
        #expect(try tok.encode("Hello world").offsets.isEmpty)
        let e = try tok.encode("Hello wörld", withOffsets: true)
        // "Hello", "Ġw", "Ã¶r", "ld": the token holding half of "ö" spans the whole character.
        #expect(e.offsets.map { [$0.start, $0.end] } == [[0, 5], [5, 7], [7, 9], [9, 11]])
    }
}
