#!/usr/bin/python3
"""kiln vs PyTorch: the one benchmark report command.

    /usr/bin/python3 bench/compare.py --kiln-bench build/bench/kiln-bench \\
        [--threads 1,2] [--filter REGEX] [--min-time S] [--out report.md] [--channels-last]

For each thread count T, one after the other (never concurrently: two thread pools on
the same cores make both sides several times slower), it runs
  1. kiln-bench --benchmark_format=json --benchmark_min_time=S --benchmark_filter=REGEX
     with HL_NUM_THREADS=T;
  2. bench/pytorch/bench.py --json --threads T --min-time S --filter REGEX
     with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=T and OPENBLAS_CORETYPE,
     OPENBLAS_L2_SIZE removed (this machine presets them; they slow OpenBLAS down);
and prints one markdown table, samples/s per side and kiln/PyTorch ratios (>1: kiln is
faster). --filter is a regex searched in the full names, BM_<net>/<stage>/<schedule> on
the kiln side and BM_<net>/<stage>/pytorch on ours, so filter on net/stage.

samples/s is computed from real_time (wall time per iteration) and the batch in the stage
name (train_b64 -> 64), not from items_per_second: Google Benchmark divides rate counters
by the main thread's CPU time unless the benchmark calls UseRealTime(), which overstates a
multi-threaded kiln. A mismatch is reported on stderr.

Testing without the binary: --kiln-json FILE reads saved kiln-bench JSON instead of
running it (FILE for every thread count, or T=FILE, repeatable, per thread count).
--no-kiln reports PyTorch alone.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_PY = os.path.join(HERE, "pytorch", "bench.py")
SCHEDULES = ("manual", "Mullapudi2016")
# Targets that are not the CPU PyTorch runs on; such kiln entries are left out of the table.
NON_CPU_TARGETS = {"cuda", "gpu", "opencl", "vulkan", "metal", "d3d12compute", "webgpu"}
NAME_RE = re.compile(r"^BM_(?P<net>[^/]+)/(?P<stage>[^/]+)/(?P<schedule>[^/]+)(?:/(?P<rest>.*))?$")
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run kiln-bench and the PyTorch reference, print a markdown table.")
    p.add_argument("--kiln-bench", default="build/bench/kiln-bench",
                   help="path to the kiln-bench binary (default: %(default)s)")
    p.add_argument("--kiln-json", action="append", default=[], metavar="[T=]FILE",
                   help="read saved kiln-bench JSON instead of running the binary")
    p.add_argument("--no-kiln", action="store_true", help="PyTorch figures only")
    p.add_argument("--threads", default=f"1,{os.cpu_count() or 1}",
                   help="comma-separated thread counts (default: %(default)s)")
    p.add_argument("--filter", default=".", help="benchmark name regex (default: all)")
    p.add_argument("--min-time", type=float, default=0.5,
                   help="seconds per benchmark, both sides (default: %(default)s)")
    p.add_argument("--out", help="also write the markdown report to this file")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with Debian's python3-torch (default: %(default)s)")
    p.add_argument("--channels-last", action="store_true",
                   help="PyTorch's image networks in channels-last memory format (bench.py --channels-last)")
    args = p.parse_args(argv)
    try:
        args.threads = sorted({int(t) for t in args.threads.split(",") if t.strip()})
    except ValueError:
        p.error(f"--threads wants comma-separated integers, got {args.threads!r}")
    if not args.threads or min(args.threads) < 1:
        p.error("--threads wants integers >= 1")
    try:
        re.compile(args.filter)
    except re.error as e:
        p.error(f"bad --filter regex {args.filter!r}: {e}")
    args.kiln_json = parse_kiln_json(p, args.kiln_json)
    if args.no_kiln and args.kiln_json:
        p.error("--no-kiln and --kiln-json exclude each other")
    if not args.no_kiln and not args.kiln_json:
        exe = args.kiln_bench
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            p.error(f"kiln-bench not found or not executable: {exe!r}. Build it "
                    "(cmake --build build --target kiln-bench), pass --kiln-bench PATH, "
                    "or use --kiln-json FILE / --no-kiln.")
    return args


def parse_kiln_json(p, specs):
    """['FILE'] or ['1=a.json', '2=b.json'] -> {threads or None: path}."""
    out = {}
    for spec in specs:
        m = re.match(r"^(\d+)=(.+)$", spec)
        t, path = (int(m.group(1)), m.group(2)) if m else (None, spec)
        if not os.path.isfile(path):
            p.error(f"--kiln-json: no such file {path!r}")
        out[t] = path
    return out


# --------------------------------------------------------------------------- running

def run_json(cmd, env, what):
    """Run a child that prints JSON on stdout; its stderr goes straight to ours."""
    print(f"[compare] {what}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    except OSError as e:
        sys.exit(f"compare.py: cannot run {cmd[0]}: {e}")
    if proc.returncode != 0:
        sys.exit(f"compare.py: {what} failed with exit status {proc.returncode}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        sys.exit(f"compare.py: {what} did not print JSON ({e}); first output:\n"
                 f"{proc.stdout[:500]}")


def busy_cpus(interval=0.5):
    """CPUs' worth of work other processes did over `interval` s (from /proc/stat).

    Measured just before each child starts, while compare.py itself sleeps: anything
    much above 0 means someone else (a compiler, say) shares the cores and the figures
    of that run are low. None where /proc/stat is unavailable.
    """
    def snapshot():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])
    try:
        busy0, total0 = snapshot()
        time.sleep(interval)
        busy1, total1 = snapshot()
    except (OSError, ValueError, IndexError):
        return None
    ncpu = os.cpu_count() or 1
    return ncpu * (busy1 - busy0) / max(total1 - total0, 1)


def note_load(what, loads):
    b = busy_cpus()
    if b is not None:
        loads.append((what, b))
        if b > 0.25:
            print(f"[compare] WARNING: {b:.2f} CPUs busy with other work before {what}; "
                  "its figures will be low", file=sys.stderr)


def run_kiln(args, t):
    env = dict(os.environ, HL_NUM_THREADS=str(t))
    cmd = [args.kiln_bench, "--benchmark_format=json",
           f"--benchmark_min_time={args.min_time}",
           f"--benchmark_filter={args.filter}"]
    return run_json(cmd, env, f"kiln-bench, HL_NUM_THREADS={t}")


def run_pytorch(args, t):
    env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t),
               MKL_NUM_THREADS=str(t))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [args.python, BENCH_PY, "--json", "--threads", str(t),
           "--min-time", str(args.min_time), "--filter", args.filter]
    if args.channels_last:
        cmd.append("--channels-last")
    return run_json(cmd, env, f"PyTorch, {t} thread(s)")


def load_kiln_json(args, t):
    path = args.kiln_json.get(t, args.kiln_json.get(None))
    if path is None:
        print(f"[compare] no --kiln-json for {t} thread(s): kiln columns left empty",
              file=sys.stderr)
        return {"benchmarks": []}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"compare.py: cannot read kiln JSON {path!r}: {e}")


# --------------------------------------------------------------------------- parsing

def samples_per_second(entry, stage, name):
    """Wall-clock samples/s of one Google Benchmark entry (None if unusable)."""
    if entry.get("error_occurred"):
        print(f"[compare] {name}: error: {entry.get('error_message', '?')}", file=sys.stderr)
        return None
    ips = entry.get("items_per_second")
    m = re.search(r"_b(\d+)$", stage)
    unit = UNIT_SECONDS.get(entry.get("time_unit", "ns"))
    real = entry.get("real_time")
    if not (m and unit and real):
        return ips  # stage without a batch in its name: trust the counter
    from_wall = int(m.group(1)) / (real * unit)
    if ips and abs(ips / from_wall - 1) > 0.05:
        print(f"[compare] {name}: items_per_second {ips:.4g} != batch/real_time "
              f"{from_wall:.4g}; using the latter (does the benchmark call UseRealTime()?)",
              file=sys.stderr)
    return from_wall


def collect(doc, t, side, table, order, name_filter):
    """Add one JSON document's entries to table[(net, stage, t)][column]."""
    sums = {}
    for e in doc.get("benchmarks", []):
        if e.get("run_type") == "aggregate":
            continue  # repetitions: we average the iterations ourselves
        name = e.get("name", "")
        m = NAME_RE.match(name)
        if not m or not re.search(name_filter, name):  # filter again: saved JSON
            continue
        net, stage, schedule = m.group("net", "stage", "schedule")
        target = (m.group("rest") or "").split("/")[0]
        if target.lower() in NON_CPU_TARGETS:
            print(f"[compare] {name}: not a CPU target, left out", file=sys.stderr)
            continue
        column = "pytorch" if side == "pytorch" else schedule
        if side == "kiln" and schedule not in SCHEDULES:
            print(f"[compare] {name}: unknown schedule {schedule!r}, left out",
                  file=sys.stderr)
            continue
        sps = samples_per_second(e, stage, name)
        if sps is None:
            continue
        order.setdefault("net", {}).setdefault(net, len(order["net"]))
        order.setdefault("stage", {}).setdefault(stage, len(order["stage"]))
        sums.setdefault((net, stage, t, column), []).append(sps)
    for (net, stage, t, column), values in sums.items():
        table.setdefault((net, stage, t), {})[column] = sum(values) / len(values)


# --------------------------------------------------------------------------- report

def fmt_rate(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def fmt_ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def render(args, table, order, pytorch_ctx, kiln_ctx, loads):
    lines = ["# kiln vs PyTorch", ""]
    ctx = pytorch_ctx or kiln_ctx or {}
    lines.append(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    lines.append(f"- machine: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs, "
                 f"{pytorch_ctx.get('cpu_model', '?') if pytorch_ctx else '?'}")
    if pytorch_ctx:
        lines.append(f"- PyTorch {pytorch_ctx.get('torch_version', '?')}, "
                     f"BLAS: {pytorch_ctx.get('blas', '?')}")
        if "reference" in pytorch_ctx.get("blas", ""):
            lines.append("- **WARNING: PyTorch ran on netlib's unoptimised reference BLAS; "
                         "ratios against it overstate kiln. Install libopenblas0-openmp.**")
    if args.no_kiln:
        lines.append("- kiln: not run (--no-kiln)")
    elif args.kiln_json:
        srcs = ", ".join(f"{'all' if t is None else t}: {p}"
                         for t, p in sorted(args.kiln_json.items(), key=lambda x: x[0] or 0))
        lines.append(f"- kiln: saved JSON ({srcs}), NOT measured in this run")
    else:
        lines.append(f"- kiln: {args.kiln_bench} (HL_NUM_THREADS = threads)")
    if loads:
        worst = max(b for _, b in loads)
        flag = " **(other work shared the cores: figures unreliable)**" if worst > 0.25 else ""
        lines.append("- CPUs busy with other work just before each run: " +
                     ", ".join(f"{w} {b:.2f}" for w, b in loads) + flag)
    lines.append(f"- min time {args.min_time} s per benchmark, filter `{args.filter}`; "
                 "samples/s from wall time; ratio > 1: kiln faster")
    lines.append("")
    header = ["net", "stage", "threads", "kiln manual samples/s",
              "kiln Mullapudi2016 samples/s", "PyTorch samples/s",
              "manual/PyTorch", "Mullapudi/PyTorch"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 3 + ["---:"] * 5) + "|")
    nets, stages = order.get("net", {}), order.get("stage", {})
    for key in sorted(table, key=lambda k: (nets[k[0]], stages[k[1]], k[2])):
        row = table[key]
        man, mul, pt = row.get("manual"), row.get("Mullapudi2016"), row.get("pytorch")
        cells = [key[0], key[1], str(key[2]), fmt_rate(man), fmt_rate(mul), fmt_rate(pt),
                 fmt_ratio(man, pt), fmt_ratio(mul, pt)]
        lines.append("| " + " | ".join(cells) + " |")
    if not table:
        lines.append("| (no benchmark matched) |" + " |" * 7)
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    kiln_docs, pytorch_docs, loads = {}, {}, []
    for t in args.threads:
        # kiln first, then PyTorch: strictly one after the other, never overlapping.
        if args.kiln_json:
            kiln_docs[t] = load_kiln_json(args, t)
        elif not args.no_kiln:
            note_load(f"kiln-bench, {t} thread(s)", loads)
            kiln_docs[t] = run_kiln(args, t)
        note_load(f"PyTorch, {t} thread(s)", loads)
        pytorch_docs[t] = run_pytorch(args, t)
    table, order = {}, {}
    for t, doc in pytorch_docs.items():  # PyTorch first: rows follow models.py's order
        collect(doc, t, "pytorch", table, order, args.filter)
    for t, doc in kiln_docs.items():
        collect(doc, t, "kiln", table, order, args.filter)
    pytorch_ctx = next((d.get("context") for d in pytorch_docs.values()), None)
    kiln_ctx = next((d.get("context") for d in kiln_docs.values()), None)
    report = render(args, table, order, pytorch_ctx, kiln_ctx, loads)
    print(report, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
        print(f"[compare] report written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
