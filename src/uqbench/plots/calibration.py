"""Calibration of every method against the truth's realizations, one figure per problem.

* Rank (PIT) histograms: where each true realization falls among a method's samples, per
  case and point; flat = calibrated, U-shaped = too narrow, hump = too wide.
* Coverage against nominal level: the fraction of true realizations inside each method's
  central interval at levels 10 %…90 % (the diagonal = calibrated).

Both pool the test cases, up to ``MAX_POINTS`` output points (an evenly spaced subset; the
result is a marginal statement) and every realization.
"""

from __future__ import annotations

import numpy as np
import torch

from uqbench.plots.catalogue import Sources
from uqbench.plots.common import TRUTH, color, grid, has_spread, no_spread, plt

LEVELS = np.linspace(0.1, 0.9, 9)
BINS = 10
MAX_POINTS = 256


def _flat(s: np.ndarray) -> np.ndarray:
    """(sample, case, *dims) -> (case·points, sample) with at most MAX_POINTS points."""
    flat = s.reshape(s.shape[0], s.shape[1], -1)
    step = max(1, flat.shape[2] // MAX_POINTS)
    return flat[:, :, ::step].reshape(s.shape[0], -1).T


def ranks(samples: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Normalised ranks in [0, 1] of every truth realization among the samples of the same
    case and point: samples (m, case, *dims), truth (k, case, *dims) -> (case·points·k,).
    Ties (a point prediction) are split at random-free midpoints: (below + equal / 2) / m."""
    x = torch.from_numpy(_flat(samples)).double().sort(-1).values.contiguous()  # (n, m)
    y = torch.from_numpy(_flat(truth)).double().contiguous()  # (n, k)
    below = torch.searchsorted(x, y, side="left")
    upto = torch.searchsorted(x, y, side="right")
    return ((below + upto) / 2 / x.shape[1]).flatten().numpy()


def coverage(samples: np.ndarray, truth: np.ndarray, levels: np.ndarray = LEVELS) -> np.ndarray:
    """Fraction of truth realizations inside the samples' central interval at each level,
    pooled over cases and points: (levels,)."""
    x = torch.from_numpy(_flat(samples)).double()  # (n, m)
    y = torch.from_numpy(_flat(truth)).double()  # (n, k)
    q = torch.tensor(np.concatenate([(1 - levels) / 2, (1 + levels) / 2]), dtype=x.dtype)
    bounds = torch.quantile(x, q, dim=1)  # (2·levels, n)
    lo, hi = bounds[: len(levels), :, None], bounds[len(levels) :, :, None]
    return (((y >= lo) & (y <= hi)).sum((1, 2)).double() / y.numel()).numpy()


def calibration_figure(sources: Sources) -> plt.Figure:
    """Rank histograms (one panel per method) and one coverage-vs-nominal panel, of one
    problem's test split and the samples drawn against it (``plots.catalogue.Sources``)."""
    src, problem = sources.samples, str(sources.data.attrs["problem"])
    truth = src[TRUTH]
    methods = [m for m in src if m != TRUTH]
    cols = min(4, len(methods) + 1)
    rows = -(-(len(methods) + 1) // cols)
    fig, axes = grid(rows, cols)
    for ax in axes.flat[len(methods) + 1 :]:
        ax.set_visible(False)
    cov_ax = axes.flat[0]
    cov_ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=0.8)
    for ax, name in zip(axes.flat[1:], methods, strict=False):
        s = src[name]
        ax.axhline(1.0, color="0.6", ls=":", lw=0.8)
        if not has_spread(s):
            no_spread(ax, name)
            continue
        ax.hist(ranks(s, truth), bins=BINS, range=(0, 1), density=True, color=color(name))
        ax.set(title=f"{name}: rank histogram", xlim=(0, 1), xlabel="rank of truth")
        cov_ax.plot(LEVELS, coverage(s, truth), marker="o", ms=3, color=color(name), label=name)
    cov_ax.set(
        title=f"{problem}: coverage",
        xlabel="nominal level",
        ylabel="coverage",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    fig.legend(*cov_ax.get_legend_handles_labels(), loc="outside right upper")  # one per method
    return fig
