// Row softmax with an optional input scale: forward and backward to the input.

private typealias F8 = SIMD8<Float>

/// Numerically stable softmax along the rows of a `[rows, cols]` matrix: y = softmax(scale·x).
///
/// The row maximum is subtracted before exponentiating, so logits of any magnitude work. `-inf`
/// entries (masked positions) get probability exactly 0; a row that is entirely `-inf` gives NaN,
/// as torch does. NaN anywhere in a row makes the row NaN.
///
/// ```swift
/// Softmax.forward(scores, probs, rows: B * NH * T, cols: T, scale: 1 / Float(HS).squareRoot())
/// Softmax.backward(dProbs, probs, dScores, rows: B * NH * T, cols: T, scale: ...)
/// ```
public enum Softmax {
    /// x[N,C] → y[N,C] = softmax(scale·x) per row   (`y` may alias `x`)
    ///
    /// - Parameter scale: multiplies the logits before the softmax; must be > 0. `scale·x` is
    ///   rounded before the maximum is subtracted, exactly like `torch.softmax(x * scale, -1)`.
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               rows: Int, cols c: Int, scale: Float = 1) {
        precondition(c > 0, "softmax over an empty row")
        precondition(scale > 0, "softmax scale must be positive, got \(scale)")
        Chunking.rows(rows, cols: c) { range in
            for r in range { row(x + r * c, y + r * c, c, scale) }
        }
    }

    /// One row: max, exp and sum, normalise (3 passes; the exponentials are stored in `y`).
    @inline(__always)
    static func row(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ c: Int,
                    _ scale: Float) {
        let m = RowMath.max(x, c) * scale        // = max(round(scale·x)): rounding is monotonic
        var s0 = F8(), s1 = F8()
        var i = 0
        while i + 16 <= c {
            let e0 = VectorMath.exp(VectorMath.load(x, i) * scale - m)
            let e1 = VectorMath.exp(VectorMath.load(x, i + 8) * scale - m)
            VectorMath.store(e0, y, i)
            VectorMath.store(e1, y, i + 8)
            s0 += e0
            s1 += e1
            i += 16
        }
        while i < c {
            let n = min(8, c - i)
            if n == 8 {
                let e = VectorMath.exp(VectorMath.load(x, i) * scale - m)
                VectorMath.store(e, y, i)
                s0 += e
            } else {
                let e = VectorMath.exp(VectorMath.load(x, i, count: n, fill: -.infinity) * scale - m)
                VectorMath.store(e, y, i, count: n)
                s0 += e   // padded lanes are exp(−inf) = 0
            }
            i += 8
        }
        let inv = 1 / (s0 + s1).sum()
        i = 0
        while i + 8 <= c { VectorMath.store(VectorMath.load(y, i) * inv, y, i); i += 8 }
        while i < c { y[i] *= inv; i += 1 }
    }

    /// dx[N,C] (+)= scale·y·(dy − Σ dy·y)
    ///
    /// - Parameters:
    ///   - dy: upstream gradient `[rows, cols]`.
    ///   - y: the forward output (probabilities).
    ///   - dx: input gradient (w.r.t. the unscaled `x`); may alias `dy`. Overwritten unless
    ///     `accumulate`.
    public static func backward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                _ dx: UnsafeMutablePointer<Float>, rows: Int, cols c: Int,
                                scale: Float = 1, accumulate: Bool = false) {
        precondition(c > 0, "softmax over an empty row")
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let dyr = dy + r * c, yr = y + r * c, dxr = dx + r * c
                let dot = RowMath.dot(dyr, yr, c)
                var i = 0
                while i < c {
                    let n = min(8, c - i)
                    if n == 8 {
                        var v = scale * VectorMath.load(yr, i) * (VectorMath.load(dyr, i) - dot)
                        if accumulate { v += VectorMath.load(dxr, i) }
                        VectorMath.store(v, dxr, i)
                    } else {
                        let yv = VectorMath.load(yr, i, count: n, fill: 0)
                        var v = scale * yv * (VectorMath.load(dyr, i, count: n, fill: 0) - dot)
                        if accumulate { v += VectorMath.load(dxr, i, count: n, fill: 0) }
                        VectorMath.store(v, dxr, i, count: n)
                    }
                    i += 8
                }
            }
        }
    }
}
