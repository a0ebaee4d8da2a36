"""Training curves: loss per epoch for each (problem, method) from train_log.csv files."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from uqbench.plots.common import COLORS, plt, save


def training_curves(
    logs: Sequence[str | os.PathLike[str]], outputs: Sequence[str | os.PathLike[str]]
) -> None:
    """One panel per problem; paths are results/models/{problem}/{method}/r{ratio}/s{seed}/..."""
    runs: dict[str, list[tuple[str, list[dict]]]] = {}
    for path in logs:
        parts = Path(path).parts
        problem, method, ratio = parts[-5], parts[-4], parts[-3]
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        runs.setdefault(problem, []).append((f"{method} {ratio}", rows))
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.6), squeeze=False)
    for ax, (problem, items) in zip(axes[0], sorted(runs.items()), strict=True):
        for color, (label, rows) in zip(COLORS, items, strict=False):
            for phase in dict.fromkeys(r["phase"] for r in rows):
                pts = [(float(r["epoch"]), float(r["loss"])) for r in rows if r["phase"] == phase]
                style = ":" if phase.endswith("pretrain") else "-"
                ax.plot(*zip(*pts, strict=True), style, color=color,
                        label=label if style == "-" else f"{label} (pre-fit)")  # fmt: skip
        losses = [float(r["loss"]) for _, rows in items for r in rows]
        # negative ELBOs (vi, flow) can be < 0: a log axis only when every loss is positive
        scale = "log" if all(v > 0 for v in losses) else "symlog"
        ax.set(title=problem, xlabel="epoch", ylabel="training loss", yscale=scale)
        ax.legend(fontsize=7)
    save(fig, outputs)
