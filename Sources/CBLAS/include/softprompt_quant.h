#ifndef SOFTPROMPT_QUANT_H
#define SOFTPROMPT_QUANT_H
#include <stdint.h>
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
 * then integer block dot products with ggml-cpu's `ggml_vec_dot_*_q8_*` float steps in a fixed
 * scalar order (quant_dot_q8.c: Q4_1 and Q8_0 as llama.cpp's x86 build, the others as the generic). Quantization follows ggml-cpu's x86 `quantize_row_q8_0/q8_1`
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

/// sp_q8_quantize with a kernel set: 2 (AVX-512, when sp_ggml_max_level() is 2) or 0 (the scalar
/// definition); -1 = best. Both write the same bytes.
void sp_q8_quantize_at(int level, int kind, const float *x, long k, void *out);

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


/*
 * llama.cpp's float arithmetic outside the weight products (`--activations q8`; ggml_ops.c), as its
 * x86 build of ggml-cpu evaluates it.
 */

/// The kernel set these ops run: 2 AVX-512 (F, BW, VL, DQ), 1 AVX2 + FMA + F16C, 0 the baseline ISA
/// (soft-float half conversions, libm fmaf: the scalar definition). Every set gives the same bits;
/// the `_at`/`_rows`/`_pairs` entries take a level (-1 = best), the others run the best.
int sp_ggml_max_level(void);

/// x[i] = x rounded to IEEE half and back (llama.cpp's F16 KV cache: round to nearest even).
void sp_ggml_round_f16(float *x, long n);
void sp_ggml_round_f16_at(int level, float *x, long n);

/// ggml-cpu's flash attention (`ggml_compute_forward_flash_attn_ext_f16_one_chunk`) over an F16 KV
/// cache: q rounded to f16, scores by ggml_vec_dot_f16, online softmax with expf, the output
/// accumulated in f16 (ggml_vec_scale_f16 / ggml_vec_mad_f16), then divided by the sum.
/// Query i (0..<tokens, absolute position past + i), head h sees key j ≤ past + i with
/// key_mask[j] ≠ 0 (NULL: all) and, when window > 0, j > past + i − window; kv head h / (heads/kv_heads).
/// Shapes: q [tokens, q_token ≥ heads·head_dim]; k, v [keys, kv_token ≥ kv_heads·head_dim] holding
/// f16 values; out [tokens, out_token ≥ heads·head_dim]. gguf_rot > 0: q and k are in the HF order of a
/// llama GGUF whose converter permuted them; the scores sum in the file's order (dim 2i + j = HF dim
/// j·gguf_rot/2 + i), as llama.cpp does.
void sp_ggml_flash_attn_f16(const float *q, long q_token, int tokens, int heads, int kv_heads, int head_dim,
                            const float *k, const float *v, long kv_token, const float *key_mask, int past,
                            int window, float scale, int gguf_rot, float *out, long out_token);

/// sp_ggml_flash_attn_f16 for the (token, head) pairs p0..<p1 only (p = i·heads + h; independent,
/// so ranges may run on different threads).
void sp_ggml_flash_attn_f16_pairs(int level, const float *q, long q_token, int heads, int kv_heads, int head_dim,
                                  const float *k, const float *v, long kv_token, const float *key_mask, int past,
                                  int window, float scale, int gguf_rot, float *out, long out_token, long p0, long p1);


/// ggml's RMSNorm and weight product per row: squares summed in double, mean rounded to float,
/// y = x·(1/sqrtf(mean + eps))·w (w NULL: no weight). Shapes: x, y [rows, cols]; w [cols].
void sp_ggml_rms_norm(const float *x, const float *w, float *y, long rows, long cols, float eps);
/// sp_ggml_rms_norm on rows r0..<r1.
void sp_ggml_rms_norm_rows(int level, const float *x, const float *w, float *y, long r0, long r1, long cols, float eps);

/// ggml_vec_swiglu_f32 per row (AVX-512 build): y = silu(gate)·up, silu through ggml_v_expf on
/// 16-lane blocks, libm expf on the leftover lanes. Shapes: gate, up, y [rows, cols].
void sp_ggml_swiglu(const float *gate, const float *up, float *y, long rows, long cols);
/// sp_ggml_swiglu on rows r0..<r1.
void sp_ggml_swiglu_rows(int level, const float *gate, const float *up, float *y, long r0, long r1, long cols);


/// ggml's rotary tables without scaling: for each position p, theta = p, then theta ·= powf(base,
/// −2/n_dims) per pair; cos/sin by cosf/sinf. Shapes: positions [count]; cos, sin [count, n_dims/2].
void sp_ggml_rope_tables(const int32_t *positions, long count, int n_dims, float freq_base, float *cos_out, float *sin_out);

/// Rotates one head vector x[0..<n_dims] in place as ggml's rotate_pairs (GCC-contracted): pairs
/// (i, i + n_dims/2), or (2i, 2i + 1) when `interleaved`; d0 = fma(x0, c, −x1·s), d1 = fma(x0, s, x1·c).
void sp_ggml_rope_apply(float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t);
void sp_ggml_rope_apply_at(int level, float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t);

/// sp_ggml_rope_apply on every head of token rows t0..<t1: head h of row t at x + t·token_stride +
/// h·head_stride, with the tables' row t (cos_t, sin_t [rows, n_dims/2]).
void sp_ggml_rope_rows(int level, float *x, long token_stride, long head_stride, int heads, long t0, long t1,
                       int n_dims, int interleaved, const float *cos_t, const float *sin_t);

#endif
