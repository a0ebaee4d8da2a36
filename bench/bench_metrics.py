"""Scoring rules: uqbench's torch metrics vs the scoringrules package (numpy backend), same
arrays, same values. 100 cases x 256 samples x 1024 points (variogram: 128 points, all
pairs, as scoringrules has no pair subset). scoringrules is called per case: its numpy
energy score materialises all sample pairs x points and does not fit 100 cases at once.
The energy distance has no scoringrules counterpart; it is compared with a plain numpy
broadcasting implementation. Run: python bench/bench_metrics.py [--cases 100]
"""

import argparse
import math

import numpy as np
import scoringrules as sr
import torch
from common import device_name, median_seconds

from uqbench.metrics import scores

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cases", type=int, default=100)
parser.add_argument(
    "--ref-cases",
    type=int,
    default=10,
    help="cases the (slow, per-case) references are timed on; scaled linearly",
)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

rng = np.random.default_rng(0)
m, d, c = 256, 1024, args.cases
x = rng.normal(size=(m, c, d))  # samples (sample, case, point)
y = rng.normal(size=(c, d))  # one observation per case
truth = rng.normal(size=(m, c, d))  # realizations for the energy distance
dv = 128
xt, yt, tt = (torch.from_numpy(v) for v in (x, y, truth))


rc = min(args.ref_cases, c)
pairs = scores.random_pairs(d, 2000)  # the fixed pair subset of evaluate
w = np.zeros((d, d))
np.add.at(w, (pairs[:, 0].numpy(), pairs[:, 1].numpy()), 1.0)  # the same pairs as weights


def sr_es():
    return np.array([sr.energy_score(y[i], x[:, i], estimator="fair") for i in range(rc)])


def sr_crps():
    return sr.crps_ensemble(y[:rc], np.moveaxis(x[:, :rc], 0, -1), estimator="fair").mean(-1)


def sr_vs():
    return np.array([sr.variogram_score(y[i, :dv], x[:, i, :dv], p=0.5) for i in range(rc)])


def sr_vs_pairs():
    return np.array([sr.variogram_score(y[i], x[:, i], w=w, p=0.5) for i in range(rc)])


def np_ed():
    out = []
    for i in range(rc):
        a, b = x[:, i], truth[:, i]
        dist = lambda u, v: np.sqrt(((u[:, None] - v[None]) ** 2).sum(-1))  # noqa: E731
        out.append(
            2 * dist(a, b).mean()
            - dist(a, a).sum() / (m * (m - 1))
            - dist(b, b).sum() / (m * (m - 1))
        )
    return np.array(out)


rows = {
    "energy score": (lambda: scores.energy_score(xt, yt) * math.sqrt(d), sr_es),
    "CRPS (mean over points)": (lambda: scores.crps(xt, yt).mean(-1), sr_crps),
    "variogram, all pairs (128)": (lambda: scores.variogram_score(xt[..., :dv], yt[:, :dv]), sr_vs),
    "variogram, 2000 pairs": (lambda: scores.variogram_score(xt, yt, pairs=pairs), sr_vs_pairs),
    "energy distance (vs numpy)": (lambda: scores.energy_distance(xt, tt) * math.sqrt(d), np_ed),
}
print(
    f"bench_metrics: {c} cases x {m} samples x {d} points, float64, {device_name()}, "
    f"torch threads {torch.get_num_threads()}"
)
print(f"references timed on {rc} cases and scaled x{c / rc:g} (their cost is linear in cases)")
print(f"{'metric':28s} {'uqbench':>10s} {'reference':>10s} {'speed-up':>9s}  max rel. diff")
for name, (ours, ref) in rows.items():
    t_ours = median_seconds(ours, args.repeats, warmup=1)
    t_ref = median_seconds(ref, 1, warmup=0) * c / rc
    a, b = np.asarray(ours())[:rc], np.asarray(ref())
    diff = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))
    print(f"{name:28s} {t_ours:9.3f}s {t_ref:9.3f}s {t_ref / t_ours:8.1f}x  {diff:.1e}")
