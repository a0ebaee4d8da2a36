"""Epistemic-uncertainty pieces: the pairwise-distance mutual-information estimator (PaiDE)
of Gaussian mixtures, and the scores' evaluation (OOD AUROC, score-error Spearman)."""

from __future__ import annotations

import math

import numpy as np
import torch


def bhattacharyya(mean: torch.Tensor, var: torch.Tensor, point_dims: int = 0) -> torch.Tensor:
    """Pairwise Bhattacharyya distances between diagonal Gaussians N(μ_i, diag σ_i²).

    Args:
        mean, var: (member, ...) tensors.
        point_dims: trailing dims summed into one distance (0: one distance per point).

    Returns:
        (member, member, ...) with the trailing ``point_dims`` dims summed out.
    """
    mi, mj = mean.unsqueeze(1), mean.unsqueeze(0)
    vi, vj = var.unsqueeze(1), var.unsqueeze(0)
    vbar = 0.5 * (vi + vj)
    d = (mi - mj).pow(2) / (8 * vbar) + 0.5 * (
        torch.log(vbar) - 0.5 * (torch.log(vi) + torch.log(vj))
    )
    return d.sum(tuple(range(-point_dims, 0))) if point_dims else d


def paide_mutual_information(
    mean: torch.Tensor, var: torch.Tensor, point_dims: int = 0
) -> torch.Tensor:
    """Mutual-information estimate of a uniform mixture of M Gaussians (Kolchinsky & Tracey):
    I = ln M − (1/M) Σ_i ln Σ_j exp(−D_ij), D = Bhattacharyya distance (METHODS.md, decu).

    0 when all members agree; → ln M when they are far apart. mean, var: (member, ...);
    returns (...) without the member dim and the ``point_dims`` trailing dims.
    """
    m = mean.shape[0]
    d = bhattacharyya(mean, var, point_dims)
    return math.log(m) - torch.logsumexp(-d, dim=1).mean(0)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of x (n,), ties sharing their average rank (scipy's rankdata 'average';
    written out here because importing scipy.stats costs every job ~0.5 s)."""
    _, inverse, counts = np.unique(np.asarray(x), return_inverse=True, return_counts=True)
    end = np.cumsum(counts)
    return ((end - counts + 1 + end) / 2)[inverse]


def ood_auroc(test_scores: np.ndarray, ood_scores: np.ndarray) -> float:
    """P(score of an OOD input > score of a test input), ties counting 1/2 (Mann-Whitney)."""
    test_scores, ood_scores = np.asarray(test_scores), np.asarray(ood_scores)
    ranks = average_ranks(np.concatenate([test_scores, ood_scores]))
    n0, n1 = len(test_scores), len(ood_scores)
    return float((ranks[n0:].sum() - n1 * (n1 + 1) / 2) / (n0 * n1))


def score_error_spearman(scores: np.ndarray, errors: np.ndarray) -> float:
    """Spearman rank correlation between epistemic scores and errors (per case): the Pearson
    correlation of their average ranks."""
    return float(np.corrcoef(average_ranks(scores), average_ranks(errors))[0, 1])


def auroc_summary(test_scores: np.ndarray, ood_scores: np.ndarray) -> dict[str, float]:
    """``ood_auroc`` with its 95 % interval half-width by Hanley & McNeil's (1982) standard
    error of the Mann-Whitney AUROC (normal approximation; n = the smaller group)."""
    a = ood_auroc(test_scores, ood_scores)
    n0, n1 = len(test_scores), len(ood_scores)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n0 * n1)
    return {"mean": a, "ci95": 1.96 * math.sqrt(max(var, 0.0)), "n": min(n0, n1)}


def spearman_summary(scores: np.ndarray, errors: np.ndarray) -> dict[str, float]:
    """Spearman's ρ of score and error with its 95 % interval half-width: Fieller et al.'s
    standard error of atanh(ρ), √(1.06 / (n − 3)), carried to ρ by the delta method
    ((1 − ρ²) times it); NaN below 4 cases."""
    n = len(scores)
    rho = score_error_spearman(scores, errors)
    ci = 1.96 * (1 - rho * rho) * math.sqrt(1.06 / (n - 3)) if n > 3 else math.nan
    return {"mean": rho, "ci95": ci, "n": n}
