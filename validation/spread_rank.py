"""How many directions a method's predictive spread has, and how many the truth needs.

For one problem's test split: the oracle's samples cut to their top-q directions per case
(principal directions of its 256 centred samples) and the correlation error of what is left
(how many directions a sampler needs to reach a correlation error); then, per run, the
effective number of directions of its samples (exp of the entropy of the per-case variance
fractions, averaged over cases), the variance share of its top direction and its correlation
error. Used for the poisson ablation's finding (README). Run from the repository root:

    .venv/bin/python validation/spread_rank.py .ablation poisson \
        oracle/rna/s0 genuq/r0.016/s0 ridge/rna/s0
"""

import sys

import torch
import xarray as xr

from uqbench.metrics.scores import correlation_error

root, problem, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
torch.set_grad_enabled(False)


def load(path: str, var: str) -> torch.Tensor:
    x = torch.as_tensor(xr.open_dataset(path, engine="h5netcdf")[var].values, dtype=torch.float64)
    return x.flatten(start_dim=2)


truth = load(f"{root}/results/data/{problem}/test.nc", "output").transpose(0, 1)  # (k, case, d)


def directions(samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean (case, d), eigenvalues (case, m) descending, eigenvectors (case, m, m)) of the
    per-case Gram matrix of the centred samples (m, case, d)."""
    c = (samples - samples.mean(0)).transpose(0, 1)
    lam, u = torch.linalg.eigh(c @ c.transpose(1, 2))
    return samples.mean(0), lam.flip(-1).clamp_min(0), u.flip(-1)


def effective(lam: torch.Tensor) -> tuple[float, float]:
    p = lam / lam.sum(-1, keepdim=True).clamp_min(1e-300)
    entropy = -(p * p.clamp_min(1e-300).log()).sum(-1)
    return float(entropy.exp().mean()), float(p[:, 0].mean())


oracle = load(f"{root}/results/predictions/{problem}/{runs[0]}/test.nc", "prediction")
mean, lam, u = directions(oracle)
centred = (oracle - mean).transpose(0, 1)  # (case, m, d)
for q in (1, 2, 4, 8, 16, 32, 64):
    uq = u[:, :, :q]
    cut = mean[:, None] + uq @ (uq.transpose(1, 2) @ centred)
    err = float(correlation_error(cut.transpose(0, 1), truth).mean())
    print(f"{runs[0]} cut to its top {q:2d} directions per case: correlation_error {err:.3f}")
for run in runs:
    x = (
        oracle
        if run == runs[0]
        else load(f"{root}/results/predictions/{problem}/{run}/test.nc", "prediction")
    )
    n_eff, top = effective(directions(x)[1])
    err = float(correlation_error(x, truth).mean())
    print(
        f"{run}: {n_eff:.1f} effective directions, top direction {top:.0%} of the variance, "
        f"correlation_error {err:.3f}"
    )
