// ggml_ops.c's kernels, included three times (quant_isa_sets.h style): SP_GLEVEL 0 the baseline ISA
// (soft-float `_Float16` casts, libm `fmaf`: the scalar definition), 1 AVX2 + FMA + F16C (the same C,
// with inline F16C conversions and FMA instructions, elementwise loops auto-vectorized), 2 AVX-512
// (hand-written 16-lane loops where noted). Every level returns the same bits: the vector code only
// runs elementwise steps side by side and keeps every reduction in the scalar code's order, and F16C's
// vcvtps2ph rounds to nearest even as the `(_Float16)` cast does. Names are suffixed by SFX().

/// x rounded to IEEE half and back (ggml's GGML_CPU_FP32_TO_FP16: round to nearest even).
static inline float SFX(f16)(float x) { return (float)(_Float16)x; }

static void SFX(round_f16)(float *x, long n) {
    long i = 0;
#if SP_GLEVEL == 2
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
#endif
    for (; i < n; i++) x[i] = SFX(f16)(x[i]);
}

/// ggml_vec_dot_f16 on AVX-512 without FP16 arithmetic: 4 accumulators of 16 lanes over steps of 64
/// (fma of f16 values widened to f32), reduced x0+x2, x1+x3, then x0+x1, then the 16 lanes halved
/// (8, 4, 2, 1) as _mm512_reduce_add_ps does; leftovers added in double. x, y hold f16 values.
static float SFX(dot_f16)(const float *x, const float *y, int n) {
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

#if SP_GLEVEL == 2
/// SFX(dot_f16) for n a multiple of 64, with k read in HF order: `rot` = n gathers each 64-step's
/// lanes in the GGUF order (lane l of accumulator j = GGUF dim 64s + 16j + l = HF dim
/// (l & 1)·n/2 + 32s + 8j + l/2) by two-source permutes; `rot` = 0 reads k as it is. q is in GGUF order.
static inline float SFX(dot_f16_64)(const float *k, const float *q, int n, int rot) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const int half = n / 2;
    for (int st = 0; st < n; st += 64) {
        __m512 k0, k1, k2, k3;
        if (rot) {
            const __m512 a0 = _mm512_loadu_ps(k + st / 2), a1 = _mm512_loadu_ps(k + st / 2 + 16);
            const __m512 b0 = _mm512_loadu_ps(k + half + st / 2), b1 = _mm512_loadu_ps(k + half + st / 2 + 16);
            k0 = _mm512_permutex2var_ps(a0, lo, b0);
            k1 = _mm512_permutex2var_ps(a0, hi, b0);
            k2 = _mm512_permutex2var_ps(a1, lo, b1);
            k3 = _mm512_permutex2var_ps(a1, hi, b1);
        } else {
            k0 = _mm512_loadu_ps(k + st); k1 = _mm512_loadu_ps(k + st + 16);
            k2 = _mm512_loadu_ps(k + st + 32); k3 = _mm512_loadu_ps(k + st + 48);
        }
        s0 = _mm512_fmadd_ps(k0, _mm512_loadu_ps(q + st), s0);
        s1 = _mm512_fmadd_ps(k1, _mm512_loadu_ps(q + st + 16), s1);
        s2 = _mm512_fmadd_ps(k2, _mm512_loadu_ps(q + st + 32), s2);
        s3 = _mm512_fmadd_ps(k3, _mm512_loadu_ps(q + st + 48), s3);
    }
    const __m512 a = _mm512_add_ps(_mm512_add_ps(s0, s2), _mm512_add_ps(s1, s3));
    const __m256 r8 = _mm256_add_ps(_mm512_extractf32x8_ps(a, 1), _mm512_castps512_ps256(a));
    const __m128 r4 = _mm_add_ps(_mm256_extractf128_ps(r8, 1), _mm256_castps256_ps128(r8));
    float r[4];
    _mm_storeu_ps(r, r4);
    const float e0 = r[0] + r[2], e1 = r[1] + r[3];
    return e0 + e1;
}
#endif

/// dst = src in llama.cpp's GGUF order of a llama head: its converter permutes q/k rows so that rotary
/// pairs are adjacent, GGUF dim 2i + j = our (HF) dim j·half + i for i < half = rot/2; dims ≥ rot stay.
static void SFX(to_gguf_order)(const float *src, float *dst, int n, int rot) {
    const int half = rot / 2;
    for (int i = 0; i < half; i++) { dst[2 * i] = src[i]; dst[2 * i + 1] = src[half + i]; }
    for (int d = rot; d < n; d++) dst[d] = src[d];
}

/// ggml_compute_forward_flash_attn_ext_f16_one_chunk for the (token, head) pairs p0..<p1 (p = i·heads + h).
static void SFX(flash_attn)(const float *q, long q_token, int heads, int kv_heads, int head_dim,
                            const float *k, const float *v, long kv_token, const float *key_mask, int past,
                            int window, float scale, int gguf_rot, float *out, long out_token, long p0, long p1) {
    const int rk = heads / kv_heads;
    float q16[head_dim], vkq[head_dim], kg[head_dim], qg[head_dim];
#if SP_GLEVEL == 2
    // The AVX-512 dot reads k in HF order itself (no per-key permuted copy).
    const int fast = head_dim % 64 == 0 && (gguf_rot == 0 || gguf_rot == head_dim);
#endif
    for (long p = p0; p < p1; p++) {
        const int i = (int)(p / heads), h = (int)(p % heads);
        const int a = past + i;
        const float *pq = q + (long)i * q_token + (long)h * head_dim;
        const int g = h / rk;
        for (int d = 0; d < head_dim; d++) { q16[d] = SFX(f16)(pq[d]); vkq[d] = 0; }
        if (gguf_rot > 0) { SFX(to_gguf_order)(q16, qg, head_dim, gguf_rot); memcpy(q16, qg, sizeof q16); }
        float S = 0, M = -INFINITY;
        for (int j = 0; j <= a; j++) {
            if (key_mask && key_mask[j] == 0) continue;
            if (window > 0 && j <= a - window) continue;
            const float *kj = k + (long)j * kv_token + (long)g * head_dim;
            const float *vj = v + (long)j * kv_token + (long)g * head_dim;
            float s;
#if SP_GLEVEL == 2
            if (fast) {
                s = SFX(dot_f16_64)(kj, q16, head_dim, gguf_rot);
            } else
#endif
            {
                if (gguf_rot > 0) { SFX(to_gguf_order)(kj, kg, head_dim, gguf_rot); kj = kg; }
                s = SFX(dot_f16)(kj, q16, head_dim);
            }
            s = s * scale;
            float ms = 1.0f, vs = 1.0f;
            int d = 0;
            if (s > M) {
                const float mold = M;
                M = s;
                ms = expf(mold - M);
#if SP_GLEVEL == 2
                const __m512 vms = _mm512_set1_ps(ms);
                for (; d + 16 <= head_dim; d += 16)
                    _mm512_storeu_ps(vkq + d, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(_mm512_loadu_ps(vkq + d), vms),
                                                                             _MM_FROUND_TO_NEAREST_INT)));
#endif
                for (; d < head_dim; d++) vkq[d] = SFX(f16)(vkq[d] * ms);   // ggml_vec_scale_f16
            } else {
                vs = expf(s - M);
            }
            d = 0;
#if SP_GLEVEL == 2
            const __m512 vvs = _mm512_set1_ps(vs);
            for (; d + 16 <= head_dim; d += 16)
                _mm512_storeu_ps(vkq + d,
                                 _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_fmadd_ps(_mm512_loadu_ps(vj + d), vvs, _mm512_loadu_ps(vkq + d)),
                                                                 _MM_FROUND_TO_NEAREST_INT)));
#endif
            for (; d < head_dim; d++) vkq[d] = SFX(f16)(fmaf(vj[d], vs, vkq[d]));  // ggml_vec_mad_f16
            S = fmaf(S, ms, vs);  // S = S*ms + vs, contracted by GCC -O3 -march=native
        }
        const float inv = S == 0.0f ? 0.0f : 1.0f / S;
        float *po = out + (long)i * out_token + (long)h * head_dim;
        for (int d = 0; d < head_dim; d++) po[d] = vkq[d] * inv;
    }
}

static void SFX(rms_norm)(const float *x, const float *w, float *y, long r0, long r1, long cols, float eps) {
    // ggml_compute_forward_rms_norm_f32 (+ the following ggml_mul by the weight): the squares in
    // float, summed in double (ggml_float) in order; mean rounded to float; y = x·scale·w.
    for (long r = r0; r < r1; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        double sum = 0.0;
        for (long i = 0; i < cols; i++) {
            const float sq = xr[i] * xr[i];
            sum += (double)sq;
        }
        const float mean = (float)(sum / (double)cols);
        const float scale = 1.0f / sqrtf(mean + eps);
        if (w) {
            for (long i = 0; i < cols; i++) { const float t = xr[i] * scale; yr[i] = t * w[i]; }
        } else {
            for (long i = 0; i < cols; i++) yr[i] = xr[i] * scale;
        }
    }
}

/// ggml_v_expf (vec.h, the AVX-512 + DQ variant) for one lane: exp through 2^n · p(b), n = round(x/ln 2).
static inline float SFX(v_expf)(float x) {
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

#if SP_GLEVEL == 2
/// ggml_v_expf itself (vec.h, AVX-512 + DQ): the lanes of SFX(v_expf) side by side.
static inline __m512 SFX(v_expf16)(__m512 x) {
    const __m512 r = _mm512_set1_ps(0x1.8p23f);
    const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
    const __m512 n = _mm512_sub_ps(z, r);
    const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
    const __m512 u = _mm512_mul_ps(b, b);
    const __m512 j = _mm512_fmadd_ps(
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                        _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const __m512 res = _mm512_scalef_ps(j, n);
    if (_mm512_kortestz(d, d)) return res;
    const __m512 zero = _mm512_setzero_ps();
    const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, zero, _CMP_LE_OQ), _mm512_set1_ps(INFINITY), zero);
    return _mm512_mask_blend_ps(d, res, alt);
}
#endif

static void SFX(swiglu)(const float *gate, const float *up, float *y, long r0, long r1, long cols) {
    // ggml_vec_swiglu_f32 per row: 16-lane blocks y = silu(x)·g with ggml_v_silu (x / (1 + v_expf(0 − x))),
    // the leftover lanes with ggml_silu_f32 (libm expf).
    const long vec = cols & ~15L;
    for (long r = r0; r < r1; r++) {
        const float *xr = gate + r * cols, *gr = up + r * cols;
        float *yr = y + r * cols;
        long i = 0;
#if SP_GLEVEL == 2
        const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
        for (; i < vec; i += 16) {
            const __m512 x = _mm512_loadu_ps(xr + i);
            const __m512 s = _mm512_div_ps(x, _mm512_add_ps(one, SFX(v_expf16)(_mm512_sub_ps(zero, x))));
            _mm512_storeu_ps(yr + i, _mm512_mul_ps(s, _mm512_loadu_ps(gr + i)));
        }
#endif
        for (; i < cols; i++) {
            const float x = xr[i];
            const float e = i < vec ? SFX(v_expf)(0.0f - x) : expf(-x);
            const float den = 1.0f + e;
            const float s = x / den;
            yr[i] = s * gr[i];
        }
    }
}

static void SFX(rope_apply)(float *x, int n_dims, int interleaved, const float *cos_t, const float *sin_t) {
    // rotate_pairs as GCC contracts it: d0 = fma(x0, cos, −(x1·sin)), d1 = fma(x0, sin, x1·cos).
    const int half = n_dims / 2;
    if (interleaved) {
        for (int i = 0; i < half; i++) {
            float *p0 = x + 2 * i, *p1 = x + 2 * i + 1;
            const float x0 = *p0, x1 = *p1, c = cos_t[i], s = sin_t[i];
            const float x1s = x1 * s, x1c = x1 * c;
            *p0 = fmaf(x0, c, -x1s);
            *p1 = fmaf(x0, s, x1c);
        }
        return;
    }
    float *restrict p0 = x, *restrict p1 = x + half;
    for (int i = 0; i < half; i++) {
        const float x0 = p0[i], x1 = p1[i], c = cos_t[i], s = sin_t[i];
        const float x1s = x1 * s, x1c = x1 * c;
        p0[i] = fmaf(x0, c, -x1s);
        p1[i] = fmaf(x0, s, x1c);
    }
}
