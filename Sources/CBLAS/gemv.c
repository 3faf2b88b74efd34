// The decoding matvec (softprompt_quant.h): float32 rows · x, four rows per pass, compiled for
// AVX-512, AVX2 + FMA and the baseline ISA. Each row's sum is two FMA chains over 16 (8) lanes,
// added lane-wise and reduced at the end; a masked (scalar) tail covers k not a multiple of 32 (16).

#include "softprompt_quant.h"
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void gemv_generic(const float *w, long ldw, long rows, const float *x, long k, float *y, int acc) {
    for (long r = 0; r < rows; r++) {
        const float *row = w + r * ldw;
        float s[8] = {0};
        long i = 0;
        for (; i + 8 <= k; i += 8)
            for (int l = 0; l < 8; l++) s[l] += row[i + l] * x[i + l];
        float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; i < k; i++) t += row[i] * x[i];
        y[r] = acc ? y[r] + t : t;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 4 rows × 2 accumulators of 8 lanes; rows [r, r+4) share each x load.
__attribute__((target("avx2,fma"))) static void gemv_avx2(const float *w, long ldw, long rows, const float *x, long k,
                                                         float *y, int acc) {
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long i = 0;
        for (; i + 16 <= k; i += 16) {
            __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), x0, a0); b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i + 8), x1, b0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), x0, a1); b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i + 8), x1, b1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), x0, a2); b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i + 8), x1, b2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), x0, a3); b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i + 8), x1, b3);
        }
        float t[4] = {hsum256(_mm256_add_ps(a0, b0)), hsum256(_mm256_add_ps(a1, b1)), hsum256(_mm256_add_ps(a2, b2)),
                      hsum256(_mm256_add_ps(a3, b3))};
        for (; i < k; i++) {
            t[0] += w0[i] * x[i]; t[1] += w1[i] * x[i]; t[2] += w2[i] * x[i]; t[3] += w3[i] * x[i];
        }
        for (int j = 0; j < 4; j++) y[r + j] = acc ? y[r + j] + t[j] : t[j];
    }
    if (r < rows) gemv_generic(w + r * ldw, ldw, rows - r, x, k, y + r, acc);
}

// 4 rows × 2 accumulators of 16 lanes; the tail (k mod 32) through masked loads.
__attribute__((target("avx512f"))) static void gemv_avx512(const float *w, long ldw, long rows, const float *x, long k,
                                                          float *y, int acc) {
    const long tail = k % 16, body = k - tail;
    const __mmask16 m = (__mmask16)((1u << tail) - 1u);
    for (long r = 0; r < rows; r += 4) {
        const int n = rows - r < 4 ? (int)(rows - r) : 4;
        const float *wr[4];
        for (int j = 0; j < 4; j++) wr[j] = w + (r + (j < n ? j : 0)) * ldw;
        __m512 a[4], b[4];
        for (int j = 0; j < 4; j++) a[j] = b[j] = _mm512_setzero_ps();
        long i = 0;
        for (; i + 32 <= body; i += 32) {
            __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
            for (int j = 0; j < 4; j++) {
                a[j] = _mm512_fmadd_ps(_mm512_loadu_ps(wr[j] + i), x0, a[j]);
                b[j] = _mm512_fmadd_ps(_mm512_loadu_ps(wr[j] + i + 16), x1, b[j]);
            }
        }
        if (i < body) {
            __m512 x0 = _mm512_loadu_ps(x + i);
            for (int j = 0; j < 4; j++) a[j] = _mm512_fmadd_ps(_mm512_loadu_ps(wr[j] + i), x0, a[j]);
            i += 16;
        }
        if (tail) {
            __m512 x0 = _mm512_maskz_loadu_ps(m, x + i);
            for (int j = 0; j < 4; j++) b[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, wr[j] + i), x0, b[j]);
        }
        for (int j = 0; j < n; j++) {
            float t = _mm512_reduce_add_ps(_mm512_add_ps(a[j], b[j]));
            y[r + j] = acc ? y[r + j] + t : t;
        }
    }
}
#endif

void sp_sgemv_rows(int level, const float *w, long ldw, long rows, const float *x, long k, float *y, int accumulate) {
    int best = sp_qdot_max_level();
    if (level < 0 || level > best) level = best;
#if defined(__x86_64__)
    if (level == SP_QLEVEL_AVX512) { gemv_avx512(w, ldw, rows, x, k, y, accumulate); return; }
    if (level == SP_QLEVEL_AVX2) { gemv_avx2(w, ldw, rows, x, k, y, accumulate); return; }
#endif
    gemv_generic(w, ldw, rows, x, k, y, accumulate);
}
