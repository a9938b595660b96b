#!/usr/bin/python3
"""PyTorch timings of the convolution layers of bench/conv/cases.hpp (kiln-conv-bench's).

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch/conv_layers.py [--threads 1] [--json]

For each case and batch 1 and 8, channels-last float32 (the layout kiln uses, and
PyTorch's fastest on CPU here), same padding:
    fwd  y = relu(conv2d(x, W, b)) under torch.no_grad()
    bwd  the same forward with autograd, then backward of <y, dy> (d_W, d_b, and d_x where
         the case asks for it), timed together with the forward it needs
Printed as Google-Benchmark-shaped JSON (--json) or a table: BM_conv/<case>/<stage>/b<N>/pytorch.
"""

import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_HPP = os.path.join(HERE, "..", "conv", "cases.hpp")
CASE_RE = re.compile(r"X\((\w+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(true|false)\)")


def read_cases(path=CASES_HPP):
    with open(path) as f:
        text = f.read()
    cases = []
    for m in CASE_RE.finditer(text):
        name, H, W, C, F, K, S, d_in = m.groups()
        cases.append(dict(name=name, H=int(H), W=int(W), C=int(C), F=int(F), K=int(K), S=int(S),
                          d_in=d_in == "true"))
    if not cases:
        sys.exit(f"conv_layers.py: no X(...) rows in {path}")
    return cases


def same_padding(size, k, s):
    # TensorFlow's "same": total padding split with the odd pixel after.
    out = (size + s - 1) // s
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def time_it(fn, min_time):
    fn()  # warm-up
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / n
        n = max(n + 1, int(n * min(10.0, min_time * 1.4 / max(elapsed, 1e-9))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--filter", default=".")
    p.add_argument("--repetitions", type=int, default=1, help="timings per benchmark, each reported")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    pattern = re.compile(args.filter)
    results = []
    for c in read_cases():
        for n in (1, 8):
            for stage in ("fwd", "bwd"):
                name = f"BM_conv/{c['name']}/{stage}/b{n}/pytorch"
                if not pattern.search(name):
                    continue
                g = torch.Generator().manual_seed(1)
                x = torch.rand(n, c["C"], c["H"], c["W"], generator=g).to(memory_format=torch.channels_last)
                w = torch.rand(c["F"], c["C"], c["K"], c["K"], generator=g).to(memory_format=torch.channels_last)
                b = torch.rand(c["F"], generator=g)
                py = same_padding(c["H"], c["K"], c["S"])
                px = same_padding(c["W"], c["K"], c["S"])
                symmetric = py[0] == py[1] and px[0] == px[1]

                def forward(x, w, b):
                    if symmetric:
                        return F.relu(F.conv2d(x, w, b, stride=c["S"], padding=(py[0], px[0])))
                    return F.relu(F.conv2d(F.pad(x, (px[0], px[1], py[0], py[1])), w, b, stride=c["S"]))

                if stage == "fwd":
                    def step():
                        with torch.no_grad():
                            forward(x, w, b)
                else:
                    xg = x.clone().requires_grad_(c["d_in"])
                    wg, bg = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
                    dy = torch.rand(forward(x, w, b).shape, generator=g).to(memory_format=torch.channels_last)

                    def step():
                        wg.grad = bg.grad = xg.grad = None
                        forward(xg, wg, bg).backward(dy)
                for rep in range(args.repetitions):
                    seconds = time_it(step, args.min_time)
                    results.append({"name": name, "run_type": "iteration", "repetition_index": rep,
                                    "real_time": seconds * 1e6, "time_unit": "us", "threads": args.threads})
                    if not args.json:
                        print(f"{name:60s} {seconds * 1e3:10.3f} ms", flush=True)
    if args.json:
        json.dump({"context": {"torch": torch.__version__, "threads": args.threads}, "benchmarks": results},
                  sys.stdout, indent=1)


if __name__ == "__main__":
    main()
