// The bf16 GEMM's packed path (Sources/CBLAS/bf16.c) against the same file at a base commit, on the
// GPT-2-small training step's shapes (batch 8 × 276 = 2208 rows), as LinearBF16.gemmPacked runs them
// on one of two threads: 1104 rows against B packed in 8 MiB chunks. B is packed whole here (in the
// step each thread packs half), so the packing weighs twice what it does in the step. GFLOPS by thread CPU time (a shared machine distorts them less), best repetition,
// old and new interleaved; % of the bf16 dot-product peak measured in the same process (one thread,
// sp_bf16_dp_loop); C compared bit for bit. Not part of the build: scripts/bench_bf16_kernel.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "softprompt_bf16.h"
void old_sp_bf16_pack_b(int transB, int n, int k, const uint16_t *b, int ldb, int q0, int q1, uint32_t *out);
void old_sp_bf16_gemm_packed(int m, int n, int k, const float *a, int lda, const uint32_t *bpacked, float *c, int ldc,
                         int accumulate, int round_out, void *scratch);
size_t old_sp_bf16_gemm_packed_scratch_bytes(int m);
size_t old_sp_bf16_packed_b_bytes(int n, int k);
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
typedef void (*packf)(int, int, int, const uint16_t *, int, int, int, uint32_t *);
typedef void (*gemmf)(int, int, int, const float *, int, const uint32_t *, float *, int, int, int, void *);
// As gemmPacked: chunks of 8 MiB; both halves of the panels packed on this thread, then m rows multiplied.
static void run(int old, int transB, int m, int n, int k, const float *a, const uint16_t *b, float *c, uint32_t *bp, void *scr) {
    packf pk = old ? old_sp_bf16_pack_b : sp_bf16_pack_b; gemmf gm = old ? old_sp_bf16_gemm_packed : sp_bf16_gemm_packed;
    int slice = SP_BF16_KC, ldb = transB ? k : n; long chunk = 8 << 20;
    long sliceBytes = (long)(n + 63) / 64 * 64 * slice * 2; int cw, kw;
    if (sliceBytes <= chunk) { cw = n; long s = chunk / sliceBytes; if (s < 1) s = 1; kw = (int)(s * slice < k ? s * slice : k); }
    else { long w = chunk / (slice * 2) / 64 * 64; if (w < 64) w = 64; cw = w < n ? (int)w : n; kw = slice < k ? slice : k; }
    for (int k0 = 0; k0 < k; k0 += kw) { int kk = k - k0 < kw ? k - k0 : kw, last = k0 + kk >= k;
        for (int j0 = 0; j0 < n; j0 += cw) { int nn = n - j0 < cw ? n - j0 : cw, panels = (nn + 63) / 64;
            const uint16_t *bs = transB ? b + (size_t)j0 * ldb + k0 : b + (size_t)k0 * ldb + j0;
            pk(transB, nn, kk, bs, ldb, 0, panels / 2 > 0 ? panels / 2 : panels, bp);
            if (panels / 2 > 0) pk(transB, nn, kk, bs, ldb, panels / 2, panels, bp);  // the other thread's half in the step
            gm(m, nn, kk, a + k0, k, bp, c + j0, n, k0 > 0, last, scr);
        } }
}
int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1; int m = 1104;
    int shapes[][3] = {{1, 768, 2304}, {1, 768, 768}, {1, 768, 3072}, {1, 3072, 768},
        {0, 2304, 768}, {0, 768, 768}, {0, 3072, 768}, {0, 768, 3072}, {1, 768, 50257}, {0, 50257, 768}};
    int only = argc > 2 ? atoi(argv[2]) : -1;
    double t0 = now(); float z = sp_bf16_dp_loop(20000000); double pt = now() - t0;
    double peak = 20000000.0 * 12 * 64 / pt / 1e9;
    printf("bf16 peak one thread %.1f GFLOPS (%g)\n", peak, (double)z);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (only >= 0 && (int)i != only) continue;
        int t = shapes[i][0], k = shapes[i][1], n = shapes[i][2];
        float *a = malloc(sizeof(float) * m * k), *c0 = malloc(sizeof(float) * m * n), *c1 = malloc(sizeof(float) * m * n);
        uint16_t *b = malloc(2 * (size_t)n * k);
        unsigned s = 12345;
        for (long j = 0; j < (long)m * k; j++) { s = s * 1103515245u + 12345u; a[j] = ((int)(s >> 9) % 2001 - 1000) * 1e-3f; }
        for (long j = 0; j < (long)n * k; j++) { s = s * 1103515245u + 12345u; b[j] = (uint16_t)(0x3c00 + (s >> 20) % 512) ^ ((s >> 3) & 0x8000); }
        size_t pb = sp_bf16_packed_b_bytes(n, k) > old_sp_bf16_packed_b_bytes(n, k) ? sp_bf16_packed_b_bytes(n, k) : old_sp_bf16_packed_b_bytes(n, k);
        uint32_t *bp = aligned_alloc(64, (pb + 63) / 64 * 64 + (16 << 20));
        size_t sb = sp_bf16_gemm_packed_scratch_bytes(m) > old_sp_bf16_gemm_packed_scratch_bytes(m) ? sp_bf16_gemm_packed_scratch_bytes(m) : old_sp_bf16_gemm_packed_scratch_bytes(m);
        void *scr = aligned_alloc(64, (sb + 63) / 64 * 64);
        double best[2] = {1e9, 1e9};
        for (int rep = 0; ; rep++) {
            for (int o = 0; o < 2; o++) { double st = now(); run(!o, t, m, n, k, a, b, o ? c1 : c0, bp, scr); double d = now() - st; if (d < best[o]) best[o] = d; }
            if (rep >= 2 && now() - t0 > seconds) break;
        }
        t0 = now();
        double maxrel = 0; long diff = 0;
        for (long j = 0; j < (long)m * n; j++) { if (c0[j] != c1[j]) diff++; double d = c0[j] - c1[j]; if (d < 0) d = -d; double r = d / (1e-6 + (c0[j] < 0 ? -c0[j] : c0[j])); if (r > maxrel) maxrel = r; }
        double fl = 2.0 * m * n * k;
        printf("%s %dx%dx%d  base %.1f (%.1f%%)  new %.1f (%.1f%%)  differing %ld max rel %.2g\n", t ? "x.Wt" : "dY.W", m, k, n,
               fl / best[0] / 1e9, 100 * fl / best[0] / 1e9 / peak, fl / best[1] / 1e9, 100 * fl / best[1] / 1e9 / peak, diff, maxrel);
        fflush(stdout);
        free(a); free(b); free(c0); free(c1); free(bp); free(scr);
    }
}
