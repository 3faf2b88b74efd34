#!/usr/bin/env bash
# Measures the bf16 GEMM's packed path (Sources/CBLAS/bf16.c, as in the working tree) against the same
# file at a base revision (default HEAD) on the GPT-2-small step's shapes: GFLOPS by thread CPU time,
# % of the one-thread bf16 peak measured in the same process, and whether C is bit-identical there;
# first, a bit-for-bit check of both entry points over edge shapes (Benchmarks/BF16Kernel/bitcheck_vs_base.c,
# under AddressSanitizer): it exits non-zero when any product differs.
# Usage: scripts/bench_bf16_kernel.sh [base-revision] [seconds per shape]. Needs clang and an
# AVX512-BF16 CPU. Not run by CI (docs/PERFORMANCE.md, "bf16 compute kernels").
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD}
seconds=${2:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git show "$base:Sources/CBLAS/bf16.c" > "$work/bf16_base.c"
# The micro-kernel and packing live in bf16_kernel.h since the attention products share them; a
# base before that has none (its bf16.c is self-contained).
if git cat-file -e "$base:Sources/CBLAS/bf16_kernel.h" 2>/dev/null; then
    git show "$base:Sources/CBLAS/bf16_kernel.h" > "$work/bf16_kernel.h"
fi
inc=Sources/CBLAS/include
rename=""
for f in sp_bf16_gemm sp_bf16_pack_b sp_bf16_gemm_packed sp_bf16_gemm_packed_scratch_bytes sp_bf16_packed_b_bytes \
         sp_bf16_gemm_scratch_bytes sp_f32_to_bf16 sp_round_bf16_inplace; do
    rename="$rename -D$f=old_$f"
done
# shellcheck disable=SC2086
clang -O2 -I"$inc" $rename -c "$work/bf16_base.c" -o "$work/base.o"
clang -O2 -I"$inc" Benchmarks/BF16Kernel/packed_vs_base.c Sources/CBLAS/bf16.c Sources/CBLAS/peak.c "$work/base.o" \
    -o "$work/bench"
# shellcheck disable=SC2086
clang -O1 -g -fsanitize=address -I"$inc" $rename -c "$work/bf16_base.c" -o "$work/base_asan.o"
clang -O1 -g -fsanitize=address -I"$inc" Benchmarks/BF16Kernel/bitcheck_vs_base.c Sources/CBLAS/bf16.c \
    "$work/base_asan.o" -o "$work/bitcheck" 2>/dev/null
"$work/bitcheck"
"$work/bench" "$seconds"
