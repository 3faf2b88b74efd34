#!/usr/bin/env bash
# Kills `softprompt serve` with SIGKILL while it trains a job — at several moments of an epoch and,
# with strace fault injection, at renames of its per-epoch saves (prompt directory files, the
# directory exchange, the training checkpoint) — restarts it, and checks that the job resumes and
# ends with the same prompt (≤ 1e-6) as a run that was never interrupted, and that the jobs
# database passes SQLite's integrity check every time. Bounded: a tiny model, a few seconds a point.
# Needs curl, python3 and strace (without strace the rename points are skipped, and said so).
# KILLPOINTS_MULTITASK=1: the job is MULTITASK_PROMPT_TUNING (2 named tasks, rank 2; P, U and V are
# compared) at fewer points (2 moments, 2 renames), which keeps the extra run to about a minute.
#   [KILLPOINTS_MULTITASK=1] scripts/jobs_killpoints.sh [path/to/softprompt]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/release/softprompt}
work=$(mktemp -d)
server_pid=""
# Every server of this run, by its config path: under strace, $server_pid is strace's, and a SIGKILL
# of strace leaves the traced server running (it would keep its port for the next run).
kill_servers() { pkill -9 -f -- "serve --config $work/serve.yml" 2>/dev/null || true; }
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; kill_servers; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/base/tiny" "$work/models" "$work/data"
. "$root/scripts/lib/tiny_gpt2.sh"
tiny_gpt2 "$work/base/tiny"
multitask=${KILLPOINTS_MULTITASK:-0}
python3 - "$work" "$multitask" <<'PY'
import json, sys
d, multitask = sys.argv[1], sys.argv[2] == "1"
with open(f"{d}/data/train.jsonl", "w") as f:
    for i in range(480):
        r = {"input": f"w{i} w{i + 3} w{(i * 7) % 300}", "output": f"w{10 + i % 3}"}
        f.write(json.dumps(r | ({"task": "ab"[i % 2]} if multitask else {})) + "\n")
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/serve.yml" <<YML
runtime:
  local_models_dir: $work/models
  http: {port: $port}
  grpc: {enabled: false}
  training: {output_dir: $work/out}
base_models_dir: $work/base
softprompt:
  training: {work_dir: $work/jobs, data_dir: $work/data}
YML
url=http://127.0.0.1:$port
start() {  # start [strace args...]: the server in the background, then wait for /health
  "$@" "$bin" serve --config "$work/serve.yml" > "$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do curl -sf "$url/health" > /dev/null 2>&1 && return 0; sleep 0.05; done
  echo "server did not start:"; cat "$work/serve.log"; exit 1
}
stop() {
  kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""
  kill_servers
  for _ in $(seq 1 100); do pgrep -f -- "serve --config $work/serve.yml" > /dev/null || break; sleep 0.05; done
} 2>/dev/null
if [ "$multitask" = 1 ]; then
  tuning='"tuning_type": "MULTITASK_PROMPT_TUNING", "tuning_config": {"num_virtual_tokens": 4, "prompt_tuning_init_method": "RANDOM", "num_tasks": 2, "num_ranks": 2}'
  moments="250 900"; renames="4"
else
  tuning='"tuning_config": {"num_virtual_tokens": 4, "prompt_tuning_init_method": "RANDOM"}'
  moments="1 250 500 900 1200"; renames="1 4 6"
fi
submit() {
  curl -sf -X POST "$url/api/v1/TextGenerationTaskPeftPromptTuningTrain" -H 'Content-Type: application/json' -d @- <<JSON | python3 -c 'import json,sys; print(json.load(sys.stdin)["training_id"])'
{"model_name": "$1", "parameters": {"base_model": "tiny", "train_stream": {"data_stream": {"filename": "train.jsonl"}},
 $tuning, "num_epochs": 6,
 "learning_rate": 0.05, "batch_size": 2, "accumulate_steps": 3, "max_source_length": 16, "max_target_length": 4, "seed": 5}}
JSON
}
state() { curl -sf "$url/management/trainings?training_id=$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], j["progress"]["step"])'; }
wait_done() {
  for _ in $(seq 1 1200); do
    s=$(state "$1" | cut -d' ' -f1)
    case $s in COMPLETED|CANCELED|ERRORED) echo "$s"; return 0;; esac
    sleep 0.05
  done
  echo TIMEOUT
}
prompt_of() { echo "$work/out/$1/$2/tiny/adapter_model.safetensors"; }
compare() {  # compare A B: the prompt tensors (a multitask prompt's P, U and V) agree to 1e-6
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); out = []
    for k in ("prompt_embeddings", "prefix_task_cols", "prefix_task_rows"):
        if k in h:
            a, z = h[k]["data_offsets"]; raw = b[8 + n + a:8 + n + z]; out += struct.unpack(f"<{len(raw) // 4}f", raw)
    return out
x, y = load(sys.argv[1]), load(sys.argv[2])
d = max(abs(u - v) for u, v in zip(x, y)) if len(x) == len(y) else float("inf")
print(f"max |diff| {d:.3g}"); sys.exit(0 if d <= 1e-6 else 1)
PY
}
integrity() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" "$work/jobs/jobs.sqlite"; }

fail=0
start
ref=$(submit ref)
[ "$(wait_done "$ref")" = COMPLETED ] || { echo "the uninterrupted run did not complete"; cat "$work/serve.log"; exit 1; }
stop
check() {  # check LABEL ID: restart, the job completes with the reference prompt, the DB is intact
  local label=$1 id=$2 db
  db=$(integrity)
  start
  local s; s=$(wait_done "$id")
  if [ "$s" != COMPLETED ]; then echo "$label: after restart the job ended $s"; fail=1
  elif ! d=$(compare "$(prompt_of "$ref" ref)" "$(prompt_of "$id" "$3")"); then echo "$label: prompt differs ($d)"; fail=1
  else echo "$label: killed, resumed, COMPLETED; $d; database $db"; fi
  [ "$db" = ok ] || fail=1
  [ -z "$(ls -A "$work/jobs/jobs" 2>/dev/null)" ] || { echo "$label: working area left: $(ls "$work/jobs/jobs")"; fail=1; }
  stop
}
# Moments of an epoch: kill once the job has reported N micro-batches (240 per epoch, 1440 in all;
# progress is stored at most 4 times a second, so the kill lands later in the epoch than N).
for n in $moments; do
  start
  id=$(submit "t$n")
  for _ in $(seq 1 4000); do
    read -r s step < <(state "$id") || true
    [ "$s" = RUNNING ] && [ "${step:-0}" -ge "$n" ] && break
    [ "$s" = COMPLETED ] && break
    sleep 0.005
  done
  echo "t$n: killing at state $s, step $step"
  stop
  check "t$n" "$id" "t$n"
done
# Saves: kill at the Nth rename(2)/renameat2(2) of the server (prompt files, directory exchange, checkpoint).
if command -v strace > /dev/null; then
  for sc in rename renameat2; do
    for n in $renames; do
      start strace -f -qq -o /dev/null -e trace=$sc -e inject=$sc:signal=SIGKILL:when=$n
      id=$(submit "s$sc$n") || { echo "$sc N=$n: killed before the job was accepted"; stop; continue; }
      for _ in $(seq 1 600); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
      if kill -0 "$server_pid" 2>/dev/null; then echo "$sc N=$n: the run made fewer than $n ${sc}s"; stop; continue; fi
      stop
      check "$sc N=$n" "$id" "s$sc$n"
    done
  done
else
  echo "strace not installed: the kill-during-save points were not run"
fi
exit $fail
