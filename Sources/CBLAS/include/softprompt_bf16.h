#ifndef SOFTPROMPT_BF16_H
#define SOFTPROMPT_BF16_H
/*
 * bfloat16 compute on AVX512-BF16 (`vdpbf16ps`), and the loops `softprompt bench peak` measures.
 *
 * The functions marked "AVX512-BF16 only" are compiled for that ISA alone (a target attribute, so
 * the rest of the binary stays generic): call them only when sp_cpu_has_avx512_bf16() is 1.
 * bf16 values are raw uint16 bit patterns (the top half of a float32).
 */
#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU and OS run AVX-512 F/BW/VL and AVX512-BF16 (vdpbf16ps, vcvtne2ps2bf16).
int sp_cpu_has_avx512_bf16(void);

/// 1 when the CPU and OS run AVX2 (the bandwidth loop's loads).
int sp_cpu_has_avx2(void);

/// `n` rounds of 12 independent 512-bit vdpbf16ps chains (64 flops each). AVX512-BF16 only.
float sp_bf16_dp_loop(long n);

/// Sum of `n` floats read with 256-bit loads and 8 independent accumulators: a read-bandwidth
/// loop (AVX2 only; `p` 32-byte aligned, `n` a multiple of 64).
float sp_read_sum_avx2(const float *p, long n);

/// float32 → bf16 exactly as PyTorch's `tensor.to(torch.bfloat16)`: round to nearest even, every
/// NaN to 0x7FC0, subnormals kept. Portable (no ISA requirement).
void sp_f32_to_bf16(const float *src, uint16_t *dst, long n);

/// Rounds each float of `x` to the nearest bf16 (as sp_f32_to_bf16) in place, kept as float32.
void sp_round_bf16_inplace(float *x, long n);

/// Reduction rows per slice: the kernels sum op(B) in slices of this many rows (768).
#define SP_BF16_KC 768

/// Bytes of scratch one sp_bf16_gemm call needs for these sizes (one buffer per thread).
size_t sp_bf16_gemm_scratch_bytes(int m, int n, int k);

/// Row-major C[m,n] = A[m,k]·op(B), or C += … when `accumulate` is 1. AVX512-BF16 only.
///   A: float32 (lda ≥ k), each element rounded to bf16 (as sp_f32_to_bf16) before the product;
///   B: bf16; transB = 1: stored [n][k] (ldb ≥ k), the Linear forward y = x·Wᵀ;
///              transB = 0: stored [k][n] (ldb ≥ n), the Linear backward-to-input dX = dY·W;
///   products summed in float32 by vdpbf16ps (two bf16 products per lane per step, as oneDNN);
///   round_out = 1 rounds every C element to bf16 at the end (a bf16 Linear's output).
/// `scratch` holds sp_bf16_gemm_scratch_bytes(m, n, k) bytes, 64-byte aligned. Single-threaded:
/// callers split the n range across threads.
void sp_bf16_gemm(int transB, int m, int n, int k, const float *a, int lda, const uint16_t *b, int ldb, float *c,
                  int ldc, int accumulate, int round_out, void *scratch);

/// Bytes of op(B)[k][n] packed by sp_bf16_pack_b: ceil(k/2) pairs × n rounded up to 64, 4 bytes each.
size_t sp_bf16_packed_b_bytes(int n, int k);

/// Packs the 64-column panels q0 ≤ q < q1 of op(B) (bf16; transB as in sp_bf16_gemm) into the
/// layout sp_bf16_gemm_packed reads: slice s (reduction rows [s·SP_BF16_KC, …)) at
/// s·(SP_BF16_KC/2)·npad uint32 (npad = n rounded up to 64), its panel q at q·kc2·64 within the
/// slice (kc2 = the slice's rows halved, rounded up), each panel [kc2][64] pairs (row 2p low, 2p+1
/// high; padding zero). Disjoint panel ranges may be packed by different threads. AVX512-BF16 only.
void sp_bf16_pack_b(int transB, int n, int k, const uint16_t *b, int ldb, int q0, int q1, uint32_t *out);

/// Bytes of scratch one sp_bf16_gemm_packed call over `m` rows needs.
size_t sp_bf16_gemm_packed_scratch_bytes(int m);

/// sp_bf16_gemm with op(B) already packed (sp_bf16_pack_b with the same n, k): C[m,n] (+)= A·op(B),
/// same rounding. Single-threaded; threads that share one packed B take disjoint rows of A and C.
/// AVX512-BF16 only.
void sp_bf16_gemm_packed(int m, int n, int k, const float *a, int lda, const uint32_t *bpacked, float *c, int ldc,
                         int accumulate, int round_out, void *scratch);

/// Bytes of scratch one sp_bf16_gemm_ff call needs for these sizes.
size_t sp_bf16_gemm_ff_scratch_bytes(int m, int n, int k);

/// Row-major C[m,n] = op(A)[m,k]·op(B)[k,n], or C += … when `accumulate` is 1, with both operands
/// float32 arrays: every element of A and B is rounded to bf16 (as sp_f32_to_bf16; exact for values
/// that are already bf16) while packing, and the products are summed in float32 by vdpbf16ps in
/// the same pair order as sp_bf16_gemm. transA = 0: A stored [m][k] (lda ≥ k); 1: stored [k][m]
/// (lda ≥ m). transB = 1: B stored [n][k] (ldb ≥ k); 0: stored [k][n] (ldb ≥ n). round_out = 1
/// rounds every C element to bf16 at the end. For attention's products in a bf16 model (q·kᵀ, P·V,
/// dO·Vᵀ, Pᵀ·dO, dS·K, dSᵀ·Q). `scratch`: sp_bf16_gemm_ff_scratch_bytes(m, n, k) bytes (any
/// alignment). Single-threaded. AVX512-BF16 only.
void sp_bf16_gemm_ff(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                     float *c, int ldc, int accumulate, int round_out, void *scratch);

/// Packs float32 op(B) (rounded to bf16; transB as in sp_bf16_gemm_ff) whole into the layout of
/// sp_bf16_pack_b: sp_bf16_packed_b_bytes(n, k) bytes. For B reused by many products (a head's keys
/// and values against all its query blocks). AVX512-BF16 only.
void sp_bf16_pack_ff(int transB, int n, int k, const float *b, int ldb, uint32_t *out);

/// C[m, n] (+)= op(A)[m, k0..<k1] · B[k0..<k1, j0..<j0+n] with B packed by sp_bf16_pack_ff(…, npack,
/// kpack, …): a window of its reduction rows (k0 even) and of its columns (j0 a multiple of 64).
/// `a` points at A's element (row 0, reduction index k0); transA as in sp_bf16_gemm_ff. An odd
/// window's last pair meets B's row k1 (or the packing's zero): A's padding is +0 there, so C is
/// unchanged by it when that row is finite. With k0 = 0, j0 = 0 and the whole of B, C is
/// bit-identical to sp_bf16_gemm_ff. Scratch: sp_bf16_gemm_ff_scratch_bytes(m, n, k1 − k0).
/// AVX512-BF16 only.
void sp_bf16_gemm_ff_packed(int transA, int m, int n, int k0, int k1, int j0, const float *a, int lda,
                            const uint32_t *bpacked, int npack, int kpack, float *c, int ldc, int accumulate,
                            int round_out, void *scratch);

#endif
