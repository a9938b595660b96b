#!/usr/bin/env bash
# Configures and builds kiln into build/ (or $KILN_BUILD_DIR). Extra arguments go to CMake's
# configure step, e.g. -DKILN_SCHEDULES="manual;Mullapudi2016;Adams2019".
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$jobs"
