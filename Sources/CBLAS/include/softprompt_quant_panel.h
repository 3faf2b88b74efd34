#ifndef SOFTPROMPT_QUANT_PANEL_H
#define SOFTPROMPT_QUANT_PANEL_H
/*
 * Dequantization of ggml blocks (formats SP_QFMT_* of softprompt_quant.h) to float32 panels for
 * the many-row products (prefill, training): rows of blocks are contiguous, so `blocks` blocks
 * starting at a row boundary become the row-major [rows, k] panel SGEMM reads (ldb = k), with no
 * further copy. The values are bit-identical to gguf-py's dequantize and to BlockDequant*.swift in
 * every kernel set (AVX-512, AVX2 + F16C, generic C; chosen as sp_qdot_max_level() says).
 */

/// dst[b · QK ..< (b + 1) · QK] = the floats of block b, for b in [0, blocks), the block of `fmt` at
/// `src + b · block bytes` (QK = 32, or 256 for Q4_K, Q5_K, Q6_K). `level` forces a kernel set
/// (SP_QLEVEL_*; tests); one above the CPU's best is lowered to it; -1 = best. An unknown `fmt`
/// writes nothing.
void sp_qpanel_dequant(int fmt, int level, const void *src, long blocks, float *dst);

#endif
