// Elementwise helpers of a transformer block: residual adds, scaling, gradient accumulation.
// All are memory-bound; they go parallel from 64 Ki elements (Chunking).

/// Flat elementwise operations over `count` floats. Outputs may alias inputs.
public enum Elementwise {
    /// out[n] = a[n] + b[n]   (residual connection)
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ out: UnsafeMutablePointer<Float>, count n: Int) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                VectorMath.store(VectorMath.load(a, i) + VectorMath.load(b, i), out, i)
                i += 8
            }
            while i < r.upperBound { out[i] = a[i] + b[i]; i += 1 }
        }
    }

    /// y[n] += x[n]   (adding a gradient contribution into an accumulator)
    public static func addInto(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
        add(UnsafePointer(y), x, y, count: n)
    }

    /// y[n] += alpha·x[n]   (fused multiply-add, one rounding)
    public static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                 alpha: Float, count n: Int) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                VectorMath.store(VectorMath.load(UnsafePointer(y), i).addingProduct(VectorMath.load(x, i), alpha), y, i)
                i += 8
            }
            while i < r.upperBound { y[i] = y[i].addingProduct(alpha, x[i]); i += 1 }
        }
    }

    /// y[n] = s·x[n]   (`y` may be `x` for in-place scaling)
    public static func scale(_ x: UnsafePointer<Float>, by s: Float, _ y: UnsafeMutablePointer<Float>,
                             count n: Int) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound { VectorMath.store(VectorMath.load(x, i) * s, y, i); i += 8 }
            while i < r.upperBound { y[i] = x[i] * s; i += 1 }
        }
    }

    /// out[n] = a[n]·b[n]
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                _ out: UnsafeMutablePointer<Float>, count n: Int) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                VectorMath.store(VectorMath.load(a, i) * VectorMath.load(b, i), out, i)
                i += 8
            }
            while i < r.upperBound { out[i] = a[i] * b[i]; i += 1 }
        }
    }

    /// out[R,C] = x[R,C] + v[C] broadcast over rows (e.g. GPT-2 `wte[ids] + wpe[pos]` per row,
    /// or a bias); `out` may alias `x`.
    public static func addRow(_ x: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                              _ out: UnsafeMutablePointer<Float>, rows: Int, cols c: Int) {
        Chunking.rows(rows, cols: c) { range in
            for r in range {
                let xr = x + r * c, o = out + r * c
                var i = 0
                while i + 8 <= c { VectorMath.store(VectorMath.load(xr, i) + VectorMath.load(v, i), o, i); i += 8 }
                while i < c { o[i] = xr[i] + v[i]; i += 1 }
            }
        }
    }

    /// out[C] (+)= Σ_r x[r, C]   (summing a per-example gradient over the batch, e.g. the shared
    /// soft prompt's d(prompt) from d(inputs_embeds) rows). Overwritten unless `accumulate`.
    public static func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols c: Int,
                               _ out: UnsafeMutablePointer<Float>, rowStride: Int? = nil,
                               accumulate: Bool = false) {
        let ld = rowStride ?? c
        precondition(ld >= c, "row stride \(ld) < cols \(c)")
        if !accumulate { out.update(repeating: 0, count: c) }
        for r in 0..<rows { addInto(out, x + r * ld, count: c) }
    }
}
