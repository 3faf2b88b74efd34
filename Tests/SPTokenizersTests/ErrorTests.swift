import Foundation
import SPJSON
import Testing

@testable import SPTokenizers

/// Malformed tokenizer files give typed errors that name the problem; nothing crashes.
@Suite struct ErrorTests {
    static let small = #"""
        {"version": "1.0", "added_tokens": [{"id": 0, "content": "<s>", "special": true}],
         "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
         "post_processor": null, "decoder": {"type": "ByteLevel"},
         "model": {"type": "BPE", "vocab": {"<s>": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b"]}}
        """#

    func load(_ text: String) throws -> Tokenizer { try Tokenizer(jsonString: text) }

    func error(_ text: String) -> TokenizerError? {
        do {
            _ = try load(text)
            return nil
        } catch let e as TokenizerError {
            return e
        } catch {
            return nil
        }
    }

    @Test func smallTokenizerWorks() throws {
        let t = try load(Self.small)
        #expect(try t.encode("ab<s>a").ids == [3, 0, 1])
        #expect(try t.decode([3, 0, 1]) == "ab<s>a")
        #expect(try t.decode([3, 0, 1], skipSpecialTokens: true) == "aba")
    }

    @Test func truncatedJSONThrowsWithOffset() throws {
        let text = Array(Self.small.utf8)
        for cut in stride(from: 0, to: text.count - 1, by: 7) {
            let e = error(String(decoding: text[..<cut], as: UTF8.self))
            #expect(e != nil, "cut at \(cut)")
            if case .json(let offset, _) = e { #expect(offset <= cut) }
        }
        let real = try Fixtures.zip("families/smollm2.zip")["tokenizer.json"]!
        for cut in [1, 100, real.count / 2, real.count - 2] {
            #expect(throws: JSONError.self) { try Tokenizer(json: try JSONValue.parse(real.prefix(cut))) }
        }
    }

    @Test func unknownTypesAreNamed() {
        let cases: [(String, String, String)] = [
            (#""normalizer": null"#, #""normalizer": {"type": "Frobnicate"}"#, "normalizer"),
            (#""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}"#, #""pre_tokenizer": {"type": "Shatter"}"#, "pre_tokenizer"),
            (#""post_processor": null"#, #""post_processor": {"type": "Glue"}"#, "post_processor"),
            (#""decoder": {"type": "ByteLevel"}"#, #""decoder": {"type": "Unbake"}"#, "decoder"),
            (#""type": "BPE""#, #""type": "Quantum""#, "model"),
        ]
        for (from, to, component) in cases {
            let text = Self.small.replacingOccurrences(of: from, with: to)
            guard case .unknownType(let c, let t, _) = error(text) else {
                Issue.record("no unknownType error for \(component)")
                continue
            }
            #expect(c == component)
            #expect(text.contains("\"\(t)\""))
            #expect(error(text)!.description.contains(t))
        }
    }

    @Test func badMergesAreReported() {
        let missing = Self.small.replacingOccurrences(of: #"["a b"]"#, with: #"["a c"]"#)
        guard case .schema(let path, let message) = error(missing) else { Issue.record("no error"); return }
        #expect(path == "model.merges[0]")
        #expect(message.contains("\"c\""))
        let threeParts = Self.small.replacingOccurrences(of: #"["a b"]"#, with: #"["a b c"]"#)
        #expect(error(threeParts) != nil)
        let notMerged = Self.small.replacingOccurrences(of: #""ab": 3"#, with: #""ba": 3"#)
        guard case .schema(_, let m2) = error(notMerged) else { Issue.record("no error"); return }
        #expect(m2.contains("merged token"))
        let pairForm = Self.small.replacingOccurrences(of: #"["a b"]"#, with: #"[["a", "b"]]"#)
        #expect(error(pairForm) == nil)
        let badPair = Self.small.replacingOccurrences(of: #"["a b"]"#, with: #"[["a"]]"#)
        #expect(error(badPair) != nil)
    }

    @Test func wrongFieldTypes() {
        let cases = [
            Self.small.replacingOccurrences(of: #""vocab": {"#, with: #""vocab": [{"#).replacingOccurrences(of: #""ab": 3}"#, with: #""ab": 3}]"#),
            Self.small.replacingOccurrences(of: #""add_prefix_space": false"#, with: #""add_prefix_space": "no""#),
            Self.small.replacingOccurrences(of: #""a": 1"#, with: #""a": -1"#),
            Self.small.replacingOccurrences(of: #""version": "1.0""#, with: #""version": "2.0""#),
            Self.small.replacingOccurrences(of: #""type": "BPE", "#, with: #""type": "BPE", "dropout": 3, "#),
            #"{"model": null}"#, "[]", "42", #"{"model": {"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 5}}"#,
            #"{"model": {"type": "WordPiece", "vocab": {"a": "zero"}}}"#,
            #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}}"#,
            #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}}"#,
            #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}}"#,
            #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "post_processor": {"type": "TemplateProcessing", "single": "[X] $A", "pair": "$A $B", "special_tokens": {}}}"#,
        ]
        for text in cases {
            let e = error(text)
            #expect(e != nil, "\(text.prefix(120))")
            #expect(e.map { !$0.description.isEmpty } ?? false)
        }
    }

    @Test func encodingErrorsThrow() throws {
        let noUnk = #"{"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "<unk>"}}"#
        let t = try load(noUnk)
        #expect(try t.encode("a").ids == [0])
        #expect(throws: TokenizerError.self) { try t.encode("b") }
        let unigram = #"{"model": {"type": "Unigram", "vocab": [["a", -1.0]]}}"#
        #expect(throws: TokenizerError.self) { try load(unigram).encode("ab") }
    }

    @Test func configErrors() {
        #expect(throws: TokenizerError.self) { try TokenizerConfig(json: try JSONValue.parse(#"{"bos_token": 3}"#)) }
        #expect(throws: TokenizerError.self) { try TokenizerConfig(json: try JSONValue.parse("[1]")) }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(tokenizerJSON: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }
}
