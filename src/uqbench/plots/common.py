"""Shared figure helpers: non-interactive backend, atomic PNG + PDF saving."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def save(fig: plt.Figure, outputs: Sequence[str | os.PathLike[str]]) -> None:
    """Save ``fig`` to every path (format from the suffix), each atomically; then close it."""
    for out in outputs:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp{out.suffix}")
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        os.replace(tmp, out)
    plt.close(fig)
