#!/bin/sh
# The one script of a GPU machine's visit: the CUDA benchmarks against PyTorch, every CUDA test,
# each kernel's time in the big networks' steps and a short training run, with the report in
# OUT (default $OUT, else ./gpu-report), all within a time budget.
#   scripts/gpu-bundle.sh build .gpu build/bench/kiln-bench build/networks/c4w1_signs_cnn/kiln-signs-cnn
#   then, on the GPU machine, from the source tree:  scripts/gpu-check.sh .gpu [OUT] [FILTER]
# What it writes into OUT, in this order (each file is complete when the next step starts, so
# a run cut short still leaves the steps before):
#   nvidia-smi.txt  the GPU and driver; probe.txt whether kiln's runtime finds the device
#   kiln-bench.json kiln-bench's CUDA benchmarks (FILTER: a regex on BM_<net>/<stage>, default
#                   all), one process a network (a fault loses that network only: bench/<net>.err)
#   report.md       bench/compare.py --devices cuda: kiln's CUDA builds against bench.py --device
#                   cuda (PyTorch on the same GPU, with its own TF32 settings and in strict FP32),
#                   milliseconds per batch and ratios
#   tests.txt       one line per kiln_gpu_tests case, PASS / FAIL / CRASH / TIMEOUT / SKIPPED
#                   (out of time), each case in its own process (a crash hides nothing else);
#                   tests/<n>.log its output
#   kernel-times.tsv  each kernel's time a step (kiln-bench with KILN_KERNEL_TIMES,
#                   bench/kernel_times.hpp) in the training steps and inference of ResNet-50
#                   (64x64 and 224x224), the SIGNS CNN, the character LSTM and the dinosaur RNN;
#                   kernel-times.txt the slowest kernels of each
#   signs-cnn.txt   kiln-signs-cnn train --device cuda, when the bundle has it
#   profile-*.txt   where the GPU machine has Nsight Systems (nsys) and time is left: the
#                   kernels of one training step each of ResNet-50, text_lstm and the dinosaur
#                   RNN, summed per kernel
#   launches.tsv    every kernel the cases launched: network, schedule, kernel, threads a block,
#                   shared bytes, launches (tests/gpu/launch_limits.hpp)
#   times.txt       how long each step took
# KILN_GPU_CHECK_PACK=DIR (the device machine's $OUT, which brings back at most 8 files): after
# every step, OUT packed as DIR/gpu-report.tar.xz, and beside it times.txt, tests.txt,
# report.md, kernel-times.txt, signs-cnn.txt and nvidia-smi.txt to read at once.
# KILN_GPU_CHECK_SECONDS (default 540) is the budget: each step is cut (timeout) where it would
# leave too little for the steps after it (of 540 s: the benchmarks end by 150 s, PyTorch by
# 240 s, the tests by 450 s, the kernel times by 510 s), and a step with no time left is skipped.
# Needs the bundle's libraries only, plus /usr/bin/python3 with torch for the PyTorch side.
# The training run reads the bundle's data/digits.png (KILN_DATA_DIR, runtime/data_dir.hpp).
# A rehearsal on a machine with OpenCL (pocl: the CPU) runs the same steps on OpenCL:
#   KILN_GPU_CHECK_DEVICE=opencl KILN_GPU_CHECK_CASES=REGEX KILN_GPU_CHECK_PROFILED=REGEX \
#     scripts/gpu-check.sh BUNDLE OUT FILTER
# (CASES: a regex on the case names, default all; PROFILED: the <net>/<stage> alternatives
# of kernel-times.tsv, default the networks above; no PyTorch report and no nsys there).
set -u
bundle=$(cd "${1:?usage: scripts/gpu-check.sh BUNDLE [OUT] [FILTER]}" && pwd)
out=${2:-${OUT:-gpu-report}}
filter=${3:-.}
device=${KILN_GPU_CHECK_DEVICE:-cuda}
cases=${KILN_GPU_CHECK_CASES:-.}
profiled=${KILN_GPU_CHECK_PROFILED:-resnet50(_224)?/(train|infer)_b8|signs_cnn/(train_b64|infer_b1)|text_lstm/train_b32|dinosaur_names/train_b32}
budget=${KILN_GPU_CHECK_SECONDS:-540}
pack=${KILN_GPU_CHECK_PACK:-}
case $device in
  cuda) other=opencl ;;
  opencl) other=cuda; export KILN_BENCH_OPENCL=1 ;;
  *) echo "gpu-check: KILN_GPU_CHECK_DEVICE is cuda or opencl, not $device" >&2; exit 2 ;;
esac
# kiln-bench's names end in /real_time (UseRealTime): BM_<net>/<stage>/<schedule>/<device>/real_time
on_device="/$device/real_time\$"
mkdir -p "$out/tests" "$out/bench"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
# the bundle's libraries (Debian 12's libstdc++ among them) for kiln's binaries only: the
# machine's own programs (python3 with PyTorch, nsys) keep theirs
system_libs=${LD_LIBRARY_PATH:-}
export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# each launch's block against the registers ptxas gave its kernel, where the bundle has the table
[ ! -f "$bundle/kernels.tsv" ] || export KILN_PTX_TABLE="${KILN_PTX_TABLE:-$bundle/kernels.tsv}"
export KILN_LAUNCH_LOG="$out/launches.tsv"
[ ! -d "$bundle/data" ] || export KILN_DATA_DIR="$bundle/data"

began=$(date +%s)
# seconds of the budget left
left() { echo $((began + budget - $(date +%s))); }
# the seconds a step may take: at most $1, leaving $2 for the steps after it (0: no time)
allow() {
  a=$(($(left) - $2))
  [ "$a" -gt "$1" ] && a=$1
  [ "$a" -lt 5 ] && a=0
  echo "$a"
}
step_began=$began
step() {  # records how long the previous step took, packs what is there, and names the next
  now=$(date +%s)
  [ -z "${step_name:-}" ] || printf '%-12s %4d s\n' "$step_name" $((now - step_began)) >> "$out/times.txt"
  if [ -n "$pack" ]; then
    mkdir -p "$pack"
    tar -C "$out" -cJf /tmp/gpu-report.tar.xz.part . && mv -f /tmp/gpu-report.tar.xz.part "$pack/gpu-report.tar.xz"
    for f in times.txt tests.txt report.md kernel-times.txt signs-cnn.txt nvidia-smi.txt; do
      [ ! -f "$out/$f" ] || cp "$out/$f" "$pack/$f"
    done
  fi
  step_name=$1
  step_began=$now
}
: > "$out/times.txt"

step unpack
for packed in "$bundle"/bin/*.xz; do
  [ -e "$packed" ] && xz -d -f "$packed" && chmod +x "${packed%.xz}"
done
[ "$device" != cuda ] || nvidia-smi > "$out/nvidia-smi.txt" 2>&1
gpu=yes
"$bundle/bin/kiln_gpu_probe" "$device" > "$out/probe.txt" 2>&1 || gpu=

# The benchmarks first (the speed goals), one kiln-bench process a network; then PyTorch.
bench="$bundle/bin/kiln-bench"
step kiln-bench
if [ -n "$gpu" ] && [ -x "$bench" ]; then
  "$bench" --benchmark_list_tests --benchmark_filter="($filter).*$on_device" 2> /dev/null > "$out/bench/names.txt"
  sed -n 's|^BM_\([^/]*\)/.*|\1|p' "$out/bench/names.txt" | uniq > "$out/bench/networks.txt"
  while read -r net; do
    t=$(allow 90 $((budget * 13 / 18)))
    [ "$t" -gt 0 ] || { echo "$net: out of time" >> "$out/bench/skipped.txt"; continue; }
    # the network's names, exactly (the names hold no regex characters)
    names=$(grep "^BM_$net/" "$out/bench/names.txt" | paste -s -d '|')
    timeout "$t" "$bench" --benchmark_format=json --benchmark_min_time=0.2 --benchmark_filter="^($names)\$" \
      > "$out/bench/$net.json" 2> "$out/bench/$net.err" || echo "$net: exit $?" >> "$out/bench/failed.txt"
  done < "$out/bench/networks.txt"
  # one Google Benchmark document of every network's (a killed run's half-written JSON is left out)
  LD_LIBRARY_PATH="$system_libs" /usr/bin/python3 - "$out/bench" "$out/kiln-bench.json" <<'PY'
import glob, json, sys
docs = []
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    try:
        with open(path) as f:
            docs.append(json.load(f))
    except (OSError, json.JSONDecodeError) as e:
        print(f"gpu-check: {path} left out: {e}", file=sys.stderr)
merged = {"context": docs[0]["context"] if docs else {}, "benchmarks": [b for d in docs for b in d["benchmarks"]]}
with open(sys.argv[2], "w") as f:
    json.dump(merged, f, indent=1)
PY
fi
step pytorch
if [ -n "$gpu" ] && [ "$device" = cuda ] && [ -s "$out/kiln-bench.json" ]; then
  t=$(allow 180 $((budget * 5 / 9)))
  [ "$t" -gt 0 ] && LD_LIBRARY_PATH="$system_libs" timeout "$t" /usr/bin/python3 "$here/bench/compare.py" \
    --kiln-json "$out/kiln-bench.json" \
    --devices cuda --filter "$filter" --min-time 0.2 --ms --out "$out/report.md" > /dev/null 2> "$out/compare.err"
fi

# Every case of the device (and the two "gpu:" ones; CI runs the OpenCL ones, on pocl).
step tests
tests="$bundle/bin/kiln_gpu_tests"
: > "$out/tests.txt"
if [ -n "$gpu" ]; then
  i=0
  "$tests" --list-test-names-only | grep -v '^$' | grep -v "^$other:" | grep -E -e "$cases" > "$out/tests/cases.txt"
  while IFS= read -r name; do
    i=$((i + 1))
    t=$(allow 300 $((budget / 6)))
    if [ "$t" -eq 0 ]; then
      verdict=SKIPPED
    else
      timeout "$t" "$tests" "$name" > "$out/tests/$i.log" 2>&1
      rc=$?
      case $rc in
        0) verdict=PASS ;;
        124) verdict=TIMEOUT ;;
        1|2) verdict=FAIL ;;
        *) verdict="CRASH($rc)" ;;
      esac
    fi
    printf '%-8s %3d %s\n' "$verdict" "$i" "$name" | tee -a "$out/tests.txt"
  done < "$out/tests/cases.txt"
else
  echo "no GPU: $(cat "$out/probe.txt")" | tee "$out/tests.txt"
fi

# Each kernel's time (every launch waited for: a run of its own).
step kernel-times
if [ -n "$gpu" ] && [ -x "$bench" ]; then
  t=$(allow 60 $((budget / 18)))
  [ "$t" -gt 0 ] && KILN_KERNEL_TIMES="$out/kernel-times.tsv" timeout "$t" "$bench" --benchmark_min_time=0.05 \
    --benchmark_filter="^BM_($profiled)/manual$on_device" > "$out/kernel-times.out" 2>&1
  [ ! -f "$out/kernel-times.tsv" ] ||
    awk -F'\t' '/^# BM_/ { print; n = 0; next } /^#/ { next }
                n < 15 { printf "  %6.2f%%  %9.1f us  %4g x  %s\n", $6, $5, $4, $3; n++ }' \
      "$out/kernel-times.tsv" > "$out/kernel-times.txt"
fi
step signs-cnn
if [ -n "$gpu" ] && [ -x "$bundle/bin/kiln-signs-cnn" ]; then
  t=$(allow 30 0)
  [ "$t" -gt 0 ] && timeout "$t" "$bundle/bin/kiln-signs-cnn" train --device "$device" --epochs 4 \
    > "$out/signs-cnn.txt" 2>&1
fi
step nsys
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -n 1)
if [ "$device" = cuda ] && [ -n "$nsys" ] && [ -x "$bench" ] && [ -n "$gpu" ]; then
  for net in resnet50 text_lstm dinosaur_names; do
    t=$(allow 60 0)
    [ "$t" -gt 0 ] && LD_LIBRARY_PATH="$system_libs" timeout "$t" "$nsys" profile --stats=true --force-overwrite=true \
      -o "/tmp/kiln-profile-$net" env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
      "$bench" --benchmark_filter="^BM_$net/train_b[0-9]*/manual$on_device" --benchmark_min_time=0.05 \
      > "$out/profile-$net.txt" 2>&1
  done
fi
step end
printf '\n%s of %s cases passed; %s s of %s\n' "$(grep -c '^PASS' "$out/tests.txt")" "$(grep -c . "$out/tests.txt")" \
  $(($(date +%s) - began)) "$budget"
