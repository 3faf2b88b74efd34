#!/usr/bin/env bash
# Issue 18's real-model two-stage multitask experiment on SmolLM2-135M-Instruct (the demo's model):
#   stage 1: one MULTITASK_PROMPT_TUNING source prompt over two tasks at once (records carry
#            "task": "tweets" / "amazon"), scored on each task's held-out records (eval --task);
#   stage 2: two target prompts for NYT editorial sentiment, identical but for the init:
#            AVERAGE_SOURCE_TASKS from the stage-1 prompt versus TEXT; held-out accuracy after epoch
#            1 and epoch 2 of the same 2-epoch run (the prompt saved after epoch 1 is copied while
#            epoch 2 trains, so both numbers come from one linear-decay schedule).
# Accuracy = the greedy answer's first word (its first run of letters, lower-cased) equals the label,
# as the demo and `softprompt eval --answer first-word` score.
# Usage: scripts/experiments/mpt_two_stage.sh RESULTS.md [WORKDIR]
#   RESULTS.md  where the markdown results table is written (must not exist yet)
#   WORKDIR     scratch directory for data subsets and prompts (default: a new mktemp -d)
# Env: SOFTPROMPT (binary, default .build/release/softprompt), THREADS (default 2), NICE (default 10),
# and every parameter below can be overridden from the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

# ---- parameters -------------------------------------------------------------------------------
N_SRC_TRAIN=${N_SRC_TRAIN:-200}     # training records per source task (tweets, amazon)
N_SRC_TEST=${N_SRC_TEST:-100}       # held-out records per source task
N_TGT_TRAIN=${N_TGT_TRAIN:-200}     # NYT training records
N_TGT_TEST=${N_TGT_TEST:-150}       # NYT held-out records
SRC_EPOCHS=${SRC_EPOCHS:-1}
TGT_EPOCHS=2                        # the table reports epochs 1 and 2
VT=${VT:-8}                         # num_virtual_tokens (source and targets)
RANKS=${RANKS:-2}                   # num_ranks
LR=${LR:-0.03}
BATCH=${BATCH:-8}
SEED=${SEED:-42}
INIT_TEXT=${INIT_TEXT:-"Classify the sentiment of the text as positive or negative."}
VERBALIZER=$'Text: {{input}}\nIs the sentiment of this text positive or negative?\nAnswer: '
SOFTPROMPT=${SOFTPROMPT:-.build/release/softprompt}
THREADS=${THREADS:-2}
NICE=${NICE:-10}
# ------------------------------------------------------------------------------------------------

results=${1:?usage: mpt_two_stage.sh RESULTS.md [WORKDIR]}
[ -e "$results" ] && { echo "mpt_two_stage.sh: $results exists; give a new path" >&2; exit 1; }
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/mpt_two_stage.XXXXXX")}
mkdir -p "$work"
[ -z "$(ls -A "$work")" ] || { echo "mpt_two_stage.sh: $work is not empty; give a new or empty directory" >&2; exit 1; }
[ -x "$SOFTPROMPT" ] || { echo "mpt_two_stage.sh: $SOFTPROMPT not found (swift build -c release --product softprompt)" >&2; exit 1; }
gguf=$(scripts/fetch_smollm2.sh)
data=$(scripts/fetch_datasets.sh)
sp() { nice -n "$NICE" "$SOFTPROMPT" "$@"; }
now() { date +%s; }
log() { echo "[mpt_two_stage $(date -u +%H:%M:%S)] $*" >&2; }

# Data subsets: the first N records of each split (the split is fixed by fetch_datasets.sh).
python3 - "$data" "$work" "$N_SRC_TRAIN" "$N_SRC_TEST" "$N_TGT_TRAIN" "$N_TGT_TEST" <<'PY'
import json, sys
data, work, nst, nse, ntt, nte = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
def read(name, n):
    with open(f"{data}/{name}", encoding="utf-8") as f:
        rows = [json.loads(l) for l in f if l.strip()][:n]
    if len(rows) < n: sys.exit(f"{name} has {len(rows)} records, {n} asked")
    return rows
def write(name, rows):
    with open(f"{work}/{name}", "w", encoding="utf-8") as f:
        for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\n")
src = []
tw, am = read("tweets_train.jsonl", nst), read("amazon_train.jsonl", nst)
for a, b in zip(tw, am):  # interleaved: "tweets" is task 0 (first seen), "amazon" task 1
    src += [dict(a, task="tweets"), dict(b, task="amazon")]
write("source_train.jsonl", src)
write("tweets_test.jsonl", read("tweets_test.jsonl", nse))
write("amazon_test.jsonl", read("amazon_test.jsonl", nse))
write("nyt_train.jsonl", read("nyt_train.jsonl", ntt))
write("nyt_test.jsonl", read("nyt_test.jsonl", nte))
PY

common=(--base-model "$gguf" --verbalizer "$VERBALIZER" --lr "$LR" --batch-size "$BATCH" --accumulate-steps 1
        --max-source-length 128 --max-target-length 4 --num-virtual-tokens "$VT" --num-ranks "$RANKS"
        --seed "$SEED" --threads "$THREADS" --tuning-type MULTITASK_PROMPT_TUNING --silence-progress-bars)

# Accuracy of a prompt directory (or a base model) through softprompt eval (first word = label);
# extra flags (--task NAME) pick a multitask prompt's task.
eval_accuracy() {  # prompt_dir test.jsonl [eval flags...]
  local dir=$1 test=$2; shift 2
  sp eval --model "$dir" --test-data "$test" --answer first-word --max-new-tokens 3 --batch-size 8 \
      --threads "$THREADS" --json "$@" 2>/dev/null | python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["accuracy"])'
}
task_accuracy() {  # prompt_dir task test.jsonl
  eval_accuracy "$1" "$3" --task "$2"
}

# ---- stage 1: the source prompt over tweets + amazon ------------------------------------------
log "stage 1: source prompt, $N_SRC_TRAIN tweets + $N_SRC_TRAIN amazon, $SRC_EPOCHS epoch(s)"
t0=$(now)
sp train "${common[@]}" --train-data "$work/source_train.jsonl" --output "$work/source" \
   --num-tasks 2 --num-epochs "$SRC_EPOCHS" --init-method TEXT --init-text "$INIT_TEXT" > "$work/source_train.log" 2>&1
t_src=$(( $(now) - t0 ))
src_tw=$(task_accuracy "$work/source" tweets "$work/tweets_test.jsonl")
src_am=$(task_accuracy "$work/source" amazon "$work/amazon_test.jsonl")
log "source: tweets $src_tw, amazon $src_am (train ${t_src}s)"

# ---- stage 2: two target runs on NYT ------------------------------------------------------------
target() {  # name, extra train flags...
  local name=$1; shift
  local out="$work/$name" state="$work/$name.state"
  log "stage 2: target $name, $N_TGT_TRAIN NYT records, $TGT_EPOCHS epochs"
  local t0; t0=$(now)
  sp train "${common[@]}" --train-data "$work/nyt_train.jsonl" --output "$out" --num-tasks 1 \
     --num-epochs "$TGT_EPOCHS" --state-file "$state" "$@" > "$work/${name}_train.log" 2>&1 &
  local pid=$!
  # The prompt is saved after each epoch before the state file is written: once the state file
  # exists, $out holds the epoch-1 prompt (epoch 2 takes minutes; its save comes at its end).
  while [ ! -s "$state" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; done
  [ -s "$state" ] && cp -r "$out" "$out.epoch1"
  wait "$pid" || { echo "mpt_two_stage.sh: training $name failed; see $work/${name}_train.log" >&2; exit 1; }
  local secs=$(( $(now) - t0 ))
  local a1 a2
  a1=$(eval_accuracy "$out.epoch1" "$work/nyt_test.jsonl")
  a2=$(eval_accuracy "$out" "$work/nyt_test.jsonl")
  log "target $name: epoch 1 $a1, epoch 2 $a2 (train ${secs}s)"
  echo "$a1 $a2 $secs"
}
base_acc=$(eval_accuracy "$gguf" "$work/nyt_test.jsonl" || echo "n/a")
target avg --init-method AVERAGE_SOURCE_TASKS --source-prompt-base "$work" --init-source-model source > "$work/avg.result"
target text --init-method TEXT --init-text "$INIT_TEXT" > "$work/text.result"
read -r avg1 avg2 t_avg < "$work/avg.result"
read -r txt1 txt2 t_txt < "$work/text.result"

src_steps=$(( (2 * N_SRC_TRAIN + BATCH - 1) / BATCH * SRC_EPOCHS ))
tgt_steps=$(( (N_TGT_TRAIN + BATCH - 1) / BATCH ))
tmp_results=$(mktemp "$(dirname "$results")/.mpt_results.XXXXXX")
cat > "$tmp_results" <<EOF
SmolLM2-135M-Instruct (Q4_1 GGUF, f32 compute), MULTITASK_PROMPT_TUNING, $VT virtual tokens, rank $RANKS,
lr $LR (linear decay), batch $BATCH, seed $SEED, $THREADS threads; accuracy = first word of the greedy answer
equals the label. Source: $N_SRC_TRAIN tweets + $N_SRC_TRAIN Amazon records, $SRC_EPOCHS epoch(s), $src_steps steps,
TEXT init; targets: $N_TGT_TRAIN NYT records, $tgt_steps steps per epoch, K = 1; held-out: $N_SRC_TEST per source
task, $N_TGT_TEST NYT. Base model alone (no prompt) on the NYT held-out: $base_acc.

| run | init | held-out | after epoch 1 | after epoch 2 | train time |
| --- | --- | --- | --- | --- | --- |
| source (K = 2) | TEXT | tweets (task 0) / Amazon (task 1) | $src_tw / $src_am | | ${t_src} s |
| target NYT | AVERAGE_SOURCE_TASKS | NYT | $avg1 | $avg2 | ${t_avg} s |
| target NYT | TEXT | NYT | $txt1 | $txt2 | ${t_txt} s |
EOF
mv "$tmp_results" "$results"
log "results: $results (work files in $work)"
cat "$results"
