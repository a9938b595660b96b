#!/bin/sh
# Packs kiln's CUDA test binary and the given model binaries, with every shared library they
# need except the C library's own, into one folder that runs on a GPU machine with no build
# environment (any x86-64 Linux with glibc >= Debian 12's and an NVIDIA driver):
#   scripts/gpu-bundle.sh BUILD_DIR OUT_DIR [BINARY...]
#   OUT_DIR/run.sh [ARGS...]   runs kiln_gpu_tests there with the bundled libraries
#   scripts/gpu-check.sh OUT_DIR [REPORT_DIR]   every case, the benchmarks, the report
# Binaries are stripped and xz-compressed (the test binary: 89 MB -> about 9; the device
# machine's carry holds 64 MiB); run.sh and gpu-check.sh unpack them. libcuda.so comes from
# the GPU machine's driver at run time. The CPU code (the host side of every pipeline) is
# built for the CPU that KILN_HOST_TARGET names, by default the build machine's own: for a
# GPU machine whose CPU may lack some of its instructions (AVX-512), configure the build
# with -DKILN_HOST_TARGET=x86-64-linux-avx-avx2-f16c-fma-sse41.
set -eu
build=$1
out=$2
shift 2
if ! grep -q '^KILN_HOST_TARGET:STRING=.' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "gpu-bundle: warning: $build's CPU code is built for this machine's CPU (KILN_HOST_TARGET is empty);" \
       "it may stop with SIGILL on a GPU machine's CPU: configure with -DKILN_HOST_TARGET=x86-64-linux-avx-avx2-f16c-fma-sse41" >&2
fi
mkdir -p "$out/bin" "$out/lib"
for b in "$build/tests/gpu/kiln_gpu_tests" "$build/tests/gpu/kiln_gpu_probe" "$@"; do
  [ -x "$b" ] || { echo "gpu-bundle: $b is not built" >&2; exit 1; }
  cp "$b" "$out/bin/"
  strip "$out/bin/$(basename "$b")"
  ldd "$b" | awk '/=> \// { print $3 }' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*) ;;
      *) cp -L -n "$lib" "$out/lib/" ;;
    esac
  done
done
# the registers each kernel needs (the ptx test's table; launch_limits.hpp checks each
# launch against it), made here when the build has none and ptxas is installed
[ -f "$build/ptx/kernels.tsv" ] || "$(dirname "$0")/ptx-check.sh" "$build" "$build/ptx" sm_90 || true
[ ! -f "$build/ptx/kernels.tsv" ] || cp "$build/ptx/kernels.tsv" "$out/"
# the SIGNS stand-in's sheet, for gpu-check.sh's training run (it sets KILN_DATA_DIR to the
# bundle's data/: runtime/data_dir.hpp)
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/data/digits.png" ]; then
  mkdir -p "$out/data" && cp "$here/data/digits.png" "$out/data/"
fi
for b in "$out"/bin/*; do
  case "$b" in *.xz) ;; *) xz -T0 -f "$b" ;; esac
done
cat > "$out/run.sh" <<'RUN'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
for packed in "$here"/bin/*.xz; do
  [ -e "$packed" ] && xz -d -f "$packed" && chmod +x "${packed%.xz}"
done
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ ! -f "$here/kernels.tsv" ] || export KILN_PTX_TABLE="${KILN_PTX_TABLE:-$here/kernels.tsv}"
exec "$here/bin/kiln_gpu_tests" "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
