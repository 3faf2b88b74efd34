// `torch_dtype: bfloat16` on a CPU: caikit trains in float32 there (its <NLP18555772W> warning);
// SoftPrompt, for a causal model on a CPU with AVX512-BF16, loads the frozen weights in bf16 and runs every Linear on
// the bf16 kernels (`BF16Compute`), as PyTorch runs a bf16 model. The prompt, its gradient and the
// AdamW state stay float32 and the prompt is saved in float32 (what caikit saves).

import SPTensor

extension PromptTuningJob {
    /// True when the parameters ask for bfloat16, the base model is causal and this CPU has
    /// AVX512-BF16 (encoder-decoder models keep caikit's float32 training).
    var computesInBF16: Bool {
        parameters.torchDType == .bfloat16 && LinearBF16.isAvailable
            && BaseModel.kind(of: parameters.baseModel, baseModelsDir: baseModelsDir) == .causalLM
    }

    /// The one-line note for a half-precision request: bf16 compute or the float32 fallback's notice
    /// (bfloat16, causal models), the seq2seq notice (bfloat16, encoder-decoder models), or float16's
    /// notice (any model: float16 always computes in float32).
    var bf16Note: String? {
        if parameters.torchDType == .float16 { return Self.float16Notice }
        guard parameters.torchDType == .bfloat16 else { return nil }
        if BaseModel.kind(of: parameters.baseModel, baseModelsDir: baseModelsDir) == .seq2seqLM { return Self.seq2seqBF16Notice }
        guard BaseModel.kind(of: parameters.baseModel, baseModelsDir: baseModelsDir) == .causalLM else { return nil }
        return BF16Compute.fallbackNotice
            ?? "bfloat16: the frozen weights are bf16 and every Linear computes in bf16 (AVX512-BF16); the prompt and AdamW state stay float32"
    }

    /// `torch_dtype: float16`: the weights are stored float16 and widened to float32 for every
    /// product (SoftPrompt has no float16 kernels: AVX512-FP16 is absent on the Zen 4 machines it
    /// is measured on, and float16 has no dot-product instruction there).
    static let float16Notice =
        "notice: float16 weights are stored in float16 but computed in float32 (no float16 compute kernels)"

    /// `torch_dtype: bfloat16` on an encoder-decoder model: no bf16 compute for T5/BART yet, so the
    /// job trains in float32 (caikit's CPU behaviour, whose `<NLP18555772W>` warning is also given).
    static let seq2seqBF16Notice =
        "notice: torch_dtype bfloat16: encoder-decoder (T5/BART) models have no bf16 compute yet; the frozen weights are computed in float32"

    /// Runs `body` with bf16 Linear compute when ``computesInBF16``, else as it is.
    func withRequestedCompute<T>(_ body: () throws -> T) rethrows -> T {
        computesInBF16 ? try BF16Compute.with(body) : try body()
    }
}
