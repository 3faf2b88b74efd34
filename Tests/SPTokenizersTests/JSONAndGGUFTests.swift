import Foundation
import SPJSON
import SPTestSupport
import Testing

@testable import SPTokenizers

@Suite struct JSONParserTests {
    @Test func values() throws {
        let v = try JSONValue.parse(#"{"a": [1, -2, 3.5, 1e3, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "e": {}}"#)
        #expect(v["a"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null]))
        #expect(v["s"] == .string("x\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(v["e"] == .object([]))
        #expect(try JSONValue.parse(v.serialized()) == v)
        #expect(try JSONValue.parse("\u{FEFF}[1]") == .array([.int(1)]))
    }

    @Test func precisionOfScores() throws {
        // Unigram scores must parse to the same doubles as serde_json (correctly rounded).
        let v = try JSONValue.parse("[-10.387245178222656, -3.1462035179138184, 0.1, 5e-324]")
        #expect(v == .array([.double(-10.387245178222656), .double(-3.1462035179138184), .double(0.1), .double(Double.leastNonzeroMagnitude)]))
    }

    @Test func rejects() {
        let bad = ["", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"",
                   "\"\\udc00x\"", "\"a\nb\"", "[1] 2", "{1: 2}", "\"\u{1}\"", "nul", "[\"\\u12\"]", "1e", "+1"]
        for s in bad {
            #expect(throws: JSONError.self, "\(s.debugDescription)") { try JSONValue.parse(s) }
        }
        #expect(throws: JSONError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0x22])) }  // invalid UTF-8
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        #expect((try? JSONValue.parse(ok)) != nil)
    }
}

/// Writes small GGUF files for the reader tests.
struct GGUFWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func kvString(_ k: String, _ v: String) { str(k); u32(8); str(v) }
    mutating func kvU32(_ k: String, _ v: UInt32) { str(k); u32(4); u32(v) }
    mutating func kvStrings(_ k: String, _ v: [String]) { str(k); u32(9); u32(8); u64(UInt64(v.count)); v.forEach { str($0) } }
    mutating func kvI32s(_ k: String, _ v: [Int32]) {
        str(k); u32(9); u32(5); u64(UInt64(v.count))
        v.forEach { u32(UInt32(bitPattern: $0)) }
    }

    static func tinyGPT2() -> [UInt8] {
        var w = GGUFWriter()
        w.bytes = Array("GGUF".utf8)
        w.u32(3)
        w.u64(0)
        w.u64(7)
        w.kvString("general.architecture", "gpt2")
        w.kvString("tokenizer.ggml.model", "gpt2")
        w.kvStrings("tokenizer.ggml.tokens", ["h", "i", "Ġ", "hi", "Ġhi", "<|endoftext|>"])
        w.kvI32s("tokenizer.ggml.token_type", [1, 1, 1, 1, 1, 3])
        w.kvStrings("tokenizer.ggml.merges", ["h i", "Ġ hi"])
        w.kvU32("tokenizer.ggml.eos_token_id", 5)
        w.kvString("tokenizer.chat_template", "{{ messages }}")
        return w.bytes
    }
}

@Suite struct GGUFTests {
    @Test func tinyFileBuildsATokenizer() throws {
        let meta = try GGUFMetadata(data: Data(GGUFWriter.tinyGPT2()))
        #expect(meta.version == 3)
        #expect(meta.string("tokenizer.ggml.model") == "gpt2")
        let t = try Tokenizer(gguf: meta)
        #expect(try t.encode("hi hi<|endoftext|>").ids == [3, 4, 5])
        #expect(try t.decode([3, 4, 5], skipSpecialTokens: true) == "hi hi")
        #expect(t.eosTokenId == 5)
        #expect(t.chatTemplate == "{{ messages }}")
    }

    @Test func everyTruncationThrows() {
        let full = GGUFWriter.tinyGPT2()
        for cut in 0..<full.count {
            #expect(throws: TokenizerError.self, "cut \(cut)") { try GGUFMetadata(data: Data(full[..<cut])) }
        }
    }

    @Test func hostileLengthsThrow() {
        var w = GGUFWriter()
        w.bytes = Array("GGUF".utf8)
        w.u32(3); w.u64(0); w.u64(1)
        w.u64(UInt64.max)  // key length
        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data(w.bytes)) }

        var a = GGUFWriter()
        a.bytes = Array("GGUF".utf8)
        a.u32(3); a.u64(0); a.u64(1)
        a.str("k"); a.u32(9); a.u32(8); a.u64(1 << 60)  // array count
        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data(a.bytes)) }

        var b = GGUFWriter()
        b.bytes = Array("GGUF".utf8)
        b.u32(3); b.u64(0); b.u64(1 << 50)  // kv count
        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data(b.bytes)) }

        var c = GGUFWriter()
        c.bytes = Array("GGUF".utf8)
        c.u32(3); c.u64(0); c.u64(1)
        c.str("k"); c.u32(99)  // unknown type
        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data(c.bytes)) }

        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data("GGML".utf8) + Data(count: 40)) }
        var v = GGUFWriter()
        v.bytes = Array("GGUF".utf8)
        v.u32(1)
        #expect(throws: TokenizerError.self) { try GGUFMetadata(data: Data(v.bytes)) }
    }

    @Test func tokenizerErrorsFromMetadata() throws {
        var w = GGUFWriter()
        w.bytes = Array("GGUF".utf8)
        w.u32(3); w.u64(0); w.u64(2)
        w.kvString("tokenizer.ggml.model", "rwkv")
        w.kvStrings("tokenizer.ggml.tokens", ["a"])
        let meta = try GGUFMetadata(data: Data(w.bytes))
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: meta) }
        let none = try GGUFMetadata(data: Data(Array("GGUF".utf8) + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16)))
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: none) }
    }

    @Test("SmolLM2 GGUF metadata", .requires(.tokenizer("SmolLM2-135M-Instruct.Q4_1.gguf")))
    func smolLM2Metadata() throws {
        let meta = try GGUFMetadata(url: Fixtures.cached("SmolLM2-135M-Instruct.Q4_1.gguf").require())
        #expect(meta.string("tokenizer.ggml.pre") == "smollm")
        #expect(try meta.strings("tokenizer.ggml.tokens")?.count == 49152)
        #expect(try meta.strings("tokenizer.ggml.merges")?.count == 48900)
        #expect(meta.tensorCount == 272)
    }
}

/// Encoding from many threads at once gives the same ids as encoding on one.
@Test func concurrentEncodingIsConsistent() async throws {
    let z = try Fixtures.zip("families/smollm2.zip")
    let tok = try Tokenizer(json: try JSONValue.parse(z["tokenizer.json"]!))
    let lines = Array(Fixtures.corpus.prefix(400))
    let expected = try lines.map { try tok.encode($0).ids }
    let results = try await withThrowingTaskGroup(of: [[Int]].self) { group in
        for _ in 0..<4 {
            group.addTask { try lines.map { try tok.encode($0).ids } }
        }
        var all: [[[Int]]] = []
        for try await r in group { all.append(r) }
        return all
    }
    #expect(results.count == 4)
    for r in results { #expect(r == expected) }
}
