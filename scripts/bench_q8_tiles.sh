#!/usr/bin/env bash
# The `--activations q8` VNNI tiles (Sources/CBLAS/quant_q8_tiles_q0.c) as in the working tree: a bit-for-bit
# check against the generic scalar level over edge shapes, then one-thread speed by thread CPU time (prefill
# GOP/s at the 1B shape, decoding GB/s of weights read) — Benchmarks/Q8Tiles/q8_tiles_bench.c.
# Usage: scripts/bench_q8_tiles.sh [level] (-1 best, default; 0 the generic kernels for comparison). Needs clang
# and, for the tiles, an AVX-512 VNNI CPU. Not run by CI (docs/PERFORMANCE.md, "`--activations q8` products").
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=Sources/CBLAS
clang -O2 -I"$src/include" -I"$src" Benchmarks/Q8Tiles/q8_tiles_bench.c "$src/quant_dot.c" "$src/quant_dot_q8.c" \
    "$src/quant_q8_tiles.c" "$src/quant_q8_tiles_q0.c" "$src/quant_q8_tiles_k.c" "$src/ggml_ops.c" -lm -o "$work/bench"
"$work/bench" "${1:--1}"
