#!/bin/sh
# The one script of a GPU machine's visit: every CUDA test, the CUDA benchmarks against PyTorch
# and a short training run, with the report in OUT (default $OUT, else ./gpu-report).
#   scripts/gpu-bundle.sh build .gpu build/bench/kiln-bench build/networks/c4w1_signs_cnn/kiln-signs-cnn
#   then, on the GPU machine, from the source tree:  scripts/gpu-check.sh .gpu [OUT] [FILTER]
# What it writes into OUT:
#   tests.txt       one line per kiln_gpu_tests case, PASS / FAIL / CRASH / TIMEOUT, each case in
#                   its own process (a crash hides nothing else); tests/<n>.log its output
#   kiln-bench.json kiln-bench's CUDA benchmarks (FILTER: a regex on BM_<net>/<stage>, default all)
#   report.md       bench/compare.py --devices cuda: kiln's CUDA builds against bench.py --device
#                   cuda (PyTorch on the same GPU), milliseconds per batch and ratios
#   signs-cnn.txt   kiln-signs-cnn train --device cuda, when the bundle has it
#   profile-*.txt   where the GPU machine has Nsight Systems (nsys): the kernels of one
#                   training step each of ResNet-50, text_lstm and the dinosaur RNN, summed
#                   per kernel (the slow schedules' breakdown)
#   nvidia-smi.txt  the GPU and driver
#   launches.tsv    every kernel the cases launched: network, schedule, kernel, threads a block,
#                   shared bytes, launches (tests/gpu/launch_limits.hpp)
# Needs the bundle's libraries only, plus /usr/bin/python3 with torch for the PyTorch side.
# The model binaries read data/ at the source path they were built from (KILN_DATA_DIR): where
# the tree sits elsewhere, link it first (ln -s "$PWD" /work/main) and carry data/digits.png.
set -u
bundle=$(cd "${1:?usage: scripts/gpu-check.sh BUNDLE [OUT] [FILTER]}" && pwd)
out=${2:-${OUT:-gpu-report}}
filter=${3:-.}
mkdir -p "$out/tests"
out=$(cd "$out" && pwd)
export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# each launch's block against the registers ptxas gave its kernel, where the bundle has the table
[ ! -f "$bundle/kernels.tsv" ] || export KILN_PTX_TABLE="${KILN_PTX_TABLE:-$bundle/kernels.tsv}"
export KILN_LAUNCH_LOG="$out/launches.tsv"
for packed in "$bundle"/bin/*.xz; do
  [ -e "$packed" ] && xz -d -f "$packed" && chmod +x "${packed%.xz}"
done
nvidia-smi > "$out/nvidia-smi.txt" 2>&1

tests="$bundle/bin/kiln_gpu_tests"
: > "$out/tests.txt"
if "$bundle/bin/kiln_gpu_probe" cuda > "$out/probe.txt" 2>&1; then
  i=0
  # the CUDA cases (the OpenCL ones run in CI, on pocl)
  "$tests" --list-test-names-only | grep -v '^$' | grep -v '^opencl:' | while IFS= read -r name; do
    i=$((i + 1))
    timeout 300 "$tests" "$name" > "$out/tests/$i.log" 2>&1
    rc=$?
    case $rc in
      0) verdict=PASS ;;
      124) verdict=TIMEOUT ;;
      1|2) verdict=FAIL ;;
      *) verdict="CRASH($rc)" ;;
    esac
    printf '%-8s %3d %s\n' "$verdict" "$i" "$name" | tee -a "$out/tests.txt"
  done
else
  echo "no GPU: $(cat "$out/probe.txt")" | tee "$out/tests.txt"
fi

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$bundle/bin/kiln-bench" ]; then
  "$bundle/bin/kiln-bench" --benchmark_format=json --benchmark_min_time=0.2 \
    --benchmark_filter="($filter).*/cuda\$" > "$out/kiln-bench.json" 2> "$out/kiln-bench.err"
  /usr/bin/python3 "$here/bench/compare.py" --kiln-json "$out/kiln-bench.json" --devices cuda \
    --filter "$filter" --min-time 0.2 --ms --out "$out/report.md" > /dev/null 2> "$out/compare.err"
fi
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -n 1)
if [ -n "$nsys" ] && [ -x "$bundle/bin/kiln-bench" ] && ! grep -q '^no GPU' "$out/tests.txt"; then
  for net in resnet50 text_lstm dinosaur_names; do
    timeout 60 "$nsys" profile --stats=true --force-overwrite=true -o "/tmp/kiln-profile-$net" \
      "$bundle/bin/kiln-bench" --benchmark_filter="^BM_$net/train_b[0-9]*/manual/cuda\$" --benchmark_min_time=0.05 \
      > "$out/profile-$net.txt" 2>&1
  done
fi
if [ -x "$bundle/bin/kiln-signs-cnn" ]; then
  (cd "$here" && "$bundle/bin/kiln-signs-cnn" train --device cuda --epochs 4) > "$out/signs-cnn.txt" 2>&1
fi
printf '\n%s of %s cases passed\n' "$(grep -c '^PASS' "$out/tests.txt")" "$(grep -c . "$out/tests.txt")"
