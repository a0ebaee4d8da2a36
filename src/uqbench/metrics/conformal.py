"""Split conformal calibration of a predictive ensemble by one spread factor (``+cp``).

Every method's samples are rescaled about their mean, x' = x̄ + c (x − x̄), with one factor c
per run fitted on the ``calib`` split, which no fitting or selection ever sees (val chose the
epochs, λ, σ² and bandwidths, so val residuals are optimistic). A point's nonconformity score
is the factor it needs to be covered by the central ``level`` interval of the rescaled
samples: (y − x̄)/(q_hi − x̄) above the mean, (x̄ − y)/(x̄ − q_lo) below it (q_lo, q_hi the
interval ends of the unscaled samples; scaling about the mean scales them the same way).

The exchangeable unit is the case (an input with its operator draw): the points of one case
are dependent, so the rank comes from the number of cases n, not of points. With d points
per case, c is the k-th smallest of the n·d pooled scores with k = ⌈level·(n + 1)·d⌉.

Guarantee: for a new case drawn like the calib cases (exchangeable with them), the expected
fraction of its d points covered is at least ``level``, and, when the scores have no ties,
at most level + (d + 1)/((n + 1)·d) ≈ level + 1/(n + 1). Proof: adding the new case's d
scores to the pool lowers the k-th smallest, and the k-th smallest of all (n + 1)·d scores
is a symmetric function of the n + 1 exchangeable cases, so the new case's expected coverage
at it equals the pooled fraction k/((n + 1)·d) ≥ level (the upper bound likewise from the
(k + d)-th smallest). Conditional on the fitted model and its draws the argument is exact:
the predict stream is keyed by the run alone, not the split, so a method whose draws are
shared across cases (GenUQ's weight sets, dropout masks) scores its calib and test cases with
the same ensemble members.
The pooled rank ⌈level·(n·d + 1)⌉ over points, as if they were
exchangeable, promises only about level·n/(n + 1). Nothing is promised per input, per point
or out of distribution: the ``+cp`` columns of the shift rungs show how far the factor
carries.
"""

from __future__ import annotations

import math

import torch

from uqbench.metrics.scores import central_interval


def conformal_factor(samples: torch.Tensor, observed: torch.Tensor, level: float = 0.9) -> float:
    """The split-conformal spread factor c of an ensemble on calibration data.

    Args:
        samples: predictive samples (m, case, d), m >= 2.
        observed: one observation per case (case, d).
        level: nominal central-interval coverage.

    Returns:
        c > 0, or NaN when the samples have no spread (a point prediction: no factor makes
        a zero-width interval cover) or when there are too few cases for the level
        (k > n·d, i.e. n < level/(1 − level): 9 cases at 90 %).
    """
    mean = samples.mean(0)
    lo, hi = central_interval(samples, level)
    if not bool((hi > lo).any()):
        return math.nan
    return factor_from_scores(needed_factors(mean, lo, hi, observed), level)


def needed_factors(
    mean: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, observed: torch.Tensor
) -> torch.Tensor:
    """Per (case, point) nonconformity scores: the factor about the sample mean at which the
    interval [lo, hi] just covers the observation (inf where no factor does, 0 at the mean).
    All arguments (case, d) -> (case, d)."""
    above = observed >= mean
    gap = torch.where(above, observed - mean, mean - observed)
    half = torch.where(above, hi - mean, mean - lo)
    need = torch.where(gap > 0, gap / half.clamp_min(0), torch.zeros_like(gap))
    return torch.nan_to_num(need, nan=math.inf, posinf=math.inf)


def factor_from_scores(need: torch.Tensor, level: float = 0.9) -> float:
    """The k-th smallest of the (case, d) scores pooled, k = ⌈level·(n + 1)·d⌉ (module
    docstring: the guarantee over exchangeable cases); NaN when k > n·d."""
    n, d = need.shape
    k = math.ceil(level * (n + 1) * d - 1e-9)  # the tolerance keeps an exact product exact
    if k > n * d:
        return math.nan
    # the k-th score sits exactly on the rescaled interval's end: a relative nudge keeps it
    # inside after the rounding of the rescaled quantiles
    factor = float(torch.kthvalue(need.flatten().double().cpu(), k).values) * (1 + 1e-9)
    return factor if math.isfinite(factor) and factor > 0 else math.nan


def rescale(samples: torch.Tensor, factor: float) -> torch.Tensor:
    """x̄ + factor·(x − x̄) over the sample dim: (m, case, d) -> (m, case, d)."""
    mean = samples.mean(0, keepdim=True)
    return mean + factor * (samples - mean)
