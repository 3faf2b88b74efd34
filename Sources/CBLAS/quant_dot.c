// Block dot products (softprompt_quant.h): the kernels of quant_dot_kernels.h compiled three times,
// for AVX-512, AVX2 + FMA and the baseline ISA, and a dispatcher on the CPU's features.
// Contraction is off so every kernel computes the same float operations (only their grouping into
// vector lanes differs), which keeps the three sets within float summation order of each other.

#include "softprompt_quant.h"
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#include "quant_common.h"

#define SP_KERNELS_FILE "quant_dot_kernels.h"
#include "quant_isa_sets.h"
#if defined(__x86_64__)
#include "quant_dot_avx512.h"
#endif

int sp_qdot_max_level(void) {
#if defined(__x86_64__)
    static int level = -1;
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
            l = SP_QLEVEL_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            l = SP_QLEVEL_AVX2;
        else
            l = SP_QLEVEL_GENERIC;
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
#else
    return SP_QLEVEL_GENERIC;
#endif
}

void sp_qdot_rows(int fmt, int level, const void *w, size_t row_bytes, long rows,
                  const float *x, long k, float *y, int accumulate) {
    int best = sp_qdot_max_level();
    if (level < 0 || level > best) level = best;
#if defined(__x86_64__)
    long block;
    int pass;
    sp512_rows_fn f512 = level == SP_QLEVEL_AVX512 ? sp512_kernel(fmt, &block, &pass) : 0;
    if (f512) {
        // `pass` rows per call (x loaded once for them), the last call with the rows that are left
        for (long r = 0; r < rows; r += pass) {
            const int n = rows - r < pass ? (int)(rows - r) : pass;
            float t[4];
            f512((const uint8_t *)w + (size_t)r * row_bytes, row_bytes, n, x, k / block, t);
            for (int j = 0; j < n; j++) y[r + j] = accumulate ? y[r + j] + t[j] : t[j];
        }
        return;
    }
#endif
    for (long r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;
        float s;
#if defined(__x86_64__)
        if (level == SP_QLEVEL_AVX512) s = qdot_avx512(fmt, row, x, k);
        else if (level == SP_QLEVEL_AVX2) s = qdot_avx2(fmt, row, x, k);
        else s = qdot_generic(fmt, row, x, k);
#else
        s = qdot_generic(fmt, row, x, k);
#endif
        y[r] = accumulate ? y[r] + s : s;
    }
}
