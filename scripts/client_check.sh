#!/usr/bin/env bash
# The real caikit client against `softprompt serve`, on loopback: installs caikit-nlp-client==0.0.8
# (unmodified, from PyPI) in its own venv ($SOFTPROMPT_CLIENT_VENV, default .venv-client), starts
# the release build's server on free ports over a tiny models directory (the GPT-2 test fixture
# with a word-level tokenizer and a PEFT prompt), gets the reference texts from `softprompt
# generate`, and runs scripts/client_check.py: generate_text and generate_text_stream over HTTP
# and gRPC (server reflection), greedy and seeded sampling, each equal to `softprompt generate`;
# then scripts/client_train_check.py: a tuning job over gRPC (grpcio + reflection, as the client
# has no training calls) to COMPLETED, its deployed prompt served to the client.
# Bounded: the venv install (a few small wheels) and a 120 s limit on each of the two checks.
# Prints PASS/FAIL per check and "client: N passed, M failed". A venv that cannot be installed
# skips the check, except with CI=true, where that is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/.build/release/softprompt"
[ -x "$bin" ] || { echo "client: $bin missing: build first (swift build -c release)" >&2; exit 1; }
venv="${SOFTPROMPT_CLIENT_VENV:-$root/.venv-client}"
fail_install() {
  case "${CI:-}" in
    true|1) echo "client: FAILED: caikit-nlp-client could not be installed (CI=true)" >&2; exit 1 ;;
    *) echo "client: skipped: caikit-nlp-client could not be installed in $venv" >&2; exit 0 ;;
  esac
}
if [ ! -f "$venv/.caikit-nlp-client-0.0.8" ]; then
  { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } || fail_install
  "$venv/bin/pip" install -q caikit-nlp-client==0.0.8 || fail_install
  touch "$venv/.caikit-nlp-client-0.0.8"
fi
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Models: base model `tiny` (Tests/SPModelsTests/Fixtures/gpt2 + word-level tokenizer w0…w328),
# prompt `alpha` (the fixture's PEFT adapter, re-pointed at `tiny`).
fx="$root/Tests/SPModelsTests/Fixtures/gpt2"
mkdir -p "$work/base/tiny" "$work/models/alpha"
cp "$fx/config.json" "$fx/model.safetensors" "$work/base/tiny/"
python3 - "$work/base/tiny" <<'PY'
import json, sys
d = sys.argv[1]
vocab = {f"w{i}": i for i in range(329)}
vocab["<eos>"] = 329
vocab["<unk>"] = 330
eos = {"id": 329, "content": "<eos>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
json.dump({"version": "1.0", "truncation": None, "padding": None, "normalizer": None, "post_processor": None,
           "decoder": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": [eos],
           "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": vocab}}, open(f"{d}/tokenizer.json", "w"))
json.dump({"eos_token": "<eos>", "pad_token": "<eos>"}, open(f"{d}/tokenizer_config.json", "w"))
PY
cp "$fx/peft_adapter/adapter_model.safetensors" "$work/models/alpha/"
sed 's#"Tests/SPModelsTests/Fixtures/gpt2"#"tiny"#' "$fx/peft_adapter/adapter_config.json" > "$work/models/alpha/adapter_config.json"

input="w1 w2 w3"
# Reference texts from the CLI: greedy, and seeded sampling with several parameters.
ref() {
  "$bin" generate --model "$work/models/alpha" --base-models-dir "$work/base" --text "$input" --json \
    --no-preserve-input-text "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.readline())["generated_text"]))'
}
greedy=$(ref --max-new-tokens 6 --min-new-tokens 6) || { echo "client: FAILED: softprompt generate" >&2; exit 1; }
sampled=$(ref --max-new-tokens 5 --decoding-method SAMPLING --seed 42 --top-k 20 --temperature 0.8) || {
  echo "client: FAILED: softprompt generate (sampling)" >&2; exit 1; }
cat > "$work/expected.json" <<JSON
{"greedy": {"params": {"max_new_tokens": 6, "min_new_tokens": 6, "preserve_input_text": false}, "text": $greedy},
 "sampling": {"params": {"max_new_tokens": 5, "decoding_method": "SAMPLING", "seed": 42, "top_k": 20,
                         "temperature": 0.8, "preserve_input_text": false}, "text": $sampled}}
JSON

# Training jobs in $work (deployed when done) for scripts/client_train_check.py.
cat > "$work/serve.yaml" <<YAML
runtime: {training: {output_dir: $work/training_output}}
softprompt: {training: {work_dir: $work/training_jobs, data_dir: $work, deploy: true}}
YAML
"$bin" serve --config "$work/serve.yaml" --local-models-dir "$work/models" --base-models-dir "$work/base" --http-port 0 --grpc-port 0 \
  > "$work/serve.out" 2> "$work/serve.err" &
server=$!
http_port="" grpc_port=""
for _ in $(seq 1 300); do
  http_port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\).*#\1#p' "$work/serve.err" | head -1)
  grpc_port=$(sed -n 's#.*gRPC on [^:]*:\([0-9]*\).*#\1#p' "$work/serve.err" | head -1)
  [ -n "$http_port" ] && [ -n "$grpc_port" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$http_port" ] || [ -z "$grpc_port" ]; then
  echo "client: FAILED: the server did not start" >&2; cat "$work/serve.err" >&2; exit 1
fi
timeout 120 "$venv/bin/python" scripts/client_check.py --http-port "$http_port" --grpc-port "$grpc_port" \
  --model-id alpha --input "$input" --expected "$work/expected.json" --openapi "$root/api/openapi.json"
status=$?
# Training over gRPC from Python's grpcio with reflection (the client has no training calls).
timeout 120 "$venv/bin/python" scripts/client_train_check.py --http-port "$http_port" --grpc-port "$grpc_port" || status=1
kill -TERM "$server"; wait "$server"; code=$?
server=""
if [ "$code" -ne 0 ]; then echo "client: FAILED: serve exited $code after SIGTERM" >&2; status=1; fi
exit $status
