#!/usr/bin/env bash
# Creates the Python reference venv (.venv-ref) used by every script under scripts/reference/.
# Idempotent: re-running only installs what is missing. Never touches the system Python.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="${SOFTPROMPT_REF_VENV:-$root/.venv-ref}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.softprompt-ref-v1"
if [ ! -f "$stamp" ]; then
  # torch's CPU wheel resolves from the machine's pip configuration (a local wheel folder).
  "$venv/bin/pip" install -q \
    torch==2.13.0+cpu transformers==5.23.0 tokenizers==0.23.3 safetensors==0.8.0 \
    sentencepiece==0.2.3 gguf==0.19.0 accelerate==1.15.0 peft==0.21.2 numpy
  touch "$stamp"
fi
echo "$venv/bin/python"
