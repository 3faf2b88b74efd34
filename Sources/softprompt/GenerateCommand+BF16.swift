// `generate --torch-dtype bfloat16`: the model as PyTorch runs it after `.to(torch.bfloat16)` (caikit's
// `torch_dtype` name): weights stored bf16, every Linear on the bf16 kernels (a fast one-row
// product for each decoding step), hidden states rounded to bf16 where PyTorch keeps bf16 tensors.
// `--dtype` alone only picks a storage: `--dtype bf16` computes in float32 on the widened weights.

import ArgumentParser
import Foundation
import SPModels
import SPTensor

/// The compute a generate invocation asked for with `--torch-dtype`.
enum GenerationCompute: Equatable {
    /// float32 compute on the `--dtype` storage (the default).
    case float32
    /// bf16 weights and bf16 Linear compute (`--torch-dtype bfloat16`).
    case bfloat16

    /// Parses `--torch-dtype` against `--dtype` (nil when not given): bfloat16 fixes the storage,
    /// so any `--dtype` beside it is refused, naming both flags.
    init(torchDtype: String?, dtype: String?) throws {
        guard let torchDtype else { self = .float32; return }
        guard DType(torchName: torchDtype) == .bfloat16 else {
            throw ValidationError("--torch-dtype must be bfloat16 (bf16 weights computed on the bf16 kernels), got \(torchDtype); for a storage computed in float32 use --dtype")
        }
        if let dtype {
            throw ValidationError("--torch-dtype bfloat16 stores the weights in bf16 and computes in bf16; it cannot be combined with --dtype \(dtype): drop one of them")
        }
        self = .bfloat16
    }

    /// The `--dtype` value the weights are loaded with.
    func storageName(_ dtype: String?) -> String { self == .bfloat16 ? "bf16" : dtype ?? "f32" }

    /// Refuses bf16 compute for a model that has none (encoder-decoder models), naming the flag;
    /// returns the one-line notice for stderr (the float32 fallback on a CPU without AVX512-BF16).
    func check(_ model: any LanguageModel) throws -> String? {
        guard self == .bfloat16 else { return nil }
        if model.kind != .causalLM {
            throw ValidationError("--torch-dtype bfloat16 computes decoder-only models in bf16; this is a \(model.kind.taskType) (encoder-decoder) model, which has no bf16 compute yet: drop --torch-dtype (--dtype bf16 stores the weights in bf16 and computes in float32)")
        }
        return BF16Compute.fallbackNotice
    }

    /// Runs `body` with bf16 Linear compute when asked for (float32 on a CPU without AVX512-BF16).
    func run<T>(_ body: () throws -> T) rethrows -> T {
        self == .bfloat16 ? try BF16Compute.with(body) : try body()
    }
}
