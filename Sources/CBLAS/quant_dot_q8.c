// llama.cpp's arithmetic for block weights (softprompt_quant.h, `--activations q8`): activations
// quantized per block as ggml-cpu does on x86, then integer block dot products (quant_dot_q8_kernels.h)
// compiled for AVX-512, AVX2 and the baseline ISA. Contraction is off: the float steps are exactly
// ggml's scalar ones, so all kernel sets return the same bits.

#include "softprompt_quant.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#include "quant_common.h"
#include "quant_q8_tiles.h"

#define SP_KERNELS_FILE "quant_dot_q8_kernels.h"
#include "quant_isa_sets.h"

int sp_q8_act_kind(int fmt) {
    switch (fmt) {
    case SP_QFMT_Q4_0: case SP_QFMT_Q5_0: case SP_QFMT_Q8_0: return SP_Q8ACT_Q8_0;
    case SP_QFMT_Q4_1: case SP_QFMT_Q5_1: return SP_Q8ACT_Q8_1;
    case SP_QFMT_Q4_K: case SP_QFMT_Q5_K: case SP_QFMT_Q6_K: return SP_Q8ACT_Q8_K;
    default: return -1;
    }
}

size_t sp_q8_act_bytes(int kind, long k) {
    switch (kind) {
    case SP_Q8ACT_Q8_0: return (size_t)(k / 32) * 34;
    case SP_Q8ACT_Q8_1: return (size_t)(k / 32) * 36;
    case SP_Q8ACT_Q8_K: return (size_t)(k / 256) * 292;
    default: return 0;
    }
}

static void sp_q8_quantize_scalar(int kind, const float *x, long k, void *out);

/// float → IEEE half bits, round to nearest even (ggml's GGML_CPU_FP32_TO_FP16 with F16C).
static inline uint16_t sp_to_half(float f) {
    _Float16 h = (_Float16)f;
    uint16_t bits;
    memcpy(&bits, &h, 2);
    return bits;
}

/// ggml's nearest_int: round half to even through the 1.5·2²³ trick (|v| ≤ 2²²).
static inline int sp_nearest_int(float v) {
    float val = v + 12582912.f;
    int i;
    memcpy(&i, &val, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/// One 32-element block as ggml-cpu's AVX `quantize_row_q8_0/q8_1`: d = max|x|/127, id = 127/max|x|,
/// q = round-half-even(x·id). Returns Σq (for Q8_1's s) and writes d through `d_out`.
static int sp_q8_block32(const float *x, int8_t *q, float *d_out) {
    float amax = 0;
    for (int j = 0; j < 32; j++) {
        float a = x[j] < 0 ? -x[j] : x[j];
        amax = a > amax ? a : amax;
    }
    const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; j++) {
        q[j] = (int8_t)sp_nearest_int(x[j] * id);
        sum += q[j];
    }
    *d_out = d;
    return sum;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define SP_Q8Q_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

/// nearest_int(v) on 16 lanes: the same float add of 1.5·2²³ and the same integer steps.
SP_Q8Q_TARGET static inline __m512i sp_nearest_int16(__m512 v) {
    const __m512i bits = _mm512_castps_si512(_mm512_add_ps(v, _mm512_set1_ps(12582912.f)));
    return _mm512_sub_epi32(_mm512_and_si512(bits, _mm512_set1_epi32(0x007fffff)), _mm512_set1_epi32(0x00400000));
}

/// sp_q8_block32 on 16-lane vectors: max|x| is order-free, every other step is elementwise.
SP_Q8Q_TARGET static int sp_q8_block32_avx512(const float *x, int8_t *q, float *d_out) {
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    // maxps returns its second operand when either is NaN: the running maximum goes second, so NaN
    // elements are skipped as the scalar `a > amax` skips them.
    const __m512 m = _mm512_max_ps(_mm512_abs_ps(x1), _mm512_max_ps(_mm512_abs_ps(x0), _mm512_setzero_ps()));
    const float amax = _mm512_reduce_max_ps(m);
    const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    // (int8_t) keeps the low byte (vpmovdb); Σq sums those bytes, as the scalar code sums q[j].
    const __m128i b0 = _mm512_cvtepi32_epi8(sp_nearest_int16(_mm512_mul_ps(x0, vid)));
    const __m128i b1 = _mm512_cvtepi32_epi8(sp_nearest_int16(_mm512_mul_ps(x1, vid)));
    _mm_storeu_si128((__m128i *)q, b0);
    _mm_storeu_si128((__m128i *)(q + 16), b1);
    *d_out = d;
    return _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(b0), _mm512_cvtepi8_epi32(b1)));
}

/// One Q8_K block (quantize_row_q8_K_ref) on 16-lane vectors; the signed maximum is the first
/// element whose magnitude equals max|x|, as the scalar scan keeps the first of ties.
SP_Q8Q_TARGET static void sp_q8k_block_avx512(const float *xb, uint8_t *blk) {
    int8_t *q = (int8_t *)(blk + 4);
    int16_t bsums[16] = {0};
    float d = 0;
    __m512 m = _mm512_setzero_ps();
    for (int j = 0; j < 256; j += 16) m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xb + j)), m);  // NaN skipped
    const float amax = _mm512_reduce_max_ps(m);
    if (amax == 0) {
        memset(q, 0, 256);
    } else {
        float max = 0;
        const __m512 va = _mm512_set1_ps(amax);
        for (int j = 0; j < 256; j += 16) {
            const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(xb + j)), va, _CMP_EQ_OQ);
            if (hit) { max = xb[j + __builtin_ctz(hit)]; break; }
        }
        const float iscale = -127.f / max;
        const __m512 vs = _mm512_set1_ps(iscale);
        const __m512i cap = _mm512_set1_epi32(127);
        for (int j = 0; j < 16; j++) {
            const __m512i v = _mm512_min_epi32(sp_nearest_int16(_mm512_mul_ps(vs, _mm512_loadu_ps(xb + 16 * j))), cap);
            const __m128i b = _mm512_cvtepi32_epi8(v);
            _mm_storeu_si128((__m128i *)(q + 16 * j), b);
            bsums[j] = (int16_t)_mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(b));
        }
        d = 1 / iscale;
    }
    memcpy(blk, &d, 4);
    memcpy(blk + 260, bsums, 32);
}
#endif

#if defined(__x86_64__)
SP_Q8Q_TARGET static inline uint16_t sp_to_half_f16c(float f) { return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }

/// sp_q8_quantize's AVX-512 set: the same blocks, 16 lanes at a time, half conversions by F16C.
SP_Q8Q_TARGET static void sp_q8_quantize_avx512(int kind, const float *x, long k, uint8_t *o) {
    if (kind == SP_Q8ACT_Q8_0 || kind == SP_Q8ACT_Q8_1) {
        const long bytes = kind == SP_Q8ACT_Q8_0 ? 34 : 36, off = kind == SP_Q8ACT_Q8_0 ? 2 : 4;
        for (long b = 0; b < k / 32; b++) {
            uint8_t *blk = o + bytes * b;
            float d;
            const int sum = sp_q8_block32_avx512(x + 32 * b, (int8_t *)(blk + off), &d);
            const uint16_t dh = sp_to_half_f16c(d);
            memcpy(blk, &dh, 2);
            if (kind == SP_Q8ACT_Q8_1) {
                const uint16_t sh = sp_to_half_f16c(d * (float)sum);
                memcpy(blk + 2, &sh, 2);
            }
        }
        return;
    }
    for (long b = 0; b < k / 256; b++) sp_q8k_block_avx512(x + 256 * b, o + 292 * b);
}
#endif

void sp_q8_quantize_at(int level, int kind, const float *x, long k, void *out) {
#if defined(__x86_64__)
    if ((level < 0 || level >= 2) && sp_ggml_max_level() == 2 && kind >= SP_Q8ACT_Q8_0 && kind <= SP_Q8ACT_Q8_K) {
        sp_q8_quantize_avx512(kind, x, k, (uint8_t *)out);
        return;
    }
#endif
    sp_q8_quantize_scalar(kind, x, k, out);
}

void sp_q8_quantize(int kind, const float *x, long k, void *out) { sp_q8_quantize_at(-1, kind, x, k, out); }

/// The scalar definition (level 0): ggml-cpu's quantizers one element at a time.
static void sp_q8_quantize_scalar(int kind, const float *x, long k, void *out) {
    uint8_t *o = (uint8_t *)out;
    if (kind == SP_Q8ACT_Q8_0 || kind == SP_Q8ACT_Q8_1) {
        const long bytes = kind == SP_Q8ACT_Q8_0 ? 34 : 36, off = kind == SP_Q8ACT_Q8_0 ? 2 : 4;
        for (long b = 0; b < k / 32; b++) {
            uint8_t *blk = o + bytes * b;
            float d;
            int sum = sp_q8_block32(x + 32 * b, (int8_t *)(blk + off), &d);
            uint16_t dh = sp_to_half(d);
            memcpy(blk, &dh, 2);
            if (kind == SP_Q8ACT_Q8_1) {
                uint16_t sh = sp_to_half(d * (float)sum);
                memcpy(blk + 2, &sh, 2);
            }
        }
        return;
    }
    // Q8_K (quantize_row_q8_K_ref): the signed value of largest magnitude (first one on ties) sets
    // iscale = −127/max; q = min(127, nearest_int(iscale·x)); d = 1/iscale; bsums over 16s.
    for (long b = 0; b < k / 256; b++) {
        const float *xb = x + 256 * b;
        uint8_t *blk = o + 292 * b;
        int8_t *q = (int8_t *)(blk + 4);
        int16_t bsums[16] = {0};
        float amax = 0, max = 0, d = 0;
        for (int j = 0; j < 256; j++) {
            float ax = xb[j] < 0 ? -xb[j] : xb[j];
            if (ax > amax) { amax = ax; max = xb[j]; }
        }
        if (amax == 0) {
            memset(q, 0, 256);
        } else {
            const float iscale = -127.f / max;
            for (int j = 0; j < 256; j++) {
                int v = sp_nearest_int(iscale * xb[j]);
                q[j] = (int8_t)(v < 127 ? v : 127);
            }
            for (int j = 0; j < 16; j++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += q[16 * j + i];
                bsums[j] = (int16_t)s;
            }
            d = 1 / iscale;
        }
        memcpy(blk, &d, 4);
        memcpy(blk + 260, bsums, 32);
    }
}

void sp_qdot_q8_rows(int fmt, int level, const void *w, size_t row_bytes, long rows,
                     const void *xq, size_t xq_stride, long m, long k, float *y, long ldy, int accumulate) {
    int best = sp_qdot_max_level();
    if (level < 0 || level > best) level = best;
#if defined(__x86_64__)
    if (level == SP_QLEVEL_AVX512 && sp_q8_tiles(fmt, w, row_bytes, rows, xq, xq_stride, m, k, y, ldy, accumulate))
        return;
#endif
    for (long r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;
        for (long i = 0; i < m; i++) {
            const uint8_t *xr = (const uint8_t *)xq + (size_t)i * xq_stride;
            float s;
#if defined(__x86_64__)
            if (level == SP_QLEVEL_AVX512) s = q8dot_avx512(fmt, row, xr, k);
            else if (level == SP_QLEVEL_AVX2) s = q8dot_avx2(fmt, row, xr, k);
            else s = q8dot_generic(fmt, row, xr, k);
#else
            s = q8dot_generic(fmt, row, xr, k);
#endif
            float *yo = y + i * ldy + r;
            *yo = accumulate ? *yo + s : s;
        }
    }
}
