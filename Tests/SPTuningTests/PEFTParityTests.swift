// Trainer parity with PEFT: from the same TEXT-style initial prompt and the same batches, 10 AdamW
// steps with accumulate_steps 2 give the same micro-batch losses and final prompt as PEFT + torch
// (Fixtures/peft_training_*.json, written by scripts/reference/peft_training_goldens.py).

import Foundation
import SPModels
import SPTensor
import SPTuning
import Testing

@Suite struct PEFTParityTests {
    static let modelsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SPModelsTests/Fixtures")

    @Test(arguments: ["gpt2", "llama"])
    func tenStepsMatchPEFT(_ name: String) throws {
        let url = Bundle.module.url(forResource: "Fixtures/peft_training_\(name)", withExtension: "json")!
        let g = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let model = try ModelLoader.load(directory: Self.modelsRoot.appendingPathComponent(name).path)
        let initIds = g["init_ids"] as! [Int]
        let e = model.inputWidth
        let initPrompt = Tensor(shape: [initIds.count, e], values: initIds.flatMap { model.tokenEmbedding.row($0) })
        let want0 = ((g["init_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        #expect(initPrompt.array == want0, "TEXT init = embedding rows of the init ids")
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
        var losses: [Float] = []
        var step = 0
        for micro in 0..<(steps * accum) {
            let r = try trainer.microStep(batcher.batch(Array((micro * bs)..<((micro + 1) * bs))), lossScale: 1 / Float(accum))
            losses.append(r.loss)
            if (micro + 1) % accum == 0 {
                trainer.optimizerStep(learningRate: schedule.learningRate(atStep: step))
                step += 1
            }
        }
        for (i, (a, b)) in zip(losses, wantLosses).enumerated() {
            #expect(abs(a - b) <= 1e-4 * abs(b), "\(name) micro-step \(i): loss \(a) vs PEFT \(b)")
        }
        let want = ((g["final_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        // Relative to the prompt's scale (max |value|), as for every tensor comparison in this suite.
        var diff: Float = 0, scale: Float = 0
        for (a, b) in zip(trainer.prompt.array, want) { diff = max(diff, abs(a - b)); scale = max(scale, abs(b)) }
        #expect(diff / scale <= 1e-4, "\(name): final prompt max |Δ| \(diff), relative \(diff / scale)")
    }
}
