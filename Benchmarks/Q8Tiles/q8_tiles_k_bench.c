// The K-quant VNNI tiles of `--activations q8` (Sources/CBLAS/quant_q8_tiles_k.c): first a bitwise
// check against the scalar kernels (sp_qdot_q8_rows at level 0, generic) over edge shapes, then one
// thread's throughput against the AVX-512 scalar kernels (what level 2 ran before the tiles): GOP/s
// (2·rows·m·k integer multiply-adds per second of thread CPU time) for prefill-sized m and GB/s of
// weights for decoding (m = 1). Not part of the build: scripts/bench_q8_tiles_k.sh [k [quick]].
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "softprompt_quant.h"

float q8dot_avx512_ref(int fmt, const uint8_t *row, const uint8_t *y, long k);

static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static uint64_t st = 88172645463325252ull;
static uint64_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return st; }
static uint16_t half(float f) { _Float16 h = (_Float16)f; uint16_t b; memcpy(&b, &h, 2); return b; }

static size_t bbytes(int fmt) { return fmt == SP_QFMT_Q4_K ? 144 : fmt == SP_QFMT_Q5_K ? 176 : 210; }
static const char *name(int fmt) { return fmt == SP_QFMT_Q4_K ? "Q4_K" : fmt == SP_QFMT_Q5_K ? "Q5_K" : "Q6_K"; }

/// Random super-blocks: random quants/scales (extreme ones included), realistic f16 d and dmin.
static uint8_t *weights(int fmt, long rows, long k) {
    const long n = rows * (k / 256);
    uint8_t *w = malloc((size_t)n * bbytes(fmt));
    for (size_t i = 0; i < (size_t)n * bbytes(fmt); i++) w[i] = (uint8_t)rnd();
    for (long b = 0; b < n; b++) {
        uint8_t *p = w + (size_t)b * bbytes(fmt);
        float u = (float)(rnd() % 2001) / 1000 - 1, v = (float)(rnd() % 2001) / 1000 - 1;
        uint16_t d = half(u * 0.02f), dm = half(v * 0.01f);
        if (fmt == SP_QFMT_Q6_K) memcpy(p + 208, &d, 2);
        else { memcpy(p, &d, 2); memcpy(p + 2, &dm, 2); }
        if (b % 7 == 0) memset(p + (fmt == SP_QFMT_Q6_K ? 192 : 4), fmt == SP_QFMT_Q6_K ? 0x80 : 0xff, fmt == SP_QFMT_Q6_K ? 16 : 12);
    }
    return w;
}

static uint8_t *activations(long m, long k) {
    const size_t stride = sp_q8_act_bytes(SP_Q8ACT_Q8_K, k);
    uint8_t *xq = malloc(stride * (size_t)m);
    float *x = malloc(sizeof(float) * (size_t)k);
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < k; j++) x[j] = ((float)(rnd() % 20001) / 10000 - 1) * (float)(1 + j % 5);
        if (i % 3 == 1) x[rnd() % (unsigned long)k] = -40;   // -127 quants
        sp_q8_quantize(SP_Q8ACT_Q8_K, x, k, xq + stride * (size_t)i);
    }
    free(x);
    return xq;
}

static int check(int fmt) {
    static const long ms[] = {1, 2, 3, 5, 8, 17, 64, 65, 130}, rs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 33};
    static const long ks[] = {256, 512, 2048};
    int bad = 0;
    for (int ki = 0; ki < 3; ki++) {
        const long k = ks[ki], rows = 40, rb = (k / 256) * (long)bbytes(fmt);
        uint8_t *w = weights(fmt, rows, k), *xq = activations(130, k);
        const size_t stride = sp_q8_act_bytes(SP_Q8ACT_Q8_K, k);
        for (int mi = 0; mi < 9; mi++)
            for (int ri = 0; ri < 10; ri++)
                for (int acc = 0; acc < 2; acc++) {
                    const long m = ms[mi], n = rs[ri], r0 = ri % 3, ldy = n + 3;
                    float *a = malloc(sizeof(float) * (size_t)(m * ldy)), *b = malloc(sizeof(float) * (size_t)(m * ldy));
                    for (long i = 0; i < m * ldy; i++) a[i] = b[i] = (float)(i % 11) - 5;
                    sp_qdot_q8_rows(fmt, 0, w + r0 * rb, (size_t)rb, n, xq, stride, m, k, a, ldy, acc);
                    sp_qdot_q8_rows(fmt, 2, w + r0 * rb, (size_t)rb, n, xq, stride, m, k, b, ldy, acc);
                    if (memcmp(a, b, sizeof(float) * (size_t)(m * ldy)) != 0) {
                        if (bad++ < 5) fprintf(stderr, "%s k=%ld m=%ld rows=%ld acc=%d differs\n", name(fmt), k, m, n, acc);
                    }
                    free(a); free(b);
                }
        free(w); free(xq);
    }
    printf("%s: tiles vs generic bitwise over 9 m × 10 row counts × 3 k × accumulate: %s\n", name(fmt), bad ? "DIFFER" : "equal");
    return bad;
}

/// Best of `reps` runs: seconds of thread CPU time for y[m, rows] = W·xq.
static double timeit(int fmt, int tiles, const uint8_t *w, long rows, long k, const uint8_t *xq, long m, float *y, int reps) {
    const size_t rb = (size_t)(k / 256) * bbytes(fmt), stride = sp_q8_act_bytes(SP_Q8ACT_Q8_K, k);
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now();
        if (tiles) sp_qdot_q8_rows(fmt, 2, w, rb, rows, xq, stride, m, k, y, rows, 0);
        else
            for (long j = 0; j < rows; j++)
                for (long i = 0; i < m; i++) y[i * rows + j] = q8dot_avx512_ref(fmt, w + j * rb, xq + i * stride, k);
        t = now() - t;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    const int fmts[] = {SP_QFMT_Q4_K, SP_QFMT_Q5_K, SP_QFMT_Q6_K};
    const int quick = argc > 2 && strcmp(argv[2], "quick") == 0;  // tiles only: no check, no scalar timing
    int bad = 0;
    for (int f = 0; f < 3 && !quick; f++) bad += check(fmts[f]);
    const long k = argc > 1 ? atol(argv[1]) : 2048;
    printf("one thread, k = %ld; GOP/s = 2·rows·m·k / thread CPU s (best of 5); decode GB/s of weight blocks\n", k);
    for (int f = 0; f < 3; f++) {
        const int fmt = fmts[f];
        const long rows = 512;
        uint8_t *w = weights(fmt, rows, k), *xq = activations(256, k);
        float *y = malloc(sizeof(float) * (size_t)(rows * 256));
        const long mss[] = {1, 8, 64, 256};
        for (int mi = 0; mi < 4; mi++) {
            const long m = mss[mi];
            const double ops = 2.0 * rows * m * k, bytes = (double)rows * (k / 256) * bbytes(fmt);
            double t0 = quick ? 1e9 : timeit(fmt, 0, w, rows, k, xq, m, y, m >= 64 ? 2 : 5), t1 = timeit(fmt, 1, w, rows, k, xq, m, y, 5);
            if (quick) printf("%s m=%4ld: tiles %6.1f GOP/s", name(fmt), m, ops / t1 * 1e-9);
            else printf("%s m=%4ld: scalar avx512 %6.1f GOP/s, tiles %6.1f GOP/s (%.1f×)", name(fmt), m, ops / t0 * 1e-9,
                        ops / t1 * 1e-9, t0 / t1);
            if (m == 1) printf("  decode %.1f GB/s (weights in cache: %.1f MiB)", bytes / t1 * 1e-9, bytes / 1048576);
            printf("\n");
        }
        free(w); free(xq); free(y);
    }
    // Decoding from memory: 64 MiB of weight blocks, more than the caches hold, streamed once per call.
    for (int f = 0; f < 3; f++) {
        const int fmt = fmts[f];
        const long kk = 4096, rows = (64l << 20) / ((kk / 256) * (long)bbytes(fmt));
        uint8_t *w = weights(fmt, rows, kk), *xq = activations(1, kk);
        float *y = malloc(sizeof(float) * (size_t)rows);
        const double t = timeit(fmt, 1, w, rows, kk, xq, 1, y, 5);
        printf("%s decode from memory (%ld rows × k %ld): %.1f GB/s of weights, one thread\n", name(fmt), rows, kk,
               (double)rows * (kk / 256) * bbytes(fmt) / t * 1e-9);
        free(w); free(xq); free(y);
    }
    return bad != 0;
}
