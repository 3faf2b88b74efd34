#!/usr/bin/env bash
# Checks the K-quant VNNI tiles of `--activations q8` (Sources/CBLAS/quant_q8_tiles_k.c) bitwise against
# the generic scalar kernels on edge shapes, then measures one thread's GOP/s against the AVX-512 scalar
# kernels (Benchmarks/Q8Tiles/q8_tiles_k_bench.c). Usage: scripts/bench_q8_tiles_k.sh [k [quick]] (quick: the tiles' timings only). Needs clang
# and an AVX-512 VNNI + VBMI CPU. Not run by CI (docs/PERFORMANCE.md, "K-quant tiles").
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=Sources/CBLAS
# The AVX-512 scalar kernel set, exported under another name for the comparison.
cat > "$work/ref.c" <<'C'
#include "softprompt_quant.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#pragma clang fp contract(off)
#include "quant_common.h"
#define SP_KERNELS_FILE "quant_dot_q8_kernels.h"
#include "quant_isa_sets.h"
float q8dot_avx512_ref(int fmt, const uint8_t *row, const uint8_t *y, long k) { return q8dot_avx512(fmt, row, y, k); }
C
clang -O2 -I"$src/include" -I"$src" -Wno-unused-function "$work/ref.c" Benchmarks/Q8Tiles/q8_tiles_k_bench.c \
    "$src/quant_dot.c" "$src/quant_dot_q8.c" "$src/quant_q8_tiles.c" "$src/quant_q8_tiles_k.c" "$src/quant_q8_tiles_q0.c" "$src/ggml_ops.c" \
    -o "$work/bench" -lm
"$work/bench" "$@"
