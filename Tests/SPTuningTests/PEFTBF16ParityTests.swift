// bf16 trainer parity with PEFT: the 10-step PEFT golden repeated with the base model cast to
// torch.bfloat16 (Fixtures/peft_training_bf16_*.json, scripts/reference/peft_training_bf16_goldens.py).
// SoftPrompt loads the weights as bf16 and trains inside `BF16Compute.with`, so every Linear runs on
// the AVX512-BF16 kernel; the prompt and AdamW state stay float32. Checks: the losses before the
// first update and the loss on PEFT's prompt at every one of the 20 micro-batches within 2e-2
// relative (and, as measured, 5e-3 each and 0.15 summed over the 20), and greedy continuations
// behind PEFT's final prompt whose first 3 tokens are the bf16 model's on every row.
// Disabled on CPUs without AVX512-BF16 (there the request computes in float32).

import Foundation
import SPModels
import SPTensor
import SPTestSupport
import SPTuning
import Testing

@Suite(.enabled(if: LinearBF16.isAvailable, "needs AVX512-BF16"))
struct PEFTBF16ParityTests {
    @Test(arguments: ["gpt2", "llama"])
    func tenStepsMatchPEFTInBF16(_ name: String) throws {
        let g = try Fixtures.own.jsonObject("peft_training_bf16_\(name).json")
        _ = try Fixtures.models.file("\(name)/model.safetensors")
        let loaded = try ModelLoader.load(directory: Fixtures.models.directory(name).path, dtype: .bfloat16)
        let model = try #require(loaded as? DecoderModel, "\(name) is a causal decoder")
        let initIds = g["init_ids"] as! [Int]
        let e = model.inputWidth
        let initPrompt = Tensor(shape: [initIds.count, e], values: initIds.flatMap { model.tokenEmbedding.row($0) })
        let want0 = ((g["init_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        #expect(initPrompt.array == want0, "TEXT init = the bf16 embedding rows of the init ids")
        let examples = (g["examples"] as! [[String: Any]]).map { ex -> TokenizedExample in
            let ids = ex["input_ids"] as! [Int]
            return TokenizedExample(inputIds: ids, attentionMask: [Int](repeating: 1, count: ids.count),
                                    labels: ex["labels"] as! [Int])
        }
        let steps = g["steps"] as! Int, accum = g["accumulate_steps"] as! Int, bs = g["batch_size"] as! Int
        let batcher = Batcher(examples: examples, batchSize: bs, padding: .dynamic, padTokenId: g["pad_token_id"] as! Int,
                              paddingSide: .right, fixedLength: 0)
        let trainer = PromptTrainer(model: model, initialPrompt: initPrompt)
        let schedule = LinearSchedule(baseLearningRate: g["learning_rate"] as! Double, totalSteps: steps)
        let wantLosses = (g["micro_losses"] as! [NSNumber]).map { $0.floatValue }
        #expect(wantLosses.count == steps * accum, "\(wantLosses.count) micro losses, \(steps * accum) declared")
        var losses: [Float] = []
        try BF16Compute.with {
            #expect(BF16Compute.isOn)
            var step = 0
            for micro in 0..<(steps * accum) {
                let batch = try batcher.batch(Array((micro * bs)..<((micro + 1) * bs)))
                losses.append(try trainer.microStep(batch, lossScale: 1 / Float(accum)).loss)
                if (micro + 1) % accum == 0 {
                    trainer.optimizerStep(learningRate: schedule.learningRate(atStep: step))
                    step += 1
                }
            }
        }
        // Before the first optimizer step both sides hold the same prompt.
        for i in 0..<min(accum, losses.count) {
            assertClose(losses[i], wantLosses[i], .relative(2e-2), "\(name) bf16 micro-step \(i) loss vs PEFT in bf16")
        }
        #expect(losses.allSatisfy(\.isFinite) && trainer.prompt.array != want0, "\(name): the prompt trained")
        // Every later step on PEFT's own prompt: two bf16 trajectories at lr 0.3 drift apart (see the
        // fixture script), so each step's loss is compared from the same starting prompt.
        let before = (g["prompts_before_micro"] as! [[String: Any]]).map {
            ($0["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        }
        #expect(before.count == steps * accum, "one recorded prompt per micro-batch")
        var bf16Losses: [Float] = [], f32Losses: [Float] = []
        for (i, p) in before.enumerated() {
            let batch = try batcher.batch(Array((i * bs)..<((i + 1) * bs)))
            let at = PromptTrainer(model: model, initialPrompt: Tensor(shape: [initIds.count, e], values: p))
            bf16Losses.append(try BF16Compute.with { try at.evaluate(batch).loss })
            f32Losses.append(try at.evaluate(batch).loss)
            assertClose(bf16Losses[i], wantLosses[i], .relative(2e-2), "\(name) bf16 loss on PEFT's prompt \(i)")
        }
        #expect(bf16Losses != f32Losses, "\(name): BF16Compute.with changes the arithmetic (bf16 Linear kernels)")
        // Summed |Δloss| to PyTorch bf16 over the 20 micro-batches (docs/PERFORMANCE.md records them).
        let summed = zip(bf16Losses, wantLosses).map { abs($0 - $1) }.reduce(0, +)
        let summedF32 = zip(f32Losses, wantLosses).map { abs($0 - $1) }.reduce(0, +)
        let worst = zip(bf16Losses, wantLosses).map { abs($0 - $1) / abs($1) }.max() ?? 0
        print("PEFTBF16Parity \(name): summed |Δloss| bf16 compute \(summed), float32 compute \(summedF32), max rel \(worst)")
        // Measured with the bf16 attention/rotary/gated roundings: gpt2 0.132, llama 0.147 (before them
        // 0.167 and 0.154), every loss within 3.0e-3 relative. With attention's products on the bf16
        // GEMM (summation order of vdpbf16ps, dS rounded to bf16): gpt2 0.1305, llama 0.1470, max
        // relative 2.51e-3 / 2.98e-3 (unchanged within 1 %, so the bounds stay).
        #expect(summed <= 0.15, "\(name): summed |Δloss| to PyTorch bf16 \(summed) (measured 0.132 gpt2, 0.147 llama)")
        #expect(worst <= 5e-3, "\(name): worst relative loss error \(worst) (measured ≤ 3.0e-3)")
        // Greedy continuations behind PEFT's final prompt: the first `agreed` tokens identical on every
        // row (measured: 6 of the 8 six-token rows identical throughout; llama's third row leaves at
        // token 4 and gpt2's fourth at token 5, near-ties that the unmatched bf16 gradients and
        // float32 exp/sum differences tip, see docs/PERFORMANCE.md).
        let agreed = 3
        let final = ((g["final_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        let finalPrompt = Tensor(shape: [initIds.count, e], values: final)
        let sources = g["generate_sources"] as! [[Int]], wantGens = g["greedy_generations"] as! [[Int]]
        let newTokens = g["generate_new_tokens"] as! Int
        #expect(sources.count == wantGens.count && !sources.isEmpty)
        for (s, wantGen) in zip(sources, wantGens) {
            let got = BF16Compute.with { Self.greedy(model, prompt: finalPrompt, ids: s, new: newTokens) }
            #expect(got.count == wantGen.count && got.prefix(agreed) == wantGen.prefix(agreed),
                    "\(name): greedy continuation of \(s) behind PEFT's bf16-trained prompt: \(got) vs \(wantGen)")
            print("PEFTBF16Parity \(name) greedy \(got == wantGen ? "identical" : "differs"): \(got) vs \(wantGen)")
        }
    }

    /// `new` greedy tokens after [bf16(prompt); embed(ids)], recomputing the whole row each step
    /// (the reference script's loop).
    static func greedy(_ model: DecoderModel, prompt: Tensor, ids: [Int], new: Int) -> [Int] {
        let p = prompt.array.map { v -> Float in
            var x = v
            LinearBF16.roundToBF16(&x, count: 1)
            return x
        }
        var out: [Int] = []
        for _ in 0..<new {
            let embeds = p + (ids + out).flatMap { model.tokenEmbedding.row($0) }
            let t = embeds.count / model.inputWidth
            let mask = [Int32](repeating: 1, count: t)
            let logits = model.logits(embeds: embeds, mask: mask, batch: 1, tokens: t, rows: [t - 1],
                                      workspace: TrainingWorkspace())
            out.append(logits.indices.max { logits[$0] < logits[$1] }!)
        }
        return out
    }
}
