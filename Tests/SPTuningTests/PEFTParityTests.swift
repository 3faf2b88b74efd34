// Trainer parity with PEFT: from the same TEXT-style initial prompt and the same batches, 10 AdamW
// steps with accumulate_steps 2 give the same micro-batch losses and final prompt as PEFT + torch
// (Fixtures/peft_training_*.json, written by scripts/reference/peft_training_goldens.py).

import Foundation
import SPModels
import SPTensor
import SPTestSupport
import SPTuning
import Testing

@Suite struct PEFTParityTests {
    @Test(arguments: ["gpt2", "llama"])
    func tenStepsMatchPEFT(_ name: String) throws {
        let g = try Fixtures.own.jsonObject("peft_training_\(name).json")
        _ = try Fixtures.models.file("\(name)/model.safetensors")
        let model = try ModelLoader.load(directory: Fixtures.models.directory(name).path)
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
        #expect(steps == 10 && accum == 2, "the fixture declares 10 optimizer steps of 2 micro-batches")
        #expect(examples.count == steps * accum * bs, "\(examples.count) examples for \(steps * accum) micro-batches of \(bs)")
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
        // One loss per micro-batch, as many as the fixture declares (a short fixture fails, not zips away).
        #expect(wantLosses.count == steps * accum, "peft_training_\(name).json has \(wantLosses.count) micro losses, declares \(steps * accum)")
        for (i, b) in wantLosses.prefix(losses.count).enumerated() {
            assertClose(losses[i], b, .relative(1e-4), "\(name) micro-step \(i) loss vs PEFT")
        }
        let want = ((g["final_prompt"] as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        // Relative to the prompt's scale (max |value|).
        assertClose(trainer.prompt.array, want, .relative(1e-4), "\(name): final prompt")
    }
}
