// Weight-side pieces of the K-quant VNNI tiles (quant_q8_tiles_k.c, which includes this file once,
// inside its AVX-512 VNNI + VBMI target region): the byte permutation to ggml's 8 lanes and the unpacking
// of one Q4_K / Q5_K / Q6_K super-block into int8 quants and int16 scale pairs.
#ifndef SOFTPROMPT_QUANT_Q8_TILES_K_H
#define SOFTPROMPT_QUANT_Q8_TILES_K_H

/// Byte j of a zmm: element (j/32)·32 + l + 8i of the source, l = (j%32)/4, i = j%4 (two 32-byte halves).
static inline __m512i sp_perm32(int dup) {
    uint8_t idx[64];
    for (int j = 0; j < 64; j++) idx[j] = (uint8_t)((dup ? 0 : (j / 32) * 32) + ((j % 32) / 4) + 8 * (j % 4));
    return _mm512_loadu_si512(idx);
}

/// Index for vpermi2b: half h of the result from source (h ? B : A) at byte off + (l + 8i).
static inline __m512i sp_perm2(int off) {
    uint8_t idx[64];
    for (int j = 0; j < 64; j++) idx[j] = (uint8_t)((j / 32) * 64 + off + ((j % 32) / 4) + 8 * (j % 4));
    return _mm512_loadu_si512(idx);
}

/// Constants of one call.
typedef struct {
    __m512i perm, permdup;      // within-32 permutation, and the same on 32 bytes copied to both halves
    __m512i sidx[4];            // vpermw indices: int16 scales → the scale of each int16 pair of zmm q
    __m512i bits[4];            // Q5_K: the qh bit of each half of zmm q
} sp_q8k_consts;

static void sp_q8k_consts_init(int fmt, sp_q8k_consts *c) {
    c->perm = sp_perm32(0);
    c->permdup = sp_perm32(1);
    // Q4_K/Q5_K zmm q halves hold sub-blocks (0,2), (1,3), (4,6), (5,7); Q6_K half h of zmm q holds the
    // 16-element sub-blocks 4q + 2h (even int16 of each pair of pairs) and 4q + 2h + 1 (odd).
    static const int sb45[4][2] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}};
    for (int q = 0; q < 4; q++) {
        int16_t idx[32];
        uint8_t bits[64];
        for (int p = 0; p < 32; p++)
            idx[p] = (int16_t)(fmt == SP_QFMT_Q6_K ? 4 * q + 2 * (p / 16) + (p % 2) : sb45[q][p / 16]);
        for (int j = 0; j < 64; j++) bits[j] = (uint8_t)(1u << sb45[q][j / 32]);
        c->sidx[q] = _mm512_loadu_si512(idx);
        c->bits[q] = _mm512_loadu_si512(bits);
    }
}

/// f16 → f32 with F16C: exact like sp_half (a NaN comes out quiet, as the first float product makes it anyway).
static inline float sp_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// One weight super-block unpacked: quants (Q4_K/Q5_K u8 0..31, Q6_K s8 q − 32) in the activation
/// layout, int16 scales per pair, d, dmin, mins as int16 pairs (Q4_K/Q5_K), and Q6_K's −128·Σ sc·(q − 32).
typedef struct {
    __m512i w[4], s[4], negc, mins;
    float d, dmin;
} sp_q8k_wblock;

static inline __attribute__((always_inline)) void sp_q8k_unpack(int fmt, const sp_q8k_consts *c, const uint8_t *p,
                                                                sp_q8k_wblock *o) {
    const __m512i lo4 = _mm512_set1_epi8(15);
    if (fmt == SP_QFMT_Q6_K) {
        const uint8_t *ql = p, *qh = p + 128;
        const __m512i m30 = _mm512_set1_epi8(0x30), off = _mm512_set1_epi8(32);
        const __m512i shA = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
        const __m512i shB = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
        for (int h = 0; h < 2; h++) {
            __m512i P = _mm512_permutexvar_epi8(c->perm, _mm512_loadu_si512(ql + 64 * h));
            __m512i H = _mm512_permutexvar_epi8(c->permdup,
                                                _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(qh + 32 * h))));
            __m512i a = _mm512_ternarylogic_epi32(P, lo4, _mm512_and_si512(_mm512_sllv_epi16(H, shA), m30), 0xEA);
            __m512i b = _mm512_ternarylogic_epi32(_mm512_srli_epi16(P, 4), lo4,
                                                  _mm512_and_si512(_mm512_srlv_epi16(H, shB), m30), 0xEA);
            o->w[2 * h] = _mm512_sub_epi8(a, off);
            o->w[2 * h + 1] = _mm512_sub_epi8(b, off);
        }
        __m512i sc = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 192))));
        const __m512i u128 = _mm512_set1_epi8((char)0x80);
        __m512i corr = _mm512_setzero_si512();
        for (int q = 0; q < 4; q++) {
            o->s[q] = _mm512_permutexvar_epi16(c->sidx[q], sc);
            corr = _mm512_dpwssd_epi32(corr, _mm512_maddubs_epi16(u128, o->w[q]), o->s[q]);
        }
        o->negc = _mm512_sub_epi32(_mm512_setzero_si512(), corr);
        o->d = sp_f16(p + 208);
        return;
    }
    const int five = fmt == SP_QFMT_Q5_K;
    const uint8_t *qs = p + (five ? 48 : 16);
    uint32_t u0, u1, u2;
    memcpy(&u0, p + 4, 4);
    memcpy(&u1, p + 8, 4);
    memcpy(&u2, p + 12, 4);
    const uint32_t sc_lo = u0 & 0x3f3f3f3fu, mn_lo = u1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
    __m512i sc = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)(sc_lo | (uint64_t)sc_hi << 32))));
    o->mins = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)(mn_lo | (uint64_t)mn_hi << 32))));
    for (int h = 0; h < 2; h++) {
        __m512i P = _mm512_permutexvar_epi8(c->perm, _mm512_loadu_si512(qs + 64 * h));
        o->w[2 * h] = _mm512_and_si512(P, lo4);
        o->w[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(P, 4), lo4);
    }
    if (five) {
        __m512i H = _mm512_permutexvar_epi8(c->permdup,
                                            _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p + 16))));
        const __m512i s16 = _mm512_set1_epi8(16);
        for (int q = 0; q < 4; q++) {
            __mmask64 kb = _mm512_test_epi8_mask(H, c->bits[q]);
            o->w[q] = _mm512_mask_add_epi8(o->w[q], kb, o->w[q], s16);
        }
    }
    for (int q = 0; q < 4; q++) o->s[q] = _mm512_permutexvar_epi16(c->sidx[q], sc);
    o->negc = _mm512_setzero_si512();
    o->d = sp_f16(p);
    o->dmin = sp_f16(p + 2);
}

#endif
