"""Shared figure helpers: the non-interactive backend, fonts legible at column width, one
colour per method across every figure, and panel grids."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from uqbench.catalogue import CATALOGUE
from uqbench.plots.catalogue import TRUTH

__all__ = ["COLORS", "PANEL", "TRUTH", "color", "grid", "has_spread", "no_spread", "panels", "plt"]

# Fonts of >= 8 pt at the printed size: figures are drawn at their final size (PANEL inches
# per panel), never scaled down for a column (3.5 in) beyond a factor the fonts allow.
plt.rcParams.update(
    {
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "figure.titlesize": 9,
        "savefig.dpi": 150,
        "figure.constrained_layout.use": True,
    }
)
PANEL = (2.2, 1.7)  # inches per panel (width, height)
_PALETTE = plt.get_cmap("tab20").colors
# dark tab20 shades, then light ones; no greys (the truth is drawn in black and grey)
COLORS = [_PALETTE[i] for i in (*range(0, 20, 2), *range(1, 20, 2)) if i not in (14, 15)]
_ORDER = [m for m in CATALOGUE if m != "oracle"]


def color(name: str) -> tuple[float, ...] | str:
    """The colour of a method in every figure: black for the truth and the oracle (fresh
    draws of the truth), else a fixed palette entry by catalogue position."""
    if name in (TRUTH, "oracle"):
        return "black"
    i = _ORDER.index(name) if name in _ORDER else len(_ORDER) + sum(map(ord, name))
    return COLORS[i % len(COLORS)]


def grid(rows: int, cols: int, **kw: object) -> tuple[plt.Figure, np.ndarray]:
    """A figure of rows x cols panels (axes array indexed [row, col]) at PANEL inches each."""
    return plt.subplots(rows, cols, figsize=(PANEL[0] * cols, PANEL[1] * rows), squeeze=False, **kw)


def panels(n: int, max_cols: int = 4, **kw: object) -> tuple[plt.Figure, list[plt.Axes]]:
    """n panels in rows of at most ``max_cols``; the unused cells of the last row hidden."""
    cols = min(max_cols, max(n, 1))
    fig, axes = grid(-(-max(n, 1) // cols), cols, **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def has_spread(samples: np.ndarray) -> bool:
    """Whether an ensemble (sample, ...) varies at all (a point prediction does not)."""
    # the range, not the std: equal samples have a range of exactly 0
    return bool(np.nanmax(np.nanmax(samples, axis=0) - np.nanmin(samples, axis=0)) > 0)


def no_spread(ax: plt.Axes, name: str) -> None:
    """An empty panel that says the method has no spread (instead of plotting 0/0)."""
    ax.text(
        0.5,
        0.5,
        f"{name}:\nno spread",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color=color(name),
    )
    # hide the tick labels only: the ticks of a shared axis belong to every panel
    ax.tick_params(labelbottom=False, labelleft=False, length=0)
