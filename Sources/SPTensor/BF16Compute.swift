// The bf16 compute switch: what a caller sets when the user asked for `torch_dtype: bfloat16`.
// While it is on (a task-local value, so it follows the task across threads), every `Linear`
// forward and backward-to-input whose weight is stored bf16 runs on `LinearBF16` (inputs and
// outputs rounded to bf16, float32 sums), as PyTorch runs a model cast to bfloat16 on a CPU.
// Weights of any other storage, and every kernel that is not a Linear (norms, softmax, residual
// adds, the loss), compute in float32, but their results that PyTorch keeps as bf16 tensors (the
// residual stream, the norm outputs, the embedding sum) are rounded to bf16 (`roundHidden`). Off, or on a CPU without AVX512-BF16,
// bf16 weights are widened to float32 per panel as before.

import CBLAS

/// A task-local switch routing bf16-stored weights to the AVX512-BF16 kernels.
public enum BF16Compute {
    @TaskLocal static var requested = false

    /// True inside ``with(_:)`` on a CPU that has AVX512-BF16.
    public static var isOn: Bool { requested && LinearBF16.isAvailable }

    /// The one-line notice for a bf16 request on a CPU without AVX512-BF16; nil where it has them.
    public static var fallbackNotice: String? {
        LinearBF16.isAvailable ? nil
            : "notice: this CPU has no AVX512-BF16; the bfloat16 weights are computed in float32"
    }

    /// Rounds `count` floats at `x` to bf16 in place while the switch is on (``isOn``); otherwise
    /// leaves them. Called where a bf16 model's hidden states are bf16 tensors in PyTorch: the
    /// embedding sum, every residual add and every norm output (see docs/PERFORMANCE.md).
    public static func roundHidden(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if isOn { LinearBF16.roundToBF16(x, count: count) }
    }

    /// `x` rounded to the nearest bf16 (ties to even; NaN → the quiet NaN `0x7FC0`), kept as float32:
    /// one element of PyTorch's `.to(torch.bfloat16)`, the same bits as ``LinearBF16/roundToBF16(_:count:)``.
    @inline(__always) public static func round(_ x: Float) -> Float {
        if x.isNaN { return Float(bitPattern: 0x7FC0_0000) }
        let b = x.bitPattern
        return Float(bitPattern: (b &+ 0x7FFF &+ ((b >> 16) & 1)) & 0xFFFF_0000)
    }

    /// dst[i] = the bf16 bits of src[i] (round to nearest even, as ``round(_:)``): exact, and
    /// reversible by ``widen(_:_:count:)``, for values that are already bf16.
    /// Runs on the thread pool for large `n` (a training step narrows ≈ 0.5 GB of saved activations).
    public static func narrow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count n: Int) {
        Chunking.elements(n) { r in sp_f32_to_bf16(src + r.lowerBound, dst + r.lowerBound, r.count) }
    }

    /// dst[i] = the float32 value of the bf16 bits src[i] (exact). On the thread pool for large `n`.
    public static func widen(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count n: Int) {
        Chunking.elements(n) { r in
            for i in r { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
        }
    }

    /// Runs `body` with bf16 Linear compute for bf16-stored weights (float32 on CPUs without AVX512-BF16).
    public static func with<T>(_ body: () throws -> T) rethrows -> T {
        try $requested.withValue(true) { try body() }
    }
}
