// llama.cpp's float arithmetic outside the weight products, for `--activations q8` (llama.cpp's
// arithmetic): its default F16 KV cache read by ggml-cpu's flash-attention kernel, RMSNorm with a
// double sum, rotary angles by repeated multiplication, SiLU through ggml's vector exp. Re-derived
// from the llama-cpp-python 0.3.36 sdist's ggml-cpu (ops.cpp, vec.cpp/vec.h, simd-mappings.h) as its
// x86 AVX-512 build (GGML_NATIVE on Zen 4, GCC) evaluates them; every step below names its source.
#include "softprompt_quant.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

/// x rounded to IEEE half and back (ggml's GGML_CPU_FP32_TO_FP16: round to nearest even).
static inline float sp_f16(float x) { return (float)(_Float16)x; }

void sp_ggml_round_f16(float *x, long n) {
    for (long i = 0; i < n; i++) x[i] = sp_f16(x[i]);
}

/// ggml_vec_dot_f16 on AVX-512 without FP16 arithmetic: 4 accumulators of 16 lanes over steps of 64
/// (fma of f16 values widened to f32), reduced x0+x2, x1+x3, then x0+x1, then the 16 lanes halved
/// (8, 4, 2, 1) as _mm512_reduce_add_ps does; leftovers added in double. x, y hold f16 values.
static float sp_dot_f16(const float *x, const float *y, int n) {
    const int np = n & ~63;
    float sum[4][16];
    memset(sum, 0, sizeof sum);
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++) sum[j][l] = fmaf(x[i + 16 * j + l], y[i + 16 * j + l], sum[j][l]);
    float a[16], r8[8], r4[4];
    for (int l = 0; l < 16; l++) {
        float s02 = sum[0][l] + sum[2][l], s13 = sum[1][l] + sum[3][l];
        a[l] = s02 + s13;
    }
    for (int l = 0; l < 8; l++) r8[l] = a[l + 8] + a[l];
    for (int l = 0; l < 4; l++) r4[l] = r8[l + 4] + r8[l];
    float e0 = r4[0] + r4[2], e1 = r4[1] + r4[3];
    double sumf = (double)(e0 + e1);
    for (int i = np; i < n; i++) {
        float p = x[i] * y[i];
        sumf += (double)p;
    }
    return (float)sumf;
}

/// dst = src in llama.cpp's GGUF order of a llama head: its converter permutes q/k rows so that rotary
/// pairs are adjacent, GGUF dim 2i + j = our (HF) dim j·half + i for i < half = rot/2; dims ≥ rot stay.
static void sp_to_gguf_order(const float *src, float *dst, int n, int rot) {
    const int half = rot / 2;
    for (int i = 0; i < half; i++) { dst[2 * i] = src[i]; dst[2 * i + 1] = src[half + i]; }
    for (int d = rot; d < n; d++) dst[d] = src[d];
}

void sp_ggml_flash_attn_f16(const float *q, long q_token, int tokens, int heads, int kv_heads, int head_dim,
                            const float *k, const float *v, long kv_token, const float *key_mask, int past,
                            int window, float scale, int gguf_rot, float *out, long out_token) {
    const int rk = heads / kv_heads;
    float q16[head_dim], vkq[head_dim], kg[head_dim], qg[head_dim];
    for (int i = 0; i < tokens; i++) {
        const int a = past + i;
        for (int h = 0; h < heads; h++) {
            const float *pq = q + (long)i * q_token + (long)h * head_dim;
            const int g = h / rk;
            for (int d = 0; d < head_dim; d++) { q16[d] = sp_f16(pq[d]); vkq[d] = 0; }
            if (gguf_rot > 0) { sp_to_gguf_order(q16, qg, head_dim, gguf_rot); memcpy(q16, qg, sizeof q16); }
            float S = 0, M = -INFINITY;
            for (int j = 0; j <= a; j++) {
                if (key_mask && key_mask[j] == 0) continue;
                if (window > 0 && j <= a - window) continue;
                const float *kj = k + (long)j * kv_token + (long)g * head_dim;
                const float *vj = v + (long)j * kv_token + (long)g * head_dim;
                if (gguf_rot > 0) { sp_to_gguf_order(kj, kg, head_dim, gguf_rot); kj = kg; }
                float s = sp_dot_f16(kj, q16, head_dim);
                s = s * scale;
                float ms = 1.0f, vs = 1.0f;
                if (s > M) {
                    const float mold = M;
                    M = s;
                    ms = expf(mold - M);
                    for (int d = 0; d < head_dim; d++) vkq[d] = sp_f16(vkq[d] * ms);   // ggml_vec_scale_f16
                } else {
                    vs = expf(s - M);
                }
                for (int d = 0; d < head_dim; d++) vkq[d] = sp_f16(fmaf(vj[d], vs, vkq[d]));  // ggml_vec_mad_f16
                S = fmaf(S, ms, vs);  // S = S*ms + vs, contracted by GCC -O3 -march=native
            }
            const float inv = S == 0.0f ? 0.0f : 1.0f / S;
            float *po = out + (long)i * out_token + (long)h * head_dim;
            for (int d = 0; d < head_dim; d++) po[d] = vkq[d] * inv;
        }
    }
}

void sp_ggml_rms_norm(const float *x, const float *w, float *y, long rows, long cols, float eps) {
    // ggml_compute_forward_rms_norm_f32 (+ the following ggml_mul by the weight): the squares in
    // float, summed in double (ggml_float); mean rounded to float; y = x·scale·w.
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        double sum = 0.0;
        for (long i = 0; i < cols; i++) {
            const float sq = xr[i] * xr[i];
            sum += (double)sq;
        }
        const float mean = (float)(sum / (double)cols);
        const float scale = 1.0f / sqrtf(mean + eps);
        for (long i = 0; i < cols; i++) {
            const float t = xr[i] * scale;
            yr[i] = w ? t * w[i] : t;
        }
    }
}

/// ggml_v_expf (vec.h, the AVX-512 + DQ variant) for one lane: exp through 2^n · p(b), n = round(x/ln 2).
static float sp_ggml_v_expf(float x) {
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                         fmaf(0x1.ffffecp-1f, b, 1.0f));
    if (fabsf(n) > 192) return n <= 0 ? 0.0f : INFINITY;
    return ldexpf(j, (int)n);  // _mm512_scalef_ps(j, n)
}

void sp_ggml_swiglu(const float *gate, const float *up, float *y, long rows, long cols) {
    // ggml_vec_swiglu_f32 per row: 16-lane blocks y = silu(x)·g with ggml_v_silu (x / (1 + v_expf(0 − x))),
    // the leftover lanes with ggml_silu_f32 (libm expf).
    const long vec = cols & ~15L;
    for (long r = 0; r < rows; r++) {
        const float *xr = gate + r * cols, *gr = up + r * cols;
        float *yr = y + r * cols;
        for (long i = 0; i < cols; i++) {
            const float x = xr[i];
            const float e = i < vec ? sp_ggml_v_expf(0.0f - x) : expf(-x);
            const float den = 1.0f + e;
            const float s = x / den;
            yr[i] = s * gr[i];
        }
    }
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

void sp_ggml_rope_apply(float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t) {
    // rotate_pairs as GCC contracts it: d0 = fma(x0, cos, −(x1·sin)), d1 = fma(x0, sin, x1·cos).
    const int half = n_dims / 2;
    for (int i = 0; i < half; i++) {
        float *p0 = interleaved ? x + 2 * i : x + i, *p1 = interleaved ? x + 2 * i + 1 : x + i + half;
        const float x0 = *p0, x1 = *p1, c = cos_t[i], s = sin_t[i];
        const float x1s = x1 * s, x1c = x1 * c;
        *p0 = fmaf(x0, c, -x1s);
        *p1 = fmaf(x0, s, x1c);
    }
}
