"""Per-split evaluation of a prediction file against the true realizations -> metrics JSON.

Each metric is computed per test input (case), chunked over cases so memory stays bounded,
then summarised by the mean and a 95 % t interval over the cases (independent: each case has
its own operator draws); the per-case values are kept in the record for paired comparisons.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from uqbench import stats
from uqbench.metrics import conformal, epistemic, scores
from uqbench.metrics.catalogue import CP_METRICS, METRICS, SEPARATE

log = logging.getLogger(__name__)

N_PAIRS = 2000  # the variogram score's point pairs: all distinct ones up to this many
# per-case parts of the ratio metrics: spread_ratio = Σ pred_variance / Σ true_variance
RATIOS = {
    "spread_ratio": ("pred_variance", "true_variance"),
    "spread_ratio_cp": ("pred_variance_cp", "true_variance"),
}
LEVELS = {90: 0.9, 95: 0.95}  # central-interval levels of the coverage and width metrics


def truth_statistics(truths: torch.Tensor, chunk: int = 8) -> dict[str, torch.Tensor]:
    """What the metrics need of the true realizations alone, computed once per split and
    shared by every method's evaluation (``stages.evaluate``): truths (k, case, d) ->

    * ``sorted`` (case, d, k): each point's realizations in order (the CRPS's and the
      coverage's counts come from searching them);
    * ``mean``, ``variance`` (case, d): pointwise mean and unbiased variance;
    * ``self_distance`` (case,): mean RMS distance between two distinct realizations (the
      truth's term of the energy distance);
    * ``correlation_norm2`` (case,): ‖C_Y‖²_F of the realizations' correlation matrix;
    * ``variogram_sum``, ``variogram_sq`` (case, pair): Σ_j |y_ja − y_jb|^0.5 and
      Σ_j |y_ja − y_jb| over the realizations, for the ``random_pairs`` of the points.
    """
    k, _, d = truths.shape
    pairs = scores.random_pairs(d, N_PAIRS) if d > 1 else None
    out: dict[str, list[torch.Tensor]] = {}
    for c in range(0, truths.shape[1], chunk):
        y = truths[:, c : c + chunk]
        yt = y.movedim(0, -1).contiguous()  # (case, d, k)
        mean, var = y.mean(0), y.var(0)
        ym = torch.movedim(y - mean, 0, -2)  # (case, k, d)
        gyy = ym @ ym.mT
        b = torch.diagonal(gyy, dim1=-2, dim2=-1)
        zy = _standardised(ym, var, k, float(y.abs().amax()))
        part = {
            "sorted": torch.sort(yt, dim=-1).values,
            "mean": mean,
            "variance": var,
            "self_distance": _offdiag_mean(b[..., :, None] + b[..., None, :] - 2 * gyy, d),
            "correlation_norm2": (zy @ zy.mT).pow(2).sum((-2, -1)),
        }
        if pairs is not None:
            gaps = _root_gaps(yt, pairs)  # (case, pair, k)
            part["variogram_sum"] = gaps.sum(-1)
            part["variogram_sq"] = gaps.pow_(2).sum(-1)
        for name, v in part.items():
            out.setdefault(name, []).append(v)
    return {name: torch.cat(v) for name, v in out.items()}


def per_case_metrics(
    samples: torch.Tensor,
    truths: torch.Tensor,
    factor: float = math.nan,
    chunk: int = 8,
    metrics: Sequence[str] = METRICS,
    truth: dict[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """The aleatoric ``metrics`` per case, and their conformally rescaled twins.

    One pass per chunk of cases around one sort of the samples and the Gram products of the
    centred draws, against the truth's statistics (``truth_statistics``, computed once per
    split): the sorted samples give every quantile and are searched in the sorted
    realizations for the CRPS; the Grams give the energy terms and the correlation error;
    the ``+cp`` metrics of the samples rescaled about their mean by ``factor``
    (x' = x̄ + f (x − x̄)) come from the same pieces: rescaling keeps the samples' order and
    scales their centred Gram by f and f². ``bench/reference_evaluate.py`` computes each
    metric on its own; a test checks both agree to 1e-9.

    Args:
        samples: predictions (m, case, d), m >= 2.
        truths: realizations (k, case, d), k >= 2.
        factor: the conformal factor (``metrics.conformal``); NaN for none, then no twins.
        chunk: cases per chunk (memory ∝ chunk·(m + k)·(m + k + d)).
        metrics: which to compute (default all of ``METRICS``).
        truth: ``truth_statistics(truths)``; computed here when None.

    Returns:
        {metric: (case,)} for each metric and, with a finite factor, ``<metric>_cp`` for
        those of ``CP_METRICS``; the ratio metrics (``RATIOS``) come as their per-case
        numerator and denominator (``summarise_cases`` divides).
    """
    want = set(metrics)
    scale = factor if math.isfinite(factor) else None
    truth = truth_statistics(truths, chunk) if truth is None else truth
    d = samples.shape[-1]
    pairs = scores.random_pairs(d, N_PAIRS) if d > 1 else None
    separate = {name: separate_metric(name) for name in sorted(want & SEPARATE.keys())}
    out: dict[str, list[torch.Tensor]] = {}
    for c in range(0, samples.shape[1], chunk):
        sl = slice(c, c + chunk)
        x, y = samples[:, sl], truths[:, sl]
        part = {name: v[sl] for name, v in truth.items()}
        for name, value in _chunk_metrics(x, y, part, scale, want, pairs).items():
            out.setdefault(name, []).append(value)
        for name, fn in separate.items():  # per chunk too: the same memory bound
            out.setdefault(name, []).append(fn(x, y))
            if scale is not None and name in CP_METRICS:
                out.setdefault(f"{name}_cp", []).append(fn(conformal.rescale(x, scale), y))
    return {k: torch.cat(v) for k, v in out.items()}


def separate_metric(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The function of a metric declared in ``catalogue.SEPARATE``: samples (m, case, d),
    realizations (k, case, d) -> (case,)."""
    module, _, attr = SEPARATE[name].partition(":")
    return getattr(importlib.import_module(f"uqbench.metrics.{module}"), attr)


def _offdiag_mean(d2: torch.Tensor, d: int) -> torch.Tensor:
    """Mean over i != j of RMS distances (over d points) from squared Euclidean ones
    (..., n, n) with a zero diagonal."""
    n = d2.shape[-1]
    return d2.clamp_min(0).sqrt().sum((-2, -1)) / (n * (n - 1) * math.sqrt(d))


def _standardised(vm: torch.Tensor, var: torch.Tensor, n: int, scale: float) -> torch.Tensor:
    """Deviations vm (case, n, d) over their points' norms √((n − 1) var) (case, d): the
    rows of C = ZᵀZ (``scores.correlation_error``'s rule: a point whose spread is below the
    round-off of the values, of magnitude ``scale``, has no spread: its column is 0)."""
    norm = (var * (n - 1)).sqrt()
    floor = 10 * torch.finfo(vm.dtype).eps * scale * n**0.5
    return torch.where(norm[..., None, :] > floor, vm / norm.clamp_min(1e-300)[..., None, :], 0.0)


def _sorted(v: torch.Tensor) -> torch.Tensor:
    """v (..., n) sorted along its last axis; the sort runs in float32 when that holds v
    exactly (predictions are stored as float32): about 2x faster, the same values."""
    low = v.float()
    if v.dtype == torch.float64 and torch.equal(low.double(), v):
        return torch.sort(low, dim=-1).values.double()
    return torch.sort(v, dim=-1).values


def _root_gaps(vt: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """|v_a − v_b|^0.5 for each point pair (a, b) and draw: vt (case, d, n) -> (case, pair, n)."""
    a, b = pairs[:, 0].to(vt.device), pairs[:, 1].to(vt.device)
    return vt.index_select(1, a).sub_(vt.index_select(1, b)).abs_().sqrt_()


def _chunk_metrics(
    x: torch.Tensor,
    y: torch.Tensor,
    truth: dict[str, torch.Tensor],
    factor: float | None,
    want: set[str],
    pairs: torch.Tensor | None,
) -> dict[str, torch.Tensor]:
    """``per_case_metrics`` of one chunk: x (m, case, d), y (k, case, d) and the chunk's
    truth statistics -> {name: (case,)}."""
    mu = x.mean(0)  # (case, d): the predictive mean, the centre of the +cp rescaling
    xc = x - mu  # (m, case, d)
    out: dict[str, torch.Tensor] = {}
    if {"energy_distance", "energy_score"} & want:
        out.update(_energies(xc, y - mu, truth["self_distance"], factor))
    out.update(_moments(x, xc, truth, mu, factor, want))
    levels = [lv for lv in LEVELS if {f"coverage_{lv}", f"width_{lv}"} & want]
    xt = x.movedim(0, -1).contiguous()  # (case, d, m): sorting and gathering points are
    if levels or "crps" in want:  # 3-6x faster along a contiguous last axis than dim 0
        st = _sorted(xt)  # the one sort: every quantile, the CRPS sums
        sy = truth["sorted"].to(st.dtype)
        for lv in levels:
            out.update(_intervals(st, sy, mu, factor, lv))
        if "crps" in want:
            out.update(_crps(st, sy, mu, factor))
    if "variogram_score" in want:
        out["variogram_score"] = _variogram(xt, truth, pairs, y.shape[0])
    if "correlation_error" in want:
        m, k = x.shape[0], y.shape[0]
        var_x = xc.pow(2).sum(0) / (m - 1)
        zx = _standardised(torch.movedim(xc, 0, -2), var_x, m, float(x.abs().amax()))
        yc = torch.movedim(y - truth["mean"].to(y.dtype), 0, -2)
        zy = _standardised(yc, truth["variance"].to(y.dtype), k, float(y.abs().amax()))
        xx = (zx @ zx.mT).pow(2).sum((-2, -1))
        xy = (zx @ zy.mT).pow(2).sum((-2, -1))
        yy = truth["correlation_norm2"].to(y.dtype)
        out["correlation_error"] = (xx + yy - 2 * xy).clamp_min(0).sqrt() / yy.sqrt()
    return {name: v for name, v in out.items() if _wanted(name, want)}


def _energies(
    xc: torch.Tensor, yc: torch.Tensor, syy: torch.Tensor, factor: float | None
) -> dict[str, torch.Tensor]:
    """Energy distance and score per case from the Gram products of the samples and the
    realizations, both centred on the predictive mean (m, case, d), (k, case, d), and the
    truth's own mean distance ``syy`` (case,); with a factor, those of the rescaled samples
    too: ‖x'_i − y_j‖² = f² ‖x_i − x̄‖² + ‖y_j − x̄‖² − 2 f ⟨x_i − x̄, y_j − x̄⟩, and the
    samples' own distances are f times theirs."""
    d = xc.shape[-1]
    xm, ym = torch.movedim(xc, 0, -2), torch.movedim(yc, 0, -2)  # (case, m|k, d)
    gxx, gxy = xm @ xm.mT, xm @ ym.mT
    # the norms from the Gram's own diagonal: equal draws then give exactly 0
    a = torch.diagonal(gxx, dim1=-2, dim2=-1)  # (case, m)
    b = ym.pow(2).sum(-1)  # (case, k)
    sxx = _offdiag_mean(a[..., :, None] + a[..., None, :] - 2 * gxx, d)
    syy = syy.to(xc.dtype)
    out = {}
    for suffix, f in [("", 1.0)] + ([("_cp", factor)] if factor is not None else []):
        cross2 = torch.add(b[..., None, :], gxy, alpha=-2 * f).add_(f * f * a[..., :, None])
        cross = cross2.clamp_min_(0).sqrt_().mean((-2, -1)) / math.sqrt(d)
        out[f"energy_distance{suffix}"] = 2 * cross - f * sxx - syy
        out[f"energy_score{suffix}"] = cross - 0.5 * f * sxx
    return out


def _rel(v: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """‖v‖ / ‖ref‖ with RMS norms over the last dim."""
    return v.pow(2).mean(-1).sqrt() / ref.pow(2).mean(-1).sqrt()


def _moments(
    x: torch.Tensor,
    xc: torch.Tensor,
    truth: dict[str, torch.Tensor],
    mu: torch.Tensor,
    factor: float | None,
    want: set[str],
) -> dict[str, torch.Tensor]:
    """rel_l2_mean, rel_l2_std and the spread-ratio parts (the rescaled variance is f²
    times the variance) from the samples x, their deviations xc (m, case, d), their mean
    mu and the truth's pointwise mean and variance."""
    out = {}
    t_mean, t_var = truth["mean"].to(x.dtype), truth["variance"].to(x.dtype)
    if "rel_l2_mean" in want:
        out["rel_l2_mean"] = _rel(mu - t_mean, t_mean)
    if {"rel_l2_std", "spread_ratio"} & want:
        var = xc.pow(2).sum(0) / (x.shape[0] - 1)  # (case, d), unbiased
        out["rel_l2_std"] = _rel(var.sqrt() - t_var.sqrt(), t_var.sqrt())
        out["pred_variance"], out["true_variance"] = var.mean(-1), t_var.mean(-1)
        if factor is not None:
            out["pred_variance_cp"] = factor**2 * out["pred_variance"]
    return out


def _intervals(
    st: torch.Tensor, sy: torch.Tensor, mu: torch.Tensor, factor: float | None, level: int
) -> dict[str, torch.Tensor]:
    """Coverage of the realizations by the central ``level`` interval of the sorted samples
    st (case, d, m): the number of sorted realizations sy (case, d, k) inside its ends, and
    its width; with a factor (and the level one of ``CP_METRICS``) the rescaled interval's
    too: its ends are x̄ + f (q − x̄)."""
    q = LEVELS[level]
    lo = scores.sorted_quantile(st, (1 - q) / 2)
    hi = scores.sorted_quantile(st, (1 + q) / 2)
    ends = [("", lo, hi)]
    if factor is not None and f"coverage_{level}" in CP_METRICS:
        ends.append(("_cp", mu + factor * (lo - mu), mu + factor * (hi - mu)))
    out = {}
    for suffix, low, high in ends:
        inside = torch.searchsorted(sy, high[..., None], right=True) - torch.searchsorted(
            sy, low[..., None]
        )  # realizations in [low, high], per point
        out[f"coverage_{level}{suffix}"] = inside[..., 0].to(st.dtype).mean(-1) / sy.shape[-1]
        out[f"width_{level}{suffix}"] = (high - low).mean(-1)
    return out


def _crps(
    st: torch.Tensor, sy: torch.Tensor, mu: torch.Tensor, factor: float | None
) -> dict[str, torch.Tensor]:
    """Fair CRPS per case, averaged over the realizations and points, from the sorted
    samples st (case, d, m) and realizations sy (case, d, k): E|X − X'| from the samples'
    ranks, E|X − Y| from each sample's rank among the realizations (sorted queries: the
    search is ~2x faster than for unsorted ones); with a factor the rescaled samples' too
    (their order is the samples')."""
    m, k = st.shape[-1], sy.shape[-1]
    w = 2 * torch.arange(m, dtype=st.dtype, device=st.device) - m + 1
    spread = 2 * (st @ w) / (m * (m - 1))  # E|X − X'| (case, d)
    prefix = torch.nn.functional.pad(sy.cumsum(-1), (1, 0))  # (case, d, k + 1)
    total = prefix[..., -1]

    def cross(q: torch.Tensor) -> torch.Tensor:
        """E|X − Y| over all (sample, realization) pairs for sorted samples q (case, d, m):
        Σ_j |q − y_j| = q (2 n_below − k) − 2 S_below + S, n_below = #{y_j < q}, summed
        over the samples term by term (one fused product, then reductions)."""
        n_below = torch.searchsorted(sy, q)
        below = prefix.gather(-1, n_below).sum(-1)
        qn = torch.linalg.vecdot(q, n_below.to(q.dtype))
        return (2 * qn - k * q.sum(-1) - 2 * below + m * total) / (m * k)

    out = {"crps": (cross(st) - 0.5 * spread).mean(-1)}
    if factor is not None:
        rescaled = mu[..., None] + factor * (st - mu[..., None])
        out["crps_cp"] = (cross(rescaled) - 0.5 * factor * spread).mean(-1)
    return out


def _variogram(
    xt: torch.Tensor, truth: dict[str, torch.Tensor], pairs: torch.Tensor | None, k: int
) -> torch.Tensor:
    """Variogram score (p = 0.5) per case over the point ``pairs``, averaged over the k
    realizations: (1/k) Σ_j Σ_pairs (v_j − v̄_x)² expanded around the truth's sums, with
    v̄_x the samples' mean root gap (xt (case, d, m)); NaN with fewer than 2 points."""
    if pairs is None or not len(pairs):
        return torch.full((xt.shape[0],), math.nan, dtype=xt.dtype)
    vx = _root_gaps(xt, pairs).mean(-1)  # (case, pair)
    s1, s2 = truth["variogram_sum"].to(vx.dtype), truth["variogram_sq"].to(vx.dtype)
    return (s2 / k - 2 * vx * s1 / k + vx * vx).sum(-1)


def _wanted(name: str, want: set[str]) -> bool:
    """Whether a computed per-case value belongs to a wanted metric (ratio parts included)."""
    parts = {p: m for m, ps in RATIOS.items() for p in ps}
    if name in parts:
        return parts[name].removesuffix("_cp") in want
    base = name.removesuffix("_cp")
    return base in want and (base == name or base in CP_METRICS)


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
