#!/usr/bin/env bash
# Kills `softprompt train` at every rename and directory exchange of its saves (strace syscall fault injection) and checks
# that the output is recoverable each time: after the next `generate` (which restores or cleans
# what the save left) the output directory is a complete prompt — the old one or the new one — and
# no `.NAME.*` temporary directory is left. Needs strace and a built softprompt (release).
#   scripts/killpoints.sh [path/to/softprompt]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/release/softprompt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$work/tiny-gpt2
. "$root/scripts/lib/tiny_gpt2.sh"
tiny_gpt2 "$model"
for i in 0 1 2 3 4 5; do echo "{\"input\": \"w$i w$((i + 1))\", \"output\": \"w1$((i % 2))\"}"; done > "$work/train.jsonl"
train() {
  "$bin" train --base-model "$model" --train-data "$work/train.jsonl" --output "$work/out/prompt" --num-virtual-tokens 2 \
    --num-epochs "$1" --batch-size 2 --accumulate-steps 1 --silence-progress-bars --overwrite
}
fail=0
# rename: the file writes inside the new directory; renameat2: the directory exchange itself.
for sc in rename renameat2; do
for n in $(seq 1 40); do
  rm -rf "$work/out"
  train 1 > /dev/null                                   # the last good prompt (one epoch)
  cp "$work/out/prompt/decoder.pt" "$work/old.pt"
  set +e
  (strace -f -qq -o /dev/null -e trace=$sc -e inject=$sc:signal=SIGKILL:when=$n \
    "$bin" train --base-model "$model" --train-data "$work/train.jsonl" --output "$work/out/prompt" \
    --num-virtual-tokens 2 --num-epochs 3 --batch-size 2 --accumulate-steps 1 --silence-progress-bars --overwrite \
    > /dev/null 2>&1; exit $?) 2> /dev/null
  rc=$?
  set -e
  [ "$rc" -eq 0 ] && { echo "$sc N=$n: the run finished before the ${n}th $sc: all its kill points covered"; break; }
  "$bin" generate --model "$work/out/prompt" --base-model "$model" --text w1 --max-new-tokens 1 > /dev/null 2> "$work/gen.err" \
    || { echo "$sc N=$n: generate failed after the kill: $(cat "$work/gen.err")"; fail=1; }
  left=$(ls -A "$work/out" | grep -v '^prompt$' || true)
  if [ -n "$left" ]; then echo "$sc N=$n: left behind: $left"; fail=1; fi
  for f in config.yml decoder.pt training_logs.jsonl tiny-gpt2/adapter_model.safetensors; do
    [ -f "$work/out/prompt/$f" ] || { echo "$sc N=$n: $f missing"; fail=1; }
  done
  cmp -s "$work/out/prompt/decoder.pt" "$work/old.pt" && which=old || which=new
  echo "$sc N=$n: killed (rc $rc); after recovery the $which prompt is complete; $(tr '\n' ' ' < "$work/gen.err")"
done
done
exit $fail
