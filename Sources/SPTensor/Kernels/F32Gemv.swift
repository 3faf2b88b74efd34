// The one-row float32 product of decoding on our own streaming kernel (Sources/CBLAS/gemv.c) instead
// of OpenBLAS's sgemv: the rows of W split into one contiguous range per pool thread, each read once
// in address order, so decoding runs at the machine's read bandwidth.

import CBLAS

/// y = W·x for a row-major float32 W `[n, k]`.
public enum F32Gemv {
    /// y[j] (+)= Σᵢ W[r0 + j, i]·x[i] for the rows `r0..<r1`, one thread. `level` forces a kernel set
    /// (tests): 2 AVX-512, 1 AVX2 + FMA, 0 generic; -1 = best.
    ///
    /// Shapes: w `[rows, k]` (row stride k), x `[k]`, y `[r1 − r0]`.
    public static func rows(_ w: UnsafePointer<Float>, _ r0: Int, _ r1: Int, k: Int, x: UnsafePointer<Float>,
                            y: UnsafeMutablePointer<Float>, accumulate: Bool = false, level: Int = -1) {
        guard r1 > r0 else { return }
        sp_sgemv_rows(Int32(level), w + r0 * k, k, r1 - r0, x, k, y, accumulate ? 1 : 0)
    }

    /// y[0..<n] (+)= W·x, the rows split over the thread pool (at least 64 rows per thread).
    ///
    /// Shapes: w `[n, k]`, x `[k]`, y `[n]`.
    public static func product(_ w: UnsafePointer<Float>, n: Int, k: Int, x: UnsafePointer<Float>,
                               y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Parallel.forRange(n, grain: 64) { r in
            rows(w, r.lowerBound, r.upperBound, k: k, x: x, y: y + r.lowerBound, accumulate: accumulate)
        }
    }
}
