"""The ratio-study figure: energy distance and correlation error against the
stochastic-parameter ratio, one column per problem."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.plots.common import color, grid
from uqbench.report.summary import summary_rows
from uqbench.report.tables import RATIO_METRICS

PANELS = ("energy_distance", "correlation_error")


def ratio_study_figure(records: Sequence[Mapping[str, Any]]) -> Figure:
    """Rows: energy distance and correlation error (log y); columns: problems; x: the ratio
    (log). Mean and 95 % t interval over seeds per method; a ratio where every seed diverged
    is marked DnC (an x at the panel's top edge, in the method's colour), one where a seed's
    stochastic phase gained nothing (status no_gain) gets an open square around its point."""
    rows = summary_rows(records, ("problem", "method", "ratio"), RATIO_METRICS)
    problems = sorted({r["problem"] for r in rows})
    fig, axes = grid(len(PANELS), max(len(problems), 1), sharex=True)
    for j, problem in enumerate(problems):
        methods = list(dict.fromkeys(r["method"] for r in rows if r["problem"] == problem))
        for i, metric in enumerate(PANELS):
            ax = axes[i, j]
            for method in methods:
                pts = sorted(
                    (float(r["ratio"]), r[f"{metric}_mean"], r[f"{metric}_ci95"], r["no_gain"])
                    for r in rows
                    if r["problem"] == problem and r["method"] == method
                )
                ok = [(x, y, 0.0 if math.isnan(s) else s) for x, y, s, _ in pts if math.isfinite(y)]
                if ok:
                    xs, ys, ss = zip(*ok, strict=True)
                    ax.errorbar(
                        xs,
                        ys,
                        yerr=ss,
                        marker="o",
                        ms=3,
                        color=color(method),
                        label=method,
                        capsize=2,
                    )
                flat = [(x, y) for x, y, _, k in pts if k and math.isfinite(y)]
                if flat:
                    ax.plot(
                        *zip(*flat, strict=True),
                        "s",
                        mfc="none",
                        ms=9,
                        color=color(method),
                        label=f"{method} no gain",
                    )
                dnc = [x for x, y, _, _ in pts if not math.isfinite(y)]
                if dnc:
                    ax.plot(
                        dnc,
                        [1.0] * len(dnc),
                        "X",
                        color=color(method),
                        ms=7,
                        clip_on=False,
                        transform=ax.get_xaxis_transform(),
                        label=f"{method} DnC",
                    )
            ys = [r[f"{metric}_mean"] for r in rows if r["problem"] == problem]
            # the unbiased ED can dip below 0 for near-perfect methods: no log axis then
            positive = all(y > 0 for y in ys if isinstance(y, float) and math.isfinite(y))
            ax.set(xscale="log", yscale="log" if positive else "symlog", ylabel=f"{metric} (test)")
            ax.set_title(problem if i == 0 else "")
        axes[-1, j].set_xlabel("stochastic-parameter ratio r")
        axes[0, j].legend(fontsize=8)
    return fig
