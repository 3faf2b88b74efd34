#ifndef SOFTPROMPT_QUANT_H
#define SOFTPROMPT_QUANT_H
/*
 * Dot products of float32 activations with rows of ggml quantized blocks (the few-row products of
 * decoding on weights kept in their GGUF format). Each block is unpacked to float32 in registers
 * and multiplied with x in float32: the result equals the dot with the dequantized row up to float
 * summation order (scales are applied per block / sub-block, as sum(q*x)*d + sum(x)*m).
 * Kernel sets: AVX-512 (F, BW, VL), AVX2 + FMA, and a generic C fallback, chosen from the CPU once.
 */
#include <stddef.h>

enum {
    SP_QFMT_Q4_0 = 0, SP_QFMT_Q4_1 = 1, SP_QFMT_Q5_0 = 2, SP_QFMT_Q5_1 = 3, SP_QFMT_Q8_0 = 4,
    SP_QFMT_Q4_K = 5, SP_QFMT_Q5_K = 6, SP_QFMT_Q6_K = 7
};

/// Kernel levels: 0 generic C, 1 AVX2 + FMA, 2 AVX-512.
enum { SP_QLEVEL_GENERIC = 0, SP_QLEVEL_AVX2 = 1, SP_QLEVEL_AVX512 = 2 };

/// The best level this CPU runs (what `sp_qdot_rows` uses).
int sp_qdot_max_level(void);

/// y[r] = dot(row r, x) (or y[r] += … when `accumulate`) for r in [0, rows): row r starts at
/// `w + r * row_bytes` and holds `k` elements (a multiple of the format's block size) in format `fmt`.
/// `level` picks the kernel set; a level above `sp_qdot_max_level()` is lowered to it; -1 = best.
void sp_qdot_rows(int fmt, int level, const void *w, size_t row_bytes, long rows,
                  const float *x, long k, float *y, int accumulate);

#endif
