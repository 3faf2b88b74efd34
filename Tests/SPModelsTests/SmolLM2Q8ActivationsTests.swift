// SmolLM2-135M Q4_1 with llama.cpp's arithmetic (`quantization: .nativeQ8`, `--activations q8`):
// the greedy chat answer equals llama.cpp's own on the same file and prompt ids, all 32 tokens
// (Fixtures/smollm2/llamacpp_greedy.json, scripts/reference/llamacpp_greedy_goldens.py: llama.cpp's
// default context, F16 KV cache and flash attention) — "L'Étoile, la Marseillaise, …", where the
// float32 model answers "The capital of France is Paris." Its near-ties (token 8: a logit margin of
// 0.07; llama.cpp itself answers otherwise with an F32 KV cache, `new_ids_f32kv`) need every float
// step of llama.cpp's x86 build, not only its Q8 activations: see docs/GENERATION.md.

import Foundation
import SPTestSupport
import SPModels
import SPTensor
import Testing

@Suite(.requires(SmolLM2.file), .serialized)
struct SmolLM2Q8ActivationsTests {
    @Test func everyBlockWeightUsesQ8Activations() throws {
        let m = try ModelLoader.load(gguf: SmolLM2.file.require().path, quantization: .nativeQ8).decoderModel()
        #expect(m.weights.allSatisfy { $0.q8Activations }, "every 2-D weight of this file is in blocks")
        #expect(m.head.weight === m.tokenEmbedding, "the tied head keeps the Q8_0 embedding")
        let plain = try ModelLoader.load(gguf: SmolLM2.file.require().path, quantization: .native).decoderModel()
        #expect(!plain.weights.contains { $0.q8Activations }, "--activations f32 (the default) stays exact")
        #expect(throws: ModelError.self, "the packed prefill of shared decoding steps has no llama.cpp path") {
            try RowBatch(model: m)
        }
        #expect((try? RowBatch(model: plain)) != nil)
    }

    @Test func greedyChatAnswerEqualsLlamaCpp() throws {
        let m = try ModelLoader.load(gguf: SmolLM2.file.require().path, quantization: .nativeQ8).decoderModel()
        let g = try ModelFixture.fixtures.jsonObject("smollm2/llamacpp_greedy.json")
        let prompt = (g["prompt_ids"] as! [Int]).map(Int32.init), want = (g["new_ids"] as! [Int]).map(Int32.init)
        let float32Answer = ((try SmolLM2.reference()["greedy"] as! [String: Any])["chat"] as! [String: Any])["new_ids"] as! [Int]
        #expect(want.first != Int32(float32Answer[0]), "the fixture is llama.cpp's answer, not the float32 one")
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
        #expect(out == want, "q8-activation answer \(out) vs llama.cpp \(want)")
        let f32kv = (g["new_ids_f32kv"] as! [Int]).map(Int32.init)
        #expect(out != f32kv, "llama.cpp's F32-KV answer differs: the F16 cache and flash attention matter")
    }
}
