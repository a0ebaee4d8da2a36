"""Split conformal calibration of a predictive ensemble by one spread factor (``+cp``).

Every method's samples are rescaled about their mean, x' = x̄ + c (x − x̄), with one factor c
per run fitted on the validation split: the smallest c for which the val observations'
coverage by the central 90 % interval of the rescaled samples is at least nominal, in the
split-conformal form (the ⌈(n+1)·level⌉-th smallest of the n per-observation nonconformity
scores). A point's score is the factor it needs to be covered: (y − x̄)/(q_hi − x̄) above
the mean, (x̄ − y)/(x̄ − q_lo) below it (q_lo, q_hi the interval ends of the unscaled
samples; scaling about the mean scales the interval ends the same way).

The scores are pooled over val cases and output points, so the guarantee is *marginal*:
a new (input, point) pair drawn like the val ones is covered with probability >= level
(exchangeability is over cases; points of one case are dependent, which leaves the
average-over-points coverage exact in expectation but makes it vary more between cases).
Nothing is promised per input, per point or out of distribution: the ``+cp`` columns on the
shift rungs show how far the val factor carries.
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
        a zero-width interval cover) or when there are too few scores for the level
        (n < 1/(1 − level) − 1).
    """
    mean = samples.mean(0)
    lo, hi = central_interval(samples, level)
    if not bool((hi > lo).any()):
        return math.nan
    above = observed >= mean
    gap = torch.where(above, observed - mean, mean - observed)
    half = torch.where(above, hi - mean, mean - lo)
    # a point the interval cannot cover at any scale needs an infinite factor
    need = torch.where(gap > 0, gap / half.clamp_min(0), torch.zeros_like(gap))
    need = torch.nan_to_num(need, nan=math.inf, posinf=math.inf).flatten()
    n = need.numel()
    k = math.ceil((n + 1) * level)
    if k > n:
        return math.nan
    # the k-th observation sits exactly on the rescaled interval's end: a relative nudge keeps
    # it inside after the rounding of the rescaled quantiles
    factor = float(torch.kthvalue(need.double().cpu(), k).values) * (1 + 1e-9)
    return factor if math.isfinite(factor) and factor > 0 else math.nan


def rescale(samples: torch.Tensor, factor: float) -> torch.Tensor:
    """x̄ + factor·(x − x̄) over the sample dim: (m, case, d) -> (m, case, d)."""
    mean = samples.mean(0, keepdim=True)
    return mean + factor * (samples - mean)
