#!/usr/bin/env bash
# Builds the libFuzzer harness for the tokenizer loading path (tokenizer.json, tokenizer_config.json,
# GGUF metadata) and runs it. Usage: Fuzz/TokenizerFuzz/run.sh [seconds, default 120] [extra libFuzzer flags]
# The harness builds SPJSON and SPChatTemplate as static modules, then compiles Sources/SPTokenizers
# together with FuzzEntry.swift into one module (all -sanitize=fuzzer,address). Corpus and crash
# files go to fuzz-out/ (git-ignored).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-120}
shift || true
out="$root/fuzz-out/tokenizer"
mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"
bin="$out/tokenizer-fuzz"
mods="$out/modules"
mkdir -p "$mods"
for m in SPJSON SPChatTemplate; do
  swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name "$m" -I "$mods" \
    -emit-module -emit-module-path "$mods/$m.swiftmodule" -emit-library -static -o "$mods/lib$m.a" \
    $(find "$root/Sources/$m" -name '*.swift')
done
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name SPTokenizers -I "$mods" \
  $(find "$root/Sources/SPTokenizers" -name '*.swift') "$here/FuzzEntry.swift" \
  -L "$mods" -lSPChatTemplate -lSPJSON -o "$bin"
# Seeds: small tokenizer.json files from the committed matrix fixtures.
if [ -z "$(ls -A "$out/seeds")" ]; then
  unzip -q -o "$root/Tests/SPTokenizersTests/Fixtures/matrix.zip" '*/tokenizer.json' -d "$out/seeds-tmp"
  for f in "$out"/seeds-tmp/*/tokenizer.json; do cp "$f" "$out/seeds/$(basename "$(dirname "$f")").json"; done
  rm -rf "$out/seeds-tmp"
  # A tiny GGUF (v3) with a gpt2-style vocabulary.
  python3 - "$out/seeds/tiny.gguf" <<'PY'
import struct, sys
def s(x): b = x.encode(); return struct.pack("<Q", len(b)) + b
kv = [("general.architecture", 8, s("gpt2")), ("tokenizer.ggml.model", 8, s("gpt2")),
      ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 5) + b"".join(s(t) for t in ["h", "i", "hi", "\u0120", "<s>"])),
      ("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 5) + struct.pack("<5i", 1, 1, 1, 1, 3)),
      ("tokenizer.ggml.merges", 9, struct.pack("<IQ", 8, 1) + s("h i")), ("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 4))]
out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv)) + b"".join(s(k) + struct.pack("<I", t) + v for k, t, v in kv)
open(sys.argv[1], "wb").write(out)
PY
  printf '%s' '{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"added_tokens":[{"id":3,"content":"<s>","special":true}]}' > "$out/seeds/tiny.json"
fi
"$bin" "$out/corpus" "$out/seeds" -dict="$here/tokenizer.dict" -max_len=200000 -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="$out/artifacts/" -max_total_time="$secs" -print_final_stats=1 "$@"
