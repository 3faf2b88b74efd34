#!/usr/bin/env bash
# The main job. Until the end-to-end demo lands (tune a prompt on SmolLM2 and generate with it),
# this runs the linear-layer benchmark against the machine's measured FMA peak.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product softprompt
.build/release/softprompt bench linear "$@"
