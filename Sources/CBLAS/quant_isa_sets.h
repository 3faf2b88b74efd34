// Compiles the kernel file named by SP_KERNELS_FILE three times: for the baseline ISA, AVX2 + FMA +
// F16C and AVX-512 (x86 only), each set's names suffixed through SFX() (_generic, _avx2, _avx512).
// Used by quant_dot.c and quant_dot_q8.c; the includer sets `#pragma clang fp contract(off)`.
#ifndef SP_KERNELS_FILE
#error "define SP_KERNELS_FILE before including quant_isa_sets.h"
#endif

#define SP_CAT2(a, b) a##b
#define SP_CAT(a, b) SP_CAT2(a, b)
#define SFX(name) SP_CAT(name, SP_KSUFFIX)

#define SP_KSUFFIX _generic
#include SP_KERNELS_FILE
#undef SP_KSUFFIX

#if defined(__x86_64__)
#define SP_KSUFFIX _avx2
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include SP_KERNELS_FILE
#pragma clang attribute pop
#undef SP_KSUFFIX

#define SP_KSUFFIX _avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), \
                             apply_to = function)
#include SP_KERNELS_FILE
#pragma clang attribute pop
#undef SP_KSUFFIX
#endif
