// bf16 GEMM on AVX512-BF16 (vdpbf16ps) and bf16 rounding as PyTorch does it (the CPU checks and
// the loops of `softprompt bench peak` are in peak.c). See softprompt_bf16.h for the contracts.

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

void sp_f32_to_bf16(const float *src, uint16_t *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = bf16_bits(src[i]);
}

static void round_bf16_scalar(float *x, long n) {
    for (long i = 0; i < n; i++) {
        uint32_t u = (uint32_t)bf16_bits(x[i]) << 16;
        memcpy(x + i, &u, 4);
    }
}

#if defined(__x86_64__)
static void round_bf16_avx512(float *x, long n);
#endif

void sp_round_bf16_inplace(float *x, long n) {
#if defined(__x86_64__)
    // The hidden states of a bf16 model are rounded after every residual add and norm: 16 lanes at
    // a time where the CPU has AVX-512 (the same bits as the scalar loop, tested).
    static int avx512 = -1;
    if (avx512 < 0) {
        __builtin_cpu_init();
        avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    if (avx512) {
        round_bf16_avx512(x, n);
        return;
    }
#endif
    round_bf16_scalar(x, n);
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

size_t sp_bf16_gemm_scratch_bytes(int m, int n, int k) {
    (void)n;
    (void)k;
    size_t rows = (size_t)((m > 0 ? m : 1) + MR - 1) / MR * MR;
    size_t a = rows * (KC / 2) * 4, b = (size_t)(KC / 2) * NC * 4;
    return a + b + 128;
}

/// Packed B (see softprompt_bf16.h): slice s (reduction rows [s·KC, s·KC + kc)) starts at
/// s·(KC/2)·npad uint32, its panel q (columns [64q, 64q + 64)) at q·kc2·NR within the slice.
size_t sp_bf16_packed_b_bytes(int n, int k) {
    size_t npad = (size_t)((n > 0 ? n : 1) + NR - 1) / NR * NR;
    return npad * (size_t)((k > 0 ? k : 1) + 1) / 2 * 4;
}

size_t sp_bf16_gemm_packed_scratch_bytes(int m) {
    size_t rows = (size_t)((m > 0 ? m : 1) + MR - 1) / MR * MR;
    return rows * (KC / 2) * 4 + 128;
}

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

/// x[0:n] → bf16(x[0:n]) as float32, 16 lanes per step (round16's bits, widened back).
__attribute__((target("avx512f,avx512bw"))) static void round_bf16_avx512(float *x, long n) {
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7FFF);
    const __m512i nan = _mm512_set1_epi32(0x7FC00000), top = _mm512_set1_epi32((int)0xFFFF0000u);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512i u = _mm512_castps_si512(v);
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
        __m512i r = _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(lsb, bias)), top);
        r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan);
        _mm512_storeu_si512((void *)(x + i), r);
    }
    round_bf16_scalar(x + i, n - i);
}

/// A[0:m, k0:k0+kc] → blocks of MR rows, each [g][MR][AG]: groups of AG = 16 bf16 pairs (32
/// reduction indices, one cache line) per row, the rows of a group adjacent (kc2 = ceil(kc/2) pairs;
/// the odd tail, the last group's rest and the missing rows of the last block padded with +0). One
/// tile reads one pointer, and each row is rounded straight into place, 32 floats per store.
BF16_TARGET static void pack_a(const float *a, int lda, int m, int k0, int kc, uint32_t *out) {
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

/// B's reduction rows [k0, k0+kc) × columns [j0, j0+nr) → panel [kc2][NR] pairs, zero padded.
/// Whole 16 × 16 blocks of pairs go through registers (a transpose for transB, a widening
/// interleave otherwise); the edges pair by pair (the same values either way).
BF16_TARGET static void pack_b(int transB, const uint16_t *b, int ldb, int k0, int kc, int j0, int nr, uint32_t *out) {
    int kc2 = (kc + 1) / 2, full = kc / 2;  // pairs with both rows present
    if (transB) {
        // B stored [n][k]: a column's pairs are adjacent (little-endian: B(2p) low, B(2p+1) high).
        int jv = nr / 16 * 16, pv = full / 16 * 16;
        for (int j = 0; j < jv; j += 16)
            for (int p = 0; p < pv; p += 16) {
                __m512i r[16];
                for (int c = 0; c < 16; c++)
                    r[c] = _mm512_loadu_si512((const void *)(b + (size_t)(j0 + j + c) * ldb + k0 + 2 * p));
                transpose16(r);
                for (int e = 0; e < 16; e++) _mm512_storeu_si512((void *)(out + (size_t)(p + e) * NR + j), r[e]);
            }
        for (int j = 0; j < nr; j++) {
            const uint16_t *col = b + (size_t)(j0 + j) * ldb + k0;
            int p = j < jv ? pv : 0;
            for (; p < full; p++) {
                uint32_t v;
                memcpy(&v, col + 2 * p, 4);
                out[(size_t)p * NR + j] = v;
            }
            if (full < kc2) out[(size_t)full * NR + j] = col[2 * full];
        }
    } else {
        for (int p = 0; p < kc2; p++) {
            uint32_t *row = out + (size_t)p * NR;
            const uint16_t *r0 = b + (size_t)(k0 + 2 * p) * ldb + j0;
            int j = 0;
            if (p < full) {
                const uint16_t *r1 = r0 + ldb;
                for (; j + 16 <= nr; j += 16) {
                    __m512i lo = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(r0 + j)));
                    __m512i hi = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(r1 + j)));
                    _mm512_storeu_si512((void *)(row + j), _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
                }
                for (; j < nr; j++) row[j] = (uint32_t)r0[j] | ((uint32_t)r1[j] << 16);
            } else {
                for (; j < nr; j++) row[j] = r0[j];
            }
        }
    }
    if (nr < NR)
        for (int p = 0; p < kc2; p++) memset(out + (size_t)p * NR + nr, 0, (size_t)(NR - nr) * 4);
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

BF16_TARGET static void tile_any(int rows, const uint32_t *ap, int kc2, const uint32_t *bp, float *c, int ldc,
                                 int nr, int add) {
    switch (rows) {
#define ROWS(R) \
    case R: tile(R, ap, kc2, bp, c, ldc, nr, add); break;
        ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5)
#undef ROWS
        default: break;
    }
}

BF16_TARGET void sp_bf16_gemm(int transB, int m, int n, int k, const float *a, int lda, const uint16_t *b,
                              int ldb, float *c, int ldc, int accumulate, int round_out, void *scratch) {
    if (m <= 0 || n <= 0) return;
    uintptr_t base = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    uint32_t *apack = (uint32_t *)base;
    uint32_t *bpanel = apack + (size_t)(m + MR - 1) / MR * MR * (KC / 2);
    if (k <= 0 && !accumulate)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC, kc2 = (kc + 1) / 2, ka = (kc2 + AG - 1) / AG * AG;
        int add = accumulate || k0 > 0;
        pack_a(a, lda, m, k0, kc, apack);
        for (int c0 = 0; c0 < n; c0 += NC) {
            int nc = n - c0 < NC ? n - c0 : NC;
            for (int j = 0; j < nc; j += NR)
                pack_b(transB, b, ldb, k0, kc, c0 + j, nc - j < NR ? nc - j : NR, bpanel + (size_t)j * kc2);
            for (int m0 = 0; m0 < m; m0 += MC) {
                int m1 = m - m0 < MC ? m : m0 + MC;
                for (int j = 0; j < nc; j += NR) {
                    int nr = nc - j < NR ? nc - j : NR;
                    const uint32_t *bp = bpanel + (size_t)j * kc2;
                    float *cc = c + c0 + j;
                    int i0 = m0;
                    for (; i0 + MR <= m1; i0 += MR)
                        tile(MR, apack + (size_t)i0 * ka, kc2, bp, cc + (size_t)i0 * ldc, ldc, nr, add);
                    if (i0 < m1) tile_any(m1 - i0, apack + (size_t)i0 * ka, kc2, bp, cc + (size_t)i0 * ldc, ldc, nr, add);
                }
            }
        }
    }
    if (round_out)
        for (int i = 0; i < m; i++) sp_round_bf16_inplace(c + (size_t)i * ldc, n);
}

void sp_bf16_pack_b(int transB, int n, int k, const uint16_t *b, int ldb, int q0, int q1, uint32_t *out) {
    size_t npad = (size_t)(n + NR - 1) / NR * NR;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC, kc2 = (kc + 1) / 2;
        uint32_t *slice = out + (size_t)(k0 / KC) * (KC / 2) * npad;
        for (int q = q0; q < q1; q++) {
            int j0 = q * NR, nr = n - j0 < NR ? n - j0 : NR;
            if (nr <= 0) break;
            pack_b(transB, b, ldb, k0, kc, j0, nr, slice + (size_t)q * kc2 * NR);
        }
    }
}

BF16_TARGET void sp_bf16_gemm_packed(int m, int n, int k, const float *a, int lda, const uint32_t *bpacked, float *c,
                                     int ldc, int accumulate, int round_out, void *scratch) {
    if (m <= 0 || n <= 0) return;
    uint32_t *apack = (uint32_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    size_t npad = (size_t)(n + NR - 1) / NR * NR;
    if (k <= 0 && !accumulate)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC, kc2 = (kc + 1) / 2, ka = (kc2 + AG - 1) / AG * AG;
        int add = accumulate || k0 > 0;
        const uint32_t *slice = bpacked + (size_t)(k0 / KC) * (KC / 2) * npad;
        pack_a(a, lda, m, k0, kc, apack);
        // Same order as sp_bf16_gemm: NC columns (768 KiB of panels) × MC-row blocks of A.
        for (int c0 = 0; c0 < n; c0 += NC) {
            int nc = n - c0 < NC ? n - c0 : NC;
            for (int m0 = 0; m0 < m; m0 += MC) {
                int m1 = m - m0 < MC ? m : m0 + MC;
                for (int j = 0; j < nc; j += NR) {
                    int nr = nc - j < NR ? nc - j : NR;
                    const uint32_t *bp = slice + (size_t)((c0 + j) / NR) * kc2 * NR;
                    float *cc = c + c0 + j;
                    int i0 = m0;
                    for (; i0 + MR <= m1; i0 += MR)
                        tile(MR, apack + (size_t)i0 * ka, kc2, bp, cc + (size_t)i0 * ldc, ldc, nr, add);
                    if (i0 < m1) tile_any(m1 - i0, apack + (size_t)i0 * ka, kc2, bp, cc + (size_t)i0 * ldc, ldc, nr, add);
                }
            }
        }
    }
    if (round_out)
        for (int i = 0; i < m; i++) sp_round_bf16_inplace(c + (size_t)i * ldc, n);
}

#else
void sp_bf16_gemm(int transB, int m, int n, int k, const float *a, int lda, const uint16_t *b, int ldb, float *c,
                  int ldc, int accumulate, int round_out, void *scratch) {
    (void)transB, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c, (void)ldc;
    (void)accumulate, (void)round_out, (void)scratch;
}
void sp_bf16_pack_b(int transB, int n, int k, const uint16_t *b, int ldb, int q0, int q1, uint32_t *out) {
    (void)transB, (void)n, (void)k, (void)b, (void)ldb, (void)q0, (void)q1, (void)out;
}
void sp_bf16_gemm_packed(int m, int n, int k, const float *a, int lda, const uint32_t *bpacked, float *c, int ldc,
                         int accumulate, int round_out, void *scratch) {
    (void)m, (void)n, (void)k, (void)a, (void)lda, (void)bpacked, (void)c, (void)ldc, (void)accumulate;
    (void)round_out, (void)scratch;
}
#endif
