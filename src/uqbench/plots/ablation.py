"""The ablation figure of a method: each variant beside the default it changes one thing of."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.plots.common import PANEL, color, plt
from uqbench.report.ablation import REFERENCE, ablation_rows

PANELS = ("energy_distance", "correlation_error", "rel_l2_mean", "ood_auroc")


def ablation_figure(rows: Sequence[Mapping[str, Any]], base: str, reference: str) -> Figure:
    """One panel per metric (those of ``PANELS`` the rows have): a horizontal interval per
    method (mean and 95 % interval over seeds, ``report.ablation.ablation_rows``), the base
    method on top with its value as a dotted line through the panel, the reference method's
    (the deterministic model) as a dashed one."""
    methods = [r["method"] for r in rows if r["method"] != reference]
    at = {r["method"]: r for r in rows}
    panels = [m for m in PANELS if any(isinstance(r.get(f"{m}_mean"), float) for r in rows)]
    width = max(len(panels), 1)
    fig, axes = plt.subplots(
        1,
        width,
        figsize=(PANEL[0] * 1.3 * width, 0.6 + 0.32 * len(methods)),
        sharey=True,
        squeeze=False,
    )
    y = {m: len(methods) - 1 - i for i, m in enumerate(methods)}  # the base on top
    for ax, metric in zip(axes[0], panels, strict=False):
        for m in methods:
            mean, ci = at[m][f"{metric}_mean"], at[m][f"{metric}_ci95"]
            if not (isinstance(mean, float) and math.isfinite(mean)):
                ax.text(0.02, y[m], "DnC", transform=ax.get_yaxis_transform(), va="center")
                continue
            err = ci if isinstance(ci, float) and math.isfinite(ci) else 0.0
            ax.errorbar(
                mean,
                y[m],
                xerr=err,
                fmt="o",
                ms=4,
                capsize=2,
                color="black" if m == base else color(m),
            )
        for name, style in ((base, ":"), (reference, "--")):
            value = at.get(name, {}).get(f"{metric}_mean")
            if isinstance(value, float) and math.isfinite(value):
                ax.axvline(value, color="gray", ls=style, lw=1, label=name)
        ax.set_xlabel(metric)
    axes[0, 0].set_yticks(list(y.values()), list(y))
    axes[0, 0].legend(fontsize=7, loc="best")
    return fig


def ablation_plot(
    records: Sequence[Mapping[str, Any]], problem: str, base: str, main_ratio: float
) -> Figure:
    """``ablation_figure`` of ``base`` and its variants from one problem's test records at
    the main ratio (``report.ablation.ablation_rows``)."""
    records = [r for r in records if r["problem"] == problem]
    return ablation_figure(ablation_rows(records, base, main_ratio), base, REFERENCE)
