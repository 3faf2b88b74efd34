// Few-row products on weights kept in ggml block form: y = x·Wᵀ row by row with the C block-dot
// kernels (AVX-512 / AVX2 / generic, Sources/CBLAS/quant_dot.c), split over the thread pool.

import CBLAS

/// Block dot products of float32 activations with quantized weight rows.
public enum QuantDot {
    /// The kernel set this CPU runs: 2 AVX-512, 1 AVX2 + FMA, 0 generic C.
    public static var maxLevel: Int { Int(sp_qdot_max_level()) }

    /// y[j] = Σᵢ W[r0 + j, i]·x[i] (or `+=` when `accumulate`) for the rows `r0..<r1` of the block
    /// matrix at `w` with `k` columns, one thread. `level` forces a kernel set (tests); -1 = best.
    ///
    /// Shapes: w `[rows, k]` in `format` blocks, x `[k]`, y `[r1 - r0]`.
    public static func rows(_ format: BlockFormat, _ w: UnsafeRawPointer, _ r0: Int, _ r1: Int, k: Int,
                            x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
                            level: Int = -1) {
        guard r1 > r0 else { return }
        let rb = format.rowBytes(k)
        sp_qdot_rows(Int32(format.cFormat), Int32(level), w + r0 * rb, rb, r1 - r0, x, k, y, accumulate ? 1 : 0)
    }

    /// y[m, n] (+)= x[m, k]·Wᵀ for a block weight `[n, k]`, rows of W split over the pool; each x row
    /// is a separate pass over W (meant for m ≤ 4: decoding).
    ///
    /// Shapes: x `[m, k]` (row stride k), y `[m, n]` (row stride `ldy`).
    static func product(_ format: BlockFormat, _ w: UnsafeRawPointer, n: Int, k: Int, x: UnsafePointer<Float>,
                        m: Int, y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        Parallel.forRange(n, grain: 64) { range in
            for i in 0..<m {
                rows(format, w, range.lowerBound, range.upperBound, k: k, x: x + i * k,
                     y: y + i * ldy + range.lowerBound, accumulate: accumulate)
            }
        }
    }
}

extension Weight {
    /// The block format when the weight is kept in ggml blocks (``Storage/blocks(_:_:)``), else nil.
    public var blockFormat: BlockFormat? {
        if case .blocks(let f, _) = storage { return f }
        return nil
    }
}
