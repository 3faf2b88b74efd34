// Hand-written AVX-512 block dots for decoding (included by quant_dot.c on x86; the dispatcher uses
// them at SP_QLEVEL_AVX512). Shapes: `n` ≤ 4 rows (Q8_0: 1) of nb blocks at w + j·rb, · x[nb · block elements]
// → t[0..<n]. Four rows per pass share every x load (x stays in registers), and each block is widened
// to exactly its dequantized float32 weights where that costs nothing:
// - Q4_0/Q4_1/Q5_0/Q5_1: the block's 16 (32) possible weights d·(i − 8), d·i + m, d·(i − 16) are
//   built once per block (one or two multiplies) and looked up per element with vpermps/vpermt2ps on
//   the nibble (plus the fifth bit), then FMA'd with x — no int→float conversion per element.
// - Q4_K: the same lookup per sub-block of 32 (table (d·sc)·i − dmin·m, as gguf-py computes it).
// - Q8_0: Σ q·x per block in two 16-lane halves, then one FMA with the block scale (one row per call).
// - Q6_K: the 6-bit values assembled 64 at a time with byte ops, widened per group of 16 and scaled
//   by d·scales[g] (the dequantized weight) before the FMA.
// Every product is the dot with gguf's dequantized row up to float summation order (FMAs round once).
// Q5_K stays on the generic-C kernels compiled for AVX-512 (quant_dot_kernels.h).

#include <immintrin.h>

#define SP512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

/// The float16 at p broadcast to 16 lanes (vcvtph2ps is exact for every half, as sp_half is).
static inline SP512 __m512 sp512_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _mm512_cvtph_ps(_mm256_set1_epi16((short)h));
}

/// The float16 at p as a scalar float, through F16C (exact).
static inline SP512 float sp512_half1(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_set1_epi16((short)h)));
}

/// t[j] = the sum of v[j]'s 16 lanes for j < n: four rows reduced together (9 shuffles and adds
/// instead of 4 × 8), which matters for SmolLM2's short rows (18 blocks). Each t[j] depends on v[j]
/// alone, in the same order for every n, so a row's result does not depend on the rows beside it.
static inline SP512 void sp512_sum4(const __m512 *v, int n, float *t) {
    const __m512 t01 = _mm512_add_ps(_mm512_unpacklo_ps(v[0], v[1]), _mm512_unpackhi_ps(v[0], v[1]));
    const __m512 t23 = _mm512_add_ps(_mm512_unpacklo_ps(v[2], v[3]), _mm512_unpackhi_ps(v[2], v[3]));
    // per 128-bit lane: (Σv0, Σv1, Σv2, Σv3) over that lane's four elements
    const __m512 u = _mm512_add_ps(_mm512_shuffle_ps(t01, t23, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_ps(t01, t23, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(u), _mm512_extractf32x8_ps(u, 1));
    float all[4];
    _mm_storeu_ps(all, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
    for (int j = 0; j < n; j++) t[j] = all[j];
}

#ifndef SP512_PF
#define SP512_PF 8
#endif
/// Prefetches the bytes `SP512_PF` rows past p: the same block of a later pass. Four interleaved rows
/// of a few hundred bytes each are too short for the hardware prefetcher to follow (measured on Q8_0
/// k = 576 weights larger than L3: 5.5 GW/s without, see docs/PERFORMANCE.md).
#define SP512_PREFETCH(p, rb) _mm_prefetch((const char *)(p) + SP512_PF * (rb), _MM_HINT_T0)

/// Row pointers for a pass of n ≤ 4 rows; missing rows repeat row 0 (their sums are discarded).
#define SP512_ROWS(w, rb, n, r)                                                                                      \
    const uint8_t *r[4];                                                                                             \
    for (int j_ = 0; j_ < 4; j_++) r[j_] = (const uint8_t *)(w) + (size_t)(j_ < (n) ? j_ : 0) * (rb)

// Q4_0 (18 B), Q4_1 (20 B), Q5_0 (22 B), Q5_1 (24 B): blocks of 32, element j in qs[j] low nibble,
// element j + 16 in qs[j] high nibble, Q5's fifth bits in qh (bit j of the 32-bit word).
static inline __attribute__((always_inline)) SP512 void sp512_q32(const int fmt, const uint8_t *w, size_t rb, int n,
                                                                  const float *x, long nb, float *t) {
    SP512_ROWS(w, rb, n, r);
    const long bytes = fmt == SP_QFMT_Q4_0 ? 18 : fmt == SP_QFMT_Q4_1 ? 20 : fmt == SP_QFMT_Q5_0 ? 22 : 24;
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 c8 = _mm512_set1_ps(8), c16 = _mm512_set1_ps(16);
    const __m512 i8 = _mm512_sub_ps(iota, c8), i16 = _mm512_sub_ps(iota, c16), iota16 = _mm512_add_ps(iota, c16);
    const __m512i b16 = _mm512_set1_epi32(16), m15 = _mm512_set1_epi32(15);
    __m512 a[4], b[4];
    for (int j = 0; j < 4; j++) a[j] = b[j] = _mm512_setzero_ps();
    for (long k = 0; k < nb; k++) {
        const __m512 x0 = _mm512_loadu_ps(x + 32 * k), x1 = _mm512_loadu_ps(x + 32 * k + 16);
        for (int j = 0; j < 4; j++) {
            const uint8_t *p = r[j] + bytes * k;
            SP512_PREFETCH(p, rb);
            const __m512 d = sp512_half(p);
            __m512 wl, wh;
            if (fmt == SP_QFMT_Q4_0 || fmt == SP_QFMT_Q4_1) {
                const __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + bytes - 16)));
                // table[i] = the weight of nibble i: d·(i − 8), or d·i + m
                const __m512 tab = fmt == SP_QFMT_Q4_0 ? _mm512_mul_ps(d, i8)
                                                       : _mm512_add_ps(_mm512_mul_ps(d, iota), sp512_half(p + 2));
                wl = _mm512_permutexvar_ps(q, tab);   // vpermps reads the index's low 4 bits: the low nibble
                wh = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), tab);
            } else {
                uint32_t qh;
                memcpy(&qh, p + (fmt == SP_QFMT_Q5_0 ? 2 : 4), 4);
                const __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + bytes - 16)));
                __m512i lo = _mm512_and_si512(q, m15), hi = _mm512_srli_epi32(q, 4);
                lo = _mm512_mask_or_epi32(lo, (__mmask16)qh, lo, b16);
                hi = _mm512_mask_or_epi32(hi, (__mmask16)(qh >> 16), hi, b16);
                // 32-entry table over two registers: d·(i − 16), or d·i + m, for i in 0..<32
                __m512 t0, t1;
                if (fmt == SP_QFMT_Q5_0) {
                    t0 = _mm512_mul_ps(d, i16);
                    t1 = _mm512_mul_ps(d, iota);
                } else {
                    const __m512 m = sp512_half(p + 2);
                    t0 = _mm512_add_ps(_mm512_mul_ps(d, iota), m);
                    t1 = _mm512_add_ps(_mm512_mul_ps(d, iota16), m);
                }
                wl = _mm512_permutex2var_ps(t0, lo, t1);
                wh = _mm512_permutex2var_ps(t0, hi, t1);
            }
            a[j] = _mm512_fmadd_ps(wl, x0, a[j]);
            b[j] = _mm512_fmadd_ps(wh, x1, b[j]);
        }
    }
    for (int j = 0; j < 4; j++) a[j] = _mm512_add_ps(a[j], b[j]);
    sp512_sum4(a, n, t);
}

// Q8_0 (34 B): d, qs[32] int8. Per block Σ q·x over 32 lanes folded to 16, then acc += d·that.
// One row per call: on weights larger than L3, four interleaved Q8_0 rows per pass read 5.5–8.6 GW/s
// (with or without prefetch) where one row at a time reads 15–17 GW/s per thread.
static SP512 void sp512_q8_0(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    (void)rb;
    (void)n;
    __m512 a = _mm512_setzero_ps();
    for (long k = 0; k < nb; k++) {
        const uint8_t *p = w + 34 * k;
        const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 2))));
        const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 18))));
        const __m512 s = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x + 32 * k + 16), _mm512_mul_ps(q0, _mm512_loadu_ps(x + 32 * k)));
        a = _mm512_fmadd_ps(sp512_half(p), s, a);
    }
    t[0] = _mm512_reduce_add_ps(a);
}

// Q4_K (144 B per 256): d, dmin, 12 bytes of 6-bit scales/mins, qs[128]; sub-blocks 2c and 2c + 1 in
// the low and high nibbles of qs[32c ..< 32c + 32]. Weight = (d·sc)·q − dmin·mn, via a 16-entry table.
static SP512 void sp512_q4_K(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    SP512_ROWS(w, rb, n, r);
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 a[4], b[4];
    for (int j = 0; j < 4; j++) a[j] = b[j] = _mm512_setzero_ps();
    for (long k = 0; k < nb; k++) {
        float dd[4][8], mm[4][8];
        for (int j = 0; j < 4; j++) {
            const uint8_t *p = r[j] + 144 * k;
            const float d = sp512_half1(p), dmin = sp512_half1(p + 2);
            for (int s = 0; s < 8; s++) {
                uint8_t sc, mn;
                sp_scale_min(p + 4, s, &sc, &mn);
                dd[j][s] = d * (float)sc;
                mm[j][s] = dmin * (float)mn;
            }
        }
        for (int c = 0; c < 4; c++) {
            const float *xs = x + 256 * k + 64 * c;
            const __m512 x0 = _mm512_loadu_ps(xs), x1 = _mm512_loadu_ps(xs + 16), x2 = _mm512_loadu_ps(xs + 32),
                         x3 = _mm512_loadu_ps(xs + 48);
            for (int j = 0; j < 4; j++) {
                const uint8_t *q = r[j] + 144 * k + 16 + 32 * c;
                SP512_PREFETCH(q, rb);
                const __m512 t0 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(dd[j][2 * c]), iota),
                                                _mm512_set1_ps(mm[j][2 * c]));
                const __m512 t1 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(dd[j][2 * c + 1]), iota),
                                                _mm512_set1_ps(mm[j][2 * c + 1]));
                const __m512i qa = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)q));
                const __m512i qb = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + 16)));
                a[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(qa, t0), x0, a[j]);
                b[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(qb, t0), x1, b[j]);
                a[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(qa, 4), t1), x2, a[j]);
                b[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(qb, 4), t1), x3, b[j]);
            }
        }
    }
    for (int j = 0; j < 4; j++) a[j] = _mm512_add_ps(a[j], b[j]);
    sp512_sum4(a, n, t);
}

// Q6_K (210 B per 256): ql[128], qh[64], scales[16] int8, d. Per half h (128 elements): the 64 low
// nibbles of ql[64h ..< 64h + 64] with bits 0–1 / 2–3 of qh[32h ..< 32h + 32] are elements 0..<64, the
// 64 high nibbles with bits 4–5 / 6–7 elements 64..<128 (the map of BlockDequantK.swift); each group
// of 16 elements has scale d·scales[8h + g].
static SP512 void sp512_q6_K(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    SP512_ROWS(w, rb, n, r);
    const __m512i m4 = _mm512_set1_epi8(15), m2 = _mm512_set1_epi8(3), c32 = _mm512_set1_epi8(32);
    __m512 a[4], b[4];
    for (int j = 0; j < 4; j++) a[j] = b[j] = _mm512_setzero_ps();
    for (long k = 0; k < nb; k++) {
        for (int h = 0; h < 2; h++) {
            __m512i lo[4], hi[4];   // q − 32 as int8: elements 0..<64 and 64..<128 of this half
            float ds[4][8];
            for (int j = 0; j < 4; j++) {
                const uint8_t *p = r[j] + 210 * k;
                SP512_PREFETCH(p + 64 * h, rb);
                SP512_PREFETCH(p + 64 * h + 64, rb);
                const __m512i ql = _mm512_loadu_si512((const void *)(p + 64 * h));
                const __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h));
                // [qh, qh >> 2] and [qh >> 4, qh >> 6], each masked to 2 bits, shifted up by 4
                const __m512i h01 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
                const __m512i h0 = _mm512_slli_epi16(_mm512_and_si512(h01, m2), 4);
                const __m512i h1 = _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h01, 4), m2), 4);
                lo[j] = _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(ql, m4), h0), c32);
                hi[j] = _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4), h1), c32);
                const float d = sp512_half1(p + 208);
                const int8_t *sc = (const int8_t *)(p + 192 + 8 * h);
                for (int g = 0; g < 8; g++) ds[j][g] = d * (float)sc[g];
            }
            const float *xs = x + 256 * k + 128 * h;
#define SP512_Q6G(g, src, lane, acc)                                                                                \
    {                                                                                                               \
        const __m512 xg = _mm512_loadu_ps(xs + 16 * (g));                                                           \
        for (int j = 0; j < 4; j++) {                                                                               \
            const __m512 qf = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(src[j], lane)));   \
            acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(ds[j][g]), qf), xg, acc[j]);                      \
        }                                                                                                           \
    }
            SP512_Q6G(0, lo, 0, a) SP512_Q6G(1, lo, 1, b) SP512_Q6G(2, lo, 2, a) SP512_Q6G(3, lo, 3, b)
            SP512_Q6G(4, hi, 0, a) SP512_Q6G(5, hi, 1, b) SP512_Q6G(6, hi, 2, a) SP512_Q6G(7, hi, 3, b)
#undef SP512_Q6G
        }
    }
    for (int j = 0; j < n; j++) t[j] = _mm512_reduce_add_ps(_mm512_add_ps(a[j], b[j]));   // (sp512_sum4 measured slower here)
}

static SP512 void sp512_q4_0(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    sp512_q32(SP_QFMT_Q4_0, w, rb, n, x, nb, t);
}
static SP512 void sp512_q4_1(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    sp512_q32(SP_QFMT_Q4_1, w, rb, n, x, nb, t);
}
static SP512 void sp512_q5_0(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    sp512_q32(SP_QFMT_Q5_0, w, rb, n, x, nb, t);
}
static SP512 void sp512_q5_1(const uint8_t *w, size_t rb, int n, const float *x, long nb, float *t) {
    sp512_q32(SP_QFMT_Q5_1, w, rb, n, x, nb, t);
}

typedef void (*sp512_rows_fn)(const uint8_t *, size_t, int, const float *, long, float *);

/// The kernel for `fmt`, its block size and the rows it takes per call (4, Q8_0 1), or NULL (Q5_K:
/// the per-row kernels of quant_dot_kernels.h).
static sp512_rows_fn sp512_kernel(int fmt, long *block, int *pass) {
    *block = 32;
    *pass = fmt == SP_QFMT_Q8_0 ? 1 : 4;
    switch (fmt) {
    case SP_QFMT_Q4_0: return sp512_q4_0;
    case SP_QFMT_Q4_1: return sp512_q4_1;
    case SP_QFMT_Q5_0: return sp512_q5_0;
    case SP_QFMT_Q5_1: return sp512_q5_1;
    case SP_QFMT_Q8_0: return sp512_q8_0;
    case SP_QFMT_Q4_K: *block = 256; return sp512_q4_K;
    case SP_QFMT_Q6_K: *block = 256; return sp512_q6_K;
    default: return 0;
    }
}
