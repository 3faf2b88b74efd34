#!/usr/bin/env bash
# Measures the GEMM libraries behind docs/PERFORMANCE.md's "GEMM libraries" section, one thread,
# GFLOPS by thread CPU time (so a shared machine distorts them less):
#   1. bf16: SoftPrompt's AVX512-BF16 kernel (Sources/CBLAS/bf16.c) against oneDNN's bf16 matmul;
#   2. float32: OpenBLAS (SkylakeX kernels, as SoftPrompt loads it) against oneDNN's and BLIS's sgemm.
# Needs clang, libdnnl-dev (oneDNN 2.x) and an AVX512-BF16 CPU for part 1; BLIS is unpacked from
# Debian's libblis4-serial into a temporary directory (nothing is installed). Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inc=Sources/CBLAS/include
clang -O2 -I"$inc" Benchmarks/OneDNNCompare/onednn_vs_sp.c Sources/CBLAS/bf16.c -ldnnl -o "$work/bf16"
clang -O2 Benchmarks/OneDNNCompare/sgemm_libraries.c -ldl -o "$work/sgemm"
(cd "$work" && apt-get download libblis4-serial >/dev/null 2>&1 && dpkg -x libblis4-serial_*.deb blis)
blis=$(find "$work/blis" -name 'libblis.so.4' | head -1)
[ -n "$blis" ] || { echo "could not unpack libblis4-serial (apt-get download failed)" >&2; exit 1; }
lib=/usr/lib/x86_64-linux-gnu
OMP_NUM_THREADS=1 "$work/bf16" "$seconds"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX \
    "$work/sgemm" "$lib/libopenblas.so.0" "$lib/libdnnl.so.2" "$blis" "$seconds"
