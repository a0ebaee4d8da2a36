"""Evaluation of one split: the one-sort pass of ``uqbench.metrics.evaluate`` vs the reference
(``reference_evaluate.py``: each metric on its own, the +cp metrics recomputed from the
rescaled samples), side by side in one run, on full-size poisson shapes: 256 samples and 256
true realizations of 100 cases x 1024 points, float64, every metric and its +cp twin.

Prints CPU seconds (process time, all threads) and wall seconds of each, their ratio, and
the largest difference of the per-case metrics. Run: python bench/bench_evaluate.py
"""

import argparse
import math
import time

import numpy as np
import torch
from common import device_name
from reference_evaluate import reference_with_cp

from uqbench.metrics.evaluate import per_case_metrics

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cases", type=int, default=100)
parser.add_argument("--points", type=int, default=1024)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--factor", type=float, default=1.1)
args = parser.parse_args()

g = torch.Generator().manual_seed(0)
m = k = 256
shape = (args.cases, args.points)
x = 0.1 * torch.randn(m, *shape, generator=g, dtype=torch.float64) + torch.randn(
    *shape, generator=g, dtype=torch.float64
)
y = 0.12 * torch.randn(k, *shape, generator=g, dtype=torch.float64) + x.mean(0)


def timed(fn):
    """(CPU seconds, wall seconds, result): medians over the repeats."""
    cpu, wall = [], []
    for _ in range(args.repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall)), out


runs = {
    "one-sort pass (uqbench)": lambda: per_case_metrics(x, y, args.factor),
    "reference (bench/)": lambda: reference_with_cp(x, y, args.factor),
}
results = {name: timed(fn) for name, fn in runs.items()}
new, ref = (results[n][2] for n in runs)
worst = max(
    float(((new[n] - ref[n]).abs() / ref[n].abs().clamp_min(1e-12)).max())
    for n in ref
    if n in new and not math.isnan(float(ref[n].sum()))
)
print(f"bench_evaluate: {args.cases} cases x {m} samples x {k} realizations x {args.points} "
      f"points, float64, {device_name()}, torch threads {torch.get_num_threads()}, "
      f"median of {args.repeats}")  # fmt: skip
print(f"{'implementation':26s} {'CPU s':>8s} {'wall s':>8s}")
for name, (cpu, wall, _) in results.items():
    print(f"{name:26s} {cpu:8.2f} {wall:8.2f}")
(c_new, w_new, _), (c_ref, w_ref, _) = results.values()
print(f"{'reference / new':26s} {c_ref / c_new:7.1f}x {w_ref / w_new:7.1f}x")
print(f"largest relative difference of a per-case metric: {worst:.1e}")
