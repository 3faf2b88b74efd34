#ifndef SOFTPROMPT_BLAS_H
#define SOFTPROMPT_BLAS_H
/*
 * OpenBLAS, loaded at run time.
 *
 * OpenBLAS picks its kernels once, in its library constructor, from the CPU and the
 * OPENBLAS_CORETYPE environment variable. That variable is often set machine-wide as a
 * workaround for OpenBLAS misdetecting new CPUs (e.g. "Haswell" on a fleet that includes AMD
 * Zen 5), which halves sgemm speed on a CPU that runs AVX-512. So we dlopen OpenBLAS ourselves
 * after choosing, under SOFTPROMPT_BLAS_CORE:
 *   auto (default): on a CPU and OS with AVX-512 F/DQ/CD/BW/VL, "SkylakeX" (the sgemm/sgemv
 *     kernels Cooperlake and SapphireRapids share) unless OPENBLAS_CORETYPE already names one of
 *     those; without AVX-512, OpenBLAS's own choice, dropping an OPENBLAS_CORETYPE that needs
 *     AVX-512 (it would die with SIGILL);
 *   env: OpenBLAS's own choice, OPENBLAS_CORETYPE included;
 *   any other value: that kernel set (an AVX-512 one on a CPU without it is a load error).
 * SOFTPROMPT_OPENBLAS names a library file to load instead of libopenblas.so.0.
 * The ggml block panels that feed sp_sgemm on quantized weights: softprompt_quant_panel.h
 * (included here, so that a module cache built before that header existed is rebuilt).
 */
#include <stddef.h>
#include "softprompt_quant_panel.h"

/// Loads OpenBLAS once (thread-safe). Returns NULL on success, otherwise a message naming the
/// library tried and how to install it. Later calls return the first call's result.
const char *sp_blas_load(void);

/// Tries `path` with dlopen and the symbols we use, without keeping it: NULL when usable,
/// otherwise the message `sp_blas_load` would give. For tests and diagnostics.
const char *sp_blas_probe(const char *path);

/// The kernel set and how it was chosen, e.g. "SkylakeX (chosen by softprompt: the CPU runs
/// AVX-512)", "Zen (OpenBLAS's detection)" or "Haswell (OPENBLAS_CORETYPE)"; "" when loading failed.
const char *sp_blas_core_choice(void);

enum { SP_CORE_ERROR = -1, SP_CORE_LEAVE = 0, SP_CORE_SET = 1, SP_CORE_UNSET = 2 };

/// The decision sp_blas_load makes, as a pure function (for tests): given SOFTPROMPT_BLAS_CORE
/// (`mode`, may be NULL), OPENBLAS_CORETYPE (`user`, may be NULL) and whether the CPU runs
/// AVX-512, returns SP_CORE_LEAVE (leave OPENBLAS_CORETYPE as it is), SP_CORE_SET (set it to
/// `want`), SP_CORE_UNSET (remove it) or SP_CORE_ERROR; `how` gets the reason or the error.
int sp_blas_choose_core(const char *mode, const char *user, int avx512, char *want, size_t want_size, char *how,
                        size_t how_size);

/// Row-major C[m,n] = alpha·op(A)·op(B) + beta·C (cblas_sgemm with CblasRowMajor).
void sp_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/// Row-major y = alpha·op(A)·x + beta·y, unit strides (cblas_sgemv with CblasRowMajor).
void sp_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x,
              float beta, float *y);

void sp_blas_set_num_threads(int threads);
int sp_blas_get_num_threads(void);
const char *sp_blas_config(void);
const char *sp_blas_corename(void);

/// 1 when the loaded kernel set is an AVX-512 one (SkylakeX, Cooperlake, SapphireRapids).
int sp_blas_uses_avx512(void);

/// 1 when the CPU and OS support AVX-512 F, DQ, CD, BW and VL.
int sp_cpu_has_avx512(void);

/// `n` rounds of 12 independent 16-wide FMA chains (AVX-512; call only when
/// sp_cpu_has_avx512()). Returns a sum so the work is not optimised away.
float sp_fma_loop_avx512(long n);

#endif
