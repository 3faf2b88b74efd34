// bf16 GEMM on AVX512-BF16 (vdpbf16ps) and bf16 rounding as PyTorch does it (the CPU checks and
// the loops of `softprompt bench peak` are in peak.c). See softprompt_bf16.h for the contracts.

#include "bf16_kernel.h"

#if defined(__x86_64__)
/// 1 when the CPU runs AVX-512 F and BW (checked once; the narrowing runs on pool threads, so the
/// cached answer is read and written atomically).
static int sp_bf16_rounding_avx512(void) {
    static int cached = -1;
    int h = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
        __atomic_store_n(&cached, h, __ATOMIC_RELAXED);
    }
    return h;
}

static void f32_to_bf16_avx512(const float *src, uint16_t *dst, long n);
#endif

void sp_f32_to_bf16(const float *src, uint16_t *dst, long n) {
#if defined(__x86_64__)
    // Saved activations are narrowed to bf16 every step (≈ 0.5 GB): 16 lanes at a time where the
    // CPU has AVX-512 (round16: the same bits as bf16_bits, NaN included).
    if (sp_bf16_rounding_avx512()) {
        f32_to_bf16_avx512(src, dst, n);
        return;
    }
#endif
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
    if (sp_bf16_rounding_avx512()) {
        round_bf16_avx512(x, n);
        return;
    }
#endif
    round_bf16_scalar(x, n);
}

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

/// dst[0:n] = bf16 bits of src[0:n], 16 lanes per step (round16's rounding, without its BF16 target).
__attribute__((target("avx512f,avx512bw"))) static void f32_to_bf16_avx512(const float *src, uint16_t *dst, long n) {
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7FFF), nan = _mm512_set1_epi32(0x7FC0);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(src + i);
        __m512i u = _mm512_castps_si512(v);
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, bias)), 16);
        r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++) dst[i] = bf16_bits(src[i]);
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
