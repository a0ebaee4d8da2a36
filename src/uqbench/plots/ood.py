"""The epistemic figure: OOD AUROC per method and problem (bars, mean and 95 % interval
over seeds; input_distance is the reference score every method should beat)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from uqbench.metrics.catalogue import EPISTEMIC
from uqbench.plots.common import color, plt
from uqbench.report.summary import summary_rows


def ood_auroc_figure(records: Sequence[Mapping[str, Any]]) -> Figure:
    """Grouped bars: problems on x, one bar per method; runs that diverged are left out."""
    rows = summary_rows(records, ("problem", "method"), EPISTEMIC)
    problems = sorted({r["problem"] for r in rows})
    methods = list(dict.fromkeys(r["method"] for r in rows))
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(1.5 + 1.6 * len(problems), 3.4))
    for i, method in enumerate(methods):
        vals = {r["problem"]: r for r in rows if r["method"] == method}
        ys = [vals[p]["ood_auroc_mean"] if p in vals else math.nan for p in problems]
        es = [vals[p]["ood_auroc_ci95"] if p in vals else math.nan for p in problems]
        xs = np.arange(len(problems)) + (i - (len(methods) - 1) / 2) * width
        ax.bar(
            xs,
            [0 if not math.isfinite(y) else y for y in ys],
            width,
            color=color(method),
            yerr=[0 if not math.isfinite(e) else e for e in es],
            label=method,
        )
    ax.axhline(0.5, color="gray", ls=":", lw=1)
    ax.set(
        xticks=range(len(problems)),
        xticklabels=problems,
        ylim=(0, 1.25),
        ylabel="OOD AUROC (test vs ood)",
    )
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])  # the space above 1 holds the legend
    ax.legend(fontsize=7, ncol=2, loc="upper center")
    return fig
