"""One evaluate job: the one-sort pass of ``uqbench.metrics.evaluate`` vs the reference
(``reference_evaluate.py``: each metric on its own, ``torch.quantile`` for the intervals and
the calibration, the +cp metrics recomputed from the rescaled samples), side by side in one
run, on full-size poisson shapes: 256 samples against 256 true realizations of 100 cases x
1024 points per scored split, float64, every metric and its +cp twin; the calibration on 200
calib cases (one observation each). A job scores four splits (test and three shift rungs);
the split is timed once and counted four times. The new pass reads the truth's statistics,
computed once per split for every method's job (timed and shown apart).

Prints CPU seconds (process time, all threads) and wall seconds of each, their ratio, and
the largest differences of the per-case metrics. Run: python bench/bench_evaluate.py
"""

import argparse
import math
import time

import numpy as np
import torch
from common import device_name
from reference_evaluate import reference_factor, reference_with_cp

from uqbench.metrics.conformal import conformal_factor
from uqbench.metrics.evaluate import per_case_metrics, truth_statistics

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cases", type=int, default=100)
parser.add_argument("--points", type=int, default=1024)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--splits", type=int, default=4, help="scored splits per job")
parser.add_argument("--threads", type=int, default=1, help="torch threads (a job's: 1)")
args = parser.parse_args()
torch.set_num_threads(args.threads)

g = torch.Generator().manual_seed(0)
m = k = 256
rand = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
base = rand(args.cases, args.points)
x = base + 0.1 * rand(m, args.cases, args.points)  # samples: too narrow by ~1/1.2
y = base + 0.02 * rand(args.cases, args.points) + 0.12 * rand(k, args.cases, args.points)
# (values rounded to float32, as they are read from the prediction and data files)
x, y = x.float().double(), y.float().double()
calib_x = (base.repeat(2, 1) + 0.1 * rand(m, 2 * args.cases, args.points)).float().double()
calib_y = (base.repeat(2, 1) + 0.12 * rand(2 * args.cases, args.points)).float().double()


def timed(fn):
    """(CPU seconds, wall seconds, result): medians over the repeats."""
    cpu, wall, out = [], [], None
    for _ in range(args.repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall)), out


truth_t = timed(lambda: truth_statistics(y))
truth = truth_t[2]
f_new = timed(lambda: conformal_factor(calib_x, calib_y))
f_ref = timed(lambda: reference_factor(calib_x, calib_y))
factor = f_new[2]
s_new = timed(lambda: per_case_metrics(x, y, factor, chunk=4, truth=truth))
s_ref = timed(lambda: reference_with_cp(x, y, factor))
new, ref = s_new[2], s_ref[2]
ref.pop("true_variance_cp", None)  # the same as true_variance


def worst(names):
    return max(
        float(((new[n] - ref[n]).abs() / ref[n].abs().clamp_min(1e-12)).max()) for n in names
    )


energy = [n for n in ref if n.startswith("energy_")]
plain = [n for n in ref if n not in energy and not math.isnan(float(ref[n].sum()))]
# an energy distance is a small difference of O(1) terms: its error relative to them
scale = {n: ref[n.replace("distance", "score")].abs() for n in energy}
energy_diff = max(float(((new[n] - ref[n]).abs() / scale[n]).max()) for n in energy)

n = args.splits
threads = torch.get_num_threads()
print(
    f"bench_evaluate: {args.cases} cases x {m} samples x {k} realizations x {args.points} "
    f"points per split, {n} splits and {2 * args.cases} calib cases per job, float64, "
    f"{device_name()}, torch threads {threads}, median of {args.repeats}"
)
print(
    f"{'':34s} {'new CPU s':>10s} {'ref CPU s':>10s} {'ref/new':>8s} {'new wall s':>11s} "
    f"{'ref wall s':>11s}"
)
rows = {"calibration factor": (f_new, f_ref), "one scored split": (s_new, s_ref)}
job_new = [f_new[i] + n * s_new[i] for i in (0, 1)]
job_ref = [f_ref[i] + n * s_ref[i] for i in (0, 1)]
for name, (a, b) in rows.items():
    print(f"{name:34s} {a[0]:10.2f} {b[0]:10.2f} {b[0] / a[0]:7.1f}x {a[1]:11.2f} {b[1]:11.2f}")
print(
    f"{'one evaluate job':34s} {job_new[0]:10.2f} {job_ref[0]:10.2f} "
    f"{job_ref[0] / job_new[0]:7.1f}x {job_new[1]:11.2f} {job_ref[1]:11.2f}"
)
print(
    f"truth statistics, once per split for all jobs: {truth_t[0]:.2f} CPU s "
    f"({truth_t[1]:.2f} wall s)"
)
print(f"factor: new {factor:.6f}, reference {f_ref[2]:.6f}")
print(
    f"largest relative difference of a per-case metric: {worst(plain):.1e} "
    f"(energy terms, relative to the energy score: {energy_diff:.1e})"
)
