// Loads OpenBLAS with dlopen after choosing its kernel set (see softprompt_blas.h for why).

#define _GNU_SOURCE
#include "softprompt_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*string_fn)(void);

typedef struct {
    sgemm_fn sgemm;
    sgemv_fn sgemv;
    set_threads_fn set_threads;
    get_threads_fn get_threads;
    string_fn config, corename;
} Symbols;

static Symbols lib;
static atomic_int loaded;  // 1 once `lib` is complete (release/acquire with the symbol stores)
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[1024];
static char core_choice[256];

static const char *default_names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"};
static const char *install_hint =
    "install OpenBLAS (`bash scripts/setup.sh`, or `apt-get install libopenblas0`), or set SOFTPROMPT_OPENBLAS "
    "to the library's path";

int sp_cpu_has_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

/// Opens `path` and resolves every symbol into `out`; on failure writes a message to `error`.
static void *open_library(const char *path, Symbols *out, char *error, size_t size) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(error, size, "cannot load OpenBLAS from '%s' (%s): %s", path, why ? why : "unknown error",
                 install_hint);
        return NULL;
    }
    struct { const char *name; void **slot; } wanted[] = {
        {"cblas_sgemm", (void **)&out->sgemm}, {"cblas_sgemv", (void **)&out->sgemv},
        {"openblas_set_num_threads", (void **)&out->set_threads},
        {"openblas_get_num_threads", (void **)&out->get_threads},
        {"openblas_get_config", (void **)&out->config}, {"openblas_get_corename", (void **)&out->corename},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        *wanted[i].slot = dlsym(handle, wanted[i].name);
        if (!*wanted[i].slot) {
            snprintf(error, size, "'%s' is not an OpenBLAS library: symbol %s is missing; %s", path,
                     wanted[i].name, install_hint);
            dlclose(handle);
            return NULL;
        }
    }
    // We pass 32-bit integers; an ILP64 build (INTERFACE64) would read garbage.
    if (strstr(out->config(), "USE64BITINT")) {
        snprintf(error, size, "'%s' is a 64-bit-integer (ILP64) OpenBLAS build (%s); softprompt needs the "
                 "32-bit-integer one: %s", path, out->config(), install_hint);
        dlclose(handle);
        return NULL;
    }
    return handle;
}

/// True for OpenBLAS kernel sets that use AVX-512 (their sgemm/sgemv kernels are SkylakeX's).
static int is_avx512_core(const char *name) {
    return name && (!strcasecmp(name, "SkylakeX") || !strcasecmp(name, "Cooperlake") ||
                    !strcasecmp(name, "SapphireRapids"));
}

int sp_blas_choose_core(const char *mode, const char *user, int avx512, char *want, size_t want_size, char *how,
                        size_t how_size) {
    if (user && !*user) user = NULL;
    want[0] = 0;
    if (mode && !strcasecmp(mode, "env")) {
        snprintf(how, how_size, user ? "OPENBLAS_CORETYPE" : "OpenBLAS's detection");
        return SP_CORE_LEAVE;
    }
    if (mode && *mode && strcasecmp(mode, "auto")) {
        if (is_avx512_core(mode) && !avx512) {
            snprintf(how, how_size,
                     "SOFTPROMPT_BLAS_CORE=%.40s needs AVX-512, which this CPU (or OS) does not offer; unset it or set "
                     "it to auto (the best kernels this CPU runs) or env (OpenBLAS's own choice)", mode);
            return SP_CORE_ERROR;
        }
        snprintf(want, want_size, "%s", mode);
        snprintf(how, how_size, "SOFTPROMPT_BLAS_CORE");
        return SP_CORE_SET;
    }
    if (avx512) {
        if (is_avx512_core(user)) {
            snprintf(how, how_size, "OPENBLAS_CORETYPE");
            return SP_CORE_LEAVE;
        }
        snprintf(want, want_size, "SkylakeX");
        if (user)
            snprintf(how, how_size, "chosen by softprompt: the CPU runs AVX-512; OPENBLAS_CORETYPE=%.40s overridden, "
                     "SOFTPROMPT_BLAS_CORE=env keeps it", user);
        else
            snprintf(how, how_size, "chosen by softprompt: the CPU runs AVX-512");
        return SP_CORE_SET;
    }
    if (is_avx512_core(user)) {
        // OpenBLAS would die with SIGILL at the first GEMM.
        snprintf(how, how_size, "OpenBLAS's detection; OPENBLAS_CORETYPE=%.40s ignored: this CPU lacks AVX-512", user);
        return SP_CORE_UNSET;
    }
    snprintf(how, how_size, user ? "OPENBLAS_CORETYPE" : "OpenBLAS's detection");
    return SP_CORE_LEAVE;
}

static void load_once(void) {
    const char *mode = getenv("SOFTPROMPT_BLAS_CORE"), *previous = getenv("OPENBLAS_CORETYPE");
    char want[64], how[sizeof core_choice - 24];
    int action = sp_blas_choose_core(mode, previous, sp_cpu_has_avx512(), want, sizeof want, how, sizeof how);
    if (action == SP_CORE_ERROR) {
        snprintf(load_error, sizeof load_error, "%s", how);
        return;
    }
    // OpenBLAS's constructor reads OPENBLAS_CORETYPE during dlopen; the user's value is put back
    // afterwards, so that child processes (the PyTorch reference in `bench`) see their own setting.
    // (setenv is not thread-safe: the CLI loads from Runtime.configure, before other threads run.)
    char saved[64] = {0};
    int had = previous != NULL;
    if (had) snprintf(saved, sizeof saved, "%s", previous);
    if (action == SP_CORE_SET) setenv("OPENBLAS_CORETYPE", want, 1);
    if (action == SP_CORE_UNSET) unsetenv("OPENBLAS_CORETYPE");

    const char *path = getenv("SOFTPROMPT_OPENBLAS");
    Symbols found;
    void *handle = NULL;
    if (path && *path) {
        handle = open_library(path, &found, load_error, sizeof load_error);
    } else {
        for (size_t i = 0; i < sizeof default_names / sizeof default_names[0] && !handle; i++) {
            char error[sizeof load_error];
            handle = open_library(default_names[i], &found, error, sizeof error);
            if (i == 0 && !handle) memcpy(load_error, error, sizeof error);  // report the usual name
        }
    }
    if (action != SP_CORE_LEAVE) {
        if (had) setenv("OPENBLAS_CORETYPE", saved, 1);
        else unsetenv("OPENBLAS_CORETYPE");
    }
    if (!handle) return;
    int named = mode && *mode && strcasecmp(mode, "auto") && strcasecmp(mode, "env");
    if (named && strcasecmp(found.corename(), want)) {
        // OpenBLAS falls back to its detection, silently, for a name it does not know.
        snprintf(load_error, sizeof load_error,
                 "SOFTPROMPT_BLAS_CORE=%.40s is not a kernel set of this OpenBLAS (%.80s; it picked %s instead); use "
                 "auto, env, or a name such as Haswell, Zen, SkylakeX or Cooperlake", want, found.config(),
                 found.corename());
        return;
    }
    load_error[0] = 0;
    snprintf(core_choice, sizeof core_choice, "%s (%s)", found.corename(), how);
    lib = found;
    atomic_store_explicit(&loaded, 1, memory_order_release);
}

const char *sp_blas_load(void) {
    pthread_once(&once, load_once);
    return atomic_load_explicit(&loaded, memory_order_acquire) ? NULL : load_error;
}

const char *sp_blas_probe(const char *path) {
    static _Thread_local char error[1024];
    Symbols found;
    void *handle = open_library(path, &found, error, sizeof error);
    if (!handle) return error;
    dlclose(handle);
    return NULL;
}

const char *sp_blas_core_choice(void) { return sp_blas_load() ? "" : core_choice; }

/// The loaded symbols; exits with the load error when OpenBLAS cannot be loaded (callers that
/// want to report it themselves call sp_blas_load first).
static inline const Symbols *symbols(void) {
    if (__builtin_expect(!atomic_load_explicit(&loaded, memory_order_acquire), 0)) {
        const char *error = sp_blas_load();
        if (error) {
            fprintf(stderr, "softprompt: %s\n", error);
            exit(70);  // EX_SOFTWARE
        }
    }
    return &lib;
}

void sp_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    symbols()->sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb,
                     beta, c, ldc);
}

void sp_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x, float beta,
              float *y) {
    symbols()->sgemv(RowMajor, trans ? Trans : NoTrans, m, n, alpha, a, lda, x, 1, beta, y, 1);
}

void sp_blas_set_num_threads(int threads) { symbols()->set_threads(threads); }
int sp_blas_get_num_threads(void) { return symbols()->get_threads(); }
const char *sp_blas_config(void) { return symbols()->config(); }
const char *sp_blas_corename(void) { return symbols()->corename(); }
int sp_blas_uses_avx512(void) { return is_avx512_core(symbols()->corename()); }

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float sp_fma_loop_avx512(long n) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 c[12];
    for (int i = 0; i < 12; i++) c[i] = _mm512_set1_ps(1.0f);
    for (long r = 0; r < n; r++) {
        // 12 independent chains: enough to cover 4-cycle FMA latency on two pipes.
        c[0] = _mm512_fmadd_ps(c[0], a, c[0]); c[1] = _mm512_fmadd_ps(c[1], a, c[1]);
        c[2] = _mm512_fmadd_ps(c[2], a, c[2]); c[3] = _mm512_fmadd_ps(c[3], a, c[3]);
        c[4] = _mm512_fmadd_ps(c[4], a, c[4]); c[5] = _mm512_fmadd_ps(c[5], a, c[5]);
        c[6] = _mm512_fmadd_ps(c[6], b, c[6]); c[7] = _mm512_fmadd_ps(c[7], b, c[7]);
        c[8] = _mm512_fmadd_ps(c[8], b, c[8]); c[9] = _mm512_fmadd_ps(c[9], b, c[9]);
        c[10] = _mm512_fmadd_ps(c[10], b, c[10]); c[11] = _mm512_fmadd_ps(c[11], b, c[11]);
    }
    __m512 s = c[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, c[i]);
    return _mm512_reduce_add_ps(s);
}
#else
float sp_fma_loop_avx512(long n) { (void)n; return 0; }
#endif
