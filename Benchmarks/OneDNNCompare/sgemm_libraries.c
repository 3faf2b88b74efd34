// float32 GEMM of OpenBLAS, oneDNN (dnnl_sgemm) and BLIS on the GPT-2-small training step's shapes,
// single-threaded, GFLOPS by thread CPU time (best repetition). Not part of the build:
// scripts/bench_gemm_libraries.sh builds and runs it. Libraries are dlopen'ed from the paths given.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);
typedef int (*dnnl_sgemm_fn)(char, char, long, long, long, float, const float *, long, const float *, long, float,
                             float *, long);
enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static double run(cblas_sgemm_fn cb, dnnl_sgemm_fn dn, int transB, int m, int k, int n, double seconds) {
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 13) * 0.1f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 7) * 0.01f;
    double best = 1e9, t0 = now();
    int r = 0;
    while (r < 3 || now() - t0 < seconds) {
        double s = now();
        if (cb) cb(RowMajor, NoTrans, transB ? Trans : NoTrans, m, n, k, 1, a, k, b, transB ? k : n, 0, c, n);
        else dn('N', transB ? 'T' : 'N', m, n, k, 1, a, k, b, transB ? k : n, 0, c, n);
        double t = now() - s; if (t < best) best = t; r++;
    }
    free(a); free(b); free(c);
    return 2.0 * m * n * k / best / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s libopenblas.so libdnnl.so libblis.so [seconds]\n", argv[0]); return 2; }
    void *ob = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL), *dn = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL),
         *bl = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
    if (!ob || !dn || !bl) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    cblas_sgemm_fn obs = (cblas_sgemm_fn)dlsym(ob, "cblas_sgemm"), bls = (cblas_sgemm_fn)dlsym(bl, "cblas_sgemm");
    dnnl_sgemm_fn dns = (dnnl_sgemm_fn)dlsym(dn, "dnnl_sgemm");
    char *(*core)(void) = (char *(*)(void))dlsym(ob, "openblas_get_corename");
    double seconds = argc > 4 ? atof(argv[4]) : 1;
    printf("one thread, GFLOPS by thread CPU time; OpenBLAS core %s\n", core ? core() : "?");
    printf("%-28s %9s %9s %9s\n", "product M×K×N", "OpenBLAS", "oneDNN", "BLIS");
    int shapes[][4] = {{1, 2048, 768, 2304}, {1, 2048, 768, 768}, {1, 2048, 768, 3072}, {1, 2048, 3072, 768},
                       {0, 2048, 2304, 768}, {0, 2048, 768, 768}, {0, 2048, 3072, 768}, {0, 2048, 768, 3072},
                       {1, 2048, 768, 50257}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int t = shapes[i][0], m = shapes[i][1], k = shapes[i][2], n = shapes[i][3];
        char name[64]; snprintf(name, sizeof name, "%s %d×%d×%d", t ? "x·Wᵀ" : "dY·W", m, k, n);
        printf("%-30s %9.1f %9.1f %9.1f\n", name, run(obs, NULL, t, m, k, n, seconds), run(NULL, dns, t, m, k, n, seconds),
               run(bls, NULL, t, m, k, n, seconds));
        fflush(stdout);
    }
    return 0;
}
