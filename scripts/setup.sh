#!/usr/bin/env bash
# The first command of the README: install the dependencies, build everything, then run the
# main job - the C1W3 planar classifier trains on its built-in "flower" data, prints the
# cost as the course does and its accuracy, and draws its cost curve and decision boundary
# into build/plots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)
scripts/build.sh
echo "setup: built in $(( $(date +%s) - start )) s"
build="${KILN_BUILD_DIR:-build}"
"$build/networks/c1w3_planar_classifier/kiln-planar-classifier" train --plot "$build/plots"
echo "setup: pictures in $build/plots/ (cost.png, decision_boundary.png)"
