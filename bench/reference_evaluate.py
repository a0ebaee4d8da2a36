"""The reference evaluation: the per-case metrics as they were computed before the one-sort
pass of ``uqbench.metrics.evaluate`` (kept, as the GenUQ step keeps its loop, to measure the
new code against and to test that both give the same numbers).

Each metric on its own: ``torch.quantile`` per level, a sort each for the CRPS spread and
cross terms, ``torch.cdist`` for the energy terms, and the ``+cp`` metrics recomputed from
scratch on the rescaled samples. Returns per-case values with the keys of the new code
(``<metric>`` and ``<metric>_cp``; the spread ratio as its two parts).
"""

from __future__ import annotations

import math

import torch

from uqbench.metrics import conformal, scores
from uqbench.metrics.catalogue import CP_METRICS, METRICS, SEPARATE
from uqbench.metrics.evaluate import N_PAIRS, RATIOS, separate_metric


def reference_per_case(samples, truths, chunk=8, metrics=METRICS):
    """The aleatoric ``metrics`` per case: samples (m, case, d), truths (k, case, d)."""
    want = set(metrics)
    d = samples.shape[-1]
    pairs = scores.random_pairs(d, N_PAIRS) if d > 1 and "variogram_score" in want else None
    names = [m for m in METRICS if m in want and m not in RATIOS and m not in SEPARATE]
    names += [p for m, q in RATIOS.items() if m in want for p in q]
    levels = [lv for lv in (90, 95) if {f"coverage_{lv}", f"width_{lv}"} & want]
    out = {k: [] for k in names}
    for c in range(0, samples.shape[1], chunk):
        x, y = samples[:, c : c + chunk], truths[:, c : c + chunk]
        if {"energy_distance", "energy_score"} & want:
            xm, ym = torch.movedim(x, 0, -2), torch.movedim(y, 0, -2)
            cross = scores._rms_cdist(xm, ym)
            sxx = scores._mean_offdiag(scores._rms_cdist(xm, xm))
            if "energy_distance" in want:
                syy = scores._mean_offdiag(scores._rms_cdist(ym, ym))
                out["energy_distance"].append(2 * cross.mean((-2, -1)) - sxx - syy)
            if "energy_score" in want:
                out["energy_score"].append(cross.mean((-2, -1)) - 0.5 * sxx)
        if "rel_l2_mean" in want:
            out["rel_l2_mean"].append(scores.rel_l2_mean(x, y))
        if "rel_l2_std" in want:
            out["rel_l2_std"].append(scores.rel_l2_std(x, y))
        if "crps" in want:
            spread = scores.crps_spread(x)
            cross_abs = scores.mean_abs_difference(x, y)
            out["crps"].append((cross_abs - 0.5 * spread).mean((0, -1)))
        if "variogram_score" in want and pairs is not None and len(pairs):
            i, j = pairs[:, 0], pairs[:, 1]
            vx = ((x[..., i] - x[..., j]).abs() ** 0.5).mean(0)
            vy = (y[..., i] - y[..., j]).abs() ** 0.5
            out["variogram_score"].append(((vy - vx) ** 2).sum(-1).mean(0))
        elif "variogram_score" in want:
            out["variogram_score"].append(torch.full((x.shape[1],), math.nan, dtype=x.dtype))
        for level in levels:
            lo, hi = scores.central_interval(x, level / 100)
            inside = ((y >= lo) & (y <= hi)).to(x.dtype)
            for name, value in (
                (f"coverage_{level}", inside.mean((0, -1))),
                (f"width_{level}", (hi - lo).mean(-1)),
            ):
                if name in want:
                    out[name].append(value)
        if "correlation_error" in want:
            out["correlation_error"].append(scores.correlation_error(x, y))
        if "spread_ratio" in want:
            out["pred_variance"].append(scores.mean_variance(x))
            out["true_variance"].append(scores.mean_variance(y))
    result = {k: torch.cat(v) for k, v in out.items()}
    # a separately declared metric is its own function already: the same one here
    result.update({m: separate_metric(m)(samples, truths) for m in want & SEPARATE.keys()})
    return result


def reference_with_cp(samples, truths, factor, chunk=8):
    """Every metric per case, and the ``_cp`` twins of the samples rescaled by ``factor``
    (recomputed from the rescaled samples), as the evaluate stage did."""
    out = reference_per_case(samples, truths, chunk)
    if math.isfinite(factor):
        rescaled = conformal.rescale(samples, factor)
        cp = reference_per_case(rescaled, truths, chunk, CP_METRICS)
        out.update({f"{k}_cp": v for k, v in cp.items()})
    return out


def reference_factor(samples, observed, level=0.9):
    """The conformal factor as computed before: ``torch.quantile`` along dim 0 for the
    interval ends (the rank rule aside, the work of a calibration)."""
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=samples.dtype)
    lo, hi = torch.quantile(samples, q, dim=0)
    need = conformal.needed_factors(samples.mean(0), lo, hi, observed)
    return conformal.factor_from_scores(need, level)
