import Foundation
import SPJSON
import SPTestSupport
import Testing

@testable import SPTokenizers

/// GGUF vocabularies encode exactly as llama.cpp 0.3.36 (llama-cpp-python's vendored copy) on
/// the corpus plus edge cases: scripts/reference/llama_cpp_goldens.py → Fixtures/llamacpp.zip.
/// Every line of every vocabulary must match; there is no allow-list.
@Suite struct LlamaCppParityTests {
    static let goldens = Result { try Fixtures.zip("llamacpp.zip") }

    /// The GGUF files with goldens (every cached vocabulary whose model is gpt2 or llama).
    static let files: [String] = {
        guard let z = try? goldens.get() else { return [] }
        return z.names.filter { $0.hasSuffix(".gguf.txt") }.map { String($0.dropLast(4)) }.sorted()
    }()

    static let texts: [String] = {
        guard let z = try? goldens.get(), let d = z["texts.jsonl"] else { return [] }
        return d.split(separator: 0x0A).compactMap { try? JSONValue.parse(Data($0)).stringValue }
    }()

    /// The vocabulary: a synthetic one is committed (Fixtures/gguf_synthetic), the others are cached.
    static func load(_ file: String) throws -> Tokenizer {
        if file.hasPrefix("synthetic-") { return try Tokenizer(gguf: Fixtures.own.file("gguf_synthetic/\(file)")) }
        return try Tokenizer(gguf: Fixtures.cached(file).require())
    }

    static func ids(_ s: Substring) -> [Int] { s.split(separator: " ").compactMap { Int($0) } }

    @Test func fixtureCoversTheClaimedVocabularies() {
        #expect(Self.texts.count > Fixtures.corpusLines)
        for f in ["ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-qwen2.gguf",
                  "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-gemma-4.gguf", "synthetic-afmoe.gguf", "synthetic-cohere2moe.gguf",
                  "synthetic-sarvam-moe.gguf", "synthetic-whitespace.gguf", "synthetic-specials.gguf"] {
            #expect(Self.files.contains(f), "llamacpp.zip has no goldens for \(f)")
        }
    }

    @Test("identical ids", .requires(.tokenizer("ggml-vocab-gpt-2.gguf")), arguments: files)
    func parity(_ file: String) throws {
        if !file.hasPrefix("synthetic-") { _ = try Fixtures.cached(file).require() }
        let tok = try Self.load(file)
        let rows = try Self.goldens.get().data("\(file).txt").split(separator: 0x0A, omittingEmptySubsequences: false)
        var r = ParityReport()
        for (k, text) in Self.texts.enumerated() {
            r.checked += 1
            let cols = String(decoding: rows[k], as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count == 2 else { r.fail("row \(k): malformed golden"); continue }
            if cols[0] == "ABORT" {
                // llama.cpp aborts on this text; SoftPrompt refuses it with an error instead.
                if (try? tok.encode(text, addSpecialTokens: false)) != nil { r.fail("text \(k): llama.cpp aborts, but it encoded") }
                continue
            }
            let plain = try? tok.encode(text, addSpecialTokens: false).ids
            let full = try? tok.encode(text).ids
            if plain != Self.ids(cols[0]) {
                r.fail("text \(k) \"\(ParityReport.show(String(text.prefix(60))))\": \(plain.map { "\($0.prefix(30))" } ?? "threw") != \(Self.ids(cols[0]).prefix(30))")
            } else if full != Self.ids(cols[1]) {
                r.fail("text \(k) with special tokens: \(full.map { "\($0.prefix(30))" } ?? "threw") != \(Self.ids(cols[1]).prefix(30))")
            }
        }
        #expect(r.checked == Self.texts.count)
        #expect(r.ok, "\(file): \(r.failures.joined(separator: "\n"))")
    }

    @Test("Llama-2 dummy prefix", .requires(.tokenizer("ggml-vocab-llama-spm.gguf")))
    func llama2Prefix() throws {
        let tok = try Tokenizer(gguf: Fixtures.cached("ggml-vocab-llama-spm.gguf").require())
        #expect(try tok.encode(" Hello world", addSpecialTokens: false).ids == [29871, 15043, 3186])
        #expect(try tok.encode("Hello world").ids == [1, 15043, 3186])
    }

    @Test func unknownPreIsNamed() {
        #expect(throws: TokenizerError.self) { try LlamaCppPre(name: "no-such-pre") }
        do {
            _ = try LlamaCppPre(name: "no-such-pre")
        } catch {
            #expect("\(error)".contains("no-such-pre"))
        }
        #expect(throws: Never.self) { try LlamaCppPre(name: "qwen35") }
    }
}
