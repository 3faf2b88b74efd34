// VNNI tiles for `--activations q8`, 32-element formats (quant_q8_tiles.h): Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0 against Q8_0/Q8_1 activations, bit-identical to quant_dot_q8_kernels.h.
//
// Layout: 16 weight rows at a time are unpacked to u8 (nibbles, Q5's fifth bit, Q8_0 as q + 128) and
// transposed per block into 8 vectors, vector g lane j = bytes 4g..4g+3 of row j's block (the
// "group" vpdpbusd sums). One activation row's group g is then broadcast to all 16 lanes, so one
// vpdpbusd gives group g's sum for 16 rows, and 8 of them the block sums — no horizontal reduction
// at all; the float chains run with one weight row per lane, in the scalar kernels' exact order.
// The packed 16 rows (16·k bytes) are reused for every activation row (prefill); decoding (m = 1)
// skips the packing and the transpose (quant_q8_tiles_q0_decode.h), prefetching the next 16 rows. Offsets the u8 operand cannot carry are
// added back from the activations: Q4_0 −8·Σq8, Q5_0 −16·Σq8 per block, Q8_0 −128·Σ4 per group.
//
// Shapes: w `[rows, k]` in `fmt` blocks (row stride row_bytes); xq `[m]` rows of Q8_0 (34-byte) or
// Q8_1 (36-byte) blocks, stride xq_stride; y[i·ldy + r] (+)= dot(w row r, xq row i).

#include "softprompt_quant.h"
#include "quant_q8_tiles.h"
#include "quant_q8_tiles_q0_kernels.h"
#include "quant_q8_tiles_q0_decode.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
/// Per-thread scratch, grown on demand and kept (the pool's threads live for the process).
static __thread uint8_t *sp_q0_buf;
static __thread size_t sp_q0_cap;

static void *sp_q0_scratch(size_t bytes) {
    if (bytes <= sp_q0_cap) return sp_q0_buf;
    free(sp_q0_buf);
    sp_q0_cap = 0;
    size_t cap = (bytes + (bytes >> 2) + 4095) & ~(size_t)4095;
    sp_q0_buf = aligned_alloc(64, cap);
    if (!sp_q0_buf) return NULL;
    sp_q0_cap = cap;
    return sp_q0_buf;
}

/// The activation side once per call: dy (and Q8_1's s) as floats, and the integer offsets.
SP_TQ static void sp_q0_prep_acts(int fmt, const uint8_t *xq, size_t xq_stride, long m, long nb, float *dy,
                                  float *my, int32_t *cs) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    const __m256i ones = _mm256_set1_epi8(1), h80 = _mm256_set1_epi8((char)0x80);
    for (long i = 0; i < m; i++) {
        const uint8_t *x = xq + (size_t)i * xq_stride;
        for (long b = 0; b < nb; b++) {
            const uint8_t *blk = x + F.xb * b;
            dy[i * nb + b] = sp_q0_h2f(blk);
            if (F.mins) my[i * nb + b] = sp_q0_h2f(blk + 2);
            const __m256i q = _mm256_loadu_si256((const __m256i *)(blk + F.xqs));
            if (fmt == SP_QFMT_Q8_0) {
                __m256i c = _mm256_dpbusd_epi32(_mm256_setzero_si256(), h80, q);
                _mm256_storeu_si256((__m256i *)(cs + (i * nb + b) * 8), _mm256_sub_epi32(_mm256_setzero_si256(), c));
            } else if (F.off) {
                __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q);
                __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
                cs[i * nb + b] = -F.off * _mm_cvtsi128_si32(t);
            }
        }
    }
}

/// One format, specialized (fmt is a constant after inlining).
SP_TQI int sp_q0_run(int fmt, const uint8_t *w, size_t row_bytes, long rows, const uint8_t *xq, size_t xq_stride,
                     long m, long k, float *y, long ldy, int accumulate) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    const long nb = k / 32;
    if (nb <= 0 || row_bytes * 16 > (size_t)INT32_MAX) return 0;
    const size_t pk_bytes = (size_t)nb * 512, dx_bytes = (size_t)nb * 64 * 2;
    const size_t cs_per = fmt == SP_QFMT_Q8_0 ? 8 : 1;
    const size_t act_bytes = (size_t)m * nb * (8 + 4 * cs_per);
    uint8_t *buf = sp_q0_scratch(pk_bytes + dx_bytes + act_bytes + 64);
    if (!buf) return 0;
    __m512i *pk = (__m512i *)buf;
    float *dxs = (float *)(buf + pk_bytes), *mxs = dxs + nb * 16;
    float *dy = (float *)(buf + pk_bytes + dx_bytes), *my = dy + m * nb;
    int32_t *cs = (int32_t *)(my + m * nb);
    sp_q0_prep_acts(fmt, xq, xq_stride, m, nb, dy, my, cs);
    for (long r0 = 0; r0 < rows; r0 += 16) {
        const int nr = rows - r0 < 16 ? (int)(rows - r0) : 16;
        const uint8_t *w0 = w + (size_t)r0 * row_bytes;
        const long next = rows - r0 - nr < 16 ? rows - r0 - nr : 16;
        const __mmask16 keep = (__mmask16)((1u << nr) - 1);
        if (m == 1) {  // decoding: no packed copy, no transpose (quant_q8_tiles_q0_decode.h)
            const sp_q0_rows16 R = sp_q0_rows(w0, row_bytes, nr);
            // Prefetch (to L2) the group after next; the first group also fetches the next one.
            const long after = rows - r0 - nr - next, ahead = after < 16 ? after : 16;
            const long from = r0 == 0 ? nr : nr + next, count = r0 == 0 ? next + ahead : ahead;
            const long lines = (long)((count * row_bytes + 63) / 64);
            const sp_q0_pf P = {w0 + (size_t)from * row_bytes, lines, (lines + nb - 1) / nb};
            if (F.lanes8 && nr == 16) sp_q0_dec_lanes(fmt, 1, &R, w0, nb, xq, dy, my, cs, P, y + r0, keep, accumulate);
            else if (F.lanes8) sp_q0_dec_lanes(fmt, 0, &R, w0, nb, xq, dy, my, cs, P, y + r0, keep, accumulate);
            else if (nr == 16) sp_q0_dec_sums(fmt, 1, &R, w0, nb, xq, dy, my, cs, P, y + r0, keep, accumulate);
            else sp_q0_dec_sums(fmt, 0, &R, w0, nb, xq, dy, my, cs, P, y + r0, keep, accumulate);
            continue;
        }
        sp_q0_pack(fmt, w0, row_bytes, nr, nb, pk, dxs, mxs, w0 + (size_t)nr * row_bytes, (size_t)next * row_bytes);
        const sp_q0_src S = {pk, dxs, mxs};
        long i = 0;
#define SP_Q0_CALL(kernel, M, per) kernel(fmt, M, &S, nb, xq + (size_t)i * xq_stride, xq_stride, dy + i * nb, my + i * nb, \
                                          cs + i * nb * (per), y + i * ldy + r0, ldy, keep, accumulate)
        if (F.lanes8) {
            for (; i + 2 <= m; i += 2) SP_Q0_CALL(sp_q0_lanes, 2, cs_per);
            for (; i < m; i++) SP_Q0_CALL(sp_q0_lanes, 1, cs_per);
        } else {
            for (; i + 4 <= m; i += 4) SP_Q0_CALL(sp_q0_sums, 4, 1);
            for (; i < m; i++) SP_Q0_CALL(sp_q0_sums, 1, 1);
        }
#undef SP_Q0_CALL
    }
    return 1;
}

SP_TQ static int sp_q0_q4_0(const uint8_t *w, size_t rb, long rows, const uint8_t *xq, size_t xs, long m, long k,
                            float *y, long ldy, int acc) {
    return sp_q0_run(SP_QFMT_Q4_0, w, rb, rows, xq, xs, m, k, y, ldy, acc);
}
SP_TQ static int sp_q0_q4_1(const uint8_t *w, size_t rb, long rows, const uint8_t *xq, size_t xs, long m, long k,
                            float *y, long ldy, int acc) {
    return sp_q0_run(SP_QFMT_Q4_1, w, rb, rows, xq, xs, m, k, y, ldy, acc);
}
SP_TQ static int sp_q0_q5_0(const uint8_t *w, size_t rb, long rows, const uint8_t *xq, size_t xs, long m, long k,
                            float *y, long ldy, int acc) {
    return sp_q0_run(SP_QFMT_Q5_0, w, rb, rows, xq, xs, m, k, y, ldy, acc);
}
SP_TQ static int sp_q0_q5_1(const uint8_t *w, size_t rb, long rows, const uint8_t *xq, size_t xs, long m, long k,
                            float *y, long ldy, int acc) {
    return sp_q0_run(SP_QFMT_Q5_1, w, rb, rows, xq, xs, m, k, y, ldy, acc);
}
SP_TQ static int sp_q0_q8_0(const uint8_t *w, size_t rb, long rows, const uint8_t *xq, size_t xs, long m, long k,
                            float *y, long ldy, int acc) {
    return sp_q0_run(SP_QFMT_Q8_0, w, rb, rows, xq, xs, m, k, y, ldy, acc);
}
#endif

int sp_q8_tiles_q0(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                   long m, long k, float *y, long ldy, int accumulate) {
#if defined(__x86_64__)
    if (rows <= 0 || m <= 0) return 1;
    if (k % 32 != 0) return 0;
    switch (fmt) {
    case SP_QFMT_Q4_0: return sp_q0_q4_0(w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    case SP_QFMT_Q4_1: return sp_q0_q4_1(w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    case SP_QFMT_Q5_0: return sp_q0_q5_0(w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    case SP_QFMT_Q5_1: return sp_q0_q5_1(w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    case SP_QFMT_Q8_0: return sp_q0_q8_0(w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    default: return 0;
    }
#else
    (void)fmt; (void)w; (void)row_bytes; (void)rows; (void)xq; (void)xq_stride;
    (void)m; (void)k; (void)y; (void)ldy; (void)accumulate;
    return 0;
#endif
}
