// torch nn.LayerNorm over the last dimension: forward (saving mean and rstd per row) and the
// gradient with respect to the input only; weight and bias are frozen, so no dγ/dβ is computed.

private typealias F8 = SIMD8<Float>

/// `nn.LayerNorm(C, eps, elementwise_affine, bias)` forward and input-gradient.
///
/// y = (x − mean)·rstd·γ + β with rstd = 1/√(var + eps) and the biased variance, as torch.
/// `weight: nil` is `elementwise_affine=False` (γ = 1); `bias: nil` is `bias=False` (β = 0).
///
/// ```swift
/// LayerNorm.forward(x, weight: g, bias: b, y, mean: mu, rstd: rs, rows: B * T, cols: C, eps: 1e-5)
/// LayerNorm.backward(dy, x, weight: g, mean: mu, rstd: rs, dx, rows: B * T, cols: C)
/// ```
public enum LayerNorm {
    /// x[N,C], γ[C]?, β[C]? → y[N,C], mean[N]?, rstd[N]?
    ///
    /// - Parameters:
    ///   - x: input rows. `y` may alias `x` (then the backward cannot run: it needs `x`).
    ///   - mean, rstd: per-row statistics for ``backward(_:_:weight:mean:rstd:_:rows:cols:accumulate:)``;
    ///     pass nil at inference.
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                               bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                               mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
                               rows: Int, cols c: Int, eps: Float) {
        precondition(c > 0, "LayerNorm over an empty dimension")
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let xr = x + r * c, yr = y + r * c
                let m = RowMath.sum(xr, c) / Float(c)
                let rs = 1 / (RowMath.sumSquaredDeviation(xr, c, from: m) / Float(c) + eps).squareRoot()
                mean?[r] = m
                rstd?[r] = rs
                // y = (x − m)·rs·γ + β, lanes padded with γ = 1, β = 0 in the tail.
                var i = 0
                while i < c {
                    let n = min(8, c - i)
                    let xv = n == 8 ? VectorMath.load(xr, i) : VectorMath.load(xr, i, count: n, fill: 0)
                    var v = (xv - m) * rs
                    if let weight {
                        v *= n == 8 ? VectorMath.load(weight, i) : VectorMath.load(weight, i, count: n, fill: 1)
                    }
                    if let bias {
                        v += n == 8 ? VectorMath.load(bias, i) : VectorMath.load(bias, i, count: n, fill: 0)
                    }
                    if n == 8 { VectorMath.store(v, yr, i) } else { VectorMath.store(v, yr, i, count: n) }
                    i += 8
                }
            }
        }
    }

    /// dx[N,C] (+)= rstd·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ, x̂ = (x − mean)·rstd
    ///
    /// - Parameters:
    ///   - dy: upstream gradient `[rows, cols]`.
    ///   - x, mean, rstd: the forward input and its saved statistics.
    ///   - dx: input gradient; may alias `dy`. Overwritten unless `accumulate`.
    public static func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>?, mean: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                rows: Int, cols c: Int, accumulate: Bool = false) {
        precondition(c > 0, "LayerNorm over an empty dimension")
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                let m = mean[r], rs = rstd[r]
                // Pass 1: Σg and Σg·x̂ (tail lanes load dy = 0, so they add nothing).
                var sg = F8(), sgx = F8()
                var i = 0
                while i < c {
                    let n = min(8, c - i)
                    let (g, xh) = lanes(dyr, xr, weight, i, n, m, rs)
                    sg += g
                    sgx = sgx.addingProduct(g, xh)
                    i += 8
                }
                let mg = sg.sum() / Float(c), mgx = sgx.sum() / Float(c)
                // Pass 2: dx = rs·(g − mg − x̂·mgx).
                i = 0
                while i < c {
                    let n = min(8, c - i)
                    let (g, xh) = lanes(dyr, xr, weight, i, n, m, rs)
                    var v = rs * (g - mg - xh * mgx)
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

    /// g = dy·γ and x̂ = (x − m)·rs for lanes `i..<i+n`.
    @inline(__always)
    private static func lanes(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                              _ w: UnsafePointer<Float>?, _ i: Int, _ n: Int, _ m: Float,
                              _ rs: Float) -> (SIMD8<Float>, SIMD8<Float>) {
        let full = n == 8
        var g = full ? VectorMath.load(dy, i) : VectorMath.load(dy, i, count: n, fill: 0)
        if let w { g *= full ? VectorMath.load(w, i) : VectorMath.load(w, i, count: n, fill: 0) }
        let xv = full ? VectorMath.load(x, i) : VectorMath.load(x, i, count: n, fill: 0)
        return (g, (xv - m) * rs)
    }
}
