// caikit-nlp's own tiny T5ForConditionalGeneration (only pytorch_model.bin) through the product path:
// `PromptTuningJob` trains an ENCODER prompt (TEXT init, 3 epochs of one 4-record micro-batch),
// saves it, `GenerationTarget` loads the saved directory back and greedy generation gives PEFT's ids.
// Golden: scripts/reference/caikit_tiny_t5_goldens.py (Tests/SPGenerationTests/Fixtures/caikit_tiny_t5.json),
// PEFT + torch on the same records, dropout off.
//
// caikit's model is near-uniform (initializer_factor 0.002: every loss ≈ ln 1302), so its greedy
// ids alone prove little; the epoch losses and the final prompt (which AdamW moves by ~35% of its
// scale from tiny gradients) are checked at 1e-4 relative, and the golden records the smallest
// top-1/top-2 logit gap of PEFT's generation so that a tie cannot pass unseen.

import Foundation
import SPGeneration
import SPModels
@testable import SPService
import SPTestSupport
import SPTokenizers
import SPTuning
import Testing

@Suite(.enabled(if: CaikitTiny.root != nil, Comment(rawValue: CaikitTiny.missing)), .serialized)
struct CaikitTinyT5Tests {
    static let fixtures = FixtureRoot(target: "SPGenerationTests")

    @Test func t5TrainsSavesAndGeneratesPEFTsIds() throws {
        let dir = CaikitTiny.root! + "/T5ForConditionalGeneration"
        let g = try Self.fixtures.jsonObject("caikit_tiny_t5.json")
        let records = try #require(g["records"] as? [[String: Any]])
        #expect(records.count == 4, "caikit_tiny_t5.json declares 4 records")
        var params = TuningParameters(baseModel: dir, tuningConfig: TuningConfig(
            numVirtualTokens: g["num_virtual_tokens"] as? Int, promptTuningInitMethod: .text,
            promptTuningInitText: g["init_text"] as? String))
        params.numEpochs = try #require(g["num_epochs"] as? Int)
        params.batchSize = try #require(g["batch_size"] as? Int)
        params.accumulateSteps = 1
        params.learningRate = try #require(g["learning_rate"] as? Double)
        params.trainStream = .inline(records.map { TrainRecord(input: $0["input"] as! String, output: $0["output"] as! String) })
        let out = NSTemporaryDirectory() + "caikit-tiny-t5-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outcome = try PromptTuningJob(parameters: params, output: URL(fileURLWithPath: out + "/prompt")).run()
        let wantLosses = try #require(g["epoch_losses"] as? [Double])
        #expect(wantLosses.count == params.numEpochs)
        assertClose(outcome.epochs.map(\.trainLoss), wantLosses, .relative(1e-4), "epoch losses vs PEFT")
        let finalPrompt = try #require((g["final_prompt"] as? [String: Any])?["data"] as? [Double])
        assertClose(outcome.prompt.array, finalPrompt, .relative(1e-4), "trained prompt vs PEFT")

        // Load what was saved, as `softprompt generate --model out/prompt` does.
        let target = try GenerationTarget.open(model: out + "/prompt", baseModel: nil, baseModelsDir: nil)
        #expect(target.prompt?.virtualTokens == params.tuningConfig.numVirtualTokens)
        let tokenizer = try loadTokenizer(target.location)
        let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: tokenizer))
        var p = GenerationParameters()
        p.maxNewTokens = try #require(g["max_new_tokens"] as? Int)
        let generated = try #require(g["generated"] as? [[String: Any]])
        #expect(generated.count == 3)
        for c in generated {
            let text = c["text"] as! String, inputIds = c["input_ids"] as! [Int], newIds = c["new_ids"] as! [Int]
            #expect((c["min_top2_gap"] as! Double) > 1e-6, "\(text): PEFT's greedy choice is a near-tie")
            #expect(try tokenizer.encodeIds(text) == inputIds, "\(text): token ids vs transformers")
            let gen = try service.tokens.generate([TokenRequest(inputIds: inputIds.map(Int32.init), parameters: p)],
                                                  eos: [1], pad: 0)[0]
            #expect(gen.ids.map(Int.init) == newIds, "\(text): \(gen.ids) vs PEFT \(newIds)")
        }
    }
}
