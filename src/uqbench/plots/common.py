"""Shared figure helpers: non-interactive backend, atomic PNG + PDF saving."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from uqbench.io import atomic_path

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def save(fig: plt.Figure, outputs: Sequence[str | os.PathLike[str]]) -> None:
    """Save ``fig`` to every path (format from the suffix), each atomically; then close it."""
    for out in outputs:
        with atomic_path(out, suffix=Path(out).suffix) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
