import Foundation
import Testing

@testable import SPTokenizers

/// llama.cpp's adjustments of token types (LlamaCppSpecials), on tiny in-memory vocabularies;
/// the same rules are checked against llama.cpp's own ids by LlamaCppParityTests on
/// Fixtures/gguf_synthetic/synthetic-specials.gguf.
@Suite struct LlamaCppSpecialsTests {
    /// The byte-level characters every test text is made of (ids 0…11).
    static let base = ["a", "b", "c", "<", "P", "R", "E", ">", "Ġ", "ĉ", "/", "s"]

    /// A byte-level vocabulary: `base`, then `extra` (text, type) from id 12, plus `ids`.
    static func vocab(_ extra: [(String, Int32)], ids: [(String, UInt32)] = [], pre: String = "gpt-2") throws -> Tokenizer {
        let tokens = base + extra.map(\.0)
        var w = GGUFWriter()
        w.bytes = Array("GGUF".utf8)
        w.u32(3)
        w.u64(0)
        w.u64(UInt64(6 + ids.count))
        w.kvString("general.architecture", "gpt2")
        w.kvString("tokenizer.ggml.model", "gpt2")
        w.kvString("tokenizer.ggml.pre", pre)
        w.kvStrings("tokenizer.ggml.tokens", tokens)
        w.kvI32s("tokenizer.ggml.token_type", base.map { _ in Int32(1) } + extra.map(\.1))
        w.kvStrings("tokenizer.ggml.merges", [])
        for (k, v) in ids { w.kvU32("tokenizer.ggml.\(k)", v) }
        return try Tokenizer(gguf: try GGUFMetadata(data: Data(w.bytes)))
    }

    static func ids(_ tok: Tokenizer, _ text: String) throws -> [Int] { try tok.encode(text, addSpecialTokens: false).ids }

    @Test func fimMarkerIsControlUnlessTheFileGivesItsId() throws {
        let forced = try Self.vocab([("<PRE>", 1)])
        #expect(try Self.ids(forced, "a<PRE>b") == [0, 12, 1])
        // The file names another token as the prefix marker: "<PRE>" stays a normal token, spelled out.
        let given = try Self.vocab([("<PRE>", 1), ("c<", 1)], ids: [("fim_pre_token_id", 13)])
        #expect(try Self.ids(given, "a<PRE>b") == [0, 3, 4, 5, 6, 7, 1])
    }

    @Test func severalNonControlMarkersOfOneKindAreRefused() throws {
        do {
            _ = try Self.vocab([("<PRE>", 1), ("<|fim_prefix|>", 1)])
            Issue.record("two fill-in-the-middle prefixes without an id loaded")
        } catch TokenizerError.unsupported(let m) {
            #expect(m.contains("<|fim_prefix|>") && m.contains("<PRE>") && m.contains("tokenizer.ggml.fim_pre_token_id"), "\(m)")
        }
        // Both already control, or the id given: llama.cpp's choice changes nothing.
        #expect(throws: Never.self) { try Self.vocab([("<PRE>", 3), ("<|fim_prefix|>", 3)]) }
        #expect(throws: Never.self) { try Self.vocab([("<PRE>", 1), ("<|fim_prefix|>", 1)], ids: [("fim_pre_token_id", 12)]) }
        // End-of-turn texts are end-of-generation texts too: all become control, nothing is refused.
        let eot = try Self.vocab([("<|im_end|>", 1), ("<|endoftext|>", 1)])
        #expect(try Self.ids(eot, "a<|im_end|>b<|endoftext|>") == [0, 12, 1, 13])
    }

    @Test func closingTagIsNormalNextToGemma4ToolResponse() throws {
        let tok = try Self.vocab([("</s>", 3), ("<|tool_response>", 1)])
        #expect(try Self.ids(tok, "a<|tool_response>b") == [0, 13, 1])
        #expect(try Self.ids(tok, "a</s>") == [0, 3, 10, 11, 7])
        let plain = try Self.vocab([("</s>", 1)])
        #expect(try Self.ids(plain, "a</s>") == [0, 12])
    }

    @Test func maskStripsTheSpacesBeforeItForJinaV2() throws {
        let jina = try Self.vocab([("<mask>", 3)], pre: "jina-v2-de")
        #expect(try Self.ids(jina, "a \t<mask>") == [0, 12])
        let other = try Self.vocab([("<mask>", 3)], pre: "gpt-2")
        #expect(try Self.ids(other, "a \t<mask>") == [0, 8, 9, 12])
    }
}
