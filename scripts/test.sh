#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, cached real data, release build, tests.
# Tests run in release mode because the numeric checks crawl in debug builds; -enable-testing keeps
# `@testable import` working in release.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_data.sh || true
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release --skip-build -Xswiftc -enable-testing "$@"
