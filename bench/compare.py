#!/usr/bin/python3
"""kiln vs PyTorch: the one benchmark report command.

    /usr/bin/python3 bench/compare.py --kiln-bench build/bench/kiln-bench \\
        [--threads 1,2] [--filter REGEX] [--min-time S] [--out report.md] [--repeat K]
        [--channels-last | --layouts both] [--ms] [--wait-idle S] [--split]
        [--devices cpu,cuda]

For each thread count T, one after the other (never concurrently: two thread pools on
the same cores make both sides several times slower), it runs
  1. kiln-bench --benchmark_format=json --benchmark_min_time=S --benchmark_filter=REGEX
     with HL_NUM_THREADS=T;
  2. bench/pytorch/bench.py --json --threads T --min-time S --filter REGEX
     with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=T and OPENBLAS_CORETYPE,
     OPENBLAS_L2_SIZE removed (this machine presets them; they slow OpenBLAS down);
and prints one markdown table, samples/s per side (--ms: milliseconds per iteration, i.e.
per batch) and kiln/PyTorch ratios (>1: kiln is faster). --filter is a regex searched in
the full names, BM_<net>/<stage>/<schedule> on the kiln side and BM_<net>/<stage>/pytorch on
ours, so filter on net/stage. Stages are train_b<N> / infer_b<N>, each net its own list.

--repeat K runs both sides K times per thread count (kiln, PyTorch, kiln, ...) and keeps
each benchmark's best run. --layouts both runs PyTorch twice, in its default NCHW memory
format and channels-last (bench.py --channels-last), as two columns; --channels-last alone
is --layouts channels_last.

A shared machine: the report notes the other work on the cores (CPUs' worth) just before
and during each run. --wait-idle S waits up to S s for idle cores before each run and
repeats a run that others' work disturbed (up to 3 tries). --split runs each net/stage as
its own pair of children (kiln-bench, then PyTorch): short runs fit the idle spells
between compiles, and a retry redoes one stage only.

--devices cpu,cuda prints one table per target: on cpu, kiln's host builds (manual,
Mullapudi2016) against PyTorch on the CPU; on cuda, kiln's CUDA builds (BM_.../cuda: manual,
Li2018) against bench.py --device cuda, with one host thread and no % of peak (kiln-bench
measures the CPU's). On cuda PyTorch runs twice, with its own settings (cuDNN's convolutions
in TF32: "PyTorch TF32") and in strict FP32 (bench.py --no-tf32: "PyTorch FP32"), a column
and a ratio each. The default is cpu.

GFLOP/s and % of peak: both sides report flop_per_sample (kiln-bench from the network
type, bench.py from the PyTorch model: 2 F C KH KW W' H' per conv, 2 in out per dense; a
train stage counts 3x forward); a disagreement is reported on stderr. GFLOP/s =
flop_per_sample x samples/s; % of peak divides by the FMA peak kiln-bench measured at start-up
on as many threads (its JSON context's peak_fma_gflops; "-" without a kiln run).

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
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_PY = os.path.join(HERE, "pytorch", "bench.py")
SCHEDULES = {"cpu": ("manual", "Mullapudi2016"), "cuda": ("manual", "Li2018")}
# Targets that are not the CPU PyTorch runs on; such kiln entries are left out of the table.
NON_CPU_TARGETS = {"cuda", "gpu", "opencl", "vulkan", "metal", "d3d12compute", "webgpu"}
NAME_RE = re.compile(r"^BM_(?P<net>[^/]+)/(?P<stage>[^/]+)/(?P<schedule>[^/]+)(?:/(?P<rest>.*))?$")
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# PyTorch's memory formats: the table column and its heading.
LAYOUT_COLUMN = {"default": "pytorch", "channels_last": "pytorch_cl"}
LAYOUT_LABEL = {"default": "NCHW", "channels_last": "channels-last"}


def pytorch_variants(args, device):
    """PyTorch's runs on one target, a table column each: (column, heading, what, bench.py
    flags). On cuda each layout runs twice: with PyTorch's own settings (cuDNN's convolutions
    in TF32) and in strict FP32 (--no-tf32), the figure kiln's FP32 kernels compete with."""
    out = []
    for layout in args.layouts:
        column = LAYOUT_COLUMN[layout]
        heading = "PyTorch" if layout == "default" or args.layouts == ["channels_last"] else "PyTorch CL"
        flags = ["--channels-last"] if layout == "channels_last" else []
        if device == "cuda":
            out.append((column, heading + " TF32", f"{LAYOUT_LABEL[layout]}, TF32", flags))
            out.append((column + "_fp32", heading + " FP32", f"{LAYOUT_LABEL[layout]}, FP32", flags + ["--no-tf32"]))
        else:
            out.append((column, heading, LAYOUT_LABEL[layout], flags))
    return out


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
    p.add_argument("--layouts", choices=("default", "channels_last", "both"),
                   help="PyTorch memory formats to run: default (NCHW), channels_last or both "
                        "(two PyTorch columns)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per side and thread count; the best of them is reported (default: 1)")
    p.add_argument("--ms", action="store_true",
                   help="report milliseconds per iteration (one batch) instead of samples/s")
    p.add_argument("--split", action="store_true",
                   help="one kiln-bench and one PyTorch run per net/stage (short runs, "
                        "interleaved; see --wait-idle)")
    p.add_argument("--devices", default="cpu",
                   help="targets, comma-separated: cpu, cuda (a table each; default cpu)")
    p.add_argument("--wait-idle", type=float, default=0, metavar="S",
                   help="before each run wait (at most S seconds) for the other work on the "
                        "cores to stop, and run again one that others disturbed (default: 0, off)")
    args = p.parse_args(argv)
    if args.channels_last and args.layouts not in (None, "channels_last"):
        p.error("--channels-last is --layouts channels_last; pass one of them")
    layouts = args.layouts or ("channels_last" if args.channels_last else "default")
    args.layouts = ["default", "channels_last"] if layouts == "both" else [layouts]
    if args.repeat < 1:
        p.error("--repeat wants an integer >= 1")
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
    args.devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    if not args.devices or any(d not in SCHEDULES for d in args.devices):
        p.error(f"--devices wants cpu and/or cuda, comma-separated, got {','.join(args.devices)!r}")
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


IDLE_CPUS = 0.25  # more other work than this, on average, makes a run's figures low


def _cpu_jiffies():
    """(busy, total) jiffies of all CPUs so far, from /proc/stat; None if unavailable."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def _children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_for_idle(max_wait):
    """Sleep until other work stays under IDLE_CPUS for 3 one-second windows in a row, or
    max_wait seconds have passed."""
    end, calm = time.monotonic() + max_wait, 0
    while calm < 3 and time.monotonic() < end:
        b = busy_cpus(1.0)
        if b is None:
            return
        calm = calm + 1 if b < IDLE_CPUS else 0
    if calm < 3:
        print(f"[compare] the cores were not idle within {max_wait:.0f} s; running anyway",
              file=sys.stderr)


def measured(args, what, loads, run):
    """Run one child (run() returns its JSON) and note the other work on the cores just
    before it and, on average, during it (all CPUs' busy time from /proc/stat less the
    child's own CPU time). With --wait-idle: wait for idle cores first, and run again
    (up to 3 tries in all) when others' work during the run exceeded IDLE_CPUS."""
    tries = 3 if args.wait_idle else 1
    for attempt in range(tries):
        if args.wait_idle:
            wait_for_idle(args.wait_idle)
        before = busy_cpus()
        j0, c0, t0 = _cpu_jiffies(), _children_cpu_seconds(), time.monotonic()
        doc = run()
        j1, c1, wall = _cpu_jiffies(), _children_cpu_seconds(), time.monotonic() - t0
        during = None
        if j0 and j1 and j1[1] > j0[1] and wall > 0:
            ncpu = os.cpu_count() or 1
            during = max(0.0, ncpu * (j1[0] - j0[0]) / (j1[1] - j0[1]) - (c1 - c0) / wall)
        if before is not None and before > IDLE_CPUS:
            print(f"[compare] WARNING: {before:.2f} CPUs busy with other work before {what}; "
                  "its figures will be low", file=sys.stderr)
        if during is not None and during > IDLE_CPUS:
            print(f"[compare] WARNING: {during:.2f} CPUs busy with other work during {what}"
                  + ("; running it again" if attempt + 1 < tries else "; its figures are low"),
                  file=sys.stderr)
            if attempt + 1 < tries:
                continue
        loads.append((what, before, during))
        return doc


def run_kiln(args, t, name_filter=None, device="cpu"):
    env = dict(os.environ, HL_NUM_THREADS=str(t))
    pattern = name_filter or args.filter
    if device == "cuda":  # only the CUDA builds' benchmarks (POSIX ERE, as kiln-bench's)
        pattern = f"({pattern}).*/cuda/real_time$"  # names end in /real_time (UseRealTime)
    cmd = [args.kiln_bench, "--benchmark_format=json",
           f"--benchmark_min_time={args.min_time}",
           f"--benchmark_filter={pattern}"]
    return run_json(cmd, env, f"kiln-bench, HL_NUM_THREADS={t}")


def run_pytorch(args, t, variant, name_filter=None, device="cpu"):
    env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t),
               MKL_NUM_THREADS=str(t))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [args.python, BENCH_PY, "--json", "--threads", str(t),
           "--min-time", str(args.min_time), "--filter", name_filter or args.filter]
    cmd += variant[3]
    if device != "cpu":
        cmd += ["--device", device]
    return run_json(cmd, env, f"PyTorch {variant[2]} on {device}, {t} thread(s)")


def list_units(args):
    """--split: the (net, stage) pairs --filter selects on either side, PyTorch's order first."""
    names = []
    try:
        out = subprocess.run([args.python, BENCH_PY, "--threads", "1", "--list",
                              "--filter", args.filter], stdout=subprocess.PIPE, text=True, check=True)
        names += out.stdout.split()
        if not (args.no_kiln or args.kiln_json):
            out = subprocess.run([args.kiln_bench, "--benchmark_list_tests",
                                  f"--benchmark_filter={args.filter}"],
                                 stdout=subprocess.PIPE, text=True, check=True)
            names += out.stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"compare.py: --split could not list the benchmarks: {e}")
    units = []
    for name in names:
        m = NAME_RE.match(name)
        if m and (m.group("net"), m.group("stage")) not in units:
            units.append((m.group("net"), m.group("stage")))
    return units


def merge_docs(docs):
    """One Google-Benchmark-shaped document from several runs' (the first one's context)."""
    docs = [d for d in docs if d is not None]
    if not docs:
        return {"benchmarks": []}
    return {"context": docs[0].get("context", {}),
            "benchmarks": [e for d in docs for e in d.get("benchmarks", [])]}


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


def batch_of(stage):
    m = re.search(r"_b(\d+)$", stage)
    return int(m.group(1)) if m else None


def collect(doc, t, side, table, order, name_filter, flops, pytorch_column="pytorch", device="cpu"):
    """Add one JSON document's entries for `device` to table[(net, stage, t)][column], keeping
    the best (highest samples/s) where an earlier run (--repeat) filled it, and each entry's
    flop_per_sample to flops[(net, stage)][side]."""
    sums = {}
    for e in doc.get("benchmarks", []):
        if e.get("run_type") == "aggregate":
            continue  # repetitions: we average the iterations ourselves
        name = e.get("name", "")
        m = NAME_RE.match(name)
        if not m or not re.search(name_filter, name):  # filter again: saved JSON
            continue
        net, stage, schedule = m.group("net", "stage", "schedule")
        target = (m.group("rest") or "").split("/")[0].lower()
        if (target in NON_CPU_TARGETS) != (device != "cpu") or (device != "cpu" and target != device):
            if device == "cpu":
                print(f"[compare] {name}: not a CPU target, left out of the cpu table", file=sys.stderr)
            continue
        column = pytorch_column if side == "pytorch" else schedule
        if side == "kiln" and schedule not in SCHEDULES[device]:
            print(f"[compare] {name}: unknown schedule {schedule!r}, left out",
                  file=sys.stderr)
            continue
        sps = samples_per_second(e, stage, name)
        if sps is None:
            continue
        if e.get("flop_per_sample"):
            flops.setdefault((net, stage), {}).setdefault(side, float(e["flop_per_sample"]))
        order.setdefault("net", {}).setdefault(net, len(order["net"]))
        order.setdefault("stage", {}).setdefault(stage, len(order["stage"]))
        sums.setdefault((net, stage, t, column), []).append(sps)
    for (net, stage, t, column), values in sums.items():
        row = table.setdefault((net, stage, t), {})
        row[column] = max(row.get(column, 0), sum(values) / len(values))


def flop_per_sample(flops, net, stage):
    """One figure per (net, stage), kiln's where both sides report one (they should agree)."""
    sides = flops.get((net, stage), {})
    k, p = sides.get("kiln"), sides.get("pytorch")
    if k and p and abs(k / p - 1) > 0.005:
        print(f"[compare] {net}/{stage}: kiln counts {k:.6g} FLOP per sample, PyTorch "
              f"{p:.6g}: the twins differ", file=sys.stderr)
    return k or p


def kiln_peak(doc):
    """The FMA peak kiln-bench measured on its thread count, in GFLOP/s (None if absent)."""
    try:
        return float(doc.get("context", {}).get("peak_fma_gflops"))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- report

def fmt_rate(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def fmt_ms(sps, stage):
    b = batch_of(stage)
    if sps is None or not b:
        return "-"
    ms = b / sps * 1e3
    return f"{ms:,.0f}" if ms >= 1000 else f"{ms:.3g}"


def fmt_ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def fmt_gflops(sps, fps, peak):
    if sps is None or not fps:
        return "-"
    g = sps * fps / 1e9
    text = f"{g:.3g}"
    return text + (f" ({100 * g / peak:.0f}%)" if peak else "")


def render(args, table, order, pytorch_ctx, kiln_ctx, loads, flops=None, peaks=None, device="cpu"):
    flops, peaks = flops or {}, peaks or {}
    lines = ["# kiln vs PyTorch" + ("" if device == "cpu" else f" on {device}"), ""]
    ctx = pytorch_ctx or kiln_ctx or {}
    lines.append(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    lines.append(f"- machine: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs, "
                 f"{pytorch_ctx.get('cpu_model', '?') if pytorch_ctx else '?'}")
    if pytorch_ctx:
        lines.append(f"- PyTorch {pytorch_ctx.get('torch_version', '?')}, "
                     f"BLAS: {pytorch_ctx.get('blas', '?')}; image nets: " +
                     " and ".join(LAYOUT_LABEL[l] for l in args.layouts))
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
    if peaks:
        lines.append("- FMA peak measured by kiln-bench, GFLOP/s: " +
                     ", ".join(f"{t} thread(s) {p:.1f}" for t, p in sorted(peaks.items())))
    if loads:
        worst = max([x for _, b, d in loads for x in (b, d) if x is not None] or [0])
        flag = " **(other work shared the cores: figures unreliable)**" if worst > IDLE_CPUS else ""
        fmt = lambda x: "?" if x is None else f"{x:.2f}"  # noqa: E731
        if len(loads) <= 8:
            lines.append("- CPUs busy with other work just before / during each run: " +
                         ", ".join(f"{w} {fmt(b)} / {fmt(d)}" for w, b, d in loads) + flag)
        else:
            def stats(i):
                v = [x[i] for x in loads if x[i] is not None]
                return f"worst {fmt(max(v) if v else None)}, mean {fmt(sum(v) / len(v) if v else None)}"
            lines.append(f"- CPUs busy with other work over the {len(loads)} runs: just before "
                         f"{stats(1)}; during {stats(2)}" + flag)
    unit = "ms per iteration (one batch)" if args.ms else "samples/s"
    lines.append(f"- min time {args.min_time} s per benchmark, filter `{args.filter}`"
                 + (f", best of {args.repeat} runs" if args.repeat > 1 else "") +
                 f"; {unit} from wall time; ratio > 1: kiln faster")
    if flops:
        lines.append("- GFLOP/s: forward 2 F C KH KW W' H' per conv, 2 in out per dense; a train "
                     "stage counts 3x forward; (%): of the FMA peak on as many threads")
    lines.append("")
    present = {c for row in table.values() for c in row}
    kiln_cols = [s for s in SCHEDULES[device] if s in present] or list(SCHEDULES[device])
    variants = pytorch_variants(args, device)
    pt_cols = [v[0] for v in variants]
    label = {v[0]: v[1] for v in variants}
    short = {"manual": "manual", "Mullapudi2016": "Mullapudi", "Li2018": "Li2018"}
    what = "ms" if args.ms else "samples/s"
    header = ["net", "stage", "threads"]
    header += [f"kiln {s} {what}" for s in kiln_cols]
    header += [f"{label[c]} {what}" for c in pt_cols]
    header += [f"{short[s]}/{label[c]}" for s in kiln_cols for c in pt_cols]
    with_flops = bool(flops)
    if with_flops:
        header += [f"kiln {s} GFLOP/s" for s in kiln_cols]
        header += [f"{label[c]} GFLOP/s" for c in pt_cols]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")
    nets, stages = order.get("net", {}), order.get("stage", {})
    for key in sorted(table, key=lambda k: (nets[k[0]], stages[k[1]], k[2])):
        row = table[key]
        net, stage, t = key
        shown = (lambda v: fmt_ms(v, stage)) if args.ms else fmt_rate
        cells = [net, stage, str(t)]
        cells += [shown(row.get(c)) for c in kiln_cols + pt_cols]
        cells += [fmt_ratio(row.get(s), row.get(c)) for s in kiln_cols for c in pt_cols]
        if with_flops:
            fps = flop_per_sample(flops, net, stage)
            cells += [fmt_gflops(row.get(c), fps, peaks.get(t)) for c in kiln_cols + pt_cols]
        lines.append("| " + " | ".join(cells) + " |")
    if not table:
        lines.append("| (no benchmark matched) |" + " |" * (len(header) - 1))
    return "\n".join(lines) + "\n"


def report_for(args, device):
    """Runs both sides for one target and renders its table."""
    kiln_docs, pytorch_docs, loads = [], [], []
    # [(None, None)]: one run per side covers every benchmark; --split: one per net/stage.
    units = [(u, f"^BM_{re.escape(u[0])}/{re.escape(u[1])}/") for u in list_units(args)] \
        if args.split else [(None, None)]
    threads = args.threads if device == "cpu" else [1]  # a GPU run: one host thread
    for t in threads:
        for _ in range(args.repeat):
            variants = pytorch_variants(args, device)
            kiln_run, pytorch_run = [], {v[0]: [] for v in variants}
            for unit, name_filter in units:
                tag = f" {unit[0]}/{unit[1]}" if unit else ""
                # kiln first, then PyTorch: strictly one after the other, never overlapping.
                if not args.no_kiln and not args.kiln_json:
                    kiln_run.append(measured(args, f"kiln-bench{tag} on {device}, {t} thread(s)", loads,
                                             lambda: run_kiln(args, t, name_filter, device)))
                for v in variants:
                    what = f"PyTorch {v[2]}{tag} on {device}, {t} thread(s)"
                    pytorch_run[v[0]].append(measured(
                        args, what, loads, lambda: run_pytorch(args, t, v, name_filter, device)))
            if args.kiln_json:
                if not any(dt == t for dt, _ in kiln_docs):
                    kiln_docs.append((t, load_kiln_json(args, t)))
            elif not args.no_kiln:
                kiln_docs.append((t, merge_docs(kiln_run)))
            for v in variants:
                pytorch_docs.append((t, v[0], merge_docs(pytorch_run[v[0]])))
    table, order, flops, peaks = {}, {}, {}, {}
    for t, column, doc in pytorch_docs:  # PyTorch first: rows follow models.py's order
        collect(doc, t, "pytorch", table, order, args.filter, flops, column, device)
    for t, doc in kiln_docs:
        collect(doc, t, "kiln", table, order, args.filter, flops, device=device)
        if device == "cpu" and (p := kiln_peak(doc)) is not None:  # the CPU's peak only
            peaks[t] = max(peaks.get(t, 0), p)
    pytorch_ctx = next((d.get("context") for _, _, d in pytorch_docs), None)
    kiln_ctx = next((d.get("context") for _, d in kiln_docs), None)
    return render(args, table, order, pytorch_ctx, kiln_ctx, loads, flops, peaks, device)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    report = "\n".join(report_for(args, device) for device in args.devices)
    print(report, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
        print(f"[compare] report written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
