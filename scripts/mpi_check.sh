#!/usr/bin/env bash
# Data-parallel training over real Open MPI processes (docs/DISTRIBUTED.md): `softprompt train` on
# the tiny GPT-2 test model, once as one process and under `mpirun -np 2` and `-np 3` (uneven
# shards: 10 rows per optimizer step), must end with the same prompt and the same per-step losses
# (≤ 1e-5). Then a rank that hits bad data, and a rank killed with SIGKILL mid-run: the job must end
# within 30 s with a non-zero status and a message naming the rank, the last saved prompt must stay
# loadable, and --resume must finish the run with the uninterrupted prompt. As root with `ip netns`
# allowed, also 2 ranks in two network namespaces over a veth pair (TCP only). The same comparison,
# kill and resume for a multitask prompt (three tasks mixed in every batch). Bounded (41 s here, under load).
# Needs mpirun (libopenmpi-dev openmpi-bin, scripts/setup.sh) and python3; without mpirun it is
# skipped with a message, except under CI=true, where that fails.
#   scripts/mpi_check.sh [path/to/softprompt]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/release/softprompt}
if ! command -v mpirun > /dev/null; then
  if [ "${CI:-}" = true ]; then echo "mpi_check: mpirun is missing (run scripts/setup.sh)"; exit 1; fi
  echo "mpi_check: skipped: mpirun is not installed (apt-get install libopenmpi-dev openmpi-bin)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$root/scripts/lib/tiny_gpt2.sh"
tiny_gpt2 "$work/tiny"
python3 - "$work" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/train.jsonl", "w") as f:
    for i in range(47):
        f.write(json.dumps({"input": f"w{i} w{i + 3} w{(i * 7) % 300}", "output": f"w{10 + i % 3}"}) + "\n")
with open(f"{d}/val.jsonl", "w") as f:
    for i in range(9):
        f.write(json.dumps({"input": f"w{i + 1} w{i + 5}", "output": f"w{10 + i % 3}"}) + "\n")
PY
args=(train --base-model "$work/tiny" --train-data "$work/train.jsonl" --validation-data "$work/val.jsonl"
      --num-epochs 3 --batch-size 5 --accumulate-steps 2 --num-virtual-tokens 4 --lr 0.05 --seed 7 --threads 1)
mpi=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader,tcp)
compare() {  # compare DIR_A DIR_B LABEL: prompt (PEFT adapter safetensors) and per-step losses
  python3 - "$1" "$2" "$3" <<'PY'
import glob, json, struct, sys
def prompt(d):  # every tensor of the adapter (a multitask prompt's P, U and V), by name
    f = glob.glob(f"{d}/*/adapter_model.safetensors")[0]
    b = open(f, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = ()
    for name, t in sorted((k, v) for k, v in h.items() if k != "__metadata__"):
        s, e = t["data_offsets"]
        assert t["dtype"] == "F32", t["dtype"]
        out += struct.unpack(f"<{(e - s) // 4}f", b[8 + n + s:8 + n + e])
    return out
def losses(d):
    return [json.loads(l)["data"]["value"] for l in open(f"{d}/training_logs.jsonl") if l.strip()]
a, b, label = sys.argv[1], sys.argv[2], sys.argv[3]
pa, pb = prompt(a), prompt(b)
la, lb = losses(a), losses(b)
dp = max(abs(x - y) for x, y in zip(pa, pb))
dl = max(abs(x - y) for x, y in zip(la, lb))
ok = len(pa) == len(pb) and len(la) == len(lb) and dp <= 1e-5 and dl <= 1e-5
print(f"mpi_check: {label}: prompt max |diff| {dp:.2e} over {len(pa)} values, loss max |diff| {dl:.2e} over {len(la)} steps: {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
}
status=0
"$bin" "${args[@]}" --output "$work/p1" > "$work/p1.log" 2>&1 || { cat "$work/p1.log"; exit 1; }
for n in 2 3; do
  if ! timeout 120 "${mpi[@]}" -np "$n" "$bin" "${args[@]}" --distributed --output "$work/p$n" > "$work/p$n.log" 2>&1; then
    echo "mpi_check: mpirun -np $n failed:"; cat "$work/p$n.log"; status=1; continue
  fi
  grep -q "ranks, .* allreduces" "$work/p$n.log" || { echo "mpi_check: -np $n: no allreduce timing in the log"; status=1; }
  compare "$work/p1" "$work/p$n" "$n ranks vs 1 process" || status=1
done

# Multitask prompts: records of three named tasks, mixed in every batch; each rank's shard of a
# micro-batch mixes tasks as it comes. P, U and V and the per-step losses must match one process.
python3 - "$work" <<'PY'
import json, sys
with open(f"{sys.argv[1]}/mt.jsonl", "w") as f:
    for i in range(47):
        f.write(json.dumps({"input": f"w{i} w{i + 3}", "output": f"w{10 + i % 3}", "task": ["a", "b", "c"][(i * 5) % 3]}) + "\n")
PY
margs=(train --base-model "$work/tiny" --train-data "$work/mt.jsonl" --tuning-type MULTITASK_PROMPT_TUNING --num-tasks 3
       --num-ranks 2 --num-epochs 2 --batch-size 5 --accumulate-steps 2 --num-virtual-tokens 4 --lr 0.05 --seed 7 --threads 1)
"$bin" "${margs[@]}" --output "$work/m1" > "$work/m1.log" 2>&1 || { cat "$work/m1.log"; exit 1; }
for n in 2 3; do
  if ! timeout 120 "${mpi[@]}" -np "$n" "$bin" "${margs[@]}" --distributed --output "$work/m$n" > "$work/m$n.log" 2>&1; then
    echo "mpi_check: multitask, mpirun -np $n failed:"; cat "$work/m$n.log"; status=1; continue
  fi
  compare "$work/m1" "$work/m$n" "multitask P, U, V: $n ranks vs 1 process" || status=1
done

# Two ranks on two networks: rank 0 in this namespace, rank 1 in a new network namespace whose only
# link is a veth pair to it (10.213.77.1 ↔ .2). Open MPI's TCP transport only (no shared memory),
# and PMIx (how a rank finds mpirun) listens on that link too, since rank 1 cannot reach this
# namespace's loopback: every allreduce crosses the veth pair, whose byte counter shows it did.
ns="spmpi$$"
if ip netns add "${ns}b" 2> /dev/null; then
  cleanup_ns() { ip netns del "${ns}b" 2> /dev/null || true; ip link del "${ns}0" 2> /dev/null || true; }
  trap 'cleanup_ns; rm -rf "$work"' EXIT
  ip link add "${ns}0" type veth peer name "${ns}1"
  ip link set "${ns}1" netns "${ns}b"
  ip addr add 10.213.77.1/24 dev "${ns}0"; ip link set "${ns}0" up
  ip -n "${ns}b" addr add 10.213.77.2/24 dev "${ns}1"; ip -n "${ns}b" link set "${ns}1" up; ip -n "${ns}b" link set lo up
  tx() { cat "/sys/class/net/${ns}0/statistics/tx_bytes"; }
  before=$(tx)
  if PMIX_MCA_ptl_tcp_if_include=10.213.77.0/24 PMIX_MCA_ptl_tcp_remote_connections=1 timeout 120 \
      mpirun --oversubscribe --allow-run-as-root --mca btl tcp,self --mca btl_tcp_if_include 10.213.77.0/24 \
      --mca oob_tcp_if_include 10.213.77.0/24 \
      -np 1 "$bin" "${args[@]}" --distributed --output "$work/pn" : \
      -np 1 ip netns exec "${ns}b" "$bin" "${args[@]}" --distributed --output "$work/pn" > "$work/pn.log" 2>&1; then
    sent=$(( $(tx) - before ))
    echo "mpi_check: 2 ranks in 2 network namespaces (TCP over a veth pair): $sent bytes sent over it"
    [ "$sent" -gt 10000 ] || { echo "mpi_check: too little traffic crossed the veth pair"; status=1; }
    compare "$work/p1" "$work/pn" "2 ranks over TCP between namespaces vs 1 process" || status=1
  else
    echo "mpi_check: the two-namespace run failed:"; cat "$work/pn.log"; status=1
  fi
  cleanup_ns
else
  echo "mpi_check: two network namespaces: skipped (ip netns add is not permitted here; needs root and CAP_SYS_ADMIN)"
fi

# A rank that hits bad data: rank 1 alone reads a different file, so the ranks' runs differ; rank 0 says so.
cp "$work/train.jsonl" "$work/train1.jsonl"; echo '{"input": "w1 w2", "output": "w3"}' >> "$work/train1.jsonl"
cat > "$work/rank-data.sh" <<SH
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$bin" "\$@" --train-data "$work/train1.jsonl"; fi
exec "$bin" "\$@"
SH
chmod +x "$work/rank-data.sh"
set +e
timeout 60 "${mpi[@]}" -np 2 "$work/rank-data.sh" "${args[@]}" --distributed --output "$work/bad" > "$work/bad.log" 2>&1
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "rank 1 of 2" "$work/bad.log"; then
  echo "mpi_check: bad data on rank 1: exit $rc, expected a non-zero exit naming rank 1:"; cat "$work/bad.log"; status=1
else
  echo "mpi_check: bad data on rank 1: exit $rc, $(grep -m1 -o 'rank 1 of 2[^;]*' "$work/bad.log")"
fi

# kill -9 of rank 1 during epoch 2: the job ends within 30 s, the saved prompt loads, --resume finishes it
# (a multitask prompt too: its version 02 checkpoint holds P, U, V and their AdamW moments).
kill_resume() {  # kill_resume NAME LABEL ARGS...: ARGS train a run to kill and resume
  local k=$1 label=$2; shift 2
  local kargs=("$@")
  "$bin" "${kargs[@]}" --output "$work/${k}1" > "$work/${k}1.log" 2>&1 || { cat "$work/${k}1.log"; exit 1; }
  "${mpi[@]}" -np 2 "$bin" "${kargs[@]}" --distributed --output "$work/${k}2" --state-file "$work/${k}2.state" > "$work/${k}2.log" 2>&1 &
  local job=$!
  for _ in $(seq 1 600); do [ -f "$work/${k}2.state" ] && break; sleep 0.05; done
  victim=$(pgrep -f -- "--output $work/${k}2 " | while read -r p; do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && echo "$p"; done | head -1)
  if [ -z "$victim" ] || [ ! -f "$work/${k}2.state" ]; then
    echo "mpi_check: $label: kill -9: the job ended before a rank could be killed:"; cat "$work/${k}2.log"; status=1; wait $job || true
  else
    kill -9 "$victim"
    t0=$(date +%s)
    set +e
    for _ in $(seq 1 300); do kill -0 $job 2>/dev/null || break; sleep 0.1; done
    if kill -0 $job 2>/dev/null; then echo "mpi_check: $label: kill -9: the job still runs 30 s later"; kill -9 $job; status=1; fi
    wait $job; rc=$?
    set -e
    dt=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ] || ! grep -qi "rank 1" "$work/${k}2.log"; then
      echo "mpi_check: $label: kill -9 of rank 1: exit $rc, expected non-zero and a message naming rank 1:"; cat "$work/${k}2.log"; status=1
    else
      echo "mpi_check: $label: kill -9 of rank 1: job ended in ${dt}s with exit $rc: $(grep -i -m1 'rank 1' "$work/${k}2.log" | cut -c1-160)"
    fi
    "$bin" show "$work/${k}2" > /dev/null 2>&1 || { echo "mpi_check: $label: the prompt saved before the kill does not load"; status=1; }
    if timeout 120 "${mpi[@]}" -np 2 "$bin" "${kargs[@]}" --distributed --output "$work/${k}2" --state-file "$work/${k}2.state" --resume \
        > "$work/${k}2r.log" 2>&1; then
      grep -q "resuming after epoch" "$work/${k}2r.log" || { echo "mpi_check: $label: --resume did not resume"; status=1; }
      compare "$work/${k}1" "$work/${k}2" "$label: killed and resumed (2 ranks) vs 1 process" || status=1
    else
      echo "mpi_check: $label: --resume failed:"; cat "$work/${k}2r.log"; status=1
    fi
  fi
}
kill_resume k plain "${args[@]}" --num-epochs 6
kill_resume q multitask "${margs[@]}" --num-epochs 6
exit $status
