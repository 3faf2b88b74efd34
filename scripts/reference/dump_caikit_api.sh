#!/usr/bin/env bash
# Dumps caikit-nlp's own API contract into api/: the gRPC protos (`python -m
# caikit.runtime.dump_services`) and the HTTP server's openapi.json (GET /openapi.json of a real
# caikit runtime started on loopback). Run by hand when the pinned caikit-nlp version changes; its
# outputs are committed and the Swift code generated from the protos (scripts/generate_grpc.sh) too.
#
# Installs caikit-nlp==0.5.15 in a throwaway venv ($SOFTPROMPT_CAIKIT_VENV, default
# /tmp/softprompt-caikit-venv). caikit-nlp pins torch<2.9, whose PyPI wheels pull several GB of CUDA
# packages; dumping the API only imports torch, so by default the CPU torch wheel from the machine's
# pip configuration (a local wheel folder) is installed first and caikit-nlp's other requirements
# next, without letting pip replace torch. SOFTPROMPT_CAIKIT_FULL=1 installs the exact PyPI
# dependency set instead (about 7 GB). pyarrow>=21,<23 is added: caikit-nlp does not import without it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="${SOFTPROMPT_CAIKIT_VENV:-/tmp/softprompt-caikit-venv}"
out="$root/api"
port="${SOFTPROMPT_CAIKIT_HTTP_PORT:-18080}"
gport="${SOFTPROMPT_CAIKIT_GRPC_PORT:-18085}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
py="$venv/bin/python"
stamp="$venv/.caikit-nlp-0.5.15"
if [ ! -f "$stamp" ]; then
  if [ "${SOFTPROMPT_CAIKIT_FULL:-0}" = 1 ]; then
    "$venv/bin/pip" install -q caikit-nlp==0.5.15 "pyarrow>=21,<23"
  else
    "$venv/bin/pip" install -q "torch==2.13.0+cpu"
    "$venv/bin/pip" install -q --no-deps caikit-nlp==0.5.15
    # caikit-nlp 0.5.15's requirements (its wheel METADATA) less torch.
    "$venv/bin/pip" install -q "caikit[runtime-grpc,runtime-http]>=0.26.34,<0.29.0" \
      "caikit-tgis-backend>=0.1.36,<0.2.0" "grpcio>=1.62.2" "grpcio-reflection>=1.62.2" \
      "grpcio-health-checking>=1.62.2" "accelerate>=1.3.0" "datasets>=3.3.0" huggingface-hub \
      "numpy>=1.23.0,<2" "pandas>=2.2.3" "scikit-learn>=1.6.1" "scipy>=1.10.0" \
      "sentence-transformers>=3.4.0,<3.5.0" "tokenizers>=0.20.0" "tqdm>=4.67.0" \
      "transformers>=4.48.3,<4.50.0" "peft==0.14.0" "pyarrow>=21,<23" "torch==2.13.0+cpu"
  fi
  touch "$stamp"
fi
"$venv/bin/pip" freeze > "$venv/freeze.txt"
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/models"
# caikit's config, as environment variables (caikit reads RUNTIME_* / nested names from the env).
export RUNTIME_LIBRARY=caikit_nlp RUNTIME_LOCAL_MODELS_DIR="$work/models" RUNTIME_LAZY_LOAD_LOCAL_MODELS=true
export RUNTIME_HTTP_PORT="$port" RUNTIME_GRPC_PORT="$gport" RUNTIME_GRPC_ENABLED=true RUNTIME_HTTP_ENABLED=true
export RUNTIME_METRICS_ENABLED=false TRANSFORMERS_OFFLINE=1 HF_HUB_OFFLINE=1
(cd "$work" && "$py" -m caikit.runtime.dump_services "$work/protos" >"$work/dump.log" 2>&1) || {
  tail -30 "$work/dump.log" >&2; exit 1; }
(cd "$work" && "$py" -m caikit.runtime >"$work/server.log" 2>&1) &
server=$!
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/openapi.json" -o "$work/openapi.raw.json"; then break; fi
  sleep 1
done
[ -s "$work/openapi.raw.json" ] || { tail -30 "$work/server.log" >&2; exit 1; }
kill "$server"; wait "$server" 2>/dev/null || true
rm -rf "$out/protos"; mkdir -p "$out/protos"
cp "$work"/protos/*.proto "$out/protos/"
"$py" -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), indent=2, sort_keys=True); open(sys.argv[2],"a").write("\n")' \
  "$work/openapi.raw.json" "$out/openapi.json"
{
  echo "# Dumped by scripts/reference/dump_caikit_api.sh from:"
  grep -i -E '^(caikit|caikit-nlp|caikit-tgis-backend|grpcio|fastapi|pydantic|protobuf|torch)==' "$venv/freeze.txt"
} > "$out/VERSIONS"
ls "$out/protos" | wc -l
