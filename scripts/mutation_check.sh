#!/usr/bin/env bash
# Mutation check: plants one-line bugs, one at a time, in a scratch copy of the committed HEAD (a
# detached `git worktree` outside this tree; this tree is never modified), rebuilds it in release
# (one build directory, reused across mutations and across runs), runs the tests that should catch
# each bug, and prints a table. Every planted bug must be caught: exit 1 when one is missed, when a
# mutation's source line is no longer found, or when the unmutated baseline fails its filters.
#
#   scripts/mutation_check.sh            # all mutations
#   scripts/mutation_check.sh rotary     # those whose name contains "rotary"
#
# SOFTPROMPT_MUTATION_DIR: the scratch worktree (default ${TMPDIR:-/tmp}/softprompt-mutation). Remove
# it with `git worktree remove --force <dir>`. A full release build the first time, then one
# incremental rebuild per mutation.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${SOFTPROMPT_MUTATION_DIR:-${TMPDIR:-/tmp}/softprompt-mutation}
only=${1:-}

# name ; file ; the exact source line ; its mutated form ; swift test --filter (a regex)
mutations=(
  "norm-epsilon;Sources/SPTensor/Kernels/RMSNorm.swift;                let rs = 1 / (RowMath.sumOfSquares(xr, c) / Float(c) + eps).squareRoot();                let rs = 1 / (RowMath.sumOfSquares(xr, c) / Float(c)).squareRoot();NormTests"
  "rotary-base;Sources/SPTensor/Kernels/Rotary.swift;            return invFreq(Float(base));            return invFreq(10000);RotaryTests|ModelGoldenTests"
  "attention-scale;Sources/SPTensor/Kernels/AttentionRows.swift;            scale = o.scale ?? 1 / Float(shape.headDim).squareRoot();            scale = o.scale ?? 1 / Float(shape.headDim);AttentionTests"
  "adamw-bias-correction;Sources/SPTuning/Optim/AdamW.swift;        let biasCorrection1 = 1 - pow(beta1, t);        let biasCorrection1 = 1 - pow(beta1, t + 1);OptimTests"
  "gpt2-pretokenizer-regex;Sources/SPTokenizers/PreTokenizers/ScannerPatterns.swift;        if let e = contraction(c, p, n, fold: false) { return e }\n        let j = c[p] == 0x20 ? p + 1 : p;        if let e = contraction(c, p, n, fold: false) { return e }\n        let j = p;FamilyParityTests"
  "label-shift;Sources/SPModels/Training.swift;            for t in 0..<tokens { ws.targets[b * tokens + t] = t + 1 < tokens ? labels[b * tokens + t + 1] : -100 };            for t in 0..<tokens { ws.targets[b * tokens + t] = t + 1 < tokens ? labels[b * tokens + t] : -100 };ModelGoldenTests"
)

head=$(git -C "$root" rev-parse HEAD)
if ! git -C "$scratch" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$root" worktree add --detach "$scratch" "$head" >/dev/null || { echo "cannot create $scratch" >&2; exit 1; }
fi
cd "$scratch" || exit 1
git checkout -q --detach "$head" && git reset -q --hard "$head" || { echo "cannot reset $scratch to $head" >&2; exit 1; }
echo "mutation check of $(git log -1 --format='%h %s') in $scratch"

build() { swift build -c release -Xswiftc -enable-testing --product SoftPromptPackageTests >"$scratch/.mutation-build.log" 2>&1; }
# Exit status of the filter's tests: 0 = all passed.
tests() {
  swift test -c release --skip-build -Xswiftc -enable-testing --filter "$1" >"$scratch/.mutation-test.log" 2>&1
}
# Replaces the single occurrence of the lines $2 in file $1 by $3 ("\n" separates lines: context
# that makes a repeated line unique); fails when they do not occur exactly once.
plant() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].split("\\n"), sys.argv[3].split("\\n")
lines = open(path, encoding="utf-8").read().split("\n")
hits = [i for i in range(len(lines)) if lines[i:i + len(old)] == old]
if len(hits) != 1:
    sys.exit(f"{path}: the lines to mutate occur {len(hits)} times")
lines[hits[0]:hits[0] + len(old)] = new
open(path, "w", encoding="utf-8").write("\n".join(lines))
PY
}

selected=()
for m in "${mutations[@]}"; do
  [[ -z "$only" || "${m%%;*}" == *"$only"* ]] && selected+=("$m")
done
[ ${#selected[@]} -gt 0 ] || { echo "no mutation matches '$only'" >&2; exit 1; }

# Baseline: the unmutated tree passes every filter used below (otherwise "caught" means nothing).
build || { echo "baseline build failed (see $scratch/.mutation-build.log)" >&2; exit 1; }
for m in "${selected[@]}"; do
  IFS=';' read -r name file old new filter <<<"$m"
  tests "$filter" || { echo "baseline: --filter $filter fails without any mutation (see $scratch/.mutation-test.log)" >&2; exit 1; }
done

status=0
rows=()
for m in "${selected[@]}"; do
  IFS=';' read -r name file old new filter <<<"$m"
  git checkout -q -- .
  if ! plant "$file" "$old" "$new"; then
    rows+=("$name"$'\t'"$file"$'\t-\t'"NOT PLANTED (source changed: update the mutation)"); status=1; continue
  fi
  line=$(git diff -U0 -- "$file" | sed -n 's/^@@ -\([0-9]*\).*/\1/p' | head -1)
  if ! build; then
    rows+=("$name"$'\t'"$file:$line"$'\t'"$filter"$'\t'"caught (does not compile)"); continue
  fi
  if tests "$filter"; then
    rows+=("$name"$'\t'"$file:$line"$'\t'"$filter"$'\t'"MISSED"); status=1
  else
    failed=$(grep -c 'recorded an issue' "$scratch/.mutation-test.log" || true)
    rows+=("$name"$'\t'"$file:$line"$'\t'"$filter"$'\t'"caught ($failed issues recorded)")
  fi
done
git checkout -q -- .

printf '\n%-24s %-60s %-30s %s\n' mutation "where" filter result
for r in "${rows[@]}"; do
  IFS=$'\t' read -r a b c d <<<"$r"
  printf '%-24s %-60s %-30s %s\n' "$a" "$b" "$c" "$d"
done
missed=$(printf '%s\n' "${rows[@]}" | grep -c 'MISSED\|NOT PLANTED' || true)
echo "$(( ${#rows[@]} - missed )) of ${#rows[@]} planted bugs caught"
exit $status
