// The decoding one-row bf16 product (softprompt_bf16_gemv.h): four rows of W per pass share each
// 32-element load of the bf16 activation row, one vdpbf16ps chain per row (16 lanes × 2 products),
// a masked load for the last k mod 32 elements. Decoding streams W once, so the loop is bound by
// read bandwidth: four independent chains keep the dot units far above it.

#include "softprompt_bf16_gemv.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define GEMV_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/// PyTorch's bf16 rounding of one float (round to nearest even, NaN → 0x7FC0), kept as float32.
static inline float round_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u = (f != f) ? 0x7FC00000u : ((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
    memcpy(&f, &u, 4);
    return f;
}

/// Lanes l + l⊕8, then + l⊕4, + l⊕2, + l⊕1 (the order the header promises).
GEMV_TARGET static inline float reduce16(__m512 v) {
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 a = _mm256_add_ps(lo, hi);
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
}

GEMV_TARGET static inline void finish(float *y, const float *bias, long j, float t, int accumulate, int round_out) {
    float s = accumulate ? y[j] + t : t;
    if (bias) s += bias[j];
    y[j] = round_out ? round_bf16(s) : s;
}

GEMV_TARGET void sp_bf16_gemv(const uint16_t *w, long ldw, long rows, const uint16_t *xb, long k, const float *bias,
                              float *y, int accumulate, int round_out) {
    const long tail = k % 32, body = k - tail;
    const __mmask32 tm = (__mmask32)((1ull << tail) - 1);
    long r = 0;
    // W rows [r, r+4) · x: x chunk [32] bf16, W chunks [4][32] bf16, accumulators [4][16] float32.
    for (; r + 4 <= rows; r += 4) {
        const uint16_t *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (long i = 0; i < body; i += 32) {
            __m512bh x = (__m512bh)_mm512_loadu_si512(xb + i);
            a0 = _mm512_dpbf16_ps(a0, x, (__m512bh)_mm512_loadu_si512(w0 + i));
            a1 = _mm512_dpbf16_ps(a1, x, (__m512bh)_mm512_loadu_si512(w1 + i));
            a2 = _mm512_dpbf16_ps(a2, x, (__m512bh)_mm512_loadu_si512(w2 + i));
            a3 = _mm512_dpbf16_ps(a3, x, (__m512bh)_mm512_loadu_si512(w3 + i));
        }
        if (tail) {
            __m512bh x = (__m512bh)_mm512_maskz_loadu_epi16(tm, xb + body);
            a0 = _mm512_dpbf16_ps(a0, x, (__m512bh)_mm512_maskz_loadu_epi16(tm, w0 + body));
            a1 = _mm512_dpbf16_ps(a1, x, (__m512bh)_mm512_maskz_loadu_epi16(tm, w1 + body));
            a2 = _mm512_dpbf16_ps(a2, x, (__m512bh)_mm512_maskz_loadu_epi16(tm, w2 + body));
            a3 = _mm512_dpbf16_ps(a3, x, (__m512bh)_mm512_maskz_loadu_epi16(tm, w3 + body));
        }
        finish(y, bias, r, reduce16(a0), accumulate, round_out);
        finish(y, bias, r + 1, reduce16(a1), accumulate, round_out);
        finish(y, bias, r + 2, reduce16(a2), accumulate, round_out);
        finish(y, bias, r + 3, reduce16(a3), accumulate, round_out);
    }
    for (; r < rows; r++) {
        const uint16_t *w0 = w + r * ldw;
        __m512 a0 = _mm512_setzero_ps();
        for (long i = 0; i < body; i += 32)
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(xb + i), (__m512bh)_mm512_loadu_si512(w0 + i));
        if (tail)
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_maskz_loadu_epi16(tm, xb + body),
                                  (__m512bh)_mm512_maskz_loadu_epi16(tm, w0 + body));
        finish(y, bias, r, reduce16(a0), accumulate, round_out);
    }
}

#else

void sp_bf16_gemv(const uint16_t *w, long ldw, long rows, const uint16_t *xb, long k, const float *bias, float *y,
                  int accumulate, int round_out) {
    (void)w; (void)ldw; (void)rows; (void)xb; (void)k; (void)bias; (void)y; (void)accumulate; (void)round_out;
    __builtin_trap();  // unreachable: sp_cpu_has_avx512_bf16() is 0 off x86-64
}

#endif
