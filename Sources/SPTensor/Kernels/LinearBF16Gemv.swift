// The one-row bf16 product of decoding (Sources/CBLAS/bf16_gemv.c): the activation row rounded to
// bf16 once, then each bf16 row of W dotted with it by vdpbf16ps with float32 sums, the rows of W
// split over the thread pool. LinearBF16's GEMM packs panels for every call, which a single row
// cannot repay; this streams W once at read bandwidth. Its sums are in a different order than the
// GEMM's, so it is used only where row invariance is not asked for (RowInvariance).

import CBLAS

/// y = bf16(x)·Wᵀ for one row, W stored bf16 `[n, k]`.
public enum LinearBF16Gemv {
    /// y[j] (+)= Σᵢ bf16(x[i])·W[j, i] (+ bias[j]) for j in `0..<w.outFeatures`, rounded to bf16
    /// when `roundOutput` (a bf16 model's Linear output). Requires ``LinearBF16/isAvailable``.
    ///
    /// Shapes: x `[w.inFeatures]` float32, w bf16 `[n, k]`, bias `[n]`, y `[n]`.
    public static func product(_ x: UnsafePointer<Float>, _ w: Weight, bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false, roundOutput: Bool = true) {
        guard case .bf16(let p) = w.storage else { preconditionFailure("LinearBF16Gemv needs bf16 weight storage") }
        precondition(LinearBF16.isAvailable, "LinearBF16Gemv needs AVX512-BF16 (check LinearBF16.isAvailable)")
        let (n, k) = (w.outFeatures, w.inFeatures)
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: max(k, 1)) { xb in
            sp_f32_to_bf16(x, xb.baseAddress!, k)
            let xbp = UnsafePointer(xb.baseAddress!)
            Parallel.forRange(n, grain: 64) { r in
                rows(p, r.lowerBound, r.upperBound, k: k, xb: xbp, bias: bias, y: y, accumulate: accumulate,
                     roundOutput: roundOutput)
            }
        }
    }

    /// The rows `r0..<r1` of ``product(_:_:bias:_:accumulate:roundOutput:)`` on one thread, with the
    /// activation row already rounded (`xb`: `[k]` bf16 bit patterns); writes y[r0..<r1].
    public static func rows(_ w: UnsafePointer<UInt16>, _ r0: Int, _ r1: Int, k: Int, xb: UnsafePointer<UInt16>,
                            bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, accumulate: Bool,
                            roundOutput: Bool) {
        guard r1 > r0 else { return }
        sp_bf16_gemv(w + r0 * k, k, r1 - r0, xb, k, bias.map { $0 + r0 }, y + r0, accumulate ? 1 : 0,
                     roundOutput ? 1 : 0)
    }
}
