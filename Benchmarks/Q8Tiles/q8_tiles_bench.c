// `--activations q8` VNNI tiles (Sources/CBLAS/quant_q8_tiles_q0.c) against the scalar kernels: first a
// bit-for-bit check of sp_qdot_q8_rows at the best level vs the generic level over edge shapes (m, rows,
// k, accumulate, ldy, row offset; realistic and extreme blocks), then per-thread speed by thread CPU time:
// prefill GOP/s (2·rows·m·k integer ops) at the 1B shape, decoding GB/s of weights read (m = 1, 3 × the
// 1B FFN matrix so it leaves the cache). Built and run by scripts/bench_q8_tiles.sh; exits 1 on a mismatch.
#include "softprompt_quant.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int BB[5] = {18, 20, 22, 24, 34};
static const char *NAMES[5] = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"};
static uint64_t seed = 88172645463325252ull;

static uint32_t rnd(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)seed;
}

static void put_half(uint8_t *p, float f) {
    _Float16 h = (_Float16)f;
    memcpy(p, &h, 2);
}

static int has_mins(int fmt) { return fmt == SP_QFMT_Q4_1 || fmt == SP_QFMT_Q5_1; }

static void fill_weights(int fmt, uint8_t *w, size_t n, int extreme) {
    for (size_t i = 0; i < n; i++) w[i] = extreme ? (rnd() & 1 ? 0xFF : (rnd() & 1 ? 0x80 : 0)) : (uint8_t)rnd();
    for (size_t b = 0; b + BB[fmt] <= n; b += BB[fmt]) {
        put_half(w + b, ((float)(rnd() % 2001) / 1000 - 1) * (extreme ? 65504 : 0.02f));
        if (has_mins(fmt)) put_half(w + b + 2, ((float)(rnd() % 2001) / 1000 - 1) * (extreme ? 60000 : 0.05f));
    }
}

static void fill_acts(int fmt, uint8_t *x, size_t n, int extreme) {
    const int xb = has_mins(fmt) ? 36 : 34;
    for (size_t i = 0; i < n; i++) x[i] = extreme ? (rnd() & 1 ? 0x7F : 0x80) : (uint8_t)(rnd() % 255 + 129);
    for (size_t b = 0; b + xb <= n; b += xb) {
        put_half(x + b, (float)(rnd() % 1000) / 1000 * (extreme ? 500 : 0.1f));
        if (xb == 36) put_half(x + b + 2, ((float)(rnd() % 2001) / 1000 - 1) * 3);
    }
}

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int bitcheck(void) {
    const int ms[] = {1, 2, 3, 5, 8, 17}, rs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33};
    const long ks[] = {32, 64, 2048, 8192};
    long cases = 0, bad = 0;
    for (int fmt = 0; fmt < 5; fmt++)
        for (int ex = 0; ex < 2; ex++)
            for (int mi = 0; mi < 6; mi++)
                for (int ri = 0; ri < 12; ri++)
                    for (int ki = 0; ki < 4; ki++)
                        for (int acc = 0; acc < 2; acc++) {
                            const long m = ms[mi], rows = rs[ri], k = ks[ki], r0 = 3, ldy = rows + r0 + 5;
                            if (k == 8192 && (m > 5 || rows > 9)) continue;
                            const size_t rb = (size_t)(k / 32) * BB[fmt], xs = (size_t)(k / 32) * (has_mins(fmt) ? 36 : 34) + 8;
                            uint8_t *w = malloc(rb * (size_t)(rows + r0)), *xq = malloc(xs * (size_t)m);
                            float *y0 = malloc(sizeof(float) * (size_t)(m * ldy)), *y1 = malloc(sizeof(float) * (size_t)(m * ldy));
                            fill_weights(fmt, w, rb * (size_t)(rows + r0), ex);
                            fill_acts(fmt, xq, xs * (size_t)m, ex);
                            for (long i = 0; i < m * ldy; i++) y0[i] = y1[i] = (float)(rnd() % 100) / 7;
                            sp_qdot_q8_rows(fmt, SP_QLEVEL_GENERIC, w + r0 * rb, rb, rows, xq, xs, m, k, y0 + r0, ldy, acc);
                            sp_qdot_q8_rows(fmt, -1, w + r0 * rb, rb, rows, xq, xs, m, k, y1 + r0, ldy, acc);
                            cases++;
                            if (memcmp(y0, y1, sizeof(float) * (size_t)(m * ldy)) != 0 && bad++ < 5)
                                printf("MISMATCH %s extreme %d m %ld rows %ld k %ld accumulate %d\n", NAMES[fmt], ex, m, rows, k, acc);
                            free(w); free(xq); free(y0); free(y1);
                        }
    printf("bitcheck: %ld cases, %ld differ from the generic level\n", cases, bad);
    return bad != 0;
}

int main(int argc, char **argv) {
    if (bitcheck()) return 1;
    const int level = argc > 1 ? atoi(argv[1]) : -1;
    for (int fmt = 0; fmt < 5; fmt++) {
        const long k = 2048, rows = 2048, m = level == SP_QLEVEL_GENERIC ? 16 : 512, big = 3 * 5632;
        const size_t rb = (size_t)(k / 32) * BB[fmt], xs = (size_t)(k / 32) * (has_mins(fmt) ? 36 : 34);
        uint8_t *w = malloc(rb * rows), *xq = malloc(xs * m), *wb = malloc(rb * big);
        float *y = malloc(sizeof(float) * (size_t)(m * rows)), *yb = malloc(sizeof(float) * big);
        fill_weights(fmt, w, rb * rows, 0);
        fill_weights(fmt, wb, rb * big, 0);
        fill_acts(fmt, xq, xs * m, 0);
        double t0 = cpu_seconds();
        sp_qdot_q8_rows(fmt, level, w, rb, rows, xq, xs, m, k, y, rows, 0);
        const double prefill = 2.0 * rows * m * k / 1e9 / (cpu_seconds() - t0);
        sp_qdot_q8_rows(fmt, level, wb, rb, big, xq, xs, 1, k, yb, big, 0);
        t0 = cpu_seconds();
        for (int it = 0; it < 5; it++) sp_qdot_q8_rows(fmt, level, wb, rb, big, xq, xs, 1, k, yb, big, 0);
        const double decode = 5.0 * (double)(rb * big) / 1e9 / (cpu_seconds() - t0);
        printf("%s  prefill m=%ld k=%ld rows=%ld: %6.1f GOP/s per thread   decode m=1: %5.2f GB/s per thread\n",
               NAMES[fmt], m, k, rows, prefill, decode);
        free(w); free(xq); free(wb); free(y); free(yb);
    }
    return 0;
}
