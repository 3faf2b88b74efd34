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

        /// Floats of one head's K or V packed for the bf16 GEMM either way (``pack(_:ld:keys:headDim:byKey:into:)``).
        static func packedFloats(keys: Int, headDim: Int) -> Int {
            max(sp_bf16_packed_b_bytes(Int32(keys), Int32(headDim)), sp_bf16_packed_b_bytes(Int32(headDim), Int32(keys))) / 4 + 1
        }

        /// Packs a head's `[S, HD]` keys or values `x` (row stride `ld`) once for all its query blocks:
        /// `byKey`, as B of X·xᵀ (q·kᵀ, dO·Vᵀ: the keys are C's columns); otherwise as B of Y·x (P·V,
        /// dS·K: the keys are the reduction). Each element of the head is used by every block, and
        /// packing it per 32-row block cost about as much as the products' multiply work.
        /// `into` holds ``packedFloats(keys:headDim:)``.
        static func pack(_ x: UnsafePointer<Float>, ld: Int, keys: Int, headDim: Int, byKey: Bool,
                         into: UnsafeMutablePointer<Float>) -> PackedHead {
            let data = UnsafeMutableRawPointer(into).assumingMemoryBound(to: UInt32.self)
            if byKey {
                sp_bf16_pack_ff(1, Int32(keys), Int32(headDim), x, Int32(ld), data)
            } else {
                sp_bf16_pack_ff(0, Int32(headDim), Int32(keys), x, Int32(ld), data)
            }
            return PackedHead(data: data, byKey: byKey, keys: keys, headDim: headDim)
        }

        /// C[rows, c0r..<c1] = X[rows, HD] · xᵀ[:, c0r..<c1] for a packed head x; c0r is `c0` rounded
        /// down to 64, so columns c0r..<c0 are written too (`c` points at column 0 of C's first row).
        static func timesTransposed(_ x: PackedHead, rows: Int, _ a: UnsafePointer<Float>, lda: Int, c0: Int, c1: Int,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, round: Bool,
                                    scratch: UnsafeMutablePointer<Float>) {
            precondition(x.byKey, "timesTransposed needs a head packed byKey")
            let c0r = c0 / 64 * 64
            sp_bf16_gemm_ff_packed(0, Int32(rows), Int32(c1 - c0r), 0, Int32(x.headDim), Int32(c0r), a, Int32(lda),
                                   x.data, Int32(x.keys), Int32(x.headDim), c + c0r, Int32(ldc), 0, round ? 1 : 0, scratch)
        }

        /// C[rows, HD] (+)= Y[rows, c0..<c1] · x[c0..<c1, HD] for a packed head x (`y` points at column 0
        /// of Y's first row). The packed pairs start at an even key, so with c0 odd Y's column c0 − 1
        /// is set to 0 first (a masked key: its probability or score gradient is 0 anyway).
        static func times(_ x: PackedHead, rows: Int, _ y: UnsafeMutablePointer<Float>, ldy: Int, c0: Int, c1: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, round: Bool,
                          scratch: UnsafeMutablePointer<Float>) {
            precondition(!x.byKey, "times needs a head packed by dimension")
            let c0e = c0 & ~1
            if c0e < c0 { for r in 0..<rows { y[r * ldy + c0e] = 0 } }
            sp_bf16_gemm_ff_packed(0, Int32(rows), Int32(x.headDim), Int32(c0e), Int32(c1), 0, y + c0e, Int32(ldy),
                                   x.data, Int32(x.headDim), Int32(x.keys), c, Int32(ldc), accumulate ? 1 : 0,
                                   round ? 1 : 0, scratch)
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

    /// One head's keys or values packed for the bf16 GEMM (``BF16Products/pack(_:ld:keys:headDim:byKey:into:)``).
    struct PackedHead {
        let data: UnsafeMutablePointer<UInt32>
        /// True: as B of X·xᵀ (keys are the columns); false: as B of Y·x (keys are the reduction).
        let byKey: Bool
        let keys: Int, headDim: Int
    }
}
