#!/bin/sh
# Everything a GPU machine's visit needs, made here (no GPU needed): a CUDA build of the test
# binary, kiln-bench (ResNet-50 at 64x64 and 224x224 included) and the SIGNS trainer, packed
# by gpu-bundle.sh into one folder that fits the device machine's carry (64 MiB).
#   scripts/gpu-prepare.sh [BUILD_DIR] [BUNDLE_DIR]     (default build-cuda and .gpu)
# then on the GPU machine, carrying BUNDLE_DIR:
#   KILN_GPU_CHECK_PACK="$OUT" scripts/gpu-check.sh BUNDLE_DIR /tmp/gpu-report
# (the device machine brings back at most 8 files of $OUT: the packed report and 6 summaries)
# The build: the manual CPU schedule only (the CPU side of each case), CUDA's manual and
# Li2018, no OpenCL, and CPU code for any x86-64 with AVX2 (the GPU machine's CPU may lack
# this one's AVX-512). About 30 minutes on 2 cores from cold, most of it Halide lowering
# (27.5 for the build, 2.5 for ptxas's register table), and a 26 MB bundle.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-cuda}
bundle=${2:-.gpu}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DKILN_SCHEDULES=manual -DKILN_OPENCL=OFF \
  -DKILN_BUILD_BENCH=ON -DKILN_BENCH_LARGE=ON -DKILN_HOST_TARGET=x86-64-linux-avx-avx2-f16c-fma-sse41
cmake --build "$build" -j "$(nproc)" --target kiln_gpu_tests kiln_gpu_probe kiln-bench kiln-signs-cnn
rm -rf "$bundle"
scripts/gpu-bundle.sh "$build" "$bundle" "$build/bench/kiln-bench" "$build/networks/c4w1_signs_cnn/kiln-signs-cnn"
bytes=$(du -sb "$bundle" | cut -f1)
limit=$((64 * 1024 * 1024))
if [ "$bytes" -gt "$limit" ]; then
  echo "gpu-prepare: $bundle is $bytes bytes; the device machine carries at most $limit" >&2
  exit 1
fi
echo "gpu-prepare: $bundle holds $bytes bytes (of $limit). On the GPU machine, carrying $bundle:"
echo "  KILN_GPU_CHECK_PACK=\"\$OUT\" scripts/gpu-check.sh $bundle /tmp/gpu-report"
