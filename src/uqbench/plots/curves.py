"""Training curves: for each (problem, method), the validation error of the predictive mean
and the training loss per epoch, with the epoch each phase kept (its best validation one)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.catalogue import ratio_label
from uqbench.plots.common import COLORS, plt


def training_curves(
    logs: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
) -> Figure:
    """One panel per (problem, method) with a training history (rows: problems).

    ``logs``: (run identity, rows) of each training log (``io.read_training_log``). Phases
    (pre-fit, main phase) follow each other on the x axis; the left axis is the validation
    rel. L2 error of the predictive mean (comparable across phases), the right one the
    training loss (its own scale per phase: MSE, energy score or negative log-likelihood);
    a star marks the epoch each phase kept. Methods that train nothing have no panel.
    """
    runs: dict[str, dict[str, list[dict]]] = {}
    for run, rows in logs:
        if len(rows) > 1:  # a fitted statistic (one row) or nothing trained: no curve
            label = f"{run['method']} {ratio_label(run['ratio'])}"
            runs.setdefault(run["problem"], {})[label] = rows
    problems = sorted(runs)
    cols = max((len(v) for v in runs.values()), default=1)
    fig, axes = plt.subplots(
        max(len(problems), 1), cols, figsize=(2.6 * cols, 2.2 * max(len(problems), 1)),
        squeeze=False, constrained_layout=True,
    )  # fmt: skip
    for ax in axes.flat:
        ax.set_visible(False)
    for row, problem in zip(axes, problems, strict=False):
        for ax, (label, rows) in zip(row, runs[problem].items(), strict=False):
            ax.set_visible(True)
            loss_ax = ax.twinx()
            start = 0
            for k, phase in enumerate(dict.fromkeys(r["phase"] for r in rows)):
                pts = [r for r in rows if r["phase"] == phase]
                xs = [start + r["epoch"] for r in pts]
                color = COLORS[k % len(COLORS)]
                ax.plot(xs, [r["val_rel_l2_mean"] for r in pts], color=color, lw=1.2,
                        label=f"{phase}: val error")  # fmt: skip
                loss = [(x, r["loss"]) for x, r in zip(xs, pts, strict=True)
                        if math.isfinite(r["loss"])]  # fmt: skip
                if loss:
                    loss_ax.plot(*zip(*loss, strict=True), color=color, lw=0.8, ls="--",
                                 alpha=0.6)  # fmt: skip
                for x, r in zip(xs, pts, strict=True):
                    if r["selected"]:
                        ax.plot(x, r["val_rel_l2_mean"], "*", color="k", ms=8, zorder=5)
                start = xs[-1]
                if k:
                    ax.axvline(xs[0], color="gray", lw=0.5, ls=":")
            ax.set_title(f"{problem}: {label}", fontsize=8)
            ax.set_xlabel("epoch", fontsize=8)
            ax.set_ylabel("val rel. L2 of mean (—)", fontsize=7)
            loss_ax.set_ylabel("training loss (--)", fontsize=7)
            ax.tick_params(labelsize=7)
            loss_ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper right")
    return fig
