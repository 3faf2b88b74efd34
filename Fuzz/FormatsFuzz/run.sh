#!/usr/bin/env bash
# Builds the harnesses with libFuzzer + AddressSanitizer and fuzzes one of them.
#   Fuzz/FormatsFuzz/run.sh safetensors|gguf|torch|config|data|request [seconds (default 300)] [extra libFuzzer flags…]
# The corpus and any crash files go to fuzz-out/<target>/ at the repository root (git-ignored);
# the corpus is seeded from the committed test fixtures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${1:?usage: run.sh safetensors|gguf|torch|config|data|request [seconds]}
secs=${2:-300}
shift $(( $# < 2 ? $# : 2 ))
case "$target" in
  safetensors) exe=FuzzSafetensorsHeader; dict=safetensors.dict; maxlen=4096
               seeds=("$root"/Tests/SPFormatsTests/Fixtures/safetensors/*.safetensors) ;;
  gguf)        exe=FuzzGGUFHeader; dict=gguf.dict; maxlen=16384
               seeds=("$root"/Tests/SPFormatsTests/Fixtures/gguf/*.gguf) ;;
  # torch: the seeds are the data.pkl records of the .bin fixtures, plus the whole small archives.
  torch)       exe=FuzzTorchPickle; dict=torch.dict; maxlen=8192
               seeds=("$root"/Tests/SPFormatsTests/Fixtures/torch_bin/*.bin) ;;
  config)      exe=FuzzConfig; dict=config.dict; maxlen=4096
               seeds=("$here"/seeds/config/*) ;;
  data)        exe=FuzzDataReaders; dict=config.dict; maxlen=4096
               seeds=("$here"/seeds/data/*) ;;
  request)     exe=FuzzTaskRequest; dict=request.dict; maxlen=4096
               seeds=("$here"/seeds/request/*) ;;
  *) echo "unknown target $target (safetensors|gguf|torch|config|data|request)" >&2; exit 2 ;;
esac
(cd "$here" && swift build -c release --sanitize=fuzzer --sanitize=address --disable-dead-strip --product "$exe" \
   -Xswiftc -enable-testing \
   -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table 2>&1 \
   | grep -v 'ld.gold: warning' >&2)
bin="$here/.build/release/$exe"
out="$root/fuzz-out/$target"
mkdir -p "$out/corpus" "$out/artifacts"
cp -n "${seeds[@]}" "$out/corpus/" 2>/dev/null || true
if [ "$target" = torch ]; then
  for f in "${seeds[@]}" "$root"/Tests/SPFormatsTests/Fixtures/torch_bin/malicious/*.bin; do
    # legacy (non-zip) files, hostile ones included, are seeds as they are
    [ "$(head -c 2 "$f")" = PK ] || { cp -n "$f" "$out/corpus/" 2>/dev/null || true; continue; }
    unzip -p "$f" '*/data.pkl' > "$out/corpus/pkl-$(basename "$f" .bin)" 2>/dev/null || true
  done
fi
cd "$out"
"$bin" corpus -dict="$here/$dict" -max_len="$maxlen" -max_total_time="$secs" -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$@"
