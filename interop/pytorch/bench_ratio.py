#!/usr/bin/python3
"""The backward/forward grid of `./vecmlp bench --peer pytorch`, in PyTorch: each cell's forward
pass and forward+backward pass timed in turn, as vecmlp's MlpBench.pair times its own.

    /usr/bin/python3 interop/pytorch/bench_ratio.py [--iterations N] [--iteration-ms MS] < CELLS

CELLS has one cell a line: NAME BATCH THREADS INPUTS LAYERS LOSS, e.g.
    A 256 1 784 512:relu,512:relu,10:linear softmax_cross_entropy
The first line printed is a JSON object naming PyTorch and its threads' library; then one JSON
object a cell, in the order given: {"net", "batch", "threads", "forward": [µs per call, one per
iteration], "both": [...]}. A cell: the network (vecmlp_torch.sequential, float32, PyTorch's
default initialisation: the weights' values do not change the time), a batch of inputs uniform in
[0, 1) and uniform class labels; forward = the network and the mean loss under torch.no_grad();
forward+backward = the gradients set to None (PyTorch's default since 2.0), the network, the
loss, backward(). Warm-up: the two in turn for --warmup-ms; then --iterations iterations of a
block of each, in turn, each block about --iteration-ms long. Needs Debian's python3-torch (1.13);
run it with OpenMP OpenBLAS as the shared recipe does (perf code sets the environment).
"""

import argparse
import json
import os
import sys
import time

import torch

import vecmlp_torch


def block(fn, calls):
    """Mean µs per call over `calls` calls of fn."""
    t0 = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - t0) / 1e3 / calls


def cell(name, batch, threads, inputs, layers, loss, args):
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    net = vecmlp_torch.sequential(inputs, layers)
    x = torch.rand(batch, inputs, dtype=torch.float32)
    outputs = layers[-1][0]
    if loss == "softmax_cross_entropy":
        target = torch.randint(0, outputs, (batch,))
    else:
        target = torch.rand(batch, outputs, dtype=torch.float32)
    params = list(net.parameters())

    def forward():
        with torch.no_grad():
            vecmlp_torch.objective(net, net(x), target, loss, 0)

    def both():
        for p in params:
            p.grad = None
        vecmlp_torch.objective(net, net(x), target, loss, 0).backward()

    # Warm-up, the two in turn, and how many calls fill an iteration.
    end = time.perf_counter() + args.warmup_ms / 1e3
    f_us = b_us = None
    while time.perf_counter() < end or f_us is None:
        f_us = block(forward, 1)
        b_us = block(both, 1)
    f_calls = max(1, int(args.iteration_ms * 1e3 / f_us))
    b_calls = max(1, int(args.iteration_ms * 1e3 / b_us))
    f_times, b_times = [], []
    for _ in range(args.iterations):
        f_times.append(block(forward, f_calls))
        b_times.append(block(both, b_calls))
    return {"net": name, "batch": batch, "threads": threads, "forward": f_times, "both": b_times}


def parse(line, number):
    parts = line.split()
    if len(parts) != 6:
        raise SystemExit(f"line {number}: expected NAME BATCH THREADS INPUTS LAYERS LOSS, found {line!r}")
    name, batch, threads, inputs, layers, loss = parts
    layers = [(int(w), a) for w, a in (p.split(":") for p in layers.split(","))]
    return name, int(batch), int(threads), int(inputs), layers, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--iteration-ms", type=float, default=50)
    ap.add_argument("--warmup-ms", type=float, default=200)
    args = ap.parse_args()
    cells = [parse(line, i + 1) for i, line in enumerate(sys.stdin) if line.strip()]
    info = torch.__config__.parallel_info().splitlines()
    print(json.dumps({"torch": torch.__version__,
                      "parallel": next((l.strip() for l in info if "OpenMP" in l or "native thread" in l), "unknown"),
                      "blas": next((p.split("=", 1)[1] for p in torch.__config__.show().replace(",", " ").split()
                                    if p.startswith("BLAS_INFO=")), "unknown"),
                      "library_path": os.environ.get("LD_LIBRARY_PATH", ""),
                      "iterations": args.iterations, "iteration_ms": args.iteration_ms}), flush=True)
    for c in cells:
        print(json.dumps(cell(*c, args)), flush=True)


if __name__ == "__main__":
    main()
