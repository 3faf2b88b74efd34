#!/usr/bin/env bash
# The main job, from a fresh machine: install what is missing, fetch SmolLM2-135M-Instruct and the
# vaderSentiment tweets (cached in ~/.cache/softprompt), build, then tune a soft prompt on tweet
# sentiment with visible progress, print held-out accuracy before and after, save the prompt to
# ./demo-prompt and generate a few answers with it. Extra arguments go to `softprompt demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_smollm2.sh >/dev/null
scripts/fetch_datasets.sh >/dev/null
swift build -c release --product softprompt
.build/release/softprompt demo "$@"
