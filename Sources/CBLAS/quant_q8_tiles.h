// Internal seam of `--activations q8` (not a public header): hand-written tiles for CPUs with
// AVX-512 VNNI, one file per weight family, dispatched by quant_q8_tiles.c from sp_qdot_q8_rows at the
// AVX-512 level. Every tile returns exactly the bits of the scalar kernels in quant_dot_q8_kernels.h
// (integer sums are exact in any order; the float steps keep their order), so the levels stay equal.
// A tile returns 1 when it computed y, 0 when it does not take the format (the caller falls back).
//
// Shapes (all tiles): w `[rows, k]` in `fmt` blocks, row stride `row_bytes`; xq m activation rows of
// sp_q8_act_bytes(sp_q8_act_kind(fmt), k) bytes, stride `xq_stride`; y[i·ldy + r] (+)= dot(w row r, xq row i).
#ifndef SOFTPROMPT_QUANT_Q8_TILES_H
#define SOFTPROMPT_QUANT_Q8_TILES_H
#include <stddef.h>

/// 1 when the CPU runs AVX-512 F/BW/VL/DQ and VNNI (checked once).
int sp_q8_has_vnni(void);

/// The tiles for 32-element formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (quant_q8_tiles_q0.c).
int sp_q8_tiles_q0(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                   long m, long k, float *y, long ldy, int accumulate);

/// The tiles for K-quants: Q4_K, Q5_K, Q6_K (quant_q8_tiles_k.c).
int sp_q8_tiles_k(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                  long m, long k, float *y, long ldy, int accumulate);

/// Dispatch by format; 0 when no tile takes it or the CPU lacks VNNI.
int sp_q8_tiles(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                long m, long k, float *y, long ldy, int accumulate);
#endif
