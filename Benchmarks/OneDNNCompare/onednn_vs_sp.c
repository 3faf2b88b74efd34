// Measures oneDNN's bf16 matmul against SoftPrompt's AVX512-BF16 kernel (Sources/CBLAS/bf16.c) on
// the GPT-2-small training step's shapes. Not part of the build: scripts/bench_onednn_bf16.sh
// compiles and runs it (needs libdnnl-dev). Both single-threaded (OMP_NUM_THREADS=1), best of N.
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "softprompt_bf16.h"

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s: %d\n", #x, s_); exit(1); } } while (0)
// Thread CPU time: on a shared machine it leaves out the time other processes held the core.
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

// C[m,n] = A[m,k]·op(B); transB: B stored [n][k] (y = x·Wᵀ), else [k][n] (dX = dY·W).
// weights_any: let oneDNN pick (and pre-pack) the weight layout, timed without the reorder.
static double onednn(int transB, int m, int k, int n, int weights_any, double seconds) {
    dnnl_engine_t eng; dnnl_stream_t st;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0)); CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    dnnl_memory_desc_t a_md, b_md, b_user_md, c_md;
    dnnl_dims_t ad = {m, k}, bd = {k, n}, cd = {m, n};
    CHECK(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, dnnl_bf16, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&b_user_md, 2, bd, dnnl_bf16, transB ? dnnl_ba : dnnl_ab));
    if (weights_any) CHECK(dnnl_memory_desc_init_by_tag(&b_md, 2, bd, dnnl_bf16, dnnl_format_tag_any));
    else b_md = b_user_md;
    CHECK(dnnl_memory_desc_init_by_tag(&c_md, 2, cd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t d; CHECK(dnnl_matmul_desc_init(&d, &a_md, &b_md, NULL, &c_md));
    dnnl_primitive_desc_t pd; CHECK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
    const dnnl_memory_desc_t *b_pd_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_t mm; CHECK(dnnl_primitive_create(&mm, pd));
    dnnl_memory_t a, b, c;
    CHECK(dnnl_memory_create(&a, &a_md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&b, b_pd_md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c, &c_md, eng, DNNL_MEMORY_ALLOCATE));
    void *p; CHECK(dnnl_memory_get_data_handle(a, &p)); memset(p, 0x3c, (size_t)m * k * 2);
    CHECK(dnnl_memory_get_data_handle(b, &p)); memset(p, 0x3c, dnnl_memory_desc_get_size(b_pd_md));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}};
    double best = 1e9, t0 = now();
    int r = 0;
    while (r < 3 || now() - t0 < seconds) {
        double s = now();
        CHECK(dnnl_primitive_execute(mm, st, 3, args)); CHECK(dnnl_stream_wait(st));
        double t = now() - s; if (t < best) best = t; r++;
    }
    dnnl_primitive_destroy(mm); dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(a); dnnl_memory_destroy(b); dnnl_memory_destroy(c);
    dnnl_stream_destroy(st); dnnl_engine_destroy(eng);
    return 2.0 * m * n * k / best / 1e9;
}

static double ours(int transB, int m, int k, int n, double seconds) {
    float *a = malloc(sizeof(float) * m * k), *c = malloc(sizeof(float) * m * n);
    uint16_t *b = malloc(2 * (size_t)n * k);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 13) * 0.1f;
    for (long i = 0; i < (long)n * k; i++) b[i] = 0x3c00 + (i % 7);
    void *s = aligned_alloc(64, (sp_bf16_gemm_scratch_bytes(m, n, k) + 63) / 64 * 64);
    double best = 1e9, t0 = now();
    int r = 0;
    while (r < 3 || now() - t0 < seconds) {
        double st = now();
        sp_bf16_gemm(transB, m, n, k, a, k, b, transB ? k : n, c, n, 0, 0, s);
        double t = now() - st; if (t < best) best = t; r++;
    }
    free(a); free(b); free(c); free(s);
    return 2.0 * m * n * k / best / 1e9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2;
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d (ISA: %s); one thread; GFLOPS by thread CPU time, best repetition\n", v->major, v->minor, v->patch,
           getenv("ONEDNN_MAX_CPU_ISA") ? getenv("ONEDNN_MAX_CPU_ISA") : "default");
    printf("%-26s %10s %14s %12s\n", "product M×K×N", "softprompt", "oneDNN plain", "oneDNN any");
    int shapes[][4] = {  // transB, M, K, N: GPT-2 small, batch 8 × 256 token rows
        {1, 2048, 768, 2304}, {1, 2048, 768, 768}, {1, 2048, 768, 3072}, {1, 2048, 3072, 768},
        {0, 2048, 2304, 768}, {0, 2048, 768, 768}, {0, 2048, 3072, 768}, {0, 2048, 768, 3072},
        {1, 2048, 768, 50257}, {0, 2048, 50257, 768}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int t = shapes[i][0], m = shapes[i][1], k = shapes[i][2], n = shapes[i][3];
        char name[64]; snprintf(name, sizeof name, "%s %d×%d×%d", t ? "x·Wᵀ" : "dY·W", m, k, n);
        printf("%-28s %10.1f %14.1f %12.1f\n", name, ours(t, m, k, n, seconds), onednn(t, m, k, n, 0, seconds),
               onednn(t, m, k, n, 1, seconds));
        fflush(stdout);
    }
    return 0;
}
