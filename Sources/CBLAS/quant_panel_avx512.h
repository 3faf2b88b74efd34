// AVX-512 panels for the 32-element block formats, included by quant_panel.c inside its AVX-512
// target region (clang's vectorization of the portable 16-lane loops is slower there than AVX2's).
// Same float operations per element as quant_panel_kernels.h, 16 lanes at a time:
// bytes → u8 nibbles (plus the 5th bit from qh as a lane mask) → int32 → float → ×d (+m).

/// The 16 low nibbles and the 16 high nibbles of qs[0..<16], widened to int32 lanes.
static inline void sp_nibbles512(const uint8_t *qs, __m512i *lo, __m512i *hi) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs), m4 = _mm_set1_epi8(15);
    *lo = _mm512_cvtepu8_epi32(_mm_and_si128(q, m4));
    *hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), m4));
}

static void panel512_q4_0(const uint8_t *src, long nb, float *restrict dst) {
    const __m512i eight = _mm512_set1_epi32(8);
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 18 * b;
        const __m512 d = _mm512_set1_ps(SP_HALF(p));
        __m512i lo, hi;
        sp_nibbles512(p + 2, &lo, &hi);
        _mm512_storeu_ps(dst + 32 * b, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(lo, eight))));
        _mm512_storeu_ps(dst + 32 * b + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(hi, eight))));
    }
}

static void panel512_q4_1(const uint8_t *src, long nb, float *restrict dst) {
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + 20 * b;
        const __m512 d = _mm512_set1_ps(SP_HALF(p)), m = _mm512_set1_ps(SP_HALF(p + 2));
        __m512i lo, hi;
        sp_nibbles512(p + 4, &lo, &hi);
        _mm512_storeu_ps(dst + 32 * b, _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(lo)), m));
        _mm512_storeu_ps(dst + 32 * b + 16, _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(hi)), m));
    }
}

/// Q5_0 / Q5_1: q = nibble | 16 where qh's bit is set (bit j for lane j, bit j + 16 for lane j of hi).
static inline __attribute__((always_inline)) void panel512_q5(const uint8_t *src, long nb, float *restrict dst,
                                                               int one) {
    const __m512i sixteen = _mm512_set1_epi32(16);
    const long bytes = one ? 24 : 22;
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = src + bytes * b;
        const float dh = SP_HALF(p);
        uint32_t qh;
        memcpy(&qh, p + (one ? 4 : 2), 4);
        __m512i lo, hi;
        sp_nibbles512(p + (one ? 8 : 6), &lo, &hi);
        lo = _mm512_mask_or_epi32(lo, (__mmask16)(qh & 0xffffu), lo, sixteen);
        hi = _mm512_mask_or_epi32(hi, (__mmask16)(qh >> 16), hi, sixteen);
        const __m512 d = _mm512_set1_ps(dh);
        if (one) {
            const __m512 m = _mm512_set1_ps(SP_HALF(p + 2));
            _mm512_storeu_ps(dst + 32 * b, _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(lo)), m));
            _mm512_storeu_ps(dst + 32 * b + 16, _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(hi)), m));
        } else {
            _mm512_storeu_ps(dst + 32 * b, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(lo, sixteen))));
            _mm512_storeu_ps(dst + 32 * b + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(hi, sixteen))));
        }
    }
}

/// The AVX-512 set: these four formats here, the others from the portable kernels.
static void panel_avx512_dispatch(int fmt, const uint8_t *src, long nb, float *dst) {
    switch (fmt) {
    case SP_QFMT_Q4_0: panel512_q4_0(src, nb, dst); break;
    case SP_QFMT_Q4_1: panel512_q4_1(src, nb, dst); break;
    case SP_QFMT_Q5_0: panel512_q5(src, nb, dst, 0); break;
    case SP_QFMT_Q5_1: panel512_q5(src, nb, dst, 1); break;
    default: panel_avx512(fmt, src, nb, dst); break;
    }
}
