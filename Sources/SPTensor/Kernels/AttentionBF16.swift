// Attention's matrix products in a bf16 model (AttentionOptions.bf16) on the AVX512-BF16 GEMM
// (Sources/CBLAS/bf16_ff.c), as PyTorch runs `matmul` on bf16 q, k, v: bf16 operands, float32 sums
// (vdpbf16ps), and for the forward products the result rounded to bf16. The operands are float32
// arrays holding bf16 values (q/k/v are bf16 Linear outputs, the probabilities are rounded, dO is a
// bf16 Linear's input gradient); the softmax gradient dS is float32 and is rounded to bf16 while it
// is packed, as PyTorch's bf16 autograd holds it.

import CBLAS

extension Attention {
    /// The bf16 products of one (batch, head) task. Without AVX512-BF16, `Plan.bf16GEMM` is false and
    /// the products stay on BLAS.sgemm.
    enum BF16Products {
        /// Scratch floats for the products of blocks of up to `rows` query rows against `keys` keys:
        /// the largest of q·kᵀ / dO·Vᵀ [rows, keys, HD], P·V / dS·K [rows, HD, keys] and
        /// Pᵀ·dO / dSᵀ·Q [keys, HD, rows].
        static func scratchFloats(rows: Int, keys: Int, headDim: Int) -> Int {
            let shapes = [(rows, keys, headDim), (rows, headDim, keys), (keys, headDim, rows)]
            let bytes = shapes.map { sp_bf16_gemm_ff_scratch_bytes(Int32($0.0), Int32($0.1), Int32($0.2)) }.max()!
            return bytes / 4 + 1
        }

        /// C[m,n] (+)= op(A)[m,k]·op(B)[k,n] on bf16 operands (rounded while packed), float32 sums;
        /// `round`: C rounded to bf16. transA: A stored `[k][m]`; transB: B stored `[n][k]`.
        @inline(__always)
        static func gemm(transA: Bool = false, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         accumulate: Bool = false, round: Bool = false, scratch: UnsafeMutablePointer<Float>) {
            sp_bf16_gemm_ff(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb),
                            c, Int32(ldc), accumulate ? 1 : 0, round ? 1 : 0, scratch)
        }
    }
}
