// RMS normalisation over the last dimension (no mean, no bias): forward saving rstd per row and
// the gradient with respect to the input only (the weight is frozen).

private typealias F8 = SIMD8<Float>

/// RMS norm: y = x·rsqrt(mean(x²) + eps)·(w + weightOffset).
///
/// One kernel covers the transformers variants, all computed in float32:
/// - Llama `LlamaRMSNorm` (and Mistral, Qwen2, …), `weightOffset: 0`:
///   `variance = hidden_states.pow(2).mean(-1, keepdim=True)`,
///   `hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)`,
///   `return self.weight * hidden_states`.
/// - T5 `T5LayerNorm`, `weightOffset: 0`: the same lines (“only scales and doesn't shift”, variance
///   accumulated in fp32); no mean subtraction and no bias.
/// - Gemma `GemmaRMSNorm`, `weightOffset: 1`: `output = output * (1.0 + self.weight.float())`
///   (the stored weight is zero-initialised and the scale is 1 + w).
///
/// `weight: nil` is an unweighted RMS norm (scale 1; `weightOffset` is then ignored).
public enum RMSNorm {
    /// x[N,C], w[C]? → y[N,C], rstd[N]?
    ///
    /// - Parameters:
    ///   - x: input rows; `y` may alias `x` (then the backward cannot run: it needs `x`).
    ///   - rstd: per-row 1/√(mean(x²) + eps) for the backward; nil at inference.
    ///   - weightOffset: added to every weight element (0 for Llama/T5, 1 for Gemma).
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>?,
                               rows: Int, cols c: Int, eps: Float, weightOffset: Float = 0) {
        precondition(c > 0, "RMSNorm over an empty dimension")
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let xr = x + r * c, yr = y + r * c
                let rs = 1 / (RowMath.sumOfSquares(xr, c) / Float(c) + eps).squareRoot()
                rstd?[r] = rs
                var i = 0
                while i < c {
                    let n = min(8, c - i)
                    let xv = n == 8 ? VectorMath.load(xr, i) : VectorMath.load(xr, i, count: n, fill: 0)
                    let v = (xv * rs) * scaleLanes(weight, weightOffset, i, n)
                    if n == 8 { VectorMath.store(v, yr, i) } else { VectorMath.store(v, yr, i, count: n) }
                    i += 8
                }
            }
        }
    }

    /// dx[N,C] (+)= rstd·g − x·rstd³·mean(g·x),  g = dy·(w + weightOffset)
    ///
    /// - Parameters:
    ///   - dy: upstream gradient `[rows, cols]`.
    ///   - x, rstd: the forward input and its saved statistic.
    ///   - dx: input gradient; may alias `dy`. Overwritten unless `accumulate`.
    public static func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>?, rstd: UnsafePointer<Float>,
                                _ dx: UnsafeMutablePointer<Float>, rows: Int, cols c: Int,
                                weightOffset: Float = 0, accumulate: Bool = false) {
        precondition(c > 0, "RMSNorm over an empty dimension")
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                let rs = rstd[r]
                var sgx = F8()
                var i = 0
                while i < c {
                    let n = min(8, c - i)
                    let (g, xv) = lanes(dyr, xr, weight, weightOffset, i, n)
                    sgx = sgx.addingProduct(g, xv)
                    i += 8
                }
                let k = rs * rs * rs * sgx.sum() / Float(c)
                i = 0
                while i < c {
                    let n = min(8, c - i)
                    let (g, xv) = lanes(dyr, xr, weight, weightOffset, i, n)
                    var v = (rs * g).addingProduct(-k, xv)
                    if n == 8 {
                        if accumulate { v += VectorMath.load(dxr, i) }
                        VectorMath.store(v, dxr, i)
                    } else {
                        if accumulate { v += VectorMath.load(dxr, i, count: n, fill: 0) }
                        VectorMath.store(v, dxr, i, count: n)
                    }
                    i += 8
                }
            }
        }
    }

    /// (w + offset) for lanes `i..<i+n` (1 when there is no weight).
    @inline(__always)
    private static func scaleLanes(_ w: UnsafePointer<Float>?, _ offset: Float, _ i: Int,
                                   _ n: Int) -> SIMD8<Float> {
        guard let w else { return F8(repeating: 1) }
        return (n == 8 ? VectorMath.load(w, i) : VectorMath.load(w, i, count: n, fill: 0)) + offset
    }

    /// g = dy·(w + offset) and x for lanes `i..<i+n` (tail lanes zero).
    @inline(__always)
    private static func lanes(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                              _ w: UnsafePointer<Float>?, _ offset: Float, _ i: Int,
                              _ n: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let full = n == 8
        let d = full ? VectorMath.load(dy, i) : VectorMath.load(dy, i, count: n, fill: 0)
        let xv = full ? VectorMath.load(x, i) : VectorMath.load(x, i, count: n, fill: 0)
        return (d * scaleLanes(w, offset, i, n), xv)
    }
}
