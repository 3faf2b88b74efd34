// The pieces of the AVX512-BF16 GEMM shared by its drivers (bf16.c: the Linear products on bf16
// weights; bf16_ff.c: attention's products of two float32 operands holding bf16 values): the
// rounding, the blocking constants, A's packing and the 6 × 64 micro-kernel. Private to CBLAS.
#ifndef SOFTPROMPT_BF16_KERNEL_H
#define SOFTPROMPT_BF16_KERNEL_H

#include "softprompt_bf16.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// PyTorch's c10::BFloat16 rounding (round_to_nearest_even): NaN → 0x7FC0, otherwise add
/// 0x7FFF plus the lowest kept bit and truncate.
static inline uint16_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if (f != f) return 0x7FC0;
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}


// Blocking. Shapes: A block [KC/32 groups][MR rows][16 pairs] (uint32 = two bf16), B panel [KC/2 pairs][NR]
// uint32 (pair p of column j holds B(2p, j) low and B(2p+1, j) high), C tile [MR][NR] float32 in
// 24 zmm accumulators (6 rows × 4 × 16 columns: 6 broadcasts and 4 loads per 24 vdpbf16ps). Per KC
// slice of the reduction: A packed for all rows, then B in chunks of NC columns (768 KiB) and A in
// MC-row blocks (180 KiB); one tile reads a 96 KiB B panel and a 9 KiB A block, and prefetches its C
// tile first. Measured on Zen 4 (one thread, thread CPU time, GFLOPS for 2048×768×2304 x·Wᵀ /
// 2048×3072×768 dY·W): 6×64 tile 198 / –, 12×32 170 / –; C prefetch 160 → 190; KC 256 → 768
// 185 / 158 → 210 / 183 (fewer passes over C). Packing A and B through registers (A rounded
// straight into 16-pair groups, B transposed 16 × 16 / interleaved 16 columns at a time) and
// prefetching A's rows ahead: 1104-row products (one of two threads) 79–80 % → 87 % of the one-core
// peak where the reduction is 2304–3072 long, 77 → 83 % for the LM head's backward (see
// docs/PERFORMANCE.md); the products are summed in the same order, so C is bit-identical.
enum { MR = 6, NR = 64, KC = SP_BF16_KC, NC = 512, MC = 120, AG = 16 };
_Static_assert(MR <= 6 && NR % 16 == 0 && NC % NR == 0 && KC % (2 * AG) == 0, "tile_any covers 1…5 rows");

#if defined(__x86_64__)
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/// 16 floats → 16 bf16 (PyTorch rounding), AVX-512.
BF16_TARGET static inline __m256i round16(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), _mm512_set1_epi32(0x7FC0));
    return _mm512_cvtepi32_epi16(r);
}

/// A[0:m, k0:k0+kc] → blocks of MR rows, each [g][MR][AG]: groups of AG = 16 bf16 pairs (32
/// reduction indices, one cache line) per row, the rows of a group adjacent (kc2 = ceil(kc/2) pairs;
/// the odd tail, the last group's rest and the missing rows of the last block padded with +0). One
/// tile reads one pointer, and each row is rounded straight into place, 32 floats per store.
BF16_TARGET static inline void pack_a(const float *a, int lda, int m, int k0, int kc, uint32_t *out) {
    int kc2 = (kc + 1) / 2, groups = (kc2 + AG - 1) / AG;
    for (int i0 = 0; i0 < m; i0 += MR) {
        uint32_t *block = out + (size_t)(i0 / MR) * groups * AG * MR;
        for (int r = 0; r < MR; r++) {
            int i = i0 + r;
            const float *src = a + (size_t)i * lda + k0;
            for (int g = 0; g < groups; g++) {
                uint32_t *dst = block + ((size_t)g * MR + r) * AG;
                int j = 2 * AG * g;
                if (i < m && j + 2 * AG <= kc) {
                    // A row's slice is only kc floats: fetch the row two ahead (the prefetcher
                    // barely ramps up on 3 KiB streams; measured 4–5 GB/s from DRAM without this).
                    _mm_prefetch((const char *)(src + 2 * (size_t)lda + j), _MM_HINT_T0);
                    _mm_prefetch((const char *)(src + 2 * (size_t)lda + j + 16), _MM_HINT_T0);
                    __m256i lo = round16(_mm512_loadu_ps(src + j)), hi = round16(_mm512_loadu_ps(src + j + 16));
                    _mm512_store_si512((void *)dst, _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
                } else {
                    uint16_t *d16 = (uint16_t *)dst;
                    for (int t = 0; t < 2 * AG; t++) d16[t] = i < m && j + t < kc ? bf16_bits(src[j + t]) : 0;
                }
            }
        }
    }
}

/// 16 × 16 uint32 transpose in registers: r[i] element e → r[e] element i.
BF16_TARGET static inline void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i + 0], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i + 0], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int i = 0; i < 2; i++)
        for (int e = 0; e < 4; e++) {
            t[8 * i + e] = _mm512_shuffle_i32x4(r[8 * i + e], r[8 * i + 4 + e], 0x88);
            t[8 * i + 4 + e] = _mm512_shuffle_i32x4(r[8 * i + e], r[8 * i + 4 + e], 0xdd);
        }
    for (int e = 0; e < 8; e++) {
        r[e] = _mm512_shuffle_i32x4(t[e], t[8 + e], 0x88);
        r[8 + e] = _mm512_shuffle_i32x4(t[e], t[8 + e], 0xdd);
    }
}

/// C[rows × nr] (+)= Apack[groups][MR][AG] · Bpanel[kc2][NR]; rows ≤ MR (a constant after inlining).
/// The pairs are summed in order p = 0, 1, …, kc2 − 1 per accumulator.
BF16_TARGET static inline __attribute__((always_inline)) void tile(int rows, const uint32_t *ap, int kc2,
                                                                  const uint32_t *bp, float *c, int ldc, int nr,
                                                                  int add) {
    enum { NV = NR / 16 };
    __m512 acc[MR][NV];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < NV; v++) {
            acc[r][v] = _mm512_setzero_ps();
            // C's lines are far apart (one row each): fetch them while the products run.
            _mm_prefetch((const char *)(c + (size_t)r * ldc + 16 * v), _MM_HINT_T0);
        }
#define STEP(P, AOFF)                                                                                    \
    do {                                                                                                 \
        __m512bh bv[NV];                                                                                 \
        for (int v = 0; v < NV; v++) bv[v] = (__m512bh)_mm512_loadu_si512(bp + (size_t)(P) * NR + 16 * v); \
        for (int r = 0; r < rows; r++) {                                                                 \
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)ag[r * AG + (AOFF)]);                          \
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);             \
        }                                                                                                \
    } while (0)
    const uint32_t *ag = ap;
    int p = 0;
    for (; p + AG <= kc2; p += AG, ag += MR * AG) {
#pragma clang loop unroll(full)
        for (int q = 0; q < AG; q++) STEP(p + q, q);
    }
    for (int q = 0; p < kc2; p++, q++) STEP(p, q);
#undef STEP
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int v = 0; v < NV; v++) {
            int left = nr - 16 * v;
            __mmask16 mk = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
            __m512 x = acc[r][v];
            if (add) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, cr + 16 * v));
            _mm512_mask_storeu_ps(cr + 16 * v, mk, x);
        }
    }
}

BF16_TARGET static inline void tile_any(int rows, const uint32_t *ap, int kc2, const uint32_t *bp, float *c, int ldc,
                                 int nr, int add) {
    switch (rows) {
#define ROWS(R) \
    case R: tile(R, ap, kc2, bp, c, ldc, nr, add); break;
        ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5)
#undef ROWS
        default: break;
    }
}
#endif

#endif
