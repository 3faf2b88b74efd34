// The CPU feature checks and the loops `softprompt bench peak` measures (the bf16 dot-product peak
// and the read bandwidth). See softprompt_bf16.h for the contracts.

#include "softprompt_bf16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

int sp_cpu_has_avx512_bf16(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

int sp_cpu_has_avx2(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
float sp_bf16_dp_loop(long n) {
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3F803F80), b = (__m512bh)_mm512_set1_epi32(0x33D633D6);
    __m512 c[12];
    for (int i = 0; i < 12; i++) c[i] = _mm512_set1_ps(1.0f);
    for (long r = 0; r < n; r++) {
        // 12 independent chains cover the dot-product latency on both pipes.
        for (int i = 0; i < 12; i++) c[i] = _mm512_dpbf16_ps(c[i], i < 6 ? a : b, i < 6 ? b : a);
    }
    __m512 s = c[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, c[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2"))) float sp_read_sum_avx2(const float *p, long n) {
    __m256 s[8];
    for (int i = 0; i < 8; i++) s[i] = _mm256_setzero_ps();
    for (long i = 0; i < n; i += 64)
        for (int j = 0; j < 8; j++) s[j] = _mm256_add_ps(s[j], _mm256_load_ps(p + i + 8 * j));
    __m256 t = s[0];
    for (int j = 1; j < 8; j++) t = _mm256_add_ps(t, s[j]);
    float out[8];
    _mm256_storeu_ps(out, t);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

#else
float sp_bf16_dp_loop(long n) { (void)n; return 0; }
float sp_read_sum_avx2(const float *p, long n) {
    float s = 0;
    for (long i = 0; i < n; i++) s += p[i];
    return s;
}
#endif
