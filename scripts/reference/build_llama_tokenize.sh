#!/usr/bin/env bash
# Builds the llama.cpp tokenizer reference (llama_tokenize.cpp against libllama, vocabulary-only
# loading) from the llama-cpp-python==0.3.36 sdist that scripts/fetch_tokenizers.sh downloads.
# CMake comes from PyPI into a throwaway venv in the cache; only the `llama` library target is built
# (CPU backend, no tools, tests, server or OpenMP), with -j${JOBS:-2}. Slow on a shared 2-core
# machine (tens of minutes); idempotent: an existing binary is kept.
# Output: ${SOFTPROMPT_CACHE:-~/.cache/softprompt}/llama.cpp-build/llama_tokenize_ref
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
dl="$cache/downloads"
out="$cache/llama.cpp-build"
bin="$out/llama_tokenize_ref"
[ -x "$bin" ] && { echo "$bin"; exit 0; }
sd=$(ls "$dl"/llama[-_]cpp[-_]python-0.3.36.tar.gz 2>/dev/null || true)
[ -n "$sd" ] || { echo "llama-cpp-python 0.3.36 sdist missing: run scripts/fetch_tokenizers.sh first" >&2; exit 1; }
fv="$cache/.fetch-venv"
[ -x "$fv/bin/pip" ] || python3 -m venv "$fv"
[ -x "$fv/bin/cmake" ] || "$fv/bin/pip" install -q cmake
mkdir -p "$out"
src="$out/src"
if [ ! -f "$src/CMakeLists.txt" ]; then
  mkdir -p "$src"
  tar -xzf "$sd" -C "$src" --strip-components=3 --wildcards '*/vendor/llama.cpp/*'
fi
"$fv/bin/cmake" -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_COMMON=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=OFF \
  -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1 >/dev/null
"$fv/bin/cmake" --build "$out/build" --target llama -j"${JOBS:-2}"
lib="$out/build/bin"
[ -f "$lib/libllama.so" ] || lib=$(dirname "$(find "$out/build" -name 'libllama.so' | head -1)")
c++ -std=c++17 -O1 -I"$src/include" -I"$src/ggml/include" "$here/llama_tokenize.cpp" \
  -L"$lib" -lllama -lggml -lggml-base -Wl,-rpath,"$lib" -o "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
