// Serving a prompt trained with torch_dtype bfloat16: `servesInBF16` reads caikit's
// `trained_torch_dtype`, and with bf16 compute the batcher's rows still equal, bit for bit, the
// request alone (the bf16 GEMM's rows do not depend on the row count under RowInvariance), while
// their log-probabilities differ from the float32 model's (the switch reaches the scheduler thread).

import Foundation
import SPGeneration
import SPJSON
import SPModels
import SPPrompt
@testable import SPService
import SPTensor
import SPTokenizers
import Testing

@Suite struct BF16ServingTests {
    /// A caikit prompt directory (3 random rows) on `model`, saved with `trainedTorchDType`.
    static func caikitPrompt(_ root: String, model: String, width: Int, dtype: TorchDType) throws -> String {
        let dir = root + "/prompt-\(dtype)"
        let config = CaikitPromptConfig(baseModelConfig: .object(JSONObject([])), baseModelName: model, eosToken: nil,
                                        hasBaseModel: false, verbalizer: "{{input}}", tuningType: .promptTuning,
                                        taskType: "CAUSAL_LM", trainedTorchDType: dtype, outputModelTypes: [.decoder])
        let values = (0..<(3 * width)).map { Float(($0 * 37) % 2001) / 1000 - 1 }
        let a = PromptArtifacts.promptTuning(prompt: values, numVirtualTokens: 3, tokenDim: width, config: config,
                                             adapterConfig: nil, trainingLog: [])
        try SavedPrompt.save(a, to: URL(fileURLWithPath: dir))
        return dir
    }

    @Test func trainedTorchDTypePicksBF16Compute() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bf16 = try Self.caikitPrompt(root, model: model + "/tiny", width: 64, dtype: .bfloat16)
        let f32 = try Self.caikitPrompt(root, model: model + "/tiny", width: 64, dtype: .float32)
        #expect(try GenerationService.servesInBF16(promptDirectory: bf16, kind: .causalLM) == LinearBF16.isAvailable)
        #expect(try !GenerationService.servesInBF16(promptDirectory: bf16, kind: .seq2seqLM), "seq2seq keeps float32")
        #expect(try !GenerationService.servesInBF16(promptDirectory: f32, kind: .causalLM))
    }

    @Test(.enabled(if: LinearBF16.isAvailable, "needs AVX512-BF16"))
    func batchedBF16RowsEqualAlone() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil, dtype: .bfloat16)
        let tokenizer = TokenizerAdapter(tokenizer: try loadTokenizer(target.location))
        let bf16 = try GenerationService(model: target.model, tokenizer: tokenizer, computesInBF16: true)
        let f32Target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil)
        let f32 = try GenerationService(model: f32Target.model, tokenizer: tokenizer)
        var requests: [(String, GenerationParameters)] = []
        for i in 0..<8 {
            var p = GenerationParameters()
            p.maxNewTokens = 3 + (i * 5) % 9
            (p.returnTokens, p.tokenLogprobs) = (true, true)
            requests.append(((0...(i % 5)).map { "w\(($0 * 11 + i * 3) % 300)" }.joined(separator: " "), p))
        }
        let batcher = GenerationBatcher(maxRows: 8)
        var alone: [GeneratedTextResult] = []
        for (text, p) in requests { alone.append(try await batcher.run(bf16, text, parameters: p)) }
        let scheduler = try #require(batcher.scheduler(for: bf16))
        #expect(scheduler.computesInBF16)
        let together = try await withThrowingTaskGroup(of: (Int, GeneratedTextResult).self) { group in
            for (i, r) in requests.enumerated() { group.addTask { (i, try await batcher.run(bf16, r.0, parameters: r.1)) } }
            var out = [GeneratedTextResult?](repeating: nil, count: requests.count)
            for try await (i, r) in group { out[i] = r }
            return out
        }
        for i in requests.indices { #expect(together[i] == alone[i], "request \(i): \(String(describing: together[i])) vs \(alone[i])") }
        #expect(scheduler.statistics.widest > 1, "rows shared no step: \(scheduler.statistics)")
        // The float32 model through its own scheduler: other log-probabilities.
        let plain = try await batcher.run(f32, requests[0].0, parameters: requests[0].1)
        #expect(plain.tokens?.map(\.logprob) != alone[0].tokens?.map(\.logprob), "bf16 compute did not reach the scheduler thread")
        // The CLI's path (one request, the one-row gemv outside RowInvariance): the same greedy text.
        let direct = try bf16.run(requests[0].0, parameters: requests[0].1)
        #expect(direct.generatedText == alone[0].generatedText, "the one-request path (gemv) vs the batcher (GEMM)")
    }
}
