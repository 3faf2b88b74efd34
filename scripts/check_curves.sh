#!/usr/bin/env bash
# Renders loss curves to PNG and checks the images: every training run's training_curve.svg and the
# `softprompt plot` overlay must convert with rsvg-convert (apt-get install librsvg2-bin) to a
# non-empty 860×520 PNG. Not part of `swift test` (it needs rsvg-convert).
#
#   scripts/check_curves.sh [PROMPT_DIR…]   # default: trains two tiny prompts on the GPT-2 test fixture
# Writes the PNGs to ${CURVES_OUT:-/tmp/softprompt-curves} for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "rsvg-convert missing: apt-get install librsvg2-bin" >&2; exit 2; }
bin=${SOFTPROMPT_BIN:-.build/release/softprompt}
[ -x "$bin" ] || swift build -c release --product softprompt
out=${CURVES_OUT:-/tmp/softprompt-curves}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    # The tiny GPT-2 fixture with a word-level tokenizer (w0…w328, <eos>), as the CLI tests build it.
    model="$work/tiny"
    mkdir -p "$model"
    cp Tests/SPModelsTests/Fixtures/gpt2/config.json Tests/SPModelsTests/Fixtures/gpt2/model.safetensors "$model/"
    vocab=$(for i in $(seq 0 328); do printf '"w%d": %d, ' "$i" "$i"; done)
    cat > "$model/tokenizer.json" <<JSON
{"version": "1.0", "truncation": null, "padding": null, "normalizer": null, "post_processor": null, "decoder": null,
 "pre_tokenizer": {"type": "WhitespaceSplit"},
 "added_tokens": [{"id": 329, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
 "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {${vocab}"<eos>": 329, "<unk>": 330}}}
JSON
    echo '{"eos_token": "<eos>", "pad_token": "<eos>"}' > "$model/tokenizer_config.json"
    for i in $(seq 0 39); do
        printf '{"input": "w%d w%d w%d", "output": "w%d"}\n' $((i % 50)) $(((i * 7) % 50)) $(((i * 3) % 50)) $((10 + i % 2))
    done > "$work/train.jsonl"
    head -8 "$work/train.jsonl" > "$work/val.jsonl"
    for lr in 0.05 0.3; do
        "$bin" train --base-model "$model" --train-data "$work/train.jsonl" --validation-data "$work/val.jsonl" \
            --output "$work/lr-$lr" --num-virtual-tokens 4 --num-epochs 4 --batch-size 2 --accumulate-steps 1 \
            --lr "$lr" --silence-progress-bars >/dev/null
        dirs+=("$work/lr-$lr")
    done
fi

check() {  # SVG PNG: convert, then require a non-empty PNG of 860×520
    rsvg-convert "$1" -o "$2"
    local size w h
    size=$(stat -c %s "$2")
    w=$(od -An -tu1 -j16 -N4 "$2" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
    h=$(od -An -tu1 -j20 -N4 "$2" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
    if [ "$size" -lt 5000 ] || [ "$w" != 860 ] || [ "$h" != 520 ]; then
        echo "FAIL $1 → $2: ${size} bytes, ${w}×${h} (expected a non-empty 860×520 image)" >&2
        exit 1
    fi
    echo "ok   $2 (${w}×${h}, ${size} bytes)"
}

for d in "${dirs[@]}"; do
    [ -f "$d/training_curve.svg" ] || { echo "FAIL $d has no training_curve.svg" >&2; exit 1; }
    check "$d/training_curve.svg" "$out/$(basename "$d").png"
done
rm -f "$work/overlay.svg"
"$bin" plot "${dirs[@]}" --output "$work/overlay.svg" >/dev/null
check "$work/overlay.svg" "$out/overlay.png"
