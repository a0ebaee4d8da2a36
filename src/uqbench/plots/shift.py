"""The shift-ladder figure of one problem: spread ratio and OOD AUROC against the rung."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.plots.common import color, plt
from uqbench.report.summary import summary_rows


def shift_figure(
    records: Sequence[Mapping[str, Any]], rungs: Sequence[str], laws: Mapping[str, str]
) -> Figure:
    """Two panels for one problem's metrics records (every method, the test split and every
    shift rung, all seeds; mean and 95 % interval over seeds):

    * spread_ratio (predictive / true variance, log y, 1 = calibrated spread) on test and
      each rung, for every method with a spread, the oracle included;
    * shift_auroc (test vs the rung, by the epistemic score; 0.5 = chance) on each rung,
      for the methods with a score.

    ``rungs`` are the x positions in order (``test`` then the shift splits), ``laws`` their
    tick labels (split name and its input law). Diverged seeds are left out of the means.
    """
    rows = summary_rows(records, ("method", "split"), ("spread_ratio", "shift_auroc"))
    at = {(r["method"], r["split"]): r for r in rows}
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), squeeze=False)
    for ax, metric, xs in (
        (axes[0, 0], "spread_ratio", list(rungs)),
        (axes[0, 1], "shift_auroc", [r for r in rungs if r != "test"]),
    ):
        for method in methods:
            pts = [(i, at.get((method, split))) for i, split in enumerate(xs)]
            vals = [
                (i, r[f"{metric}_mean"], r[f"{metric}_ci95"])
                for i, r in pts
                if r
                and isinstance(r[f"{metric}_mean"], float)
                and math.isfinite(r[f"{metric}_mean"])
                and r[f"{metric}_mean"] > 0
            ]
            if not vals:  # no spread (a point prediction) or no score
                continue
            i, y, s = zip(*vals, strict=True)
            ax.errorbar(
                i,
                y,
                yerr=[0.0 if math.isnan(v) else v for v in s],
                marker="o",
                ms=3,
                capsize=2,
                color=color(method),
                label=method,
            )
        ax.set_xticks(range(len(xs)), [laws.get(x, x) for x in xs], fontsize=7)
        ax.set_xlim(-0.3, len(xs) - 0.7)
    axes[0, 0].axhline(1.0, color="gray", ls=":", lw=1)
    axes[0, 0].set(yscale="log", ylabel="spread ratio (predictive / true variance)")
    axes[0, 1].axhline(0.5, color="gray", ls=":", lw=1)
    axes[0, 1].set(ylim=(0, 1.05), ylabel="AUROC (test vs rung, epistemic score)")
    handles = {}  # one legend for both panels, outside them: every method once
    for ax in axes[0]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, h)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside right center",
        fontsize=7,
        frameon=False,
    )
    return fig


LADDER = ("test", "ood_mild", "ood", "ood_strong")  # the x positions, from no shift up


def shift_ladder(records: Sequence[Mapping[str, Any]], problem: str) -> Figure:
    """``shift_figure`` of one problem's metrics records (test and every rung at the main
    ratio), the tick labels naming each rung's input law (carried by each record)."""
    records = [r for r in records if r["problem"] == problem]
    laws = {r["split"]: f"{r['split']}\n({r.get('input_law', '')})" for r in records}
    return shift_figure(records, list(LADDER), laws)
