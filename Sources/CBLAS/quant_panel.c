// Panel dequantization (softprompt_quant_panel.h): the kernels of quant_panel_kernels.h compiled
// three times, for AVX-512, AVX2 + F16C and the baseline ISA, and a dispatcher on the CPU's features
// (the level rule of quant_dot.c's sp_qdot_max_level). Contraction is off, so every kernel set writes
// bit-identical floats: those of the Swift reference (BlockDequant*.swift) and of gguf-py.

#include "softprompt_quant_panel.h"
#include "softprompt_quant.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

#include "quant_common.h"

#define SP_CAT2(a, b) a##b
#define SP_CAT(a, b) SP_CAT2(a, b)
#define SFX(name) SP_CAT(name, SP_KSUFFIX)

#define SP_KSUFFIX _generic
#define SP_HALF(p) sp_half(p)
#include "quant_panel_kernels.h"
#undef SP_HALF
#undef SP_KSUFFIX

#if defined(__x86_64__)
/// The same widening with F16C's vcvtph2ps (exact for every half; only a signalling NaN comes out
/// quieted, and the product that follows quiets it in the other sets too).
#define SP_HALF(p) _cvtsh_ss((unsigned short)((p)[0] | (p)[1] << 8))

#define SP_KSUFFIX _avx2
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "quant_panel_kernels.h"
#pragma clang attribute pop
#undef SP_KSUFFIX

#define SP_KSUFFIX _avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), \
                             apply_to = function)
#include "quant_panel_kernels.h"
#include "quant_panel_avx512.h"
#pragma clang attribute pop
#undef SP_KSUFFIX
#undef SP_HALF
#endif

void sp_qpanel_dequant(int fmt, int level, const void *src, long blocks, float *dst) {
    if (blocks <= 0 || fmt < SP_QFMT_Q4_0 || fmt > SP_QFMT_Q6_K) return;
    int best = sp_qdot_max_level();
    if (level < 0 || level > best) level = best;
    const uint8_t *s = (const uint8_t *)src;
#if defined(__x86_64__)
    if (level == SP_QLEVEL_AVX512) panel_avx512_dispatch(fmt, s, blocks, dst);
    else if (level == SP_QLEVEL_AVX2) panel_avx2(fmt, s, blocks, dst);
    else panel_generic(fmt, s, blocks, dst);
#else
    panel_generic(fmt, s, blocks, dst);
#endif
}
