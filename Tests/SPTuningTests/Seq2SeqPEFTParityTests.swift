// Seq2seq prompt-tuning parity with PEFT (ENCODER prompt, PROMPT_TUNING SEQ_2_SEQ_LM): from the same
// TEXT-style initial prompt and the same dynamically padded batches, 10 AdamW steps with
// accumulate_steps 2 give the same micro-batch losses and final prompt as PEFT + torch
// (Fixtures/peft_training_seq2seq_*.json, written by scripts/reference/seq2seq_training_goldens.py).
// `tenStepsMatchPEFT` drives `Seq2SeqModel.promptLossAndGradient` and AdamW itself;
// `trainerMatchesPEFT` goes through the product path: `Batcher` (seq2seq layout), `PromptTrainer`
// and the model's `LanguageModel` prompt step.

import Foundation
import SPModels
import SPTensor
import SPTuning
import Testing

@Suite struct Seq2SeqPEFTParityTests {
    static let modelsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SPModelsTests/Fixtures/seq2seq")

    @Test(arguments: ["t5", "bart"])
    func tenStepsMatchPEFT(_ name: String) throws {
        let g = try Self.golden(name)
        let model = try Seq2SeqRegistry.load(directory: Self.modelsRoot.appendingPathComponent(name).path)
        let initIds = (g["init_ids"] as! [Int]).map(Int32.init)
        let prompt = Tensor(shape: [initIds.count, model.spec.hidden], values: try model.embed(initIds))
        let want0 = ((g["init_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        #expect(prompt.array == want0, "TEXT init = (scaled) embedding rows of the init ids")
        let examples = g["examples"] as! [[String: Any]]
        let steps = g["steps"] as! Int, accum = g["accumulate_steps"] as! Int, bs = g["batch_size"] as! Int
        let pad = Int32(g["pad_token_id"] as! Int)
        let schedule = LinearSchedule(baseLearningRate: g["learning_rate"] as! Double, totalSteps: steps)
        let adam = AdamW(count: prompt.count, weightDecay: g["weight_decay"] as! Double)
        let grad = Tensor(shape: prompt.shape), micro = Tensor(shape: prompt.shape)
        let ws = Seq2SeqPromptWorkspace()
        var losses: [Float] = []
        var step = 0
        for m in 0..<(steps * accum) {
            // Dynamic padding: sources right-padded with pad (mask 0), labels with -100.
            let batch = examples[(m * bs)..<((m + 1) * bs)].map { ($0["input_ids"] as! [Int], $0["labels"] as! [Int]) }
            let s = batch.map(\.0.count).max()!, t = batch.map(\.1.count).max()!
            var ids = [Int32](), mask = [Int32](), labels = [Int32]()
            for (src, tgt) in batch {
                ids += src.map(Int32.init) + [Int32](repeating: pad, count: s - src.count)
                mask += [Int32](repeating: 1, count: src.count) + [Int32](repeating: 0, count: s - src.count)
                labels += tgt.map(Int32.init) + [Int32](repeating: -100, count: t - tgt.count)
            }
            let r = try model.promptLossAndGradient(prompt: prompt.data, virtualTokens: prompt.shape[0], inputIds: ids,
                                                    attentionMask: mask, labels: labels, batch: bs, sourceTokens: s,
                                                    targetTokens: t, dPrompt: micro.data, scale: 1 / Float(accum),
                                                    workspace: ws)
            losses.append(r.loss)
            for i in 0..<grad.count { grad.data[i] += micro.data[i] }
            if (m + 1) % accum == 0 {
                adam.step(param: prompt.data, grad: grad.data, lr: schedule.learningRate(atStep: step))
                grad.zero()
                step += 1
            }
        }
        Self.expectMatchesPEFT(name, losses: losses, prompt: prompt.array, golden: g)
    }

    @Test(arguments: ["t5", "bart"])
    func trainerMatchesPEFT(_ name: String) throws {
        let g = try Self.golden(name)
        let loaded = try ModelLoader.load(directory: Self.modelsRoot.appendingPathComponent(name).path)
        #expect(loaded.kind == .seq2seqLM)
        let model = try #require(loaded as? Seq2SeqModel)
        let initIds = (g["init_ids"] as! [Int]).map(Int32.init)
        let initial = Tensor(shape: [initIds.count, model.inputWidth], values: try model.embed(initIds))
        let examples = (g["examples"] as! [[String: Any]]).map {
            TokenizedExample(inputIds: $0["input_ids"] as! [Int], attentionMask: ($0["input_ids"] as! [Int]).map { _ in 1 },
                             labels: $0["labels"] as! [Int])
        }
        let steps = g["steps"] as! Int, accum = g["accumulate_steps"] as! Int, bs = g["batch_size"] as! Int
        let batcher = Batcher(examples: examples, batchSize: bs, padding: .dynamic, padTokenId: g["pad_token_id"] as! Int,
                              paddingSide: .right, fixedLength: 64, targetFixedLength: 64)
        let trainer = PromptTrainer(model: loaded, initialPrompt: initial, weightDecay: g["weight_decay"] as! Double,
                                    step: try loaded.makePromptStep(checkpointing: false, placement: .encoder))
        let schedule = LinearSchedule(baseLearningRate: g["learning_rate"] as! Double, totalSteps: steps)
        var losses: [Float] = [], step = 0
        for m in 0..<(steps * accum) {
            let batch = batcher.batch(Array((m * bs)..<((m + 1) * bs)))
            #expect(batch.labels.count == bs * batch.targetLength)
            losses.append(try trainer.microStep(batch, lossScale: 1 / Float(accum)).loss)
            if (m + 1) % accum == 0 {
                trainer.optimizerStep(learningRate: schedule.learningRate(atStep: step))
                step += 1
            }
        }
        Self.expectMatchesPEFT(name, losses: losses, prompt: trainer.prompt.array, golden: g)
    }

    /// `Fixtures/peft_training_seq2seq_<name>.json`.
    static func golden(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("peft_training_seq2seq_\(name).json"))) as! [String: Any]
    }

    /// Every micro-batch loss and the final prompt within 1e-4 relative of PEFT's (the golden's
    /// `micro_losses`, exactly as many, and `final_prompt`).
    static func expectMatchesPEFT(_ name: String, losses: [Float], prompt: [Float], golden g: [String: Any],
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let wantLosses = (g["micro_losses"] as! [NSNumber]).map { $0.floatValue }
        #expect(losses.count == wantLosses.count && !wantLosses.isEmpty,
                "\(name): \(losses.count) micro-steps vs \(wantLosses.count)", sourceLocation: sourceLocation)
        for (i, (a, b)) in zip(losses, wantLosses).enumerated() {
            #expect(abs(a - b) <= 1e-4 * abs(b), "\(name) micro-step \(i): loss \(a) vs PEFT \(b)", sourceLocation: sourceLocation)
        }
        let want = ((g["final_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        var diff: Float = 0, scale: Float = 0
        for (a, b) in zip(prompt, want) { diff = max(diff, abs(a - b)); scale = max(scale, abs(b)) }
        #expect(prompt.count == want.count && diff / scale <= 1e-4,
                "\(name): final prompt max |Δ| \(diff), relative \(diff / scale)", sourceLocation: sourceLocation)
    }
}
