"""ecsg's labelling step: the exact conditional score of ``methods.score_mixture`` (one
``addmm`` of the pairs' features against the components' keys, the per-pair constants
dropped) vs the term-by-term formula it replaced (kept below as the reference), side by side
on one ODE step of a 512-pair chunk against the mixtures of the three problems' training
sets (elu 1000, poisson and porous 4000 components; 16 output + 8 input latents, float64).
The labelling runs ``ode_steps`` (1000) such steps per chunk for ``n_pairs`` (5000) pairs
and each of the three smoothing values. Prints the milliseconds of each, their ratio and the
largest relative difference of the scores.
Run: python bench/bench_ecsg_score.py [--threads 1]
"""

import argparse
import math
from functools import partial

import torch
from common import device_name, interleaved_medians

from uqbench.methods.score_mixture import Mixture, conditional_score

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=1, help="torch threads (a job's: 1)")
parser.add_argument("--repeats", type=int, default=20)
args = parser.parse_args()
torch.set_num_threads(args.threads)


def reference_score(z, t, y, comps, du, h, exclude):
    """The score as it was written before: each Gaussian log-density term in full, the
    a-block's weighted mean as its own matmul."""
    alpha = 1 - (1 - h.eps0) * t
    beta2 = h.eps0 + (1 - h.eps0) * t
    var = torch.cat([torch.full((du,), h.var_u), torch.full((z.shape[1] - du,), h.var_a)])
    sigma = (alpha**2 * var + beta2).to(z)
    c = alpha**2 * h.var_a + beta2
    s1, s2, s3 = beta2 / c, alpha * h.var_a / c, beta2 * h.var_a / c
    a_comp = comps[:, du:]
    zs = z / sigma
    log_w = -0.5 * (
        (z * zs).sum(1, keepdim=True)
        - 2 * alpha * zs @ comps.T
        + alpha**2 * ((comps**2) / sigma).sum(1)
    )
    q = y - s2 * z[:, du:]
    lik_var = s3 + h.var_y
    log_w = (
        log_w
        - 0.5
        * ((q * q).sum(1, keepdim=True) - 2 * s1 * q @ a_comp.T + s1**2 * (a_comp**2).sum(1))
        / lik_var
    )
    log_w = log_w.scatter(1, exclude[:, None], -math.inf)
    w = torch.softmax(log_w, dim=1)
    score = -(z - alpha * (w @ comps)) / sigma
    lik = s2 * (q - s1 * (w @ a_comp)) / lik_var
    return torch.cat([score[:, :du], score[:, du:] + lik], dim=1)


du, da, pairs = 16, 8, 512
mix = Mixture(var_u=0.05, var_a=0.2, var_y=0.2)
print(
    f"bench_ecsg_score: one ODE step of {pairs} pairs, {du}+{da} latents, float64, "
    f"{device_name()}, torch threads {torch.get_num_threads()}, median of {args.repeats}"
)
print(f"{'components':>10s} {'new ms':>8s} {'ref ms':>8s} {'ref/new':>8s} {'max rel diff':>13s}")
for n in (1000, 4000):
    g = torch.Generator().manual_seed(n)
    comps = torch.randn(n, du + da, generator=g, dtype=torch.float64)
    z = torch.randn(pairs, du + da, generator=g, dtype=torch.float64)
    y = torch.randn(pairs, da, generator=g, dtype=torch.float64)
    exclude = torch.randint(0, n, (pairs,), generator=g)
    diff = max(
        float(
            (
                conditional_score(z, t, y, comps, du, mix, exclude)
                - reference_score(z, t, y, comps, du, mix, exclude)
            )
            .abs()
            .max()
            / reference_score(z, t, y, comps, du, mix, exclude).abs().max()
        )
        for t in (0.05, 0.5, 0.95)
    )
    step = (z, 0.5, y, comps, du, mix, exclude)
    times = interleaved_medians(
        {"new": partial(conditional_score, *step), "ref": partial(reference_score, *step)},
        repeats=args.repeats,
    )
    new, ref = times["new"] * 1e3, times["ref"] * 1e3
    print(f"{n:10d} {new:8.2f} {ref:8.2f} {ref / new:7.1f}x {diff:13.1e}")
