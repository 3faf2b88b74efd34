// Integer block dot kernels against quantized activations (llama.cpp's arithmetic), included by
// quant_dot_q8.c once per kernel set (SFX names them; the including file sets the target ISA).
// Shapes: one weight row of nb blocks · one activation row of nb blocks (Q8_0/Q8_1: 32 elements,
// Q8_K: 256) → one float. The integer sums are exact in any order, so the compiler may vectorize
// them freely; the float steps are fixed scalar chains, so every kernel set gives the same bits:
// Q4_1 and Q8_0 in the order of llama.cpp's x86 build (8 float lanes, see q8dot_q4_1/q8dot_q8_0),
// the others in ggml-cpu's `ggml_vec_dot_*_generic` order.

// Q4_0 · Q8_0: sumf += ((float)Σ (q4 − 8)·q8 · dx) · dy   (ggml_vec_dot_q4_0_q8_0)
static float SFX(q8dot_q4_0)(const uint8_t *row, const uint8_t *y, long nb) {
    float sumf = 0;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 18 * b, *qs = p + 2, *yb = y + 34 * b;
        const int8_t *q8 = (const int8_t *)(yb + 2);
        int32_t sumi = 0;
        for (int j = 0; j < 16; j++) sumi += ((int)(qs[j] & 15) - 8) * q8[j] + ((int)(qs[j] >> 4) - 8) * q8[j + 16];
        sumf += (float)sumi * sp_half(p) * sp_half(yb);
    }
    return sumf;
}

// ggml-cpu's x86 horizontal sum of 8 float lanes (hsum_float_8 in arch/x86/quants.c, hsum in
// llamafile/sgemm.cpp): r_i = a_{i+4} + a_i, then (r_0 + r_2) + (r_1 + r_3).
static inline float SFX(hsum8)(const float *a) {
    float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    float t0 = r0 + r2, t1 = r1 + r3;
    return t0 + t1;
}

// Q4_1 · Q8_1 as llama.cpp's x86 build runs it (ggml_vec_dot_q4_1_q8_1, AVX/AVX2 branch): 8 float
// lanes, lane l = Σ of elements 4l..4l+3 of a block (q4·q8, exact), acc_l = fma(dx·dy, lane_l, acc_l);
// summs = fma(mx, sy, summs) (GCC contracts `summs += mx*sy`); result hsum8(acc) + summs.
static float SFX(q8dot_q4_1)(const uint8_t *row, const uint8_t *y, long nb) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, summs = 0;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 20 * b, *qs = p + 4, *yb = y + 36 * b;
        const int8_t *q8 = (const int8_t *)(yb + 4);
        const float d = sp_half(p) * sp_half(yb);
        summs = fmaf(sp_half(p + 2), sp_half(yb + 2), summs);
        for (int l = 0; l < 8; l++) {
            int32_t s = 0;
            for (int e = 4 * l; e < 4 * l + 4; e++) s += (int)(e < 16 ? qs[e] & 15 : qs[e - 16] >> 4) * q8[e];
            acc[l] = fmaf(d, (float)s, acc[l]);
        }
    }
    return SFX(hsum8)(acc) + summs;
}

// Q5_0 · Q8_0: sumf += (dx·dy)·Σ (q5 − 16)·q8   (ggml_vec_dot_q5_0_q8_0)
static float SFX(q8dot_q5_0)(const uint8_t *row, const uint8_t *y, long nb) {
    float sumf = 0;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 22 * b, *qs = p + 6, *yb = y + 34 * b;
        const int8_t *q8 = (const int8_t *)(yb + 2);
        uint32_t qh;
        memcpy(&qh, p + 2, 4);
        int32_t sumi = 0;
        for (int j = 0; j < 16; j++) {
            int lo = (int)((qs[j] & 15) | ((qh >> j) & 1) << 4) - 16;
            int hi = (int)((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4) - 16;
            sumi += lo * q8[j] + hi * q8[j + 16];
        }
        sumf += (sp_half(p) * sp_half(yb)) * (float)sumi;
    }
    return sumf;
}

// Q5_1 · Q8_1: sumf += (dx·dy)·Σ q5·q8 + mx·sy   (ggml_vec_dot_q5_1_q8_1)
static float SFX(q8dot_q5_1)(const uint8_t *row, const uint8_t *y, long nb) {
    float sumf = 0;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 24 * b, *qs = p + 8, *yb = y + 36 * b;
        const int8_t *q8 = (const int8_t *)(yb + 4);
        uint32_t qh;
        memcpy(&qh, p + 4, 4);
        int32_t sumi = 0;
        for (int j = 0; j < 16; j++) {
            int lo = (int)((qs[j] & 15) | ((qh >> j) & 1) << 4);
            int hi = (int)((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
            sumi += lo * q8[j] + hi * q8[j + 16];
        }
        sumf += (sp_half(p) * sp_half(yb)) * (float)sumi + sp_half(p + 2) * sp_half(yb + 2);
    }
    return sumf;
}

// Q8_0 · Q8_0 as llama.cpp's x86 build runs it: its products with Q8_0 weights go through llamafile's
// tinyBLAS_Q0_AVX (llamafile_sgemm takes them before ggml_vec_dot_q8_0_q8_0): 8 float lanes, lane l =
// Σ of elements 4l..4l+3 (exact), acc_l = fma(dx·dy, lane_l, acc_l), result hsum8(acc).
static float SFX(q8dot_q8_0)(const uint8_t *row, const uint8_t *y, long nb) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 34 * b, *yb = y + 34 * b;
        const int8_t *qx = (const int8_t *)(p + 2), *q8 = (const int8_t *)(yb + 2);
        const float d = sp_half(p) * sp_half(yb);
        for (int l = 0; l < 8; l++) {
            int32_t s = 0;
            for (int e = 4 * l; e < 4 * l + 4; e++) s += qx[e] * q8[e];
            acc[l] = fmaf(d, (float)s, acc[l]);
        }
    }
    return SFX(hsum8)(acc);
}

// Q4_K / Q5_K · Q8_K (ggml_vec_dot_q4_K_q8_K / q5_K): per super-block, aux32[l] = Σ over elements
// e ≡ l (mod 8) of sc[e/32]·q[e]·q8[e]; sums[l] += (dx·dy)·aux32[l]; sumf −= (dminx·dy)·Σ bsums[j]·mn[j/2];
// at the end sumf += sums[0] + … + sums[7], in that order.
static inline __attribute__((always_inline)) float SFX(q8dot_qk45)(const uint8_t *row, const uint8_t *y, long nb,
                                                                     int five) {
    float sums[8] = {0}, sumf = 0;
    const long bytes = five ? 176 : 144;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + bytes * b, *sc = p + 4, *qh = p + 16, *qs = p + (five ? 48 : 16);
        const uint8_t *yb = y + 292 * b;
        const int8_t *q8 = (const int8_t *)(yb + 4);
        int16_t bsums[16];
        memcpy(bsums, yb + 260, 32);
        float yd;
        memcpy(&yd, yb, 4);
        int32_t aux32[8] = {0}, summ = 0;
        for (int c = 0; c < 4; c++) {
            uint8_t s0, m0, s1, m1;
            sp_scale_min(sc, 2 * c, &s0, &m0);
            sp_scale_min(sc, 2 * c + 1, &s1, &m1);
            const uint8_t *q = qs + 32 * c;
            const int8_t *y0 = q8 + 64 * c, *y1 = y0 + 32;
            int32_t a0[8] = {0}, a1[8] = {0};
            for (int l = 0; l < 32; l++) {
                int lo = q[l] & 15, hi = q[l] >> 4;
                if (five) {
                    lo |= ((qh[l] >> (2 * c)) & 1) << 4;
                    hi |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
                }
                a0[l & 7] += lo * y0[l];
                a1[l & 7] += hi * y1[l];
            }
            for (int l = 0; l < 8; l++) aux32[l] += (int32_t)s0 * a0[l] + (int32_t)s1 * a1[l];
            summ += (bsums[4 * c] + bsums[4 * c + 1]) * (int32_t)m0 + (bsums[4 * c + 2] + bsums[4 * c + 3]) * (int32_t)m1;
        }
        const float d = sp_half(p) * yd;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)aux32[l];
        const float dmin = sp_half(p + 2) * yd;
        sumf -= dmin * (float)summ;
    }
    for (int l = 0; l < 8; l++) sumf += sums[l];
    return sumf;
}

// Q6_K · Q8_K (ggml_vec_dot_q6_K_q8_K): aux32[l] = Σ over e ≡ l (mod 8) of sc[e/16]·(q[e] − 32)·q8[e];
// sums[l] += (dx·dy)·aux32[l]; sumf = sums[0] + … + sums[7].
static float SFX(q8dot_q6_K)(const uint8_t *row, const uint8_t *y, long nb) {
    float sums[8] = {0}, sumf = 0;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 210 * b, *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        const uint8_t *yb = y + 292 * b;
        const int8_t *q8 = (const int8_t *)(yb + 4);
        float yd;
        memcpy(&yd, yb, 4);
        int32_t aux32[8] = {0};
        for (int h = 0; h < 2; h++) {
            for (int g = 0; g < 8; g++) {
                const int shL = 4 * (g / 4), shH = 2 * (g / 2);
                const uint8_t *l4 = ql + 64 * h + (16 * g) % 64, *h2 = qh + 32 * h + (16 * g) % 32;
                const int8_t *ys = q8 + 128 * h + 16 * g;
                int32_t a[8] = {0};
                for (int l = 0; l < 16; l++) {
                    int q = (int)(((l4[l] >> shL) & 15) | ((h2[l] >> shH) & 3) << 4) - 32;
                    a[l & 7] += q * ys[l];
                }
                const int32_t s = sc[8 * h + g];
                for (int l = 0; l < 8; l++) aux32[l] += s * a[l];
            }
        }
        const float d = sp_half(p + 208) * yd;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)aux32[l];
    }
    for (int l = 0; l < 8; l++) sumf += sums[l];
    return sumf;
}

static float SFX(q8dot)(int fmt, const uint8_t *row, const uint8_t *y, long k) {
    switch (fmt) {
    case SP_QFMT_Q4_0: return SFX(q8dot_q4_0)(row, y, k / 32);
    case SP_QFMT_Q4_1: return SFX(q8dot_q4_1)(row, y, k / 32);
    case SP_QFMT_Q5_0: return SFX(q8dot_q5_0)(row, y, k / 32);
    case SP_QFMT_Q5_1: return SFX(q8dot_q5_1)(row, y, k / 32);
    case SP_QFMT_Q8_0: return SFX(q8dot_q8_0)(row, y, k / 32);
    case SP_QFMT_Q4_K: return SFX(q8dot_qk45)(row, y, k / 256, 0);
    case SP_QFMT_Q5_K: return SFX(q8dot_qk45)(row, y, k / 256, 1);
    case SP_QFMT_Q6_K: return SFX(q8dot_q6_K)(row, y, k / 256);
    default: return 0.0f / 0.0f;
    }
}
