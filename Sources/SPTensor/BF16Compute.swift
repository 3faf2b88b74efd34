// The bf16 compute switch: what a caller sets when the user asked for `torch_dtype: bfloat16`.
// While it is on (a task-local value, so it follows the task across threads), every `Linear`
// forward and backward-to-input whose weight is stored bf16 runs on `LinearBF16` (inputs and
// outputs rounded to bf16, float32 sums), as PyTorch runs a model cast to bfloat16 on a CPU.
// Weights of any other storage, and every kernel that is not a Linear (norms, softmax, residual
// adds, the loss), compute in float32, but their results that PyTorch keeps as bf16 tensors (the
// residual stream, the norm outputs, the embedding sum) are rounded to bf16 (`roundHidden`). Off, or on a CPU without AVX512-BF16,
// bf16 weights are widened to float32 per panel as before.

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

    /// Runs `body` with bf16 Linear compute for bf16-stored weights (float32 on CPUs without AVX512-BF16).
    public static func with<T>(_ body: () throws -> T) rethrows -> T {
        try $requested.withValue(true) { try body() }
    }
}
