#!/usr/bin/env bash
# Rewrites Tests/fixtures.sha256: the SHA-256 of every committed fixture (every file under
# Tests/*/Fixtures except *.md). FixtureManifestTests fails when a listed file is missing or differs,
# or a file is not listed, so run this only after regenerating fixtures on purpose (and commit both).
set -euo pipefail
cd "$(dirname "$0")/.."
find Tests/*/Fixtures -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum > Tests/fixtures.sha256
echo "Tests/fixtures.sha256: $(wc -l < Tests/fixtures.sha256) fixtures"
