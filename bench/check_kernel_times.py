#!/usr/bin/python3
"""Checks kiln-bench's KILN_KERNEL_TIMES table (bench/kernel_times.hpp) on a GPU target.

    check_kernel_times.py KILN_BENCH OUT_DIR opencl|cuda-stub

Runs two GPU benchmarks (a convolutional network's inference, a dense network's training
step) with KILN_KERNEL_TIMES and JSON output, and checks the table against what Google
Benchmark measured on its own:

  - each benchmark's line counts the steps Google Benchmark reports as its iterations (the
    table keeps the last run of a benchmark, the one reported) and a step time within 25% of
    its real_time (the same loop, timed apart);
  - every kernel ran a whole number of times a step (the launches of exactly those steps);
  - the kernels' time is at most the step's;
  - opencl (pocl in CI): and at least half of it: on pocl the kernels are a step's work, each
    one waited for, and a table that timed the launches and not the kernels would show a few
    percent.
cuda-stub: KILN_BENCH is kiln-bench-cuda-stub, whose CUDA driver runs no kernels
(tests/gpu/cuda_stub.cpp): the CUDA benchmarks' names and the CUDA side of the table are
checked, not times.

Exits 77 (CTest's skip) when kiln-bench has no benchmarks on the target: no device.
"""
import json
import os
import re
import subprocess
import sys

def main():
    kiln_bench, out_dir, target = sys.argv[1], sys.argv[2], sys.argv[3]
    device = {"opencl": "opencl", "cuda-stub": "cuda"}[target]
    pattern = rf"^BM_(signs_cnn/infer_b1|logistic_regression/train_b64)/manual/{device}/real_time$"
    os.makedirs(out_dir, exist_ok=True)
    table = os.path.join(out_dir, "kernel_times.tsv")
    if os.path.exists(table):
        os.remove(table)
    env = dict(os.environ, KILN_BENCH_OPENCL="1" if device == "opencl" else "0", KILN_KERNEL_TIMES=table,
               HL_NUM_THREADS="1")
    run = subprocess.run([kiln_bench, "--benchmark_filter=" + pattern, "--benchmark_min_time=0.3",
                          "--benchmark_format=json"], env=env, capture_output=True, text=True)
    if f"no {'OpenCL' if device == 'opencl' else 'CUDA'} benchmarks" in run.stderr:
        print("SKIP: " + run.stderr.strip())
        return 77
    if run.returncode != 0:
        print(run.stderr)
        print(f"FAIL: kiln-bench exited with {run.returncode}")
        return 1
    reported = {b["name"].removesuffix("/real_time"): b for b in json.loads(run.stdout)["benchmarks"]}
    if len(reported) != 2:
        print(f"FAIL: expected the 2 benchmarks of {pattern}, kiln-bench ran {sorted(reported)}")
        return 1

    heads, rows = {}, {}
    with open(table) as f:
        for line in f:
            m = re.match(r"# (\S+): (\d+) steps of ([\d.e+-]+) ms; kernels ([\d.e+-]+) ms \((\d+)%\) in ([\d.e+-]+) launches",
                         line)
            if m:
                heads[m[1]] = (int(m[2]), float(m[3]), float(m[4]), float(m[6]))
            elif not line.startswith("#"):
                name, module, kernel, launches, us, pct, blocks, threads = line.rstrip("\n").split("\t")
                rows.setdefault(name, []).append((kernel, float(launches), float(us)))

    failures = []
    for name, b in reported.items():
        if name not in heads:
            failures.append(f"{name}: not in the table")
            continue
        steps, step_ms, kernels_ms, launches = heads[name]
        real_ms = b["real_time"] / 1e3 if b["time_unit"] == "us" else b["real_time"]
        print(f"{name}: {steps} steps (Google Benchmark: {b['iterations']}), {step_ms:.4g} ms a step "
              f"(Google Benchmark: {real_ms:.4g}), kernels {kernels_ms:.4g} ms in {launches:g} launches, "
              f"{len(rows.get(name, []))} kernels")
        if steps != b["iterations"]:
            failures.append(f"{name}: {steps} steps in the table, {b['iterations']} reported")
        if abs(step_ms - real_ms) > 0.25 * real_ms:
            failures.append(f"{name}: a step of {step_ms} ms in the table, {real_ms} ms reported")
        if not rows.get(name):
            failures.append(f"{name}: no kernels")
        for kernel, per_step, _ in rows.get(name, []):
            if per_step < 1 or per_step != round(per_step):
                failures.append(f"{name}: {kernel} launched {per_step} times a step")
        total_us = sum(us for _, _, us in rows.get(name, []))
        if abs(total_us / 1e3 - kernels_ms) > 1e-3 * kernels_ms + 1e-3:
            failures.append(f"{name}: the rows sum to {total_us / 1e3} ms, the line says {kernels_ms}")
        if kernels_ms > step_ms * 1.001:
            failures.append(f"{name}: kernels {kernels_ms} ms in a step of {step_ms} ms")
        if device == "opencl" and kernels_ms < 0.5 * step_ms:
            failures.append(f"{name}: kernels only {kernels_ms} ms of a {step_ms} ms step (on pocl they are its work)")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
