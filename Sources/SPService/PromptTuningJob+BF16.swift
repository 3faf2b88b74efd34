// `torch_dtype: bfloat16` on a CPU: caikit trains in float32 there (its <NLP18555772W> warning);
// SoftPrompt, for a causal, BART or mBART model on a CPU with AVX512-BF16, loads the frozen weights in bf16 and runs
// every Linear on the bf16 kernels (`BF16Compute`), as PyTorch runs a bf16 model. T5 (whose bf16
// model keeps `wo` in float32 and a float32 residual stream after it) still trains in float32. The prompt, its gradient and the
// AdamW state stay float32 and the prompt is saved in float32 (what caikit saves).

import SPJSON
import SPModels
import SPTensor

extension PromptTuningJob {
    /// True when the parameters ask for bfloat16, the base model is causal, BART or mBART, and this
    /// CPU has AVX512-BF16 (T5-family models keep caikit's float32 training).
    var computesInBF16: Bool {
        parameters.torchDType == .bfloat16 && LinearBF16.isAvailable && hasBF16Compute
    }

    /// True when SoftPrompt computes this base model in bf16 as transformers does: causal models,
    /// and the encoder-decoder types of ``bf16Seq2SeqTypes``.
    private var hasBF16Compute: Bool {
        switch BaseModel.kind(of: parameters.baseModel, baseModelsDir: baseModelsDir) {
        case .causalLM: return true
        case .seq2seqLM: return seq2seqModelType.map(Self.bf16Seq2SeqTypes.contains) == true
        }
    }

    /// The encoder-decoder `model_type`s with bf16 compute: every module of their transformers bf16
    /// model is bf16 (T5's keeps `wo` float32, which SoftPrompt does not reproduce yet).
    static let bf16Seq2SeqTypes: Set<String> = ["bart", "mbart"]

    /// The base model's `model_type` from its `config.json` (nil when it does not resolve or read).
    private var seq2seqModelType: String? {
        guard case .directory(let d)? = try? ModelLoader.resolve(parameters.baseModel, baseModelsDir: baseModelsDir),
              let config = try? JSONConfig(contentsOf: d + "/config.json") else { return nil }
        return try? config.modelType()
    }

    /// The one-line note for a half-precision request: bf16 compute or the float32 fallback's notice
    /// (bfloat16, causal, BART and mBART models), the seq2seq notice (bfloat16, T5-family models), or float16's
    /// notice (any model: float16 always computes in float32).
    var bf16Note: String? {
        if parameters.torchDType == .float16 { return Self.float16Notice }
        guard parameters.torchDType == .bfloat16 else { return nil }
        guard hasBF16Compute else { return Self.seq2seqBF16Notice }
        return BF16Compute.fallbackNotice
            ?? "bfloat16: the frozen weights are bf16 and every Linear computes in bf16 (AVX512-BF16); the prompt and AdamW state stay float32"
    }

    /// `torch_dtype: float16`: the weights are stored float16 and widened to float32 for every
    /// product (SoftPrompt has no float16 kernels: AVX512-FP16 is absent on the Zen 4 machines it
    /// is measured on, and float16 has no dot-product instruction there).
    static let float16Notice =
        "notice: float16 weights are stored in float16 but computed in float32 (no float16 compute kernels)"

    /// `torch_dtype: bfloat16` on a T5-family model: no bf16 compute for T5 yet, so the job trains in
    /// float32 (caikit's CPU behaviour, whose `<NLP18555772W>` warning is also given).
    static let seq2seqBF16Notice =
        "notice: torch_dtype bfloat16: T5-family models have no bf16 compute yet (BART and mBART do); the frozen weights are computed in float32"

    /// Runs `body` with bf16 Linear compute when ``computesInBF16``, else as it is.
    func withRequestedCompute<T>(_ body: () throws -> T) rethrows -> T {
        computesInBF16 ? try BF16Compute.with(body) : try body()
    }
}
