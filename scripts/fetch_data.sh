#!/usr/bin/env bash
# Fetches the real files used by the real-model and tokenizer-parity tests into the cache
# (${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}); idempotent. Tests that need a missing file are
# skipped with a message naming this script.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
status=0
for f in fetch_smollm2.sh fetch_tokenizers.sh fetch_datasets.sh fetch_caikit_fixtures.sh; do
  if [ -x "$here/$f" ]; then
    "$here/$f" >/dev/null || { echo "fetch_data: $f failed; tests needing its files will be skipped" >&2; status=1; }
  fi
done
exit $status
