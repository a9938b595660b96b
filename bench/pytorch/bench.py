#!/usr/bin/python3
"""PyTorch reference timings for kiln's benchmark networks (bench/pytorch/models.py).

Usage (normally through bench/compare.py, which sets the environment for you):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
      /usr/bin/python3 bench/pytorch/bench.py --threads 1 [--filter REGEX] \\
                                              [--min-time 0.5] [--json] [--channels-last]
                                              [--device cuda [--no-tf32]]
    /usr/bin/python3 bench/pytorch/bench.py --threads 1 --list [--filter REGEX]

Benchmarks are named BM_<net>/<stage>/pytorch, stages as in kiln-bench, each net's own
list (models.py's Net.stages; by default train_b64, infer_b1, infer_b64):
    train_b<N>  forward + loss (the net's: BCE or softmax cross-entropy) + backward + plain
                SGD step (lr 0.01, no momentum, no weight decay: kiln-bench's kiln::sgd),
                batch N; batch norms in training mode (batch statistics, running averages
                updated), as kiln's training pipeline
    infer_b<N>  forward + the head (sigmoid or softmax) under torch.no_grad(), eval mode,
                batch N
Counters (as kiln-bench's): flop_per_sample, the forward FLOPs of one sample from
models.forward_flops (a train stage counts 3x forward: the backward's d_x and d_W are
each about one forward), and GFLOPs, flop_per_sample x samples/s.

Timing follows Google Benchmark's runner: after a short warm-up, run n iterations, and
while the run took less than --min-time, grow n (x min_time*1.4/elapsed, at most x10 when
the run was under 10% of min_time) and run again; report the last run, mean per
iteration. Image nets (models.py's in_shape) take NCHW input in PyTorch's default memory format;
--channels-last gives them channels-last input and weights (the names do not change: the
JSON context says which format ran).
The stopping rule and items_per_second use WALL time (as a Google Benchmark
with UseRealTime()); cpu_time is this thread's CPU time, as Google Benchmark reports it.
--json prints Google-Benchmark-shaped JSON so compare.py reads both sides the same way.
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys
import time

# Environment variables that OpenBLAS reads once, when the library loads: checked before
# `import torch`. This machine presets the last two; with them OpenBLAS takes a slower
# path (measured ~2x slower), so the figures would not be PyTorch's.
_MUST_EQUAL_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_MUST_BE_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, required=True,
                   help="intra-op threads (torch.set_num_threads); interop is 1")
    p.add_argument("--filter", default=".",
                   help="regex searched in the benchmark name (as --benchmark_filter)")
    p.add_argument("--min-time", type=float, default=0.5,
                   help="minimum seconds per benchmark (as --benchmark_min_time)")
    p.add_argument("--json", action="store_true",
                   help="print Google-Benchmark-compatible JSON instead of a table")
    p.add_argument("--channels-last", action="store_true",
                   help="image nets: channels-last input and weights (default: NCHW)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: the model and data on the GPU, names BM_<net>/<stage>/pytorch/cuda; "
                        "each step ends with the loss (or the predictions) on the host, as "
                        "kiln-bench's CUDA steps do, which also waits for the GPU")
    p.add_argument("--no-tf32", action="store_true",
                   help="cuda: strict FP32 (torch.backends.cudnn.allow_tf32 and "
                        "torch.backends.cuda.matmul.allow_tf32 off); by default PyTorch's own "
                        "settings, under which cuDNN's convolutions run in TF32 on Ampere and later")
    p.add_argument("--list", action="store_true",
                   help="print the names --filter selects, one a line, and run nothing "
                        "(--threads is not checked then)")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.min_time <= 0:
        p.error("--min-time must be > 0")
    return args


def check_environment(threads):
    """Return a list of problems with the thread/OpenBLAS environment (empty when fine)."""
    problems = []
    for name in _MUST_EQUAL_THREADS:
        value = os.environ.get(name)
        if value != str(threads):
            problems.append(f"{name}={value if value is not None else '(unset)'}, "
                            f"must be {threads}")
    for name in _MUST_BE_UNSET:
        if name in os.environ:
            problems.append(f"{name}={os.environ[name]} is set, must be unset "
                            f"(it makes OpenBLAS slower)")
    return problems


def refuse(threads, problems):
    t = threads
    sys.exit(
        "bench.py: refusing to run, the thread environment does not match --threads "
        f"{t}:\n  " + "\n  ".join(problems) + "\n"
        "Run it through the comparison script, which sets this for you:\n"
        f"  /usr/bin/python3 bench/compare.py --threads {t} ...\n"
        "or set it yourself:\n"
        f"  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS={t} "
        f"OPENBLAS_NUM_THREADS={t} MKL_NUM_THREADS={t} \\\n"
        f"    /usr/bin/python3 bench/pytorch/bench.py --threads {t}")


# --------------------------------------------------------------------------- timing

def time_it(step, min_time):
    """Google-Benchmark-style: returns (iterations, wall seconds, thread-CPU seconds)."""
    # Warm-up: first calls allocate, pick kernels, spin up the OpenMP pool.
    warm_end = time.perf_counter() + min(0.2, 0.2 * min_time)
    for _ in range(3):
        step()
    while time.perf_counter() < warm_end:
        step()

    iters = 1
    while True:
        c0 = time.thread_time()
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        wall = time.perf_counter() - t0
        cpu = time.thread_time() - c0
        if wall >= min_time:
            return iters, wall, cpu
        multiplier = min_time * 1.4 / max(wall, 1e-9) if wall / min_time > 0.1 else 10.0
        iters = max(int(round(multiplier * iters)), iters + 1)


def make_step(torch, net, batch, training, generator, channels_last=False, device="cpu"):
    """One closure per benchmark: the timed body, inputs prepared outside it."""
    model = net.build().to(device)
    x = torch.randn(batch, *(net.in_shape or (net.in_features,)), generator=generator,
                    dtype=torch.float32).to(device)
    on_gpu = device != "cpu"
    if net.in_shape and channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if not training:
        model.eval()

        def infer():
            with torch.no_grad():
                p = net.predict(model(x))
                return p.cpu() if on_gpu else p
        return infer

    model.train()
    y = net.make_target(batch, generator).to(device)
    loss_fn = net.make_loss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)  # plain SGD: no momentum/decay

    def train():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item() if on_gpu else loss
    return train


# --------------------------------------------------------------------------- report

def context(torch, threads, channels_last=False):
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": platform.node(),
        "executable": f"{sys.executable} {os.path.abspath(__file__)}",
        "num_cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "threads": threads,
        "interop_threads": torch.get_num_interop_threads(),
        "library": "pytorch",
        "torch_version": torch.__version__,
        "blas": blas_in_use(),
        "library_build_type": "release",
        "image_memory_format": "channels_last" if channels_last else "contiguous (NCHW)",
    }


def blas_in_use():
    """Which BLAS library this process loaded (PyTorch's nn.Linear goes through it).

    Debian's python3-torch links libblas.so.3, which is whatever the alternatives system
    points at: netlib's reference BLAS (libblas3) unless an optimised one is installed.
    Reference BLAS is several times slower on these nets, a baseline kiln must not be
    compared against without saying so.
    """
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split(None, 5)[-1].strip()
                name = os.path.basename(path).lower()
                if "blas" in name or "mkl" in name or "blis" in name:
                    libs.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    if not libs:
        return "unknown"
    joined = " ".join(sorted(libs))
    low = joined.lower()
    if "openblas" in low:
        kind = "OpenBLAS"
    elif "mkl" in low:
        kind = "MKL"
    elif "blis" in low:
        kind = "BLIS"
    elif "/blas/libblas" in low:
        kind = "netlib reference BLAS (unoptimised)"
    else:
        kind = "other"
    return f"{kind}: {joined}"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_table(ctx, results):
    print(f"PyTorch {ctx['torch_version']}, {ctx['threads']} thread(s), "
          f"{ctx['num_cpus']} CPU(s): {ctx['cpu_model']}")
    print(f"BLAS: {ctx['blas']}; image nets: {ctx['image_memory_format']}")
    w = max([len(r["name"]) for r in results] + [9])
    print(f"{'Benchmark':<{w}} {'time/iter':>14} {'CPU/iter':>14} "
          f"{'iterations':>11} {'samples/s':>14} {'GFLOP/s':>9}")
    print("-" * (w + 67))
    for r in results:
        print(f"{r['name']:<{w}} {r['real_time']:>11.2f} us {r['cpu_time']:>11.2f} us "
              f"{r['iterations']:>11d} {r['items_per_second']:>14.1f} {r['GFLOPs']:>9.3g}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problems = [] if args.list else check_environment(args.threads)
    if problems:
        refuse(args.threads, problems)
    try:
        pattern = re.compile(args.filter)
    except re.error as e:
        sys.exit(f"bench.py: bad --filter regex {args.filter!r}: {e}")
    if args.list:
        sys.dont_write_bytecode = True
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from models import NETS
        for net, spec in NETS.items():
            for stage in spec.stages_on(args.device):
                if pattern.search(f"BM_{net}/{stage}/pytorch"):
                    print(f"BM_{net}/{stage}/pytorch")
        return

    import torch  # only now: OpenBLAS/OpenMP read the environment when loaded
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from models import NETS, forward_flops, parse_stage

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure the BLAS is loaded before we look
    if "reference" in blas_in_use():
        print("bench.py: WARNING: PyTorch is running on netlib's reference BLAS, several "
              "times slower than OpenBLAS here; install libopenblas0-openmp for a fair "
              "baseline.", file=sys.stderr)

    suffix = "/cuda" if args.device == "cuda" else ""
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench.py: --device cuda, but this PyTorch sees no CUDA device")
    if args.no_tf32:
        if args.device != "cuda":
            sys.exit("bench.py: --no-tf32 is for --device cuda (TF32 is a GPU format)")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    jobs = [(f"BM_{net}/{stage}/pytorch{suffix}", net, stage)
            for net in NETS for stage in NETS[net].stages_on(args.device)]
    jobs = [j for j in jobs if pattern.search(j[0])]
    if not jobs:
        print(f"bench.py: no benchmark matches --filter {args.filter!r}", file=sys.stderr)

    results, flops = [], {}
    for name, net, stage in jobs:
        batch, training = parse_stage(stage)
        if net not in flops:
            flops[net] = forward_flops(NETS[net])
        flop_per_sample = flops[net] * (3 if training else 1)
        torch.manual_seed(0)  # fixed weights...
        gen = torch.Generator().manual_seed(1234)  # ...and fixed inputs
        step = make_step(torch, NETS[net], batch, training, gen, args.channels_last, args.device)
        iters, wall, cpu = time_it(step, args.min_time)
        results.append({
            "name": name,
            "run_name": name,
            "run_type": "iteration",
            "repetitions": 1,
            "repetition_index": 0,
            "threads": 1,
            "iterations": iters,
            "real_time": wall / iters * 1e6,
            "cpu_time": cpu / iters * 1e6,
            "time_unit": "us",
            "items_per_second": iters * batch / wall,
            "flop_per_sample": flop_per_sample,
            "GFLOPs": flop_per_sample * iters * batch / wall / 1e9,
        })

    ctx = context(torch, args.threads, args.channels_last)
    if args.device == "cuda":
        ctx["device"] = torch.cuda.get_device_name(0)
        ctx["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32
        ctx["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
    if args.json:
        json.dump({"context": ctx, "benchmarks": results}, sys.stdout, indent=2)
        print()
    else:
        print_table(ctx, results)


if __name__ == "__main__":
    main()
