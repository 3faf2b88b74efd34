// Decoding (m = 1) kernels of quant_q8_tiles_q0.c: no transpose. Rows q and q + 8 of a 16-row group
// are unpacked side by side into one zmm ([row q block b | row q+8 block b], sp_q0_unpack2) and one
// vpdpbusd against the activation block (broadcast to both halves) gives both rows' 8 "group" sums,
// lane l = elements 4l..4l+3 — exactly llama.cpp's 8 float lanes. Q4_1/Q8_0 feed them straight into
// their per-row fma chains (8 zmm chains in flight); Q4_0/Q5_x reduce the 8 pair vectors to one
// vector of 16 block sums, lane j = row j (exact integer adds), then run the scalar float chain with
// one row per lane. The group after next is prefetched into L2 along the way. x86-64 only.
//
// Shapes: w0 16 rows (row stride rb, rows ≥ nr repeat row nr − 1) of nb blocks; xq one activation row;
// dy/my/cs its per-block floats and integer offsets (sp_q0_prep_acts); y[r] (+)= dot(row r, xq).
#ifndef SOFTPROMPT_QUANT_Q8_TILES_Q0_DECODE_H
#define SOFTPROMPT_QUANT_Q8_TILES_Q0_DECODE_H
#if defined(__x86_64__)
#include "quant_q8_tiles_q0_kernels.h"

/// The lines to prefetch (a later group), `per` a block.
typedef struct { const uint8_t *pf; long lines, per; } sp_q0_pf;

/// The next `per` lines into L2 (T0 into L1 measured 30–50 % slower: too many lines in flight).
SP_TQI void sp_q0_dec_prefetch(sp_q0_pf P, long *pl) {
    for (long e = *pl + P.per; *pl < e && *pl < P.lines; (*pl)++) _mm_prefetch((const char *)P.pf + 64 * *pl, _MM_HINT_T1);
}

/// ggml-cpu's x86 hsum of 8 float lanes: r_l = a_{l+4} + a_l, then (r0 + r2) + (r1 + r3).
SP_TQI float sp_q0_hsum8(const float *a) {
    const float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    return (r0 + r2) + (r1 + r3);
}

/// Where block o of the 16 rows lies: a full group addresses its rows from four base pointers and
/// multiples of the row stride (no spilled row-pointer table); a partial group uses the table.
typedef struct { const uint8_t *b[4]; size_t rb, rb2, rb3; } sp_q0_at;

SP_TQI sp_q0_at sp_q0_dec_at(const uint8_t *w0, size_t rb, size_t o) {
    const uint8_t *p = w0 + o;
    return (sp_q0_at){{p, p + 4 * rb, p + 8 * rb, p + 12 * rb}, rb, 2 * rb, 3 * rb};
}

/// Row q's block (q < 16): A for a full group, else the table R.
SP_TQI const uint8_t *sp_q0_dec_row(int full, const sp_q0_at *A, const sp_q0_rows16 *R, size_t o, int q) {
    if (!full) return R->rp[q] + o;
    const size_t j = q & 3;
    return A->b[q >> 2] + (j == 0 ? 0 : j == 1 ? A->rb : j == 2 ? A->rb2 : A->rb3);
}

/// Block b's d (| m << 16) halves of the 16 rows, lane j = row j.
SP_TQI __m512i sp_q0_dec_dm(const sp_q0_rows16 *R, const uint8_t *w0, size_t o) {
    return _mm512_i32gather_epi32(R->idx, (const void *)(w0 + o), 1);
}

/// Q4_1, Q8_0: acc_l = fma(dx·dy, lane_l, acc_l) per row, result hsum8(acc) (+ summs).
SP_TQI void sp_q0_dec_lanes(int fmt, int full, const sp_q0_rows16 *R, const uint8_t *w0, long nb, const uint8_t *xq,
                            const float *dy, const float *my, const int32_t *cs, sp_q0_pf P, float *y,
                            __mmask16 keep, int accumulate) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    __m512 acc[8], summs = _mm512_setzero_ps();
    __m512i sel[8];
    for (int q = 0; q < 8; q++) {
        acc[q] = _mm512_setzero_ps();
        sel[q] = _mm512_mask_blend_epi32((__mmask16)0xFF00, _mm512_set1_epi32(q), _mm512_set1_epi32(q + 8));
    }
    long pl = 0;
    for (long b = 0; b < nb; b++) {
        sp_q0_dec_prefetch(P, &pl);
        const size_t o = (size_t)F.bb * b;
        const sp_q0_at A = sp_q0_dec_at(w0, R->rb, o);
        const __m512i xa = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(xq + (size_t)F.xb * b + F.xqs)));
        const __m512i c = fmt == SP_QFMT_Q8_0 ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(cs + 8 * b)))
                                              : _mm512_setzero_si512();
        const __m512i dm = sp_q0_dec_dm(R, w0, o);
        const __m512 d = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(dm)), _mm512_set1_ps(dy[b]));
        if (F.mins) {
            const __m512 mx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dm, 16)));
            summs = _mm512_fmadd_ps(mx, _mm512_set1_ps(my[b]), summs);
        }
        for (int q = 0; q < 8; q++) {
            const __m512i s = _mm512_dpbusd_epi32(c, sp_q0_unpack2(fmt, sp_q0_dec_row(full, &A, R, o, q), sp_q0_dec_row(full, &A, R, o, q + 8)), xa);
            acc[q] = _mm512_fmadd_ps(_mm512_permutexvar_ps(sel[q], d), _mm512_cvtepi32_ps(s), acc[q]);
        }
    }
    float a[16], sm[16], out[16];
    _mm512_storeu_ps(sm, summs);
    for (int q = 0; q < 8; q++) {
        _mm512_storeu_ps(a, acc[q]);
        out[q] = sp_q0_hsum8(a);
        out[q + 8] = sp_q0_hsum8(a + 8);
        if (F.mins) {
            out[q] += sm[q];
            out[q + 8] += sm[q + 8];
        }
    }
    sp_q0_store(y, _mm512_loadu_ps(out), keep, accumulate);
}

/// 8 pair vectors (P[q]: row q's 8 lanes | row q+8's) → one vector, lane j = row j's sum of its 8 lanes.
SP_TQI __m512i sp_q0_dec_reduce(const __m512i *P) {
    __m512i A[4], B[2];
    for (int i = 0; i < 4; i++)
        A[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(P[2 * i], P[2 * i + 1]), _mm512_unpackhi_epi32(P[2 * i], P[2 * i + 1]));
    for (int i = 0; i < 2; i++)
        B[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(A[2 * i], A[2 * i + 1]), _mm512_unpackhi_epi64(A[2 * i], A[2 * i + 1]));
    // B[0] 128-bit lanes: rows 0-3 lanes 0-3, rows 0-3 lanes 4-7, rows 8-11 lanes 0-3, rows 8-11 lanes 4-7; B[1] rows 4-7, 12-15.
    const __m512i lo2 = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi2 = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    return _mm512_add_epi32(_mm512_permutex2var_epi64(B[0], lo2, B[1]), _mm512_permutex2var_epi64(B[0], hi2, B[1]));
}

/// Q4_0, Q5_0, Q5_1: one integer sum per block, then the scalar kernels' float chain, one row per lane.
SP_TQI void sp_q0_dec_sums(int fmt, int full, const sp_q0_rows16 *R, const uint8_t *w0, long nb, const uint8_t *xq,
                           const float *dy, const float *my, const int32_t *cs, sp_q0_pf P, float *y,
                           __mmask16 keep, int accumulate) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    __m512 acc = _mm512_setzero_ps();
    long pl = 0;
    for (long b = 0; b < nb; b++) {
        sp_q0_dec_prefetch(P, &pl);
        const size_t o = (size_t)F.bb * b;
        const sp_q0_at A = sp_q0_dec_at(w0, R->rb, o);
        const __m512i xa = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(xq + (size_t)F.xb * b + F.xqs)));
        __m512i S[8];
        for (int q = 0; q < 8; q++)
            S[q] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), sp_q0_unpack2(fmt, sp_q0_dec_row(full, &A, R, o, q), sp_q0_dec_row(full, &A, R, o, q + 8)), xa);
        __m512i s = sp_q0_dec_reduce(S);
        if (F.off) s = _mm512_add_epi32(s, _mm512_set1_epi32(cs[b]));
        const __m512i dm = sp_q0_dec_dm(R, w0, o);
        const __m512 f = _mm512_cvtepi32_ps(s), dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dm));
        const __m512 yd = _mm512_set1_ps(dy[b]);
        if (fmt == SP_QFMT_Q4_0) {  // sumf += ((float)sumi·dx)·dy
            acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(f, dx), yd));
        } else if (fmt == SP_QFMT_Q5_0) {  // sumf += (dx·dy)·sumi
            acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(dx, yd), f));
        } else {  // Q5_1: sumf += (dx·dy)·sumi + mx·my
            const __m512 mx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dm, 16)));
            const __m512 t2 = _mm512_mul_ps(mx, _mm512_set1_ps(my[b]));
            acc = _mm512_add_ps(acc, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dx, yd), f), t2));
        }
    }
    sp_q0_store(y, acc, keep, accumulate);
}
#endif
#endif
