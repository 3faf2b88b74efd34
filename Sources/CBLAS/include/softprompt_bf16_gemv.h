#ifndef SOFTPROMPT_BF16_GEMV_H
#define SOFTPROMPT_BF16_GEMV_H
/*
 * The decoding one-row product on AVX512-BF16 (bf16_gemv.c): y = bf16(x)·Wᵀ with W stored bf16
 * [rows][ldw], float32 sums. Callers split the rows of W across threads; every row's sum is the
 * same whatever the split.
 */
#include <stdint.h>

/// y[j] = (accumulate ? y[j] : 0) + Σ_i xb[i]·W[j][i] (+ bias[j]), j in [0, rows); bf16(y[j]) when
/// round_out is 1. xb: the activation row already rounded to bf16 (sp_f32_to_bf16), `k` values.
/// Order of the float32 sums (what the scalar reference re-derives): one 16-lane accumulator per
/// row; for each 32-element chunk c (the last one zero-padded), lane l takes the pair
/// (i = 32c + 2l, i + 1) by vdpbf16ps (odd product added first, then the even one, each rounded);
/// then lanes l + l⊕8 (8 sums), + l⊕4, + l⊕2, + l⊕1; then the accumulate, the bias, the rounding.
/// AVX512-BF16 only: call it only when sp_cpu_has_avx512_bf16() is 1.
void sp_bf16_gemv(const uint16_t *w, long ldw, long rows, const uint16_t *xb, long k, const float *bias, float *y,
                  int accumulate, int round_out);

#endif
