// Helpers shared by the block kernel files (quant_dot.c, quant_dot_q8.c, quant_panel.c): ggml's f16 scales and
// the packed 6-bit scales/mins of Q4_K/Q5_K.
#ifndef SOFTPROMPT_QUANT_COMMON_H
#define SOFTPROMPT_QUANT_COMMON_H
#include <stdint.h>
#include <string.h>

/// IEEE half bits to float, exactly (normals, subnormals, inf, nan), without F16C.
static inline float sp_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0) {
        float f = (float)m * 0x1p-24f;
        return s ? -f : f;
    }
    bits = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// Scale and min of sub-block j (0..<8) from the 12 packed bytes of a Q4_K/Q5_K super-block.
static inline void sp_scale_min(const uint8_t *s, int j, uint8_t *sc, uint8_t *mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
        *mn = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

#endif
