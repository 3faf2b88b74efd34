#!/usr/bin/env bash
# Fetches the labeled sentiment data used by the demo and the real-model training check: the
# vaderSentiment==3.3.2 sdist (MIT) ships hutto_ICWSM_2014.tar.gz with tweets rated -4..+4 by 20+
# people, and Amazon review snippets and NYT editorial snippets rated the same way. Writes, into
# ${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}/sentiment/:
#   tweets_train.jsonl, tweets_test.jsonl   {"input": text, "output": "positive"|"negative"}
#   amazon_train.jsonl, amazon_test.jsonl   (amazonReviewSnippets_GroundTruth.txt)
#   nyt_train.jsonl,    nyt_test.jsonl      (nytEditorialSnippets_GroundTruth.txt)
# The sign of the mean rating is the label; texts with |mean| < 1 are dropped as ambiguous. The split
# is fixed per file (every 5th kept text is test). Idempotent; prints the directory.
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
out="$cache/sentiment"
sets="tweets amazon nyt"
complete=1
for n in $sets; do
  for part in train test; do [ -s "$out/${n}_$part.jsonl" ] || complete=0; done
done
if [ "$complete" = 1 ]; then echo "$out"; exit 0; fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp" vaderSentiment==3.3.2 >&2
sdist=$(ls "$tmp"/vaderSentiment-3.3.2.tar.gz)
tar -xzf "$sdist" -C "$tmp"
tar -xzf "$tmp"/vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz -C "$tmp"
mkdir -p "$tmp/out"
for pair in tweets:tweets_GroundTruth.txt amazon:amazonReviewSnippets_GroundTruth.txt \
            nyt:nytEditorialSnippets_GroundTruth.txt; do
name=${pair%%:*}; file=${pair#*:}
tsv=$(find "$tmp" -name "$file" | head -1)
[ -n "$tsv" ] || { echo "fetch_datasets.sh: $file not found in the sdist" >&2; exit 1; }
python3 - "$tsv" "$tmp/out" "$name" <<'PY'
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
prefix = sys.argv[3]
for name, data in ((f"{prefix}_train.jsonl", train), (f"{prefix}_test.jsonl", test)):
    with open(f"{sys.argv[2]}/{name}", "w", encoding="utf-8") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{prefix}: {len(train)} train, {len(test)} test", file=sys.stderr)
PY
done
# File by file (each rename atomic): readers of the tweets never see the directory missing.
mkdir -p "$out"
for f in "$tmp"/out/*.jsonl; do mv -f "$f" "$out/"; done
echo "$out"
