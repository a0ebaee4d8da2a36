"""Per-split evaluation of a prediction file against the true realizations -> metrics JSON.

Each metric is computed per test input (case), chunked over cases so memory stays bounded,
then summarised by the mean and a 95 % t interval over the cases (independent: each case has
its own operator draws); the per-case values are kept in the record for paired comparisons.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import torch

from uqbench import stats
from uqbench.metrics import conformal, epistemic, scores
from uqbench.metrics.catalogue import CP_METRICS, METRICS

log = logging.getLogger(__name__)

N_PAIRS = 2000  # the variogram score's point pairs: all distinct ones up to this many
# per-case parts of the ratio metrics: spread_ratio = Σ pred_variance / Σ true_variance
RATIOS = {"spread_ratio": ("pred_variance", "true_variance")}


def per_case_metrics(
    samples: torch.Tensor, truths: torch.Tensor, chunk: int = 8, metrics: Sequence[str] = METRICS
) -> dict:
    """The aleatoric ``metrics`` (default: all of ``METRICS``) per case.

    Args:
        samples: predictions (m, case, d), m >= 2.
        truths: realizations (k, case, d), k >= 2.
        chunk: cases per chunk (memory ∝ chunk·(m + k)²).
        metrics: which to compute (the +cp pass needs only ``CP_METRICS``).

    Returns:
        {metric: (case,) tensor} for each metric, except that the ratio metrics (``RATIOS``)
        come as their per-case numerator and denominator (``summarise_cases`` divides).
    """
    want = set(metrics)
    d = samples.shape[-1]
    pairs = scores.random_pairs(d, N_PAIRS) if d > 1 and "variogram_score" in want else None
    names = [m for m in METRICS if m in want and m not in RATIOS]
    names += [p for m, q in RATIOS.items() if m in want for p in q]
    levels = [lv for lv in (90, 95) if {f"coverage_{lv}", f"width_{lv}"} & want]
    out: dict[str, list[torch.Tensor]] = {k: [] for k in names}
    for c in range(0, samples.shape[1], chunk):
        x, y = samples[:, c : c + chunk], truths[:, c : c + chunk]
        if {"energy_distance", "energy_score"} & want:
            xm, ym = torch.movedim(x, 0, -2), torch.movedim(y, 0, -2)  # (case, m, d)
            cross = scores._rms_cdist(xm, ym)  # (case, m, k): shared by ED and ES
            sxx = scores._mean_offdiag(scores._rms_cdist(xm, xm))
            if "energy_distance" in want:
                syy = scores._mean_offdiag(scores._rms_cdist(ym, ym))
                out["energy_distance"].append(2 * cross.mean((-2, -1)) - sxx - syy)
            if "energy_score" in want:  # mean over realizations
                out["energy_score"].append(cross.mean((-2, -1)) - 0.5 * sxx)
        if "rel_l2_mean" in want:
            out["rel_l2_mean"].append(scores.rel_l2_mean(x, y))
        if "rel_l2_std" in want:
            out["rel_l2_std"].append(scores.rel_l2_std(x, y))
        if "crps" in want:  # means over the k realizations, sample-only parts once per chunk
            spread = scores.crps_spread(x)
            cross_abs = scores.mean_abs_difference(x, y)  # (k, case, d)
            out["crps"].append((cross_abs - 0.5 * spread).mean((0, -1)))
        if "variogram_score" in want and pairs is not None and len(pairs):
            i, j = pairs[:, 0], pairs[:, 1]
            vx = ((x[..., i] - x[..., j]).abs() ** 0.5).mean(0)
            vy = (y[..., i] - y[..., j]).abs() ** 0.5
            out["variogram_score"].append(((vy - vx) ** 2).sum(-1).mean(0))
        elif "variogram_score" in want:
            out["variogram_score"].append(torch.full((x.shape[1],), float("nan"), dtype=x.dtype))
        for level in levels:
            lo, hi = scores.central_interval(x, level / 100)
            inside = ((y >= lo) & (y <= hi)).to(x.dtype)
            for name, value in ((f"coverage_{level}", inside.mean((0, -1))),
                                (f"width_{level}", (hi - lo).mean(-1))):  # fmt: skip
                if name in want:
                    out[name].append(value)
        if "correlation_error" in want:
            out["correlation_error"].append(scores.correlation_error(x, y))
        if "spread_ratio" in want:
            out["pred_variance"].append(scores.mean_variance(x))
            out["true_variance"].append(scores.mean_variance(y))
    return {k: torch.cat(v) for k, v in out.items()}


def calibrated_metrics(
    samples: torch.Tensor, truths: torch.Tensor, factor: float
) -> dict[str, dict[str, float]]:
    """The ``CALIBRATED`` metrics: ``cp_factor`` and the ``CP_METRICS`` of the samples
    (m, case, d) rescaled about their mean by ``factor`` (``metrics.conformal``), against
    the realizations (k, case, d); none when the factor is NaN (a method without spread:
    the tables then show "–", not applicable)."""
    if not math.isfinite(factor):
        return {}
    out = {"cp_factor": {"mean": factor, "ci95": math.nan}}
    rescaled = conformal.rescale(samples, factor)
    summary = summarise_cases(per_case_metrics(rescaled, truths, metrics=CP_METRICS), CP_METRICS)
    return {**out, **{f"{m}_cp": summary[m] for m in CP_METRICS}}


def summarise_cases(
    per_case: dict[str, torch.Tensor], metrics: Sequence[str] = METRICS
) -> dict[str, dict[str, float]]:
    """Each metric's mean and 95 % t interval over the cases, which are independent (every
    (case, realization) is its own operator draw); ratio metrics (``RATIOS``) as the ratio
    of sums with a delta-method interval (``uqbench.stats``)."""
    out = {}
    for m in metrics:
        if m in RATIOS:
            num, den = RATIOS[m]
            out[m] = stats.ratio_ci(per_case[num].numpy(), per_case[den].numpy())
        else:
            out[m] = stats.mean_ci(per_case[m].numpy())
    return out


def epistemic_metrics(
    scores_test: np.ndarray,
    scores_ood: np.ndarray,
    errors_test: np.ndarray | None,
    errors_ood: np.ndarray | None,
) -> dict[str, dict[str, float]]:
    """``ood_auroc`` (test = 0 vs ood = 1 by score) and, when the method has a predictive
    mean (``errors_*``, the per-case rel. L2 errors of the mean; None for a score-only
    method), the Spearman correlation of score and error over the test cases
    (``score_error_spearman_test``) and over test ∪ ood (``_pooled``); each with its 95 %
    interval (``epistemic.auroc_ci``, ``epistemic.spearman_ci``). Arrays are (case,)."""
    out = {"ood_auroc": epistemic.auroc_summary(scores_test, scores_ood)}
    if errors_test is not None and errors_ood is not None:
        out["score_error_spearman_test"] = epistemic.spearman_summary(scores_test, errors_test)
        out["score_error_spearman_pooled"] = epistemic.spearman_summary(
            np.concatenate([scores_test, scores_ood]), np.concatenate([errors_test, errors_ood])
        )
    return out
