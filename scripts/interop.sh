#!/usr/bin/env bash
# PEFT interop in both directions (scripts/reference/interop_check.py) against the release build:
# installs the pinned reference venv when absent (scripts/reference/setup_venv.sh; downloads torch,
# ~1–2 min the first time). Prints PASS/FAIL per check and "interop: N passed, M failed"; exits
# non-zero when a check fails. When the venv cannot be installed the run is skipped with the reason,
# except with CI=true, where that is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/softprompt
[ -x "$bin" ] || { echo "interop: $bin missing: build first (swift build -c release)" >&2; exit 1; }
if ! py=$(scripts/reference/setup_venv.sh); then
  case "${CI:-}" in
    true|1) echo "interop: FAILED: the reference venv could not be installed (CI=true)" >&2; exit 1 ;;
    *) echo "interop: skipped: the reference venv could not be installed (scripts/reference/setup_venv.sh)" >&2; exit 0 ;;
  esac
fi
exec "$py" scripts/reference/interop_check.py --softprompt "$bin"
