#!/usr/bin/env bash
# The second command of the README: install the dependencies, build, and run every test
# (CTest labels dsl, codegen, runtime, networks, gpu). Prints CTest's summary; exits non-zero
# when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)
scripts/build.sh
echo "test: built in $(( $(date +%s) - start )) s"
build="${KILN_BUILD_DIR:-build}"
ctest --test-dir "$build" -j "$(nproc)" --output-on-failure
