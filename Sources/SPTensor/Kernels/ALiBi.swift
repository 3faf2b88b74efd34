// ALiBi (attention with linear biases) as BLOOM builds it: transformers models/bloom/modeling_bloom.py
// (v5.23) `_get_alibi_slopes` and `build_alibi_tensor`. The bias depends on the key position only,
// counted over non-padding tokens, and is added to the scores before the mask (softmax is
// invariant to a per-row constant, which is why BLOOM needs no query position).

#if canImport(Glibc)
import Glibc
#endif

/// BLOOM's ALiBi slopes and bias.
public enum ALiBi {
    /// slopes[NH] exactly as `_get_alibi_slopes`: the geometric sequence for the closest power of two
    /// n ≤ NH, then every other term of the sequence for 2n for the remaining heads.
    public static func slopes(heads: Int) -> [Float] { slopes(heads: heads, chunk: TorchPow.vectorChunk) }

    /// The same with PyTorch's pow vector chunk given (tests replay fixtures made on another CPU).
    static func slopes(heads: Int, chunk: Int) -> [Float] {
        precondition(heads >= 1, "ALiBi needs at least one head")
        // closest_power_of_2 = 2 ** math.floor(math.log2(num_heads))
        let cp2 = 1 << Int(Glibc.floor(Glibc.log2(Double(heads))))
        // base = 2 ** (-(2 ** -(math.log2(closest_power_of_2) - 3))), a float32 0-dim tensor
        func base(_ n: Int) -> Float { Float(Glibc.pow(2, -Glibc.pow(2, -(Glibc.log2(Double(n)) - 3)))) }
        // torch.pow(base, torch.arange(1, 1 + closest_power_of_2, dtype=torch.int32))
        var s = TorchPow.pow(base: base(cp2), exponents: (1...cp2).map { Float($0) }, chunk: chunk)
        if cp2 != heads {
            let remaining = min(cp2, heads - cp2)
            let extra = stride(from: 1, to: 1 + 2 * remaining, by: 2).map { Float($0) }
            s += TorchPow.pow(base: base(2 * cp2), exponents: extra, chunk: chunk)
        }
        return s
    }

    /// bias[B, NH, S] = slopes[h] · pos[b, j]   with pos = (cumsum(mask) − 1) · mask
    ///
    /// - Parameters:
    ///   - out: `[B, NH, S]`, dense; use ``attentionBias(_:heads:keys:)`` to pass it to ``Attention``.
    ///   - mask: the attention mask `[B, S]` over all keys (past + current), 1 attend / 0 padding;
    ///     batch row stride `maskStride` (default S).
    ///   - slopes: from ``slopes(heads:)``.
    public static func bias(out: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, maskStride: Int? = nil,
                            batch: Int, keys: Int, slopes: [Float]) {
        let NH = slopes.count, S = keys, ms = maskStride ?? keys
        var pos = [Float](repeating: 0, count: S)
        for b in 0..<batch {
            var cumsum = 0
            for j in 0..<S {
                let m = mask[b * ms + j] != 0 ? 1 : 0
                cumsum += m
                pos[j] = Float((cumsum - 1) * m)
            }
            for h in 0..<NH {
                let row = out + (b * NH + h) * S
                let slope = slopes[h]
                for j in 0..<S { row[j] = slope * pos[j] }
            }
        }
    }

    /// The `[B, NH, 1, S]` broadcast view of a ``bias(out:mask:maskStride:batch:keys:slopes:)`` buffer.
    public static func attentionBias(_ bias: UnsafePointer<Float>, heads: Int, keys: Int) -> AttentionBias {
        AttentionBias(bias, batchStride: heads * keys, headStride: keys, rowStride: 0)
    }
}
