"""The ratio-study figure: energy distance against the stochastic-parameter ratio."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.metrics.tables import RATIO_METRICS, summary_rows
from uqbench.plots.common import COLORS, plt


def ratio_study_figure(records: Sequence[Mapping[str, Any]]) -> Figure:
    """One panel per problem: energy distance (mean ± std over seeds) vs ratio, log x and y.

    Ratios where every seed diverged are marked "DnC" (an x at the panel's top edge).
    """
    rows = summary_rows(records, ("problem", "method", "ratio"), RATIO_METRICS)
    problems = sorted({r["problem"] for r in rows})
    fig, axes = plt.subplots(1, len(problems), figsize=(4.5 * len(problems), 3.6), squeeze=False)
    for ax, problem in zip(axes[0], problems, strict=True):
        methods = list(dict.fromkeys(r["method"] for r in rows if r["problem"] == problem))
        for color, method in zip(COLORS, methods, strict=False):
            pts = sorted(
                (float(r["ratio"]), r["energy_distance_mean"], r["energy_distance_std"])
                for r in rows
                if r["problem"] == problem and r["method"] == method
            )
            ok = [(x, y, 0.0 if math.isnan(s) else s) for x, y, s in pts if math.isfinite(y)]
            if ok:
                xs, ys, ss = zip(*ok, strict=True)
                ax.errorbar(xs, ys, yerr=ss, marker="o", color=color, label=method, capsize=2)
            dnc = [x for x, y, _ in pts if not math.isfinite(y)]
            if dnc:
                ax.plot(dnc, [1.0] * len(dnc), "x", color=color, ms=9, clip_on=False,
                        transform=ax.get_xaxis_transform(), label=f"{method} DnC")  # fmt: skip
        finite = [r["energy_distance_mean"] for r in rows if r["problem"] == problem]
        # the unbiased estimator can dip below 0 for near-perfect methods: no log axis then
        positive = all(y > 0 for y in finite if math.isfinite(y))
        ax.set(title=problem, xscale="log", yscale="log" if positive else "symlog",
               xlabel="stochastic-parameter ratio r", ylabel="energy distance (test)")  # fmt: skip
        ax.legend(fontsize=7)
    return fig
