// Serving a prompt trained with `torch_dtype: bfloat16` (caikit config.yml `trained_torch_dtype:
// bfloat16`): its decoder-only base model is loaded with bf16 weights and generates inside
// `BF16Compute` (the batcher's scheduler thread and the one-request path alike), as the model was
// trained. Encoder-decoder prompts, and CPUs without AVX512-BF16, keep float32 (as training does).

import SPModels
import SPPrompt
import SPTensor

extension GenerationService {
    /// True when the prompt directory at `path` is a caikit prompt whose `trained_torch_dtype` is
    /// bfloat16, for a decoder-only model (`kind`), on a CPU with AVX512-BF16.
    /// - Throws: ``PromptError`` / ``TuningError`` naming config.yml's field when it is malformed.
    public static func servesInBF16(promptDirectory path: String, kind: ModelKind) throws -> Bool {
        guard kind == .causalLM, LinearBF16.isAvailable else { return false }
        let stored = try PromptReader.read(path)
        guard stored.layout == .caikit else { return false }
        return try TorchDType(torchName: stored.caikitString("trained_torch_dtype")) == .bfloat16
    }

    /// Runs `body` inside `BF16Compute` when this service computes in bf16 (``computesInBF16``).
    func withCompute<T>(_ body: () throws -> T) rethrows -> T {
        computesInBF16 ? try BF16Compute.with(body) : try body()
    }
}
