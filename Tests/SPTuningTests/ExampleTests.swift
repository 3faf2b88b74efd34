// Label construction against HF-tokenizer goldens (scripts/reference/label_goldens.py), the batcher's
// two padding modes, and the padding-side rule.

import Foundation
import Testing
@testable import SPTuning
import SPTokenizers

/// The word-level tokenizers of label_goldens.py: whitespace split, unknown words → `<unk>`, and a
/// template post-processor. Truncation comes from ``TextTokenizer``'s default implementation.
struct WordTokenizer: TextTokenizer {
    enum Template: String { case bosEos = "bos_eos", eosOnly = "eos_only", plain }
    let vocab: [String: Int]
    let template: Template
    var bosTokenId: Int? { template == .plain ? 1 : vocab["<s>"] }
    var eosTokenId: Int? { vocab["</s>"] }
    var padTokenId: Int? { template == .plain ? nil : vocab["<pad>"] }

    init(words: [String], template: Template) {
        vocab = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
        self.template = template
    }

    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        let ids = text.split(separator: " ").map { vocab[String($0)] ?? vocab["<unk>"]! }
        guard addSpecialTokens else { return ids }
        switch template {
        case .bosEos: return [vocab["<s>"]!] + ids + [vocab["</s>"]!]
        case .eosOnly: return ids + [vocab["</s>"]!]
        case .plain: return ids
        }
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) -> String {
        let words = Dictionary(uniqueKeysWithValues: vocab.map { ($1, $0) })
        let special: Set<String> = ["<s>", "</s>", "<pad>"]
        return ids.compactMap { words[$0] }.filter { !(skipSpecialTokens && special.contains($0)) }.joined(separator: " ")
    }
}

@Suite struct ExampleTests {
    @Test func causalAndSeq2seqLayoutsMatchCaikitWithHFTokenizers() throws {
        let fx = try fixtureJSON("labels.json")
        let words = fx["vocab"]!.arrayValue.compactMap(\.stringValue)
        let cases = fx["cases"]!.arrayValue
        #expect(cases.count == 72)
        for c in cases {
            let tok = WordTokenizer(words: words, template: .init(rawValue: c["tokenizer"]!.stringValue!)!)
            let source = c["source"]!.stringValue!, target = c["target"]!.stringValue!
            let ms = c["max_source_length"]!.intValue!, mt = c["max_target_length"]!.intValue!
            let side = PaddingSide.caikit(modelName: c["model"]!.stringValue!)
            #expect(side.rawValue == c["padding_side"]!.stringValue!)
            #expect(tok.effectivePadTokenId == c["pad_token_id"]!.intValue!)
            let label = "\(c["tokenizer"]!.stringValue!) \(c["model"]!.stringValue!) \(source) → \(target)"

            let ex = try ExampleBuilder.causalLM(source: source, target: target, tokenizer: tok,
                                                 maxSourceLength: ms, maxTargetLength: mt)
            let unpadded = c["causal"]!["unpadded"]!
            #expect(ex.inputIds == unpadded["input_ids"]!.ints, "\(label)")
            #expect(ex.labels == unpadded["labels"]!.ints, "\(label)")
            #expect(ex.attentionMask == Array(repeating: 1, count: ex.count))

            let L = ExampleBuilder.causalLength(maxSourceLength: ms, maxTargetLength: mt)
            let padded = ExampleBuilder.pad(ex, to: L, padId: tok.effectivePadTokenId!, side: side)
            let want = c["causal"]!["padded"]!
            #expect(padded.inputIds == want["input_ids"]!.ints, "\(label)")
            #expect(padded.attentionMask == want["attention_mask"]!.ints, "\(label)")
            #expect(padded.labels == want["labels"]!.ints, "\(label)")

            let s2s = try ExampleBuilder.seq2seq(source: source, target: target, tokenizer: tok,
                                                 maxSourceLength: ms, maxTargetLength: mt, paddingSide: side)
            let ws = c["seq2seq"]!
            #expect(s2s.inputIds == ws["input_ids"]!.ints, "\(label)")
            #expect(s2s.attentionMask == ws["attention_mask"]!.ints, "\(label)")
            #expect(s2s.labels == ws["labels"]!.ints, "\(label)")
        }
    }

    @Test func paddingSideRuleIsCaseSensitiveSubstring() {
        #expect(PaddingSide.caikit(modelName: "bigscience/bloom-560m") == .left)
        #expect(PaddingSide.caikit(modelName: "openai-community/gpt2") == .left)
        #expect(PaddingSide.caikit(modelName: "/models/optimus") == .left)   // substring "opt"
        #expect(PaddingSide.caikit(modelName: "GPT2") == .right)
        #expect(PaddingSide.caikit(modelName: "google/flan-t5-small") == .right)
    }

    @Test func missingEOSIsAnError() {
        struct NoEOS: TextTokenizer {
            var eosTokenId: Int? { nil }
            var padTokenId: Int? { nil }
            var bosTokenId: Int? { nil }
            func encode(_ text: String, addSpecialTokens: Bool) -> [Int] { [1, 2] }
            func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) -> String {
                ids.map(String.init).joined(separator: " ")
            }
        }
        expectTuningError(["eos_token_id"]) {
            _ = try ExampleBuilder.causalLM(source: "a", target: "b", tokenizer: NoEOS(), maxSourceLength: 4, maxTargetLength: 4)
        }
        expectTuningError(["pad_token_id"]) {
            _ = try ExampleBuilder.seq2seq(source: "a", target: "b", tokenizer: NoEOS(), maxSourceLength: 4,
                                           maxTargetLength: 4, paddingSide: .right)
        }
    }

    func examples(_ lengths: [Int]) -> [TokenizedExample] {
        lengths.enumerated().map { k, n in
            let ids = (0..<n).map { 10 * (k + 1) + $0 }
            return TokenizedExample(inputIds: ids, attentionMask: ids.map { _ in 1 },
                                    labels: ids.enumerated().map { $0.offset == 0 ? -100 : $0.element })
        }
    }

    @Test func dynamicPaddingRightPadsToTheLongestInTheBatch() {
        let b = Batcher(examples: examples([2, 4, 1]), batchSize: 2, padding: .dynamic, padTokenId: 0,
                        paddingSide: .left, fixedLength: 9)
        #expect(b.batchesPerEpoch == 2)
        let batches = b.batches(order: [2, 0, 1])
        #expect(batches.count == 2)
        #expect(batches[0].length == 2 && batches[0].batchSize == 2 && batches[0].exampleIndices == [2, 0])
        #expect(batches[0].inputIds == [30, 0, 10, 11])
        #expect(batches[0].attentionMask == [1, 0, 1, 1])
        #expect(batches[0].labels == [-100, -100, -100, 11])
        #expect(batches[1].batchSize == 1 && batches[1].length == 4)   // last batch is not dropped
        #expect(batches[1].inputIds == [20, 21, 22, 23])
        #expect(batches[1].targetTokenCount == 3)
    }

    @Test func maxLengthModeUsesCaikitsFixedLayoutAndSide() {
        let b = Batcher(examples: examples([2, 3]), batchSize: 2, padding: .maxLength, padTokenId: 7,
                        paddingSide: .left, fixedLength: 4)
        let x = b.batch([0, 1])
        #expect(x.length == 4)
        #expect(x.inputIds == [7, 7, 10, 11, 7, 20, 21, 22])
        #expect(x.attentionMask == [0, 0, 1, 1, 0, 1, 1, 1])
        #expect(x.labels == [-100, -100, -100, 11, -100, -100, 21, 22])
    }
}
