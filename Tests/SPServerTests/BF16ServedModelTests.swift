// The catalog serves a caikit prompt saved with `trained_torch_dtype: bfloat16` on bf16 weights
// with bf16 compute (a separate base-model load from the float32 prompts' one), and a float32
// prompt on the same base model as before.

import Foundation
import SPGeneration
import SPJSON
import SPPrompt
@testable import SPServer
import SPTensor
import Testing

@Suite struct BF16ServedModelTests {
    /// A caikit prompt directory `id` (3 rows of width 48) on base model `base`, saved in `dtype`.
    static func addCaikitPrompt(_ f: ServerFixture, _ id: String, base: String, dtype: TorchDType) throws {
        let config = CaikitPromptConfig(baseModelConfig: .object(JSONObject([])), baseModelName: base, eosToken: "<eos>",
                                        hasBaseModel: false, verbalizer: "{{input}}", tuningType: .promptTuning,
                                        taskType: "CAUSAL_LM", trainedTorchDType: dtype, outputModelTypes: [.decoder])
        var values = [Float](repeating: 0, count: 3 * 48)
        for i in values.indices { values[i] = Float((i * 29) % 1001) / 1000 - 0.5 }
        let a = PromptArtifacts.promptTuning(prompt: values, numVirtualTokens: 3, tokenDim: 48, config: config,
                                             adapterConfig: nil, trainingLog: [])
        try SavedPrompt.save(a, to: URL(fileURLWithPath: f.modelsDir + "/" + id))
    }

    @Test func trainedBFloat16PromptIsServedWithBF16Compute() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try Self.addCaikitPrompt(f, "gamma", base: "tiny", dtype: .bfloat16)
        try Self.addCaikitPrompt(f, "delta", base: "tiny", dtype: .float32)
        let catalog = ModelCatalog(localModelsDir: f.modelsDir, baseModelsDir: f.baseDir)
        let bf16 = try await catalog.model("gamma"), f32 = try await catalog.model("delta")
        let on = LinearBF16.isAvailable
        #expect(bf16.service.computesInBF16 == on)
        #expect(bf16.base.model.tokenEmbedding.dtype?.rawValue == (on ? "bfloat16" : "float32"))
        #expect(!f32.service.computesInBF16 && f32.base.model.tokenEmbedding.dtype?.rawValue == "float32")
        var p = GenerationParameters()
        (p.maxNewTokens, p.minNewTokens, p.returnTokens, p.tokenLogprobs) = (4, 4, true, true)
        let a = try bf16.service.run("w5 w7", parameters: p), b = try f32.service.run("w5 w7", parameters: p)
        #expect(a.generatedTokens == 4 && b.generatedTokens == 4)
        if on { #expect(a.tokens?.map(\.logprob) != b.tokens?.map(\.logprob), "bf16 compute gives other log-probabilities") }
    }
}
