"""Training curves: one panel per (problem, method): the training loss and the validation
error of the predictive mean per epoch on linear axes, and the epoch each phase kept."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from uqbench.catalogue import ratio_label
from uqbench.plots.common import color, grid

MAX_COLS = 4  # panels per row
Log = tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]  # (run identity, rows)


def training_curves(logs: Sequence[Log]) -> Figure:
    """One panel per (problem, method) with a training history (more than one row), at most
    ``MAX_COLS`` per row.

    Phases (pre-fit, main phase) follow each other on the x axis, split by a dotted line.
    Left axis (solid, the method's colour): the validation rel. L2 error of the predictive
    mean, comparable across phases. Right axis (dashed, grey): the training loss of each
    phase (MSE, energy score or negative log-likelihood: its own scale per method). A star
    marks the epoch each phase kept (its best validation objective).
    """
    runs: dict[str, dict[str, tuple[str, Sequence[Mapping[str, Any]]]]] = {}
    for run, rows in logs:
        if len(rows) > 1:  # a fitted statistic (one row) or nothing trained: no curve
            r = run["ratio"]
            label = run["method"] + ("" if r is None else f" r={ratio_label(r)}")
            runs.setdefault(run["problem"], {})[label] = (run["method"], rows)
    panels = [(problem, item) for problem in sorted(runs) for item in runs[problem].items()]
    cols = min(MAX_COLS, max(len(panels), 1))
    fig, axes = grid(-(-max(len(panels), 1) // cols), cols)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, (problem, (label, (method, rows))) in zip(axes.flat, panels, strict=False):
        ax.set_visible(True)
        loss_ax = ax.twinx()
        start = 0.0
        for k, phase in enumerate(dict.fromkeys(r["phase"] for r in rows)):
            pts = [r for r in rows if r["phase"] == phase]
            xs = [start + r["epoch"] for r in pts]
            ax.plot(xs, [r["val_rel_l2_mean"] for r in pts], color=color(method), lw=1.2)
            loss = [
                (x, r["loss"]) for x, r in zip(xs, pts, strict=True) if math.isfinite(r["loss"])
            ]
            if loss:
                loss_ax.plot(*zip(*loss, strict=True), color="0.5", lw=0.8, ls="--")
            for x, r in zip(xs, pts, strict=True):
                if r["selected"]:
                    ax.plot(x, r["val_rel_l2_mean"], "*", color="k", ms=8, zorder=5)
            if k:
                ax.axvline(xs[0], color="0.6", lw=0.6, ls=":")
            start = xs[-1]
        errors = [r["val_rel_l2_mean"] for r in rows if math.isfinite(r["val_rel_l2_mean"])]
        if errors:  # the untrained epoch 0 would squash the curve: zoom on the descent
            ax.set_ylim(0, min(max(errors), 4 * min(errors)) * 1.05)
        ax.set(title=f"{problem}: {label}", xlabel="epoch", ylabel="val error of mean")
        loss_ax.set_ylabel("training loss (--)")
    return fig
