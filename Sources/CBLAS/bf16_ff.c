// The bf16 GEMM with both operands float32 arrays (rounded to bf16 while packing): the attention
// products of a bf16 model (q·kᵀ, P·V and their backward products), whose operands are activations,
// not stored weights. Same micro-kernel and pair order as the Linear GEMM (bf16_kernel.h); A may be
// transposed (dK = dSᵀ·Q and dV = Pᵀ·dO sum over query rows). See softprompt_bf16.h for the contract.

#include "bf16_kernel.h"

size_t sp_bf16_gemm_ff_scratch_bytes(int m, int n, int k) {
    size_t rows = (size_t)((m > 0 ? m : 1) + MR - 1) / MR * MR;
    size_t kc = (size_t)(k < 1 ? 1 : k > KC ? KC : k), kc2 = (kc + 1) / 2, ka = (kc2 + AG - 1) / AG * AG;
    size_t npad = (size_t)((n > 0 ? n : 1) + NR - 1) / NR * NR;
    return (rows * ka + npad * kc2) * 4 + 128;
}

#if defined(__x86_64__)

/// 16 floats → their bf16 bits (round16's rounding) in the low half of each 32-bit lane.
BF16_TARGET static inline __m512i round16w(__m512 x) { return _mm512_cvtepu16_epi32(round16(x)); }

/// 32 consecutive floats → 16 pairs (element 2p low, 2p + 1 high), rounded.
BF16_TARGET static inline __m512i pairs32(const float *src) {
    __m256i lo = round16(_mm512_loadu_ps(src)), hi = round16(_mm512_loadu_ps(src + 16));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/// Rows 2p and 2p + 1 of 16 columns → 16 pairs, rounded.
BF16_TARGET static inline __m512i pairs2x16(const float *r0, const float *r1) {
    __m512i lo = round16w(_mm512_loadu_ps(r0)), hi = round16w(_mm512_loadu_ps(r1));
    return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
}

/// float32 B's reduction rows [k0, k0+kc) × columns [j0, j0+nr) → panel [kc2][NR] pairs of bf16,
/// zero padded (the layout bf16.c's pack_b writes from bf16 B). transB: B stored [n][k].
BF16_TARGET static void pack_b_f32(int transB, const float *b, int ldb, int k0, int kc, int j0, int nr, uint32_t *out) {
    int kc2 = (kc + 1) / 2, full = kc / 2;
    if (transB) {
        int jv = nr / 16 * 16, pv = full / 16 * 16;
        for (int j = 0; j < jv; j += 16)
            for (int p = 0; p < pv; p += 16) {
                __m512i r[16];
                for (int c = 0; c < 16; c++) r[c] = pairs32(b + (size_t)(j0 + j + c) * ldb + k0 + 2 * p);
                transpose16(r);
                for (int e = 0; e < 16; e++) _mm512_storeu_si512((void *)(out + (size_t)(p + e) * NR + j), r[e]);
            }
        for (int j = 0; j < nr; j++) {
            const float *col = b + (size_t)(j0 + j) * ldb + k0;
            for (int p = j < jv ? pv : 0; p < full; p++)
                out[(size_t)p * NR + j] = (uint32_t)bf16_bits(col[2 * p]) | (uint32_t)bf16_bits(col[2 * p + 1]) << 16;
            if (full < kc2) out[(size_t)full * NR + j] = bf16_bits(col[2 * full]);
        }
    } else {
        for (int p = 0; p < kc2; p++) {
            uint32_t *row = out + (size_t)p * NR;
            const float *r0 = b + (size_t)(k0 + 2 * p) * ldb + j0;
            int j = 0;
            if (p < full) {
                const float *r1 = r0 + ldb;
                for (; j + 16 <= nr; j += 16) _mm512_storeu_si512((void *)(row + j), pairs2x16(r0 + j, r1 + j));
                for (; j < nr; j++) row[j] = (uint32_t)bf16_bits(r0[j]) | (uint32_t)bf16_bits(r1[j]) << 16;
            } else {
                for (; j < nr; j++) row[j] = bf16_bits(r0[j]);
            }
        }
    }
    if (nr < NR)
        for (int p = 0; p < kc2; p++) memset(out + (size_t)p * NR + nr, 0, (size_t)(NR - nr) * 4);
}

/// pack_a for A stored transposed ([k][m], element (i, kk) at a[kk·lda + i]): the same blocks
/// [g][MR][AG], zero padded. 16 rows × 16 pairs go through registers (rows 2q and 2q + 1 of the
/// reduction interleaved, then transposed so each row's 16 pairs are one store); edges one by one.
BF16_TARGET static void pack_a_t(const float *a, int lda, int m, int k0, int kc, uint32_t *out) {
    int kc2 = (kc + 1) / 2, groups = (kc2 + AG - 1) / AG, ka = groups * AG;
    int mv = m / 16 * 16, gv = kc / (2 * AG);  // rows and groups that go through registers
    for (int i = 0; i < mv; i += 16)
        for (int g = 0; g < gv; g++) {
            __m512i r[16];
            const float *src = a + (size_t)(k0 + 2 * AG * g) * lda + i;
            for (int q = 0; q < AG; q++) r[q] = pairs2x16(src + (size_t)(2 * q) * lda, src + (size_t)(2 * q + 1) * lda);
            transpose16(r);
            for (int e = 0; e < 16; e++) {
                int row = i + e;
                _mm512_store_si512((void *)(out + (size_t)(row / MR) * ka * MR + ((size_t)g * MR + row % MR) * AG), r[e]);
            }
        }
    int rows = (m + MR - 1) / MR * MR;
    for (int i = 0; i < rows; i++)
        for (int g = i < mv ? gv : 0; g < groups; g++) {
            uint16_t *d16 = (uint16_t *)(out + (size_t)(i / MR) * ka * MR + ((size_t)g * MR + i % MR) * AG);
            for (int t = 0; t < 2 * AG; t++) {
                int kk = 2 * AG * g + t;
                d16[t] = i < m && kk < kc ? bf16_bits(a[(size_t)(k0 + kk) * lda + i]) : 0;
            }
        }
}

BF16_TARGET void sp_bf16_gemm_ff(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b,
                                 int ldb, float *c, int ldc, int accumulate, int round_out, void *scratch) {
    if (m <= 0 || n <= 0) return;
    uint32_t *apack = (uint32_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    int rows = (m + MR - 1) / MR * MR;
    if (k <= 0 && !accumulate)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC, kc2 = (kc + 1) / 2, ka = (kc2 + AG - 1) / AG * AG;
        int add = accumulate || k0 > 0;
        uint32_t *bpack = apack + (size_t)rows * ka;
        if (transA) pack_a_t(a, lda, m, k0, kc, apack);
        else pack_a(a, lda, m, k0, kc, apack);
        for (int j = 0; j < n; j += NR)
            pack_b_f32(transB, b, ldb, k0, kc, j, n - j < NR ? n - j : NR, bpack + (size_t)j * kc2);
        // Small products (a 32-row block against its keys): one 64-column panel (≤ 96 KiB) in L1/L2
        // at a time, every row tile against it.
        for (int j = 0; j < n; j += NR) {
            int nr = n - j < NR ? n - j : NR;
            const uint32_t *bp = bpack + (size_t)j * kc2;
            int i0 = 0;
            for (; i0 + MR <= m; i0 += MR) tile(MR, apack + (size_t)i0 * ka, kc2, bp, c + (size_t)i0 * ldc + j, ldc, nr, add);
            if (i0 < m) tile_any(m - i0, apack + (size_t)i0 * ka, kc2, bp, c + (size_t)i0 * ldc + j, ldc, nr, add);
        }
    }
    if (round_out)
        for (int i = 0; i < m; i++) sp_round_bf16_inplace(c + (size_t)i * ldc, n);
}

void sp_bf16_pack_ff(int transB, int n, int k, const float *b, int ldb, uint32_t *out) {
    size_t npad = (size_t)(n + NR - 1) / NR * NR;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC, kc2 = (kc + 1) / 2;
        uint32_t *slice = out + (size_t)(k0 / KC) * (KC / 2) * npad;
        for (int j = 0; j < n; j += NR) pack_b_f32(transB, b, ldb, k0, kc, j, n - j < NR ? n - j : NR, slice + (size_t)j * kc2);
    }
}

BF16_TARGET void sp_bf16_gemm_ff_packed(int transA, int m, int n, int k0, int k1, int j0, const float *a, int lda,
                                        const uint32_t *bpacked, int npack, int kpack, float *c, int ldc,
                                        int accumulate, int round_out, void *scratch) {
    if (m <= 0 || n <= 0) return;
    uint32_t *apack = (uint32_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    size_t npad = (size_t)(npack + NR - 1) / NR * NR;
    if (k1 <= k0 && !accumulate)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    for (int s = k0 / KC; s * KC < k1; s++) {
        int ks = k0 > s * KC ? k0 : s * KC, ke = k1 < s * KC + KC ? k1 : s * KC + KC;
        int kcs = kpack - s * KC < KC ? kpack - s * KC : KC, kc2s = (kcs + 1) / 2;  // the slice as packed
        int kc = ke - ks, kc2 = (kc + 1) / 2, ka = (kc2 + AG - 1) / AG * AG, add = accumulate || ks > k0;
        const uint32_t *slice = bpacked + (size_t)s * (KC / 2) * npad + (size_t)(ks - s * KC) / 2 * NR;
        if (transA) pack_a_t(a, lda, m, ks - k0, kc, apack);
        else pack_a(a, lda, m, ks - k0, kc, apack);
        for (int j = 0; j < n; j += NR) {
            int nr = n - j < NR ? n - j : NR;
            const uint32_t *bp = slice + (size_t)((j0 + j) / NR) * kc2s * NR;
            int i0 = 0;
            for (; i0 + MR <= m; i0 += MR) tile(MR, apack + (size_t)i0 * ka, kc2, bp, c + (size_t)i0 * ldc + j, ldc, nr, add);
            if (i0 < m) tile_any(m - i0, apack + (size_t)i0 * ka, kc2, bp, c + (size_t)i0 * ldc + j, ldc, nr, add);
        }
    }
    if (round_out)
        for (int i = 0; i < m; i++) sp_round_bf16_inplace(c + (size_t)i * ldc, n);
}

#else
void sp_bf16_gemm_ff(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                     float *c, int ldc, int accumulate, int round_out, void *scratch) {
    (void)transA, (void)transB, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c;
    (void)ldc, (void)accumulate, (void)round_out, (void)scratch;
}
void sp_bf16_pack_ff(int transB, int n, int k, const float *b, int ldb, uint32_t *out) {
    (void)transB, (void)n, (void)k, (void)b, (void)ldb, (void)out;
}
void sp_bf16_gemm_ff_packed(int transA, int m, int n, int k0, int k1, int j0, const float *a, int lda,
                            const uint32_t *bpacked, int npack, int kpack, float *c, int ldc, int accumulate,
                            int round_out, void *scratch) {
    (void)transA, (void)m, (void)n, (void)k0, (void)k1, (void)j0, (void)a, (void)lda, (void)bpacked, (void)npack;
    (void)kpack, (void)c, (void)ldc, (void)accumulate, (void)round_out, (void)scratch;
}
#endif
