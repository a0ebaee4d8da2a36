"""Batched FD Poisson solves vs a naive per-sample scipy spsolve loop, same run, same device.

Two layouts of the study's data generation (2D, n = 32, 1024 unknowns):
* shared:   R conductivity draws applied to C inputs (test/ood splits): R factorisations;
* distinct: one conductivity per input (train/val splits): B factorisations;
* study: the whole poisson data generation of SPEC.md (train 2000 + val 200 paired draws,
  test and ood 256 draws x 100 inputs each), the layout ``generate_data`` solves.
Each distinct conductivity needs its own factorisation, so the distinct row is bound by
SuperLU's factorisation time; batching pays where draws are shared, which is most solves.
Run: python bench/bench_poisson.py [--n 32] [--no-study]
"""

import argparse

import numpy as np
import scipy.sparse.linalg as spla
from common import device_name, median_seconds

from uqbench.pde.poisson import assemble, solve

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--n", type=int, default=32)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--no-study", action="store_true", help="skip the ~2 min study row")
args = parser.parse_args()

rng = np.random.default_rng(0)
n = args.n
R, C, B = 16, 100, 256
kappa = np.exp(0.7 * rng.normal(size=(max(R, B), n + 2, n + 2)))
f = rng.normal(size=(max(C, B), n, n))


def naive(kappas, fs):
    return [spla.spsolve(assemble(k), g.ravel()) for k, g in zip(kappas, fs, strict=True)]


rows = []
# shared: every (draw, input) pair; the naive loop re-assembles and re-factorises each pair
pairs_k = np.repeat(kappa[:R], C, axis=0)
pairs_f = np.tile(f[:C], (R, 1, 1))
t_batch = median_seconds(lambda: solve(kappa[:R, None], f[None, :C]), args.repeats)
t_naive = median_seconds(lambda: naive(pairs_k, pairs_f), args.repeats)
rows.append(("shared kappa (R=16 x C=100)", R * C, t_batch, t_naive))
t_batch = median_seconds(lambda: solve(kappa[:B], f[:B]), args.repeats)
t_naive = median_seconds(lambda: naive(kappa[:B], f[:B]), args.repeats)
rows.append(("distinct kappa (B=256)", B, t_batch, t_naive))
if not args.no_study:
    paired, shared, cases = 2200, 2 * 256, 100  # train + val; test + ood draws; inputs each
    k_all = np.exp(0.7 * rng.normal(size=(paired + shared, n + 2, n + 2)))
    f_all = rng.normal(size=(paired + 2 * cases, n, n))
    kp, ks = k_all[:paired], k_all[paired:].reshape(2, 256, n + 2, n + 2)
    fp, fs = f_all[:paired], f_all[paired:].reshape(2, cases, n, n)

    def batched():
        solve(kp, fp)
        for split in range(2):
            solve(ks[split][:, None], fs[split][None])

    def naive_all():
        naive(kp, fp)
        for split in range(2):
            for k in ks[split]:
                naive([k] * cases, fs[split])

    t_batch = median_seconds(batched, 1, warmup=0)
    t_naive = median_seconds(naive_all, 1, warmup=0)
    rows.append(("study layout (SPEC sizes)", paired + shared * cases, t_batch, t_naive))

print(f"bench_poisson: 2D n={n} ({n * n} unknowns), device {device_name()}")
header = ("layout", "solves", "batched solves/s", "naive solves/s", "ratio")
print(f"{header[0]:30s} {header[1]:>7s} {header[2]:>17s} {header[3]:>15s} {header[4]:>7s}")
for name, count, tb, tn in rows:
    print(f"{name:30s} {count:7d} {count / tb:17.0f} {count / tn:15.0f} {tn / tb:6.1f}x")
