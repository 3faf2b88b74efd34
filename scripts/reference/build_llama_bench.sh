#!/usr/bin/env bash
# Builds llama.cpp's `llama-bench` and `llama-quantize` tools, and scripts/reference/llama_greedy.cpp
# (greedy token ids through libllama), from the llama-cpp-python==0.3.36 sdist that
# scripts/fetch_tokenizers.sh downloads, for `softprompt bench generate --gguf` and the Q8-activation
# parity fixture.
#
# The tokenizer reference (build_llama_tokenize.sh) configures $cache/llama.cpp-build/build with
# -O1 and GGML_NATIVE=OFF (AVX2 only): fine for tokenizing, not a fair speed baseline. This script
# therefore uses its own build directory, $cache/llama.cpp-build/build-bench, over the same
# extracted source tree: Release flags (-O3), GGML_NATIVE=ON (every ISA extension of this CPU, as a
# user's own llama.cpp build), tools and the common library on, no OpenMP (ggml's thread pool), no
# CURL/OpenSSL/server/tests/examples. Works from scratch (extracts the sdist, installs CMake from
# PyPI into a throwaway venv) and is incremental/idempotent: existing binaries are rebuilt only when
# stale (make's own checks). Slow on a shared 2-core machine (tens of minutes the first time).
# Output (printed): the directory holding llama-bench, llama-quantize and llama_greedy_ref.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
dl="$cache/downloads"
out="$cache/llama.cpp-build"
src="$out/src"
bld="$out/build-bench"
if [ ! -f "$src/CMakeLists.txt" ]; then
  sd=$(ls "$dl"/llama[-_]cpp[-_]python-0.3.36.tar.gz 2>/dev/null || true)
  [ -n "$sd" ] || { echo "llama-cpp-python 0.3.36 sdist missing: run scripts/fetch_tokenizers.sh first" >&2; exit 1; }
  mkdir -p "$src"
  tar -xzf "$sd" -C "$src" --strip-components=3 --wildcards '*/vendor/llama.cpp/*'
fi
fv="$cache/.fetch-venv"
[ -x "$fv/bin/pip" ] || python3 -m venv "$fv"
[ -x "$fv/bin/cmake" ] || "$fv/bin/pip" install -q cmake
if [ ! -f "$bld/CMakeCache.txt" ]; then
  "$fv/bin/cmake" -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DGGML_BACKEND_DL=OFF \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF >/dev/null
fi
"$fv/bin/cmake" --build "$bld" --target llama-bench llama-quantize -j"${JOBS:-2}"
bin="$bld/bin"
greedy="$bin/llama_greedy_ref"
if [ ! -x "$greedy" ] || [ "$here/llama_greedy.cpp" -nt "$greedy" ]; then
  c++ -std=c++17 -O2 -I"$src/include" -I"$src/ggml/include" "$here/llama_greedy.cpp" \
    -L"$bin" -lllama -lggml -lggml-base -Wl,-rpath,"$bin" -o "$greedy.tmp"
  mv "$greedy.tmp" "$greedy"
fi
echo "$bin"
