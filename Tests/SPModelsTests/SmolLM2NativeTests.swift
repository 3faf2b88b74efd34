// SmolLM2-135M Q4_1 with its GGUF blocks kept (`quantization: .native`): the same model as the
// float32 one dequantized at load (SmolLM2Tests), to float summation order: loss, perplexity, the
// input-embedding gradient of a training step, and the greedy answer.

import Foundation
import SPTestSupport
import SPModels
import SPTensor
import Testing

@Suite(.requires(SmolLM2.file), .serialized)
struct SmolLM2NativeTests {
    static func native() throws -> DecoderModel {
        try ModelLoader.load(gguf: SmolLM2.file.require().path, quantization: .native).decoderModel()
    }

    @Test func weightsStayInTheFileBlocks() throws {
        let m = try Self.native()
        #expect(m.tokenEmbedding.blockFormat == .q8_0, "token_embd is Q8_0 in the file")
        #expect(m.head.weight === m.tokenEmbedding, "tied embeddings")
        let f = try SmolLM2.model()
        let native = m.weights.reduce(0) { $0 + $1.storageBytes }, float = f.weights.reduce(0) { $0 + $1.storageBytes }
        // 210 Q4_1 matrices + the Q8_0 embedding: ~0.19 of float32's 4 bytes per weight.
        #expect(native < float / 5, "native \(native) bytes vs float32 \(float)")
        #expect(m.weights.allSatisfy { $0.blockFormat != nil }, "every 2-D weight of this file is a block format")
    }

    @Test func trainingStepEqualsTheFloat32Step() throws {
        let (m, f) = (try Self.native(), try SmolLM2.model())
        let ref = try SmolLM2.reference()
        let ids = (ref["input_ids"] as! [Int]).map(Int32.init)
        // batch 2: the same sentence and its second half shifted, with padding masked out
        let t = ids.count, half = t / 2
        let ids2 = Array(ids[half...]) + [Int32](repeating: 2, count: half)
        let mask = [Int32](repeating: 1, count: t) + [Int32](repeating: 1, count: t - half) + [Int32](repeating: 0, count: half)
        let labels = ids + ids2.enumerated().map { $0.offset < t - half ? $0.element : -100 }
        let x = SmolLM2.embed(f, ids + ids2)
        #expect(x == SmolLM2.embed(m, ids + ids2), "embedding rows dequantize bit-identically")
        func step(_ model: DecoderModel) throws -> (Float, [Float]) {
            var d = [Float](repeating: 0, count: x.count)
            let (loss, _) = try model.lossAndGradient(embeds: x, mask: mask, labels: labels, batch: 2, tokens: t,
                                                      dEmbeds: &d, workspace: TrainingWorkspace())
            return (loss, d)
        }
        let (ln, gn) = try step(m), (lf, gf) = try step(f)
        #expect(abs(ln - lf) <= 1e-4 * abs(lf), "loss native \(ln) vs float32 \(lf)")
        assertClose(gn, gf, .relative(1e-4), "input-embedding gradient, native vs float32")
        // perplexity on the reference sentence alone (batch 1): the float32 path's 14.31
        let (loss1, _) = try m.lossAndGradient(embeds: SmolLM2.embed(m, ids), mask: [Int32](repeating: 1, count: t),
                                               labels: ids, batch: 1, tokens: t, dEmbeds: nil, workspace: TrainingWorkspace())
        #expect(abs(exp(Double(loss1)) - 14.31) <= 0.01, "native perplexity \(exp(Double(loss1)))")
    }

    @Test func greedyChatAnswerEqualsFloat32() throws {
        let m = try Self.native()
        let g = (try SmolLM2.reference()["greedy"] as! [String: Any])["chat"] as! [String: Any]
        let prompt = (g["prompt_ids"] as! [Int]).map(Int32.init), want = (g["new_ids"] as! [Int]).map(Int32.init)
        let cache = KVCache(model: m, batch: 1, capacity: prompt.count + want.count)
        var logits = [Float](repeating: 0, count: m.head.vocab)
        var step = prompt, out: [Int32] = []
        while out.count < want.count {
            try m.decode(embeds: SmolLM2.embed(m, step), mask: [Int32](repeating: 1, count: step.count), tokens: step.count,
                         cache: cache, rule: .cumsumMask(padValue: 1), logits: &logits, workspace: InferenceWorkspace())
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            if next == 2 { break }
            step = [next]
        }
        #expect(out == want, "native chat answer \(out) vs \(want)")
    }
}
