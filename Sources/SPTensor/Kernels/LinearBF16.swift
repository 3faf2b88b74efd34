// Linear layer computed in bfloat16, as PyTorch runs a model cast to torch.bfloat16 on a CPU:
// inputs rounded to bf16, bf16 weights, products summed in float32 by AVX512-BF16 `vdpbf16ps`
// (Sources/CBLAS/bf16.c), output rounded to bf16. Activations stay float32 arrays holding
// bf16-representable values, so the rest of the model needs no second element type.

import CBLAS

/// `nn.Linear` forward and input-gradient on bf16 dot products (weights frozen: no dW).
public enum LinearBF16 {
    /// True when this CPU runs the kernels (AVX-512 F/BW/VL and AVX512-BF16). Every other entry
    /// point requires it; callers fall back to ``Linear`` (float32) without it.
    public static let isAvailable: Bool = sp_cpu_has_avx512_bf16() != 0

    /// y[M,N] = bf16(bf16(x)[M,K]·Wᵀ + b)   (W bf16, logical `[N,K]`, stored `[N,K]`)
    ///
    /// - Parameters:
    ///   - x: `[m, w.inFeatures]`, float32; each element is rounded to bf16 before the product.
    ///   - w: a weight with `.bf16` storage.
    ///   - bias: optional `[w.outFeatures]`, added in float32 before the output rounding.
    ///   - y: `[m, w.outFeatures]`, row stride `ldy` (default `w.outFeatures`).
    ///   - accumulate: adds into `y` (before the rounding) instead of overwriting it.
    ///   - roundOutput: rounds y to bf16 (a bf16 model's Linear output); false keeps the float32 sums.
    public static func forward(_ x: UnsafePointer<Float>, _ w: Weight, bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, m: Int, accumulate: Bool = false, ldy: Int? = nil,
                               roundOutput: Bool = true) {
        guard case .bf16(let p) = w.storage else { preconditionFailure("LinearBF16 needs bf16 weight storage") }
        precondition(isAvailable, "LinearBF16 needs AVX512-BF16 (check LinearBF16.isAvailable)")
        let (n, k) = (w.outFeatures, w.inFeatures)
        let ldc = ldy ?? n
        var add = accumulate
        if let bias {
            for i in 0..<m {
                let row = y + i * ldc
                if accumulate { for j in 0..<n { row[j] += bias[j] } } else { row.update(from: bias, count: n) }
            }
            add = true
        }
        gemm(transB: true, m: m, n: n, k: k, a: x, lda: k, b: p, ldb: k, c: y, ldc: ldc, accumulate: add,
             round: roundOutput)
    }

    /// dx[M,K] = bf16(bf16(dy)[M,N]·W)   (W bf16 `[N,K]`); `accumulate` adds into dx before rounding.
    /// `lddy`: dy's row stride (default `w.outFeatures`).
    public static func backwardInput(_ dy: UnsafePointer<Float>, _ w: Weight, _ dx: UnsafeMutablePointer<Float>,
                                     m: Int, accumulate: Bool = false, lddy: Int? = nil, roundOutput: Bool = true) {
        guard case .bf16(let p) = w.storage else { preconditionFailure("LinearBF16 needs bf16 weight storage") }
        precondition(isAvailable, "LinearBF16 needs AVX512-BF16 (check LinearBF16.isAvailable)")
        let (n, k) = (w.outFeatures, w.inFeatures)
        gemm(transB: false, m: m, n: k, k: n, a: dy, lda: lddy ?? n, b: p, ldb: k, c: dx, ldc: k, accumulate: accumulate,
             round: roundOutput)
    }

    /// C[m,n] (+)= bf16(A)[m,k]·op(B), the output columns split over ``ThreadPool/shared`` in
    /// multiples of 64 (the micro-kernel's width); each part packs its own A copy and B panels.
    /// transB: B stored `[n][k]`; otherwise `[k][n]`.
    static func gemm(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<UInt16>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                     accumulate: Bool, round: Bool) {
        if m <= 0 || n <= 0 { return }
        let blocks = (n + 63) / 64
        // One part per thread when each gets enough work to pay for its copy of A.
        let parts = min(ThreadPool.shared.threads, blocks, max(1, m * n * k / (1 << 18)))
        let bytes = sp_bf16_gemm_scratch_bytes(Int32(m), Int32(n), Int32(k))
        func run(_ part: Int) {
            let j0 = min(n, blocks * part / parts * 64), j1 = min(n, blocks * (part + 1) / parts * 64)
            if j1 <= j0 { return }
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer { scratch.deallocate() }
            let bOffset = transB ? j0 * ldb : j0
            sp_bf16_gemm(transB ? 1 : 0, Int32(m), Int32(j1 - j0), Int32(k), a, Int32(lda), b + bOffset, Int32(ldb),
                         c + j0, Int32(ldc), accumulate ? 1 : 0, round ? 1 : 0, scratch)
        }
        if parts == 1 { run(0) } else { ThreadPool.shared.run(parts: parts) { run($0) } }
    }

    /// Rounds `n` floats to the nearest bf16 in place (PyTorch's `.to(torch.bfloat16)`, kept as float32).
    public static func roundToBF16(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        sp_round_bf16_inplace(x, n)
    }
}
