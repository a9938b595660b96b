#!/usr/bin/python3
"""Convolution layers: kiln's schedules against the FMA peak and against PyTorch.

    /usr/bin/python3 bench/conv_report.py --kiln-conv-bench build/bench/conv/kiln-conv-bench \\
        [--threads 1] [--filter REGEX] [--min-time S] [--out report.md] [--no-pytorch]

Runs, one after the other, kiln-conv-bench (HL_NUM_THREADS=T; it measures the FMA peak
itself, BM_peak_fma) and bench/pytorch/conv_layers.py (channels-last, torch threads T), and
prints one markdown table (the best of --repetitions runs of each): per layer x stage x batch, GFLOP/s and % of peak for each kiln
schedule, PyTorch's GFLOP/s, and manual / PyTorch (> 1: kiln is faster). GFLOP/s are from
wall time; peak is the FMA loop's rate times T.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "pytorch"))
import conv_layers  # noqa: E402  (the case table reader)

NAME_RE = re.compile(r"^BM_conv/(?P<case>[^/]+)/(?P<stage>fwd|bwd)/b(?P<n>\d+)/(?P<schedule>[^/]+)")
UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run_json(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out[out.index("{"):])


def seconds(b):
    return b["real_time"] * UNIT[b.get("time_unit", "ns")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln-conv-bench", default="build/bench/conv/kiln-conv-bench")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--filter", default=".")
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--repetitions", type=int, default=3,
                   help="runs per benchmark; the best is reported (this VM is noisy)")
    p.add_argument("--out")
    p.add_argument("--no-pytorch", action="store_true")
    args = p.parse_args(argv)
    t = str(args.threads)

    env = dict(os.environ, HL_NUM_THREADS=t)
    kiln = run_json([args.kiln_conv_bench, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}",
                     f"--benchmark_repetitions={args.repetitions}", f"--benchmark_filter=BM_peak_fma|{args.filter}"],
                    env)
    peak = None
    rows = {}
    schedules = []
    for b in kiln["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        if b["name"].startswith("BM_peak_fma"):
            peak = max(peak or 0, b["GFLOPs"] * args.threads)
            continue
        m = NAME_RE.match(b["name"])
        if not m:
            continue
        key = (m["case"], m["stage"], int(m["n"]))
        by = rows.setdefault(key, {})
        by[m["schedule"]] = max(by.get(m["schedule"], 0), b["GFLOPs"])
        if m["schedule"] not in schedules:
            schedules.append(m["schedule"])

    torch_rate = {}
    if not args.no_pytorch:
        penv = dict(os.environ, OMP_NUM_THREADS=t, OPENBLAS_NUM_THREADS=t, MKL_NUM_THREADS=t)
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            penv.pop(var, None)
        torch = run_json(["/usr/bin/python3", os.path.join(HERE, "pytorch", "conv_layers.py"), "--json",
                          "--threads", t, "--min-time", str(args.min_time), "--repetitions", str(args.repetitions),
                          "--filter", args.filter], penv)
        cases = {c["name"]: c for c in conv_layers.read_cases()}
        for b in torch["benchmarks"]:
            m = NAME_RE.match(b["name"])
            c = cases[m["case"]]
            wo, ho = (c["W"] + c["S"] - 1) // c["S"], (c["H"] + c["S"] - 1) // c["S"]
            flops = 2.0 * c["F"] * c["C"] * c["K"] ** 2 * wo * ho * int(m["n"])
            if m["stage"] == "bwd":
                flops *= 2 if c["d_in"] else 1
            key = (m["case"], m["stage"], int(m["n"]))
            torch_rate[key] = max(torch_rate.get(key, 0), flops / seconds(b) / 1e9)

    lines = [f"Convolution layers, {t} thread(s); peak (FMA loop x threads): {peak:.0f} GFLOP/s.",
             "GFLOP/s (% of peak); ratio = manual / PyTorch, > 1: kiln is faster.", ""]
    head = "| layer | pass | batch | " + " | ".join(schedules) + (" | PyTorch | ratio |" if torch_rate else " |")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for (case, stage, n), by in rows.items():
        cells = [f"{by[s]:.0f} ({by[s] / peak * 100:.0f}%)" if s in by else "-" for s in schedules]
        line = f"| {case} | {stage} | {n} | " + " | ".join(cells) + " |"
        if torch_rate:
            tr = torch_rate.get((case, stage, n))
            ratio = f"{by['manual'] / tr:.2f}x" if tr and "manual" in by else "-"
            line += f" {tr:.0f} | {ratio} |" if tr else " - | - |"
        lines.append(line)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
