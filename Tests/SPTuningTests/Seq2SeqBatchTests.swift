// The seq2seq training batches: `ExampleBuilder.seq2seqUnpadded` + `Batcher` in `max_length` mode
// give caikit's `HFAutoSeq2SeqLM.tokenize_function` arrays (label_goldens.py, HF tokenizers); in
// dynamic mode sources and targets are right-padded apart, targets with -100.

import SPTuning
import Testing

@Suite struct Seq2SeqBatchTests {
    @Test func maxLengthBatchesAreCaikitsSeq2seqLayout() throws {
        let fx = try fixtureJSON("labels.json")
        let words = fx["vocab"]!.arrayValue.compactMap(\.stringValue)
        for c in fx["cases"]!.arrayValue {
            let tok = WordTokenizer(words: words, template: .init(rawValue: c["tokenizer"]!.stringValue!)!)
            let source = c["source"]!.stringValue!, target = c["target"]!.stringValue!
            let ms = c["max_source_length"]!.intValue!, mt = c["max_target_length"]!.intValue!
            let side = PaddingSide.caikit(modelName: c["model"]!.stringValue!)
            let ex = try ExampleBuilder.seq2seqUnpadded(source: source, target: target, tokenizer: tok,
                                                        maxSourceLength: ms, maxTargetLength: mt)
            let b = Batcher(examples: [ex], batchSize: 1, padding: .maxLength, padTokenId: tok.effectivePadTokenId!,
                            paddingSide: side, fixedLength: ms, targetFixedLength: mt).batch([0])
            let want = c["seq2seq"]!
            let label = "\(c["tokenizer"]!.stringValue!) \(c["model"]!.stringValue!) \(source) → \(target)"
            #expect(b.length == ms && b.targetLength == mt)
            #expect(b.inputIds == want["input_ids"]!.ints, "\(label)")
            #expect(b.attentionMask == want["attention_mask"]!.ints, "\(label)")
            #expect(b.labels == want["labels"]!.ints, "\(label)")
        }
    }

    @Test func dynamicBatchesPadSourcesAndTargetsApart() {
        let a = TokenizedExample(inputIds: [5, 6, 7], attentionMask: [1, 1, 1], labels: [9])
        let b = TokenizedExample(inputIds: [8], attentionMask: [1], labels: [10, 11, 1])
        let batch = Batcher(examples: [a, b], batchSize: 2, padding: .dynamic, padTokenId: 0, paddingSide: .left,
                            fixedLength: 99, targetFixedLength: 99).batch([0, 1])
        #expect(batch.length == 3 && batch.targetLength == 3)
        #expect(batch.inputIds == [5, 6, 7, 8, 0, 0])
        #expect(batch.attentionMask == [1, 1, 1, 1, 0, 0])
        #expect(batch.labels == [9, -100, -100, 10, 11, 1])
        #expect(batch.targetTokenCount == 4)
    }
}
