#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, cached real data, release build, the
# Swift tests, then the PEFT interop checks (scripts/interop.sh, Python reference venv), the real
# caikit client against `softprompt serve` (scripts/client_check.sh, caikit-nlp-client venv) and the
# training server's kill-and-resume check (scripts/jobs_killpoints.sh) and data-parallel training over
# Open MPI (scripts/mpi_check.sh).
# Tests run in release mode because the numeric checks crawl in debug builds; -enable-testing keeps
# `@testable import` working in release.
# With CI=true a test that misses a fetched file fails instead of being skipped (the fetch step runs
# first). Arguments go to `swift test` (e.g. --filter X); the interop checks run only without them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_data.sh || true
# The package's own products and its test bundle, not `--build-tests` alone: a plain build also
# builds every executable of every dependency, and swift-protobuf's are protoc (several hundred C++
# files, twice: for the target and as a plugin tool) and its protoc plugins, which SoftPrompt never
# runs (the gRPC code generated from api/protos is committed; scripts/generate_grpc.sh).
for product in softprompt bench-attention SoftPromptPackageTests; do
  swift build -c release -Xswiftc -enable-testing --product "$product"
done
status=0
swift test -c release --skip-build -Xswiftc -enable-testing "$@" || status=$?
if [ $# -eq 0 ]; then
  scripts/interop.sh || status=1
  scripts/client_check.sh || status=1
  scripts/jobs_killpoints.sh || status=1   # kill -9 a training server, restart, resume (~2 min)
  KILLPOINTS_MULTITASK=1 scripts/jobs_killpoints.sh || status=1   # the same for a multitask job, 4 points (~1-2 min)
  scripts/mpi_check.sh || status=1         # mpirun -np 2/3 = one process, bad data, kill -9 of a rank (~1 min)
else
  echo "interop, client, jobs kill points, MPI: not run (arguments were given to swift test)"
fi
exit $status
