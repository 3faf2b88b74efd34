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

/*
 * llama.cpp's arithmetic (`--activations q8`): the activations quantized per block to the weight
 * format's `vec_dot_type` (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for Q4_K/Q5_K/Q6_K),
 * then integer block dot products with ggml-cpu's `ggml_vec_dot_*_q8_*` float steps in their
 * scalar order (quant_dot_q8.c). Quantization follows ggml-cpu's x86 `quantize_row_q8_0/q8_1`
 * (d = max|x|/127, q = round-half-even(x·127/max)) and `quantize_row_q8_K_ref`.
 * Activation block layouts: Q8_0 34 bytes (f16 d, i8 qs[32]); Q8_1 36 bytes (f16 d, f16 s = d·Σq,
 * i8 qs[32]); Q8_K 292 bytes (f32 d, i8 qs[256], i16 bsums[16]).
 */
enum { SP_Q8ACT_Q8_0 = 0, SP_Q8ACT_Q8_1 = 1, SP_Q8ACT_Q8_K = 2 };

/// The activation block kind weight format `fmt` multiplies against (SP_Q8ACT_*), or -1.
int sp_q8_act_kind(int fmt);

/// Bytes of `k` activations quantized as `kind` (k a multiple of its block: 32, or 256 for Q8_K).
size_t sp_q8_act_bytes(int kind, long k);

/// Quantizes x[0..<k] into `out` (sp_q8_act_bytes(kind, k) bytes) as ggml-cpu does on x86.
void sp_q8_quantize(int kind, const float *x, long k, void *out);

/// y[i·ldy + r] = dot(row r, x row i) (or += when `accumulate`) for rows r in [0, rows) and the `m`
/// quantized activation rows at `xq + i·xq_stride` (each `k` elements of sp_q8_act_kind(fmt)).
/// `level` as for sp_qdot_rows. Results are bitwise identical at every level.
void sp_qdot_q8_rows(int fmt, int level, const void *w, size_t row_bytes, long rows,
                     const void *xq, size_t xq_stride, long m, long k, float *y, long ldy, int accumulate);

/*
 * The one-row float32 product of decoding, y = W·x for a row-major W [rows, k] (gemv.c): memory-bound,
 * so it streams W once at the machine's read bandwidth — one row after the other in address order
 * (x stays in L1), 512- or 256-bit FMAs, four accumulators per row. Callers split the rows over
 * threads. Kernel sets as for the block dots (sp_qdot_max_level picks): AVX-512, AVX2 + FMA, generic.
 */

/// y[r] = Σᵢ w[r·ldw + i]·x[i] (or y[r] += … when `accumulate`) for r in [0, rows). `level` as for
/// sp_qdot_rows (-1 = best). Shapes: w [rows, ldw] (k ≤ ldw used), x [k], y [rows].
void sp_sgemv_rows(int level, const float *w, long ldw, long rows, const float *x, long k, float *y, int accumulate);

#endif
