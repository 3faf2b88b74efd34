// Dispatch of the `--activations q8` VNNI tiles (quant_q8_tiles.h).
#include "softprompt_quant.h"
#include "quant_q8_tiles.h"

int sp_q8_has_vnni(void) {
#if defined(__x86_64__)
    static int has = -1;
    int h = __atomic_load_n(&has, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vnni");
        __atomic_store_n(&has, h, __ATOMIC_RELAXED);
    }
    return h;
#else
    return 0;
#endif
}

int sp_q8_tiles(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                long m, long k, float *y, long ldy, int accumulate) {
    if (!sp_q8_has_vnni()) return 0;
    switch (fmt) {
    case SP_QFMT_Q4_0: case SP_QFMT_Q4_1: case SP_QFMT_Q5_0: case SP_QFMT_Q5_1: case SP_QFMT_Q8_0:
        return sp_q8_tiles_q0(fmt, w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    case SP_QFMT_Q4_K: case SP_QFMT_Q5_K: case SP_QFMT_Q6_K:
        return sp_q8_tiles_k(fmt, w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate);
    default:
        return 0;
    }
}
