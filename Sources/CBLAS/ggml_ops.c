// llama.cpp's float arithmetic outside the weight products, for `--activations q8` (llama.cpp's
// arithmetic): its default F16 KV cache read by ggml-cpu's flash-attention kernel, RMSNorm with a
// double sum, rotary angles by repeated multiplication, SiLU through ggml's vector exp. Re-derived
// from the llama-cpp-python 0.3.36 sdist's ggml-cpu (ops.cpp, vec.cpp/vec.h, simd-mappings.h) as its
// x86 AVX-512 build (GGML_NATIVE on Zen 4, GCC) evaluates them; every step in ggml_ops_kernels.h
// names its source. The kernels are compiled for three ISA levels (sp_ggml_max_level) with the same
// bits; the entry points without a level run the best one.
#include "softprompt_quant.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

#define SP_GCAT2(a, b) a##b
#define SP_GCAT(a, b) SP_GCAT2(a, b)
#define SFX(name) SP_GCAT(SP_GCAT(sp_gk_, name), SP_GSUFFIX)

#define SP_GLEVEL 0
#define SP_GSUFFIX _generic
#include "ggml_ops_kernels.h"
#undef SP_GLEVEL
#undef SP_GSUFFIX

#if defined(__x86_64__)
#define SP_GLEVEL 1
#define SP_GSUFFIX _avx2
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "ggml_ops_kernels.h"
#pragma clang attribute pop
#undef SP_GLEVEL
#undef SP_GSUFFIX

#define SP_GLEVEL 2
#define SP_GSUFFIX _avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), \
                             apply_to = function)
#include "ggml_ops_kernels.h"
#pragma clang attribute pop
#undef SP_GLEVEL
#undef SP_GSUFFIX
#endif

int sp_ggml_max_level(void) {
    static int level = -1;
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = 0;
#if defined(__x86_64__)
        __builtin_cpu_init();
        const int f16 = __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
        if (f16 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
            l = 2;
        else if (f16 && __builtin_cpu_supports("avx2"))
            l = 1;
#endif
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

static int sp_glevel(int level) {
    const int best = sp_ggml_max_level();
    return level < 0 || level > best ? best : level;
}

#if defined(__x86_64__)
#define SP_GDISPATCH(level, name, ...)                                                  \
    do {                                                                                \
        switch (sp_glevel(level)) {                                                     \
        case 2: SP_GCAT(SP_GCAT(sp_gk_, name), _avx512)(__VA_ARGS__); break;            \
        case 1: SP_GCAT(SP_GCAT(sp_gk_, name), _avx2)(__VA_ARGS__); break;              \
        default: SP_GCAT(SP_GCAT(sp_gk_, name), _generic)(__VA_ARGS__); break;          \
        }                                                                               \
    } while (0)
#else
#define SP_GDISPATCH(level, name, ...) SP_GCAT(SP_GCAT(sp_gk_, name), _generic)(__VA_ARGS__)
#endif

void sp_ggml_round_f16_at(int level, float *x, long n) { SP_GDISPATCH(level, round_f16, x, n); }

void sp_ggml_round_f16(float *x, long n) { sp_ggml_round_f16_at(-1, x, n); }

void sp_ggml_flash_attn_f16_pairs(int level, const float *q, long q_token, int heads, int kv_heads, int head_dim,
                                  const float *k, const float *v, long kv_token, const float *key_mask, int past,
                                  int window, float scale, int gguf_rot, float *out, long out_token, long p0, long p1) {
    SP_GDISPATCH(level, flash_attn, q, q_token, heads, kv_heads, head_dim, k, v, kv_token, key_mask, past, window, scale,
                 gguf_rot, out, out_token, p0, p1);
}

void sp_ggml_flash_attn_f16(const float *q, long q_token, int tokens, int heads, int kv_heads, int head_dim,
                            const float *k, const float *v, long kv_token, const float *key_mask, int past,
                            int window, float scale, int gguf_rot, float *out, long out_token) {
    sp_ggml_flash_attn_f16_pairs(-1, q, q_token, heads, kv_heads, head_dim, k, v, kv_token, key_mask, past, window,
                                 scale, gguf_rot, out, out_token, 0, (long)tokens * heads);
}

void sp_ggml_rms_norm_rows(int level, const float *x, const float *w, float *y, long r0, long r1, long cols, float eps) {
    SP_GDISPATCH(level, rms_norm, x, w, y, r0, r1, cols, eps);
}

void sp_ggml_rms_norm(const float *x, const float *w, float *y, long rows, long cols, float eps) {
    sp_ggml_rms_norm_rows(-1, x, w, y, 0, rows, cols, eps);
}

void sp_ggml_swiglu_rows(int level, const float *gate, const float *up, float *y, long r0, long r1, long cols) {
    SP_GDISPATCH(level, swiglu, gate, up, y, r0, r1, cols);
}

void sp_ggml_swiglu(const float *gate, const float *up, float *y, long rows, long cols) {
    sp_ggml_swiglu_rows(-1, gate, up, y, 0, rows, cols);
}

void sp_ggml_rope_tables(const int32_t *positions, long count, int n_dims, float freq_base, float *cos_out, float *sin_out) {
    // ggml_rope_cache_init without scaling (freq_scale 1, ext_factor 0, mscale 1): theta starts at the
    // position and is multiplied by theta_scale = powf(base, −2/n_dims) once per pair; cosf/sinf.
    const float theta_scale = powf(freq_base, -2.0f / (float)n_dims);
    const int half = n_dims / 2;
    for (long r = 0; r < count; r++) {
        float theta = (float)positions[r];
        for (int i = 0; i < half; i++) {
            cos_out[r * half + i] = cosf(theta);
            sin_out[r * half + i] = sinf(theta);
            theta *= theta_scale;
        }
    }
}

void sp_ggml_rope_apply_at(int level, float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t) {
    SP_GDISPATCH(level, rope_apply, x, n_dims, interleaved, cos_t, sin_t);
}

void sp_ggml_rope_apply(float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t) {
    sp_ggml_rope_apply_at(-1, x, n_dims, interleaved, cos_t, sin_t);
}

void sp_ggml_rope_rows(int level, float *x, long token_stride, long head_stride, int heads, long t0, long t1,
                       int n_dims, int interleaved, const float *cos_t, const float *sin_t) {
    const int half = n_dims / 2;
    for (long t = t0; t < t1; t++)
        for (int h = 0; h < heads; h++)
            sp_ggml_rope_apply_at(level, x + t * token_stride + (long)h * head_stride, n_dims, interleaved,
                                  cos_t + t * half, sin_t + t * half);
}
