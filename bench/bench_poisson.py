"""FD Poisson solves of independent operator draws: the vectorised PCG of ``solve_each`` vs
the block-diagonal SuperLU of ``solve`` vs a per-sample scipy spsolve loop, same systems,
same run, same device.

Every (case, realization) of the study's poisson splits has its own conductivity (2D,
n = 32, 1024 unknowns): the train, val and calib splits 2000 + 200 + 200 systems, the test
split and each of the three shift rungs 100 x 256. Every system needs its own factorisation,
so SuperLU's per-factorisation overhead bounds the direct solvers; conjugate gradients with
a DST preconditioner solve a chunk of 64 systems at once. The last row is the study's count
at the measured PCG rate. Run: python bench/bench_poisson.py [--n 32] [--systems 512]
"""

import argparse

import numpy as np
import scipy.sparse.linalg as spla
import torch
from common import device_name, median_seconds

from uqbench.pde import sample_field
from uqbench.pde.pcg import solve_each
from uqbench.pde.poisson import assemble, solve
from uqbench.problems.poisson import Poisson

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--n", type=int, default=32)
parser.add_argument("--systems", type=int, default=512)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--threads", type=int, default=1, help="torch threads (a data job's: 1)")
args = parser.parse_args()
torch.set_num_threads(args.threads)

n, b = args.n, args.systems
p = Poisson({"n": n})
rng = np.random.default_rng(0)
f = p.sample_inputs(b, rng, None)
kappa = np.exp(sample_field(p.settings.log_conductivity.spec(), (p._nodes(),) * 2, b, rng))

t_pcg = median_seconds(lambda: solve_each(kappa, f), args.repeats)
t_lu = median_seconds(lambda: solve(kappa, f, dim=2), args.repeats)
naive = b // 8  # the per-sample loop on an eighth, scaled


def spsolve_loop():
    for k, g in zip(kappa[:naive], f[:naive], strict=True):
        spla.spsolve(assemble(k), g.ravel())


t_naive = median_seconds(spsolve_loop, 1) * b / naive
err = float(np.abs(solve_each(kappa[:8], f[:8]) - solve(kappa[:8], f[:8], dim=2)).max())
study = 2000 + 200 + 200 + 4 * 100 * 256
print(
    f"bench_poisson: 2D n={n} ({n * n} unknowns), {b} systems with distinct conductivities, "
    f"{device_name()}, torch threads {args.threads}"
)
print(f"{'solver':40s} {'solves/s':>9s} {'vs spsolve':>11s}")
for name, t in (
    ("solve_each (PCG, 64 systems at a time)", t_pcg),
    ("solve (SuperLU, block-diagonal chunks)", t_lu),
    ("per-sample spsolve loop", t_naive),
):
    print(f"{name:40s} {b / t:9.0f} {t_naive / t:10.1f}x")
print(f"largest difference PCG vs SuperLU: {err:.1e} (tolerance 1e-10 relative residual)")
print(f"the study's poisson data: {study} systems, {study * t_pcg / b:.0f} s of PCG on one core")
