// Panel dequantization kernels, included by quant_panel.c once per kernel set (SFX names them; the
// including file sets the target ISA and SP_HALF, the exact half → float widening it uses).
// Shapes: blocks [nb] of one format → floats [nb · block elements], block b written at dst + b·QK.
// Every element is computed with the float operations, in the order, of BlockDequant*.swift (and of
// gguf.quants.dequantize): one product (Q4_0, Q5_0, Q8_0, Q6_K's ds·q), or a product then a sum /
// difference (Q4_1, Q5_1: d·q + m; Q4_K, Q5_K: (d·sc)·q − dmin·mn), never fused (contract off).
// The inner loops have fixed trip counts of 16 or 32 lanes and no branches, so clang vectorizes them
// to 16 (AVX-512) or 8 (AVX2) floats per instruction.

// Q4_0, 18 bytes: f16 d, u8 qs[16]. y[j] = d·((qs[j] & 15) − 8), y[j+16] = d·((qs[j] >> 4) − 8)
static void SFX(panel_q4_0)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 18 * b, *qs = p + 2;
        float *restrict y = dst + 32 * b;
        const float d = SP_HALF(p);
        for (int j = 0; j < 16; j++) y[j] = d * (float)((int)(qs[j] & 15) - 8);
        for (int j = 0; j < 16; j++) y[j + 16] = d * (float)((int)(qs[j] >> 4) - 8);
    }
}

// Q4_1, 20 bytes: f16 d, f16 m, u8 qs[16]. y[j] = d·(qs[j] & 15) + m, y[j+16] = d·(qs[j] >> 4) + m
static void SFX(panel_q4_1)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 20 * b, *qs = p + 4;
        float *restrict y = dst + 32 * b;
        const float d = SP_HALF(p), m = SP_HALF(p + 2);
        for (int j = 0; j < 16; j++) y[j] = d * (float)(qs[j] & 15) + m;
        for (int j = 0; j < 16; j++) y[j + 16] = d * (float)(qs[j] >> 4) + m;
    }
}

// Q5_0, 22 bytes: f16 d, u32 qh (bit j: 5th bit of element j), u8 qs[16]. y = d·(q − 16)
static void SFX(panel_q5_0)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 22 * b, *qs = p + 6;
        float *restrict y = dst + 32 * b;
        const float d = SP_HALF(p);
        uint32_t qh;
        memcpy(&qh, p + 2, 4);
        for (int j = 0; j < 16; j++) y[j] = d * (float)((int)((qs[j] & 15u) | ((qh >> j) & 1u) << 4) - 16);
        for (int j = 0; j < 16; j++) y[j + 16] = d * (float)((int)((qs[j] >> 4) | ((qh >> (j + 16)) & 1u) << 4) - 16);
    }
}

// Q5_1, 24 bytes: f16 d, f16 m, u32 qh, u8 qs[16]. y = d·q + m
static void SFX(panel_q5_1)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 24 * b, *qs = p + 8;
        float *restrict y = dst + 32 * b;
        const float d = SP_HALF(p), m = SP_HALF(p + 2);
        uint32_t qh;
        memcpy(&qh, p + 4, 4);
        for (int j = 0; j < 16; j++) y[j] = d * (float)((qs[j] & 15u) | ((qh >> j) & 1u) << 4) + m;
        for (int j = 0; j < 16; j++) y[j + 16] = d * (float)((qs[j] >> 4) | ((qh >> (j + 16)) & 1u) << 4) + m;
    }
}

// Q8_0, 34 bytes: f16 d, i8 qs[32]. y[j] = qs[j]·d
static void SFX(panel_q8_0)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 34 * b;
        const int8_t *qs = (const int8_t *)(p + 2);
        float *restrict y = dst + 32 * b;
        const float d = SP_HALF(p);
        for (int j = 0; j < 32; j++) y[j] = (float)qs[j] * d;
    }
}

// Q4_K (144 bytes: f16 d, f16 dmin, u8 scales[12], u8 qs[128]) and Q5_K (176 bytes: the same with
// u8 qh[32] before qs). Sub-block 2c + k (k = low / high nibble of qs[32c ..< 32c + 32]):
// y[64c + 32k + l] = (d·sc)·q − dmin·mn, Q5_K's 5th bit of q in bit 2c + k of qh[l].
static inline __attribute__((always_inline)) void SFX(panel_qk45)(const uint8_t *src, long nb, float *restrict dst,
                                                                  int five) {
    const long bytes = five ? 176 : 144;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + bytes * b, *sc = p + 4, *qh = p + 16, *qs = p + (five ? 48 : 16);
        const float d = SP_HALF(p), dmin = SP_HALF(p + 2);
        for (int c = 0; c < 4; c++) {
            uint8_t s0, m0, s1, m1;
            sp_scale_min(sc, 2 * c, &s0, &m0);
            sp_scale_min(sc, 2 * c + 1, &s1, &m1);
            const float d0 = d * (float)s0, d1 = d * (float)s1, n0 = dmin * (float)m0, n1 = dmin * (float)m1;
            const uint8_t *q = qs + 32 * c;
            float *restrict o = dst + 256 * b + 64 * c;
            if (five) {
                const int sh0 = 2 * c, sh1 = 2 * c + 1;
                for (int l = 0; l < 32; l++) o[l] = d0 * (float)((q[l] & 15) | ((qh[l] >> sh0) & 1) << 4) - n0;
                for (int l = 0; l < 32; l++) o[l + 32] = d1 * (float)((q[l] >> 4) | ((qh[l] >> sh1) & 1) << 4) - n1;
            } else {
                for (int l = 0; l < 32; l++) o[l] = d0 * (float)(q[l] & 15) - n0;
                for (int l = 0; l < 32; l++) o[l + 32] = d1 * (float)(q[l] >> 4) - n1;
            }
        }
    }
}

// Q6_K, 210 bytes: u8 ql[128], u8 qh[64], i8 scales[16], f16 d. Half h, 16-element group g (8 per half):
// q = ((ql[64h + (16g) % 64 + l] >> 4·(g / 4)) & 15) | ((qh[32h + (16g) % 32 + l] >> 2·(g / 2)) & 3) << 4
// y[128h + 16g + l] = (d·scales[8h + g])·(q − 32)
static void SFX(panel_q6_K)(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 210 * b, *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        const float d = SP_HALF(p + 208);
        for (int h = 0; h < 2; h++) {
            for (int g = 0; g < 8; g++) {
                const float ds = d * (float)sc[8 * h + g];
                const int shL = 4 * (g / 4), shH = 2 * (g / 2);
                const uint8_t *l4 = ql + 64 * h + (16 * g) % 64, *h2 = qh + 32 * h + (16 * g) % 32;
                float *restrict o = dst + 256 * b + 128 * h + 16 * g;
                for (int l = 0; l < 16; l++)
                    o[l] = ds * (float)((int)(((l4[l] >> shL) & 15) | ((h2[l] >> shH) & 3) << 4) - 32);
            }
        }
    }
}

static void SFX(panel)(int fmt, const uint8_t *src, long nb, float *dst) {
    switch (fmt) {
    case SP_QFMT_Q4_0: SFX(panel_q4_0)(src, nb, dst); break;
    case SP_QFMT_Q4_1: SFX(panel_q4_1)(src, nb, dst); break;
    case SP_QFMT_Q5_0: SFX(panel_q5_0)(src, nb, dst); break;
    case SP_QFMT_Q5_1: SFX(panel_q5_1)(src, nb, dst); break;
    case SP_QFMT_Q8_0: SFX(panel_q8_0)(src, nb, dst); break;
    case SP_QFMT_Q4_K: SFX(panel_qk45)(src, nb, dst, 0); break;
    case SP_QFMT_Q5_K: SFX(panel_qk45)(src, nb, dst, 1); break;
    case SP_QFMT_Q6_K: SFX(panel_q6_K)(src, nb, dst); break;
    default: break;
    }
}
