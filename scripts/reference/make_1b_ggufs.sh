#!/usr/bin/env bash
# Writes TinyLlama-1.1B-shaped GGUFs (22 layers, hidden 2048, FFN 5632, 32 heads / 4 KV heads, vocab
# 32000, untied head) with seeded random weights into ${SOFTPROMPT_CACHE:-~/.cache/softprompt}/random-gguf/
# as 1b-<TYPE>.gguf, for `softprompt bench generate --gguf` against llama-bench on the 1B shape
# (docs/PERFORMANCE.md, "The 1B shape"). scripts/make_random_gguf.py writes the F16 file (normal weights,
# std 0.02, seed 0, its byte-level llama tokenizer stand-in, which llama.cpp loads); llama.cpp's own
# llama-quantize (built by build_llama_bench.sh) quantizes it to the other types: --pure (every matrix
# in that type) for the single types, llama.cpp's own mix for Q4_K_M. F32 (4.4 GB) is not written.
#
#   scripts/reference/make_1b_ggufs.sh            # F16 Q8_0 Q4_0 Q4_1 Q4_K_M Q6_K
#   TYPES="Q8_0 Q6_K" scripts/reference/make_1b_ggufs.sh
#
# Idempotent: existing files are kept (delete them to rewrite). Refuses to start with less free disk
# than the missing files need (about 6.3 GB for all). Needs the reference venv (gguf, numpy):
# SOFTPROMPT_REF_VENV (default /root/venv-ref). Prints the files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
out="$cache/random-gguf"
py="${SOFTPROMPT_REF_VENV:-/root/venv-ref}/bin/python"
types="${TYPES:-F16 Q8_0 Q4_0 Q4_1 Q4_K_M Q6_K}"
[ -x "$py" ] || { echo "$py missing: run scripts/reference/setup_venv.sh or set SOFTPROMPT_REF_VENV" >&2; exit 1; }
mkdir -p "$out"

# Approximate file sizes in MB (1.1 G weights at the type's bits per weight).
declare -A mb=([F16]=2200 [Q8_0]=1170 [Q4_0]=620 [Q4_1]=690 [Q4_K_M]=670 [Q6_K]=900)
need=0
for t in $types; do
  [ -n "${mb[$t]:-}" ] || { echo "unknown type $t (one of: ${!mb[*]})" >&2; exit 2; }
  [ -f "$out/1b-$t.gguf" ] || need=$((need + mb[$t]))
done
[ -f "$out/1b-F16.gguf" ] || case " $types " in *" F16 "*) ;; *) need=$((need + mb[F16]));; esac
free=$(df -Pm "$out" | awk 'NR == 2 { print $4 }')
if [ "$need" -gt 0 ] && [ $((free - need)) -lt 2048 ]; then
  echo "need ~$need MB in $out but only $free MB are free (keeping 2 GB spare): delete files or free disk" >&2
  exit 1
fi

src="$out/1b-F16.gguf"
if [ ! -f "$src" ]; then
  "$py" "$here/../make_random_gguf.py" --shape 1b --quant F16 "$src" >&2
fi
bin=""
for t in $types; do
  f="$out/1b-$t.gguf"
  if [ ! -f "$f" ]; then
    [ -n "$bin" ] || bin="$("$here/build_llama_bench.sh" | tail -1)"
    pure="--pure"
    [ "$t" = Q4_K_M ] && pure=""
    "$bin/llama-quantize" $pure "$src" "$f.tmp" "$t" "${THREADS:-2}" >/dev/null 2>"$f.log" \
      || { echo "llama-quantize $t failed: see $f.log" >&2; rm -f "$f.tmp"; exit 1; }
    mv "$f.tmp" "$f"
  fi
  echo "$f"
done
