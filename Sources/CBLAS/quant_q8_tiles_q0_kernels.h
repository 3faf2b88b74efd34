// Kernels of quant_q8_tiles_q0.c (see its header comment for the layout): the packing of 16 weight
// rows and the two compute loops, inlined into one specialization per format. x86-64 only.
#ifndef SOFTPROMPT_QUANT_Q8_TILES_Q0_KERNELS_H
#define SOFTPROMPT_QUANT_Q8_TILES_Q0_KERNELS_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#define SP_TQ __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define SP_TQI SP_TQ static inline __attribute__((always_inline))

/// Block geometry: weight block bytes, qs and qh offsets (qh −1: none), mins (the Q8_1 pairing),
/// the u8 offset to add back (Q4_0 8, Q5_0 16), 8-lane float order (Q4_1, Q8_0); activation block bytes
/// and its qs offset.
typedef struct { int bb, qs, qh, mins, off, lanes8, xb, xqs; } sp_q0_fmt;

SP_TQI sp_q0_fmt sp_q0_format(int fmt) {
    switch (fmt) {
    case SP_QFMT_Q4_0: return (sp_q0_fmt){18, 2, -1, 0, 8, 0, 34, 2};
    case SP_QFMT_Q4_1: return (sp_q0_fmt){20, 4, -1, 1, 0, 1, 36, 4};
    case SP_QFMT_Q5_0: return (sp_q0_fmt){22, 6, 2, 0, 16, 0, 34, 2};
    case SP_QFMT_Q5_1: return (sp_q0_fmt){24, 8, 4, 1, 0, 0, 36, 4};
    default: return (sp_q0_fmt){34, 2, -1, 0, 0, 1, 34, 2};  // Q8_0
    }
}

/// IEEE half → float, exact (F16C).
SP_TQI float sp_q0_h2f(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

SP_TQI uint32_t sp_q0_ld32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// Two rows' blocks unpacked to u8 in element order: [row a 32 bytes | row b 32 bytes].
SP_TQI __m512i sp_q0_unpack2(int fmt, const uint8_t *a, const uint8_t *b) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    if (fmt == SP_QFMT_Q8_0) {
        __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(a + 2))),
                                       _mm256_loadu_si256((const __m256i *)(b + 2)), 1);
        return _mm512_xor_si512(z, _mm512_set1_epi8((char)0x80));
    }
    __m256i qa = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + F.qs)));
    __m256i qb = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(b + F.qs)));
    __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(qa), qb, 1);
    z = _mm512_mask_srli_epi16(z, (__mmask32)0xFF00FF00u, z, 4);  // high nibbles → elements 16..31
    z = _mm512_and_si512(z, _mm512_set1_epi8(15));
    if (F.qh >= 0) {  // element e's fifth bit is bit e of qh
        const __mmask64 h = (__mmask64)sp_q0_ld32(a + F.qh) | (__mmask64)sp_q0_ld32(b + F.qh) << 32;
        z = _mm512_mask_add_epi8(z, h, z, _mm512_set1_epi8(16));
    }
    return z;
}

/// Row pointers and gather offsets of a 16-row group (rows ≥ nr repeat row nr − 1).
typedef struct { const uint8_t *rp[16]; __m512i idx; size_t rb; } sp_q0_rows16;

SP_TQI sp_q0_rows16 sp_q0_rows(const uint8_t *w0, size_t rb, int nr) {
    sp_q0_rows16 R;
    int32_t offs[16];
    for (int j = 0; j < 16; j++) {
        const int r = j < nr ? j : nr - 1;
        R.rp[j] = w0 + (size_t)r * rb;
        offs[j] = (int32_t)((size_t)r * rb);
    }
    R.idx = _mm512_loadu_si512(offs);
    R.rb = rb;
    return R;
}

/// Block b of 16 rows transposed: W[g] lane j = row j's unpacked bytes 4g..4g+3; dx (and mx) lane j = row j's.
SP_TQI void sp_q0_block(int fmt, const sp_q0_rows16 *R, size_t o, const uint8_t *w0, __m512i *W, __m512 *dx,
                        __m512 *mx) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    const __m512i lo2 = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi2 = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    __m512i A[8], t[8], u[8];
    for (int q = 0; q < 8; q++) A[q] = sp_q0_unpack2(fmt, R->rp[q] + o, R->rp[q + 8] + o);
    // 8×8 dword transpose within each 256-bit half (rows q | rows q + 8).
    for (int q = 0; q < 4; q++) {
        t[2 * q] = _mm512_unpacklo_epi32(A[2 * q], A[2 * q + 1]);
        t[2 * q + 1] = _mm512_unpackhi_epi32(A[2 * q], A[2 * q + 1]);
    }
    for (int q = 0; q < 2; q++) {
        for (int h = 0; h < 2; h++) {
            u[4 * q + 2 * h] = _mm512_unpacklo_epi64(t[4 * q + h], t[4 * q + 2 + h]);
            u[4 * q + 2 * h + 1] = _mm512_unpackhi_epi64(t[4 * q + h], t[4 * q + 2 + h]);
        }
    }
    // u[g], g < 4: 128-bit lanes rows 0-3 group g, rows 0-3 group g+4, rows 8-11 group g, rows 8-11 group g+4;
    // u[4 + g] the same for rows 4-7 and 12-15.
    for (int g = 0; g < 4; g++) {
        W[g] = _mm512_permutex2var_epi64(u[g], lo2, u[4 + g]);
        W[g + 4] = _mm512_permutex2var_epi64(u[g], hi2, u[4 + g]);
    }
    const __m512i dm = _mm512_i32gather_epi32(R->idx, (const void *)(w0 + o), 1);  // d | m << 16 per row
    *dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dm));
    if (F.mins) *mx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dm, 16)));
}

/// Prefetches line `pl` onward of pf (pf_lines lines in all), `per` lines a call.
SP_TQI void sp_q0_prefetch(const uint8_t *pf, long *pl, long per, long lines) {
    for (long e = *pl + per; *pl < e && *pl < lines; (*pl)++) _mm_prefetch((const char *)pf + 64 * *pl, _MM_HINT_T0);
}

/// Packs the nb blocks of a 16-row group into pk[8·b + g], dxs[16·b + j], mxs[16·b + j] (formats with
/// mins); prefetches pf[0..<pf_bytes) (the next group) along the way.
SP_TQI void sp_q0_pack(int fmt, const uint8_t *w0, size_t rb, int nr, long nb, __m512i *pk, float *dxs,
                       float *mxs, const uint8_t *pf, size_t pf_bytes) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    const sp_q0_rows16 R = sp_q0_rows(w0, rb, nr);
    const long lines = (long)((pf_bytes + 63) / 64), per = (lines + nb - 1) / nb;
    long pl = 0;
    for (long b = 0; b < nb; b++) {
        sp_q0_prefetch(pf, &pl, per, lines);
        __m512i W[8];
        __m512 dx, mx;
        sp_q0_block(fmt, &R, (size_t)F.bb * b, w0, W, &dx, &mx);
        for (int g = 0; g < 8; g++) _mm512_store_si512(pk + 8 * b + g, W[g]);
        _mm512_store_ps(dxs + 16 * b, dx);
        if (F.mins) _mm512_store_ps(mxs + 16 * b, mx);
    }
}

/// The packed 16 rows a compute loop reads (prefill; decoding has its own kernels).
typedef struct {
    const __m512i *pk;
    const float *dxs, *mxs;
} sp_q0_src;

SP_TQI void sp_q0_source(int fmt, const sp_q0_src *S, long b, __m512i *W, __m512 *dx, __m512 *mx) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    for (int g = 0; g < 8; g++) W[g] = _mm512_load_si512(S->pk + 8 * b + g);
    *dx = _mm512_load_ps(S->dxs + 16 * b);
    if (F.mins) *mx = _mm512_load_ps(S->mxs + 16 * b);
}

#define SP_Q0_DOT(acc, W, q, g) _mm512_dpbusd_epi32(acc, W, _mm512_set1_epi32((int)sp_q0_ld32((q) + 4 * (g))))

/// Writes (or adds) 16 results for rows r0.. of one activation row; lanes past nr are dropped.
SP_TQI void sp_q0_store(float *y, __m512 v, __mmask16 keep, int accumulate) {
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(keep, y), v);
    _mm512_mask_storeu_ps(y, keep, v);
}

/// Q4_0, Q5_0, Q5_1 (one integer sum per block): M activation rows against the 16 packed rows.
SP_TQI void sp_q0_sums(int fmt, int M, const sp_q0_src *S, long nb,
                       const uint8_t *xq, size_t xs, const float *dy, const float *my, const int32_t *cs,
                       float *y, long ldy, __mmask16 keep, int accumulate) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    __m512 acc[4];
    for (int i = 0; i < M; i++) acc[i] = _mm512_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m512i W[8];
        __m512 dx, mx;
        sp_q0_source(fmt, S, b, W, &dx, &mx);
        for (int i = 0; i < M; i++) {
            const uint8_t *q = xq + i * xs + (size_t)F.xb * b + F.xqs;
            __m512i s0 = F.off ? _mm512_set1_epi32(cs[i * nb + b]) : _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
            for (int g = 0; g < 4; g++) {
                s0 = SP_Q0_DOT(s0, W[g], q, g);
                s1 = SP_Q0_DOT(s1, W[g + 4], q, g + 4);
            }
            const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
            const __m512 yd = _mm512_set1_ps(dy[i * nb + b]);
            if (fmt == SP_QFMT_Q4_0) {  // sumf += ((float)sumi·dx)·dy
                acc[i] = _mm512_add_ps(acc[i], _mm512_mul_ps(_mm512_mul_ps(f, dx), yd));
            } else if (fmt == SP_QFMT_Q5_0) {  // sumf += (dx·dy)·sumi
                acc[i] = _mm512_add_ps(acc[i], _mm512_mul_ps(_mm512_mul_ps(dx, yd), f));
            } else {  // Q5_1: sumf += (dx·dy)·sumi + mx·my
                const __m512 t2 = _mm512_mul_ps(mx, _mm512_set1_ps(my[i * nb + b]));
                acc[i] = _mm512_add_ps(acc[i], _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dx, yd), f), t2));
            }
        }
    }
    for (int i = 0; i < M; i++) sp_q0_store(y + i * ldy, acc[i], keep, accumulate);
}

/// Q4_1, Q8_0 (llama.cpp's x86 8-lane order): acc_l = fma(dx·dy, lane_l, acc_l), result hsum8 (+ summs).
SP_TQI void sp_q0_lanes(int fmt, int M, const sp_q0_src *S, long nb,
                        const uint8_t *xq, size_t xs, const float *dy, const float *my, const int32_t *cs,
                        float *y, long ldy, __mmask16 keep, int accumulate) {
    const sp_q0_fmt F = sp_q0_format(fmt);
    __m512 acc[2][8], summs[2];
    for (int i = 0; i < M; i++) {
        summs[i] = _mm512_setzero_ps();
        for (int g = 0; g < 8; g++) acc[i][g] = _mm512_setzero_ps();
    }
    for (long b = 0; b < nb; b++) {
        __m512i W[8];
        __m512 dx, mx;
        sp_q0_source(fmt, S, b, W, &dx, &mx);
        for (int i = 0; i < M; i++) {
            const uint8_t *q = xq + i * xs + (size_t)F.xb * b + F.xqs;
            const __m512 d = _mm512_mul_ps(dx, _mm512_set1_ps(dy[i * nb + b]));
            if (F.mins) summs[i] = _mm512_fmadd_ps(mx, _mm512_set1_ps(my[i * nb + b]), summs[i]);
            for (int g = 0; g < 8; g++) {
                __m512i s = fmt == SP_QFMT_Q8_0 ? _mm512_set1_epi32(cs[(i * nb + b) * 8 + g]) : _mm512_setzero_si512();
                s = SP_Q0_DOT(s, W[g], q, g);
                acc[i][g] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc[i][g]);
            }
        }
    }
    for (int i = 0; i < M; i++) {  // hsum8: r_l = a_{l+4} + a_l, then (r0 + r2) + (r1 + r3)
        const __m512 r0 = _mm512_add_ps(acc[i][4], acc[i][0]), r1 = _mm512_add_ps(acc[i][5], acc[i][1]);
        const __m512 r2 = _mm512_add_ps(acc[i][6], acc[i][2]), r3 = _mm512_add_ps(acc[i][7], acc[i][3]);
        __m512 v = _mm512_add_ps(_mm512_add_ps(r0, r2), _mm512_add_ps(r1, r3));
        if (F.mins) v = _mm512_add_ps(v, summs[i]);
        sp_q0_store(y + i * ldy, v, keep, accumulate);
    }
}
#endif
#endif
