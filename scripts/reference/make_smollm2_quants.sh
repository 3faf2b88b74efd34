#!/usr/bin/env bash
# Writes SmolLM2-135M-Instruct GGUFs in F32, F16, Q8_0, Q4_0, Q4_K and Q6_K next to the cached Q4_1
# file (in ${SOFTPROMPT_CACHE:-~/.cache/softprompt}, never in git), for `bench generate --gguf`
# comparisons with llama.cpp: llama.cpp's own llama-quantize (built by build_llama_bench.sh) with
# --allow-requantize from the Q4_1 file, so F32/F16 hold exactly the dequantized Q4_1 weights and the
# other types re-quantize them. --pure keeps one type for every matrix; where a K-quant does not fit
# (SmolLM2's 576-wide rows are not a multiple of 256) llama-quantize picks its own fallback type.
# Idempotent: existing files are kept. Prints the files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
src="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -f "$src" ] || { echo "$src missing: run scripts/fetch_smollm2.sh" >&2; exit 1; }
bin="$("$here/build_llama_bench.sh" | tail -1)"
for t in F32 F16 Q8_0 Q4_0 Q4_K Q6_K; do
  out="$cache/SmolLM2-135M-Instruct.$t.gguf"
  if [ ! -f "$out" ]; then
    "$bin/llama-quantize" --allow-requantize --pure "$src" "$out.tmp" "$t" "${THREADS:-2}" >/dev/null 2>"$out.log" \
      || { echo "llama-quantize $t failed: see $out.log" >&2; rm -f "$out.tmp"; exit 1; }
    mv "$out.tmp" "$out"
  fi
  echo "$out"
done
