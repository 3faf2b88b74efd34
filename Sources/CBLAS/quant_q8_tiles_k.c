// VNNI tiles for `--activations q8`, K-quant family (Q4_K, Q5_K, Q6_K · Q8_K; quant_q8_tiles.h).
//
// Float order: exactly the scalar kernels' (q8dot_qk45 / q8dot_q6_K in quant_dot_q8_kernels.h, ggml's
// generic one): per super-block 8 int32 lanes aux32[l] = Σ over elements e ≡ l (mod 8) of
// sc·q·q8, sums[l] += (dx·dy)·aux32[l]; Q4_K/Q5_K also sumf −= (dminx·dy)·Σ mn·bsums; at the end
// sumf += sums[0] + … + sums[7]. The integer sums are exact in any order, so only each lane's set of
// elements matters: every 32-element chunk (weights and activations alike) is permuted with vpermb so
// that byte 4l+i holds element l+8i. Then vpmaddubsw pairs (l, l+8) and (l+16, l+24), both inside one
// 16-element sub-block, and vpdpwssd multiplies each pair by its sub-block scale and sums the two into
// int32 lane l of that 32-byte half. Folding a zmm's two halves gives aux32[l].
//
// Q6_K's quants are signed (q − 32) and vpmaddubsw wants one unsigned operand: the activations are
// stored as y + 128 (u8) and the weight-only term 128·Σ sc·(q − 32) is subtracted once per block.
//
// Shapes: an activation chunk of up to MB rows is re-laid out once per call (per block b and row i,
// 256 bytes = 4 zmm in the weight unpack's order, f32 d, for Q4_K/Q5_K the per-32 bsums transposed in
// groups of 16 rows); then for RG weight rows at a time, super-block by super-block, each weight block
// is unpacked once into 4 zmm of int8 quants and 4 zmm of int16 scales, and dotted with every
// activation row of the chunk, 8 rows per register tile. Per (weight row, activation row) pair the
// float lanes sums[8] and sumf live in a small scratch, so the result is a fixed function of the
// blocks: independent of m, the chunking and the thread split.
#include "softprompt_quant.h"
#include "quant_q8_tiles.h"
#include "quant_common.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <immintrin.h>

static int sp_q8k_tiles_run(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                            long m, long k, float *y, long ldy, int accumulate);

/// 1 when the CPU also has AVX-512 VBMI (vpermb), which these tiles need beyond sp_q8_has_vnni.
static int sp_q8k_has_vbmi(void) {
    static int has = -1;
    int h = __atomic_load_n(&has, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx512vbmi");
        __atomic_store_n(&has, h, __ATOMIC_RELAXED);
    }
    return h;
}

int sp_q8_tiles_k(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                  long m, long k, float *y, long ldy, int accumulate) {
    if (fmt != SP_QFMT_Q4_K && fmt != SP_QFMT_Q5_K && fmt != SP_QFMT_Q6_K) return 0;
    if (k <= 0 || k % 256 != 0 || rows <= 0 || m <= 0 || !sp_q8k_has_vbmi()) return 0;
    return sp_q8k_tiles_run(fmt, w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
}

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,f16c"))), \
                             apply_to = function)

enum { MB = 64, RG_PREFILL = 4 };

#include "quant_q8_tiles_k_unpack.h"

/// Scratch of one call: the re-laid-out activation chunk and the per-pair float lanes.
typedef struct {
    uint8_t *a8;     // [nb][ms2][256]: each activation block in the weight unpack's byte order
    float *ad8;      // [nb][ms2][8]: its d, 8 copies (two rows fill a zmm)
    float *ad16;     // [nb][ms16]: its d (rows past the chunk 0)
    int32_t *bst;    // [nb][ms16/16][4][16]: Q4_K/Q5_K, lane i of t = (bsp[2t], bsp[2t+1]) as int16, bsp[j] = Σ of 32
    float *sums;     // [RG][MB][8]: sums[l] of each pair
    float *sumf;     // [RG][MB]: sumf of each pair (the mins chain; 0 for Q6_K)
    long ms2, ms16;  // row strides inside a block: the chunk's rows rounded up to 2 (a8, ad8) and 16 (ad16, bst)
} sp_q8k_scratch;

static _Thread_local void *sp_q8k_buf;
static _Thread_local size_t sp_q8k_buf_bytes;

/// Carves the scratch for nb super-blocks out of a per-thread buffer that grows as needed (0 on failure).
static int sp_q8k_scratch_get(long nb, sp_q8k_scratch *s) {
    const size_t a8 = (size_t)nb * MB * 256, ad8 = (size_t)nb * MB * 32, ad16 = (size_t)nb * MB * 4;
    const size_t bst = (size_t)nb * (MB / 16) * 256, sums = (size_t)RG_PREFILL * MB * 32, sumf = (size_t)RG_PREFILL * MB * 4;
    const size_t total = a8 + ad8 + ad16 + bst + sums + sumf;
    if (sp_q8k_buf_bytes < total) {
        void *p = NULL;
        if (posix_memalign(&p, 64, total) != 0) return 0;
        free(sp_q8k_buf);
        sp_q8k_buf = p;
        sp_q8k_buf_bytes = total;
    }
    uint8_t *b = (uint8_t *)sp_q8k_buf;
    s->a8 = b;
    s->ad8 = (float *)(b + a8);
    s->ad16 = (float *)(b + a8 + ad8);
    s->bst = (int32_t *)(b + a8 + ad8 + ad16);
    s->sums = (float *)(b + a8 + ad8 + ad16 + bst);
    s->sumf = (float *)(b + a8 + ad8 + ad16 + bst + sums);
    return 1;
}

/// Re-lays out activation rows [i0, i0 + mc) of xq (Q8_K blocks: f32 d, i8 q[256], i16 bsums[16]).
static void sp_q8k_prep(int fmt, const sp_q8k_consts *c, const uint8_t *xq, size_t stride, long i0, long mc, long nb,
                        sp_q8k_scratch *s) {
    const long mc16 = (mc + 15) / 16 * 16;
    s->ms2 = (mc + 1) / 2 * 2;
    s->ms16 = mc16;
    const __m512i i0s = sp_perm2(0), i1s = sp_perm2(32), x80 = _mm512_set1_epi8((char)0x80);
    for (long b = 0; b < nb; b++) {
        for (long i = 0; i < mc; i++) {
            const uint8_t *src = xq + (size_t)(i0 + i) * stride + 292 * (size_t)b;
            const uint8_t *q8 = src + 4;
            uint8_t *dst = s->a8 + ((size_t)b * s->ms2 + i) * 256;
            if (fmt == SP_QFMT_Q6_K) {
                for (int q = 0; q < 4; q++)
                    _mm512_store_si512(dst + 64 * q,
                                       _mm512_xor_si512(_mm512_permutexvar_epi8(c->perm, _mm512_loadu_si512(q8 + 64 * q)), x80));
            } else {
                for (int h = 0; h < 2; h++) {
                    __m512i A = _mm512_loadu_si512(q8 + 128 * h), B = _mm512_loadu_si512(q8 + 128 * h + 64);
                    _mm512_store_si512(dst + 128 * h, _mm512_permutex2var_epi8(A, i0s, B));
                    _mm512_store_si512(dst + 128 * h + 64, _mm512_permutex2var_epi8(A, i1s, B));
                }
            }
            float d;
            memcpy(&d, src, 4);
            for (int l = 0; l < 8; l++) s->ad8[((size_t)b * s->ms2 + i) * 8 + l] = d;
            s->ad16[(size_t)b * mc16 + i] = d;
            if (fmt != SP_QFMT_Q6_K) {
                int16_t bs[16];
                memcpy(bs, src + 260, 32);
                int32_t *t0 = s->bst + (((size_t)b * (mc16 / 16) + (size_t)i / 16) * 4) * 16 + i % 16;
                for (int t = 0; t < 4; t++) {
                    const int16_t e = (int16_t)(bs[4 * t] + bs[4 * t + 1]), o = (int16_t)(bs[4 * t + 2] + bs[4 * t + 3]);
                    t0[16 * t] = (int32_t)((uint32_t)(uint16_t)e | (uint32_t)(uint16_t)o << 16);
                }
            }
        }
        for (long i = mc; i < mc16; i++) {
            s->ad16[(size_t)b * mc16 + i] = 0;
            if (fmt != SP_QFMT_Q6_K) {
                int32_t *t0 = s->bst + (((size_t)b * (mc16 / 16) + (size_t)i / 16) * 4) * 16 + i % 16;
                for (int t = 0; t < 4; t++) t0[16 * t] = 0;
            }
        }
    }
}

/// N (1..8) activation rows of one block against one unpacked weight block; the float lanes of the
/// pairs (sums[l] += d·aux32[l]) updated in `sums` (row stride 8 floats), two pairs per zmm.
static inline __attribute__((always_inline)) void sp_q8k_dot(int fmt, int N, const sp_q8k_wblock *wb, const uint8_t *a,
                                                             const float *ad8, float *sums) {
    __m512i acc[8];
#pragma clang loop unroll(full)
    for (int n = 0; n < N; n++) acc[n] = wb->negc;
#pragma clang loop unroll(full)
    for (int q = 0; q < 4; q++) {
#pragma clang loop unroll(full)
        for (int n = 0; n < N; n++) {
            const __m512i yv = _mm512_load_si512(a + 256 * n + 64 * q);
            const __m512i p = fmt == SP_QFMT_Q6_K ? _mm512_maddubs_epi16(yv, wb->w[q]) : _mm512_maddubs_epi16(wb->w[q], yv);
            acc[n] = _mm512_dpwssd_epi32(acc[n], p, wb->s[q]);
        }
    }
    const __m512 dw = _mm512_set1_ps(wb->d);
#pragma clang loop unroll(full)
    for (int n = 0; n + 1 < N; n += 2) {
        const __m512i v = _mm512_add_epi32(_mm512_shuffle_i64x2(acc[n], acc[n + 1], 0x44),
                                           _mm512_shuffle_i64x2(acc[n], acc[n + 1], 0xEE));
        const __m512 d = _mm512_mul_ps(dw, _mm512_load_ps(ad8 + 8 * n));
        _mm512_store_ps(sums + 8 * n, _mm512_add_ps(_mm512_load_ps(sums + 8 * n), _mm512_mul_ps(d, _mm512_cvtepi32_ps(v))));
    }
    if (N % 2) {
        const int n = N - 1;
        const __m256i v = _mm256_add_epi32(_mm512_castsi512_si256(acc[n]), _mm512_extracti64x4_epi64(acc[n], 1));
        const __m256 d = _mm256_mul_ps(_mm512_castps512_ps256(dw), _mm256_load_ps(ad8 + 8 * n));
        _mm256_store_ps(sums + 8 * n, _mm256_add_ps(_mm256_load_ps(sums + 8 * n), _mm256_mul_ps(d, _mm256_cvtepi32_ps(v))));
    }
}

/// All mc activation rows of block b against one unpacked weight block (rows in tiles of 8), then
/// Q4_K/Q5_K's mins chain sumf −= (dmin·dy)·Σ mn·bsp for 16 rows per vector.
static inline __attribute__((always_inline)) void sp_q8k_block(int fmt, const sp_q8k_wblock *wb, const sp_q8k_scratch *s,
                                                               long b, long mc, float *sums, float *sumf) {
    const uint8_t *a = s->a8 + (size_t)b * s->ms2 * 256;
    const float *ad8 = s->ad8 + (size_t)b * s->ms2 * 8;
    long i = 0;
    for (; i + 8 <= mc; i += 8) sp_q8k_dot(fmt, 8, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i);
    switch (mc - i) {
    case 1: sp_q8k_dot(fmt, 1, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 2: sp_q8k_dot(fmt, 2, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 3: sp_q8k_dot(fmt, 3, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 4: sp_q8k_dot(fmt, 4, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 5: sp_q8k_dot(fmt, 5, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 6: sp_q8k_dot(fmt, 6, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    case 7: sp_q8k_dot(fmt, 7, wb, a + 256 * i, ad8 + 8 * i, sums + 8 * i); break;
    default: break;
    }
    if (fmt == SP_QFMT_Q6_K) return;
    const __m512i m0 = _mm512_broadcastd_epi32(_mm512_castsi512_si128(wb->mins));
    const __m512i m1 = _mm512_broadcastd_epi32(_mm_shuffle_epi32(_mm512_castsi512_si128(wb->mins), 0x55));
    const __m512i m2 = _mm512_broadcastd_epi32(_mm_shuffle_epi32(_mm512_castsi512_si128(wb->mins), 0xAA));
    const __m512i m3 = _mm512_broadcastd_epi32(_mm_shuffle_epi32(_mm512_castsi512_si128(wb->mins), 0xFF));
    const __m512 dmin = _mm512_set1_ps(wb->dmin);
    for (long g = 0; g < (mc + 15) / 16; g++) {
        const int32_t *t = s->bst + ((size_t)b * (s->ms16 / 16) + (size_t)g) * 64;
        __m512i sm = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_load_si512(t), m0);
        sm = _mm512_dpwssd_epi32(sm, _mm512_load_si512(t + 16), m1);
        sm = _mm512_dpwssd_epi32(sm, _mm512_load_si512(t + 32), m2);
        sm = _mm512_dpwssd_epi32(sm, _mm512_load_si512(t + 48), m3);
        const __m512 dm = _mm512_mul_ps(dmin, _mm512_load_ps(s->ad16 + (size_t)b * s->ms16 + 16 * g));
        _mm512_store_ps(sumf + 16 * g, _mm512_sub_ps(_mm512_load_ps(sumf + 16 * g), _mm512_mul_ps(dm, _mm512_cvtepi32_ps(sm))));
    }
}

/// Decoding (m = 1): one weight row at a time, the float lanes in registers; Q4_K/Q5_K's Σ mn·bsp from
/// the activation's own bsums (16 int16) against the mins doubled.
static inline __attribute__((always_inline)) void sp_q8k_decode(int fmt, const sp_q8k_consts *c, const uint8_t *w,
                                                                size_t row_bytes, long rows, const uint8_t *xq, long nb,
                                                                float *y, int accumulate, const sp_q8k_scratch *s) {
    const size_t bbytes = fmt == SP_QFMT_Q4_K ? 144 : fmt == SP_QFMT_Q5_K ? 176 : 210;
    for (long r = 0; r < rows; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        __m256 sums = _mm256_setzero_ps();
        float sumf = 0;
        for (long b = 0; b < nb; b++) {
            const uint8_t *p = row + bbytes * (size_t)b, *a = s->a8 + (size_t)b * s->ms2 * 256;
            sp_q8k_wblock wb;
            sp_q8k_unpack(fmt, c, p, &wb);
            __m512i acc = wb.negc;
            for (int q = 0; q < 4; q++) {
                const __m512i yv = _mm512_load_si512(a + 64 * q);
                const __m512i pr = fmt == SP_QFMT_Q6_K ? _mm512_maddubs_epi16(yv, wb.w[q]) : _mm512_maddubs_epi16(wb.w[q], yv);
                acc = _mm512_dpwssd_epi32(acc, pr, wb.s[q]);
            }
            const __m256i v = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
            const float yd = s->ad16[(size_t)b * s->ms16];
            const float d = wb.d * yd;
            sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(v)));
            if (fmt != SP_QFMT_Q6_K) {
                const __m128i mn = _mm512_castsi512_si128(wb.mins);  // 8 int16 mins
                const __m256i mdup = _mm256_set_m128i(_mm_unpackhi_epi16(mn, mn), _mm_unpacklo_epi16(mn, mn));
                const __m256i bs = _mm256_loadu_si256((const __m256i *)(xq + 292 * (size_t)b + 260));
                const __m256i pm = _mm256_madd_epi16(bs, mdup);
                __m128i t = _mm_add_epi32(_mm256_castsi256_si128(pm), _mm256_extracti128_si256(pm, 1));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
                const float dmin = wb.dmin * yd;
                sumf -= dmin * (float)_mm_cvtsi128_si32(t);
            }
        }
        float l8[8];
        _mm256_storeu_ps(l8, sums);
        for (int l = 0; l < 8; l++) sumf += l8[l];
        y[r] = accumulate ? y[r] + sumf : sumf;
    }
}

static inline __attribute__((always_inline)) void sp_q8k_run_fmt(int fmt, const uint8_t *w, size_t row_bytes, long rows,
                                                                 const uint8_t *xq, size_t xq_stride, long m, long nb,
                                                                 float *y, long ldy, int accumulate, sp_q8k_scratch *s) {
    sp_q8k_consts c;
    sp_q8k_consts_init(fmt, &c);
    const size_t bbytes = fmt == SP_QFMT_Q4_K ? 144 : fmt == SP_QFMT_Q5_K ? 176 : 210;
    if (m == 1) {
        sp_q8k_prep(fmt, &c, xq, xq_stride, 0, 1, nb, s);
        sp_q8k_decode(fmt, &c, w, row_bytes, rows, xq, nb, y, accumulate, s);
        return;
    }
    for (long i0 = 0; i0 < m; i0 += MB) {
        const long mc = m - i0 < MB ? m - i0 : MB;
        const long RG = RG_PREFILL;
        sp_q8k_prep(fmt, &c, xq, xq_stride, i0, mc, nb, s);
        for (long r0 = 0; r0 < rows; r0 += RG) {
            const long rg = rows - r0 < RG ? rows - r0 : RG;
            for (long rr = 0; rr < rg; rr++) {
                memset(s->sums + (size_t)rr * MB * 8, 0, (size_t)(mc + 1) / 2 * 64);
                memset(s->sumf + (size_t)rr * MB, 0, (size_t)(mc + 15) / 16 * 64);
            }
            for (long b = 0; b < nb; b++) {
                for (long rr = 0; rr < rg; rr++) {
                    const uint8_t *p = w + (size_t)(r0 + rr) * row_bytes + bbytes * (size_t)b;
                    sp_q8k_wblock wb;
                    sp_q8k_unpack(fmt, &c, p, &wb);
                    sp_q8k_block(fmt, &wb, s, b, mc, s->sums + (size_t)rr * MB * 8, s->sumf + (size_t)rr * MB);
                }
            }
            for (long rr = 0; rr < rg; rr++) {
                for (long i = 0; i < mc; i++) {
                    const float *sl = s->sums + ((size_t)rr * MB + (size_t)i) * 8;
                    float sumf = s->sumf[(size_t)rr * MB + (size_t)i];
                    for (int l = 0; l < 8; l++) sumf += sl[l];
                    float *yo = y + (i0 + i) * ldy + r0 + rr;
                    *yo = accumulate ? *yo + sumf : sumf;
                }
            }
        }
    }
}

static int sp_q8k_tiles_run(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                            long m, long k, float *y, long ldy, int accumulate) {
    sp_q8k_scratch s;
    const long nb = k / 256;
    if (!sp_q8k_scratch_get(nb, &s)) return 0;
    const uint8_t *wp = (const uint8_t *)w, *xp = (const uint8_t *)xq;
    switch (fmt) {
    case SP_QFMT_Q4_K: sp_q8k_run_fmt(SP_QFMT_Q4_K, wp, row_bytes, rows, xp, xq_stride, m, nb, y, ldy, accumulate, &s); break;
    case SP_QFMT_Q5_K: sp_q8k_run_fmt(SP_QFMT_Q5_K, wp, row_bytes, rows, xp, xq_stride, m, nb, y, ldy, accumulate, &s); break;
    default: sp_q8k_run_fmt(SP_QFMT_Q6_K, wp, row_bytes, rows, xp, xq_stride, m, nb, y, ldy, accumulate, &s); break;
    }
    return 1;
}

#pragma clang attribute pop

#else
int sp_q8_tiles_k(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                  long m, long k, float *y, long ldy, int accumulate) {
    (void)fmt; (void)w; (void)row_bytes; (void)rows; (void)xq; (void)xq_stride;
    (void)m; (void)k; (void)y; (void)ldy; (void)accumulate;
    return 0;
}
#endif
