// Block dot kernels, included by quant_dot.c once per kernel set (SFX names them; the including file
// sets the target ISA). Shapes: one row of nb blocks · x[nb · block elements] → one float.
// The loops run over 16 or 32 lanes with lane-wise accumulators, so the compiler keeps each block's
// unpacked values in vector registers; lanes are summed once at the end.

static float SFX(sp_lanes16)(const float *acc) {
    float t = 0;
    for (int j = 0; j < 16; j++) t += acc[j];
    return t;
}

// Q4_0: d, qs[16]; element j = d·((qs[j] & 15) − 8), element j+16 = d·((qs[j] >> 4) − 8)
static float SFX(dot_q4_0)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 18 * b, *qs = p + 2;
        const float *xb = x + 32 * b;
        const float d = sp_half(p);
        for (int j = 0; j < 16; j++)
            acc[j] += d * ((float)((int)(qs[j] & 15) - 8) * xb[j] + (float)((int)(qs[j] >> 4) - 8) * xb[j + 16]);
    }
    return SFX(sp_lanes16)(acc);
}

// Q4_1: d, m, qs[16]; element = d·q + m, so Σ = d·Σq·x + m·Σx per block
static float SFX(dot_q4_1)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 20 * b, *qs = p + 4;
        const float *xb = x + 32 * b;
        const float d = sp_half(p), m = sp_half(p + 2);
        for (int j = 0; j < 16; j++)
            acc[j] += d * ((float)(qs[j] & 15) * xb[j] + (float)(qs[j] >> 4) * xb[j + 16]) + m * (xb[j] + xb[j + 16]);
    }
    return SFX(sp_lanes16)(acc);
}

// Q5_0: d, qh (bit j = 5th bit of element j), qs[16]; element = d·(q − 16)
static float SFX(dot_q5_0)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 22 * b, *qs = p + 6;
        const float *xb = x + 32 * b;
        const float d = sp_half(p);
        uint32_t qh;
        memcpy(&qh, p + 2, 4);
        for (int j = 0; j < 16; j++) {
            int lo = (int)((qs[j] & 15) | ((qh >> j) & 1) << 4) - 16;
            int hi = (int)((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4) - 16;
            acc[j] += d * ((float)lo * xb[j] + (float)hi * xb[j + 16]);
        }
    }
    return SFX(sp_lanes16)(acc);
}

// Q5_1: d, m, qh, qs[16]; element = d·q + m
static float SFX(dot_q5_1)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 24 * b, *qs = p + 8;
        const float *xb = x + 32 * b;
        const float d = sp_half(p), m = sp_half(p + 2);
        uint32_t qh;
        memcpy(&qh, p + 4, 4);
        for (int j = 0; j < 16; j++) {
            uint32_t lo = (qs[j] & 15) | ((qh >> j) & 1) << 4;
            uint32_t hi = (qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4;
            acc[j] += d * ((float)lo * xb[j] + (float)hi * xb[j + 16]) + m * (xb[j] + xb[j + 16]);
        }
    }
    return SFX(sp_lanes16)(acc);
}

// Q8_0: d, qs[32] int8; element = d·q
static float SFX(dot_q8_0)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 34 * b;
        const int8_t *qs = (const int8_t *)(p + 2);
        const float *xb = x + 32 * b;
        const float d = sp_half(p);
        for (int j = 0; j < 16; j++) acc[j] += d * ((float)qs[j] * xb[j] + (float)qs[j + 16] * xb[j + 16]);
    }
    return SFX(sp_lanes16)(acc);
}

// Q4_K / Q5_K: super-block of 8 sub-blocks of 32; element 32s + l = (d·sc[s])·q − dmin·mn[s], with
// sub-blocks 2c and 2c+1 in the low and high nibbles of qs[32c ..< 32c + 32] (Q5_K: 5th bit in qh[l] bit s).
static inline __attribute__((always_inline)) float SFX(dot_qk45)(const uint8_t *row, const float *x, long nb, int five) {
    float acc[32] = {0};
    const long bytes = five ? 176 : 144;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + bytes * b, *sc = p + 4, *qh = p + 16, *qs = p + (five ? 48 : 16);
        const float d = sp_half(p), dmin = sp_half(p + 2);
        for (int c = 0; c < 4; c++) {
            uint8_t s0, m0, s1, m1;
            sp_scale_min(sc, 2 * c, &s0, &m0);
            sp_scale_min(sc, 2 * c + 1, &s1, &m1);
            const float d0 = d * (float)s0, d1 = d * (float)s1, n0 = dmin * (float)m0, n1 = dmin * (float)m1;
            const uint8_t *q = qs + 32 * c;
            const float *xs = x + 256 * b + 64 * c;
            const int sh0 = 2 * c, sh1 = 2 * c + 1;
            for (int l = 0; l < 32; l++) {
                uint32_t lo = q[l] & 15, hi = q[l] >> 4;
                if (five) {
                    lo |= (uint32_t)((qh[l] >> sh0) & 1) << 4;
                    hi |= (uint32_t)((qh[l] >> sh1) & 1) << 4;
                }
                acc[l] += (d0 * ((float)lo * xs[l]) - n0 * xs[l]) + (d1 * ((float)hi * xs[l + 32]) - n1 * xs[l + 32]);
            }
        }
    }
    return SFX(sp_lanes16)(acc) + SFX(sp_lanes16)(acc + 16);
}

// Q6_K: ql[128], qh[64], scales[16] int8, d; element e = (d·scales[e / 16])·(q − 32) with q's low 4 bits
// from ql and high 2 bits from qh (see BlockDequantK.swift for the index map).
static float SFX(dot_q6_K)(const uint8_t *row, const float *x, long nb) {
    float acc[16] = {0};
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = row + 210 * b, *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        const float d = sp_half(p + 208);
        for (int h = 0; h < 2; h++) {
            for (int g = 0; g < 8; g++) {
                const float ds = d * (float)sc[8 * h + g];
                const int shL = 4 * (g / 4), shH = 2 * (g / 2);
                const uint8_t *l4 = ql + 64 * h + (16 * g) % 64, *h2 = qh + 32 * h + (16 * g) % 32;
                const float *xs = x + 256 * b + 128 * h + 16 * g;
                for (int l = 0; l < 16; l++) {
                    int q = (int)(((l4[l] >> shL) & 15) | ((h2[l] >> shH) & 3) << 4) - 32;
                    acc[l] += ds * ((float)q * xs[l]);
                }
            }
        }
    }
    return SFX(sp_lanes16)(acc);
}

static float SFX(qdot)(int fmt, const uint8_t *row, const float *x, long k) {
    switch (fmt) {
    case SP_QFMT_Q4_0: return SFX(dot_q4_0)(row, x, k / 32);
    case SP_QFMT_Q4_1: return SFX(dot_q4_1)(row, x, k / 32);
    case SP_QFMT_Q5_0: return SFX(dot_q5_0)(row, x, k / 32);
    case SP_QFMT_Q5_1: return SFX(dot_q5_1)(row, x, k / 32);
    case SP_QFMT_Q8_0: return SFX(dot_q8_0)(row, x, k / 32);
    case SP_QFMT_Q4_K: return SFX(dot_qk45)(row, x, k / 256, 0);
    case SP_QFMT_Q5_K: return SFX(dot_qk45)(row, x, k / 256, 1);
    case SP_QFMT_Q6_K: return SFX(dot_q6_K)(row, x, k / 256);
    default: return 0.0f / 0.0f;
    }
}
