#!/usr/bin/env bash
# Fetches the labeled sentiment data used by the demo and the real-model training check: the
# vaderSentiment==3.3.2 sdist (MIT) ships hutto_ICWSM_2014.tar.gz with tweets rated -4..+4 by 20+
# people. Writes, into ${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}/sentiment/:
#   tweets_train.jsonl, tweets_test.jsonl   {"input": tweet, "output": "positive"|"negative"}
# The sign of the mean rating is the label; tweets with |mean| < 1 are dropped as ambiguous. The split
# is fixed (every 5th kept tweet is test). Idempotent; prints the directory.
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
out="$cache/sentiment"
if [ -s "$out/tweets_train.jsonl" ] && [ -s "$out/tweets_test.jsonl" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp" vaderSentiment==3.3.2 >&2
sdist=$(ls "$tmp"/vaderSentiment-3.3.2.tar.gz)
tar -xzf "$sdist" -C "$tmp"
tar -xzf "$tmp"/vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz -C "$tmp"
tsv=$(find "$tmp" -name 'tweets_GroundTruth.txt' | head -1)
[ -n "$tsv" ] || { echo "fetch_datasets.sh: tweets_GroundTruth.txt not found in the sdist" >&2; exit 1; }
mkdir -p "$tmp/out"
python3 - "$tsv" "$tmp/out" <<'PY'
import json, sys
rows = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            continue
        try:
            score = float(parts[1])
        except ValueError:
            continue
        if abs(score) < 1.0:
            continue
        rows.append({"input": parts[2].strip(), "output": "positive" if score > 0 else "negative"})
train = [r for i, r in enumerate(rows) if i % 5 != 4]
test = [r for i, r in enumerate(rows) if i % 5 == 4]
for name, data in (("tweets_train.jsonl", train), ("tweets_test.jsonl", test)):
    with open(f"{sys.argv[2]}/{name}", "w", encoding="utf-8") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(train)} train, {len(test)} test", file=sys.stderr)
PY
rm -rf "$out"; mv "$tmp/out" "$out"
echo "$out"
